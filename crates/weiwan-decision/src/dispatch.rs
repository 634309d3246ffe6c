//! Dispatch 派单: who calls whom today, and what an SMS says.
//!
//! Outbound call lists are balanced by capacity: each call waiting in the outbound queue goes,
//! most urgent first, to the outbound manager of its branch with the most calls left today, so
//! that managers of equal capacity end the day within one call of each other and nobody is
//! given more than they can make. The call centre's daily capacity caps the whole day.
//!
//! SMS batches are rendered from a template whose placeholders are checked before anything
//! is sent: `{offer_zh}`, `{offer_en}` (the offer's terms), `{offer_name_zh}`,
//! `{offer_name_en}` and `{valid_to}`.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::template::{Piece, fill, pieces};

/// A call waiting in the outbound queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedCall {
    pub task_id: i64,
    pub branch_id: String,
    /// 0 urgent, 1 high, 2 normal, 3 low.
    pub priority: u8,
    pub due_on: NaiveDate,
}

/// An outbound manager and the calls they can still make today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub manager_id: String,
    pub branch_id: String,
    pub capacity: u32,
}

/// What balancing decided: each call given to a manager, and the calls left in the queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallPlan {
    /// (task id, manager id), most urgent first.
    pub assigned: Vec<(i64, String)>,
    /// Calls no manager of their branch had capacity for (or past the centre's capacity).
    pub left: Vec<i64>,
}

/// Gives each queued call, most urgent and earliest due first, to the manager of its branch
/// with the most capacity left (ties: the manager id), until the managers' or the centre's
/// capacity (`centre_capacity`, calls for the whole day) runs out.
pub fn balance_calls(calls: &[QueuedCall], callers: &[Caller], centre_capacity: Option<u32>) -> CallPlan {
    let mut order: Vec<&QueuedCall> = calls.iter().collect();
    order.sort_by_key(|c| (c.priority, c.due_on, c.task_id));
    let mut left_today: BTreeMap<&str, Vec<(&str, u32)>> = BTreeMap::new();
    for caller in callers {
        left_today
            .entry(caller.branch_id.as_str())
            .or_default()
            .push((caller.manager_id.as_str(), caller.capacity));
    }
    let mut centre = centre_capacity.unwrap_or(u32::MAX);
    let mut plan = CallPlan::default();
    for call in order {
        let chosen = left_today.get_mut(call.branch_id.as_str()).and_then(|managers| {
            managers
                .iter_mut()
                .filter(|(_, left)| *left > 0)
                .max_by(|(a_id, a_left), (b_id, b_left)| a_left.cmp(b_left).then_with(|| b_id.cmp(a_id)))
        });
        match chosen {
            Some((manager, left)) if centre > 0 => {
                *left -= 1;
                centre -= 1;
                plan.assigned.push((call.task_id, (*manager).to_owned()));
            }
            _ => plan.left.push(call.task_id),
        }
    }
    plan
}

/// The placeholders an SMS template may use.
pub const SMS_PLACEHOLDERS: [&str; 5] =
    ["offer_zh", "offer_en", "offer_name_zh", "offer_name_en", "valid_to"];

/// Longest SMS text accepted, in characters (a long message of several segments).
pub const SMS_MAX_CHARS: usize = 300;

/// Checks an SMS template: not empty, at most [`SMS_MAX_CHARS`], and every `{…}` one of
/// [`SMS_PLACEHOLDERS`]. Every problem is named.
pub fn check_sms_template(template: &str) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    if template.trim().is_empty() {
        problems.push("template: empty".to_owned());
    }
    if template.chars().count() > SMS_MAX_CHARS {
        problems.push(format!("template: more than {SMS_MAX_CHARS} characters"));
    }
    for piece in pieces(template) {
        match piece {
            Piece::Name(name) if !SMS_PLACEHOLDERS.contains(&name) => problems.push(format!(
                "template: unknown placeholder {{{name}}} (known: {})",
                SMS_PLACEHOLDERS.join(", ")
            )),
            Piece::Odd(text) => problems.push(format!("template: {text:?} is not a placeholder")),
            _ => {}
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// What an SMS about an offer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsOffer<'a> {
    pub terms_zh: &'a str,
    pub terms_en: &'a str,
    pub name_zh: &'a str,
    pub name_en: &'a str,
    pub valid_to: NaiveDate,
}

/// Renders a checked template for one offer.
pub fn render_sms(template: &str, offer: &SmsOffer<'_>) -> String {
    fill(template, |name| match name {
        "offer_zh" => Some(offer.terms_zh.to_owned()),
        "offer_en" => Some(offer.terms_en.to_owned()),
        "offer_name_zh" => Some(offer.name_zh.to_owned()),
        "offer_name_en" => Some(offer.name_en.to_owned()),
        "valid_to" => Some(offer.valid_to.to_string()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).expect("date")
    }

    fn call(task_id: i64, branch: &str, priority: u8, due: u32) -> QueuedCall {
        QueuedCall { task_id, branch_id: branch.into(), priority, due_on: day(due) }
    }

    fn caller(id: &str, branch: &str, capacity: u32) -> Caller {
        Caller { manager_id: id.into(), branch_id: branch.into(), capacity }
    }

    fn per_manager(plan: &CallPlan) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for (_, manager) in &plan.assigned {
            *counts.entry(manager.clone()).or_default() += 1;
        }
        counts
    }

    #[test]
    fn equal_managers_end_within_one_call_of_each_other() {
        let calls: Vec<QueuedCall> = (0..101).map(|n| call(n, "B1", 2, 30)).collect();
        let callers = [caller("m1", "B1", 80), caller("m2", "B1", 80), caller("m3", "B1", 80)];
        let plan = balance_calls(&calls, &callers, None);
        let counts = per_manager(&plan);
        assert_eq!(counts.values().sum::<usize>(), 101);
        let (min, max) = (counts.values().min().copied(), counts.values().max().copied());
        assert_eq!((min, max), (Some(33), Some(34)), "{counts:?}");
        assert!(plan.left.is_empty());
    }

    #[test]
    fn nobody_gets_more_than_their_capacity_and_the_most_urgent_go_first() {
        let mut calls: Vec<QueuedCall> = (0..10).map(|n| call(n, "B1", 3, 20)).collect();
        calls.push(call(100, "B1", 0, 30));
        calls.push(call(101, "B1", 2, 21));
        let callers = [caller("m1", "B1", 2), caller("m2", "B1", 1)];
        let plan = balance_calls(&calls, &callers, None);
        let ids: Vec<i64> = plan.assigned.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [100, 101, 0], "urgent, then high by due date, then the earliest low");
        assert_eq!(per_manager(&plan), BTreeMap::from([("m1".into(), 2), ("m2".into(), 1)]));
        assert_eq!(plan.left.len(), 9);
    }

    #[test]
    fn calls_stay_in_their_branch_and_within_the_centre_capacity() {
        let calls = [call(1, "B1", 2, 30), call(2, "B2", 2, 30), call(3, "B3", 2, 30), call(4, "B1", 2, 30)];
        let callers = [caller("m1", "B1", 10), caller("m2", "B2", 10)];
        let plan = balance_calls(&calls, &callers, Some(2));
        assert_eq!(plan.assigned, [(1, "m1".to_owned()), (2, "m2".to_owned())]);
        assert_eq!(plan.left, [3, 4], "B3 has no manager; the centre's 2 calls are made");
    }

    #[test]
    fn sms_templates_are_checked_and_rendered() {
        assert!(check_sms_template("【维挽】{offer_zh}，{valid_to}前有效。").is_ok());
        let problems = check_sms_template("{offer} {x-1} {").expect_err("refused");
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("unknown placeholder {offer}"), "{problems:?}");
        assert!(check_sms_template(" ").is_err());
        assert!(check_sms_template(&"字".repeat(301)).is_err());
        let offer = SmsOffer {
            terms_zh: "存100送60",
            terms_en: "prepay 100, get 60",
            name_zh: "存费赠费",
            name_en: "Prepay bonus",
            valid_to: day(30),
        };
        assert_eq!(
            render_sms("【维挽】{offer_name_zh}：{offer_zh}，{valid_to}前有效", &offer),
            "【维挽】存费赠费：存100送60，2026-11-30前有效"
        );
    }
}
