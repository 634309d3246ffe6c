//! A synthetic operator (`weiwan generate`): a deterministic, streaming generator of a whole
//! extract — branches, managers, plans, customers, lines, contracts, monthly usage, payments,
//! events and points — that behaves like a real Chinese mobile base, churn included.
//!
//! - Deterministic: the same [`Config`] gives the same rows in the same order. Every
//!   customer draws from its own ChaCha8 stream keyed by the seed, and nothing reads a
//!   clock or iterates a hash map.
//! - Streaming: the reference tables are written first, then customer by customer, each
//!   customer's rows (customer, lines, contracts, usage, payments, events, points). Memory
//!   does not grow with the number of subscribers.
//! - Learnable churn: each line leaves with a monthly hazard that is a logistic function of
//!   drivers visible in the extract, plus noise; see `docs/synthetic-operator.md`.

mod calendar;
mod catalog;
mod customer;
mod draw;
mod emit;
mod hazard;
mod identity;
mod line;
mod points;
mod records;
mod reference;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, Duration, NaiveDate};
use weiwan_domain::TableId;
use weiwan_domain::schema::RowSink;

use crate::calendar::Timeline;
use crate::customer::{Customer, generate_customer};
use crate::draw::{Draw, SimRng, customer_rng, reference_rng, switch_rng};
use crate::emit::Emitter;
use crate::line::{Line, Owner, simulate_line};
use crate::points::{PointsEntry, points_ledger};
use crate::reference::{ManagerDirectory, emit_reference_tables};

/// The most months of history one extract may cover.
pub const MAX_MONTHS: u32 = 60;
/// The years `end_month` may fall in; they keep every generated date (birthdays decades
/// back, contract ends and points expiry years ahead) within the data model's 1900–2100.
pub const END_YEARS: std::ops::RangeInclusive<i32> = 1990..=2090;
/// Lines per customer at most, internal switchers' new lines aside.
const MAX_LINES_PER_CUSTOMER: usize = 3;
/// Share of leavers who come back on a new line of the same customer (内部转网), usually to
/// chase new-customer offers.
const SWITCH_SHARE: f64 = 0.12;
/// Days from the disconnection to the new line's activation: a few days before (the new line
/// taken first) to two weeks after.
const SWITCH_GAP_DAYS: (i64, i64) = (-3, 14);
/// Share of switchers who keep their handset on the new line.
const SWITCH_KEEPS_HANDSET: f64 = 0.8;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Lines (subscriptions) to generate: exactly this many.
    pub subscribers: u64,
    /// Months of history, ending with `end_month`.
    pub months: u32,
    /// The same seed and configuration give the same rows.
    pub seed: u64,
    /// First day of the last month covered. Statuses are as of that month's last day.
    pub end_month: NaiveDate,
}

/// A configuration the generator refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let refuse = |message: String| Err(ConfigError { message });
        if self.subscribers < 1 {
            return refuse("subscribers must be at least 1".into());
        }
        if !(1..=MAX_MONTHS).contains(&self.months) {
            return refuse(format!("months must be between 1 and {MAX_MONTHS}, not {}", self.months));
        }
        if self.end_month.day() != 1 {
            return refuse(format!("end month must be the first day of a month, not {}", self.end_month));
        }
        if !END_YEARS.contains(&self.end_month.year()) {
            return refuse(format!(
                "end month must fall in the years {}..={}, not {}",
                END_YEARS.start(),
                END_YEARS.end(),
                self.end_month.year()
            ));
        }
        Ok(())
    }
}

/// What was generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub customers: u64,
    pub subscriptions: u64,
    /// Lines disconnected inside the window.
    pub churned: u64,
    /// Of those, leavers who came back on a new line of the same customer (内部转网); the new
    /// lines are among `subscriptions`.
    pub switched: u64,
    /// Rows written per table (every table is listed, with 0 when it got no rows).
    pub rows: BTreeMap<TableId, u64>,
}

/// Generates the extract described by `config` into `sink`. Call [`Config::validate`]
/// first: an invalid configuration is not refused here — `months` is clamped to
/// `1..=MAX_MONTHS`, `end_month` is read as its month (and kept centuries away from chrono's
/// limits), and dates may then leave the data model's range. It never panics.
pub fn generate<S: RowSink>(config: &Config, sink: &mut S) -> Result<Summary, S::Error> {
    let end_month = first_of_month_within_safe_years(config.end_month);
    let timeline = Timeline::new(end_month, config.months.clamp(1, MAX_MONTHS));
    let managers = ManagerDirectory::for_lines(config.subscribers);
    let mut emitter = Emitter::new(sink);
    emit_reference_tables(&mut emitter, &mut reference_rng(config.seed), &managers)?;

    // Buffers reused from customer to customer: each line may bring a switcher's new line.
    let mut lines: Vec<Line> = (0..2 * MAX_LINES_PER_CUSTOMER).map(|_| Line::default()).collect();
    let mut monthly_yuan = Vec::with_capacity(timeline.months);
    let mut points = Vec::with_capacity(timeline.months * 2);
    let mut family_group_id = String::new();

    let mut customers = 0u64;
    let mut churned = 0u64;
    let mut switched = 0u64;
    // Lines written; the customers' own lines are numbered in order, switchers' new lines
    // after all of those (from `subscribers` on), so no line's id depends on another's switch.
    let mut written = 0u64;
    let mut next_subscription = 0u64;
    while written < config.subscribers {
        let mut rng = customer_rng(config.seed, customers);
        let customer = generate_customer(&mut rng, config.seed, customers, &timeline, &managers);
        let remaining = config.subscribers - written;
        let line_count = u64::from(customer.line_count).min(remaining) as usize;
        let family_start =
            (customer.family && line_count >= 2).then(|| draw_family_start(&mut rng, &customer, &timeline));
        identity::family_group_id(&mut family_group_id, customer.index);
        for (line_number, line) in lines[..line_count].iter_mut().enumerate() {
            let owner = Owner {
                customer: &customer,
                line_number: line_number as u32,
                family_start,
                activated_on: None,
            };
            simulate_line(
                &mut rng,
                config.seed,
                &timeline,
                owner,
                next_subscription + line_number as u64,
                line,
            );
        }
        let budget = (remaining - line_count as u64) as usize;
        let new_lines = simulate_switches(
            config,
            &timeline,
            &customer,
            &mut lines[..2 * MAX_LINES_PER_CUSTOMER],
            line_count,
            budget,
            switched,
        );
        let customer_lines = &lines[..line_count + new_lines];
        points_ledger(&mut rng, &timeline, &customer, customer_lines, &mut monthly_yuan, &mut points);
        emit_customer_rows(&mut emitter, &timeline, &customer, &family_group_id, customer_lines, &points)?;

        churned += customer_lines.iter().filter(|line| line.churned()).count() as u64;
        switched += new_lines as u64;
        next_subscription += line_count as u64;
        written += (line_count + new_lines) as u64;
        customers += 1;
    }
    Ok(Summary { customers, subscriptions: written, churned, switched, rows: emitter.counts() })
}

/// Internal number switches (内部转网): each of the customer's first `own` lines that left comes
/// back, with probability [`SWITCH_SHARE`], as a new line of the same customer activated a few
/// days around the disconnection (before the extract date), mostly with the same handset. The
/// new lines go to `lines[own..]`, at most `budget` of them (the lines still to write); their
/// indices follow `subscribers`, from the `switched_before` switches of earlier customers.
/// Every draw comes from the leaver's own switch stream. Returns how many new lines there are.
fn simulate_switches(
    config: &Config,
    timeline: &Timeline,
    customer: &Customer,
    lines: &mut [Line],
    own: usize,
    budget: usize,
    switched_before: u64,
) -> usize {
    let mut new_lines = 0;
    for leaver in 0..own {
        if new_lines >= budget {
            break;
        }
        let (before, after) = lines.split_at_mut(own + new_lines);
        let left = &before[leaver];
        let Some(disconnected_on) = left.disconnected_on.filter(|_| left.churned()) else { continue };
        let mut rng = switch_rng(config.seed, left.subscription_index);
        if !rng.chance(SWITCH_SHARE) {
            continue;
        }
        let gap = rng.between(SWITCH_GAP_DAYS.0, SWITCH_GAP_DAYS.1);
        let activated_on = (disconnected_on + Duration::days(gap)).max(customer.joined_on);
        if activated_on > timeline.extract_date() {
            continue;
        }
        let keeps_handset = rng.chance(SWITCH_KEEPS_HANDSET);
        let (handset, handset_id) = (left.device_model, left.device_id.clone());
        let owner = Owner { customer, line_number: 0, family_start: None, activated_on: Some(activated_on) };
        let index = config.subscribers + switched_before + new_lines as u64;
        let line = &mut after[0];
        simulate_line(&mut rng, config.seed, timeline, owner, index, line);
        // The handset the customer brought, unless the new line has had another since.
        if keeps_handset && handset.is_some() && line.device_since.is_none_or(|since| since <= activated_on) {
            line.device_model = handset;
            line.device_id = handset_id;
            line.device_since = Some(activated_on);
        }
        new_lines += 1;
    }
    new_lines
}

/// The first day of `date`'s month, its year kept millennia away from chrono's limits
/// (±262,143) so that date arithmetic cannot overflow whatever the config says.
fn first_of_month_within_safe_years(date: NaiveDate) -> NaiveDate {
    const SAFE_YEARS: i32 = 250_000;
    let year = date.year().clamp(-SAFE_YEARS, SAFE_YEARS);
    NaiveDate::from_ymd_opt(year, date.month(), 1).unwrap_or(date)
}

/// When a multi-line customer's family plan started: some time after joining.
fn draw_family_start(rng: &mut SimRng, customer: &Customer, timeline: &Timeline) -> NaiveDate {
    let span = (timeline.extract_date() - customer.joined_on).num_days().max(0);
    customer.joined_on + Duration::days((rng.unit() * span as f64) as i64)
}

/// One customer's rows, table by table.
fn emit_customer_rows<S: RowSink>(
    emitter: &mut Emitter<'_, S>,
    timeline: &Timeline,
    customer: &Customer,
    family_group_id: &str,
    lines: &[Line],
    points: &[PointsEntry],
) -> Result<(), S::Error> {
    emit::emit_customer(emitter, customer)?;
    for line in lines {
        emit::emit_subscription(emitter, customer, family_group_id, line)?;
    }
    for line in lines {
        emit::emit_contracts(emitter, line)?;
    }
    for line in lines {
        emit::emit_usage(emitter, timeline, line)?;
    }
    for line in lines {
        emit::emit_payments(emitter, line)?;
    }
    for line in lines {
        emit::emit_events(emitter, line)?;
    }
    emit::emit_points(emitter, customer, points)
}
