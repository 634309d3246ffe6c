//! A hundred clients recording outcomes at once through the API, each sending its request
//! twice (a retry after a timeout, a double click): nothing is lost, nothing is recorded twice
//! (outcomes and audit entries alike), and of clients racing to close one task exactly one
//! wins.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use serde_json::json;
use weiwan_storage::AuditFilter;

use super::{Harness, event, seed_tasks};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_clients_lose_and_double_nothing() {
    let h = Arc::new(Harness::new().await);
    let (m1_task, _, _) = seed_tasks(&h).await;
    // A second task of M1's customer C1, for the race to close it.
    let body = h.events(json!({"events": [event("E-port", "S1", "porting_inquiry", "")]})).await;
    let race_task = body["tasks"][0]["task_id"].as_i64().expect("a porting task for S1");
    assert_ne!(race_task, m1_task);

    // 100 clients each record a try that keeps the task open, with their own request id, and
    // send it twice at once: 200 requests.
    let mut requests = Vec::new();
    for client in 0..100 {
        for _attempt in 0..2 {
            let h = h.clone();
            requests.push(tokio::spawn(async move {
                let body = json!({"outcome": "not_reached", "note": format!("client {client}"), "request_id": format!("try-{client}")});
                h.call(Some("manager"), Method::POST, &format!("/api/v1/tasks/{m1_task}/outcome"), Some(body)).await
            }));
        }
    }
    for request in requests {
        let (status, body) = request.await.expect("joined");
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["last_outcome"], "not_reached");
    }
    let outcomes = h.store.outcomes(m1_task).await.expect("outcomes");
    assert_eq!(outcomes.len(), 100, "one outcome per client");
    let ids: BTreeSet<String> = outcomes.iter().filter_map(|o| o.request_id.clone()).collect();
    let notes: BTreeSet<String> = outcomes.iter().map(|o| o.note.clone()).collect();
    assert_eq!((ids.len(), notes.len()), (100, 100), "every client's, once");
    let audited = AuditFilter {
        action: Some("record_outcome".into()),
        object_id: Some(m1_task.to_string()),
        limit: 1000,
        ..AuditFilter::default()
    };
    assert_eq!(h.store.audit_log(&audited).await.expect("audit").len(), 100, "one audit entry each");

    // 100 clients race to close another task, each twice: one client's outcome closes it (both
    // of its sends answer 200), every other request is told the task is done.
    let mut requests = Vec::new();
    for client in 0..100 {
        for _attempt in 0..2 {
            let h = h.clone();
            requests.push(tokio::spawn(async move {
                let body = json!({"outcome": "retained", "request_id": format!("close-{client}")});
                let answer = h
                    .call(
                        Some("manager"),
                        Method::POST,
                        &format!("/api/v1/tasks/{race_task}/outcome"),
                        Some(body),
                    )
                    .await;
                (client, answer)
            }));
        }
    }
    let mut winners = BTreeSet::new();
    let mut refused = 0;
    for request in requests {
        let (client, (status, body)) = request.await.expect("joined");
        match status {
            StatusCode::OK => {
                assert_eq!(body["status"], "done", "{body}");
                winners.insert(client);
            }
            StatusCode::CONFLICT => {
                assert!(body["error"]["message"].as_str().expect("message").contains("is done"), "{body}");
                refused += 1;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(winners.len(), 1, "one client closed the task: {winners:?}");
    assert_eq!(refused, 198, "both sends of every other client are refused");
    let outcomes = h.store.outcomes(race_task).await.expect("outcomes");
    let winner = winners.first().expect("a winner");
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].request_id.as_deref(), Some(format!("close-{winner}").as_str()));
}
