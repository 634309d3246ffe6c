//! `weiwan demo`: a small synthetic operator, imported into the embedded store, summarised.
//! Later issues extend it to run the daily batch and serve the console.

use chrono::NaiveDate;
use weiwan_app::{FileFormat, GenerateRequest, SimConfig};

use crate::cli::DemoArgs;
use crate::config::StoreConfig;

/// The demo's history ends here, so every run of the demo shows the same operator.
const DEMO_END_MONTH: (i32, u32) = (2026, 10);

pub async fn run(args: &DemoArgs, config: &StoreConfig) -> anyhow::Result<()> {
    let end_month = NaiveDate::from_ymd_opt(DEMO_END_MONTH.0, DEMO_END_MONTH.1, 1)
        .ok_or_else(|| anyhow::anyhow!("invalid demo end month"))?;
    let out = config
        .data_dir
        .join("extracts")
        .join(format!("demo-{}x{}-seed{}", args.subscribers, args.months, args.seed));
    println!(
        "generating a synthetic operator: {} lines × {} months → {}",
        args.subscribers,
        args.months,
        out.display()
    );
    let request = GenerateRequest {
        config: SimConfig { subscribers: args.subscribers, months: args.months, seed: args.seed, end_month },
        out: out.clone(),
        format: FileFormat::Parquet,
    };
    tokio::task::spawn_blocking(move || weiwan_app::generate_extract(&request)).await??;

    let (store, lake) = super::open(config).await?;
    println!("importing into {} (store) and {} (data directory)", config.db, config.data_dir.display());
    let outcome = weiwan_app::import_extract(store.as_ref(), &lake, &out, crate::clock::now()).await?;
    if outcome.already_imported {
        println!(
            "this demo extract ({}) was imported before; showing the store as it is",
            outcome.extract_id
        );
    }
    println!();
    super::summary::print(&store.summary().await?);

    // The batch runs on the first day after the generated history.
    let as_of = end_month
        .checked_add_months(chrono::Months::new(1))
        .ok_or_else(|| anyhow::anyhow!("invalid as-of date"))?;
    println!();
    let batch = weiwan_app::run_daily_batch(store.as_ref(), &lake, as_of).await?;
    super::run::print(&batch);
    Ok(())
}
