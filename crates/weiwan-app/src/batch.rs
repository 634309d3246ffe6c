//! `run`: the daily batch as of a date: the store snapshot (club activity, key persons) and the
//! customer 360 table, churn scores from the model in force (raised for groups' key persons), the tag library evaluated over both, the target groups due that day, then the alert
//! and care rules due that day, whose rows become tasks.

use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use weiwan_analytics::segments::ScheduledRun;
use weiwan_analytics::{Customer360, Lake, TagValues};
use weiwan_storage::Store;

use crate::error::{Error, Result};
use crate::progress::{Operation, ProgressSink, Stage, reported};

#[derive(Debug, Clone, PartialEq)]
pub struct BatchOutcome {
    pub as_of: NaiveDate,
    pub customer_360: Customer360,
    /// Churn scores of the model in force; `None` when no model has been trained.
    pub churn: Option<crate::churn::ChurnScores>,
    pub tags: TagValues,
    pub segments: Vec<ScheduledRun>,
    /// Tasks raised by the data rules due that day.
    pub alerts: crate::rules::AlertsRaised,
}

/// Runs the batch. Refuses to run on an empty base, or while an import the store recorded is
/// not yet published in the lake (an interrupted import: importing the same extract again
/// finishes it), since the batch would see entities without their history.
pub async fn run_daily_batch(
    store: &dyn Store,
    lake: &Lake,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> Result<BatchOutcome> {
    run_daily_batch_with_progress(store, lake, as_of, now, &ProgressSink::none()).await
}

/// [`run_daily_batch`], reporting the operation `daily_batch` to `progress`: one stage per
/// stage of the batch (see [`crate::progress`]).
pub async fn run_daily_batch_with_progress(
    store: &dyn Store,
    lake: &Lake,
    as_of: NaiveDate,
    now: DateTime<Utc>,
    progress: &ProgressSink,
) -> Result<BatchOutcome> {
    reported(progress, Operation::DailyBatch, batch(store, lake, as_of, now, progress)).await
}

#[tracing::instrument(skip_all, fields(as_of = %as_of))]
async fn batch(
    store: &dyn Store,
    lake: &Lake,
    as_of: NaiveDate,
    now: DateTime<Utc>,
    progress: &ProgressSink,
) -> Result<BatchOutcome> {
    let imports = store.list_imports().await?;
    if imports.is_empty() {
        return Err(Error::Invalid("nothing has been imported yet; run weiwan import first".into()));
    }
    for import in &imports {
        if !lake.has_extract(&import.extract_id)? {
            return Err(Error::Invalid(format!(
                "extract {} (from {}) is recorded in the store but not published in the data directory {}; \
                 import it again to finish, or check --data-dir",
                import.extract_id,
                import.source,
                lake.root().display()
            )));
        }
    }
    let started = Instant::now();
    progress.stage(Stage::Customer360, None);
    // What the 360 table needs from the store (club activity, key persons' influence), copied
    // into the data directory first.
    let snapshot = crate::clubs::store_snapshot(store).await?;
    let snapshot_lake = lake.clone();
    tokio::task::spawn_blocking(move || weiwan_analytics::write_store_snapshot(&snapshot_lake, &snapshot))
        .await??;
    let customer_360 = weiwan_analytics::build_customer_360(lake, as_of).await?;
    progress.message(&format!("customer 360: {} lines", customer_360.rows));
    finished(progress, "customer_360", &started);

    let started = Instant::now();
    progress.stage(Stage::ChurnScores, Some(customer_360.rows));
    let churn = crate::churn::score_churn(lake, as_of, progress).await?;
    match &churn {
        Some(churn) => progress.message(&format!("churn scores: {} lines by {}", churn.rows, churn.model)),
        None => progress.message("churn scores: no model in force"),
    }
    finished(progress, "churn", &started);

    let started = Instant::now();
    progress.stage(Stage::Tags, None);
    let tags = weiwan_analytics::evaluate_tags(lake, as_of).await?;
    progress.message(&format!("tags: {} tags on {} lines", tags.n_tags, tags.rows));
    finished(progress, "tags", &started);

    let started = Instant::now();
    let segments = crate::segments::run_scheduled_segments(store, lake, as_of, progress).await?;
    finished(progress, "target_groups", &started);

    let started = Instant::now();
    let rules = crate::rules::active_rulebook(lake)?;
    let alerts = crate::rules::raise_scheduled_alerts(store, lake, &rules, as_of, now, progress).await?;
    finished(progress, "alerts", &started);
    Ok(BatchOutcome { as_of, customer_360, churn, tags, segments, alerts })
}

/// Ends the current stage, in the log and for `progress`.
fn finished(progress: &ProgressSink, stage: &'static str, started: &Instant) {
    tracing::info!(stage, seconds = format!("{:.1}", started.elapsed().as_secs_f64()), "stage finished");
    progress.finish_stage();
}
