//! Times the generator with a sink that only counts rows:
//! `cargo run --release -p weiwan-sim --example count -- <subscribers> <months> [seed]`.

use std::time::Instant;

use chrono::NaiveDate;
use weiwan_domain::schema::RowSink;
use weiwan_domain::{TableId, Value};

/// Counts rows and cells, so the optimiser cannot drop the work.
#[derive(Debug, Default)]
struct CountingSink {
    cells: u64,
}

impl RowSink for CountingSink {
    type Error = std::convert::Infallible;

    fn write_row(&mut self, _table: TableId, row: &[Value]) -> Result<(), Self::Error> {
        self.cells += row.len() as u64;
        Ok(())
    }
}

#[allow(clippy::print_stdout)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let subscribers: u64 = args.next().as_deref().unwrap_or("100000").parse()?;
    let months: u32 = args.next().as_deref().unwrap_or("12").parse()?;
    let seed: u64 = args.next().as_deref().unwrap_or("1").parse()?;
    let end_month = NaiveDate::from_ymd_opt(2026, 10, 1).ok_or("invalid end month")?;
    let config = weiwan_sim::Config { subscribers, months, seed, end_month };
    config.validate()?;

    let mut sink = CountingSink::default();
    let started = Instant::now();
    let summary = weiwan_sim::generate(&config, &mut sink)?;
    let seconds = started.elapsed().as_secs_f64();

    let usage_rows = summary.rows[&TableId::UsageMonthly];
    let total_rows: u64 = summary.rows.values().sum();
    for (table, rows) in &summary.rows {
        println!("{:>16} {rows:>12}", table.name());
    }
    println!(
        "customers {}, lines {}, churned {} ({:.1} % of lines, {:.2} % per line-month)",
        summary.customers,
        summary.subscriptions,
        summary.churned,
        100.0 * summary.churned as f64 / summary.subscriptions as f64,
        100.0 * summary.churned as f64 / usage_rows.max(1) as f64,
    );
    println!(
        "{seconds:.2} s: {:.0} usage rows/s, {:.0} rows/s, {} cells",
        usage_rows as f64 / seconds,
        total_rows as f64 / seconds,
        sink.cells
    );
    Ok(())
}
