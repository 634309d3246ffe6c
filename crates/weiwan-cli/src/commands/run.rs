//! `weiwan run --as-of DATE`: the daily batch.

use anyhow::Context;
use chrono::NaiveDate;
use weiwan_app::BatchOutcome;

use crate::config::StoreConfig;

pub async fn run(as_of: &str, config: &StoreConfig) -> anyhow::Result<()> {
    let as_of = parse_date(as_of)?;
    let (store, lake) = super::open(config).await?;
    let outcome = weiwan_app::run_daily_batch_with_progress(
        store.as_ref(),
        &lake,
        as_of,
        crate::clock::now(),
        &crate::progress::bars(),
    )
    .await?;
    print(&outcome);
    Ok(())
}

pub fn parse_date(text: &str) -> anyhow::Result<NaiveDate> {
    if text.len() != 10 {
        anyhow::bail!("--as-of {text:?} is not a date YYYY-MM-DD");
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .with_context(|| format!("--as-of {text:?} is not a date YYYY-MM-DD"))
}

pub fn print(outcome: &BatchOutcome) {
    println!(
        "customer 360 客户360视图 as of {}: {} lines → {}",
        outcome.as_of,
        outcome.customer_360.rows,
        outcome.customer_360.path.display()
    );
    match &outcome.churn {
        Some(churn) => println!(
            "churn scores 流失评分 ({}): {} lines, mean probability {:.3} → {}",
            churn.model,
            churn.rows,
            churn.mean_probability,
            churn.path.display()
        ),
        None => println!("churn scores 流失评分: no model in force (weiwan churn train-lake)"),
    }
    println!(
        "tags 标签 ({} tags, library {}): {} lines → {}",
        outcome.tags.n_tags,
        outcome.tags.version,
        outcome.tags.rows,
        outcome.tags.path.display()
    );
    for run in &outcome.segments {
        match &run.outcome {
            Ok((rows, path)) => {
                println!("target group 客户群 {}: {rows} lines → {}", run.name, path.display())
            }
            Err(why) => println!("target group 客户群 {}: not evaluated: {why}", run.name),
        }
    }
    let found: u64 = outcome.alerts.by_rule.values().map(|(found, _)| found).sum();
    println!(
        "alerts 预警与关怀: {} rules ran, {found} rows, {} new tasks",
        outcome.alerts.by_rule.len(),
        outcome.alerts.tasks()
    );
    for (rule, (found, created)) in &outcome.alerts.by_rule {
        println!("  {rule:<24} {found:>8} found {created:>8} new tasks");
    }
}
