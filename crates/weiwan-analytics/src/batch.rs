//! The daily batch on Apache DataFusion, first stage: the customer 360 table.
//!
//! The lake's published versions are registered as SQL tables: history tables as every
//! version together (history is append-only, a key is delivered once), entity tables as the
//! latest delivered row per key across versions (an extract may carry only changed rows); and
//! the store snapshot the batch copies first (club activity, key persons; `store_snapshot.rs`).
//! `sql/customer_360.sql` computes the features; the result is streamed into
//! `customer_360/as_of=<date>.parquet`, written to a temporary file and renamed, so a reader
//! never sees half a table.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Datelike, Months, NaiveDate};
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext};
use futures::StreamExt;
use parquet::arrow::ArrowWriter;
use weiwan_domain::{TableId, TableRole};

use crate::error::{Error, Result};
use crate::lake::Lake;
use crate::layout::arrow_schema;
use crate::writer::writer_properties;

const CUSTOMER_360_SQL: &str = include_str!("../sql/customer_360.sql");

/// What the 360 stage wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer360 {
    pub path: PathBuf,
    pub rows: u64,
}

/// Where the 360 table for a date lives in the lake.
pub fn customer_360_path(lake: &Lake, as_of: NaiveDate) -> PathBuf {
    lake.root().join("customer_360").join(format!("as_of={as_of}.parquet"))
}

/// A DataFusion session with every published table of the lake registered.
pub async fn lake_session(lake: &Lake) -> Result<SessionContext> {
    let config = SessionConfig::new()
        .with_target_partitions(std::thread::available_parallelism().map_or(2, |n| n.get()));
    let context = SessionContext::new_with_config(config);
    let root = std::fs::canonicalize(lake.root()).map_err(Error::io(lake.root()))?;
    for table in TableId::ALL {
        let files: Vec<PathBuf> = lake
            .table_files(table)?
            .into_iter()
            .map(|f| root.join(f.strip_prefix(lake.root()).unwrap_or(&f)))
            .collect();
        let schema = arrow_schema(table.table());
        let name = table.name();
        if files.is_empty() {
            let empty = MemTable::try_new(schema.clone(), vec![vec![]])?;
            context.register_table(name, Arc::new(empty))?;
            continue;
        }
        let single_snapshot = files.len() == 1 || table.table().role != TableRole::Entity;
        if single_snapshot {
            register_files(&context, name, &files, schema)?;
            continue;
        }
        // Several snapshots of an entity table: the newest version of each key wins.
        let mut versions = Vec::new();
        for (index, file) in files.iter().enumerate() {
            let version_name = format!("{name}__v{index}");
            register_files(&context, &version_name, std::slice::from_ref(file), schema.clone())?;
            versions.push(format!("SELECT *, {index} AS weiwan_version FROM {version_name}"));
        }
        let columns: Vec<&str> = table.table().columns.iter().map(|c| c.name).collect();
        let key = table.table().key.join(", ");
        let view = format!(
            "CREATE VIEW {name} AS SELECT {cols} FROM (SELECT *, ROW_NUMBER() OVER \
             (PARTITION BY {key} ORDER BY weiwan_version DESC) AS weiwan_rank FROM ({union})) \
             WHERE weiwan_rank = 1",
            cols = columns.join(", "),
            union = versions.join(" UNION ALL "),
        );
        context.sql(&view).await?;
    }
    // What the batch copied from the store: club memberships and attendance, key persons.
    crate::store_snapshot::register_store_snapshot(&context, Some(lake)).await?;
    Ok(context)
}

fn register_files(
    context: &SessionContext,
    name: &str,
    files: &[PathBuf],
    schema: arrow::datatypes::SchemaRef,
) -> Result<()> {
    let urls = files
        .iter()
        .map(|file| ListingTableUrl::parse(file.to_string_lossy()))
        .collect::<datafusion::error::Result<Vec<_>>>()?;
    let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let config =
        ListingTableConfig::new_with_multi_paths(urls).with_listing_options(options).with_schema(schema);
    context.register_table(name, Arc::new(ListingTable::try_new(config)?))?;
    Ok(())
}

/// The SQL of the 360 table for a date, with its placeholders filled from the date.
pub fn customer_360_sql(as_of: NaiveDate) -> Result<String> {
    let month_start =
        |date: NaiveDate| date.with_day(1).ok_or_else(|| Error::internal("no first day of month"));
    let back = |date: NaiveDate, months: u32| {
        date.checked_sub_months(Months::new(months))
            .ok_or_else(|| Error::internal(format!("{date} minus {months} months")))
    };
    let m1 = back(month_start(as_of)?, 1)?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).ok_or_else(|| Error::internal("epoch"))?;
    let d90 = as_of - chrono::Duration::days(90);
    let plus90 = as_of + chrono::Duration::days(90);
    Ok(CUSTOMER_360_SQL
        .replace("{as_of_days}", &(as_of - epoch).num_days().to_string())
        .replace("{as_of}", &as_of.to_string())
        .replace("{m1}", &m1.to_string())
        .replace("{m3}", &back(m1, 2)?.to_string())
        .replace("{m4}", &back(m1, 3)?.to_string())
        .replace("{m6}", &back(m1, 5)?.to_string())
        .replace("{m12}", &back(m1, 11)?.to_string())
        .replace("{d90}", &format!("{d90} 00:00:00"))
        .replace("{d90_day}", &d90.to_string())
        .replace("{plus90}", &plus90.to_string()))
}

/// Builds the 360 table as of a date and writes it to the lake.
pub async fn build_customer_360(lake: &Lake, as_of: NaiveDate) -> Result<Customer360> {
    let context = lake_session(lake).await?;
    let frame = context.sql(&customer_360_sql(as_of)?).await?;
    let path = customer_360_path(lake, as_of);
    let rows = write_query(frame, &path).await?;
    tracing::info!(as_of = %as_of, rows, path = %path.display(), "customer 360 table written");
    Ok(Customer360 { path, rows })
}

/// Streams a query's result into a Parquet file: written beside it under a temporary name,
/// then renamed, so the file is either the whole result or absent. Returns the row count.
pub async fn write_query(frame: DataFrame, path: &Path) -> Result<u64> {
    let mut stream = frame.execute_stream().await?;
    // The executed plan's schema, not the logical one: type coercion (say, `CASE WHEN … THEN 1
    // ELSE 0.5 END` in a tag) is applied while planning execution.
    let schema = stream.schema();
    let dir = path.parent().map(PathBuf::from).unwrap_or_default();
    std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    let temporary = path.with_extension("parquet.tmp");
    let file = std::fs::File::create(&temporary).map_err(Error::io(&temporary))?;
    let mut writer =
        ArrowWriter::try_new(file, schema, Some(writer_properties())).map_err(Error::parquet(&temporary))?;
    let mut rows = 0u64;
    let written: Result<()> = async {
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            rows += batch.num_rows() as u64;
            writer.write(&batch).map_err(Error::parquet(&temporary))?;
        }
        Ok(())
    }
    .await;
    if let Err(err) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(err);
    }
    let file = writer.into_inner().map_err(Error::parquet(&temporary))?;
    file.sync_all().map_err(Error::io(&temporary))?;
    std::fs::rename(&temporary, path).map_err(Error::io(path))?;
    Ok(rows)
}
