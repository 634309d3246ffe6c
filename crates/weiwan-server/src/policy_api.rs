//! The unified policy view 统一政策视图: `GET /api/v1/customers/{id}/policy-view?channel=…`
//! answers the outbound caller, the store clerk and the hotline agent alike — ranked offers,
//! the campaign's offer and script for their channel, churn reasons, tier, whether the contact
//! policy lets them make a marketing contact now, contact history and open tasks — and
//! `/api/v1/policy-index` shows or rebuilds the in-memory index it reads.
//!
//! The index is built from the latest tagged 360 table on the analytics runtime when the
//! server starts, and again after the server's own offer endpoints change the catalog; a
//! planner rebuilds it after a batch run (or after the CLI changed offers).

use axum::Json;
use axum::Router;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};
use weiwan_app::policy_view::{self as uc, IndexSummary, PolicyView, WebHallOffer};
use weiwan_app::tasks::TaskRecordView;

use crate::AppState;
use crate::auth::{Permission, Principal};
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, OpenApi)]
#[openapi(
    paths(policy_view, index_summary, rebuild_index, offers_for_you, take_offer),
    components(schemas(RebuildBody, TakeBody))
)]
pub struct PolicyApiDoc;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/customers/{id}/policy-view", get(policy_view))
        .route("/api/v1/policy-index", get(index_summary).post(rebuild_index))
        .route("/api/v1/customers/{id}/offers-for-you", get(offers_for_you))
        .route("/api/v1/customers/{id}/offers-for-you/{campaign_id}/take", post(take_offer))
}

type ApiResult<T> = Result<T, ApiError>;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ViewQuery {
    /// outbound, store, hotline or web_hall.
    pub channel: String,
}

fn not_ready() -> ApiError {
    ApiError::Conflict(
        "the policy index is not built yet: it is built from the latest tagged 360 table when the server \
         starts; run the batch (`weiwan run`), then POST /api/v1/policy-index"
            .into(),
    )
}

/// The unified policy view of a customer for the asking channel. Customers outside the
/// caller's scope answer 404.
#[utoipa::path(get, path = "/api/v1/customers/{id}/policy-view", params(("id" = String, Path), ViewQuery),
    responses((status = 200, body = PolicyView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn policy_view(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    query: Result<Query<ViewQuery>, QueryRejection>,
) -> ApiResult<Json<PolicyView>> {
    who.require(Permission::ViewCustomer)?;
    let Query(query) = query?;
    uc::check_view_channel(&query.channel)?;
    crate::api::customer_in_scope(&state, &who, &id).await?;
    let loaded = state.policy.current().ok_or_else(not_ready)?;
    let withdrawn = state.policy.withdrawn();
    let view =
        uc::policy_view(state.store.as_ref(), &loaded, &withdrawn, &id, &query.channel, (state.clock)())
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("customer {id}")))?;
    Ok(Json(view))
}

/// The index the policy view reads: its data date, size and when it was built.
#[utoipa::path(get, path = "/api/v1/policy-index",
    responses((status = 200, body = IndexSummary), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn index_summary(State(state): State<AppState>, who: Principal) -> ApiResult<Json<IndexSummary>> {
    if who.require(Permission::ReadCampaigns).is_err() {
        who.require(Permission::ViewCustomer)?;
    }
    Ok(Json(state.policy.current().ok_or_else(not_ready)?.summary()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RebuildBody {
    /// The tagged 360 table's date (YYYY-MM-DD); the latest built when absent.
    pub as_of: Option<String>,
}

/// Rebuilds the index from a tagged 360 table and the catalog's active offers, and puts it in
/// force; requests keep reading the old one until the new one is complete.
#[utoipa::path(post, path = "/api/v1/policy-index", request_body = RebuildBody,
    responses((status = 200, body = IndexSummary), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn rebuild_index(
    State(state): State<AppState>,
    who: Principal,
    payload: Result<Json<RebuildBody>, JsonRejection>,
) -> ApiResult<Json<IndexSummary>> {
    who.require(Permission::PlanCampaigns)?;
    let Json(request) = payload?;
    let as_of = request
        .as_of
        .map(|text| {
            NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .map_err(|_| ApiError::bad(format!("as_of: {text:?} is not a date (YYYY-MM-DD)")))
        })
        .transpose()?;
    let summary = rebuild(&state, as_of).await?;
    let detail = serde_json::to_value(&summary).map_err(|e| ApiError::Internal(e.to_string()))?;
    crate::api::audit(&state, &who, "rebuild_policy_index", "policy_index", &summary.as_of, detail).await?;
    Ok(Json(summary))
}

/// Builds an index on the analytics runtime and puts it in force.
pub async fn rebuild(state: &AppState, as_of: Option<NaiveDate>) -> ApiResult<IndexSummary> {
    let (store, lake, now) = (state.store.clone(), state.lake.clone(), (state.clock)());
    let loaded =
        crate::on_analytics(state, async move { uc::build_policy(store.as_ref(), &lake, as_of, now).await })
            .await?;
    let summary = loaded.summary();
    state.policy.replace(loaded);
    Ok(summary)
}

/// After the catalog changed: rebuilds the index in force (same data date) in the background.
/// Does nothing when none is in force yet.
pub(crate) fn refresh_after_catalog_change(state: &AppState) {
    let Some(current) = state.policy.current() else { return };
    let as_of = current.index.as_of();
    let state = state.clone();
    tokio::spawn(async move {
        match rebuild(&state, Some(as_of)).await {
            Ok(summary) => {
                tracing::info!(offers = summary.offers, "policy index rebuilt after a catalog change")
            }
            Err(err) => tracing::error!(%err, "policy index rebuild after a catalog change failed"),
        }
    });
}

// ---------------------------------------------------------------------------------------------
// The web hall

/// The web hall's "offers for you" zone 为你推荐: the offers running campaigns assigned to the
/// customer (treated members only), still valid today.
#[utoipa::path(get, path = "/api/v1/customers/{id}/offers-for-you", params(("id" = String, Path)),
    responses((status = 200, body = Vec<WebHallOffer>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn offers_for_you(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<WebHallOffer>>> {
    who.require(Permission::ServeWebHall)?;
    known_customer(&state, &id).await?;
    Ok(Json(uc::offers_for_you(state.store.as_ref(), &id, (state.clock)()).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TakeBody {
    /// The web hall's id for this request (1 to 64 characters): a retry records nothing twice.
    pub request_id: String,
}

/// The customer takes a campaign's offer in the web hall: the take-up is paid from the
/// budgets, entered in the contact ledger as a web hall contact, and the customer's other
/// tasks of the campaign close.
#[utoipa::path(post, path = "/api/v1/customers/{id}/offers-for-you/{campaign_id}/take",
    params(("id" = String, Path), ("campaign_id" = String, Path)), request_body = TakeBody,
    responses((status = 200, body = TaskRecordView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn take_offer(
    State(state): State<AppState>,
    who: Principal,
    Path((id, campaign_id)): Path<(String, String)>,
    payload: Result<Json<TakeBody>, JsonRejection>,
) -> ApiResult<Json<TaskRecordView>> {
    who.require(Permission::ServeWebHall)?;
    let Json(request) = payload?;
    known_customer(&state, &id).await?;
    let actor = weiwan_app::tasks::Actor { user_id: who.user_id.clone(), role: who.role.code().to_owned() };
    let task = uc::take_offer_on_web(
        state.store.as_ref(),
        &id,
        &campaign_id,
        &request.request_id,
        &actor,
        (state.clock)(),
    )
    .await?;
    Ok(Json(TaskRecordView::from(task)))
}

async fn known_customer(state: &AppState, id: &str) -> ApiResult<()> {
    if state.store.customer_subjects(&[id.to_owned()]).await?.is_empty() {
        return Err(ApiError::NotFound(format!("customer {id}")));
    }
    Ok(())
}
