//! The group rule and club attendance in the daily batch, on a hand-made group whose answers
//! are worked out here: a key person's risk raises the members' risk (docs/groups.md), and club
//! membership and attendance reach the 360 table and the tags (docs/clubs.md).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use chrono::NaiveDate;
use weiwan_analytics::churn::churn_scores_path;
use weiwan_analytics::members::{group_line_risks, points_balance};
use weiwan_analytics::{
    ClubAttendanceRow, ClubMembershipRow, ExistingKeys, KeyPersonRow, Lake, StoreSnapshot,
    build_customer_360, discover, evaluate_tags, fingerprint, stage_extract, write_store_snapshot,
};

/// Group G1 with two key persons (K1, K2) and a member (M1); X1 outside any group.
fn extract() -> Vec<(&'static str, String)> {
    vec![
        ("branches.csv", "branch_id,name,city\nB01,城东分公司,杭州\n".into()),
        ("managers.csv", "manager_id,name,branch_id,role,phone\nM01,王芳,B01,account,13900000001\n".into()),
        (
            "plans.csv",
            "plan_id,name,monthly_fee,payment_type,network,data_mb,voice_minutes\n\
             P96,5G畅享96元套餐,96.00,postpaid,5g,30720,500\n"
                .into(),
        ),
        (
            "customers.csv",
            "customer_id,kind,name,id_number,birthday,branch_id,manager_id,vip_tier,group_id,is_key_person,joined_on\n\
             G1,group,某某科技有限公司,,,B01,M01,gold,,false,2010-01-01\n\
             K1,individual,张总,,1970-01-01,B01,M01,gold,G1,true,2012-01-01\n\
             K2,individual,李经理,,1980-01-01,B01,M01,silver,G1,true,2013-01-01\n\
             M1,individual,王工,,1990-01-01,B01,M01,member,G1,false,2014-01-01\n\
             X1,individual,赵女士,,1985-01-01,B01,M01,diamond,,false,2011-01-01\n"
                .into(),
        ),
        (
            "subscriptions.csv",
            "subscription_id,customer_id,msisdn,plan_id,status,activated_on,contract_end,device_model,device_since,family_group_id,disconnected_on\n\
             SK1,K1,13800000001,P96,active,2015-01-01,,,,,\n\
             SK2,K2,13800000002,P96,active,2015-01-01,,,,,\n\
             SM1,M1,13800000003,P96,active,2015-01-01,,,,,\n\
             SX1,X1,13800000004,P96,active,2015-01-01,,,,,\n"
                .into(),
        ),
        (
            "points_ledger.csv",
            "entry_id,customer_id,occurred_on,kind,points,expires_on\n\
             J1,X1,2026-01-31,earn,1000,2027-12-31\n\
             J2,X1,2026-06-30,redeem,200,\n\
             J3,X1,2026-07-31,expire,100,\n"
                .into(),
        ),
    ]
}

fn import(lake: &Lake, dir: &Path) {
    std::fs::create_dir_all(dir).expect("mkdir");
    for (name, content) in extract() {
        std::fs::write(dir.join(name), content).expect("write");
    }
    let files = discover(dir).expect("files");
    let id = fingerprint(&files).expect("fingerprint");
    let mut staged = stage_extract(lake, &files, &id, ExistingKeys::default()).expect("valid extract");
    lake.publish(&mut staged, "2026-11-01T00:00:00Z").expect("publish");
}

/// The model's own probabilities: K1 0.5, K2 0.4, M1 0.2, X1 0.1.
fn write_scores(path: &Path) {
    std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
    let text = |v: &[&str]| -> ArrayRef { Arc::new(StringArray::from(v.to_vec())) };
    let schema = Arc::new(Schema::new(vec![
        Field::new("subscription_id", DataType::Utf8, false),
        Field::new("churn_probability", DataType::Float64, false),
        Field::new("churn_reasons_en", DataType::Utf8, false),
        Field::new("churn_reasons_zh", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            text(&["SK1", "SK2", "SM1", "SX1"]),
            Arc::new(Float64Array::from(vec![0.5, 0.4, 0.2, 0.1])),
            text(&["", "", "", ""]),
            text(&["", "", "", ""]),
        ],
    )
    .expect("batch");
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(path).expect("create"), schema, None)
            .expect("w");
    writer.write(&batch).expect("write");
    writer.close().expect("close");
}

fn read(path: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let file = std::fs::File::open(path).expect("file");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader");
    let mut out = BTreeMap::new();
    for batch in reader {
        let batch = batch.expect("batch");
        let options = FormatOptions::default().with_null("NULL");
        for row in 0..batch.num_rows() {
            let mut values = BTreeMap::new();
            for (field, array) in batch.schema().fields().iter().zip(batch.columns()) {
                let formatter = ArrayFormatter::try_new(array.as_ref(), &options).expect("formatter");
                values.insert(field.name().clone(), formatter.value(row).to_string());
            }
            out.insert(values["subscription_id"].clone(), values);
        }
    }
    out
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn close(actual: Option<f64>, expected: f64, what: &str) {
    let actual = actual.unwrap_or_else(|| panic!("{what}: no value"));
    assert!((actual - expected).abs() < 1e-9, "{what}: {actual} != {expected}");
}

#[tokio::test]
async fn a_key_persons_risk_raises_the_members_risk_in_the_batch() {
    let work = tempfile::tempdir().expect("tempdir");
    let lake = Lake::new(work.path().join("lake"));
    import(&lake, &work.path().join("extract"));
    let as_of = day(2026, 11, 1);
    let snapshot = StoreSnapshot {
        memberships: vec![
            ClubMembershipRow {
                customer_id: "X1".into(),
                club_id: "golf".into(),
                joined_on: day(2026, 9, 1),
                left_on: None,
            },
            // Joins after the as-of date: not yet a member.
            ClubMembershipRow {
                customer_id: "M1".into(),
                club_id: "golf".into(),
                joined_on: day(2026, 12, 1),
                left_on: None,
            },
            // Left before the as-of date.
            ClubMembershipRow {
                customer_id: "K1".into(),
                club_id: "golf".into(),
                joined_on: day(2026, 1, 1),
                left_on: Some(day(2026, 10, 15)),
            },
        ],
        attendance: vec![
            // Within the 90 days before 2026-11-01 (from 2026-08-03).
            ClubAttendanceRow {
                customer_id: "X1".into(),
                club_id: "golf".into(),
                event_id: 1,
                held_on: day(2026, 10, 10),
            },
            // Before them, and after the as-of date: neither counts.
            ClubAttendanceRow {
                customer_id: "X1".into(),
                club_id: "golf".into(),
                event_id: 2,
                held_on: day(2026, 7, 1),
            },
            ClubAttendanceRow {
                customer_id: "M1".into(),
                club_id: "golf".into(),
                event_id: 3,
                held_on: day(2026, 11, 5),
            },
        ],
        key_persons: vec![
            KeyPersonRow {
                customer_id: "K1".into(),
                group_id: "G1".into(),
                role: "decision_maker".into(),
                influence: 0.6,
            },
            KeyPersonRow {
                customer_id: "K2".into(),
                group_id: "G1".into(),
                role: "influencer".into(),
                influence: 0.3,
            },
        ],
    };
    write_store_snapshot(&lake, &snapshot).expect("snapshot");
    let table = build_customer_360(&lake, as_of).await.expect("360");
    let base = read(&table.path);
    let club =
        |line: &str| (base[line]["club_member"].as_str(), base[line]["club_events_attended_90d"].as_str());
    assert_eq!(club("SX1"), ("true", "1"));
    assert_eq!(club("SM1"), ("false", "0"));
    assert_eq!(club("SK1"), ("false", "0"));

    write_scores(&churn_scores_path(&lake, as_of));
    let tags = evaluate_tags(&lake, as_of).await.expect("tags");
    let tagged = read(&tags.path);
    let number = |line: &str, column: &str| tagged[line][column].parse::<f64>().ok();
    // M1: 1 − (1 − 0.2)(1 − 0.6 × 0.5)(1 − 0.3 × 0.4) = 1 − 0.8 × 0.7 × 0.88 = 0.5072;
    // the raise alone: 1 − 0.7 × 0.88 = 0.384.
    close(number("SM1", "churn_probability"), 0.5072, "SM1 adjusted");
    close(number("SM1", "churn_probability_model"), 0.2, "SM1 model");
    close(number("SM1", "key_person_risk"), 0.384, "SM1 raise");
    // K1 is raised by K2 only: 1 − 0.5 × 0.88 = 0.56. K2 by K1 only: 1 − 0.6 × 0.7 = 0.58.
    close(number("SK1", "churn_probability"), 0.56, "SK1 adjusted");
    close(number("SK2", "churn_probability"), 0.58, "SK2 adjusted");
    // X1 belongs to no group: unchanged.
    close(number("SX1", "churn_probability"), 0.1, "SX1 adjusted");
    close(number("SX1", "key_person_risk"), 0.0, "SX1 raise");
    // The same formula in weiwan-decision gives the same numbers.
    close(Some(weiwan_decision_formula(0.2, &[(0.6, 0.5), (0.3, 0.4)])), 0.5072, "formula");
    // Deciles rank the adjusted risk: K2 (0.58) is the riskiest line.
    assert_eq!(tagged["SK2"]["churn_decile"], "1");
    // The tags.
    assert_eq!(tagged["SX1"]["club_engagement"], "active");
    assert_eq!(tagged["SM1"]["club_engagement"], "none");
    assert_eq!(tagged["SM1"]["group_risk_raised"], "true");
    assert_eq!(tagged["SX1"]["group_risk_raised"], "false");

    // The group page's reading of the tagged table.
    let lines = group_line_risks(&lake, as_of, "G1").await.expect("group lines");
    let ids: Vec<&str> = lines.iter().map(|l| l.subscription_id.as_str()).collect();
    assert_eq!(ids, ["SK1", "SK2", "SM1"]);
    close(lines[2].churn_probability, 0.5072, "group view SM1");
    assert!(lines[0].is_key_person && !lines[2].is_key_person);

    // X1's points: 1000 earned − 200 redeemed − 100 expired.
    assert_eq!(points_balance(&lake, "X1").await.expect("points"), 700);
    assert_eq!(points_balance(&lake, "nobody").await.expect("points"), 0);
}

/// `weiwan_decision::groups::adjusted_risk`, restated (analytics does not depend on decision):
/// the SQL and the Rust must agree with the hand-worked numbers above.
fn weiwan_decision_formula(p: f64, key_persons: &[(f64, f64)]) -> f64 {
    1.0 - key_persons.iter().fold(1.0 - p, |stay, (w, pk)| stay * (1.0 - w * pk))
}

#[tokio::test]
async fn without_a_snapshot_nobody_is_a_club_member_and_no_risk_is_raised() {
    let work = tempfile::tempdir().expect("tempdir");
    let lake = Lake::new(work.path().join("lake"));
    import(&lake, &work.path().join("extract"));
    let as_of = day(2026, 11, 1);
    let table = build_customer_360(&lake, as_of).await.expect("360");
    assert!(
        read(&table.path)
            .values()
            .all(|r| r["club_member"] == "false" && r["club_events_attended_90d"] == "0")
    );
    write_scores(&churn_scores_path(&lake, as_of));
    let tagged = read(&evaluate_tags(&lake, as_of).await.expect("tags").path);
    close(tagged["SM1"]["churn_probability"].parse().ok(), 0.2, "SM1 unchanged");
}
