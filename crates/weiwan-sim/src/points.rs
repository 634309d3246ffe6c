//! The points ledger (积分) of a customer: points earned monthly on the customer's bills,
//! occasional redemptions, and year-end expiry of points carried in from before the window.

use chrono::NaiveDate;
use weiwan_domain::codes::{PointsKind, VipTier};

use crate::calendar::{Timeline, day_of, days_in, last_day};
use crate::customer::Customer;
use crate::draw::{Draw, SimRng};
use crate::line::Line;

/// Earned points expire this many months after the month they were earned in.
const EXPIRY_MONTHS: i32 = 24;
/// Redemption options of the points mall, in points.
const REDEMPTION_OPTIONS: [i64; 5] = [1_000, 1_500, 2_000, 3_000, 5_000];

#[derive(Debug, Clone, Copy)]
pub(crate) struct PointsEntry {
    pub occurred_on: NaiveDate,
    pub kind: PointsKind,
    pub points: i64,
    pub expires_on: Option<NaiveDate>,
}

/// Points balance a customer brings into the window, by tier.
fn opening_balance(rng: &mut SimRng, tier: VipTier) -> i64 {
    let (low, high) = match tier {
        VipTier::Mass => (0, 2_000),
        VipTier::Member => (500, 5_000),
        VipTier::Silver => (2_000, 10_000),
        VipTier::Gold => (5_000, 20_000),
        VipTier::Diamond => (10_000, 50_000),
    };
    rng.between(low, high)
}

fn monthly_redemption_probability(tier: VipTier) -> f64 {
    match tier {
        VipTier::Mass => 0.01,
        VipTier::Member => 0.02,
        VipTier::Silver => 0.03,
        VipTier::Gold => 0.04,
        VipTier::Diamond => 0.05,
    }
}

/// Fills `entries` with the customer's ledger, in date order. `monthly_yuan` is scratch space.
pub(crate) fn points_ledger(
    rng: &mut SimRng,
    timeline: &Timeline,
    customer: &Customer,
    lines: &[Line],
    monthly_yuan: &mut Vec<i64>,
    entries: &mut Vec<PointsEntry>,
) {
    entries.clear();
    monthly_yuan.clear();
    monthly_yuan.resize(timeline.months, 0);
    let mut first_month = None;
    for usage in lines.iter().flat_map(|line| &line.usage) {
        monthly_yuan[usage.t] += usage.arpu_fen;
        first_month = Some(first_month.map_or(usage.t, |first: usize| first.min(usage.t)));
    }
    let Some(first_month) = first_month else { return };
    let last_month =
        lines.iter().flat_map(|line| line.usage.last()).map(|usage| usage.t).max().unwrap_or(first_month);

    let opening = if customer.joined_on < timeline.start() { opening_balance(rng, customer.tier) } else { 0 };
    let mut balance = opening;
    // Part of the opening balance is old enough to expire at the next year end.
    let mut expiring_opening = opening * 2 / 5;
    for (t, fen) in monthly_yuan.iter().enumerate().take(last_month + 1).skip(first_month) {
        let serial = timeline.serial(t);
        if rng.chance(monthly_redemption_probability(customer.tier)) {
            let affordable = REDEMPTION_OPTIONS.iter().filter(|option| **option <= balance).count();
            if affordable > 0 {
                let points = REDEMPTION_OPTIONS[rng.below(affordable as u64) as usize];
                let occurred_on = day_of(serial, rng.between(1, i64::from(days_in(serial)) - 1) as u32);
                entries.push(PointsEntry { occurred_on, kind: PointsKind::Redeem, points, expires_on: None });
                balance -= points;
                expiring_opening = expiring_opening.min(balance);
            }
        }
        if timeline.calendar_month(t) == 12 && expiring_opening > 0 {
            let points = ((expiring_opening as f64) * rng.uniform(0.5, 1.0)).ceil() as i64;
            let points = points.clamp(1, balance.max(1));
            if balance >= points {
                entries.push(PointsEntry {
                    occurred_on: last_day(serial),
                    kind: PointsKind::Expire,
                    points,
                    expires_on: None,
                });
                balance -= points;
            }
            expiring_opening = 0;
        }
        // One point per yuan billed.
        let earned = fen / 100;
        if earned >= 1 {
            let expires_on = Some(last_day(serial + EXPIRY_MONTHS));
            entries.push(PointsEntry {
                occurred_on: last_day(serial),
                kind: PointsKind::Earn,
                points: earned,
                expires_on,
            });
            balance += earned;
        }
    }
}
