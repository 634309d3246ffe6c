//! [`ClubStore`] for both backends, written once by a macro as the rest of the store is.
//!
//! Sign-ups, cancellations and the draw of one event first move the event's row (`version`):
//! on PostgreSQL that row lock makes them take turns, so the places counted, the waitlist's
//! order and the draw's applicants are never read from under a concurrent change; SQLite has
//! one writer. A refused step returns before the commit, so dropping the transaction rolls back
//! whatever it began, audit entry included.

use async_trait::async_trait;

use crate::clubs::{
    Attendance, AttendedRecord, Cancelled, ClubActivity, ClubEventRecord, ClubRecord, ClubStore, DrawOrder,
    Drawn, Joined, MembershipRecord, PointSpendRecord, SignUp, SignupRecord, Spent,
};
use crate::error::{Error, Result, db};
use crate::service::AuditEntry;
use crate::service_backend::Columns;
use crate::{PgStore, SqliteStore};

macro_rules! club_columns {
    () => {
        "club_id, name_zh, name_en, description, tiers, branch_id, created_at, created_by"
    };
}

macro_rules! member_columns {
    () => {
        "club_id, customer_id, joined_at, joined_by, left_at, left_by"
    };
}

macro_rules! event_columns {
    () => {
        "event_id, club_id, title, place, starts_at, capacity, allocation, waitlist, confirmed, draw_seed, \
         drawn_at, drawn_by, created_at, created_by"
    };
}

macro_rules! signup_columns {
    () => {
        "signup_id, event_id, customer_id, status, position, signed_up_at, signed_up_by, changed_at, attended, \
         attendance_at, attendance_by"
    };
}

macro_rules! spend_columns {
    () => {
        "spend_id, club_id, customer_id, service, points, spent_at, spent_by"
    };
}

/// The order sign-ups are listed in: places, applications, the waitlist, cancellations.
macro_rules! signup_order {
    () => {
        " ORDER BY CASE status WHEN 'confirmed' THEN 0 WHEN 'applied' THEN 1 WHEN 'waitlisted' THEN 2 ELSE 3 END, \
         position, signup_id"
    };
}

macro_rules! club_store_impl {
    ($store:ident, $db:ty, $collate:literal) => {
        impl $store {
            /// Moves the event's row, so that changes of one event take turns; `None` when there
            /// is no such event.
            async fn lock_event(
                conn: &mut <$db as sqlx::Database>::Connection,
                event_id: i64,
            ) -> Result<Option<ClubEventRecord>> {
                let row = sqlx::query(concat!(
                    "UPDATE club_events SET version = version + 1 WHERE event_id = $1 RETURNING ",
                    event_columns!()
                ))
                .bind(event_id)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db("take turns on a club event"))?;
                row.as_ref().map(event_record).transpose()
            }

            async fn signup_of(
                conn: &mut <$db as sqlx::Database>::Connection,
                event_id: i64,
                customer_id: &str,
            ) -> Result<Option<SignupRecord>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    signup_columns!(),
                    " FROM club_signups WHERE event_id = $1 AND customer_id = $2"
                ))
                .bind(event_id)
                .bind(customer_id)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db("look up a sign-up"))?;
                row.as_ref().map(signup_record).transpose()
            }

            async fn set_confirmed(
                conn: &mut <$db as sqlx::Database>::Connection,
                event_id: i64,
                confirmed: i64,
            ) -> Result<()> {
                sqlx::query("UPDATE club_events SET confirmed = $2 WHERE event_id = $1")
                    .bind(event_id)
                    .bind(confirmed)
                    .execute(&mut *conn)
                    .await
                    .map_err(db("count an event's places"))?;
                Ok(())
            }

            async fn next_position(conn: &mut <$db as sqlx::Database>::Connection, event_id: i64) -> Result<i64> {
                sqlx::query_scalar(
                    "SELECT COALESCE(MAX(position), 0) + 1 FROM club_signups WHERE event_id = $1 AND status = 'waitlisted'",
                )
                .bind(event_id)
                .fetch_one(&mut *conn)
                .await
                .map_err(db("find the end of an event's waitlist"))
            }
        }

        #[async_trait]
        impl ClubStore for $store {
            async fn create_club(&self, club: &ClubRecord, audit: &AuditEntry) -> Result<bool> {
                let mut tx = self.pool.begin().await.map_err(db("begin creating a club"))?;
                let done = sqlx::query(
                    "INSERT INTO clubs (club_id, name_zh, name_en, description, tiers, branch_id, created_at, \
                     created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (club_id) DO NOTHING",
                )
                .bind(&club.club_id)
                .bind(&club.name_zh)
                .bind(&club.name_en)
                .bind(&club.description)
                .bind(club.tiers.join(","))
                .bind(&club.branch_id)
                .bind(&club.created_at)
                .bind(&club.created_by)
                .execute(&mut *tx)
                .await
                .map_err(db("create a club"))?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await.map_err(db("commit a new club"))?;
                Ok(true)
            }

            async fn clubs(&self) -> Result<Vec<ClubRecord>> {
                let rows = sqlx::query(concat!("SELECT ", club_columns!(), " FROM clubs ORDER BY club_id", $collate))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db("list clubs"))?;
                rows.iter().map(club_record).collect()
            }

            async fn find_club(&self, club_id: &str) -> Result<Option<ClubRecord>> {
                let row = sqlx::query(concat!("SELECT ", club_columns!(), " FROM clubs WHERE club_id = $1"))
                    .bind(club_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db("look up a club"))?;
                row.as_ref().map(club_record).transpose()
            }

            async fn join_club(&self, m: &MembershipRecord, audit: &AuditEntry) -> Result<Joined> {
                let mut tx = self.pool.begin().await.map_err(db("begin joining a club"))?;
                let inserted = sqlx::query(
                    "INSERT INTO club_members (club_id, customer_id, joined_at, joined_by) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (club_id, customer_id) DO NOTHING",
                )
                .bind(&m.club_id)
                .bind(&m.customer_id)
                .bind(&m.joined_at)
                .bind(&m.joined_by)
                .execute(&mut *tx)
                .await
                .map_err(db("join a club"))?;
                let joined = if inserted.rows_affected() == 1 {
                    Joined::New
                } else {
                    let rejoined = sqlx::query(
                        "UPDATE club_members SET joined_at = $3, joined_by = $4, left_at = NULL, left_by = NULL \
                         WHERE club_id = $1 AND customer_id = $2 AND left_at IS NOT NULL",
                    )
                    .bind(&m.club_id)
                    .bind(&m.customer_id)
                    .bind(&m.joined_at)
                    .bind(&m.joined_by)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("join a club again"))?;
                    if rejoined.rows_affected() != 1 {
                        return Ok(Joined::AlreadyMember);
                    }
                    Joined::Rejoined
                };
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await.map_err(db("commit joining a club"))?;
                Ok(joined)
            }

            async fn leave_club(
                &self,
                club_id: &str,
                customer_id: &str,
                at: &str,
                by: &str,
                audit: &AuditEntry,
            ) -> Result<bool> {
                let mut tx = self.pool.begin().await.map_err(db("begin leaving a club"))?;
                let done = sqlx::query(
                    "UPDATE club_members SET left_at = $3, left_by = $4 \
                     WHERE club_id = $1 AND customer_id = $2 AND left_at IS NULL",
                )
                .bind(club_id)
                .bind(customer_id)
                .bind(at)
                .bind(by)
                .execute(&mut *tx)
                .await
                .map_err(db("leave a club"))?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await.map_err(db("commit leaving a club"))?;
                Ok(true)
            }

            async fn club_members(&self, club_id: &str) -> Result<Vec<MembershipRecord>> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    member_columns!(),
                    " FROM club_members WHERE club_id = $1 ORDER BY customer_id",
                    $collate
                ))
                .bind(club_id)
                .fetch_all(&self.pool)
                .await
                .map_err(db("list a club's members"))?;
                rows.iter().map(membership_record).collect()
            }

            async fn memberships(&self, customer_id: &str) -> Result<Vec<MembershipRecord>> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    member_columns!(),
                    " FROM club_members WHERE customer_id = $1 ORDER BY club_id",
                    $collate
                ))
                .bind(customer_id)
                .fetch_all(&self.pool)
                .await
                .map_err(db("list a customer's clubs"))?;
                rows.iter().map(membership_record).collect()
            }

            async fn create_event(&self, e: &ClubEventRecord, audit: &AuditEntry) -> Result<ClubEventRecord> {
                let mut tx = self.pool.begin().await.map_err(db("begin creating a club event"))?;
                let row = sqlx::query(concat!(
                    "INSERT INTO club_events (club_id, title, place, starts_at, capacity, allocation, waitlist, \
                     created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ",
                    event_columns!()
                ))
                .bind(&e.club_id)
                .bind(&e.title)
                .bind(&e.place)
                .bind(&e.starts_at)
                .bind(e.capacity)
                .bind(&e.allocation)
                .bind(e.waitlist)
                .bind(&e.created_at)
                .bind(&e.created_by)
                .fetch_one(&mut *tx)
                .await
                .map_err(db("create a club event"))?;
                let stored = event_record(&row)?;
                let audit = AuditEntry { object_id: stored.event_id.to_string(), ..audit.clone() };
                Self::insert_audit(&mut *tx, &audit).await?;
                tx.commit().await.map_err(db("commit a new club event"))?;
                Ok(stored)
            }

            async fn find_club_event(&self, event_id: i64) -> Result<Option<ClubEventRecord>> {
                let row = sqlx::query(concat!("SELECT ", event_columns!(), " FROM club_events WHERE event_id = $1"))
                    .bind(event_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db("look up a club event"))?;
                row.as_ref().map(event_record).transpose()
            }

            async fn club_events(&self, club_id: &str) -> Result<Vec<ClubEventRecord>> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    event_columns!(),
                    " FROM club_events WHERE club_id = $1 ORDER BY starts_at, event_id"
                ))
                .bind(club_id)
                .fetch_all(&self.pool)
                .await
                .map_err(db("list a club's events"))?;
                rows.iter().map(event_record).collect()
            }

            async fn sign_up(
                &self,
                event_id: i64,
                customer_id: &str,
                at: &str,
                by: &str,
                audit: &AuditEntry,
            ) -> Result<SignUp> {
                let mut tx = self.pool.begin().await.map_err(db("begin signing up for an event"))?;
                let Some(event) = Self::lock_event(&mut tx, event_id).await? else {
                    return Ok(SignUp::NoEvent);
                };
                let member: Option<i64> = sqlx::query_scalar(
                    "SELECT CAST(1 AS BIGINT) FROM club_members WHERE club_id = $1 AND customer_id = $2 AND left_at IS NULL",
                )
                .bind(&event.club_id)
                .bind(customer_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db("check a club membership"))?;
                if member.is_none() {
                    return Ok(SignUp::NotMember);
                }
                let existing = Self::signup_of(&mut tx, event_id, customer_id).await?;
                if let Some(existing) = existing.as_ref().filter(|s| s.status != "cancelled") {
                    return Ok(SignUp::AlreadySignedUp(existing.clone()));
                }
                let (status, position) = if event.allocation == "draw" && event.drawn_at.is_none() {
                    ("applied", None)
                } else if event.allocation == "first_come" && event.confirmed < event.capacity {
                    ("confirmed", None)
                } else if event.waitlist {
                    ("waitlisted", Some(Self::next_position(&mut tx, event_id).await?))
                } else {
                    return Ok(SignUp::Full);
                };
                if status == "confirmed" {
                    Self::set_confirmed(&mut tx, event_id, event.confirmed + 1).await?;
                }
                let statement = if existing.is_some() {
                    concat!(
                        "UPDATE club_signups SET status = $3, position = $4, signed_up_at = $5, signed_up_by = $6, \
                         changed_at = $5, attended = NULL, attendance_at = NULL, attendance_by = NULL \
                         WHERE event_id = $1 AND customer_id = $2 RETURNING ",
                        signup_columns!()
                    )
                } else {
                    concat!(
                        "INSERT INTO club_signups (event_id, customer_id, status, position, signed_up_at, \
                         signed_up_by, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $5) RETURNING ",
                        signup_columns!()
                    )
                };
                let row = sqlx::query(statement)
                    .bind(event_id)
                    .bind(customer_id)
                    .bind(status)
                    .bind(position)
                    .bind(at)
                    .bind(by)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db("sign up for an event"))?;
                let stored = signup_record(&row)?;
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await.map_err(db("commit a sign-up"))?;
                Ok(SignUp::Stored(stored))
            }

            async fn cancel_signup(
                &self,
                event_id: i64,
                customer_id: &str,
                at: &str,
                _by: &str,
                audit: &AuditEntry,
            ) -> Result<Cancelled> {
                let mut tx = self.pool.begin().await.map_err(db("begin cancelling a sign-up"))?;
                let Some(event) = Self::lock_event(&mut tx, event_id).await? else {
                    return Ok(Cancelled::NoEvent);
                };
                let Some(signup) = Self::signup_of(&mut tx, event_id, customer_id).await? else {
                    return Ok(Cancelled::NotSignedUp);
                };
                if signup.status == "cancelled" {
                    return Ok(Cancelled::NotSignedUp);
                }
                sqlx::query(
                    "UPDATE club_signups SET status = 'cancelled', position = NULL, changed_at = $2 \
                     WHERE signup_id = $1",
                )
                .bind(signup.signup_id)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(db("cancel a sign-up"))?;
                let mut promoted = None;
                if signup.status == "confirmed" {
                    let next = sqlx::query(concat!(
                        "SELECT ",
                        signup_columns!(),
                        " FROM club_signups WHERE event_id = $1 AND status = 'waitlisted' ORDER BY position LIMIT 1"
                    ))
                    .bind(event_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db("find the first on an event's waitlist"))?;
                    let next = next.as_ref().map(signup_record).transpose()?;
                    let confirmed = match &next {
                        Some(next) => {
                            let row = sqlx::query(concat!(
                                "UPDATE club_signups SET status = 'confirmed', position = NULL, changed_at = $2 \
                                 WHERE signup_id = $1 RETURNING ",
                                signup_columns!()
                            ))
                            .bind(next.signup_id)
                            .bind(at)
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(db("give a freed place to the waitlist"))?;
                            promoted = Some(signup_record(&row)?);
                            event.confirmed
                        }
                        None => event.confirmed - 1,
                    };
                    Self::set_confirmed(&mut tx, event_id, confirmed).await?;
                }
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await.map_err(db("commit a cancellation"))?;
                Ok(Cancelled::Cancelled { promoted })
            }

            async fn draw(
                &self,
                event_id: i64,
                seed: i64,
                at: &str,
                by: &str,
                order: DrawOrder<'_>,
                audit: &AuditEntry,
            ) -> Result<Drawn> {
                let mut tx = self.pool.begin().await.map_err(db("begin an event's draw"))?;
                let Some(event) = Self::lock_event(&mut tx, event_id).await? else {
                    return Ok(Drawn::NoEvent);
                };
                if event.allocation != "draw" {
                    return Ok(Drawn::NotADraw);
                }
                if event.drawn_at.is_some() {
                    return Ok(Drawn::AlreadyDrawn);
                }
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    signup_columns!(),
                    " FROM club_signups WHERE event_id = $1 AND status = 'applied' ORDER BY signup_id"
                ))
                .bind(event_id)
                .fetch_all(&mut *tx)
                .await
                .map_err(db("read an event's applicants"))?;
                let applicants = rows.iter().map(signup_record).collect::<Result<Vec<_>>>()?;
                let ranked = order(&applicants);
                let mut expected: Vec<i64> = applicants.iter().map(|s| s.signup_id).collect();
                let mut given = ranked.clone();
                expected.sort_unstable();
                given.sort_unstable();
                if expected != given {
                    return Err(Error::Internal(format!(
                        "club event {event_id}: the draw's order does not rank each applicant once"
                    )));
                }
                let capacity = usize::try_from(event.capacity).unwrap_or(0);
                let mut drawn = Vec::with_capacity(ranked.len());
                for (index, signup_id) in ranked.iter().enumerate() {
                    let (status, position) = if index < capacity {
                        ("confirmed", None)
                    } else if event.waitlist {
                        ("waitlisted", i64::try_from(index + 1 - capacity).ok())
                    } else {
                        ("cancelled", None)
                    };
                    let row = sqlx::query(concat!(
                        "UPDATE club_signups SET status = $2, position = $3, changed_at = $4 WHERE signup_id = $1 \
                         RETURNING ",
                        signup_columns!()
                    ))
                    .bind(signup_id)
                    .bind(status)
                    .bind(position)
                    .bind(at)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db("record an applicant's draw"))?;
                    drawn.push(signup_record(&row)?);
                }
                let confirmed = i64::try_from(ranked.len().min(capacity)).unwrap_or(event.capacity);
                sqlx::query(
                    "UPDATE club_events SET confirmed = $2, draw_seed = $3, drawn_at = $4, drawn_by = $5 \
                     WHERE event_id = $1",
                )
                .bind(event_id)
                .bind(confirmed)
                .bind(seed)
                .bind(at)
                .bind(by)
                .execute(&mut *tx)
                .await
                .map_err(db("record an event's draw"))?;
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await.map_err(db("commit an event's draw"))?;
                Ok(Drawn::Drawn(drawn))
            }

            async fn record_attendance(
                &self,
                event_id: i64,
                attendance: &[(String, bool)],
                at: &str,
                by: &str,
                audit: &AuditEntry,
            ) -> Result<Attendance> {
                let mut tx = self.pool.begin().await.map_err(db("begin recording attendance"))?;
                let mut refused = Vec::new();
                for (customer_id, attended) in attendance {
                    let done = sqlx::query(
                        "UPDATE club_signups SET attended = $3, attendance_at = $4, attendance_by = $5 \
                         WHERE event_id = $1 AND customer_id = $2 AND status = 'confirmed'",
                    )
                    .bind(event_id)
                    .bind(customer_id)
                    .bind(*attended)
                    .bind(at)
                    .bind(by)
                    .execute(&mut *tx)
                    .await
                    .map_err(db("record attendance"))?;
                    if done.rows_affected() != 1 {
                        refused.push(customer_id.clone());
                    }
                }
                if !refused.is_empty() {
                    return Ok(Attendance::NotConfirmed(refused));
                }
                Self::insert_audit(&mut *tx, audit).await?;
                tx.commit().await.map_err(db("commit attendance"))?;
                Ok(Attendance::Recorded(attendance.len()))
            }

            async fn signups(&self, event_id: i64) -> Result<Vec<SignupRecord>> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    signup_columns!(),
                    " FROM club_signups WHERE event_id = $1",
                    signup_order!()
                ))
                    .bind(event_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db("list an event's sign-ups"))?;
                rows.iter().map(signup_record).collect()
            }

            async fn customer_signups(&self, customer_id: &str) -> Result<Vec<SignupRecord>> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    signup_columns!(),
                    " FROM club_signups WHERE customer_id = $1 ORDER BY signed_up_at DESC, signup_id DESC"
                ))
                .bind(customer_id)
                .fetch_all(&self.pool)
                .await
                .map_err(db("list a customer's sign-ups"))?;
                rows.iter().map(signup_record).collect()
            }

            async fn spend_points(
                &self,
                spend: &PointSpendRecord,
                ledger_balance: i64,
                audit: &AuditEntry,
            ) -> Result<Spent> {
                let mut tx = self.pool.begin().await.map_err(db("begin spending points"))?;
                sqlx::query(
                    "INSERT INTO club_point_accounts (customer_id, spent) VALUES ($1, 0) \
                     ON CONFLICT (customer_id) DO NOTHING",
                )
                .bind(&spend.customer_id)
                .execute(&mut *tx)
                .await
                .map_err(db("open a points account"))?;
                // One conditional update: of spends racing for the same points, the ones the
                // balance does not cover change nothing.
                let total: Option<i64> = sqlx::query_scalar(
                    "UPDATE club_point_accounts SET spent = spent + $2 \
                     WHERE customer_id = $1 AND spent + $2 <= $3 RETURNING spent",
                )
                .bind(&spend.customer_id)
                .bind(spend.points)
                .bind(ledger_balance)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db("charge points"))?;
                let Some(spent_total) = total else {
                    let spent: i64 =
                        sqlx::query_scalar("SELECT spent FROM club_point_accounts WHERE customer_id = $1")
                            .bind(&spend.customer_id)
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(db("read a points account"))?;
                    return Ok(Spent::Insufficient { available: ledger_balance - spent });
                };
                let row = sqlx::query(concat!(
                    "INSERT INTO club_point_spends (club_id, customer_id, service, points, spent_at, spent_by) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
                    spend_columns!()
                ))
                .bind(&spend.club_id)
                .bind(&spend.customer_id)
                .bind(&spend.service)
                .bind(spend.points)
                .bind(&spend.spent_at)
                .bind(&spend.spent_by)
                .fetch_one(&mut *tx)
                .await
                .map_err(db("record a points spend"))?;
                let stored = spend_record(&row)?;
                let audit = AuditEntry { object_id: stored.spend_id.to_string(), ..audit.clone() };
                Self::insert_audit(&mut *tx, &audit).await?;
                tx.commit().await.map_err(db("commit a points spend"))?;
                Ok(Spent::Spent { spend: stored, spent_total })
            }

            async fn points_spent(&self, customer_id: &str) -> Result<i64> {
                let spent: Option<i64> =
                    sqlx::query_scalar("SELECT spent FROM club_point_accounts WHERE customer_id = $1")
                        .bind(customer_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db("read a points account"))?;
                Ok(spent.unwrap_or(0))
            }

            async fn point_spends(&self, customer_id: &str) -> Result<Vec<PointSpendRecord>> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    spend_columns!(),
                    " FROM club_point_spends WHERE customer_id = $1 ORDER BY spent_at DESC, spend_id DESC"
                ))
                .bind(customer_id)
                .fetch_all(&self.pool)
                .await
                .map_err(db("list a customer's points spends"))?;
                rows.iter().map(spend_record).collect()
            }

            async fn club_activity(&self) -> Result<ClubActivity> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    member_columns!(),
                    " FROM club_members ORDER BY customer_id",
                    $collate,
                    ", club_id",
                    $collate
                ))
                .fetch_all(&self.pool)
                .await
                .map_err(db("read every club membership"))?;
                let memberships = rows.iter().map(membership_record).collect::<Result<Vec<_>>>()?;
                let rows = sqlx::query(concat!(
                    "SELECT s.customer_id, e.club_id, e.event_id, e.starts_at FROM club_signups s \
                     JOIN club_events e ON e.event_id = s.event_id WHERE s.attended = $1 \
                     ORDER BY s.customer_id",
                    $collate,
                    ", e.event_id"
                ))
                .bind(true)
                .fetch_all(&self.pool)
                .await
                .map_err(db("read every attendance"))?;
                let attended = rows
                    .iter()
                    .map(|row| {
                        let read = || -> sqlx::Result<AttendedRecord> {
                            Ok(AttendedRecord {
                                customer_id: row.text(0)?,
                                club_id: row.text(1)?,
                                event_id: row.int(2)?,
                                starts_at: row.text(3)?,
                            })
                        };
                        read().map_err(db("read an attendance"))
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(ClubActivity { memberships, attended })
            }
        }
    };
}

mod sqlite {
    use super::*;
    club_store_impl!(SqliteStore, sqlx::Sqlite, "");
}

mod postgres {
    use super::*;
    club_store_impl!(PgStore, sqlx::Postgres, " COLLATE \"C\"");
}

fn club_record(row: &impl Columns) -> Result<ClubRecord> {
    let read = || -> sqlx::Result<ClubRecord> {
        let tiers = row.text(4)?;
        Ok(ClubRecord {
            club_id: row.text(0)?,
            name_zh: row.text(1)?,
            name_en: row.text(2)?,
            description: row.text(3)?,
            tiers: tiers.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect(),
            branch_id: row.opt_text(5)?,
            created_at: row.text(6)?,
            created_by: row.text(7)?,
        })
    };
    read().map_err(db("read a club"))
}

fn membership_record(row: &impl Columns) -> Result<MembershipRecord> {
    let read = || -> sqlx::Result<MembershipRecord> {
        Ok(MembershipRecord {
            club_id: row.text(0)?,
            customer_id: row.text(1)?,
            joined_at: row.text(2)?,
            joined_by: row.text(3)?,
            left_at: row.opt_text(4)?,
            left_by: row.opt_text(5)?,
        })
    };
    read().map_err(db("read a club membership"))
}

fn event_record(row: &impl Columns) -> Result<ClubEventRecord> {
    let read = || -> sqlx::Result<ClubEventRecord> {
        Ok(ClubEventRecord {
            event_id: row.int(0)?,
            club_id: row.text(1)?,
            title: row.text(2)?,
            place: row.text(3)?,
            starts_at: row.text(4)?,
            capacity: row.int(5)?,
            allocation: row.text(6)?,
            waitlist: row.flag(7)?,
            confirmed: row.int(8)?,
            draw_seed: row.opt_int(9)?,
            drawn_at: row.opt_text(10)?,
            drawn_by: row.opt_text(11)?,
            created_at: row.text(12)?,
            created_by: row.text(13)?,
        })
    };
    read().map_err(db("read a club event"))
}

fn signup_record(row: &impl Columns) -> Result<SignupRecord> {
    let read = || -> sqlx::Result<SignupRecord> {
        Ok(SignupRecord {
            signup_id: row.int(0)?,
            event_id: row.int(1)?,
            customer_id: row.text(2)?,
            status: row.text(3)?,
            position: row.opt_int(4)?,
            signed_up_at: row.text(5)?,
            signed_up_by: row.text(6)?,
            changed_at: row.text(7)?,
            attended: row.opt_flag(8)?,
            attendance_at: row.opt_text(9)?,
            attendance_by: row.opt_text(10)?,
        })
    };
    read().map_err(db("read a sign-up"))
}

fn spend_record(row: &impl Columns) -> Result<PointSpendRecord> {
    let read = || -> sqlx::Result<PointSpendRecord> {
        Ok(PointSpendRecord {
            spend_id: row.int(0)?,
            club_id: row.text(1)?,
            customer_id: row.text(2)?,
            service: row.text(3)?,
            points: row.int(4)?,
            spent_at: row.text(5)?,
            spent_by: row.text(6)?,
        })
    };
    read().map_err(db("read a points spend"))
}
