//! The churn model on the operator's own data: training on the lake with a time-based split,
//! and the nightly scoring stage of the daily batch.
//!
//! Training as of T uses two windows, each a 360 table labelled "left within the next 3
//! months": features as of T − 6 months (labels up to T − 3) and as of T − 3 months (labels up
//! to T). A model fitted on the older window is tested on the newer one — later customers,
//! later months, nothing shared — and that out-of-time score is what the model file reports.
//! The model put in force is then fitted on the newer window, the freshest one whose labels are
//! complete. Models are versioned files under `models/churn/` in the data directory, with a
//! `CURRENT` file naming the one in force.

use std::path::{Path, PathBuf};

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use weiwan_analytics::Lake;
use weiwan_analytics::churn::{
    LABEL, NOT_FEATURES, TrainingSet, churn_scores_path, models_dir, training_set,
};
use weiwan_model::frame::{Frame, Kind};
use weiwan_model::metrics::{DecileLift, ReliabilityBin, RocPoint};
use weiwan_model::{ChurnModel, ContributionMethod, TrainOptions, columnar, features, metrics};

use crate::error::{Error, Result};
use crate::progress::{Operation, ProgressSink, Stage, reported};

/// Months after the as-of date in which a departure counts as churn.
pub const HORIZON_MONTHS: u32 = 3;

/// Points of the out-of-time ROC curve kept in the model file.
pub const ROC_POINTS: usize = 101;

/// How the model fitted on the older window did on the newer one. Stored in the model file
/// (`info.window.out_of_time`); files written before the curves were added have none, and read
/// back with empty curves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutOfTime {
    pub trained_on_features_as_of: String,
    pub tested_on_features_as_of: String,
    pub test_rows: usize,
    pub test_positives: usize,
    pub auc: f64,
    pub top_decile_lift: f64,
    pub log_loss: f64,
    pub brier: f64,
    /// The ROC curve, at most [`ROC_POINTS`] points from (0, 0) to (1, 1).
    #[serde(default)]
    pub roc: Vec<RocPoint>,
    /// Churn rate, lift and cumulative gain by decile of risk, decile 1 the riskiest.
    #[serde(default)]
    pub lift: Vec<DecileLift>,
    /// Predicted against observed churn in ten probability bands (empty bands left out).
    #[serde(default)]
    pub reliability: Vec<ReliabilityBin>,
}

/// What the model file of a model trained on the lake says about its training (`info.window`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingWindow {
    /// The 360 table the model in the file was fitted on.
    pub features_as_of: String,
    pub labels_until: String,
    pub horizon_months: u32,
    pub out_of_time: OutOfTime,
}

/// A model trained on the lake and put in force.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainedChurnModel {
    pub path: PathBuf,
    pub features_as_of: String,
    pub labels_until: String,
    pub rows: usize,
    pub positives: usize,
    pub features: usize,
    pub trees: Option<usize>,
    pub out_of_time: OutOfTime,
}

/// What the nightly scoring stage wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ChurnScores {
    pub path: PathBuf,
    pub rows: usize,
    pub mean_probability: f64,
    /// The model file that scored.
    pub model: String,
}

fn months_back(date: NaiveDate, months: u32) -> Result<NaiveDate> {
    date.checked_sub_months(Months::new(months))
        .ok_or_else(|| Error::Invalid(format!("{date} minus {months} months is out of range")))
}

/// The feature columns of a training set: every column of a kind a model reads, except
/// identifiers, dates, `status` and the label.
fn feature_columns(path: &Path) -> Result<Vec<(String, Kind)>> {
    Ok(columnar::parquet_kinds(path)?
        .into_iter()
        .filter_map(|(name, kind)| kind.map(|kind| (name, kind)))
        .filter(|(name, _)| !NOT_FEATURES.contains(&name.as_str()))
        .collect())
}

fn read_window(set: &TrainingSet, columns: &[(String, Kind)]) -> Result<(Frame, Vec<f64>)> {
    let mut wanted = columns.to_vec();
    wanted.push((LABEL.to_string(), Kind::Numeric));
    let frame = columnar::read_parquet(&set.path, &wanted)?;
    let (_, y) = features::labels(&frame, LABEL).map_err(|e| {
        Error::Invalid(format!(
            "the training window with features as of {} and labels until {} cannot be used: {e}",
            set.features_as_of, set.labels_until
        ))
    })?;
    Ok((frame, y))
}

/// Train a churn model on the lake as of `as_of` and put it in force (see the module docs).
pub async fn train_churn_model(lake: &Lake, as_of: NaiveDate) -> Result<TrainedChurnModel> {
    train_churn_model_with_progress(lake, as_of, &ProgressSink::none()).await
}

/// [`train_churn_model`], reporting the operation `train_churn_model` to `progress`: the two
/// windows, the out-of-time test and the fit (see [`crate::progress`]).
pub async fn train_churn_model_with_progress(
    lake: &Lake,
    as_of: NaiveDate,
    progress: &ProgressSink,
) -> Result<TrainedChurnModel> {
    reported(progress, Operation::TrainChurnModel, train(lake, as_of, progress)).await
}

async fn train(lake: &Lake, as_of: NaiveDate, progress: &ProgressSink) -> Result<TrainedChurnModel> {
    progress.stage(Stage::TrainingWindowOlder, None);
    let older = training_set(lake, months_back(as_of, 2 * HORIZON_MONTHS)?, HORIZON_MONTHS, as_of).await?;
    progress.message(&window_message(&older));
    progress.finish_stage();
    progress.stage(Stage::TrainingWindowNewer, None);
    let newer = training_set(lake, months_back(as_of, HORIZON_MONTHS)?, HORIZON_MONTHS, as_of).await?;
    progress.message(&window_message(&newer));
    progress.finish_stage();
    let dir = models_dir(lake);
    let progress = progress.clone();
    tokio::task::spawn_blocking(move || fit_and_install(&dir, as_of, &older, &newer, &progress)).await?
}

fn window_message(set: &TrainingSet) -> String {
    format!(
        "window with features as of {}, labels until {}: {} lines",
        set.features_as_of, set.labels_until, set.rows
    )
}

fn fit_and_install(
    dir: &Path,
    as_of: NaiveDate,
    older: &TrainingSet,
    newer: &TrainingSet,
    progress: &ProgressSink,
) -> Result<TrainedChurnModel> {
    progress.stage(Stage::Backtest, None);
    let columns = feature_columns(&newer.path)?;
    let (old_frame, old_y) = read_window(older, &columns)?;
    let (new_frame, new_y) = read_window(newer, &columns)?;
    let mut options = TrainOptions::new(LABEL);
    options.id = Some("subscription_id".to_string());

    let label = features::LabelSpec { column: LABEL.into(), positive: "1".into(), negative: "0".into() };
    let backtest = ChurnModel::fit(&old_frame, &old_y, label.clone(), &options)?;
    let p = backtest.predict(&new_frame)?;
    let out_of_time = OutOfTime {
        trained_on_features_as_of: older.features_as_of.to_string(),
        tested_on_features_as_of: newer.features_as_of.to_string(),
        test_rows: new_y.len(),
        test_positives: new_y.iter().filter(|&&v| v == 1.0).count(),
        auc: metrics::auc(&new_y, &p),
        top_decile_lift: metrics::top_decile_lift(&new_y, &p),
        log_loss: metrics::log_loss(&new_y, &p),
        brier: metrics::brier(&new_y, &p),
        roc: metrics::roc_curve(&new_y, &p, ROC_POINTS),
        lift: metrics::lift_by_decile(&new_y, &p),
        reliability: metrics::reliability(&new_y, &p),
    };
    tracing::info!(
        auc = out_of_time.auc,
        lift = out_of_time.top_decile_lift,
        "out-of-time test of the churn model"
    );
    progress.message(&format!(
        "out-of-time test: AUC {:.4}, top-decile lift {:.2}",
        out_of_time.auc, out_of_time.top_decile_lift
    ));
    progress.finish_stage();

    progress.stage(Stage::Fit, None);
    let mut model = ChurnModel::fit(&new_frame, &new_y, label, &options)?;
    model.info.source =
        format!("customer 360 as of {} labelled until {}", newer.features_as_of, newer.labels_until);
    let window = TrainingWindow {
        features_as_of: newer.features_as_of.to_string(),
        labels_until: newer.labels_until.to_string(),
        horizon_months: HORIZON_MONTHS,
        out_of_time: out_of_time.clone(),
    };
    model.info.window = Some(
        serde_json::to_value(&window)
            .map_err(|e| Error::Invalid(format!("cannot encode the training window: {e}")))?,
    );
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Invalid(format!("cannot create {}: {e}", dir.display())))?;
    let file_name = format!("churn-{as_of}.json");
    let path = dir.join(&file_name);
    model.save(&path)?;
    // Put it in force: CURRENT names the model file, replaced atomically.
    let pointer = dir.join("CURRENT");
    let staged = dir.join("CURRENT.tmp");
    std::fs::write(&staged, format!("{file_name}\n"))
        .and_then(|()| std::fs::rename(&staged, &pointer))
        .map_err(|e| Error::Invalid(format!("cannot write {}: {e}", pointer.display())))?;
    progress.message(&match model.info.trees {
        Some(trees) => format!("model in force: {file_name}, {trees} trees"),
        None => format!("model in force: {file_name}"),
    });
    progress.finish_stage();
    Ok(TrainedChurnModel {
        path,
        features_as_of: newer.features_as_of.to_string(),
        labels_until: newer.labels_until.to_string(),
        rows: new_y.len(),
        positives: new_y.iter().filter(|&&v| v == 1.0).count(),
        features: model.features.len(),
        trees: model.info.trees,
        out_of_time,
    })
}

/// The model in force, if one was trained.
pub fn current_model_path(lake: &Lake) -> Result<Option<PathBuf>> {
    let dir = models_dir(lake);
    let pointer = dir.join("CURRENT");
    match std::fs::read_to_string(&pointer) {
        Ok(name) => Ok(Some(dir.join(name.trim()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Invalid(format!("cannot read {}: {e}", pointer.display()))),
    }
}

/// Reason attribution in the nightly batch: path attribution scales to every line of a
/// province; `weiwan churn score` offers exact TreeSHAP for files.
const BATCH_REASONS: ContributionMethod = ContributionMethod::Path;

/// The batch stage: score the day's 360 table with the model in force, if there is one,
/// advancing `progress` by the rows scored.
pub async fn score_churn(
    lake: &Lake,
    as_of: NaiveDate,
    progress: &ProgressSink,
) -> Result<Option<ChurnScores>> {
    let Some(model_path) = current_model_path(lake)? else {
        return Ok(None);
    };
    let input = weiwan_analytics::customer_360_path(lake, as_of);
    let output = churn_scores_path(lake, as_of);
    let progress = progress.clone();
    tokio::task::spawn_blocking(move || {
        let model = ChurnModel::load(&model_path)?;
        if let Some(dir) = output.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::Invalid(format!("cannot create {}: {e}", dir.display())))?;
        }
        let mut scored = |rows: usize| progress.advance(rows as u64);
        let scores = columnar::score_parquet(
            &model,
            &input,
            &output,
            "subscription_id",
            3,
            BATCH_REASONS,
            &mut scored,
        )?;
        Ok(Some(ChurnScores {
            path: scores.path,
            rows: scores.rows,
            mean_probability: scores.mean_probability,
            model: model_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        }))
    })
    .await?
}
