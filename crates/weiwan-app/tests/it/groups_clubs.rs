//! Group customers and clubs end to end on a hand-made extract (imported into the store and
//! the lake as an operator's would be), on SQLite and on PostgreSQL: a group's view and
//! service level, a key person's influence, the daily batch raising the members' risk, clubs
//! with eligibility, a first-come event with a waitlist, a draw, attendance reaching the 360
//! table, points spent against the ledger, and every refusal with its reason.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use weiwan_app::clubs::{self, NewClub, NewEvent, NewSpend};
use weiwan_app::groups::{self, InfluenceChange, Reveal};
use weiwan_app::tasks::Actor;
use weiwan_app::{Error, Lake, Store, import_extract};
use weiwan_storage::AuditFilter;

fn extract(dir: &Path) {
    let files = [
        ("branches.csv", "branch_id,name,city\nB1,城东分公司,杭州\nB2,城西分公司,杭州\n"),
        ("managers.csv", "manager_id,name,branch_id,role,phone\nM1,王芳,B1,account,13900000001\n"),
        (
            "plans.csv",
            "plan_id,name,monthly_fee,payment_type,network,data_mb,voice_minutes\n\
             P96,5G畅享96元套餐,96.00,postpaid,5g,30720,500\n",
        ),
        (
            "customers.csv",
            "customer_id,kind,name,id_number,birthday,branch_id,manager_id,vip_tier,group_id,is_key_person,joined_on\n\
             G1,group,某某科技有限公司,,,B1,,diamond,,false,2010-01-01\n\
             K1,individual,张总,,1970-01-01,B1,M1,gold,G1,true,2012-01-01\n\
             E1,individual,王工,,1990-01-01,B1,M1,member,G1,false,2014-01-01\n\
             D1,individual,赵女士,,1985-01-01,B1,M1,diamond,,false,2011-01-01\n\
             D2,individual,钱先生,,1986-01-01,B1,M1,diamond,,false,2011-01-01\n\
             D3,individual,孙女士,,1987-01-01,B1,M1,gold,,false,2011-01-01\n\
             S1,individual,周先生,,1988-01-01,B1,M1,silver,,false,2011-01-01\n\
             W1,individual,吴女士,,1989-01-01,B2,,diamond,,false,2011-01-01\n",
        ),
        (
            "subscriptions.csv",
            "subscription_id,customer_id,msisdn,plan_id,status,activated_on,contract_end,device_model,device_since,family_group_id,disconnected_on\n\
             LK1,K1,13800000001,P96,active,2015-01-01,,,,,\n\
             LE1,E1,13800000002,P96,active,2015-01-01,,,,,\n\
             LE2,E1,13800000003,P96,disconnected,2015-01-01,,,,,2026-10-20\n\
             LD1,D1,13800000004,P96,active,2015-01-01,,,,,\n",
        ),
        (
            "points_ledger.csv",
            "entry_id,customer_id,occurred_on,kind,points,expires_on\n\
             J1,D1,2026-01-31,earn,1000,2027-12-31\nJ2,D1,2026-06-30,redeem,200,\n",
        ),
    ];
    std::fs::create_dir_all(dir).expect("mkdir");
    for (name, content) in files {
        std::fs::write(dir.join(name), content).expect("write");
    }
}

fn at(hours: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).single().expect("time") + Duration::hours(hours)
}

fn actor(user: &str, role: &str) -> Actor {
    Actor { user_id: user.to_owned(), role: role.to_owned() }
}

fn message(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(err) => err.to_string(),
        Ok(value) => panic!("expected a refusal, got {value:?}"),
    }
}

async fn run_on(store: Arc<dyn Store>) {
    let work = tempfile::tempdir().expect("tempdir");
    let lake = Lake::new(work.path().join("lake"));
    extract(&work.path().join("extract"));
    import_extract(store.as_ref(), &lake, &work.path().join("extract"), at(-24 * 30)).await.expect("import");
    let store = store.as_ref();
    let manager = actor("u-m1", "manager");
    let planner = actor("u-planner", "planner");

    // The group: diamond, so a named manager is required and it has none; monthly reports.
    let view = groups::group_view(store, &lake, "G1", &Reveal { manager_id: Some("M1".into()) }, at(0))
        .await
        .expect("view");
    assert!(view.named_manager_missing);
    assert_eq!((view.service_level.response_hours, view.service_level.report.code()), (2, "monthly"));
    assert_eq!(view.current_period.as_ref().map(|p| p.label.as_str()), Some("2026-11"));
    let members: Vec<&str> = view.members.iter().map(|m| m.customer_id.as_str()).collect();
    assert_eq!(members, ["G1", "E1", "K1"], "the group first, then its members");
    assert_eq!(view.lines, 3);
    assert_eq!(view.members[1].lines[0].msisdn, "13800000002", "M1's own customer, unmasked");
    // K1 counts with the default role until a manager records one.
    assert_eq!(
        (view.key_persons[0].role.as_str(), view.key_persons[0].weight, view.key_persons[0].recorded),
        ("influencer", 0.3, false)
    );
    assert!(
        message(groups::group_view(store, &lake, "K1", &Reveal::default(), at(0)).await)
            .contains("group customer K1")
    );

    // Influence: recorded, validated, audited.
    let change = |customer: &str, role: &str, weight: Option<f64>| InfluenceChange {
        customer_id: customer.into(),
        role: role.into(),
        weight,
        note: "签合同的人".into(),
    };
    let recorded = groups::set_influence(store, &change("K1", "decision_maker", None), &manager, at(0))
        .await
        .expect("set");
    assert_eq!((recorded.role.as_str(), recorded.weight), ("decision_maker", 0.6));
    assert!(
        message(groups::set_influence(store, &change("E1", "user", None), &manager, at(0)).await)
            .contains("not a key person")
    );
    assert!(
        message(groups::set_influence(store, &change("K1", "boss", Some(1.5)), &manager, at(0)).await)
            .contains(
                "role: \"boss\" is not one of decision_maker, influencer, user; weight: 1.5 is not 0 to 1"
            )
    );
    assert!(
        message(groups::set_influence(store, &change("K1", "user", Some(0.1234)), &manager, at(0)).await)
            .contains("more than 3 decimals")
    );
    let rows = groups::key_person_rows(store).await.expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].customer_id.as_str(), rows[0].influence), ("K1", 0.6));

    // The periodic report of October: LE2 left on 2026-10-20; no tasks, no cases.
    let report = groups::group_report(store, &lake, "G1", "2026-10", at(0)).await.expect("report");
    assert!(report.report_due, "a diamond group gets a monthly report");
    assert_eq!(
        (report.members, report.key_persons, report.lines_disconnected, report.lines_at_end),
        (2, 1, 1, 2)
    );
    assert_eq!((report.tasks_raised, report.response_rate), (0, None));
    assert!(!groups::group_report(store, &lake, "G1", "2026-Q4", at(0)).await.expect("report").report_due);
    assert!(
        message(groups::group_report(store, &lake, "G1", "2026-13", at(0)).await)
            .contains("period \"2026-13\"")
    );

    // Clubs.
    let golf = NewClub {
        club_id: "golf".into(),
        name_zh: "高尔夫俱乐部".into(),
        name_en: "Golf club".into(),
        description: String::new(),
        tiers: vec!["diamond".into(), "gold".into()],
        branch_id: Some("B1".into()),
    };
    clubs::create_club(store, &golf, &planner, at(0)).await.expect("club");
    assert!(message(clubs::create_club(store, &golf, &planner, at(0)).await).contains("exists already"));
    let bad = NewClub { club_id: "Golf!".into(), tiers: vec!["platinum".into()], ..golf.clone() };
    assert!(
        message(clubs::create_club(store, &bad, &planner, at(0)).await)
            .contains("tiers: \"platinum\" is not one of")
    );
    for customer in ["D1", "D2", "D3", "K1"] {
        clubs::join_club(store, "golf", customer, &manager, at(0)).await.expect("join");
    }
    assert!(
        message(clubs::join_club(store, "golf", "S1", &manager, at(0)).await)
            .contains("(silver 银卡) is not eligible for club golf")
    );
    assert!(
        message(clubs::join_club(store, "golf", "W1", &manager, at(0)).await)
            .contains("belongs to branch B2")
    );
    assert!(message(clubs::join_club(store, "golf", "G1", &manager, at(0)).await).contains("group customer"));
    assert!(message(clubs::join_club(store, "golf", "D1", &manager, at(0)).await).contains("already"));
    assert!(matches!(clubs::join_club(store, "chess", "D1", &manager, at(0)).await, Err(Error::NotFound(_))));

    // A first-come event with 2 places and a waitlist.
    let dinner = NewEvent {
        title: "会员答谢晚宴".into(),
        place: "西湖国宾馆".into(),
        starts_at: "2026-12-05 18:00".into(),
        capacity: 2,
        allocation: "first_come".into(),
        waitlist: true,
    };
    let event = clubs::create_event(store, "golf", &dinner, &planner, at(0)).await.expect("event");
    assert_eq!(event.starts_at, "2026-12-05T10:00:00+00:00", "China time, stored as UTC");
    let past = NewEvent { starts_at: "2026-11-01 18:00".into(), capacity: 0, ..dinner.clone() };
    assert_eq!(
        message(clubs::create_event(store, "golf", &past, &planner, at(0)).await),
        "invalid request: capacity: 0 is not 1 to 10000; starts_at: 2026-11-01 18:00 is not in the future"
    );
    let id = event.event_id;
    for (customer, status) in [("D1", "confirmed"), ("D2", "confirmed"), ("D3", "waitlisted")] {
        assert_eq!(
            clubs::sign_up(store, id, customer, &manager, at(1)).await.expect("sign up").status,
            status
        );
    }
    assert!(
        message(clubs::sign_up(store, id, "D1", &manager, at(1)).await).contains("signed up for club event")
    );
    assert!(message(clubs::sign_up(store, id, "S1", &manager, at(1)).await).contains("not eligible"));
    clubs::leave_club(store, "golf", "K1", &manager, at(1)).await.expect("leave");
    assert!(
        message(clubs::sign_up(store, id, "K1", &manager, at(1)).await).contains("not a member of club golf")
    );
    let freed = clubs::cancel_signup(store, id, "D2", &manager, at(2)).await.expect("cancel");
    assert_eq!(freed.promoted.map(|p| p.customer_id), Some("D3".to_owned()));
    // Attendance opens when the event starts, sign-ups close then.
    let started = at(24 * 16);
    assert!(
        message(clubs::record_attendance(store, id, &[("D1".into(), true)], &planner, at(3)).await)
            .contains("once it started")
    );
    assert!(message(clubs::sign_up(store, id, "D2", &manager, started).await).contains("sign-ups closed"));
    assert!(
        message(clubs::record_attendance(store, id, &[("D2".into(), true)], &planner, started).await)
            .contains("D2 hold no confirmed place")
    );
    assert_eq!(
        clubs::record_attendance(store, id, &[("D1".into(), true), ("D3".into(), false)], &planner, started)
            .await
            .expect("attend"),
        2
    );

    // A draw event, full without a waitlist.
    let lottery = NewEvent { allocation: "draw".into(), capacity: 1, waitlist: false, ..dinner.clone() };
    let draw_id =
        clubs::create_event(store, "golf", &lottery, &planner, at(0)).await.expect("event").event_id;
    for customer in ["D1", "D2", "D3"] {
        assert_eq!(
            clubs::sign_up(store, draw_id, customer, &manager, at(1)).await.expect("apply").status,
            "applied"
        );
    }
    let drawn = clubs::draw(store, draw_id, 2026, &planner, at(2)).await.expect("draw");
    assert_eq!((drawn.confirmed, drawn.draw_seed), (1, Some(2026)));
    // The winner is the one the seed's order puts first, whatever the order people applied in.
    let order = weiwan_decision::clubs::draw_order(
        2026,
        &drawn.signups.iter().map(|s| (s.signup_id, s.customer_id.clone())).collect::<Vec<_>>(),
    );
    let winner = drawn.signups.iter().find(|s| s.status == "confirmed").expect("winner");
    assert_eq!(winner.signup_id, order[0]);
    assert_eq!(drawn.signups.iter().filter(|s| s.status == "cancelled").count(), 2);
    assert!(
        message(clubs::draw(store, draw_id, 1, &planner, at(2)).await).contains("drawn already (seed 2026)")
    );
    assert!(message(clubs::draw(store, id, 1, &planner, at(2)).await).contains("first come"));
    assert!(message(clubs::sign_up(store, draw_id, "K1", &manager, at(2)).await).contains("not a member"));
    let no_waitlist = clubs::create_event(
        store,
        "golf",
        &NewEvent { allocation: "first_come".into(), ..lottery.clone() },
        &planner,
        at(0),
    )
    .await
    .expect("event")
    .event_id;
    clubs::sign_up(store, no_waitlist, "D1", &manager, at(1)).await.expect("sign up");
    assert!(
        message(clubs::sign_up(store, no_waitlist, "D2", &manager, at(1)).await)
            .contains("is full: 1 of 1 places taken")
    );

    // Points: D1's ledger holds 1000 − 200 = 800.
    let spend = |points: i64| NewSpend {
        club_id: "golf".into(),
        customer_id: "D1".into(),
        service: "贵宾厅".into(),
        points,
    };
    let spent = clubs::spend_points(store, &lake, &spend(500), &manager, at(3)).await.expect("spend");
    assert_eq!(spent.available_after, 300);
    assert_eq!(
        message(clubs::spend_points(store, &lake, &spend(301), &manager, at(3)).await),
        "conflict: customer D1 has 300 points available (ledger 800 minus 500 spent through weiwan); 301 needed"
    );
    assert!(
        message(clubs::spend_points(store, &lake, &spend(0), &manager, at(3)).await)
            .contains("points: 0 is not 1 to")
    );
    let outsider = NewSpend { customer_id: "S1".into(), ..spend(1) };
    assert!(
        message(clubs::spend_points(store, &lake, &outsider, &manager, at(3)).await).contains("not a member")
    );
    let standing = clubs::points(store, &lake, "D1").await.expect("points");
    assert_eq!((standing.ledger_balance, standing.spent_in_weiwan, standing.available), (800, 500, 300));

    // The batch copies club activity and key persons into the lake before the 360 table.
    let snapshot = clubs::store_snapshot(store).await.expect("snapshot");
    assert_eq!(snapshot.key_persons.len(), 1);
    assert_eq!(snapshot.attendance.len(), 1, "D1 came; D3 did not");
    assert_eq!(snapshot.attendance[0].held_on, chrono::NaiveDate::from_ymd_opt(2026, 12, 5).expect("day"));
    assert_eq!(snapshot.memberships.iter().filter(|m| m.left_on.is_some()).count(), 1, "K1 left");

    // Every change was audited; refusals were not.
    let count = |action: &'static str| async move {
        let filter = AuditFilter { action: Some(action.to_owned()), limit: 1000, ..AuditFilter::default() };
        store.audit_log(&filter).await.expect("audit").len()
    };
    assert_eq!(count("set_key_person_influence").await, 1);
    assert_eq!(count("join_club").await, 4);
    assert_eq!(count("club_sign_up").await, 7);
    assert_eq!(count("club_draw").await, 1);
    assert_eq!(count("spend_points").await, 1);
}

#[tokio::test]
async fn groups_and_clubs_end_to_end_on_sqlite() {
    run_on(weiwan_storage::testing::sqlite().await).await;
}

#[tokio::test]
async fn groups_and_clubs_end_to_end_on_postgres() {
    if let Some(store) = weiwan_storage::testing::postgres("app_groups_and_clubs").await {
        run_on(store).await;
    }
}
