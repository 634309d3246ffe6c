//! What clubs 俱乐部 keep: the clubs (with the VIP tiers that may join), their members, their
//! events with limited places (first come, or a seeded draw, with a waitlist 候补 if the event
//! keeps one), sign-ups and attendance, and the points customers spend on club services.
//!
//! Who may join and when sign-ups close is weiwan-app's business (with weiwan-decision's draw);
//! the store makes every change one transaction with its audit entry, and keeps the counts
//! honest when people act at once: sign-ups, cancellations and the draw of one event take turns
//! (each first moves the event's row), places never exceed the capacity, and a points spend is
//! one conditional update that refuses to overdraw. Codes are the domain's code strings; times
//! RFC 3339 from the caller's clock.

use async_trait::async_trait;

use crate::Result;
use crate::service::AuditEntry;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClubRecord {
    pub club_id: String,
    pub name_zh: String,
    pub name_en: String,
    pub description: String,
    /// `VipTier` codes that may join.
    pub tiers: Vec<String>,
    /// `None`: the whole province.
    pub branch_id: Option<String>,
    pub created_at: String,
    pub created_by: String,
}

/// A customer's membership of a club; `left_at` is set once they left (and cleared if they
/// join again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipRecord {
    pub club_id: String,
    pub customer_id: String,
    pub joined_at: String,
    pub joined_by: String,
    pub left_at: Option<String>,
    pub left_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClubEventRecord {
    /// Assigned by the store; ignored when creating.
    pub event_id: i64,
    pub club_id: String,
    pub title: String,
    pub place: String,
    pub starts_at: String,
    pub capacity: i64,
    /// A `ClubAllocation` code.
    pub allocation: String,
    /// Sign-ups beyond the places wait for one, or are refused.
    pub waitlist: bool,
    /// Places taken.
    pub confirmed: i64,
    pub draw_seed: Option<i64>,
    pub drawn_at: Option<String>,
    pub drawn_by: Option<String>,
    pub created_at: String,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignupRecord {
    pub signup_id: i64,
    pub event_id: i64,
    pub customer_id: String,
    /// A `SignupStatus` code.
    pub status: String,
    /// A waitlisted sign-up's place in the queue (1 is next).
    pub position: Option<i64>,
    pub signed_up_at: String,
    pub signed_up_by: String,
    pub changed_at: String,
    pub attended: Option<bool>,
    pub attendance_at: Option<String>,
    pub attendance_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointSpendRecord {
    /// Assigned by the store; ignored when spending.
    pub spend_id: i64,
    pub club_id: String,
    pub customer_id: String,
    /// What the points bought (a club service: lounge access, a gift, a seat).
    pub service: String,
    pub points: i64,
    pub spent_at: String,
    pub spent_by: String,
}

/// An event a member attended, for the daily batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendedRecord {
    pub customer_id: String,
    pub club_id: String,
    pub event_id: i64,
    pub starts_at: String,
}

/// Everything the daily batch needs of clubs: every membership (current and past) and every
/// attendance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClubActivity {
    pub memberships: Vec<MembershipRecord>,
    pub attended: Vec<AttendedRecord>,
}

/// How joining went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    New,
    /// A former member joined again.
    Rejoined,
    /// Already a member: nothing changed (and nothing audited).
    AlreadyMember,
}

/// How a sign-up went. Only `Stored` changed anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignUp {
    /// Confirmed, applied for the draw, or waitlisted, as the record says.
    Stored(SignupRecord),
    /// The customer holds a sign-up for the event already (applied, confirmed or waitlisted).
    AlreadySignedUp(SignupRecord),
    /// No place left and the event keeps no waitlist.
    Full,
    /// The customer is not a current member of the event's club.
    NotMember,
    NoEvent,
}

/// How a cancellation went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cancelled {
    /// Cancelled; when it freed a place, the first on the waitlist who got it.
    Cancelled {
        promoted: Option<SignupRecord>,
    },
    /// The customer holds no sign-up for the event (or cancelled it already).
    NotSignedUp,
    NoEvent,
}

/// How a draw went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drawn {
    /// Drawn: every applicant in the draw's order, with their new status.
    Drawn(Vec<SignupRecord>),
    AlreadyDrawn,
    /// The event gives its places first come, first served.
    NotADraw,
    NoEvent,
}

/// How recording attendance went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attendance {
    Recorded(usize),
    /// These customers hold no confirmed place at the event: nothing was recorded.
    NotConfirmed(Vec<String>),
}

/// How a points spend went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spent {
    /// Stored; `spent_total` is everything weiwan has spent for the customer since.
    Spent { spend: PointSpendRecord, spent_total: i64 },
    /// The points left (the ledger's balance minus what weiwan spent) do not cover it.
    Insufficient { available: i64 },
}

/// The order of a draw: given the applicants, their ids, first drawn first.
pub type DrawOrder<'a> = &'a (dyn Fn(&[SignupRecord]) -> Vec<i64> + Send + Sync);

#[async_trait]
pub trait ClubStore: Send + Sync {
    /// Creates a club with its audit entry; false (and nothing stored) when the id is taken.
    async fn create_club(&self, club: &ClubRecord, audit: &AuditEntry) -> Result<bool>;
    /// Every club, by id.
    async fn clubs(&self) -> Result<Vec<ClubRecord>>;
    async fn find_club(&self, club_id: &str) -> Result<Option<ClubRecord>>;
    /// Makes the customer a member (`left_*` of the record are ignored), with the audit entry.
    async fn join_club(&self, membership: &MembershipRecord, audit: &AuditEntry) -> Result<Joined>;
    /// Ends a current membership with its audit entry; false (nothing changed) when the
    /// customer is not a current member.
    async fn leave_club(
        &self,
        club_id: &str,
        customer_id: &str,
        at: &str,
        by: &str,
        audit: &AuditEntry,
    ) -> Result<bool>;
    /// A club's memberships, current and past, by customer.
    async fn club_members(&self, club_id: &str) -> Result<Vec<MembershipRecord>>;
    /// A customer's memberships, current and past, by club.
    async fn memberships(&self, customer_id: &str) -> Result<Vec<MembershipRecord>>;
    /// Creates an event (its `event_id`, `confirmed` and draw fields are ignored) with the audit
    /// entry, whose `object_id` is filled in with the new id.
    async fn create_event(&self, event: &ClubEventRecord, audit: &AuditEntry) -> Result<ClubEventRecord>;
    async fn find_club_event(&self, event_id: i64) -> Result<Option<ClubEventRecord>>;
    /// A club's events, by start then id.
    async fn club_events(&self, club_id: &str) -> Result<Vec<ClubEventRecord>>;
    /// Signs a current member up: a place if one is free (first come), an application before a
    /// draw, else the end of the waitlist if the event keeps one. A cancelled sign-up may sign up
    /// again. With the audit entry, in one transaction.
    async fn sign_up(
        &self,
        event_id: i64,
        customer_id: &str,
        at: &str,
        by: &str,
        audit: &AuditEntry,
    ) -> Result<SignUp>;
    /// Cancels a sign-up; a place it frees goes to the first on the waitlist. One transaction.
    async fn cancel_signup(
        &self,
        event_id: i64,
        customer_id: &str,
        at: &str,
        by: &str,
        audit: &AuditEntry,
    ) -> Result<Cancelled>;
    /// Makes a draw event's draw, once: `order` ranks the applicants; the first `capacity` get a
    /// place, the rest wait in that order if the event keeps a waitlist, else are cancelled.
    /// Records the seed, when and by whom. One transaction.
    async fn draw(
        &self,
        event_id: i64,
        seed: i64,
        at: &str,
        by: &str,
        order: DrawOrder<'_>,
        audit: &AuditEntry,
    ) -> Result<Drawn>;
    /// Records who came (true) and who did not (false), all or nothing: every customer must
    /// hold a confirmed place. Recording again corrects. One transaction with the audit entry.
    async fn record_attendance(
        &self,
        event_id: i64,
        attendance: &[(String, bool)],
        at: &str,
        by: &str,
        audit: &AuditEntry,
    ) -> Result<Attendance>;
    /// An event's sign-ups: confirmed, applied, waitlisted by position, cancelled; then by id.
    async fn signups(&self, event_id: i64) -> Result<Vec<SignupRecord>>;
    /// A customer's sign-ups, newest first.
    async fn customer_signups(&self, customer_id: &str) -> Result<Vec<SignupRecord>>;
    /// Spends points on a club service if `ledger_balance` (the customer's balance in the points
    /// ledger) minus what weiwan spent before covers it, in one conditional update, with the
    /// audit entry.
    async fn spend_points(
        &self,
        spend: &PointSpendRecord,
        ledger_balance: i64,
        audit: &AuditEntry,
    ) -> Result<Spent>;
    /// Points weiwan has spent for a customer.
    async fn points_spent(&self, customer_id: &str) -> Result<i64>;
    /// A customer's spends, newest first.
    async fn point_spends(&self, customer_id: &str) -> Result<Vec<PointSpendRecord>>;
    /// Every membership and attendance, for the daily batch.
    async fn club_activity(&self) -> Result<ClubActivity>;
}
