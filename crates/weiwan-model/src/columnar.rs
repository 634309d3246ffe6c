//! Parquet in and out: the operator's feature tables (the customer 360 table in the lake) are
//! read straight into [`Frame`]s, and nightly scores are written as Parquet, so that ten
//! million lines never take a detour through CSV.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, RecordBatch, StringArray, StringBuilder};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::{Error, Result};
use crate::frame::{Column, Frame, Kind, MISSING, Values};
use crate::model::{ChurnModel, ContributionMethod};
use crate::reasons::Phrasebook;

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.to_path_buf(), source }
}

fn parquet_error(path: &Path, error: impl std::fmt::Display) -> Error {
    Error::input(path, format!("cannot read Parquet: {error}"))
}

/// The columns of a Parquet file and the kind each would be read as; `None` for types a model
/// does not read (dates, timestamps).
pub fn parquet_kinds(path: &Path) -> Result<Vec<(String, Option<Kind>)>> {
    let file = File::open(path).map_err(io(path))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| parquet_error(path, e))?;
    Ok(builder
        .schema()
        .fields()
        .iter()
        .map(|field| (field.name().clone(), kind_of(field.data_type())))
        .collect())
}

fn kind_of(data_type: &DataType) -> Option<Kind> {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Some(Kind::Text),
        DataType::Boolean
        | DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Float32
        | DataType::Float64
        | DataType::Decimal128(_, _) => Some(Kind::Numeric),
        _ => None,
    }
}

fn to_values(path: &Path, name: &str, kind: Kind, array: &ArrayRef) -> Result<Values> {
    let wrong = |e: arrow::error::ArrowError| Error::input(path, format!("column {name:?}: {e}"));
    match kind {
        Kind::Numeric => {
            let numbers = cast(array, &DataType::Float64).map_err(wrong)?;
            let numbers = numbers
                .as_any()
                .downcast_ref::<Float64Array>()
                .ok_or_else(|| Error::input(path, format!("column {name:?} is not numeric")))?;
            Ok(Values::Numeric(
                (0..numbers.len())
                    .map(|i| if numbers.is_null(i) { f64::NAN } else { numbers.value(i) })
                    .collect(),
            ))
        }
        Kind::Text => {
            let text = cast(array, &DataType::Utf8).map_err(wrong)?;
            let text = text
                .as_any()
                .downcast_ref::<StringArray>()
                .ok_or_else(|| Error::input(path, format!("column {name:?} is not text")))?;
            let mut index: HashMap<&str, u32> = HashMap::new();
            let mut levels = Vec::new();
            let mut codes = Vec::with_capacity(text.len());
            for i in 0..text.len() {
                if text.is_null(i) {
                    codes.push(MISSING);
                    continue;
                }
                let value = text.value(i);
                let code = *index.entry(value).or_insert_with(|| {
                    levels.push(value.to_string());
                    (levels.len() - 1) as u32
                });
                codes.push(code);
            }
            Ok(Values::Text { levels, codes })
        }
    }
}

/// Read `columns` from a Parquet file in frames of about `chunk_rows` rows. A wanted column the
/// file lacks is named in the error, with every other one missing.
pub fn for_each_parquet_chunk(
    path: &Path,
    columns: &[(String, Kind)],
    chunk_rows: usize,
    mut each: impl FnMut(Frame) -> Result<()>,
) -> Result<()> {
    let file = File::open(path).map_err(io(path))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| parquet_error(path, e))?;
    let schema = builder.schema().clone();
    let missing: Vec<String> = columns
        .iter()
        .filter(|(name, _)| schema.field_with_name(name).is_err())
        .map(|(name, _)| name.clone())
        .collect();
    if !missing.is_empty() {
        return Err(Error::MissingColumns { path: path.to_path_buf(), columns: missing });
    }
    let indices: Vec<usize> = columns.iter().filter_map(|(name, _)| schema.index_of(name).ok()).collect();
    let mask = ProjectionMask::roots(builder.parquet_schema(), indices);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(chunk_rows)
        .build()
        .map_err(|e| parquet_error(path, e))?;
    let mut first_row = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| parquet_error(path, e))?;
        let mut frame_columns = Vec::with_capacity(columns.len());
        for (name, kind) in columns {
            let array = batch.column_by_name(name).ok_or_else(|| Error::MissingColumns {
                path: path.to_path_buf(),
                columns: vec![name.clone()],
            })?;
            frame_columns.push(Column { name: name.clone(), values: to_values(path, name, *kind, array)? });
        }
        let rows = batch.num_rows();
        // "Lines" of a Parquet file are 1-based row numbers.
        let lines = (first_row + 1..=first_row + rows as u64).collect();
        first_row += rows as u64;
        each(Frame { path: path.to_path_buf(), columns: frame_columns, rows, lines })?;
    }
    Ok(())
}

/// Read `columns` of a whole Parquet file into one frame.
pub fn read_parquet(path: &Path, columns: &[(String, Kind)]) -> Result<Frame> {
    let mut parts = Vec::new();
    for_each_parquet_chunk(path, columns, 1 << 16, |frame| {
        parts.push(frame);
        Ok(())
    })?;
    Ok(concat(path, columns, parts))
}

fn concat(path: &Path, columns: &[(String, Kind)], parts: Vec<Frame>) -> Frame {
    let rows = parts.iter().map(|p| p.rows).sum();
    let lines = parts.iter().flat_map(|p| p.lines.iter().copied()).collect();
    let mut out = Vec::with_capacity(columns.len());
    for (index, (name, kind)) in columns.iter().enumerate() {
        let values = match kind {
            Kind::Numeric => Values::Numeric(
                parts
                    .iter()
                    .flat_map(|p| match &p.columns[index].values {
                        Values::Numeric(v) => v.clone(),
                        Values::Text { .. } => Vec::new(),
                    })
                    .collect(),
            ),
            Kind::Text => {
                let mut index_of: HashMap<String, u32> = HashMap::new();
                let mut levels: Vec<String> = Vec::new();
                let mut codes = Vec::with_capacity(rows);
                for part in &parts {
                    if let Values::Text { levels: part_levels, codes: part_codes } =
                        &part.columns[index].values
                    {
                        let map: Vec<u32> = part_levels
                            .iter()
                            .map(|level| {
                                *index_of.entry(level.clone()).or_insert_with(|| {
                                    levels.push(level.clone());
                                    (levels.len() - 1) as u32
                                })
                            })
                            .collect();
                        codes.extend(
                            part_codes.iter().map(|&c| if c == MISSING { MISSING } else { map[c as usize] }),
                        );
                    }
                }
                Values::Text { levels, codes }
            }
        };
        out.push(Column { name: name.clone(), values });
    }
    Frame { path: path.to_path_buf(), columns: out, rows, lines }
}

/// What nightly scoring wrote.
#[derive(Debug, Clone)]
pub struct ParquetScores {
    pub path: PathBuf,
    pub rows: usize,
    pub mean_probability: f64,
}

/// Score every row of a Parquet feature table into a Parquet file of `id_column`,
/// `churn_probability`, `churn_reasons_en`, `churn_reasons_zh` (the top `top` reasons joined by
/// "; "), written through a temporary file. `scored` is told the rows of each chunk once it
/// is written, for a progress display.
pub fn score_parquet(
    model: &ChurnModel,
    input: &Path,
    output: &Path,
    id_column: &str,
    top: usize,
    method: ContributionMethod,
    scored: &mut dyn FnMut(usize),
) -> Result<ParquetScores> {
    let mut columns = crate::features::wanted_columns(&model.features);
    if !columns.iter().any(|(name, _)| name == id_column) {
        columns.push((id_column.to_string(), Kind::Text));
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new(id_column, DataType::Utf8, false),
        Field::new("churn_probability", DataType::Float64, false),
        Field::new("churn_reasons_en", DataType::Utf8, false),
        Field::new("churn_reasons_zh", DataType::Utf8, false),
    ]));
    let write = |e: parquet::errors::ParquetError| Error::Write {
        path: output.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    };
    let tmp = output.with_extension("tmp");
    let phrasebook = Phrasebook::builtin();
    let (mut rows, mut sum) = (0usize, 0.0f64);
    let result = (|| -> Result<()> {
        let file = File::create(&tmp).map_err(|source| Error::Write { path: tmp.clone(), source })?;
        let mut writer = ArrowWriter::try_new(file, schema.clone(), None).map_err(write)?;
        for_each_parquet_chunk(input, &columns, 1 << 16, |chunk| {
            let p = model.predict(&chunk)?;
            let reasons = model.reasons(&chunk, top, method, &phrasebook)?;
            let ids = chunk.column(id_column).ok_or_else(|| Error::MissingColumns {
                path: input.to_path_buf(),
                columns: vec![id_column.into()],
            })?;
            let mut id = StringBuilder::new();
            let mut en = StringBuilder::new();
            let mut zh = StringBuilder::new();
            for (row, reasons) in reasons.iter().enumerate() {
                id.append_value(ids.display(row).unwrap_or_default());
                en.append_value(reasons.iter().map(|r| r.en.as_str()).collect::<Vec<_>>().join("; "));
                zh.append_value(reasons.iter().map(|r| r.zh.as_str()).collect::<Vec<_>>().join("; "));
            }
            let chunk_rows = p.len();
            rows += chunk_rows;
            sum += p.iter().sum::<f64>();
            let batch = RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(id.finish()),
                    Arc::new(Float64Array::from(p)),
                    Arc::new(en.finish()),
                    Arc::new(zh.finish()),
                ],
            )
            .map_err(|e| Error::Training(e.to_string()))?;
            writer.write(&batch).map_err(write)?;
            scored(chunk_rows);
            Ok(())
        })?;
        writer.close().map_err(write)?;
        std::fs::rename(&tmp, output).map_err(|source| Error::Write { path: output.to_path_buf(), source })
    })();
    if let Err(error) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(error);
    }
    Ok(ParquetScores { path: output.to_path_buf(), rows, mean_probability: sum / rows.max(1) as f64 })
}
