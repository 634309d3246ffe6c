//! The two backends. Their SQL is identical (both speak `INSERT … ON CONFLICT … DO UPDATE`),
//! so one macro writes both implementations of [`Store`]; only connecting, migrations and
//! string collation differ.

use std::str::FromStr;

use async_trait::async_trait;
use chrono::{NaiveDate, NaiveDateTime};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
// Dynamic SQL here is assembled only from the static schema (table and column names), never
// from input; values are always bound.
use sqlx::{AssertSqlSafe, QueryBuilder, Row};
use weiwan_domain::{ColumnKind, Money, TableId, Value};

use crate::error::{Error, Result, db};
use crate::{BranchCount, CohortRecord, ImportRecord, ImportTx, SegmentRecord, Store, Summary};

/// Rows per INSERT statement: well under both backends' limits on bound parameters.
const ROWS_PER_STATEMENT: usize = 1000;

/// SQLite, embedded: a file next to the data directory, or memory for tests.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
}

impl SqliteStore {
    pub async fn connect(url: &str) -> Result<SqliteStore> {
        let in_memory = url.contains(":memory:");
        let options = if url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url)
                .map_err(|e| Error::InvalidUrl { url: url.to_owned(), reason: e.to_string() })?
        } else {
            SqliteConnectOptions::new().filename(url)
        };
        let options = options
            .create_if_missing(true)
            .foreign_keys(true)
            .journal_mode(if in_memory { SqliteJournalMode::Memory } else { SqliteJournalMode::Wal })
            .synchronous(SqliteSynchronous::Normal);
        // Every connection to `:memory:` is a database of its own, so memory stores get one.
        let max_connections = if in_memory { 1 } else { 4 };
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .connect_with(options)
            .await
            .map_err(db(format!("open sqlite database {url}")))?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(SqliteStore { pool })
    }
}

/// PostgreSQL, for a team. `schema` confines the store to one schema (tests use it to get a
/// fresh database each).
#[derive(Debug, Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
}

impl PgStore {
    pub async fn connect(url: &str, schema: Option<&str>) -> Result<PgStore> {
        let mut options = PgConnectOptions::from_str(url)
            .map_err(|e| Error::InvalidUrl { url: url.to_owned(), reason: e.to_string() })?;
        if let Some(schema) = schema {
            options = options.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(db("connect to postgresql"))?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PgStore { pool })
    }
}

macro_rules! store_impl {
    ($store:ident, $tx:ident, $db:ty, $backend:literal, $collate:literal) => {
        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn find_import(&self, extract_id: &str) -> Result<Option<ImportRecord>> {
                let mut query = QueryBuilder::<$db>::new(
                    "SELECT extract_id, imported_at, source, rows_json FROM imports WHERE extract_id = ",
                );
                query.push_bind(extract_id.to_owned());
                let row = query.build().fetch_optional(&self.pool).await.map_err(db("look up an import"))?;
                row.as_ref().map(import_record).transpose()
            }

            async fn list_imports(&self) -> Result<Vec<ImportRecord>> {
                let sql = concat!(
                    "SELECT extract_id, imported_at, source, rows_json FROM imports ORDER BY imported_at, extract_id",
                    $collate
                );
                let rows = sqlx::query(sql).fetch_all(&self.pool).await.map_err(db("list imports"))?;
                rows.iter().map(import_record).collect()
            }

            async fn keys(&self, table: TableId, filter: Option<(&'static str, &'static str)>) -> Result<Vec<String>> {
                let spec = entity(table)?;
                let mut query = QueryBuilder::<$db>::new(format!("SELECT {} FROM {}", spec.key[0], spec.name));
                if let Some((column, code)) = filter {
                    spec.index(column);
                    query.push(format!(" WHERE {column} = "));
                    query.push_bind(code.to_owned());
                }
                let action = format!("read the keys of {}", spec.name);
                let rows = query.build().fetch_all(&self.pool).await.map_err(db(action.clone()))?;
                rows.iter().map(|row| row.try_get::<String, _>(0).map_err(db(action.clone()))).collect()
            }

            async fn begin_import(&self) -> Result<Box<dyn ImportTx>> {
                let tx = self.pool.begin().await.map_err(db("begin an import transaction"))?;
                Ok(Box::new($tx { tx }))
            }

            async fn summary(&self) -> Result<Summary> {
                let count = |table: &'static str| {
                    let pool = self.pool.clone();
                    async move {
                        let row = sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                            .fetch_one(&pool)
                            .await
                            .map_err(db(format!("count {table}")))?;
                        row.try_get::<i64, _>(0).map_err(db(format!("count {table}")))
                    }
                };
                let grouped = |sql: &'static str| {
                    let pool = self.pool.clone();
                    async move {
                        let rows = sqlx::query(sql).fetch_all(&pool).await.map_err(db("summarise the base"))?;
                        rows.iter()
                            .map(|row| Ok((row.try_get::<String, _>(0)?, row.try_get::<i64, _>(1)?)))
                            .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
                            .map_err(db("summarise the base"))
                    }
                };
                let branch_rows = sqlx::query(concat!(
                    "SELECT b.branch_id, b.name, ",
                    "(SELECT COUNT(*) FROM customers c WHERE c.branch_id = b.branch_id), ",
                    "(SELECT COUNT(*) FROM subscriptions s JOIN customers c ON c.customer_id = s.customer_id ",
                    "WHERE c.branch_id = b.branch_id) ",
                    "FROM branches b ORDER BY b.branch_id",
                    $collate
                ))
                .fetch_all(&self.pool)
                .await
                .map_err(db("count customers by branch"))?;
                let by_branch = branch_rows
                    .iter()
                    .map(|row| {
                        Ok(BranchCount {
                            branch_id: row.try_get(0)?,
                            name: row.try_get(1)?,
                            customers: row.try_get(2)?,
                            subscriptions: row.try_get(3)?,
                        })
                    })
                    .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
                    .map_err(db("count customers by branch"))?;
                Ok(Summary {
                    branches: count("branches").await?,
                    managers: count("managers").await?,
                    plans: count("plans").await?,
                    customers: count("customers").await?,
                    subscriptions: count("subscriptions").await?,
                    contracts: count("contracts").await?,
                    imports: count("imports").await?,
                    customers_by_tier: grouped(concat!(
                        "SELECT vip_tier, COUNT(*) FROM customers GROUP BY vip_tier ORDER BY vip_tier",
                        $collate
                    ))
                    .await?,
                    subscriptions_by_status: grouped(concat!(
                        "SELECT status, COUNT(*) FROM subscriptions GROUP BY status ORDER BY status",
                        $collate
                    ))
                    .await?,
                    by_branch,
                })
            }

            async fn dump_table(&self, table: TableId) -> Result<Vec<Vec<Value>>> {
                let spec = entity(table)?;
                let sql = format!("{} ORDER BY {}{}", select_entity(spec), spec.key[0], $collate);
                let action = format!("read {}", spec.name);
                let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&self.pool).await.map_err(db(action.clone()))?;
                rows.iter().map(|row| entity_values(row, spec, &action)).collect()
            }

            async fn save_segment(&self, segment: &SegmentRecord, replace: bool) -> Result<bool> {
                let mut query = QueryBuilder::<$db>::new(
                    "INSERT INTO segments (name, mode, definition, schedule, description, saved_at) ",
                );
                query.push_values([segment], |mut separated, s| {
                    separated
                        .push_bind(s.name.clone())
                        .push_bind(s.mode.clone())
                        .push_bind(s.definition.clone())
                        .push_bind(s.schedule.clone())
                        .push_bind(s.description.clone())
                        .push_bind(s.saved_at.clone());
                });
                query.push(if replace {
                    " ON CONFLICT (name) DO UPDATE SET mode = excluded.mode, definition = excluded.definition, \
                     schedule = excluded.schedule, description = excluded.description, saved_at = excluded.saved_at"
                } else {
                    " ON CONFLICT (name) DO NOTHING"
                });
                let done = query.build().execute(&self.pool).await.map_err(db("save a target group"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn segments(&self) -> Result<Vec<SegmentRecord>> {
                let sql = concat!(
                    "SELECT name, mode, definition, schedule, description, saved_at FROM segments ORDER BY name",
                    $collate
                );
                let rows = sqlx::query(sql).fetch_all(&self.pool).await.map_err(db("list target groups"))?;
                rows.iter()
                    .map(|row| {
                        Ok(SegmentRecord {
                            name: row.try_get(0)?,
                            mode: row.try_get(1)?,
                            definition: row.try_get(2)?,
                            schedule: row.try_get(3)?,
                            description: row.try_get(4)?,
                            saved_at: row.try_get(5)?,
                        })
                    })
                    .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
                    .map_err(db("read target groups"))
            }

            async fn delete_segment(&self, name: &str) -> Result<bool> {
                let mut query = QueryBuilder::<$db>::new("DELETE FROM segments WHERE name = ");
                query.push_bind(name.to_owned());
                let done = query.build().execute(&self.pool).await.map_err(db("delete a target group"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn record_cohort(&self, cohort: &CohortRecord) -> Result<bool> {
                let mut query = QueryBuilder::<$db>::new(
                    "INSERT INTO cohorts (name, taken_on, mode, definition, members, created_at) ",
                );
                query.push_values([cohort], |mut separated, c| {
                    separated
                        .push_bind(c.name.clone())
                        .push_bind(c.taken_on.clone())
                        .push_bind(c.mode.clone())
                        .push_bind(c.definition.clone())
                        .push_bind(c.members)
                        .push_bind(c.created_at.clone());
                });
                query.push(" ON CONFLICT (name) DO NOTHING");
                let done = query.build().execute(&self.pool).await.map_err(db("register a cohort"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn cohorts(&self) -> Result<Vec<CohortRecord>> {
                let sql = concat!(
                    "SELECT name, taken_on, mode, definition, members, created_at FROM cohorts ORDER BY name",
                    $collate
                );
                let rows = sqlx::query(sql).fetch_all(&self.pool).await.map_err(db("list cohorts"))?;
                rows.iter()
                    .map(|row| {
                        Ok(CohortRecord {
                            name: row.try_get(0)?,
                            taken_on: row.try_get(1)?,
                            mode: row.try_get(2)?,
                            definition: row.try_get(3)?,
                            members: row.try_get(4)?,
                            created_at: row.try_get(5)?,
                        })
                    })
                    .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
                    .map_err(db("read cohorts"))
            }
        }

        /// One import transaction on this backend.
        pub struct $tx {
            tx: sqlx::Transaction<'static, $db>,
        }

        impl std::fmt::Debug for $tx {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(stringify!($tx))
            }
        }

        #[async_trait]
        impl ImportTx for $tx {
            async fn upsert(&mut self, table: TableId, rows: &[Vec<Value>]) -> Result<()> {
                let spec = entity(table)?;
                let columns: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
                let updates: Vec<String> = columns
                    .iter()
                    .filter(|c| !spec.key.contains(c))
                    .map(|c| format!("{c} = excluded.{c}"))
                    .collect();
                for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                    let mut query =
                        QueryBuilder::<$db>::new(format!("INSERT INTO {} ({}) ", spec.name, columns.join(", ")));
                    let mut bad_value = None;
                    query.push_values(chunk, |mut separated, row| {
                        for (column, value) in spec.columns.iter().zip(row) {
                            match (column.kind, value) {
                                (ColumnKind::Id | ColumnKind::Text { .. } | ColumnKind::Msisdn | ColumnKind::Code(_), _) => {
                                    separated.push_bind(value.as_text().map(str::to_owned))
                                }
                                (ColumnKind::Date | ColumnKind::Month, _) => separated.push_bind(value.as_date()),
                                (ColumnKind::Timestamp, Value::Timestamp(ts)) => separated.push_bind(Some(*ts)),
                                (ColumnKind::Timestamp, _) => separated.push_bind(None::<NaiveDateTime>),
                                (ColumnKind::Money { .. }, Value::Money(money)) => separated.push_bind(Some(money.fen())),
                                (ColumnKind::Int { .. }, Value::Int(number)) => separated.push_bind(Some(*number)),
                                (ColumnKind::Money { .. } | ColumnKind::Int { .. }, _) => {
                                    separated.push_bind(None::<i64>)
                                }
                                (ColumnKind::Bool, _) => separated.push_bind(value.as_bool()),
                            };
                            if !value.is_null() && !fits(column.kind, value) {
                                bad_value = Some(format!("{value:?} in {}.{}", spec.name, column.name));
                            }
                        }
                    });
                    if let Some(bad_value) = bad_value {
                        return Err(Error::Internal(format!("value of the wrong type: {bad_value}")));
                    }
                    query.push(format!(" ON CONFLICT ({}) DO UPDATE SET {}", spec.key.join(", "), updates.join(", ")));
                    query
                        .build()
                        .execute(&mut *self.tx)
                        .await
                        .map_err(db(format!("write {} rows", spec.name)))?;
                }
                Ok(())
            }

            async fn record_import(&mut self, record: &ImportRecord) -> Result<()> {
                let mut query =
                    QueryBuilder::<$db>::new("INSERT INTO imports (extract_id, imported_at, source, rows_json) ");
                query.push_values([record], |mut separated, record| {
                    separated
                        .push_bind(record.extract_id.clone())
                        .push_bind(record.imported_at.clone())
                        .push_bind(record.source.clone())
                        .push_bind(record.rows_json.clone());
                });
                query.build().execute(&mut *self.tx).await.map_err(db("record the import"))?;
                Ok(())
            }

            async fn commit(self: Box<Self>) -> Result<()> {
                self.tx.commit().await.map_err(db("commit the import"))
            }
        }
    };
}

store_impl!(SqliteStore, SqliteImportTx, sqlx::Sqlite, "sqlite", "");
store_impl!(PgStore, PgImportTx, sqlx::Postgres, "postgres", " COLLATE \"C\"");

fn import_record<R: Row>(row: &R) -> Result<ImportRecord>
where
    usize: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let read = |index: usize| row.try_get::<String, _>(index).map_err(db("read an import"));
    Ok(ImportRecord { extract_id: read(0)?, imported_at: read(1)?, source: read(2)?, rows_json: read(3)? })
}

/// The schema of an entity table; history tables are not kept in the store.
pub(crate) fn entity(table: TableId) -> Result<&'static weiwan_domain::Table> {
    let spec = table.table();
    match spec.role {
        weiwan_domain::TableRole::Entity => Ok(spec),
        weiwan_domain::TableRole::History { .. } => {
            Err(Error::Internal(format!("{} is history and lives in the lake, not the store", spec.name)))
        }
    }
}

/// `SELECT <every column, in schema order> FROM <table>`, for [`entity_values`] to read.
pub(crate) fn select_entity(spec: &weiwan_domain::Table) -> String {
    let columns: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
    format!("SELECT {} FROM {}", columns.join(", "), spec.name)
}

/// Reads a row selected by [`select_entity`] back into the values an import wrote; `action`
/// says what was being done, for errors.
pub(crate) fn entity_values<R: Row>(row: &R, spec: &weiwan_domain::Table, action: &str) -> Result<Vec<Value>>
where
    usize: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    NaiveDate: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    NaiveDateTime: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    bool: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let mut values = Vec::with_capacity(spec.columns.len());
    for (index, column) in spec.columns.iter().enumerate() {
        let value = match column.kind {
            ColumnKind::Id | ColumnKind::Text { .. } | ColumnKind::Msisdn | ColumnKind::Code(_) => {
                row.try_get::<Option<String>, _>(index).map(|v| v.map(Value::Text))
            }
            ColumnKind::Date | ColumnKind::Month => {
                row.try_get::<Option<NaiveDate>, _>(index).map(|v| v.map(Value::Date))
            }
            ColumnKind::Timestamp => {
                row.try_get::<Option<NaiveDateTime>, _>(index).map(|v| v.map(Value::Timestamp))
            }
            ColumnKind::Money { .. } => {
                row.try_get::<Option<i64>, _>(index).map(|v| v.map(|f| Value::Money(Money::from_fen(f))))
            }
            ColumnKind::Int { .. } => row.try_get::<Option<i64>, _>(index).map(|v| v.map(Value::Int)),
            ColumnKind::Bool => row.try_get::<Option<bool>, _>(index).map(|v| v.map(Value::Bool)),
        }
        .map_err(db(action))?;
        values.push(value.unwrap_or(Value::Null));
    }
    Ok(values)
}

fn fits(kind: ColumnKind, value: &Value) -> bool {
    matches!(
        (kind, value),
        (ColumnKind::Id | ColumnKind::Text { .. } | ColumnKind::Msisdn | ColumnKind::Code(_), Value::Text(_))
            | (ColumnKind::Date | ColumnKind::Month, Value::Date(_))
            | (ColumnKind::Timestamp, Value::Timestamp(_))
            | (ColumnKind::Money { .. }, Value::Money(_))
            | (ColumnKind::Int { .. }, Value::Int(_))
            | (ColumnKind::Bool, Value::Bool(_))
    )
}
