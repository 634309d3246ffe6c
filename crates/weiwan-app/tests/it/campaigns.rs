//! Offers and campaigns end to end on a synthetic operator: the catalog and its refusals, the
//! state machine with approvals, execution with a stratified holdout, acceptance with budgets
//! and exclusions, holdouts that never overlap across concurrent campaigns, and an evaluation
//! whose interval covers the true effect (none: the simulator's customers do not know about
//! campaigns).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use weiwan_app::campaigns::{
    ActionRequest, CampaignView, act_on_campaign, add_offers, clone_campaign, create_campaign, edit_campaign,
    evaluate_campaign, list_campaigns, load_catalog, preview_campaign,
};
use weiwan_app::tasks::{Actor, OutcomeRequest, record_outcome};
use weiwan_app::{Error, Lake, Store, parse_conditions, save_segment};
use weiwan_decision::campaign::{CampaignAction, CampaignPlan, ChannelScript, KpiTarget};
use weiwan_decision::offers::{BUILTIN_CATALOG, Offer};
use weiwan_domain::Money;
use weiwan_storage::TaskFilter;

use super::churn::date;
use super::now;

pub(crate) fn actor(user: &str, role: &str) -> Actor {
    Actor { user_id: user.into(), role: role.into() }
}

pub(crate) fn planner() -> Actor {
    actor("u-planner", "planner")
}

/// A synthetic operator, its daily batch of 2026-11-01, the built-in catalog and two
/// overlapping target groups.
async fn setup() -> (tempfile::TempDir, Arc<dyn Store>, Lake) {
    let (work, store, lake) = super::churn::operator(3000, 12, 5).await;
    weiwan_app::run_daily_batch(store.as_ref(), &lake, date("2026-11-01"), now()).await.expect("batch");
    load_catalog(store.as_ref(), &lake, BUILTIN_CATALOG, &planner(), now()).await.expect("catalog");
    for (name, condition) in [("vips", "vip_tier=diamond,gold,silver"), ("everyone", "tenure_months=0..")] {
        let segment = weiwan_app::Segment {
            name: name.into(),
            description: String::new(),
            schedule: weiwan_app::Schedule::None,
            query: parse_conditions(&[condition.to_owned()]).expect("condition"),
        };
        save_segment(store.as_ref(), &lake, &segment, false, now()).await.expect("save");
    }
    (work, store, lake)
}

pub(crate) fn plan(target_group: &str, offers: &[&str]) -> CampaignPlan {
    CampaignPlan {
        name_zh: "存费赠费保有".into(),
        name_en: "Prepay-and-get-bonus retention".into(),
        target_group: target_group.into(),
        offers: offers.iter().map(|s| (*s).to_owned()).collect(),
        channels: vec![
            ChannelScript {
                channel: "outbound".into(),
                script_zh: "您好，有一项优惠".into(),
                script_en: "Hello, an offer".into(),
            },
            ChannelScript {
                channel: "store".into(),
                script_zh: "到厅办理".into(),
                script_en: "At the store".into(),
            },
        ],
        starts_on: date("2026-11-01"),
        ends_on: date("2026-12-31"),
        budget: Money::from_yuan(90_000),
        holdout_share: 0.1,
        holdout_days: 90,
        approval_levels: 2,
        targets: vec![KpiTarget { kpi: "take_up".into(), t0: 0.1, t1: 0.2 }],
        questionnaire: None,
    }
}

async fn act(
    store: &dyn Store,
    lake: &Lake,
    id: &str,
    action: CampaignAction,
    who: &Actor,
    comment: &str,
) -> Result<CampaignView, Error> {
    let request = ActionRequest { comment: comment.into(), as_of: Some(date("2026-11-01")) };
    act_on_campaign(store, lake, id, action, &request, who, now()).await
}

/// Submits and approves at two levels, then executes.
pub(crate) async fn start(store: &dyn Store, lake: &Lake, id: &str) -> CampaignView {
    act(store, lake, id, CampaignAction::Submit, &planner(), "").await.expect("submit");
    act(store, lake, id, CampaignAction::Approve, &actor("u-a1", "approver"), "ok").await.expect("level 1");
    act(store, lake, id, CampaignAction::Approve, &actor("u-a2", "approver"), "ok").await.expect("level 2");
    act(store, lake, id, CampaignAction::Execute, &planner(), "").await.expect("execute")
}

fn refused_with(result: Result<impl std::fmt::Debug, Error>, expected: &str) {
    let err = result.expect_err(expected);
    assert!(err.to_string().contains(expected), "{expected:?} not in {err}");
}

#[tokio::test]
async fn the_catalog_refuses_what_does_not_add_up_and_changes_nothing() {
    let (_work, store, lake) = setup().await;
    let before = store.offers().await.expect("offers");
    assert!(before.len() >= 10, "the built-in catalog is in");
    // Loading it again: every id is taken, nothing is added.
    refused_with(load_catalog(store.as_ref(), &lake, BUILTIN_CATALOG, &planner(), now()).await, "taken");
    // An offer on a column the 360 table does not have, and one whose bonus exceeds the prepay.
    let mut offers: Vec<Offer> = weiwan_decision::offers::builtin_catalog().into_iter().take(2).collect();
    offers[0].id = "new_a".into();
    offers[0].excludes.clear();
    offers[0].eligibility = vec!["no_such_column=1".into()];
    offers[1].id = "new_b".into();
    offers[1].excludes.clear();
    if let weiwan_decision::offers::Terms::PrepayBonus { bonus_monthly, .. } = &mut offers[1].terms {
        *bonus_monthly = Money::from_yuan(1000);
    }
    let err = add_offers(store.as_ref(), &lake, &offers, &planner(), now()).await.expect_err("refused");
    let text = err.to_string();
    assert!(text.contains("offer new_a: eligibility") && text.contains("no_such_column"), "{text}");
    assert!(text.contains("offer new_b"), "{text}");
    assert_eq!(store.offers().await.expect("offers"), before, "nothing was added");
}

#[tokio::test]
async fn a_campaign_goes_from_plan_to_evaluation_with_approvals_budgets_and_exclusions() {
    let (_work, store, lake) = setup().await;
    let store = store.as_ref();
    // A plan that does not hold together is refused whole.
    let mut bad = plan("nobody", &["prepay_bonus_100", "nope"]);
    bad.ends_on = date("2026-10-01");
    let err = create_campaign(store, "bad", &bad, None, &planner(), now()).await.expect_err("refused");
    for expected in ["offers: no offer nope", "ends_on", "target_group"] {
        assert!(err.to_string().contains(expected), "{expected} not in {err}");
    }
    assert!(list_campaigns(store).await.expect("list").is_empty());

    let id = "renew";
    let created = create_campaign(
        store,
        id,
        &plan("vips", &["prepay_bonus_100", "service_pack_discount"]),
        None,
        &planner(),
        now(),
    )
    .await
    .expect("create");
    assert_eq!((created.status.as_str(), created.approvals_required), ("draft", 2));

    // The state machine and the approvals.
    refused_with(act(store, &lake, id, CampaignAction::Execute, &planner(), "").await, "cannot execute");
    refused_with(
        act(store, &lake, id, CampaignAction::Approve, &actor("u-a1", "approver"), "").await,
        "cannot approve",
    );
    act(store, &lake, id, CampaignAction::Submit, &planner(), "").await.expect("submit");
    refused_with(
        edit_campaign(store, id, &plan("vips", &["service_pack_discount"]), &planner(), now()).await,
        "only a draft",
    );
    refused_with(
        act(store, &lake, id, CampaignAction::Approve, &planner(), "").await,
        "its author cannot approve",
    );
    let first = act(store, &lake, id, CampaignAction::Approve, &actor("u-a1", "approver"), "fine")
        .await
        .expect("level 1");
    assert_eq!((first.status.as_str(), first.approvals), ("submitted", 1));
    refused_with(
        act(store, &lake, id, CampaignAction::Approve, &actor("u-a1", "approver"), "").await,
        "earlier level",
    );
    refused_with(
        act(store, &lake, id, CampaignAction::Reject, &actor("u-a2", "approver"), " ").await,
        "says why",
    );
    let rejected =
        act(store, &lake, id, CampaignAction::Reject, &actor("u-a2", "approver"), "budget too high")
            .await
            .expect("reject");
    assert_eq!((rejected.status.as_str(), rejected.approvals), ("draft", 0));
    // Edited and resubmitted, a new round needs both levels again.
    edit_campaign(
        store,
        id,
        &plan("vips", &["prepay_bonus_100", "service_pack_discount"]),
        &planner(),
        now(),
    )
    .await
    .expect("edit");
    let preview = preview_campaign(store, &lake, id, date("2026-11-01"), 5, now()).await.expect("preview");
    assert!(preview.treated > 100 && preview.control > 0, "{preview:?}");
    assert_eq!(preview.sample.len(), 5);
    assert_eq!(
        preview.target_group,
        preview.treated + preview.control + preview.no_offer + preview.held_elsewhere
    );
    let running = start(store, &lake, id).await;
    assert_eq!(running.status, "running");
    let history: Vec<&str> = running.history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(
        history,
        ["create", "submit", "approve", "reject", "edit", "submit", "approve", "approve", "execute"]
    );
    // The draw is what the preview showed: the same seed, the same members.
    assert_eq!((running.treated, running.control), (preview.treated, preview.control));

    // The holdout is about a tenth of every tier.
    let members = store.campaign_members(id).await.expect("members");
    let mut by_tier: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for m in &members {
        let entry = by_tier.entry(m.vip_tier.as_str()).or_default();
        if m.arm == "control" { entry.1 += 1 } else { entry.0 += 1 }
    }
    for (tier, (treated, control)) in &by_tier {
        let expected = ((treated + control) as f64 * 0.1).round() as u64;
        assert_eq!(*control, expected, "{tier}: {treated} treated, {control} control");
    }
    // Each treated line has a task on each channel: outbound to its manager (or the outbound
    // queue), and the store queue.
    let filter =
        TaskFilter { rule_id: Some(format!("campaign:{id}")), limit: 100_000, ..TaskFilter::default() };
    let tasks = store.tasks(&filter).await.expect("tasks");
    assert_eq!(tasks.len() as u64, 2 * running.treated);
    let control: BTreeSet<&str> =
        members.iter().filter(|m| m.arm == "control").map(|m| m.subscription_id.as_str()).collect();
    assert!(tasks.iter().all(|t| !control.contains(t.task.subject.as_str())), "no control line gets a task");
    let store_task = |line: &str| {
        tasks.iter().find(|t| t.task.subject == line && t.task.cause == "store").expect("store task").task_id
    };
    let outbound: Vec<_> = tasks.iter().filter(|t| t.task.cause == "outbound").collect();

    // Accepting in the store closes the outbound task too, and charges both budgets.
    let clerk = actor("u-clerk", "clerk");
    let accepted_line = outbound[0].task.subject.clone();
    let accept = OutcomeRequest {
        outcome: "accepted".into(),
        note: "办理".into(),
        confirm_suspension: false,
        request_id: None,
        transfer_to: None,
        answers: None,
    };
    record_outcome(store, &clerk, store_task(&accepted_line), &accept, now()).await.expect("accept");
    let after = store.task(outbound[0].task_id).await.expect("task").expect("exists");
    assert_eq!((after.status.as_str(), after.last_outcome.as_deref()), ("done", Some("accepted")));
    refused_with(record_outcome(store, &clerk, outbound[0].task_id, &accept, now()).await, "is done");
    let takeups = store.takeups(id).await.expect("takeups");
    assert_eq!(takeups.len(), 1);
    let campaign = store.find_campaign(id).await.expect("find").expect("exists");
    assert_eq!(campaign.spent_fen, takeups[0].cost_fen);

    // Outcomes that do not close the task, and a refusal.
    let manager = |t: &weiwan_storage::TaskRecord| {
        actor(&format!("u-{}", t.task.manager_id.clone().unwrap_or("x".into())), "manager")
    };
    let not_reached = OutcomeRequest {
        outcome: "not_reached".into(),
        note: String::new(),
        confirm_suspension: false,
        request_id: None,
        transfer_to: None,
        answers: None,
    };
    let refused = OutcomeRequest {
        outcome: "refused".into(),
        note: String::new(),
        confirm_suspension: false,
        request_id: None,
        transfer_to: None,
        answers: None,
    };
    record_outcome(store, &manager(outbound[1]), outbound[1].task_id, &not_reached, now())
        .await
        .expect("not reached");
    record_outcome(store, &manager(outbound[2]), outbound[2].task_id, &refused, now())
        .await
        .expect("refused");

    // A line holding one prepay tier cannot take another: a second campaign offering the 200
    // tier to the same line is refused at acceptance... and before that, the line is not even
    // drawn while this campaign runs. Pausing stops acceptances.
    act(store, &lake, id, CampaignAction::Pause, &planner(), "").await.expect("pause");
    refused_with(
        record_outcome(store, &clerk, store_task(&outbound[3].task.subject), &accept, now()).await,
        "paused",
    );
    act(store, &lake, id, CampaignAction::Resume, &planner(), "").await.expect("resume");

    // The evaluation as of a later date: intention to treat over every member; the simulator
    // knows nothing of campaigns, so the true effect is zero and the interval must cover it.
    let evaluation = evaluate_campaign(store, &lake, id, date("2026-12-01")).await.expect("evaluate");
    let e = &evaluation.evaluation;
    assert_eq!(e.treated.members + e.control.members + evaluation.unknown_members, members.len() as u64);
    let uplift = e.retention_uplift.expect("an uplift");
    assert!(uplift.low <= 0.0 && 0.0 <= uplift.high, "{uplift:?}");
    assert!((e.offer_cost - takeups[0].cost_fen as f64 / 100.0).abs() < 1e-9);
    let outbound_stats = evaluation.by_channel.iter().find(|c| c.key == "outbound").expect("outbound");
    assert_eq!((outbound_stats.worked, outbound_stats.reached, outbound_stats.accepted), (2, 1, 0));
    let store_stats = evaluation.by_channel.iter().find(|c| c.key == "store").expect("store");
    assert_eq!((store_stats.worked, store_stats.reached, store_stats.accepted), (1, 1, 1));
    assert_eq!(evaluation.take_ups, 1);
    assert_eq!(evaluation.targets[0].reached, "below");

    // Ending closes what is open; the scheme library keeps it, and a clone starts as a draft.
    act(store, &lake, id, CampaignAction::End, &planner(), "").await.expect("end");
    let open = TaskFilter {
        rule_id: Some(format!("campaign:{id}")),
        status: Some("open".into()),
        ..TaskFilter::default()
    };
    assert_eq!(store.count_tasks(&open).await.expect("count"), 0);
    let clone = clone_campaign(store, id, "renew-2027", &planner(), now()).await.expect("clone");
    assert_eq!((clone.status.as_str(), clone.cloned_from.as_deref()), ("draft", Some(id)));
    assert_eq!(list_campaigns(store).await.expect("list").len(), 2);
}

#[tokio::test]
async fn an_execution_whose_expected_cost_exceeds_the_budget_is_refused() {
    let (_work, store, lake) = setup().await;
    let store = store.as_ref();
    // A budget that holds one 60-yuan take-up, not two.
    let mut small = plan("vips", &["prepay_bonus_100", "service_pack_discount"]);
    small.budget = Money::from_yuan(2000);
    small.holdout_share = 0.5;
    create_campaign(store, "small", &small, None, &planner(), now()).await.expect("create");
    let err = start_result(store, &lake, "small").await.expect_err("the expected cost exceeds the budget");
    assert!(err.to_string().contains("exceeds the budget"), "{err}");
    let view = weiwan_app::campaigns::campaign_view(store, "small").await.expect("view");
    assert_eq!((view.status.as_str(), view.treated + view.control), ("approved", 0), "nothing was drawn");
}

async fn start_result(store: &dyn Store, lake: &Lake, id: &str) -> Result<CampaignView, Error> {
    act(store, lake, id, CampaignAction::Submit, &planner(), "").await?;
    act(store, lake, id, CampaignAction::Approve, &actor("u-a1", "approver"), "ok").await?;
    act(store, lake, id, CampaignAction::Approve, &actor("u-a2", "approver"), "ok").await?;
    act(store, lake, id, CampaignAction::Execute, &planner(), "").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_campaigns_never_share_a_line_or_a_control_group() {
    let (_work, store, lake) = setup().await;
    // Two overlapping target groups (the VIPs are in both), executed at the same time.
    create_campaign(store.as_ref(), "a", &plan("vips", &["service_pack_discount"]), None, &planner(), now())
        .await
        .expect("a");
    create_campaign(
        store.as_ref(),
        "b",
        &plan("everyone", &["family_plan_discount", "service_pack_discount"]),
        None,
        &planner(),
        now(),
    )
    .await
    .expect("b");
    for id in ["a", "b"] {
        act(store.as_ref(), &lake, id, CampaignAction::Submit, &planner(), "").await.expect("submit");
        act(store.as_ref(), &lake, id, CampaignAction::Approve, &actor("u-a1", "approver"), "")
            .await
            .expect("1");
        act(store.as_ref(), &lake, id, CampaignAction::Approve, &actor("u-a2", "approver"), "")
            .await
            .expect("2");
    }
    // On two worker threads, each execution in its own task.
    let spawn = |id: &'static str| {
        let (store, lake) = (store.clone(), lake.clone());
        tokio::spawn(
            async move { act(store.as_ref(), &lake, id, CampaignAction::Execute, &planner(), "").await },
        )
    };
    let (ra, rb) = (spawn("a"), spawn("b"));
    ra.await.expect("joined").expect("a runs");
    rb.await.expect("joined").expect("b runs");
    let lines = |members: &[weiwan_storage::MemberRecord]| -> BTreeSet<String> {
        members.iter().map(|m| m.subscription_id.clone()).collect()
    };
    let a = store.campaign_members("a").await.expect("a");
    let b = store.campaign_members("b").await.expect("b");
    assert!(!a.is_empty() && !b.is_empty());
    assert!(lines(&a).is_disjoint(&lines(&b)), "a line is in one running campaign at a time");
    let held = store.holdout_size("a").await.expect("a") + store.holdout_size("b").await.expect("b");
    let controls = a.iter().chain(&b).filter(|m| m.arm == "control").count() as i64;
    assert_eq!(held, controls, "every control line is held out, once");
    // A third campaign over the same lines finds none free while both run.
    create_campaign(store.as_ref(), "c", &plan("vips", &["service_pack_discount"]), None, &planner(), now())
        .await
        .expect("c");
    let preview =
        preview_campaign(store.as_ref(), &lake, "c", date("2026-11-01"), 0, now()).await.expect("preview");
    assert_eq!(preview.treated + preview.control, 0, "{preview:?}");
    assert!(preview.held_elsewhere > 0);
}

/// An extract field as the importer reads it.
fn field(value: &weiwan_domain::Value) -> String {
    use weiwan_domain::Value;
    match value {
        Value::Null => String::new(),
        Value::Text(text) => text.clone(),
        Value::Int(n) => n.to_string(),
        Value::Money(m) => m.to_string(),
        Value::Date(d) => d.format("%Y-%m-%d").to_string(),
        Value::Timestamp(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        Value::Bool(b) => b.to_string(),
    }
}

#[tokio::test]
async fn an_effect_put_into_the_data_is_recovered_by_the_evaluation() {
    // A campaign run in May on a year of history that goes on to October: its members really
    // churn in between. The simulator knows nothing of campaigns, so first the evaluation must
    // find no effect; then lines of the control group are made to leave (as if, without the
    // offer, they had), a known share per tier, and the evaluation must find that effect.
    let (work, store, lake) = super::churn::operator(3000, 12, 5).await;
    let store = store.as_ref();
    weiwan_app::run_daily_batch(store, &lake, date("2026-05-01"), now()).await.expect("batch");
    load_catalog(store, &lake, BUILTIN_CATALOG, &planner(), now()).await.expect("catalog");
    let everyone = weiwan_app::Segment {
        name: "everyone".into(),
        description: String::new(),
        schedule: weiwan_app::Schedule::None,
        query: parse_conditions(&["tenure_months=0..".to_owned()]).expect("condition"),
    };
    save_segment(store, &lake, &everyone, false, now()).await.expect("save");
    let mut spring = plan("everyone", &["service_pack_discount"]);
    spring.starts_on = date("2026-05-01");
    spring.ends_on = date("2026-06-30");
    spring.holdout_share = 0.3;
    spring.approval_levels = 1;
    create_campaign(store, "spring", &spring, None, &planner(), now()).await.expect("create");
    let request = ActionRequest { comment: String::new(), as_of: Some(date("2026-05-01")) };
    for (action, who) in [
        (CampaignAction::Submit, planner()),
        (CampaignAction::Approve, actor("u-a1", "approver")),
        (CampaignAction::Execute, planner()),
    ] {
        act_on_campaign(store, &lake, "spring", action, &request, &who, now()).await.expect("act");
    }

    let as_of = date("2026-11-01");
    let baseline = evaluate_campaign(store, &lake, "spring", as_of).await.expect("evaluate");
    let b = &baseline.evaluation;
    assert!(b.control.retention_rate < 0.99, "members churned after May: {:?}", b.control);
    let uplift = b.retention_uplift.expect("uplift");
    assert!(uplift.covers(0.0), "no effect in the data: {uplift:?}");
    let revenue = b.revenue_uplift_per_member.expect("revenue uplift");
    assert!(revenue.covers(0.0), "no effect on revenue: {revenue:?}");
    // Adjusting for what members spent before the campaign narrows the revenue interval.
    let plain = b.revenue_uplift_unadjusted.expect("plain");
    assert!(revenue.high - revenue.low < plain.high - plain.low, "{revenue:?} against {plain:?}");

    // 12% of each tier's control lines still in the network leave in August.
    let members = store.campaign_members("spring").await.expect("members");
    let mut by_tier: BTreeMap<String, (Vec<String>, u64, u64)> = BTreeMap::new();
    for m in &members {
        let entry = by_tier.entry(m.vip_tier.clone()).or_default();
        if m.arm == "control" {
            entry.0.push(m.subscription_id.clone());
            entry.2 += 1;
        } else {
            entry.1 += 1;
        }
    }
    let table = weiwan_domain::TableId::Subscriptions.table();
    let columns: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
    let mut csv = columns.join(",") + "\n";
    let mut truth = 0.0;
    let total = members.len() as f64;
    for (control_lines, treated, control) in by_tier.values() {
        let mut staying = Vec::new();
        for line in control_lines {
            let row = store
                .find_row(weiwan_domain::TableId::Subscriptions, line)
                .await
                .expect("row")
                .expect("line");
            if row[table.index("disconnected_on")].is_null() {
                staying.push(row);
            }
        }
        let leave = (0.12 * staying.len() as f64).round() as usize;
        for mut row in staying.into_iter().take(leave) {
            row[table.index("status")] = weiwan_domain::Value::Text("disconnected".into());
            row[table.index("disconnected_on")] = weiwan_domain::Value::Date(date("2026-08-15"));
            csv += &(row.iter().map(field).collect::<Vec<_>>().join(",") + "\n");
        }
        // The stratum's weight times the drop in its control group's retention.
        truth += (*treated + *control) as f64 / total * leave as f64 / *control as f64;
    }
    let extract = work.path().join("departures");
    std::fs::create_dir_all(&extract).expect("dir");
    std::fs::write(extract.join("subscriptions.csv"), csv).expect("write");
    weiwan_app::import_extract(store, &lake, &extract, now()).await.expect("import the departures");

    let after = evaluate_campaign(store, &lake, "spring", as_of).await.expect("evaluate");
    let uplift = after.evaluation.retention_uplift.expect("uplift");
    assert!(truth > 0.05, "a real effect: {truth}");
    assert!(uplift.covers(truth), "the true effect {truth:.4} is inside {uplift:?}");
    assert!(uplift.low > 0.0, "and the interval excludes no effect: {uplift:?}");
    // The put-in effect is what moved: the treated arm is as it was.
    assert_eq!(after.evaluation.treated, baseline.evaluation.treated);
    assert!(
        (uplift.estimate - baseline.evaluation.retention_uplift.expect("uplift").estimate - truth).abs()
            < 1e-9,
        "the estimate moved by exactly the effect put in"
    );
}

#[tokio::test]
async fn caps_and_suppression_hold_across_two_campaigns_and_three_channels() {
    let (_work, store, lake) = setup().await;
    let store = store.as_ref();
    // A customer with two active lines: campaign A works one line, campaign B the other.
    let table = weiwan_domain::TableId::Subscriptions.table();
    let lines = store.dump_table(weiwan_domain::TableId::Subscriptions).await.expect("lines");
    let mut by_customer: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in &lines {
        if row[table.index("status")].as_text() == Some("active") {
            let customer = row[table.index("customer_id")].as_text().expect("customer").to_owned();
            by_customer
                .entry(customer)
                .or_default()
                .push(row[table.index("subscription_id")].as_text().expect("id").to_owned());
        }
    }
    let (customer, pair) =
        by_customer.into_iter().find(|(_, lines)| lines.len() >= 2).expect("a customer with two lines");
    let three_channels = |id: &str, line: &str| {
        let mut p = plan(&format!("line_{id}"), &["service_pack_discount"]);
        p.channels.push(ChannelScript {
            channel: "hotline".into(),
            script_zh: "热线".into(),
            script_en: "Hotline".into(),
        });
        p.holdout_share = 0.02;
        p.approval_levels = 1;
        (p, line.to_owned())
    };
    for (id, line) in [("a", &pair[0]), ("b", &pair[1])] {
        let segment = weiwan_app::Segment {
            name: format!("line_{id}"),
            description: String::new(),
            schedule: weiwan_app::Schedule::None,
            query: parse_conditions(&[format!("subscription_id={line}")]).expect("condition"),
        };
        save_segment(store, &lake, &segment, false, now()).await.expect("save");
        let (p, _) = three_channels(id, line);
        create_campaign(store, id, &p, None, &planner(), now()).await.expect("create");
        let request = ActionRequest { comment: String::new(), as_of: Some(date("2026-11-01")) };
        for (action, who) in [
            (CampaignAction::Submit, planner()),
            (CampaignAction::Approve, actor("u-a1", "approver")),
            (CampaignAction::Execute, planner()),
        ] {
            act_on_campaign(store, &lake, id, action, &request, &who, now()).await.expect("act");
        }
    }
    let task = |campaign: &str, channel: &str| {
        let filter = TaskFilter { rule_id: Some(format!("campaign:{campaign}")), ..TaskFilter::default() };
        let channel = channel.to_owned();
        async move {
            store
                .tasks(&filter)
                .await
                .expect("tasks")
                .into_iter()
                .find(|t| t.task.cause == channel)
                .expect("task")
                .task_id
        }
    };
    let outcome = |code: &str| OutcomeRequest {
        outcome: code.into(),
        note: String::new(),
        confirm_suspension: false,
        request_id: None,
        transfer_to: None,
        answers: None,
    };
    let manager = actor("u-m", "manager");

    // Two outbound calls on A's line (not reached, then considering: the task stays open) use
    // the customer's outbound cap of 2 a month: B's outbound task for the other line is refused.
    let a_call = task("a", "outbound").await;
    record_outcome(store, &manager, a_call, &outcome("not_reached"), now()).await.expect("first call");
    record_outcome(store, &manager, a_call, &outcome("considering"), now()).await.expect("second call");
    let b_call = task("b", "outbound").await;
    let err = weiwan_app::tasks::claim_task(store, &manager, b_call, now()).await.expect_err("cap reached");
    assert!(err.to_string().contains("at most 2 outbound contacts a month"), "{err}");
    assert!(err.to_string().contains("外呼每月最多2次"), "{err}");
    assert_eq!(store.task(b_call).await.expect("task").expect("b").status, "open", "not handed out");

    // Other channels have their own caps: B's store visit goes ahead, and the customer refuses;
    // then A's hotline call, refused again. Two refusals in 30 days: quiet for 60 days, on
    // every channel and in both campaigns.
    let clerk = actor("u-clerk", "clerk");
    record_outcome(store, &clerk, task("b", "store").await, &outcome("refused"), now()).await.expect("store");
    let agent = actor("u-agent", "agent");
    record_outcome(store, &agent, task("a", "hotline").await, &outcome("refused"), now())
        .await
        .expect("hotline");
    for (campaign, channel) in [("a", "store"), ("b", "hotline")] {
        let err = weiwan_app::tasks::claim_task(store, &clerk, task(campaign, channel).await, now())
            .await
            .expect_err("suppressed");
        assert!(
            err.to_string().contains("refused repeatedly: no marketing contact before 2026-12-31"),
            "{campaign} {channel}: {err}"
        );
    }
    // The ledger has the four contacts, from both campaigns and three channels.
    let ledger =
        store.contacts(std::slice::from_ref(&customer), "2026-01-01 00:00:00").await.expect("ledger");
    let seen: Vec<(Option<&str>, &str, &str)> =
        ledger.iter().map(|c| (c.campaign_id.as_deref(), c.channel.as_str(), c.outcome.as_str())).collect();
    assert_eq!(
        seen,
        [
            (Some("a"), "outbound", "not_reached"),
            (Some("a"), "outbound", "considering"),
            (Some("b"), "store", "refused"),
            (Some("a"), "hotline", "refused"),
        ]
    );
    // A new campaign does not draw a suppressed customer into either arm.
    act_on_campaign(store, &lake, "a", CampaignAction::End, &ActionRequest::default(), &planner(), now())
        .await
        .expect("end a");
    let (again, _) = three_channels("a", &pair[0]);
    create_campaign(store, "a2", &again, None, &planner(), now()).await.expect("create");
    let preview = preview_campaign(store, &lake, "a2", date("2026-11-01"), 0, now()).await.expect("preview");
    assert_eq!((preview.kept_quiet, preview.treated + preview.control), (1, 0), "{preview:?}");

    // Do-not-disturb keeps any other customer quiet too, and is audited.
    let other = lines
        .iter()
        .map(|row| row[table.index("customer_id")].as_text().expect("customer").to_owned())
        .find(|c| *c != customer)
        .expect("another customer");
    assert!(
        weiwan_app::contact::set_do_not_disturb(store, &other, true, "asked on the hotline", &agent, now())
            .await
            .expect("dnd")
    );
    let verdicts = weiwan_app::contact::verdicts(
        store,
        &weiwan_app::contact::policy(),
        std::slice::from_ref(&other),
        "sms",
        weiwan_app::contact::china_time(now()),
    )
    .await
    .expect("verdicts");
    assert_eq!(verdicts[&other], weiwan_decision::contact::Verdict::DoNotDisturb);
}

#[tokio::test]
async fn an_outcome_sent_twice_is_recorded_once() {
    let (_work, store, lake) = setup().await;
    let store = store.as_ref();
    create_campaign(store, "once", &plan("vips", &["service_pack_discount"]), None, &planner(), now())
        .await
        .expect("create");
    start(store, &lake, "once").await;
    let filter = TaskFilter { rule_id: Some("campaign:once".into()), limit: 2, ..TaskFilter::default() };
    let tasks = store.tasks(&filter).await.expect("tasks");
    let (first, second) = (tasks[0].task_id, tasks[1].task_id);
    let manager = actor("u-m", "manager");
    let request = |code: &str, id: &str| OutcomeRequest {
        outcome: code.into(),
        note: String::new(),
        confirm_suspension: false,
        request_id: Some(id.into()),
        transfer_to: None,
        answers: None,
    };
    // A retry (same id) answers with the task and records nothing twice, for an acceptance too.
    for _ in 0..2 {
        record_outcome(store, &manager, first, &request("considering", "r-1"), now())
            .await
            .expect("considering");
    }
    assert_eq!(store.outcomes(first).await.expect("outcomes").len(), 1);
    for _ in 0..2 {
        let task = record_outcome(store, &manager, first, &request("accepted", "r-2"), now())
            .await
            .expect("accepted");
        assert_eq!(task.status, "done");
    }
    assert_eq!(store.outcomes(first).await.expect("outcomes").len(), 2);
    assert_eq!(store.takeups("once").await.expect("takeups").len(), 1);
    // An id used for another task is refused.
    let err =
        record_outcome(store, &manager, second, &request("refused", "r-1"), now()).await.expect_err("reused");
    assert!(err.to_string().contains(&format!("was used for task {first}")), "{err}");
    let err =
        record_outcome(store, &manager, second, &request("refused", ""), now()).await.expect_err("empty id");
    assert!(err.to_string().contains("request_id: 1 to 64 characters"), "{err}");
}
