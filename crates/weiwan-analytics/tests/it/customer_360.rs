//! The customer 360 table on a hand-made extract whose every value is worked out by hand here.

use std::collections::BTreeMap;
use std::path::Path;

use arrow::util::display::{ArrayFormatter, FormatOptions};
use chrono::NaiveDate;
use weiwan_analytics::{
    ExistingKeys, Lake, Lookup, build_customer_360, discover, fingerprint, stage_extract,
};
use weiwan_domain::TableId;

const CUSTOMERS: &str = "customer_id,kind,name,id_number,birthday,branch_id,manager_id,vip_tier,group_id,is_key_person,joined_on\n\
    C1,individual,李雷,,1990-05-01,B01,M01,gold,,false,2015-03-01\n\
    C2,individual,韩梅梅,,1992-07-11,B01,,member,,false,2019-06-01\n\
    C3,individual,王芳,,1985-01-01,B01,,mass,,false,2018-01-01\n";

fn first_extract() -> Vec<(&'static str, String)> {
    let mut usage = String::from(
        "subscription_id,month,arpu,mou,data_mb,sms,competitor_calls,recharge,balance,arrears,complaints,roaming_min\n",
    );
    // S1: ARPU falls from 100 to 40 over six months, competitor calls rise, two complaints.
    // Roaming in August and October.
    for (month, arpu, mou, calls, complaints, roaming) in [
        ("2026-05", "100", 300, 0, 0, 0),
        ("2026-06", "100", 300, 0, 0, 0),
        ("2026-07", "100", 300, 0, 0, 0),
        ("2026-08", "80", 200, 1, 0, 30),
        ("2026-09", "60", 100, 2, 1, 0),
        ("2026-10", "40", 100, 3, 1, 45),
        // After the as-of date: must not count.
        ("2026-11", "999", 999, 99, 9, 999),
    ] {
        usage.push_str(&format!("S1,{month},{arpu},{mou},1000,5,{calls},0,10.00,0,{complaints},{roaming}\n"));
    }
    // S2: in arrears at the end of October.
    for month in ["2026-08", "2026-09", "2026-10"] {
        let arrears = if month == "2026-10" { "35.50" } else { "0" };
        usage.push_str(&format!("S2,{month},20,50,100,0,0,0,0,{arrears},0,0\n"));
    }
    usage.push_str("S3,2026-08,50,10,10,0,0,0,0,0,0,0\n");
    vec![
        ("branches.csv", "branch_id,name,city\nB01,城东分公司,杭州\n".into()),
        ("managers.csv", "manager_id,name,branch_id,role,phone\nM01,王芳,B01,account,13900000001\n".into()),
        (
            "plans.csv",
            "plan_id,name,monthly_fee,payment_type,network,data_mb,voice_minutes\n\
             P96,5G畅享96元套餐,96.00,postpaid,5g,30720,500\nP18,4G畅聊18元卡,18.00,prepaid,4g,3072,100\n"
                .into(),
        ),
        ("customers.csv", CUSTOMERS.into()),
        (
            "subscriptions.csv",
            "subscription_id,customer_id,msisdn,plan_id,status,activated_on,contract_end,device_model,device_since,family_group_id,disconnected_on\n\
             S1,C1,13800001234,P96,active,2015-03-01,2027-02-28,华为 Mate 60,2024-01-10,F1,\n\
             S2,C2,13900004321,P18,arrears_suspended,2019-06-01,,,,,\n\
             S3,C3,13700000001,P18,disconnected,2018-01-01,,,,,2026-09-30\n"
                .into(),
        ),
        (
            "contracts.csv",
            "contract_id,subscription_id,kind,starts_on,ends_on,monthly_commitment,subsidy,status\n\
             K1,S1,device,2025-03-01,2027-02-28,96.00,1200.00,active\n\
             K2,S2,points,2024-01-01,2025-01-01,,50.00,ended\n"
                .into(),
        ),
        ("usage_monthly.csv", usage),
        (
            "events.csv",
            "event_id,subscription_id,occurred_at,event_type,detail\n\
             E1,S1,2026-07-01 09:00:00,complaint,too old: before the 90 days\n\
             E2,S1,2026-09-01 10:00:00,complaint,信号差\n\
             E3,S1,2026-10-15 10:00:00,complaint,资费争议\n\
             E4,S1,2026-10-20 16:30:00,porting_inquiry,\n\
             E5,S1,2026-11-05 08:00:00,complaint,after the as-of date\n\
             E6,S2,2026-10-10 12:00:00,arrears,月结欠费\n"
                .into(),
        ),
        (
            "payments.csv",
            "payment_id,subscription_id,paid_at,amount,channel\n\
             Y1,S1,2026-08-05 10:00:00,96.00,store\n\
             Y2,S1,2026-09-05 10:00:00,96.00,app\n\
             Y3,S1,2026-10-05 10:00:00,96.00,app\n\
             Y4,S1,2026-11-05 10:00:00,96.00,store\n"
                .into(),
        ),
        (
            "points_ledger.csv",
            "entry_id,customer_id,occurred_on,kind,points,expires_on\n\
             J1,C1,2026-01-31,earn,500,2026-12-31\n\
             J2,C1,2026-06-30,earn,300,2028-06-30\n\
             J3,C1,2026-08-15,redeem,200,\n\
             J4,C1,2026-11-15,earn,1000,2028-11-15\n"
                .into(),
        ),
    ]
}

fn import(lake: &Lake, dir: &Path, files: &[(&str, String)], existing: ExistingKeys) {
    std::fs::create_dir_all(dir).expect("mkdir");
    for (name, content) in files {
        std::fs::write(dir.join(name), content).expect("write");
    }
    let files = discover(dir).expect("files");
    let id = fingerprint(&files).expect("fingerprint");
    let mut staged = stage_extract(lake, &files, &id, existing).expect("valid extract");
    lake.publish(&mut staged, "2026-11-01T00:00:00Z").expect("publish");
}

/// The 360 rows as column name → displayed value, by subscription.
fn read(path: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let file = std::fs::File::open(path).expect("360 file");
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

fn months_between(from: NaiveDate, to: NaiveDate) -> i64 {
    ((to - from).num_days() as f64 / 30.4375) as i64
}

#[tokio::test]
async fn the_360_table_matches_hand_worked_values() {
    let work = tempfile::tempdir().expect("tempdir");
    let lake = Lake::new(work.path().join("lake"));
    import(&lake, &work.path().join("first"), &first_extract(), ExistingKeys::default());
    // A later extract carries only a changed customer: C2 moved up to silver.
    let mut existing = ExistingKeys::default();
    existing.add(Lookup { table: TableId::Branches, filter: None }, ["B01"]);
    existing.add(Lookup { table: TableId::Managers, filter: None }, ["M01"]);
    let update = CUSTOMERS.replace("B01,,member", "B01,,silver");
    import(&lake, &work.path().join("second"), &[("customers.csv", update)], existing);

    let as_of = NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
    let output = build_customer_360(&lake, as_of).await.expect("360");
    assert_eq!(output.rows, 2, "S3 left on 2026-09-30, before the as-of date");
    let rows = read(&output.path);
    let s1 = &rows["S1"];
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
    let expected_s1 = [
        ("customer_id", "C1".to_owned()),
        ("vip_tier", "gold".to_owned()),
        ("plan_fee", "96.00".to_owned()),
        ("in_family_plan", "true".to_owned()),
        ("usage_months", "6".to_owned()),
        // October only.
        ("arpu_last", "40.00".to_owned()),
        // August to October: (80 + 60 + 40) / 3.
        ("arpu_3m", "60.000000".to_owned()),
        // May to October: 480 / 6.
        ("arpu_6m", "80.000000".to_owned()),
        // October against July to September (100 + 80 + 60) / 3 = 80: 40 / 80 - 1.
        ("arpu_trend_3m", "-0.5".to_owned()),
        // August to October (60) against May to July (100): 60 / 100 - 1.
        ("arpu_trend_6m", "-0.4".to_owned()),
        // May to October, all twelve months that there are.
        ("revenue_12m", "480.00".to_owned()),
        ("usage_months_12m", "6".to_owned()),
        // 60 a month for 12 months, moved by the 6-month trend of -40%: 60 * 12 * 0.6.
        ("projected_revenue_12m", "432.0".to_owned()),
        ("roaming_min_3m", "75".to_owned()),
        ("roaming_months_3m", "2".to_owned()),
        ("competitor_calls_last", "3".to_owned()),
        ("competitor_calls_3m", "6".to_owned()),
        ("complaints_3m", "2".to_owned()),
        // Complaint events on 2026-09-01 and 2026-10-15; 2026-07-01 is older than 90 days and
        // 2026-11-05 is after the as-of date.
        ("complaints_90d", "2".to_owned()),
        ("porting_inquiries_90d", "1".to_owned()),
        // 500 + 300 - 200 earned and spent before the as-of date; the 500 expire on 2026-12-31.
        ("points_balance", "600".to_owned()),
        ("points_expiring_90d", "500".to_owned()),
        ("active_contracts", "1".to_owned()),
        ("contract_days_left", (date(2027, 2, 28) - as_of).num_days().to_string()),
        ("tenure_months", months_between(date(2015, 3, 1), as_of).to_string()),
        ("device_age_months", months_between(date(2024, 1, 10), as_of).to_string()),
        ("arrears_days", "0".to_owned()),
        // Two app payments against one in the store before the as-of date.
        ("preferred_payment_channel", "app".to_owned()),
        ("as_of", "2026-11-01".to_owned()),
    ];
    for (column, value) in expected_s1 {
        assert_eq!(s1[column], value, "S1 {column}");
    }
    let mou_trend: f64 = s1["mou_trend_6m"].parse().expect("number");
    assert!((mou_trend - ((200.0 + 100.0 + 100.0) / 3.0 / 300.0 - 1.0)).abs() < 1e-9, "{mou_trend}");

    let s2 = &rows["S2"];
    let expected_s2 = [
        // The second extract's row for C2 wins over the first's.
        ("vip_tier", "silver".to_owned()),
        ("arrears_last", "35.50".to_owned()),
        // Last arrears event on 2026-10-10: 22 days before 2026-11-01.
        ("arrears_days", "22".to_owned()),
        ("active_contracts", "0".to_owned()),
        ("contract_days_left", "NULL".to_owned()),
        ("points_balance", "0".to_owned()),
        // Only August to October, so no trend over six months.
        ("arpu_trend_6m", "NULL".to_owned()),
        ("preferred_payment_channel", "NULL".to_owned()),
    ];
    for (column, value) in expected_s2 {
        assert_eq!(s2[column], value, "S2 {column}");
    }

    // The built-in tags over the same 360 rows.
    let tags = weiwan_analytics::evaluate_tags(&lake, as_of).await.expect("tags");
    assert_eq!((tags.rows, tags.version.as_str()), (2, "builtin-3"));
    let tags = read(&tags.path);
    let expected = [
        // S1: postpaid, 140 months, 3-month ARPU 60: below silver (80), above member (30);
        // ARPU fell 40% over six months: decline; contract ends in 119 days.
        ("S1", "value_tier", "member"),
        ("S1", "value_level", "mid"),
        ("S1", "lifecycle_stage", "decline"),
        ("S1", "contract_stage", "running"),
        ("S1", "channel_preference", "app"),
        ("S1", "data_heavy", "false"),
        ("S1", "dormant", "false"),
        ("S1", "group_key_person", "false"),
        // Roamed in 2 of the last 3 months.
        ("S1", "roaming", "true"),
        // 480 earned in the last 12 months and 432 projected: both below 1,200.
        ("S1", "clv_quadrant", "low_low"),
        ("S1", "clv_strategy", "reduce_cost"),
        // S2: prepaid at 20 a month, 88 months, no six-month trend, no contract.
        ("S2", "value_tier", "mass"),
        ("S2", "value_level", "low"),
        ("S2", "lifecycle_stage", "maturity"),
        ("S2", "contract_stage", "none"),
        ("S2", "channel_preference", "none"),
        ("S2", "roaming", "false"),
    ];
    for (line, tag, value) in expected {
        assert_eq!(tags[line][tag], value, "{line} {tag}");
    }
}

#[tokio::test]
async fn a_bad_tag_library_is_refused_and_the_one_in_force_stays() {
    let work = tempfile::tempdir().expect("tempdir");
    let lake = Lake::new(work.path().join("lake"));
    let check = |source: &str, expected: &[&str]| {
        let source = source.to_owned();
        let lake = lake.clone();
        let expected: Vec<String> = expected.iter().map(|e| (*e).to_owned()).collect();
        async move {
            let err = weiwan_analytics::load_library(&lake, &source).await.expect_err("must be refused");
            let message = err.to_string();
            for part in &expected {
                assert!(message.contains(part.as_str()), "{message:?} should mention {part:?}");
            }
            assert_eq!(weiwan_analytics::active_library(&lake).expect("library").version, "builtin-3");
        }
    };
    let tag = |name: &str, expr: &str| {
        format!(
            "[[tag]]\nname = \"{name}\"\ncategory = \"customer\"\nowner = \"market\"\n\
             description_zh = \"测试\"\ndescription_en = \"test\"\nexpr = \"{expr}\"\n"
        )
    };
    check(
        &format!("version = \"v2\"\n{}", tag("bad_column", "roaming_mb > 0")),
        &["tag bad_column:", "roaming_mb"],
    )
    .await;
    check(&format!("version = \"v2\"\n{}", tag("bad_syntax", "arpu_3m >>> 1")), &["tag bad_syntax:"]).await;
    check(&format!("version = \"v2\"\n{}", tag("total", "SUM(arpu_3m)")), &["tag total:"]).await;
    check(
        &format!("version = \"v2\"\n{}", tag("rich", "arpu_3m > {threshold}")),
        &["tag rich: unknown parameter {threshold}"],
    )
    .await;
    check(
        &format!("version = \"v2\"\n{}{}", tag("twice", "true"), tag("twice", "false")),
        &["tag twice: the name is used twice"],
    )
    .await;
    check("version = \"v2\"\nunknown_key = 1\n", &["not a valid library file"]).await;
    // An expression that smuggles in a second query part still has to be a plain read.
    check(
        &format!(
            "version = \"v2\"\n{}",
            tag("sneaky", "1) AS x FROM customer_360 UNION SELECT msisdn, msisdn FROM subscriptions --")
        ),
        &["tag sneaky:"],
    )
    .await;

    // A good library is put in force; loading its version again with other content is refused.
    let good = format!("version = \"v2\"\n[params]\nfloor = 100\n{}", tag("heavy", "data_mb_3m >= {floor}"));
    let loaded = weiwan_analytics::load_library(&lake, &good).await.expect("good library");
    assert_eq!(loaded.tags[0].expr, "data_mb_3m >= 100");
    assert_eq!(weiwan_analytics::active_library(&lake).expect("library").version, "v2");
    let changed = good.replace("floor = 100", "floor = 200");
    let err = weiwan_analytics::load_library(&lake, &changed).await.expect_err("same version, other content");
    assert!(err.to_string().contains("version v2 was loaded before with other content"), "{err}");
    assert_eq!(weiwan_analytics::active_library(&lake).expect("library").tags[0].expr, "data_mb_3m >= 100");
}

/// A tag whose branches have different types is written with the coerced type, and a tag
/// named like a 360 column is refused (the tagged table holds both).
#[tokio::test]
async fn tags_of_mixed_types_evaluate_and_column_names_are_reserved() {
    let work = tempfile::tempdir().expect("tempdir");
    let lake = Lake::new(work.path().join("lake"));
    import(&lake, &work.path().join("first"), &first_extract(), ExistingKeys::default());
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
    build_customer_360(&lake, as_of).await.expect("360");
    let library = |name: &str, expr: &str| {
        format!(
            "version = \"{name}\"\n[[tag]]\nname = \"{name}\"\ncategory = \"customer\"\nowner = \"market\"\n\
             description_zh = \"测试\"\ndescription_en = \"test\"\nexpr = \"{expr}\"\n"
        )
    };
    let err = weiwan_analytics::load_library(&lake, &library("arpu_3m", "arpu_3m > 0"))
        .await
        .expect_err("a 360 column's name");
    assert!(err.to_string().contains("tag arpu_3m: the name is a column of the 360 table"), "{err}");

    weiwan_analytics::load_library(&lake, &library("score", "CASE WHEN arpu_3m > 50 THEN 1 ELSE 0.5 END"))
        .await
        .expect("mixed types load");
    let tags = weiwan_analytics::evaluate_tags(&lake, as_of).await.expect("evaluated");
    let rows = read(&tags.path);
    // S1's 3-month ARPU is 60, S2's 20.
    assert_eq!((rows["S1"]["score"].as_str(), rows["S2"]["score"].as_str()), ("1.0", "0.5"));
    assert_eq!(rows["S1"]["arpu_3m"], "60.000000", "the tagged table carries the 360 columns");
}
