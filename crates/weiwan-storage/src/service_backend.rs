//! [`ServiceStore`] for both backends, written once by a macro as `Store` is in backend.rs.
//!
//! Fixed statements are static SQL with numbered parameters (`$1`), which both PostgreSQL and
//! sqlx's SQLite driver understand; statements that vary (filters, `IN` lists, multi-row
//! inserts) are assembled with [`QueryBuilder`] from static strings and the static schema only.
//! Values are always bound.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use sqlx::{QueryBuilder, Row};
use weiwan_domain::{ColumnKind, TableId, Value};

use crate::backend::{entity, entity_values, select_entity};
use crate::error::{Error, Result, db};
use crate::service::{
    AuditEntry, AuditFilter, Claim, CredentialRecord, EventRecord, EventsApplied, ManagerOutcome, NewTask,
    OutcomeRecord, OutcomeRecorded, ServiceStore, SubjectRecord, TaskFilter, TaskRecord, Transfer,
    UserRecord,
};
use crate::{PgStore, SqliteStore};

/// How recording an outcome went, inside a transaction.
pub(crate) enum Recorded {
    New(TaskRecord),
    NoTask,
    /// The task was closed before (perhaps just now, by a concurrent request).
    TaskDone,
    /// An outcome with the same request id exists: do not commit.
    Replay,
}

/// Ids per `IN (…)` list when looking up subjects.
const IDS_PER_STATEMENT: usize = 500;

/// Tasks per multi-row INSERT: 17 parameters each, well under both backends' limits.
const TASKS_PER_STATEMENT: usize = 500;

/// What a list asks for when its limit is 0 (or nonsense).
const DEFAULT_LIMIT: i64 = 100;

/// The columns of `tasks`, in the order [`task_record`] reads them.
macro_rules! task_columns {
    () => {
        "task_id, rule_id, subject, cause, category, action, customer_id, subscription_id, branch_id, \
         manager_id, queue, priority, due_on, reason_zh, reason_en, created_at, source_event, status, \
         claimed_by, claimed_at, closed_at, last_outcome"
    };
}

macro_rules! user_columns {
    () => {
        "user_id, login, display_name, role, branch_id, manager_id, password_hash, active, created_at"
    };
}

macro_rules! event_columns {
    () => {
        "event_id, subscription_id, occurred_at, event_type, detail, received_at, source"
    };
}

macro_rules! service_store_impl {
    ($store:ident, $db:ty, $collate:literal) => {
        impl $store {
            /// Inserts the tasks whose (`rule_id`, `subject`, `cause`) is not stored yet and
            /// returns them, in the order given. Within `tasks`, the first of several with the
            /// same identity wins. Multi-row statements, because the daily batch raises tens of
            /// thousands of tasks and a round trip each would be slow on PostgreSQL.
            pub(crate) async fn insert_tasks(
                conn: &mut <$db as sqlx::Database>::Connection,
                tasks: &[&NewTask],
            ) -> Result<Vec<TaskRecord>> {
                let mut seen = HashSet::new();
                let mut unique: Vec<&NewTask> = Vec::with_capacity(tasks.len());
                for &task in tasks {
                    if seen.insert((&task.rule_id, &task.subject, &task.cause)) {
                        unique.push(task);
                    }
                }
                // Rows come back in no promised order, so they are matched by identity.
                let mut created: HashMap<(String, String, String), i64> = HashMap::new();
                for chunk in unique.chunks(TASKS_PER_STATEMENT) {
                    let mut query = QueryBuilder::<$db>::new(
                        "INSERT INTO tasks (rule_id, subject, cause, category, action, customer_id, \
                         subscription_id, branch_id, manager_id, queue, priority, due_on, reason_zh, reason_en, \
                         created_at, source_event) ",
                    );
                    query.push_values(chunk, |mut row, t| {
                        row.push_bind(t.rule_id.clone())
                            .push_bind(t.subject.clone())
                            .push_bind(t.cause.clone())
                            .push_bind(t.category.clone())
                            .push_bind(t.action.clone())
                            .push_bind(t.customer_id.clone())
                            .push_bind(t.subscription_id.clone())
                            .push_bind(t.branch_id.clone())
                            .push_bind(t.manager_id.clone())
                            .push_bind(t.queue.clone())
                            .push_bind(t.priority.clone())
                            .push_bind(t.due_on.clone())
                            .push_bind(t.reason_zh.clone())
                            .push_bind(t.reason_en.clone())
                            .push_bind(t.created_at.clone())
                            .push_bind(t.source_event.clone());
                    });
                    query.push(
                        " ON CONFLICT (rule_id, subject, cause) DO NOTHING RETURNING task_id, rule_id, subject, cause",
                    );
                    let rows = query.build().fetch_all(&mut *conn).await.map_err(db("raise tasks"))?;
                    for row in &rows {
                        let read = || -> sqlx::Result<_> {
                            Ok(((row.text(1)?, row.text(2)?, row.text(3)?), row.int(0)?))
                        };
                        let (key, task_id) = read().map_err(db("read raised tasks"))?;
                        created.insert(key, task_id);
                    }
                }
                Ok(unique
                    .into_iter()
                    .filter_map(|t| {
                        let key = (t.rule_id.clone(), t.subject.clone(), t.cause.clone());
                        created.get(&key).map(|&task_id| TaskRecord {
                            task_id,
                            task: t.clone(),
                            status: "open".to_owned(),
                            claimed_by: None,
                            claimed_at: None,
                            closed_at: None,
                            last_outcome: None,
                        })
                    })
                    .collect())
            }

            /// Records an outcome and, when `closes`, marks the task done, inside the caller's
            /// transaction. On [`Recorded::Replay`] the caller must not commit: an outcome with
            /// the same request id was recorded (perhaps just now, by a concurrent retry).
            pub(crate) async fn record_outcome_in(
                conn: &mut <$db as sqlx::Database>::Connection,
                outcome: &OutcomeRecord,
                closes: bool,
            ) -> Result<Recorded> {
                if let Some(request_id) = &outcome.request_id {
                    let known: Option<i64> =
                        sqlx::query_scalar("SELECT task_id FROM task_outcomes WHERE request_id = $1")
                            .bind(request_id)
                            .fetch_optional(&mut *conn)
                            .await
                            .map_err(db("look up an outcome request"))?;
                    if known.is_some() {
                        return Ok(Recorded::Replay);
                    }
                }
                // The update comes first: it both finds the task and takes the write lock. A
                // task that is done takes no more outcomes: of two requests racing to close it,
                // the second finds it done.
                let row = sqlx::query(concat!(
                    "UPDATE tasks SET last_outcome = $2, ",
                    "status = CASE WHEN $3 THEN 'done' ELSE status END, ",
                    "closed_at = CASE WHEN $3 THEN $4 ELSE closed_at END ",
                    "WHERE task_id = $1 AND status <> 'done' RETURNING ",
                    task_columns!()
                ))
                .bind(outcome.task_id)
                .bind(&outcome.outcome)
                .bind(closes)
                .bind(&outcome.at)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db("record an outcome"))?;
                let Some(row) = row else {
                    let exists = Self::task_exists(&mut *conn, outcome.task_id).await?;
                    return Ok(if exists { Recorded::TaskDone } else { Recorded::NoTask });
                };
                let task = task_record(&row)?;
                if !Self::insert_outcome(&mut *conn, outcome).await? {
                    return Ok(Recorded::Replay);
                }
                Ok(Recorded::New(task))
            }

            /// Whether a task exists, inside the caller's transaction: tells a task that is done
            /// from one that never was, after a conditional update found neither.
            pub(crate) async fn task_exists(
                conn: &mut <$db as sqlx::Database>::Connection,
                task_id: i64,
            ) -> Result<bool> {
                let found: Option<i64> = sqlx::query_scalar("SELECT task_id FROM tasks WHERE task_id = $1")
                    .bind(task_id)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db("find a task"))?;
                Ok(found.is_some())
            }

            /// Appends an outcome; false when one with its request id exists (nothing added).
            pub(crate) async fn insert_outcome(
                conn: &mut <$db as sqlx::Database>::Connection,
                outcome: &OutcomeRecord,
            ) -> Result<bool> {
                let done = sqlx::query(
                    "INSERT INTO task_outcomes (task_id, at, user_id, outcome, note, confirm_suspension, request_id, \
                     questionnaire_id, answers) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     ON CONFLICT (request_id) DO NOTHING",
                )
                .bind(outcome.task_id)
                .bind(&outcome.at)
                .bind(&outcome.user_id)
                .bind(&outcome.outcome)
                .bind(&outcome.note)
                .bind(outcome.confirm_suspension)
                .bind(&outcome.request_id)
                .bind(&outcome.questionnaire_id)
                .bind(&outcome.answers)
                .execute(&mut *conn)
                .await
                .map_err(db("record an outcome"))?;
                Ok(done.rows_affected() == 1)
            }

            pub(crate) async fn insert_audit<'c, E>(executor: E, entry: &AuditEntry) -> Result<()>
            where
                E: sqlx::Executor<'c, Database = $db>,
            {
                sqlx::query(
                    "INSERT INTO audit_log (at, actor, role, action, object_type, object_id, detail) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&entry.at)
                .bind(&entry.actor)
                .bind(&entry.role)
                .bind(&entry.action)
                .bind(&entry.object_type)
                .bind(&entry.object_id)
                .bind(&entry.detail)
                .execute(executor)
                .await
                .map_err(db("append to the audit log"))?;
                Ok(())
            }

            async fn find_user_where(&self, sql: &'static str, value: &str) -> Result<Option<UserRecord>> {
                let row = sqlx::query(sql).bind(value).fetch_optional(&self.pool).await.map_err(db("look up a user"))?;
                row.as_ref().map(user_record).transpose()
            }

            /// Completes `select` (`SELECT customer_id, subscription_id, vip_tier, branch_id,
            /// manager_id … WHERE <id column>`) with `IN (…)` over chunks of `ids` and returns the
            /// subjects found in input order, matched by the id read from column `key`.
            async fn subjects(
                &self,
                select: &'static str,
                key: usize,
                ids: &[String],
            ) -> Result<Vec<SubjectRecord>> {
                let mut found: HashMap<String, SubjectRecord> = HashMap::new();
                for chunk in ids.chunks(IDS_PER_STATEMENT) {
                    let mut query = QueryBuilder::<$db>::new(select);
                    query.push(" IN (");
                    let mut list = query.separated(", ");
                    for id in chunk {
                        list.push_bind(id.clone());
                    }
                    list.push_unseparated(")");
                    let rows = query.build().fetch_all(&self.pool).await.map_err(db("look up alert subjects"))?;
                    for row in &rows {
                        let subject = subject_record(row)?;
                        let id = row.text(key).map_err(db("read alert subjects"))?;
                        found.insert(id, subject);
                    }
                }
                Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
            }
        }

        #[async_trait]
        impl ServiceStore for $store {
            async fn create_user(&self, user: &UserRecord) -> Result<bool> {
                // No conflict target: a taken user id and a taken login are both "taken".
                let done = sqlx::query(concat!(
                    "INSERT INTO users (",
                    user_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING"
                ))
                .bind(&user.user_id)
                .bind(&user.login)
                .bind(&user.display_name)
                .bind(&user.role)
                .bind(&user.branch_id)
                .bind(&user.manager_id)
                .bind(&user.password_hash)
                .bind(user.active)
                .bind(&user.created_at)
                .execute(&self.pool)
                .await
                .map_err(db("create a user"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn find_user(&self, user_id: &str) -> Result<Option<UserRecord>> {
                self.find_user_where(concat!("SELECT ", user_columns!(), " FROM users WHERE user_id = $1"), user_id)
                    .await
            }

            async fn find_user_by_login(&self, login: &str) -> Result<Option<UserRecord>> {
                self.find_user_where(concat!("SELECT ", user_columns!(), " FROM users WHERE login = $1"), login).await
            }

            async fn users(&self) -> Result<Vec<UserRecord>> {
                let sql = concat!("SELECT ", user_columns!(), " FROM users ORDER BY login", $collate);
                let rows = sqlx::query(sql).fetch_all(&self.pool).await.map_err(db("list users"))?;
                rows.iter().map(user_record).collect()
            }

            async fn create_credential(&self, credential: &CredentialRecord) -> Result<()> {
                sqlx::query(
                    "INSERT INTO credentials (token_hash, user_id, kind, label, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&credential.token_hash)
                .bind(&credential.user_id)
                .bind(&credential.kind)
                .bind(&credential.label)
                .bind(&credential.created_at)
                .bind(&credential.expires_at)
                .execute(&self.pool)
                .await
                .map_err(db("store a credential"))?;
                Ok(())
            }

            async fn find_credential(&self, token_hash: &str) -> Result<Option<CredentialRecord>> {
                let row = sqlx::query(
                    "SELECT token_hash, user_id, kind, label, created_at, expires_at FROM credentials \
                     WHERE token_hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(db("look up a credential"))?;
                row.as_ref().map(credential_record).transpose()
            }

            async fn delete_credential(&self, token_hash: &str) -> Result<bool> {
                let done = sqlx::query("DELETE FROM credentials WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await
                    .map_err(db("delete a credential"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn user_lang(&self, user_id: &str) -> Result<Option<String>> {
                sqlx::query_scalar::<_, String>("SELECT lang FROM user_preferences WHERE user_id = $1")
                    .bind(user_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db("read a user's language"))
            }

            async fn set_user_lang(&self, user_id: &str, lang: &str) -> Result<()> {
                sqlx::query(
                    "INSERT INTO user_preferences (user_id, lang) VALUES ($1, $2) \
                     ON CONFLICT (user_id) DO UPDATE SET lang = excluded.lang",
                )
                .bind(user_id)
                .bind(lang)
                .execute(&self.pool)
                .await
                .map_err(db("keep a user's language"))?;
                Ok(())
            }

            async fn append_audit(&self, entry: &AuditEntry) -> Result<()> {
                Self::insert_audit(&self.pool, entry).await
            }

            async fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
                let mut query = QueryBuilder::<$db>::new(
                    "SELECT id, at, actor, role, action, object_type, object_id, detail FROM audit_log WHERE 1 = 1",
                );
                for (column, value) in
                    [("actor", &filter.actor), ("action", &filter.action), ("object_id", &filter.object_id)]
                {
                    if let Some(value) = value {
                        query.push(format_args!(" AND {column} = ")).push_bind(value.clone());
                    }
                }
                // Ids grow with every append: the highest is the newest.
                query.push(" ORDER BY id DESC LIMIT ").push_bind(limit(filter.limit));
                let rows = query.build().fetch_all(&self.pool).await.map_err(db("read the audit log"))?;
                rows.iter().map(audit_entry).collect()
            }

            async fn apply_events(
                &self,
                events: &[EventRecord],
                tasks: &[NewTask],
                audit: &AuditEntry,
            ) -> Result<EventsApplied> {
                // Dropping the transaction on any error below rolls everything back.
                let mut tx = self.pool.begin().await.map_err(db("begin applying events"))?;
                let mut applied = EventsApplied::default();
                let mut in_batch = HashSet::new();
                for event in events {
                    // An id repeated within the batch is the same event: stored (or known) once.
                    if !in_batch.insert(event.event_id.as_str()) {
                        continue;
                    }
                    let done = sqlx::query(concat!(
                        "INSERT INTO service_events (",
                        event_columns!(),
                        ") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING"
                    ))
                    .bind(&event.event_id)
                    .bind(&event.subscription_id)
                    .bind(&event.occurred_at)
                    .bind(&event.event_type)
                    .bind(&event.detail)
                    .bind(&event.received_at)
                    .bind(&event.source)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("store an event"))?;
                    if done.rows_affected() == 1 {
                        applied.new_events.push(event.event_id.clone());
                    } else {
                        applied.known_events.push(event.event_id.clone());
                    }
                }
                let new: HashSet<&str> = applied.new_events.iter().map(String::as_str).collect();
                let raised: Vec<&NewTask> = tasks
                    .iter()
                    .filter(|t| t.source_event.as_deref().is_none_or(|event| new.contains(event)))
                    .collect();
                applied.tasks = Self::insert_tasks(&mut tx, &raised).await?;
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await.map_err(db("commit the events"))?;
                Ok(applied)
            }

            async fn find_event(&self, event_id: &str) -> Result<Option<EventRecord>> {
                let row = sqlx::query(concat!("SELECT ", event_columns!(), " FROM service_events WHERE event_id = $1"))
                    .bind(event_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db("look up an event"))?;
                row.as_ref().map(event_record).transpose()
            }

            async fn raise_tasks(&self, tasks: &[NewTask]) -> Result<Vec<TaskRecord>> {
                let mut tx = self.pool.begin().await.map_err(db("begin raising tasks"))?;
                let tasks: Vec<&NewTask> = tasks.iter().collect();
                let created = Self::insert_tasks(&mut tx, &tasks).await?;
                tx.commit().await.map_err(db("commit the tasks"))?;
                Ok(created)
            }

            async fn task(&self, task_id: i64) -> Result<Option<TaskRecord>> {
                let row = sqlx::query(concat!("SELECT ", task_columns!(), " FROM tasks WHERE task_id = $1"))
                    .bind(task_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db("look up a task"))?;
                row.as_ref().map(task_record).transpose()
            }

            async fn tasks(&self, filter: &TaskFilter) -> Result<Vec<TaskRecord>> {
                let mut query = QueryBuilder::<$db>::new(concat!("SELECT ", task_columns!(), " FROM tasks"));
                push_task_filter(&mut query, filter);
                query.push(concat!(
                    " ORDER BY CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END, \
                     due_on",
                    $collate,
                    ", task_id LIMIT "
                ));
                query.push_bind(limit(filter.limit)).push(" OFFSET ").push_bind(filter.offset.max(0));
                let rows = query.build().fetch_all(&self.pool).await.map_err(db("list tasks"))?;
                rows.iter().map(task_record).collect()
            }

            async fn count_tasks(&self, filter: &TaskFilter) -> Result<i64> {
                let mut query = QueryBuilder::<$db>::new("SELECT COUNT(*) FROM tasks");
                push_task_filter(&mut query, filter);
                let row = query.build().fetch_one(&self.pool).await.map_err(db("count tasks"))?;
                row.int(0).map_err(db("count tasks"))
            }

            async fn queue_task_tally(
                &self,
                queue: &str,
                since: &str,
                branch_id: Option<&str>,
            ) -> Result<Vec<crate::service::TaskTally>> {
                let mut query = QueryBuilder::<$db>::new(
                    "SELECT status, last_outcome, COUNT(*), COUNT(claimed_by) FROM tasks WHERE queue = ",
                );
                query.push_bind(queue.to_owned()).push(" AND created_at >= ").push_bind(since.to_owned());
                if let Some(branch_id) = branch_id {
                    query.push(" AND branch_id = ").push_bind(branch_id.to_owned());
                }
                query.push(" GROUP BY status, last_outcome");
                let rows = query.build().fetch_all(&self.pool).await.map_err(db("count a queue's tasks"))?;
                let mut tally = rows
                    .iter()
                    .map(|row| {
                        let read = || -> sqlx::Result<crate::service::TaskTally> {
                            Ok(crate::service::TaskTally {
                                status: row.text(0)?,
                                last_outcome: row.opt_text(1)?,
                                tasks: row.int(2)?,
                                claimed: row.int(3)?,
                            })
                        };
                        read().map_err(db("read a queue's task counts"))
                    })
                    .collect::<Result<Vec<_>>>()?;
                // Sorted here: the backends order NULLs differently.
                tally.sort_by(|a, b| (&a.status, &a.last_outcome).cmp(&(&b.status, &b.last_outcome)));
                Ok(tally)
            }

            async fn assign_tasks(&self, assignments: &[(i64, String)], audit: &AuditEntry) -> Result<Vec<i64>> {
                let mut tx = self.pool.begin().await.map_err(db("begin assigning tasks"))?;
                let mut assigned = Vec::with_capacity(assignments.len());
                for (task_id, manager_id) in assignments {
                    // Only a task still waiting, unassigned, in a queue: one a manager claimed
                    // (or that was assigned) meanwhile stays as it is.
                    let done = sqlx::query(
                        "UPDATE tasks SET manager_id = $2 WHERE task_id = $1 AND status = 'open' \
                         AND manager_id IS NULL AND queue IS NOT NULL",
                    )
                    .bind(task_id)
                    .bind(manager_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("assign a task"))?;
                    if done.rows_affected() == 1 {
                        assigned.push(*task_id);
                    }
                }
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await.map_err(db("commit the assignments"))?;
                Ok(assigned)
            }

            async fn claim_task(&self, task_id: i64, user_id: &str, at: &str) -> Result<Claim> {
                // One statement, so two claimants cannot both win. Claiming again what one
                // holds keeps the first claim's time.
                let row = sqlx::query(concat!(
                    "UPDATE tasks SET status = 'claimed', claimed_by = $2, ",
                    "claimed_at = CASE WHEN status = 'claimed' THEN claimed_at ELSE $3 END ",
                    "WHERE task_id = $1 AND (status = 'open' OR (status = 'claimed' AND claimed_by = $2)) ",
                    "RETURNING ",
                    task_columns!()
                ))
                .bind(task_id)
                .bind(user_id)
                .bind(at)
                .fetch_optional(&self.pool)
                .await
                .map_err(db("claim a task"))?;
                if let Some(row) = row {
                    return task_record(&row).map(Claim::Claimed);
                }
                // Not claimable: say why. Tasks never go back to open, so this is settled.
                Ok(match self.task(task_id).await? {
                    None => Claim::NotFound,
                    Some(task) if task.status == "done" => Claim::Closed,
                    Some(TaskRecord { claimed_by: Some(by), .. }) => Claim::Taken { by },
                    Some(task) => {
                        return Err(Error::Internal(format!(
                            "task {task_id} is {} and unclaimed, yet could not be claimed",
                            task.status
                        )));
                    }
                })
            }

            async fn record_outcome(
                &self,
                outcome: &OutcomeRecord,
                closes: bool,
                audit: &AuditEntry,
            ) -> Result<OutcomeRecorded> {
                let mut tx = self.pool.begin().await.map_err(db("begin recording an outcome"))?;
                match Self::record_outcome_in(&mut tx, outcome, closes).await? {
                    Recorded::New(task) => {
                        Self::insert_audit(&mut *tx, audit).await?;
                        tx.commit().await.map_err(db("commit an outcome"))?;
                        Ok(OutcomeRecorded::New(task))
                    }
                    Recorded::NoTask => Ok(OutcomeRecorded::NoTask),
                    Recorded::TaskDone => Ok(OutcomeRecorded::TaskDone),
                    // Rolled back: the task stays as the first recording left it.
                    Recorded::Replay => {
                        drop(tx);
                        let task = self.task(outcome.task_id).await?;
                        Ok(task.map_or(OutcomeRecorded::NoTask, OutcomeRecorded::Replay))
                    }
                }
            }

            async fn transfer_task(
                &self,
                outcome: &OutcomeRecord,
                work_order: &NewTask,
                contact: Option<&crate::campaign::ContactEntry>,
                audit: &AuditEntry,
            ) -> Result<Transfer> {
                let mut tx = self.pool.begin().await.map_err(db("begin a transfer"))?;
                let from = match Self::record_outcome_in(&mut tx, outcome, true).await? {
                    Recorded::New(task) => task,
                    Recorded::NoTask => return Ok(Transfer::NoTask),
                    Recorded::TaskDone => return Ok(Transfer::TaskDone),
                    Recorded::Replay => {
                        drop(tx);
                        let task = self.task(outcome.task_id).await?;
                        return Ok(task.map_or(Transfer::NoTask, Transfer::Replay));
                    }
                };
                let Some(to) = Self::insert_tasks(&mut tx, &[work_order]).await?.into_iter().next() else {
                    // The customer has that task on that channel already: nothing is stored.
                    return Ok(Transfer::AlreadyThere);
                };
                if let Some(contact) = contact {
                    Self::insert_contact(&mut tx, contact).await?;
                }
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await.map_err(db("commit a transfer"))?;
                Ok(Transfer::Transferred { from, to })
            }

            async fn outcome_request(&self, request_id: &str) -> Result<Option<i64>> {
                sqlx::query_scalar("SELECT task_id FROM task_outcomes WHERE request_id = $1")
                    .bind(request_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db("look up an outcome request"))
            }

            async fn outcomes(&self, task_id: i64) -> Result<Vec<OutcomeRecord>> {
                let rows = sqlx::query(
                    "SELECT task_id, at, user_id, outcome, note, confirm_suspension, request_id, questionnaire_id, \
                     answers FROM task_outcomes WHERE task_id = $1 ORDER BY id",
                )
                .bind(task_id)
                .fetch_all(&self.pool)
                .await
                .map_err(db("list outcomes"))?;
                rows.iter().map(outcome_record).collect()
            }

            async fn manager_outcomes(&self, manager_id: &str, since: &str) -> Result<Vec<ManagerOutcome>> {
                let rows = sqlx::query(
                    "SELECT o.task_id, t.customer_id, t.action, o.outcome, o.at FROM task_outcomes o \
                     JOIN tasks t ON t.task_id = o.task_id WHERE t.manager_id = $1 AND o.at >= $2 ORDER BY o.id",
                )
                .bind(manager_id)
                .bind(since)
                .fetch_all(&self.pool)
                .await
                .map_err(db("list a manager's outcomes"))?;
                rows.iter()
                    .map(|row| {
                        Ok(ManagerOutcome {
                            task_id: row.try_get(0).map_err(db("read an outcome"))?,
                            customer_id: row.try_get(1).map_err(db("read an outcome"))?,
                            action: row.try_get(2).map_err(db("read an outcome"))?,
                            outcome: row.try_get(3).map_err(db("read an outcome"))?,
                            at: row.try_get(4).map_err(db("read an outcome"))?,
                        })
                    })
                    .collect()
            }

            async fn find_row(&self, table: TableId, key: &str) -> Result<Option<Vec<Value>>> {
                let spec = entity(table)?;
                let [key_column] = spec.key else {
                    return Err(Error::Internal(format!("{} has a composite key", spec.name)));
                };
                let mut query = QueryBuilder::<$db>::new(select_entity(spec));
                query.push(format_args!(" WHERE {key_column} = ")).push_bind(key.to_owned());
                let action = format!("look up a row of {}", spec.name);
                let row = query.build().fetch_optional(&self.pool).await.map_err(db(action.clone()))?;
                row.map(|row| entity_values(&row, spec, &action)).transpose()
            }

            async fn rows_by(&self, table: TableId, column: &'static str, value: &str) -> Result<Vec<Vec<Value>>> {
                let spec = entity(table)?;
                let Some(index) = spec.column_index(column) else {
                    return Err(Error::Internal(format!("{} has no column {column} to select rows by", spec.name)));
                };
                let mut query = QueryBuilder::<$db>::new(select_entity(spec));
                query.push(format_args!(" WHERE {column} = "));
                // Bound as the column's type, so that PostgreSQL compares like with like.
                match column_value(spec.columns[index].kind, value).map_err(|reason| {
                    Error::Internal(format!("cannot select {} by {column} = {value:?}: {reason}", spec.name))
                })? {
                    Value::Null => return Ok(Vec::new()),
                    Value::Text(text) => query.push_bind(text),
                    Value::Int(number) => query.push_bind(number),
                    Value::Money(money) => query.push_bind(money.fen()),
                    Value::Date(date) => query.push_bind(date),
                    Value::Timestamp(timestamp) => query.push_bind(timestamp),
                    Value::Bool(flag) => query.push_bind(flag),
                };
                let order: Vec<String> = spec.key.iter().map(|k| format!("{k}{}", $collate)).collect();
                query.push(format_args!(" ORDER BY {}", order.join(", ")));
                let action = format!("read rows of {} by {column}", spec.name);
                let rows = query.build().fetch_all(&self.pool).await.map_err(db(action.clone()))?;
                rows.iter().map(|row| entity_values(row, spec, &action)).collect()
            }

            async fn line_subjects(&self, subscription_ids: &[String]) -> Result<Vec<SubjectRecord>> {
                self.subjects(
                    "SELECT c.customer_id, s.subscription_id, c.vip_tier, c.branch_id, c.manager_id \
                     FROM subscriptions s JOIN customers c ON c.customer_id = s.customer_id \
                     WHERE s.subscription_id",
                    1,
                    subscription_ids,
                )
                .await
            }

            async fn customer_subjects(&self, customer_ids: &[String]) -> Result<Vec<SubjectRecord>> {
                self.subjects(
                    "SELECT customer_id, CAST(NULL AS TEXT), vip_tier, branch_id, manager_id FROM customers \
                     WHERE customer_id",
                    0,
                    customer_ids,
                )
                .await
            }
        }

        /// Adds `WHERE` for every `Some` of a task filter.
        fn push_task_filter(query: &mut QueryBuilder<$db>, filter: &TaskFilter) {
            let conditions = [
                ("manager_id", &filter.manager_id),
                ("queue", &filter.queue),
                ("branch_id", &filter.branch_id),
                ("status", &filter.status),
                ("priority", &filter.priority),
                ("rule_id", &filter.rule_id),
                ("customer_id", &filter.customer_id),
                ("subscription_id", &filter.subscription_id),
            ];
            let mut keyword = " WHERE ";
            for (column, value) in conditions {
                if let Some(value) = value {
                    query.push(format_args!("{keyword}{column} = ")).push_bind(value.clone());
                    keyword = " AND ";
                }
            }
        }
    };
}

mod sqlite {
    use super::*;
    service_store_impl!(SqliteStore, sqlx::Sqlite, "");
}

mod postgres {
    use super::*;
    service_store_impl!(PgStore, sqlx::Postgres, " COLLATE \"C\"");
}

pub(crate) fn limit(limit: i64) -> i64 {
    if limit > 0 { limit } else { DEFAULT_LIMIT }
}

/// `value` as a value of a column of this kind. Text-like columns compare the text as given;
/// others parse it as an extract field would be, so that `""` selects nothing.
fn column_value(kind: ColumnKind, value: &str) -> std::result::Result<Value, String> {
    match kind {
        ColumnKind::Id | ColumnKind::Text { .. } | ColumnKind::Msisdn | ColumnKind::Code(_) => {
            Ok(Value::Text(value.to_owned()))
        }
        _ if value.is_empty() => Ok(Value::Null),
        _ => kind.parse(value).map_err(|e| e.to_string()),
    }
}

/// Typed access to the columns of either backend's rows, so the records below are read by one
/// function each rather than one per backend.
pub(crate) trait Columns {
    fn text(&self, index: usize) -> sqlx::Result<String>;
    fn opt_text(&self, index: usize) -> sqlx::Result<Option<String>>;
    fn int(&self, index: usize) -> sqlx::Result<i64>;
    fn opt_int(&self, index: usize) -> sqlx::Result<Option<i64>>;
    fn flag(&self, index: usize) -> sqlx::Result<bool>;
    fn date(&self, index: usize) -> sqlx::Result<chrono::NaiveDate>;
    fn opt_date(&self, index: usize) -> sqlx::Result<Option<chrono::NaiveDate>>;
    fn opt_flag(&self, index: usize) -> sqlx::Result<Option<bool>>;
}

impl<R: Row> Columns for R
where
    usize: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    bool: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    chrono::NaiveDate: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn text(&self, index: usize) -> sqlx::Result<String> {
        self.try_get(index)
    }
    fn opt_text(&self, index: usize) -> sqlx::Result<Option<String>> {
        self.try_get(index)
    }
    fn int(&self, index: usize) -> sqlx::Result<i64> {
        self.try_get(index)
    }
    fn opt_int(&self, index: usize) -> sqlx::Result<Option<i64>> {
        self.try_get(index)
    }
    fn flag(&self, index: usize) -> sqlx::Result<bool> {
        self.try_get(index)
    }
    fn date(&self, index: usize) -> sqlx::Result<chrono::NaiveDate> {
        self.try_get(index)
    }
    fn opt_date(&self, index: usize) -> sqlx::Result<Option<chrono::NaiveDate>> {
        self.try_get(index)
    }
    fn opt_flag(&self, index: usize) -> sqlx::Result<Option<bool>> {
        self.try_get(index)
    }
}

fn user_record(row: &impl Columns) -> Result<UserRecord> {
    let read = || -> sqlx::Result<UserRecord> {
        Ok(UserRecord {
            user_id: row.text(0)?,
            login: row.text(1)?,
            display_name: row.text(2)?,
            role: row.text(3)?,
            branch_id: row.opt_text(4)?,
            manager_id: row.opt_text(5)?,
            password_hash: row.text(6)?,
            active: row.flag(7)?,
            created_at: row.text(8)?,
        })
    };
    read().map_err(db("read a user"))
}

fn credential_record(row: &impl Columns) -> Result<CredentialRecord> {
    let read = || -> sqlx::Result<CredentialRecord> {
        Ok(CredentialRecord {
            token_hash: row.text(0)?,
            user_id: row.text(1)?,
            kind: row.text(2)?,
            label: row.text(3)?,
            created_at: row.text(4)?,
            expires_at: row.opt_text(5)?,
        })
    };
    read().map_err(db("read a credential"))
}

fn audit_entry(row: &impl Columns) -> Result<AuditEntry> {
    let read = || -> sqlx::Result<AuditEntry> {
        Ok(AuditEntry {
            id: row.int(0)?,
            at: row.text(1)?,
            actor: row.text(2)?,
            role: row.text(3)?,
            action: row.text(4)?,
            object_type: row.text(5)?,
            object_id: row.text(6)?,
            detail: row.text(7)?,
        })
    };
    read().map_err(db("read the audit log"))
}

fn event_record(row: &impl Columns) -> Result<EventRecord> {
    let read = || -> sqlx::Result<EventRecord> {
        Ok(EventRecord {
            event_id: row.text(0)?,
            subscription_id: row.text(1)?,
            occurred_at: row.text(2)?,
            event_type: row.text(3)?,
            detail: row.opt_text(4)?,
            received_at: row.text(5)?,
            source: row.text(6)?,
        })
    };
    read().map_err(db("read an event"))
}

/// Reads a row selected as `task_columns!()`.
pub(crate) fn task_record(row: &impl Columns) -> Result<TaskRecord> {
    let read = || -> sqlx::Result<TaskRecord> {
        Ok(TaskRecord {
            task_id: row.int(0)?,
            task: NewTask {
                rule_id: row.text(1)?,
                subject: row.text(2)?,
                cause: row.text(3)?,
                category: row.text(4)?,
                action: row.text(5)?,
                customer_id: row.text(6)?,
                subscription_id: row.opt_text(7)?,
                branch_id: row.text(8)?,
                manager_id: row.opt_text(9)?,
                queue: row.opt_text(10)?,
                priority: row.text(11)?,
                due_on: row.text(12)?,
                reason_zh: row.text(13)?,
                reason_en: row.text(14)?,
                created_at: row.text(15)?,
                source_event: row.opt_text(16)?,
            },
            status: row.text(17)?,
            claimed_by: row.opt_text(18)?,
            claimed_at: row.opt_text(19)?,
            closed_at: row.opt_text(20)?,
            last_outcome: row.opt_text(21)?,
        })
    };
    read().map_err(db("read a task"))
}

fn outcome_record(row: &impl Columns) -> Result<OutcomeRecord> {
    let read = || -> sqlx::Result<OutcomeRecord> {
        Ok(OutcomeRecord {
            task_id: row.int(0)?,
            at: row.text(1)?,
            user_id: row.text(2)?,
            outcome: row.text(3)?,
            note: row.text(4)?,
            confirm_suspension: row.flag(5)?,
            request_id: row.opt_text(6)?,
            questionnaire_id: row.opt_text(7)?,
            answers: row.opt_text(8)?,
        })
    };
    read().map_err(db("read an outcome"))
}

/// Reads `customer_id, subscription_id, vip_tier, branch_id, manager_id`.
fn subject_record(row: &impl Columns) -> Result<SubjectRecord> {
    let read = || -> sqlx::Result<SubjectRecord> {
        Ok(SubjectRecord {
            customer_id: row.text(0)?,
            subscription_id: row.opt_text(1)?,
            vip_tier: row.text(2)?,
            branch_id: row.text(3)?,
            manager_id: row.opt_text(4)?,
        })
    };
    read().map_err(db("read alert subjects"))
}
