//! [`CaseStore`] for both backends, written once by a macro as the rest of the store is.
//!
//! One open case per line is the partial unique index `retention_cases_one_open`: of two
//! requests to leave for the same line at once, the second insert finds the first's row (on
//! PostgreSQL it waits for the first to commit) and joins that case instead.

use async_trait::async_trait;
use sqlx::QueryBuilder;

use crate::cases::{
    CaseEventRecord, CaseFilter, CaseRecord, CaseStore, CaseUpdate, CaseUpdated, ConcessionRecord, Opened,
};
use crate::error::{Result, db};
use crate::service_backend::Columns;
use crate::{PgStore, SqliteStore};

/// Ids per `IN (…)` list.
const IDS_PER_STATEMENT: usize = 500;

/// How often opening retries when the open case it would join closed in between.
const OPEN_ATTEMPTS: usize = 3;

macro_rules! case_columns {
    () => {
        "case_id, customer_id, subscription_id, branch_id, manager_id, kind, status, owner_id, channel, reason, \
         monthly_fee_fen, opened_at, escalated_at, escalated_by, desk_owner_id, closed_at, closed_by, outcome, \
         kept_fee_fen, version"
    };
}

macro_rules! concession_columns {
    () => {
        "concession_id, case_id, kind, amount_fen, level, status, requested_by, requested_at, approver_id, \
         decided_at, note"
    };
}

macro_rules! case_store_impl {
    ($store:ident, $db:ty) => {
        impl $store {
            async fn insert_case_event(
                conn: &mut <$db as sqlx::Database>::Connection,
                event: &CaseEventRecord,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO case_events (case_id, at, user_id, action, from_status, to_status, \
                     concession_id, channel, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(event.case_id)
                .bind(&event.at)
                .bind(&event.user_id)
                .bind(&event.action)
                .bind(&event.from_status)
                .bind(&event.to_status)
                .bind(event.concession_id)
                .bind(&event.channel)
                .bind(&event.note)
                .execute(&mut *conn)
                .await
                .map_err(db("record a case event"))?;
                Ok(())
            }
        }

        #[async_trait]
        impl CaseStore for $store {
            async fn open_case(&self, case: &CaseRecord) -> Result<Opened> {
                for _ in 0..OPEN_ATTEMPTS {
                    let mut tx = self.pool.begin().await.map_err(db("begin opening a case"))?;
                    // ON CONFLICT DO NOTHING covers the partial index: a line with an open case
                    // inserts nothing.
                    let inserted: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO retention_cases (customer_id, subscription_id, branch_id, manager_id, kind, \
                         status, owner_id, channel, reason, monthly_fee_fen, opened_at) \
                         VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9, $10) \
                         ON CONFLICT DO NOTHING RETURNING case_id",
                    )
                    .bind(&case.customer_id)
                    .bind(&case.subscription_id)
                    .bind(&case.branch_id)
                    .bind(&case.manager_id)
                    .bind(&case.kind)
                    .bind(&case.owner_id)
                    .bind(&case.channel)
                    .bind(&case.reason)
                    .bind(case.monthly_fee_fen)
                    .bind(&case.opened_at)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db("open a case"))?;
                    let (case_id, action, from_status) = match inserted {
                        Some(case_id) => (case_id, "open", ""),
                        None => {
                            let open: Option<i64> = sqlx::query_scalar(
                                "SELECT case_id FROM retention_cases WHERE subscription_id = $1 AND status <> 'closed'",
                            )
                            .bind(&case.subscription_id)
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(db("look up a line's open case"))?;
                            // Closed in between: try again.
                            let Some(case_id) = open else { continue };
                            (case_id, "join", "open")
                        }
                    };
                    let row = sqlx::query(concat!("SELECT ", case_columns!(), " FROM retention_cases WHERE case_id = $1"))
                        .bind(case_id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db("read a case"))?;
                    let stored = case_record(&row)?;
                    let from_status = if from_status.is_empty() { String::new() } else { stored.status.clone() };
                    let event = CaseEventRecord {
                        case_id,
                        at: case.opened_at.clone(),
                        user_id: case.owner_id.clone(),
                        action: action.to_owned(),
                        from_status,
                        to_status: stored.status.clone(),
                        concession_id: None,
                        channel: case.channel.clone(),
                        note: case.reason.clone(),
                    };
                    Self::insert_case_event(&mut tx, &event).await?;
                    tx.commit().await.map_err(db("commit a case's opening"))?;
                    return Ok(if inserted.is_some() { Opened::New(stored) } else { Opened::Joined(stored) });
                }
                Err(crate::Error::Internal(format!(
                    "line {}: its open case kept closing while a request to leave was recorded",
                    case.subscription_id
                )))
            }

            async fn update_case(&self, update: &CaseUpdate) -> Result<CaseUpdated> {
                // Dropping the transaction on an early return rolls everything back.
                let mut tx = self.pool.begin().await.map_err(db("begin changing a case"))?;
                let c = &update.case;
                let moved = sqlx::query(
                    "UPDATE retention_cases SET status = $3, escalated_at = $4, escalated_by = $5, \
                     desk_owner_id = $6, closed_at = $7, closed_by = $8, outcome = $9, kept_fee_fen = $10, \
                     version = version + 1 WHERE case_id = $1 AND version = $2",
                )
                .bind(c.case_id)
                .bind(c.version)
                .bind(&c.status)
                .bind(&c.escalated_at)
                .bind(&c.escalated_by)
                .bind(&c.desk_owner_id)
                .bind(&c.closed_at)
                .bind(&c.closed_by)
                .bind(&c.outcome)
                .bind(c.kept_fee_fen)
                .execute(&mut *tx)
                .await
                .map_err(db("change a case"))?;
                if moved.rows_affected() != 1 {
                    return Ok(CaseUpdated::Stale);
                }
                for change in &update.concession_updates {
                    let done = sqlx::query(
                        "UPDATE concessions SET status = $4, approver_id = COALESCE($5, approver_id), \
                         decided_at = COALESCE($6, decided_at) \
                         WHERE concession_id = $1 AND case_id = $2 AND status = $3",
                    )
                    .bind(change.concession_id)
                    .bind(c.case_id)
                    .bind(&change.from_status)
                    .bind(&change.to_status)
                    .bind(&change.approver_id)
                    .bind(&change.decided_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("change a concession"))?;
                    if done.rows_affected() != 1 {
                        return Ok(CaseUpdated::Stale);
                    }
                }
                let mut concession_id = None;
                if let Some(n) = &update.new_concession {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO concessions (case_id, kind, amount_fen, level, status, requested_by, \
                         requested_at, approver_id, decided_at, note) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING concession_id",
                    )
                    .bind(c.case_id)
                    .bind(&n.kind)
                    .bind(n.amount_fen)
                    .bind(&n.level)
                    .bind(&n.status)
                    .bind(&n.requested_by)
                    .bind(&n.requested_at)
                    .bind(&n.approver_id)
                    .bind(&n.decided_at)
                    .bind(&n.note)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db("add a concession"))?;
                    concession_id = Some(id);
                }
                let mut event = update.event.clone();
                event.case_id = c.case_id;
                if concession_id.is_some() {
                    event.concession_id = concession_id;
                }
                Self::insert_case_event(&mut tx, &event).await?;
                tx.commit().await.map_err(db("commit a case change"))?;
                Ok(CaseUpdated::Applied { concession_id })
            }

            async fn find_case(&self, case_id: i64) -> Result<Option<CaseRecord>> {
                let row = sqlx::query(concat!("SELECT ", case_columns!(), " FROM retention_cases WHERE case_id = $1"))
                    .bind(case_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db("look up a case"))?;
                row.as_ref().map(case_record).transpose()
            }

            async fn cases(&self, filter: &CaseFilter) -> Result<Vec<CaseRecord>> {
                let mut query =
                    QueryBuilder::<$db>::new(concat!("SELECT ", case_columns!(), " FROM retention_cases WHERE 1 = 1"));
                let equal = [
                    ("branch_id", &filter.branch_id),
                    ("status", &filter.status),
                    ("kind", &filter.kind),
                    ("owner_id", &filter.owner_id),
                    ("customer_id", &filter.customer_id),
                ];
                for (column, value) in equal {
                    if let Some(value) = value {
                        query.push(" AND ").push(column).push(" = ").push_bind(value.clone());
                    }
                }
                let ranges = [
                    ("opened_at", " >= ", &filter.opened_from),
                    ("opened_at", " < ", &filter.opened_to),
                    ("closed_at", " >= ", &filter.closed_from),
                    ("closed_at", " < ", &filter.closed_to),
                ];
                for (column, op, value) in ranges {
                    if let Some(value) = value {
                        query.push(" AND ").push(column).push(op).push_bind(value.clone());
                    }
                }
                query.push(" ORDER BY opened_at DESC, case_id DESC");
                if filter.limit > 0 {
                    query.push(" LIMIT ").push_bind(filter.limit);
                }
                let rows = query.build().fetch_all(&self.pool).await.map_err(db("list cases"))?;
                rows.iter().map(case_record).collect()
            }

            async fn case_events(&self, case_id: i64) -> Result<Vec<CaseEventRecord>> {
                let rows = sqlx::query(
                    "SELECT case_id, at, user_id, action, from_status, to_status, concession_id, channel, note \
                     FROM case_events WHERE case_id = $1 ORDER BY id",
                )
                .bind(case_id)
                .fetch_all(&self.pool)
                .await
                .map_err(db("read a case's history"))?;
                rows.iter().map(case_event).collect()
            }

            async fn case_concessions(&self, case_ids: &[i64]) -> Result<Vec<ConcessionRecord>> {
                let mut found = Vec::new();
                for chunk in case_ids.chunks(IDS_PER_STATEMENT) {
                    let mut query = QueryBuilder::<$db>::new(concat!(
                        "SELECT ",
                        concession_columns!(),
                        " FROM concessions WHERE case_id IN ("
                    ));
                    let mut list = query.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    list.push_unseparated(") ORDER BY case_id, concession_id");
                    let rows = query.build().fetch_all(&self.pool).await.map_err(db("read concessions"))?;
                    for row in &rows {
                        found.push(concession_record(row)?);
                    }
                }
                Ok(found)
            }
        }
    };
}

mod sqlite {
    use super::*;
    case_store_impl!(SqliteStore, sqlx::Sqlite);
}

mod postgres {
    use super::*;
    case_store_impl!(PgStore, sqlx::Postgres);
}

fn case_record(row: &impl Columns) -> Result<CaseRecord> {
    let read = || -> sqlx::Result<CaseRecord> {
        Ok(CaseRecord {
            case_id: row.int(0)?,
            customer_id: row.text(1)?,
            subscription_id: row.text(2)?,
            branch_id: row.text(3)?,
            manager_id: row.opt_text(4)?,
            kind: row.text(5)?,
            status: row.text(6)?,
            owner_id: row.text(7)?,
            channel: row.text(8)?,
            reason: row.text(9)?,
            monthly_fee_fen: row.opt_int(10)?,
            opened_at: row.text(11)?,
            escalated_at: row.opt_text(12)?,
            escalated_by: row.opt_text(13)?,
            desk_owner_id: row.opt_text(14)?,
            closed_at: row.opt_text(15)?,
            closed_by: row.opt_text(16)?,
            outcome: row.opt_text(17)?,
            kept_fee_fen: row.opt_int(18)?,
            version: row.int(19)?,
        })
    };
    read().map_err(db("read a case"))
}

fn concession_record(row: &impl Columns) -> Result<ConcessionRecord> {
    let read = || -> sqlx::Result<ConcessionRecord> {
        Ok(ConcessionRecord {
            concession_id: row.int(0)?,
            case_id: row.int(1)?,
            kind: row.text(2)?,
            amount_fen: row.int(3)?,
            level: row.text(4)?,
            status: row.text(5)?,
            requested_by: row.text(6)?,
            requested_at: row.text(7)?,
            approver_id: row.opt_text(8)?,
            decided_at: row.opt_text(9)?,
            note: row.text(10)?,
        })
    };
    read().map_err(db("read a concession"))
}

fn case_event(row: &impl Columns) -> Result<CaseEventRecord> {
    let read = || -> sqlx::Result<CaseEventRecord> {
        Ok(CaseEventRecord {
            case_id: row.int(0)?,
            at: row.text(1)?,
            user_id: row.text(2)?,
            action: row.text(3)?,
            from_status: row.text(4)?,
            to_status: row.text(5)?,
            concession_id: row.opt_int(6)?,
            channel: row.text(7)?,
            note: row.text(8)?,
        })
    };
    read().map_err(db("read a case event"))
}
