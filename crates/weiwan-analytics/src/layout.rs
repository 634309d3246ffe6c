//! How the schema's tables are laid out in Arrow: types per column kind, building record
//! batches from rows, and reading rows back from batches.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, BooleanBuilder, Date32Array, Date32Builder, Decimal128Array,
    Decimal128Builder, Int64Array, Int64Builder, RecordBatch, StringArray, StringBuilder,
    TimestampSecondArray, TimestampSecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::{DateTime, NaiveDate};
use weiwan_domain::{Column, ColumnKind, Money, Table, Value};

use crate::error::{Error, Result};

/// Money is written as a decimal with two places: exact, and readable by any Parquet tool.
pub const MONEY_PRECISION: u8 = 18;
pub const MONEY_SCALE: i8 = 2;

pub fn arrow_type(kind: ColumnKind) -> DataType {
    match kind {
        ColumnKind::Id | ColumnKind::Text { .. } | ColumnKind::Msisdn | ColumnKind::Code(_) => DataType::Utf8,
        ColumnKind::Date | ColumnKind::Month => DataType::Date32,
        ColumnKind::Timestamp => DataType::Timestamp(TimeUnit::Second, None),
        ColumnKind::Money { .. } => DataType::Decimal128(MONEY_PRECISION, MONEY_SCALE),
        ColumnKind::Int { .. } => DataType::Int64,
        ColumnKind::Bool => DataType::Boolean,
    }
}

pub fn arrow_schema(table: &Table) -> SchemaRef {
    let fields: Vec<Field> =
        table.columns.iter().map(|c| Field::new(c.name, arrow_type(c.kind), !c.required)).collect();
    Arc::new(Schema::new(fields))
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

fn date_to_days(date: NaiveDate) -> i32 {
    // Dates are validated to lie in 1900..=2100, so the day count always fits.
    i32::try_from(date.signed_duration_since(epoch()).num_days()).unwrap_or(i32::MAX)
}

fn days_to_date(days: i32) -> Option<NaiveDate> {
    epoch().checked_add_signed(chrono::Duration::days(i64::from(days)))
}

enum ColumnBuilder {
    Utf8(StringBuilder),
    Date(Date32Builder),
    Timestamp(TimestampSecondBuilder),
    Money(Decimal128Builder),
    Int(Int64Builder),
    Bool(BooleanBuilder),
}

/// Accumulates rows of one table and turns them into a [`RecordBatch`].
pub struct BatchBuilder {
    schema: SchemaRef,
    columns: Vec<ColumnBuilder>,
    n_rows: usize,
}

impl std::fmt::Debug for BatchBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchBuilder").field("n_rows", &self.n_rows).finish_non_exhaustive()
    }
}

impl BatchBuilder {
    pub fn new(table: &Table) -> BatchBuilder {
        let columns = table
            .columns
            .iter()
            .map(|c| match c.kind {
                ColumnKind::Id | ColumnKind::Text { .. } | ColumnKind::Msisdn | ColumnKind::Code(_) => {
                    ColumnBuilder::Utf8(StringBuilder::new())
                }
                ColumnKind::Date | ColumnKind::Month => ColumnBuilder::Date(Date32Builder::new()),
                ColumnKind::Timestamp => ColumnBuilder::Timestamp(TimestampSecondBuilder::new()),
                ColumnKind::Money { .. } => ColumnBuilder::Money(
                    Decimal128Builder::new()
                        .with_data_type(DataType::Decimal128(MONEY_PRECISION, MONEY_SCALE)),
                ),
                ColumnKind::Int { .. } => ColumnBuilder::Int(Int64Builder::new()),
                ColumnKind::Bool => ColumnBuilder::Bool(BooleanBuilder::new()),
            })
            .collect();
        BatchBuilder { schema: arrow_schema(table), columns, n_rows: 0 }
    }

    pub fn len(&self) -> usize {
        self.n_rows
    }

    pub fn is_empty(&self) -> bool {
        self.n_rows == 0
    }

    /// Appends one row in schema column order. The row must already be valid for the table;
    /// a value of the wrong variant is a bug in the caller and is reported as such.
    pub fn push(&mut self, row: &[Value]) -> Result<()> {
        if row.len() != self.columns.len() {
            return Err(Error::internal(format!(
                "row has {} values, table has {} columns",
                row.len(),
                self.columns.len()
            )));
        }
        for (index, (builder, value)) in self.columns.iter_mut().zip(row).enumerate() {
            match (builder, value) {
                (ColumnBuilder::Utf8(b), Value::Text(text)) => b.append_value(text),
                (ColumnBuilder::Utf8(b), Value::Null) => b.append_null(),
                (ColumnBuilder::Date(b), Value::Date(date)) => b.append_value(date_to_days(*date)),
                (ColumnBuilder::Date(b), Value::Null) => b.append_null(),
                (ColumnBuilder::Timestamp(b), Value::Timestamp(ts)) => {
                    b.append_value(ts.and_utc().timestamp())
                }
                (ColumnBuilder::Timestamp(b), Value::Null) => b.append_null(),
                (ColumnBuilder::Money(b), Value::Money(money)) => b.append_value(i128::from(money.fen())),
                (ColumnBuilder::Money(b), Value::Null) => b.append_null(),
                (ColumnBuilder::Int(b), Value::Int(number)) => b.append_value(*number),
                (ColumnBuilder::Int(b), Value::Null) => b.append_null(),
                (ColumnBuilder::Bool(b), Value::Bool(flag)) => b.append_value(*flag),
                (ColumnBuilder::Bool(b), Value::Null) => b.append_null(),
                (_, value) => {
                    let column = self.schema.field(index).name();
                    return Err(Error::internal(format!("value {value:?} does not fit column {column}")));
                }
            }
        }
        self.n_rows += 1;
        Ok(())
    }

    /// Takes the rows pushed so far as a batch and starts afresh.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        let arrays: Vec<ArrayRef> = self
            .columns
            .iter_mut()
            .map(|builder| -> ArrayRef {
                match builder {
                    ColumnBuilder::Utf8(b) => Arc::new(b.finish()),
                    ColumnBuilder::Date(b) => Arc::new(b.finish()),
                    ColumnBuilder::Timestamp(b) => Arc::new(b.finish()),
                    ColumnBuilder::Money(b) => Arc::new(b.finish()),
                    ColumnBuilder::Int(b) => Arc::new(b.finish()),
                    ColumnBuilder::Bool(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        self.n_rows = 0;
        Ok(RecordBatch::try_new(self.schema.clone(), arrays)?)
    }
}

/// Reads rows back from a batch written with [`arrow_schema`].
/// `columns` are the table's columns, or the projected subset the batch holds.
pub fn rows_from_batch(columns: &[Column], batch: &RecordBatch) -> Result<Vec<Vec<Value>>> {
    let mut rows = vec![Vec::with_capacity(columns.len()); batch.num_rows()];
    for (column, array) in columns.iter().zip(batch.columns()) {
        let wrong =
            || Error::internal(format!("column {} is not laid out as {:?}", column.name, column.kind));
        macro_rules! each {
            ($array_type:ty, |$a:ident, $i:ident| $convert:expr) => {{
                let $a = array.as_any().downcast_ref::<$array_type>().ok_or_else(wrong)?;
                for ($i, row) in rows.iter_mut().enumerate() {
                    row.push(if $a.is_null($i) { Value::Null } else { $convert });
                }
            }};
        }
        match arrow_type(column.kind) {
            DataType::Utf8 => each!(StringArray, |a, i| Value::Text(a.value(i).to_owned())),
            DataType::Date32 => {
                each!(Date32Array, |a, i| Value::Date(days_to_date(a.value(i)).ok_or_else(wrong)?))
            }
            DataType::Timestamp(..) => each!(TimestampSecondArray, |a, i| Value::Timestamp(
                DateTime::from_timestamp(a.value(i), 0).ok_or_else(wrong)?.naive_utc()
            )),
            DataType::Decimal128(..) => each!(Decimal128Array, |a, i| Value::Money(Money::from_fen(
                i64::try_from(a.value(i)).map_err(|_| wrong())?
            ))),
            DataType::Int64 => each!(Int64Array, |a, i| Value::Int(a.value(i))),
            DataType::Boolean => each!(BooleanArray, |a, i| Value::Bool(a.value(i))),
            _ => return Err(wrong()),
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use weiwan_domain::TableId;

    use super::*;

    #[test]
    fn rows_survive_a_round_trip_through_arrow() {
        let table = TableId::UsageMonthly.table();
        let fields = ["S1", "2026-03", "96.50", "300", "2048", "12", "3", "100", "-4.20", "0", "1", "25"];
        let row: Vec<Value> =
            table.columns.iter().zip(fields).map(|(c, f)| c.parse(f).expect("valid")).collect();
        let mut builder = BatchBuilder::new(table);
        builder.push(&row).expect("push");
        let batch = builder.finish().expect("batch");
        assert_eq!(rows_from_batch(table.columns, &batch).expect("rows"), vec![row]);
    }
}
