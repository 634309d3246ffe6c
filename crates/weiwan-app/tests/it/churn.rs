//! The churn model on the synthetic operator: trained on the lake with a time-based split, put
//! in force, and used by the daily batch to fill the 360 table and the churn list.

use std::sync::Arc;

use chrono::NaiveDate;
use weiwan_app::{FileFormat, GenerateRequest, Lake, SimConfig, Store, generate_extract, import_extract};

use super::now;

pub(crate) fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
}

/// A synthetic operator with history up to October 2026, imported into a fresh store and lake.
pub(crate) async fn operator(
    subscribers: u64,
    months: u32,
    seed: u64,
) -> (tempfile::TempDir, Arc<dyn Store>, Lake) {
    let work = tempfile::tempdir().expect("tempdir");
    let extract = work.path().join("extract");
    let request = GenerateRequest {
        config: SimConfig { subscribers, months, seed, end_month: date("2026-10-01") },
        out: extract.clone(),
        format: FileFormat::Parquet,
    };
    generate_extract(&request).expect("generate");
    let store: Arc<dyn Store> = weiwan_storage::testing::sqlite().await;
    let lake = Lake::new(work.path().join("lake"));
    import_extract(store.as_ref(), &lake, &extract, now()).await.expect("import");
    (work, store, lake)
}

#[tokio::test]
async fn a_model_trained_on_the_lake_scores_the_daily_batch() {
    let (_work, store, lake) = operator(6000, 12, 11).await;

    // Before any model: the batch runs and the churn columns are empty.
    let as_of = date("2026-11-01");
    let before = weiwan_app::run_daily_batch(store.as_ref(), &lake, as_of, now()).await.expect("batch");
    assert!(before.churn.is_none());

    let training = weiwan_app::ProgressState::new();
    let trained =
        weiwan_app::train_churn_model_with_progress(&lake, as_of, &training.sink()).await.expect("train");
    let training = training.snapshot();
    assert_eq!(training.operation, Some(weiwan_app::Operation::TrainChurnModel));
    assert!(training.finished && training.error.is_none(), "{training:?}");
    assert_eq!(
        training.stages.iter().map(|s| (s.stage, s.status)).collect::<Vec<_>>(),
        weiwan_app::Operation::TrainChurnModel
            .stages()
            .iter()
            .map(|&s| (s, weiwan_app::StageStatus::Done))
            .collect::<Vec<_>>()
    );
    assert_eq!(trained.features_as_of, "2026-08-01");
    assert_eq!(trained.labels_until, "2026-11-01");
    assert_eq!(trained.out_of_time.trained_on_features_as_of, "2026-05-01");
    assert!(trained.positives > 50, "{trained:?}");
    // The simulator's churn has drivers (falling usage, complaints, competitor contact, contract
    // ends); a model tested on a later window must find them.
    assert!(trained.out_of_time.auc > 0.75, "out-of-time AUC {}", trained.out_of_time.auc);
    assert!(trained.out_of_time.top_decile_lift > 3.0, "{:?}", trained.out_of_time);
    let model = weiwan_model::ChurnModel::load(&trained.path).expect("model file");
    assert!(model.features.iter().all(|f| f.name != "status" && f.name != "subscription_id"));
    assert_eq!(model.info.window.as_ref().expect("window")["horizon_months"], 3);

    // The console's model page reads the model in force with its out-of-time curves.
    let quality = weiwan_app::dashboards::model_quality(&lake).await.expect("read").expect("in force");
    assert_eq!(quality.file, "churn-2026-11-01.json");
    assert_eq!((quality.features_as_of.as_str(), quality.rows), ("2026-08-01", trained.rows));
    let (oot, trained_oot) = (&quality.out_of_time, &trained.out_of_time);
    assert_eq!((oot.test_rows, oot.test_positives), (trained_oot.test_rows, trained_oot.test_positives));
    assert!((oot.auc - trained_oot.auc).abs() < 1e-12);
    let roc = &oot.roc;
    assert!((50..=weiwan_app::churn::ROC_POINTS).contains(&roc.len()), "{} points", roc.len());
    let (first, last) = (roc[0], roc[roc.len() - 1]);
    assert_eq!((first.fpr, first.tpr, last.fpr, last.tpr), (0.0, 0.0, 1.0, 1.0));
    // Thinning cuts the curve's corners a little: its area stays close to the AUC.
    let area: f64 = roc.windows(2).map(|w| (w[1].fpr - w[0].fpr) * (w[1].tpr + w[0].tpr) / 2.0).sum();
    assert!((area - oot.auc).abs() < 0.01, "area {area} against AUC {}", oot.auc);
    let lift = &oot.lift;
    assert_eq!(lift.iter().map(|d| d.count).sum::<usize>(), oot.test_rows);
    assert_eq!(lift.iter().map(|d| d.positives).sum::<usize>(), oot.test_positives);
    assert_eq!((lift[0].decile, lift[lift.len() - 1].cumulative_gain), (1, 1.0));
    assert!(lift[0].lift > 3.0 && lift[0].rate > lift[lift.len() - 1].rate, "{lift:?}");
    assert_eq!(oot.reliability.iter().map(|b| b.count).sum::<usize>(), oot.test_rows);

    let scoring = weiwan_app::ProgressState::new();
    let after =
        weiwan_app::run_daily_batch_with_progress(store.as_ref(), &lake, as_of, now(), &scoring.sink())
            .await
            .expect("batch");
    let churn = after.churn.expect("scored");
    assert_eq!(churn.rows as u64, after.customer_360.rows);
    // The scoring stage counted every line it scored.
    let scoring = scoring.snapshot();
    let scores = scoring.stages.iter().find(|s| s.stage == weiwan_app::Stage::ChurnScores).expect("stage");
    assert_eq!((scores.done, scores.total), (churn.rows as u64, Some(churn.rows as u64)));
    assert!(churn.mean_probability > 0.005 && churn.mean_probability < 0.3, "{churn:?}");

    // The churn list: the riskiest tenth, each line with its probability and reasons.
    let list = after.segments.iter().find(|run| run.name == "churn_risk_3m").expect("churn list ran");
    let (rows, path) = list.outcome.as_ref().expect("churn list written");
    let tenth = after.customer_360.rows / 10;
    assert!((tenth..=tenth + 1).contains(rows), "{rows} of {}", after.customer_360.rows);
    let mut reader = csv::Reader::from_path(path).expect("list");
    let headers = reader.headers().expect("header").clone();
    let reasons = headers.iter().position(|h| h == "churn_reasons_zh").expect("reasons column");
    let probability = headers.iter().position(|h| h == "churn_probability").expect("probability column");
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert!(records.iter().all(|r| !r[reasons].is_empty()), "every listed line has a reason");
    let p: Vec<f64> = records.iter().map(|r| r[probability].parse().expect("number")).collect();
    assert!(p.iter().sum::<f64>() / p.len() as f64 > 2.0 * churn.mean_probability);
}

#[tokio::test]
async fn training_needs_history_with_departures() {
    let (_work, _store, lake) = operator(300, 3, 3).await;
    // Six months before 2026-08-01 is before the history starts: no one left in that window.
    let refused = weiwan_app::train_churn_model(&lake, date("2026-08-01")).await.expect_err("refused");
    assert!(refused.to_string().contains("cannot be used"), "{refused}");
    assert!(!lake.root().join("models/churn/CURRENT").exists(), "nothing put in force");
}
