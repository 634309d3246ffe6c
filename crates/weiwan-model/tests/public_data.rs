//! The churn model on real public data (the BigML/MLC++ split in testdata/public/bigml): what
//! an analyst would check before trusting it.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use weiwan_model::frame::{self, Kind};
use weiwan_model::{Algorithm, ChurnModel, ContributionMethod, TrainOptions, metrics};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/public/bigml").join(name)
}

fn labels_of(path: &Path) -> Vec<f64> {
    let frame = frame::read(path, &[("Churn".to_string(), Kind::Text)]).unwrap();
    weiwan_model::features::labels(&frame, "Churn").unwrap().1
}

#[test]
fn trees_rank_held_out_customers_well_and_probabilities_are_calibrated() {
    let train = data("churn-bigml-80.derived.csv");
    let test = data("churn-bigml-20.csv");
    let model = weiwan_model::train_csv(&train, &TrainOptions::new("Churn")).unwrap();
    assert_eq!(model.algorithm, Algorithm::Gbdt);
    assert_eq!(model.features.len(), 19, "every column but the label is a feature");

    let columns = model.scoring_columns(&frame::headers(&test).unwrap());
    let held_out = frame::read(&test, &columns).unwrap();
    let p = model.predict(&held_out).unwrap();
    let y = labels_of(&test);
    let auc = metrics::auc(&y, &p);
    assert!(auc > 0.88, "held-out AUC {auc}");
    assert!(metrics::top_decile_lift(&y, &p) > 4.0);
    // Calibrated: the mean probability is close to the churn rate of the held-out file.
    let mean = p.iter().sum::<f64>() / p.len() as f64;
    let rate = y.iter().sum::<f64>() / y.len() as f64;
    assert!((mean - rate).abs() < 0.03, "mean probability {mean} against churn rate {rate}");

    // The saved model scores the same.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("model.json");
    model.save(&file).unwrap();
    let loaded = ChurnModel::load(&file).unwrap();
    assert_eq!(loaded.predict(&held_out).unwrap(), p);

    // A report reads what the file says about the model without building its trees.
    let info = ChurnModel::read_info(&file).unwrap();
    assert_eq!(
        (info.rows, info.positives, info.trees, info.validation_auc),
        (model.info.rows, model.info.positives, model.info.trees, model.info.validation_auc)
    );
    std::fs::write(&file, r#"{"format": 2, "info": {}}"#).unwrap();
    let refused = ChurnModel::read_info(&file).unwrap_err().to_string();
    assert!(refused.contains("format Some(2), this weiwan reads format 1"), "{refused}");
}

#[test]
fn reasons_name_what_drives_the_riskiest_customers() {
    let model =
        weiwan_model::train_csv(&data("churn-bigml-80.derived.csv"), &TrainOptions::new("Churn")).unwrap();
    let test = data("churn-bigml-20.csv");
    let out = tempfile::tempdir().unwrap().keep().join("scores.csv");
    let summary = weiwan_model::score_csv(&model, &test, &out, 3, ContributionMethod::Shapley).unwrap();
    assert_eq!(summary.rows, 667);
    assert!((66..=68).contains(&summary.top_decile_rows), "{}", summary.top_decile_rows);
    let mut reader = csv::Reader::from_path(&out).unwrap();
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["id", "probability", "decile", "reasons_en", "reasons_zh"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 667);
    // The known drivers of this data set: many service calls, day minutes, the international plan.
    let top: Vec<&csv::StringRecord> = rows.iter().filter(|r| &r[2] == "1").collect();
    let drivers = ["Customer service calls", "Total day", "International plan", "Voice mail plan"];
    let explained = top.iter().filter(|r| drivers.iter().any(|d| r[3].contains(d))).count();
    assert!(
        explained * 10 >= top.len() * 9,
        "{explained} of {} top-decile rows name a known driver",
        top.len()
    );
    // Each phrase carries the customer's own value, in both languages.
    let first = top[0];
    assert!(first[3].contains(" is ") && first[4].contains('为'), "{first:?}");
}

#[test]
fn cross_validation_reports_every_measure_and_the_baseline_trails() {
    let path = data("churn-bigml-80.derived.csv");
    let (gbdt, oof) = weiwan_model::evaluate_csv(&path, &TrainOptions::new("Churn"), 4, 7).unwrap();
    assert_eq!((gbdt.rows, gbdt.positives, gbdt.folds), (2666, 388, 4));
    assert!(gbdt.auc > 0.88, "{gbdt:?}");
    assert_eq!(gbdt.auc_by_fold.len(), 4);
    assert!(oof.iter().all(|o| o.probability.is_finite() && o.fold < 4));
    assert!(gbdt.pr_auc > 0.6 && gbdt.top_decile_lift > 4.0 && gbdt.brier < 0.08, "{gbdt:?}");
    assert_eq!(gbdt.reliability.iter().map(|b| b.count).sum::<usize>(), 2666);

    let mut options = TrainOptions::new("Churn");
    options.algorithm = Algorithm::NaiveBayes;
    let (bayes, _) = weiwan_model::evaluate_csv(&path, &options, 4, 7).unwrap();
    assert!(bayes.auc > 0.75, "naive Bayes AUC {}", bayes.auc);
    assert!(bayes.auc < gbdt.auc, "the baseline {} should trail the trees {}", bayes.auc, gbdt.auc);
}
