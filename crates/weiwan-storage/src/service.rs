//! What the HTTP service keeps: users and their sessions or API tokens, the audit log, events
//! received in real time, tasks raised by alert rules and the outcomes recorded on them.
//!
//! Codes (roles, queues, priorities, statuses, outcomes) are stored as the domain's code
//! strings; times as RFC 3339 text from the caller's clock, dates as `YYYY-MM-DD`.

use async_trait::async_trait;

use weiwan_domain::{TableId, Value};

use crate::Result;

/// A person or a system that may sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub user_id: String,
    /// Unique sign-in name.
    pub login: String,
    pub display_name: String,
    /// A `weiwan_domain::codes::Role` code.
    pub role: String,
    /// The branch the user works for; `None` for province-wide users.
    pub branch_id: Option<String>,
    /// For role `manager`: the `managers` row whose customers this user serves.
    pub manager_id: Option<String>,
    /// Argon2 PHC string; empty for API clients, which sign in with tokens only.
    pub password_hash: String,
    pub active: bool,
    pub created_at: String,
}

/// A credential: a person's session cookie or a system's API token. Only a SHA-256 digest of
/// the secret is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRecord {
    /// Hex SHA-256 of the secret.
    pub token_hash: String,
    pub user_id: String,
    /// `session` or `api`.
    pub kind: String,
    /// For API tokens, what the token is for; empty for sessions.
    pub label: String,
    pub created_at: String,
    /// RFC 3339; `None` never expires (API tokens until revoked).
    pub expires_at: Option<String>,
}

/// One line of the audit log: who did or saw what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Assigned by the store; ignored on append.
    pub id: i64,
    pub at: String,
    /// The user id, or `system` for the batch.
    pub actor: String,
    /// The actor's role code (`system` for the batch).
    pub role: String,
    /// e.g. `view_customer`, `post_events`, `claim_task`, `record_outcome`, `create_user`.
    pub action: String,
    /// e.g. `customer`, `task`, `event_batch`, `user`.
    pub object_type: String,
    pub object_id: String,
    /// JSON with whatever else matters (counts, outcome, masked or not).
    pub detail: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub object_id: Option<String>,
    /// Newest first; at most this many (0 means 100).
    pub limit: i64,
}

/// An event received through the API or an event file (same columns as the extract table
/// `events`, plus when and how it arrived).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    pub event_id: String,
    pub subscription_id: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC+8, as in extracts.
    pub occurred_at: String,
    /// A `weiwan_domain::codes::EventType` code.
    pub event_type: String,
    pub detail: Option<String>,
    pub received_at: String,
    /// `api` or `file:<name>`.
    pub source: String,
}

/// A task to raise. (`rule_id`, `subject`, `cause`) identifies the alert: raising the same one
/// twice creates one task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    pub rule_id: String,
    /// The subscription id, or the customer id for rules about a customer.
    pub subject: String,
    /// What this alert is about, e.g. `2026-11` or `2026-11-03` or `2027-01-31/60`.
    pub cause: String,
    /// A `RuleCategory` code.
    pub category: String,
    /// A `TaskAction` code.
    pub action: String,
    pub customer_id: String,
    pub subscription_id: Option<String>,
    pub branch_id: String,
    /// The manager who owns the task, or `None` when it waits in `queue`.
    pub manager_id: Option<String>,
    /// A `TaskQueue` code when no manager owns it.
    pub queue: Option<String>,
    /// A `TaskPriority` code.
    pub priority: String,
    /// `YYYY-MM-DD`.
    pub due_on: String,
    pub reason_zh: String,
    pub reason_en: String,
    pub created_at: String,
    /// The event that raised it, if an event did.
    pub source_event: Option<String>,
}

/// A task as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRecord {
    pub task_id: i64,
    pub task: NewTask,
    /// A `TaskStatus` code.
    pub status: String,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<String>,
    pub closed_at: Option<String>,
    /// The code of the latest outcome recorded, if any.
    pub last_outcome: Option<String>,
}

/// Tasks of a queue in one state: the counts the outbound funnel is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskTally {
    /// A `TaskStatus` code.
    pub status: String,
    /// The code of the latest outcome recorded; `None` when there is none.
    pub last_outcome: Option<String>,
    pub tasks: i64,
    /// Of those, the tasks someone claimed.
    pub claimed: i64,
}

/// Which tasks to list. Every `Some` must hold; results are ordered by priority (urgent
/// first), then due date, then task id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskFilter {
    pub manager_id: Option<String>,
    pub queue: Option<String>,
    pub branch_id: Option<String>,
    pub status: Option<String>,
    pub priority: Option<String>,
    pub rule_id: Option<String>,
    pub customer_id: Option<String>,
    pub subscription_id: Option<String>,
    /// At most this many (0 means 100).
    pub limit: i64,
    pub offset: i64,
}

/// An outcome on a manager's task, with what the task asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerOutcome {
    pub task_id: i64,
    pub customer_id: String,
    /// A `TaskAction` code: call, visit, sms or review.
    pub action: String,
    /// A `TaskOutcome` code.
    pub outcome: String,
    pub at: String,
}

/// What came of a contact, recorded on a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeRecord {
    pub task_id: i64,
    pub at: String,
    pub user_id: String,
    /// A `TaskOutcome` code.
    pub outcome: String,
    pub note: String,
    /// 不轻易停机: the manager confirms that billing may now suspend the line.
    pub confirm_suspension: bool,
    /// The client's id for this outcome: the same id again records nothing twice.
    pub request_id: Option<String>,
    /// The questionnaire asked on this contact, and the answers (JSON by question id).
    pub questionnaire_id: Option<String>,
    pub answers: Option<String>,
}

/// How recording an outcome went. Anything but `New` stored nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutcomeRecorded {
    /// Recorded; the task as it is now.
    New(TaskRecord),
    /// An outcome with the same request id was recorded before; the task as it is.
    Replay(TaskRecord),
    /// The task was done before (perhaps just now, by a concurrent request).
    TaskDone,
    NoTask,
}

/// How a transfer went. Anything but `Transferred` stored nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transfer {
    /// The task is done and the work order raised.
    Transferred {
        from: TaskRecord,
        to: TaskRecord,
    },
    /// The same request id was recorded before; the task as it is.
    Replay(TaskRecord),
    /// The customer has that task on the target channel already.
    AlreadyThere,
    TaskDone,
    NoTask,
}

/// How a claim went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    Claimed(TaskRecord),
    /// Someone else holds it.
    Taken {
        by: String,
    },
    Closed,
    NotFound,
}

/// What applying a batch of events did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventsApplied {
    /// Ids of the events stored now, in batch order.
    pub new_events: Vec<String>,
    /// Ids already stored before (a replay), in batch order.
    pub known_events: Vec<String>,
    /// Tasks created, in the order given.
    pub tasks: Vec<TaskRecord>,
}

/// Who an alert about a line or a customer concerns, read from the store's entities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectRecord {
    pub customer_id: String,
    /// `None` when looked up by customer.
    pub subscription_id: Option<String>,
    /// A `VipTier` code.
    pub vip_tier: String,
    pub branch_id: String,
    pub manager_id: Option<String>,
}

#[async_trait]
pub trait ServiceStore: Send + Sync {
    /// Creates a user; false (and nothing changed) when the user id or login is taken.
    async fn create_user(&self, user: &UserRecord) -> Result<bool>;
    async fn find_user(&self, user_id: &str) -> Result<Option<UserRecord>>;
    async fn find_user_by_login(&self, login: &str) -> Result<Option<UserRecord>>;
    /// Every user, by login.
    async fn users(&self) -> Result<Vec<UserRecord>>;

    async fn create_credential(&self, credential: &CredentialRecord) -> Result<()>;
    async fn find_credential(&self, token_hash: &str) -> Result<Option<CredentialRecord>>;
    /// False when there was none.
    async fn delete_credential(&self, token_hash: &str) -> Result<bool>;

    /// The console language a person chose (`zh` or `en`), if they chose one.
    async fn user_lang(&self, user_id: &str) -> Result<Option<String>>;
    /// Keeps a person's console language (`zh` or `en`).
    async fn set_user_lang(&self, user_id: &str, lang: &str) -> Result<()>;

    async fn append_audit(&self, entry: &AuditEntry) -> Result<()>;
    /// Newest first.
    async fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>>;

    /// Stores the events not stored before and, in the same transaction, the tasks whose
    /// `source_event` is one of them (tasks of replayed events are skipped) and the audit entry.
    /// A task whose (`rule_id`, `subject`, `cause`) exists already is not created again.
    async fn apply_events(
        &self,
        events: &[EventRecord],
        tasks: &[NewTask],
        audit: &AuditEntry,
    ) -> Result<EventsApplied>;
    async fn find_event(&self, event_id: &str) -> Result<Option<EventRecord>>;

    /// Raises tasks (the batch's alerts) in one transaction; returns those created, skipping
    /// any whose (`rule_id`, `subject`, `cause`) exists already.
    async fn raise_tasks(&self, tasks: &[NewTask]) -> Result<Vec<TaskRecord>>;
    async fn task(&self, task_id: i64) -> Result<Option<TaskRecord>>;
    async fn tasks(&self, filter: &TaskFilter) -> Result<Vec<TaskRecord>>;
    /// Counts tasks matching the filter (limit and offset ignored).
    async fn count_tasks(&self, filter: &TaskFilter) -> Result<i64>;
    /// The tasks of `queue` created at or after `since` (RFC 3339, compared as text with the
    /// stored `created_at`), of one branch or of all, counted by status and latest outcome;
    /// ordered by status, then outcome (none first).
    async fn queue_task_tally(
        &self,
        queue: &str,
        since: &str,
        branch_id: Option<&str>,
    ) -> Result<Vec<TaskTally>>;
    /// Gives queued tasks to managers (dispatch), with the audit entry, in one transaction: a
    /// task is assigned only while it is open and unassigned; returns the ids assigned.
    async fn assign_tasks(&self, assignments: &[(i64, String)], audit: &AuditEntry) -> Result<Vec<i64>>;
    /// Claims an open task for `user_id`; atomic, so two claimants cannot both win. Claiming a
    /// task one already holds returns it again.
    async fn claim_task(&self, task_id: i64, user_id: &str, at: &str) -> Result<Claim>;
    /// Appends an outcome and, when `closes`, marks the task done, with its audit entry; in one
    /// transaction. A task that is done takes no more outcomes. A retry of an outcome recorded
    /// before (same request id) stores nothing, audit entry included.
    async fn record_outcome(
        &self,
        outcome: &OutcomeRecord,
        closes: bool,
        audit: &AuditEntry,
    ) -> Result<OutcomeRecorded>;
    /// A work order 工单: records the outcome `transferred` (closing the task) and raises the
    /// task that carries the customer on to another channel, with the contact (for campaign
    /// tasks) and the audit entry; all in one transaction, or nothing.
    async fn transfer_task(
        &self,
        outcome: &OutcomeRecord,
        work_order: &NewTask,
        contact: Option<&crate::campaign::ContactEntry>,
        audit: &AuditEntry,
    ) -> Result<Transfer>;
    /// Outcomes of a task, oldest first.
    async fn outcomes(&self, task_id: i64) -> Result<Vec<OutcomeRecord>>;
    /// The outcomes recorded since `since` (an RFC 3339 time) on the tasks a manager owns,
    /// oldest first: what the manager's contact quotas count.
    async fn manager_outcomes(&self, manager_id: &str, since: &str) -> Result<Vec<ManagerOutcome>>;
    /// The task an outcome with this client request id was recorded on, if any.
    async fn outcome_request(&self, request_id: &str) -> Result<Option<i64>>;

    /// The row of an entity table with this key, in schema column order.
    async fn find_row(&self, table: TableId, key: &str) -> Result<Option<Vec<Value>>>;
    /// Rows of an entity table whose `column` (a schema column of the table) equals `value`,
    /// in key order.
    async fn rows_by(&self, table: TableId, column: &'static str, value: &str) -> Result<Vec<Vec<Value>>>;

    /// Who each of these lines belongs to (lines not found are left out), in input order.
    async fn line_subjects(&self, subscription_ids: &[String]) -> Result<Vec<SubjectRecord>>;
    /// The same for customers.
    async fn customer_subjects(&self, customer_ids: &[String]) -> Result<Vec<SubjectRecord>>;
}
