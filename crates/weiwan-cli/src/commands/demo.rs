//! `weiwan demo`: a small synthetic operator, imported into the embedded store, summarised;
//! the daily batch six months back; a churn model trained and put in force; the batch now; a 中高端 cohort snapshot six months back and its
//! KPIs today (three months back for a 6-month history, and so on). Later issues extend it to serve the console.

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
    let bars = crate::progress::bars();
    println!("importing into {} (store) and {} (data directory)", config.db, config.data_dir.display());
    let outcome =
        weiwan_app::import_extract_with_progress(store.as_ref(), &lake, &out, crate::clock::now(), &bars)
            .await?;
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
    // A 中高端 cohort taken six months back (less for a short history), followed to today.
    let taken_on = as_of
        .checked_sub_months(chrono::Months::new((args.months / 2).clamp(1, 6)))
        .ok_or_else(|| anyhow::anyhow!("invalid snapshot date"))?;
    println!();
    super::run::print(
        &weiwan_app::run_daily_batch_with_progress(
            store.as_ref(),
            &lake,
            taken_on,
            crate::clock::now(),
            &bars,
        )
        .await?,
    );
    // The churn model: two labelled windows (6 and 3 months back) need 9 months of history.
    println!();
    if args.months >= 9 {
        super::churn::print_trained(&weiwan_app::train_churn_model_with_progress(&lake, as_of, &bars).await?);
    } else {
        println!("churn model 流失预测模型: not trained; it needs 9 months of history (--months 9 or more)");
    }
    println!();
    super::run::print(
        &weiwan_app::run_daily_batch_with_progress(store.as_ref(), &lake, as_of, crate::clock::now(), &bars)
            .await?,
    );
    let cohort = format!("demo-vip-{taken_on}");
    if !store.cohorts().await?.iter().any(|c| c.name == cohort) {
        let query = weiwan_app::parse_conditions(&["arpu_3m=120..".to_owned()])?;
        weiwan_app::snapshot_cohort(store.as_ref(), &lake, &cohort, taken_on, &query, crate::clock::now())
            .await?;
    }
    println!();
    let report =
        weiwan_app::cohort_kpis(store.as_ref(), &lake, &cohort, as_of, &weiwan_app::KpiSettings::default())
            .await?;
    super::cohort::print(&report, false);
    println!("(by account manager: weiwan kpi --cohort {cohort} --as-of {as_of})");
    Ok(())
}
