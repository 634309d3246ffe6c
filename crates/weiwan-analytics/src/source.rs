//! Reading an extract: finding its files, and reading each file's records as text fields with
//! their location, whether the file is CSV or Parquet, so one set of rules validates both.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::{Array, Date32Array, RecordBatch};
use arrow::datatypes::{DataType, Schema};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use chrono::{Datelike, NaiveDate};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use weiwan_domain::{ColumnKind, Table, TableId};

use crate::error::{Error, Location, Problem, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Parquet,
}

impl FileFormat {
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Parquet => "parquet",
        }
    }
}

/// One file of an extract: `<table>.csv` or `<table>.parquet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractFile {
    pub table: TableId,
    pub path: PathBuf,
    pub format: FileFormat,
}

impl ExtractFile {
    pub fn file_name(&self) -> String {
        self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    }

    /// The file's size in bytes: what reading it whole reports as progress.
    pub fn size(&self) -> Result<u64> {
        Ok(std::fs::metadata(&self.path).map_err(Error::io(&self.path))?.len())
    }
}

/// Lists the files of an extract directory in validation order. Files that are not tables of
/// the data model, a table given twice, and an empty directory are problems, not skipped.
pub fn discover(dir: &Path) -> Result<Vec<ExtractFile>> {
    let entries = std::fs::read_dir(dir).map_err(Error::io(dir))?;
    let mut by_table: BTreeMap<TableId, Vec<ExtractFile>> = BTreeMap::new();
    let mut problems = Vec::new();
    for entry in entries {
        let path = entry.map_err(Error::io(dir))?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.starts_with('.') || path.is_dir() {
            continue;
        }
        let (stem, extension) = name.rsplit_once('.').unwrap_or((&name, ""));
        let format = match extension {
            "csv" => Some(FileFormat::Csv),
            "parquet" => Some(FileFormat::Parquet),
            _ => None,
        };
        match (TableId::from_name(stem), format) {
            (Some(table), Some(format)) => by_table.entry(table).or_default().push(ExtractFile { table, path, format }),
            _ => problems.push(Problem {
                file: name,
                location: Location::File,
                column: None,
                reason: format!(
                    "not a file of the data model; expected <table>.csv or <table>.parquet with table one of {}",
                    TableId::ALL.map(TableId::name).join(", ")
                ),
            }),
        }
    }
    let mut files = Vec::new();
    for (table, mut found) in by_table {
        if found.len() > 1 {
            problems.push(Problem {
                file: found.iter().map(ExtractFile::file_name).collect::<Vec<_>>().join(" and "),
                location: Location::File,
                column: None,
                reason: format!("table {table} is given more than once"),
            });
        }
        files.append(&mut found);
    }
    if files.is_empty() && problems.is_empty() {
        problems.push(Problem {
            file: dir.display().to_string(),
            location: Location::File,
            column: None,
            reason: "the directory holds no extract file".into(),
        });
    }
    if !problems.is_empty() {
        return Err(Error::Refused(crate::error::Refusal { problems, truncated: false }));
    }
    Ok(files)
}

/// The records of one file as text fields in schema column order; a column the file lacks
/// (allowed only for optional columns) reads as empty.
pub struct RecordReader {
    file_name: String,
    /// For each schema column, the position of that column in the file, if present.
    positions: Vec<Option<usize>>,
    inner: Inner,
}

impl std::fmt::Debug for RecordReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordReader").field("file_name", &self.file_name).finish_non_exhaustive()
    }
}

enum Inner {
    Csv(csv::Reader<File>, csv::ByteRecord),
    Parquet {
        reader: ParquetRecordBatchReader,
        batch: Vec<Vec<String>>,
        next: usize,
        row: u64,
        month_columns: Vec<bool>,
        /// The file's size and row count, to estimate how far into the file a row is.
        size: u64,
        rows: u64,
    },
}

/// What reading one record produced.
#[derive(Debug)]
pub enum Record {
    Fields(Location),
    /// The record could not be read as fields at all (bad UTF-8, wrong field count); the
    /// problem is reported and the reader moves on.
    Unreadable(Problem),
    End,
}

impl RecordReader {
    /// Opens a file and checks its header against the table: unknown, duplicated and missing
    /// required columns are problems of the whole file.
    pub fn open(file: &ExtractFile) -> Result<std::result::Result<RecordReader, Vec<Problem>>> {
        let table = file.table.table();
        let file_name = file.file_name();
        let handle = File::open(&file.path).map_err(Error::io(&file.path))?;
        match file.format {
            FileFormat::Csv => {
                let mut reader =
                    csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(handle);
                let header = match reader.byte_headers() {
                    Ok(header) => header.clone(),
                    Err(err) => {
                        return Ok(Err(vec![file_problem(&file_name, format!("unreadable header: {err}"))]));
                    }
                };
                let mut names = Vec::with_capacity(header.len());
                for (index, raw) in header.iter().enumerate() {
                    let raw = if index == 0 { raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw) } else { raw };
                    match std::str::from_utf8(raw) {
                        Ok(name) => names.push(name.to_owned()),
                        Err(_) => {
                            return Ok(Err(vec![file_problem(
                                &file_name,
                                "the header is not UTF-8 text".into(),
                            )]));
                        }
                    }
                }
                let positions = match map_columns(table, &file_name, &names) {
                    Ok(positions) => positions,
                    Err(problems) => return Ok(Err(problems)),
                };
                Ok(Ok(RecordReader {
                    file_name,
                    positions,
                    inner: Inner::Csv(reader, csv::ByteRecord::new()),
                }))
            }
            FileFormat::Parquet => {
                let builder = match ParquetRecordBatchReaderBuilder::try_new(handle) {
                    Ok(builder) => builder,
                    Err(err) => {
                        return Ok(Err(vec![file_problem(
                            &file_name,
                            format!("not a readable parquet file: {err}"),
                        )]));
                    }
                };
                let schema: Schema = builder.schema().as_ref().clone();
                let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
                let positions = match map_columns(table, &file_name, &names) {
                    Ok(positions) => positions,
                    Err(problems) => return Ok(Err(problems)),
                };
                let mut problems = Vec::new();
                for (column, position) in table.columns.iter().zip(&positions) {
                    let Some(position) = position else { continue };
                    let data_type = schema.field(*position).data_type();
                    if let Err(reason) = check_parquet_type(column.kind, data_type) {
                        problems.push(Problem {
                            file: file_name.clone(),
                            location: Location::File,
                            column: Some(column.name.to_owned()),
                            reason,
                        });
                    }
                }
                if !problems.is_empty() {
                    return Ok(Err(problems));
                }
                let month_columns = names
                    .iter()
                    .map(|name| table.columns.iter().any(|c| c.name == name && c.kind == ColumnKind::Month))
                    .collect();
                let rows = u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
                let size = file.size()?;
                let reader = builder.with_batch_size(8192).build().map_err(Error::parquet(&file.path))?;
                Ok(Ok(RecordReader {
                    file_name,
                    positions,
                    inner: Inner::Parquet {
                        reader,
                        batch: Vec::new(),
                        next: 0,
                        row: 0,
                        month_columns,
                        size,
                        rows,
                    },
                }))
            }
        }
    }

    /// How many bytes of the file have been read, for progress: exact for CSV, estimated from
    /// the rows read for Parquet (whose pages are compressed).
    pub fn bytes_read(&self) -> u64 {
        match &self.inner {
            Inner::Csv(reader, _) => reader.position().byte(),
            Inner::Parquet { row, size, rows, .. } => {
                if *rows == 0 {
                    return 0;
                }
                let share = u128::from(*size) * u128::from((*row).min(*rows)) / u128::from(*rows);
                u64::try_from(share).unwrap_or(*size)
            }
        }
    }

    /// Reads the next record into `fields` (one entry per schema column).
    pub fn next_record(&mut self, fields: &mut Vec<String>) -> Record {
        fields.clear();
        match &mut self.inner {
            Inner::Csv(reader, record) => {
                match reader.read_byte_record(record) {
                    Ok(false) => return Record::End,
                    Ok(true) => {}
                    Err(err) => {
                        let line = err.position().map(|p| p.line()).unwrap_or(0);
                        return Record::Unreadable(Problem {
                            file: self.file_name.clone(),
                            location: Location::Line(line),
                            column: None,
                            reason: format!("malformed csv: {err}"),
                        });
                    }
                }
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                let location = Location::Line(line);
                let n_header = reader.byte_headers().map(csv::ByteRecord::len).unwrap_or_default();
                if record.len() != n_header {
                    // More fields than the header is as wrong as fewer: an unquoted comma in a
                    // name would otherwise shift or drop values silently.
                    return Record::Unreadable(Problem {
                        file: self.file_name.clone(),
                        location,
                        column: None,
                        reason: format!("{} fields where the header has {n_header}", record.len()),
                    });
                }
                for position in &self.positions {
                    let Some(position) = position else {
                        fields.push(String::new());
                        continue;
                    };
                    let raw = record.get(*position).unwrap_or_default();
                    match std::str::from_utf8(raw) {
                        Ok(text) => fields.push(text.to_owned()),
                        Err(_) => {
                            let header =
                                reader.byte_headers().ok().and_then(|h| h.get(*position).map(<[u8]>::to_vec));
                            let column = header.map(|h| String::from_utf8_lossy(&h).into_owned());
                            return Record::Unreadable(Problem {
                                file: self.file_name.clone(),
                                location,
                                column,
                                reason: "not UTF-8 text (convert GBK exports to UTF-8)".into(),
                            });
                        }
                    }
                }
                Record::Fields(location)
            }
            Inner::Parquet { reader, batch, next, row, month_columns, .. } => {
                if *next >= batch.len() {
                    match reader.next() {
                        None => return Record::End,
                        Some(Err(err)) => {
                            return Record::Unreadable(Problem {
                                file: self.file_name.clone(),
                                location: Location::Row(*row + 1),
                                column: None,
                                reason: format!("unreadable parquet data: {err}"),
                            });
                        }
                        Some(Ok(record_batch)) => match format_batch(&record_batch, month_columns) {
                            Ok(rows) => {
                                *batch = rows;
                                *next = 0;
                            }
                            Err(err) => {
                                return Record::Unreadable(Problem {
                                    file: self.file_name.clone(),
                                    location: Location::Row(*row + 1),
                                    column: None,
                                    reason: format!("unreadable parquet data: {err}"),
                                });
                            }
                        },
                    }
                    if batch.is_empty() {
                        return self.next_record(fields);
                    }
                }
                let values = std::mem::take(&mut batch[*next]);
                *next += 1;
                *row += 1;
                for position in &self.positions {
                    fields.push(position.map(|p| values[p].clone()).unwrap_or_default());
                }
                Record::Fields(Location::Row(*row))
            }
        }
    }
}

fn file_problem(file: &str, reason: String) -> Problem {
    Problem { file: file.to_owned(), location: Location::File, column: None, reason }
}

fn map_columns(
    table: &Table,
    file: &str,
    names: &[String],
) -> std::result::Result<Vec<Option<usize>>, Vec<Problem>> {
    let mut problems = Vec::new();
    for (index, name) in names.iter().enumerate() {
        if table.column_index(name).is_none() {
            problems.push(Problem {
                file: file.to_owned(),
                location: Location::File,
                column: Some(name.clone()),
                reason: format!(
                    "unknown column; {} has {}",
                    table.name,
                    table.columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
                ),
            });
        } else if names[..index].contains(name) {
            problems.push(Problem {
                file: file.to_owned(),
                location: Location::File,
                column: Some(name.clone()),
                reason: "column appears twice".into(),
            });
        }
    }
    let positions: Vec<Option<usize>> =
        table.columns.iter().map(|c| names.iter().position(|n| n == c.name)).collect();
    for (column, position) in table.columns.iter().zip(&positions) {
        if column.required && position.is_none() {
            problems.push(Problem {
                file: file.to_owned(),
                location: Location::File,
                column: Some(column.name.to_owned()),
                reason: "required column is missing".into(),
            });
        }
    }
    if problems.is_empty() { Ok(positions) } else { Err(problems) }
}

/// Parquet columns must carry a type that holds the column's values without loss: floats are
/// refused for money, for instance, rather than rounded.
fn check_parquet_type(kind: ColumnKind, data_type: &DataType) -> std::result::Result<(), String> {
    let text = matches!(data_type, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
    let ok = match kind {
        ColumnKind::Id | ColumnKind::Text { .. } | ColumnKind::Msisdn | ColumnKind::Code(_) => text,
        ColumnKind::Date | ColumnKind::Month => text || matches!(data_type, DataType::Date32),
        ColumnKind::Timestamp => text || matches!(data_type, DataType::Timestamp(_, None)),
        ColumnKind::Money { .. } => {
            text || matches!(data_type, DataType::Decimal128(_, s) if (0..=2).contains(s))
        }
        ColumnKind::Int { .. } => text || data_type.is_integer(),
        ColumnKind::Bool => text || matches!(data_type, DataType::Boolean),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("parquet type {data_type} cannot hold {} values exactly", kind.describe()))
    }
}

fn format_batch(
    batch: &RecordBatch,
    month_columns: &[bool],
) -> std::result::Result<Vec<Vec<String>>, arrow::error::ArrowError> {
    let options = FormatOptions::default().with_timestamp_format(Some("%Y-%m-%d %H:%M:%S"));
    let mut rows = vec![Vec::with_capacity(batch.num_columns()); batch.num_rows()];
    for (array, is_month) in batch.columns().iter().zip(month_columns) {
        if *is_month && let Some(dates) = array.as_any().downcast_ref::<Date32Array>() {
            for (index, row) in rows.iter_mut().enumerate() {
                row.push(if dates.is_null(index) { String::new() } else { format_month(dates.value(index)) });
            }
            continue;
        }
        let formatter = ArrayFormatter::try_new(array.as_ref(), &options)?;
        for (index, row) in rows.iter_mut().enumerate() {
            row.push(if array.is_null(index) { String::new() } else { formatter.value(index).to_string() });
        }
    }
    Ok(rows)
}

/// A month column stored as a date must hold the first day of the month; any other day is
/// shown in full so validation refuses it instead of silently truncating.
fn format_month(days: i32) -> String {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    match epoch.checked_add_signed(chrono::Duration::days(i64::from(days))) {
        Some(date) if date.day() == 1 => date.format("%Y-%m").to_string(),
        Some(date) => date.format("%Y-%m-%d").to_string(),
        None => days.to_string(),
    }
}
