//! VIP contact quotas 接触配额: how often an account manager must reach each VIP customer —
//! diamond and gold: 2 calls and 1 visit a month; silver: 1 call a month and 1 visit a quarter —
//! and how far along a manager is, read off the outcomes recorded on the manager's tasks.
//!
//! A call counts when a `call` task's outcome reached the customer (anything but
//! `not_reached`); a visit counts when the outcome is `visited`, or a `visit` task's outcome
//! reached the customer. A customer's calls beyond the quota do not make up for another
//! customer's missing ones: completion is Σ min(done, required) / Σ required.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Offset, TimeZone, Utc};
use weiwan_domain::TableId;
use weiwan_domain::codes::{TaskAction, TaskOutcome, VipTier};
use weiwan_storage::ManagerOutcome;

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
fn period_start(day: NaiveDate, months: u32) -> NaiveDate {
    let month0 = day.month0() / months * months;
    NaiveDate::from_ymd_opt(day.year(), month0 + 1, 1).unwrap_or(day)
}

/// The RFC 3339 instant (UTC, as outcomes are stored) at which a China-time day begins.
fn day_start_utc(day: NaiveDate) -> String {
    let local = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    china()
        .from_local_datetime(&local)
        .single()
        .map_or_else(|| local.and_utc(), |at| at.with_timezone(&Utc))
        .to_rfc3339()
}

fn reached(outcome: &ManagerOutcome) -> bool {
    outcome.outcome != TaskOutcome::NotReached.code()
}

fn is_call(outcome: &ManagerOutcome) -> bool {
    outcome.action == TaskAction::Call.code() && reached(outcome)
}

fn is_visit(outcome: &ManagerOutcome) -> bool {
    outcome.outcome == TaskOutcome::Visited.code()
        || (outcome.action == TaskAction::Visit.code() && reached(outcome))
}

/// Progress per tier, given each VIP customer's tier and the outcomes since the start of the
/// quarter (`now` in China time decides the month and the quarter).
pub fn progress(
    customers: &[(String, VipTier)],
    outcomes: &[ManagerOutcome],
    now: DateTime<Utc>,
) -> Vec<TierProgress> {
    let today = now.with_timezone(&china()).date_naive();
    QUOTAS
        .iter()
        .map(|quota| {
            let month_start = day_start_utc(period_start(today, 1));
            let visit_start = day_start_utc(period_start(today, quota.visit_months));
            let mut calls: HashMap<&str, u32> = HashMap::new();
            let mut visits: HashMap<&str, u32> = HashMap::new();
            for outcome in outcomes {
                if is_call(outcome) && outcome.at >= month_start {
                    *calls.entry(outcome.customer_id.as_str()).or_default() += 1;
                }
                if is_visit(outcome) && outcome.at >= visit_start {
                    *visits.entry(outcome.customer_id.as_str()).or_default() += 1;
                }
            }
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
                let seen = visits.get(customer.as_str()).copied().unwrap_or(0).min(quota.visits);
                row.customers += 1;
                row.calls_required += quota.calls_per_month;
                row.calls_done += made;
                row.visits_required += quota.visits;
                row.visits_done += seen;
                if made == quota.calls_per_month && seen == quota.visits {
                    row.customers_complete += 1;
                }
            }
            let required = row.calls_required + row.visits_required;
            if required > 0 {
                row.completion = f64::from(row.calls_done + row.visits_done) / f64::from(required);
            }
            row
        })
        .collect()
}

/// A manager's quota progress now: their VIP customers from the store, the outcomes on their
/// tasks since the start of the quarter.
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
    let today = now.with_timezone(&china()).date_naive();
    let since = day_start_utc(period_start(today, 3));
    let outcomes = store.manager_outcomes(manager_id, &since).await?;
    Ok(progress(&customers, &outcomes, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(customer: &str, action: &str, outcome: &str, at: &str) -> ManagerOutcome {
        ManagerOutcome {
            task_id: 1,
            customer_id: customer.into(),
            action: action.into(),
            outcome: outcome.into(),
            at: at.into(),
        }
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
        let rows = progress(&customers, &outcomes, now);
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
}
