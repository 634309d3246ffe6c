//! [`VisitStore`] for both backends, written once by a macro as the rest of the store is.
//!
//! An edit is one conditional update (`author_id` and `version` must match), so of two edits
//! made on the same version one wins and the other finds the note stale; the revision row and
//! the audit entry commit with it or not at all.

use async_trait::async_trait;
use chrono::NaiveDate;
use sqlx::QueryBuilder;

use crate::error::{Result, db};
use crate::service_backend::Columns;
use crate::visits::{
    AppraisalScope, ClosedCase, CustomerMonth, ManagerRecord, NoteAdded, NoteEdited, PlanFilter,
    PlannedContact, TaskContact, VisitNoteContent, VisitNoteFilter, VisitNoteRecord, VisitNoteRevision,
    VisitStore,
};
use crate::{AuditEntry, PgStore, SqliteStore};

macro_rules! note_columns {
    () => {
        "note_id, customer_id, branch_id, manager_id, author_id, author_manager_id, visited_on, channel, topic, \
         promises, next_step, next_contact_on, created_at, updated_at, version"
    };
}

macro_rules! visit_store_impl {
    ($store:ident, $db:ty) => {
        impl $store {
            async fn insert_revision(
                conn: &mut <$db as sqlx::Database>::Connection,
                note_id: i64,
                version: i64,
                at: &str,
                by: &str,
                content: &VisitNoteContent,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO visit_note_revisions (note_id, version, edited_at, edited_by, visited_on, channel, \
                     topic, promises, next_step, next_contact_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(note_id)
                .bind(version)
                .bind(at)
                .bind(by)
                .bind(content.visited_on)
                .bind(&content.channel)
                .bind(&content.topic)
                .bind(&content.promises)
                .bind(&content.next_step)
                .bind(content.next_contact_on)
                .execute(&mut *conn)
                .await
                .map_err(db("keep a visit note's revision"))?;
                Ok(())
            }

            /// Restricts `column` (a manager id column) to the managers in scope.
            fn push_scope(query: &mut QueryBuilder<$db>, column: &str, scope: &AppraisalScope) {
                if let Some(manager) = &scope.manager_id {
                    query.push(format_args!(" AND {column} = ")).push_bind(manager.clone());
                }
                if let Some(branch) = &scope.branch_id {
                    query
                        .push(format_args!(" AND {column} IN (SELECT manager_id FROM managers WHERE branch_id = "))
                        .push_bind(branch.clone())
                        .push(")");
                }
            }
        }

        #[async_trait]
        impl VisitStore for $store {
            async fn add_visit_note(
                &self,
                note: &VisitNoteRecord,
                request_id: Option<&str>,
                audit: &AuditEntry,
            ) -> Result<NoteAdded> {
                let mut tx = self.pool.begin().await.map_err(db("begin adding a visit note"))?;
                let content = &note.content;
                let inserted: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO visit_notes (customer_id, branch_id, manager_id, author_id, author_manager_id, \
                     visited_on, channel, topic, promises, next_step, next_contact_on, created_at, updated_at, \
                     version, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, 1, $13) \
                     ON CONFLICT (request_id) DO NOTHING RETURNING note_id",
                )
                .bind(&note.customer_id)
                .bind(&note.branch_id)
                .bind(&note.manager_id)
                .bind(&note.author_id)
                .bind(&note.author_manager_id)
                .bind(content.visited_on)
                .bind(&content.channel)
                .bind(&content.topic)
                .bind(&content.promises)
                .bind(&content.next_step)
                .bind(content.next_contact_on)
                .bind(&note.created_at)
                .bind(request_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db("add a visit note"))?;
                let Some(note_id) = inserted else {
                    tx.rollback().await.map_err(db("roll back a replayed visit note"))?;
                    let row = sqlx::query(concat!("SELECT ", note_columns!(), " FROM visit_notes WHERE request_id = $1"))
                        .bind(request_id)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(db("find a replayed visit note"))?;
                    return Ok(NoteAdded::Replayed(note_record(&row)?));
                };
                Self::insert_revision(&mut *tx, note_id, 1, &note.created_at, &note.author_id, content).await?;
                let mut audit = audit.clone();
                audit.object_id = note_id.to_string();
                Self::insert_audit(&mut *tx, &audit).await?;
                let row = sqlx::query(concat!("SELECT ", note_columns!(), " FROM visit_notes WHERE note_id = $1"))
                    .bind(note_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db("read back a visit note"))?;
                let stored = note_record(&row)?;
                tx.commit().await.map_err(db("commit a visit note"))?;
                Ok(NoteAdded::Added(stored))
            }

            async fn edit_visit_note(
                &self,
                note_id: i64,
                editor: &str,
                version: i64,
                content: &VisitNoteContent,
                at: &str,
                audit: &AuditEntry,
            ) -> Result<NoteEdited> {
                let mut tx = self.pool.begin().await.map_err(db("begin editing a visit note"))?;
                let updated = sqlx::query(concat!(
                    "UPDATE visit_notes SET visited_on = $1, channel = $2, topic = $3, promises = $4, \
                     next_step = $5, next_contact_on = $6, updated_at = $7, version = version + 1 \
                     WHERE note_id = $8 AND author_id = $9 AND version = $10 RETURNING ",
                    note_columns!()
                ))
                .bind(content.visited_on)
                .bind(&content.channel)
                .bind(&content.topic)
                .bind(&content.promises)
                .bind(&content.next_step)
                .bind(content.next_contact_on)
                .bind(at)
                .bind(note_id)
                .bind(editor)
                .bind(version)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db("edit a visit note"))?;
                let Some(row) = updated else {
                    tx.rollback().await.map_err(db("roll back a refused edit"))?;
                    return Ok(match self.visit_note(note_id).await? {
                        None => NoteEdited::NotFound,
                        Some(note) if note.author_id != editor => NoteEdited::NotAuthor { author_id: note.author_id },
                        Some(note) => NoteEdited::Stale { version: note.version },
                    });
                };
                let note = note_record(&row)?;
                Self::insert_revision(&mut *tx, note_id, note.version, at, editor, content).await?;
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await.map_err(db("commit a visit note's edit"))?;
                Ok(NoteEdited::Edited(note))
            }

            async fn visit_note(&self, note_id: i64) -> Result<Option<VisitNoteRecord>> {
                let row = sqlx::query(concat!("SELECT ", note_columns!(), " FROM visit_notes WHERE note_id = $1"))
                    .bind(note_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db("look up a visit note"))?;
                row.as_ref().map(note_record).transpose()
            }

            async fn visit_notes(&self, filter: &VisitNoteFilter) -> Result<Vec<VisitNoteRecord>> {
                let mut query =
                    QueryBuilder::<$db>::new(concat!("SELECT ", note_columns!(), " FROM visit_notes WHERE 1 = 1"));
                let equal = [
                    ("customer_id", &filter.customer_id),
                    ("author_manager_id", &filter.author_manager_id),
                    ("branch_id", &filter.branch_id),
                    ("manager_id", &filter.manager_id),
                ];
                for (column, value) in equal {
                    if let Some(value) = value {
                        query.push(format_args!(" AND {column} = ")).push_bind(value.clone());
                    }
                }
                if let Some(branch) = &filter.author_branch_id {
                    query
                        .push(" AND author_manager_id IN (SELECT manager_id FROM managers WHERE branch_id = ")
                        .push_bind(branch.clone())
                        .push(")");
                }
                if let Some(from) = filter.from {
                    query.push(" AND visited_on >= ").push_bind(from);
                }
                if let Some(until) = filter.until {
                    query.push(" AND visited_on < ").push_bind(until);
                }
                query.push(" ORDER BY visited_on DESC, note_id DESC");
                if filter.limit > 0 {
                    query.push(" LIMIT ").push_bind(filter.limit);
                }
                let rows = query.build().fetch_all(&self.pool).await.map_err(db("list visit notes"))?;
                rows.iter().map(note_record).collect()
            }

            async fn visit_note_history(&self, note_id: i64) -> Result<Vec<VisitNoteRevision>> {
                let rows = sqlx::query(
                    "SELECT note_id, version, edited_at, edited_by, visited_on, channel, topic, promises, next_step, \
                     next_contact_on FROM visit_note_revisions WHERE note_id = $1 ORDER BY version",
                )
                .bind(note_id)
                .fetch_all(&self.pool)
                .await
                .map_err(db("read a visit note's history"))?;
                rows.iter().map(revision_record).collect()
            }

            async fn replace_visit_plan(
                &self,
                manager_id: &str,
                month: NaiveDate,
                contacts: &[PlannedContact],
                audit: &AuditEntry,
            ) -> Result<()> {
                let mut tx = self.pool.begin().await.map_err(db("begin replacing a visit plan"))?;
                sqlx::query("DELETE FROM visit_plans WHERE manager_id = $1 AND month = $2")
                    .bind(manager_id)
                    .bind(month)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("clear a visit plan"))?;
                for contact in contacts {
                    sqlx::query(
                        "INSERT INTO visit_plans (month, manager_id, customer_id, branch_id, planned_on, channel, \
                         reasons, rank, generated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(contact.month)
                    .bind(&contact.manager_id)
                    .bind(&contact.customer_id)
                    .bind(&contact.branch_id)
                    .bind(contact.planned_on)
                    .bind(&contact.channel)
                    .bind(contact.reasons.join(","))
                    .bind(contact.rank)
                    .bind(&contact.generated_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("store a planned contact"))?;
                }
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await.map_err(db("commit a visit plan"))?;
                Ok(())
            }

            async fn visit_plan(&self, filter: &PlanFilter) -> Result<Vec<PlannedContact>> {
                let mut query = QueryBuilder::<$db>::new(
                    "SELECT month, manager_id, customer_id, branch_id, planned_on, channel, reasons, rank, \
                     generated_at FROM visit_plans WHERE 1 = 1",
                );
                let equal = [
                    ("manager_id", &filter.manager_id),
                    ("customer_id", &filter.customer_id),
                    ("branch_id", &filter.branch_id),
                ];
                for (column, value) in equal {
                    if let Some(value) = value {
                        query.push(format_args!(" AND {column} = ")).push_bind(value.clone());
                    }
                }
                if let Some(from) = filter.from {
                    query.push(" AND planned_on >= ").push_bind(from);
                }
                if let Some(until) = filter.until {
                    query.push(" AND planned_on < ").push_bind(until);
                }
                query.push(" ORDER BY planned_on, rank, customer_id");
                if filter.limit > 0 {
                    query.push(" LIMIT ").push_bind(filter.limit);
                }
                let rows = query.build().fetch_all(&self.pool).await.map_err(db("list planned contacts"))?;
                rows.iter().map(planned_record).collect()
            }

            async fn managers(&self, scope: &AppraisalScope) -> Result<Vec<ManagerRecord>> {
                let mut query =
                    QueryBuilder::<$db>::new("SELECT manager_id, name, branch_id, role FROM managers WHERE 1 = 1");
                Self::push_scope(&mut query, "manager_id", scope);
                query.push(" ORDER BY branch_id, manager_id");
                let rows = query.build().fetch_all(&self.pool).await.map_err(db("list managers"))?;
                rows.iter()
                    .map(|row| {
                        let read = || -> sqlx::Result<ManagerRecord> {
                            Ok(ManagerRecord {
                                manager_id: row.text(0)?,
                                name: row.text(1)?,
                                branch_id: row.text(2)?,
                                role: row.text(3)?,
                            })
                        };
                        read().map_err(db("read a manager"))
                    })
                    .collect()
            }

            async fn customer_months(
                &self,
                scope: &AppraisalScope,
                start: NaiveDate,
                end: NaiveDate,
            ) -> Result<Vec<CustomerMonth>> {
                let mut query = QueryBuilder::<$db>::new(
                    "SELECT c.customer_id, c.manager_id, m.branch_id, c.vip_tier, c.joined_on, \
                     EXISTS (SELECT 1 FROM subscriptions s WHERE s.customer_id = c.customer_id \
                       AND s.activated_on < ",
                );
                query
                    .push_bind(end)
                    .push(" AND (s.disconnected_on IS NULL OR s.disconnected_on >= ")
                    .push_bind(start)
                    .push(")), EXISTS (SELECT 1 FROM subscriptions s WHERE s.customer_id = c.customer_id AND s.activated_on < ")
                    .push_bind(end)
                    .push(" AND (s.disconnected_on IS NULL OR s.disconnected_on >= ")
                    .push_bind(end)
                    .push(
                        ")), EXISTS (SELECT 1 FROM contracts k JOIN subscriptions s ON s.subscription_id = k.subscription_id \
                         WHERE s.customer_id = c.customer_id AND k.starts_on >= ",
                    )
                    .push_bind(start)
                    .push(" AND k.starts_on < ")
                    .push_bind(end)
                    .push(
                        "), EXISTS (SELECT 1 FROM contracts k JOIN subscriptions s ON s.subscription_id = k.subscription_id \
                         WHERE s.customer_id = c.customer_id AND k.starts_on < ",
                    )
                    .push_bind(start)
                    .push(") FROM customers c JOIN managers m ON m.manager_id = c.manager_id WHERE 1 = 1");
                Self::push_scope(&mut query, "c.manager_id", scope);
                query.push(" ORDER BY c.manager_id, c.customer_id");
                let rows = query.build().fetch_all(&self.pool).await.map_err(db("read customers' months"))?;
                rows.iter()
                    .map(|row| {
                        let read = || -> sqlx::Result<CustomerMonth> {
                            Ok(CustomerMonth {
                                customer_id: row.text(0)?,
                                manager_id: row.text(1)?,
                                branch_id: row.text(2)?,
                                vip_tier: row.text(3)?,
                                joined_on: row.date(4)?,
                                active_in_month: row.flag(5)?,
                                in_network_at_end: row.flag(6)?,
                                bought_in_month: row.flag(7)?,
                                bought_before: row.flag(8)?,
                            })
                        };
                        read().map_err(db("read a customer's month"))
                    })
                    .collect()
            }

            async fn task_contacts(
                &self,
                scope: &AppraisalScope,
                since: &str,
                until: &str,
            ) -> Result<Vec<TaskContact>> {
                let mut query = QueryBuilder::<$db>::new(
                    "SELECT t.manager_id, t.customer_id, t.action, t.category, o.outcome, o.at FROM task_outcomes o \
                     JOIN tasks t ON t.task_id = o.task_id WHERE t.manager_id IS NOT NULL AND o.at >= ",
                );
                query.push_bind(since.to_owned()).push(" AND o.at < ").push_bind(until.to_owned());
                Self::push_scope(&mut query, "t.manager_id", scope);
                query.push(" ORDER BY o.id");
                let rows = query.build().fetch_all(&self.pool).await.map_err(db("read managers' outcomes"))?;
                rows.iter()
                    .map(|row| {
                        let read = || -> sqlx::Result<TaskContact> {
                            Ok(TaskContact {
                                manager_id: row.text(0)?,
                                customer_id: row.text(1)?,
                                action: row.text(2)?,
                                category: row.text(3)?,
                                outcome: row.text(4)?,
                                at: row.text(5)?,
                            })
                        };
                        read().map_err(db("read an outcome"))
                    })
                    .collect()
            }

            async fn closed_cases(&self, scope: &AppraisalScope, since: &str, until: &str) -> Result<Vec<ClosedCase>> {
                let mut query = QueryBuilder::<$db>::new(
                    "SELECT manager_id, outcome, closed_at FROM retention_cases \
                     WHERE manager_id IS NOT NULL AND status = 'closed' AND closed_at >= ",
                );
                query.push_bind(since.to_owned()).push(" AND closed_at < ").push_bind(until.to_owned());
                Self::push_scope(&mut query, "manager_id", scope);
                query.push(" ORDER BY closed_at, case_id");
                let rows = query.build().fetch_all(&self.pool).await.map_err(db("read closed cases"))?;
                rows.iter()
                    .map(|row| {
                        let read = || -> sqlx::Result<ClosedCase> {
                            Ok(ClosedCase { manager_id: row.text(0)?, outcome: row.text(1)?, closed_at: row.text(2)? })
                        };
                        read().map_err(db("read a closed case"))
                    })
                    .collect()
            }
        }
    };
}

fn note_record(row: &impl Columns) -> Result<VisitNoteRecord> {
    let read = || -> sqlx::Result<VisitNoteRecord> {
        Ok(VisitNoteRecord {
            note_id: row.int(0)?,
            customer_id: row.text(1)?,
            branch_id: row.text(2)?,
            manager_id: row.opt_text(3)?,
            author_id: row.text(4)?,
            author_manager_id: row.opt_text(5)?,
            content: VisitNoteContent {
                visited_on: row.date(6)?,
                channel: row.text(7)?,
                topic: row.text(8)?,
                promises: row.text(9)?,
                next_step: row.text(10)?,
                next_contact_on: row.opt_date(11)?,
            },
            created_at: row.text(12)?,
            updated_at: row.text(13)?,
            version: row.int(14)?,
        })
    };
    read().map_err(db("read a visit note"))
}

fn revision_record(row: &impl Columns) -> Result<VisitNoteRevision> {
    let read = || -> sqlx::Result<VisitNoteRevision> {
        Ok(VisitNoteRevision {
            note_id: row.int(0)?,
            version: row.int(1)?,
            edited_at: row.text(2)?,
            edited_by: row.text(3)?,
            content: VisitNoteContent {
                visited_on: row.date(4)?,
                channel: row.text(5)?,
                topic: row.text(6)?,
                promises: row.text(7)?,
                next_step: row.text(8)?,
                next_contact_on: row.opt_date(9)?,
            },
        })
    };
    read().map_err(db("read a visit note's revision"))
}

fn planned_record(row: &impl Columns) -> Result<PlannedContact> {
    let read = || -> sqlx::Result<PlannedContact> {
        let reasons = row.text(6)?;
        Ok(PlannedContact {
            month: row.date(0)?,
            manager_id: row.text(1)?,
            customer_id: row.text(2)?,
            branch_id: row.text(3)?,
            planned_on: row.date(4)?,
            channel: row.text(5)?,
            reasons: reasons.split(',').filter(|r| !r.is_empty()).map(str::to_owned).collect(),
            rank: row.int(7)?,
            generated_at: row.text(8)?,
        })
    };
    read().map_err(db("read a planned contact"))
}

mod sqlite {
    use super::*;
    visit_store_impl!(SqliteStore, sqlx::Sqlite);
}

mod postgres {
    use super::*;
    visit_store_impl!(PgStore, sqlx::Postgres);
}
