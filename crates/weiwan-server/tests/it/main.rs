//! The API in-process (the router called directly, no socket): authorization of every role
//! against every endpoint, branch scoping and masking, events and their tasks, the 不轻易停机
//! flow, the audit log, sessions, metrics and the OpenAPI description.

mod concurrency;
mod console;
mod file;
mod groups_clubs;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value as Json, json};
use tower::ServiceExt;
use weiwan_app::{Lake, Store};
use weiwan_domain::TableId;
use weiwan_server::AppState;
use weiwan_storage::testing::row;
use weiwan_storage::{CredentialRecord, UserRecord};

/// Two branches, a manager in each, four customers:
/// - C1 gold, branch B1, manager M1, line S1
/// - C2 mass, branch B2, manager M2, line S2
/// - C3 silver, branch B1, no manager, line S3
/// - C4 mass, branch B1, no manager, line S4
pub async fn seed_entities(store: &dyn Store) {
    let branches = vec![
        row(TableId::Branches, &["B1", "城东分公司", "杭州"]),
        row(TableId::Branches, &["B2", "城西分公司", "杭州"]),
    ];
    let managers = vec![
        row(TableId::Managers, &["M1", "王芳", "B1", "account", "13900000001"]),
        row(TableId::Managers, &["M2", "赵强", "B2", "account", "13900000002"]),
    ];
    let plans =
        vec![row(TableId::Plans, &["P96", "5G畅享96元套餐", "96.00", "postpaid", "5g", "30720", "500"])];
    let customer = |id: &str, branch: &str, manager: &str, tier: &str| {
        row(
            TableId::Customers,
            &[
                id,
                "individual",
                "客户",
                "330102199001011234",
                "1990-05-01",
                branch,
                manager,
                tier,
                "",
                "false",
                "2015-03-01",
            ],
        )
    };
    let customers = vec![
        customer("C1", "B1", "M1", "gold"),
        customer("C2", "B2", "M2", "mass"),
        customer("C3", "B1", "", "silver"),
        customer("C4", "B1", "", "mass"),
    ];
    let line = |id: &str, customer: &str, msisdn: &str| {
        row(
            TableId::Subscriptions,
            &[id, customer, msisdn, "P96", "active", "2015-03-01", "", "", "", "", "", ""],
        )
    };
    let lines = vec![
        line("S1", "C1", "13800001111"),
        line("S2", "C2", "13800002222"),
        line("S3", "C3", "13800003333"),
        line("S4", "C4", "13800004444"),
    ];
    let mut tx = store.begin_import().await.expect("begin");
    for (table, rows) in [
        (TableId::Branches, branches),
        (TableId::Managers, managers),
        (TableId::Plans, plans),
        (TableId::Customers, customers),
        (TableId::Subscriptions, lines),
    ] {
        tx.upsert(table, &rows).await.expect("upsert");
    }
    tx.commit().await.expect("commit");
}

/// The roles in the order the matrix lists them.
const ROLES: [&str; 8] =
    ["admin", "planner", "approver", "manager", "clerk", "agent", "analyst", "api_client"];
const PASSWORD: &str = "correct-horse-9";

/// A test server: a store with the fixture, one user per role, and a clock tests can move.
#[allow(missing_debug_implementations)]
pub struct Harness {
    pub router: Router,
    pub store: Arc<dyn Store>,
    pub now: Arc<Mutex<DateTime<Utc>>>,
    /// Per role (and `manager2`), the Cookie or Authorization header to send.
    credentials: Vec<(String, (&'static str, String))>,
    _lake: tempfile::TempDir,
}

impl Harness {
    pub async fn new() -> Harness {
        let store = weiwan_storage::testing::sqlite().await;
        seed_entities(store.as_ref()).await;
        let lake = tempfile::tempdir().expect("tempdir");
        let now = Arc::new(Mutex::new(Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).single().expect("time")));
        let clock_now = now.clone();
        let state = AppState {
            store: store.clone(),
            rules: Arc::new(weiwan_decision::builtin()),
            lake: Lake::new(lake.path()),
            clock: Arc::new(move || *clock_now.lock().expect("clock")),
            analytics: tokio::runtime::Handle::current(),
            policy: Default::default(),
            jobs: Default::default(),
        };
        let mut harness = Harness {
            router: weiwan_server::router(state),
            store,
            now,
            credentials: Vec::new(),
            _lake: lake,
        };
        let users: [(&str, &str, Option<&str>, Option<&str>); 10] = [
            ("admin", "admin", None, None),
            ("planner", "planner", None, None),
            ("approver", "approver", None, None),
            ("manager", "manager", Some("B1"), Some("M1")),
            ("manager2", "manager", Some("B2"), Some("M2")),
            ("clerk", "clerk", Some("B1"), None),
            ("agent", "agent", None, None),
            ("analyst", "analyst", None, None),
            ("executive", "executive", None, None),
            ("api_client", "api_client", None, None),
        ];
        for (login, role, branch, manager) in users {
            let hash = if role == "api_client" {
                String::new()
            } else {
                weiwan_server::hash_password(PASSWORD).expect("hash")
            };
            let user = UserRecord {
                user_id: format!("u-{login}"),
                login: login.into(),
                display_name: login.into(),
                role: role.into(),
                branch_id: branch.map(Into::into),
                manager_id: manager.map(Into::into),
                password_hash: hash,
                active: true,
                created_at: "2026-11-01T00:00:00+00:00".into(),
            };
            assert!(harness.store.create_user(&user).await.expect("create user"));
            let header = if role == "api_client" {
                let secret = "a".repeat(64);
                harness
                    .store
                    .create_credential(&CredentialRecord {
                        token_hash: weiwan_server::auth::digest(&secret),
                        user_id: user.user_id.clone(),
                        kind: "api".into(),
                        label: "billing".into(),
                        created_at: user.created_at.clone(),
                        expires_at: None,
                    })
                    .await
                    .expect("token");
                ("authorization", format!("Bearer {secret}"))
            } else {
                ("cookie", harness.login(login, PASSWORD).await)
            };
            harness.credentials.push((login.to_owned(), header));
        }
        harness
    }

    /// `POST /api/v1/login`, whatever the answer.
    pub async fn post_login(&self, login: &str, password: &str) -> axum::response::Response {
        let body = json!({"login": login, "password": password});
        self.call_raw(Method::POST, "/api/v1/login", None, Some(body)).await
    }

    /// Signs in through the API; returns the Cookie header value.
    pub async fn login(&self, login: &str, password: &str) -> String {
        let response = self.post_login(login, password).await;
        assert_eq!(response.status(), StatusCode::OK, "login {login}");
        let cookie = response.headers()["set-cookie"].to_str().expect("cookie").to_owned();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
        cookie.split(';').next().expect("pair").to_owned()
    }

    pub fn header(&self, who: &str) -> (&'static str, String) {
        self.credentials
            .iter()
            .find(|(login, _)| login == who)
            .unwrap_or_else(|| panic!("no user {who}"))
            .1
            .clone()
    }

    pub async fn call_raw(
        &self,
        method: Method,
        path: &str,
        header: Option<(&'static str, String)>,
        body: Option<Json>,
    ) -> axum::response::Response {
        let mut request = Request::builder().method(method).uri(path);
        if let Some((name, value)) = header {
            request = request.header(name, value);
        }
        let request = match body {
            Some(body) => {
                request.header("content-type", "application/json").body(Body::from(body.to_string()))
            }
            None => request.body(Body::empty()),
        }
        .expect("request");
        self.router.clone().oneshot(request).await.expect("infallible")
    }

    /// Calls as a user (`None`: anonymous); returns the status and the JSON body (Null if none).
    pub async fn call(
        &self,
        who: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Json>,
    ) -> (StatusCode, Json) {
        let response = self.call_raw(method, path, who.map(|w| self.header(w)), body).await;
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 64 << 20).await.expect("body");
        let json = serde_json::from_slice(&bytes).unwrap_or(Json::Null);
        (status, json)
    }

    pub async fn events(&self, events: Json) -> Json {
        let (status, body) =
            self.call(Some("api_client"), Method::POST, "/api/v1/events", Some(events)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

fn event(id: &str, line: &str, kind: &str, detail: &str) -> Json {
    json!({"event_id": id, "subscription_id": line, "occurred_at": "2026-11-20 09:30:00", "event_type": kind, "detail": detail})
}

fn task_ids(body: &Json) -> Vec<i64> {
    body["tasks"].as_array().expect("tasks").iter().map(|t| t["task_id"].as_i64().expect("id")).collect()
}

/// Tasks of each kind the matrix needs: C1's (manager M1), C2's (manager M2), and C4's
/// arrears reminder (outbound queue, branch B1).
async fn seed_tasks(h: &Harness) -> (i64, i64, i64) {
    let body = h
        .events(json!({"events": [
            event("E1", "S1", "competitor_service_call", "10086"),
            event("E2", "S2", "competitor_service_call", "10086"),
            event("E3", "S4", "arrears", "月结欠费"),
        ]}))
        .await;
    let tasks = body["tasks"].as_array().expect("tasks");
    let find = |line: &str| {
        tasks
            .iter()
            .find(|t| t["subscription_id"] == line)
            .unwrap_or_else(|| panic!("no task for {line}: {body}"))["task_id"]
            .as_i64()
            .expect("id")
    };
    (find("S1"), find("S2"), find("S4"))
}

#[tokio::test]
async fn every_role_against_every_endpoint() {
    let h = Harness::new().await;
    let (m1_task, _m2_task, outbound_task) = seed_tasks(&h).await;
    use StatusCode as S;
    const OK: S = S::OK;
    const NO: S = S::FORBIDDEN;
    const GONE: S = S::NOT_FOUND;
    // Each row: method, path, body, the status per role in ROLES order.
    let new_user =
        json!({"login": "newbie", "display_name": "N", "role": "analyst", "password": "long-enough-1"});
    let token = json!({"user_id": "u-api_client", "label": "crm"});
    let single = event("E9", "S3", "porting_inquiry", "");
    let outcome = json!({"outcome": "not_reached"});
    let offers = json!({"offers": [offer_json("matrix_offer")]});
    let plan = json!({"id": "m1", "plan": plan_json("matrix_offer")});
    let matrix: Vec<(Method, String, Option<Json>, [S; 8])> = vec![
        (Method::GET, "/api/v1/me".into(), None, [OK, OK, OK, OK, OK, OK, OK, OK]),
        (Method::GET, "/api/v1/users".into(), None, [OK, NO, NO, NO, NO, NO, NO, NO]),
        (Method::POST, "/api/v1/users".into(), Some(new_user), [S::CREATED, NO, NO, NO, NO, NO, NO, NO]),
        (Method::POST, "/api/v1/tokens".into(), Some(token), [S::CREATED, NO, NO, NO, NO, NO, NO, NO]),
        (Method::GET, "/api/v1/audit".into(), None, [OK, NO, NO, NO, NO, NO, NO, NO]),
        (Method::GET, "/api/v1/rules".into(), None, [OK, OK, NO, NO, NO, NO, OK, NO]),
        (Method::POST, "/api/v1/events".into(), Some(single), [OK, NO, NO, NO, NO, NO, NO, OK]),
        (Method::GET, "/api/v1/subscriptions/S1/may-suspend".into(), None, [OK, NO, NO, NO, NO, NO, NO, OK]),
        // C1 is M1's customer in branch B1: the agent and analyst are province-wide.
        (Method::GET, "/api/v1/customers/C1".into(), None, [NO, NO, NO, OK, OK, OK, OK, NO]),
        // C2 is in branch B2 with manager M2: outside the manager's and the clerk's scope.
        (Method::GET, "/api/v1/customers/C2".into(), None, [NO, NO, NO, GONE, GONE, OK, OK, NO]),
        // The customer file and visit log: the manager, clerk and agent write notes (ids 1, 2, 3
        // in that order); everyone who sees the customer reads them; only the author edits.
        (Method::GET, "/api/v1/customers/C1/card".into(), None, [NO, NO, NO, OK, OK, OK, OK, NO]),
        (Method::GET, "/api/v1/customers/C1/file".into(), None, [NO, NO, NO, OK, OK, OK, OK, NO]),
        (Method::GET, "/api/v1/customers/C2/file".into(), None, [NO, NO, NO, GONE, GONE, OK, OK, NO]),
        (
            Method::POST,
            "/api/v1/customers/C1/visit-notes".into(),
            Some(json!({"note": {"visited_on": "2026-11-19", "channel": "visit", "topic": "续约"}})),
            [NO, NO, NO, S::CREATED, S::CREATED, S::CREATED, NO, NO],
        ),
        (Method::GET, "/api/v1/customers/C1/visit-notes".into(), None, [NO, NO, NO, OK, OK, OK, OK, NO]),
        (Method::GET, "/api/v1/customers/C2/visit-notes".into(), None, [NO, NO, NO, GONE, GONE, OK, OK, NO]),
        (Method::GET, "/api/v1/visit-notes/1".into(), None, [NO, NO, NO, OK, OK, OK, OK, NO]),
        (
            Method::PUT,
            "/api/v1/visit-notes/1".into(),
            Some(
                json!({"version": 1, "note": {"visited_on": "2026-11-19", "channel": "call", "topic": "改"}}),
            ),
            [NO, NO, NO, OK, NO, NO, NO, NO],
        ),
        (Method::GET, "/api/v1/performance?month=2026-11".into(), None, [NO, OK, OK, OK, NO, NO, OK, NO]),
        (
            Method::POST,
            "/api/v1/visit-plans".into(),
            Some(json!({"manager_id": "M1", "month": "2026-12"})),
            [NO, S::CREATED, NO, S::CREATED, NO, NO, NO, NO],
        ),
        (
            Method::GET,
            "/api/v1/visit-plans?manager_id=M1&month=2026-12".into(),
            None,
            [NO, OK, NO, OK, NO, NO, NO, NO],
        ),
        (
            Method::GET,
            "/api/v1/visit-plans?manager_id=M2&month=2026-12".into(),
            None,
            [NO, OK, NO, GONE, NO, NO, NO, NO],
        ),
        (Method::GET, "/api/v1/tasks".into(), None, [NO, OK, NO, OK, OK, OK, OK, NO]),
        // Churn kinds: counts for the dashboards' readers; the lines (personal data) for analysts.
        (Method::GET, "/api/v1/churn-kinds?as_of=2026-11-01".into(), None, [NO, OK, OK, NO, NO, NO, OK, NO]),
        (
            Method::GET,
            "/api/v1/churn-kinds?as_of=2026-11-01&lines=true".into(),
            None,
            [NO, NO, NO, NO, NO, NO, OK, NO],
        ),
        // M1's task: only M1 works it; the analyst sees it but may not work it.
        (
            Method::POST,
            format!("/api/v1/tasks/{m1_task}/outcome"),
            Some(outcome.clone()),
            [NO, NO, NO, OK, GONE, GONE, NO, NO],
        ),
        (Method::POST, format!("/api/v1/tasks/{m1_task}/claim"), None, [NO, NO, NO, OK, GONE, GONE, NO, NO]),
        // An outbound-queue task of branch B1: managers of B1 work it.
        (
            Method::POST,
            format!("/api/v1/tasks/{outbound_task}/claim"),
            None,
            [NO, NO, NO, OK, GONE, GONE, NO, NO],
        ),
        // Offers and campaigns: planners plan, approvers approve, analysts read. The rows
        // build on each other: the offer, a campaign offering it, its submission, approval.
        (Method::POST, "/api/v1/offers".into(), Some(offers), [NO, S::CREATED, NO, NO, NO, NO, NO, NO]),
        (Method::GET, "/api/v1/offers".into(), None, [NO, OK, OK, NO, NO, NO, OK, NO]),
        (Method::POST, "/api/v1/offers/matrix_offer/retire".into(), None, [NO, OK, NO, NO, NO, NO, NO, NO]),
        (
            Method::POST,
            "/api/v1/offers/matrix_offer/reinstate".into(),
            None,
            [NO, OK, NO, NO, NO, NO, NO, NO],
        ),
        (Method::POST, "/api/v1/campaigns".into(), Some(plan), [NO, S::CREATED, NO, NO, NO, NO, NO, NO]),
        (Method::GET, "/api/v1/campaigns".into(), None, [NO, OK, OK, NO, NO, NO, OK, NO]),
        (Method::GET, "/api/v1/campaigns/m1".into(), None, [NO, OK, OK, NO, NO, NO, OK, NO]),
        (
            Method::POST,
            "/api/v1/campaigns/m1/actions/submit".into(),
            Some(json!({})),
            [NO, OK, NO, NO, NO, NO, NO, NO],
        ),
        (
            Method::POST,
            "/api/v1/campaigns/m1/actions/approve".into(),
            Some(json!({"comment": "ok"})),
            [NO, NO, OK, NO, NO, NO, NO, NO],
        ),
        // C1 is M1's customer in branch B1; the agent is province-wide.
        (
            Method::PUT,
            "/api/v1/customers/C1/do-not-disturb".into(),
            Some(json!({"on": true, "reason": "asked"})),
            [NO, NO, NO, OK, OK, OK, NO, NO],
        ),
        (
            Method::PUT,
            "/api/v1/customers/C2/do-not-disturb".into(),
            Some(json!({"on": false})),
            [NO, NO, NO, GONE, GONE, OK, NO, NO],
        ),
        // Questionnaires: planners define them, approvers and analysts read them.
        (
            Method::POST,
            "/api/v1/questionnaires".into(),
            Some(json!({"id": "q1", "title_zh": "问卷", "title_en": "Survey", "questions": [
                {"id": "why", "text_zh": "原因", "text_en": "Why", "kind": "open"}]})),
            [NO, S::CREATED, NO, NO, NO, NO, NO, NO],
        ),
        (Method::GET, "/api/v1/questionnaires".into(), None, [NO, OK, OK, NO, NO, NO, OK, NO]),
        (Method::GET, "/api/v1/questionnaires/q1".into(), None, [NO, OK, OK, NO, NO, NO, OK, NO]),
        (Method::GET, "/api/v1/campaigns/m1/answers".into(), None, [NO, OK, OK, NO, NO, NO, OK, NO]),
        // The policy view: roles that view customers, in scope; no index is built here (no
        // batch has run), so those allowed are told so.
        (
            Method::GET,
            "/api/v1/customers/C1/policy-view?channel=store".into(),
            None,
            [NO, NO, NO, S::CONFLICT, S::CONFLICT, S::CONFLICT, S::CONFLICT, NO],
        ),
        (
            Method::GET,
            "/api/v1/customers/C2/policy-view?channel=store".into(),
            None,
            [NO, NO, NO, GONE, GONE, S::CONFLICT, S::CONFLICT, NO],
        ),
        (
            Method::GET,
            "/api/v1/policy-index".into(),
            None,
            [NO, S::CONFLICT, S::CONFLICT, S::CONFLICT, S::CONFLICT, S::CONFLICT, S::CONFLICT, NO],
        ),
        (
            Method::POST,
            "/api/v1/policy-index".into(),
            Some(json!({})),
            [NO, S::CONFLICT, NO, NO, NO, NO, NO, NO],
        ),
        // The web hall is a system: API clients only. C1 has no campaign offer.
        (Method::GET, "/api/v1/customers/C1/offers-for-you".into(), None, [NO, NO, NO, NO, NO, NO, NO, OK]),
        (
            Method::POST,
            "/api/v1/customers/C1/offers-for-you/m1/take".into(),
            Some(json!({"request_id": "web-1"})),
            [NO, NO, NO, NO, NO, NO, NO, GONE],
        ),
        (
            Method::POST,
            "/api/v1/campaigns/m1/clone".into(),
            Some(json!({"new_id": "m2"})),
            [NO, S::CREATED, NO, NO, NO, NO, NO, NO],
        ),
        // Retention cases: the first line opens (C3, branch B1, has no manager: not the
        // manager's); the clerk's request opens case 1, the agent's joins it. The rows build on
        // each other: the clerk escalates, the desk (planner) claims and asks for a concession
        // above its limit, the approver approves concession 1, the desk closes.
        (
            Method::POST,
            "/api/v1/retention-cases".into(),
            Some(
                json!({"subscription_id": "S3", "kind": "port_out", "channel": "store", "reason": "携号转网"}),
            ),
            [NO, NO, NO, GONE, S::CREATED, OK, NO, NO],
        ),
        (Method::GET, "/api/v1/retention-cases".into(), None, [NO, OK, OK, OK, OK, OK, OK, NO]),
        (Method::GET, "/api/v1/retention-cases/1".into(), None, [NO, OK, OK, GONE, OK, OK, OK, NO]),
        (
            Method::POST,
            "/api/v1/retention-cases/1/actions/escalate".into(),
            Some(json!({"note": "客户坚持"})),
            [NO, NO, NO, GONE, OK, S::CONFLICT, NO, NO],
        ),
        (
            Method::POST,
            "/api/v1/retention-cases/1/actions/claim".into(),
            Some(json!({})),
            [NO, OK, NO, NO, NO, NO, NO, NO],
        ),
        (
            Method::POST,
            "/api/v1/retention-cases/1/actions/offer".into(),
            Some(json!({"kind": "device_subsidy", "amount": "500"})),
            [NO, OK, NO, GONE, S::CONFLICT, S::CONFLICT, NO, NO],
        ),
        (
            Method::POST,
            "/api/v1/retention-cases/1/actions/approve".into(),
            Some(json!({"concession_id": 1})),
            [NO, NO, OK, NO, NO, NO, NO, NO],
        ),
        (
            Method::POST,
            "/api/v1/retention-cases/1/actions/close".into(),
            Some(json!({"outcome": "retained", "accepted_concession": 1})),
            [NO, OK, NO, GONE, S::CONFLICT, S::CONFLICT, NO, NO],
        ),
        (
            Method::GET,
            "/api/v1/retention-cases/ledger?month=2026-11".into(),
            None,
            [NO, OK, OK, NO, NO, NO, OK, NO],
        ),
        (
            Method::GET,
            "/api/v1/retention-cases/report?month=2026-11".into(),
            None,
            [NO, OK, OK, NO, NO, NO, OK, NO],
        ),
    ];
    let mut failures = Vec::new();
    for (method, path, body, expected) in &matrix {
        for (role, want) in ROLES.iter().zip(expected) {
            let (got, answer) = h.call(Some(role), method.clone(), path, body.clone()).await;
            if got != *want {
                failures.push(format!("{role:<10} {method} {path}: expected {want}, got {got} {answer}"));
            }
        }
        // Nobody signed in: every endpoint answers 401.
        let (got, _) = h.call(None, method.clone(), path, body.clone()).await;
        if got != StatusCode::UNAUTHORIZED {
            failures.push(format!("anonymous  {method} {path}: expected 401, got {got}"));
        }
    }
    assert!(failures.is_empty(), "authorization matrix:\n{}", failures.join("\n"));
}

/// An offer everyone is eligible for, as the API takes it.
fn offer_json(id: &str) -> Json {
    json!({
        "id": id,
        "name_zh": "业务包优惠",
        "name_en": "Service pack discount",
        "terms": {"kind": "binding", "binding": "service_pack", "monthly_discount": "10", "months": 12},
        "eligibility": [],
        "valid_from": "2026-01-01",
        "valid_to": "2027-12-31",
        "budget": "100000",
        "excludes": [],
        "expected_take_up": 0.1
    })
}

fn plan_json(offer: &str) -> Json {
    json!({
        "name_zh": "续约关怀",
        "name_en": "Renewal care",
        "target_group": "package_renewal",
        "offers": [offer],
        "channels": [{"channel": "outbound", "script_zh": "您好", "script_en": "Hello"}],
        "starts_on": "2026-11-20",
        "ends_on": "2026-12-31",
        "budget": "50000"
    })
}

#[tokio::test]
async fn campaign_requests_that_do_not_hold_are_refused_with_reasons() {
    let h = Harness::new().await;
    // An offer whose bonus exceeds the prepay, and one with a field the API does not know.
    let mut greedy = offer_json("greedy");
    greedy["terms"] = json!({"kind": "prepay_bonus", "prepay": "100", "first_credit": "0", "bonus_monthly": "50", "months": 6});
    let (status, body) =
        h.call(Some("planner"), Method::POST, "/api/v1/offers", Some(json!({"offers": [greedy]}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["problems"][0].as_str().expect("problem").contains("offer greedy"), "{body}");
    let mut odd = offer_json("odd");
    odd["colour"] = json!("red");
    let (status, body) =
        h.call(Some("planner"), Method::POST, "/api/v1/offers", Some(json!({"offers": [odd]}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["message"].as_str().expect("message").contains("colour"), "{body}");
    let (_, offers) = h.call(Some("planner"), Method::GET, "/api/v1/offers", None).await;
    assert_eq!(offers, json!([]), "nothing was added");

    // A plan naming an offer that does not exist, with an end before its start.
    let mut plan = plan_json("nope");
    plan["ends_on"] = json!("2026-11-01");
    let (status, body) = h
        .call(Some("planner"), Method::POST, "/api/v1/campaigns", Some(json!({"id": "c1", "plan": plan})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let problems = body["error"]["problems"].to_string();
    assert!(problems.contains("no offer nope") && problems.contains("ends_on"), "{body}");

    // A sound campaign through submission; then the refusals of the approval flow.
    let (status, _) = h
        .call(Some("planner"), Method::POST, "/api/v1/offers", Some(json!({"offers": [offer_json("pack")]})))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut plan = plan_json("pack");
    plan["approval_levels"] = json!(2);
    let (status, _) = h
        .call(Some("planner"), Method::POST, "/api/v1/campaigns", Some(json!({"id": "c1", "plan": plan})))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let act = |action: &str, role: &'static str, body: Json| {
        let path = format!("/api/v1/campaigns/c1/actions/{action}");
        let h = &h;
        async move { h.call(Some(role), Method::POST, &path, Some(body)).await }
    };
    let (status, _) = act("execute", "planner", json!({"as_of": "2026-11-20"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "a draft cannot run");
    let (status, _) = act("launch", "planner", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(act("submit", "planner", json!({})).await.0, StatusCode::OK);
    assert_eq!(act("reject", "approver", json!({"comment": ""})).await.0, StatusCode::BAD_REQUEST);
    let (status, body) = act("approve", "approver", json!({"comment": "level 1"})).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("submitted")));
    let (status, body) = act("approve", "approver", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "one person, one level: {body}");
    // Executing needs the date of the data, and a batch that ran for it.
    let (status, body) = act("execute", "planner", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "not approved yet: {body}");
    let (status, body) = h
        .call(
            Some("planner"),
            Method::POST,
            "/api/v1/campaigns/c1/preview",
            Some(json!({"as_of": "2026-11-20"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"].as_str().expect("message").contains("weiwan run --as-of 2026-11-20"),
        "{body}"
    );
    let (status, _) = h
        .call(Some("planner"), Method::POST, "/api/v1/campaigns/c1/preview", Some(json!({"as_of": "soon"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) =
        h.call(Some("analyst"), Method::GET, "/api/v1/campaigns/c1/evaluation?as_of=2026-12-01", None).await;
    assert_eq!(status, StatusCode::CONFLICT, "it has not run");
    let (_, view) = h.call(Some("analyst"), Method::GET, "/api/v1/campaigns/c1", None).await;
    let actions: Vec<&str> = view["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["action"].as_str().expect("a"))
        .collect();
    assert_eq!(actions, ["create", "submit", "approve"]);
    // The audit log has each change.
    let (_, audit) = h.call(Some("admin"), Method::GET, "/api/v1/audit?object_id=c1", None).await;
    let logged: Vec<&str> =
        audit.as_array().expect("entries").iter().map(|e| e["action"].as_str().expect("a")).collect();
    assert_eq!(logged, ["approve_campaign", "submit_campaign", "create_campaign"]);
    // The OpenAPI description lists the new endpoints.
    let (_, doc) = h.call(None, Method::GET, "/api/v1/openapi.json", None).await;
    assert!(doc["paths"]["/api/v1/campaigns/{id}/actions/{action}"].is_object());
}

#[tokio::test]
async fn retention_cases_through_the_api_refuse_what_does_not_hold() {
    let h = Harness::new().await;
    let open =
        json!({"subscription_id": "S1", "kind": "disconnect", "channel": "store", "reason": "搬家 / moving"});
    let (status, body) =
        h.call(Some("clerk"), Method::POST, "/api/v1/retention-cases", Some(open.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["case"]["case_id"].as_i64().expect("id");
    assert_eq!(body["case"]["owner_id"], "u-clerk");
    // The customer's own manager receives the same customer: the request joins the case.
    let (status, body) = h.call(Some("manager"), Method::POST, "/api/v1/retention-cases", Some(open)).await;
    assert_eq!((status, body["joined"].as_bool()), (StatusCode::OK, Some(true)), "{body}");
    assert_eq!(body["case"]["owner_id"], "u-clerk", "首问制: the first receiver stays the owner");
    let act = |who: &'static str, action: &str, body: Json| {
        let path = format!("/api/v1/retention-cases/{id}/actions/{action}");
        let h = &h;
        async move { h.call(Some(who), Method::POST, &path, Some(body)).await }
    };
    // Above the first line's limit without the desk: refused, 409.
    let (status, body) = act("clerk", "offer", json!({"kind": "bill_credit", "amount": "80"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"]["message"].as_str().expect("message").contains("escalate"), "{body}");
    let (status, body) = act("clerk", "offer", json!({"kind": "bill_credit", "amount": "8.001"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = act("clerk", "offer", json!({"kind": "bill_credit"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an offer names its amount");
    // A wrong transition: a case that was not escalated cannot be claimed, nor approved.
    let (status, _) = act("planner", "claim", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = act("approver", "approve", json!({"concession_id": 1})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no such concession on the case");
    let (status, _) = act("clerk", "teleport", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = act("clerk", "close", json!({"outcome": "vanished"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = act("clerk", "close", json!({"outcome": "withdrawn", "note": "改主意了"})).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("closed")), "{body}");
    let (status, _) = act("clerk", "escalate", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "a closed case moves no more");
    // Unknown cases, and cases outside one's scope, answer 404.
    for path in ["/api/v1/retention-cases/999", "/api/v1/retention-cases/abc"] {
        let (status, _) = h.call(Some("clerk"), Method::GET, path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _) =
        h.call(Some("manager2"), Method::GET, &format!("/api/v1/retention-cases/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "C1 is not manager2's customer");
    let (status, _) = h
        .call(
            Some("clerk"),
            Method::POST,
            "/api/v1/retention-cases",
            Some(json!({"subscription_id": "S2", "kind": "disconnect", "channel": "store", "reason": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "S2 is in branch B2");
    // Reports: a month that is not one is refused; a clerk may not read them.
    let (status, _) =
        h.call(Some("analyst"), Method::GET, "/api/v1/retention-cases/report?month=2026-13", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) =
        h.call(Some("clerk"), Method::GET, "/api/v1/retention-cases/ledger?month=2026-11", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, report) =
        h.call(Some("analyst"), Method::GET, "/api/v1/retention-cases/report?month=2026-11", None).await;
    assert_eq!(
        (report["total"]["opened"].clone(), report["total"]["withdrawn"].clone()),
        (json!(1), json!(1))
    );
    // Every change is in the audit log.
    let (_, audit) = h.call(Some("admin"), Method::GET, &format!("/api/v1/audit?object_id={id}"), None).await;
    let logged: Vec<&str> = audit
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["object_type"] == "retention_case")
        .map(|e| e["action"].as_str().expect("a"))
        .collect();
    assert_eq!(logged, ["close_case", "join_case", "open_case"]);
    let (_, doc) = h.call(None, Method::GET, "/api/v1/openapi.json", None).await;
    assert!(doc["paths"]["/api/v1/retention-cases/{id}/actions/{action}"].is_object());
    assert!(doc["paths"]["/api/v1/retention-cases/report"].is_object());
}

#[tokio::test]
async fn scope_narrows_lists_and_masking_depends_on_the_role() {
    let h = Harness::new().await;
    let (m1_task, m2_task, outbound_task) = seed_tasks(&h).await;
    // A manager's own list holds their customers' tasks only; the queue list is their branch's.
    let (_, mine) = h.call(Some("manager"), Method::GET, "/api/v1/tasks", None).await;
    assert_eq!(task_ids(&mine), vec![m1_task]);
    let (_, queue) = h.call(Some("manager"), Method::GET, "/api/v1/tasks?queue=outbound", None).await;
    assert_eq!(task_ids(&queue), vec![outbound_task]);
    let (_, other) = h.call(Some("manager2"), Method::GET, "/api/v1/tasks", None).await;
    assert_eq!(task_ids(&other), vec![m2_task]);
    let (_, none) = h.call(Some("manager2"), Method::GET, "/api/v1/tasks?queue=outbound", None).await;
    assert_eq!(task_ids(&none), Vec::<i64>::new(), "B1's outbound task is not B2's");
    // Asking outside one's scope is refused, not silently narrowed.
    let (status, _) = h.call(Some("manager"), Method::GET, "/api/v1/tasks?manager_id=M2", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = h.call(Some("clerk"), Method::GET, "/api/v1/tasks?branch_id=B2", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = h.call(Some("clerk"), Method::GET, "/api/v1/tasks?queue=outbound", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = h.call(Some("planner"), Method::GET, "/api/v1/tasks?priority=soon", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["problems"][0].as_str().expect("problem").starts_with("priority:"), "{body}");
    // Planners read every task.
    let (_, all) = h.call(Some("planner"), Method::GET, "/api/v1/tasks", None).await;
    assert_eq!(all["total"], 3);

    // The manager sees their customer's numbers in full; the clerk sees them masked.
    let (_, card) = h.call(Some("manager"), Method::GET, "/api/v1/customers/C1", None).await;
    assert_eq!(card["lines"][0]["msisdn"], "13800001111");
    assert_eq!(card["id_number"], "330102199001011234");
    assert_eq!(card["masked"], false);
    assert_eq!(card["open_tasks"].as_array().expect("tasks").len(), 1);
    let (_, card) = h.call(Some("clerk"), Method::GET, "/api/v1/customers/C1", None).await;
    assert_eq!(card["lines"][0]["msisdn"], "138****1111");
    assert_eq!(card["id_number"], "330102********1234");
    assert_eq!(card["masked"], true);
    let (status, _) = h.call(Some("clerk"), Method::GET, "/api/v1/customers/NOPE", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_bad_event_batch_is_refused_whole() {
    let h = Harness::new().await;
    let batch = json!({"events": [
        event("E1", "S1", "competitor_service_call", ""),
        event("E2", "S1", "teleportation", ""),
        event("E3", "S999", "arrears", ""),
        {"event_id": "E4", "subscription_id": "S1", "occurred_at": "yesterday", "event_type": "arrears"},
        event("E1", "S2", "arrears", ""),
    ]});
    let (status, body) = h.call(Some("api_client"), Method::POST, "/api/v1/events", Some(batch)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let problems: Vec<&str> = body["error"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p.as_str().expect("text"))
        .collect();
    let joined = problems.join("\n");
    for expected in [
        "event 2: event_type \"teleportation\"",
        "event 3: subscription_id \"S999\" is not a known line",
        "event 4: occurred_at \"yesterday\"",
        "event 5: event_id \"E1\" appears twice",
    ] {
        assert!(joined.contains(expected), "missing {expected:?} in:\n{joined}");
    }
    // Nothing of the batch was applied, not even its good first event.
    assert_eq!(h.store.find_event("E1").await.expect("find"), None);
    assert_eq!(h.store.count_tasks(&Default::default()).await.expect("count"), 0);

    // Malformed JSON and unknown fields are named too.
    let (status, body) = h
        .call(
            Some("api_client"),
            Method::POST,
            "/api/v1/events",
            Some(json!({"events": [{"event_id": "E1", "colour": "red"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["problems"][0].as_str().expect("problem").contains("unknown field `colour`"),
        "{body}"
    );
    let (status, body) =
        h.call(Some("api_client"), Method::POST, "/api/v1/events", Some(json!([1, 2]))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn events_are_idempotent_and_alerts_are_raised_once() {
    let h = Harness::new().await;
    let batch = json!({"events": [event("E1", "S1", "competitor_service_call", "10010"), event("E2", "S1", "competitor_service_call", "10010")]});
    let first = h.events(batch.clone()).await;
    assert_eq!(first["new_events"], 2);
    // Two calls the same day are one cause: one task.
    assert_eq!(task_ids(&first).len(), 1, "{first}");
    let again = h.events(batch).await;
    assert_eq!((again["new_events"].clone(), again["replayed"].clone()), (json!(0), json!(2)));
    assert_eq!(task_ids(&again), Vec::<i64>::new());
    assert_eq!(h.store.count_tasks(&Default::default()).await.expect("count"), 1);
}

#[tokio::test]
async fn a_vip_in_arrears_is_not_suspended_until_reminded_and_confirmed() {
    let h = Harness::new().await;
    let h = &h;
    let ask = |line: &'static str| async move {
        let (status, body) = h
            .call(Some("api_client"), Method::GET, &format!("/api/v1/subscriptions/{line}/may-suspend"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (body["may_suspend"].as_bool().expect("bool"), body["code"].as_str().expect("code").to_owned())
    };
    // A mass-market line may be suspended; a gold one not without a reminder.
    assert_eq!(ask("S4").await, (true, "not_protected".to_owned()));
    assert_eq!(ask("S1").await, (false, "no_reminder".to_owned()));
    let body = h.events(json!(event("A1", "S1", "arrears", "月结欠费"))).await;
    let task = body["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["rule_id"] == "vip_arrears")
        .expect("vip_arrears task")
        .clone();
    assert_eq!(task["manager_id"], "M1");
    assert_eq!(task["priority"], "urgent");
    let id = task["task_id"].as_i64().expect("id");
    assert_eq!(ask("S1").await, (false, "not_reminded".to_owned()));
    let outcome = |body: Json| async move {
        h.call(Some("manager"), Method::POST, &format!("/api/v1/tasks/{id}/outcome"), Some(body)).await
    };
    // Confirming before reminding is refused.
    let (status, body) = outcome(json!({"outcome": "not_reached", "confirm_suspension": true})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = outcome(json!({"outcome": "reminded", "note": "客户承诺周五缴费"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "claimed", "a reminder leaves the task open");
    assert_eq!(ask("S1").await, (false, "not_confirmed".to_owned()));
    let (status, body) = outcome(json!({"outcome": "reminded", "confirm_suspension": true})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "done");
    assert_eq!(ask("S1").await, (true, "confirmed".to_owned()));
    // A done task takes no more outcomes.
    let (status, _) = outcome(json!({"outcome": "resolved"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn claims_are_exclusive_and_outcomes_are_checked() {
    let h = Harness::new().await;
    let (_, _, outbound_task) = seed_tasks(&h).await;
    // Two managers of branch B1 would race for an outbound task; here one B1 manager claims it
    // and a second B1 user (the same manager's second login is the same user) cannot steal it.
    let second = UserRecord {
        user_id: "u-manager1b".into(),
        login: "manager1b".into(),
        display_name: "m1b".into(),
        role: "manager".into(),
        branch_id: Some("B1".into()),
        manager_id: Some("M1".into()),
        password_hash: weiwan_server::hash_password(PASSWORD).expect("hash"),
        active: true,
        created_at: "2026-11-01T00:00:00+00:00".into(),
    };
    assert!(h.store.create_user(&second).await.expect("user"));
    let cookie = h.login("manager1b", PASSWORD).await;
    let (status, body) =
        h.call(Some("manager"), Method::POST, &format!("/api/v1/tasks/{outbound_task}/claim"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["claimed_by"], "u-manager");
    let response = h
        .call_raw(
            Method::POST,
            &format!("/api/v1/tasks/{outbound_task}/claim"),
            Some(("cookie", cookie)),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let (status, body) = h
        .call(
            Some("manager"),
            Method::POST,
            &format!("/api/v1/tasks/{outbound_task}/outcome"),
            Some(json!({"outcome": "maybe"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"].as_str().expect("message").contains("outcome"), "{body}");
    let (status, body) = h
        .call(
            Some("manager"),
            Method::POST,
            &format!("/api/v1/tasks/{outbound_task}/outcome"),
            Some(json!({"outcome": "resolved", "note": "已缴费"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["status"].clone(), body["last_outcome"].clone()), (json!("done"), json!("resolved")));
    let (status, _) = h.call(Some("manager"), Method::POST, "/api/v1/tasks/999999/claim", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_audit_log_records_views_and_changes() {
    let h = Harness::new().await;
    let (m1_task, _, _) = seed_tasks(&h).await;
    h.call(Some("clerk"), Method::GET, "/api/v1/customers/C1", None).await;
    h.call(
        Some("manager"),
        Method::POST,
        &format!("/api/v1/tasks/{m1_task}/outcome"),
        Some(json!({"outcome": "retained"})),
    )
    .await;
    let (status, log) = h.call(Some("admin"), Method::GET, "/api/v1/audit?limit=50", None).await;
    assert_eq!(status, StatusCode::OK);
    let entries: Vec<(String, String, String)> = log
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().expect("a").into(),
                e["action"].as_str().expect("b").into(),
                e["object_id"].as_str().expect("c").into(),
            )
        })
        .collect();
    let has = |actor: &str, action: &str, object: &str| {
        entries.iter().any(|e| e == &(actor.to_owned(), action.to_owned(), object.to_owned()))
    };
    assert!(has("u-clerk", "view_customer", "C1"), "{entries:?}");
    assert!(has("u-manager", "claim_task", &m1_task.to_string()), "{entries:?}");
    assert!(has("u-manager", "record_outcome", &m1_task.to_string()), "{entries:?}");
    assert!(has("u-api_client", "post_events", "E1"), "{entries:?}");
    assert!(has("u-manager", "login", "u-manager"), "{entries:?}");
    let view =
        log.as_array().expect("entries").iter().find(|e| e["action"] == "view_customer").expect("view");
    assert_eq!(view["detail"]["masked"], true);
    // Newest first.
    assert_eq!(log[0]["action"], "record_outcome");
}

#[tokio::test]
async fn churn_kinds_are_served_checked_and_their_lines_audited() {
    let h = Harness::new().await;
    // The harness's lake is empty: every count is zero, and nothing is refused for it.
    let (status, report) =
        h.call(Some("analyst"), Method::GET, "/api/v1/churn-kinds?as_of=2026-11-01&lines=true", None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["overall"]["lines"], 0);
    assert_eq!(report["window_days"], 30);
    assert_eq!(report["lines"], json!([]));
    for (query, expected) in [
        ("as_of=2026-13-01", "as_of"),
        ("as_of=2026-11-01&window_days=0", "window_days 0"),
        ("as_of=2026-11-01&dormant_months=25", "dormant_months 25"),
    ] {
        let (status, body) =
            h.call(Some("analyst"), Method::GET, &format!("/api/v1/churn-kinds?{query}"), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(body.to_string().contains(expected), "{query}: {body}");
    }
    let (_, log) = h.call(Some("admin"), Method::GET, "/api/v1/audit?action=view_churn_kinds", None).await;
    let entries = log.as_array().expect("entries");
    assert_eq!(entries.len(), 1, "only the request for lines is audited: {log}");
    assert_eq!(entries[0]["actor"], "u-analyst");
    let (_, doc) = h.call(None, Method::GET, "/api/v1/openapi.json", None).await;
    assert!(doc["paths"]["/api/v1/churn-kinds"].is_object());
}

#[tokio::test]
async fn sessions_end_at_logout_and_expire() {
    let h = Harness::new().await;
    let h = &h;
    let cookie = h.login("analyst", PASSWORD).await;
    let me = |cookie: String| async move {
        h.call_raw(Method::GET, "/api/v1/me", Some(("cookie", cookie)), None).await.status()
    };
    assert_eq!(me(cookie.clone()).await, StatusCode::OK);
    let response = h.call_raw(Method::POST, "/api/v1/logout", Some(("cookie", cookie.clone())), None).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(me(cookie).await, StatusCode::UNAUTHORIZED);
    let cookie = h.login("analyst", PASSWORD).await;
    *h.now.lock().expect("clock") += chrono::Duration::hours(13);
    assert_eq!(me(cookie).await, StatusCode::UNAUTHORIZED, "a session lasts 12 hours");
    // Wrong passwords and unknown logins get the same answer.
    for (login, password) in [("analyst", "wrong-password"), ("nobody", PASSWORD)] {
        assert_eq!(h.post_login(login, password).await.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn creating_users_names_every_problem() {
    let h = Harness::new().await;
    let bad = json!({"login": "bad login", "display_name": "x", "role": "overlord", "branch_id": "B9", "manager_id": "M1", "password": "short"});
    let (status, body) = h.call(Some("admin"), Method::POST, "/api/v1/users", Some(bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let problems = body["error"]["problems"].to_string();
    for field in ["login:", "role:", "branch_id:", "password:"] {
        assert!(problems.contains(field), "{field} missing in {problems}");
    }
    let manager = json!({"login": "wang", "display_name": "王芳", "role": "manager", "manager_id": "M1", "password": "long-enough-1"});
    let (status, body) = h.call(Some("admin"), Method::POST, "/api/v1/users", Some(manager.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["branch_id"], "B1", "a manager's branch is their managers row's");
    let (status, _) = h.call(Some("admin"), Method::POST, "/api/v1/users", Some(manager)).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn metrics_health_and_openapi_are_served() {
    let h = Harness::new().await;
    h.call(Some("analyst"), Method::GET, "/api/v1/tasks", None).await;
    let response = h.call_raw(Method::GET, "/metrics", None, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text =
        String::from_utf8(axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body").to_vec())
            .expect("utf8");
    assert!(text.contains("weiwan_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/api/v1/tasks\""), "{text}");
    let (status, _) = h.call(None, Method::GET, "/healthz", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, doc) = h.call(None, Method::GET, "/api/v1/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/events",
        "/api/v1/tasks",
        "/api/v1/tasks/{id}/outcome",
        "/api/v1/subscriptions/{id}/may-suspend",
        "/api/v1/customers/{id}",
        "/api/v1/login",
        "/api/v1/groups/{id}",
        "/api/v1/clubs/{id}/members",
        "/api/v1/club-events/{id}/draw",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing from the OpenAPI description");
    }
}
