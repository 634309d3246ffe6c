//! The dynamic customer file 动态客户档案 and the visit log 拜访纪要 (docs/account-managers.md).
//!
//! A manager keeps the file by writing a note after every call or visit: when, how, the topic,
//! what was promised and the next step. Only the author changes a note, and every version is
//! kept. The file is read in two sizes: the short card a manager opens before a visit (basics,
//! the last visits, the next planned contact, open issues) and the fuller file the sales office
//! reads (orders and plans, repeat purchases, the whole contact history).
//!
//! Who may read or write which customer's file is the server's business (roles and scope);
//! these use cases check what holds whoever asks.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use weiwan_domain::TableId;
use weiwan_domain::codes::{CaseStatus, TaskStatus, VisitChannel};
use weiwan_storage::{
    CaseFilter, NoteAdded, NoteEdited, PlanFilter, Store, TaskFilter, VisitNoteContent, VisitNoteFilter,
    VisitNoteRecord, VisitNoteRevision,
};

use crate::error::{Error, Result};
use crate::quotas::china_today;
use crate::tasks::{Actor, CustomerCard, TaskRecordView, customer_card, display};

/// Longest topic, in characters.
pub const TOPIC_MAX: usize = 200;
/// Longest promises or next step, in characters.
pub const TEXT_MAX: usize = 2000;
/// Notes on the short card.
pub const CARD_NOTES: i64 = 5;

/// What a person writes in a note, as a request carries it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    /// The day of the call or visit, `YYYY-MM-DD` (China time); not in the future.
    #[schema(example = "2026-11-20")]
    pub visited_on: String,
    /// `visit`, `call` or `message`.
    pub channel: String,
    pub topic: String,
    /// What was promised to the customer (may be empty).
    #[serde(default)]
    pub promises: String,
    /// What happens next (may be empty).
    #[serde(default)]
    pub next_step: String,
    /// When to contact the customer next (`YYYY-MM-DD`), on or after the visit.
    #[serde(default)]
    #[schema(example = "2026-12-05")]
    pub next_contact_on: Option<String>,
}

/// A note as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct NoteView {
    pub note_id: i64,
    pub customer_id: String,
    pub author_id: String,
    pub author_manager_id: Option<String>,
    pub visited_on: String,
    pub channel: String,
    pub channel_zh: String,
    pub channel_en: String,
    pub topic: String,
    pub promises: String,
    pub next_step: String,
    pub next_contact_on: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

impl From<VisitNoteRecord> for NoteView {
    fn from(note: VisitNoteRecord) -> NoteView {
        let channel = note.content.channel.parse::<VisitChannel>().ok();
        NoteView {
            note_id: note.note_id,
            customer_id: note.customer_id,
            author_id: note.author_id,
            author_manager_id: note.author_manager_id,
            visited_on: note.content.visited_on.to_string(),
            channel_zh: channel.map(|c| c.label_zh().to_owned()).unwrap_or_default(),
            channel_en: channel.map(|c| c.label_en().to_owned()).unwrap_or_default(),
            channel: note.content.channel,
            topic: note.content.topic,
            promises: note.content.promises,
            next_step: note.content.next_step,
            next_contact_on: note.content.next_contact_on.map(|d| d.to_string()),
            created_at: note.created_at,
            updated_at: note.updated_at,
            version: note.version,
        }
    }
}

/// One version of a note, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RevisionView {
    pub version: i64,
    pub edited_at: String,
    pub edited_by: String,
    pub visited_on: String,
    pub channel: String,
    pub topic: String,
    pub promises: String,
    pub next_step: String,
    pub next_contact_on: Option<String>,
}

impl From<VisitNoteRevision> for RevisionView {
    fn from(revision: VisitNoteRevision) -> RevisionView {
        RevisionView {
            version: revision.version,
            edited_at: revision.edited_at,
            edited_by: revision.edited_by,
            visited_on: revision.content.visited_on.to_string(),
            channel: revision.content.channel,
            topic: revision.content.topic,
            promises: revision.content.promises,
            next_step: revision.content.next_step,
            next_contact_on: revision.content.next_contact_on.map(|d| d.to_string()),
        }
    }
}

/// Checks a note as written; every problem is named by its field.
pub fn check_note(input: &NoteInput, now: DateTime<Utc>) -> Result<VisitNoteContent> {
    let date = |field: &str, text: &str| -> Result<NaiveDate> {
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map_err(|_| Error::Invalid(format!("{field}: {text:?} is not a date (YYYY-MM-DD)")))
    };
    let visited_on = date("visited_on", &input.visited_on)?;
    let next_contact_on = match input.next_contact_on.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(date("next_contact_on", text)?),
    };
    let channel: VisitChannel = input.channel.parse().map_err(|e| Error::Invalid(format!("channel: {e}")))?;
    let topic = input.topic.trim();
    if topic.is_empty() {
        return Err(Error::Invalid("topic: a note needs a topic".into()));
    }
    if topic.chars().count() > TOPIC_MAX {
        return Err(Error::Invalid(format!("topic: longer than {TOPIC_MAX} characters")));
    }
    for (field, text) in [("promises", &input.promises), ("next_step", &input.next_step)] {
        if text.chars().count() > TEXT_MAX {
            return Err(Error::Invalid(format!("{field}: longer than {TEXT_MAX} characters")));
        }
    }
    let today = china_today(now);
    if visited_on > today {
        return Err(Error::Invalid(format!("visited_on: {visited_on} is after today ({today})")));
    }
    if let Some(next) = next_contact_on
        && next < visited_on
    {
        return Err(Error::Invalid(format!("next_contact_on: {next} is before the visit ({visited_on})")));
    }
    Ok(VisitNoteContent {
        visited_on,
        channel: channel.code().to_owned(),
        topic: topic.to_owned(),
        promises: input.promises.trim().to_owned(),
        next_step: input.next_step.trim().to_owned(),
        next_contact_on,
    })
}

/// Writes a note on a customer's file. `author_manager_id` is the author's employee id when
/// the author is a manager: the note then counts for their appraisal. A request id seen before
/// stores nothing and answers the note it stored.
pub async fn add_visit_note(
    store: &dyn Store,
    actor: &Actor,
    author_manager_id: Option<&str>,
    customer_id: &str,
    input: &NoteInput,
    request_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<NoteView> {
    let content = check_note(input, now)?;
    let Some(row) = store.find_row(TableId::Customers, customer_id).await? else {
        return Err(Error::NotFound(format!("customer {customer_id}")));
    };
    let table = TableId::Customers.table();
    let at = now.to_rfc3339();
    let note = VisitNoteRecord {
        note_id: 0,
        customer_id: customer_id.to_owned(),
        branch_id: display(&row[table.index("branch_id")]),
        manager_id: Some(display(&row[table.index("manager_id")])).filter(|m| !m.is_empty()),
        author_id: actor.user_id.clone(),
        author_manager_id: author_manager_id.map(str::to_owned),
        content,
        created_at: at.clone(),
        updated_at: at.clone(),
        version: 1,
    };
    let audit = actor.audit(
        &at,
        "add_visit_note",
        "visit_note",
        "",
        serde_json::json!({ "customer_id": customer_id, "channel": note.content.channel }),
    );
    match store.add_visit_note(&note, request_id, &audit).await? {
        NoteAdded::Added(note) | NoteAdded::Replayed(note) => Ok(note.into()),
    }
}

/// Changes a note. Only its author may, and only from the version they saw (`version`): a note
/// changed in between is refused as a conflict. The old version stays in the history.
pub async fn edit_visit_note(
    store: &dyn Store,
    actor: &Actor,
    note_id: i64,
    version: i64,
    input: &NoteInput,
    now: DateTime<Utc>,
) -> Result<NoteView> {
    let content = check_note(input, now)?;
    let at = now.to_rfc3339();
    let audit = actor.audit(
        &at,
        "edit_visit_note",
        "visit_note",
        &note_id.to_string(),
        serde_json::json!({ "from_version": version }),
    );
    match store.edit_visit_note(note_id, &actor.user_id, version, &content, &at, &audit).await? {
        NoteEdited::Edited(note) => Ok(note.into()),
        NoteEdited::NotFound => Err(Error::NotFound(format!("visit note {note_id}"))),
        NoteEdited::NotAuthor { author_id } => Err(Error::Forbidden(format!(
            "visit note {note_id} was written by {author_id}; only its author may change it"
        ))),
        NoteEdited::Stale { version: current } => Err(Error::Conflict(format!(
            "visit note {note_id} is at version {current}, not {version}: reload it and edit again"
        ))),
    }
}

/// A note with every version of it, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct NoteHistory {
    pub note: NoteView,
    pub revisions: Vec<RevisionView>,
}

pub async fn visit_note_history(store: &dyn Store, note_id: i64) -> Result<NoteHistory> {
    let Some(note) = store.visit_note(note_id).await? else {
        return Err(Error::NotFound(format!("visit note {note_id}")));
    };
    let revisions = store.visit_note_history(note_id).await?;
    Ok(NoteHistory { note: note.into(), revisions: revisions.into_iter().map(RevisionView::from).collect() })
}

/// The customer a note is about, for scope checks.
pub async fn note_customer(store: &dyn Store, note_id: i64) -> Result<Option<VisitNoteRecord>> {
    Ok(store.visit_note(note_id).await?)
}

/// A customer's notes, newest visit first.
pub async fn customer_notes(store: &dyn Store, customer_id: &str, limit: i64) -> Result<Vec<NoteView>> {
    let filter =
        VisitNoteFilter { customer_id: Some(customer_id.to_owned()), limit, ..VisitNoteFilter::default() };
    Ok(store.visit_notes(&filter).await?.into_iter().map(NoteView::from).collect())
}

/// The next time someone means to contact the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct NextContact {
    pub on: String,
    pub channel: String,
    /// `note` (a note's next step) or `plan` (the monthly visit plan).
    pub source: String,
    /// The note's next step, or the plan's reasons.
    pub what: String,
}

/// Something open on the customer: a task or a retention case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OpenIssue {
    /// `task` or `case`.
    pub kind: String,
    pub id: i64,
    pub opened_at: String,
    pub summary_zh: String,
    pub summary_en: String,
}

/// The short card a manager opens before a call or visit.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ManagerCard {
    pub customer: CustomerCard,
    pub last_visits: Vec<NoteView>,
    pub next_contact: Option<NextContact>,
    pub open_issues: Vec<OpenIssue>,
}

/// The manager's card of a customer, `None` for an unknown customer.
pub async fn manager_card(
    store: &dyn Store,
    customer_id: &str,
    reveal: bool,
    now: DateTime<Utc>,
) -> Result<Option<ManagerCard>> {
    let Some(customer) = customer_card(store, customer_id, reveal).await? else {
        return Ok(None);
    };
    let last_visits = customer_notes(store, customer_id, CARD_NOTES).await?;
    let today = china_today(now);
    let next_contact = next_contact(store, customer_id, today).await?;
    let open_issues = open_issues(store, &customer).await?;
    Ok(Some(ManagerCard { customer, last_visits, next_contact, open_issues }))
}

/// The earliest contact planned from today on: a note's next step or the visit plan's.
async fn next_contact(store: &dyn Store, customer_id: &str, today: NaiveDate) -> Result<Option<NextContact>> {
    let notes = store
        .visit_notes(&VisitNoteFilter {
            customer_id: Some(customer_id.to_owned()),
            ..VisitNoteFilter::default()
        })
        .await?;
    // Only the newest note's next step stands: a later note supersedes earlier promises.
    let from_note = notes.first().and_then(|note| {
        let on = note.content.next_contact_on.filter(|on| *on >= today)?;
        Some(NextContact {
            on: on.to_string(),
            channel: note.content.channel.clone(),
            source: "note".into(),
            what: note.content.next_step.clone(),
        })
    });
    let plan = store
        .visit_plan(&PlanFilter {
            customer_id: Some(customer_id.to_owned()),
            from: Some(today),
            limit: 1,
            ..PlanFilter::default()
        })
        .await?;
    let from_plan = plan.into_iter().next().map(|p| NextContact {
        on: p.planned_on.to_string(),
        channel: p.channel,
        source: "plan".into(),
        what: p.reasons.join(","),
    });
    Ok(match (from_note, from_plan) {
        (Some(note), Some(plan)) => Some(if plan.on < note.on { plan } else { note }),
        (note, plan) => note.or(plan),
    })
}

async fn open_issues(store: &dyn Store, customer: &CustomerCard) -> Result<Vec<OpenIssue>> {
    let mut issues: Vec<OpenIssue> = customer
        .open_tasks
        .iter()
        .map(|task: &TaskRecordView| OpenIssue {
            kind: "task".into(),
            id: task.task_id,
            opened_at: task.created_at.clone(),
            summary_zh: task.reason_zh.clone(),
            summary_en: task.reason_en.clone(),
        })
        .collect();
    let cases = store
        .cases(&CaseFilter { customer_id: Some(customer.customer_id.clone()), ..CaseFilter::default() })
        .await?;
    for case in cases.into_iter().filter(|c| c.status != CaseStatus::Closed.code()) {
        let status = case.status.parse::<CaseStatus>().ok();
        issues.push(OpenIssue {
            kind: "case".into(),
            id: case.case_id,
            opened_at: case.opened_at,
            summary_zh: format!(
                "拆机挽留 {}（{}）：{}",
                case.subscription_id,
                status.map(|s| s.label_zh()).unwrap_or_default(),
                case.reason
            ),
            summary_en: format!(
                "retention case on {} ({}): {}",
                case.subscription_id,
                status.map(|s| s.label_en()).unwrap_or_default(),
                case.reason
            ),
        });
    }
    issues.sort_by(|a, b| b.opened_at.cmp(&a.opened_at));
    Ok(issues)
}

/// A contract or binding the customer took: an order 订单 in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OrderView {
    pub contract_id: String,
    pub subscription_id: String,
    pub kind: String,
    pub starts_on: String,
    pub ends_on: String,
    pub status: String,
    /// Yuan a month promised, if any.
    pub monthly_commitment: Option<String>,
    /// This order follows an earlier one of the customer: a repeat purchase 复购.
    pub repeat: bool,
}

/// A line with its plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PlanLine {
    pub subscription_id: String,
    pub plan_id: String,
    pub plan_name: String,
    pub monthly_fee: String,
    pub status: String,
    pub activated_on: String,
    pub disconnected_on: Option<String>,
    pub device_model: Option<String>,
}

/// One contact with the customer, from any source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ContactView {
    /// `YYYY-MM-DD` or an RFC 3339 / China-time timestamp, as the source keeps it.
    pub at: String,
    /// `visit_log`, `task` or `campaign`.
    pub source: String,
    /// A visit channel, a task action or a campaign channel code.
    pub channel: String,
    pub user_id: String,
    /// The note's topic, or the outcome code.
    pub summary: String,
}

/// The fuller file the sales office reads.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CustomerFile {
    pub card: ManagerCard,
    pub lines: Vec<PlanLine>,
    /// Newest first.
    pub orders: Vec<OrderView>,
    pub repeat_purchases: usize,
    /// Newest first, every source together.
    pub contacts: Vec<ContactView>,
}

/// The sales office's file of a customer, `None` for an unknown customer.
pub async fn customer_file(
    store: &dyn Store,
    customer_id: &str,
    reveal: bool,
    now: DateTime<Utc>,
) -> Result<Option<CustomerFile>> {
    let Some(card) = manager_card(store, customer_id, reveal, now).await? else {
        return Ok(None);
    };
    let lines_table = TableId::Subscriptions.table();
    let plans_table = TableId::Plans.table();
    let contracts_table = TableId::Contracts.table();
    let mut lines = Vec::new();
    let mut orders = Vec::new();
    for line in store.rows_by(TableId::Subscriptions, "customer_id", customer_id).await? {
        let get = |name: &str| display(&line[lines_table.index(name)]);
        let subscription_id = get("subscription_id");
        let plan_id = get("plan_id");
        let plan = store.find_row(TableId::Plans, &plan_id).await?;
        let plan_get =
            |name: &str| plan.as_ref().map(|p| display(&p[plans_table.index(name)])).unwrap_or_default();
        lines.push(PlanLine {
            plan_name: plan_get("name"),
            monthly_fee: plan_get("monthly_fee"),
            plan_id,
            status: get("status"),
            activated_on: get("activated_on"),
            disconnected_on: Some(get("disconnected_on")).filter(|d| !d.is_empty()),
            device_model: Some(get("device_model")).filter(|d| !d.is_empty()),
            subscription_id: subscription_id.clone(),
        });
        for contract in store.rows_by(TableId::Contracts, "subscription_id", &subscription_id).await? {
            let get = |name: &str| display(&contract[contracts_table.index(name)]);
            orders.push(OrderView {
                contract_id: get("contract_id"),
                subscription_id: subscription_id.clone(),
                kind: get("kind"),
                starts_on: get("starts_on"),
                ends_on: get("ends_on"),
                status: get("status"),
                monthly_commitment: Some(get("monthly_commitment")).filter(|m| !m.is_empty()),
                repeat: false,
            });
        }
    }
    // Oldest first to mark repeats, then newest first to show.
    orders.sort_by(|a, b| (&a.starts_on, &a.contract_id).cmp(&(&b.starts_on, &b.contract_id)));
    for order in orders.iter_mut().skip(1) {
        order.repeat = true;
    }
    let repeat_purchases = orders.iter().filter(|o| o.repeat).count();
    orders.reverse();
    let contacts = contact_history(store, customer_id).await?;
    Ok(Some(CustomerFile { card, lines, orders, repeat_purchases, contacts }))
}

/// Every contact with the customer: the visit log, outcomes on their tasks, campaign contacts.
async fn contact_history(store: &dyn Store, customer_id: &str) -> Result<Vec<ContactView>> {
    let mut contacts: Vec<ContactView> = Vec::new();
    let notes = store
        .visit_notes(&VisitNoteFilter {
            customer_id: Some(customer_id.to_owned()),
            ..VisitNoteFilter::default()
        })
        .await?;
    contacts.extend(notes.into_iter().map(|note| ContactView {
        at: note.content.visited_on.to_string(),
        source: "visit_log".into(),
        channel: note.content.channel,
        user_id: note.author_id,
        summary: note.content.topic,
    }));
    let mut tasks = BTreeMap::new();
    for status in TaskStatus::ALL {
        let filter = TaskFilter {
            customer_id: Some(customer_id.into()),
            status: Some(status.code().into()),
            ..TaskFilter::default()
        };
        for task in store.tasks(&filter).await? {
            tasks.insert(task.task_id, task.task.action);
        }
    }
    for (task_id, action) in tasks {
        for outcome in store.outcomes(task_id).await? {
            contacts.push(ContactView {
                at: outcome.at,
                source: "task".into(),
                channel: action.clone(),
                user_id: outcome.user_id,
                summary: outcome.outcome,
            });
        }
    }
    // The ledger holds campaign contacts; those on tasks are already listed from the task.
    for entry in store.contacts(&[customer_id.to_owned()], "").await? {
        if entry.task_id.is_none() {
            contacts.push(ContactView {
                at: entry.at,
                source: "campaign".into(),
                channel: entry.channel,
                user_id: entry.user_id,
                summary: entry.outcome,
            });
        }
    }
    // Dates, RFC 3339 and China-time stamps all start with the day: newest day first.
    contacts.sort_by(|a, b| b.at.get(..10).cmp(&a.at.get(..10)).then_with(|| b.at.cmp(&a.at)));
    Ok(contacts)
}
