//! 不轻易停机: a line of a protected (VIP) tier is not suspended for arrears until the customer
//! was reminded of the arrears and a manager confirmed the suspension, both on the line's
//! arrears task (the `vip_arrears` rule's task). Billing asks before it suspends.

use serde::Serialize;
use weiwan_domain::codes::VipTier;

/// The line's latest arrears episode: its task and what was recorded on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArrearsCase {
    pub task_id: i64,
    /// The customer was reminded of the arrears (outcome `reminded`).
    pub reminded: bool,
    /// A manager confirmed the suspension.
    pub confirmed: bool,
}

/// May billing suspend the line now?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuspendVerdict {
    Allowed,
    NotYet,
}

/// The verdict with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuspendDecision {
    pub verdict: SuspendVerdict,
    /// `not_protected`, `no_reminder`, `not_reminded`, `not_confirmed` or `confirmed`.
    pub code: &'static str,
    pub reason_zh: String,
    pub reason_en: String,
    /// The arrears task the decision rests on, when there is one.
    pub task_id: Option<i64>,
}

/// Decides whether a line of a customer of `tier` may be suspended for arrears, given the
/// protected tiers (see `RuleBook::suspension_protected_tiers`) and the line's latest arrears
/// case, if any.
pub fn may_suspend(tier: VipTier, protected: &[VipTier], case: Option<&ArrearsCase>) -> SuspendDecision {
    let task_id = case.map(|case| case.task_id);
    let decision = |verdict, code, reason_zh: String, reason_en: String| SuspendDecision {
        verdict,
        code,
        reason_zh,
        reason_en,
        task_id,
    };
    if !protected.contains(&tier) {
        return decision(
            SuspendVerdict::Allowed,
            "not_protected",
            format!("{}客户不在不轻易停机保护范围内，可按欠费规则停机", tier.label_zh()),
            format!(
                "the {} tier is not protected from suspension; the usual arrears rules apply",
                tier.label_en()
            ),
        );
    }
    match case {
        None => decision(
            SuspendVerdict::NotYet,
            "no_reminder",
            format!(
                "{}客户受不轻易停机保护，尚无欠费提醒任务：请计费先发送欠费事件，由客户经理提醒客户",
                tier.label_zh()
            ),
            format!(
                "the {} tier is protected and there is no arrears reminder task yet: billing should send \
                 the arrears event first so that a manager reminds the customer",
                tier.label_en()
            ),
        ),
        Some(case) if !case.reminded => decision(
            SuspendVerdict::NotYet,
            "not_reminded",
            format!("欠费提醒任务 #{} 尚未记录已提醒客户，暂不停机", case.task_id),
            format!(
                "arrears task #{} has not recorded that the customer was reminded; do not suspend yet",
                case.task_id
            ),
        ),
        Some(case) if !case.confirmed => decision(
            SuspendVerdict::NotYet,
            "not_confirmed",
            format!("已提醒客户，但欠费任务 #{} 尚未经客户经理确认停机，暂不停机", case.task_id),
            format!(
                "the customer was reminded, but no manager has confirmed the suspension on arrears task #{}; do not suspend yet",
                case.task_id
            ),
        ),
        Some(case) => decision(
            SuspendVerdict::Allowed,
            "confirmed",
            format!("已提醒客户，客户经理已在欠费任务 #{} 确认停机", case.task_id),
            format!(
                "the customer was reminded and a manager confirmed the suspension on arrears task #{}",
                case.task_id
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROTECTED: &[VipTier] = &[VipTier::Diamond, VipTier::Gold, VipTier::Silver];

    fn case(reminded: bool, confirmed: bool) -> ArrearsCase {
        ArrearsCase { task_id: 42, reminded, confirmed }
    }

    #[test]
    fn a_tier_outside_the_protected_ones_may_be_suspended() {
        let decision = may_suspend(VipTier::Mass, PROTECTED, Some(&case(false, false)));
        assert_eq!(
            (decision.verdict, decision.code, decision.task_id),
            (SuspendVerdict::Allowed, "not_protected", Some(42))
        );
        let decision = may_suspend(VipTier::Gold, &[], None);
        assert_eq!(
            (decision.verdict, decision.code, decision.task_id),
            (SuspendVerdict::Allowed, "not_protected", None)
        );
    }

    #[test]
    fn a_protected_tier_without_a_reminder_task_waits() {
        let decision = may_suspend(VipTier::Gold, PROTECTED, None);
        assert_eq!(
            (decision.verdict, decision.code, decision.task_id),
            (SuspendVerdict::NotYet, "no_reminder", None)
        );
        assert!(
            decision.reason_en.contains("billing should send the arrears event first"),
            "{}",
            decision.reason_en
        );
        assert!(decision.reason_zh.contains("金卡"), "{}", decision.reason_zh);
    }

    #[test]
    fn a_protected_tier_waits_for_the_reminder_then_the_confirmation() {
        let not_reminded = may_suspend(VipTier::Diamond, PROTECTED, Some(&case(false, false)));
        assert_eq!((not_reminded.verdict, not_reminded.code), (SuspendVerdict::NotYet, "not_reminded"));
        // A confirmation without a recorded reminder is not enough.
        let confirmed_only = may_suspend(VipTier::Diamond, PROTECTED, Some(&case(false, true)));
        assert_eq!(confirmed_only.code, "not_reminded");
        let not_confirmed = may_suspend(VipTier::Silver, PROTECTED, Some(&case(true, false)));
        assert_eq!((not_confirmed.verdict, not_confirmed.code), (SuspendVerdict::NotYet, "not_confirmed"));
        assert_eq!(not_confirmed.task_id, Some(42));
        assert!(not_confirmed.reason_zh.contains("#42") && not_confirmed.reason_en.contains("#42"));
    }

    #[test]
    fn a_reminded_and_confirmed_case_may_be_suspended() {
        let decision = may_suspend(VipTier::Gold, PROTECTED, Some(&case(true, true)));
        assert_eq!(
            (decision.verdict, decision.code, decision.task_id),
            (SuspendVerdict::Allowed, "confirmed", Some(42))
        );
    }
}
