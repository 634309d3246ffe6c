//! The web console in-process: which role may open which page (the server's authorization, not
//! hidden links), sign-in and sign-out through forms, the language, and forms from elsewhere.
//! The browser tests (crates/weiwan-cli/tests/it/console.rs) drive the same pages in Chromium.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use tower::ServiceExt;

use crate::{Harness, PASSWORD, seed_tasks};

/// The console's roles, in the order the matrix lists them.
const ROLES: [&str; 9] =
    ["admin", "planner", "approver", "manager", "clerk", "agent", "analyst", "executive", "api_client"];

async fn page(
    h: &Harness,
    who: Option<&str>,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let mut request = Request::builder().method(Method::GET).uri(path);
    if let Some(who) = who {
        let (name, value) = h.header(who);
        request = request.header(name, value);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response =
        h.router.clone().oneshot(request.body(Body::empty()).expect("request")).await.expect("infallible");
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().expect("location").to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), 8 << 20).await.expect("body");
    (status, location, String::from_utf8_lossy(&bytes).into_owned())
}

async fn post_form(
    h: &Harness,
    who: Option<&str>,
    path: &str,
    form: &str,
    headers: &[(&str, &str)],
) -> axum::response::Response {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(who) = who {
        let (name, value) = h.header(who);
        request = request.header(name, value);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    h.router
        .clone()
        .oneshot(request.body(Body::from(form.to_owned())).expect("request"))
        .await
        .expect("infallible")
}

#[tokio::test]
async fn every_role_against_every_page() {
    let h = Harness::new().await;
    let _ = seed_tasks(&h).await;
    crate::groups_clubs::seed_groups_and_clubs(&h).await;
    use StatusCode as S;
    const OK: S = S::OK;
    const NO: S = S::FORBIDDEN;
    const GONE: S = S::NOT_FOUND;
    let matrix: [(&str, [S; 9]); 24] = [
        ("/work", [NO, NO, NO, OK, OK, OK, OK, NO, NO]),
        ("/lookup", [NO, NO, NO, OK, OK, OK, OK, NO, NO]),
        // C1 is M1's customer in branch B1; C2 is in branch B2 with manager M2.
        ("/customers/C1", [NO, NO, NO, OK, OK, OK, OK, NO, NO]),
        ("/customers/C2", [NO, NO, NO, GONE, GONE, OK, OK, NO, NO]),
        ("/tags", [NO, OK, OK, NO, NO, NO, OK, NO, NO]),
        ("/segments", [NO, OK, NO, NO, NO, NO, NO, NO, NO]),
        ("/campaigns", [NO, OK, OK, NO, NO, NO, OK, NO, NO]),
        ("/campaigns/new", [NO, OK, NO, NO, NO, NO, NO, NO, NO]),
        ("/approvals", [NO, NO, OK, NO, NO, NO, NO, NO, NO]),
        ("/model", [NO, OK, NO, NO, NO, NO, OK, NO, NO]),
        ("/kpis", [NO, OK, OK, NO, NO, NO, OK, OK, NO]),
        ("/dashboard", [NO, OK, OK, NO, NO, NO, OK, OK, NO]),
        ("/jobs", [OK, NO, NO, NO, NO, NO, OK, NO, NO]),
        ("/customers/C1/file", [NO, NO, NO, OK, OK, OK, OK, NO, NO]),
        ("/customers/C2/file", [NO, NO, NO, GONE, GONE, OK, OK, NO, NO]),
        ("/visit-notes/999", [NO, NO, NO, GONE, GONE, GONE, GONE, NO, NO]),
        ("/performance", [NO, OK, OK, OK, NO, NO, OK, OK, NO]),
        ("/visit-plans", [NO, OK, NO, OK, NO, NO, NO, NO, NO]),
        // G1 is M1's group in branch B1; golf a province-wide club.
        ("/groups", [NO, OK, NO, OK, NO, NO, OK, NO, NO]),
        ("/groups/G1", [NO, OK, NO, OK, NO, NO, OK, NO, NO]),
        ("/clubs", [NO, OK, NO, OK, OK, OK, OK, NO, NO]),
        ("/clubs/golf", [NO, OK, NO, OK, OK, OK, OK, NO, NO]),
        ("/clubs/chess", [NO, GONE, NO, GONE, GONE, GONE, GONE, NO, NO]),
        ("/static/console.css", [OK, OK, OK, OK, OK, OK, OK, OK, OK]),
    ];
    let mut wrong = Vec::new();
    for (path, expected) in matrix {
        for (role, want) in ROLES.iter().zip(expected) {
            let (got, _, body) = page(&h, Some(role), path, &[]).await;
            if got != want {
                wrong.push(format!(
                    "{role} GET {path}: {got}, expected {want}: {}",
                    &body[..body.len().min(300)]
                ));
            }
            if got == NO {
                assert!(body.contains("data-status=\"403\""), "{role} {path}: an error page: {body}");
            }
        }
        // Anonymous: sent to sign in, and back here afterwards.
        if !path.starts_with("/static") {
            let (status, location, _) = page(&h, None, path, &[]).await;
            assert_eq!(status, S::SEE_OTHER, "anonymous {path}");
            assert!(location.starts_with("/login?next=/"), "{location}");
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn the_header_shows_a_role_only_its_pages_and_each_role_starts_at_its_own() {
    let h = Harness::new().await;
    let starts = [
        ("manager", "/work"),
        ("clerk", "/work"),
        ("agent", "/work"),
        ("planner", "/campaigns"),
        ("approver", "/approvals"),
        ("analyst", "/model"),
        ("executive", "/dashboard"),
        ("admin", "/jobs"),
    ];
    for (role, start) in starts {
        let (status, location, _) = page(&h, Some(role), "/", &[]).await;
        assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, start), "{role}");
        let (status, _, body) = page(&h, Some(role), start, &[]).await;
        assert_eq!(status, StatusCode::OK, "{role} {start}: {body}");
        for (link, roles) in [
            ("href=\"/approvals\"", "approver"),
            ("href=\"/segments\"", "planner"),
            ("href=\"/jobs\"", "admin analyst"),
        ] {
            assert_eq!(body.contains(link), roles.split(' ').any(|r| r == role), "{role}: {link}");
        }
    }
}

#[tokio::test]
async fn signing_in_and_out_through_the_forms() {
    let h = Harness::new().await;
    let refused = post_form(&h, None, "/login", "login=manager&password=wrong&next=%2Fwork", &[]).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let response =
        post_form(&h, None, "/login", &format!("login=manager&password={PASSWORD}&next=%2Fwork"), &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/work");
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    // Back to a page elsewhere is not followed: only local paths.
    let elsewhere = post_form(
        &h,
        None,
        "/login",
        &format!("login=manager&password={PASSWORD}&next=%2F%2Fevil.example"),
        &[],
    )
    .await;
    assert_eq!(elsewhere.headers()["location"], "/");
    let work = |cookie: String| {
        let h = &h;
        async move {
            let request = Request::builder()
                .uri("/work")
                .header("cookie", cookie)
                .body(Body::empty())
                .expect("request");
            h.router.clone().oneshot(request).await.expect("infallible").status()
        }
    };
    assert_eq!(work(cookie.clone()).await, StatusCode::OK);
    let request = Request::builder()
        .method(Method::POST)
        .uri("/logout")
        .header("cookie", cookie.clone())
        .body(Body::empty())
        .expect("request");
    let out = h.router.clone().oneshot(request).await.expect("infallible");
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(work(cookie).await, StatusCode::SEE_OTHER, "the session is over");
}

#[tokio::test]
async fn pages_speak_the_chosen_language_else_the_browsers() {
    let h = Harness::new().await;
    let (_, _, chinese) =
        page(&h, Some("planner"), "/campaigns", &[("accept-language", "zh-CN,zh;q=0.9")]).await;
    assert!(chinese.contains("lang=\"zh-CN\"") && chinese.contains("营销活动"), "{chinese}");
    let (_, _, english) =
        page(&h, Some("planner"), "/campaigns", &[("accept-language", "en-US,en;q=0.9")]).await;
    assert!(english.contains("lang=\"en\"") && english.contains("Campaigns (scheme library)"), "{english}");
    // The person's choice wins over the browser, and is kept for them.
    let switched = post_form(&h, Some("planner"), "/lang", "lang=en&back=%2Fcampaigns", &[]).await;
    assert_eq!(switched.status(), StatusCode::SEE_OTHER);
    assert_eq!(switched.headers()["location"], "/campaigns");
    assert_eq!(h.store.user_lang("u-planner").await.expect("lang").as_deref(), Some("en"));
    let (_, _, chosen) = page(&h, Some("planner"), "/campaigns", &[("accept-language", "zh-CN")]).await;
    assert!(chosen.contains("lang=\"en\""), "{chosen}");
    let bad = post_form(&h, Some("planner"), "/lang", "lang=fr&back=%2F", &[]).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    // The sign-in page follows the browser, or the cookie the switch leaves.
    let (_, _, login) = page(&h, None, "/login", &[("accept-language", "en")]).await;
    assert!(login.contains("Sign in"), "{login}");
    let (_, _, login) =
        page(&h, None, "/login", &[("accept-language", "en"), ("cookie", "weiwan_lang=zh")]).await;
    assert!(login.contains("登录"), "{login}");
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused() {
    let h = Harness::new().await;
    let (m1_task, _, _) = seed_tasks(&h).await;
    let path = format!("/tasks/{m1_task}/outcome");
    let forged = post_form(
        &h,
        Some("manager"),
        &path,
        "outcome=retained&request_id=x1",
        &[("origin", "http://evil.example"), ("host", "weiwan.local")],
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(h.store.outcomes(m1_task).await.expect("outcomes").len(), 0, "nothing recorded");
    // The same form from the console's own origin records the outcome (htmx: a fragment).
    let own = post_form(
        &h,
        Some("manager"),
        &path,
        "outcome=retained&request_id=x1&note=ok",
        &[("origin", "http://weiwan.local"), ("host", "weiwan.local"), ("hx-request", "true")],
    )
    .await;
    assert_eq!(own.status(), StatusCode::OK);
    let body = axum::body::to_bytes(own.into_body(), 1 << 20).await.expect("body");
    assert!(String::from_utf8_lossy(&body).contains("data-outcome=\"retained\""));
    assert_eq!(h.store.outcomes(m1_task).await.expect("outcomes").len(), 1);
    // Another manager's task: 404 as in the API; a bad outcome names the field.
    let bad = post_form(&h, Some("manager"), &path, "outcome=maybe", &[]).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_approver_decides_a_concession_from_the_inbox() {
    let h = Harness::new().await;
    let open = serde_json::json!({"subscription_id": "S1", "kind": "disconnect", "channel": "outbound", "reason": "搬家"});
    let (status, body) = h.call(Some("manager"), Method::POST, "/api/v1/retention-cases", Some(open)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["case"]["case_id"].as_i64().expect("case id");
    let act = |who: &'static str, action: &'static str, body: serde_json::Value| {
        let h = &h;
        async move {
            h.call(
                Some(who),
                Method::POST,
                &format!("/api/v1/retention-cases/{id}/actions/{action}"),
                Some(body),
            )
            .await
        }
    };
    assert_eq!(act("manager", "escalate", serde_json::json!({})).await.0, StatusCode::OK);
    assert_eq!(act("planner", "claim", serde_json::json!({})).await.0, StatusCode::OK);
    let (status, body) =
        act("planner", "offer", serde_json::json!({"kind": "bill_credit", "amount": "500"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "pending_approval", "{body}");
    let concession = body["concessions"][0]["concession_id"].as_i64().expect("concession");

    let (status, _, inbox) = page(&h, Some("approver"), "/approvals", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(inbox.contains(&format!("data-concession=\"{concession}\"")), "{inbox}");
    let path = format!("/retention-cases/{id}/concessions/{concession}/approve");
    // The desk that asked may not approve its own request, not even by posting the form.
    assert_eq!(post_form(&h, Some("planner"), &path, "note=self", &[]).await.status(), StatusCode::FORBIDDEN);
    let decided = post_form(&h, Some("approver"), &path, "note=%E5%90%8C%E6%84%8F", &[]).await;
    assert_eq!(decided.status(), StatusCode::SEE_OTHER);
    let (_, case) =
        h.call(Some("approver"), Method::GET, &format!("/api/v1/retention-cases/{id}"), None).await;
    assert_ne!(case["status"], "pending_approval", "{case}");
    assert_ne!(case["concessions"][0]["status"], "pending_approval", "{case}");
    let (_, _, inbox) = page(&h, Some("approver"), "/approvals", &[]).await;
    assert!(!inbox.contains(&format!("data-concession=\"{concession}\"")), "decided: off the inbox");
}

#[tokio::test]
async fn a_visit_note_is_written_and_changed_only_by_its_author_from_the_console() {
    let h = Harness::new().await;
    let origin: [(&str, &str); 0] = [];
    let form = "visited_on=2026-11-19&channel=visit&topic=%E7%BB%AD%E7%BA%A6&promises=10GB&next_step=call&next_contact_on=2026-12-03&request_id=f1";
    let response = post_form(&h, Some("manager"), "/customers/C1/visit-notes", form, &origin).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // The customer page shows the note, the promised contact and the form to add another.
    let (status, _, body) = page(&h, Some("manager"), "/customers/C1", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("续约") && body.contains("data-on=\"2026-12-03\""), "{body}");
    assert!(body.contains("action=\"/customers/C1/visit-notes\""), "{body}");
    // The clerk reads the note without an edit form, and a forged edit is refused.
    let (status, _, body) = page(&h, Some("clerk"), "/visit-notes/1", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.contains("action=\"/visit-notes/1\""), "{body}");
    let edit =
        "version=1&visited_on=2026-11-19&channel=call&topic=changed&promises=&next_step=&next_contact_on=";
    let response = post_form(&h, Some("clerk"), "/visit-notes/1", edit, &origin).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // The author changes it; the page lists both versions.
    let response = post_form(&h, Some("manager"), "/visit-notes/1", edit, &origin).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, _, body) = page(&h, Some("manager"), "/visit-notes/1", &[]).await;
    assert!(body.contains("data-version=\"1\"") && body.contains("data-version=\"2\""), "{body}");
    // The manager's appraisal row counts the visit; the file page lists it with the contacts.
    let (_, _, body) = page(&h, Some("manager"), "/performance?month=2026-11", &[]).await;
    assert!(body.contains("data-manager=\"M1\""), "{body}");
    let (_, _, body) = page(&h, Some("clerk"), "/customers/C1/file", &[]).await;
    assert!(body.contains("visit_log") && body.contains("id=\"repeat-purchases\""), "{body}");
}
