//! Retention cases 拆机挽留: the rules of a case, as pure functions.
//!
//! A customer who asks to leave (cancel a line, port the number out, or pay off a contract
//! early to leave it) opens a case owned by whoever received the request first (首问制). The
//! owner tries to retain the customer and may give small concessions (让利); the central
//! retention desk (维挽中心) takes over escalated cases and may give more; above the desk's limit
//! a concession needs an approver. [`CasePolicy`] holds the limits, the kinds each level may
//! give and the time each level has to act (`cases/policy.toml` is the built-in one,
//! [`builtin_case_policy`]); [`required_level`] says who may give a concession; [`next_status`]
//! is the state machine:
//!
//! ```text
//!           ┌──────── offer within the first line's limit, note, decline ───────┐
//!           ▼                                                                    │
//!  open ──escalate──▶ escalated ──offer above the desk's limit──▶ pending_approval
//!   │  ▲                 │  ▲                                          │
//!   │  └─approve/reject──┼──┼──────────(not escalated)─────────────────┤
//!   │                    │  └──────────approve / reject (escalated)────┘
//!   └──close──▶ closed ◀─close
//! ```
//!
//! Nothing here reads a clock: times are passed in.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use weiwan_domain::Money;
use weiwan_domain::codes::{CaseStatus, ConcessionKind};

/// The text of the built-in policy, `cases/policy.toml`.
pub const BUILTIN_CASE_POLICY: &str = include_str!("../cases/policy.toml");

/// The built-in retention-case policy.
///
/// # Panics
///
/// When the shipped `cases/policy.toml` is refused, which a test rules out.
pub fn builtin_case_policy() -> CasePolicy {
    match parse_case_policy(BUILTIN_CASE_POLICY) {
        Ok(policy) => policy,
        Err(err) => panic!("the built-in case policy is broken: {err}"),
    }
}

/// A parsed, checked retention-case policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CasePolicy {
    pub version: String,
    /// Months of the line's monthly fee a kept line counts as revenue kept.
    pub kept_months: u32,
    /// A contract-payoff case closed retained flags the line "no payoff request" this long.
    pub payoff_lock_months: u32,
    pub first_line: LevelRule,
    pub desk: LevelRule,
    /// The most an approver may approve for one concession.
    pub approval_limit: Money,
}

/// What one level may give, and how long it has to act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelRule {
    /// The most one concession may be worth at this level.
    pub limit: Money,
    /// Hours from the case reaching this level to the level's deadline.
    pub hours: u32,
    pub kinds: Vec<ConcessionKind>,
}

/// Who gives a concession: the first line, the desk, or the desk with an approver's approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    FirstLine,
    Desk,
    Approval,
}

impl Level {
    pub const fn code(self) -> &'static str {
        match self {
            Level::FirstLine => "first_line",
            Level::Desk => "desk",
            Level::Approval => "approval",
        }
    }

    pub const fn label_zh(self) -> &'static str {
        match self {
            Level::FirstLine => "首问一线",
            Level::Desk => "维挽中心",
            Level::Approval => "上级审批",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for Level {
    type Err = String;

    fn from_str(text: &str) -> Result<Level, String> {
        match text {
            "first_line" => Ok(Level::FirstLine),
            "desk" => Ok(Level::Desk),
            "approval" => Ok(Level::Approval),
            other => Err(format!("{other:?} is not one of first_line, desk, approval")),
        }
    }
}

/// A policy was refused; each problem names the table and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the case policy is refused: {}", .problems.join("; "))]
pub struct CasePolicyRefused {
    pub problems: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    version: String,
    kept_months: u32,
    payoff_lock_months: u32,
    first_line: RawLevel,
    desk: RawLevel,
    approval: RawApproval,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLevel {
    limit: String,
    hours: u32,
    kinds: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApproval {
    limit: String,
}

/// Parses and checks a policy (see `cases/policy.toml` for the fields). Refuses it with every
/// problem found: TOML that does not parse or has unknown, missing or mistyped fields (named by
/// the TOML reader); an empty version; `kept_months` outside 1 to 36, `payoff_lock_months`
/// above 60; limits that are not amounts, not positive, or that shrink from the first line to
/// the desk to approval; hours of 0 or above a week; unknown or repeated kinds, a level with
/// none, or a first-line kind the desk may not give.
pub fn parse_case_policy(source: &str) -> Result<CasePolicy, CasePolicyRefused> {
    let raw: RawPolicy = toml::from_str(source).map_err(|err| CasePolicyRefused {
        problems: vec![format!("the policy is not well formed: {}", err.to_string().trim())],
    })?;
    let mut problems = Vec::new();
    if raw.version.trim().is_empty() {
        problems.push("policy: version: must not be empty".to_owned());
    }
    if !(1..=36).contains(&raw.kept_months) {
        problems.push(format!("policy: kept_months: {} is not 1 to 36", raw.kept_months));
    }
    if raw.payoff_lock_months > 60 {
        problems.push(format!("policy: payoff_lock_months: {} is above 60", raw.payoff_lock_months));
    }
    let first_line = level_rule("first_line", &raw.first_line, &mut problems);
    let desk = level_rule("desk", &raw.desk, &mut problems);
    let approval_limit = amount("approval", &raw.approval.limit, &mut problems);
    if let (Some(first), Some(desk)) = (&first_line, &desk) {
        if desk.limit < first.limit {
            problems.push(format!("desk: limit: {} is below the first line's {}", desk.limit, first.limit));
        }
        for kind in &first.kinds {
            if !desk.kinds.contains(kind) {
                problems.push(format!("desk: kinds: the first line may give {kind}, so the desk must too"));
            }
        }
    }
    if let (Some(desk), Some(approval)) = (&desk, approval_limit)
        && approval < desk.limit
    {
        problems.push(format!("approval: limit: {approval} is below the desk's {}", desk.limit));
    }
    match (first_line, desk, approval_limit) {
        (Some(first_line), Some(desk), Some(approval_limit)) if problems.is_empty() => Ok(CasePolicy {
            version: raw.version,
            kept_months: raw.kept_months,
            payoff_lock_months: raw.payoff_lock_months,
            first_line,
            desk,
            approval_limit,
        }),
        _ => Err(CasePolicyRefused { problems }),
    }
}

fn amount(table: &str, text: &str, problems: &mut Vec<String>) -> Option<Money> {
    match Money::parse(text) {
        Ok(money) if money.fen() > 0 => Some(money),
        Ok(money) => {
            problems.push(format!("{table}: limit: {money} must be above 0"));
            None
        }
        Err(err) => {
            problems.push(format!("{table}: limit: {err}"));
            None
        }
    }
}

fn level_rule(table: &str, raw: &RawLevel, problems: &mut Vec<String>) -> Option<LevelRule> {
    let before = problems.len();
    let limit = amount(table, &raw.limit, problems);
    if raw.hours == 0 || raw.hours > 168 {
        problems.push(format!("{table}: hours: {} is not 1 to 168", raw.hours));
    }
    let mut kinds = Vec::new();
    for code in &raw.kinds {
        match code.parse::<ConcessionKind>() {
            Ok(kind) if kinds.contains(&kind) => {
                problems.push(format!("{table}: kinds: {kind} is listed twice"))
            }
            Ok(kind) => kinds.push(kind),
            Err(err) => problems.push(format!("{table}: kinds: {err}")),
        }
    }
    if raw.kinds.is_empty() {
        problems.push(format!("{table}: kinds: names no kind"));
    }
    match limit {
        Some(limit) if problems.len() == before => Some(LevelRule { limit, hours: raw.hours, kinds }),
        _ => None,
    }
}

/// The lowest level that may give a concession of this kind and amount: the first line when
/// its kinds include it and the amount is within its limit, else the desk likewise, else an
/// approver up to the approval limit. Refused (with the reason) when the amount is not
/// positive, or above the approval limit, or the desk may not give the kind at all.
pub fn required_level(policy: &CasePolicy, kind: ConcessionKind, amount: Money) -> Result<Level, String> {
    if amount.fen() <= 0 {
        return Err(format!("a concession must be worth more than 0, not {amount}"));
    }
    if policy.first_line.kinds.contains(&kind) && amount <= policy.first_line.limit {
        return Ok(Level::FirstLine);
    }
    if !policy.desk.kinds.contains(&kind) {
        return Err(format!("no level may give {kind} ({})", kind.label_zh()));
    }
    if amount <= policy.desk.limit {
        return Ok(Level::Desk);
    }
    if amount <= policy.approval_limit {
        return Ok(Level::Approval);
    }
    Err(format!("{amount} yuan is above the most an approver may approve ({} yuan)", policy.approval_limit))
}

/// What someone does to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseStep {
    /// A retention attempt or any remark; changes no state.
    Note,
    /// A concession: offered at once within the actor's level, or asked for approval.
    Offer {
        required: Level,
    },
    /// The customer turned an offered concession down.
    Decline,
    /// The owner hands the case to the central retention desk.
    Escalate,
    /// Someone at the desk takes an escalated case.
    Claim,
    /// An approver decides on a concession waiting for approval.
    Approve,
    Reject,
    /// The case ends with an outcome.
    Close,
}

impl CaseStep {
    pub const fn code(self) -> &'static str {
        match self {
            CaseStep::Note => "note",
            CaseStep::Offer { .. } => "offer",
            CaseStep::Decline => "decline",
            CaseStep::Escalate => "escalate",
            CaseStep::Claim => "claim",
            CaseStep::Approve => "approve",
            CaseStep::Reject => "reject",
            CaseStep::Close => "close",
        }
    }
}

/// The status a step leads to from `status` (`escalated`: whether the case went to the desk
/// before), or why it is not allowed. An offer's `required` level decides: at the first line
/// (an open case) only first-line concessions, which leave it open; at the desk (escalated),
/// first-line and desk concessions leave it escalated, and approval-level ones move it to
/// pending approval. An approval or a rejection returns the case to where it was asked from.
/// A case waiting for approval cannot close: the approver decides first.
pub fn next_status(status: CaseStatus, step: CaseStep, escalated: bool) -> Result<CaseStatus, String> {
    use CaseStatus as S;
    let refuse = |why: &str| Err(format!("a case {} cannot {}: {why}", status.code(), step.code()));
    match (status, step) {
        (S::Closed, _) => refuse("it is closed"),
        (S::Open | S::Escalated | S::PendingApproval, CaseStep::Note) => Ok(status),
        (S::Open, CaseStep::Offer { required: Level::FirstLine }) => Ok(S::Open),
        (S::Open, CaseStep::Offer { .. }) => {
            refuse("above the first line's limit or kinds; escalate to the retention desk")
        }
        (S::Escalated, CaseStep::Offer { required: Level::FirstLine | Level::Desk }) => Ok(S::Escalated),
        (S::Escalated, CaseStep::Offer { required: Level::Approval }) => Ok(S::PendingApproval),
        (S::PendingApproval, CaseStep::Offer { .. }) => refuse("a concession is waiting for approval"),
        (S::Open | S::Escalated, CaseStep::Decline) => Ok(status),
        (S::PendingApproval, CaseStep::Decline) => refuse("a concession is waiting for approval"),
        (S::Open, CaseStep::Escalate) => Ok(S::Escalated),
        (_, CaseStep::Escalate) => refuse("it is already at the retention desk"),
        (S::Escalated, CaseStep::Claim) => Ok(S::Escalated),
        (S::Open, CaseStep::Claim) => refuse("it was not escalated"),
        (S::PendingApproval, CaseStep::Claim) => refuse("a concession is waiting for approval"),
        (S::PendingApproval, CaseStep::Approve | CaseStep::Reject) => {
            Ok(if escalated { S::Escalated } else { S::Open })
        }
        (_, CaseStep::Approve | CaseStep::Reject) => refuse("no concession is waiting for approval"),
        (S::Open | S::Escalated, CaseStep::Close) => Ok(S::Closed),
        (S::PendingApproval, CaseStep::Close) => {
            refuse("a concession is waiting for approval; decide it first")
        }
    }
}

/// When the level holding the case must have acted: the first line within its hours of the
/// opening (by escalating or closing), the desk within its hours of the escalation. `None` for
/// a closed case or one waiting for approval (the approver's turn, not the level's).
pub fn due_at(
    policy: &CasePolicy,
    status: CaseStatus,
    opened_at: DateTime<Utc>,
    escalated_at: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    match status {
        CaseStatus::Open => Some(opened_at + Duration::hours(i64::from(policy.first_line.hours))),
        CaseStatus::Escalated => {
            let from = escalated_at.unwrap_or(opened_at);
            Some(from + Duration::hours(i64::from(policy.desk.hours)))
        }
        CaseStatus::PendingApproval | CaseStatus::Closed => None,
    }
}

/// Whether the level holding the case let its time pass (an open case overdue should be
/// escalated).
pub fn overdue(
    policy: &CasePolicy,
    status: CaseStatus,
    opened_at: DateTime<Utc>,
    escalated_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    due_at(policy, status, opened_at, escalated_at).is_some_and(|due| now > due)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn yuan(text: &str) -> Money {
        Money::parse(text).expect("amount")
    }

    #[test]
    fn the_builtin_policy_parses() {
        let policy = builtin_case_policy();
        assert_eq!(policy.first_line.limit, yuan("50"));
        assert_eq!(policy.desk.limit, yuan("300"));
        assert_eq!(policy.approval_limit, yuan("2000"));
        assert_eq!(policy.first_line.hours, 24);
    }

    #[test]
    fn a_bad_policy_names_every_problem() {
        let source = r#"
version = ""
kept_months = 0
payoff_lock_months = 99
[first_line]
limit = "500"
hours = 0
kinds = ["bill_credit", "gold_bars", "bill_credit"]
[desk]
limit = "3.001"
hours = 48
kinds = ["data_pack"]
[approval]
limit = "100"
"#;
        let refused = parse_case_policy(source).expect_err("refused");
        let text = refused.problems.join("\n");
        for expected in [
            "policy: version: must not be empty",
            "policy: kept_months: 0 is not 1 to 36",
            "policy: payoff_lock_months: 99 is above 60",
            "first_line: hours: 0 is not 1 to 168",
            "first_line: kinds: \"gold_bars\" is not one of",
            "first_line: kinds: bill_credit is listed twice",
            "desk: limit: \"3.001\"",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
        let shrinking = BUILTIN_CASE_POLICY.replace("limit = \"2000\"", "limit = \"100\"");
        let refused = parse_case_policy(&shrinking).expect_err("refused");
        assert_eq!(refused.problems, ["approval: limit: 100.00 is below the desk's 300.00"]);
        let unknown = format!("{BUILTIN_CASE_POLICY}\ncolour = \"red\"\n");
        let refused = parse_case_policy(&unknown).expect_err("refused");
        assert!(refused.problems[0].contains("colour"), "{refused}");
        let narrow = BUILTIN_CASE_POLICY.replace(
            "kinds = [\"bill_credit\", \"data_pack\", \"plan_discount\", \"device_subsidy\", \"penalty_waiver\"]",
            "kinds = [\"plan_discount\"]",
        );
        let refused = parse_case_policy(&narrow).expect_err("refused");
        assert_eq!(refused.problems.len(), 2, "{refused}");
    }

    #[test]
    fn levels_follow_limits_and_kinds() {
        let policy = builtin_case_policy();
        use ConcessionKind as K;
        let table = [
            (K::BillCredit, "30", Ok(Level::FirstLine)),
            (K::BillCredit, "50", Ok(Level::FirstLine)),
            (K::BillCredit, "50.01", Ok(Level::Desk)),
            (K::PlanDiscount, "10", Ok(Level::Desk)),
            (K::DeviceSubsidy, "300", Ok(Level::Desk)),
            (K::DeviceSubsidy, "300.01", Ok(Level::Approval)),
            (K::PenaltyWaiver, "2000", Ok(Level::Approval)),
        ];
        for (kind, amount, expected) in table {
            assert_eq!(required_level(&policy, kind, yuan(amount)), expected, "{kind} {amount}");
        }
        assert!(
            required_level(&policy, K::BillCredit, yuan("2000.01"))
                .expect_err("too much")
                .contains("2000.00")
        );
        assert!(required_level(&policy, K::BillCredit, yuan("0")).is_err());
    }

    #[test]
    fn the_state_machine_allows_only_its_arrows() {
        use CaseStatus as S;
        let offer = |required| CaseStep::Offer { required };
        let table = [
            (S::Open, CaseStep::Note, false, Some(S::Open)),
            (S::Open, offer(Level::FirstLine), false, Some(S::Open)),
            (S::Open, offer(Level::Desk), false, None),
            (S::Open, offer(Level::Approval), false, None),
            (S::Open, CaseStep::Escalate, false, Some(S::Escalated)),
            (S::Open, CaseStep::Claim, false, None),
            (S::Open, CaseStep::Approve, false, None),
            (S::Open, CaseStep::Close, false, Some(S::Closed)),
            (S::Escalated, CaseStep::Claim, true, Some(S::Escalated)),
            (S::Escalated, offer(Level::Desk), true, Some(S::Escalated)),
            (S::Escalated, offer(Level::Approval), true, Some(S::PendingApproval)),
            (S::Escalated, CaseStep::Escalate, true, None),
            (S::Escalated, CaseStep::Close, true, Some(S::Closed)),
            (S::PendingApproval, CaseStep::Approve, true, Some(S::Escalated)),
            (S::PendingApproval, CaseStep::Reject, true, Some(S::Escalated)),
            (S::PendingApproval, CaseStep::Approve, false, Some(S::Open)),
            (S::PendingApproval, CaseStep::Close, true, None),
            (S::PendingApproval, offer(Level::Desk), true, None),
            (S::Closed, CaseStep::Note, true, None),
            (S::Closed, CaseStep::Close, true, None),
        ];
        for (from, step, escalated, expected) in table {
            let got = next_status(from, step, escalated);
            assert_eq!(got.as_ref().ok().copied(), expected, "{from} {} -> {got:?}", step.code());
        }
        let err = next_status(S::Closed, CaseStep::Escalate, false).expect_err("closed");
        assert_eq!(err, "a case closed cannot escalate: it is closed");
    }

    #[test]
    fn each_level_has_its_deadline() {
        let policy = builtin_case_policy();
        let opened = Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).single().expect("time");
        let escalated = opened + Duration::hours(30);
        assert_eq!(due_at(&policy, CaseStatus::Open, opened, None), Some(opened + Duration::hours(24)));
        assert_eq!(
            due_at(&policy, CaseStatus::Escalated, opened, Some(escalated)),
            Some(escalated + Duration::hours(48))
        );
        assert_eq!(due_at(&policy, CaseStatus::Closed, opened, Some(escalated)), None);
        assert!(!overdue(&policy, CaseStatus::Open, opened, None, opened + Duration::hours(24)));
        assert!(overdue(&policy, CaseStatus::Open, opened, None, opened + Duration::hours(25)));
    }
}
