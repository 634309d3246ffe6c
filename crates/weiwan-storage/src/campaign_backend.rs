//! [`CampaignStore`] for both backends, written once by a macro as the rest of the store is.
//!
//! Two statements differ between the backends and come in as macro arguments: the collation
//! for sorting text, and the statement that makes campaign executions take turns (PostgreSQL
//! locks the holdouts table; SQLite has one writer anyway, and the first write of the
//! transaction takes it).

use async_trait::async_trait;
use sqlx::QueryBuilder;

use crate::campaign::{
    Acceptance, Accepted, CampaignHistoryEntry, CampaignRecord, CampaignStore, ContactEntry, ContactRow,
    Executed, Execution, MemberRecord, OfferRecord, QuestionnaireRecord, TakeupRecord, campaign_rule_id,
};
use crate::error::{Result, db};
use crate::service::ServiceStore;
use crate::service::{AuditEntry, NewTask, OutcomeRecord, OutcomeRecorded};
use crate::service_backend::{Columns, Recorded, task_record};
use crate::{PgStore, SqliteStore};

/// Ids per `IN (…)` list.
const IDS_PER_STATEMENT: usize = 500;

/// Members per multi-row INSERT: 8 parameters each.
const MEMBERS_PER_STATEMENT: usize = 1000;

macro_rules! campaign_columns {
    () => {
        "campaign_id, plan, status, approvals, approvals_required, budget_fen, spent_fen, seed, created_by, \
         created_at, updated_at, cloned_from, executed_on"
    };
}

macro_rules! offer_columns {
    () => {
        "offer_id, definition, budget_fen, spent_fen, active, created_by, created_at"
    };
}

macro_rules! contact_columns {
    () => {
        "customer_id, subscription_id, channel, at, campaign_id, task_id, user_id, outcome, refused, transactional"
    };
}

macro_rules! takeup_columns {
    () => {
        "campaign_id, offer_id, subscription_id, customer_id, task_id, channel, user_id, at, until, cost_fen"
    };
}

macro_rules! campaign_store_impl {
    ($store:ident, $db:ty, $collate:literal, $serialize:literal, $for_update:literal) => {
        /// Appends ` IN ($n, …)` with the ids bound.
        fn push_in(query: &mut QueryBuilder<$db>, ids: &[String]) {
            query.push(" IN (");
            let mut list = query.separated(", ");
            for id in ids {
                list.push_bind(id.clone());
            }
            list.push_unseparated(")");
        }

        impl $store {
            async fn insert_history<'c, E>(executor: E, entry: &CampaignHistoryEntry) -> Result<()>
            where
                E: sqlx::Executor<'c, Database = $db>,
            {
                sqlx::query(
                    "INSERT INTO campaign_history (campaign_id, at, user_id, action, from_status, to_status, \
                     level, comment) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&entry.campaign_id)
                .bind(&entry.at)
                .bind(&entry.user_id)
                .bind(&entry.action)
                .bind(&entry.from_status)
                .bind(&entry.to_status)
                .bind(entry.level)
                .bind(&entry.comment)
                .execute(executor)
                .await
                .map_err(db("record a campaign change"))?;
                Ok(())
            }

            pub(crate) async fn insert_contact(
                conn: &mut <$db as sqlx::Database>::Connection,
                c: &ContactEntry,
            ) -> Result<()> {
                sqlx::query(concat!(
                    "INSERT INTO contact_ledger (",
                    contact_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                ))
                .bind(&c.customer_id)
                .bind(&c.subscription_id)
                .bind(&c.channel)
                .bind(&c.at)
                .bind(&c.campaign_id)
                .bind(c.task_id)
                .bind(&c.user_id)
                .bind(&c.outcome)
                .bind(c.refused)
                .bind(c.transactional)
                .execute(&mut *conn)
                .await
                .map_err(db("enter a contact in the ledger"))?;
                Ok(())
            }

            /// Lines among `ids` another campaign than `except` holds on `today`: in its control
            /// group while the holdout lasts, or a member of it while it runs or is paused.
            async fn engaged_in(
                conn: &mut <$db as sqlx::Database>::Connection,
                ids: &[String],
                today: &str,
                except: &str,
            ) -> Result<Vec<String>> {
                let mut found = Vec::new();
                for chunk in ids.chunks(IDS_PER_STATEMENT) {
                    let mut query = QueryBuilder::<$db>::new("SELECT subscription_id FROM holdouts WHERE until >= ");
                    query.push_bind(today.to_owned());
                    query.push(" AND campaign_id <> ").push_bind(except.to_owned());
                    query.push(" AND subscription_id");
                    push_in(&mut query, chunk);
                    query.push(
                        " UNION SELECT m.subscription_id FROM campaign_members m \
                         JOIN campaigns c ON c.campaign_id = m.campaign_id \
                         WHERE c.status IN ('running', 'paused') AND m.campaign_id <> ",
                    );
                    query.push_bind(except.to_owned());
                    query.push(" AND m.subscription_id");
                    push_in(&mut query, chunk);
                    let rows = query.build().fetch_all(&mut *conn).await.map_err(db("look up holdouts"))?;
                    for row in &rows {
                        found.push(row.text(0).map_err(db("read holdouts"))?);
                    }
                }
                found.sort();
                found.dedup();
                Ok(found)
            }
        }

        #[async_trait]
        impl CampaignStore for $store {
            async fn create_offers(&self, offers: &[OfferRecord]) -> Result<Vec<String>> {
                let mut tx = self.pool.begin().await.map_err(db("begin adding offers"))?;
                let mut taken = Vec::new();
                for offer in offers {
                    let done = sqlx::query(concat!(
                        "INSERT INTO offers (",
                        offer_columns!(),
                        ") VALUES ($1, $2, $3, 0, $4, $5, $6) ON CONFLICT DO NOTHING"
                    ))
                    .bind(&offer.offer_id)
                    .bind(&offer.definition)
                    .bind(offer.budget_fen)
                    .bind(offer.active)
                    .bind(&offer.created_by)
                    .bind(&offer.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("add an offer"))?;
                    if done.rows_affected() != 1 {
                        taken.push(offer.offer_id.clone());
                    }
                }
                if taken.is_empty() {
                    tx.commit().await.map_err(db("commit new offers"))?;
                }
                Ok(taken)
            }

            async fn offers(&self) -> Result<Vec<OfferRecord>> {
                let sql = concat!("SELECT ", offer_columns!(), " FROM offers ORDER BY offer_id", $collate);
                let rows = sqlx::query(sql).fetch_all(&self.pool).await.map_err(db("list offers"))?;
                rows.iter().map(offer_record).collect()
            }

            async fn find_offer(&self, offer_id: &str) -> Result<Option<OfferRecord>> {
                let row = sqlx::query(concat!("SELECT ", offer_columns!(), " FROM offers WHERE offer_id = $1"))
                    .bind(offer_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db("look up an offer"))?;
                row.as_ref().map(offer_record).transpose()
            }

            async fn set_offer_active(&self, offer_id: &str, active: bool) -> Result<bool> {
                let done = sqlx::query("UPDATE offers SET active = $2 WHERE offer_id = $1")
                    .bind(offer_id)
                    .bind(active)
                    .execute(&self.pool)
                    .await
                    .map_err(db("retire an offer"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn create_campaign(
                &self,
                campaign: &CampaignRecord,
                history: &CampaignHistoryEntry,
            ) -> Result<bool> {
                let mut tx = self.pool.begin().await.map_err(db("begin creating a campaign"))?;
                let done = sqlx::query(concat!(
                    "INSERT INTO campaigns (",
                    campaign_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING"
                ))
                .bind(&campaign.campaign_id)
                .bind(&campaign.plan)
                .bind(&campaign.status)
                .bind(campaign.approvals)
                .bind(campaign.approvals_required)
                .bind(campaign.budget_fen)
                .bind(campaign.seed)
                .bind(&campaign.created_by)
                .bind(&campaign.created_at)
                .bind(&campaign.updated_at)
                .bind(&campaign.cloned_from)
                .bind(&campaign.executed_on)
                .execute(&mut *tx)
                .await
                .map_err(db("create a campaign"))?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                Self::insert_history(&mut *tx, history).await?;
                tx.commit().await.map_err(db("commit a new campaign"))?;
                Ok(true)
            }

            async fn find_campaign(&self, campaign_id: &str) -> Result<Option<CampaignRecord>> {
                let row =
                    sqlx::query(concat!("SELECT ", campaign_columns!(), " FROM campaigns WHERE campaign_id = $1"))
                        .bind(campaign_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db("look up a campaign"))?;
                row.as_ref().map(campaign_record).transpose()
            }

            async fn campaigns(&self) -> Result<Vec<CampaignRecord>> {
                let sql = concat!(
                    "SELECT ",
                    campaign_columns!(),
                    " FROM campaigns ORDER BY created_at DESC, campaign_id",
                    $collate
                );
                let rows = sqlx::query(sql).fetch_all(&self.pool).await.map_err(db("list campaigns"))?;
                rows.iter().map(campaign_record).collect()
            }

            async fn update_campaign_plan(
                &self,
                campaign: &CampaignRecord,
                history: &CampaignHistoryEntry,
            ) -> Result<bool> {
                let mut tx = self.pool.begin().await.map_err(db("begin editing a campaign"))?;
                let done = sqlx::query(
                    "UPDATE campaigns SET plan = $2, budget_fen = $3, approvals_required = $4, updated_at = $5 \
                     WHERE campaign_id = $1 AND status = 'draft'",
                )
                .bind(&campaign.campaign_id)
                .bind(&campaign.plan)
                .bind(campaign.budget_fen)
                .bind(campaign.approvals_required)
                .bind(&campaign.updated_at)
                .execute(&mut *tx)
                .await
                .map_err(db("edit a campaign"))?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                Self::insert_history(&mut *tx, history).await?;
                tx.commit().await.map_err(db("commit a campaign edit"))?;
                Ok(true)
            }

            async fn transition_campaign(
                &self,
                history: &CampaignHistoryEntry,
                approvals: i64,
                new_approvals: i64,
                close_tasks: bool,
            ) -> Result<bool> {
                let mut tx = self.pool.begin().await.map_err(db("begin a campaign transition"))?;
                let done = sqlx::query(
                    "UPDATE campaigns SET status = $2, approvals = $3, updated_at = $4 \
                     WHERE campaign_id = $1 AND status = $5 AND approvals = $6",
                )
                .bind(&history.campaign_id)
                .bind(&history.to_status)
                .bind(new_approvals)
                .bind(&history.at)
                .bind(&history.from_status)
                .bind(approvals)
                .execute(&mut *tx)
                .await
                .map_err(db("move a campaign"))?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                if close_tasks {
                    sqlx::query("UPDATE tasks SET status = 'done', closed_at = $2 WHERE rule_id = $1 AND status <> 'done'")
                        .bind(campaign_rule_id(&history.campaign_id))
                        .bind(&history.at)
                        .execute(&mut *tx)
                        .await
                        .map_err(db("close an ended campaign's tasks"))?;
                }
                Self::insert_history(&mut *tx, history).await?;
                tx.commit().await.map_err(db("commit a campaign transition"))?;
                Ok(true)
            }

            async fn campaign_history(&self, campaign_id: &str) -> Result<Vec<CampaignHistoryEntry>> {
                let rows = sqlx::query(
                    "SELECT campaign_id, at, user_id, action, from_status, to_status, level, comment \
                     FROM campaign_history WHERE campaign_id = $1 ORDER BY id",
                )
                .bind(campaign_id)
                .fetch_all(&self.pool)
                .await
                .map_err(db("read a campaign's history"))?;
                rows.iter().map(history_entry).collect()
            }

            async fn engaged(&self, subscription_ids: &[String], today: &str, except: &str) -> Result<Vec<String>> {
                let mut conn = self.pool.acquire().await.map_err(db("look up holdouts"))?;
                Self::engaged_in(&mut conn, subscription_ids, today, except).await
            }

            async fn execute_campaign(&self, execution: &Execution) -> Result<Executed> {
                let mut tx = self.pool.begin().await.map_err(db("begin executing a campaign"))?;
                // Executions take turns: the check for overlapping holdouts below must see
                // every holdout stored before this one is.
                sqlx::query($serialize).execute(&mut *tx).await.map_err(db("lock the holdouts"))?;
                sqlx::query("DELETE FROM holdouts WHERE until < $1")
                    .bind(&execution.executed_on)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("release ended holdouts"))?;
                let moved = sqlx::query(
                    "UPDATE campaigns SET status = 'running', executed_on = $2, updated_at = $3 \
                     WHERE campaign_id = $1 AND status = 'approved'",
                )
                .bind(&execution.campaign_id)
                .bind(&execution.executed_on)
                .bind(&execution.history.at)
                .execute(&mut *tx)
                .await
                .map_err(db("start a campaign"))?;
                if moved.rows_affected() != 1 {
                    let status: Option<String> =
                        sqlx::query_scalar("SELECT status FROM campaigns WHERE campaign_id = $1")
                            .bind(&execution.campaign_id)
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(db("look up a campaign"))?;
                    return Ok(Executed::NotApproved { status: status.unwrap_or_else(|| "missing".to_owned()) });
                }
                let ids: Vec<String> = execution.members.iter().map(|m| m.subscription_id.clone()).collect();
                let overlap =
                    Self::engaged_in(&mut tx, &ids, &execution.executed_on, &execution.campaign_id).await?;
                if !overlap.is_empty() {
                    return Ok(Executed::HeldOut(overlap));
                }
                for chunk in execution.members.chunks(MEMBERS_PER_STATEMENT) {
                    let mut query = QueryBuilder::<$db>::new(
                        "INSERT INTO campaign_members (campaign_id, subscription_id, customer_id, vip_tier, \
                         branch_id, manager_id, arm, offer_id) ",
                    );
                    query.push_values(chunk, |mut row, m| {
                        row.push_bind(m.campaign_id.clone())
                            .push_bind(m.subscription_id.clone())
                            .push_bind(m.customer_id.clone())
                            .push_bind(m.vip_tier.clone())
                            .push_bind(m.branch_id.clone())
                            .push_bind(m.manager_id.clone())
                            .push_bind(m.arm.clone())
                            .push_bind(m.offer_id.clone());
                    });
                    query.build().execute(&mut *tx).await.map_err(db("store campaign members"))?;
                }
                let control: Vec<&MemberRecord> = execution.members.iter().filter(|m| m.arm == "control").collect();
                for chunk in control.chunks(MEMBERS_PER_STATEMENT) {
                    let mut query =
                        QueryBuilder::<$db>::new("INSERT INTO holdouts (subscription_id, campaign_id, until) ");
                    query.push_values(chunk, |mut row, m| {
                        row.push_bind(m.subscription_id.clone())
                            .push_bind(execution.campaign_id.clone())
                            .push_bind(execution.holdout_until.clone());
                    });
                    query.build().execute(&mut *tx).await.map_err(db("hold out the control group"))?;
                }
                let tasks: Vec<&NewTask> = execution.tasks.iter().collect();
                let raised = Self::insert_tasks(&mut tx, &tasks).await?;
                Self::insert_history(&mut *tx, &execution.history).await?;
                tx.commit().await.map_err(db("commit a campaign's start"))?;
                Ok(Executed::Started { tasks: raised.len() })
            }

            async fn campaign_members(&self, campaign_id: &str) -> Result<Vec<MemberRecord>> {
                let rows = sqlx::query(concat!(
                    "SELECT campaign_id, subscription_id, customer_id, vip_tier, branch_id, manager_id, arm, \
                     offer_id FROM campaign_members WHERE campaign_id = $1 ORDER BY subscription_id",
                    $collate
                ))
                .bind(campaign_id)
                .fetch_all(&self.pool)
                .await
                .map_err(db("list campaign members"))?;
                rows.iter().map(member_record).collect()
            }

            async fn campaign_member(&self, campaign_id: &str, subscription_id: &str) -> Result<Option<MemberRecord>> {
                let row = sqlx::query(
                    "SELECT campaign_id, subscription_id, customer_id, vip_tier, branch_id, manager_id, arm, \
                     offer_id FROM campaign_members WHERE campaign_id = $1 AND subscription_id = $2",
                )
                .bind(campaign_id)
                .bind(subscription_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db("find a campaign member"))?;
                row.as_ref().map(member_record).transpose()
            }

            async fn holdout_size(&self, campaign_id: &str) -> Result<i64> {
                sqlx::query_scalar("SELECT COUNT(*) FROM holdouts WHERE campaign_id = $1")
                    .bind(campaign_id)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db("count a holdout"))
            }

            async fn accept_offer(&self, a: &Acceptance) -> Result<Accepted> {
                // Dropping the transaction on an early return rolls everything back.
                let mut tx = self.pool.begin().await.map_err(db("begin an acceptance"))?;
                // The campaign's row is locked first, as ending or pausing it does: acceptances of
                // one campaign take turns with each other and with its end, so none can hold a
                // task another waits for while waiting for what that one holds (a deadlock on
                // PostgreSQL), and none is taken after the campaign stopped.
                let status: Option<String> = sqlx::query_scalar(concat!(
                    "SELECT status FROM campaigns WHERE campaign_id = $1",
                    $for_update
                ))
                .bind(&a.campaign_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db("lock the campaign"))?;
                match status.as_deref() {
                    Some("running") => {}
                    Some(other) => return Ok(Accepted::NotRunning { status: other.to_owned() }),
                    None => return Ok(Accepted::NotFound),
                }
                let row = sqlx::query(concat!(
                    "UPDATE tasks SET status = 'done', last_outcome = 'accepted', closed_at = $2 ",
                    "WHERE task_id = $1 AND status <> 'done' RETURNING ",
                    task_columns!()
                ))
                .bind(a.task_id)
                .bind(&a.at)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db("close an accepted task"))?;
                let Some(row) = row else {
                    let exists = Self::task_exists(&mut tx, a.task_id).await?;
                    return Ok(if exists { Accepted::TaskDone } else { Accepted::NotFound });
                };
                let task = task_record(&row)?;
                let taken: Option<i64> =
                    sqlx::query_scalar("SELECT task_id FROM takeups WHERE campaign_id = $1 AND subscription_id = $2")
                        .bind(&a.campaign_id)
                        .bind(&a.subscription_id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db("look up take-ups"))?;
                if taken.is_some() {
                    return Ok(Accepted::AlreadyTaken);
                }
                if !a.excluded_offers.is_empty() {
                    let mut query = QueryBuilder::<$db>::new("SELECT offer_id FROM takeups WHERE subscription_id = ");
                    query.push_bind(a.subscription_id.clone());
                    query.push(" AND until >= ").push_bind(a.today.clone());
                    query.push(" AND offer_id");
                    push_in(&mut query, &a.excluded_offers);
                    let held = query.build().fetch_optional(&mut *tx).await.map_err(db("look up holdings"))?;
                    if let Some(row) = held {
                        return Ok(Accepted::Excluded { offer_id: row.text(0).map_err(db("read holdings"))? });
                    }
                }
                // Each charge is one statement that checks the budget, so concurrent
                // acceptances cannot together pass it.
                let offer = sqlx::query(
                    "UPDATE offers SET spent_fen = spent_fen + $2 WHERE offer_id = $1 \
                     AND (budget_fen IS NULL OR spent_fen + $2 <= budget_fen)",
                )
                .bind(&a.offer_id)
                .bind(a.cost_fen)
                .execute(&mut *tx)
                .await
                .map_err(db("charge an offer's budget"))?;
                if offer.rows_affected() != 1 {
                    return Ok(Accepted::OfferBudgetSpent);
                }
                let campaign = sqlx::query(
                    "UPDATE campaigns SET spent_fen = spent_fen + $2 WHERE campaign_id = $1 \
                     AND spent_fen + $2 <= budget_fen",
                )
                .bind(&a.campaign_id)
                .bind(a.cost_fen)
                .execute(&mut *tx)
                .await
                .map_err(db("charge a campaign's budget"))?;
                if campaign.rows_affected() != 1 {
                    return Ok(Accepted::CampaignBudgetSpent);
                }
                sqlx::query(concat!("INSERT INTO takeups (", takeup_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
                    .bind(&a.campaign_id)
                    .bind(&a.offer_id)
                    .bind(&a.subscription_id)
                    .bind(&a.customer_id)
                    .bind(a.task_id)
                    .bind(&a.channel)
                    .bind(&a.user_id)
                    .bind(&a.at)
                    .bind(&a.until)
                    .bind(a.cost_fen)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("record a take-up"))?;
                if !Self::insert_outcome(&mut tx, &a.outcome).await? {
                    // The same request was recorded meanwhile: nothing more to do.
                    return Ok(Accepted::TaskDone);
                }
                // The customer's other tasks of this campaign (other channels) are done too:
                // closed without an outcome of their own, so nothing is counted twice.
                let closed: Vec<i64> = sqlx::query_scalar(
                    "UPDATE tasks SET status = 'done', last_outcome = 'accepted', closed_at = $3 \
                     WHERE rule_id = $1 AND subject = $2 AND status <> 'done' RETURNING task_id",
                )
                .bind(campaign_rule_id(&a.campaign_id))
                .bind(&task.task.subject)
                .bind(&a.at)
                .fetch_all(&mut *tx)
                .await
                .map_err(db("close the customer's other campaign tasks"))?;
                Self::insert_contact(&mut tx, &a.contact).await?;
                tx.commit().await.map_err(db("commit an acceptance"))?;
                let mut closed = closed;
                closed.sort_unstable();
                Ok(Accepted::Accepted { task, closed })
            }

            async fn takeups(&self, campaign_id: &str) -> Result<Vec<TakeupRecord>> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    takeup_columns!(),
                    " FROM takeups WHERE campaign_id = $1 ORDER BY id"
                ))
                .bind(campaign_id)
                .fetch_all(&self.pool)
                .await
                .map_err(db("list take-ups"))?;
                rows.iter().map(takeup_record).collect()
            }

            async fn holdings(&self, subscription_ids: &[String], today: &str) -> Result<Vec<(String, String)>> {
                let mut found = Vec::new();
                for chunk in subscription_ids.chunks(IDS_PER_STATEMENT) {
                    let mut query =
                        QueryBuilder::<$db>::new("SELECT subscription_id, offer_id FROM takeups WHERE until >= ");
                    query.push_bind(today.to_owned());
                    query.push(" AND subscription_id");
                    push_in(&mut query, chunk);
                    let rows = query.build().fetch_all(&self.pool).await.map_err(db("look up holdings"))?;
                    for row in &rows {
                        let read = || -> sqlx::Result<_> { Ok((row.text(0)?, row.text(1)?)) };
                        found.push(read().map_err(db("read holdings"))?);
                    }
                }
                found.sort();
                Ok(found)
            }

            async fn campaign_contacts(&self, campaign_id: &str) -> Result<Vec<ContactRow>> {
                let rows = sqlx::query(
                    "SELECT t.task_id, t.subject, t.cause, t.manager_id, \
                     COUNT(o.id) > 0, \
                     COUNT(CASE WHEN o.outcome <> 'not_reached' THEN 1 END) > 0, \
                     COUNT(CASE WHEN o.outcome = 'accepted' THEN 1 END) > 0 \
                     FROM tasks t LEFT JOIN task_outcomes o ON o.task_id = t.task_id \
                     WHERE t.rule_id = $1 \
                     GROUP BY t.task_id, t.subject, t.cause, t.manager_id ORDER BY t.task_id",
                )
                .bind(campaign_rule_id(campaign_id))
                .fetch_all(&self.pool)
                .await
                .map_err(db("read a campaign's contacts"))?;
                rows.iter()
                    .map(|row| {
                        let read = || -> sqlx::Result<ContactRow> {
                            Ok(ContactRow {
                                task_id: row.int(0)?,
                                subscription_id: row.text(1)?,
                                channel: row.text(2)?,
                                manager_id: row.opt_text(3)?,
                                worked: row.flag(4)?,
                                reached: row.flag(5)?,
                                accepted: row.flag(6)?,
                            })
                        };
                        read().map_err(db("read a campaign's contacts"))
                    })
                    .collect()
            }

            async fn record_contact_outcome(
                &self,
                outcome: &OutcomeRecord,
                closes: bool,
                contact: &ContactEntry,
                audit: &AuditEntry,
            ) -> Result<OutcomeRecorded> {
                let mut tx = self.pool.begin().await.map_err(db("begin recording a contact"))?;
                match Self::record_outcome_in(&mut tx, outcome, closes).await? {
                    Recorded::New(task) => {
                        Self::insert_contact(&mut tx, contact).await?;
                        Self::insert_audit(&mut *tx, audit).await?;
                        tx.commit().await.map_err(db("commit a contact"))?;
                        Ok(OutcomeRecorded::New(task))
                    }
                    Recorded::NoTask => Ok(OutcomeRecorded::NoTask),
                    Recorded::TaskDone => Ok(OutcomeRecorded::TaskDone),
                    // A retry of an outcome recorded before: no second contact either.
                    Recorded::Replay => {
                        drop(tx);
                        let task = self.task(outcome.task_id).await?;
                        Ok(task.map_or(OutcomeRecorded::NoTask, OutcomeRecorded::Replay))
                    }
                }
            }

            async fn create_questionnaire(&self, q: &QuestionnaireRecord) -> Result<bool> {
                let done = sqlx::query(
                    "INSERT INTO questionnaires (questionnaire_id, definition, created_by, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (questionnaire_id) DO NOTHING",
                )
                .bind(&q.questionnaire_id)
                .bind(&q.definition)
                .bind(&q.created_by)
                .bind(&q.created_at)
                .execute(&self.pool)
                .await
                .map_err(db("store a questionnaire"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn questionnaires(&self) -> Result<Vec<QuestionnaireRecord>> {
                let rows = sqlx::query(concat!(
                    "SELECT questionnaire_id, definition, created_by, created_at FROM questionnaires \
                     ORDER BY questionnaire_id",
                    $collate
                ))
                .fetch_all(&self.pool)
                .await
                .map_err(db("list questionnaires"))?;
                rows.iter().map(questionnaire_record).collect()
            }

            async fn find_questionnaire(&self, questionnaire_id: &str) -> Result<Option<QuestionnaireRecord>> {
                let row = sqlx::query(
                    "SELECT questionnaire_id, definition, created_by, created_at FROM questionnaires \
                     WHERE questionnaire_id = $1",
                )
                .bind(questionnaire_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db("find a questionnaire"))?;
                row.as_ref().map(questionnaire_record).transpose()
            }

            async fn campaign_answers(&self, campaign_id: &str) -> Result<Vec<(String, String)>> {
                let rows = sqlx::query(
                    "SELECT o.questionnaire_id, o.answers FROM task_outcomes o JOIN tasks t ON t.task_id = o.task_id \
                     WHERE t.rule_id = $1 AND o.answers IS NOT NULL AND o.questionnaire_id IS NOT NULL ORDER BY o.id",
                )
                .bind(campaign_rule_id(campaign_id))
                .fetch_all(&self.pool)
                .await
                .map_err(db("list a campaign's answers"))?;
                rows.iter()
                    .map(|row| {
                        let read = || -> sqlx::Result<(String, String)> { Ok((row.text(0)?, row.text(1)?)) };
                        read().map_err(db("read answers"))
                    })
                    .collect()
            }

            async fn record_contacts(&self, contacts: &[ContactEntry], audit: &AuditEntry) -> Result<()> {
                let mut tx = self.pool.begin().await.map_err(db("begin recording contacts"))?;
                for contact in contacts {
                    Self::insert_contact(&mut tx, contact).await?;
                }
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await.map_err(db("commit the contacts"))
            }

            async fn count_contacts(&self, channel: &str, since: &str) -> Result<i64> {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM contact_ledger WHERE channel = $1 AND at >= $2 AND NOT transactional",
                )
                .bind(channel)
                .bind(since)
                .fetch_one(&self.pool)
                .await
                .map_err(db("count contacts"))
            }

            async fn contacts(&self, customer_ids: &[String], since: &str) -> Result<Vec<ContactEntry>> {
                let mut found = Vec::new();
                for chunk in customer_ids.chunks(IDS_PER_STATEMENT) {
                    let mut query = QueryBuilder::<$db>::new(concat!(
                        "SELECT ",
                        contact_columns!(),
                        " FROM contact_ledger WHERE at >= "
                    ));
                    query.push_bind(since.to_owned());
                    query.push(" AND customer_id");
                    push_in(&mut query, chunk);
                    query.push(concat!(" ORDER BY customer_id", $collate, ", at, id"));
                    let rows = query.build().fetch_all(&self.pool).await.map_err(db("read the contact ledger"))?;
                    for row in &rows {
                        found.push(contact_entry(row)?);
                    }
                }
                Ok(found)
            }

            async fn set_do_not_disturb(
                &self,
                customer_id: &str,
                on: bool,
                at: &str,
                by: &str,
                reason: &str,
            ) -> Result<bool> {
                let done = if on {
                    sqlx::query(
                        "INSERT INTO do_not_disturb (customer_id, added_at, added_by, reason) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    )
                    .bind(customer_id)
                    .bind(at)
                    .bind(by)
                    .bind(reason)
                    .execute(&self.pool)
                    .await
                } else {
                    sqlx::query("DELETE FROM do_not_disturb WHERE customer_id = $1")
                        .bind(customer_id)
                        .execute(&self.pool)
                        .await
                };
                Ok(done.map_err(db("change the do-not-disturb list"))?.rows_affected() == 1)
            }

            async fn do_not_disturb(&self, customer_ids: &[String]) -> Result<Vec<String>> {
                let mut found = Vec::new();
                for chunk in customer_ids.chunks(IDS_PER_STATEMENT) {
                    let mut query =
                        QueryBuilder::<$db>::new("SELECT customer_id FROM do_not_disturb WHERE customer_id");
                    push_in(&mut query, chunk);
                    let rows = query.build().fetch_all(&self.pool).await.map_err(db("read the do-not-disturb list"))?;
                    for row in &rows {
                        found.push(row.text(0).map_err(db("read the do-not-disturb list"))?);
                    }
                }
                found.sort();
                Ok(found)
            }
        }
    };
}

mod sqlite {
    use super::*;
    // The DELETE that follows the lock statement is the transaction's first write, which
    // makes other writers wait: SQLite needs no lock statement of its own, nor row locks
    // (`FOR UPDATE`): it has one writer at a time.
    campaign_store_impl!(SqliteStore, sqlx::Sqlite, "", "SELECT 1", "");
}

mod postgres {
    use super::*;
    campaign_store_impl!(
        PgStore,
        sqlx::Postgres,
        " COLLATE \"C\"",
        "LOCK TABLE holdouts IN SHARE ROW EXCLUSIVE MODE",
        " FOR UPDATE"
    );
}

fn offer_record(row: &impl Columns) -> Result<OfferRecord> {
    let read = || -> sqlx::Result<OfferRecord> {
        Ok(OfferRecord {
            offer_id: row.text(0)?,
            definition: row.text(1)?,
            budget_fen: row.opt_int(2)?,
            spent_fen: row.int(3)?,
            active: row.flag(4)?,
            created_by: row.text(5)?,
            created_at: row.text(6)?,
        })
    };
    read().map_err(db("read an offer"))
}

fn campaign_record(row: &impl Columns) -> Result<CampaignRecord> {
    let read = || -> sqlx::Result<CampaignRecord> {
        Ok(CampaignRecord {
            campaign_id: row.text(0)?,
            plan: row.text(1)?,
            status: row.text(2)?,
            approvals: row.int(3)?,
            approvals_required: row.int(4)?,
            budget_fen: row.int(5)?,
            spent_fen: row.int(6)?,
            seed: row.int(7)?,
            created_by: row.text(8)?,
            created_at: row.text(9)?,
            updated_at: row.text(10)?,
            cloned_from: row.opt_text(11)?,
            executed_on: row.opt_text(12)?,
        })
    };
    read().map_err(db("read a campaign"))
}

fn history_entry(row: &impl Columns) -> Result<CampaignHistoryEntry> {
    let read = || -> sqlx::Result<CampaignHistoryEntry> {
        Ok(CampaignHistoryEntry {
            campaign_id: row.text(0)?,
            at: row.text(1)?,
            user_id: row.text(2)?,
            action: row.text(3)?,
            from_status: row.text(4)?,
            to_status: row.text(5)?,
            level: row.int(6)?,
            comment: row.text(7)?,
        })
    };
    read().map_err(db("read a campaign's history"))
}

fn member_record(row: &impl Columns) -> Result<MemberRecord> {
    let read = || -> sqlx::Result<MemberRecord> {
        Ok(MemberRecord {
            campaign_id: row.text(0)?,
            subscription_id: row.text(1)?,
            customer_id: row.text(2)?,
            vip_tier: row.text(3)?,
            branch_id: row.text(4)?,
            manager_id: row.opt_text(5)?,
            arm: row.text(6)?,
            offer_id: row.text(7)?,
        })
    };
    read().map_err(db("read a campaign member"))
}

fn questionnaire_record(row: &impl Columns) -> Result<QuestionnaireRecord> {
    let read = || -> sqlx::Result<QuestionnaireRecord> {
        Ok(QuestionnaireRecord {
            questionnaire_id: row.text(0)?,
            definition: row.text(1)?,
            created_by: row.text(2)?,
            created_at: row.text(3)?,
        })
    };
    read().map_err(db("read a questionnaire"))
}

fn contact_entry(row: &impl Columns) -> Result<ContactEntry> {
    let read = || -> sqlx::Result<ContactEntry> {
        Ok(ContactEntry {
            customer_id: row.text(0)?,
            subscription_id: row.opt_text(1)?,
            channel: row.text(2)?,
            at: row.text(3)?,
            campaign_id: row.opt_text(4)?,
            task_id: row.opt_int(5)?,
            user_id: row.text(6)?,
            outcome: row.text(7)?,
            refused: row.flag(8)?,
            transactional: row.flag(9)?,
        })
    };
    read().map_err(db("read the contact ledger"))
}

fn takeup_record(row: &impl Columns) -> Result<TakeupRecord> {
    let read = || -> sqlx::Result<TakeupRecord> {
        Ok(TakeupRecord {
            campaign_id: row.text(0)?,
            offer_id: row.text(1)?,
            subscription_id: row.text(2)?,
            customer_id: row.text(3)?,
            task_id: row.int(4)?,
            channel: row.text(5)?,
            user_id: row.text(6)?,
            at: row.text(7)?,
            until: row.text(8)?,
            cost_fen: row.int(9)?,
        })
    };
    read().map_err(db("read a take-up"))
}
