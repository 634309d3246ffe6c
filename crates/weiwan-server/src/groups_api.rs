//! `/api/v1/groups`: group customers 集团客户 (docs/groups.md): the group with its members,
//! lines, key persons 关键人 and their influence, the service level of its tier, its members'
//! churn risk as raised by the key persons, and the periodic report. Managers read the groups
//! they serve and record their key persons' influence; planners and analysts read their branch.
//!
//! A group outside the caller's scope answers 404. Viewing a group (its people's names and
//! masked numbers) and every change are audited.

use axum::Json;
use axum::Router;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};
use weiwan_app::groups::{self as uc, GroupSummary, InfluenceChange, Reveal};
use weiwan_storage::AuditEntry;

use crate::auth::{Permission, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::{AppState, on_analytics};

#[derive(Debug, OpenApi)]
#[openapi(paths(list_groups, group, report, set_influence), components(schemas(InfluenceBody)))]
pub struct GroupApiDoc;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/groups", get(list_groups))
        .route("/api/v1/groups/{id}", get(group))
        .route("/api/v1/groups/{id}/report", get(report))
        .route("/api/v1/groups/{id}/key-persons/{customer_id}", put(set_influence))
}

type ApiResult<T> = Result<T, ApiError>;

/// A group the caller may see; one outside their scope (or no group at all) answers 404.
pub(crate) async fn group_in_scope(state: &AppState, who: &Principal, id: &str) -> ApiResult<GroupSummary> {
    let not_found = || ApiError::NotFound(format!("group customer {id}"));
    let group = match uc::find_group(state.store.as_ref(), id).await {
        Err(weiwan_app::Error::NotFound(_)) => return Err(not_found()),
        other => other?,
    };
    if !who.may_see_group(&group.branch_id, group.manager_id.as_deref()) {
        return Err(not_found());
    }
    Ok(group)
}

/// The numbers the caller may see in full: a manager's own customers'.
pub(crate) fn reveal(who: &Principal) -> Reveal {
    Reveal { manager_id: if who.reveals() { who.manager_id.clone() } else { None } }
}

pub(crate) async fn audit_view(
    state: &AppState,
    who: &Principal,
    action: &str,
    group_id: &str,
    detail: serde_json::Value,
) -> ApiResult<()> {
    state
        .store
        .append_audit(&AuditEntry {
            id: 0,
            at: (state.clock)().to_rfc3339(),
            actor: who.user_id.clone(),
            role: who.role.code().to_owned(),
            action: action.to_owned(),
            object_type: "group".to_owned(),
            object_id: group_id.to_owned(),
            detail: detail.to_string(),
        })
        .await?;
    Ok(())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct GroupListQuery {
    pub branch_id: Option<String>,
}

/// Group customers in the caller's scope, with their tier and member count.
#[utoipa::path(get, path = "/api/v1/groups", params(GroupListQuery),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_groups(
    State(state): State<AppState>,
    who: Principal,
    query: Result<Query<GroupListQuery>, QueryRejection>,
) -> ApiResult<Response> {
    who.require(Permission::ReadGroups)?;
    let Query(query) = query?;
    let branch = who.branch_scope(query.branch_id.as_deref())?;
    let groups = uc::list_groups(state.store.as_ref(), branch.as_deref()).await?;
    let visible: Vec<_> =
        groups.into_iter().filter(|g| who.may_see_group(&g.branch_id, g.manager_id.as_deref())).collect();
    Ok(Json(visible).into_response())
}

/// A group: its service level (response time, named manager, report frequency), key persons
/// with their influence and risk, members with their lines and churn risk (raised by the key
/// persons, docs/groups.md). Numbers are masked but for the caller's own customers.
#[utoipa::path(get, path = "/api/v1/groups/{id}",
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn group(State(state): State<AppState>, who: Principal, Path(id): Path<String>) -> ApiResult<Response> {
    who.require(Permission::ReadGroups)?;
    let group = group_in_scope(&state, &who, &id).await?;
    let (store, lake, reveal, now) = (state.store.clone(), state.lake.clone(), reveal(&who), (state.clock)());
    let group_id = group.group_id.clone();
    let view =
        on_analytics(
            &state,
            async move { uc::group_view(store.as_ref(), &lake, &group_id, &reveal, now).await },
        )
        .await?;
    audit_view(
        &state,
        &who,
        "view_group",
        &group.group_id,
        serde_json::json!({"members": view.members.len()}),
    )
    .await?;
    Ok(Json(view).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// 2026-10 (a month), 2026-Q4, 2026-H2 or 2026.
    pub period: String,
}

/// The periodic service report of a group for one period.
#[utoipa::path(get, path = "/api/v1/groups/{id}/report", params(ReportQuery),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn report(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> ApiResult<Response> {
    who.require(Permission::ReadGroups)?;
    let Query(query) = query?;
    let group = group_in_scope(&state, &who, &id).await?;
    let (store, lake, now) = (state.store.clone(), state.lake.clone(), (state.clock)());
    let group_id = group.group_id.clone();
    let report = on_analytics(&state, async move {
        uc::group_report(store.as_ref(), &lake, &group_id, &query.period, now).await
    })
    .await?;
    audit_view(
        &state,
        &who,
        "view_group_report",
        &group.group_id,
        serde_json::json!({"period": report.period.label}),
    )
    .await?;
    Ok(Json(report).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InfluenceBody {
    /// decision_maker (决策人), influencer (影响人) or user (使用人).
    pub role: String,
    /// The weight w, 0 to 1 with at most 3 decimals; the role's default when left out.
    pub weight: Option<f64>,
    /// Why (at most 500 characters).
    #[serde(default)]
    pub note: String,
}

/// Records a key person's influence on the group (the group's manager). The next daily batch
/// raises the members' risk with it.
#[utoipa::path(put, path = "/api/v1/groups/{id}/key-persons/{customer_id}", request_body = InfluenceBody,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn set_influence(
    State(state): State<AppState>,
    who: Principal,
    Path((id, customer_id)): Path<(String, String)>,
    payload: Result<Json<InfluenceBody>, JsonRejection>,
) -> ApiResult<Response> {
    who.require(Permission::ManageKeyPersons)?;
    let Json(body) = payload?;
    let group = group_in_scope(&state, &who, &id).await?;
    let member = state.store.find_row(weiwan_domain::TableId::Customers, &customer_id).await?.filter(|row| {
        let index = weiwan_domain::TableId::Customers.table().index("group_id");
        matches!(&row[index], weiwan_domain::Value::Text(g) if *g == group.group_id)
    });
    if member.is_none() {
        return Err(ApiError::NotFound(format!("member {customer_id} of group {id}")));
    }
    let change = InfluenceChange { customer_id, role: body.role, weight: body.weight, note: body.note };
    let view = uc::set_influence(state.store.as_ref(), &change, &who.actor(), (state.clock)()).await?;
    Ok(Json(view).into_response())
}
