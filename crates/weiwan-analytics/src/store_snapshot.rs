//! What the daily batch needs from the store, copied into the data directory: club memberships,
//! club attendance, and key persons 关键人 with their influence. The app reads them from the
//! store and hands them here; each file is written under a temporary name and renamed, so the
//! 360 query reads a whole file or the previous one.
//!
//! The snapshot carries dates, not flags: memberships with the day they began and ended,
//! attendance with the event's day. So a 360 table built as of any date (a training window in
//! the past included) counts only what happened before that date, and the newest snapshot
//! serves every date. Without a snapshot the tables are empty: no one is a club member, no key
//! person has a recorded influence (the app always writes every key person, recorded or not).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use chrono::NaiveDate;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use parquet::arrow::ArrowWriter;

use crate::error::{Error, Result};
use crate::lake::Lake;
use crate::writer::writer_properties;

/// A club membership: a customer was a member from `joined_on` until the day before `left_on`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClubMembershipRow {
    pub customer_id: String,
    pub club_id: String,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
}

/// A club event a customer attended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClubAttendanceRow {
    pub customer_id: String,
    pub club_id: String,
    pub event_id: i64,
    pub held_on: NaiveDate,
}

/// A key person of a group with the weight of their influence (recorded by a manager, or the
/// policy's default for one nobody recorded).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyPersonRow {
    pub customer_id: String,
    pub group_id: String,
    /// A `KeyPersonRole` code.
    pub role: String,
    /// w in [0, 1].
    pub influence: f64,
}

/// Everything the batch copies from the store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreSnapshot {
    pub memberships: Vec<ClubMembershipRow>,
    pub attendance: Vec<ClubAttendanceRow>,
    pub key_persons: Vec<KeyPersonRow>,
}

/// The tables of the snapshot, as the 360 query names them.
pub const CLUB_MEMBERS: &str = "club_members";
pub const CLUB_ATTENDANCE: &str = "club_attendance";
pub const KEY_PERSONS: &str = "key_persons";

/// Where the snapshot lives in the data directory.
pub fn store_snapshot_dir(lake: &Lake) -> PathBuf {
    lake.root().join("store_snapshot")
}

fn schema(table: &str) -> SchemaRef {
    let text = |name: &str| Field::new(name, DataType::Utf8, false);
    let fields = match table {
        CLUB_MEMBERS => vec![
            text("customer_id"),
            text("club_id"),
            Field::new("joined_on", DataType::Date32, false),
            Field::new("left_on", DataType::Date32, true),
        ],
        CLUB_ATTENDANCE => vec![
            text("customer_id"),
            text("club_id"),
            Field::new("event_id", DataType::Int64, false),
            Field::new("held_on", DataType::Date32, false),
        ],
        _ => vec![
            text("customer_id"),
            text("group_id"),
            text("role"),
            Field::new("influence", DataType::Float64, false),
        ],
    };
    Arc::new(Schema::new(fields))
}

fn days(date: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    i32::try_from((date - epoch).num_days()).unwrap_or(i32::MAX)
}

fn strings<'a>(values: impl Iterator<Item = &'a str>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(values))
}

/// Writes the three snapshot files, each whole or not at all.
pub fn write_store_snapshot(lake: &Lake, snapshot: &StoreSnapshot) -> Result<()> {
    let dir = store_snapshot_dir(lake);
    std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    let m = &snapshot.memberships;
    let members = RecordBatch::try_new(
        schema(CLUB_MEMBERS),
        vec![
            strings(m.iter().map(|r| r.customer_id.as_str())),
            strings(m.iter().map(|r| r.club_id.as_str())),
            Arc::new(Date32Array::from_iter_values(m.iter().map(|r| days(r.joined_on)))),
            Arc::new(Date32Array::from_iter(m.iter().map(|r| r.left_on.map(days)))),
        ],
    )?;
    let a = &snapshot.attendance;
    let attendance = RecordBatch::try_new(
        schema(CLUB_ATTENDANCE),
        vec![
            strings(a.iter().map(|r| r.customer_id.as_str())),
            strings(a.iter().map(|r| r.club_id.as_str())),
            Arc::new(Int64Array::from_iter_values(a.iter().map(|r| r.event_id))),
            Arc::new(Date32Array::from_iter_values(a.iter().map(|r| days(r.held_on)))),
        ],
    )?;
    let k = &snapshot.key_persons;
    if let Some(bad) = k.iter().find(|r| !(0.0..=1.0).contains(&r.influence)) {
        return Err(Error::internal(format!(
            "key person {}: influence {} is not 0 to 1",
            bad.customer_id, bad.influence
        )));
    }
    let key_persons = RecordBatch::try_new(
        schema(KEY_PERSONS),
        vec![
            strings(k.iter().map(|r| r.customer_id.as_str())),
            strings(k.iter().map(|r| r.group_id.as_str())),
            strings(k.iter().map(|r| r.role.as_str())),
            Arc::new(Float64Array::from_iter_values(k.iter().map(|r| r.influence))),
        ],
    )?;
    for (table, batch) in [(CLUB_MEMBERS, members), (CLUB_ATTENDANCE, attendance), (KEY_PERSONS, key_persons)]
    {
        write_batch(&dir.join(format!("{table}.parquet")), &batch)?;
    }
    tracing::info!(
        memberships = m.len(),
        attendance = a.len(),
        key_persons = k.len(),
        "store snapshot written"
    );
    Ok(())
}

fn write_batch(path: &Path, batch: &RecordBatch) -> Result<()> {
    let temporary = path.with_extension("parquet.tmp");
    let file = std::fs::File::create(&temporary).map_err(Error::io(&temporary))?;
    let written = (|| -> Result<std::fs::File> {
        let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(writer_properties()))
            .map_err(Error::parquet(&temporary))?;
        writer.write(batch).map_err(Error::parquet(&temporary))?;
        writer.into_inner().map_err(Error::parquet(&temporary))
    })();
    let file = match written {
        Ok(file) => file,
        Err(err) => {
            let _ = std::fs::remove_file(&temporary);
            return Err(err);
        }
    };
    file.sync_all().map_err(Error::io(&temporary))?;
    std::fs::rename(&temporary, path).map_err(Error::io(path))
}

/// Registers the snapshot's tables in `context`: from the data directory when a snapshot was
/// written there, else empty (also when `lake` is `None`, for planning over empty tables).
pub(crate) async fn register_store_snapshot(context: &SessionContext, lake: Option<&Lake>) -> Result<()> {
    for table in [CLUB_MEMBERS, CLUB_ATTENDANCE, KEY_PERSONS] {
        let path = lake.map(|lake| store_snapshot_dir(lake).join(format!("{table}.parquet")));
        match path {
            Some(path) if path.exists() => {
                let schema = schema(table);
                let options = datafusion::prelude::ParquetReadOptions::default().schema(&schema);
                context.register_parquet(table, path.to_string_lossy().as_ref(), options).await?;
            }
            _ => {
                context.register_table(table, Arc::new(MemTable::try_new(schema(table), vec![vec![]])?))?;
            }
        }
    }
    Ok(())
}
