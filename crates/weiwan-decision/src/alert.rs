//! From a rule and the facts of an event or a query row to an alert: the task to raise, its
//! owner or queue, its due date and its reason in Chinese and English.
//!
//! An alert is identified by its rule, its subject (the line, or the customer for
//! customer-level rules) and its cause; raising the same alert twice should create one task,
//! which the store sees to.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate, NaiveDateTime};
use weiwan_domain::codes::{EventType, RuleCategory, TaskAction, TaskPriority, TaskQueue, VipTier};

use crate::rules::{Assign, Rule, RuleBook, Trigger, date_placeholder};
use crate::template;

/// Whom an alert is about, as the store knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub customer_id: String,
    /// The line; `None` for a customer-level alert.
    pub subscription_id: Option<String>,
    /// The customer's recorded VIP tier: what rules' `tiers` filter on.
    pub tier: VipTier,
    pub branch_id: String,
    /// The customer's account manager, if any.
    pub manager_id: Option<String>,
}

/// A task to raise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub rule_id: String,
    pub category: RuleCategory,
    pub action: TaskAction,
    /// The subscription id, or the customer id for a customer-level alert.
    pub subject_key: String,
    /// What makes the alert unique for its rule and subject (an event id, a date, a month …).
    pub cause: String,
    pub customer_id: String,
    pub subscription_id: Option<String>,
    pub branch_id: String,
    /// The manager who owns the task; `None` when it waits in `queue`.
    pub manager_id: Option<String>,
    /// The queue the task waits in; `None` when a manager owns it.
    pub queue: Option<TaskQueue>,
    pub priority: TaskPriority,
    pub due_on: NaiveDate,
    pub reason_zh: String,
    pub reason_en: String,
}

/// An event as the event rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventFacts<'a> {
    pub event_id: &'a str,
    pub event_type: EventType,
    /// China Standard Time, as in the extracts.
    pub occurred_at: NaiveDateTime,
    pub detail: Option<&'a str>,
}

/// The language a reason is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Zh,
    En,
}

fn event_fact(event: &EventFacts<'_>, name: &str, lang: Lang) -> Option<String> {
    Some(match name {
        "occurred_on" => event.occurred_at.date().to_string(),
        "occurred_at" => event.occurred_at.format("%Y-%m-%d %H:%M:%S").to_string(),
        "event_type" => match lang {
            Lang::Zh => event.event_type.label_zh(),
            Lang::En => event.event_type.label_en(),
        }
        .to_owned(),
        "detail" => event.detail.unwrap_or("").to_owned(),
        _ => return None,
    })
}

impl RuleBook {
    /// Every event rule that matches the event (its type, the detail filters and the
    /// subject's tier), as alerts raised `today`. The cause follows the rule's `once_per`.
    pub fn event_alerts(&self, event: &EventFacts<'_>, subject: &Subject, today: NaiveDate) -> Vec<Alert> {
        self.rules
            .iter()
            .filter_map(|rule| {
                let Trigger::Event(trigger) = &rule.trigger else {
                    return None;
                };
                if !trigger.matches(event.event_type, event.detail) || !rule.applies_to(subject.tier) {
                    return None;
                }
                let cause = trigger.once_per.cause(event.event_id, event.occurred_at);
                Some(self.raise(rule, subject, cause, today, |name, lang| event_fact(event, name, lang)))
            })
            .collect()
    }

    /// The alert for one row of a data rule's query, raised `today`: `None` when the subject's
    /// tier is outside the rule's tiers. `facts` are the row's other columns as display text;
    /// the reasons quote them by name.
    pub fn data_alert(
        &self,
        rule: &Rule,
        subject: &Subject,
        cause: &str,
        facts: &BTreeMap<String, String>,
        today: NaiveDate,
    ) -> Option<Alert> {
        if !rule.applies_to(subject.tier) {
            return None;
        }
        Some(self.raise(rule, subject, cause.to_owned(), today, |name, _| facts.get(name).cloned()))
    }

    /// Builds the alert. Placeholders in the reasons are filled from `facts`, then `{tier}`
    /// (the subject's tier label), the date placeholders of `today` and the params; any other
    /// is left as written.
    fn raise(
        &self,
        rule: &Rule,
        subject: &Subject,
        cause: String,
        today: NaiveDate,
        facts: impl Fn(&str, Lang) -> Option<String>,
    ) -> Alert {
        let manager = subject.manager_id.as_deref().filter(|manager| !manager.is_empty());
        let (manager_id, queue) = match (rule.assign, manager) {
            (Assign::Manager, Some(manager)) => (Some(manager.to_owned()), None),
            _ => (None, Some(rule.queue)),
        };
        let render = |template_text: &str, lang: Lang| {
            template::fill(template_text, |name| {
                facts(name, lang)
                    .or_else(|| {
                        (name == "tier").then(|| {
                            match lang {
                                Lang::Zh => subject.tier.label_zh(),
                                Lang::En => subject.tier.label_en(),
                            }
                            .to_owned()
                        })
                    })
                    .or_else(|| date_placeholder(name, today))
                    .or_else(|| self.params.get(name).map(|param| param.to_text()))
            })
        };
        Alert {
            rule_id: rule.id.clone(),
            category: rule.category,
            action: rule.action,
            subject_key: subject.subscription_id.clone().unwrap_or_else(|| subject.customer_id.clone()),
            cause,
            customer_id: subject.customer_id.clone(),
            subscription_id: subject.subscription_id.clone(),
            branch_id: subject.branch_id.clone(),
            manager_id,
            queue,
            priority: rule.priority,
            due_on: today.checked_add_days(Days::new(u64::from(rule.due_days))).unwrap_or(today),
            reason_zh: render(&rule.reason_zh, Lang::Zh),
            reason_en: render(&rule.reason_en, Lang::En),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::rules::{builtin, parse_rulebook};

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("a test date")
    }

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").expect("a test time")
    }

    fn line(tier: VipTier, manager: Option<&str>) -> Subject {
        Subject {
            customer_id: "C1".into(),
            subscription_id: Some("S1".into()),
            tier,
            branch_id: "B1".into(),
            manager_id: manager.map(str::to_owned),
        }
    }

    fn event<'a>(event_type: EventType, detail: Option<&'a str>) -> EventFacts<'a> {
        EventFacts { event_id: "E1", event_type, occurred_at: at("2026-03-05 10:20:30"), detail }
    }

    fn fired(
        book: &RuleBook,
        event_type: EventType,
        detail: Option<&str>,
        tier: VipTier,
    ) -> BTreeSet<String> {
        book.event_alerts(&event(event_type, detail), &line(tier, Some("M1")), date("2026-03-05"))
            .into_iter()
            .map(|alert| alert.rule_id)
            .collect()
    }

    #[test]
    fn each_builtin_event_rule_fires_for_exactly_its_events() {
        let book = builtin();
        use EventType::*;
        use VipTier::*;
        let cases: &[(EventType, Option<&str>, VipTier, &[&str])] = &[
            (CallForwardingSet, Some("转移至13800000000"), Mass, &["call_forwarding"]),
            (CompetitorServiceCall, Some("10010"), Gold, &["competitor_service_call"]),
            (PortingInquiry, None, Member, &["porting_inquiry"]),
            (DisconnectionRequest, Some("营业厅申请"), Diamond, &["pre_disconnect"]),
            (Suspension, Some("用户申请停机"), Gold, &["voluntary_suspension"]),
            (Suspension, Some("挂失停机"), Mass, &["voluntary_suspension"]),
            (Suspension, None, Mass, &["voluntary_suspension"]),
            (Suspension, Some("欠费停机"), Gold, &["arrears_suspension"]),
            (Suspension, Some("停机保号"), Gold, &["number_keep"]),
            (Arrears, Some("月结欠费"), Diamond, &["vip_arrears"]),
            (Arrears, Some("月结欠费"), Gold, &["vip_arrears"]),
            (Arrears, Some("月结欠费"), Silver, &["vip_arrears"]),
            (Arrears, Some("月结欠费"), Member, &["arrears_reminder"]),
            (Arrears, None, Mass, &["arrears_reminder"]),
            (Complaint, Some("网络信号差"), Silver, &["complaint_followup"]),
            (PlanChange, Some("变更为5G畅享96元套餐"), Gold, &[]),
            (Reactivation, None, Gold, &[]),
            (Disconnection, None, Gold, &[]),
        ];
        for (event_type, detail, tier, expected) in cases {
            let expected: BTreeSet<String> = expected.iter().map(|id| (*id).to_owned()).collect();
            assert_eq!(fired(&book, *event_type, *detail, *tier), expected, "{event_type} {detail:?} {tier}");
        }
        // Every event type is covered by the table above.
        let covered: BTreeSet<EventType> = cases.iter().map(|case| case.0).collect();
        assert_eq!(covered.len(), EventType::ALL.len());
    }

    #[test]
    fn once_per_sets_the_cause_key() {
        let book = builtin();
        let subject = line(VipTier::Gold, Some("M1"));
        let today = date("2026-03-05");
        let raise = |rule_id: &str, event_id: &'static str, occurred_at: &str, event_type: EventType| {
            let facts =
                EventFacts {
                    event_id, event_type, occurred_at: at(occurred_at), detail: Some("月结欠费")
                };
            book.event_alerts(&facts, &subject, today)
                .into_iter()
                .find(|alert| alert.rule_id == rule_id)
                .expect("the rule fires")
                .cause
        };
        // once_per = day: two events the same day share the cause; the next day is another.
        let morning =
            raise("competitor_service_call", "E1", "2026-03-05 08:00:00", EventType::CompetitorServiceCall);
        let evening =
            raise("competitor_service_call", "E2", "2026-03-05 21:00:00", EventType::CompetitorServiceCall);
        let next_day =
            raise("competitor_service_call", "E3", "2026-03-06 08:00:00", EventType::CompetitorServiceCall);
        assert_eq!(
            (morning.as_str(), evening.as_str(), next_day.as_str()),
            ("2026-03-05", "2026-03-05", "2026-03-06")
        );
        // once_per = event: the event id.
        assert_eq!(
            raise("pre_disconnect", "E7", "2026-03-05 08:00:00", EventType::DisconnectionRequest),
            "E7"
        );
        // once_per = month: the month.
        assert_eq!(raise("vip_arrears", "E8", "2026-03-31 23:59:59", EventType::Arrears), "2026-03");
    }

    #[test]
    fn tasks_go_to_the_manager_or_to_the_queue() {
        let book = builtin();
        let today = date("2026-03-05");
        let porting = event(EventType::PortingInquiry, None);
        let with_manager = book.event_alerts(&porting, &line(VipTier::Gold, Some("M1")), today);
        assert_eq!(with_manager.len(), 1);
        assert_eq!((with_manager[0].manager_id.as_deref(), with_manager[0].queue), (Some("M1"), None));
        for manager in [None, Some("")] {
            let without = book.event_alerts(&porting, &line(VipTier::Mass, manager), today);
            assert_eq!(
                (without[0].manager_id.as_deref(), without[0].queue),
                (None, Some(TaskQueue::Retention))
            );
        }
        // assign = queue: the queue even when the customer has a manager.
        let request = event(EventType::DisconnectionRequest, None);
        let alerts = book.event_alerts(&request, &line(VipTier::Diamond, Some("M1")), today);
        assert_eq!((alerts[0].manager_id.as_deref(), alerts[0].queue), (None, Some(TaskQueue::Retention)));
        assert_eq!((alerts[0].priority, alerts[0].due_on), (TaskPriority::Urgent, today));
    }

    #[test]
    fn an_event_alert_carries_the_rule_and_the_subject() {
        let book = builtin();
        let alerts = book.event_alerts(
            &event(EventType::Arrears, Some("月结欠费 128.50元")),
            &line(VipTier::Gold, Some("M1")),
            date("2026-03-06"),
        );
        assert_eq!(
            alerts,
            vec![Alert {
                rule_id: "vip_arrears".into(),
                category: RuleCategory::Warning,
                action: TaskAction::Call,
                subject_key: "S1".into(),
                cause: "2026-03".into(),
                customer_id: "C1".into(),
                subscription_id: Some("S1".into()),
                branch_id: "B1".into(),
                manager_id: Some("M1".into()),
                queue: None,
                priority: TaskPriority::Urgent,
                due_on: date("2026-03-07"),
                reason_zh: "金卡客户 2026-03-05 欠费：月结欠费 128.50元。不轻易停机：请先提醒客户缴费，经客户经理确认后方可停机"
                    .into(),
                reason_en: "gold customer in arrears on 2026-03-05: 月结欠费 128.50元. Do not suspend lightly: remind \
                            the customer first; the line may be suspended only once a manager confirms"
                    .into(),
            }]
        );
    }

    #[test]
    fn reasons_are_rendered_in_both_languages() {
        let text = r#"
version = "t"
[params]
floor = 5
[[rule]]
id = "ev"
name_zh = "事件"
name_en = "Event"
category = "warning"
action = "call"
priority = "high"
due_days = 2
assign = "manager"
queue = "hotline"
event = ["competitor_service_call", "porting_inquiry"]
once_per = "event"
reason_zh = "{occurred_at}|{occurred_on}|{event_type}|{detail}|{tier}|{month}|{floor}"
reason_en = "{occurred_at}|{occurred_on}|{event_type}|{detail}|{tier}|{quarter}|{floor}"

[[rule]]
id = "data"
name_zh = "数据"
name_en = "Data"
category = "care"
action = "visit"
priority = "low"
due_days = 3
assign = "manager"
queue = "store"
tiers = ["gold"]
cadence = "monthly"
reason_zh = "{period} {tier} {floor} {missing}"
reason_en = "{period} {tier} {floor} {missing}"
sql = "SELECT customer_id, NULL AS subscription_id, '{month}' AS cause, '{month}' AS period FROM customers"
"#;
        let book = parse_rulebook(text).expect("parses");
        let alerts = book.event_alerts(
            &event(EventType::PortingInquiry, None),
            &line(VipTier::Mass, None),
            date("2026-03-05"),
        );
        assert_eq!(alerts[0].reason_zh, "2026-03-05 10:20:30|2026-03-05|携号转网咨询||大众客户|2026-03|5");
        assert_eq!(
            alerts[0].reason_en,
            "2026-03-05 10:20:30|2026-03-05|porting inquiry||mass market|2026-Q1|5"
        );
        assert_eq!((alerts[0].cause.as_str(), alerts[0].queue), ("E1", Some(TaskQueue::Hotline)));

        let rule = book.rule("data").expect("data");
        let customer = Subject { subscription_id: None, ..line(VipTier::Gold, Some("M9")) };
        let facts = BTreeMap::from([("period".to_owned(), "2026-Q1".to_owned())]);
        let alert = book
            .data_alert(rule, &customer, "2026-Q1/visit", &facts, date("2026-04-01"))
            .expect("gold applies");
        assert_eq!(alert.reason_zh, "2026-Q1 金卡 5 {missing}");
        assert_eq!(alert.reason_en, "2026-Q1 gold 5 {missing}");
        assert_eq!((alert.subject_key.as_str(), alert.subscription_id.as_deref()), ("C1", None));
        assert_eq!((alert.cause.as_str(), alert.due_on), ("2026-Q1/visit", date("2026-04-04")));
        assert_eq!((alert.action, alert.manager_id.as_deref()), (TaskAction::Visit, Some("M9")));
        // Outside the rule's tiers: no alert.
        let silver = Subject { tier: VipTier::Silver, ..customer };
        assert_eq!(book.data_alert(rule, &silver, "2026-Q1/visit", &facts, date("2026-04-01")), None);
    }

    #[test]
    fn builtin_data_rules_quote_their_row() {
        let book = builtin();
        let rule = book.rule("contract_expiring_30").expect("contract_expiring_30");
        let facts = BTreeMap::from([
            ("ends_on".to_owned(), "2026-03-20".to_owned()),
            ("contract_zh".to_owned(), "合约购机".to_owned()),
            ("contract_en".to_owned(), "device contract".to_owned()),
            ("contracts".to_owned(), "1".to_owned()),
        ]);
        let alert = book
            .data_alert(rule, &line(VipTier::Mass, None), "2026-03-20/30", &facts, date("2026-03-05"))
            .expect("all tiers");
        assert_eq!(alert.reason_zh, "合约购机将于 2026-03-20 到期（30天内），请尽快联系续约");
        assert_eq!(
            alert.reason_en,
            "The device contract ends on 2026-03-20 (within 30 days): call about renewing soon"
        );
        assert_eq!((alert.queue, alert.priority), (Some(TaskQueue::Retention), TaskPriority::High));
        let birthday = book.rule("birthday").expect("birthday");
        let facts = BTreeMap::from([("birthday".to_owned(), "03-09".to_owned())]);
        assert!(
            book.data_alert(birthday, &line(VipTier::Member, None), "2026", &facts, date("2026-03-05"))
                .is_none()
        );
        let alert = book
            .data_alert(birthday, &line(VipTier::Diamond, None), "2026", &facts, date("2026-03-05"))
            .expect("VIP");
        assert_eq!(alert.reason_zh, "钻石卡客户 03-09 生日，请致电祝福");
    }
}
