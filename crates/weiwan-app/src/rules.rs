//! The warning and care rule book in force, and the daily batch's alert stage.
//!
//! A rule book is parsed and checked by weiwan-decision (fields, codes, placeholders) and its
//! data rules are planned by weiwan-analytics against the tagged 360 table; a book that fails
//! either check is refused and the one in force stays. Books live in the data directory
//! (`rules/books/<version>.toml`, `rules/active`), beside the tag library.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use weiwan_analytics::Lake;
use weiwan_decision::{RuleBook, Subject};
use weiwan_domain::codes::VipTier;
use weiwan_storage::{NewTask, Store, SubjectRecord};

use crate::error::{Error, Result};
use crate::events::{china_date, new_task};
use crate::progress::{ProgressSink, Stage};

/// Why a rule book was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the rule book was refused; the one in force is unchanged:\n  {}", problems.join("\n  "))]
pub struct RulesRefused {
    pub problems: Vec<String>,
}

fn rules_dir(lake: &Lake) -> PathBuf {
    lake.root().join("rules")
}

/// The rule book in force: the last one loaded, or the built-in one.
pub fn active_rulebook(lake: &Lake) -> Result<RuleBook> {
    let pointer = rules_dir(lake).join("active");
    let source = match std::fs::read_to_string(&pointer) {
        Ok(version) => {
            let path = rules_dir(lake).join("books").join(format!("{}.toml", version.trim()));
            read(&path)?
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(weiwan_decision::builtin()),
        Err(err) => return Err(Error::Invalid(format!("cannot read {}: {err}", pointer.display()))),
    };
    weiwan_decision::parse_rulebook(&source)
        .map_err(|err| Error::Invalid(format!("the rule book in force no longer parses: {err}")))
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|err| Error::Invalid(format!("cannot read {}: {err}", path.display())))
}

/// Parses a rule book and plans every data rule's query against the tagged 360 table the tag
/// library in force produces, without putting it in force.
pub async fn check_rulebook(lake: &Lake, source: &str) -> Result<RuleBook> {
    let book = weiwan_decision::parse_rulebook(source)
        .map_err(|err| Error::RulesRefused(RulesRefused { problems: vec![err.to_string()] }))?;
    let library = weiwan_analytics::active_library(lake)?;
    let tagged = weiwan_analytics::tags::tagged_schema(&library).await?;
    // Placeholders are filled as of a fixed date: only the shape of the SQL matters here.
    let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).ok_or_else(|| Error::Invalid("a fixed date".into()))?;
    let mut queries = Vec::new();
    let mut problems = Vec::new();
    for rule in book.rules.iter().filter(|r| r.is_data_rule()) {
        match book.render_sql(rule, as_of) {
            Ok(sql) => queries.push((rule.id.clone(), sql)),
            Err(err) => problems.push(err.to_string()),
        }
    }
    problems.extend(weiwan_analytics::alerts::check_rule_queries(tagged, &queries).await?);
    if problems.is_empty() { Ok(book) } else { Err(Error::RulesRefused(RulesRefused { problems })) }
}

/// Checks a rule book and puts it in force. A version may be loaded again only with the same
/// content, so a version names one book forever.
pub async fn load_rulebook(lake: &Lake, source: &str) -> Result<RuleBook> {
    let book = check_rulebook(lake, source).await?;
    let books = rules_dir(lake).join("books");
    std::fs::create_dir_all(&books)
        .map_err(|e| Error::Invalid(format!("cannot create {}: {e}", books.display())))?;
    let path = books.join(format!("{}.toml", book.version));
    match std::fs::read_to_string(&path) {
        Ok(existing) if existing != source => {
            return Err(Error::RulesRefused(RulesRefused {
                problems: vec![format!(
                    "version {} was loaded before with other content; give the changed book a new version",
                    book.version
                )],
            }));
        }
        Ok(_) => {}
        Err(_) => write_atomically(&path, source)?,
    }
    write_atomically(&rules_dir(lake).join("active"), &book.version)?;
    Ok(book)
}

fn write_atomically(path: &Path, content: &str) -> Result<()> {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, content)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| Error::Invalid(format!("cannot write {}: {e}", path.display())))
}

/// What the alert stage raised, per rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AlertsRaised {
    /// Rule id → (rows the rule's query found, tasks created now; the rest existed already or
    /// were outside the rule's tiers).
    pub by_rule: BTreeMap<String, (u64, u64)>,
}

impl AlertsRaised {
    pub fn tasks(&self) -> u64 {
        self.by_rule.values().map(|(_, created)| created).sum()
    }
}

/// Tasks per transaction in the batch's alert stage.
const TASKS_PER_COMMIT: usize = 5_000;

/// The batch's alert stage: every data rule due on `as_of` is run over the tagged 360 table
/// of that date and each row becomes a task for the customer's manager or a queue. Raising the
/// same alert again (same rule, line or customer, and cause) creates nothing. Starts the
/// progress stage `alerts`, counting the rules due; the caller finishes it.
pub async fn raise_scheduled_alerts(
    store: &dyn Store,
    lake: &Lake,
    book: &RuleBook,
    as_of: NaiveDate,
    now: DateTime<Utc>,
    progress: &ProgressSink,
) -> Result<AlertsRaised> {
    let created_at = now.to_rfc3339();
    let today = china_date(now).max(as_of);
    let mut raised = AlertsRaised::default();
    let due: Vec<_> = book.data_rules_due(as_of).collect();
    progress.stage(Stage::Alerts, Some(due.len() as u64));
    for rule in due {
        let sql = book.render_sql(rule, as_of).map_err(|e| Error::Invalid(e.to_string()))?;
        let rows = weiwan_analytics::alerts::rule_rows(lake, as_of, &sql).await?;
        let found = rows.len() as u64;
        let mut created = 0u64;
        for chunk in rows.chunks(TASKS_PER_COMMIT) {
            let subjects = subjects_of(store, chunk).await?;
            let tasks: Vec<NewTask> = chunk
                .iter()
                .filter_map(|row| {
                    let key = row.subscription_id.as_ref().unwrap_or(&row.customer_id);
                    let subject = subjects.get(key)?;
                    let alert = book.data_alert(rule, subject, &row.cause, &row.facts, today)?;
                    Some(new_task(alert, &created_at, None))
                })
                .collect();
            created += store.raise_tasks(&tasks).await?.len() as u64;
        }
        tracing::info!(rule = %rule.id, found, created, "alert rule ran");
        progress.message(&format!("rule {}: {found} found, {created} new tasks", rule.id));
        progress.advance(1);
        raised.by_rule.insert(rule.id.clone(), (found, created));
    }
    Ok(raised)
}

/// The subjects of a chunk of rule rows, keyed by line id (line rules) or customer id.
async fn subjects_of(
    store: &dyn Store,
    rows: &[weiwan_analytics::alerts::RuleRow],
) -> Result<BTreeMap<String, Subject>> {
    let lines: Vec<String> = rows.iter().filter_map(|r| r.subscription_id.clone()).collect();
    let customers: Vec<String> =
        rows.iter().filter(|r| r.subscription_id.is_none()).map(|r| r.customer_id.clone()).collect();
    let mut subjects = BTreeMap::new();
    for record in
        store.line_subjects(&lines).await?.into_iter().chain(store.customer_subjects(&customers).await?)
    {
        let key = record.subscription_id.clone().unwrap_or_else(|| record.customer_id.clone());
        if let Some(subject) = subject(record) {
            subjects.insert(key, subject);
        }
    }
    Ok(subjects)
}

pub(crate) fn subject(record: SubjectRecord) -> Option<Subject> {
    Some(Subject {
        tier: record.vip_tier.parse::<VipTier>().ok()?,
        customer_id: record.customer_id,
        subscription_id: record.subscription_id,
        branch_id: record.branch_id,
        manager_id: record.manager_id,
    })
}
