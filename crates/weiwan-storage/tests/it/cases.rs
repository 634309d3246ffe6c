//! Conformance tests of what retention cases keep ([`CaseStore`]): one open case per line, a
//! second request joining it without changing its owner (also when requests arrive at once),
//! changes applied only to the version they were decided on, all or nothing with their event.
//! Instantiated for both backends by `store_conformance_suite!` in main.rs.

use std::sync::Arc;

use weiwan_storage::{
    CaseFilter, CaseRecord, CaseUpdate, CaseUpdated, ConcessionRecord, ConcessionUpdate, Opened, Store,
};

fn request(line: &str, by: &str, at: &str) -> CaseRecord {
    CaseRecord {
        case_id: 0,
        customer_id: format!("C-{line}"),
        subscription_id: line.to_owned(),
        branch_id: "B01".to_owned(),
        manager_id: Some("M01".to_owned()),
        kind: "port_out".to_owned(),
        status: "open".to_owned(),
        owner_id: by.to_owned(),
        channel: "store".to_owned(),
        reason: "竞争对手优惠 / competitor offer".to_owned(),
        monthly_fee_fen: Some(9600),
        opened_at: at.to_owned(),
        escalated_at: None,
        escalated_by: None,
        desk_owner_id: None,
        closed_at: None,
        closed_by: None,
        outcome: None,
        kept_fee_fen: None,
        version: 0,
    }
}

fn opened(result: Opened) -> (bool, CaseRecord) {
    match result {
        Opened::New(case) => (true, case),
        Opened::Joined(case) => (false, case),
    }
}

fn update(case: &CaseRecord, action: &str, by: &str, to: &str) -> CaseUpdate {
    let mut next = case.clone();
    next.status = to.to_owned();
    CaseUpdate {
        event: weiwan_storage::CaseEventRecord {
            case_id: case.case_id,
            at: "2026-11-20T03:00:00+00:00".to_owned(),
            user_id: by.to_owned(),
            action: action.to_owned(),
            from_status: case.status.clone(),
            to_status: to.to_owned(),
            concession_id: None,
            channel: String::new(),
            note: String::new(),
        },
        case: next,
        new_concession: None,
        concession_updates: Vec::new(),
    }
}

fn concession(status: &str, by: &str, amount_fen: i64) -> ConcessionRecord {
    ConcessionRecord {
        concession_id: 0,
        case_id: 0,
        kind: "bill_credit".to_owned(),
        amount_fen,
        level: "first_line".to_owned(),
        status: status.to_owned(),
        requested_by: by.to_owned(),
        requested_at: "2026-11-20T03:00:00+00:00".to_owned(),
        approver_id: None,
        decided_at: None,
        note: String::new(),
    }
}

pub async fn a_second_request_to_leave_joins_the_open_case_and_keeps_its_owner(store: Arc<dyn Store>) {
    let (new, first) =
        opened(store.open_case(&request("S1", "u-clerk", "2026-11-20T02:00:00+00:00")).await.expect("open"));
    assert!(new);
    assert_eq!((first.status.as_str(), first.owner_id.as_str(), first.version), ("open", "u-clerk", 0));
    let mut by_agent = request("S1", "u-agent", "2026-11-20T02:30:00+00:00");
    by_agent.channel = "hotline".to_owned();
    by_agent.kind = "disconnect".to_owned();
    let (new, joined) = opened(store.open_case(&by_agent).await.expect("open"));
    assert!(!new, "the line has an open case");
    assert_eq!(joined, first, "joining changes nothing of the case: its owner stays");
    let events = store.case_events(first.case_id).await.expect("events");
    let seen: Vec<(&str, &str, &str)> =
        events.iter().map(|e| (e.action.as_str(), e.user_id.as_str(), e.channel.as_str())).collect();
    assert_eq!(seen, [("open", "u-clerk", "store"), ("join", "u-agent", "hotline")]);
    // Another line is another case.
    let (new, other) =
        opened(store.open_case(&request("S2", "u-agent", "2026-11-20T02:40:00+00:00")).await.expect("open"));
    assert!(new);
    assert_ne!(other.case_id, first.case_id);

    // Once closed, a new request opens a new case.
    let mut close = update(&first, "close", "u-clerk", "closed");
    close.case.closed_at = Some("2026-11-20T04:00:00+00:00".to_owned());
    close.case.closed_by = Some("u-clerk".to_owned());
    close.case.outcome = Some("retained".to_owned());
    assert_eq!(store.update_case(&close).await.expect("close"), CaseUpdated::Applied { concession_id: None });
    let (new, again) =
        opened(store.open_case(&request("S1", "u-agent", "2026-12-01T02:00:00+00:00")).await.expect("open"));
    assert!(new, "a closed case is not joined");
    assert_eq!(again.owner_id, "u-agent");
}

pub async fn concurrent_requests_to_leave_open_one_case(store: Arc<dyn Store>) {
    let mut handles = Vec::new();
    for i in 0..16 {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            let by = format!("u-{i}");
            store.open_case(&request("S9", &by, "2026-11-20T02:00:00+00:00")).await.expect("open")
        }));
    }
    let mut new = Vec::new();
    let mut ids = Vec::new();
    for handle in handles {
        let (is_new, case) = opened(handle.await.expect("join"));
        if is_new {
            new.push(case.owner_id.clone());
        }
        ids.push(case.case_id);
    }
    assert_eq!(new.len(), 1, "exactly one request opens the case");
    ids.dedup();
    assert_eq!(ids.len(), 1, "every request names the same case");
    let case = store.find_case(ids[0]).await.expect("find").expect("case");
    assert_eq!(case.owner_id, new[0], "the first to open owns it");
    let events = store.case_events(case.case_id).await.expect("events");
    assert_eq!(events.len(), 16);
    assert_eq!(events.iter().filter(|e| e.action == "open").count(), 1);
    assert_eq!(store.cases(&CaseFilter::default()).await.expect("list").len(), 1);
}

pub async fn a_case_change_applies_to_its_version_all_or_nothing(store: Arc<dyn Store>) {
    let (_, case) =
        opened(store.open_case(&request("S1", "u-clerk", "2026-11-20T02:00:00+00:00")).await.expect("open"));
    // An offer: the concession is added and the event names it.
    let mut offer = update(&case, "offer", "u-clerk", "open");
    offer.new_concession = Some(concession("offered", "u-clerk", 3000));
    let CaseUpdated::Applied { concession_id: Some(offered) } =
        store.update_case(&offer).await.expect("offer")
    else {
        panic!("the offer applies")
    };
    // The same change again was decided on a version that is gone.
    assert_eq!(store.update_case(&offer).await.expect("stale"), CaseUpdated::Stale);
    let case = store.find_case(case.case_id).await.expect("find").expect("case");
    assert_eq!(case.version, 1);
    // Escalating, declining the offer with it.
    let mut escalate = update(&case, "escalate", "u-clerk", "escalated");
    escalate.case.escalated_at = Some("2026-11-20T03:00:00+00:00".to_owned());
    escalate.case.escalated_by = Some("u-clerk".to_owned());
    escalate.concession_updates.push(ConcessionUpdate {
        concession_id: offered,
        from_status: "offered".to_owned(),
        to_status: "declined".to_owned(),
        approver_id: None,
        decided_at: None,
    });
    // A concession not in the status the change expects refuses the whole change.
    let mut wrong = escalate.clone();
    wrong.concession_updates[0].from_status = "pending_approval".to_owned();
    assert_eq!(store.update_case(&wrong).await.expect("stale"), CaseUpdated::Stale);
    let unchanged = store.find_case(case.case_id).await.expect("find").expect("case");
    assert_eq!(unchanged, case, "nothing of a refused change is stored");
    assert_eq!(store.case_events(case.case_id).await.expect("events").len(), 2);
    assert_eq!(
        store.update_case(&escalate).await.expect("escalate"),
        CaseUpdated::Applied { concession_id: None }
    );
    let case = store.find_case(case.case_id).await.expect("find").expect("case");
    assert_eq!((case.status.as_str(), case.version), ("escalated", 2));
    assert_eq!(case.escalated_by.as_deref(), Some("u-clerk"));

    // An approval: nobody approves their own request (the store refuses it too).
    let mut ask = update(&case, "offer", "u-desk", "pending_approval");
    ask.new_concession = Some(ConcessionRecord {
        level: "approval".to_owned(),
        ..concession("pending_approval", "u-desk", 50000)
    });
    let CaseUpdated::Applied { concession_id: Some(asked) } = store.update_case(&ask).await.expect("ask")
    else {
        panic!("the request applies")
    };
    let case = store.find_case(case.case_id).await.expect("find").expect("case");
    let approve = |approver: &str| {
        let mut approve = update(&case, "approve", approver, "escalated");
        approve.concession_updates.push(ConcessionUpdate {
            concession_id: asked,
            from_status: "pending_approval".to_owned(),
            to_status: "offered".to_owned(),
            approver_id: Some(approver.to_owned()),
            decided_at: Some("2026-11-20T05:00:00+00:00".to_owned()),
        });
        approve
    };
    assert!(store.update_case(&approve("u-desk")).await.is_err(), "the requester cannot approve");
    assert_eq!(store.find_case(case.case_id).await.expect("find").expect("case"), case);
    assert_eq!(
        store.update_case(&approve("u-approver")).await.expect("approve"),
        CaseUpdated::Applied { concession_id: None }
    );
    let concessions = store.case_concessions(&[case.case_id]).await.expect("concessions");
    let seen: Vec<(i64, &str, Option<&str>)> =
        concessions.iter().map(|c| (c.amount_fen, c.status.as_str(), c.approver_id.as_deref())).collect();
    assert_eq!(seen, [(3000, "declined", None), (50000, "offered", Some("u-approver"))]);
    let actions: Vec<String> =
        store.case_events(case.case_id).await.expect("events").into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["open", "offer", "escalate", "offer", "approve"]);
}

pub async fn cases_are_listed_by_branch_status_and_time(store: Arc<dyn Store>) {
    let (_, a) =
        opened(store.open_case(&request("S1", "u-clerk", "2026-10-31T15:00:00+00:00")).await.expect("open"));
    let mut b = request("S2", "u-agent", "2026-11-05T02:00:00+00:00");
    b.branch_id = "B02".to_owned();
    let (_, b) = opened(store.open_case(&b).await.expect("open"));
    let (_, c) =
        opened(store.open_case(&request("S3", "u-clerk", "2026-11-06T02:00:00+00:00")).await.expect("open"));
    let mut close = update(&c, "close", "u-clerk", "closed");
    close.case.closed_at = Some("2026-11-07T02:00:00+00:00".to_owned());
    close.case.closed_by = Some("u-clerk".to_owned());
    close.case.outcome = Some("lost".to_owned());
    store.update_case(&close).await.expect("close");
    let ids = |cases: Vec<CaseRecord>| cases.into_iter().map(|c| c.case_id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.cases(&CaseFilter::default()).await.expect("all")),
        [c.case_id, b.case_id, a.case_id]
    );
    let branch = CaseFilter { branch_id: Some("B01".to_owned()), ..CaseFilter::default() };
    assert_eq!(ids(store.cases(&branch).await.expect("branch")), [c.case_id, a.case_id]);
    let open = CaseFilter { status: Some("open".to_owned()), ..CaseFilter::default() };
    assert_eq!(ids(store.cases(&open).await.expect("open")), [b.case_id, a.case_id]);
    let november = CaseFilter {
        opened_from: Some("2026-10-31T16:00:00+00:00".to_owned()),
        opened_to: Some("2026-11-30T16:00:00+00:00".to_owned()),
        ..CaseFilter::default()
    };
    assert_eq!(ids(store.cases(&november).await.expect("november")), [c.case_id, b.case_id]);
    let closed = CaseFilter {
        closed_from: Some("2026-11-01T00:00:00+00:00".to_owned()),
        closed_to: Some("2026-12-01T00:00:00+00:00".to_owned()),
        ..CaseFilter::default()
    };
    assert_eq!(ids(store.cases(&closed).await.expect("closed")), [c.case_id]);
    assert_eq!(
        ids(store.cases(&CaseFilter { limit: 1, ..CaseFilter::default() }).await.expect("limit")),
        [c.case_id]
    );
    assert!(store.case_concessions(&[]).await.expect("none").is_empty());
    assert_eq!(store.find_case(999).await.expect("find"), None);
}
