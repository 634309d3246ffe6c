//! `import`: validate an extract whole, then store its entities and publish its history.
//!
//! Order of side effects, chosen so that a refused or failed import leaves nothing behind:
//! 1. fingerprint the files; an extract already imported is a no-op;
//! 2. validate every file into the lake's staging directory (CPU work, off the runtime);
//! 3. upsert the entities and record the import in one store transaction, and commit;
//! 4. publish the staged files by swapping the lake manifest.
//!
//! A crash between 3 and 4 leaves the import recorded in the store but not in the lake; the
//! next import of the same extract notices and finishes step 4 (the entity upserts are
//! idempotent, so they are simply not repeated).
//!
//! Steps 1 to 4 are the stages `fingerprint`, `validate`, `store` and `publish` of the
//! progress reported by [`import_extract_with_progress`].

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use weiwan_analytics::{ExistingKeys, Lake, Lookup, StagedExtract};
use weiwan_domain::{TableId, TableRole};
use weiwan_storage::{ImportRecord, Store};

use crate::error::{Error, Result};
use crate::progress::{Operation, ProgressSink, Stage, reported};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    pub extract_id: String,
    /// The same extract had been imported before; nothing changed.
    pub already_imported: bool,
    /// Rows imported per table (empty when already imported).
    pub rows: BTreeMap<TableId, u64>,
}

/// Imports the extract in `dir` (see the module docs).
pub async fn import_extract(
    store: &dyn Store,
    lake: &Lake,
    dir: &Path,
    now: DateTime<Utc>,
) -> Result<ImportOutcome> {
    import_extract_with_progress(store, lake, dir, now, &ProgressSink::none()).await
}

/// [`import_extract`], reporting the operation `import` to `progress` (see [`crate::progress`]).
pub async fn import_extract_with_progress(
    store: &dyn Store,
    lake: &Lake,
    dir: &Path,
    now: DateTime<Utc>,
    progress: &ProgressSink,
) -> Result<ImportOutcome> {
    reported(progress, Operation::Import, import(store, lake, dir, now, progress)).await
}

#[tracing::instrument(skip_all, fields(dir = %dir.display()))]
async fn import(
    store: &dyn Store,
    lake: &Lake,
    dir: &Path,
    now: DateTime<Utc>,
    progress: &ProgressSink,
) -> Result<ImportOutcome> {
    let dir = dir.to_owned();
    let (files, extract_id) = tokio::task::spawn_blocking({
        let dir = dir.clone();
        let progress = progress.clone();
        move || -> Result<_> {
            let files = weiwan_analytics::discover(&dir)?;
            progress.stage(Stage::Fingerprint, Some(total_size(&files)?));
            let extract_id = weiwan_analytics::fingerprint_with_progress(&files, &progress)?;
            progress.finish_stage();
            Ok((files, extract_id))
        }
    })
    .await??;

    let in_store = store.find_import(&extract_id).await?.is_some();
    let in_lake = lake.has_extract(&extract_id)?;
    if in_store && in_lake {
        tracing::info!(extract_id, "extract already imported");
        progress.message(&format!("extract {extract_id} was already imported; nothing to do"));
        return Ok(ImportOutcome { extract_id, already_imported: true, rows: BTreeMap::new() });
    }
    if in_lake {
        // The store was replaced or reset under a data directory that belongs to another.
        return Err(Error::Invalid(format!(
            "extract {extract_id} is already published in the data directory {} but the store has no record \
             of it: the store and the data directory do not belong together (check --db and --data-dir)",
            lake.root().display()
        )));
    }

    let started = std::time::Instant::now();
    progress.stage(Stage::Validate, Some(total_size(&files)?));
    let mut existing = ExistingKeys::default();
    for lookup in Lookup::all() {
        if lookup.table.table().role == TableRole::Entity {
            existing.add(lookup, store.keys(lookup.table, lookup.filter).await?);
        }
    }
    let staged = tokio::task::spawn_blocking({
        let lake = lake.clone();
        let extract_id = extract_id.clone();
        let progress = progress.clone();
        move || weiwan_analytics::stage_extract_with_progress(&lake, &files, &extract_id, existing, &progress)
    })
    .await??;
    progress.finish_stage();
    let rows = staged.rows();
    tracing::info!(
        extract_id,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "extract validated and staged"
    );

    let mut staged = if in_store {
        tracing::warn!(
            extract_id,
            "extract recorded in the store but not published in the lake; publishing it now"
        );
        staged
    } else {
        let imported_at = now.to_rfc3339_opts(SecondsFormat::Secs, true);
        let record = ImportRecord {
            extract_id: extract_id.clone(),
            imported_at,
            source: dir.display().to_string(),
            rows_json: serde_json::to_string(
                &rows.iter().map(|(t, n)| (t.name(), n)).collect::<BTreeMap<_, _>>(),
            )
            .map_err(|e| Error::Invalid(e.to_string()))?,
        };
        let entity_rows =
            rows.iter().filter(|(table, _)| table.table().role == TableRole::Entity).map(|(_, n)| n).sum();
        progress.stage(Stage::Store, Some(entity_rows));
        let staged = store_entities(store, staged, &record, progress).await?;
        progress.finish_stage();
        tracing::info!(extract_id, elapsed_ms = started.elapsed().as_millis() as u64, "entities stored");
        staged
    };
    let imported_at = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    progress.stage(Stage::Publish, None);
    tokio::task::spawn_blocking({
        let lake = lake.clone();
        move || lake.publish(&mut staged, &imported_at)
    })
    .await??;
    progress.finish_stage();
    tracing::info!(extract_id, "extract imported");
    Ok(ImportOutcome { extract_id, already_imported: false, rows })
}

/// Upserts every staged entity table in one transaction, streaming batches from the staging
/// files so memory stays bounded, and records the import. Returns the staged extract for
/// publishing.
async fn store_entities(
    store: &dyn Store,
    mut staged: StagedExtract,
    record: &ImportRecord,
    progress: &ProgressSink,
) -> Result<StagedExtract> {
    let mut tx = store.begin_import().await?;
    for table in TableId::ALL {
        if table.table().role != TableRole::Entity {
            continue;
        }
        let (sender, mut receiver) = tokio::sync::mpsc::channel(4);
        let reader = tokio::task::spawn_blocking(move || {
            let result = staged.read_rows(table, |batch| {
                sender
                    .blocking_send(batch)
                    .map_err(|_| weiwan_analytics::Error::Internal("the store stopped reading".into()))
            });
            (staged, result)
        });
        let mut write_result = Ok(());
        while let Some(batch) = receiver.recv().await {
            if let Err(err) = tx.upsert(table, &batch).await {
                write_result = Err(err);
                break;
            }
            progress.advance(batch.len() as u64);
        }
        drop(receiver);
        let (returned, read_result) = reader.await?;
        staged = returned;
        write_result?;
        read_result?;
    }
    tx.record_import(record).await?;
    tx.commit().await?;
    Ok(staged)
}

/// The bytes of an extract's files: what the fingerprint and the validation each read.
fn total_size(files: &[weiwan_analytics::ExtractFile]) -> Result<u64> {
    let mut total = 0;
    for file in files {
        total += file.size()?;
    }
    Ok(total)
}
