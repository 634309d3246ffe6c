//! The import use case end to end, on SQLite and on PostgreSQL: a synthetic extract is
//! generated, imported, imported again, and a broken copy of it is refused without a trace.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use sha2::{Digest, Sha256};
use weiwan_app::{
    Error, FileFormat, GenerateRequest, Lake, SimConfig, Store, generate_extract, import_extract,
};
use weiwan_domain::{TableId, TableRole};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).single().expect("valid time")
}

fn generate(dir: &Path, subscribers: u64, format: FileFormat) {
    let request = GenerateRequest {
        config: SimConfig {
            subscribers,
            months: 6,
            seed: 7,
            end_month: NaiveDate::from_ymd_opt(2026, 10, 1).expect("valid month"),
        },
        out: dir.to_owned(),
        format,
    };
    generate_extract(&request).expect("generate");
}

/// Every file under a directory with a digest of its content: equal trees, equal maps.
fn tree(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    if !root.exists() {
        return out;
    }
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path.clone());
                out.insert(path.strip_prefix(root).expect("prefix").to_owned(), "dir".to_owned());
            } else {
                let digest = hex::encode(Sha256::digest(std::fs::read(&path).expect("read")));
                out.insert(path.strip_prefix(root).expect("prefix").to_owned(), digest);
            }
        }
    }
    out
}

/// Everything the store holds, for before/after comparisons.
async fn store_content(store: &dyn Store) -> Vec<(TableId, Vec<Vec<weiwan_domain::Value>>)> {
    let mut out = Vec::new();
    for table in TableId::ALL.into_iter().filter(|t| t.table().role == TableRole::Entity) {
        out.push((table, store.dump_table(table).await.expect("dump")));
    }
    out
}

/// Rewrites one field of one data line (1-based, header = line 1) of a CSV file.
fn edit_csv(path: &Path, line: usize, column: &str, value: &str) {
    let mut reader = csv::Reader::from_path(path).expect("open csv");
    let header = reader.headers().expect("header").clone();
    let index = header.iter().position(|h| h == column).expect("column exists");
    let mut records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("record")).collect();
    let record = &mut records[line - 2];
    let mut fields: Vec<String> = record.iter().map(str::to_owned).collect();
    fields[index] = value.to_owned();
    *record = csv::StringRecord::from(fields);
    let mut writer = csv::Writer::from_path(path).expect("create csv");
    writer.write_record(&header).expect("header");
    for record in &records {
        writer.write_record(record).expect("record");
    }
    writer.flush().expect("flush");
}

async fn a_generated_extract_imports_once(store: Arc<dyn Store>) {
    let work = tempfile::tempdir().expect("tempdir");
    let extract = work.path().join("extract");
    generate(&extract, 400, FileFormat::Parquet);
    let lake = Lake::new(work.path().join("lake"));

    let first = import_extract(store.as_ref(), &lake, &extract, now()).await.expect("import");
    assert!(!first.already_imported);
    assert_eq!(first.rows[&TableId::Subscriptions], 400);
    let summary = store.summary().await.expect("summary");
    assert_eq!(summary.subscriptions, 400);
    assert_eq!(summary.customers as u64, first.rows[&TableId::Customers]);
    assert_eq!(summary.imports, 1);
    let usage_files = lake.table_files(TableId::UsageMonthly).expect("files");
    assert_eq!(usage_files.len(), 1);

    let content = store_content(store.as_ref()).await;
    let files = tree(lake.root());
    let second = import_extract(store.as_ref(), &lake, &extract, now()).await.expect("import again");
    assert!(second.already_imported);
    assert_eq!(second.extract_id, first.extract_id);
    assert_eq!(
        store_content(store.as_ref()).await,
        content,
        "a repeated import changes nothing in the store"
    );
    assert_eq!(tree(lake.root()), files, "a repeated import changes nothing in the data directory");
    assert_eq!(store.summary().await.expect("summary").imports, 1);
}

async fn one_bad_value_refuses_the_whole_extract(store: Arc<dyn Store>) {
    let work = tempfile::tempdir().expect("tempdir");
    let good = work.path().join("good");
    generate(&good, 300, FileFormat::Csv);
    let lake = Lake::new(work.path().join("lake"));
    import_extract(store.as_ref(), &lake, &good, now()).await.expect("good import");
    let content = store_content(store.as_ref()).await;
    let files = tree(lake.root());

    // The next extract renames a customer (valid, and it would be stored) but has one bad
    // status in subscriptions.csv: nothing of it may land, the rename included.
    let bad = work.path().join("bad");
    std::fs::create_dir_all(&bad).expect("mkdir");
    for table in ["branches", "managers", "plans", "customers", "subscriptions"] {
        std::fs::copy(good.join(format!("{table}.csv")), bad.join(format!("{table}.csv"))).expect("copy");
    }
    edit_csv(&bad.join("customers.csv"), 3, "name", "改名客户");
    edit_csv(&bad.join("subscriptions.csv"), 7, "status", "gone");

    let err = import_extract(store.as_ref(), &lake, &bad, now()).await.expect_err("must be refused");
    let Error::Refused(refusal) = err else { panic!("expected a refusal, got {err:#}") };
    assert_eq!(refusal.problems.len(), 1, "{refusal}");
    assert_eq!(
        refusal.problems[0].to_string(),
        "subscriptions.csv, line 7, column status: \"gone\" is not one of active, suspended, \
         arrears_suspended, number_keep, pre_disconnect, disconnected"
    );
    assert_eq!(store_content(store.as_ref()).await, content, "the store is unchanged");
    assert_eq!(tree(lake.root()), files, "the data directory is unchanged");
    assert_eq!(store.summary().await.expect("summary").imports, 1);
}

async fn a_refused_first_import_leaves_no_data_directory(store: Arc<dyn Store>) {
    let work = tempfile::tempdir().expect("tempdir");
    let extract = work.path().join("extract");
    generate(&extract, 200, FileFormat::Csv);
    edit_csv(&extract.join("usage_monthly.csv"), 50, "arpu", "12,5");
    let lake = Lake::new(work.path().join("lake"));
    let Err(Error::Refused(refusal)) = import_extract(store.as_ref(), &lake, &extract, now()).await else {
        panic!("must be refused");
    };
    assert_eq!(
        refusal.problems[0].to_string(),
        "usage_monthly.csv, line 50, column arpu: \"12,5\" is not an amount in yuan with at most 2 decimals"
    );
    assert!(!lake.root().exists(), "no data directory was created");
    assert_eq!(store.summary().await.expect("summary"), weiwan_app::Summary::default());
}

/// An import recorded in the store but missing from the lake (say, the wrong --data-dir, or a
/// crash before the manifest swap) stops the batch with a message saying what to do.
async fn the_batch_refuses_a_lake_that_lags_the_store(store: Arc<dyn Store>) {
    let work = tempfile::tempdir().expect("tempdir");
    let extract = work.path().join("extract");
    generate(&extract, 100, FileFormat::Parquet);
    let lake = Lake::new(work.path().join("lake"));
    let outcome = import_extract(store.as_ref(), &lake, &extract, now()).await.expect("import");
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
    let batch = weiwan_app::run_daily_batch(store.as_ref(), &lake, as_of, now()).await.expect("batch");
    assert!(batch.customer_360.rows > 0 && batch.customer_360.rows <= 100);

    let other_lake = Lake::new(work.path().join("elsewhere"));
    let err = weiwan_app::run_daily_batch(store.as_ref(), &other_lake, as_of, now())
        .await
        .expect_err("must refuse");
    let message = err.to_string();
    assert!(message.contains(&format!("extract {}", outcome.extract_id)), "{message}");
    assert!(message.contains("not published in the data directory"), "{message}");
    assert!(!other_lake.root().join("customer_360").exists());
}

/// A store and a data directory that do not belong together are refused before anything is
/// written, instead of reporting every history row as already imported.
async fn a_store_and_lake_that_do_not_belong_together_are_refused(store: Arc<dyn Store>) {
    let work = tempfile::tempdir().expect("tempdir");
    let extract = work.path().join("extract");
    generate(&extract, 50, FileFormat::Csv);
    let lake = Lake::new(work.path().join("lake"));
    let first_store = weiwan_storage::testing::sqlite().await;
    import_extract(first_store.as_ref(), &lake, &extract, now()).await.expect("import into the first store");
    let files = tree(lake.root());

    let err = import_extract(store.as_ref(), &lake, &extract, now()).await.expect_err("must refuse");
    assert!(err.to_string().contains("do not belong together"), "{err}");
    assert_eq!(store.summary().await.expect("summary"), weiwan_app::Summary::default());
    assert_eq!(tree(lake.root()), files);
}

macro_rules! on_both_stores {
    ($($test:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(weiwan_storage::testing::sqlite().await).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    if let Some(store) = weiwan_storage::testing::postgres(concat!("app_", stringify!($test))).await {
                        super::$test(store).await;
                    }
                }
            )+
        }
    };
}

mod alerts;
mod appraisal;
mod campaigns;
mod cases;
mod churn;
mod churn_kinds;
mod dashboards;
mod dispatch;
mod groups_clubs;
mod kpis;
mod policy;
mod progress;
mod questionnaires;

on_both_stores!(
    a_generated_extract_imports_once,
    one_bad_value_refuses_the_whole_extract,
    a_refused_first_import_leaves_no_data_directory,
    the_batch_refuses_a_lake_that_lags_the_store,
    a_store_and_lake_that_do_not_belong_together_are_refused,
);

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let work = tempfile::tempdir().expect("tempdir");
    for format in [FileFormat::Parquet, FileFormat::Csv] {
        let a = work.path().join(format!("a-{}", format.extension()));
        let b = work.path().join(format!("b-{}", format.extension()));
        generate(&a, 150, format);
        generate(&b, 150, format);
        let (tree_a, tree_b) = (tree(&a), tree(&b));
        assert_eq!(tree_a.len(), 10, "one file per table");
        assert_eq!(tree_a, tree_b, "{format:?}");
    }
}
