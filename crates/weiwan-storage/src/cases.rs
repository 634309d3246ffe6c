//! What retention cases 拆机挽留 keep: the cases (one open per line, owned by whoever received
//! the request first, 首问制), the concessions (让利) offered or asked for on them, and every
//! change as an append-only event.
//!
//! What a change means is weiwan-decision's and weiwan-app's business; the store makes each
//! change one transaction with its event, applies it only to the version of the case it was
//! decided on, and keeps a second request to leave for the same line from opening a second case.
//! Codes are the domain's code strings; times RFC 3339 from the caller's clock; amounts fen.

use async_trait::async_trait;

use crate::Result;

/// A retention case as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRecord {
    /// Assigned by the store; ignored when opening.
    pub case_id: i64,
    pub customer_id: String,
    pub subscription_id: String,
    pub branch_id: String,
    /// The customer's manager when the case opened.
    pub manager_id: Option<String>,
    /// A `CaseKind` code.
    pub kind: String,
    /// A `CaseStatus` code.
    pub status: String,
    /// 首问负责人: the user who received the request first.
    pub owner_id: String,
    /// Where the request came in (`store`, `hotline`, `outbound`, `manager`).
    pub channel: String,
    pub reason: String,
    /// The line's monthly fee when the case opened, if known.
    pub monthly_fee_fen: Option<i64>,
    pub opened_at: String,
    pub escalated_at: Option<String>,
    pub escalated_by: Option<String>,
    /// Who at the retention desk took the case.
    pub desk_owner_id: Option<String>,
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
    /// A `CaseOutcome` code once closed.
    pub outcome: Option<String>,
    /// For a line kept on a cheaper plan: that plan's monthly fee.
    pub kept_fee_fen: Option<i64>,
    /// Grows by one with every change; 0 when opened.
    pub version: i64,
}

/// A concession offered, or asked for, on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcessionRecord {
    /// Assigned by the store; ignored when adding.
    pub concession_id: i64,
    pub case_id: i64,
    /// A `ConcessionKind` code.
    pub kind: String,
    pub amount_fen: i64,
    /// `first_line`, `desk` or `approval`: the level its amount and kind need.
    pub level: String,
    /// A `ConcessionStatus` code.
    pub status: String,
    pub requested_by: String,
    pub requested_at: String,
    pub approver_id: Option<String>,
    pub decided_at: Option<String>,
    pub note: String,
}

/// One change of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEventRecord {
    pub case_id: i64,
    pub at: String,
    pub user_id: String,
    /// `open`, `join`, or a step (`note`, `offer`, `decline`, `escalate`, `claim`, `approve`,
    /// `reject`, `close`).
    pub action: String,
    pub from_status: String,
    pub to_status: String,
    /// The concession the change concerns; for an offer, filled in by the store.
    pub concession_id: Option<i64>,
    /// Where the person received the customer, for `open` and `join`; else empty.
    pub channel: String,
    pub note: String,
}

/// A concession's move from one status to another, part of a [`CaseUpdate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcessionUpdate {
    pub concession_id: i64,
    pub from_status: String,
    pub to_status: String,
    /// Set on approval or rejection.
    pub approver_id: Option<String>,
    pub decided_at: Option<String>,
}

/// A change of a case: its new state, a concession to add, concessions to move, and the event;
/// all or nothing, and only if the case is still at `case.version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseUpdate {
    /// The case as it is to be; `case_id` and `version` (the version read) name what changes.
    /// Its status, escalation, desk owner, closing and outcome columns are written.
    pub case: CaseRecord,
    pub new_concession: Option<ConcessionRecord>,
    pub concession_updates: Vec<ConcessionUpdate>,
    pub event: CaseEventRecord,
}

/// How a change went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseUpdated {
    /// Stored; the id of the concession added, if one was.
    Applied { concession_id: Option<i64> },
    /// The case (or a concession) changed meanwhile: nothing was stored.
    Stale,
}

/// How a request to leave went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// A new case, owned by the one who received the request.
    New(CaseRecord),
    /// The line had an open case: the request joined it, whose owner stays (首问制).
    Joined(CaseRecord),
}

/// Which cases to list. Every `Some` must hold; time bounds are half-open, `[from, to)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFilter {
    pub branch_id: Option<String>,
    pub status: Option<String>,
    pub kind: Option<String>,
    pub owner_id: Option<String>,
    pub customer_id: Option<String>,
    pub opened_from: Option<String>,
    pub opened_to: Option<String>,
    pub closed_from: Option<String>,
    pub closed_to: Option<String>,
    /// At most this many (0 means no limit).
    pub limit: i64,
}

#[async_trait]
pub trait CaseStore: Send + Sync {
    /// Opens a case for a request to leave, with its `open` event, in one transaction; when the
    /// line has an open case already (even one opened concurrently), adds a `join` event by
    /// `case.owner_id` (the one who received this request) to it instead, leaving its owner.
    async fn open_case(&self, case: &CaseRecord) -> Result<Opened>;
    /// Applies a change (see [`CaseUpdate`]).
    async fn update_case(&self, update: &CaseUpdate) -> Result<CaseUpdated>;
    async fn find_case(&self, case_id: i64) -> Result<Option<CaseRecord>>;
    /// Newest first.
    async fn cases(&self, filter: &CaseFilter) -> Result<Vec<CaseRecord>>;
    /// Oldest first.
    async fn case_events(&self, case_id: i64) -> Result<Vec<CaseEventRecord>>;
    /// The concessions of these cases, by case then id.
    async fn case_concessions(&self, case_ids: &[i64]) -> Result<Vec<ConcessionRecord>>;
}
