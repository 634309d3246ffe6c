//! Dispatch on a synthetic operator with a running campaign: the outbound queue handed to the
//! branch's outbound managers within their capacity and evenly, with a call list each; SMS
//! batches that honour do-not-disturb and the monthly SMS cap across batches, and a bad
//! template that sends nothing.

use std::collections::BTreeSet;

use weiwan_app::campaigns::{create_campaign, load_catalog};
use weiwan_app::dispatch::{dispatch_calls, sms_batch};
use weiwan_app::{parse_conditions, save_segment};
use weiwan_decision::offers::BUILTIN_CATALOG;
use weiwan_domain::{Money, TableId};
use weiwan_storage::TaskFilter;
use weiwan_storage::testing::row;

use super::campaigns::{actor, plan, planner, start};
use super::churn::date;
use super::now;

#[tokio::test]
async fn call_lists_are_balanced_by_capacity_and_sms_batches_keep_the_policy() {
    let (work, store, lake) = super::churn::operator(3000, 12, 5).await;
    let store = store.as_ref();
    weiwan_app::run_daily_batch(store, &lake, date("2026-11-01"), now()).await.expect("batch");
    load_catalog(store, &lake, BUILTIN_CATALOG, &planner(), now()).await.expect("catalog");
    let segment = weiwan_app::Segment {
        name: "everyone".into(),
        description: String::new(),
        schedule: weiwan_app::Schedule::None,
        query: parse_conditions(&["tenure_months=0..".to_owned()]).expect("condition"),
    };
    save_segment(store, &lake, &segment, false, now()).await.expect("save");
    let mut everyone = plan("everyone", &["service_pack_discount"]);
    everyone.budget = Money::from_yuan(1_000_000);
    create_campaign(store, "all", &everyone, None, &planner(), now()).await.expect("create");
    start(store, &lake, "all").await;

    // Customers without a manager wait in the outbound queue; two outbound managers join the
    // branch where most of them wait.
    let queued = TaskFilter {
        queue: Some("outbound".into()),
        status: Some("open".into()),
        limit: 100_000,
        ..TaskFilter::default()
    };
    let waiting: Vec<_> = store
        .tasks(&queued)
        .await
        .expect("tasks")
        .into_iter()
        .filter(|t| t.task.manager_id.is_none())
        .collect();
    assert!(waiting.len() > 20, "{} calls wait", waiting.len());
    let branch = waiting[0].task.branch_id.clone();
    let in_branch = waiting.iter().filter(|t| t.task.branch_id == branch).count();
    assert!(in_branch >= 10, "{in_branch} wait in {branch}");
    let mut tx = store.begin_import().await.expect("begin");
    let managers = ["MO1", "MO2"]
        .map(|id| row(TableId::Managers, &[id, "外呼经理", &branch, "outbound", "13900009999"]));
    tx.upsert(TableId::Managers, &managers).await.expect("managers");
    tx.commit().await.expect("commit");

    let out = work.path().join("calls");
    let dispatched = dispatch_calls(store, 5, &out, &planner(), now()).await.expect("dispatch");
    assert_eq!(dispatched.queued, waiting.len() as u64);
    assert_eq!(dispatched.assigned.values().copied().collect::<Vec<_>>(), [5, 5], "{dispatched:?}");
    assert_eq!(dispatched.left + 10 + dispatched.kept_quiet, waiting.len() as u64);
    for (manager, file) in ["MO1", "MO2"].iter().zip(&dispatched.files) {
        let text = std::fs::read_to_string(file).expect("call list");
        assert!(text.starts_with("task_id,customer_id,subscription_id,msisdn,"), "{text}");
        assert_eq!(text.lines().count(), 6, "a header and 5 calls for {manager}");
        let mine = TaskFilter { manager_id: Some((*manager).to_owned()), ..TaskFilter::default() };
        let tasks = store.tasks(&mine).await.expect("tasks");
        assert_eq!(tasks.len(), 5);
        assert!(tasks.iter().all(|t| t.task.branch_id == branch && t.status == "open"));
    }
    // Their day is full: a second dispatch gives them nothing more.
    let again = dispatch_calls(store, 5, &out, &planner(), now()).await.expect("again");
    assert!(again.assigned.is_empty(), "{again:?}");
    let err = dispatch_calls(store, 0, &out, &planner(), now()).await.expect_err("no capacity");
    assert!(err.to_string().contains("per_manager"), "{err}");

    // SMS: a customer on the do-not-disturb list gets none; each batch enters one contact per
    // customer in the ledger; the fifth batch in a month meets the cap of 4 SMS.
    let quiet = waiting
        .iter()
        .find(|t| t.task.rule_id == "campaign:all")
        .expect("a campaign call")
        .task
        .customer_id
        .clone();
    weiwan_app::contact::set_do_not_disturb(store, &quiet, true, "asked", &actor("u-agent", "agent"), now())
        .await
        .expect("dnd");
    let template = "【维挽】{offer_name_zh}：{offer_zh}，{valid_to}前有效。";
    let bad = work.path().join("bad.csv");
    let err = sms_batch(store, "all", "{offer} {", &bad, &planner(), now()).await.expect_err("bad template");
    assert!(err.to_string().contains("unknown placeholder {offer}"), "{err}");
    assert!(!bad.exists() && !bad.with_extension("partial").exists());
    let first = sms_batch(store, "all", template, &work.path().join("sms-1.csv"), &planner(), now())
        .await
        .expect("sms");
    assert!(first.sent > 100 && first.kept_quiet >= 1, "{first:?}");
    assert_eq!(first.sent + first.kept_quiet, first.customers);
    let text = std::fs::read_to_string(&first.file).expect("batch");
    assert_eq!(text.lines().count() as u64, first.sent + 1);
    assert!(text.lines().nth(1).expect("a message").contains("【维挽】"), "{text}");
    assert!(!text.contains(&format!(",{quiet},")), "no SMS for the do-not-disturb customer");
    let customers: BTreeSet<String> =
        text.lines().skip(1).map(|l| l.split(',').nth(1).expect("customer").to_owned()).collect();
    let ids: Vec<String> = customers.iter().cloned().collect();
    let ledger = store.contacts(&ids, "2026-01-01 00:00:00").await.expect("ledger");
    assert_eq!(ledger.iter().filter(|c| c.channel == "sms").count() as u64, first.sent);
    for n in 2..=4 {
        let batch =
            sms_batch(store, "all", template, &work.path().join(format!("sms-{n}.csv")), &planner(), now())
                .await
                .expect("sms");
        assert_eq!(batch.sent, first.sent, "batch {n}");
    }
    let fifth = sms_batch(store, "all", template, &work.path().join("sms-5.csv"), &planner(), now())
        .await
        .expect("sms");
    assert_eq!((fifth.sent, fifth.kept_quiet), (0, fifth.customers), "the monthly cap of 4 SMS holds");
}
