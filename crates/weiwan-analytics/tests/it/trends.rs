//! Churn by month on a hand-made extract whose counts are worked out by hand here.

use std::path::Path;

use chrono::NaiveDate;
use weiwan_analytics::trends::{MonthChurn, monthly_churn};
use weiwan_analytics::{ExistingKeys, Lake, Lookup, discover, fingerprint, stage_extract};
use weiwan_domain::TableId;

const HEADER: &str = "subscription_id,customer_id,msisdn,plan_id,status,activated_on,contract_end,device_model,device_since,family_group_id,disconnected_on\n";

/// Seven lines of one customer:
///
/// | line | activated  | disconnected | counts                                          |
/// |------|------------|--------------|-------------------------------------------------|
/// | L1   | 2020-01-01 |              | in network every month                          |
/// | L2   | 2020-01-01 | 2026-08-15   | leaves in August                                |
/// | L3   | 2026-08-10 |              | joins in August: in network from September      |
/// | L4   | 2026-07-05 | 2026-07-20   | joins and leaves in July: counts in neither     |
/// | L5   | 2020-01-01 | 2026-06-30   | leaves in June                                  |
/// | L6   | 2020-01-01 | 2026-09-01   | leaves on September's first day: in September   |
/// | L7   | 2026-10-01 |              | joins on October's first day: not at its start  |
fn subscriptions(l1_left: &str) -> String {
    let lines = [
        ("L1", "2020-01-01", l1_left),
        ("L2", "2020-01-01", "2026-08-15"),
        ("L3", "2026-08-10", ""),
        ("L4", "2026-07-05", "2026-07-20"),
        ("L5", "2020-01-01", "2026-06-30"),
        ("L6", "2020-01-01", "2026-09-01"),
        ("L7", "2026-10-01", ""),
    ];
    let mut out = HEADER.to_owned();
    for (index, (line, activated, left)) in lines.iter().enumerate() {
        let status = if left.is_empty() { "active" } else { "disconnected" };
        out.push_str(&format!("{line},C1,1380000000{index},P96,{status},{activated},,,,,{left}\n"));
    }
    out
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

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
}

fn counts(months: &[MonthChurn]) -> Vec<(&str, i64, i64, Option<f64>)> {
    months.iter().map(|m| (m.month.as_str(), m.lines_at_start, m.left, m.churn_rate)).collect()
}

#[tokio::test]
async fn churn_by_month_counts_the_lines_in_network_at_each_start_and_who_of_them_left() {
    let work = tempfile::tempdir().expect("tempdir");
    let lake = Lake::new(work.path().join("lake"));
    let first = [
        ("branches.csv", "branch_id,name,city\nB01,城东分公司,杭州\n".to_owned()),
        ("managers.csv", "manager_id,name,branch_id,role,phone\nM01,王芳,B01,account,13900000001\n".to_owned()),
        (
            "plans.csv",
            "plan_id,name,monthly_fee,payment_type,network,data_mb,voice_minutes\n\
             P96,5G畅享96元套餐,96.00,postpaid,5g,30720,500\n"
                .to_owned(),
        ),
        (
            "customers.csv",
            "customer_id,kind,name,id_number,birthday,branch_id,manager_id,vip_tier,group_id,is_key_person,joined_on\n\
             C1,individual,李雷,,1990-05-01,B01,M01,gold,,false,2015-03-01\n"
                .to_owned(),
        ),
        ("subscriptions.csv", subscriptions("")),
    ];
    import(&lake, &work.path().join("first"), &first, ExistingKeys::default());

    let trend = monthly_churn(&lake, date("2026-11-01"), 4).await.expect("trend");
    let third = Some(1.0 / 3.0);
    assert_eq!(
        counts(&trend),
        [
            // L1, L2, L6 (L5 left in June; L4 came and went).
            ("2026-07", 3, 0, Some(0.0)),
            ("2026-08", 3, 1, third),
            // L3 joined; L2 is gone; L6 leaves on the first.
            ("2026-09", 3, 1, third),
            ("2026-10", 2, 0, Some(0.0)),
        ]
    );

    // A later extract delivers L1's disconnection: the newest row of a line wins.
    let mut existing = ExistingKeys::default();
    existing.add(Lookup { table: TableId::Customers, filter: None }, ["C1"]);
    existing.add(Lookup { table: TableId::Plans, filter: None }, ["P96"]);
    let update = [("subscriptions.csv", subscriptions("2026-10-20"))];
    import(&lake, &work.path().join("second"), &update, existing);
    let trend = monthly_churn(&lake, date("2026-11-01"), 1).await.expect("trend");
    assert_eq!(counts(&trend), [("2026-10", 2, 1, Some(0.5))]);

    // Mid-November, November is not complete: the months still end with October.
    let trend = monthly_churn(&lake, date("2026-11-20"), 6).await.expect("trend");
    assert_eq!(
        counts(&trend)[..2],
        [("2026-05", 4, 0, Some(0.0)), ("2026-06", 4, 1, Some(0.25))],
        "L5 counts until it leaves in June"
    );
    assert_eq!(trend.last().map(|m| m.month.as_str()), Some("2026-10"));

    // Before any line was activated there is no rate.
    let trend = monthly_churn(&lake, date("2019-12-01"), 1).await.expect("trend");
    assert_eq!(counts(&trend), [("2019-11", 0, 0, None)]);
}
