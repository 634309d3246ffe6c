//! `/api/v1/offers` and `/api/v1/campaigns`: the offer catalog 政策库 and retention campaigns
//! (plan, preview, approval, execution, evaluation). Planners plan and run campaigns,
//! approvers approve or reject them, analysts read; people working tasks accept offers through
//! the task outcome endpoint (`accepted`).
//!
//! Previews, executions and evaluations run DataFusion queries over the lake; they run on the
//! analytics runtime ([`AppState::analytics`]), never on the workers that serve requests.

use axum::Json;
use axum::Router;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};
use weiwan_app::campaigns::{self as uc, ActionRequest};
use weiwan_decision::campaign::{CampaignAction, CampaignPlan};
use weiwan_decision::offers::Offer;

use crate::AppState;
use crate::auth::{Permission, Principal};
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, OpenApi)]
#[openapi(
    paths(
        list_offers,
        add_offers,
        retire_offer,
        reinstate_offer,
        list_campaigns,
        create_campaign,
        campaign,
        edit_campaign,
        clone_campaign,
        preview_campaign,
        act_on_campaign,
        evaluate_campaign,
        do_not_disturb,
        list_questionnaires,
        add_questionnaire,
        questionnaire,
        clone_questionnaire,
        campaign_answers
    ),
    components(schemas(
        NewOffers,
        NewCampaign,
        EditCampaign,
        CloneRequest,
        PreviewRequest,
        ActionBody,
        DoNotDisturbBody,
        DoNotDisturbView
    ))
)]
pub struct CampaignApiDoc;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/offers", get(list_offers).post(add_offers))
        .route("/api/v1/offers/{id}/retire", post(retire_offer))
        .route("/api/v1/offers/{id}/reinstate", post(reinstate_offer))
        .route("/api/v1/campaigns", get(list_campaigns).post(create_campaign))
        .route("/api/v1/campaigns/{id}", get(campaign).put(edit_campaign))
        .route("/api/v1/campaigns/{id}/clone", post(clone_campaign))
        .route("/api/v1/campaigns/{id}/preview", post(preview_campaign))
        .route("/api/v1/campaigns/{id}/actions/{action}", post(act_on_campaign))
        .route("/api/v1/campaigns/{id}/evaluation", get(evaluate_campaign))
        .route("/api/v1/customers/{id}/do-not-disturb", axum::routing::put(do_not_disturb))
        .route("/api/v1/questionnaires", get(list_questionnaires).post(add_questionnaire))
        .route("/api/v1/questionnaires/{id}", get(questionnaire))
        .route("/api/v1/questionnaires/{id}/clone", post(clone_questionnaire))
        .route("/api/v1/campaigns/{id}/answers", get(campaign_answers))
}

type ApiResult<T> = Result<T, ApiError>;

fn body<T>(payload: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    payload.map(|Json(value)| value).map_err(ApiError::from)
}

fn date(field: &str, text: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| ApiError::bad(format!("{field}: {text:?} is not a date (YYYY-MM-DD)")))
}

fn now(state: &AppState) -> chrono::DateTime<chrono::Utc> {
    (state.clock)()
}

// ---------------------------------------------------------------------------------------------
// Offers

/// The offer catalog, by id, with cost per take-up and what was spent.
#[utoipa::path(get, path = "/api/v1/offers", responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
async fn list_offers(State(state): State<AppState>, who: Principal) -> ApiResult<Response> {
    who.require(Permission::ReadCampaigns)?;
    Ok(Json(uc::list_offers(state.store.as_ref()).await?).into_response())
}

/// Offers to add, all or none (the TOML catalog's entries, as JSON).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOffers {
    /// Each with id, name_zh, name_en, terms (kind and amounts in yuan as strings),
    /// eligibility, valid_from, valid_to, budget, excludes, expected_take_up.
    #[schema(value_type = Vec<Object>)]
    pub offers: Vec<Offer>,
}

/// Adds offers to the catalog; one that does not add up refuses them all.
#[utoipa::path(post, path = "/api/v1/offers", request_body = NewOffers,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn add_offers(
    State(state): State<AppState>,
    who: Principal,
    payload: Result<Json<NewOffers>, JsonRejection>,
) -> ApiResult<Response> {
    who.require(Permission::PlanCampaigns)?;
    let request = body(payload)?;
    if request.offers.is_empty() || request.offers.len() > 1000 {
        return Err(ApiError::bad("offers: 1 to 1000 offers"));
    }
    let (store, lake, actor, now) = (state.store.clone(), state.lake.clone(), who.actor(), now(&state));
    let added = crate::on_analytics(&state, async move {
        uc::add_offers(store.as_ref(), &lake, &request.offers, &actor, now).await
    })
    .await?;
    crate::policy_api::refresh_after_catalog_change(&state);
    Ok((StatusCode::CREATED, Json(added)).into_response())
}

/// Retires an offer: kept for the record, offered no more.
#[utoipa::path(post, path = "/api/v1/offers/{id}/retire",
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn retire_offer(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    who.require(Permission::PlanCampaigns)?;
    let view = uc::set_offer_active(state.store.as_ref(), &id, false, &who.actor(), now(&state)).await?;
    state.policy.withdraw(&id);
    Ok(Json(view).into_response())
}

/// Puts a retired offer back in the catalog.
#[utoipa::path(post, path = "/api/v1/offers/{id}/reinstate",
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn reinstate_offer(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    who.require(Permission::PlanCampaigns)?;
    let view = uc::set_offer_active(state.store.as_ref(), &id, true, &who.actor(), now(&state)).await?;
    state.policy.restore(&id);
    crate::policy_api::refresh_after_catalog_change(&state);
    Ok(Json(view).into_response())
}

// ---------------------------------------------------------------------------------------------
// Campaigns

/// The scheme library 方案库: every campaign, newest first.
#[utoipa::path(get, path = "/api/v1/campaigns", responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
async fn list_campaigns(State(state): State<AppState>, who: Principal) -> ApiResult<Response> {
    who.require(Permission::ReadCampaigns)?;
    Ok(Json(uc::list_campaigns(state.store.as_ref()).await?).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    /// 1 to 64 of a-z, 0-9, - and _.
    pub id: String,
    /// name_zh, name_en, target_group, offers, channels (channel, script_zh, script_en),
    /// starts_on, ends_on, budget (yuan, a string), holdout_share, holdout_days,
    /// approval_levels, targets (kpi, t0, t1).
    #[schema(value_type = Object)]
    pub plan: CampaignPlan,
}

/// Plans a campaign: a draft, checked whole first.
#[utoipa::path(post, path = "/api/v1/campaigns", request_body = NewCampaign,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_campaign(
    State(state): State<AppState>,
    who: Principal,
    payload: Result<Json<NewCampaign>, JsonRejection>,
) -> ApiResult<Response> {
    who.require(Permission::PlanCampaigns)?;
    let request = body(payload)?;
    let view = uc::create_campaign(
        state.store.as_ref(),
        &request.id,
        &request.plan,
        None,
        &who.actor(),
        now(&state),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// A campaign with its plan, history of changes and approvals, and the size of each arm.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}",
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn campaign(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    who.require(Permission::ReadCampaigns)?;
    Ok(Json(uc::campaign_view(state.store.as_ref(), &id).await?).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditCampaign {
    #[schema(value_type = Object)]
    pub plan: CampaignPlan,
}

/// Replaces the plan of a draft.
#[utoipa::path(put, path = "/api/v1/campaigns/{id}", request_body = EditCampaign,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn edit_campaign(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    payload: Result<Json<EditCampaign>, JsonRejection>,
) -> ApiResult<Response> {
    who.require(Permission::PlanCampaigns)?;
    let request = body(payload)?;
    let view = uc::edit_campaign(state.store.as_ref(), &id, &request.plan, &who.actor(), now(&state)).await?;
    Ok(Json(view).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloneRequest {
    pub new_id: String,
}

/// Copies a campaign of the scheme library into a new draft.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/clone", request_body = CloneRequest,
    responses((status = 201, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn clone_campaign(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    payload: Result<Json<CloneRequest>, JsonRejection>,
) -> ApiResult<Response> {
    who.require(Permission::PlanCampaigns)?;
    let request = body(payload)?;
    let view =
        uc::clone_campaign(state.store.as_ref(), &id, &request.new_id, &who.actor(), now(&state)).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// The date of the tagged 360 table to draw from, YYYY-MM-DD.
    pub as_of: String,
    /// Treated lines to show (at most 100).
    #[serde(default)]
    pub sample: usize,
}

/// 方案预演: the draw the campaign would make on that date, the offers matched, expected
/// take-up, cost and saved revenue. Changes nothing.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/preview", request_body = PreviewRequest,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn preview_campaign(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    payload: Result<Json<PreviewRequest>, JsonRejection>,
) -> ApiResult<Response> {
    who.require(Permission::ReadCampaigns)?;
    let request = body(payload)?;
    let as_of = date("as_of", &request.as_of)?;
    let (store, lake, now) = (state.store.clone(), state.lake.clone(), now(&state));
    let preview = crate::on_analytics(&state, async move {
        uc::preview_campaign(store.as_ref(), &lake, &id, as_of, request.sample.min(100), now).await
    })
    .await?;
    Ok(Json(preview).into_response())
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// Required to reject; kept with every action in the history.
    #[serde(default)]
    pub comment: String,
    /// Required to execute: the date of the tagged 360 table that picks the members.
    #[serde(default)]
    pub as_of: Option<String>,
}

/// submit, approve, reject, execute, pause, resume or end. Approving and rejecting are for
/// approvers (not the campaign's author, one level each per round); the rest for planners.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/actions/{action}", request_body = ActionBody,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn act_on_campaign(
    State(state): State<AppState>,
    who: Principal,
    Path((id, action)): Path<(String, String)>,
    payload: Result<Json<ActionBody>, JsonRejection>,
) -> ApiResult<Response> {
    let action: CampaignAction = action.parse().map_err(|e| ApiError::NotFound(format!("action {e}")))?;
    match action {
        CampaignAction::Approve | CampaignAction::Reject => who.require(Permission::ApproveCampaigns)?,
        _ => who.require(Permission::PlanCampaigns)?,
    }
    let request = body(payload)?;
    let as_of = request.as_of.as_deref().map(|text| date("as_of", text)).transpose()?;
    let request = ActionRequest { comment: request.comment, as_of };
    let (store, lake, actor, now) = (state.store.clone(), state.lake.clone(), who.actor(), now(&state));
    let view = crate::on_analytics(&state, async move {
        uc::act_on_campaign(store.as_ref(), &lake, &id, action, &request, &actor, now).await
    })
    .await?;
    Ok(Json(view).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationQuery {
    pub as_of: String,
}

/// Treated against control as of a date: retention and revenue uplift with 95% intervals,
/// incremental revenue net of the offers' cost, ROI, and rates by channel and manager.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/evaluation",
    params(("as_of" = String, Query, description = "YYYY-MM-DD")),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn evaluate_campaign(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    query: Result<Query<EvaluationQuery>, QueryRejection>,
) -> ApiResult<Response> {
    who.require(Permission::ReadCampaigns)?;
    let Query(query) = query?;
    let as_of = date("as_of", &query.as_of)?;
    let (store, lake) = (state.store.clone(), state.lake.clone());
    let evaluation =
        crate::on_analytics(
            &state,
            async move { uc::evaluate_campaign(store.as_ref(), &lake, &id, as_of).await },
        )
        .await?;
    Ok(Json(evaluation).into_response())
}

// ---------------------------------------------------------------------------------------------
// Contact preferences

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DoNotDisturbBody {
    /// true: no marketing contact at all; false: take the customer off the list.
    pub on: bool,
    /// What the customer said (at most 200 characters).
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct DoNotDisturbView {
    pub customer_id: String,
    pub on: bool,
    /// Whether this request changed the list.
    pub changed: bool,
}

/// Puts a customer on the do-not-disturb list 免打扰 or takes them off, as the customer asks:
/// campaigns then neither contact nor draw them. Audited.
#[utoipa::path(put, path = "/api/v1/customers/{id}/do-not-disturb", request_body = DoNotDisturbBody,
    responses((status = 200, body = DoNotDisturbView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn do_not_disturb(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    payload: Result<Json<DoNotDisturbBody>, JsonRejection>,
) -> ApiResult<Json<DoNotDisturbView>> {
    who.require(Permission::ManageContactPreferences)?;
    let request = body(payload)?;
    crate::api::customer_in_scope(&state, &who, &id).await?;
    let changed = weiwan_app::contact::set_do_not_disturb(
        state.store.as_ref(),
        &id,
        request.on,
        &request.reason,
        &who.actor(),
        now(&state),
    )
    .await?;
    Ok(Json(DoNotDisturbView { customer_id: id, on: request.on, changed }))
}

// ---------------------------------------------------------------------------------------------
// Questionnaires 智能问卷

/// Every questionnaire, by id.
#[utoipa::path(get, path = "/api/v1/questionnaires", responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
async fn list_questionnaires(State(state): State<AppState>, who: Principal) -> ApiResult<Response> {
    who.require(Permission::ReadCampaigns)?;
    Ok(Json(weiwan_app::questionnaires::list_questionnaires(state.store.as_ref()).await?).into_response())
}

/// Defines a questionnaire (id, title_zh, title_en, questions with id, text_zh, text_en, kind
/// single|multiple|open, choices, required); checked whole, every problem named.
#[utoipa::path(post, path = "/api/v1/questionnaires", request_body = Object,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn add_questionnaire(
    State(state): State<AppState>,
    who: Principal,
    payload: Result<Json<weiwan_decision::questionnaire::Questionnaire>, JsonRejection>,
) -> ApiResult<Response> {
    who.require(Permission::PlanCampaigns)?;
    let questionnaire = body(payload)?;
    let added = weiwan_app::questionnaires::add_questionnaire(
        state.store.as_ref(),
        &questionnaire,
        &who.actor(),
        now(&state),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(added)).into_response())
}

/// A questionnaire by id.
#[utoipa::path(get, path = "/api/v1/questionnaires/{id}",
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn questionnaire(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    who.require(Permission::ReadCampaigns)?;
    Ok(Json(weiwan_app::questionnaires::find_questionnaire(state.store.as_ref(), &id).await?).into_response())
}

/// Copies a questionnaire under a new id.
#[utoipa::path(post, path = "/api/v1/questionnaires/{id}/clone", request_body = CloneRequest,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn clone_questionnaire(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    payload: Result<Json<CloneRequest>, JsonRejection>,
) -> ApiResult<Response> {
    who.require(Permission::PlanCampaigns)?;
    let request = body(payload)?;
    let cloned = weiwan_app::questionnaires::clone_questionnaire(
        state.store.as_ref(),
        &id,
        &request.new_id,
        &who.actor(),
        now(&state),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(cloned)).into_response())
}

/// The answers to a campaign's questionnaire, tallied per question and choice.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/answers",
    responses((status = 200, body = weiwan_app::questionnaires::AnswerTally), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn campaign_answers(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    who.require(Permission::ReadCampaigns)?;
    Ok(Json(weiwan_app::questionnaires::answer_tally(state.store.as_ref(), &id).await?).into_response())
}
