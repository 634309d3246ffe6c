//! Group customers and clubs through the API: every role against every endpoint, scope (404
//! outside it), the refusals with their reasons, and the audit entries.

use axum::http::{Method, StatusCode};
use serde_json::json;
use weiwan_domain::TableId;
use weiwan_storage::AuditFilter;
use weiwan_storage::testing::row;

use crate::{Harness, ROLES};

/// G1, a diamond group of branch B1 served by M1, whose key person is C1 (M1's gold customer)
/// and whose other member is C3 (silver, no manager); and a province-wide golf club for diamond
/// and gold with C1 a member.
pub async fn seed_groups_and_clubs(h: &Harness) {
    let customer = |id: &str, kind: &str, manager: &str, tier: &str, group: &str, key: &str| {
        row(TableId::Customers, &[id, kind, "客户", "", "", "B1", manager, tier, group, key, "2015-03-01"])
    };
    let mut tx = h.store.begin_import().await.expect("begin");
    let rows = vec![
        customer("G1", "group", "M1", "diamond", "", "false"),
        customer("C1", "individual", "M1", "gold", "G1", "true"),
        customer("C3", "individual", "", "silver", "G1", "false"),
    ];
    tx.upsert(TableId::Customers, &rows).await.expect("upsert");
    tx.commit().await.expect("commit");
    let club = json!({"club_id": "golf", "name_zh": "高尔夫俱乐部", "name_en": "Golf club", "tiers": ["diamond", "gold"]});
    let (status, body) = h.call(Some("planner"), Method::POST, "/api/v1/clubs", Some(club)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = h
        .call(Some("manager"), Method::POST, "/api/v1/clubs/golf/members", Some(json!({"customer_id": "C1"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn every_role_against_the_group_and_club_endpoints() {
    let h = Harness::new().await;
    seed_groups_and_clubs(&h).await;
    use StatusCode as S;
    const OK: S = S::OK;
    const NO: S = S::FORBIDDEN;
    const GONE: S = S::NOT_FOUND;
    let event = json!({"title": "品酒会", "starts_at": "2026-12-05 18:00", "capacity": 5, "allocation": "first_come"});
    let influence = json!({"role": "decision_maker", "note": "签约人"});
    let matrix: Vec<(Method, &str, Option<serde_json::Value>, [S; 8])> = vec![
        // ROLES: admin, planner, approver, manager, clerk, agent, analyst, api_client.
        (Method::GET, "/api/v1/groups", None, [NO, OK, NO, OK, NO, NO, OK, NO]),
        (Method::GET, "/api/v1/groups/G1", None, [NO, OK, NO, OK, NO, NO, OK, NO]),
        (Method::GET, "/api/v1/groups/G1/report?period=2026-10", None, [NO, OK, NO, OK, NO, NO, OK, NO]),
        // Not a group: 404 for whoever may read groups.
        (Method::GET, "/api/v1/groups/C1", None, [NO, GONE, NO, GONE, NO, NO, GONE, NO]),
        (Method::PUT, "/api/v1/groups/G1/key-persons/C1", Some(influence), [NO, NO, NO, OK, NO, NO, NO, NO]),
        (Method::GET, "/api/v1/clubs", None, [NO, OK, NO, OK, OK, OK, OK, NO]),
        (Method::GET, "/api/v1/clubs/golf", None, [NO, OK, NO, OK, OK, OK, OK, NO]),
        (Method::POST, "/api/v1/clubs/golf/events", Some(event), [NO, S::CREATED, NO, NO, NO, NO, NO, NO]),
        (Method::GET, "/api/v1/customers/C1/clubs", None, [NO, OK, NO, OK, OK, OK, OK, NO]),
    ];
    let mut wrong = Vec::new();
    for (method, path, body, expected) in matrix {
        for (role, want) in ROLES.iter().zip(expected) {
            let (got, answer) = h.call(Some(role), method.clone(), path, body.clone()).await;
            if got != want {
                wrong.push(format!("{role} {method} {path}: {got}, expected {want}: {answer}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Another branch's manager does not see G1 or C1.
    let (status, _) = h.call(Some("manager2"), Method::GET, "/api/v1/groups/G1", None).await;
    assert_eq!(status, GONE);
    let (status, _) = h.call(Some("manager2"), Method::GET, "/api/v1/customers/C1/clubs", None).await;
    assert_eq!(status, GONE);
}

#[tokio::test]
async fn groups_and_clubs_through_the_api_refuse_what_does_not_hold() {
    let h = Harness::new().await;
    seed_groups_and_clubs(&h).await;
    let call = |who: &'static str, method: Method, path: &'static str, body: Option<serde_json::Value>| {
        let h = &h;
        async move { h.call(Some(who), method, path, body).await }
    };
    // The group: diamond, its manager M1 sees C1's number unmasked, C3's masked.
    let (status, group) = call("manager", Method::GET, "/api/v1/groups/G1", None).await;
    assert_eq!(status, StatusCode::OK, "{group}");
    assert_eq!(group["service_level"]["response_hours"], 2);
    assert_eq!(group["named_manager_missing"], false);
    assert_eq!(group["key_persons"][0]["customer_id"], "C1");
    let numbers: Vec<&str> = group["members"]
        .as_array()
        .expect("members")
        .iter()
        .flat_map(|m| {
            m["lines"].as_array().expect("lines").iter().map(|l| l["msisdn"].as_str().expect("msisdn"))
        })
        .collect();
    assert_eq!(numbers, ["13800001111", "138****3333"]);
    // Influence: a member who is no key person, a bad weight, a customer of no group.
    let (status, body) =
        call("manager", Method::PUT, "/api/v1/groups/G1/key-persons/C3", Some(json!({"role": "user"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["message"].as_str().expect("message").contains("not a key person"), "{body}");
    let (status, body) = call(
        "manager",
        Method::PUT,
        "/api/v1/groups/G1/key-persons/C1",
        Some(json!({"role": "decision_maker", "weight": 2.0})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) =
        call("manager", Method::PUT, "/api/v1/groups/G1/key-persons/C4", Some(json!({"role": "user"}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = call("manager", Method::GET, "/api/v1/groups/G1/report?period=2026-Q5", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // Clubs: a silver customer is refused, an unknown club is 404, a customer of another
    // manager is 404 to this one.
    let (status, body) =
        call("clerk", Method::POST, "/api/v1/clubs/golf/members", Some(json!({"customer_id": "C3"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"].as_str().expect("message").contains("not eligible for club golf"),
        "{body}"
    );
    let (status, _) =
        call("manager", Method::POST, "/api/v1/clubs/chess/members", Some(json!({"customer_id": "C1"})))
            .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) =
        call("manager", Method::POST, "/api/v1/clubs/golf/members", Some(json!({"customer_id": "C2"}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) =
        call("manager", Method::POST, "/api/v1/clubs/golf/members", Some(json!({"customer_id": "C1"}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // An event of one place without a waitlist: C1 takes it, twice is a conflict.
    let event = json!({"title": "品酒会", "starts_at": "2026-12-05 18:00", "capacity": 1, "allocation": "first_come"});
    let (status, created) = call("planner", Method::POST, "/api/v1/clubs/golf/events", Some(event)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["event_id"].as_i64().expect("id");
    let signups = Box::leak(format!("/api/v1/club-events/{id}/signups").into_boxed_str());
    let (status, body) = call("manager", Method::POST, signups, Some(json!({"customer_id": "C1"}))).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::CREATED, Some("confirmed")), "{body}");
    let (status, body) = call("manager", Method::POST, signups, Some(json!({"customer_id": "C1"}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let draw = Box::leak(format!("/api/v1/club-events/{id}/draw").into_boxed_str());
    let (status, body) = call("planner", Method::POST, draw, Some(json!({"seed": 7}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "a first-come event has no draw: {body}");
    let bad = json!({"title": "", "starts_at": "tomorrow", "capacity": 0, "allocation": "lottery"});
    let (status, body) = call("planner", Method::POST, "/api/v1/clubs/golf/events", Some(bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = body["error"]["message"].as_str().expect("message");
    for part in ["title: 1 to 100 characters", "capacity: 0 is not 1 to 10000", "allocation:", "starts_at:"] {
        assert!(message.contains(part), "{message} should name {part}");
    }
    // No points in an empty lake: the spend is refused with the numbers.
    let spend = json!({"customer_id": "C1", "service": "贵宾厅", "points": 100});
    let (status, body) = call("manager", Method::POST, "/api/v1/clubs/golf/point-spends", Some(spend)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"]["message"].as_str().expect("message").contains("0 points available"), "{body}");

    // Views and changes are audited.
    for action in ["view_group", "create_club", "join_club", "create_club_event", "club_sign_up"] {
        let filter = AuditFilter { action: Some(action.to_owned()), limit: 10, ..AuditFilter::default() };
        assert!(!h.store.audit_log(&filter).await.expect("audit").is_empty(), "{action} audited");
    }
}
