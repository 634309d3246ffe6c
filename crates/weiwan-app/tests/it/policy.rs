//! The unified policy view on a synthetic operator with a churn model: the same decision on
//! every channel (the campaign's offer first, with the channel's script), offers ranked by
//! expected net value with their reasons, what the customer holds left out after a take-up in
//! the store, and the contact policy's verdict.

use std::collections::HashSet;

use weiwan_app::campaigns::{create_campaign, load_catalog};
use weiwan_app::policy_view::{PolicyViews, build_policy, policy_view};
use weiwan_app::tasks::{OutcomeRequest, record_outcome};
use weiwan_app::{Error, parse_conditions, save_segment};
use weiwan_decision::offers::BUILTIN_CATALOG;
use weiwan_storage::TaskFilter;

use super::campaigns::{actor, plan, planner, start};
use super::churn::date;
use super::now;

#[tokio::test]
async fn one_decision_per_customer_on_every_channel_ranked_and_explained() {
    let (_work, store, lake) = super::churn::operator(3000, 12, 5).await;
    let store = store.as_ref();
    let as_of = date("2026-11-01");
    weiwan_app::train_churn_model(&lake, as_of).await.expect("train");
    weiwan_app::run_daily_batch(store, &lake, as_of, now()).await.expect("batch");
    load_catalog(store, &lake, BUILTIN_CATALOG, &planner(), now()).await.expect("catalog");
    let segment = weiwan_app::Segment {
        name: "vips".into(),
        description: String::new(),
        schedule: weiwan_app::Schedule::None,
        query: parse_conditions(&["vip_tier=diamond,gold,silver".to_owned()]).expect("condition"),
    };
    save_segment(store, &lake, &segment, false, now()).await.expect("save");
    create_campaign(store, "keep", &plan("vips", &["service_pack_discount"]), None, &planner(), now())
        .await
        .expect("create");
    start(store, &lake, "keep").await;

    // The index: every line of the tagged 360 table, every active offer of the catalog.
    let loaded = build_policy(store, &lake, None, now()).await.expect("index");
    let summary = loaded.summary();
    assert_eq!(summary.as_of, "2026-11-01");
    assert_eq!(summary.offers, store.offers().await.expect("offers").len() as u64);
    assert!(summary.customers > 1000 && summary.lines >= summary.customers, "{summary:?}");
    assert_eq!(summary.offers_with_uplift, 0, "no campaign has ended: no measured uplift");
    let views = PolicyViews::default();
    views.replace(loaded);
    let loaded = views.current().expect("in force");
    let none = HashSet::new();

    // A treated member of the campaign: its store and outbound tasks.
    let filter = TaskFilter { rule_id: Some("campaign:keep".into()), limit: 10_000, ..TaskFilter::default() };
    let tasks = store.tasks(&filter).await.expect("tasks");
    let store_task = tasks.iter().find(|t| t.task.cause == "store").expect("a store task");
    let customer = store_task.task.customer_id.clone();
    let line = store_task.task.subject.clone();
    let outbound_task =
        tasks.iter().find(|t| t.task.cause == "outbound" && t.task.subject == line).expect("outbound task");
    let member = store.campaign_member("keep", &line).await.expect("member").expect("treated");

    let mut seen = Vec::new();
    for channel in ["outbound", "store", "hotline", "web_hall"] {
        let view = policy_view(store, &loaded, &none, &customer, channel, now())
            .await
            .expect("view")
            .expect("known");
        // The campaign's offer comes first on every channel: one decision per customer.
        assert_eq!(view.campaigns.len(), 1, "{channel}: {:?}", view.campaigns);
        let campaign = &view.campaigns[0];
        assert_eq!(
            (campaign.campaign_id.as_str(), campaign.offer_id.as_str()),
            ("keep", member.offer_id.as_str())
        );
        let first = &view.offers[0];
        assert_eq!(
            (first.offer_id.as_str(), first.campaign_id.as_deref()),
            (member.offer_id.as_str(), Some("keep"))
        );
        assert_eq!(first.subscription_id, line);
        // The script and the task are the asking channel's.
        let (script, task) = match channel {
            "outbound" => (Some("您好，有一项优惠"), Some(outbound_task.task_id)),
            "store" => (Some("到厅办理"), Some(store_task.task_id)),
            _ => (None, None),
        };
        assert_eq!((campaign.script_zh.as_deref(), campaign.task_id), (script, task), "{channel}");
        // The rest in order of expected net value, each explained by its terms.
        for pair in view.offers[1..].windows(2) {
            assert!(pair[0].expected_net_value >= pair[1].expected_net_value, "{channel}: {pair:?}");
        }
        for offer in &view.offers {
            let names: Vec<&str> = offer.terms.iter().map(|t| t.name.as_str()).collect();
            assert!(names.ends_with(&["p_accept", "saved", "value_kept", "expected_cost"]), "{offer:?}");
            assert!(offer.reason_en.contains("net") && offer.reason_zh.contains("净值"), "{offer:?}");
            assert_eq!(offer.worth_offering, offer.expected_net_value > 0.0);
        }
        assert!(view.lines.iter().any(|l| l.subscription_id == line && l.churn_probability.is_some()));
        assert!(view.lines.iter().all(|l| l.churn_probability.is_none() || !l.reasons_en.is_empty()));
        let open: Vec<i64> = view.open_tasks.iter().map(|t| t.task_id).collect();
        assert!(open.contains(&store_task.task_id) && open.contains(&outbound_task.task_id), "{open:?}");
        assert!(view.open_tasks.iter().all(|t| t.customer_id == customer && t.status != "done"));
        assert!(view.contact.allowed, "{channel}: {:?}", view.contact);
        seen.push(view.offers.iter().map(|o| o.offer_id.clone()).collect::<Vec<_>>());
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "the same offers on every channel: {seen:?}");

    // A work order carries another treated customer from the outbound call to the hotline,
    // with the history; the store already has them, and a transfer needs a target.
    let other = tasks
        .iter()
        .find(|t| t.task.cause == "outbound" && t.task.customer_id != customer)
        .expect("another treated customer");
    let caller = actor("u-caller", "manager");
    let transfer = |to: Option<&str>| OutcomeRequest {
        outcome: "transferred".into(),
        note: "客户想到营业厅看机".into(),
        confirm_suspension: false,
        request_id: None,
        transfer_to: to.map(str::to_owned),
        answers: None,
    };
    let err =
        record_outcome(store, &caller, other.task_id, &transfer(None), now()).await.expect_err("no target");
    assert!(err.to_string().contains("transfer_to: required"), "{err}");
    let err = record_outcome(store, &caller, other.task_id, &transfer(Some("store")), now())
        .await
        .expect_err("there");
    assert!(err.to_string().contains("has this task on store already"), "{err}");
    let done = record_outcome(store, &caller, other.task_id, &transfer(Some("hotline")), now())
        .await
        .expect("transfer");
    assert_eq!((done.status.as_str(), done.last_outcome.as_deref()), ("done", Some("transferred")));
    let view = policy_view(store, &loaded, &none, &other.task.customer_id, "hotline", now())
        .await
        .expect("view")
        .expect("known");
    let hotline_task = view.campaigns[0].task_id.expect("the work order is the hotline's task");
    let order = store.task(hotline_task).await.expect("task").expect("exists");
    assert_eq!((order.task.queue.as_deref(), order.status.as_str()), (Some("hotline"), "open"));
    assert!(
        order.task.reason_zh.starts_with("转派自") && order.task.reason_zh.contains("客户想到营业厅看机"),
        "{order:?}"
    );
    assert_eq!(
        (view.contacts[0].channel.as_str(), view.contacts[0].outcome.as_str()),
        ("outbound", "transferred")
    );

    // A third customer asks not to be called again: the task closes, they go on the
    // do-not-disturb list, and every channel's view says so.
    let third = tasks
        .iter()
        .find(|t| {
            t.task.cause == "outbound"
                && t.task.customer_id != customer
                && t.task.customer_id != other.task.customer_id
        })
        .expect("a third treated customer");
    let request = OutcomeRequest {
        outcome: "do_not_call".into(),
        note: String::new(),
        confirm_suspension: false,
        request_id: None,
        transfer_to: None,
        answers: None,
    };
    let closed_by_wish =
        record_outcome(store, &caller, third.task_id, &request, now()).await.expect("do not call");
    assert_eq!(closed_by_wish.status, "done");
    assert_eq!(
        store.do_not_disturb(std::slice::from_ref(&third.task.customer_id)).await.expect("dnd").len(),
        1
    );
    let view = policy_view(store, &loaded, &none, &third.task.customer_id, "store", now())
        .await
        .expect("view")
        .expect("known");
    assert!(
        view.do_not_disturb && !view.contact.allowed && view.contact.code == "do_not_disturb",
        "{:?}",
        view.contact
    );

    // The customer takes the offer in the store: the outbound task closes, the offer and the
    // offers that exclude it leave the view, and the ledger shows the take-up first.
    let clerk = actor("u-clerk", "clerk");
    let accept = OutcomeRequest {
        outcome: "accepted".into(),
        note: "办理".into(),
        confirm_suspension: false,
        request_id: None,
        transfer_to: None,
        answers: None,
    };
    record_outcome(store, &clerk, store_task.task_id, &accept, now()).await.expect("accept");
    let closed = store.task(outbound_task.task_id).await.expect("task").expect("exists");
    assert_eq!((closed.status.as_str(), closed.last_outcome.as_deref()), ("done", Some("accepted")));
    let after =
        policy_view(store, &loaded, &none, &customer, "outbound", now()).await.expect("view").expect("known");
    assert!(after.campaigns.is_empty(), "{after:?}");
    assert!(after.open_tasks.iter().all(|t| !t.rule_id.starts_with("campaign:")), "{after:?}");
    let catalog = weiwan_decision::offers::builtin_catalog();
    let taken = catalog.iter().find(|o| o.id == member.offer_id).expect("offer");
    for offer in &after.offers {
        let held = catalog.iter().find(|o| o.id == offer.offer_id).expect("offer");
        assert!(offer.offer_id != taken.id && !held.conflicts_with(taken), "{} shown", offer.offer_id);
    }
    assert_eq!(
        (after.contacts[0].channel.as_str(), after.contacts[0].outcome.as_str()),
        ("store", "accepted")
    );

    // A retired offer leaves every view at once; bad requests are named.
    if let Some(next) = after.offers.first() {
        views.withdraw(&next.offer_id);
        let withdrawn = views.withdrawn();
        let view = policy_view(store, &loaded, &withdrawn, &customer, "store", now())
            .await
            .expect("view")
            .expect("known");
        assert!(view.offers.iter().all(|o| o.offer_id != next.offer_id));
    }
    let err = policy_view(store, &loaded, &none, &customer, "fax", now()).await.expect_err("bad channel");
    assert!(matches!(err, Error::Invalid(_)) && err.to_string().contains("channel: \"fax\""), "{err}");
    assert!(policy_view(store, &loaded, &none, "NO-SUCH", "store", now()).await.expect("view").is_none());
}
