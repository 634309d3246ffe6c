//! Profiles a generated base the way a product analyst would look at it: churn by month,
//! tier, payment type and tenure, status and event mixes, and how churners' last months
//! differ from those who stayed.
//! `cargo run --release -p weiwan-sim --example profile -- <subscribers> <months> [seed]`.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use weiwan_domain::schema::RowSink;
use weiwan_domain::{TableId, Value};

#[derive(Debug, Default, Clone)]
struct LineFacts {
    customer: String,
    plan: String,
    status: String,
    activated_on: Option<NaiveDate>,
    disconnected_on: Option<NaiveDate>,
    /// (month, mou, data_mb, competitor_calls, complaints, arpu_fen)
    usage: Vec<(NaiveDate, i64, i64, i64, i64, i64)>,
}

#[derive(Debug, Default)]
struct Collector {
    lines: BTreeMap<String, LineFacts>,
    tiers: BTreeMap<String, String>,
    plan_types: BTreeMap<String, String>,
    counts: BTreeMap<(TableId, String), u64>,
}

fn text(value: &Value) -> String {
    value.as_text().unwrap_or_default().to_owned()
}

fn int(value: &Value) -> i64 {
    match value {
        Value::Int(n) => *n,
        Value::Money(m) => m.fen(),
        _ => 0,
    }
}

impl RowSink for Collector {
    type Error = std::convert::Infallible;

    fn write_row(&mut self, table: TableId, row: &[Value]) -> Result<(), Self::Error> {
        match table {
            TableId::Plans => {
                self.plan_types.insert(text(&row[0]), text(&row[3]));
            }
            TableId::Customers => {
                self.tiers.insert(text(&row[0]), text(&row[7]));
                *self.counts.entry((table, text(&row[7]))).or_default() += 1;
            }
            TableId::Subscriptions => {
                let facts = LineFacts {
                    customer: text(&row[1]),
                    plan: text(&row[3]),
                    status: text(&row[4]),
                    activated_on: row[5].as_date(),
                    disconnected_on: row[10].as_date(),
                    usage: Vec::new(),
                };
                *self.counts.entry((table, facts.status.clone())).or_default() += 1;
                self.lines.insert(text(&row[0]), facts);
            }
            TableId::UsageMonthly => {
                if let Some(line) = self.lines.get_mut(&text(&row[0])) {
                    let month = row[1].as_date().unwrap_or_default();
                    line.usage.push((
                        month,
                        int(&row[3]),
                        int(&row[4]),
                        int(&row[6]),
                        int(&row[10]),
                        int(&row[2]),
                    ));
                }
            }
            TableId::Contracts => {
                *self.counts.entry((table, format!("{} {}", text(&row[2]), text(&row[7])))).or_default() += 1;
            }
            TableId::Events => {
                *self.counts.entry((table, text(&row[3]))).or_default() += 1;
            }
            TableId::Payments => {
                *self.counts.entry((table, text(&row[4]))).or_default() += 1;
            }
            TableId::PointsLedger => {
                *self.counts.entry((table, text(&row[3]))).or_default() += 1;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Churned and alive line-months per key.
#[derive(Debug, Default, Clone, Copy)]
struct Rate {
    churned: u64,
    line_months: u64,
}

impl Rate {
    fn percent(self) -> f64 {
        100.0 * self.churned as f64 / self.line_months.max(1) as f64
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

#[allow(clippy::print_stdout)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let subscribers: u64 = args.next().as_deref().unwrap_or("20000").parse()?;
    let months: u32 = args.next().as_deref().unwrap_or("12").parse()?;
    let seed: u64 = args.next().as_deref().unwrap_or("1").parse()?;
    let end_month = NaiveDate::from_ymd_opt(2026, 10, 1).ok_or("invalid end month")?;
    let config = weiwan_sim::Config { subscribers, months, seed, end_month };
    config.validate()?;
    let mut collector = Collector::default();
    let summary = weiwan_sim::generate(&config, &mut collector)?;

    let mut by_month: BTreeMap<NaiveDate, Rate> = BTreeMap::new();
    let mut by_tier: BTreeMap<String, Rate> = BTreeMap::new();
    let mut by_type: BTreeMap<String, Rate> = BTreeMap::new();
    let mut by_tenure: BTreeMap<&str, Rate> = BTreeMap::new();
    let mut arpu_by_tier: BTreeMap<String, (i64, u64)> = BTreeMap::new();
    // Per line-month over the three months before leaving (churners) or the last three (stayers).
    let (mut churner_complaints, mut stayer_complaints) = (Vec::new(), Vec::new());
    let (mut churner_competitor, mut stayer_competitor) = (Vec::new(), Vec::new());
    let (mut churner_trend, mut stayer_trend) = (Vec::new(), Vec::new());
    for line in collector.lines.values() {
        let tier = collector.tiers.get(&line.customer).cloned().unwrap_or_default();
        let payment = collector.plan_types.get(&line.plan).cloned().unwrap_or_default();
        let left = line.status == "disconnected";
        for (month, .., arpu) in &line.usage {
            let churned_now = left
                && line
                    .disconnected_on
                    .is_some_and(|d| d.year() == month.year() && d.month() == month.month());
            let activated = line.activated_on.unwrap_or_default();
            let tenure_months =
                (month.year() - activated.year()) * 12 + month.month() as i32 - activated.month() as i32;
            let tenure = match tenure_months {
                ..6 => "0-5 months",
                6..12 => "6-11 months",
                12..60 => "1-5 years",
                _ => "5+ years",
            };
            for rate in [
                by_month.entry(*month).or_default(),
                by_tier.entry(tier.clone()).or_default(),
                by_type.entry(payment.clone()).or_default(),
                by_tenure.entry(tenure).or_default(),
            ] {
                rate.line_months += 1;
                rate.churned += u64::from(churned_now);
            }
            let entry = arpu_by_tier.entry(tier.clone()).or_default();
            entry.0 += arpu;
            entry.1 += 1;
        }
        let window: Vec<_> = if left {
            let n = line.usage.len();
            line.usage[n.saturating_sub(4)..n.saturating_sub(1)].to_vec()
        } else if line.status == "active" {
            line.usage[line.usage.len().saturating_sub(3)..].to_vec()
        } else {
            continue;
        };
        if window.len() < 3 || line.usage.len() < 6 {
            continue;
        }
        let complaints = window.iter().map(|u| u.4 as f64).sum::<f64>() / 3.0;
        let competitor = window.iter().map(|u| u.3 as f64).sum::<f64>() / 3.0;
        // Recent MOU against the same line's months 2-4 (month 1 may be a partial month).
        let recent_mou = window.iter().map(|u| u.1 as f64).sum::<f64>();
        let earlier_mou = line.usage.iter().skip(1).take(3).map(|u| u.1 as f64).sum::<f64>();
        if earlier_mou < 30.0 {
            continue;
        }
        let trend = recent_mou / earlier_mou;
        if left {
            churner_complaints.push(complaints);
            churner_competitor.push(competitor);
            churner_trend.push(trend);
        } else {
            stayer_complaints.push(complaints);
            stayer_competitor.push(competitor);
            stayer_trend.push(trend);
        }
    }

    println!(
        "{} customers, {} lines, {} churned ({:.1} %)",
        summary.customers,
        summary.subscriptions,
        summary.churned,
        100.0 * summary.churned as f64 / summary.subscriptions as f64
    );
    println!("\nrows: {:?}", summary.rows.iter().map(|(t, n)| format!("{t}={n}")).collect::<Vec<_>>());
    println!("\nmonthly churn by month:");
    for (month, rate) in &by_month {
        println!(
            "  {}  {:5.2} %  ({} of {})",
            month.format("%Y-%m"),
            rate.percent(),
            rate.churned,
            rate.line_months
        );
    }
    for (title, rates) in [("tier", &by_tier), ("payment type", &by_type)] {
        println!("\nmonthly churn by {title}:");
        for (key, rate) in rates {
            println!("  {key:<12} {:5.2} %  ({} line-months)", rate.percent(), rate.line_months);
        }
    }
    println!("\nmonthly churn by tenure:");
    for (key, rate) in &by_tenure {
        println!("  {key:<12} {:5.2} %  ({} line-months)", rate.percent(), rate.line_months);
    }
    println!("\nmean ARPU by tier:");
    for (tier, (fen, n)) in &arpu_by_tier {
        println!("  {tier:<12} {:7.2} yuan", *fen as f64 / 100.0 / (*n).max(1) as f64);
    }
    println!("\nchurners' 3 months before leaving vs active lines' last 3 months (per line-month):");
    println!("  complaints        {:.3} vs {:.3}", mean(&churner_complaints), mean(&stayer_complaints));
    println!("  competitor calls  {:.2} vs {:.2}", mean(&churner_competitor), mean(&stayer_competitor));
    println!("  MOU vs months 2-4  {:.2} vs {:.2}", mean(&churner_trend), mean(&stayer_trend));
    let mut last_table = None;
    for ((table, key), n) in &collector.counts {
        if last_table != Some(*table) {
            println!("\n{table}:");
            last_table = Some(*table);
        }
        println!("  {key:<28} {n}");
    }
    Ok(())
}
