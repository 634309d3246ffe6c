//! Validation of whole extracts, on small hand-made files: each case is a set of files and
//! the exact problems (file, line, column, reason) the importer must report, or none.

mod customer_360;
mod groups_clubs;
mod trends;

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use weiwan_analytics::{Error, ExistingKeys, Lake, discover, fingerprint, stage_extract};
use weiwan_domain::TableId;

const BRANCHES: &str = "branch_id,name,city\nB01,城东分公司,杭州\n";
const MANAGERS: &str = "manager_id,name,branch_id,role,phone\nM01,王芳,B01,account,13900000001\n";
const PLANS: &str = "plan_id,name,monthly_fee,payment_type,network,data_mb,voice_minutes\n\
                     P96,5G畅享96元套餐,96.00,postpaid,5g,30720,500\n";
const CUSTOMERS: &str = "customer_id,kind,name,id_number,birthday,branch_id,manager_id,vip_tier,group_id,is_key_person,joined_on\n\
                         G1,group,某某科技有限公司,,,B01,M01,gold,,false,2010-01-01\n\
                         C1,individual,李雷,,1990-05-01,B01,M01,gold,G1,true,2015-03-01\n\
                         C2,individual,韩梅梅,,1992-07-11,B01,,mass,,false,2019-06-01\n";
const SUBSCRIPTIONS: &str = "subscription_id,customer_id,msisdn,plan_id,status,activated_on,contract_end,device_model,device_since,family_group_id,disconnected_on\n\
                             S1,C1,13800001234,P96,active,2015-03-01,2027-02-28,华为 Mate 60,2024-01-10,,\n\
                             S2,C2,13900004321,P96,disconnected,2019-06-01,,,,,2026-09-30\n";
const USAGE: &str = "subscription_id,month,arpu,mou,data_mb,sms,competitor_calls,recharge,balance,arrears,complaints,roaming_min\n\
                     S1,2026-09,96.00,320,20480,5,2,0,12.50,0,0,0\n\
                     S1,2026-10,101.30,300,22000,3,1,0,-3.20,0,1,0\n\
                     S2,2026-09,96.00,10,100,0,9,0,0,0,2,0\n";

fn base() -> Vec<(&'static str, String)> {
    vec![
        ("branches.csv", BRANCHES.to_owned()),
        ("managers.csv", MANAGERS.to_owned()),
        ("plans.csv", PLANS.to_owned()),
        ("customers.csv", CUSTOMERS.to_owned()),
        ("subscriptions.csv", SUBSCRIPTIONS.to_owned()),
        ("usage_monthly.csv", USAGE.to_owned()),
    ]
}

fn with(
    mut files: Vec<(&'static str, String)>,
    name: &'static str,
    content: &str,
) -> Vec<(&'static str, String)> {
    files.retain(|(n, _)| *n != name);
    files.push((name, content.to_owned()));
    files
}

fn write_extract(dir: &Path, files: &[(&str, String)]) {
    std::fs::create_dir_all(dir).expect("mkdir");
    for (name, content) in files {
        std::fs::write(dir.join(name), content).expect("write");
    }
}

/// Stages the files into a fresh lake; returns the problems as printed, one per line.
fn stage(root: &Path, files: &[(&str, String)]) -> Result<Vec<String>, Vec<String>> {
    let dir = root.join("extract");
    write_extract(&dir, files);
    let lake = Lake::new(root.join("lake"));
    let result = discover(&dir).and_then(|files| {
        let id = fingerprint(&files)?;
        stage_extract(&lake, &files, &id, ExistingKeys::default()).map(|mut staged| {
            let rows = staged.rows().iter().map(|(t, n)| format!("{t}={n}")).collect();
            lake.publish(&mut staged, "2026-11-01T00:00:00Z").expect("publish");
            rows
        })
    });
    match result {
        Ok(rows) => Ok(rows),
        Err(Error::Refused(refusal)) => {
            assert!(!root.join("lake").exists(), "a refused extract must leave no lake behind");
            Err(refusal.problems.iter().map(ToString::to_string).collect())
        }
        Err(other) => panic!("unexpected error: {other:#}"),
    }
}

fn check_refused(files: Vec<(&'static str, String)>, expected: &[&str]) {
    let root = tempfile::tempdir().expect("tempdir");
    let problems = stage(root.path(), &files).expect_err("the extract must be refused");
    assert_eq!(problems, expected);
}

#[test]
fn a_valid_extract_is_staged_and_published() {
    let root = tempfile::tempdir().expect("tempdir");
    let rows = stage(root.path(), &base()).expect("valid extract");
    assert_eq!(
        rows,
        ["branches=1", "managers=1", "plans=1", "customers=3", "subscriptions=2", "usage_monthly=3"]
    );
    let lake = Lake::new(root.path().join("lake"));
    let manifest = lake.manifest().expect("manifest");
    assert_eq!(manifest.extracts.len(), 1);
    let usage =
        manifest.extracts[0].tables.iter().find(|t| t.table == "usage_monthly").expect("usage version");
    assert_eq!(usage.period, Some(("2026-09".to_owned(), "2026-10".to_owned())));
    assert_eq!(lake.table_files(TableId::UsageMonthly).expect("files").len(), 1);
    let leftovers: Vec<_> = std::fs::read_dir(lake.root())
        .expect("lake dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".staging"))
        .collect();
    assert!(leftovers.is_empty(), "staging is removed after publishing");
}

#[test]
fn bad_values_are_located_by_file_line_and_column() {
    check_refused(
        with(
            base(),
            "customers.csv",
            &CUSTOMERS.replace(
                "C2,individual,韩梅梅,,1992-07-11,B01,,mass",
                "C2,individual,韩梅梅,,1992-07-11,B01,,platinum",
            ),
        ),
        &[
            "customers.csv, line 4, column vip_tier: \"platinum\" is not one of diamond, gold, silver, member, mass",
        ],
    );
    check_refused(
        with(base(), "usage_monthly.csv", &USAGE.replace("101.30", "101.305")),
        &[
            "usage_monthly.csv, line 3, column arpu: \"101.305\" is not an amount in yuan with at most 2 decimals",
        ],
    );
    check_refused(
        with(
            base(),
            "subscriptions.csv",
            &SUBSCRIPTIONS.replace("2019-06-01,,,,,2026-09-30", "2019-06-01,,,,,2026/09/30"),
        ),
        &["subscriptions.csv, line 3, column disconnected_on: \"2026/09/30\" is not a date YYYY-MM-DD"],
    );
    check_refused(
        with(base(), "usage_monthly.csv", &USAGE.replace("S1,2026-09,96.00,320", "S1,2026-09,96.00,")),
        &["usage_monthly.csv, line 2, column mou: value is required but empty"],
    );
}

#[test]
fn the_file_shape_is_checked_before_its_rows() {
    check_refused(
        with(base(), "plans.csv", &PLANS.replace(",network", ",net")),
        &[
            "plans.csv, column net: unknown column; plans has plan_id, name, monthly_fee, payment_type, network, data_mb, voice_minutes",
            "plans.csv, column network: required column is missing",
        ],
    );
    check_refused(
        with(
            base(),
            "usage_monthly.csv",
            &USAGE.replace("S2,2026-09,96.00,10,100,0,9,0,0,0,2,0", "S2,2026-09,96.00"),
        ),
        &["usage_monthly.csv, line 4: 3 fields where the header has 12"],
    );
    check_refused(
        with(base(), "branches.csv", "branch_id,name,city\nB01,城东,分公司,杭州\n"),
        &["branches.csv, line 2: 4 fields where the header has 3"],
    );
    let mut files = base();
    files.push(("churn_scores.csv", "x\n1\n".to_owned()));
    let root = tempfile::tempdir().expect("tempdir");
    let problems = stage(root.path(), &files).expect_err("unknown file");
    assert_eq!(problems.len(), 1);
    assert!(problems[0].starts_with("churn_scores.csv: not a file of the data model"), "{}", problems[0]);
}

#[test]
fn keys_references_and_row_rules_are_enforced() {
    check_refused(
        with(base(), "usage_monthly.csv", &format!("{USAGE}S1,2026-10,1.00,1,1,1,1,0,0,0,0,0\n")),
        &[
            "usage_monthly.csv, line 5, column subscription_id: duplicate key: subscription_id=S1, month=2026-10 appears more than once",
        ],
    );
    check_refused(
        with(base(), "usage_monthly.csv", &format!("{USAGE}S9,2026-10,1.00,1,1,1,1,0,0,0,0,0\n")),
        &[
            "usage_monthly.csv, line 5, column subscription_id: refers to S9, which is not in subscriptions (neither in this extract nor already imported)",
        ],
    );
    check_refused(
        with(base(), "subscriptions.csv", &SUBSCRIPTIONS.replace("S2,C2,13900004321", "S2,C2,13800001234")),
        &["subscriptions.csv, line 3, column msisdn: 13800001234 is not unique"],
    );
    check_refused(
        with(base(), "customers.csv", &CUSTOMERS.replace("B01,,mass,,false", "B01,,mass,C1,false")),
        &[
            "customers.csv, line 4, column group_id: refers to C1, which is not a row of customers with kind = group",
        ],
    );
    check_refused(
        with(
            base(),
            "subscriptions.csv",
            &SUBSCRIPTIONS.replace("2019-06-01,,,,,2026-09-30", "2019-06-01,,,,,"),
        ),
        &["subscriptions.csv, line 3, column disconnected_on: required when status is disconnected"],
    );
}

#[test]
fn text_that_is_not_utf8_is_refused_with_its_place() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("extract");
    write_extract(&dir, &base());
    // "城东" in GBK, as an Excel export on a Chinese Windows would write it.
    let mut gbk = b"branch_id,name,city\nB01,".to_vec();
    gbk.extend_from_slice(&[0xB3, 0xC7, 0xB6, 0xAB]);
    gbk.extend_from_slice(b",hz\n");
    std::fs::write(dir.join("branches.csv"), gbk).expect("write");
    let lake = Lake::new(root.path().join("lake"));
    let files = discover(&dir).expect("files");
    let Err(Error::Refused(refusal)) = stage_extract(&lake, &files, "x", ExistingKeys::default()) else {
        panic!("non-UTF-8 text must be refused");
    };
    assert_eq!(
        refusal.problems[0].to_string(),
        "branches.csv, line 2, column name: not UTF-8 text (convert GBK exports to UTF-8)"
    );
}

#[test]
fn history_already_published_cannot_be_delivered_again() {
    let root = tempfile::tempdir().expect("tempdir");
    stage(root.path(), &base()).expect("first extract");
    // A second extract repeating one usage row of the first (keys of the entities are known
    // from the store in real imports; here the entity files come along again).
    let second = with(
        base(),
        "usage_monthly.csv",
        &format!(
            "{}S1,2026-10,1.00,1,1,1,1,0,0,0,0,0\n",
            USAGE.lines().next().unwrap_or_default().to_owned() + "\n"
        ),
    );
    let dir = root.path().join("second");
    write_extract(&dir, &second);
    let lake = Lake::new(root.path().join("lake"));
    let files = discover(&dir).expect("files");
    let Err(Error::Refused(refusal)) = stage_extract(&lake, &files, "second", ExistingKeys::default()) else {
        panic!("repeated history must be refused");
    };
    assert_eq!(
        refusal.problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "usage_monthly.csv, line 2, column subscription_id: subscription_id=S1, month=2026-10 was already imported by an earlier extract"
        ]
    );
    assert_eq!(lake.manifest().expect("manifest").extracts.len(), 1);
    assert!(!root.path().join("lake/.staging-second").exists());
}

fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let schema = Arc::new(Schema::new(
        columns.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect::<Vec<_>>(),
    ));
    let batch =
        RecordBatch::try_new(schema.clone(), columns.into_iter().map(|(_, a)| a).collect()).expect("batch");
    let file = std::fs::File::create(path).expect("create");
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, schema, None).expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");
}

#[test]
fn parquet_files_are_held_to_the_same_rules() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("extract");
    let text = |values: &[&str]| -> ArrayRef { Arc::new(StringArray::from(values.to_vec())) };
    std::fs::create_dir_all(&dir).expect("mkdir");
    write_parquet(
        &dir.join("branches.parquet"),
        vec![
            ("branch_id", text(&["B01", "B02"])),
            ("name", text(&["城东", "城西"])),
            ("city", text(&["杭州", "杭州"])),
        ],
    );
    let lake = Lake::new(root.path().join("lake"));

    // A bad code in row 2 of a Parquet file.
    write_parquet(
        &dir.join("plans.parquet"),
        vec![
            ("plan_id", text(&["P1", "P2"])),
            ("name", text(&["a", "b"])),
            ("monthly_fee", text(&["18.00", "38.00"])),
            ("payment_type", text(&["prepaid", "credit"])),
            ("network", text(&["4g", "4g"])),
            ("data_mb", text(&["1", "2"])),
            ("voice_minutes", text(&["1", "2"])),
        ],
    );
    let files = discover(&dir).expect("files");
    let Err(Error::Refused(refusal)) = stage_extract(&lake, &files, "p", ExistingKeys::default()) else {
        panic!("bad parquet value must be refused");
    };
    assert_eq!(
        refusal.problems[0].to_string(),
        "plans.parquet, row 2, column payment_type: \"credit\" is not one of prepaid, postpaid"
    );

    // Money as a float column is refused as a whole: floats cannot hold fen exactly.
    let fee: ArrayRef = Arc::new(Float64Array::from(vec![18.0, 38.0]));
    assert_eq!(fee.data_type(), &DataType::Float64);
    write_parquet(
        &dir.join("plans.parquet"),
        vec![
            ("plan_id", text(&["P1", "P2"])),
            ("name", text(&["a", "b"])),
            ("monthly_fee", fee),
            ("payment_type", text(&["prepaid", "prepaid"])),
            ("network", text(&["4g", "4g"])),
            ("data_mb", text(&["1", "2"])),
            ("voice_minutes", text(&["1", "2"])),
        ],
    );
    let files = discover(&dir).expect("files");
    let Err(Error::Refused(refusal)) = stage_extract(&lake, &files, "p", ExistingKeys::default()) else {
        panic!("float money must be refused");
    };
    assert_eq!(
        refusal.problems[0].to_string(),
        "plans.parquet, column monthly_fee: parquet type Float64 cannot hold money, yuan, ≥ 0 values exactly"
    );
    assert!(!lake.root().exists());
}
