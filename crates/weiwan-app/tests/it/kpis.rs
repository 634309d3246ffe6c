//! Snapshot cohorts, KPIs and target groups on a small hand-made operator whose every answer
//! is worked out by hand below, on SQLite and on PostgreSQL.
//!
//! Seven lines, one customer each. Six are 中高端 on 2026-04-01 (ARPU of 150 from January to
//! March, over the floor of 120); G earns 100 and stays out. From April to October:
//!
//! | line | branch | tier    | manager | after the snapshot                                    |
//! |------|--------|---------|---------|-------------------------------------------------------|
//! | A    | B01    | gold    | M01     | 150 every month; device contract to 2027              |
//! | B    | B01    | gold    | M01     | leaves on 2026-10-15 (in the last month)              |
//! | C    | B01    | silver  | M02     | 40 in May, June, July: 3 months below 50 -> lost;     |
//! |      |        |         |         | contract ended 2026-06-30 and was renewed             |
//! | D    | B02    | diamond | M03     | 45 in August, September: only 2 months; contract      |
//! |      |        |         |         | ended 2026-05-31, not renewed                         |
//! | E    | B02    | silver  | none    | leaves on 2026-06-10                                  |
//! | F    | B02    | gold    | M03     | 30 in August, no bill in September, 20 in October:    |
//! |      |        |         |         | 3 months below 50 -> lost                             |
//! | G    | B02    | member  | M03     | 100 a month: not in the cohort                        |

use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use weiwan_app::{Error, KpiReport, KpiSettings, Lake, SegmentQuery, Store, import_extract};

use super::now;

const LINES: [(&str, &str, &str, &str); 7] = [
    ("A", "B01", "gold", "M01"),
    ("B", "B01", "gold", "M01"),
    ("C", "B01", "silver", "M02"),
    ("D", "B02", "diamond", "M03"),
    ("E", "B02", "silver", ""),
    ("F", "B02", "gold", "M03"),
    ("G", "B02", "member", "M03"),
];

/// ARPU by month, January to October 2026; None: no bill that month.
fn arpu(line: &str) -> [Option<u32>; 10] {
    let s = Some;
    match line {
        "A" => [s(150); 10],
        "B" => [s(150), s(150), s(150), s(150), s(150), s(150), s(150), s(150), s(150), s(70)],
        "C" => [s(150), s(150), s(150), s(150), s(40), s(40), s(40), s(130), s(130), s(130)],
        "D" => [s(150), s(150), s(150), s(150), s(150), s(150), s(150), s(45), s(45), s(130)],
        "E" => [s(150), s(150), s(150), s(150), s(150), s(40), None, None, None, None],
        "F" => [s(150), s(150), s(150), s(150), s(150), s(150), s(150), s(30), None, s(20)],
        _ => [s(100); 10],
    }
}

fn write_extract(dir: &Path) {
    std::fs::create_dir_all(dir).expect("mkdir");
    let write = |name: &str, content: String| std::fs::write(dir.join(name), content).expect("write");
    write("branches.csv", "branch_id,name,city\nB01,城东分公司,杭州\nB02,城西分公司,杭州\n".into());
    write(
        "managers.csv",
        "manager_id,name,branch_id,role,phone\nM01,王芳,B01,account,13900000001\n\
         M02,李强,B01,account,13900000002\nM03,张伟,B02,account,13900000003\n"
            .into(),
    );
    write(
        "plans.csv",
        "plan_id,name,monthly_fee,payment_type,network,data_mb,voice_minutes\n\
         P128,5G畅享128元套餐,128.00,postpaid,5g,40960,800\n"
            .into(),
    );
    let mut customers = String::from(
        "customer_id,kind,name,id_number,birthday,branch_id,manager_id,vip_tier,group_id,is_key_person,joined_on\n",
    );
    let mut subscriptions = String::from(
        "subscription_id,customer_id,msisdn,plan_id,status,activated_on,contract_end,device_model,device_since,family_group_id,disconnected_on\n",
    );
    let mut usage = String::from(
        "subscription_id,month,arpu,mou,data_mb,sms,competitor_calls,recharge,balance,arrears,complaints,roaming_min\n",
    );
    for (index, (line, branch, tier, manager)) in LINES.iter().enumerate() {
        customers.push_str(&format!(
            "C{line},individual,客户{line},,,{branch},{manager},{tier},,false,2020-01-01\n"
        ));
        let (status, left) = match *line {
            "B" => ("disconnected", "2026-10-15"),
            "E" => ("disconnected", "2026-06-10"),
            _ => ("active", ""),
        };
        subscriptions
            .push_str(&format!("S{line},C{line},1380000000{index},P128,{status},2020-01-01,,,,,{left}\n"));
        for (month, amount) in arpu(line).iter().enumerate() {
            if let Some(amount) = amount {
                usage.push_str(&format!("S{line},2026-{:02},{amount},100,1000,5,0,0,0,0,0,0\n", month + 1));
            }
        }
    }
    write("customers.csv", customers);
    write("subscriptions.csv", subscriptions);
    write("usage_monthly.csv", usage);
    write(
        "contracts.csv",
        "contract_id,subscription_id,kind,starts_on,ends_on,monthly_commitment,subsidy,status\n\
         KA,SA,device,2025-01-01,2027-12-31,128.00,1000.00,active\n\
         KB,SB,device,2025-01-01,2026-12-31,128.00,1000.00,active\n\
         KC1,SC,device,2024-07-01,2026-06-30,128.00,800.00,renewed\n\
         KC2,SC,device,2026-07-01,2027-06-30,128.00,800.00,active\n\
         KD,SD,points,2025-06-01,2026-05-31,,50.00,ended\n\
         KF,SF,points,2024-01-01,2026-03-31,,50.00,ended\n\
         KG,SG,points,2025-06-01,2026-05-31,,50.00,ended\n"
            .into(),
    );
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
}

/// An imported operator with the batch run on the snapshot date and the 中高端 cohort taken.
pub(crate) async fn operator(store: &dyn Store, work: &Path) -> Lake {
    let lake = Lake::new(work.join("lake"));
    write_extract(&work.join("extract"));
    import_extract(store, &lake, &work.join("extract"), now()).await.expect("import");
    weiwan_app::run_daily_batch(store, &lake, date("2026-04-01"), now()).await.expect("batch");
    let vip = weiwan_app::parse_conditions(&["arpu_3m=120..".to_owned()]).expect("conditions");
    let cohort = weiwan_app::snapshot_cohort(store, &lake, "vip-2026q2", date("2026-04-01"), &vip, now())
        .await
        .expect("snapshot");
    assert_eq!(cohort.members, 6, "G's 100 a month is below 120");
    lake
}

fn approx(actual: Option<f64>, expected: Option<f64>, what: &str) {
    match (actual, expected) {
        (Some(a), Some(e)) => assert!((a - e).abs() < 1e-9, "{what}: {a} != {e}"),
        _ => assert_eq!(actual, expected, "{what}"),
    }
}

/// The five rates of a group, in KPI order: 保有率, 在网率, 离网率, 捆绑到位率, 续签率.
fn rates(report: &KpiReport, group: &str) -> [Option<f64>; 5] {
    let found = if group == "all" {
        &report.overall
    } else {
        let (kind, key) = group.split_once(' ').expect("kind and key");
        let groups = match kind {
            "branch" => &report.by_branch,
            "tier" => &report.by_tier,
            _ => &report.by_manager,
        };
        let key = (key != "none").then(|| key.to_owned());
        groups.iter().find(|g| g.key == key).unwrap_or_else(|| panic!("no group {group}"))
    };
    ["retention_rate", "in_network_rate", "churn_rate", "binding_rate", "renewal_rate"]
        .map(|kpi| found.kpis[kpi].value)
}

async fn kpis_match_the_hand_worked_answers(store: Arc<dyn Store>) {
    let work = tempfile::tempdir().expect("tempdir");
    let lake = operator(store.as_ref(), work.path()).await;
    let report = weiwan_app::cohort_kpis(
        store.as_ref(),
        &lake,
        "vip-2026q2",
        date("2026-11-01"),
        &KpiSettings::default(),
    )
    .await
    .expect("kpis");
    assert_eq!(report.months.first().map(String::as_str), Some("2026-04"));
    assert_eq!(report.months.last().map(String::as_str), Some("2026-10"));
    let c = &report.overall.counts;
    assert_eq!(
        (c.members, c.left, c.low_arpu, c.lost, c.in_network, c.bound, c.contracts_due, c.contracts_renewed),
        // B and E left; C and F stayed below 50 for 3 months; A and C are bound (B's binding
        // went with B); C's and D's contracts came due, C's was renewed. F's ended before the
        // snapshot and G is no member.
        (6, 2, 2, 4, 4, 2, 2, 1)
    );
    let third = Some(1.0 / 3.0);
    let expected: [(&str, [Option<f64>; 5]); 10] = [
        // Lost B, C, E, F of six; four in network; of A, B, C, D, F in network on October 1,
        // B left in October; A and C of four are bound; one of two contracts due renewed.
        ("all", [third, Some(4.0 / 6.0), Some(0.2), Some(0.5), Some(0.5)]),
        ("branch B01", [third, Some(2.0 / 3.0), third, Some(1.0), Some(1.0)]),
        ("branch B02", [third, Some(2.0 / 3.0), Some(0.0), Some(0.0), Some(0.0)]),
        ("tier diamond", [Some(1.0), Some(1.0), Some(0.0), Some(0.0), Some(0.0)]),
        // Gold: A, B, F; no contract of theirs came due.
        ("tier gold", [third, Some(2.0 / 3.0), third, Some(0.5), None]),
        // Silver: C (lost to low ARPU) and E (left in June, so not in network on October 1).
        ("tier silver", [Some(0.0), Some(0.5), Some(0.0), Some(1.0), Some(1.0)]),
        ("manager M01", [Some(0.5), Some(0.5), Some(0.5), Some(1.0), None]),
        ("manager M02", [Some(0.0), Some(1.0), Some(0.0), Some(1.0), Some(1.0)]),
        ("manager M03", [Some(0.5), Some(1.0), Some(0.0), Some(0.0), Some(0.0)]),
        // E has no manager; nobody of that group was in network on October 1, or is now.
        ("manager none", [Some(0.0), Some(0.0), None, None, None]),
    ];
    for (group, values) in expected {
        let actual = rates(&report, group);
        for (index, (a, e)) in actual.into_iter().zip(values).enumerate() {
            approx(a, e, &format!("{group} KPI {index}"));
        }
    }
    // The seeds' targets: 保有率 77% / 83%, 捆绑到位率 30% / 60%, 续签率 10% / 20%.
    let attainment = |kpi: &str| report.overall.kpis[kpi].attainment;
    assert_eq!(
        [
            attainment("retention_rate"),
            attainment("binding_rate"),
            attainment("renewal_rate"),
            attainment("churn_rate")
        ],
        [Some("below_t0"), Some("t0"), Some("t1"), None]
    );

    // Two months below the floor lose D too; a floor of 35 spares C's 40s but not F.
    let stricter = KpiSettings { low_months: 2, ..KpiSettings::default() };
    let report = weiwan_app::cohort_kpis(store.as_ref(), &lake, "vip-2026q2", date("2026-11-01"), &stricter)
        .await
        .expect("kpis");
    approx(report.overall.kpis["retention_rate"].value, Some(1.0 / 6.0), "2 months");
    let lower = KpiSettings { arpu_floor: 35.0, ..KpiSettings::default() };
    let report = weiwan_app::cohort_kpis(store.as_ref(), &lake, "vip-2026q2", date("2026-11-01"), &lower)
        .await
        .expect("kpis");
    approx(report.overall.kpis["retention_rate"].value, Some(0.5), "floor 35");

    // As of mid-May only April is complete: nobody had left, nobody had 3 low months yet.
    let early = weiwan_app::cohort_kpis(
        store.as_ref(),
        &lake,
        "vip-2026q2",
        date("2026-05-15"),
        &KpiSettings::default(),
    )
    .await
    .expect("kpis");
    approx(early.overall.kpis["retention_rate"].value, Some(1.0), "as of May");
}

async fn bad_kpi_requests_are_refused(store: Arc<dyn Store>) {
    let work = tempfile::tempdir().expect("tempdir");
    let lake = operator(store.as_ref(), work.path()).await;
    let kpis = |name: &'static str, as_of: &'static str, settings: KpiSettings| {
        let store = store.clone();
        let lake = lake.clone();
        async move { weiwan_app::cohort_kpis(store.as_ref(), &lake, name, date(as_of), &settings).await }
    };
    let message = |result: Result<KpiReport, Error>| result.expect_err("must refuse").to_string();
    assert!(
        message(kpis("nope", "2026-11-01", KpiSettings::default()).await)
            .contains("no cohort named \"nope\"")
    );
    assert!(
        message(kpis("vip-2026q2", "2026-04-20", KpiSettings::default()).await)
            .contains("at least one complete month after the snapshot's month")
    );
    let settings = KpiSettings { low_months: 0, ..KpiSettings::default() };
    assert!(message(kpis("vip-2026q2", "2026-11-01", settings).await).contains("low_months 0"));

    // A cohort is taken once; the second snapshot changes nothing.
    let any = weiwan_app::parse_conditions(&["vip_tier=gold".to_owned()]).expect("conditions");
    let err =
        weiwan_app::snapshot_cohort(store.as_ref(), &lake, "vip-2026q2", date("2026-04-01"), &any, now())
            .await
            .expect_err("taken");
    assert!(err.to_string().contains("exists already"), "{err}");
    assert_eq!(store.cohorts().await.expect("cohorts")[0].members, 6);
    // A snapshot needs the batch of its date.
    let err = weiwan_app::snapshot_cohort(store.as_ref(), &lake, "later", date("2026-06-01"), &any, now())
        .await
        .expect_err("no batch");
    assert!(err.to_string().contains("run `weiwan run --as-of 2026-06-01` first"), "{err}");
    assert_eq!(store.cohorts().await.expect("cohorts").len(), 1);
    assert!(!lake.root().join("cohorts/later.parquet").exists());
}

async fn target_groups_preview_export_and_refuse(store: Arc<dyn Store>) {
    let work = tempfile::tempdir().expect("tempdir");
    let lake = operator(store.as_ref(), work.path()).await;
    let as_of = date("2026-04-01");
    let gold =
        weiwan_app::parse_conditions(&["vip_tier=gold,diamond".to_owned(), "arpu_3m=140..".to_owned()])
            .expect("conditions");
    let preview = weiwan_app::preview_segment(&lake, as_of, &gold, 2).await.expect("preview");
    // A, B, F are gold and D diamond, all at 150.
    assert_eq!(preview.members, 4);
    assert_eq!(preview.by_tier, vec![("gold".to_owned(), 3), ("diamond".to_owned(), 1)]);
    assert_eq!(preview.by_branch, vec![("B01".to_owned(), 2), ("B02".to_owned(), 2)]);
    assert_eq!(preview.sample.len(), 2);
    assert_eq!(preview.sample[0][..3], ["SA".to_owned(), "CA".to_owned(), "138****0000".to_owned()]);

    let sql = SegmentQuery::Sql(
        "SELECT subscription_id FROM customer_360 WHERE value_level = 'high' AND branch_id = 'B02'".into(),
    );
    let out = work.path().join("b02.csv");
    let rows = weiwan_app::export_segment(&lake, as_of, &sql, &out).await.expect("export");
    let text = std::fs::read_to_string(&out).expect("csv");
    assert_eq!(rows, 3, "D, E, F: G's 100 is mid value");
    assert!(
        text.starts_with(
            "subscription_id,customer_id,msisdn,branch_id,manager_id,vip_tier,plan_id,arpu_3m,\
             churn_probability,churn_reasons_en,churn_reasons_zh\n"
        ),
        "{text}"
    );
    assert!(text.contains("SD,CD,138****0003,B02,M03,diamond,P128,150"), "{text}");

    // Saved, listed, found by name.
    let segment = weiwan_app::Segment {
        name: "b02-high".into(),
        description: "城西高价值".into(),
        schedule: weiwan_app::Schedule::Daily,
        query: sql.clone(),
    };
    weiwan_app::save_segment(store.as_ref(), &lake, &segment, false, now()).await.expect("save");
    assert_eq!(weiwan_app::find_segment(store.as_ref(), "b02-high").await.expect("found").query, sql);
    let batch = weiwan_app::run_daily_batch(store.as_ref(), &lake, as_of, now()).await.expect("batch");
    let run = batch.segments.iter().find(|r| r.name == "b02-high").expect("scheduled daily");
    assert_eq!(run.outcome.as_ref().map(|(rows, _)| *rows), Ok(3));

    // Refused before anything is saved: writes, other tables, several statements, no
    // subscription_id, unknown columns, values of the wrong type.
    let refusals: [(SegmentQuery, &str); 8] = [
        (SegmentQuery::Sql("DROP TABLE customer_360".into()), "SQL refused"),
        (
            SegmentQuery::Sql(
                "COPY (SELECT subscription_id FROM customer_360) TO '/tmp/weiwan-leak.csv'".into(),
            ),
            "SQL refused",
        ),
        (SegmentQuery::Sql("INSERT INTO customer_360 SELECT * FROM customer_360".into()), "SQL refused"),
        (SegmentQuery::Sql("SELECT subscription_id FROM subscriptions".into()), "subscriptions"),
        (SegmentQuery::Sql("SELECT 1 AS x".into()), "must yield a subscription_id"),
        (
            SegmentQuery::Sql("SELECT subscription_id FROM customer_360; DROP TABLE customer_360".into()),
            "SQL refused",
        ),
        (
            weiwan_app::parse_conditions(&["no_such_tag=1".to_owned()]).expect("parses"),
            "no column or tag named",
        ),
        (weiwan_app::parse_conditions(&["arpu_3m=lots..".to_owned()]).expect("parses"), "is not a number"),
    ];
    for (query, expected) in refusals {
        let bad = weiwan_app::Segment { name: "bad".into(), query: query.clone(), ..segment.clone() };
        let err =
            weiwan_app::save_segment(store.as_ref(), &lake, &bad, false, now()).await.expect_err("refused");
        assert!(matches!(err, Error::SegmentRefused(_)), "{query:?}: {err}");
        assert!(err.to_string().contains(expected), "{query:?}: {err}");
        let err = weiwan_app::preview_segment(&lake, as_of, &query, 5).await.expect_err("refused");
        assert!(err.to_string().contains(expected), "{query:?}: {err}");
    }
    let names: Vec<String> = store.segments().await.expect("segments").into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["b02-high"]);
    assert!(!Path::new("/tmp/weiwan-leak.csv").exists());
    // A taken name is refused unless replacing; a fixed scenario's name is never taken.
    let err =
        weiwan_app::save_segment(store.as_ref(), &lake, &segment, false, now()).await.expect_err("taken");
    assert!(err.to_string().contains("exists"), "{err}");
    let scenario = weiwan_app::Segment { name: "dormant_vip".into(), ..segment.clone() };
    let err =
        weiwan_app::save_segment(store.as_ref(), &lake, &scenario, true, now()).await.expect_err("fixed");
    assert!(err.to_string().contains("fixed scenario"), "{err}");
}

on_both_stores!(
    kpis_match_the_hand_worked_answers,
    bad_kpi_requests_are_refused,
    target_groups_preview_export_and_refuse,
);
