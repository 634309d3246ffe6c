//! `weiwan generate`: a synthetic operator's extract.

use anyhow::Context;
use chrono::NaiveDate;
use weiwan_app::{FileFormat, GenerateRequest, SimConfig};

use crate::cli::{Format, GenerateArgs};

pub async fn run(args: GenerateArgs) -> anyhow::Result<()> {
    let end_month = NaiveDate::parse_from_str(&format!("{}-01", args.end_month), "%Y-%m-%d")
        .with_context(|| format!("--end-month {:?} is not a month YYYY-MM", args.end_month))?;
    let request = GenerateRequest {
        config: SimConfig { subscribers: args.subscribers, months: args.months, seed: args.seed, end_month },
        out: args.out,
        format: match args.format {
            Format::Parquet => FileFormat::Parquet,
            Format::Csv => FileFormat::Csv,
        },
    };
    let (summary, rows) =
        tokio::task::spawn_blocking(move || weiwan_app::generate_extract(&request)).await??;
    println!(
        "generated {} lines of {} customers ({} left during the window)",
        summary.subscriptions, summary.customers, summary.churned
    );
    for (table, n) in rows {
        println!("  {:<15} {n:>12} rows", table.name());
    }
    Ok(())
}
