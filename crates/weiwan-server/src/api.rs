//! The `/api/v1` endpoints. Each handler checks the permission it needs first (role), then the
//! scope of what it touches (branch, manager), then calls one use case of weiwan-app.
//!
//! A caller without the role gets 403; an object outside the caller's scope answers 404, as
//! if it did not exist, so scope does not leak which customers or tasks exist.

use axum::Json;
use axum::Router;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use weiwan_app::events::{EventSender, IncomingEvent};
use weiwan_app::tasks::{CustomerCard, OutcomeRequest, TaskRecordView};
use weiwan_domain::TableId;
use weiwan_domain::codes::{Role, TaskPriority, TaskQueue, TaskStatus};
use weiwan_storage::{AuditEntry, AuditFilter, SubjectRecord, TaskFilter, UserRecord};

use crate::AppState;
use crate::auth::{self, Permission, Principal, SESSION_COOKIE, SESSION_HOURS};
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "weiwan API",
        description = "Customer retention for telecom operators: events, alerts, tasks, offers, campaigns and retention cases."
    ),
    paths(
        login,
        logout,
        me,
        list_users,
        create_user,
        create_token,
        audit_log,
        rules,
        post_events,
        may_suspend,
        customer,
        list_tasks,
        claim_task,
        record_outcome
    ),
    components(schemas(
        ErrorBody,
        LoginRequest,
        UserView,
        NewUserRequest,
        TokenRequest,
        TokenView,
        AuditView,
        RuleView,
        EventsView,
        SuspendView,
        CustomerCard,
        TaskRecordView,
        TaskList,
        OutcomeBody
    ))
)]
pub struct ApiDoc;

/// The whole API's OpenAPI description.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::campaigns_api::CampaignApiDoc::openapi());
    doc.merge(crate::policy_api::PolicyApiDoc::openapi());
    doc.merge(crate::cases_api::CaseApiDoc::openapi());
    doc.merge(crate::file_api::FileApiDoc::openapi());
    doc.merge(crate::groups_api::GroupApiDoc::openapi());
    doc.merge(crate::clubs_api::ClubApiDoc::openapi());
    doc.merge(crate::churn_kinds_api::ChurnKindsApiDoc::openapi());
    doc
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(|| async { Json(openapi()) }))
        .route("/api/v1/login", post(login))
        .route("/api/v1/logout", post(logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/tokens", post(create_token))
        .route("/api/v1/audit", get(audit_log))
        .route("/api/v1/rules", get(rules))
        .route("/api/v1/events", post(post_events))
        .route("/api/v1/subscriptions/{id}/may-suspend", get(may_suspend))
        .route("/api/v1/customers/{id}", get(customer))
        .route("/api/v1/tasks", get(list_tasks))
        .route("/api/v1/tasks/{id}/claim", post(claim_task))
        .route("/api/v1/tasks/{id}/outcome", post(record_outcome))
}

type ApiResult<T> = Result<T, ApiError>;

fn body<T>(payload: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    payload.map(|Json(value)| value).map_err(ApiError::from)
}

fn now_text(state: &AppState) -> String {
    (state.clock)().to_rfc3339()
}

pub(crate) async fn audit(
    state: &AppState,
    who: &Principal,
    action: &str,
    object_type: &str,
    object_id: &str,
    detail: serde_json::Value,
) -> ApiResult<()> {
    state
        .store
        .append_audit(&AuditEntry {
            id: 0,
            at: now_text(state),
            actor: who.user_id.clone(),
            role: who.role.code().to_owned(),
            action: action.to_owned(),
            object_type: object_type.to_owned(),
            object_id: object_id.to_owned(),
            detail: detail.to_string(),
        })
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Sessions and users

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub user_id: String,
    pub login: String,
    pub display_name: String,
    pub role: String,
    pub branch_id: Option<String>,
    pub manager_id: Option<String>,
    pub active: bool,
}

impl From<&UserRecord> for UserView {
    fn from(user: &UserRecord) -> UserView {
        UserView {
            user_id: user.user_id.clone(),
            login: user.login.clone(),
            display_name: user.display_name.clone(),
            role: user.role.clone(),
            branch_id: user.branch_id.clone(),
            manager_id: user.manager_id.clone(),
            active: user.active,
        }
    }
}

/// Signs a person in: sets the session cookie.
#[utoipa::path(post, path = "/api/v1/login", request_body = LoginRequest,
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    payload: Result<Json<LoginRequest>, JsonRejection>,
) -> ApiResult<Response> {
    let request = body(payload)?;
    let (user, cookie) = sign_in(&state, &request.login, &request.password).await?;
    Ok(([(SET_COOKIE, cookie)], Json(UserView::from(&user))).into_response())
}

/// Checks a person's password and opens a session: the user and the `Set-Cookie` value.
/// An unknown login and a wrong password get the same answer; API clients may not sign in.
pub(crate) async fn sign_in(
    state: &AppState,
    login: &str,
    password: &str,
) -> ApiResult<(UserRecord, String)> {
    let user = state.store.find_user_by_login(login).await?;
    let Some(user) = user.filter(|u| u.active && auth::verify_password(password, &u.password_hash)) else {
        return Err(ApiError::Unauthenticated);
    };
    let who = auth::principal(&user)?;
    if who.role == Role::ApiClient {
        return Err(ApiError::Forbidden("API clients sign in with tokens".into()));
    }
    let secret = auth::issue_credential(state, &user.user_id, "session", "").await?;
    audit(state, &who, "login", "user", &user.user_id, serde_json::json!({})).await?;
    let cookie = format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
        SESSION_HOURS * 3600
    );
    Ok((user, cookie))
}

/// Ends the session (or revokes the token) the request was made with.
#[utoipa::path(post, path = "/api/v1/logout", responses((status = 204), (status = 401, body = ErrorBody)))]
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let expired = sign_out(&state, &headers).await?;
    Ok((StatusCode::NO_CONTENT, [(SET_COOKIE, expired)]).into_response())
}

/// Revokes the credential the request carries; the `Set-Cookie` value that clears the cookie.
pub(crate) async fn sign_out(state: &AppState, headers: &HeaderMap) -> ApiResult<String> {
    let who = auth::principal_from_headers(state, headers).await?;
    if let Some(secret) = auth::presented_secret(headers) {
        state.store.delete_credential(&auth::digest(&secret)).await?;
    }
    audit(state, &who, "logout", "user", &who.user_id, serde_json::json!({})).await?;
    Ok(format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"))
}

/// Who the caller is.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = UserView), (status = 401, body = ErrorBody)))]
async fn me(State(state): State<AppState>, who: Principal) -> ApiResult<Json<UserView>> {
    let user = state.store.find_user(&who.user_id).await?.ok_or(ApiError::Unauthenticated)?;
    Ok(Json(UserView::from(&user)))
}

/// Every user (administrators).
#[utoipa::path(get, path = "/api/v1/users", responses((status = 200, body = [UserView]), (status = 403, body = ErrorBody)))]
async fn list_users(State(state): State<AppState>, who: Principal) -> ApiResult<Json<Vec<UserView>>> {
    who.require(Permission::ManageUsers)?;
    Ok(Json(state.store.users().await?.iter().map(UserView::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    pub login: String,
    pub display_name: String,
    /// admin, planner, approver, manager, clerk, agent, analyst or api_client.
    pub role: String,
    pub branch_id: Option<String>,
    /// Required for role manager: the managers row whose customers the user serves.
    pub manager_id: Option<String>,
    /// At least 10 characters; not allowed for api_client (tokens only).
    pub password: Option<String>,
}

/// Creates a user (administrators).
#[utoipa::path(post, path = "/api/v1/users", request_body = NewUserRequest,
    responses((status = 201, body = UserView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    who: Principal,
    payload: Result<Json<NewUserRequest>, JsonRejection>,
) -> ApiResult<Response> {
    who.require(Permission::ManageUsers)?;
    let request = body(payload)?;
    let user = new_user(&state, request).await?;
    if !state.store.create_user(&user).await? {
        return Err(ApiError::Conflict(format!("login {:?} is taken", user.login)));
    }
    audit(&state, &who, "create_user", "user", &user.user_id, serde_json::json!({ "role": user.role }))
        .await?;
    Ok((StatusCode::CREATED, Json(UserView::from(&user))).into_response())
}

/// Checks a new user and hashes the password; every problem is named.
pub async fn new_user(state: &AppState, request: NewUserRequest) -> ApiResult<UserRecord> {
    validate_new_user(state.store.as_ref(), request, (state.clock)()).await
}

/// The checks behind `POST /users` and `weiwan user add`.
pub async fn validate_new_user(
    store: &dyn weiwan_app::Store,
    request: NewUserRequest,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<UserRecord> {
    let mut problems = Vec::new();
    let login_ok = !request.login.is_empty()
        && request.login.len() <= 64
        && request.login.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !login_ok {
        problems.push("login: 1 to 64 letters, digits, '.', '_' or '-'".to_owned());
    }
    let role = match request.role.parse::<Role>() {
        Ok(role) => Some(role),
        Err(err) => {
            problems.push(format!("role: {err}"));
            None
        }
    };
    if let Some(branch) = &request.branch_id
        && store.find_row(TableId::Branches, branch).await?.is_none()
    {
        problems.push(format!("branch_id: no branch {branch:?}"));
    }
    let mut branch_id = request.branch_id.clone();
    match (role, &request.manager_id) {
        (Some(Role::Manager), None) => problems.push("manager_id: required for role manager".into()),
        (Some(Role::Manager), Some(manager)) => match store.find_row(TableId::Managers, manager).await? {
            None => problems.push(format!("manager_id: no manager {manager:?}")),
            Some(row) => {
                let table = TableId::Managers.table();
                let home = row[table.index("branch_id")].as_text().map(str::to_owned);
                if branch_id.is_some() && branch_id != home {
                    problems.push("branch_id: a manager works in their own branch".into());
                }
                branch_id = home;
            }
        },
        (_, Some(_)) => problems.push("manager_id: only for role manager".into()),
        _ => {}
    }
    if matches!(role, Some(Role::Clerk)) && branch_id.is_none() {
        problems.push("branch_id: required for role clerk (a store belongs to a branch)".into());
    }
    let password_hash = match (role, &request.password) {
        (Some(Role::ApiClient), Some(_)) => {
            problems.push("password: API clients have no password; issue a token".into());
            String::new()
        }
        (Some(Role::ApiClient), None) => String::new(),
        (_, Some(password)) if password.chars().count() >= 10 => auth::hash_password(password)?,
        (_, Some(_)) => {
            problems.push("password: at least 10 characters".into());
            String::new()
        }
        (_, None) => {
            problems.push("password: required".into());
            String::new()
        }
    };
    if !problems.is_empty() {
        return Err(ApiError::BadRequest { message: "the user was not created".into(), problems });
    }
    let role = role.ok_or_else(|| ApiError::Internal("role checked above".into()))?;
    Ok(UserRecord {
        user_id: format!("u-{}", request.login),
        login: request.login,
        display_name: request.display_name,
        role: role.code().to_owned(),
        branch_id,
        manager_id: request.manager_id,
        password_hash,
        active: true,
        created_at: now.to_rfc3339(),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// An api_client user.
    pub user_id: String,
    /// What the token is for, e.g. "billing".
    pub label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    /// Shown once; send it as `Authorization: Bearer <token>`.
    pub token: String,
}

/// Issues an API token for a system (administrators).
#[utoipa::path(post, path = "/api/v1/tokens", request_body = TokenRequest,
    responses((status = 201, body = TokenView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_token(
    State(state): State<AppState>,
    who: Principal,
    payload: Result<Json<TokenRequest>, JsonRejection>,
) -> ApiResult<Response> {
    who.require(Permission::ManageUsers)?;
    let request = body(payload)?;
    let user = state
        .store
        .find_user(&request.user_id)
        .await?
        .ok_or_else(|| ApiError::bad(format!("user_id: no user {:?}", request.user_id)))?;
    if user.role != Role::ApiClient.code() {
        return Err(ApiError::bad("user_id: tokens are for api_client users; people sign in"));
    }
    let token = auth::issue_credential(&state, &user.user_id, "api", &request.label).await?;
    audit(&state, &who, "create_token", "user", &user.user_id, serde_json::json!({ "label": request.label }))
        .await?;
    Ok((StatusCode::CREATED, Json(TokenView { token })).into_response())
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub object_id: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub detail: serde_json::Value,
}

/// The audit log, newest first (administrators).
#[utoipa::path(get, path = "/api/v1/audit", params(AuditQuery),
    responses((status = 200, body = [AuditView]), (status = 403, body = ErrorBody)))]
async fn audit_log(
    State(state): State<AppState>,
    who: Principal,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<AuditView>>> {
    who.require(Permission::ReadAudit)?;
    let Query(query) = query?;
    let filter = AuditFilter {
        actor: query.actor,
        action: query.action,
        object_id: query.object_id,
        limit: query.limit.unwrap_or(100).clamp(1, 1000),
    };
    let entries = state.store.audit_log(&filter).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| AuditView {
                id: e.id,
                at: e.at,
                actor: e.actor,
                role: e.role,
                action: e.action,
                object_type: e.object_type,
                object_id: e.object_id,
                detail: serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::String(e.detail)),
            })
            .collect(),
    ))
}

// ---------------------------------------------------------------------------------------------
// Rules, events, suspension

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub category: String,
    /// `realtime` for event rules, else `daily` or `monthly`.
    pub cadence: String,
    pub tiers: Vec<String>,
    pub priority: String,
    pub due_days: u32,
}

/// The warning and care rules in force.
#[utoipa::path(get, path = "/api/v1/rules", responses((status = 200, body = [RuleView]), (status = 403, body = ErrorBody)))]
async fn rules(State(state): State<AppState>, who: Principal) -> ApiResult<Json<Vec<RuleView>>> {
    who.require(Permission::ReadRules)?;
    Ok(Json(
        state
            .rules
            .rules
            .iter()
            .map(|rule| RuleView {
                id: rule.id.clone(),
                name_zh: rule.name_zh.clone(),
                name_en: rule.name_en.clone(),
                category: rule.category.code().to_owned(),
                cadence: rule.cadence().map_or("realtime", |c| c.code()).to_owned(),
                tiers: rule.tiers.iter().map(|t| t.code().to_owned()).collect(),
                priority: rule.priority.code().to_owned(),
                due_days: rule.due_days,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventsView {
    /// Events stored now.
    pub new_events: usize,
    /// Events already stored before (replays): nothing was done for them.
    pub replayed: usize,
    /// Tasks raised by the new events.
    pub tasks: Vec<TaskRecordView>,
}

/// Receives one event (an object with the columns of the `events` table) or a batch
/// (`{"events": [...]}`). A batch is validated whole: one bad event refuses it all.
#[utoipa::path(post, path = "/api/v1/events", request_body = serde_json::Value,
    responses((status = 200, body = EventsView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn post_events(
    State(state): State<AppState>,
    who: Principal,
    payload: Result<Json<serde_json::Value>, JsonRejection>,
) -> ApiResult<Json<EventsView>> {
    who.require(Permission::PostEvents)?;
    let events = parse_events(body(payload)?)?;
    let sender =
        EventSender { user_id: who.user_id.clone(), role: who.role.code().to_owned(), source: "api".into() };
    let now = (state.clock)();
    let outcome =
        weiwan_app::events::apply_events(state.store.as_ref(), &state.rules, events, &sender, now).await?;
    let applied = outcome.applied;
    metrics::counter!("weiwan_events_received_total").increment(applied.new_events.len() as u64);
    metrics::counter!("weiwan_tasks_raised_total", "by" => "event").increment(applied.tasks.len() as u64);
    Ok(Json(EventsView {
        new_events: applied.new_events.len(),
        replayed: applied.known_events.len(),
        tasks: applied.tasks.into_iter().map(TaskRecordView::from).collect(),
    }))
}

/// One event or `{"events": [...]}`, each element read on its own so that every malformed
/// event is named with its position.
fn parse_events(value: serde_json::Value) -> ApiResult<Vec<IncomingEvent>> {
    let items = match value {
        serde_json::Value::Object(mut object) if object.contains_key("events") => {
            if object.len() != 1 {
                return Err(ApiError::bad("a batch is {\"events\": [...]} and nothing else"));
            }
            match object.remove("events") {
                Some(serde_json::Value::Array(items)) => items,
                _ => return Err(ApiError::bad("events: must be an array")),
            }
        }
        object @ serde_json::Value::Object(_) => vec![object],
        _ => return Err(ApiError::bad("the body must be an event object or {\"events\": [...]}")),
    };
    let mut problems = Vec::new();
    let mut events = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        match serde_json::from_value::<IncomingEvent>(item) {
            Ok(event) => events.push(event),
            Err(err) => problems.push(format!("event {}: {err}", index + 1)),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::BadRequest {
            message: "the event batch was refused and nothing of it was applied".into(),
            problems,
        });
    }
    Ok(events)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuspendView {
    pub subscription_id: String,
    pub may_suspend: bool,
    /// not_protected, no_reminder, not_reminded, not_confirmed or confirmed.
    pub code: String,
    pub reason_zh: String,
    pub reason_en: String,
    /// The arrears reminder task, if there is one.
    pub task_id: Option<i64>,
}

/// 不轻易停机: billing asks before suspending a line. For a VIP the answer is "not yet" until
/// the customer was reminded and the manager confirmed.
#[utoipa::path(get, path = "/api/v1/subscriptions/{id}/may-suspend", params(("id" = String, Path)),
    responses((status = 200, body = SuspendView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn may_suspend(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<SuspendView>> {
    who.require(Permission::AskSuspension)?;
    let decision = weiwan_app::tasks::may_suspend(state.store.as_ref(), &state.rules, &id).await?;
    Ok(Json(SuspendView {
        subscription_id: id,
        may_suspend: decision.verdict == weiwan_decision::SuspendVerdict::Allowed,
        code: decision.code.to_owned(),
        reason_zh: decision.reason_zh,
        reason_en: decision.reason_en,
        task_id: decision.task_id,
    }))
}

// ---------------------------------------------------------------------------------------------
// Customers and tasks

/// A customer's card: the customer, their lines and open tasks. MSISDNs and ID numbers are
/// masked unless the caller is the customer's manager. Every view is audited.
#[utoipa::path(get, path = "/api/v1/customers/{id}", params(("id" = String, Path)),
    responses((status = 200, body = CustomerCard), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn customer(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<CustomerCard>> {
    who.require(Permission::ViewCustomer)?;
    let not_found = || ApiError::NotFound(format!("customer {id}"));
    customer_in_scope(&state, &who, &id).await?;
    let reveal = who.reveals();
    let card =
        weiwan_app::tasks::customer_card(state.store.as_ref(), &id, reveal).await?.ok_or_else(not_found)?;
    audit(&state, &who, "view_customer", "customer", &id, serde_json::json!({ "masked": !reveal })).await?;
    Ok(Json(card))
}

/// A customer the caller may see; one outside their scope answers 404, as if it did not exist.
pub(crate) async fn customer_in_scope(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> ApiResult<SubjectRecord> {
    let not_found = || ApiError::NotFound(format!("customer {id}"));
    let subject =
        state.store.customer_subjects(&[id.to_owned()]).await?.into_iter().next().ok_or_else(not_found)?;
    if !who.may_see_customer(&subject.branch_id, subject.manager_id.as_deref()) {
        return Err(not_found());
    }
    Ok(subject)
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TaskQuery {
    /// A queue (outbound, hotline, store, retention, abnormal); without it a manager sees
    /// their own tasks.
    pub queue: Option<String>,
    /// Planners and analysts: one manager's tasks.
    pub manager_id: Option<String>,
    pub branch_id: Option<String>,
    /// open, claimed or done.
    pub status: Option<String>,
    /// urgent, high, normal or low.
    pub priority: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskList {
    /// Tasks matching, in all pages.
    pub total: i64,
    pub tasks: Vec<TaskRecordView>,
}

/// Tasks in the caller's scope, most urgent first.
#[utoipa::path(get, path = "/api/v1/tasks", params(TaskQuery),
    responses((status = 200, body = TaskList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_tasks(
    State(state): State<AppState>,
    who: Principal,
    query: Result<Query<TaskQuery>, QueryRejection>,
) -> ApiResult<Json<TaskList>> {
    who.require(Permission::ListTasks)?;
    let Query(query) = query?;
    let filter = scoped_filter(&who, query)?;
    let total = state.store.count_tasks(&filter).await?;
    let tasks = state.store.tasks(&filter).await?;
    Ok(Json(TaskList { total, tasks: tasks.into_iter().map(TaskRecordView::from).collect() }))
}

/// The filter a caller asked for, narrowed to their scope; asking outside it is refused.
fn scoped_filter(who: &Principal, query: TaskQuery) -> ApiResult<TaskFilter> {
    let mut problems = Vec::new();
    if let Some(status) = &query.status
        && let Err(err) = status.parse::<TaskStatus>()
    {
        problems.push(format!("status: {err}"));
    }
    if let Some(priority) = &query.priority
        && let Err(err) = priority.parse::<TaskPriority>()
    {
        problems.push(format!("priority: {err}"));
    }
    let queue = match query.queue.as_deref().map(str::parse::<TaskQueue>) {
        Some(Err(err)) => {
            problems.push(format!("queue: {err}"));
            None
        }
        Some(Ok(queue)) => Some(queue),
        None => None,
    };
    if !problems.is_empty() {
        return Err(ApiError::BadRequest { message: "bad task filter".into(), problems });
    }
    let outside = |what: &str| ApiError::Forbidden(format!("{what} is outside your scope"));
    let branch_id = match (&who.branch_id, query.branch_id) {
        (Some(own), Some(asked)) if *own != asked => return Err(outside("that branch")),
        (Some(own), _) => Some(own.clone()),
        (None, asked) => asked,
    };
    let mut filter = TaskFilter {
        branch_id,
        status: query.status,
        priority: query.priority,
        limit: query.limit.unwrap_or(100).clamp(1, 1000),
        offset: query.offset.unwrap_or(0).max(0),
        ..TaskFilter::default()
    };
    match who.role {
        Role::Planner | Role::Analyst => {
            filter.queue = queue.map(|q| q.code().to_owned());
            filter.manager_id = query.manager_id;
        }
        _ => {
            if query.manager_id.as_ref().is_some_and(|m| Some(m) != who.manager_id.as_ref()) {
                return Err(outside("another manager's list"));
            }
            match queue {
                Some(queue) if who.queues().contains(&queue) => filter.queue = Some(queue.code().to_owned()),
                Some(queue) => return Err(outside(&format!("queue {queue}"))),
                None if who.role == Role::Manager => filter.manager_id = who.manager_id.clone(),
                None => {
                    let own = who.queues().first().ok_or_else(|| outside("tasks"))?;
                    filter.queue = Some(own.code().to_owned());
                }
            }
        }
    }
    Ok(filter)
}

pub(crate) async fn task_in_scope(state: &AppState, who: &Principal, id: i64) -> ApiResult<()> {
    let task = state.store.task(id).await?;
    match task {
        Some(task) if who.may_work_task(&task) => Ok(()),
        Some(task) if who.may_see_task(&task) => {
            Err(ApiError::Forbidden(format!("task {id} is not yours to work")))
        }
        _ => Err(ApiError::NotFound(format!("task {id}"))),
    }
}

/// Claims a task for the caller.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/claim", params(("id" = i64, Path)),
    responses((status = 200, body = TaskRecordView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn claim_task(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> ApiResult<Json<TaskRecordView>> {
    who.require(Permission::WorkTasks)?;
    task_in_scope(&state, &who, id).await?;
    let task = weiwan_app::tasks::claim_task(state.store.as_ref(), &who.actor(), id, (state.clock)()).await?;
    Ok(Json(task.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeBody {
    /// not_reached, reminded, resolved, retained, refused, considering, visited, greeted,
    /// no_action, accepted (a campaign's offer), transferred (a work order to another
    /// channel) or do_not_call (the customer goes on the do-not-disturb list); not_reached,
    /// considering and reminded leave the task open.
    pub outcome: String,
    #[serde(default)]
    pub note: String,
    /// On a vip_arrears task, after reminding the customer: billing may now suspend.
    #[serde(default)]
    pub confirm_suspension: bool,
    /// The client's id for this outcome (1 to 64 characters): a retry with the same id records
    /// nothing twice and answers with the task as it is.
    #[serde(default)]
    pub request_id: Option<String>,
    /// With the outcome `transferred`: the queue the work order carries the customer to
    /// (outbound, store, hotline or retention).
    #[serde(default)]
    pub transfer_to: Option<String>,
    /// Answers to the campaign's questionnaire 智能问卷, by question id: a list of choice ids,
    /// or text (an open answer, or a single choice's id).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub answers: Option<weiwan_decision::questionnaire::Answers>,
}

/// Records what came of a task (claiming it first if it was open).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/outcome", params(("id" = i64, Path)), request_body = OutcomeBody,
    responses((status = 200, body = TaskRecordView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn record_outcome(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    payload: Result<Json<OutcomeBody>, JsonRejection>,
) -> ApiResult<Json<TaskRecordView>> {
    who.require(Permission::WorkTasks)?;
    let request = body(payload)?;
    task_in_scope(&state, &who, id).await?;
    let request = OutcomeRequest {
        outcome: request.outcome,
        note: request.note,
        confirm_suspension: request.confirm_suspension,
        request_id: request.request_id,
        transfer_to: request.transfer_to,
        answers: request.answers,
    };
    let task =
        weiwan_app::tasks::record_outcome(state.store.as_ref(), &who.actor(), id, &request, (state.clock)())
            .await?;
    Ok(Json(task.into()))
}
