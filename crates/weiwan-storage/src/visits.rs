//! What the account managers' customer file 动态客户档案 keeps: the visit log 拜访纪要 (each
//! call or visit, editable only by its author, every version kept), the monthly visit plans,
//! and the facts their appraisal is read from (per assigned customer and month; outcomes, notes
//! and closed retention cases in a period).
//!
//! What a note or a measure means is weiwan-app's business; the store makes each change one
//! transaction with its revision row and audit entry, applies an edit only when its author asks
//! and only to the version the edit was made on. Codes are the domain's code strings; dates are
//! China-time calendar days; times RFC 3339 (UTC) from the caller's clock.

use async_trait::async_trait;
use chrono::NaiveDate;

use crate::{AuditEntry, Result};

/// What a note says: the part its author may change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitNoteContent {
    pub visited_on: NaiveDate,
    /// A `VisitChannel` code.
    pub channel: String,
    pub topic: String,
    pub promises: String,
    pub next_step: String,
    pub next_contact_on: Option<NaiveDate>,
}

/// A note of the visit log as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitNoteRecord {
    /// Assigned by the store; ignored when adding.
    pub note_id: i64,
    pub customer_id: String,
    /// The customer's branch and manager when the note was written.
    pub branch_id: String,
    pub manager_id: Option<String>,
    pub author_id: String,
    /// The author's employee id, when the author is a manager.
    pub author_manager_id: Option<String>,
    pub content: VisitNoteContent,
    pub created_at: String,
    pub updated_at: String,
    /// 1 when written; grows by one with every edit.
    pub version: i64,
}

/// One version of a note, as it was after a write or an edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitNoteRevision {
    pub note_id: i64,
    pub version: i64,
    pub edited_at: String,
    pub edited_by: String,
    pub content: VisitNoteContent,
}

/// What became of a request to add a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoteAdded {
    Added(VisitNoteRecord),
    /// The request id was seen before: the note it stored.
    Replayed(VisitNoteRecord),
}

/// What became of a request to edit a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoteEdited {
    Edited(VisitNoteRecord),
    NotFound,
    /// Only the author edits a note; nothing changed.
    NotAuthor {
        author_id: String,
    },
    /// The note changed since the version the edit was made on; nothing changed.
    Stale {
        version: i64,
    },
}

/// Which notes to list; every field set narrows the list. Newest visit first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VisitNoteFilter {
    pub customer_id: Option<String>,
    /// Notes written by this manager (employee id).
    pub author_manager_id: Option<String>,
    /// Notes about customers of this branch.
    pub branch_id: Option<String>,
    /// Notes about customers of this manager.
    pub manager_id: Option<String>,
    /// Notes written by the managers of this branch.
    pub author_branch_id: Option<String>,
    /// Visits on or after this day.
    pub from: Option<NaiveDate>,
    /// Visits before this day.
    pub until: Option<NaiveDate>,
    pub limit: i64,
}

/// One planned contact of a manager's monthly visit plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedContact {
    /// The first day of the plan's month.
    pub month: NaiveDate,
    pub manager_id: String,
    pub customer_id: String,
    pub branch_id: String,
    pub planned_on: NaiveDate,
    /// A `VisitChannel` code.
    pub channel: String,
    /// Reason codes, e.g. `quota`, `risk`, `value`, `next_step`.
    pub reasons: Vec<String>,
    /// 1 is the most important contact of the manager's month.
    pub rank: i64,
    pub generated_at: String,
}

/// Which planned contacts to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanFilter {
    pub manager_id: Option<String>,
    pub customer_id: Option<String>,
    pub branch_id: Option<String>,
    /// Planned on or after this day.
    pub from: Option<NaiveDate>,
    /// Planned before this day.
    pub until: Option<NaiveDate>,
    pub limit: i64,
}

/// Whose appraisal facts to read: every manager, a branch's, or one manager's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppraisalScope {
    pub branch_id: Option<String>,
    pub manager_id: Option<String>,
}

/// A manager as the extract describes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerRecord {
    pub manager_id: String,
    pub name: String,
    pub branch_id: String,
    /// `account`, `retention` or `outbound`.
    pub role: String,
}

/// What one assigned customer contributes to their manager's month `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerMonth {
    pub customer_id: String,
    pub manager_id: String,
    /// The manager's branch.
    pub branch_id: String,
    /// A `VipTier` code.
    pub vip_tier: String,
    pub joined_on: NaiveDate,
    /// A line of theirs was in the network on some day of the month.
    pub active_in_month: bool,
    /// A line of theirs was in the network on the month's last day.
    pub in_network_at_end: bool,
    /// A contract or binding of theirs started in the month.
    pub bought_in_month: bool,
    /// A contract or binding of theirs started before the month.
    pub bought_before: bool,
}

/// An outcome recorded on a manager's task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskContact {
    pub manager_id: String,
    pub customer_id: String,
    /// The task's `TaskAction` and `RuleCategory` codes.
    pub action: String,
    pub category: String,
    /// A `TaskOutcome` code.
    pub outcome: String,
    /// RFC 3339, UTC.
    pub at: String,
}

/// A retention case closed, counted for the manager of its customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedCase {
    pub manager_id: String,
    /// A `CaseOutcome` code.
    pub outcome: String,
    pub closed_at: String,
}

/// The visit log, visit plans and appraisal facts.
#[async_trait]
pub trait VisitStore: Send + Sync {
    /// Stores a note with its first revision and the audit entry, in one transaction. A request
    /// id seen before stores nothing and answers the note it stored.
    async fn add_visit_note(
        &self,
        note: &VisitNoteRecord,
        request_id: Option<&str>,
        audit: &AuditEntry,
    ) -> Result<NoteAdded>;

    /// Changes a note's content if `editor` wrote it and it is still at `version`, with a new
    /// revision and the audit entry, in one transaction.
    async fn edit_visit_note(
        &self,
        note_id: i64,
        editor: &str,
        version: i64,
        content: &VisitNoteContent,
        at: &str,
        audit: &AuditEntry,
    ) -> Result<NoteEdited>;

    async fn visit_note(&self, note_id: i64) -> Result<Option<VisitNoteRecord>>;

    async fn visit_notes(&self, filter: &VisitNoteFilter) -> Result<Vec<VisitNoteRecord>>;

    /// Every version of a note, oldest first.
    async fn visit_note_history(&self, note_id: i64) -> Result<Vec<VisitNoteRevision>>;

    /// Replaces `manager_id`'s plan for `month` with `contacts`, and appends the audit entry,
    /// in one transaction.
    async fn replace_visit_plan(
        &self,
        manager_id: &str,
        month: NaiveDate,
        contacts: &[PlannedContact],
        audit: &AuditEntry,
    ) -> Result<()>;

    /// Planned contacts, by day then rank.
    async fn visit_plan(&self, filter: &PlanFilter) -> Result<Vec<PlannedContact>>;

    /// Managers in scope, by branch then id.
    async fn managers(&self, scope: &AppraisalScope) -> Result<Vec<ManagerRecord>>;

    /// Each customer assigned to a manager in scope, with what they did in `[start, end)`.
    async fn customer_months(
        &self,
        scope: &AppraisalScope,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<CustomerMonth>>;

    /// Outcomes recorded on the tasks of managers in scope, at `since <= at < until`.
    async fn task_contacts(
        &self,
        scope: &AppraisalScope,
        since: &str,
        until: &str,
    ) -> Result<Vec<TaskContact>>;

    /// Retention cases of customers of managers in scope closed at `since <= closed_at < until`.
    async fn closed_cases(&self, scope: &AppraisalScope, since: &str, until: &str)
    -> Result<Vec<ClosedCase>>;
}
