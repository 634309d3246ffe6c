//! The churn model: training, calibrated probabilities, per-customer reasons, and the model
//! file.
//!
//! Training holds out a stratified validation share of the rows. Gradient-boosted trees stop
//! adding trees when the validation log loss has not improved for a while; then a two-parameter
//! logistic (Platt) calibration is fitted on the validation rows' scores, so that a probability
//! of 0.3 means about three in ten leave. Calibration is monotone: it changes probabilities, not
//! the ranking.

use std::fmt;
use std::path::Path;

use forust_ml::GradientBooster;
use forust_ml::gradientbooster::ContributionsMethod;
use forust_ml::metric::Metric;
use forust_ml::sampler::SampleMethod;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::features::{self, Encoded, Feature, LabelSpec};
use crate::frame::{Frame, Kind};
use crate::metrics;
use crate::naive_bayes::NaiveBayes;
use crate::reasons::{Phrasebook, Reason};
use crate::split::stratified_holdout;

/// The model file format this build writes and reads.
pub const FORMAT: u32 = 1;

/// Which learner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    /// Gradient-boosted trees (forust-ml), the default.
    Gbdt,
    /// The naive Bayes baseline.
    NaiveBayes,
}

impl std::str::FromStr for Algorithm {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        match text {
            "gbdt" => Ok(Algorithm::Gbdt),
            "naive-bayes" => Ok(Algorithm::NaiveBayes),
            other => Err(Error::Setting(format!("unknown algorithm {other:?}; use gbdt or naive-bayes"))),
        }
    }
}

/// Settings of the gradient-boosted trees. The defaults favour many small, slow steps with
/// early stopping, which ranks better than LightGBM's defaults on the public churn sets (see
/// docs/model-quality.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GbdtParams {
    /// Upper bound on trees; early stopping usually ends sooner.
    pub iterations: usize,
    pub learning_rate: f32,
    pub max_depth: usize,
    pub l2: f32,
    /// Minimum hessian sum in a leaf.
    pub min_leaf_weight: f32,
    /// Histogram bins per feature.
    pub nbins: u16,
    /// Stop when validation log loss has not improved for this many trees.
    pub early_stopping_rounds: usize,
    /// Share of rows sampled for each tree.
    pub subsample: f32,
    /// Share of features sampled for each tree.
    pub colsample_bytree: f64,
}

impl Default for GbdtParams {
    fn default() -> Self {
        GbdtParams {
            iterations: 2000,
            learning_rate: 0.03,
            max_depth: 4,
            l2: 1.0,
            min_leaf_weight: 1.0,
            nbins: 256,
            early_stopping_rounds: 100,
            subsample: 0.8,
            colsample_bytree: 0.8,
        }
    }
}

/// What to train on and how.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// The label column (1 = left).
    pub label: String,
    /// An identifier column, kept out of the features and written back when scoring.
    pub id: Option<String>,
    /// Columns never used as features (e.g. ones derived from the outcome).
    pub exclude: Vec<String>,
    pub algorithm: Algorithm,
    pub seed: u64,
    /// Share of rows held out for early stopping and calibration.
    pub validation_share: f64,
    pub gbdt: GbdtParams,
}

impl TrainOptions {
    /// Defaults for a label column.
    pub fn new(label: impl Into<String>) -> Self {
        TrainOptions {
            label: label.into(),
            id: None,
            exclude: Vec::new(),
            algorithm: Algorithm::Gbdt,
            seed: 42,
            validation_share: 0.15,
            gbdt: GbdtParams::default(),
        }
    }
}

/// Logistic calibration of a raw score: p = 1 / (1 + exp(−(a·score + b))).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Platt {
    pub a: f64,
    pub b: f64,
}

impl Platt {
    /// Fit by Newton's method on the log loss, with a light ridge so separable data stays finite.
    pub fn fit(scores: &[f64], y: &[f64]) -> Platt {
        let (mut a, mut b) = (1.0, 0.0);
        for _ in 0..100 {
            let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (1e-3 * (a - 1.0), 1e-3 * b, 1e-3, 0.0, 1e-3);
            for (&s, &y) in scores.iter().zip(y) {
                let p = sigmoid(a * s + b);
                let w = (p * (1.0 - p)).max(1e-12);
                ga += (p - y) * s;
                gb += p - y;
                haa += w * s * s;
                hab += w * s;
                hbb += w;
            }
            let det = haa * hbb - hab * hab;
            if det.abs() < 1e-18 {
                break;
            }
            let da = (hbb * ga - hab * gb) / det;
            let db = (haa * gb - hab * ga) / det;
            a -= da;
            b -= db;
            if da.abs() < 1e-10 && db.abs() < 1e-10 {
                break;
            }
        }
        if a.is_finite() && b.is_finite() && a > 0.0 { Platt { a, b } } else { Platt { a: 1.0, b: 0.0 } }
    }

    /// The calibrated probability of a raw score.
    pub fn apply(&self, score: f64) -> f64 {
        sigmoid(self.a * score + self.b)
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Where a model came from and how it did on rows it did not fit.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ModelInfo {
    /// The training file or table.
    pub source: String,
    pub rows: usize,
    pub positives: usize,
    pub validation_rows: usize,
    pub validation_auc: f64,
    pub validation_log_loss: f64,
    /// Trees kept, for gradient boosting.
    pub trees: Option<usize>,
    /// Columns left out because they look like identifiers.
    pub identifiers_left_out: Vec<String>,
    /// Columns left out on request.
    pub excluded: Vec<String>,
    /// The version of weiwan that trained it.
    pub weiwan_version: String,
    /// For models trained on the operator's lake: the time window and out-of-time metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<serde_json::Value>,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum Engine {
    Gbdt { booster: Box<GradientBooster> },
    NaiveBayes { model: NaiveBayes },
}

/// A trained churn model, as stored in a model file (JSON).
#[derive(Serialize, Deserialize)]
pub struct ChurnModel {
    pub format: u32,
    pub algorithm: Algorithm,
    pub label: LabelSpec,
    pub id_column: Option<String>,
    pub features: Vec<Feature>,
    pub calibration: Platt,
    pub info: ModelInfo,
    #[serde(default)]
    pub gbdt: Option<GbdtParams>,
    engine: Engine,
}

impl fmt::Debug for ChurnModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChurnModel")
            .field("algorithm", &self.algorithm)
            .field("label", &self.label)
            .field("features", &self.features.len())
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// How per-customer contributions are computed for gradient-boosted trees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContributionMethod {
    /// Exact TreeSHAP values: fair to every feature, slower.
    Shapley,
    /// Path attribution (XGBoost's approximate contributions): fast enough for every line of a
    /// province every night.
    Path,
}

impl ChurnModel {
    /// Train on `frame` whose label is `y`; `label` records how the label was spelled.
    pub fn fit(frame: &Frame, y: &[f64], label: LabelSpec, options: &TrainOptions) -> Result<ChurnModel> {
        let mut skip: Vec<&str> = vec![options.label.as_str()];
        skip.extend(options.id.as_deref());
        skip.extend(options.exclude.iter().map(String::as_str));
        let (features, identifiers) = features::learn(frame, &skip);
        if features.is_empty() {
            return Err(Error::input(&frame.path, "no feature columns are left to learn from"));
        }
        let (fit_rows, validation_rows) = stratified_holdout(y, options.validation_share, options.seed);
        let fit_frame = frame.take(&fit_rows);
        let validation_frame = frame.take(&validation_rows);
        let fit_y: Vec<f64> = fit_rows.iter().map(|&r| y[r]).collect();
        let validation_y: Vec<f64> = validation_rows.iter().map(|&r| y[r]).collect();

        let (engine, trees) = match options.algorithm {
            Algorithm::Gbdt => {
                let x = features::encode(&fit_frame, &features)?;
                let xv = features::encode(&validation_frame, &features)?;
                let booster = train_gbdt(&x, &fit_y, &xv, &validation_y, &options.gbdt, options.seed)?;
                let trees = booster.prediction_iteration.unwrap_or(booster.trees.len());
                (Engine::Gbdt { booster: Box::new(booster) }, Some(trees))
            }
            Algorithm::NaiveBayes => {
                (Engine::NaiveBayes { model: NaiveBayes::fit(&fit_frame, &fit_y, &features)? }, None)
            }
        };
        let mut model = ChurnModel {
            format: FORMAT,
            algorithm: options.algorithm,
            label,
            id_column: options.id.clone(),
            features,
            calibration: Platt { a: 1.0, b: 0.0 },
            info: ModelInfo::default(),
            gbdt: (options.algorithm == Algorithm::Gbdt).then(|| options.gbdt.clone()),
            engine,
        };
        let raw = model.raw(&validation_frame)?;
        model.calibration = Platt::fit(&raw, &validation_y);
        let probabilities: Vec<f64> = raw.iter().map(|&s| model.calibration.apply(s)).collect();
        model.info = ModelInfo {
            source: frame.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            rows: frame.rows,
            positives: y.iter().filter(|&&v| v == 1.0).count(),
            validation_rows: validation_rows.len(),
            validation_auc: metrics::auc(&validation_y, &probabilities),
            validation_log_loss: metrics::log_loss(&validation_y, &probabilities),
            trees,
            identifiers_left_out: identifiers,
            excluded: options.exclude.clone(),
            weiwan_version: env!("CARGO_PKG_VERSION").to_string(),
            window: None,
        };
        Ok(model)
    }

    /// The uncalibrated score (log-odds) of every row.
    pub fn raw(&self, frame: &Frame) -> Result<Vec<f64>> {
        match &self.engine {
            Engine::Gbdt { booster } => {
                let x = features::encode(frame, &self.features)?;
                Ok(booster.predict(&x.matrix(), true))
            }
            Engine::NaiveBayes { model } => Ok(model.log_odds(frame)),
        }
    }

    /// The calibrated probability of leaving for every row.
    pub fn predict(&self, frame: &Frame) -> Result<Vec<f64>> {
        Ok(self.raw(frame)?.into_iter().map(|s| self.calibration.apply(s)).collect())
    }

    /// Per row, the contribution of each feature (in model feature order) to the log-odds.
    pub fn contributions(&self, frame: &Frame, method: ContributionMethod) -> Result<Vec<Vec<f64>>> {
        match &self.engine {
            Engine::NaiveBayes { model } => Ok(model.contributions(frame)),
            Engine::Gbdt { booster } => {
                let x: Encoded = features::encode(frame, &self.features)?;
                let method = match method {
                    ContributionMethod::Shapley => ContributionsMethod::Shapley,
                    ContributionMethod::Path => ContributionsMethod::Average,
                };
                let flat = booster.predict_contributions(&x.matrix(), method, true);
                let width = x.cols + 1;
                Ok(flat
                    .chunks(width)
                    .map(|row| {
                        let mut by_feature = vec![0.0; self.features.len()];
                        for (col, &value) in row[..x.cols].iter().enumerate() {
                            by_feature[x.source[col]] += value;
                        }
                        by_feature
                    })
                    .collect())
            }
        }
    }

    /// The `top` features that pushed each row most towards leaving, as phrases.
    pub fn reasons(
        &self,
        frame: &Frame,
        top: usize,
        method: ContributionMethod,
        phrasebook: &Phrasebook,
    ) -> Result<Vec<Vec<Reason>>> {
        if top == 0 {
            // Probabilities only: skip the contributions, the costly part.
            return Ok(vec![Vec::new(); frame.rows]);
        }
        let contributions = self.contributions(frame, method)?;
        let columns: Vec<_> = self.features.iter().map(|feature| frame.column(&feature.name)).collect();
        Ok(contributions
            .into_iter()
            .enumerate()
            .map(|(row, weights)| {
                let mut order: Vec<usize> = (0..weights.len()).filter(|&f| weights[f] > 1e-9).collect();
                order.sort_by(|&a, &b| weights[b].total_cmp(&weights[a]));
                order
                    .into_iter()
                    .take(top)
                    .map(|f| {
                        let value = columns[f].and_then(|column| column.display(row));
                        phrasebook.phrase(&self.features[f].name, value.as_deref(), weights[f])
                    })
                    .collect()
            })
            .collect())
    }

    /// The columns (name, kind) a file must hold to be scored, plus the id column if it has one.
    pub fn scoring_columns(&self, headers: &[String]) -> Vec<(String, Kind)> {
        let mut columns = features::wanted_columns(&self.features);
        if let Some(id) = &self.id_column
            && headers.contains(id)
            && !columns.iter().any(|(name, _)| name == id)
        {
            columns.push((id.clone(), Kind::Text));
        }
        columns
    }

    /// Write the model as JSON, through a temporary file so a crash leaves no half model.
    pub fn save(&self, path: &Path) -> Result<()> {
        let write = |source| Error::Write { path: path.to_path_buf(), source };
        let json =
            serde_json::to_vec(self).map_err(|e| Error::Training(format!("cannot encode the model: {e}")))?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, json).map_err(write)?;
        std::fs::rename(&tmp, path).map_err(write)
    }

    /// Read a model file; refuses a file of another format version.
    pub fn load(path: &Path) -> Result<ChurnModel> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        let version: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| Error::ModelFile {
            path: path.to_path_buf(),
            message: format!("not a model file: {e}"),
        })?;
        let format = version.get("format").and_then(serde_json::Value::as_u64);
        if format != Some(u64::from(FORMAT)) {
            return Err(Error::ModelFile {
                path: path.to_path_buf(),
                message: format!("format {format:?}, this weiwan reads format {FORMAT}"),
            });
        }
        serde_json::from_value(version).map_err(|e| Error::ModelFile {
            path: path.to_path_buf(),
            message: format!("not a model file: {e}"),
        })
    }

    /// Read only what a model file says about the model (`info`), skipping the trees: for
    /// reports on a model, which need not build it. Refuses a file of another format version.
    pub fn read_info(path: &Path) -> Result<ModelInfo> {
        /// The parts of a model file a report reads; serde skips the rest without building it.
        /// `info` is read as it is until the format is known to be this build's.
        #[derive(Deserialize)]
        struct Head {
            format: Option<u64>,
            info: Option<serde_json::Value>,
        }
        let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        let refused = |message: String| Error::ModelFile { path: path.to_path_buf(), message };
        let head: Head =
            serde_json::from_slice(&bytes).map_err(|e| refused(format!("not a model file: {e}")))?;
        if head.format != Some(u64::from(FORMAT)) {
            return Err(refused(format!("format {:?}, this weiwan reads format {FORMAT}", head.format)));
        }
        let info = head.info.ok_or_else(|| refused("not a model file: no info".to_owned()))?;
        serde_json::from_value(info).map_err(|e| refused(format!("not a model file: info: {e}")))
    }
}

fn train_gbdt(
    x: &Encoded,
    y: &[f64],
    xv: &Encoded,
    yv: &[f64],
    params: &GbdtParams,
    seed: u64,
) -> Result<GradientBooster> {
    let mut booster = GradientBooster::default()
        .set_iterations(params.iterations)
        .set_learning_rate(params.learning_rate)
        .set_max_depth(params.max_depth)
        .set_l2(params.l2)
        .set_min_leaf_weight(params.min_leaf_weight)
        .set_nbins(params.nbins)
        .set_subsample(params.subsample)
        .set_sample_method(if params.subsample < 1.0 { SampleMethod::Random } else { SampleMethod::None })
        .set_colsample_bytree(params.colsample_bytree)
        .set_seed(seed)
        .set_evaluation_metric(Some(Metric::LogLoss))
        .set_early_stopping_rounds(Some(params.early_stopping_rounds));
    booster.initialize_base_score = true;
    let weights = vec![1.0; y.len()];
    let validation_weights = vec![1.0; yv.len()];
    booster
        .fit(&x.matrix(), y, &weights, Some(vec![(xv.matrix(), yv, validation_weights.as_slice())]))
        .map_err(|e| Error::Training(e.to_string()))?;
    Ok(booster)
}
