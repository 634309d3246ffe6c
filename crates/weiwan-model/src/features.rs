//! From a [`Frame`] to the numbers a model reads: the label as 0/1, and the features encoded
//! the same way at training and at scoring time.
//!
//! Numeric columns pass through (missing stays NaN: the trees send it down its own branch). A
//! text column with few levels becomes one indicator per level seen in training; one with many
//! levels becomes the share of training rows that had its level, so that a region code with
//! hundreds of values does not explode the matrix. Text columns whose values are nearly all
//! distinct are identifiers and are left out.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::frame::{Frame, Kind, MISSING, Values};

/// Text columns with at most this many levels are one-hot encoded.
const MAX_ONE_HOT: usize = 32;

/// The positive and negative spellings of a label.
const LABEL_PAIRS: &[(&str, &str)] = &[
    ("yes", "no"),
    ("true", "false"),
    ("1", "0"),
    ("1.0", "0.0"),
    ("y", "n"),
    ("t", "f"),
    ("churn", "stay"),
    ("churned", "stayed"),
    ("left", "stayed"),
];

/// How the label column's values map to 1 (left) and 0 (stayed).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LabelSpec {
    pub column: String,
    pub positive: String,
    pub negative: String,
}

/// Read the label column of `frame` as 0/1. Refuses a missing value, a value outside one known
/// pair, and a label with only one class.
pub fn labels(frame: &Frame, column: &str) -> Result<(LabelSpec, Vec<f64>)> {
    let error = |message: String| Error::Label { path: frame.path.clone(), column: column.into(), message };
    let Some(label) = frame.column(column) else {
        return Err(Error::MissingColumns { path: frame.path.clone(), columns: vec![column.to_string()] });
    };
    let (levels, codes) = match &label.values {
        Values::Text { levels, codes } => (levels, codes),
        Values::Numeric(values) => return numeric_labels(frame, column, values),
    };
    if let Some(row) = codes.iter().position(|&code| code == MISSING) {
        return Err(error(format!("line {} has no value", frame.lines[row])));
    }
    let lower: Vec<String> = levels.iter().map(|level| level.trim().to_lowercase()).collect();
    let pair = LABEL_PAIRS
        .iter()
        .find(|(positive, negative)| lower.iter().all(|level| level == positive || level == negative));
    let Some(&(positive, _)) = pair else {
        let shown: Vec<&str> = levels.iter().take(6).map(String::as_str).collect();
        return Err(error(format!("values {shown:?} are not a yes/no label; use Yes/No, True/False or 1/0")));
    };
    let is_positive: Vec<bool> = lower.iter().map(|level| level == positive).collect();
    let y: Vec<f64> = codes.iter().map(|&code| f64::from(u8::from(is_positive[code as usize]))).collect();
    both_classes(&y).map_err(error)?;
    let spelling = |want: bool| {
        levels.iter().zip(&is_positive).find(|(_, p)| **p == want).map(|(l, _)| l.clone()).unwrap_or_default()
    };
    Ok((LabelSpec { column: column.to_string(), positive: spelling(true), negative: spelling(false) }, y))
}

/// Refuse a label with only one class: there is nothing to learn.
fn both_classes(y: &[f64]) -> std::result::Result<(), String> {
    let positives = y.iter().filter(|&&v| v == 1.0).count();
    if positives == 0 || positives == y.len() {
        let only = if positives == 0 { "negative" } else { "positive" };
        return Err(format!("every one of the {} rows is {only}; a model needs both classes", y.len()));
    }
    Ok(())
}

/// A label read as numbers (a Parquet integer column): 1 left, 0 stayed.
fn numeric_labels(frame: &Frame, column: &str, values: &[f64]) -> Result<(LabelSpec, Vec<f64>)> {
    let error = |message: String| Error::Label { path: frame.path.clone(), column: column.into(), message };
    if let Some(row) = values.iter().position(|&v| v != 0.0 && v != 1.0) {
        return Err(error(format!("line {} holds {}, not 0 or 1", frame.lines[row], values[row])));
    }
    both_classes(values).map_err(error)?;
    let spec = LabelSpec { column: column.to_string(), positive: "1".into(), negative: "0".into() };
    Ok((spec, values.to_vec()))
}

/// How one input column is encoded.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "encoding", rename_all = "snake_case")]
pub enum Encoding {
    /// The number itself.
    Numeric,
    /// One 0/1 column per level.
    OneHot { levels: Vec<String> },
    /// The share of training rows with the level (0 for a level not seen in training).
    Frequency { shares: Vec<(String, f64)> },
}

/// One input column of a model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Feature {
    pub name: String,
    #[serde(flatten)]
    pub encoding: Encoding,
}

impl Feature {
    /// The kind of file column this feature reads.
    pub fn kind(&self) -> Kind {
        match self.encoding {
            Encoding::Numeric => Kind::Numeric,
            _ => Kind::Text,
        }
    }

    /// How many matrix columns it becomes.
    pub fn width(&self) -> usize {
        match &self.encoding {
            Encoding::OneHot { levels } => levels.len(),
            _ => 1,
        }
    }
}

/// Learn the encoding of every column of `frame` except the `skip`ped ones (label, id,
/// exclusions). Returns the features and the names of columns left out as identifiers.
pub fn learn(frame: &Frame, skip: &[&str]) -> (Vec<Feature>, Vec<String>) {
    let mut features = Vec::new();
    let mut identifiers = Vec::new();
    for column in frame.columns.iter().filter(|column| !skip.contains(&column.name.as_str())) {
        let encoding = match &column.values {
            Values::Numeric(_) => Encoding::Numeric,
            Values::Text { levels, codes } => {
                let mut counts = vec![0u64; levels.len()];
                for &code in codes.iter().filter(|&&code| code != MISSING) {
                    counts[code as usize] += 1;
                }
                let present = counts.iter().filter(|&&count| count > 0).count();
                if present > MAX_ONE_HOT && present as f64 > 0.5 * frame.rows as f64 {
                    identifiers.push(column.name.clone());
                    continue;
                }
                let mut order: Vec<usize> = (0..levels.len()).filter(|&i| counts[i] > 0).collect();
                order.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(levels[a].cmp(&levels[b])));
                if present <= MAX_ONE_HOT {
                    Encoding::OneHot { levels: order.iter().map(|&i| levels[i].clone()).collect() }
                } else {
                    let rows = frame.rows as f64;
                    Encoding::Frequency {
                        shares: order.iter().map(|&i| (levels[i].clone(), counts[i] as f64 / rows)).collect(),
                    }
                }
            }
        };
        features.push(Feature { name: column.name.clone(), encoding });
    }
    (features, identifiers)
}

/// Features encoded into a column-major matrix, NaN for missing.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub data: Vec<f64>,
    pub rows: usize,
    pub cols: usize,
    /// For each matrix column, the index of the feature it came from.
    pub source: Vec<usize>,
}

impl Encoded {
    /// The matrix as forust reads it.
    pub fn matrix(&self) -> forust_ml::Matrix<'_, f64> {
        forust_ml::Matrix::new(&self.data, self.rows, self.cols)
    }

    /// Column `col`.
    pub fn column(&self, col: usize) -> &[f64] {
        &self.data[col * self.rows..(col + 1) * self.rows]
    }
}

/// The columns of a file that `features` read, with their kinds.
pub fn wanted_columns(features: &[Feature]) -> Vec<(String, Kind)> {
    features.iter().map(|feature| (feature.name.clone(), feature.kind())).collect()
}

/// Encode `frame` with `features`. The frame must hold every feature's column with the right
/// kind (as [`crate::frame::read`] guarantees when given [`wanted_columns`]).
pub fn encode(frame: &Frame, features: &[Feature]) -> Result<Encoded> {
    let rows = frame.rows;
    let cols: usize = features.iter().map(Feature::width).sum();
    let mut data = Vec::with_capacity(rows * cols);
    let mut source = Vec::with_capacity(cols);
    for (index, feature) in features.iter().enumerate() {
        let column = frame.column(&feature.name).ok_or_else(|| Error::MissingColumns {
            path: frame.path.clone(),
            columns: vec![feature.name.clone()],
        })?;
        match (&feature.encoding, &column.values) {
            (Encoding::Numeric, Values::Numeric(values)) => {
                data.extend_from_slice(values);
                source.push(index);
            }
            (Encoding::OneHot { levels: wanted }, Values::Text { levels, codes }) => {
                let position: HashMap<&str, usize> =
                    wanted.iter().enumerate().map(|(i, level)| (level.as_str(), i)).collect();
                let slot: Vec<Option<usize>> =
                    levels.iter().map(|level| position.get(level.as_str()).copied()).collect();
                let start = data.len();
                data.resize(start + rows * wanted.len(), 0.0);
                for (row, &code) in codes.iter().enumerate() {
                    if code == MISSING {
                        for level in 0..wanted.len() {
                            data[start + level * rows + row] = f64::NAN;
                        }
                    } else if let Some(level) = slot[code as usize] {
                        data[start + level * rows + row] = 1.0;
                    }
                }
                source.extend(std::iter::repeat_n(index, wanted.len()));
            }
            (Encoding::Frequency { shares }, Values::Text { levels, codes }) => {
                let share: HashMap<&str, f64> =
                    shares.iter().map(|(level, s)| (level.as_str(), *s)).collect();
                let by_code: Vec<f64> =
                    levels.iter().map(|level| share.get(level.as_str()).copied().unwrap_or(0.0)).collect();
                data.extend(
                    codes.iter().map(|&code| if code == MISSING { f64::NAN } else { by_code[code as usize] }),
                );
                source.push(index);
            }
            _ => {
                return Err(Error::input(
                    &frame.path,
                    format!("column {:?} was read with the wrong kind for the model", feature.name),
                ));
            }
        }
    }
    Ok(Encoded { data, rows, cols, source })
}

/// Check that a file's header holds every column the model reads; name the missing ones.
pub fn check_columns(path: &Path, headers: &[String], features: &[Feature]) -> Result<()> {
    let missing: Vec<String> = features
        .iter()
        .filter(|feature| !headers.contains(&feature.name))
        .map(|feature| feature.name.clone())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::MissingColumns { path: path.to_path_buf(), columns: missing })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::frame::Column;

    fn text(name: &str, values: &[&str]) -> Column {
        let mut levels: Vec<String> = Vec::new();
        let codes = values
            .iter()
            .map(|value| {
                if value.is_empty() {
                    return MISSING;
                }
                match levels.iter().position(|level| level == value) {
                    Some(code) => code as u32,
                    None => {
                        levels.push(value.to_string());
                        (levels.len() - 1) as u32
                    }
                }
            })
            .collect();
        Column { name: name.into(), values: Values::Text { levels, codes } }
    }

    fn frame(columns: Vec<Column>) -> Frame {
        let rows = match &columns[0].values {
            Values::Numeric(v) => v.len(),
            Values::Text { codes, .. } => codes.len(),
        };
        Frame { path: PathBuf::from("t.csv"), columns, rows, lines: (2..rows as u64 + 2).collect() }
    }

    #[test]
    fn label_spellings_are_understood() {
        for (yes, no) in [("Yes", "No"), ("True", "False"), ("1", "0"), (" TRUE", "false ")] {
            let f = frame(vec![text("churn", &[yes, no, no])]);
            let (spec, y) = labels(&f, "churn").unwrap();
            assert_eq!(y, vec![1.0, 0.0, 0.0]);
            assert_eq!(spec.positive, yes);
        }
    }

    #[test]
    fn a_one_class_or_unknown_label_is_refused() {
        let f = frame(vec![text("churn", &["No", "No"])]);
        assert!(labels(&f, "churn").unwrap_err().to_string().contains("every one of the 2 rows is negative"));
        let f = frame(vec![text("churn", &["Yes", "Maybe"])]);
        assert!(labels(&f, "churn").unwrap_err().to_string().contains("Maybe"));
        let f = frame(vec![text("churn", &["Yes", ""])]);
        assert!(labels(&f, "churn").unwrap_err().to_string().contains("line 3 has no value"));
        assert!(labels(&f, "gone").unwrap_err().to_string().contains("missing column \"gone\""));
    }

    #[test]
    fn text_columns_become_indicators_and_unseen_levels_are_zero() {
        let train = frame(vec![text("plan", &["a", "b", "a", ""])]);
        let (features, _) = learn(&train, &[]);
        let Encoding::OneHot { levels } = &features[0].encoding else { panic!("one-hot") };
        assert_eq!(levels, &["a", "b"]);
        let score = frame(vec![text("plan", &["b", "c", ""])]);
        let encoded = encode(&score, &features).unwrap();
        assert_eq!(encoded.column(0)[..2], [0.0, 0.0]);
        assert_eq!(encoded.column(1)[..2], [1.0, 0.0]);
        assert!(encoded.column(0)[2].is_nan());
        assert_eq!(encoded.source, vec![0, 0]);
    }

    #[test]
    fn identifiers_are_left_out() {
        let ids: Vec<String> = (0..100).map(|i| format!("id{i}")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let (features, identifiers) = learn(&frame(vec![text("customer", &refs)]), &[]);
        assert!(features.is_empty());
        assert_eq!(identifiers, vec!["customer"]);
    }
}
