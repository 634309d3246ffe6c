//! Progress of the long operations as a console page sees it: a `ProgressState` polled after
//! an import, a repeated import, a refused import and the daily batch.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use weiwan_app::{
    FileFormat, Lake, Operation, ProgressSnapshot, ProgressState, Stage, StageStatus, Unit,
    import_extract_with_progress, run_daily_batch_with_progress,
};
use weiwan_domain::{TableId, TableRole};

use super::{edit_csv, generate, now};

fn statuses(snapshot: &ProgressSnapshot) -> Vec<(Stage, StageStatus)> {
    snapshot.stages.iter().map(|s| (s.stage, s.status)).collect()
}

fn stage(snapshot: &ProgressSnapshot, stage: Stage) -> &weiwan_app::StageSnapshot {
    snapshot.stages.iter().find(|s| s.stage == stage).expect("a stage of the operation")
}

/// The bytes of every file of an extract.
fn extract_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|entry| entry.expect("entry").metadata().expect("metadata").len())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_and_the_batch_report_every_stage_and_end_finished() {
    let work = tempfile::tempdir().expect("tempdir");
    let extract = work.path().join("extract");
    generate(&extract, 300, FileFormat::Csv);
    let store = weiwan_storage::testing::sqlite().await;
    let lake = Lake::new(work.path().join("lake"));

    let state = ProgressState::new();
    let outcome = import_extract_with_progress(store.as_ref(), &lake, &extract, now(), &state.sink())
        .await
        .expect("import");
    let import = state.snapshot();
    assert_eq!(import.operation, Some(Operation::Import));
    assert_eq!(
        statuses(&import),
        [
            (Stage::Fingerprint, StageStatus::Done),
            (Stage::Validate, StageStatus::Done),
            (Stage::Store, StageStatus::Done),
            (Stage::Publish, StageStatus::Done),
        ]
    );
    assert!(import.finished && import.error.is_none(), "{import:?}");
    assert_eq!((import.percent, import.stages_done, import.current), (100.0, 4, None));
    // Both passes over the files count every byte of them, no more.
    let bytes = extract_bytes(&extract);
    for pass in [Stage::Fingerprint, Stage::Validate] {
        let pass = stage(&import, pass);
        assert_eq!((pass.done, pass.total, pass.unit), (bytes, Some(bytes), Some(Unit::Bytes)), "{pass:?}");
    }
    let entity_rows: u64 = outcome
        .rows
        .iter()
        .filter(|(table, _)| table.table().role == TableRole::Entity)
        .map(|(_, n)| n)
        .sum();
    let store_stage = stage(&import, Stage::Store);
    assert_eq!((store_stage.done, store_stage.total), (entity_rows, Some(entity_rows)));
    // One line per file validated, with the rows read.
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    for message in &import.messages {
        let (file, rest) = message.split_once(": ").expect("file: rows");
        files.insert(file.to_owned(), rest.to_owned());
    }
    assert_eq!(files.len(), 10, "{:?}", import.messages);
    assert_eq!(files["subscriptions.csv"], format!("{} rows", outcome.rows[&TableId::Subscriptions]));

    // The same extract again: identified, then nothing left to do.
    let again = ProgressState::new();
    let repeated = import_extract_with_progress(store.as_ref(), &lake, &extract, now(), &again.sink())
        .await
        .expect("import again");
    assert!(repeated.already_imported);
    let again = again.snapshot();
    assert_eq!(
        statuses(&again),
        [
            (Stage::Fingerprint, StageStatus::Done),
            (Stage::Validate, StageStatus::Skipped),
            (Stage::Store, StageStatus::Skipped),
            (Stage::Publish, StageStatus::Skipped),
        ]
    );
    assert!(again.finished && again.error.is_none());
    assert!(again.messages.iter().any(|m| m.contains("already imported")), "{:?}", again.messages);

    let batch_state = ProgressState::new();
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
    let batch = run_daily_batch_with_progress(store.as_ref(), &lake, as_of, now(), &batch_state.sink())
        .await
        .expect("batch");
    let snapshot = batch_state.snapshot();
    assert_eq!(snapshot.operation, Some(Operation::DailyBatch));
    assert_eq!(
        statuses(&snapshot),
        Operation::DailyBatch.stages().iter().map(|&s| (s, StageStatus::Done)).collect::<Vec<_>>()
    );
    assert!(snapshot.finished && snapshot.error.is_none(), "{snapshot:?}");
    assert_eq!(snapshot.percent, 100.0);
    // No model is in force: the scoring stage knew the lines and scored none of them.
    assert!(batch.churn.is_none());
    let scores = stage(&snapshot, Stage::ChurnScores);
    assert_eq!((scores.done, scores.total), (0, Some(batch.customer_360.rows)));
    let groups = stage(&snapshot, Stage::Segments);
    assert!(!batch.segments.is_empty());
    assert_eq!((groups.done, groups.total), (batch.segments.len() as u64, Some(batch.segments.len() as u64)));
    let rules = stage(&snapshot, Stage::Alerts);
    assert!(!batch.alerts.by_rule.is_empty());
    assert_eq!(
        (rules.done, rules.total),
        (batch.alerts.by_rule.len() as u64, Some(batch.alerts.by_rule.len() as u64))
    );
    assert!(snapshot.stages.iter().all(|s| s.seconds.is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_import_ends_with_its_error_in_the_stage_that_refused_it() {
    let work = tempfile::tempdir().expect("tempdir");
    let extract = work.path().join("extract");
    generate(&extract, 100, FileFormat::Csv);
    edit_csv(&extract.join("subscriptions.csv"), 7, "status", "gone");
    let store = weiwan_storage::testing::sqlite().await;
    let lake = Lake::new(work.path().join("lake"));

    let state = ProgressState::new();
    let refused = import_extract_with_progress(store.as_ref(), &lake, &extract, now(), &state.sink())
        .await
        .expect_err("refused");
    let snapshot = state.snapshot();
    assert!(snapshot.finished);
    assert_eq!(snapshot.error.as_deref(), Some(refused.to_string().as_str()));
    assert!(refused.to_string().contains("subscriptions.csv, line 7, column status"), "{refused}");
    assert_eq!(
        statuses(&snapshot),
        [
            (Stage::Fingerprint, StageStatus::Done),
            (Stage::Validate, StageStatus::Failed),
            (Stage::Store, StageStatus::Pending),
            (Stage::Publish, StageStatus::Pending),
        ]
    );
    // Every byte was read (all problems are reported), but half the import never ran.
    assert_eq!(snapshot.percent, 50.0);
}

/// Parquet pages are compressed, so validation estimates its position from the rows read; the
/// bytes it reports still add up to the files' sizes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parquet_extract_counts_its_bytes_too() {
    let work = tempfile::tempdir().expect("tempdir");
    let extract = work.path().join("extract");
    generate(&extract, 150, FileFormat::Parquet);
    let store = weiwan_storage::testing::sqlite().await;
    let lake = Lake::new(work.path().join("lake"));

    let state = ProgressState::new();
    import_extract_with_progress(store.as_ref(), &lake, &extract, now(), &state.sink())
        .await
        .expect("import");
    let snapshot = state.snapshot();
    let bytes = extract_bytes(&extract);
    let validate = stage(&snapshot, Stage::Validate);
    assert_eq!((validate.done, validate.total), (bytes, Some(bytes)));
    assert!(
        snapshot.messages.iter().any(|m| m.starts_with("usage_monthly.parquet: ")),
        "{:?}",
        snapshot.messages
    );
}

/// The way a console runs a job: spawned on a runtime, polled through a clone of its state.
/// Each operation's future must be `Send + 'static` for that; here each fails at once (nothing
/// to import, an empty base, no history) and the snapshot says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_spawned_on_the_runtime_end_in_their_snapshot() {
    let work = tempfile::tempdir().expect("tempdir");
    let store = weiwan_storage::testing::sqlite().await;
    let lake = Lake::new(work.path().join("lake"));
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");

    let (import, batch, train) = (ProgressState::new(), ProgressState::new(), ProgressState::new());
    let jobs = [
        tokio::spawn({
            let (store, lake, sink, missing) =
                (store.clone(), lake.clone(), import.sink(), work.path().join("no-such-extract"));
            async move { import_extract_with_progress(store.as_ref(), &lake, &missing, now(), &sink).await.err() }
        }),
        tokio::spawn({
            let (store, lake, sink) = (store.clone(), lake.clone(), batch.sink());
            async move { run_daily_batch_with_progress(store.as_ref(), &lake, as_of, now(), &sink).await.err() }
        }),
        tokio::spawn({
            let (lake, sink) = (lake.clone(), train.sink());
            async move { weiwan_app::train_churn_model_with_progress(&lake, as_of, &sink).await.err() }
        }),
    ];
    for (job, state) in jobs.into_iter().zip([&import, &batch, &train]) {
        let error = job.await.expect("the job ran").expect("the job failed");
        let snapshot = state.snapshot();
        assert!(snapshot.finished, "{snapshot:?}");
        assert_eq!(snapshot.error, Some(error.to_string()));
    }
    assert!(batch.snapshot().error.is_some_and(|e| e.contains("nothing has been imported")));
    let batch = batch.snapshot();
    assert!(batch.stages.iter().all(|s| s.status == StageStatus::Pending), "{batch:?}");
}
