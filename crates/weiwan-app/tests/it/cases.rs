//! Retention cases 拆机挽留 end to end, on SQLite and on PostgreSQL: first-contact ownership,
//! first-line retention, escalation to the desk, a concession above the desk's limit approved
//! (never by its requester), the close, the ledger 台帐 and the monthly report by branch.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use weiwan_app::Error;
use weiwan_app::cases::{self, CaseAction, CaseActor, OpenRequest};
use weiwan_app::tasks::Actor;
use weiwan_domain::{Money, TableId};
use weiwan_storage::Store;
use weiwan_storage::testing::row;

async fn seed(store: &dyn Store) {
    let customer = |id: &str, branch: &str, manager: &str| {
        row(
            TableId::Customers,
            &[id, "individual", "客户", "", "1990-05-01", branch, manager, "gold", "", "false", "2015-03-01"],
        )
    };
    let line = |id: &str, customer: &str, msisdn: &str| {
        row(
            TableId::Subscriptions,
            &[id, customer, msisdn, "P96", "active", "2015-03-01", "", "", "", "", "", ""],
        )
    };
    let mut tx = store.begin_import().await.expect("begin");
    for (table, rows) in [
        (
            TableId::Branches,
            vec![
                row(TableId::Branches, &["B1", "城东分公司", "杭州"]),
                row(TableId::Branches, &["B2", "城西分公司", "杭州"]),
            ],
        ),
        (
            TableId::Managers,
            vec![
                row(TableId::Managers, &["M1", "王芳", "B1", "account", "13900000001"]),
                row(TableId::Managers, &["M2", "赵强", "B2", "account", "13900000002"]),
            ],
        ),
        (
            TableId::Plans,
            vec![row(TableId::Plans, &["P96", "5G畅享96元套餐", "96.00", "postpaid", "5g", "30720", "500"])],
        ),
        (TableId::Customers, vec![customer("C1", "B1", "M1"), customer("C2", "B2", "M2")]),
        (TableId::Subscriptions, vec![line("S1", "C1", "13800001111"), line("S2", "C2", "13800002222")]),
    ] {
        tx.upsert(table, &rows).await.expect("upsert");
    }
    tx.commit().await.expect("commit");
}

fn person(user: &str, role: &str, first_line: bool, desk: bool, approver: bool) -> CaseActor {
    CaseActor { actor: Actor { user_id: user.to_owned(), role: role.to_owned() }, first_line, desk, approver }
}

fn clerk() -> CaseActor {
    person("u-clerk", "clerk", true, false, false)
}
fn agent() -> CaseActor {
    person("u-agent", "agent", true, false, false)
}
fn desk() -> CaseActor {
    person("u-desk", "planner", false, true, false)
}
fn approver() -> CaseActor {
    person("u-approver", "approver", false, false, true)
}

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).single().expect("time") + Duration::minutes(minutes)
}

fn yuan(text: &str) -> Money {
    Money::parse(text).expect("amount")
}

fn note(text: &str) -> String {
    text.to_owned()
}

async fn run_on(store: Arc<dyn Store>) {
    seed(store.as_ref()).await;
    let store = store.as_ref();
    let act = |case_id: i64, action: CaseAction, who: CaseActor, minute: i64| async move {
        cases::act_on_case(store, case_id, &action, &who, at(minute)).await
    };

    // A clerk in the store receives a customer who wants to port the number out: a case opens,
    // owned by the clerk (首问负责人).
    let request = OpenRequest {
        subscription_id: "S1".into(),
        kind: "port_out".into(),
        channel: "store".into(),
        reason: "对手公司送手机 / a competitor offers a free phone".into(),
    };
    let opened = cases::open_case(store, &request, &clerk(), at(0)).await.expect("open");
    assert!(!opened.joined);
    let id = opened.case.case_id;
    assert_eq!((opened.case.owner_id.as_str(), opened.case.status.as_str()), ("u-clerk", "open"));
    assert_eq!(opened.case.monthly_fee.as_deref(), Some("96.00"));
    assert_eq!(opened.case.due_at, Some(at(24 * 60).to_rfc3339()), "the first line has 24 hours");

    // The same customer calls the hotline afterwards: the agent's request joins the case, and
    // the clerk stays its owner.
    let by_phone = OpenRequest { channel: "hotline".into(), kind: "disconnect".into(), ..request.clone() };
    let joined = cases::open_case(store, &by_phone, &agent(), at(10)).await.expect("join");
    assert!(joined.joined);
    assert_eq!((joined.case.case_id, joined.case.owner_id.as_str()), (id, "u-clerk"));
    let offer = |kind: &str, amount: &str| CaseAction::Offer {
        kind: kind.into(),
        amount: yuan(amount),
        note: note(""),
    };
    let err = act(id, offer("bill_credit", "20"), agent(), 11).await.expect_err("not the owner");
    assert!(matches!(&err, Error::Conflict(m) if m.contains("owned by u-clerk")), "{err}");

    // The clerk offers a concession within the first line's limit; above it, the clerk is
    // told to escalate.
    let view = act(id, offer("bill_credit", "30"), clerk(), 20).await.expect("offer");
    let first_offer = view.concessions[0].concession_id;
    assert_eq!(
        (view.concessions[0].status.as_str(), view.concessions[0].level.as_str()),
        ("offered", "first_line")
    );
    let err =
        act(id, offer("bill_credit", "80"), clerk(), 21).await.expect_err("over the first line's limit");
    assert!(matches!(&err, Error::Conflict(m) if m.contains("escalate to the retention desk")), "{err}");
    let err = act(id, offer("bill_credit", "2500"), clerk(), 21).await.expect_err("over every limit");
    assert!(matches!(&err, Error::Invalid(m) if m.contains("2000.00")), "{err}");

    // The customer refuses; the clerk escalates to the retention desk.
    act(id, CaseAction::Decline { concession_id: first_offer, note: note("嫌少 / too little") }, clerk(), 30)
        .await
        .expect("decline");
    let err = act(id, CaseAction::Claim { note: note("") }, desk(), 31).await.expect_err("not escalated");
    assert!(matches!(err, Error::Conflict(_)), "{err}");
    let view = act(id, CaseAction::Escalate { note: note("客户坚持 / insists") }, clerk(), 40)
        .await
        .expect("escalate");
    assert_eq!(view.status, "escalated");
    assert_eq!(view.due_at, Some((at(40) + Duration::hours(48)).to_rfc3339()), "the desk has 48 hours");
    let err = act(id, offer("device_subsidy", "500"), desk(), 41).await.expect_err("claim first");
    assert!(matches!(&err, Error::Conflict(m) if m.contains("claim it first")), "{err}");
    act(id, CaseAction::Claim { note: note("") }, desk(), 45).await.expect("claim");

    // The desk proposes a concession above its own limit: it waits for an approver.
    let view = act(id, offer("device_subsidy", "500"), desk(), 50).await.expect("ask");
    assert_eq!(view.status, "pending_approval");
    let asked = view.concessions.iter().find(|c| c.amount == "500.00").expect("asked");
    assert_eq!((asked.status.as_str(), asked.level.as_str()), ("pending_approval", "approval"));
    let asked = asked.concession_id;
    let close = |outcome: &str, accepted: Option<i64>| CaseAction::Close {
        outcome: outcome.into(),
        accepted_concession: accepted,
        kept_fee: None,
        note: note(""),
    };
    let err = act(id, close("retained", Some(asked)), desk(), 51).await.expect_err("undecided");
    assert!(matches!(err, Error::Conflict(_)), "{err}");
    // Its requester cannot approve it, even with an approver's rights; a desk person without
    // them is not an approver at all.
    let desk_and_approver = person("u-desk", "planner", false, true, true);
    let err = act(id, CaseAction::Approve { concession_id: asked, note: note("") }, desk_and_approver, 55)
        .await
        .expect_err("own request");
    assert!(matches!(&err, Error::Conflict(m) if m.contains("its requester cannot approve")), "{err}");
    let err = act(id, CaseAction::Approve { concession_id: asked, note: note("") }, desk(), 55)
        .await
        .expect_err("not an approver");
    assert!(matches!(err, Error::Forbidden(_)), "{err}");
    let err = act(id, CaseAction::Reject { concession_id: asked, note: note(" ") }, approver(), 56)
        .await
        .expect_err("a rejection says why");
    assert!(matches!(err, Error::Invalid(_)), "{err}");
    let view =
        act(id, CaseAction::Approve { concession_id: asked, note: note("同意 / agreed") }, approver(), 60)
            .await
            .expect("approve");
    assert_eq!(view.status, "escalated", "back to the desk");
    let approved = view.concessions.iter().find(|c| c.concession_id == asked).expect("approved");
    assert_eq!((approved.status.as_str(), approved.approver_id.as_deref()), ("offered", Some("u-approver")));

    // The customer accepts; the desk closes the case retained.
    let view = act(id, close("retained", Some(asked)), desk(), 70).await.expect("close");
    assert_eq!((view.status.as_str(), view.outcome.as_deref()), ("closed", Some("retained")));
    let actions: Vec<&str> = view.history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["open", "join", "offer", "decline", "escalate", "claim", "offer", "approve", "close"]
    );
    let err = act(id, CaseAction::Note { note: note("again") }, clerk(), 71).await.expect_err("closed");
    assert!(matches!(err, Error::Conflict(_)), "{err}");

    // Another branch loses a contract-payoff case at the first line.
    let payoff = OpenRequest {
        subscription_id: "S2".into(),
        kind: "contract_payoff".into(),
        channel: "hotline".into(),
        reason: "提前还款解约 / pays off the contract".into(),
    };
    let lost = cases::open_case(store, &payoff, &agent(), at(80)).await.expect("open").case.case_id;
    act(lost, close("lost", None), agent(), 90).await.expect("lost");

    // The ledger of November holds both, with the concession granted and what was kept.
    let ledger = cases::ledger(store, "2026-11", None).await.expect("ledger");
    assert_eq!((ledger.cases, ledger.lines_kept), (2, 1));
    let entry = &ledger.entries[0];
    assert_eq!(
        (entry.case_id, entry.outcome.as_str(), entry.line_kept, entry.escalated),
        (id, "retained", true, true)
    );
    assert_eq!(entry.owner_id, "u-clerk");
    assert_eq!(entry.desk_owner_id.as_deref(), Some("u-desk"));
    let granted: Vec<(&str, &str, Option<&str>)> = entry
        .concessions
        .iter()
        .map(|c| (c.kind.as_str(), c.amount.as_str(), c.approver_id.as_deref()))
        .collect();
    assert_eq!(granted, [("device_subsidy", "500.00", Some("u-approver"))], "only what was accepted");
    assert_eq!(entry.concession_cost, "500.00");
    assert_eq!(entry.revenue_kept.as_deref(), Some("1152.00"), "96 a month for 12 months");
    assert_eq!((ledger.concession_cost.as_str(), ledger.revenue_kept.as_str()), ("500.00", "1152.00"));
    assert_eq!(ledger.entries[1].outcome, "lost");
    assert_eq!(ledger.entries[1].revenue_kept, None);
    assert!(cases::ledger(store, "2026-10", None).await.expect("ledger").entries.is_empty());

    // The monthly report by branch counts them.
    let report = cases::monthly_report(store, "2026-11", None).await.expect("report");
    let b1 = &report.branches[0];
    assert_eq!((b1.branch_id.as_str(), b1.branch_name.as_str()), ("B1", "城东分公司"));
    assert_eq!((b1.opened, b1.closed, b1.retained, b1.lost), (1, 1, 1, 0));
    assert_eq!((b1.retention_rate, b1.escalated_share), (Some(1.0), Some(1.0)));
    assert_eq!(b1.concession_cost, "500.00");
    assert_eq!(b1.by_kind.len(), 1);
    assert_eq!((b1.by_kind[0].kind.as_str(), b1.by_kind[0].kept), ("port_out", 1));
    let b2 = &report.branches[1];
    assert_eq!((b2.branch_id.as_str(), b2.lost, b2.retention_rate), ("B2", 1, Some(0.0)));
    assert_eq!((report.total.opened, report.total.closed, report.total.retention_rate), (2, 2, Some(0.5)));
    assert_eq!(report.total.escalated_share, Some(0.5));
    let only_b2 = cases::monthly_report(store, "2026-11", Some("B2")).await.expect("report");
    assert_eq!(only_b2.branches.len(), 1);

    // Bad input.
    assert!(matches!(cases::case_view(store, 999, at(100)).await, Err(Error::NotFound(_))));
    let err = act(999, CaseAction::Note { note: note("") }, clerk(), 100).await.expect_err("unknown");
    assert!(matches!(&err, Error::NotFound(m) if m == "retention case 999"), "{err}");
    assert!(matches!(cases::ledger(store, "2026-13", None).await, Err(Error::Invalid(_))));
    assert!(matches!(cases::ledger(store, "2026-1", None).await, Err(Error::Invalid(_))));
    let unknown_line = OpenRequest { subscription_id: "S9".into(), ..request.clone() };
    assert!(matches!(
        cases::open_case(store, &unknown_line, &clerk(), at(100)).await,
        Err(Error::NotFound(_))
    ));
    let bad_kind = OpenRequest { kind: "moving_abroad".into(), ..request.clone() };
    assert!(matches!(cases::open_case(store, &bad_kind, &clerk(), at(100)).await, Err(Error::Invalid(_))));
    assert!(matches!(cases::open_case(store, &request, &desk(), at(100)).await, Err(Error::Forbidden(_))));
}

#[tokio::test]
async fn a_retention_case_goes_through_escalation_and_approval_to_the_ledger_on_sqlite() {
    run_on(weiwan_storage::testing::sqlite().await).await;
}

#[tokio::test]
async fn a_retention_case_goes_through_escalation_and_approval_to_the_ledger_on_postgres() {
    if let Some(store) = weiwan_storage::testing::postgres("app_retention_case_to_ledger").await {
        run_on(store).await;
    }
}
