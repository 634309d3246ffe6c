//! Conformance tests of what campaigns keep ([`CampaignStore`]): offers added all or none,
//! transitions that refuse a stale state, executions that refuse overlapping lines and store
//! nothing then, and acceptances that keep budgets and exclusions. Instantiated for both
//! backends by `store_conformance_suite!` in main.rs.

use std::sync::Arc;

use weiwan_storage::{
    Acceptance, Accepted, AuditFilter, CampaignHistoryEntry, CampaignRecord, ContactEntry, Executed,
    Execution, MemberRecord, NewTask, OfferRecord, OutcomeRecord, OutcomeRecorded, Store, TaskFilter,
    campaign_rule_id,
};

use super::service::audit;

fn offer(id: &str, budget_fen: Option<i64>) -> OfferRecord {
    OfferRecord {
        offer_id: id.to_owned(),
        definition: format!(r#"{{"id":"{id}"}}"#),
        budget_fen,
        spent_fen: 0,
        active: true,
        created_by: "u-planner".to_owned(),
        created_at: "2026-11-01T08:00:00+08:00".to_owned(),
    }
}

fn campaign(id: &str, status: &str, budget_fen: i64) -> CampaignRecord {
    CampaignRecord {
        campaign_id: id.to_owned(),
        plan: "{}".to_owned(),
        status: status.to_owned(),
        approvals: 0,
        approvals_required: 1,
        budget_fen,
        spent_fen: 0,
        seed: 42,
        created_by: "u-planner".to_owned(),
        created_at: "2026-11-01T08:00:00+08:00".to_owned(),
        updated_at: "2026-11-01T08:00:00+08:00".to_owned(),
        cloned_from: None,
        executed_on: None,
    }
}

fn entry(id: &str, action: &str, from: &str, to: &str) -> CampaignHistoryEntry {
    CampaignHistoryEntry {
        campaign_id: id.to_owned(),
        at: "2026-11-01T09:00:00+08:00".to_owned(),
        user_id: "u-a1".to_owned(),
        action: action.to_owned(),
        from_status: from.to_owned(),
        to_status: to.to_owned(),
        level: 0,
        comment: String::new(),
    }
}

fn member(campaign: &str, line: &str, arm: &str) -> MemberRecord {
    MemberRecord {
        campaign_id: campaign.to_owned(),
        subscription_id: line.to_owned(),
        customer_id: format!("C-{line}"),
        vip_tier: "gold".to_owned(),
        branch_id: "B01".to_owned(),
        manager_id: Some("M01".to_owned()),
        arm: arm.to_owned(),
        offer_id: "o1".to_owned(),
    }
}

fn task(campaign: &str, line: &str, channel: &str) -> NewTask {
    NewTask {
        rule_id: campaign_rule_id(campaign),
        subject: line.to_owned(),
        cause: channel.to_owned(),
        category: "campaign".to_owned(),
        action: "call".to_owned(),
        customer_id: format!("C-{line}"),
        subscription_id: Some(line.to_owned()),
        branch_id: "B01".to_owned(),
        manager_id: Some("M01".to_owned()),
        queue: None,
        priority: "normal".to_owned(),
        due_on: "2026-12-31".to_owned(),
        reason_zh: "续约".to_owned(),
        reason_en: "renewal".to_owned(),
        created_at: "2026-11-01T09:00:00+08:00".to_owned(),
        source_event: None,
    }
}

/// An approved campaign executed with these members (treated ones get an outbound and a store
/// task each).
async fn run(store: &dyn Store, id: &str, budget_fen: i64, members: &[(&str, &str)]) -> Executed {
    assert!(
        store
            .create_campaign(&campaign(id, "approved", budget_fen), &entry(id, "create", "", "approved"))
            .await
            .expect("create")
    );
    let execution = Execution {
        campaign_id: id.to_owned(),
        executed_on: "2026-11-01".to_owned(),
        holdout_until: "2027-03-31".to_owned(),
        members: members.iter().map(|(line, arm)| member(id, line, arm)).collect(),
        tasks: members
            .iter()
            .filter(|(_, arm)| *arm == "treated")
            .flat_map(|(line, _)| [task(id, line, "outbound"), task(id, line, "store")])
            .collect(),
        history: entry(id, "execute", "approved", "running"),
    };
    store.execute_campaign(&execution).await.expect("execute")
}

fn acceptance(campaign: &str, task_id: i64, line: &str, offer: &str, cost_fen: i64) -> Acceptance {
    Acceptance {
        campaign_id: campaign.to_owned(),
        offer_id: offer.to_owned(),
        task_id,
        subscription_id: line.to_owned(),
        customer_id: format!("C-{line}"),
        channel: "store".to_owned(),
        user_id: "u-clerk".to_owned(),
        at: "2026-11-02T10:00:00+08:00".to_owned(),
        today: "2026-11-02".to_owned(),
        until: "2027-05-02".to_owned(),
        cost_fen,
        excluded_offers: vec![offer.to_owned(), "o-excluded".to_owned()],
        outcome: OutcomeRecord {
            task_id,
            at: "2026-11-02T10:00:00+08:00".to_owned(),
            user_id: "u-clerk".to_owned(),
            outcome: "accepted".to_owned(),
            note: String::new(),
            confirm_suspension: false,
            request_id: None,
            questionnaire_id: None,
            answers: None,
        },
        contact: contact(line, "store", "2026-11-02 10:00:00", "accepted"),
    }
}

fn contact(line: &str, channel: &str, at: &str, outcome: &str) -> ContactEntry {
    ContactEntry {
        customer_id: format!("C-{line}"),
        subscription_id: Some(line.to_owned()),
        channel: channel.to_owned(),
        at: at.to_owned(),
        campaign_id: Some("c".to_owned()),
        task_id: None,
        user_id: "u-clerk".to_owned(),
        outcome: outcome.to_owned(),
        refused: outcome == "refused",
        transactional: false,
    }
}

async fn task_of(store: &dyn Store, campaign: &str, line: &str, channel: &str) -> i64 {
    let filter = TaskFilter {
        rule_id: Some(campaign_rule_id(campaign)),
        subscription_id: Some(line.into()),
        ..TaskFilter::default()
    };
    store
        .tasks(&filter)
        .await
        .expect("tasks")
        .into_iter()
        .find(|t| t.task.cause == channel)
        .expect("task")
        .task_id
}

pub async fn offers_are_added_all_or_none(store: Arc<dyn Store>) {
    assert!(
        store.create_offers(&[offer("o1", Some(10_000)), offer("o2", None)]).await.expect("add").is_empty()
    );
    let taken = store.create_offers(&[offer("o3", None), offer("o1", None)]).await.expect("add");
    assert_eq!(taken, ["o1"]);
    let ids: Vec<String> = store.offers().await.expect("offers").into_iter().map(|o| o.offer_id).collect();
    assert_eq!(ids, ["o1", "o2"], "o3 was not added either");
    assert!(store.set_offer_active("o2", false).await.expect("retire"));
    assert!(!store.find_offer("o2").await.expect("find").expect("o2").active);
    assert!(!store.set_offer_active("nope", false).await.expect("retire"));
}

pub async fn a_campaign_moves_only_from_the_state_it_is_in(store: Arc<dyn Store>) {
    let c = campaign("c1", "draft", 100_000);
    assert!(store.create_campaign(&c, &entry("c1", "create", "", "draft")).await.expect("create"));
    assert!(
        !store.create_campaign(&c, &entry("c1", "create", "", "draft")).await.expect("again"),
        "id taken"
    );
    assert!(
        store
            .transition_campaign(&entry("c1", "submit", "draft", "submitted"), 0, 0, false)
            .await
            .expect("submit")
    );
    // A second submit (a stale view of the campaign) changes nothing.
    assert!(
        !store
            .transition_campaign(&entry("c1", "submit", "draft", "submitted"), 0, 0, false)
            .await
            .expect("stale")
    );
    assert!(
        store
            .transition_campaign(&entry("c1", "approve", "submitted", "submitted"), 0, 1, false)
            .await
            .expect("level 1")
    );
    // Two approvers at the same level: the second finds approvals moved on.
    assert!(
        !store
            .transition_campaign(&entry("c1", "approve", "submitted", "approved"), 0, 1, false)
            .await
            .expect("raced")
    );
    let mut edited = c.clone();
    edited.plan = r#"{"edited":true}"#.to_owned();
    assert!(
        !store
            .update_campaign_plan(&edited, &entry("c1", "edit", "submitted", "submitted"))
            .await
            .expect("edit"),
        "only drafts"
    );
    let found = store.find_campaign("c1").await.expect("find").expect("c1");
    assert_eq!((found.status.as_str(), found.approvals, found.plan.as_str()), ("submitted", 1, "{}"));
    let history: Vec<String> =
        store.campaign_history("c1").await.expect("history").into_iter().map(|h| h.action).collect();
    assert_eq!(history, ["create", "submit", "approve"]);
}

pub async fn an_execution_refuses_lines_another_campaign_holds_and_stores_nothing(store: Arc<dyn Store>) {
    assert_eq!(
        run(store.as_ref(), "a", 100_000, &[("S1", "treated"), ("S2", "control"), ("S3", "treated")]).await,
        Executed::Started { tasks: 4 }
    );
    assert_eq!(store.holdout_size("a").await.expect("size"), 1);
    // S2 is in a's control group and S3 in its treated arm: b may have neither.
    let b =
        run(store.as_ref(), "b", 100_000, &[("S2", "treated"), ("S3", "control"), ("S4", "treated")]).await;
    assert_eq!(b, Executed::HeldOut(vec!["S2".to_owned(), "S3".to_owned()]));
    let found = store.find_campaign("b").await.expect("find").expect("b");
    assert_eq!(found.status, "approved", "b did not start");
    assert!(store.campaign_members("b").await.expect("members").is_empty());
    assert_eq!(store.holdout_size("b").await.expect("size"), 0);
    let b_tasks = TaskFilter { rule_id: Some(campaign_rule_id("b")), ..TaskFilter::default() };
    assert_eq!(store.count_tasks(&b_tasks).await.expect("count"), 0);
    let engaged =
        store.engaged(&["S1".into(), "S2".into(), "S4".into()], "2026-11-01", "b").await.expect("engaged");
    assert_eq!(engaged, ["S1", "S2"]);
    // Once a ends its treated lines are free; its control stays held out until the holdout ends.
    assert!(
        store.transition_campaign(&entry("a", "end", "running", "ended"), 0, 0, true).await.expect("end")
    );
    let engaged = store.engaged(&["S1".into(), "S2".into()], "2026-11-01", "b").await.expect("engaged");
    assert_eq!(engaged, ["S2"]);
    assert!(store.engaged(&["S2".into()], "2027-04-01", "b").await.expect("engaged").is_empty());
    let open = TaskFilter {
        rule_id: Some(campaign_rule_id("a")),
        status: Some("open".into()),
        ..TaskFilter::default()
    };
    assert_eq!(store.count_tasks(&open).await.expect("count"), 0, "ending closed a's tasks");
    // Not approved: nothing is stored.
    assert!(matches!(run_again(store.as_ref(), "a").await, Executed::NotApproved { .. }));
}

async fn run_again(store: &dyn Store, id: &str) -> Executed {
    let execution = Execution {
        campaign_id: id.to_owned(),
        executed_on: "2026-11-01".to_owned(),
        holdout_until: "2027-03-31".to_owned(),
        members: vec![member(id, "S9", "treated")],
        tasks: vec![task(id, "S9", "outbound")],
        history: entry(id, "execute", "approved", "running"),
    };
    store.execute_campaign(&execution).await.expect("execute")
}

pub async fn an_acceptance_keeps_budgets_and_exclusions(store: Arc<dyn Store>) {
    assert!(store.create_offers(&[offer("o1", Some(15_000))]).await.expect("offers").is_empty());
    // The campaign's budget holds two take-ups of 60 yuan; the offer's two and a half.
    let lines = [("S1", "treated"), ("S2", "treated"), ("S3", "treated"), ("S4", "treated")];
    assert_eq!(run(store.as_ref(), "c", 12_000, &lines).await, Executed::Started { tasks: 8 });
    let store_task = task_of(store.as_ref(), "c", "S1", "store").await;
    let outbound = task_of(store.as_ref(), "c", "S1", "outbound").await;
    let Accepted::Accepted { task, closed } =
        store.accept_offer(&acceptance("c", store_task, "S1", "o1", 6_000)).await.expect("accept")
    else {
        panic!("accepted");
    };
    assert_eq!((task.task_id, task.status.as_str()), (store_task, "done"));
    assert_eq!(closed, [outbound], "the outbound task of the same line closes with it");
    let outbound_task = store.task(outbound).await.expect("task").expect("exists");
    assert_eq!(outbound_task.status, "done");
    assert!(store.outcomes(outbound).await.expect("outcomes").is_empty(), "no outcome counted twice");
    // Accepting again on the closed task, or on another task of the same line, is refused.
    assert_eq!(
        store.accept_offer(&acceptance("c", outbound, "S1", "o1", 6_000)).await.expect("again"),
        Accepted::TaskDone
    );
    assert_eq!(
        store.accept_offer(&acceptance("c", 999_999, "S1", "o1", 6_000)).await.expect("none"),
        Accepted::NotFound
    );
    assert_eq!(
        store.holdings(&["S1".into(), "S2".into()], "2026-11-02").await.expect("holdings"),
        [("S1".to_owned(), "o1".to_owned())]
    );

    // A line holding an excluded offer: refused, nothing changes.
    let s2 = task_of(store.as_ref(), "c", "S2", "store").await;
    let mut held = acceptance("c", s2, "S2", "o1", 6_000);
    held.excluded_offers = vec!["o1".to_owned()];
    held.subscription_id = "S1".to_owned();
    assert_eq!(store.accept_offer(&held).await.expect("excluded"), Accepted::AlreadyTaken);
    let second = store.accept_offer(&acceptance("c", s2, "S2", "o1", 6_000)).await.expect("second");
    assert!(matches!(second, Accepted::Accepted { .. }));
    // The campaign's budget (120 yuan) is spent: a 30-yuan take-up would fit the offer's
    // budget (150) but not the campaign's; refused, and the task stays open.
    let s3 = task_of(store.as_ref(), "c", "S3", "store").await;
    assert_eq!(
        store.accept_offer(&acceptance("c", s3, "S3", "o1", 3_000)).await.expect("third"),
        Accepted::CampaignBudgetSpent
    );
    assert_eq!(store.task(s3).await.expect("task").expect("s3").status, "open");
    assert!(store.outcomes(s3).await.expect("outcomes").is_empty());
    // The offer's budget (150 yuan) refuses a 60-yuan take-up after 120 spent: 180 > 150.
    let larger = acceptance("c", s3, "S3", "o1", 6_000);
    assert_eq!(store.accept_offer(&larger).await.expect("offer budget"), Accepted::OfferBudgetSpent);
    let spent = store.find_offer("o1").await.expect("offer").expect("o1").spent_fen;
    assert_eq!(spent, 12_000);
    assert_eq!(store.find_campaign("c").await.expect("c").expect("c").spent_fen, 12_000);
    assert_eq!(store.takeups("c").await.expect("takeups").len(), 2);
    // A paused campaign takes no acceptance.
    assert!(
        store
            .transition_campaign(&entry("c", "pause", "running", "paused"), 0, 0, false)
            .await
            .expect("pause")
    );
    let s4 = task_of(store.as_ref(), "c", "S4", "store").await;
    let paused = store.accept_offer(&acceptance("c", s4, "S4", "o1", 1_000)).await.expect("paused");
    assert_eq!(paused, Accepted::NotRunning { status: "paused".to_owned() });
    assert_eq!(store.task(s4).await.expect("task").expect("s4").status, "open");
    let contacts = store.campaign_contacts("c").await.expect("contacts");
    assert_eq!(contacts.len(), 8);
    assert_eq!(contacts.iter().filter(|c| c.accepted).count(), 2);
    assert_eq!(contacts.iter().filter(|c| c.worked).count(), 2);
}

pub async fn an_offer_the_customer_holds_excludes_another(store: Arc<dyn Store>) {
    assert!(
        store
            .create_offers(&[offer("o1", None), offer("o-excluded", None)])
            .await
            .expect("offers")
            .is_empty()
    );
    assert_eq!(
        run(store.as_ref(), "e1", 100_000, &[("S1", "treated")]).await,
        Executed::Started { tasks: 2 }
    );
    let first = task_of(store.as_ref(), "e1", "S1", "store").await;
    let mut take = acceptance("e1", first, "S1", "o-excluded", 1_000);
    take.excluded_offers = vec!["o-excluded".to_owned()];
    assert!(matches!(store.accept_offer(&take).await.expect("take"), Accepted::Accepted { .. }));
    assert!(
        store.transition_campaign(&entry("e1", "end", "running", "ended"), 0, 0, true).await.expect("end")
    );
    // A later campaign offers o1, which cannot be held with o-excluded.
    assert_eq!(
        run(store.as_ref(), "e2", 100_000, &[("S1", "treated")]).await,
        Executed::Started { tasks: 2 }
    );
    let second = task_of(store.as_ref(), "e2", "S1", "store").await;
    let refused = store.accept_offer(&acceptance("e2", second, "S1", "o1", 1_000)).await.expect("refused");
    assert_eq!(refused, Accepted::Excluded { offer_id: "o-excluded".to_owned() });
    assert_eq!(store.task(second).await.expect("task").expect("exists").status, "open", "nothing changed");
    assert_eq!(store.find_campaign("e2").await.expect("e2").expect("e2").spent_fen, 0);
}

pub async fn contacts_are_entered_in_the_ledger_with_their_outcome(store: Arc<dyn Store>) {
    assert_eq!(
        run(store.as_ref(), "c", 100_000, &[("S1", "treated"), ("S2", "treated")]).await,
        Executed::Started { tasks: 4 }
    );
    let outbound = task_of(store.as_ref(), "c", "S1", "outbound").await;
    let outcome = OutcomeRecord {
        task_id: outbound,
        at: "2026-11-02T10:00:00+08:00".to_owned(),
        user_id: "u-m1".to_owned(),
        outcome: "refused".to_owned(),
        note: String::new(),
        confirm_suspension: false,
        request_id: None,
        questionnaire_id: None,
        answers: None,
    };
    let refused = contact("S1", "outbound", "2026-11-02 10:00:00", "refused");
    let audit_entry = audit("u-m1", "record_outcome", "t");
    let recorded =
        store.record_contact_outcome(&outcome, true, &refused, &audit_entry).await.expect("record");
    let OutcomeRecorded::New(task) = recorded else { panic!("{recorded:?}") };
    assert_eq!(task.status, "done");
    assert_eq!(store.outcomes(outbound).await.expect("outcomes").len(), 1);
    // No task: nothing is entered.
    let mut missing = outcome.clone();
    missing.task_id = 999_999;
    let recorded =
        store.record_contact_outcome(&missing, true, &refused, &audit_entry).await.expect("record");
    assert_eq!(recorded, OutcomeRecorded::NoTask);
    // A done task takes no more outcomes, and enters no contact.
    let again = OutcomeRecord { request_id: Some("late".into()), ..outcome.clone() };
    let recorded = store.record_contact_outcome(&again, true, &refused, &audit_entry).await.expect("record");
    assert_eq!(recorded, OutcomeRecorded::TaskDone);
    // An acceptance enters its contact too.
    let store_task = task_of(store.as_ref(), "c", "S2", "store").await;
    assert!(store.create_offers(&[offer("o1", None)]).await.expect("offer").is_empty());
    let accepted = store.accept_offer(&acceptance("c", store_task, "S2", "o1", 0)).await.expect("accept");
    assert!(matches!(accepted, Accepted::Accepted { .. }), "{accepted:?}");
    let ledger =
        store.contacts(&["C-S1".into(), "C-S2".into()], "2026-11-01 00:00:00").await.expect("ledger");
    let seen: Vec<(&str, &str, bool)> =
        ledger.iter().map(|c| (c.customer_id.as_str(), c.channel.as_str(), c.refused)).collect();
    assert_eq!(seen, [("C-S1", "outbound", true), ("C-S2", "store", false)]);
    assert!(
        store.contacts(&["C-S1".into()], "2026-11-03 00:00:00").await.expect("ledger").is_empty(),
        "since"
    );

    // The do-not-disturb list.
    assert!(
        store
            .set_do_not_disturb("C-S1", true, "2026-11-02T10:00:00+08:00", "u-agent", "asked")
            .await
            .expect("on")
    );
    assert!(
        !store
            .set_do_not_disturb("C-S1", true, "2026-11-02T10:00:00+08:00", "u-agent", "again")
            .await
            .expect("on")
    );
    assert_eq!(store.do_not_disturb(&["C-S1".into(), "C-S2".into()]).await.expect("dnd"), ["C-S1"]);
    assert!(store.set_do_not_disturb("C-S1", false, "", "u-agent", "").await.expect("off"));
    assert!(store.do_not_disturb(&["C-S1".into()]).await.expect("dnd").is_empty());
}

pub async fn concurrent_acceptances_lose_and_double_nothing(store: Arc<dyn Store>) {
    // 50 treated lines, each with an outbound and a store task; 100 clients accept at once,
    // two per line (one on each channel's task).
    assert!(store.create_offers(&[offer("o1", None)]).await.expect("offer").is_empty());
    let lines: Vec<String> = (0..50).map(|n| format!("S{n:02}")).collect();
    let members: Vec<(&str, &str)> = lines.iter().map(|l| (l.as_str(), "treated")).collect();
    assert_eq!(run(store.as_ref(), "c", 1_000_000, &members).await, Executed::Started { tasks: 100 });
    let mut clients = Vec::new();
    for line in &lines {
        for channel in ["outbound", "store"] {
            let task_id = task_of(store.as_ref(), "c", line, channel).await;
            let (store, line) = (store.clone(), line.clone());
            clients.push(tokio::spawn(async move {
                let mut a = acceptance("c", task_id, &line, "o1", 1_000);
                a.channel = channel.to_owned();
                store.accept_offer(&a).await
            }));
        }
    }
    let mut accepted = 0;
    for client in clients {
        match client.await.expect("joined").expect("no database error") {
            Accepted::Accepted { .. } => accepted += 1,
            Accepted::TaskDone | Accepted::AlreadyTaken => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(accepted, 50, "one acceptance per line");
    assert_eq!(store.takeups("c").await.expect("takeups").len(), 50);
    assert_eq!(store.find_campaign("c").await.expect("c").expect("c").spent_fen, 50_000);
    assert_eq!(store.find_offer("o1").await.expect("o1").expect("o1").spent_fen, 50_000);
    let open = TaskFilter {
        rule_id: Some(campaign_rule_id("c")),
        status: Some("open".into()),
        ..TaskFilter::default()
    };
    assert_eq!(store.count_tasks(&open).await.expect("count"), 0);
    let ids: Vec<String> = lines.iter().map(|l| format!("C-{l}")).collect();
    assert_eq!(store.contacts(&ids, "2026-01-01 00:00:00").await.expect("ledger").len(), 50);
}

pub async fn concurrent_outcomes_with_retries_lose_and_double_nothing(store: Arc<dyn Store>) {
    // 50 lines, each with two channel tasks: 100 clients record an outcome each, and every
    // client sends its request twice at once (a retry after a timeout), 200 requests in all.
    let lines: Vec<String> = (0..50).map(|n| format!("S{n:02}")).collect();
    let members: Vec<(&str, &str)> = lines.iter().map(|l| (l.as_str(), "treated")).collect();
    assert_eq!(run(store.as_ref(), "c", 1_000_000, &members).await, Executed::Started { tasks: 100 });
    let mut requests = Vec::new();
    for line in &lines {
        for channel in ["outbound", "store"] {
            let task_id = task_of(store.as_ref(), "c", line, channel).await;
            for _attempt in 0..2 {
                let (store, line) = (store.clone(), line.clone());
                requests.push(tokio::spawn(async move {
                    let outcome = OutcomeRecord {
                        task_id,
                        at: "2026-11-02T10:00:00+08:00".to_owned(),
                        user_id: "u-m1".to_owned(),
                        outcome: "considering".to_owned(),
                        note: String::new(),
                        confirm_suspension: false,
                        request_id: Some(format!("req-{line}-{channel}")),
                        questionnaire_id: None,
                        answers: None,
                    };
                    let entry = contact(&line, channel, "2026-11-02 10:00:00", "considering");
                    let audit = audit("u-m1", "record_outcome", &task_id.to_string());
                    store.record_contact_outcome(&outcome, false, &entry, &audit).await
                }));
            }
        }
    }
    for request in requests {
        let recorded = request.await.expect("joined").expect("no database error");
        let (OutcomeRecorded::New(task) | OutcomeRecorded::Replay(task)) = recorded else {
            panic!("{recorded:?}")
        };
        assert_eq!(task.last_outcome.as_deref(), Some("considering"));
    }
    for line in &lines {
        for channel in ["outbound", "store"] {
            let task_id = task_of(store.as_ref(), "c", line, channel).await;
            let outcomes = store.outcomes(task_id).await.expect("outcomes");
            assert_eq!(outcomes.len(), 1, "{line} {channel}: one outcome, not two");
            assert_eq!(
                store.outcome_request(&format!("req-{line}-{channel}")).await.expect("request"),
                Some(task_id)
            );
        }
    }
    let ids: Vec<String> = lines.iter().map(|l| format!("C-{l}")).collect();
    assert_eq!(
        store.contacts(&ids, "2026-01-01 00:00:00").await.expect("ledger").len(),
        100,
        "one contact each"
    );
    let filter = AuditFilter { action: Some("record_outcome".into()), limit: 1000, ..AuditFilter::default() };
    assert_eq!(store.audit_log(&filter).await.expect("audit").len(), 100, "one audit entry each");
}
