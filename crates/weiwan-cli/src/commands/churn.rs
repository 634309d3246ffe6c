//! `weiwan churn train | score | evaluate`: churn models on any labelled CSV; `train-lake` on
//! the operator's lake; `kinds`, the churn kinds 离网类型 of the lake's lines.

use anyhow::Context;
use weiwan_model::{Algorithm, ChurnModel, ContributionMethod, TrainOptions};

use crate::cli::{AlgorithmArg, ChurnAction, LabelledCsv, Output, ReasonMethod};
use crate::config::StoreConfig;

/// `weiwan churn train-lake`: train on the operator's lake and put the model in force.
pub async fn train_lake(as_of: &str, config: &StoreConfig) -> anyhow::Result<()> {
    let as_of = super::run::parse_date(as_of)?;
    let (_store, lake) = super::open(config).await?;
    print_trained(
        &weiwan_app::train_churn_model_with_progress(&lake, as_of, &crate::progress::bars()).await?,
    );
    Ok(())
}

/// `weiwan churn kinds`: how many lines left for a competitor, switched to a new line of the
/// operator, or lie dormant, as of a date.
pub async fn kinds(
    as_of: &str,
    settings: &weiwan_app::churn_kinds::ChurnKindSettings,
    with_lines: bool,
    format: Output,
    config: &StoreConfig,
) -> anyhow::Result<()> {
    let as_of = super::run::parse_date(as_of)?;
    let (_store, lake) = super::open(config).await?;
    let report = weiwan_app::churn_kinds::churn_kinds(&lake, as_of, settings, with_lines).await?;
    if format == Output::Json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "churn kinds 离网类型 as of {} (switch window {} days, dormant after {} months without use)",
        report.as_of, report.window_days, report.dormant_months
    );
    println!(
        "  {:<16} {:>9} {:>9} {:>16} {:>18} {:>12} {:>10}",
        "", "lines", "left", "external 外部离网", "switch 内部转网", "won back 挽回", "dormant 冬眠"
    );
    let mut rows = vec![("all 全部".to_owned(), &report.overall)];
    rows.extend(report.by_branch.iter().map(|b| (format!("branch {}", b.branch_id), &b.counts)));
    for (label, c) in rows {
        println!(
            "  {:<16} {:>9} {:>9} {:>16} {:>18} {:>12} {:>10}",
            label, c.lines, c.left, c.external, c.internal_switch, c.won_back, c.dormant
        );
    }
    for line in &report.lines {
        println!(
            "  {} {} {} {}{}{}",
            line.subscription_id,
            line.customer_id,
            line.kind,
            line.disconnected_on.as_deref().unwrap_or("-"),
            match (&line.successor_id, line.matched_by) {
                (Some(successor), Some(by)) => format!(" -> {successor} ({by})"),
                _ => String::new(),
            },
            line.won_back_id.as_deref().map(|id| format!(" won back on {id}")).unwrap_or_default()
        );
    }
    Ok(())
}

pub fn print_trained(trained: &weiwan_app::TrainedChurnModel) {
    let oot = &trained.out_of_time;
    println!(
        "churn model 流失预测模型 trained on {} lines as of {} (left by {}: {}), {} features{}",
        trained.rows,
        trained.features_as_of,
        trained.labels_until,
        trained.positives,
        trained.features,
        trained.trees.map(|t| format!(", {t} trees")).unwrap_or_default()
    );
    println!(
        "out-of-time test (fitted as of {}, tested as of {} on {} lines, {} left): AUC {:.4}, top-decile lift {:.2}, log loss {:.4}, Brier {:.4}",
        oot.trained_on_features_as_of,
        oot.tested_on_features_as_of,
        oot.test_rows,
        oot.test_positives,
        oot.auc,
        oot.top_decile_lift,
        oot.log_loss,
        oot.brier
    );
    println!("model in force: {}", trained.path.display());
}

pub fn run(action: ChurnAction) -> anyhow::Result<()> {
    match action {
        ChurnAction::TrainLake { .. } | ChurnAction::Kinds { .. } => {
            anyhow::bail!("train-lake and kinds run with the store and the data directory")
        }
        ChurnAction::Train { data, model } => {
            let trained = weiwan_model::train_csv(&data.csv, &options(&data))?;
            trained.save(&model)?;
            let info = &trained.info;
            println!(
                "trained {} on {} rows ({} left, {:.1}%) with {} features{}",
                algorithm_name(trained.algorithm),
                info.rows,
                info.positives,
                100.0 * info.positives as f64 / info.rows as f64,
                trained.features.len(),
                info.trees.map(|t| format!(", {t} trees")).unwrap_or_default()
            );
            println!(
                "validation ({} rows): AUC {:.4}, log loss {:.4}",
                info.validation_rows, info.validation_auc, info.validation_log_loss
            );
            if !info.identifiers_left_out.is_empty() {
                println!("left out as identifiers: {}", info.identifiers_left_out.join(", "));
            }
            println!("model written to {}", model.display());
        }
        ChurnAction::Score { model, csv, out, top, reasons } => {
            let loaded = ChurnModel::load(&model)?;
            let method = match reasons {
                ReasonMethod::Shapley => ContributionMethod::Shapley,
                ReasonMethod::Path => ContributionMethod::Path,
            };
            let summary = weiwan_model::score_csv(&loaded, &csv, &out, top, method)
                .with_context(|| format!("scoring {} with {}", csv.display(), model.display()))?;
            println!(
                "scored {} rows: mean probability {:.4}, {} in the top decile; written to {}",
                summary.rows,
                summary.mean_probability,
                summary.top_decile_rows,
                summary.output.display()
            );
        }
        ChurnAction::Evaluate { data, folds, format, predictions_out } => {
            let (evaluation, predictions) =
                weiwan_model::evaluate_csv(&data.csv, &options(&data), folds, data.seed)?;
            if let Some(path) = predictions_out {
                let mut writer = csv::Writer::from_path(&path)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                for prediction in &predictions {
                    writer.serialize(prediction)?;
                }
                writer.flush()?;
            }
            match format {
                Output::Json => println!("{}", serde_json::to_string_pretty(&evaluation)?),
                Output::Text => {
                    println!(
                        "{} on {}: {} rows, {} left; {}-fold stratified, seed {}",
                        algorithm_name(evaluation.algorithm),
                        evaluation.source,
                        evaluation.rows,
                        evaluation.positives,
                        evaluation.folds,
                        evaluation.seed
                    );
                    let by_fold: Vec<String> =
                        evaluation.auc_by_fold.iter().map(|a| format!("{a:.4}")).collect();
                    println!("  AUC              {:.4}  (folds {})", evaluation.auc, by_fold.join(" "));
                    println!("  PR-AUC           {:.4}", evaluation.pr_auc);
                    println!("  top-decile lift  {:.2}", evaluation.top_decile_lift);
                    println!("  log loss         {:.4}", evaluation.log_loss);
                    println!("  Brier score      {:.4}", evaluation.brier);
                    println!("  reliability      predicted  observed  rows");
                    for bin in &evaluation.reliability {
                        println!(
                            "    {:.1}–{:.1}        {:>8.3}  {:>8.3}  {}",
                            bin.low, bin.high, bin.mean_predicted, bin.observed_rate, bin.count
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

fn options(data: &LabelledCsv) -> TrainOptions {
    let mut options = TrainOptions::new(&data.label);
    options.id = data.id.clone();
    options.exclude = data.exclude.clone();
    options.seed = data.seed;
    options.algorithm = match data.algorithm {
        AlgorithmArg::Gbdt => Algorithm::Gbdt,
        AlgorithmArg::NaiveBayes => Algorithm::NaiveBayes,
    };
    options
}

fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::Gbdt => "gradient-boosted trees",
        Algorithm::NaiveBayes => "naive Bayes",
    }
}
