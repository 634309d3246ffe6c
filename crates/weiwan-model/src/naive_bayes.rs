//! The naive Bayes baseline the source documents describe: every feature cut into bins
//! (quantile bins for numbers, levels for text, one bin for missing), class-conditional bin
//! frequencies with Laplace smoothing, and the class with the larger prior × likelihood wins.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::features::{Encoding, Feature};
use crate::frame::{Frame, MISSING, Values};

/// Numeric features are cut into at most this many quantile bins.
const BINS: usize = 10;

/// How a feature's values fall into bins. The last bin holds missing values (and, for text,
/// levels not seen in training).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Binning {
    /// Bin `i` holds values `< edges[i]` (and ≥ the previous edge); values ≥ the last edge go
    /// to bin `edges.len()`.
    Numeric { edges: Vec<f64> },
    /// One bin per level.
    Text { levels: Vec<String> },
}

impl Binning {
    fn bins(&self) -> usize {
        match self {
            Binning::Numeric { edges } => edges.len() + 2,
            Binning::Text { levels } => levels.len() + 1,
        }
    }
}

/// One feature's smoothed class-conditional log-probabilities, `[stayed, left]` per bin.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BinnedFeature {
    pub name: String,
    pub binning: Binning,
    pub log_likelihood: Vec<[f64; 2]>,
}

/// A fitted naive Bayes classifier.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NaiveBayes {
    /// ln P(stayed), ln P(left).
    pub log_prior: [f64; 2],
    pub features: Vec<BinnedFeature>,
}

/// The bin of every row of `frame` for one feature.
fn assign(frame: &Frame, name: &str, binning: &Binning) -> Vec<usize> {
    let missing = binning.bins() - 1;
    match (frame.column(name).map(|column| &column.values), binning) {
        (Some(Values::Numeric(values)), Binning::Numeric { edges }) => values
            .iter()
            .map(|&value| if value.is_nan() { missing } else { edges.partition_point(|&edge| edge <= value) })
            .collect(),
        (Some(Values::Text { levels, codes }), Binning::Text { levels: known }) => {
            let map: Vec<usize> =
                levels.iter().map(|level| known.iter().position(|k| k == level).unwrap_or(missing)).collect();
            codes.iter().map(|&code| if code == MISSING { missing } else { map[code as usize] }).collect()
        }
        _ => vec![missing; frame.rows],
    }
}

fn quantile_edges(values: &[f64]) -> Vec<f64> {
    let mut present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    present.sort_by(f64::total_cmp);
    let mut edges: Vec<f64> = (1..BINS)
        .filter_map(|i| present.get(i * present.len() / BINS).copied())
        .filter(|&edge| present.first().is_some_and(|&first| edge > first))
        .collect();
    edges.dedup();
    edges
}

impl NaiveBayes {
    /// Fit on `frame` with labels `y` (1 = left) over `features`.
    pub fn fit(frame: &Frame, y: &[f64], features: &[Feature]) -> Result<NaiveBayes> {
        let counts =
            [y.iter().filter(|&&v| v == 0.0).count() as f64, y.iter().filter(|&&v| v == 1.0).count() as f64];
        let total = counts[0] + counts[1];
        let mut binned = Vec::with_capacity(features.len());
        for feature in features {
            let binning = match (&feature.encoding, frame.column(&feature.name).map(|c| &c.values)) {
                (Encoding::Numeric, Some(Values::Numeric(values))) => {
                    Binning::Numeric { edges: quantile_edges(values) }
                }
                (Encoding::OneHot { levels }, _) => Binning::Text { levels: levels.clone() },
                (Encoding::Frequency { shares }, _) => {
                    Binning::Text { levels: shares.iter().map(|(level, _)| level.clone()).collect() }
                }
                _ => Binning::Text { levels: Vec::new() },
            };
            let bins = binning.bins();
            let mut tally = vec![[0.0f64; 2]; bins];
            for (bin, &label) in assign(frame, &feature.name, &binning).into_iter().zip(y) {
                tally[bin][label as usize] += 1.0;
            }
            // Laplace smoothing: one pseudo-count per bin and class.
            let log_likelihood = tally
                .iter()
                .map(|[stayed, left]| {
                    [
                        ((stayed + 1.0) / (counts[0] + bins as f64)).ln(),
                        ((left + 1.0) / (counts[1] + bins as f64)).ln(),
                    ]
                })
                .collect();
            binned.push(BinnedFeature { name: feature.name.clone(), binning, log_likelihood });
        }
        Ok(NaiveBayes { log_prior: [(counts[0] / total).ln(), (counts[1] / total).ln()], features: binned })
    }

    /// Per row and feature, ln P(value | left) − ln P(value | stayed): how much the feature
    /// pushes the row towards leaving.
    pub fn contributions(&self, frame: &Frame) -> Vec<Vec<f64>> {
        let mut rows = vec![Vec::with_capacity(self.features.len()); frame.rows];
        for feature in &self.features {
            for (row, bin) in assign(frame, &feature.name, &feature.binning).into_iter().enumerate() {
                let [stayed, left] = feature.log_likelihood[bin];
                rows[row].push(left - stayed);
            }
        }
        rows
    }

    /// Log posterior odds of leaving for every row.
    pub fn log_odds(&self, frame: &Frame) -> Vec<f64> {
        let prior = self.log_prior[1] - self.log_prior[0];
        self.contributions(frame).into_iter().map(|row| prior + row.iter().sum::<f64>()).collect()
    }

    /// Prior × likelihood for each class, unnormalised, as in the textbook example.
    pub fn joint(&self, bins: &[usize]) -> [f64; 2] {
        let mut joint = self.log_prior;
        for (feature, &bin) in self.features.iter().zip(bins) {
            joint[0] += feature.log_likelihood[bin][0];
            joint[1] += feature.log_likelihood[bin][1];
        }
        [joint[0].exp(), joint[1].exp()]
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::frame::Column;

    /// The source documents' example: will a customer with income 180–230k stay 30 months or
    /// more? Priors 0.6 (≥ 30) and 0.4 (< 30); P(income | ≥ 30) = 0.0924, P(income | < 30) =
    /// 0.0117; the products 0.05544 and 0.00468 class the customer as staying ≥ 30 months.
    /// Here "left" plays "< 30 months".
    #[test]
    fn the_worked_example_from_the_source_documents() {
        let model = NaiveBayes {
            log_prior: [0.6f64.ln(), 0.4f64.ln()],
            features: vec![BinnedFeature {
                name: "income".into(),
                binning: Binning::Text { levels: vec!["180-230k".into()] },
                log_likelihood: vec![[0.0924f64.ln(), 0.0117f64.ln()], [0.5f64.ln(), 0.5f64.ln()]],
            }],
        };
        let [stays, leaves] = model.joint(&[0]);
        assert!((stays - 0.05544).abs() < 1e-9, "{stays}");
        assert!((leaves - 0.00468).abs() < 1e-9, "{leaves}");
        assert!(stays > leaves);
    }

    #[test]
    fn laplace_smoothing_gives_unseen_bins_a_small_share() {
        // 4 stayers all on plan "a", 2 leavers on "b"; bins: a, b, missing/unseen.
        let frame = Frame {
            path: PathBuf::from("t.csv"),
            columns: vec![Column {
                name: "plan".into(),
                values: Values::Text { levels: vec!["a".into(), "b".into()], codes: vec![0, 0, 0, 0, 1, 1] },
            }],
            rows: 6,
            lines: (2..8).collect(),
        };
        let y = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0];
        let feature = Feature {
            name: "plan".into(),
            encoding: Encoding::OneHot { levels: vec!["a".into(), "b".into()] },
        };
        let model = NaiveBayes::fit(&frame, &y, &[feature]).unwrap();
        let likelihood = |bin: usize, class: usize| model.features[0].log_likelihood[bin][class].exp();
        assert!((likelihood(0, 0) - 5.0 / 7.0).abs() < 1e-12);
        assert!((likelihood(1, 0) - 1.0 / 7.0).abs() < 1e-12);
        assert!((likelihood(2, 1) - 1.0 / 5.0).abs() < 1e-12);
        let odds = model.log_odds(&frame);
        assert!(odds[4] > 0.0 && odds[0] < 0.0);
    }
}
