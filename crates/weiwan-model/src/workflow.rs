//! The three things a person does with a CSV file: train a model on it, score it with a model,
//! and cross-validate a learner on it.

use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::features::{self, LabelSpec};
use crate::frame::{self, Frame, Kind};
use crate::metrics::{self, ReliabilityBin};
use crate::model::{Algorithm, ChurnModel, ContributionMethod, TrainOptions};
use crate::reasons::Phrasebook;
use crate::split::stratified_folds;

/// A training file read and checked: the frame, the 0/1 label, and the options with column
/// names resolved against the file's header.
#[derive(Debug)]
pub struct TrainingSet {
    pub frame: Frame,
    pub y: Vec<f64>,
    pub label: LabelSpec,
    pub options: TrainOptions,
}

/// Read `path` for training with `options`: the label must exist and hold two classes, the id
/// and excluded columns must exist, numeric columns must hold numbers.
pub fn load_training_set(path: &Path, options: &TrainOptions) -> Result<TrainingSet> {
    let headers = frame::headers(path)?;
    let find = |wanted: &str| frame::resolve(&headers, wanted).map(str::to_string);
    let label = find(&options.label).ok_or_else(|| Error::MissingColumns {
        path: path.to_path_buf(),
        columns: vec![options.label.clone()],
    })?;
    let id =
        match &options.id {
            Some(id) => Some(find(id).ok_or_else(|| Error::MissingColumns {
                path: path.to_path_buf(),
                columns: vec![id.clone()],
            })?),
            None => None,
        };
    let mut exclude = Vec::new();
    let mut unknown = Vec::new();
    for name in &options.exclude {
        match find(name) {
            Some(found) => exclude.push(found),
            None => unknown.push(name.clone()),
        }
    }
    if !unknown.is_empty() {
        return Err(Error::MissingColumns { path: path.to_path_buf(), columns: unknown });
    }
    let mut text = vec![label.as_str()];
    text.extend(id.as_deref());
    let kinds: Vec<(String, Kind)> =
        frame::infer(path, &text)?.into_iter().filter(|(name, _)| !exclude.contains(name)).collect();
    let frame = frame::read(path, &kinds)?;
    let (spec, y) = features::labels(&frame, &label)?;
    let options = TrainOptions { label, id, exclude, ..options.clone() };
    Ok(TrainingSet { frame, y, label: spec, options })
}

/// Train a model on a CSV file.
pub fn train_csv(path: &Path, options: &TrainOptions) -> Result<ChurnModel> {
    let set = load_training_set(path, options)?;
    ChurnModel::fit(&set.frame, &set.y, set.label, &set.options)
}

/// What scoring a file produced.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreSummary {
    pub rows: usize,
    pub mean_probability: f64,
    /// Rows in decile 1, the highest-risk tenth.
    pub top_decile_rows: usize,
    pub output: PathBuf,
}

/// Rows scored per chunk: bounds memory whatever the file size.
const CHUNK_ROWS: usize = 200_000;

/// Score `input` with `model` into `output`: `id,probability,decile,reasons_en,reasons_zh`,
/// reasons being the `top` largest contributions joined by "; ". The file is refused, naming
/// the columns, when it lacks any the model reads. Writes through a temporary file.
pub fn score_csv(
    model: &ChurnModel,
    input: &Path,
    output: &Path,
    top: usize,
    method: ContributionMethod,
) -> Result<ScoreSummary> {
    let headers = frame::headers(input)?;
    features::check_columns(input, &headers, &model.features)?;
    let columns = model.scoring_columns(&headers);
    let id_column = model.id_column.clone().filter(|id| headers.contains(id));
    let phrasebook = Phrasebook::builtin();
    let write = |source| Error::Write { path: output.to_path_buf(), source };
    let csv_write = |e: csv::Error| Error::Write { path: output.to_path_buf(), source: e.into() };
    let staged = output.with_extension("scoring.tmp");
    let finished = output.with_extension("tmp");
    let mut probabilities = Vec::new();
    let result = (|| -> Result<()> {
        // First pass: probabilities and reasons per chunk; deciles need every probability.
        let file = std::fs::File::create(&staged).map_err(write)?;
        let mut staging = csv::WriterBuilder::new().has_headers(false).from_writer(BufWriter::new(file));
        frame::for_each_chunk(input, &columns, CHUNK_ROWS, |chunk| {
            let p = model.predict(&chunk)?;
            let reasons = model.reasons(&chunk, top, method, &phrasebook)?;
            let ids = id_column.as_deref().and_then(|id| chunk.column(id));
            for row in 0..chunk.rows {
                let id = match ids {
                    Some(column) => column.display(row).unwrap_or_default(),
                    None => chunk.lines[row].to_string(),
                };
                let en: Vec<&str> = reasons[row].iter().map(|r| r.en.as_str()).collect();
                let zh: Vec<&str> = reasons[row].iter().map(|r| r.zh.as_str()).collect();
                staging
                    .write_record([id.as_str(), &format!("{:.6}", p[row]), &en.join("; "), &zh.join("; ")])
                    .map_err(csv_write)?;
            }
            probabilities.extend(p);
            Ok(())
        })?;
        staging.flush().map_err(write)?;
        drop(staging);
        // Second pass: insert each row's decile after its probability.
        let deciles = metrics::deciles(&probabilities);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(BufReader::new(std::fs::File::open(&staged).map_err(write)?));
        let mut out =
            csv::Writer::from_writer(BufWriter::new(std::fs::File::create(&finished).map_err(write)?));
        out.write_record(["id", "probability", "decile", "reasons_en", "reasons_zh"]).map_err(csv_write)?;
        for (record, decile) in reader.records().zip(&deciles) {
            let record = record.map_err(csv_write)?;
            let decile = decile.to_string();
            out.write_record([&record[0], &record[1], decile.as_str(), &record[2], &record[3]])
                .map_err(csv_write)?;
        }
        out.flush().map_err(write)?;
        Ok(())
    })();
    let _ = std::fs::remove_file(&staged);
    if let Err(error) = result {
        let _ = std::fs::remove_file(&finished);
        return Err(error);
    }
    std::fs::rename(&finished, output).map_err(write)?;
    let deciles = metrics::deciles(&probabilities);
    let rows = probabilities.len();
    Ok(ScoreSummary {
        rows,
        mean_probability: probabilities.iter().sum::<f64>() / rows.max(1) as f64,
        top_decile_rows: deciles.iter().filter(|&&d| d == 1).count(),
        output: output.to_path_buf(),
    })
}

/// Cross-validation results.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub source: String,
    pub algorithm: Algorithm,
    pub rows: usize,
    pub positives: usize,
    pub folds: usize,
    pub seed: u64,
    /// Mean of the per-fold AUCs.
    pub auc: f64,
    pub auc_by_fold: Vec<f64>,
    /// Over all out-of-fold predictions together.
    pub pooled_auc: f64,
    pub pr_auc: f64,
    /// Mean of the per-fold top-decile lifts.
    pub top_decile_lift: f64,
    pub log_loss: f64,
    pub brier: f64,
    pub reliability: Vec<ReliabilityBin>,
}

/// One out-of-fold prediction.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct OutOfFold {
    /// 0-based data row of the file.
    pub row: usize,
    pub fold: usize,
    pub label: f64,
    pub probability: f64,
}

/// Stratified K-fold cross-validation of the learner in `options` on a CSV file. Every fold's
/// model learns its encodings from its own training rows only.
pub fn evaluate_csv(
    path: &Path,
    options: &TrainOptions,
    folds: usize,
    seed: u64,
) -> Result<(Evaluation, Vec<OutOfFold>)> {
    if folds < 2 {
        return Err(Error::Setting(format!("--folds must be at least 2, not {folds}")));
    }
    let set = load_training_set(path, options)?;
    let positives = set.y.iter().filter(|&&v| v == 1.0).count();
    if positives < folds || set.y.len() - positives < folds {
        return Err(Error::Label {
            path: path.to_path_buf(),
            column: set.label.column.clone(),
            message: format!("{positives} positive rows cannot be spread over {folds} folds"),
        });
    }
    let assignment = stratified_folds(&set.y, folds, seed);
    let mut oof = vec![f64::NAN; set.y.len()];
    let (mut auc_by_fold, mut lift_by_fold) = (Vec::new(), Vec::new());
    for fold in 0..folds {
        let train: Vec<usize> = (0..set.y.len()).filter(|&r| assignment[r] != fold).collect();
        let test: Vec<usize> = (0..set.y.len()).filter(|&r| assignment[r] == fold).collect();
        let train_y: Vec<f64> = train.iter().map(|&r| set.y[r]).collect();
        let test_y: Vec<f64> = test.iter().map(|&r| set.y[r]).collect();
        let fold_options = TrainOptions { seed: seed.wrapping_add(fold as u64), ..set.options.clone() };
        let model = ChurnModel::fit(&set.frame.take(&train), &train_y, set.label.clone(), &fold_options)?;
        let p = model.predict(&set.frame.take(&test))?;
        auc_by_fold.push(metrics::auc(&test_y, &p));
        lift_by_fold.push(metrics::top_decile_lift(&test_y, &p));
        for (&row, &p) in test.iter().zip(&p) {
            oof[row] = p;
        }
        tracing::info!(fold, auc = auc_by_fold[fold], "fold evaluated");
    }
    let mean = |values: &[f64]| values.iter().sum::<f64>() / values.len() as f64;
    let evaluation = Evaluation {
        source: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        algorithm: options.algorithm,
        rows: set.y.len(),
        positives,
        folds,
        seed,
        auc: mean(&auc_by_fold),
        auc_by_fold,
        pooled_auc: metrics::auc(&set.y, &oof),
        pr_auc: metrics::pr_auc(&set.y, &oof),
        top_decile_lift: mean(&lift_by_fold),
        log_loss: metrics::log_loss(&set.y, &oof),
        brier: metrics::brier(&set.y, &oof),
        reliability: metrics::reliability(&set.y, &oof),
    };
    let predictions = (0..set.y.len())
        .map(|row| OutOfFold { row, fold: assignment[row], label: set.y[row], probability: oof[row] })
        .collect();
    Ok((evaluation, predictions))
}
