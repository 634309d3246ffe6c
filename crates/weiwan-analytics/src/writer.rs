//! Writing tables as extract files (`<table>.parquet` or `<table>.csv`), row by row with
//! bounded memory: rows are buffered into batches of [`BATCH_ROWS`] and flushed.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use weiwan_domain::schema::RowSink;
use weiwan_domain::{TableId, Value};

use crate::error::{Error, Result};
use crate::layout::{BatchBuilder, arrow_schema};
use crate::source::FileFormat;

pub const BATCH_ROWS: usize = 8192;

/// Writes one table to one Parquet file.
pub struct ParquetTableWriter {
    path: PathBuf,
    builder: BatchBuilder,
    writer: ArrowWriter<BufWriter<File>>,
    n_rows: u64,
}

impl std::fmt::Debug for ParquetTableWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetTableWriter").field("path", &self.path).field("n_rows", &self.n_rows).finish()
    }
}

pub fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(1 << 20))
        .build()
}

impl ParquetTableWriter {
    pub fn create(path: &Path, table: TableId) -> Result<ParquetTableWriter> {
        let file = File::create(path).map_err(Error::io(path))?;
        let schema = arrow_schema(table.table());
        let writer = ArrowWriter::try_new(BufWriter::new(file), schema, Some(writer_properties()))
            .map_err(Error::parquet(path))?;
        Ok(ParquetTableWriter {
            path: path.to_owned(),
            builder: BatchBuilder::new(table.table()),
            writer,
            n_rows: 0,
        })
    }

    pub fn push(&mut self, row: &[Value]) -> Result<()> {
        self.builder.push(row)?;
        self.n_rows += 1;
        if self.builder.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.builder.is_empty() {
            return Ok(());
        }
        let batch = self.builder.finish()?;
        self.writer.write(&batch).map_err(Error::parquet(&self.path))
    }

    /// Flushes, writes the footer and syncs the file to disk; returns the number of rows.
    pub fn finish(mut self) -> Result<u64> {
        self.flush()?;
        let file = self.writer.into_inner().map_err(Error::parquet(&self.path))?;
        let file =
            file.into_inner().map_err(|e| Error::Io { path: self.path.clone(), source: e.into_error() })?;
        file.sync_all().map_err(Error::io(&self.path))?;
        Ok(self.n_rows)
    }
}

struct CsvTableWriter {
    path: PathBuf,
    table: TableId,
    writer: csv::Writer<BufWriter<File>>,
    fields: Vec<String>,
}

impl CsvTableWriter {
    fn create(path: &Path, table: TableId) -> Result<CsvTableWriter> {
        let file = File::create(path).map_err(Error::io(path))?;
        let mut writer = csv::Writer::from_writer(BufWriter::new(file));
        let header: Vec<&str> = table.table().columns.iter().map(|c| c.name).collect();
        writer.write_record(&header).map_err(|source| Error::Csv { path: path.to_owned(), source })?;
        Ok(CsvTableWriter { path: path.to_owned(), table, writer, fields: Vec::new() })
    }

    fn push(&mut self, row: &[Value]) -> Result<()> {
        self.fields.clear();
        let columns = self.table.table().columns;
        self.fields.extend(columns.iter().zip(row).map(|(c, v)| c.kind.format(v)));
        self.writer
            .write_record(&self.fields)
            .map_err(|source| Error::Csv { path: self.path.clone(), source })
    }

    fn finish(mut self) -> Result<()> {
        self.writer.flush().map_err(Error::io(&self.path))
    }
}

enum TableWriter {
    Parquet(ParquetTableWriter),
    Csv(CsvTableWriter),
}

/// A [`RowSink`] that writes a whole extract into a directory, one file per table, in the
/// format the importer reads.
pub struct ExtractWriter {
    dir: PathBuf,
    format: FileFormat,
    writers: BTreeMap<TableId, TableWriter>,
    n_rows: BTreeMap<TableId, u64>,
}

impl std::fmt::Debug for ExtractWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtractWriter")
            .field("dir", &self.dir)
            .field("n_rows", &self.n_rows)
            .finish_non_exhaustive()
    }
}

impl ExtractWriter {
    /// Creates the directory if needed. Files of a previous extract there are replaced.
    pub fn create(dir: &Path, format: FileFormat) -> Result<ExtractWriter> {
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
        Ok(ExtractWriter { dir: dir.to_owned(), format, writers: BTreeMap::new(), n_rows: BTreeMap::new() })
    }

    /// Closes every file and returns the row count per table.
    pub fn finish(self) -> Result<BTreeMap<TableId, u64>> {
        for writer in self.writers.into_values() {
            match writer {
                TableWriter::Parquet(w) => {
                    w.finish()?;
                }
                TableWriter::Csv(w) => w.finish()?,
            }
        }
        Ok(self.n_rows)
    }
}

impl RowSink for ExtractWriter {
    type Error = Error;

    fn write_row(&mut self, table: TableId, row: &[Value]) -> Result<()> {
        if !self.writers.contains_key(&table) {
            let path = self.dir.join(format!("{}.{}", table.name(), self.format.extension()));
            let writer = match self.format {
                FileFormat::Parquet => TableWriter::Parquet(ParquetTableWriter::create(&path, table)?),
                FileFormat::Csv => TableWriter::Csv(CsvTableWriter::create(&path, table)?),
            };
            self.writers.insert(table, writer);
        }
        *self.n_rows.entry(table).or_default() += 1;
        match self.writers.get_mut(&table) {
            Some(TableWriter::Parquet(w)) => w.push(row),
            Some(TableWriter::Csv(w)) => w.push(row),
            None => Err(Error::internal("writer vanished")),
        }
    }
}
