//! Clubs 俱乐部 in the console (docs/clubs.md): the clubs in scope (planners create them), a
//! club's members and events (managers and clerks enrol customers; planners add events), and
//! an event's places and sign-ups (sign up a member; planners make the draw). The same use
//! cases, scope and audit as `/api/v1/clubs`; attendance and points are recorded through the
//! API and the CLI.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{Markup, html};
use serde::Deserialize;
use weiwan_app::clubs::{self as uc, NewClub, NewEvent};
use weiwan_domain::codes::{ClubAllocation, SignupStatus, VipTier};

use super::i18n::{Lang, messages};
use super::{PageResult, Viewer, encode_component, label, layout};
use crate::AppState;
use crate::auth::Permission;
use crate::error::ApiError;

messages! {
    Clubs => "俱乐部", "Clubs";
    Club => "俱乐部", "Club";
    Name => "名称", "Name";
    NameZh => "中文名称", "Chinese name";
    NameEn => "英文名称", "English name";
    Tiers => "可加入等级", "Eligible tiers";
    Branch => "分公司", "Branch";
    AllBranches => "全省", "all branches";
    Members => "会员", "Members";
    NoClubs => "范围内没有俱乐部。", "No clubs in your scope.";
    NewClubTitle => "新建俱乐部", "New club";
    ClubId => "编号", "Id";
    Create => "创建", "Create";
    Customer => "客户编号", "Customer id";
    Join => "加入", "Enrol";
    Joined => "加入时间", "Joined";
    Events => "活动", "Events";
    NoEvents => "还没有活动。", "No events yet.";
    NewEventTitle => "新建活动", "New event";
    Title => "主题", "Title";
    Place => "地点", "Place";
    StartsAt => "开始时间（YYYY-MM-DD HH:MM）", "Starts at (YYYY-MM-DD HH:MM)";
    Start => "开始时间", "Starts";
    Capacity => "名额", "Places";
    Taken => "已确认", "Taken";
    Allocation => "名额分配", "Allocation";
    Waitlist => "候补", "Waitlist";
    Signups => "报名", "Sign-ups";
    Status => "状态", "Status";
    Position => "候补顺序", "Waiting number";
    Attended => "到场", "Attended";
    Yes => "是", "yes";
    No => "否", "no";
    SignUp => "报名", "Sign up";
    Draw => "抽签", "Make the draw";
    Seed => "抽签种子", "Draw seed";
    DrawnAt => "抽签时间", "Drawn at";
    Group => "所属集团", "Group";
    CustomerClubs => "俱乐部", "Clubs";
    None => "无", "none";
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/clubs", get(clubs_page).post(create_club))
        .route("/clubs/{id}", get(club_page))
        .route("/clubs/{id}/members", post(join))
        .route("/clubs/{id}/events", post(create_event))
        .route("/club-events/{id}", get(event_page))
        .route("/club-events/{id}/signups", post(sign_up))
        .route("/club-events/{id}/draw", post(draw))
}

fn club_href(id: &str) -> String {
    format!("/clubs/{}", encode_component(id))
}

fn tiers_label(tiers: &[String], lang: Lang) -> String {
    tiers.iter().map(|t| label::<VipTier>(t, lang)).collect::<Vec<_>>().join(" / ")
}

async fn clubs_page(State(state): State<AppState>, viewer: Viewer) -> PageResult<Markup> {
    viewer.require(Permission::ReadClubs)?;
    let lang = viewer.lang;
    let who = &viewer.who;
    let clubs =
        uc::list_clubs(state.store.as_ref(), who.branch_id.as_deref()).await.map_err(|e| viewer.fail(e))?;
    let visible: Vec<_> = clubs.into_iter().filter(|c| who.may_see_club(c.branch_id.as_deref())).collect();
    let body = html! {
        @if visible.is_empty() {
            p { (M::NoClubs.text(lang)) }
        } @else {
            table #clubs {
                thead { tr {
                    th { (M::Club.text(lang)) } th { (M::Name.text(lang)) } th { (M::Tiers.text(lang)) }
                    th { (M::Branch.text(lang)) } th.num { (M::Members.text(lang)) }
                } }
                tbody {
                    @for c in &visible {
                        tr {
                            td { a href=(club_href(&c.club_id)) { (c.club_id) } }
                            td { (lang.pick(&c.name_zh, &c.name_en)) }
                            td { (tiers_label(&c.tiers, lang)) }
                            td { (c.branch_id.as_deref().unwrap_or(M::AllBranches.text(lang))) }
                            td.num { (c.members) }
                        }
                    }
                }
            }
        }
        @if who.require(Permission::ManageClubs).is_ok() {
            form #new-club method="post" action="/clubs" {
                h2 { (M::NewClubTitle.text(lang)) }
                label { (M::ClubId.text(lang)) input name="club_id" required pattern="[a-z0-9_-]{1,32}"; }
                label { (M::NameZh.text(lang)) input name="name_zh" required maxlength="64"; }
                label { (M::NameEn.text(lang)) input name="name_en" required maxlength="64"; }
                fieldset {
                    legend { (M::Tiers.text(lang)) }
                    @for tier in VipTier::ALL {
                        label { input type="checkbox" name="tiers" value=(tier.code()); (lang.pick(tier.label_zh(), tier.label_en())) }
                    }
                }
                button type="submit" { (M::Create.text(lang)) }
            }
        }
    };
    Ok(layout(&viewer, M::Clubs.text(lang), "/clubs", body))
}

/// The form carries one `tiers` field per ticked box, hence a list of pairs.
async fn create_club(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    viewer.require(Permission::ManageClubs)?;
    let field =
        |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let new = NewClub {
        club_id: field("club_id"),
        name_zh: field("name_zh"),
        name_en: field("name_en"),
        description: field("description"),
        tiers: fields.iter().filter(|(n, _)| n == "tiers").map(|(_, v)| v.clone()).collect(),
        branch_id: viewer.who.branch_id.clone(),
    };
    let club = uc::create_club(state.store.as_ref(), &new, &viewer.who.actor(), (state.clock)())
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(Redirect::to(&club_href(&club.club_id)).into_response())
}

async fn club_in_scope(state: &AppState, viewer: &Viewer, id: &str) -> PageResult<()> {
    let club = state.store.find_club(id).await.map_err(|e| viewer.fail(e))?;
    match club {
        Some(club) if viewer.who.may_see_club(club.branch_id.as_deref()) => Ok(()),
        _ => Err(viewer.fail(ApiError::NotFound(format!("club {id}")))),
    }
}

async fn club_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult<Markup> {
    viewer.require(Permission::ReadClubs)?;
    club_in_scope(&state, &viewer, &id).await?;
    let lang = viewer.lang;
    let who = &viewer.who;
    let visible = |branch: &str, manager: Option<&str>| who.may_see_club_member(branch, manager);
    let detail = uc::club_detail(state.store.as_ref(), &id, &visible).await.map_err(|e| viewer.fail(e))?;
    let c = &detail.club;
    let body = html! {
        p { (M::Tiers.text(lang)) ": " (tiers_label(&c.tiers, lang)) " · " (M::Branch.text(lang)) ": " (c.branch_id.as_deref().unwrap_or(M::AllBranches.text(lang))) }
        @if !c.description.is_empty() { p { (c.description) } }
        section #events {
            h2 { (M::Events.text(lang)) }
            @if detail.events.is_empty() { p { (M::NoEvents.text(lang)) } } @else {
                table {
                    thead { tr {
                        th { (M::Title.text(lang)) } th { (M::Start.text(lang)) } th.num { (M::Taken.text(lang)) }
                        th.num { (M::Capacity.text(lang)) } th { (M::Allocation.text(lang)) }
                    } }
                    tbody {
                        @for e in &detail.events {
                            tr {
                                td { a href=(format!("/club-events/{}", e.event_id)) { (e.title) } }
                                td { (e.starts_at) }
                                td.num { (e.confirmed) }
                                td.num { (e.capacity) }
                                td { (label::<ClubAllocation>(&e.allocation, lang)) @if e.waitlist { " · " (M::Waitlist.text(lang)) } }
                            }
                        }
                    }
                }
            }
            @if who.require(Permission::ManageClubs).is_ok() {
                form #new-event method="post" action=(format!("{}/events", club_href(&c.club_id))) {
                    h3 { (M::NewEventTitle.text(lang)) }
                    label { (M::Title.text(lang)) input name="title" required maxlength="100"; }
                    label { (M::Place.text(lang)) input name="place" maxlength="100"; }
                    label { (M::StartsAt.text(lang)) input name="starts_at" required placeholder="2026-12-05 14:00"; }
                    label { (M::Capacity.text(lang)) input name="capacity" type="number" min="1" max="10000" required; }
                    label { (M::Allocation.text(lang))
                        select name="allocation" {
                            @for a in ClubAllocation::ALL { option value=(a.code()) { (lang.pick(a.label_zh(), a.label_en())) } }
                        }
                    }
                    label { input type="checkbox" name="waitlist" value="true"; (M::Waitlist.text(lang)) }
                    button type="submit" { (M::Create.text(lang)) }
                }
            }
        }
        section #members {
            h2 { (M::Members.text(lang)) " (" (c.members) ")" }
            table {
                thead { tr { th { (M::Customer.text(lang)) } th { (M::Branch.text(lang)) } th { (M::Joined.text(lang)) } } }
                tbody {
                    @for m in &detail.members {
                        tr { td { (m.customer_id) } td { (m.branch_id) } td { (m.joined_at) } }
                    }
                }
            }
            @if who.require(Permission::WorkClubs).is_ok() {
                form #join method="post" action=(format!("{}/members", club_href(&c.club_id))) {
                    label { (M::Customer.text(lang)) input name="customer_id" required; }
                    button type="submit" { (M::Join.text(lang)) }
                }
            }
        }
    };
    let title = format!("{} · {}", lang.pick(&c.name_zh, &c.name_en), c.club_id);
    Ok(layout(&viewer, &title, &club_href(&id), body))
}

#[derive(Debug, Deserialize)]
struct CustomerForm {
    customer_id: String,
}

/// The customer, in the viewer's scope for club work; else 404.
async fn customer_in_scope(state: &AppState, viewer: &Viewer, customer_id: &str) -> PageResult<()> {
    let subjects =
        state.store.customer_subjects(&[customer_id.to_owned()]).await.map_err(|e| viewer.fail(e))?;
    match subjects.first() {
        Some(s) if viewer.who.may_see_club_member(&s.branch_id, s.manager_id.as_deref()) => Ok(()),
        _ => Err(viewer.fail(ApiError::NotFound(format!("customer {customer_id}")))),
    }
}

async fn join(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<CustomerForm>,
) -> PageResult<Response> {
    viewer.require(Permission::WorkClubs)?;
    club_in_scope(&state, &viewer, &id).await?;
    let customer = form.customer_id.trim();
    customer_in_scope(&state, &viewer, customer).await?;
    uc::join_club(state.store.as_ref(), &id, customer, &viewer.who.actor(), (state.clock)())
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(Redirect::to(&club_href(&id)).into_response())
}

#[derive(Debug, Deserialize)]
struct EventForm {
    title: String,
    #[serde(default)]
    place: String,
    starts_at: String,
    capacity: String,
    allocation: String,
    waitlist: Option<String>,
}

async fn create_event(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<EventForm>,
) -> PageResult<Response> {
    viewer.require(Permission::ManageClubs)?;
    club_in_scope(&state, &viewer, &id).await?;
    let capacity = form.capacity.trim().parse::<i64>().map_err(|_| {
        viewer.fail(ApiError::bad(format!("capacity: {:?} is not a whole number", form.capacity)))
    })?;
    let new = NewEvent {
        title: form.title,
        place: form.place,
        starts_at: form.starts_at.trim().to_owned(),
        capacity,
        allocation: form.allocation,
        waitlist: form.waitlist.is_some(),
    };
    let event = uc::create_event(state.store.as_ref(), &id, &new, &viewer.who.actor(), (state.clock)())
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(Redirect::to(&format!("/club-events/{}", event.event_id)).into_response())
}

/// An event of a club in the viewer's scope; else 404.
async fn event_in_scope(state: &AppState, viewer: &Viewer, id: &str) -> PageResult<i64> {
    let not_found = || viewer.fail(ApiError::NotFound(format!("club event {id}")));
    let event_id: i64 = id.parse().map_err(|_| not_found())?;
    let event =
        state.store.find_club_event(event_id).await.map_err(|e| viewer.fail(e))?.ok_or_else(not_found)?;
    club_in_scope(state, viewer, &event.club_id).await.map_err(|_| not_found())?;
    Ok(event_id)
}

async fn event_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult<Markup> {
    viewer.require(Permission::ReadClubs)?;
    let event_id = event_in_scope(&state, &viewer, &id).await?;
    let lang = viewer.lang;
    let who = &viewer.who;
    let mut view = uc::event_detail(state.store.as_ref(), event_id).await.map_err(|e| viewer.fail(e))?;
    let ids: Vec<String> = view.signups.iter().map(|s| s.customer_id.clone()).collect();
    let subjects = state.store.customer_subjects(&ids).await.map_err(|e| viewer.fail(e))?;
    view.signups.retain(|s| {
        subjects
            .iter()
            .find(|c| c.customer_id == s.customer_id)
            .is_some_and(|c| who.may_see_club_member(&c.branch_id, c.manager_id.as_deref()))
    });
    let body = html! {
        p { a href=(club_href(&view.club_id)) { (M::Club.text(lang)) " " (view.club_id) } }
        dl {
            dt { (M::Start.text(lang)) } dd { (view.starts_at) }
            dt { (M::Place.text(lang)) } dd { (view.place) }
            dt { (M::Capacity.text(lang)) } dd { (view.confirmed) " / " (view.capacity) }
            dt { (M::Allocation.text(lang)) } dd { (label::<ClubAllocation>(&view.allocation, lang)) }
            dt { (M::Waitlist.text(lang)) } dd { (if view.waitlist { M::Yes.text(lang) } else { M::No.text(lang) }) }
            @if let (Some(seed), Some(at)) = (view.draw_seed, &view.drawn_at) {
                dt { (M::Seed.text(lang)) } dd { (seed) }
                dt { (M::DrawnAt.text(lang)) } dd { (at) }
            }
        }
        table #signups {
            thead { tr {
                th { (M::Customer.text(lang)) } th { (M::Status.text(lang)) } th.num { (M::Position.text(lang)) } th { (M::Attended.text(lang)) }
            } }
            tbody {
                @for s in &view.signups {
                    tr {
                        td { (s.customer_id) }
                        td { (label::<SignupStatus>(&s.status, lang)) }
                        td.num { (s.position.map(|p| p.to_string()).unwrap_or_default()) }
                        td { (match s.attended { Some(true) => M::Yes.text(lang), Some(false) => M::No.text(lang), None => "" }) }
                    }
                }
            }
        }
        @if who.require(Permission::WorkClubs).is_ok() {
            form #sign-up method="post" action=(format!("/club-events/{event_id}/signups")) {
                label { (M::Customer.text(lang)) input name="customer_id" required; }
                button type="submit" { (M::SignUp.text(lang)) }
            }
        }
        @if who.require(Permission::ManageClubs).is_ok() && view.allocation == ClubAllocation::Draw.code() && view.drawn_at.is_none() {
            form #draw method="post" action=(format!("/club-events/{event_id}/draw")) {
                button type="submit" { (M::Draw.text(lang)) }
            }
        }
    };
    Ok(layout(&viewer, &view.title, &format!("/club-events/{event_id}"), body))
}

async fn sign_up(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<CustomerForm>,
) -> PageResult<Response> {
    viewer.require(Permission::WorkClubs)?;
    let event_id = event_in_scope(&state, &viewer, &id).await?;
    let customer = form.customer_id.trim();
    customer_in_scope(&state, &viewer, customer).await?;
    uc::sign_up(state.store.as_ref(), event_id, customer, &viewer.who.actor(), (state.clock)())
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(Redirect::to(&format!("/club-events/{event_id}")).into_response())
}

async fn draw(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> PageResult<Response> {
    viewer.require(Permission::ManageClubs)?;
    let event_id = event_in_scope(&state, &viewer, &id).await?;
    let seed = crate::clubs_api::random_seed().map_err(|e| viewer.fail(e))?;
    uc::draw(state.store.as_ref(), event_id, seed, &viewer.who.actor(), (state.clock)())
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(Redirect::to(&format!("/club-events/{event_id}")).into_response())
}

/// One line for the customer page: the customer's group and clubs, linked.
pub(crate) async fn customer_links(state: &AppState, viewer: &Viewer, customer_id: &str) -> Markup {
    let lang = viewer.lang;
    let row = state.store.find_row(weiwan_domain::TableId::Customers, customer_id).await.ok().flatten();
    let index = weiwan_domain::TableId::Customers.table().index("group_id");
    let group = row.and_then(|row| row[index].as_text().map(str::to_owned));
    let clubs: Vec<String> = state
        .store
        .memberships(customer_id)
        .await
        .map(|m| m.into_iter().filter(|m| m.left_at.is_none()).map(|m| m.club_id).collect())
        .unwrap_or_default();
    let see_group = viewer.who.require(Permission::ReadGroups).is_ok();
    let see_clubs = viewer.who.require(Permission::ReadClubs).is_ok();
    html! {
        p #related {
            (M::Group.text(lang)) ": "
            @match &group {
                Some(g) if see_group => a href=(format!("/groups/{}", encode_component(g))) { (g) },
                Some(g) => (g),
                None => (M::None.text(lang)),
            }
            " · " (M::CustomerClubs.text(lang)) ": "
            @if clubs.is_empty() { (M::None.text(lang)) }
            @for (i, club) in clubs.iter().enumerate() {
                @if i > 0 { ", " }
                @if see_clubs { a href=(club_href(club)) { (club) } } @else { (club) }
            }
        }
    }
}
