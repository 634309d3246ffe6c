//! The customer file through the API: a visit note written by one person cannot be changed by
//! another, its history is kept, bad notes are refused by field, and the appraisal and plans
//! keep to the caller's scope.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::Harness;

#[tokio::test]
async fn a_visit_note_is_kept_by_its_author_with_every_version() {
    let h = Harness::new().await;
    let note = json!({"note": {"visited_on": "2026-11-19", "channel": "visit", "topic": "合约到期沟通",
        "promises": "赠送10GB流量", "next_step": "12月初回访", "next_contact_on": "2026-12-03"},
        "request_id": "r-1"});
    let (status, written) =
        h.call(Some("manager"), Method::POST, "/api/v1/customers/C1/visit-notes", Some(note.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{written}");
    let id = written["note_id"].as_i64().expect("id");
    assert_eq!((written["author_id"].as_str(), written["version"].as_i64()), (Some("u-manager"), Some(1)));
    // The same request again stores nothing twice.
    let (status, again) =
        h.call(Some("manager"), Method::POST, "/api/v1/customers/C1/visit-notes", Some(note)).await;
    assert_eq!((status, again["note_id"].as_i64()), (StatusCode::CREATED, Some(id)));

    // The clerk of the branch may read the note but not change it.
    let path = format!("/api/v1/visit-notes/{id}");
    let change = json!({"version": 1, "note": {"visited_on": "2026-11-19", "channel": "visit", "topic": "改写",
        "next_contact_on": "2026-12-03"}});
    let (status, body) = h.call(Some("clerk"), Method::PUT, &path, Some(change.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["error"]["message"].as_str().unwrap_or_default().contains("only its author"), "{body}");
    // Another branch's manager does not even see it.
    let (status, _) = h.call(Some("manager2"), Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The author changes it; a second change from the old version is a conflict.
    let (status, body) = h.call(Some("manager"), Method::PUT, &path, Some(change.clone())).await;
    assert_eq!((status, body["version"].as_i64()), (StatusCode::OK, Some(2)), "{body}");
    let (status, _) = h.call(Some("manager"), Method::PUT, &path, Some(change)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, history) = h.call(Some("clerk"), Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    let topics: Vec<&str> = history["revisions"]
        .as_array()
        .expect("revisions")
        .iter()
        .filter_map(|r| r["topic"].as_str())
        .collect();
    assert_eq!(topics, ["合约到期沟通", "改写"]);

    // Bad notes are refused, naming the field, and store nothing.
    for (bad, field) in [
        (json!({"note": {"visited_on": "2026-13-01", "channel": "visit", "topic": "x"}}), "visited_on"),
        (json!({"note": {"visited_on": "2026-11-19", "channel": "fax", "topic": "x"}}), "channel"),
        (json!({"note": {"visited_on": "2026-11-19", "channel": "visit", "topic": ""}}), "topic"),
        (
            json!({"note": {"visited_on": "2026-11-19", "channel": "visit", "topic": "x", "mood": "good"}}),
            "mood",
        ),
        (json!({"visited_on": "2026-11-19"}), "note"),
    ] {
        let (status, body) =
            h.call(Some("manager"), Method::POST, "/api/v1/customers/C1/visit-notes", Some(bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {body}");
        assert!(body.to_string().contains(field), "{field}: {body}");
    }
    let (_, notes) = h.call(Some("manager"), Method::GET, "/api/v1/customers/C1/visit-notes", None).await;
    assert_eq!(notes.as_array().map(Vec::len), Some(1));

    // The card shows the note and the contact it promised.
    let (status, card) = h.call(Some("manager"), Method::GET, "/api/v1/customers/C1/card", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(card["next_contact"]["on"], "2026-12-03");
    assert_eq!(card["last_visits"][0]["topic"], "改写");
}

#[tokio::test]
async fn the_appraisal_keeps_to_the_callers_scope() {
    let h = Harness::new().await;
    let (status, body) =
        h.call(Some("manager"), Method::GET, "/api/v1/performance?month=2026-11", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let managers: Vec<&str> =
        body["managers"].as_array().expect("rows").iter().filter_map(|m| m["manager_id"].as_str()).collect();
    assert_eq!(managers, ["M1"]);
    let (_, body) = h.call(Some("executive"), Method::GET, "/api/v1/performance?month=2026-11", None).await;
    let branches: Vec<&str> =
        body["branches"].as_array().expect("rows").iter().filter_map(|m| m["branch_id"].as_str()).collect();
    assert_eq!(branches, ["B1", "B2"]);
    let (status, body) =
        h.call(Some("executive"), Method::GET, "/api/v1/performance?month=November", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // A manager plans only their own visits.
    let (status, _) = h
        .call(
            Some("manager"),
            Method::POST,
            "/api/v1/visit-plans",
            Some(json!({"manager_id": "M2", "month": "2026-12"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, plan) =
        h.call(Some("manager"), Method::POST, "/api/v1/visit-plans", Some(json!({"month": "2026-12"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    // C1 is gold: two calls and a visit in December.
    let channels: Vec<&str> =
        plan.as_array().expect("plan").iter().filter_map(|p| p["channel"].as_str()).collect();
    assert_eq!(
        (
            channels.iter().filter(|c| **c == "call").count(),
            channels.iter().filter(|c| **c == "visit").count()
        ),
        (2, 1)
    );
}
