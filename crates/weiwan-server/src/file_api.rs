//! The account managers' customer file 动态客户档案 (docs/account-managers.md): the card and
//! the fuller file of a customer, the visit log 拜访纪要, managers' appraisal by month and the
//! visit plans.
//!
//! Customers are scoped as everywhere: one outside the caller's scope answers 404. A note is
//! in scope when its customer is; only its author changes it (403 for anyone else). Reading a
//! card or file is a view of personal data and is audited; writes are audited by the use case.

use std::collections::HashMap;

use axum::Json;
use axum::Router;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use weiwan_app::appraisal::{self, PerformanceReport, PlanSettings};
use weiwan_app::file::{self, CustomerFile, ManagerCard, NoteHistory, NoteInput, NoteView};
use weiwan_storage::{AppraisalScope, PlannedContact};

use crate::AppState;
use crate::api::{audit, customer_in_scope};
use crate::auth::{Permission, Principal};
use crate::error::{ApiError, ErrorBody};
use weiwan_domain::codes::Role;

#[derive(Debug, OpenApi)]
#[openapi(
    paths(card, customer_file, list_notes, add_note, note, edit_note, performance, plans, generate_plan),
    components(schemas(NoteBody, EditNoteBody, PlanBody, PlannedView, NoteInput, NoteView, NoteHistory))
)]
pub struct FileApiDoc;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/customers/{id}/card", get(card))
        .route("/api/v1/customers/{id}/file", get(customer_file))
        .route("/api/v1/customers/{id}/visit-notes", get(list_notes).post(add_note))
        .route("/api/v1/visit-notes/{id}", get(note).put(edit_note))
        .route("/api/v1/performance", get(performance))
        .route("/api/v1/visit-plans", get(plans).post(generate_plan))
}

type ApiResult<T> = Result<T, ApiError>;

fn body<T>(payload: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    payload.map(|Json(value)| value).map_err(ApiError::from)
}

fn query<T>(params: Result<Query<T>, QueryRejection>) -> ApiResult<T> {
    params.map(|Query(value)| value).map_err(|e| ApiError::bad(e.body_text()))
}

fn actor(who: &Principal) -> weiwan_app::tasks::Actor {
    who.actor()
}

/// The manager's card of a customer: basics, the last visits, the next planned contact and
/// open issues (tasks and retention cases).
#[utoipa::path(get, path = "/api/v1/customers/{id}/card", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn card(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<ManagerCard>> {
    who.require(Permission::ViewCustomer)?;
    customer_in_scope(&state, &who, &id).await?;
    let reveal = who.reveals();
    let card = file::manager_card(state.store.as_ref(), &id, reveal, (state.clock)())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("customer {id}")))?;
    audit(&state, &who, "view_customer_card", "customer", &id, serde_json::json!({ "masked": !reveal }))
        .await?;
    Ok(Json(card))
}

/// The sales office's file of a customer: the card, lines with their plans, orders (contracts
/// and bindings, repeat purchases marked) and every contact (visit log, tasks, campaigns).
#[utoipa::path(get, path = "/api/v1/customers/{id}/file", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn customer_file(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<CustomerFile>> {
    who.require(Permission::ViewCustomer)?;
    customer_in_scope(&state, &who, &id).await?;
    let reveal = who.reveals();
    let file = file::customer_file(state.store.as_ref(), &id, reveal, (state.clock)())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("customer {id}")))?;
    audit(&state, &who, "view_customer_file", "customer", &id, serde_json::json!({ "masked": !reveal }))
        .await?;
    Ok(Json(file))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NotesQuery {
    /// At most this many, newest visit first (default 50, at most 500).
    pub limit: Option<i64>,
}

/// A customer's visit log, newest visit first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/visit-notes", params(("id" = String, Path), NotesQuery),
    responses((status = 200, body = [NoteView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_notes(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    params: Result<Query<NotesQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<NoteView>>> {
    who.require(Permission::ViewCustomer)?;
    let params = query(params)?;
    let limit = params.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad(format!("limit: {limit} is not between 1 and 500")));
    }
    customer_in_scope(&state, &who, &id).await?;
    Ok(Json(file::customer_notes(state.store.as_ref(), &id, limit).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    pub note: NoteInput,
    /// The client's id for this note: sending it again stores nothing twice.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// Writes a note of a call or visit on the customer's file (`201`). The author is the caller;
/// a manager's note counts for their appraisal.
#[utoipa::path(post, path = "/api/v1/customers/{id}/visit-notes", params(("id" = String, Path)), request_body = NoteBody,
    responses((status = 201, body = NoteView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn add_note(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    payload: Result<Json<NoteBody>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<NoteView>)> {
    who.require(Permission::KeepVisitLog)?;
    let request = body(payload)?;
    customer_in_scope(&state, &who, &id).await?;
    let note = file::add_visit_note(
        state.store.as_ref(),
        &actor(&who),
        who.manager_id.as_deref().filter(|_| who.role == Role::Manager),
        &id,
        &request.note,
        request.request_id.as_deref(),
        (state.clock)(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(note)))
}

/// A note the caller may see: its customer in scope; otherwise 404.
async fn note_in_scope(state: &AppState, who: &Principal, id: &str) -> ApiResult<i64> {
    let not_found = || ApiError::NotFound(format!("visit note {id}"));
    let note_id: i64 = id.parse().map_err(|_| not_found())?;
    let note = file::note_customer(state.store.as_ref(), note_id).await?.ok_or_else(not_found)?;
    customer_in_scope(state, who, &note.customer_id).await.map_err(|_| not_found())?;
    Ok(note_id)
}

/// A note with every version of it, oldest first.
#[utoipa::path(get, path = "/api/v1/visit-notes/{id}", params(("id" = String, Path)),
    responses((status = 200, body = NoteHistory), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn note(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<NoteHistory>> {
    who.require(Permission::ViewCustomer)?;
    let note_id = note_in_scope(&state, &who, &id).await?;
    Ok(Json(file::visit_note_history(state.store.as_ref(), note_id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditNoteBody {
    /// The version the edit was made on: a note changed since is refused (409).
    pub version: i64,
    pub note: NoteInput,
}

/// Changes a note: only its author may (403 for anyone else), from the version they saw (409
/// when it changed since). The old version stays in the history.
#[utoipa::path(put, path = "/api/v1/visit-notes/{id}", params(("id" = String, Path)), request_body = EditNoteBody,
    responses((status = 200, body = NoteView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn edit_note(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    payload: Result<Json<EditNoteBody>, JsonRejection>,
) -> ApiResult<Json<NoteView>> {
    who.require(Permission::KeepVisitLog)?;
    let request = body(payload)?;
    let note_id = note_in_scope(&state, &who, &id).await?;
    let note = file::edit_visit_note(
        state.store.as_ref(),
        &actor(&who),
        note_id,
        request.version,
        &request.note,
        (state.clock)(),
    )
    .await?;
    Ok(Json(note))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PerformanceQuery {
    /// `YYYY-MM`; default: the current month.
    pub month: Option<String>,
    /// A province-wide caller may narrow to one branch.
    pub branch_id: Option<String>,
}

/// The caller's appraisal scope: a manager sees their own row; others their branch (or the one
/// asked for, province-wide).
pub(crate) fn appraisal_scope(who: &Principal, branch: Option<&str>) -> ApiResult<AppraisalScope> {
    if who.role == Role::Manager {
        let manager = who
            .manager_id
            .clone()
            .ok_or_else(|| ApiError::Forbidden("this manager's account names no employee id".into()))?;
        return Ok(AppraisalScope { manager_id: Some(manager), branch_id: None });
    }
    Ok(AppraisalScope { branch_id: who.branch_scope(branch)?, manager_id: None })
}

/// The month asked for (`YYYY-MM`), or the current one.
pub(crate) fn month_or_now(state: &AppState, month: Option<&str>) -> ApiResult<chrono::NaiveDate> {
    match month {
        Some(text) => appraisal::parse_month(text).map_err(ApiError::from),
        None => Ok(weiwan_app::quotas::china_today((state.clock)())),
    }
}

/// Managers' appraisal for a month, by manager, by branch and in total: visits per day,
/// revisits per customer, new customers, coverage, repeat purchases, retention success, VIP
/// contact-quota completion, customers lost, A-tier customers.
#[utoipa::path(get, path = "/api/v1/performance", params(PerformanceQuery),
    responses((status = 200, body = PerformanceReport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn performance(
    State(state): State<AppState>,
    who: Principal,
    params: Result<Query<PerformanceQuery>, QueryRejection>,
) -> ApiResult<Json<PerformanceReport>> {
    who.require(Permission::ReadPerformance)?;
    let params = query(params)?;
    let scope = appraisal_scope(&who, params.branch_id.as_deref())?;
    let month = month_or_now(&state, params.month.as_deref())?;
    Ok(Json(appraisal::performance(state.store.as_ref(), &scope, month).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PlanQuery {
    /// Whose plan; a manager's own by default.
    pub manager_id: Option<String>,
    /// `YYYY-MM`; default: the current month.
    pub month: Option<String>,
}

/// A planned contact as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlannedView {
    pub planned_on: String,
    pub customer_id: String,
    pub channel: String,
    pub reasons: Vec<String>,
    pub rank: i64,
}

impl From<PlannedContact> for PlannedView {
    fn from(contact: PlannedContact) -> PlannedView {
        PlannedView {
            planned_on: contact.planned_on.to_string(),
            customer_id: contact.customer_id,
            channel: contact.channel,
            reasons: contact.reasons,
            rank: contact.rank,
        }
    }
}

/// The manager whose plan the caller asks about: a manager only their own; others a manager of
/// their branch scope. Outside the scope: 404.
async fn plan_manager(state: &AppState, who: &Principal, asked: Option<&str>) -> ApiResult<String> {
    if who.role == Role::Manager {
        let own = who.manager_id.clone().ok_or_else(|| ApiError::Forbidden("no employee id".into()))?;
        return match asked {
            Some(asked) if asked != own => Err(ApiError::NotFound(format!("manager {asked}"))),
            _ => Ok(own),
        };
    }
    let asked = asked.ok_or_else(|| ApiError::bad("manager_id: required"))?;
    let scope = AppraisalScope { manager_id: Some(asked.to_owned()), branch_id: who.branch_scope(None)? };
    if state.store.managers(&scope).await?.is_empty() {
        return Err(ApiError::NotFound(format!("manager {asked}")));
    }
    Ok(asked.to_owned())
}

/// A manager's visit plan for a month, by day then rank.
#[utoipa::path(get, path = "/api/v1/visit-plans", params(PlanQuery),
    responses((status = 200, body = [PlannedView]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn plans(
    State(state): State<AppState>,
    who: Principal,
    params: Result<Query<PlanQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<PlannedView>>> {
    who.require(Permission::PlanVisits)?;
    let params = query(params)?;
    let manager = plan_manager(&state, &who, params.manager_id.as_deref()).await?;
    let month = month_or_now(&state, params.month.as_deref())?;
    let plan = appraisal::visit_plan(state.store.as_ref(), &manager, month).await?;
    Ok(Json(plan.into_iter().map(PlannedView::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    /// Whose plan; a manager's own by default.
    #[serde(default)]
    pub manager_id: Option<String>,
    /// `YYYY-MM`: this month or one to come.
    pub month: String,
}

/// Makes a manager's visit plan for a month from their customers' tiers and quotas, the churn
/// risk and value in the policy index, the visits made this quarter and the notes' next steps;
/// replaces the plan made before for that month.
#[utoipa::path(post, path = "/api/v1/visit-plans", request_body = PlanBody,
    responses((status = 201, body = [PlannedView]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn generate_plan(
    State(state): State<AppState>,
    who: Principal,
    payload: Result<Json<PlanBody>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Vec<PlannedView>>)> {
    who.require(Permission::PlanVisits)?;
    let request = body(payload)?;
    let manager = plan_manager(&state, &who, request.manager_id.as_deref()).await?;
    let month = appraisal::parse_month(&request.month)?;
    let plan = generate(&state, &who, &manager, month).await?;
    Ok((StatusCode::CREATED, Json(plan.into_iter().map(PlannedView::from).collect())))
}

/// Generates a plan with the signals of the policy index in force (none before the first batch).
pub(crate) async fn generate(
    state: &AppState,
    who: &Principal,
    manager: &str,
    month: chrono::NaiveDate,
) -> ApiResult<Vec<PlannedContact>> {
    let customers = appraisal::assigned_customers(state.store.as_ref(), manager).await?;
    let signals = match state.policy.current() {
        Some(loaded) => appraisal::signals_from_index(&loaded.index, &customers),
        None => HashMap::new(),
    };
    Ok(appraisal::generate_visit_plan(
        state.store.as_ref(),
        &actor(who),
        manager,
        month,
        &signals,
        &PlanSettings::default(),
        (state.clock)(),
    )
    .await?)
}
