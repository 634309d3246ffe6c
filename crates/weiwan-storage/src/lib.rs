//! The operational store: the entities people act on (branches, managers, plans, customers,
//! subscriptions, contracts, and the record of imports; users, tasks, campaigns, retention
//! cases, the visit log, key persons' influence and clubs), behind one [`Store`] trait with two
//! backends, SQLite (embedded, the default) and
//! PostgreSQL, chosen at runtime from the URL.
//!
//! All SQL lives here. Both backends run the same statements, generated once by a macro, and
//! one conformance suite (tests/it) proves they behave alike. Bulk history does not live here:
//! it goes to the Parquet lake (weiwan-analytics).

mod backend;
pub mod campaign;
pub mod cases;
pub mod clubs;
pub mod error;
pub mod groups;
pub mod service;
#[macro_use]
mod service_backend;
mod campaign_backend;
mod cases_backend;
mod clubs_backend;
mod groups_backend;
pub mod testing;
pub mod visits;
mod visits_backend;

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use weiwan_domain::{TableId, Value};

pub use backend::{PgStore, SqliteStore};
pub use campaign::{
    Acceptance, Accepted, CampaignHistoryEntry, CampaignRecord, CampaignStore, ContactEntry, ContactRow,
    Executed, Execution, MemberRecord, OfferRecord, QuestionnaireRecord, TakeupRecord, campaign_of_rule,
    campaign_rule_id,
};
pub use cases::{
    CaseEventRecord, CaseFilter, CaseRecord, CaseStore, CaseUpdate, CaseUpdated, ConcessionRecord,
    ConcessionUpdate, Opened,
};
pub use clubs::{
    Attendance, AttendedRecord, Cancelled, ClubActivity, ClubEventRecord, ClubRecord, ClubStore, DrawOrder,
    Drawn, Joined, MembershipRecord, PointSpendRecord, SignUp, SignupRecord, Spent,
};
pub use error::{Error, Result};
pub use groups::{GroupStore, InfluenceRecord};
pub use service::{
    AuditEntry, AuditFilter, Claim, CredentialRecord, EventRecord, EventsApplied, ManagerOutcome, NewTask,
    OutcomeRecord, OutcomeRecorded, ServiceStore, SubjectRecord, TaskFilter, TaskRecord, Transfer,
    UserRecord,
};
pub use visits::{
    AppraisalScope, ClosedCase, CustomerMonth, ManagerRecord, NoteAdded, NoteEdited, PlanFilter,
    PlannedContact, TaskContact, VisitNoteContent, VisitNoteFilter, VisitNoteRecord, VisitNoteRevision,
    VisitStore,
};

/// A completed import, as recorded in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRecord {
    pub extract_id: String,
    /// When it was imported, as given by the caller's clock (RFC 3339).
    pub imported_at: String,
    /// Where the files came from, for people reading the history.
    pub source: String,
    /// Rows per table, as JSON.
    pub rows_json: String,
}

/// Counts for the demo's and the operator's first look at an imported base.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub branches: i64,
    pub managers: i64,
    pub plans: i64,
    pub customers: i64,
    pub subscriptions: i64,
    pub contracts: i64,
    pub imports: i64,
    /// Customers per VIP tier code.
    pub customers_by_tier: Vec<(String, i64)>,
    /// Lines per status code.
    pub subscriptions_by_status: Vec<(String, i64)>,
    /// Per branch: id, name, customers, lines.
    pub by_branch: Vec<BranchCount>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchCount {
    pub branch_id: String,
    pub name: String,
    pub customers: i64,
    pub subscriptions: i64,
}

/// A saved target group (客户群); what the fields mean is weiwan-analytics' business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentRecord {
    pub name: String,
    /// `conditions` or `sql`.
    pub mode: String,
    pub definition: String,
    /// `none`, `daily` or `monthly`.
    pub schedule: String,
    pub description: String,
    /// RFC 3339, from the caller's clock.
    pub saved_at: String,
}

/// A snapshot cohort (拍照) in the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohortRecord {
    pub name: String,
    /// `YYYY-MM-DD`.
    pub taken_on: String,
    pub mode: String,
    pub definition: String,
    pub members: i64,
    pub created_at: String,
}

#[async_trait]
pub trait Store:
    ServiceStore + CampaignStore + CaseStore + VisitStore + GroupStore + ClubStore + Send + Sync + Debug
{
    /// Which backend this is, for logs: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    async fn find_import(&self, extract_id: &str) -> Result<Option<ImportRecord>>;

    /// Every import ever recorded, oldest first.
    async fn list_imports(&self) -> Result<Vec<ImportRecord>>;

    /// Keys of an entity table, optionally only rows with `column = code`.
    async fn keys(&self, table: TableId, filter: Option<(&'static str, &'static str)>)
    -> Result<Vec<String>>;

    /// Starts a transaction for one import. Dropping it without [`ImportTx::commit`] rolls
    /// everything back.
    async fn begin_import(&self) -> Result<Box<dyn ImportTx>>;

    async fn summary(&self) -> Result<Summary>;

    /// Every row of an entity table in key order, in schema column order.
    async fn dump_table(&self, table: TableId) -> Result<Vec<Vec<Value>>>;

    /// Saves a target group. One of the same name is replaced only when `replace`; returns
    /// false (and changes nothing) when the name is taken and not `replace`.
    async fn save_segment(&self, segment: &SegmentRecord, replace: bool) -> Result<bool>;

    /// Every saved target group, by name.
    async fn segments(&self) -> Result<Vec<SegmentRecord>>;

    /// Deletes a target group; false when there was none of that name.
    async fn delete_segment(&self, name: &str) -> Result<bool>;

    /// Registers a cohort; false (and nothing changed) when the name is taken.
    async fn record_cohort(&self, cohort: &CohortRecord) -> Result<bool>;

    /// Every registered cohort, by name.
    async fn cohorts(&self) -> Result<Vec<CohortRecord>>;
}

/// One import's writes, all or nothing.
#[async_trait]
pub trait ImportTx: Send {
    /// Inserts rows, or replaces the rows with the same key. Rows must be valid for the table.
    async fn upsert(&mut self, table: TableId, rows: &[Vec<Value>]) -> Result<()>;
    async fn record_import(&mut self, record: &ImportRecord) -> Result<()>;
    async fn commit(self: Box<Self>) -> Result<()>;
}

/// Opens the store a URL names, creating and migrating it as needed: `postgres://…` or
/// `postgresql://…` for PostgreSQL, `sqlite://path`, `sqlite::memory:` or a plain file path
/// for SQLite.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(PgStore::connect(url, None).await?));
    }
    Ok(Arc::new(SqliteStore::connect(url).await?))
}
