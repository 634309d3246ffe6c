//! The Parquet lake: bulk history (and a copy of each extract's entity files) as immutable
//! versions, one per extract, made visible all at once by replacing `manifest.json`.
//!
//! Layout under the data directory:
//!
//! ```text
//! manifest.json                       the published versions; replaced atomically
//! <table>/<extract_id>/part-0.parquet one immutable version of a table
//! .staging-<extract_id>/<table>.parquet while an import is being validated
//! ```
//!
//! Readers (the batch engine) only look at files the manifest lists, so a half-finished import
//! is never seen, and a refused one leaves nothing behind.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::{Deserialize, Serialize};
use weiwan_domain::{Column, TableId, Value};

use crate::error::{Error, Result};
use crate::keys::{KeySet, key_hash};
use crate::layout::rows_from_batch;

const MANIFEST: &str = "manifest.json";
const MANIFEST_FORMAT: u32 = 1;

/// The list of published versions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub extracts: Vec<ExtractVersion>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractVersion {
    pub extract_id: String,
    pub imported_at: String,
    pub tables: Vec<TableVersion>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableVersion {
    pub table: String,
    /// Relative to the lake root.
    pub path: String,
    pub rows: u64,
    /// First and last value of the table's period column, for history tables with rows.
    pub period: Option<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Lake {
    root: PathBuf,
}

impl Lake {
    /// A lake rooted at `root`. Nothing is created until an import publishes into it.
    pub fn new(root: impl Into<PathBuf>) -> Lake {
        Lake { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn manifest(&self) -> Result<Manifest> {
        let path = self.root.join(MANIFEST);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Manifest { format: MANIFEST_FORMAT, extracts: Vec::new() });
            }
            Err(err) => return Err(Error::Io { path, source: err }),
        };
        let manifest: Manifest =
            serde_json::from_str(&text).map_err(|source| Error::Manifest { path: path.clone(), source })?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(Error::internal(format!(
                "{} has format {}, expected {MANIFEST_FORMAT}",
                path.display(),
                manifest.format
            )));
        }
        Ok(manifest)
    }

    pub fn has_extract(&self, extract_id: &str) -> Result<bool> {
        Ok(self.manifest()?.extracts.iter().any(|e| e.extract_id == extract_id))
    }

    /// The published Parquet files of a table, oldest version first.
    pub fn table_files(&self, table: TableId) -> Result<Vec<PathBuf>> {
        let manifest = self.manifest()?;
        Ok(manifest
            .extracts
            .iter()
            .flat_map(|e| &e.tables)
            .filter(|t| t.table == table.name())
            .map(|t| self.root.join(&t.path))
            .collect())
    }

    /// Hashes of the keys of every published row of a table, so a new extract cannot repeat a
    /// history row another extract already delivered.
    pub fn published_keys(&self, table: TableId, keys: &mut KeySet) -> Result<()> {
        let key_columns = table.table().key_indices();
        for path in self.table_files(table)? {
            let file = File::open(&path).map_err(Error::io(&path))?;
            let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(Error::parquet(&path))?;
            let mask = ProjectionMask::roots(builder.parquet_schema(), key_columns.iter().copied());
            let reader = builder
                .with_projection(mask)
                .with_batch_size(65536)
                .build()
                .map_err(Error::parquet(&path))?;
            let projected: Vec<Column> = key_columns.iter().map(|&i| table.table().columns[i]).collect();
            for batch in reader {
                let rows = rows_from_batch(&projected, &batch?)?;
                for row in rows {
                    keys.insert(key_hash(&row));
                }
            }
        }
        Ok(())
    }

    pub(crate) fn staging_dir(&self, extract_id: &str) -> PathBuf {
        self.root.join(format!(".staging-{extract_id}"))
    }

    /// Moves a staged extract's files into place and then publishes them by replacing the
    /// manifest. Until the final rename nothing of the extract is visible.
    pub fn publish(&self, staged: &mut StagedExtract, imported_at: &str) -> Result<()> {
        let mut manifest = self.manifest()?;
        if manifest.extracts.iter().any(|e| e.extract_id == staged.extract_id) {
            staged.discard();
            return Ok(());
        }
        let mut tables = Vec::new();
        for staged_table in &staged.tables {
            let relative = format!("{}/{}/part-0.parquet", staged_table.table.name(), staged.extract_id);
            let target = self.root.join(&relative);
            let version_dir = target.parent().map(Path::to_path_buf).unwrap_or_default();
            // A directory left by an import that crashed before its manifest swap is not
            // published, so it may be replaced.
            if version_dir.exists() {
                std::fs::remove_dir_all(&version_dir).map_err(Error::io(&version_dir))?;
            }
            std::fs::create_dir_all(&version_dir).map_err(Error::io(&version_dir))?;
            std::fs::rename(&staged_table.path, &target).map_err(Error::io(&target))?;
            tables.push(TableVersion {
                table: staged_table.table.name().to_owned(),
                path: relative,
                rows: staged_table.rows,
                period: staged_table.period.clone(),
            });
        }
        manifest.extracts.push(ExtractVersion {
            extract_id: staged.extract_id.clone(),
            imported_at: imported_at.to_owned(),
            tables,
        });
        self.write_manifest(&manifest)?;
        staged.created_root = None;
        staged.discard();
        Ok(())
    }

    fn write_manifest(&self, manifest: &Manifest) -> Result<()> {
        let path = self.root.join(MANIFEST);
        let temporary = self.root.join(format!("{MANIFEST}.tmp"));
        let text = serde_json::to_string_pretty(manifest)
            .map_err(|source| Error::Manifest { path: path.clone(), source })?;
        {
            use std::io::Write;
            let mut file = File::create(&temporary).map_err(Error::io(&temporary))?;
            file.write_all(text.as_bytes()).map_err(Error::io(&temporary))?;
            file.sync_all().map_err(Error::io(&temporary))?;
        }
        std::fs::rename(&temporary, &path).map_err(Error::io(&path))?;
        if let Ok(dir) = File::open(&self.root) {
            // Persist the rename itself; failure to sync a directory is not fatal on every
            // filesystem, so it is ignored.
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

/// One table of a staged extract: validated rows in a Parquet file in the staging directory.
#[derive(Debug, Clone)]
pub struct StagedTable {
    pub table: TableId,
    pub path: PathBuf,
    pub rows: u64,
    pub period: Option<(String, String)>,
}

/// A wholly validated extract, written to the staging directory and not yet visible. Dropping
/// it without publishing removes the staging directory.
#[derive(Debug)]
pub struct StagedExtract {
    pub extract_id: String,
    pub dir: PathBuf,
    pub tables: Vec<StagedTable>,
    /// Whether staging created the lake root, which must then go if the import is abandoned.
    pub(crate) created_root: Option<PathBuf>,
}

impl StagedExtract {
    pub fn rows(&self) -> BTreeMap<TableId, u64> {
        self.tables.iter().map(|t| (t.table, t.rows)).collect()
    }

    /// Reads a staged table back in batches of validated rows, for loading into the store.
    pub fn read_rows(
        &self,
        table: TableId,
        mut each_batch: impl FnMut(Vec<Vec<Value>>) -> Result<()>,
    ) -> Result<()> {
        let Some(staged) = self.tables.iter().find(|t| t.table == table) else { return Ok(()) };
        let file = File::open(&staged.path).map_err(Error::io(&staged.path))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(Error::parquet(&staged.path))?
            .with_batch_size(4096)
            .build()
            .map_err(Error::parquet(&staged.path))?;
        for batch in reader {
            each_batch(rows_from_batch(table.table().columns, &batch?)?)?;
        }
        Ok(())
    }

    /// Removes the staging directory (and the lake root if staging created it).
    pub fn discard(&mut self) {
        if self.dir.exists() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        if let Some(root) = self.created_root.take() {
            // Only removed when still empty: a concurrent import may have published into it.
            let _ = std::fs::remove_dir(&root);
        }
        self.tables.clear();
    }
}

impl Drop for StagedExtract {
    fn drop(&mut self) {
        self.discard();
    }
}
