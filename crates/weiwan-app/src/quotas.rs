//! VIP contact quotas 接触配额: how often an account manager must reach each VIP customer —
//! diamond and gold: 2 calls and 1 visit a month; silver: 1 call a month and 1 visit a quarter —
//! and how far along a manager is, read off the outcomes recorded on the manager's tasks and
//! the notes of the visit log they wrote.
//!
//! A call counts when a `call` task's outcome reached the customer (anything but
//! `not_reached`) or a note records a call; a visit counts when the outcome is `visited`, a
//! `visit` task's outcome reached the customer, or a note records a visit. Contacts of one
//! kind with one customer on one day count once. A customer's calls beyond the quota do not
//! make up for another customer's missing ones: completion is Σ min(done, required) / Σ required.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Offset, TimeZone, Utc};
use weiwan_domain::TableId;
use weiwan_domain::codes::{TaskAction, TaskOutcome, VipTier, VisitChannel};
use weiwan_storage::{VisitNoteFilter, VisitNoteRecord};

use crate::{Result, Store};

/// One tier's quota: calls a month, and visits per period of `visit_months` months.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub tier: VipTier,
    pub calls_per_month: u32,
    pub visits: u32,
    pub visit_months: u32,
}

/// The quotas of the VIP centre.
pub const QUOTAS: [Quota; 3] = [
    Quota { tier: VipTier::Diamond, calls_per_month: 2, visits: 1, visit_months: 1 },
    Quota { tier: VipTier::Gold, calls_per_month: 2, visits: 1, visit_months: 1 },
    Quota { tier: VipTier::Silver, calls_per_month: 1, visits: 1, visit_months: 3 },
];

/// How far a manager is with one tier's quota in the current month (visits: current period).
#[derive(Debug, Clone, PartialEq)]
pub struct TierProgress {
    pub quota: Quota,
    pub customers: usize,
    pub calls_required: u32,
    pub calls_done: u32,
    pub visits_required: u32,
    pub visits_done: u32,
    /// Customers with both their calls and their visit done.
    pub customers_complete: usize,
    /// Σ min(done, required) / Σ required over calls and visits, 0..=1 (1 when nothing is due).
    pub completion: f64,
}

/// China time, in which months and quarters begin.
fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// The first day of the period of `months` months (1: month, 3: quarter) that holds `day`.
pub(crate) fn period_start(day: NaiveDate, months: u32) -> NaiveDate {
    let month0 = day.month0() / months * months;
    NaiveDate::from_ymd_opt(day.year(), month0 + 1, 1).unwrap_or(day)
}

/// The RFC 3339 instant (UTC, as outcomes are stored) at which a China-time day begins.
pub(crate) fn day_start_utc(day: NaiveDate) -> String {
    let local = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    china()
        .from_local_datetime(&local)
        .single()
        .map_or_else(|| local.and_utc(), |at| at.with_timezone(&Utc))
        .to_rfc3339()
}

/// How a contact reached the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContactKind {
    Call,
    Visit,
    /// A text or chat message: coverage, not quotas.
    Message,
}

/// One contact with a customer on a China-time day: from an outcome on a task, or a note of
/// the visit log. Several contacts of one kind with one customer on one day count once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub customer_id: String,
    pub day: NaiveDate,
    pub kind: ContactKind,
}

impl Contact {
    /// A task's outcome as a contact: a `call` task's outcome that reached the customer
    /// (anything but `not_reached`) is a call; the outcome `visited`, or a `visit` task's
    /// outcome that reached the customer, is a visit; anything else (reviews, SMS, not reached)
    /// is none. `at` is RFC 3339.
    pub fn from_outcome(customer_id: &str, action: &str, outcome: &str, at: &str) -> Option<Contact> {
        let reached = outcome != TaskOutcome::NotReached.code();
        let kind =
            if outcome == TaskOutcome::Visited.code() || (action == TaskAction::Visit.code() && reached) {
                ContactKind::Visit
            } else if action == TaskAction::Call.code() && reached {
                ContactKind::Call
            } else {
                return None;
            };
        let day = DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&china()).date_naive();
        Some(Contact { customer_id: customer_id.to_owned(), day, kind })
    }

    /// A note of the visit log as a contact.
    pub fn from_note(note: &VisitNoteRecord) -> Option<Contact> {
        let kind = match note.content.channel.parse::<VisitChannel>().ok()? {
            VisitChannel::Visit => ContactKind::Visit,
            VisitChannel::Call => ContactKind::Call,
            VisitChannel::Message => ContactKind::Message,
        };
        Some(Contact { customer_id: note.customer_id.clone(), day: note.content.visited_on, kind })
    }
}

/// Today in China time.
pub fn china_today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&china()).date_naive()
}

/// The first day of the month after the one holding `day`.
pub fn next_month(day: NaiveDate) -> NaiveDate {
    let start = period_start(day, 1);
    start.checked_add_months(chrono::Months::new(1)).unwrap_or(start)
}

/// Distinct days with a contact of `kind` per customer, in `[from, until)`.
fn days_by_customer(
    contacts: &[Contact],
    kind: ContactKind,
    from: NaiveDate,
    until: NaiveDate,
) -> HashMap<&str, u32> {
    let mut days: HashMap<&str, HashSet<NaiveDate>> = HashMap::new();
    for contact in contacts.iter().filter(|c| c.kind == kind && c.day >= from && c.day < until) {
        days.entry(contact.customer_id.as_str()).or_default().insert(contact.day);
    }
    days.into_iter().map(|(customer, days)| (customer, days.len() as u32)).collect()
}

/// One tier's progress: calls counted in `[call_from, until)`, and visits in
/// `[visit_from, until)` when `visits_due`.
fn tier_progress(
    quota: &Quota,
    customers: &[(String, VipTier)],
    contacts: &[Contact],
    (call_from, visit_from, until): (NaiveDate, NaiveDate, NaiveDate),
    visits_due: bool,
) -> TierProgress {
    let calls = days_by_customer(contacts, ContactKind::Call, call_from, until);
    let visits = days_by_customer(contacts, ContactKind::Visit, visit_from, until);
    let visits_required = if visits_due { quota.visits } else { 0 };
    let mut row = TierProgress {
        quota: *quota,
        customers: 0,
        calls_required: 0,
        calls_done: 0,
        visits_required: 0,
        visits_done: 0,
        customers_complete: 0,
        completion: 1.0,
    };
    for (customer, _) in customers.iter().filter(|(_, tier)| *tier == quota.tier) {
        let made = calls.get(customer.as_str()).copied().unwrap_or(0).min(quota.calls_per_month);
        let seen = visits.get(customer.as_str()).copied().unwrap_or(0).min(visits_required);
        row.customers += 1;
        row.calls_required += quota.calls_per_month;
        row.calls_done += made;
        row.visits_required += visits_required;
        row.visits_done += seen;
        if made == quota.calls_per_month && seen == visits_required {
            row.customers_complete += 1;
        }
    }
    let required = row.calls_required + row.visits_required;
    if required > 0 {
        row.completion = f64::from(row.calls_done + row.visits_done) / f64::from(required);
    }
    row
}

/// Progress per tier so far, given each VIP customer's tier and their contacts: calls of the
/// current month, visits of the current visit period (month or quarter), as of `today`.
pub fn progress(
    customers: &[(String, VipTier)],
    contacts: &[Contact],
    today: NaiveDate,
) -> Vec<TierProgress> {
    let until = today.succ_opt().unwrap_or(today);
    QUOTAS
        .iter()
        .map(|quota| {
            let window = (period_start(today, 1), period_start(today, quota.visit_months), until);
            tier_progress(quota, customers, contacts, window, true)
        })
        .collect()
}

/// What was due in the month starting `month` and how much was done, for appraisal: each
/// month's calls; a visit only in the month that ends its visit period (every month for
/// diamond and gold, the quarter's last month for silver), counted over the whole period.
pub fn due_in_month(
    customers: &[(String, VipTier)],
    contacts: &[Contact],
    month: NaiveDate,
) -> Vec<TierProgress> {
    let until = next_month(month);
    QUOTAS
        .iter()
        .map(|quota| {
            let visit_from = period_start(month, quota.visit_months);
            let period_ends = period_start(until, quota.visit_months) == until;
            tier_progress(quota, customers, contacts, (month, visit_from, until), period_ends)
        })
        .collect()
}

/// A manager's contacts from `since` on: outcomes on their tasks and the notes they wrote.
pub async fn manager_contacts(store: &dyn Store, manager_id: &str, since: NaiveDate) -> Result<Vec<Contact>> {
    let outcomes = store.manager_outcomes(manager_id, &day_start_utc(since)).await?;
    let mut contacts: Vec<Contact> = outcomes
        .iter()
        .filter_map(|o| Contact::from_outcome(&o.customer_id, &o.action, &o.outcome, &o.at))
        .collect();
    let filter = VisitNoteFilter {
        author_manager_id: Some(manager_id.to_owned()),
        from: Some(since),
        ..VisitNoteFilter::default()
    };
    contacts.extend(store.visit_notes(&filter).await?.iter().filter_map(Contact::from_note));
    Ok(contacts)
}

/// A manager's quota progress now: their VIP customers from the store, their contacts (task
/// outcomes and visit notes) since the start of the quarter.
pub async fn manager_progress(
    store: &dyn Store,
    manager_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<TierProgress>> {
    let table = TableId::Customers.table();
    let (id_at, tier_at) = (table.index("customer_id"), table.index("vip_tier"));
    let customers: Vec<(String, VipTier)> = store
        .rows_by(TableId::Customers, "manager_id", manager_id)
        .await?
        .iter()
        .filter_map(|row| {
            let tier = row[tier_at].as_text()?.parse::<VipTier>().ok()?;
            Some((row[id_at].as_text()?.to_owned(), tier))
        })
        .filter(|(_, tier)| QUOTAS.iter().any(|q| q.tier == *tier))
        .collect();
    let today = china_today(now);
    let contacts = manager_contacts(store, manager_id, period_start(today, 3)).await?;
    Ok(progress(&customers, &contacts, today))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(customer: &str, action: &str, outcome: &str, at: &str) -> Option<Contact> {
        Contact::from_outcome(customer, action, outcome, at)
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    #[test]
    fn quotas_count_reached_calls_this_month_and_visits_this_period() {
        // 2026-11-20 10:00 China time: the month began 2026-10-31T16:00Z, the quarter
        // (October) 2026-09-30T16:00Z.
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).single().expect("time");
        let customers = vec![
            ("D1".to_owned(), VipTier::Diamond),
            ("D2".to_owned(), VipTier::Diamond),
            ("S1".to_owned(), VipTier::Silver),
            ("G1".to_owned(), VipTier::Gold),
        ];
        let outcomes = vec![
            // D1: two reached calls and a visit this month, one more call: complete.
            outcome("D1", "call", "retained", "2026-11-02T01:00:00+00:00"),
            outcome("D1", "call", "considering", "2026-11-05T01:00:00+00:00"),
            outcome("D1", "call", "greeted", "2026-11-06T01:00:00+00:00"),
            outcome("D1", "review", "visited", "2026-11-07T01:00:00+00:00"),
            // D2: a call not reached, a call in October (last month), a visit task reached.
            outcome("D2", "call", "not_reached", "2026-11-03T01:00:00+00:00"),
            outcome("D2", "call", "retained", "2026-10-20T01:00:00+00:00"),
            outcome("D2", "visit", "resolved", "2026-11-04T01:00:00+00:00"),
            // S1: a visit in October counts for the quarter, a call on 1 Nov 00:30 China time
            // (31 Oct 16:30Z) counts for November.
            outcome("S1", "visit", "visited", "2026-10-10T01:00:00+00:00"),
            outcome("S1", "call", "reminded", "2026-10-31T16:30:00+00:00"),
        ];
        let contacts: Vec<Contact> = outcomes.into_iter().flatten().collect();
        let rows = progress(&customers, &contacts, china_today(now));
        let diamond = &rows[0];
        assert_eq!((diamond.customers, diamond.calls_required, diamond.calls_done), (2, 4, 2));
        assert_eq!((diamond.visits_required, diamond.visits_done, diamond.customers_complete), (2, 2, 1));
        assert!((diamond.completion - 4.0 / 6.0).abs() < 1e-12);
        let gold = &rows[1];
        assert_eq!(
            (gold.customers, gold.calls_done, gold.visits_done, gold.customers_complete),
            (1, 0, 0, 0)
        );
        assert_eq!(gold.completion, 0.0);
        let silver = &rows[2];
        assert_eq!(
            (silver.calls_required, silver.calls_done, silver.visits_required, silver.visits_done),
            (1, 1, 1, 1)
        );
        assert_eq!((silver.customers_complete, silver.completion), (1, 1.0));
    }

    #[test]
    fn periods_start_on_the_first_of_the_month_and_quarter() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
        assert_eq!(period_start(day, 1), NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"));
        assert_eq!(period_start(day, 3), NaiveDate::from_ymd_opt(2026, 10, 1).expect("date"));
        assert_eq!(
            day_start_utc(NaiveDate::from_ymd_opt(2026, 11, 1).expect("date")),
            "2026-10-31T16:00:00+00:00"
        );
    }

    #[test]
    fn same_day_contacts_count_once_and_silver_visits_fall_due_at_quarter_end() {
        let contact =
            |customer: &str, on: &str, kind| Contact { customer_id: customer.into(), day: day(on), kind };
        let customers = vec![("S1".to_owned(), VipTier::Silver), ("G1".to_owned(), VipTier::Gold)];
        let contacts = vec![
            // G1: two calls on one day are one call; a visit in October does not count for November.
            contact("G1", "2026-11-03", ContactKind::Call),
            contact("G1", "2026-11-03", ContactKind::Call),
            contact("G1", "2026-10-30", ContactKind::Visit),
            // S1: a call and a message in November, a visit in October.
            contact("S1", "2026-11-10", ContactKind::Call),
            contact("S1", "2026-11-11", ContactKind::Message),
            contact("S1", "2026-10-02", ContactKind::Visit),
        ];
        // November: the quarter (October–December) has not ended, so silver owes no visit yet.
        let november = due_in_month(&customers, &contacts, day("2026-11-01"));
        let gold = &november[1];
        assert_eq!(
            (gold.calls_required, gold.calls_done, gold.visits_required, gold.visits_done),
            (2, 1, 1, 0)
        );
        let silver = &november[2];
        assert_eq!((silver.calls_required, silver.calls_done, silver.visits_required), (1, 1, 0));
        assert_eq!(silver.completion, 1.0);
        // December ends the quarter: the October visit is counted, the December call is missing.
        let december = due_in_month(&customers, &contacts, day("2026-12-01"));
        let silver = &december[2];
        assert_eq!((silver.calls_done, silver.visits_required, silver.visits_done), (0, 1, 1));
        assert!((silver.completion - 0.5).abs() < 1e-12);
        assert_eq!(next_month(day("2026-12-15")), day("2027-01-01"));
    }
}
