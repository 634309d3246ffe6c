//! [`GroupStore`] for both backends, written once by a macro as the rest of the store is.

use async_trait::async_trait;
use sqlx::QueryBuilder;

use crate::error::{Result, db};
use crate::groups::{GroupStore, InfluenceRecord};
use crate::service::AuditEntry;
use crate::service_backend::Columns;
use crate::{PgStore, SqliteStore};

macro_rules! group_store_impl {
    ($store:ident, $db:ty, $collate:literal) => {
        #[async_trait]
        impl GroupStore for $store {
            async fn set_influence(&self, record: &InfluenceRecord, audit: &AuditEntry) -> Result<()> {
                let mut tx = self.pool.begin().await.map_err(db("begin recording a key person's influence"))?;
                sqlx::query(
                    "INSERT INTO key_person_influence (customer_id, group_id, role, weight_permille, note, \
                     updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (customer_id) DO UPDATE SET group_id = excluded.group_id, role = excluded.role, \
                     weight_permille = excluded.weight_permille, note = excluded.note, \
                     updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                )
                .bind(&record.customer_id)
                .bind(&record.group_id)
                .bind(&record.role)
                .bind(record.weight_permille)
                .bind(&record.note)
                .bind(&record.updated_at)
                .bind(&record.updated_by)
                .execute(&mut *tx)
                .await
                .map_err(db("record a key person's influence"))?;
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await.map_err(db("commit a key person's influence"))
            }

            async fn influences(&self, group_id: Option<&str>) -> Result<Vec<InfluenceRecord>> {
                let mut query = QueryBuilder::<$db>::new(
                    "SELECT customer_id, group_id, role, weight_permille, note, updated_at, updated_by \
                     FROM key_person_influence",
                );
                if let Some(group_id) = group_id {
                    query.push(" WHERE group_id = ").push_bind(group_id.to_owned());
                }
                query.push(concat!(" ORDER BY customer_id", $collate));
                let rows = query.build().fetch_all(&self.pool).await.map_err(db("read key persons' influence"))?;
                rows.iter().map(influence_record).collect()
            }
        }
    };
}

mod sqlite {
    use super::*;
    group_store_impl!(SqliteStore, sqlx::Sqlite, "");
}

mod postgres {
    use super::*;
    group_store_impl!(PgStore, sqlx::Postgres, " COLLATE \"C\"");
}

fn influence_record(row: &impl Columns) -> Result<InfluenceRecord> {
    let read = || -> sqlx::Result<InfluenceRecord> {
        Ok(InfluenceRecord {
            customer_id: row.text(0)?,
            group_id: row.text(1)?,
            role: row.text(2)?,
            weight_permille: row.int(3)?,
            note: row.text(4)?,
            updated_at: row.text(5)?,
            updated_by: row.text(6)?,
        })
    };
    read().map_err(db("read a key person's influence"))
}
