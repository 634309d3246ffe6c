//! `/api/v1/clubs`, `/api/v1/club-events`: clubs 俱乐部 (docs/clubs.md). Planners create clubs
//! and events, make draws and record attendance; managers and store clerks enrol their
//! customers, sign them up or cancel, and spend their points on club services; they and hotline
//! agents and analysts read clubs, events and a customer's clubs.
//!
//! A club of another branch, or a customer outside the caller's scope, answers 404; every change
//! is audited by the use case in the transaction that makes it.

use axum::Json;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};
use weiwan_app::clubs::{self as uc, NewClub, NewEvent, NewSpend};
use weiwan_storage::ClubEventRecord;

use crate::auth::{Permission, Principal};
use crate::error::{ApiError, ErrorBody};
use crate::{AppState, on_analytics};

#[derive(Debug, OpenApi)]
#[openapi(
    paths(
        list_clubs,
        create_club,
        club,
        join,
        leave,
        create_event,
        event,
        sign_up,
        cancel,
        draw,
        attendance,
        spend,
        customer_clubs
    ),
    components(schemas(
        ClubBody,
        CustomerBody,
        EventBody,
        DrawBody,
        AttendanceBody,
        AttendanceEntry,
        SpendBody
    ))
)]
pub struct ClubApiDoc;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/clubs", get(list_clubs).post(create_club))
        .route("/api/v1/clubs/{id}", get(club))
        .route("/api/v1/clubs/{id}/members", post(join))
        .route("/api/v1/clubs/{id}/members/{customer_id}", delete(leave))
        .route("/api/v1/clubs/{id}/events", post(create_event))
        .route("/api/v1/clubs/{id}/point-spends", post(spend))
        .route("/api/v1/club-events/{id}", get(event))
        .route("/api/v1/club-events/{id}/signups", post(sign_up))
        .route("/api/v1/club-events/{id}/signups/{customer_id}", delete(cancel))
        .route("/api/v1/club-events/{id}/draw", post(draw))
        .route("/api/v1/club-events/{id}/attendance", post(attendance))
        .route("/api/v1/customers/{id}/clubs", get(customer_clubs))
}

type ApiResult<T> = Result<T, ApiError>;

fn now(state: &AppState) -> chrono::DateTime<chrono::Utc> {
    (state.clock)()
}

/// A club the caller may see (province-wide, or of their branch); else 404.
async fn club_in_scope(state: &AppState, who: &Principal, id: &str) -> ApiResult<()> {
    let club = state.store.find_club(id).await?.ok_or_else(|| ApiError::NotFound(format!("club {id}")))?;
    if !who.may_see_club(club.branch_id.as_deref()) {
        return Err(ApiError::NotFound(format!("club {id}")));
    }
    Ok(())
}

/// An event of a club the caller may see; else 404.
async fn event_in_scope(state: &AppState, who: &Principal, id: &str) -> ApiResult<ClubEventRecord> {
    let not_found = || ApiError::NotFound(format!("club event {id}"));
    let event_id: i64 = id.parse().map_err(|_| not_found())?;
    let event = state.store.find_club_event(event_id).await?.ok_or_else(not_found)?;
    club_in_scope(state, who, &event.club_id).await.map_err(|_| not_found())?;
    Ok(event)
}

/// A customer the caller may act for in clubs; else 404.
async fn customer_in_scope(state: &AppState, who: &Principal, customer_id: &str) -> ApiResult<()> {
    let not_found = || ApiError::NotFound(format!("customer {customer_id}"));
    let subject = state
        .store
        .customer_subjects(&[customer_id.to_owned()])
        .await?
        .into_iter()
        .next()
        .ok_or_else(not_found)?;
    if !who.may_see_club_member(&subject.branch_id, subject.manager_id.as_deref()) {
        return Err(not_found());
    }
    Ok(())
}

/// Clubs the caller may see, with their member counts.
#[utoipa::path(get, path = "/api/v1/clubs",
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
async fn list_clubs(State(state): State<AppState>, who: Principal) -> ApiResult<Response> {
    who.require(Permission::ReadClubs)?;
    let clubs = uc::list_clubs(state.store.as_ref(), who.branch_id.as_deref()).await?;
    let visible: Vec<_> = clubs.into_iter().filter(|c| who.may_see_club(c.branch_id.as_deref())).collect();
    Ok(Json(visible).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClubBody {
    /// 1 to 32 of a-z, 0-9, _ and -.
    pub club_id: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(default)]
    pub description: String,
    /// VIP tiers that may join: diamond, gold, silver, member, mass.
    pub tiers: Vec<String>,
    /// Only this branch's customers; the whole province when left out.
    pub branch_id: Option<String>,
}

/// Creates a club (`201`); an id taken answers 409.
#[utoipa::path(post, path = "/api/v1/clubs", request_body = ClubBody,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn create_club(
    State(state): State<AppState>,
    who: Principal,
    payload: Result<Json<ClubBody>, JsonRejection>,
) -> ApiResult<Response> {
    who.require(Permission::ManageClubs)?;
    let Json(body) = payload?;
    let branch_id = match (&who.branch_id, body.branch_id) {
        (Some(own), Some(asked)) if *own != asked => {
            return Err(ApiError::Forbidden(format!("branch {asked} is outside your scope")));
        }
        // A branch planner's clubs are their branch's.
        (Some(own), _) => Some(own.clone()),
        (None, asked) => asked,
    };
    let new = NewClub {
        club_id: body.club_id,
        name_zh: body.name_zh,
        name_en: body.name_en,
        description: body.description,
        tiers: body.tiers,
        branch_id,
    };
    let club = uc::create_club(state.store.as_ref(), &new, &who.actor(), now(&state)).await?;
    Ok((StatusCode::CREATED, Json(club)).into_response())
}

/// A club with its members in the caller's scope and its events.
#[utoipa::path(get, path = "/api/v1/clubs/{id}",
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn club(State(state): State<AppState>, who: Principal, Path(id): Path<String>) -> ApiResult<Response> {
    who.require(Permission::ReadClubs)?;
    club_in_scope(&state, &who, &id).await?;
    let visible = |branch: &str, manager: Option<&str>| who.may_see_club_member(branch, manager);
    Ok(Json(uc::club_detail(state.store.as_ref(), &id, &visible).await?).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerBody {
    pub customer_id: String,
}

/// Enrols a customer whose VIP tier the club is open to (`201`); a member already answers 409.
#[utoipa::path(post, path = "/api/v1/clubs/{id}/members", request_body = CustomerBody,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn join(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    payload: Result<Json<CustomerBody>, JsonRejection>,
) -> ApiResult<Response> {
    who.require(Permission::WorkClubs)?;
    let Json(body) = payload?;
    club_in_scope(&state, &who, &id).await?;
    customer_in_scope(&state, &who, &body.customer_id).await?;
    let membership =
        uc::join_club(state.store.as_ref(), &id, &body.customer_id, &who.actor(), now(&state)).await?;
    let answer = serde_json::json!({
        "club_id": membership.club_id, "customer_id": membership.customer_id, "joined_at": membership.joined_at,
    });
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// Ends a customer's membership.
#[utoipa::path(delete, path = "/api/v1/clubs/{id}/members/{customer_id}",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn leave(
    State(state): State<AppState>,
    who: Principal,
    Path((id, customer_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    who.require(Permission::WorkClubs)?;
    club_in_scope(&state, &who, &id).await?;
    customer_in_scope(&state, &who, &customer_id).await?;
    uc::leave_club(state.store.as_ref(), &id, &customer_id, &who.actor(), now(&state)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    pub title: String,
    #[serde(default)]
    pub place: String,
    /// YYYY-MM-DD HH:MM, China time; in the future.
    pub starts_at: String,
    /// Places: 1 to 10,000.
    pub capacity: i64,
    /// first_come (先到先得) or draw (抽签).
    pub allocation: String,
    /// Whether sign-ups beyond the places wait for one (候补).
    #[serde(default)]
    pub waitlist: bool,
}

/// Creates an event of a club (`201`).
#[utoipa::path(post, path = "/api/v1/clubs/{id}/events", request_body = EventBody,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn create_event(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    payload: Result<Json<EventBody>, JsonRejection>,
) -> ApiResult<Response> {
    who.require(Permission::ManageClubs)?;
    let Json(body) = payload?;
    club_in_scope(&state, &who, &id).await?;
    let new = NewEvent {
        title: body.title,
        place: body.place,
        starts_at: body.starts_at,
        capacity: body.capacity,
        allocation: body.allocation,
        waitlist: body.waitlist,
    };
    let event = uc::create_event(state.store.as_ref(), &id, &new, &who.actor(), now(&state)).await?;
    Ok((StatusCode::CREATED, Json(event)).into_response())
}

/// An event with its places, draw and the sign-ups of customers in the caller's scope.
#[utoipa::path(get, path = "/api/v1/club-events/{id}",
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn event(State(state): State<AppState>, who: Principal, Path(id): Path<String>) -> ApiResult<Response> {
    who.require(Permission::ReadClubs)?;
    let event = event_in_scope(&state, &who, &id).await?;
    let mut view = uc::event_detail(state.store.as_ref(), event.event_id).await?;
    let ids: Vec<String> = view.signups.iter().map(|s| s.customer_id.clone()).collect();
    let subjects = state.store.customer_subjects(&ids).await?;
    view.signups.retain(|s| {
        subjects
            .iter()
            .find(|c| c.customer_id == s.customer_id)
            .is_some_and(|c| who.may_see_club_member(&c.branch_id, c.manager_id.as_deref()))
    });
    Ok(Json(view).into_response())
}

/// Signs a member up: a place (first come), an application (before a draw) or the waitlist
/// (`201`). Not a member, an ineligible tier: 400; twice, full, or after the start: 409.
#[utoipa::path(post, path = "/api/v1/club-events/{id}/signups", request_body = CustomerBody,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn sign_up(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    payload: Result<Json<CustomerBody>, JsonRejection>,
) -> ApiResult<Response> {
    who.require(Permission::WorkClubs)?;
    let Json(body) = payload?;
    let event = event_in_scope(&state, &who, &id).await?;
    customer_in_scope(&state, &who, &body.customer_id).await?;
    let signup =
        uc::sign_up(state.store.as_ref(), event.event_id, &body.customer_id, &who.actor(), now(&state))
            .await?;
    Ok((StatusCode::CREATED, Json(signup)).into_response())
}

/// Cancels a sign-up before the event; a freed place goes to the first on the waitlist.
#[utoipa::path(delete, path = "/api/v1/club-events/{id}/signups/{customer_id}",
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn cancel(
    State(state): State<AppState>,
    who: Principal,
    Path((id, customer_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    who.require(Permission::WorkClubs)?;
    let event = event_in_scope(&state, &who, &id).await?;
    customer_in_scope(&state, &who, &customer_id).await?;
    let outcome =
        uc::cancel_signup(state.store.as_ref(), event.event_id, &customer_id, &who.actor(), now(&state))
            .await?;
    Ok(Json(outcome).into_response())
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawBody {
    /// 0 to 2^63 - 1; a random one when left out. Recorded, so the draw can be redone.
    pub seed: Option<u64>,
}

/// Makes a draw event's draw, once, before it starts.
#[utoipa::path(post, path = "/api/v1/club-events/{id}/draw", request_body = DrawBody,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn draw(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    payload: Result<Json<DrawBody>, JsonRejection>,
) -> ApiResult<Response> {
    who.require(Permission::ManageClubs)?;
    let Json(body) = payload?;
    let event = event_in_scope(&state, &who, &id).await?;
    let seed = match body.seed {
        Some(seed) => seed,
        None => random_seed()?,
    };
    let view = uc::draw(state.store.as_ref(), event.event_id, seed, &who.actor(), now(&state)).await?;
    Ok(Json(view).into_response())
}

/// A random draw seed below 2^63.
pub fn random_seed() -> ApiResult<u64> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Internal(format!("no randomness: {e}")))?;
    Ok(u64::from_le_bytes(bytes) >> 1)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceEntry {
    pub customer_id: String,
    pub attended: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceBody {
    pub attendance: Vec<AttendanceEntry>,
}

/// Records who came, once the event started; all or nothing.
#[utoipa::path(post, path = "/api/v1/club-events/{id}/attendance", request_body = AttendanceBody,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn attendance(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    payload: Result<Json<AttendanceBody>, JsonRejection>,
) -> ApiResult<Response> {
    who.require(Permission::ManageClubs)?;
    let Json(body) = payload?;
    let event = event_in_scope(&state, &who, &id).await?;
    let entries: Vec<(String, bool)> =
        body.attendance.into_iter().map(|e| (e.customer_id, e.attended)).collect();
    let recorded =
        uc::record_attendance(state.store.as_ref(), event.event_id, &entries, &who.actor(), now(&state))
            .await?;
    Ok(Json(serde_json::json!({ "recorded": recorded })).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpendBody {
    pub customer_id: String,
    /// What the points buy (1 to 100 characters).
    pub service: String,
    pub points: i64,
}

/// Spends a member's points on a club service (`201`); not enough points left answers 409.
#[utoipa::path(post, path = "/api/v1/clubs/{id}/point-spends", request_body = SpendBody,
    responses((status = 201, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn spend(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    payload: Result<Json<SpendBody>, JsonRejection>,
) -> ApiResult<Response> {
    who.require(Permission::WorkClubs)?;
    let Json(body) = payload?;
    club_in_scope(&state, &who, &id).await?;
    customer_in_scope(&state, &who, &body.customer_id).await?;
    let spend =
        NewSpend { club_id: id, customer_id: body.customer_id, service: body.service, points: body.points };
    let (store, lake, actor, at) = (state.store.clone(), state.lake.clone(), who.actor(), now(&state));
    let outcome =
        on_analytics(
            &state,
            async move { uc::spend_points(store.as_ref(), &lake, &spend, &actor, at).await },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(outcome)).into_response())
}

/// A customer's clubs, sign-ups and points (the ledger's balance minus what weiwan spent).
#[utoipa::path(get, path = "/api/v1/customers/{id}/clubs",
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn customer_clubs(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    who.require(Permission::ReadClubs)?;
    customer_in_scope(&state, &who, &id).await?;
    let clubs = uc::customer_clubs(state.store.as_ref(), &id).await?;
    let (store, lake, customer_id) = (state.store.clone(), state.lake.clone(), id.clone());
    let points =
        on_analytics(&state, async move { uc::points(store.as_ref(), &lake, &customer_id).await }).await?;
    Ok(Json(serde_json::json!({ "clubs": clubs, "points": points })).into_response())
}
