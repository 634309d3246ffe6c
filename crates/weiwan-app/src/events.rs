//! Events received in real time (through the API or an event file): validated whole, stored
//! once each, and turned at once into tasks by the event rules of the rule book in force.
//!
//! A batch is all or nothing: if any event is malformed, of an unknown type, or about a line
//! the store does not know, the batch is refused with every problem named and nothing of it
//! is applied. Events are idempotent by `event_id`: a replayed event changes nothing and
//! raises no task again.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use weiwan_analytics::Location;
use weiwan_analytics::source::{ExtractFile, FileFormat, Record, RecordReader};
use weiwan_decision::{EventFacts, RuleBook, Subject};
use weiwan_domain::codes::EventType;
use weiwan_domain::{TableId, Value};
use weiwan_storage::{AuditEntry, EventRecord, EventsApplied, NewTask, Store};

use crate::error::{Error, Result};

/// Most events one batch may carry.
pub const MAX_BATCH: usize = 10_000;

/// An event as a source system sends it: the columns of the `events` extract table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomingEvent {
    pub event_id: String,
    pub subscription_id: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC+8.
    pub occurred_at: String,
    pub event_type: String,
    #[serde(default)]
    pub detail: Option<String>,
}

/// Why a batch was refused: one line per problem, each naming the event (its position in the
/// batch, counting from 1, or its line in a file) and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the event batch was refused and nothing of it was applied:\n  {}", problems.join("\n  "))]
pub struct EventsRefused {
    pub problems: Vec<String>,
}

/// Who sent the batch, for the audit log and the events' `source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSender {
    pub user_id: String,
    pub role: String,
    /// `api` or `file:<name>`.
    pub source: String,
}

/// What a batch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventsOutcome {
    pub applied: EventsApplied,
}

/// Validates a batch whole and applies it: events stored, tasks raised, one audit entry, in
/// one transaction.
pub async fn apply_events(
    store: &dyn Store,
    rules: &RuleBook,
    events: Vec<IncomingEvent>,
    sender: &EventSender,
    now: DateTime<Utc>,
) -> Result<EventsOutcome> {
    let labels: Vec<String> = (1..=events.len()).map(|i| format!("event {i}")).collect();
    apply_labelled(store, rules, events, &labels, sender, now).await
}

async fn apply_labelled(
    store: &dyn Store,
    rules: &RuleBook,
    events: Vec<IncomingEvent>,
    labels: &[String],
    sender: &EventSender,
    now: DateTime<Utc>,
) -> Result<EventsOutcome> {
    if events.is_empty() {
        return Err(Error::EventsRefused(EventsRefused {
            problems: vec!["the batch holds no event".into()],
        }));
    }
    if events.len() > MAX_BATCH {
        return Err(Error::EventsRefused(EventsRefused {
            problems: vec![format!(
                "the batch holds {} events; at most {MAX_BATCH} are allowed",
                events.len()
            )],
        }));
    }
    let mut problems = Vec::new();
    let mut parsed = Vec::with_capacity(events.len());
    let mut seen = HashSet::new();
    for (event, label) in events.iter().zip(labels) {
        match parse_event(event) {
            Ok(facts) => {
                if !seen.insert(event.event_id.as_str()) {
                    problems
                        .push(format!("{label}: event_id {:?} appears twice in the batch", event.event_id));
                }
                parsed.push(facts);
            }
            Err(mut found) => problems.extend(found.drain(..).map(|p| format!("{label}: {p}"))),
        }
    }
    // Who each line belongs to; a line the store does not know is a problem of the batch.
    let ids: Vec<String> =
        events.iter().map(|e| e.subscription_id.clone()).collect::<HashSet<_>>().into_iter().collect();
    let subjects: BTreeMap<String, Subject> = store
        .line_subjects(&ids)
        .await?
        .into_iter()
        .filter_map(|record| Some((record.subscription_id.clone()?, crate::rules::subject(record)?)))
        .collect();
    for (event, label) in events.iter().zip(labels) {
        if !event.subscription_id.is_empty() && !subjects.contains_key(&event.subscription_id) {
            problems
                .push(format!("{label}: subscription_id {:?} is not a known line", event.subscription_id));
        }
    }
    if !problems.is_empty() {
        return Err(Error::EventsRefused(EventsRefused { problems }));
    }

    let today = china_date(now);
    let received_at = now.to_rfc3339();
    let mut records = Vec::with_capacity(events.len());
    let mut tasks = Vec::new();
    for (event, (event_type, occurred_at)) in events.iter().zip(parsed) {
        let subject = &subjects[&event.subscription_id];
        let facts = EventFacts {
            event_id: &event.event_id,
            event_type,
            occurred_at,
            detail: event.detail.as_deref(),
        };
        for alert in rules.event_alerts(&facts, subject, today) {
            tasks.push(new_task(alert, &received_at, Some(event.event_id.clone())));
        }
        records.push(EventRecord {
            event_id: event.event_id.clone(),
            subscription_id: event.subscription_id.clone(),
            occurred_at: event.occurred_at.clone(),
            event_type: event.event_type.clone(),
            detail: event.detail.clone(),
            received_at: received_at.clone(),
            source: sender.source.clone(),
        });
    }
    let audit = AuditEntry {
        id: 0,
        at: received_at.clone(),
        actor: sender.user_id.clone(),
        role: sender.role.clone(),
        action: "post_events".into(),
        object_type: "event_batch".into(),
        object_id: records.first().map(|r| r.event_id.clone()).unwrap_or_default(),
        detail: serde_json::json!({ "events": records.len(), "source": sender.source }).to_string(),
    };
    let applied = store.apply_events(&records, &tasks, &audit).await?;
    metrics_note(&applied);
    Ok(EventsOutcome { applied })
}

fn metrics_note(applied: &EventsApplied) {
    tracing::info!(
        new_events = applied.new_events.len(),
        replayed = applied.known_events.len(),
        tasks = applied.tasks.len(),
        "events applied"
    );
}

/// Checks one event's fields against the `events` table of the data model.
fn parse_event(
    event: &IncomingEvent,
) -> std::result::Result<(EventType, chrono::NaiveDateTime), Vec<String>> {
    let table = TableId::Events.table();
    let mut problems = Vec::new();
    let mut field = |name: &str, text: &str| -> Option<Value> {
        let column = &table.columns[table.index(name)];
        match column.parse(text) {
            Ok(value) => Some(value),
            Err(err) => {
                problems.push(format!("{name} {text:?}: {err}"));
                None
            }
        }
    };
    field("event_id", &event.event_id);
    field("subscription_id", &event.subscription_id);
    let occurred_at = field("occurred_at", &event.occurred_at);
    field("event_type", &event.event_type);
    field("detail", event.detail.as_deref().unwrap_or(""));
    let event_type = event.event_type.parse::<EventType>().ok();
    match (problems.is_empty(), event_type, occurred_at) {
        (true, Some(event_type), Some(Value::Timestamp(at))) => Ok((event_type, at)),
        _ if !problems.is_empty() => Err(problems),
        _ => Err(vec!["internal: a checked field did not parse".into()]),
    }
}

/// Reads an event file (CSV or Parquet with the columns of the `events` table) and applies it
/// as one batch; a bad line refuses the whole file.
pub async fn import_event_file(
    store: &dyn Store,
    rules: &RuleBook,
    path: &Path,
    sender_user: &str,
    now: DateTime<Utc>,
) -> Result<EventsOutcome> {
    let format = match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => FileFormat::Csv,
        Some("parquet") => FileFormat::Parquet,
        _ => {
            return Err(Error::Invalid(format!(
                "{}: an event file must be .csv or .parquet",
                path.display()
            )));
        }
    };
    let file = ExtractFile { table: TableId::Events, path: path.to_owned(), format };
    let name = file.file_name();
    let owned = file.clone();
    let (events, labels) = tokio::task::spawn_blocking(move || read_event_file(&owned)).await??;
    let sender = EventSender {
        user_id: sender_user.to_owned(),
        role: "system".into(),
        source: format!("file:{name}"),
    };
    apply_labelled(store, rules, events, &labels, &sender, now).await
}

fn read_event_file(file: &ExtractFile) -> Result<(Vec<IncomingEvent>, Vec<String>)> {
    let mut reader = match RecordReader::open(file)? {
        Ok(reader) => reader,
        Err(problems) => {
            return Err(Error::EventsRefused(EventsRefused {
                problems: problems.iter().map(ToString::to_string).collect(),
            }));
        }
    };
    let table = TableId::Events.table();
    let mut fields = Vec::new();
    let (mut events, mut labels, mut problems) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        match reader.next_record(&mut fields) {
            Record::End => break,
            Record::Unreadable(problem) => problems.push(problem.to_string()),
            Record::Fields(location) => {
                let get = |name: &str| fields[table.index(name)].clone();
                let detail = get("detail");
                events.push(IncomingEvent {
                    event_id: get("event_id"),
                    subscription_id: get("subscription_id"),
                    occurred_at: get("occurred_at"),
                    event_type: get("event_type"),
                    detail: (!detail.is_empty()).then_some(detail),
                });
                let at = match location {
                    Location::Line(line) => format!("line {line}"),
                    Location::Row(row) => format!("row {row}"),
                    Location::File => "the file".to_owned(),
                };
                labels.push(format!("{}, {at}", file.file_name()));
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::EventsRefused(EventsRefused { problems }));
    }
    Ok((events, labels))
}

/// The date in China (UTC+8), which is the operator's business day.
pub fn china_date(now: DateTime<Utc>) -> NaiveDate {
    (now + chrono::Duration::hours(8)).date_naive()
}

/// A decided alert as a task for the store.
pub(crate) fn new_task(
    alert: weiwan_decision::Alert,
    created_at: &str,
    source_event: Option<String>,
) -> NewTask {
    NewTask {
        rule_id: alert.rule_id,
        subject: alert.subject_key,
        cause: alert.cause,
        category: alert.category.code().to_owned(),
        action: alert.action.code().to_owned(),
        customer_id: alert.customer_id,
        subscription_id: alert.subscription_id,
        branch_id: alert.branch_id,
        manager_id: alert.manager_id,
        queue: alert.queue.map(|q| q.code().to_owned()),
        priority: alert.priority.code().to_owned(),
        due_on: alert.due_on.to_string(),
        reason_zh: alert.reason_zh,
        reason_en: alert.reason_en,
        created_at: created_at.to_owned(),
        source_event,
    }
}
