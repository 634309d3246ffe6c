//! Managers' appraisal on a hand-made history whose every measure is worked out below, and the
//! visit log's rules (only the author edits, every version kept), on SQLite and PostgreSQL.
//!
//! November 2026 has 21 working days (the 1st is a Sunday; 9 days fall on weekends).
//!
//! Manager M01 (branch B01):
//! - CA diamond, joined 2020. Notes: call 11-03, visit 11-10. Tasks: a warning call on 11-03
//!   (same day as the note's call: one call) and a warning call on 11-20, outcome `retained`.
//!   Contracts started 2024-01-01 and 2026-11-05: bought in November, and before → repeat.
//! - CB gold, joined 2026-11-02 (new). A visit task `visited` on 11-04, a note visit 11-18.
//!   Contract started 2026-11-02, the first → a buyer, not a repeat one.
//! - CC silver, line left 2026-11-12 → lost. A note visit in October (the quarter's). A
//!   warning call on 11-11, outcome `refused`: a call that reached them, and a failed
//!   retention attempt.
//! - CD mass. A note message 11-05. A retention case closed `retained` on 11-20.
//! - CE gold, line left 2026-10-20: not in the network in November, counted nowhere.
//! - CF diamond, two lines, one left 11-05, the other active: not lost. A clerk's note (not a
//!   manager's) about a visit on 11-12 does not count for M01.
//!
//! Manager M02 (B01): CG silver. A call task `not_reached` 11-06 (no contact), a note call
//! 11-09, a note call in October. Manager M03 (B02): nobody.
//!
//! M01: visits (CA 11-10, CB 11-04, CB 11-18) = 3, 3/21 a day; contacted CA, CB, CC, CD = 4
//! over 7 customer-days (CA 11-03, 11-10, 11-20; CB 11-04, 11-18; CC 11-11; CD 11-05) →
//! revisits (7−4)/4 = 0.75; assigned CA, CB, CC, CD, CF = 5, covered 4 → 0.8; new 1 (CB);
//! buyers 2 (CA, CB), repeat 1 → 0.5; retention attempts 3 (CA retained, CC refused, CD's
//! case), successes 2 → 2/3; quotas due: CA 2 calls + 1 visit, all done (3); CB 2 + 1, the
//! visit done (1); CF 2 + 1, none (0); CC silver 1 call (no visit due before the quarter's
//! end), done (1) → 5 / 10; lost 1 (CC); A-tier CA, CB, CF = 3.
//! M02: no visits; contacted 1 over 1 day → revisits 0; assigned 1, covered 1 → 1; no buyers
//! and no retention attempts (rates none); quota: 1 call due, done → 1; lost 0; A-tier 0.
//! B01 adds both: visits 3 over 2 × 21 manager-days; contacted 5 over 8 days → 0.6;
//! coverage 5/6; buyers 2, repeat 1; retention 2/3; quota 6/11; lost 1; A-tier 3.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use weiwan_app::appraisal::{self, CustomerSignal, Measures, PlanSettings};
use weiwan_app::file::{self, NoteInput};
use weiwan_app::tasks::Actor;
use weiwan_app::{Error, Lake, Store, import_extract};
use weiwan_storage::{
    AppraisalScope, CaseEventRecord, CaseRecord, CaseUpdate, NewTask, Opened, OutcomeRecord,
};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("time").with_timezone(&Utc)
}

fn day(text: &str) -> NaiveDate {
    text.parse().expect("date")
}

fn write_extract(dir: &Path) {
    std::fs::create_dir_all(dir).expect("mkdir");
    let write = |name: &str, content: &str| std::fs::write(dir.join(name), content).expect("write");
    write("branches.csv", "branch_id,name,city\nB01,城东分公司,杭州\nB02,城西分公司,杭州\n");
    write(
        "managers.csv",
        "manager_id,name,branch_id,role,phone\nM01,王芳,B01,account,13900000001\n\
         M02,李强,B01,account,13900000002\nM03,张伟,B02,account,13900000003\n",
    );
    write(
        "plans.csv",
        "plan_id,name,monthly_fee,payment_type,network,data_mb,voice_minutes\n\
         P128,5G畅享128元套餐,128.00,postpaid,5g,40960,800\n",
    );
    write(
        "customers.csv",
        "customer_id,kind,name,id_number,birthday,branch_id,manager_id,vip_tier,group_id,is_key_person,joined_on\n\
         CA,individual,客户A,,,B01,M01,diamond,,false,2020-01-01\n\
         CB,individual,客户B,,,B01,M01,gold,,false,2026-11-02\n\
         CC,individual,客户C,,,B01,M01,silver,,false,2019-01-01\n\
         CD,individual,客户D,,,B01,M01,mass,,false,2018-01-01\n\
         CE,individual,客户E,,,B01,M01,gold,,false,2018-01-01\n\
         CF,individual,客户F,,,B01,M01,diamond,,false,2018-01-01\n\
         CG,individual,客户G,,,B01,M02,silver,,false,2018-01-01\n",
    );
    write(
        "subscriptions.csv",
        "subscription_id,customer_id,msisdn,plan_id,status,activated_on,contract_end,device_model,device_since,family_group_id,disconnected_on\n\
         SA,CA,13800000001,P128,active,2020-01-01,,,,,\n\
         SB,CB,13800000002,P128,active,2026-11-02,,,,,\n\
         SC,CC,13800000003,P128,disconnected,2019-01-01,,,,,2026-11-12\n\
         SD,CD,13800000004,P128,active,2018-01-01,,,,,\n\
         SE,CE,13800000005,P128,disconnected,2018-01-01,,,,,2026-10-20\n\
         SF1,CF,13800000006,P128,disconnected,2018-01-01,,,,,2026-11-05\n\
         SF2,CF,13800000007,P128,active,2018-01-01,,,,,\n\
         SG,CG,13800000008,P128,active,2018-01-01,,,,,\n",
    );
    write(
        "contracts.csv",
        "contract_id,subscription_id,kind,starts_on,ends_on,monthly_commitment,subsidy,status\n\
         KA1,SA,device,2024-01-01,2026-10-31,128.00,1000.00,renewed\n\
         KA2,SA,device,2026-11-05,2028-11-04,128.00,1000.00,active\n\
         KB,SB,points,2026-11-02,2027-11-01,,50.00,active\n",
    );
}

async fn operator(store: &dyn Store, work: &Path) {
    let lake = Lake::new(work.join("data"));
    write_extract(&work.join("extract"));
    import_extract(store, &lake, &work.join("extract"), at("2026-11-01T00:00:00Z")).await.expect("import");
}

fn manager(user: &str) -> Actor {
    Actor { user_id: user.to_owned(), role: "manager".to_owned() }
}

fn note(on: &str, channel: &str, topic: &str) -> NoteInput {
    NoteInput {
        visited_on: on.to_owned(),
        channel: channel.to_owned(),
        topic: topic.to_owned(),
        promises: String::new(),
        next_step: String::new(),
        next_contact_on: None,
    }
}

async fn write_note(
    store: &dyn Store,
    user: &str,
    manager_id: Option<&str>,
    customer: &str,
    input: NoteInput,
) {
    let now = at(&format!("{}T10:00:00Z", input.visited_on));
    file::add_visit_note(store, &manager(user), manager_id, customer, &input, None, now).await.expect("note");
}

/// A task of `manager_id` about `customer` with one outcome recorded at `when`.
async fn task_with_outcome(
    store: &dyn Store,
    (manager_id, customer, category, action): (&str, &str, &str, &str),
    outcome: &str,
    when: &str,
) {
    let task = NewTask {
        rule_id: format!("test.{category}.{action}"),
        subject: customer.to_owned(),
        cause: when.to_owned(),
        category: category.to_owned(),
        action: action.to_owned(),
        customer_id: customer.to_owned(),
        subscription_id: None,
        branch_id: "B01".to_owned(),
        manager_id: Some(manager_id.to_owned()),
        queue: None,
        priority: "normal".to_owned(),
        due_on: "2026-11-30".to_owned(),
        reason_zh: "测试".to_owned(),
        reason_en: "test".to_owned(),
        created_at: "2026-11-01T00:00:00+00:00".to_owned(),
        source_event: None,
    };
    let raised = store.raise_tasks(&[task]).await.expect("raise");
    let record = OutcomeRecord {
        task_id: raised[0].task_id,
        at: when.to_owned(),
        user_id: format!("u-{manager_id}"),
        outcome: outcome.to_owned(),
        note: String::new(),
        confirm_suspension: false,
        request_id: None,
        questionnaire_id: None,
        answers: None,
    };
    let audit = weiwan_storage::AuditEntry {
        id: 0,
        at: when.to_owned(),
        actor: format!("u-{manager_id}"),
        role: "manager".to_owned(),
        action: "record_outcome".to_owned(),
        object_type: "task".to_owned(),
        object_id: raised[0].task_id.to_string(),
        detail: "{}".to_owned(),
    };
    store.record_outcome(&record, true, &audit).await.expect("outcome");
}

async fn closed_case(store: &dyn Store, customer: &str, line: &str, outcome: &str, closed_at: &str) {
    let opened = CaseRecord {
        case_id: 0,
        customer_id: customer.to_owned(),
        subscription_id: line.to_owned(),
        branch_id: "B01".to_owned(),
        manager_id: Some("M01".to_owned()),
        kind: "disconnect".to_owned(),
        status: "open".to_owned(),
        owner_id: "u-M01".to_owned(),
        channel: "manager".to_owned(),
        reason: "资费 / price".to_owned(),
        monthly_fee_fen: Some(12800),
        opened_at: "2026-11-18T02:00:00+00:00".to_owned(),
        escalated_at: None,
        escalated_by: None,
        desk_owner_id: None,
        closed_at: None,
        closed_by: None,
        outcome: None,
        kept_fee_fen: None,
        version: 0,
    };
    let Opened::New(case) = store.open_case(&opened).await.expect("open") else { panic!("joined") };
    let mut closed = case.clone();
    closed.status = "closed".to_owned();
    closed.closed_at = Some(closed_at.to_owned());
    closed.closed_by = Some("u-M01".to_owned());
    closed.outcome = Some(outcome.to_owned());
    let update = CaseUpdate {
        event: CaseEventRecord {
            case_id: case.case_id,
            at: closed_at.to_owned(),
            user_id: "u-M01".to_owned(),
            action: "close".to_owned(),
            from_status: "open".to_owned(),
            to_status: "closed".to_owned(),
            concession_id: None,
            channel: String::new(),
            note: String::new(),
        },
        case: closed,
        new_concession: None,
        concession_updates: Vec::new(),
    };
    store.update_case(&update).await.expect("close");
}

async fn history(store: &dyn Store) {
    write_note(store, "u-M01", Some("M01"), "CA", note("2026-11-03", "call", "合约到期")).await;
    write_note(store, "u-M01", Some("M01"), "CA", note("2026-11-10", "visit", "上门签约")).await;
    task_with_outcome(store, ("M01", "CA", "warning", "call"), "considering", "2026-11-03T03:00:00+00:00")
        .await;
    task_with_outcome(store, ("M01", "CA", "warning", "call"), "retained", "2026-11-20T03:00:00+00:00").await;
    task_with_outcome(store, ("M01", "CB", "care", "visit"), "visited", "2026-11-04T03:00:00+00:00").await;
    write_note(store, "u-M01", Some("M01"), "CB", note("2026-11-18", "visit", "新客户回访")).await;
    write_note(store, "u-M01", Some("M01"), "CC", note("2026-10-15", "visit", "季度拜访")).await;
    task_with_outcome(store, ("M01", "CC", "warning", "call"), "refused", "2026-11-11T03:00:00+00:00").await;
    write_note(store, "u-M01", Some("M01"), "CD", note("2026-11-05", "message", "账单提醒")).await;
    closed_case(store, "CD", "SD", "retained", "2026-11-20T06:00:00+00:00").await;
    write_note(store, "u-clerk", None, "CF", note("2026-11-12", "visit", "到厅咨询")).await;
    task_with_outcome(store, ("M02", "CG", "care", "call"), "not_reached", "2026-11-06T03:00:00+00:00").await;
    write_note(store, "u-M02", Some("M02"), "CG", note("2026-11-09", "call", "银卡关怀")).await;
    write_note(store, "u-M02", Some("M02"), "CG", note("2026-10-09", "call", "上月关怀")).await;
}

fn approx(actual: Option<f64>, expected: Option<f64>, what: &str) {
    match (actual, expected) {
        (Some(a), Some(e)) => assert!((a - e).abs() < 1e-9, "{what}: {a} != {e}"),
        (a, e) => assert_eq!(a, e, "{what}"),
    }
}

fn counts(row: &Measures) -> [u32; 15] {
    [
        row.managers,
        row.visits,
        row.customers_contacted,
        row.contact_days,
        row.assigned,
        row.covered,
        row.new_customers,
        row.buyers,
        row.repeat_buyers,
        row.retention_attempts,
        row.retention_successes,
        row.quota_required,
        row.quota_done,
        row.customers_lost,
        row.a_tier_customers,
    ]
}

fn rates(row: &Measures, expected: [Option<f64>; 6], what: &str) {
    approx(row.revisits_per_customer, expected[0], &format!("{what} revisits per customer"));
    approx(row.coverage, expected[1], &format!("{what} coverage"));
    approx(row.repeat_purchase_rate, expected[2], &format!("{what} repeat-purchase rate"));
    approx(row.retention_success_rate, expected[3], &format!("{what} retention success rate"));
    approx(row.quota_completion, expected[4], &format!("{what} quota completion"));
    approx(Some(row.visits_per_day), expected[5], &format!("{what} visits per day"));
}

async fn performance_matches_the_hand_worked_answers(store: Arc<dyn Store>) {
    let work = tempfile::tempdir().expect("tempdir");
    operator(store.as_ref(), work.path()).await;
    history(store.as_ref()).await;

    let report = appraisal::performance(store.as_ref(), &AppraisalScope::default(), day("2026-11-17"))
        .await
        .expect("report");
    assert_eq!((report.month.as_str(), report.working_days), ("2026-11", 21));
    let ids: Vec<_> = report.managers.iter().map(|m| m.manager_id.clone().unwrap_or_default()).collect();
    assert_eq!(ids, ["M01", "M02", "M03"]);

    let m01 = &report.managers[0];
    assert_eq!(counts(m01), [1, 3, 4, 7, 5, 4, 1, 2, 1, 3, 2, 10, 5, 1, 3]);
    rates(m01, [Some(0.75), Some(0.8), Some(0.5), Some(2.0 / 3.0), Some(0.5), Some(3.0 / 21.0)], "M01");

    let m02 = &report.managers[1];
    assert_eq!(counts(m02), [1, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0]);
    rates(m02, [Some(0.0), Some(1.0), None, None, Some(1.0), Some(0.0)], "M02");

    let m03 = &report.managers[2];
    assert_eq!(counts(m03), [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    rates(m03, [None, None, None, None, None, Some(0.0)], "M03");

    let b01 = &report.branches[0];
    assert_eq!(b01.branch_id.as_deref(), Some("B01"));
    assert_eq!(counts(b01), [2, 3, 5, 8, 6, 5, 1, 2, 1, 3, 2, 11, 6, 1, 3]);
    rates(
        b01,
        [Some(0.6), Some(5.0 / 6.0), Some(0.5), Some(2.0 / 3.0), Some(6.0 / 11.0), Some(3.0 / 42.0)],
        "B01",
    );
    assert_eq!(report.branches[1].branch_id.as_deref(), Some("B02"));
    assert_eq!(report.total.managers, 3);
    approx(Some(report.total.visits_per_day), Some(3.0 / 63.0), "total visits per day");

    // A branch's scope holds its managers only; a manager's scope, that manager.
    let b02 = AppraisalScope { branch_id: Some("B02".into()), ..AppraisalScope::default() };
    let report = appraisal::performance(store.as_ref(), &b02, day("2026-11-01")).await.expect("report");
    assert_eq!(report.managers.len(), 1);
    assert_eq!(counts(&report.total), counts(m03));
    let only_m02 = AppraisalScope { manager_id: Some("M02".into()), ..AppraisalScope::default() };
    let report = appraisal::performance(store.as_ref(), &only_m02, day("2026-11-01")).await.expect("report");
    assert_eq!(counts(&report.managers[0]), counts(m02));

    // October: M02's October call counts then; CC's visit is a visit of M01's October.
    let october = appraisal::performance(store.as_ref(), &AppraisalScope::default(), day("2026-10-01"))
        .await
        .expect("report");
    assert_eq!((october.managers[0].visits, october.managers[1].contact_days), (1, 1));
}

async fn a_visit_note_is_changed_only_by_its_author_with_its_history_kept(store: Arc<dyn Store>) {
    let work = tempfile::tempdir().expect("tempdir");
    operator(store.as_ref(), work.path()).await;
    let now = at("2026-11-20T02:00:00Z");
    let mut input = note("2026-11-19", "visit", "续约沟通");
    input.promises = "赠送10GB流量 / 10 GB of data as a gift".to_owned();
    input.next_step = "12月5日回访 / call back on 5 Dec".to_owned();
    input.next_contact_on = Some("2026-12-05".to_owned());
    let written =
        file::add_visit_note(store.as_ref(), &manager("u-M01"), Some("M01"), "CA", &input, Some("r1"), now)
            .await
            .expect("note");
    assert_eq!(written.version, 1);

    // Another manager may not change it: forbidden, and the note is as written.
    let mut changed = input.clone();
    changed.promises = "无 / none".to_owned();
    let refused = file::edit_visit_note(store.as_ref(), &manager("u-M02"), written.note_id, 1, &changed, now)
        .await
        .expect_err("not the author");
    assert!(matches!(refused, Error::Forbidden(ref m) if m.contains("u-M01")), "{refused:?}");
    let kept = file::visit_note_history(store.as_ref(), written.note_id).await.expect("history");
    assert_eq!(kept.note.promises, input.promises);
    assert_eq!(kept.revisions.len(), 1);

    // The author changes it; both versions stay, and an edit of the old version is refused.
    let edited = file::edit_visit_note(store.as_ref(), &manager("u-M01"), written.note_id, 1, &changed, now)
        .await
        .expect("edit");
    assert_eq!((edited.version, edited.promises.as_str()), (2, "无 / none"));
    let stale = file::edit_visit_note(store.as_ref(), &manager("u-M01"), written.note_id, 1, &input, now)
        .await
        .expect_err("stale");
    assert!(matches!(stale, Error::Conflict(_)), "{stale:?}");
    let history = file::visit_note_history(store.as_ref(), written.note_id).await.expect("history");
    let promises: Vec<&str> = history.revisions.iter().map(|r| r.promises.as_str()).collect();
    assert_eq!(promises, ["赠送10GB流量 / 10 GB of data as a gift", "无 / none"]);

    // Bad notes are refused by field, and store nothing.
    let mut future = input.clone();
    future.visited_on = "2026-11-21".to_owned();
    let mut backwards = input.clone();
    backwards.next_contact_on = Some("2026-11-01".to_owned());
    let mut no_topic = input.clone();
    no_topic.topic = "  ".to_owned();
    let mut channel = input.clone();
    channel.channel = "fax".to_owned();
    let mut garbled = input.clone();
    garbled.visited_on = "19/11/2026".to_owned();
    for (bad, field) in [
        (future, "visited_on"),
        (backwards, "next_contact_on"),
        (no_topic, "topic"),
        (channel, "channel"),
        (garbled, "visited_on"),
    ] {
        let err = file::add_visit_note(store.as_ref(), &manager("u-M01"), Some("M01"), "CA", &bad, None, now)
            .await
            .expect_err("refused");
        assert!(matches!(err, Error::Invalid(ref m) if m.starts_with(field)), "{field}: {err:?}");
    }
    let unknown =
        file::add_visit_note(store.as_ref(), &manager("u-M01"), Some("M01"), "NOPE", &input, None, now)
            .await
            .expect_err("unknown customer");
    assert!(matches!(unknown, Error::NotFound(_)), "{unknown:?}");
    assert_eq!(file::customer_notes(store.as_ref(), "CA", 10).await.expect("notes").len(), 1);

    // The manager's card shows the note and the next contact it promised.
    let card = file::manager_card(store.as_ref(), "CA", false, now).await.expect("card").expect("known");
    assert_eq!(card.last_visits.len(), 1);
    let next = card.next_contact.expect("next contact");
    assert_eq!((next.on.as_str(), next.source.as_str()), ("2026-12-05", "note"));
    // The sales office's file lists the orders, newest first, with the repeat purchase.
    let full = file::customer_file(store.as_ref(), "CA", false, now).await.expect("file").expect("known");
    let orders: Vec<(&str, bool)> = full.orders.iter().map(|o| (o.contract_id.as_str(), o.repeat)).collect();
    assert_eq!(orders, [("KA2", true), ("KA1", false)]);
    assert_eq!(full.repeat_purchases, 1);
    assert_eq!(full.lines[0].plan_name, "5G畅享128元套餐");
    assert_eq!(full.contacts[0].source, "visit_log");
}

async fn next_months_plan_follows_tier_risk_value_and_promises(store: Arc<dyn Store>) {
    let work = tempfile::tempdir().expect("tempdir");
    operator(store.as_ref(), work.path()).await;
    // CA promised a call on 3 December; CD is at high risk; CF is worth a lot but safe.
    let mut promise = note("2026-11-19", "call", "续约");
    promise.next_contact_on = Some("2026-12-03".to_owned());
    let now = at("2026-11-25T02:00:00Z");
    file::add_visit_note(store.as_ref(), &manager("u-M01"), Some("M01"), "CA", &promise, None, now)
        .await
        .expect("note");
    // CG (silver, M02) was visited in October: the quarter's visit is made.
    write_note(store.as_ref(), "u-M02", Some("M02"), "CG", note("2026-10-09", "visit", "季度拜访")).await;
    let signals: HashMap<String, CustomerSignal> = [
        ("CA", CustomerSignal { risk: Some(0.2), value: 300.0 }),
        ("CB", CustomerSignal { risk: Some(0.35), value: 120.0 }),
        ("CD", CustomerSignal { risk: Some(0.8), value: 90.0 }),
        ("CF", CustomerSignal { risk: Some(0.05), value: 500.0 }),
    ]
    .into_iter()
    .map(|(id, s)| (id.to_owned(), s))
    .collect();
    let plan = appraisal::generate_visit_plan(
        store.as_ref(),
        &manager("u-M01"),
        "M01",
        day("2026-12-01"),
        &signals,
        &PlanSettings::default(),
        now,
    )
    .await
    .expect("plan");
    let of = |customer: &str| -> Vec<(String, String, Vec<String>)> {
        plan.iter()
            .filter(|p| p.customer_id == customer)
            .map(|p| (p.planned_on.to_string(), p.channel.clone(), p.reasons.clone()))
            .collect()
    };
    // December 2026: 23 working days; the first half ends on 15 December.
    // CD: risk 0.8 × 90 = 72 at risk, the most: rank 1, a visit for risk.
    // CA: 0.2 × 300 = 60, rank 2: two quota calls (one of them on the promised 3 Dec), a visit.
    // CF: 25, rank 3. CB: 42, rank before CF. CC left; CE left.
    let ranks: HashMap<&str, i64> = plan.iter().map(|p| (p.customer_id.as_str(), p.rank)).collect();
    assert_eq!((ranks["CD"], ranks["CA"], ranks["CB"], ranks["CF"]), (1, 2, 3, 4));
    assert!(!ranks.contains_key("CC") && !ranks.contains_key("CE"), "{ranks:?}");
    assert_eq!(of("CD"), [("2026-12-01".to_owned(), "visit".to_owned(), vec!["risk".to_owned()])]);
    let ca = of("CA");
    assert_eq!(ca.len(), 3, "{ca:?}");
    assert!(
        ca.contains(&(
            "2026-12-03".to_owned(),
            "call".to_owned(),
            vec!["quota".into(), "value".into(), "next_step".into()]
        )),
        "{ca:?}"
    );
    let ca_second_call =
        ca.iter().find(|(on, channel, _)| channel == "call" && on != "2026-12-03").expect("second call");
    assert!(ca_second_call.0.as_str() >= "2026-12-16", "{ca:?}");
    // CB gold at medium risk: the risk joins a quota call; CF: value joins a quota call.
    assert!(
        of("CB")
            .iter()
            .any(|(_, channel, reasons)| channel == "call" && reasons.contains(&"risk".to_owned()))
    );
    assert!(
        of("CF")
            .iter()
            .any(|(_, channel, reasons)| channel == "call" && reasons.contains(&"value".to_owned()))
    );
    assert_eq!(plan.iter().filter(|p| p.customer_id == "CB" || p.customer_id == "CF").count(), 6);
    // Nobody is planned twice on one day for one channel; weekends stay free.
    for contact in &plan {
        assert!(
            !matches!(contact.planned_on.format("%a").to_string().as_str(), "Sat" | "Sun"),
            "{contact:?}"
        );
    }
    // The card's next contact is the earliest one coming.
    let card = file::manager_card(store.as_ref(), "CD", false, now).await.expect("card").expect("known");
    assert_eq!(
        card.next_contact.map(|n| (n.on, n.source)),
        Some(("2026-12-01".to_owned(), "plan".to_owned()))
    );

    // M02's silver customer, visited this quarter, gets only the month's call.
    let m02 = appraisal::generate_visit_plan(
        store.as_ref(),
        &manager("u-M02"),
        "M02",
        day("2026-12-01"),
        &HashMap::new(),
        &PlanSettings::default(),
        now,
    )
    .await
    .expect("plan");
    let channels: Vec<&str> = m02.iter().map(|p| p.channel.as_str()).collect();
    assert_eq!(channels, ["call"]);
    // A month begun is not planned; an unknown manager is not found.
    let past = appraisal::generate_visit_plan(
        store.as_ref(),
        &manager("u-M02"),
        "M02",
        day("2026-10-01"),
        &HashMap::new(),
        &PlanSettings::default(),
        now,
    )
    .await
    .expect_err("past");
    assert!(matches!(past, Error::Invalid(_)), "{past:?}");
    // Regenerating replaces the plan: still one contact for M02.
    appraisal::generate_visit_plan(
        store.as_ref(),
        &manager("u-M02"),
        "M02",
        day("2026-12-01"),
        &HashMap::new(),
        &PlanSettings::default(),
        now,
    )
    .await
    .expect("again");
    assert_eq!(appraisal::visit_plan(store.as_ref(), "M02", day("2026-12-01")).await.expect("plan").len(), 1);
}

on_both_stores!(
    performance_matches_the_hand_worked_answers,
    a_visit_note_is_changed_only_by_its_author_with_its_history_kept,
    next_months_plan_follows_tier_risk_value_and_promises,
);

#[test]
fn working_days_are_monday_to_friday() {
    assert_eq!(appraisal::working_days(day("2026-11-01")).len(), 21);
    assert_eq!(appraisal::working_days(day("2026-12-01")).len(), 23);
}
