//! `/api/v1/retention-cases`: retention cases 拆机挽留 (docs/retention-cases.md). The first line
//! (managers, store clerks, hotline agents) opens cases and works them first; the retention
//! desk (planners) claims escalated cases; approvers decide on concessions above the desk's
//! limit; analysts, planners and approvers read the ledger 台帐 and the monthly report.
//!
//! Cases are scoped like customers: one outside the caller's scope answers 404. Every change is
//! audited by the use case, in the audit log with the other writes.

use axum::Json;
use axum::Router;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};
use weiwan_app::cases::{self as uc, CaseAction, CaseActor, OpenRequest};
use weiwan_domain::Money;
use weiwan_storage::CaseFilter;

use crate::AppState;
use crate::auth::{Permission, Principal, allows};
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, OpenApi)]
#[openapi(
    paths(open_case, list_cases, case, act_on_case, ledger, report),
    components(schemas(OpenCaseBody, CaseActionBody))
)]
pub struct CaseApiDoc;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/retention-cases", get(list_cases).post(open_case))
        .route("/api/v1/retention-cases/ledger", get(ledger))
        .route("/api/v1/retention-cases/report", get(report))
        .route("/api/v1/retention-cases/{id}", get(case))
        .route("/api/v1/retention-cases/{id}/actions/{action}", post(act_on_case))
}

type ApiResult<T> = Result<T, ApiError>;

fn body<T>(payload: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    payload.map(|Json(value)| value).map_err(ApiError::from)
}

/// What the caller may do on cases, from their role.
pub(crate) fn case_actor(who: &Principal) -> CaseActor {
    CaseActor {
        actor: weiwan_app::tasks::Actor { user_id: who.user_id.clone(), role: who.role.code().to_owned() },
        first_line: allows(who.role, Permission::OpenCases),
        desk: allows(who.role, Permission::WorkRetentionDesk),
        approver: allows(who.role, Permission::ApproveConcessions),
    }
}

fn now(state: &AppState) -> chrono::DateTime<chrono::Utc> {
    (state.clock)()
}

/// A case the caller may see; one outside their scope (or not a number) answers 404.
pub(crate) async fn case_in_scope(state: &AppState, who: &Principal, id: &str) -> ApiResult<i64> {
    let not_found = || ApiError::NotFound(format!("retention case {id}"));
    let case_id: i64 = id.parse().map_err(|_| not_found())?;
    let case = match uc::find_case(state.store.as_ref(), case_id).await {
        Err(weiwan_app::Error::NotFound(_)) => return Err(not_found()),
        other => other?,
    };
    if !who.may_see_case(&case.branch_id, case.manager_id.as_deref()) {
        return Err(not_found());
    }
    Ok(case_id)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenCaseBody {
    pub subscription_id: String,
    /// disconnect (拆机), port_out (携号转网) or contract_payoff (提前解约 / 提前还款).
    pub kind: String,
    /// Where the request came in: store, hotline, outbound, manager or web_hall.
    pub channel: String,
    /// Why the customer wants to leave (1 to 500 characters).
    pub reason: String,
}

/// Records a customer's request to leave: opens a retention case owned by the caller (首问负责人),
/// `201`; or, when the line has an open case, joins it (`200`, `joined: true`) and its owner
/// stays.
#[utoipa::path(post, path = "/api/v1/retention-cases", request_body = OpenCaseBody,
    responses((status = 201, body = Object), (status = 200, body = Object), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn open_case(
    State(state): State<AppState>,
    who: Principal,
    payload: Result<Json<OpenCaseBody>, JsonRejection>,
) -> ApiResult<Response> {
    who.require(Permission::OpenCases)?;
    let request = body(payload)?;
    let not_found = || ApiError::NotFound(format!("line {}", request.subscription_id));
    let subject = state
        .store
        .line_subjects(std::slice::from_ref(&request.subscription_id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(not_found)?;
    if !who.may_see_customer(&subject.branch_id, subject.manager_id.as_deref()) {
        return Err(not_found());
    }
    let open = OpenRequest {
        subscription_id: request.subscription_id.clone(),
        kind: request.kind,
        channel: request.channel,
        reason: request.reason,
    };
    let opened = uc::open_case(state.store.as_ref(), &open, &case_actor(&who), now(&state)).await?;
    let status = if opened.joined { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(opened)).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    /// open, escalated, pending_approval or closed.
    pub status: Option<String>,
    /// disconnect, port_out or contract_payoff.
    pub kind: Option<String>,
    pub branch_id: Option<String>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<i64>,
}

/// Retention cases in the caller's scope, newest first, with their concessions, deadlines and
/// whether the level holding each let its time pass.
#[utoipa::path(get, path = "/api/v1/retention-cases", params(CaseQuery),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_cases(
    State(state): State<AppState>,
    who: Principal,
    query: Result<Query<CaseQuery>, QueryRejection>,
) -> ApiResult<Response> {
    who.require(Permission::ReadCases)?;
    let Query(query) = query?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad("limit: 1 to 1000"));
    }
    let filter = CaseFilter {
        branch_id: who.branch_scope(query.branch_id.as_deref())?,
        status: query.status,
        kind: query.kind,
        ..CaseFilter::default()
    };
    let cases = uc::list_cases(state.store.as_ref(), &filter, now(&state)).await?;
    let visible: Vec<_> = cases
        .into_iter()
        .filter(|c| who.may_see_case(&c.branch_id, c.manager_id.as_deref()))
        .take(usize::try_from(limit).unwrap_or(100))
        .collect();
    Ok(Json(visible).into_response())
}

/// A retention case with its concessions and its whole history.
#[utoipa::path(get, path = "/api/v1/retention-cases/{id}",
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn case(State(state): State<AppState>, who: Principal, Path(id): Path<String>) -> ApiResult<Response> {
    who.require(Permission::ReadCases)?;
    let case_id = case_in_scope(&state, &who, &id).await?;
    Ok(Json(uc::case_view(state.store.as_ref(), case_id, now(&state)).await?).into_response())
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseActionBody {
    /// What was said or tried (at most 500 characters); a rejection says why.
    #[serde(default)]
    pub note: String,
    /// offer: the concession kind (bill_credit, data_pack, plan_discount, device_subsidy,
    /// penalty_waiver).
    pub kind: Option<String>,
    /// offer: yuan, as a string ("30", "499.50").
    pub amount: Option<String>,
    /// decline, approve, reject: the concession.
    pub concession_id: Option<i64>,
    /// close: retained, downgraded, lost or withdrawn.
    pub outcome: Option<String>,
    /// close: the concession the customer accepted, if any.
    pub accepted_concession: Option<i64>,
    /// close downgraded: the cheaper plan's monthly fee, yuan.
    pub kept_fee: Option<String>,
}

fn money(field: &str, text: &str) -> ApiResult<Money> {
    Money::parse(text).map_err(|e| ApiError::bad(format!("{field}: {e}")))
}

fn required<T>(field: &str, action: &str, value: Option<T>) -> ApiResult<T> {
    value.ok_or_else(|| ApiError::bad(format!("{field}: required to {action}")))
}

/// note, escalate, claim, offer, decline, approve, reject or close. The owner (首问负责人) works
/// an open case; the desk person who claimed it an escalated one; approvers approve or reject
/// a concession waiting for approval (never their own). A step the case's state does not
/// allow answers 409.
#[utoipa::path(post, path = "/api/v1/retention-cases/{id}/actions/{action}", request_body = CaseActionBody,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn act_on_case(
    State(state): State<AppState>,
    who: Principal,
    Path((id, action)): Path<(String, String)>,
    payload: Result<Json<CaseActionBody>, JsonRejection>,
) -> ApiResult<Response> {
    let works = allows(who.role, Permission::OpenCases) || allows(who.role, Permission::WorkRetentionDesk);
    let permitted = match action.as_str() {
        "note" | "offer" | "decline" | "close" => works,
        "escalate" => allows(who.role, Permission::OpenCases),
        "claim" => allows(who.role, Permission::WorkRetentionDesk),
        "approve" | "reject" => allows(who.role, Permission::ApproveConcessions),
        other => return Err(ApiError::NotFound(format!("action {other:?}"))),
    };
    if !permitted {
        return Err(ApiError::Forbidden(format!(
            "role {} may not {action} a retention case",
            who.role.code()
        )));
    }
    let request = body(payload)?;
    let case_id = case_in_scope(&state, &who, &id).await?;
    let note = request.note;
    let step = match action.as_str() {
        "note" => CaseAction::Note { note },
        "escalate" => CaseAction::Escalate { note },
        "claim" => CaseAction::Claim { note },
        "offer" => CaseAction::Offer {
            kind: required("kind", "offer", request.kind)?,
            amount: money("amount", &required("amount", "offer", request.amount)?)?,
            note,
        },
        "decline" => CaseAction::Decline {
            concession_id: required("concession_id", "decline", request.concession_id)?,
            note,
        },
        "approve" => CaseAction::Approve {
            concession_id: required("concession_id", "approve", request.concession_id)?,
            note,
        },
        "reject" => CaseAction::Reject {
            concession_id: required("concession_id", "reject", request.concession_id)?,
            note,
        },
        _ => CaseAction::Close {
            outcome: required("outcome", "close", request.outcome)?,
            accepted_concession: request.accepted_concession,
            kept_fee: request.kept_fee.as_deref().map(|fee| money("kept_fee", fee)).transpose()?,
            note,
        },
    };
    let view = uc::act_on_case(state.store.as_ref(), case_id, &step, &case_actor(&who), now(&state)).await?;
    Ok(Json(view).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MonthQuery {
    /// YYYY-MM, China time.
    pub month: String,
    pub branch_id: Option<String>,
}

/// The ledger 台帐 of a month: every case closed in it with its outcome, the concessions
/// granted and their cost, and the revenue kept.
#[utoipa::path(get, path = "/api/v1/retention-cases/ledger", params(MonthQuery),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn ledger(
    State(state): State<AppState>,
    who: Principal,
    query: Result<Query<MonthQuery>, QueryRejection>,
) -> ApiResult<Response> {
    who.require(Permission::ReadCaseReports)?;
    let Query(query) = query?;
    let branch = who.branch_scope(query.branch_id.as_deref())?;
    Ok(Json(uc::ledger(state.store.as_ref(), &query.month, branch.as_deref()).await?).into_response())
}

/// The monthly report by branch: cases opened, closed by outcome, retention rate, concession
/// cost, the share escalated to the desk, by kind.
#[utoipa::path(get, path = "/api/v1/retention-cases/report", params(MonthQuery),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn report(
    State(state): State<AppState>,
    who: Principal,
    query: Result<Query<MonthQuery>, QueryRejection>,
) -> ApiResult<Response> {
    who.require(Permission::ReadCaseReports)?;
    let Query(query) = query?;
    let branch = who.branch_scope(query.branch_id.as_deref())?;
    Ok(Json(uc::monthly_report(state.store.as_ref(), &query.month, branch.as_deref()).await?).into_response())
}
