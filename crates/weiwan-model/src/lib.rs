//! Churn models for weiwan: gradient-boosted trees (forust-ml) and a naive Bayes baseline,
//! trained on any tabular CSV or on the operator's customer 360 table; calibrated
//! probabilities, per-customer reasons in Chinese and English, and cross-validated quality.
//!
//! It knows nothing of the store, HTTP or the command line.

pub mod columnar;
pub mod error;
pub mod features;
pub mod frame;
pub mod metrics;
pub mod model;
pub mod naive_bayes;
pub mod reasons;
pub mod split;
pub mod workflow;

pub use error::{Error, Result};
pub use model::{Algorithm, ChurnModel, ContributionMethod, GbdtParams, TrainOptions};
pub use reasons::{Phrasebook, Reason};
pub use workflow::{
    Evaluation, OutOfFold, ScoreSummary, evaluate_csv, load_training_set, score_csv, train_csv,
};
