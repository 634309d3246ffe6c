//! Conformance tests of clubs ([`ClubStore`]) and key persons' influence ([`GroupStore`]):
//! membership, places that never exceed the capacity (also when sign-ups arrive at once), the
//! waitlist's order, the draw, attendance all or nothing, points never overdrawn (also at once),
//! and an audit entry with every change but none with a refusal. Instantiated for both backends
//! by `store_conformance_suite!` in main.rs.

use std::sync::Arc;

use weiwan_storage::{
    Attendance, AuditEntry, AuditFilter, Cancelled, ClubEventRecord, ClubRecord, Drawn, InfluenceRecord,
    Joined, MembershipRecord, PointSpendRecord, SignUp, SignupRecord, Spent, Store,
};

const AT: &str = "2026-11-20T02:00:00+00:00";

fn audit(action: &str, object_id: &str) -> AuditEntry {
    AuditEntry {
        id: 0,
        at: AT.to_owned(),
        actor: "u-planner".to_owned(),
        role: "planner".to_owned(),
        action: action.to_owned(),
        object_type: "club".to_owned(),
        object_id: object_id.to_owned(),
        detail: "{}".to_owned(),
    }
}

async fn audited(store: &dyn Store, action: &str) -> usize {
    let filter = AuditFilter { action: Some(action.to_owned()), limit: 1000, ..AuditFilter::default() };
    store.audit_log(&filter).await.expect("audit").len()
}

fn club(id: &str) -> ClubRecord {
    ClubRecord {
        club_id: id.to_owned(),
        name_zh: "高尔夫俱乐部".to_owned(),
        name_en: "Golf club".to_owned(),
        description: String::new(),
        tiers: vec!["diamond".to_owned(), "gold".to_owned()],
        branch_id: None,
        created_at: AT.to_owned(),
        created_by: "u-planner".to_owned(),
    }
}

fn membership(club_id: &str, customer: &str) -> MembershipRecord {
    MembershipRecord {
        club_id: club_id.to_owned(),
        customer_id: customer.to_owned(),
        joined_at: AT.to_owned(),
        joined_by: "u-m01".to_owned(),
        left_at: None,
        left_by: None,
    }
}

fn event(club_id: &str, capacity: i64, allocation: &str, waitlist: bool) -> ClubEventRecord {
    ClubEventRecord {
        event_id: 0,
        club_id: club_id.to_owned(),
        title: "品酒会 / wine tasting".to_owned(),
        place: "西湖国宾馆".to_owned(),
        starts_at: "2026-12-05T06:00:00+00:00".to_owned(),
        capacity,
        allocation: allocation.to_owned(),
        waitlist,
        confirmed: 0,
        draw_seed: None,
        drawn_at: None,
        drawn_by: None,
        created_at: AT.to_owned(),
        created_by: "u-planner".to_owned(),
    }
}

/// A club with members C1..=Cn.
async fn club_with_members(store: &dyn Store, id: &str, n: usize) {
    assert!(store.create_club(&club(id), &audit("create_club", id)).await.expect("create"));
    for i in 1..=n {
        let joined =
            store.join_club(&membership(id, &format!("C{i}")), &audit("join_club", id)).await.expect("join");
        assert_eq!(joined, Joined::New);
    }
}

async fn sign_up(store: &dyn Store, event_id: i64, customer: &str) -> SignUp {
    store.sign_up(event_id, customer, AT, "u-m01", &audit("club_sign_up", customer)).await.expect("sign up")
}

fn stored(outcome: SignUp) -> SignupRecord {
    match outcome {
        SignUp::Stored(signup) => signup,
        other => panic!("expected a stored sign-up, got {other:?}"),
    }
}

fn statuses(signups: &[SignupRecord]) -> Vec<(String, String, Option<i64>)> {
    signups.iter().map(|s| (s.customer_id.clone(), s.status.clone(), s.position)).collect()
}

fn row(customer: &str, status: &str, position: Option<i64>) -> (String, String, Option<i64>) {
    (customer.to_owned(), status.to_owned(), position)
}

pub async fn clubs_are_created_once_and_members_join_leave_and_join_again(store: Arc<dyn Store>) {
    let store = store.as_ref();
    club_with_members(store, "golf", 1).await;
    assert!(!store.create_club(&club("golf"), &audit("create_club", "golf")).await.expect("again"));
    assert_eq!(store.clubs().await.expect("clubs"), vec![club("golf")]);
    assert_eq!(store.find_club("golf").await.expect("find").expect("club").tiers, vec!["diamond", "gold"]);
    assert_eq!(store.find_club("chess").await.expect("find"), None);

    let again = store.join_club(&membership("golf", "C1"), &audit("join_club", "golf")).await.expect("join");
    assert_eq!(again, Joined::AlreadyMember);
    assert!(
        store
            .leave_club("golf", "C1", "2026-11-21T00:00:00+00:00", "u-m01", &audit("leave_club", "C1"))
            .await
            .expect("leave")
    );
    assert!(
        !store.leave_club("golf", "C1", AT, "u-m01", &audit("leave_club", "C1")).await.expect("leave again")
    );
    let members = store.club_members("golf").await.expect("members");
    assert_eq!(members[0].left_at.as_deref(), Some("2026-11-21T00:00:00+00:00"));
    let back =
        MembershipRecord { joined_at: "2026-11-22T00:00:00+00:00".to_owned(), ..membership("golf", "C1") };
    assert_eq!(store.join_club(&back, &audit("join_club", "golf")).await.expect("rejoin"), Joined::Rejoined);
    let memberships = store.memberships("C1").await.expect("memberships");
    assert_eq!((memberships.len(), memberships[0].left_at.clone()), (1, None));
    assert_eq!(memberships[0].joined_at, "2026-11-22T00:00:00+00:00");
    // Created once, joined twice, left once: refusals leave no audit entry.
    assert_eq!(
        (
            audited(store, "create_club").await,
            audited(store, "join_club").await,
            audited(store, "leave_club").await
        ),
        (1, 2, 1)
    );
}

pub async fn first_come_places_fill_then_the_waitlist_then_a_freed_place_goes_to_the_first_waiting(
    store: Arc<dyn Store>,
) {
    let store = store.as_ref();
    club_with_members(store, "golf", 4).await;
    let created = store
        .create_event(&event("golf", 2, "first_come", true), &audit("create_club_event", ""))
        .await
        .expect("event");
    let id = created.event_id;
    assert_eq!(store.find_club_event(id).await.expect("find").expect("event"), created);

    assert_eq!(stored(sign_up(store, id, "C1").await).status, "confirmed");
    assert_eq!(stored(sign_up(store, id, "C2").await).status, "confirmed");
    let c3 = stored(sign_up(store, id, "C3").await);
    assert_eq!((c3.status.as_str(), c3.position), ("waitlisted", Some(1)));
    assert_eq!(stored(sign_up(store, id, "C4").await).position, Some(2));
    // Twice, an outsider, an unknown event: refused, nothing stored.
    assert!(matches!(sign_up(store, id, "C1").await, SignUp::AlreadySignedUp(s) if s.status == "confirmed"));
    assert!(matches!(sign_up(store, id, "C3").await, SignUp::AlreadySignedUp(s) if s.status == "waitlisted"));
    assert_eq!(sign_up(store, id, "C9").await, SignUp::NotMember);
    assert_eq!(sign_up(store, id + 100, "C1").await, SignUp::NoEvent);
    assert_eq!(store.find_club_event(id).await.expect("find").expect("event").confirmed, 2);

    // C1 gives up: C3, first on the waitlist, gets the place; C4 still waits.
    let cancelled =
        store.cancel_signup(id, "C1", AT, "u-m01", &audit("club_cancel", "C1")).await.expect("cancel");
    let Cancelled::Cancelled { promoted: Some(promoted) } = cancelled else { panic!("{cancelled:?}") };
    assert_eq!((promoted.customer_id.as_str(), promoted.status.as_str()), ("C3", "confirmed"));
    assert_eq!(
        statuses(&store.signups(id).await.expect("signups")),
        vec![
            row("C2", "confirmed", None),
            row("C3", "confirmed", None),
            row("C4", "waitlisted", Some(2)),
            row("C1", "cancelled", None)
        ]
    );
    assert_eq!(store.find_club_event(id).await.expect("find").expect("event").confirmed, 2);
    assert_eq!(
        store.cancel_signup(id, "C1", AT, "u-m01", &audit("club_cancel", "C1")).await.expect("again"),
        Cancelled::NotSignedUp
    );
    // A waitlisted cancellation frees no place; a cancelled customer may sign up again, at the end.
    let cancelled =
        store.cancel_signup(id, "C4", AT, "u-m01", &audit("club_cancel", "C4")).await.expect("cancel");
    assert_eq!(cancelled, Cancelled::Cancelled { promoted: None });
    let back = stored(sign_up(store, id, "C1").await);
    assert_eq!((back.status.as_str(), back.position), ("waitlisted", Some(1)));
    // C2 leaves with nobody waiting but C1: C1 gets it. Then C3 leaves: one place stays free.
    store.cancel_signup(id, "C2", AT, "u-m01", &audit("club_cancel", "C2")).await.expect("cancel");
    store.cancel_signup(id, "C3", AT, "u-m01", &audit("club_cancel", "C3")).await.expect("cancel");
    assert_eq!(store.find_club_event(id).await.expect("find").expect("event").confirmed, 1);
    assert_eq!(audited(store, "club_sign_up").await, 5);
    assert_eq!(audited(store, "club_cancel").await, 4);

    // Without a waitlist a full event refuses.
    let closed = store
        .create_event(&event("golf", 1, "first_come", false), &audit("create_club_event", ""))
        .await
        .expect("event");
    stored(sign_up(store, closed.event_id, "C1").await);
    assert_eq!(sign_up(store, closed.event_id, "C2").await, SignUp::Full);
    assert_eq!(store.customer_signups("C1").await.expect("mine").len(), 2);
}

pub async fn concurrent_sign_ups_never_pass_the_capacity(store: Arc<dyn Store>) {
    club_with_members(store.as_ref(), "golf", 30).await;
    let id = store
        .create_event(&event("golf", 5, "first_come", true), &audit("create_club_event", ""))
        .await
        .expect("event")
        .event_id;
    let mut handles = Vec::new();
    for i in 1..=30 {
        let store = store.clone();
        handles
            .push(tokio::spawn(async move { stored(sign_up(store.as_ref(), id, &format!("C{i}")).await) }));
    }
    let mut confirmed = 0;
    let mut positions = Vec::new();
    for handle in handles {
        let signup = handle.await.expect("join");
        match signup.status.as_str() {
            "confirmed" => confirmed += 1,
            _ => positions.push(signup.position.expect("position")),
        }
    }
    positions.sort_unstable();
    assert_eq!(confirmed, 5);
    assert_eq!(positions, (1..=25).collect::<Vec<i64>>(), "each waits in a place of their own");
    assert_eq!(store.find_club_event(id).await.expect("find").expect("event").confirmed, 5);
}

pub async fn a_draw_gives_the_places_in_its_order_once_and_records_its_seed(store: Arc<dyn Store>) {
    let store = store.as_ref();
    club_with_members(store, "golf", 5).await;
    let id = store
        .create_event(&event("golf", 2, "draw", true), &audit("create_club_event", ""))
        .await
        .expect("event")
        .event_id;
    for c in ["C1", "C2", "C3", "C4"] {
        assert_eq!(stored(sign_up(store, id, c).await).status, "applied");
    }
    // This draw ranks the applicants backwards: C4, C3 get the places; C2, C1 wait in that order.
    let backwards =
        |applicants: &[SignupRecord]| applicants.iter().rev().map(|s| s.signup_id).collect::<Vec<_>>();
    let drawn = store.draw(id, 7, AT, "u-planner", &backwards, &audit("club_draw", "")).await.expect("draw");
    let Drawn::Drawn(order) = drawn else { panic!("{drawn:?}") };
    assert_eq!(
        statuses(&order),
        vec![
            row("C4", "confirmed", None),
            row("C3", "confirmed", None),
            row("C2", "waitlisted", Some(1)),
            row("C1", "waitlisted", Some(2))
        ]
    );
    let drawn_event = store.find_club_event(id).await.expect("find").expect("event");
    assert_eq!(
        (drawn_event.confirmed, drawn_event.draw_seed, drawn_event.drawn_by.as_deref()),
        (2, Some(7), Some("u-planner"))
    );
    assert_eq!(
        store.draw(id, 8, AT, "u-planner", &backwards, &audit("club_draw", "")).await.expect("again"),
        Drawn::AlreadyDrawn
    );
    // After the draw a sign-up waits at the end.
    assert_eq!(stored(sign_up(store, id, "C5").await).position, Some(3));
    // An order that leaves an applicant out is a bug, refused whole.
    let other = store
        .create_event(&event("golf", 1, "draw", false), &audit("create_club_event", ""))
        .await
        .expect("event")
        .event_id;
    stored(sign_up(store, other, "C1").await);
    stored(sign_up(store, other, "C2").await);
    let partial = |applicants: &[SignupRecord]| vec![applicants[0].signup_id];
    assert!(store.draw(other, 1, AT, "u-planner", &partial, &audit("club_draw", "")).await.is_err());
    assert_eq!(store.find_club_event(other).await.expect("find").expect("event").drawn_at, None);
    // Without a waitlist, those not drawn are cancelled.
    let Drawn::Drawn(order) =
        store.draw(other, 1, AT, "u-planner", &backwards, &audit("club_draw", "")).await.expect("draw")
    else {
        panic!("not drawn")
    };
    assert_eq!(statuses(&order), vec![row("C2", "confirmed", None), row("C1", "cancelled", None)]);
    let first_come = store
        .create_event(&event("golf", 1, "first_come", false), &audit("create_club_event", ""))
        .await
        .expect("event")
        .event_id;
    assert_eq!(
        store.draw(first_come, 1, AT, "u", &backwards, &audit("club_draw", "")).await.expect("draw"),
        Drawn::NotADraw
    );
    assert_eq!(
        store.draw(999, 1, AT, "u", &backwards, &audit("club_draw", "")).await.expect("draw"),
        Drawn::NoEvent
    );
    assert_eq!(audited(store, "club_draw").await, 2);
}

pub async fn attendance_is_recorded_all_or_nothing_for_confirmed_places(store: Arc<dyn Store>) {
    let store = store.as_ref();
    club_with_members(store, "golf", 3).await;
    let id = store
        .create_event(&event("golf", 2, "first_come", true), &audit("create_club_event", ""))
        .await
        .expect("event")
        .event_id;
    for c in ["C1", "C2", "C3"] {
        stored(sign_up(store, id, c).await);
    }
    let refused = store
        .record_attendance(
            id,
            &[("C1".to_owned(), true), ("C3".to_owned(), true)],
            AT,
            "u-m01",
            &audit("club_attendance", ""),
        )
        .await
        .expect("record");
    assert_eq!(refused, Attendance::NotConfirmed(vec!["C3".to_owned()]));
    assert!(
        store.signups(id).await.expect("signups").iter().all(|s| s.attended.is_none()),
        "nothing recorded"
    );
    let recorded = store
        .record_attendance(
            id,
            &[("C1".to_owned(), true), ("C2".to_owned(), false)],
            AT,
            "u-m01",
            &audit("club_attendance", ""),
        )
        .await
        .expect("record");
    assert_eq!(recorded, Attendance::Recorded(2));
    let attended: Vec<Option<bool>> =
        store.signups(id).await.expect("signups").iter().map(|s| s.attended).collect();
    assert_eq!(attended, vec![Some(true), Some(false), None]);
    let activity = store.club_activity().await.expect("activity");
    assert_eq!(activity.memberships.len(), 3);
    assert_eq!(activity.attended.len(), 1);
    assert_eq!((activity.attended[0].customer_id.as_str(), activity.attended[0].event_id), ("C1", id));
    assert_eq!(audited(store, "club_attendance").await, 1);
}

fn spend(customer: &str, points: i64) -> PointSpendRecord {
    PointSpendRecord {
        spend_id: 0,
        club_id: "golf".to_owned(),
        customer_id: customer.to_owned(),
        service: "贵宾厅 / airport lounge".to_owned(),
        points,
        spent_at: AT.to_owned(),
        spent_by: "u-m01".to_owned(),
    }
}

pub async fn points_are_spent_only_while_the_balance_covers_them(store: Arc<dyn Store>) {
    club_with_members(store.as_ref(), "golf", 1).await;
    // A ledger balance of 1,000: 600 then 400 fit, one more point does not.
    let first = store.spend_points(&spend("C1", 600), 1000, &audit("spend_points", "")).await.expect("spend");
    assert!(matches!(first, Spent::Spent { spent_total: 600, .. }), "{first:?}");
    let second =
        store.spend_points(&spend("C1", 400), 1000, &audit("spend_points", "")).await.expect("spend");
    assert!(matches!(second, Spent::Spent { spent_total: 1000, .. }), "{second:?}");
    assert_eq!(
        store.spend_points(&spend("C1", 1), 1000, &audit("spend_points", "")).await.expect("spend"),
        Spent::Insufficient { available: 0 }
    );
    // A larger balance later (new earnings in the ledger) covers more.
    assert_eq!(
        store.spend_points(&spend("C1", 300), 1200, &audit("spend_points", "")).await.expect("spend"),
        Spent::Insufficient { available: 200 }
    );
    assert_eq!(store.points_spent("C1").await.expect("spent"), 1000);
    assert_eq!(store.point_spends("C1").await.expect("spends").len(), 2);
    assert_eq!(audited(store.as_ref(), "spend_points").await, 2);

    // 20 spends of 100 at once against 1,000 points: exactly 10 go through.
    let mut handles = Vec::new();
    for _ in 0..20 {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            store.spend_points(&spend("C2", 100), 1000, &audit("spend_points", "")).await.expect("spend")
        }));
    }
    let mut spent = 0;
    for handle in handles {
        if matches!(handle.await.expect("join"), Spent::Spent { .. }) {
            spent += 1;
        }
    }
    assert_eq!(spent, 10);
    assert_eq!(store.points_spent("C2").await.expect("spent"), 1000);
}

pub async fn a_key_persons_influence_is_recorded_replaced_and_audited(store: Arc<dyn Store>) {
    let record = InfluenceRecord {
        customer_id: "C2".to_owned(),
        group_id: "G1".to_owned(),
        role: "decision_maker".to_owned(),
        weight_permille: 600,
        note: "签约决策人 / signs the contract".to_owned(),
        updated_at: AT.to_owned(),
        updated_by: "u-m01".to_owned(),
    };
    let entry =
        AuditEntry { object_type: "key_person".to_owned(), ..audit("set_key_person_influence", "C2") };
    store.set_influence(&record, &entry).await.expect("set");
    let other = InfluenceRecord { customer_id: "C3".to_owned(), group_id: "G2".to_owned(), ..record.clone() };
    store.set_influence(&other, &entry).await.expect("set");
    let changed = InfluenceRecord { role: "influencer".to_owned(), weight_permille: 250, ..record.clone() };
    store.set_influence(&changed, &entry).await.expect("replace");
    assert_eq!(store.influences(Some("G1")).await.expect("read"), vec![changed.clone()]);
    assert_eq!(store.influences(None).await.expect("read"), vec![changed, other]);
    assert_eq!(audited(store.as_ref(), "set_key_person_influence").await, 3);
    // A weight outside 0..=1000 is refused by the store too, with nothing changed.
    let heavy = InfluenceRecord { weight_permille: 1001, ..record };
    assert!(store.set_influence(&heavy, &entry).await.is_err());
    assert_eq!(audited(store.as_ref(), "set_key_person_influence").await, 3);
}
