//! Clubs 俱乐部 (docs/clubs.md): clubs open to some VIP tiers, their members, events with
//! limited places given first come or by a seeded draw (with a waitlist 候补 if the event keeps
//! one), attendance, and points spent on club services; and the club activity the daily batch
//! copies into the data directory (attendance is a churn-model feature and a tag).
//!
//! Every change is one store transaction with its audit entry; a refused request changes
//! nothing. Who may do what is the server's business; these use cases check what holds for
//! whoever asks: the club exists, the customer's tier is eligible, sign-ups close when the event
//! starts and attendance opens then, and points never go below zero.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use weiwan_analytics::{ClubAttendanceRow, ClubMembershipRow, Lake, StoreSnapshot};
use weiwan_decision::clubs::{check_club, check_event, draw_order};
use weiwan_domain::TableId;
use weiwan_domain::codes::{ClubAllocation, CustomerKind, SignupStatus, VipTier};
use weiwan_storage::{
    Attendance, AuditEntry, Cancelled, ClubEventRecord, ClubRecord, Drawn, Joined, MembershipRecord,
    PointSpendRecord, SignUp, SignupRecord, Spent, Store,
};

use crate::cases::china;
use crate::error::{Error, Result};
use crate::tasks::{Actor, display};

/// Most points one spend may take.
pub const MAX_POINTS: i64 = 1_000_000;

fn audit(
    actor: &Actor,
    at: &str,
    action: &str,
    object_type: &str,
    object_id: &str,
    detail: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        id: 0,
        at: at.to_owned(),
        actor: actor.user_id.clone(),
        role: actor.role.clone(),
        action: action.to_owned(),
        object_type: object_type.to_owned(),
        object_id: object_id.to_owned(),
        detail: detail.to_string(),
    }
}

/// A new club, as a planner defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClub {
    pub club_id: String,
    pub name_zh: String,
    pub name_en: String,
    pub description: String,
    /// VIP tier codes that may join.
    pub tiers: Vec<String>,
    /// `None`: the whole province.
    pub branch_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClubView {
    pub club_id: String,
    pub name_zh: String,
    pub name_en: String,
    pub description: String,
    pub tiers: Vec<String>,
    pub branch_id: Option<String>,
    pub created_at: String,
    pub created_by: String,
    /// Current members.
    pub members: usize,
}

fn club_view(club: ClubRecord, members: usize) -> ClubView {
    ClubView {
        club_id: club.club_id,
        name_zh: club.name_zh,
        name_en: club.name_en,
        description: club.description,
        tiers: club.tiers,
        branch_id: club.branch_id,
        created_at: club.created_at,
        created_by: club.created_by,
        members,
    }
}

async fn find_club(store: &dyn Store, club_id: &str) -> Result<ClubRecord> {
    store.find_club(club_id).await?.ok_or_else(|| Error::NotFound(format!("club {club_id}")))
}

/// Creates a club; refuses a bad definition (every problem), an unknown branch, a taken id.
pub async fn create_club(
    store: &dyn Store,
    new: &NewClub,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<ClubView> {
    let tiers = check_club(&new.club_id, &new.name_zh, &new.name_en, &new.tiers)
        .map_err(|problems| Error::Invalid(problems.join("; ")))?;
    if new.description.chars().count() > 500 {
        return Err(Error::Invalid("description: at most 500 characters".into()));
    }
    if let Some(branch) = &new.branch_id
        && store.find_row(TableId::Branches, branch).await?.is_none()
    {
        return Err(Error::Invalid(format!("branch_id: no branch {branch}")));
    }
    let at = now.to_rfc3339();
    let club = ClubRecord {
        club_id: new.club_id.clone(),
        name_zh: new.name_zh.trim().to_owned(),
        name_en: new.name_en.trim().to_owned(),
        description: new.description.trim().to_owned(),
        tiers: tiers.iter().map(|t| t.code().to_owned()).collect(),
        branch_id: new.branch_id.clone(),
        created_at: at.clone(),
        created_by: actor.user_id.clone(),
    };
    let detail = serde_json::json!({"tiers": club.tiers, "branch_id": club.branch_id});
    if !store.create_club(&club, &audit(actor, &at, "create_club", "club", &club.club_id, detail)).await? {
        return Err(Error::Conflict(format!("club {} exists already", club.club_id)));
    }
    Ok(club_view(club, 0))
}

/// Every club with its current member count, optionally only those open to a branch's customers.
pub async fn list_clubs(store: &dyn Store, branch_id: Option<&str>) -> Result<Vec<ClubView>> {
    let mut clubs = Vec::new();
    for club in store.clubs().await? {
        if let (Some(asked), Some(own)) = (branch_id, &club.branch_id)
            && asked != own
        {
            continue;
        }
        let members = store.club_members(&club.club_id).await?.iter().filter(|m| m.left_at.is_none()).count();
        clubs.push(club_view(club, members));
    }
    Ok(clubs)
}

/// A club with its members and events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClubDetail {
    pub club: ClubView,
    /// Current members, by customer.
    pub members: Vec<MemberRow>,
    /// By start.
    pub events: Vec<EventView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberRow {
    pub customer_id: String,
    pub branch_id: String,
    pub manager_id: Option<String>,
    pub joined_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventView {
    pub event_id: i64,
    pub club_id: String,
    pub title: String,
    pub place: String,
    pub starts_at: String,
    pub capacity: i64,
    pub allocation: String,
    pub allocation_zh: String,
    pub waitlist: bool,
    pub confirmed: i64,
    pub draw_seed: Option<i64>,
    pub drawn_at: Option<String>,
    pub drawn_by: Option<String>,
    /// Sign-ups, confirmed first, then applied, then the waitlist in order; empty in lists.
    pub signups: Vec<SignupView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignupView {
    pub signup_id: i64,
    pub event_id: i64,
    pub customer_id: String,
    pub status: String,
    pub status_zh: String,
    pub position: Option<i64>,
    pub signed_up_at: String,
    pub signed_up_by: String,
    pub attended: Option<bool>,
}

fn signup_view(s: SignupRecord) -> SignupView {
    let status_zh = s.status.parse::<SignupStatus>().map(|x| x.label_zh().to_owned()).unwrap_or_default();
    SignupView {
        signup_id: s.signup_id,
        event_id: s.event_id,
        customer_id: s.customer_id,
        status: s.status,
        status_zh,
        position: s.position,
        signed_up_at: s.signed_up_at,
        signed_up_by: s.signed_up_by,
        attended: s.attended,
    }
}

fn event_view(e: ClubEventRecord, signups: Vec<SignupRecord>) -> EventView {
    let allocation_zh =
        e.allocation.parse::<ClubAllocation>().map(|a| a.label_zh().to_owned()).unwrap_or_default();
    EventView {
        event_id: e.event_id,
        club_id: e.club_id,
        title: e.title,
        place: e.place,
        starts_at: e.starts_at,
        capacity: e.capacity,
        allocation: e.allocation,
        allocation_zh,
        waitlist: e.waitlist,
        confirmed: e.confirmed,
        draw_seed: e.draw_seed,
        drawn_at: e.drawn_at,
        drawn_by: e.drawn_by,
        signups: signups.into_iter().map(signup_view).collect(),
    }
}

/// A club with its current members (those `visible` lets through: the caller's scope) and events.
pub async fn club_detail(
    store: &dyn Store,
    club_id: &str,
    visible: &(dyn Fn(&str, Option<&str>) -> bool + Send + Sync),
) -> Result<ClubDetail> {
    let club = find_club(store, club_id).await?;
    let current: Vec<MembershipRecord> =
        store.club_members(club_id).await?.into_iter().filter(|m| m.left_at.is_none()).collect();
    let ids: Vec<String> = current.iter().map(|m| m.customer_id.clone()).collect();
    let subjects = store.customer_subjects(&ids).await?;
    let members = current
        .iter()
        .filter_map(|m| {
            let s = subjects.iter().find(|s| s.customer_id == m.customer_id)?;
            visible(&s.branch_id, s.manager_id.as_deref()).then(|| MemberRow {
                customer_id: m.customer_id.clone(),
                branch_id: s.branch_id.clone(),
                manager_id: s.manager_id.clone(),
                joined_at: m.joined_at.clone(),
            })
        })
        .collect();
    let events = store.club_events(club_id).await?.into_iter().map(|e| event_view(e, Vec::new())).collect();
    Ok(ClubDetail { club: club_view(club, current.len()), members, events })
}

/// A customer's standing for clubs: tier, branch and manager, for eligibility and scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClubCustomer {
    pub customer_id: String,
    pub vip_tier: VipTier,
    pub branch_id: String,
    pub manager_id: Option<String>,
}

/// The customer, for the caller's scope check; refuses a group customer (clubs are for people).
pub async fn club_customer(store: &dyn Store, customer_id: &str) -> Result<ClubCustomer> {
    let row = store
        .find_row(TableId::Customers, customer_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("customer {customer_id}")))?;
    let table = TableId::Customers.table();
    let get = |name: &str| display(&row[table.index(name)]);
    if get("kind") == CustomerKind::Group.code() {
        return Err(Error::Invalid(format!(
            "customer {customer_id} is a group customer; clubs are for individuals"
        )));
    }
    let tier = get("vip_tier");
    Ok(ClubCustomer {
        customer_id: customer_id.to_owned(),
        vip_tier: tier
            .parse()
            .map_err(|e| Error::Invalid(format!("customer {customer_id}: vip_tier: {e}")))?,
        branch_id: get("branch_id"),
        manager_id: Some(get("manager_id")).filter(|m| !m.is_empty()),
    })
}

fn check_eligible(club: &ClubRecord, customer: &ClubCustomer) -> Result<()> {
    if !club.tiers.iter().any(|t| t == customer.vip_tier.code()) {
        return Err(Error::Invalid(format!(
            "customer {} ({} {}) is not eligible for club {}: it is open to {}",
            customer.customer_id,
            customer.vip_tier.code(),
            customer.vip_tier.label_zh(),
            club.club_id,
            club.tiers.join(", ")
        )));
    }
    if let Some(branch) = &club.branch_id
        && branch != &customer.branch_id
    {
        return Err(Error::Invalid(format!(
            "customer {} belongs to branch {}; club {} is for branch {branch}",
            customer.customer_id, customer.branch_id, club.club_id
        )));
    }
    Ok(())
}

/// Makes an eligible customer a member (or a member again).
pub async fn join_club(
    store: &dyn Store,
    club_id: &str,
    customer_id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<MembershipRecord> {
    let club = find_club(store, club_id).await?;
    let customer = club_customer(store, customer_id).await?;
    check_eligible(&club, &customer)?;
    let at = now.to_rfc3339();
    let membership = MembershipRecord {
        club_id: club_id.to_owned(),
        customer_id: customer_id.to_owned(),
        joined_at: at.clone(),
        joined_by: actor.user_id.clone(),
        left_at: None,
        left_by: None,
    };
    let detail = serde_json::json!({"customer_id": customer_id, "vip_tier": customer.vip_tier.code()});
    match store.join_club(&membership, &audit(actor, &at, "join_club", "club", club_id, detail)).await? {
        Joined::New | Joined::Rejoined => Ok(membership),
        Joined::AlreadyMember => {
            Err(Error::Conflict(format!("customer {customer_id} is a member of club {club_id} already")))
        }
    }
}

/// Ends a membership.
pub async fn leave_club(
    store: &dyn Store,
    club_id: &str,
    customer_id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<()> {
    find_club(store, club_id).await?;
    let at = now.to_rfc3339();
    let detail = serde_json::json!({"customer_id": customer_id});
    let audit = audit(actor, &at, "leave_club", "club", club_id, detail);
    if !store.leave_club(club_id, customer_id, &at, &actor.user_id, &audit).await? {
        return Err(Error::Conflict(format!("customer {customer_id} is not a member of club {club_id}")));
    }
    Ok(())
}

/// A new event, as a planner defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub title: String,
    pub place: String,
    /// `YYYY-MM-DD HH:MM` China time.
    pub starts_at: String,
    pub capacity: i64,
    /// A `ClubAllocation` code.
    pub allocation: String,
    pub waitlist: bool,
}

fn parse_start(text: &str) -> Result<DateTime<Utc>> {
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .map_err(|_| Error::Invalid(format!("starts_at: {text:?} is not YYYY-MM-DD HH:MM (China time)")))?;
    local
        .and_local_timezone(china())
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| Error::Invalid(format!("starts_at: {text:?} is not a valid time")))
}

fn stored_time(field: &str, text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::Invalid(format!("stored {field} {text:?}: {e}")))
}

/// Creates an event of a club; it must start after `now`.
pub async fn create_event(
    store: &dyn Store,
    club_id: &str,
    new: &NewEvent,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<EventView> {
    find_club(store, club_id).await?;
    let mut problems = check_event(&new.title, new.capacity).err().unwrap_or_default();
    if new.place.chars().count() > 100 {
        problems.push("place: at most 100 characters".to_owned());
    }
    let allocation =
        new.allocation.parse::<ClubAllocation>().map_err(|e| problems.push(format!("allocation: {e}")));
    let starts = parse_start(&new.starts_at)
        .map_err(|e| problems.push(e.to_string().replace("invalid request: ", "")));
    if let Ok(starts) = starts
        && starts <= now
    {
        problems.push(format!("starts_at: {} is not in the future", new.starts_at));
    }
    let (Ok(allocation), Ok(starts), true) = (allocation, starts, problems.is_empty()) else {
        return Err(Error::Invalid(problems.join("; ")));
    };
    let at = now.to_rfc3339();
    let event = ClubEventRecord {
        event_id: 0,
        club_id: club_id.to_owned(),
        title: new.title.trim().to_owned(),
        place: new.place.trim().to_owned(),
        starts_at: starts.to_rfc3339(),
        capacity: new.capacity,
        allocation: allocation.code().to_owned(),
        waitlist: new.waitlist,
        confirmed: 0,
        draw_seed: None,
        drawn_at: None,
        drawn_by: None,
        created_at: at.clone(),
        created_by: actor.user_id.clone(),
    };
    let detail =
        serde_json::json!({"club_id": club_id, "capacity": new.capacity, "allocation": allocation.code()});
    let stored =
        store.create_event(&event, &audit(actor, &at, "create_club_event", "club_event", "", detail)).await?;
    Ok(event_view(stored, Vec::new()))
}

async fn find_club_event(store: &dyn Store, event_id: i64) -> Result<ClubEventRecord> {
    store.find_club_event(event_id).await?.ok_or_else(|| Error::NotFound(format!("club event {event_id}")))
}

/// A stored event, for the caller's scope check.
pub async fn event(store: &dyn Store, event_id: i64) -> Result<ClubEventRecord> {
    find_club_event(store, event_id).await
}

/// An event with its sign-ups.
pub async fn event_detail(store: &dyn Store, event_id: i64) -> Result<EventView> {
    let event = find_club_event(store, event_id).await?;
    let signups = store.signups(event_id).await?;
    Ok(event_view(event, signups))
}

fn before_start(event: &ClubEventRecord, now: DateTime<Utc>, what: &str) -> Result<()> {
    if now >= stored_time("starts_at", &event.starts_at)? {
        return Err(Error::Conflict(format!(
            "club event {} started at {}: {what} closed then",
            event.event_id, event.starts_at
        )));
    }
    Ok(())
}

/// Signs a member up for an event: a place (first come, while places last), an application
/// (before a draw), or the end of the waitlist. Refuses an unknown event, a customer whose tier
/// the club is not open to (any more), a non-member, a second sign-up, a full event without a
/// waitlist, and sign-ups once the event started.
pub async fn sign_up(
    store: &dyn Store,
    event_id: i64,
    customer_id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<SignupView> {
    let event = find_club_event(store, event_id).await?;
    before_start(&event, now, "sign-ups")?;
    let club = find_club(store, &event.club_id).await?;
    check_eligible(&club, &club_customer(store, customer_id).await?)?;
    let at = now.to_rfc3339();
    let detail = serde_json::json!({"customer_id": customer_id, "club_id": event.club_id});
    let audit = audit(actor, &at, "club_sign_up", "club_event", &event_id.to_string(), detail);
    match store.sign_up(event_id, customer_id, &at, &actor.user_id, &audit).await? {
        SignUp::Stored(signup) => Ok(signup_view(signup)),
        SignUp::AlreadySignedUp(signup) => Err(Error::Conflict(format!(
            "customer {customer_id} signed up for club event {event_id} already ({})",
            signup.status
        ))),
        SignUp::Full => Err(Error::Conflict(format!(
            "club event {event_id} is full: {} of {} places taken and it keeps no waitlist",
            event.capacity, event.capacity
        ))),
        SignUp::NotMember => Err(Error::Invalid(format!(
            "customer {customer_id} is not a member of club {}; join the club first",
            event.club_id
        ))),
        SignUp::NoEvent => Err(Error::NotFound(format!("club event {event_id}"))),
    }
}

/// What a cancellation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CancelOutcome {
    /// The waitlisted customer who got the freed place.
    pub promoted: Option<SignupView>,
}

/// Cancels a sign-up before the event; a freed place goes to the first on the waitlist.
pub async fn cancel_signup(
    store: &dyn Store,
    event_id: i64,
    customer_id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<CancelOutcome> {
    let event = find_club_event(store, event_id).await?;
    before_start(&event, now, "cancellations")?;
    let at = now.to_rfc3339();
    let detail = serde_json::json!({"customer_id": customer_id});
    let audit = audit(actor, &at, "club_cancel", "club_event", &event_id.to_string(), detail);
    match store.cancel_signup(event_id, customer_id, &at, &actor.user_id, &audit).await? {
        Cancelled::Cancelled { promoted } => Ok(CancelOutcome { promoted: promoted.map(signup_view) }),
        Cancelled::NotSignedUp => {
            Err(Error::Conflict(format!("customer {customer_id} holds no sign-up for club event {event_id}")))
        }
        Cancelled::NoEvent => Err(Error::NotFound(format!("club event {event_id}"))),
    }
}

/// Makes a draw event's draw before it starts, with `seed` (0 to 2^63 − 1, recorded, so the
/// draw can be redone and checked: `weiwan_decision::clubs::draw_order`). Returns the event with
/// its sign-ups.
pub async fn draw(
    store: &dyn Store,
    event_id: i64,
    seed: u64,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<EventView> {
    let stored_seed =
        i64::try_from(seed).map_err(|_| Error::Invalid(format!("seed: {seed} is above 2^63 - 1")))?;
    let event = find_club_event(store, event_id).await?;
    before_start(&event, now, "the draw")?;
    let at = now.to_rfc3339();
    let order = move |applicants: &[SignupRecord]| {
        let pairs: Vec<(i64, String)> =
            applicants.iter().map(|s| (s.signup_id, s.customer_id.clone())).collect();
        draw_order(seed, &pairs)
    };
    let detail = serde_json::json!({"seed": seed, "capacity": event.capacity});
    let audit = audit(actor, &at, "club_draw", "club_event", &event_id.to_string(), detail);
    match store.draw(event_id, stored_seed, &at, &actor.user_id, &order, &audit).await? {
        Drawn::Drawn(_) => event_detail(store, event_id).await,
        Drawn::AlreadyDrawn => Err(Error::Conflict(format!(
            "club event {event_id} was drawn already (seed {})",
            event.draw_seed.map_or("?".to_owned(), |s| s.to_string())
        ))),
        Drawn::NotADraw => Err(Error::Conflict(format!(
            "club event {event_id} gives its places first come, first served; there is no draw"
        ))),
        Drawn::NoEvent => Err(Error::NotFound(format!("club event {event_id}"))),
    }
}

/// Records who came to an event once it started, all or nothing: every customer named must hold
/// a confirmed place. Recording again corrects (the audit log keeps both).
pub async fn record_attendance(
    store: &dyn Store,
    event_id: i64,
    attendance: &[(String, bool)],
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<usize> {
    let event = find_club_event(store, event_id).await?;
    if now < stored_time("starts_at", &event.starts_at)? {
        return Err(Error::Conflict(format!(
            "club event {event_id} starts at {}: attendance is recorded once it started",
            event.starts_at
        )));
    }
    if attendance.is_empty() {
        return Err(Error::Invalid("attendance: name at least one customer".into()));
    }
    let at = now.to_rfc3339();
    let came = attendance.iter().filter(|(_, a)| *a).count();
    let detail = serde_json::json!({"recorded": attendance.len(), "attended": came});
    let audit = audit(actor, &at, "club_attendance", "club_event", &event_id.to_string(), detail);
    match store.record_attendance(event_id, attendance, &at, &actor.user_id, &audit).await? {
        Attendance::Recorded(n) => Ok(n),
        Attendance::NotConfirmed(customers) => Err(Error::Invalid(format!(
            "club event {event_id}: {} hold no confirmed place; nothing was recorded",
            customers.join(", ")
        ))),
    }
}

/// A customer's points as weiwan sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PointsStanding {
    pub customer_id: String,
    /// The points ledger's balance in the lake (earned − redeemed − expired).
    pub ledger_balance: i64,
    /// Spent on club services through weiwan.
    pub spent_in_weiwan: i64,
    pub available: i64,
}

/// A customer's points: the lake's ledger balance minus what weiwan spent.
pub async fn points(store: &dyn Store, lake: &Lake, customer_id: &str) -> Result<PointsStanding> {
    let ledger_balance = weiwan_analytics::members::points_balance(lake, customer_id).await?;
    let spent_in_weiwan = store.points_spent(customer_id).await?;
    Ok(PointsStanding {
        customer_id: customer_id.to_owned(),
        ledger_balance,
        spent_in_weiwan,
        available: ledger_balance - spent_in_weiwan,
    })
}

/// A points spend, as a manager records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSpend {
    pub club_id: String,
    pub customer_id: String,
    /// What the points buy (1 to 100 characters).
    pub service: String,
    pub points: i64,
}

/// What a spend left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpendOutcome {
    pub spend_id: i64,
    pub points: i64,
    pub available_after: i64,
}

/// Spends a member's points on a club service; refuses when the ledger's balance minus what
/// weiwan spent before does not cover it (checked again inside the store's one conditional
/// update, so spends at once never overdraw).
pub async fn spend_points(
    store: &dyn Store,
    lake: &Lake,
    spend: &NewSpend,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<SpendOutcome> {
    let mut problems = Vec::new();
    if !(1..=MAX_POINTS).contains(&spend.points) {
        problems.push(format!("points: {} is not 1 to {MAX_POINTS}", spend.points));
    }
    let service = spend.service.trim();
    if service.is_empty() || service.chars().count() > 100 {
        problems.push("service: 1 to 100 characters: what the points buy".to_owned());
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems.join("; ")));
    }
    find_club(store, &spend.club_id).await?;
    let member = store
        .memberships(&spend.customer_id)
        .await?
        .into_iter()
        .any(|m| m.club_id == spend.club_id && m.left_at.is_none());
    if !member {
        return Err(Error::Invalid(format!(
            "customer {} is not a member of club {}; club services are for members",
            spend.customer_id, spend.club_id
        )));
    }
    let ledger_balance = weiwan_analytics::members::points_balance(lake, &spend.customer_id).await?;
    let at = now.to_rfc3339();
    let record = PointSpendRecord {
        spend_id: 0,
        club_id: spend.club_id.clone(),
        customer_id: spend.customer_id.clone(),
        service: service.to_owned(),
        points: spend.points,
        spent_at: at.clone(),
        spent_by: actor.user_id.clone(),
    };
    let detail = serde_json::json!({
        "club_id": spend.club_id, "customer_id": spend.customer_id, "points": spend.points, "service": service,
        "ledger_balance": ledger_balance,
    });
    match store
        .spend_points(&record, ledger_balance, &audit(actor, &at, "spend_points", "points_spend", "", detail))
        .await?
    {
        Spent::Spent { spend: stored, spent_total } => Ok(SpendOutcome {
            spend_id: stored.spend_id,
            points: stored.points,
            available_after: ledger_balance - spent_total,
        }),
        Spent::Insufficient { available } => Err(Error::Conflict(format!(
            "customer {} has {available} points available (ledger {ledger_balance} minus {} spent through weiwan); \
             {} needed",
            spend.customer_id,
            ledger_balance - available,
            spend.points
        ))),
    }
}

/// A customer's clubs: memberships (current and past) and sign-ups, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerClubs {
    pub customer_id: String,
    pub memberships: Vec<MembershipView>,
    pub signups: Vec<SignupView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MembershipView {
    pub club_id: String,
    pub joined_at: String,
    pub left_at: Option<String>,
}

pub async fn customer_clubs(store: &dyn Store, customer_id: &str) -> Result<CustomerClubs> {
    let memberships = store
        .memberships(customer_id)
        .await?
        .into_iter()
        .map(|m| MembershipView { club_id: m.club_id, joined_at: m.joined_at, left_at: m.left_at })
        .collect();
    let signups = store.customer_signups(customer_id).await?.into_iter().map(signup_view).collect();
    Ok(CustomerClubs { customer_id: customer_id.to_owned(), memberships, signups })
}

/// The China-time day of a stored time.
fn day(field: &str, text: &str) -> Result<chrono::NaiveDate> {
    Ok(stored_time(field, text)?.with_timezone(&china()).date_naive())
}

/// What the daily batch copies from the store before it builds the 360 table: club activity
/// and key persons (see `weiwan_analytics::store_snapshot`).
pub async fn store_snapshot(store: &dyn Store) -> Result<StoreSnapshot> {
    let activity = store.club_activity().await?;
    let memberships = activity
        .memberships
        .iter()
        .map(|m| {
            Ok(ClubMembershipRow {
                customer_id: m.customer_id.clone(),
                club_id: m.club_id.clone(),
                joined_on: day("joined_at", &m.joined_at)?,
                left_on: m.left_at.as_deref().map(|t| day("left_at", t)).transpose()?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let attendance = activity
        .attended
        .iter()
        .map(|a| {
            Ok(ClubAttendanceRow {
                customer_id: a.customer_id.clone(),
                club_id: a.club_id.clone(),
                event_id: a.event_id,
                held_on: day("starts_at", &a.starts_at)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let key_persons = crate::groups::key_person_rows(store).await?;
    Ok(StoreSnapshot { memberships, attendance, key_persons })
}
