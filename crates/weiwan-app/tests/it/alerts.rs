//! Warning and care rules raising tasks: every data rule of the built-in book from the
//! synthetic operator's data through the daily batch, every event rule from events, and
//! deduplication of both.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use weiwan_app::events::{EventSender, IncomingEvent, apply_events};
use weiwan_app::{Lake, Store, import_extract};
use weiwan_domain::TableId;
use weiwan_storage::TaskFilter;

use super::churn::date;
use super::now;

/// A synthetic operator of a year's history up to October 2026.
async fn operator(subscribers: u64) -> (tempfile::TempDir, Arc<dyn Store>, Lake) {
    super::churn::operator(subscribers, 12, 5).await
}

async fn all_tasks(store: &dyn Store, rule: &str) -> Vec<weiwan_storage::TaskRecord> {
    let filter = TaskFilter { rule_id: Some(rule.into()), limit: 100_000, ..TaskFilter::default() };
    store.tasks(&filter).await.expect("tasks")
}

#[tokio::test]
async fn every_data_rule_raises_tasks_once() {
    let (work, store, lake) = operator(3000).await;
    let as_of = date("2026-11-01");
    // A holiday three days ahead, so the holiday greeting is due on this date.
    let source = weiwan_decision::rules::BUILTIN_SOURCE
        .replace("version = \"builtin-1\"", "version = \"test-holiday\"")
        .replace("\"2026-10-01\",", "\"2026-10-01\", \"2026-11-04\",");
    let book = weiwan_app::rules::load_rulebook(&lake, &source).await.expect("a valid book");
    assert_eq!(weiwan_app::rules::active_rulebook(&lake).expect("in force").version, "test-holiday");

    // The simulator's points expire no earlier than 2027: a later extract brings points earned
    // in October that expire at the end of the year, so the points reminder has work.
    let lines = store.dump_table(TableId::Subscriptions).await.expect("lines");
    let line_table = TableId::Subscriptions.table();
    let mut given_points: Vec<String> = lines
        .iter()
        .filter(|row| row[line_table.index("status")].as_text() == Some("active"))
        .map(|row| row[line_table.index("customer_id")].as_text().expect("id").to_owned())
        .collect();
    given_points.dedup();
    given_points.truncate(5);
    let extra = work.path().join("points-extract");
    std::fs::create_dir_all(&extra).expect("dir");
    let mut ledger = String::from("entry_id,customer_id,occurred_on,kind,points,expires_on\n");
    for (n, customer) in given_points.iter().enumerate() {
        ledger.push_str(&format!("PX{n},{customer},2026-10-15,earn,2000,2026-12-31\n"));
    }
    std::fs::write(extra.join("points_ledger.csv"), ledger).expect("write");
    import_extract(store.as_ref(), &lake, &extra, now()).await.expect("import the points");

    let first = weiwan_app::run_daily_batch(store.as_ref(), &lake, as_of, now()).await.expect("batch");
    let data_rules: BTreeSet<String> = book.data_rules().map(|r| r.id.clone()).collect();
    assert_eq!(
        first.alerts.by_rule.keys().cloned().collect::<BTreeSet<_>>(),
        data_rules,
        "all due on the 1st"
    );
    let silent: Vec<&String> =
        first.alerts.by_rule.iter().filter(|(_, (_, created))| *created == 0).map(|(rule, _)| rule).collect();
    assert!(silent.is_empty(), "rules that raised nothing: {silent:?} ({:?})", first.alerts.by_rule);

    // Each task goes to the customer's manager, or to the rule's queue when the customer has
    // none or the rule says so, with reasons in both languages and a due date ahead.
    let customers = store.dump_table(TableId::Customers).await.expect("customers");
    let table = TableId::Customers.table();
    let manager_of: BTreeMap<String, Option<String>> = customers
        .iter()
        .map(|row| {
            let id = row[table.index("customer_id")].as_text().expect("id").to_owned();
            (id, row[table.index("manager_id")].as_text().map(str::to_owned))
        })
        .collect();
    for rule in book.data_rules() {
        let tasks = all_tasks(store.as_ref(), &rule.id).await;
        assert_eq!(tasks.len() as u64, first.alerts.by_rule[&rule.id].1, "{}", rule.id);
        for task in &tasks {
            let t = &task.task;
            assert!(!t.reason_zh.is_empty() && !t.reason_en.is_empty(), "{}: {t:?}", rule.id);
            assert!(!t.reason_en.contains('{'), "{}: unfilled placeholder in {:?}", rule.id, t.reason_en);
            assert!(t.due_on.as_str() >= "2026-11-01", "{}: due {}", rule.id, t.due_on);
            let manager = manager_of[&t.customer_id].clone();
            match (&t.manager_id, &t.queue) {
                (Some(owner), None) => assert_eq!(Some(owner), manager.as_ref(), "{}", rule.id),
                (None, Some(queue)) => {
                    assert!(manager.is_none() || queue == rule.queue.code(), "{}", rule.id)
                }
                other => panic!("{}: a task with owner {other:?}", rule.id),
            }
        }
    }
    // A few facts behind the tasks: the points reminder is for the five customers given points;
    // VIP routine calls are two a month for diamond and gold.
    let points: BTreeSet<String> =
        all_tasks(store.as_ref(), "points_expiring").await.into_iter().map(|t| t.task.customer_id).collect();
    assert_eq!(points, given_points.iter().cloned().collect::<BTreeSet<_>>());
    let calls = all_tasks(store.as_ref(), "vip_routine_call").await;
    let causes: BTreeSet<&str> = calls.iter().map(|t| t.task.cause.as_str()).collect();
    assert!(causes.contains("2026-11/call-1") && causes.contains("2026-11/call-2"), "{causes:?}");

    // The same day again: every rule finds the same rows and raises nothing new.
    let again = weiwan_app::run_daily_batch(store.as_ref(), &lake, as_of, now()).await.expect("batch");
    assert_eq!(again.alerts.tasks(), 0, "{:?}", again.alerts.by_rule);
    for (rule, (found, _)) in &again.alerts.by_rule {
        assert_eq!(*found, first.alerts.by_rule[rule].0, "{rule}");
    }
    // The next day: monthly rules are not due, and daily ones raise only what is new.
    let next =
        weiwan_app::run_daily_batch(store.as_ref(), &lake, date("2026-11-02"), now()).await.expect("batch");
    assert!(!next.alerts.by_rule.contains_key("zero_usage"), "monthly rules wait for the 1st");
    assert!(next.alerts.by_rule.contains_key("contract_expiring_30"));
}

#[tokio::test]
async fn every_event_rule_raises_its_task_once() {
    let (_work, store, lake) = operator(400).await;
    let book = weiwan_app::rules::active_rulebook(&lake).expect("book");
    // A line of a gold customer with a manager, and one of a mass-market customer.
    let subjects = store.dump_table(TableId::Customers).await.expect("customers");
    let table = TableId::Customers.table();
    let pick = |tiers: &[&str]| {
        subjects
            .iter()
            .find(|row| {
                tiers.contains(&row[table.index("vip_tier")].as_text().unwrap_or(""))
                    && row[table.index("manager_id")].as_text().is_some()
                    && row[table.index("kind")].as_text() == Some("individual")
            })
            .map(|row| row[table.index("customer_id")].as_text().expect("id").to_owned())
            .expect("such a customer")
    };
    let line_of = |customer: String| {
        let store = store.clone();
        async move {
            let lines = store.rows_by(TableId::Subscriptions, "customer_id", &customer).await.expect("lines");
            lines[0][0].as_text().expect("id").to_owned()
        }
    };
    let vip = line_of(pick(&["gold", "diamond", "silver"])).await;
    let mass = line_of(pick(&["mass", "member"])).await;
    let event = |id: &str, line: &str, kind: &str, detail: &str| IncomingEvent {
        event_id: id.into(),
        subscription_id: line.into(),
        occurred_at: "2026-11-20 09:30:00".into(),
        event_type: kind.into(),
        detail: (!detail.is_empty()).then(|| detail.to_owned()),
    };
    // Each event and the rules it must raise, exactly.
    let cases: Vec<(IncomingEvent, &[&str])> = vec![
        (event("e1", &vip, "call_forwarding_set", ""), &["call_forwarding"]),
        (event("e2", &vip, "competitor_service_call", "10086"), &["competitor_service_call"]),
        (event("e3", &vip, "porting_inquiry", ""), &["porting_inquiry"]),
        (event("e4", &vip, "disconnection_request", ""), &["pre_disconnect"]),
        (event("e5", &vip, "suspension", "用户申请停机"), &["voluntary_suspension"]),
        (event("e6", &vip, "suspension", "欠费停机"), &["arrears_suspension"]),
        (event("e7", &vip, "suspension", "停机保号"), &["number_keep"]),
        (event("e8", &vip, "arrears", "月结欠费"), &["vip_arrears"]),
        (event("e9", &mass, "arrears", "月结欠费"), &["arrears_reminder"]),
        (event("e10", &vip, "complaint", "网络差"), &["complaint_followup"]),
        (event("e11", &vip, "plan_change", ""), &[]),
        (event("e12", &vip, "reactivation", ""), &[]),
    ];
    let covered: BTreeSet<&str> = cases.iter().flat_map(|(_, rules)| rules.iter().copied()).collect();
    let event_rules: BTreeSet<&str> = book.event_rules().map(|r| r.id.as_str()).collect();
    assert_eq!(covered, event_rules, "every event rule is exercised");
    let sender = EventSender { user_id: "u-billing".into(), role: "api_client".into(), source: "api".into() };
    for (incoming, expected) in &cases {
        let outcome =
            apply_events(store.as_ref(), &book, vec![incoming.clone()], &sender, now()).await.expect("apply");
        let raised: Vec<&str> = outcome.applied.tasks.iter().map(|t| t.task.rule_id.as_str()).collect();
        assert_eq!(raised, *expected, "{incoming:?}");
        for task in &outcome.applied.tasks {
            assert_eq!(task.task.source_event.as_deref(), Some(incoming.event_id.as_str()));
            assert_eq!(task.task.subscription_id.as_deref(), Some(incoming.subscription_id.as_str()));
            assert!(task.task.reason_zh.contains("2026-11-20") || !task.task.reason_zh.is_empty());
        }
    }
    // Another competitor call the same day is the same cause: no second task. A day later is
    // a new one.
    let same_day = event("e2b", &vip, "competitor_service_call", "10010");
    let outcome = apply_events(store.as_ref(), &book, vec![same_day], &sender, now()).await.expect("apply");
    assert!(outcome.applied.tasks.is_empty());
    let mut next_day = event("e2c", &vip, "competitor_service_call", "10010");
    next_day.occurred_at = "2026-11-21 08:00:00".into();
    let outcome = apply_events(store.as_ref(), &book, vec![next_day], &sender, now()).await.expect("apply");
    assert_eq!(outcome.applied.tasks.len(), 1);
}

#[tokio::test]
async fn an_event_file_is_applied_whole_or_not_at_all() {
    let (work, store, lake) = operator(200).await;
    let book = weiwan_app::rules::active_rulebook(&lake).expect("book");
    let line = store.dump_table(TableId::Subscriptions).await.expect("lines")[0][0]
        .as_text()
        .expect("id")
        .to_owned();
    let good = work.path().join("events.csv");
    std::fs::write(
        &good,
        format!(
            "event_id,subscription_id,occurred_at,event_type,detail\n\
             f1,{line},2026-11-20 10:00:00,porting_inquiry,\n\
             f2,{line},2026-11-20 10:05:00,competitor_service_call,10086\n"
        ),
    )
    .expect("write");
    let outcome = weiwan_app::events::import_event_file(store.as_ref(), &book, &good, "system", now())
        .await
        .expect("import");
    assert_eq!(outcome.applied.new_events, vec!["f1".to_owned(), "f2".to_owned()]);
    assert_eq!(outcome.applied.tasks.len(), 2);

    let bad = work.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!(
            "event_id,subscription_id,occurred_at,event_type,detail\n\
             g1,{line},2026-11-20 10:00:00,porting_inquiry,\n\
             g2,{line},2026-11-20 25:00:00,porting_inquiry,\n"
        ),
    )
    .expect("write");
    let err = weiwan_app::events::import_event_file(store.as_ref(), &book, &bad, "system", now())
        .await
        .expect_err("a bad line refuses the file");
    let message = err.to_string();
    assert!(message.contains("bad.csv, line 3: occurred_at"), "{message}");
    assert_eq!(store.find_event("g1").await.expect("find"), None, "nothing of the file was applied");
}
