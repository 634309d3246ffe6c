//! Churn kinds are classified correctly on a hand-made set including a number switch, and the
//! KPIs, churn by month and the campaign evaluation count them apart; every answer is worked
//! out by hand below, on SQLite and on PostgreSQL (docs/churn-kinds.md).
//!
//! Eight gold lines, one customer each, billed 150 a month from January; all eight are in the
//! 中高端 cohort of 2026-04-01. Five leave; four new lines come later. Evaluated as of
//! 2026-11-01 with W = 30 days and N = 3 months (August to October):
//!
//! | line | customer (ID number, handset) | what happens                                    | kind            |
//! |------|-------------------------------|-------------------------------------------------|-----------------|
//! | SA   | CA                            | in use every month                              | —               |
//! | SB   | CB                            | leaves 2026-07-10, nobody comes back            | external        |
//! | SC   | CC                            | leaves 2026-08-05; SC2 of CC 7 days later; SC3  | internal_switch |
//! |      |                               | of CC on 2026-10-01 (would be a win-back)       | (customer)      |
//! | SD   | CD (330102198001011234)       | leaves 2026-06-20; SD2 of CD2 — another customer| internal_switch |
//! |      |                               | record, same ID number — opened 5 days before   | (id_number)     |
//! | SE   | CE (handset HE1), branch B02  | leaves 2026-09-01; SE2 of CE2 (no ID number,    | internal_switch |
//! |      |                               | branch B02) with handset HE1 19 days later      | (device)        |
//! | SF   | CF                            | leaves 2026-05-10; SF2 of CF 31 days later:     | external,       |
//! |      |                               | just outside the window                         | won back by SF2 |
//! | SG   | CG                            | billed 128 but no calls, data or SMS from August| dormant         |
//! | SH   | CH                            | no row in September, a silent 128 in October:   | —               |
//! |      |                               | two months, below N                             |                 |

use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use weiwan_app::campaigns::{
    ActionRequest, act_on_campaign, create_campaign, evaluate_campaign, load_catalog,
};
use weiwan_app::churn_kinds::{ChurnKindCounts, ChurnKindSettings, churn_kinds, churn_kinds_in};
use weiwan_app::{KpiSettings, Lake, Store, import_extract, parse_conditions, save_segment};
use weiwan_decision::campaign::{CampaignAction, CampaignPlan, ChannelScript};
use weiwan_decision::experiment::KindCounts;
use weiwan_domain::Money;
use weiwan_domain::codes::{ChurnKind, SwitchMatch};

use super::campaigns::{actor, planner};
use super::now;

/// (line, customer, ID number, handset, branch, activated, disconnected)
const LINES: [(&str, &str, &str, &str, &str, &str, &str); 13] = [
    ("SA", "CA", "", "", "B01", "2020-01-01", ""),
    ("SB", "CB", "", "", "B01", "2020-01-01", "2026-07-10"),
    ("SC", "CC", "", "", "B01", "2020-01-01", "2026-08-05"),
    ("SC2", "CC", "", "", "B01", "2026-08-12", ""),
    ("SC3", "CC", "", "", "B01", "2026-10-01", ""),
    ("SD", "CD", "330102198001011234", "", "B01", "2020-01-01", "2026-06-20"),
    ("SD2", "CD2", "330102198001011234", "", "B01", "2026-06-15", ""),
    ("SE", "CE", "", "HE1", "B02", "2020-01-01", "2026-09-01"),
    ("SE2", "CE2", "", "HE1", "B02", "2026-09-20", ""),
    ("SF", "CF", "", "", "B01", "2020-01-01", "2026-05-10"),
    ("SF2", "CF", "", "", "B01", "2026-06-10", ""),
    ("SG", "CG", "", "", "B01", "2020-01-01", ""),
    ("SH", "CH", "", "", "B01", "2020-01-01", ""),
];

/// A month's row: (ARPU, whether the line was used: 100 minutes, 1000 MB, 5 SMS, else zeros).
fn usage(line: &str, month: u32) -> Option<(u32, bool)> {
    let used = |arpu| Some((arpu, true));
    match (line, month) {
        ("SA", _) => used(150),
        ("SB", 1..=7) | ("SC", 1..=8) | ("SD", 1..=6) | ("SE", 1..=9) | ("SF", 1..=5) => used(150),
        ("SC2", 8..) | ("SC3", 10..) | ("SD2", 6..) | ("SE2", 9..) | ("SF2", 6..) => used(58),
        ("SG", 1..=7) | ("SH", 1..=8) => used(150),
        ("SG", 8..) | ("SH", 10) => Some((128, false)),
        _ => None,
    }
}

fn write_extract(dir: &Path) {
    std::fs::create_dir_all(dir).expect("mkdir");
    let write = |name: &str, content: String| std::fs::write(dir.join(name), content).expect("write");
    write("branches.csv", "branch_id,name,city\nB01,城东分公司,杭州\nB02,城西分公司,杭州\n".into());
    write("managers.csv", "manager_id,name,branch_id,role,phone\nM01,王芳,B01,account,13900000001\n".into());
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
        "subscription_id,customer_id,msisdn,plan_id,status,activated_on,contract_end,device_model,device_id,\
         device_since,family_group_id,disconnected_on\n",
    );
    let mut rows = String::from(
        "subscription_id,month,arpu,mou,data_mb,sms,competitor_calls,recharge,balance,arrears,complaints,roaming_min\n",
    );
    let mut seen = Vec::new();
    for (index, (line, customer, id_number, handset, branch, activated, left)) in LINES.iter().enumerate() {
        if !seen.contains(customer) {
            seen.push(*customer);
            customers.push_str(&format!(
                "{customer},individual,客户{customer},{id_number},,{branch},,gold,,false,{activated}\n"
            ));
        }
        let status = if left.is_empty() { "active" } else { "disconnected" };
        let model = if handset.is_empty() { "" } else { "HUAWEI Mate 60" };
        subscriptions.push_str(&format!(
            "{line},{customer},138000000{index:02},P128,{status},{activated},,{model},{handset},,,{left}\n"
        ));
        for month in 1..=10 {
            if let Some((arpu, used)) = usage(line, month) {
                let (mou, data, sms) = if used { (100, 1000, 5) } else { (0, 0, 0) };
                rows.push_str(&format!("{line},2026-{month:02},{arpu},{mou},{data},{sms},0,0,0,0,0,0\n"));
            }
        }
    }
    write("customers.csv", customers);
    write("subscriptions.csv", subscriptions);
    write("usage_monthly.csv", rows);
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
}

/// The operator imported, its batch of the snapshot date run, and the 中高端 cohort taken.
async fn operator(store: &dyn Store, work: &Path) -> Lake {
    let lake = Lake::new(work.join("lake"));
    write_extract(&work.join("extract"));
    import_extract(store, &lake, &work.join("extract"), now()).await.expect("import");
    weiwan_app::run_daily_batch(store, &lake, date("2026-04-01"), now()).await.expect("batch");
    let vip = parse_conditions(&["arpu_3m=120..".to_owned()]).expect("conditions");
    let cohort = weiwan_app::snapshot_cohort(store, &lake, "kinds", date("2026-04-01"), &vip, now())
        .await
        .expect("snapshot");
    assert_eq!(cohort.members, 8, "the eight first lines; the new lines came later");
    lake
}

/// Each classified line as (line, kind, matched by, successor, won back by).
type Row = (String, ChurnKind, Option<SwitchMatch>, Option<String>, Option<String>);

async fn classified(lake: &Lake, as_of: &str, settings: &ChurnKindSettings) -> Vec<Row> {
    let report = churn_kinds(lake, date(as_of), settings, true).await.expect("churn kinds");
    report
        .lines
        .into_iter()
        .map(|l| (l.subscription_id, l.kind, l.matched_by, l.successor_id, l.won_back_id))
        .collect()
}

fn row(line: &str, kind: ChurnKind, by: Option<SwitchMatch>, successor: &str, won_back: &str) -> Row {
    let text = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    (line.to_owned(), kind, by, text(successor), text(won_back))
}

async fn churn_kinds_are_classified_on_a_hand_made_set_with_number_switches(store: Arc<dyn Store>) {
    use ChurnKind::{Dormant, External, InternalSwitch};
    let work = tempfile::tempdir().expect("tempdir");
    let lake = operator(store.as_ref(), work.path()).await;
    let defaults = ChurnKindSettings::default();

    // Each line's kind, worked out in the table at the top.
    assert_eq!(
        classified(&lake, "2026-11-01", &defaults).await,
        [
            row("SB", External, None, "", ""),
            row("SC", InternalSwitch, Some(SwitchMatch::Customer), "SC2", ""),
            row("SD", InternalSwitch, Some(SwitchMatch::IdNumber), "SD2", ""),
            row("SE", InternalSwitch, Some(SwitchMatch::Device), "SE2", ""),
            row("SF", External, None, "", "SF2"),
            row("SG", Dormant, None, "", ""),
        ]
    );
    let report = churn_kinds(&lake, date("2026-11-01"), &defaults, false).await.expect("counts");
    assert!(report.lines.is_empty(), "lines only when asked for");
    let counts = |lines, left, external, internal_switch, won_back, dormant| ChurnKindCounts {
        lines,
        left,
        external,
        internal_switch,
        won_back,
        dormant,
    };
    assert_eq!(report.overall, counts(13, 5, 2, 3, 1, 1));
    let branches: Vec<_> =
        report.by_branch.iter().map(|b| (b.branch_id.as_str(), b.counts.clone())).collect();
    assert_eq!(branches, [("B01", counts(11, 4, 2, 2, 1, 1)), ("B02", counts(2, 1, 0, 1, 0, 0))]);
    let b02 = churn_kinds_in(&lake, date("2026-11-01"), &defaults, true, Some("B02")).await.expect("B02");
    assert_eq!(b02.overall, counts(2, 1, 0, 1, 0, 0));
    assert_eq!(b02.lines.iter().map(|l| l.subscription_id.as_str()).collect::<Vec<_>>(), ["SE"]);

    // A window of 31 days takes in SF2: F switched, and a switch is never a win-back. Two
    // months without use make H dormant too.
    let wider = ChurnKindSettings { window_days: 31, dormant_months: 2 };
    let rows = classified(&lake, "2026-11-01", &wider).await;
    assert!(rows.contains(&row("SF", InternalSwitch, Some(SwitchMatch::Customer), "SF2", "")), "{rows:?}");
    assert!(rows.contains(&row("SH", Dormant, None, "", "")), "{rows:?}");
    // As of 2026-09-10, SE2 (the 20th) is not there yet: E has gone to a competitor so far, and
    // SC3 is no win-back yet either; G has had only August without use.
    let rows = classified(&lake, "2026-09-10", &defaults).await;
    assert!(rows.contains(&row("SE", External, None, "", "")), "{rows:?}");
    assert!(!rows.iter().any(|r| r.1 == Dormant), "{rows:?}");
    let refused = ChurnKindSettings { window_days: 0, ..defaults };
    let err = churn_kinds(&lake, date("2026-11-01"), &refused, false).await.expect_err("refused");
    assert!(err.to_string().contains("window_days 0"), "{err}");

    // KPIs of the cohort: 8 members; B, C, D, E, F left (B and F to competitors, C, D, E
    // switched); G lies dormant; nobody stayed below 50 for 3 months (G billed 128, H had one
    // month without a bill).
    let report =
        weiwan_app::cohort_kpis(store.as_ref(), &lake, "kinds", date("2026-11-01"), &KpiSettings::default())
            .await
            .expect("kpis");
    let c = &report.overall.counts;
    assert_eq!(
        (c.members, c.left, c.left_external, c.left_internal_switch, c.dormant, c.low_arpu, c.lost),
        (8, 5, 2, 3, 1, 0, 5)
    );
    let kpi = |name: &str| report.overall.kpis[name].value.expect(name);
    let close = |a: f64, e: f64, what: &str| assert!((a - e).abs() < 1e-9, "{what}: {a} != {e}");
    // The seeds' 保有率 counts every line that left; with switchers kept only B and F are lost.
    close(kpi("retention_rate"), 3.0 / 8.0, "retention_rate");
    close(kpi("retention_rate_excl_switch"), 6.0 / 8.0, "retention_rate_excl_switch");
    close(kpi("external_churn_rate"), 2.0 / 8.0, "external_churn_rate");
    close(kpi("internal_switch_rate"), 3.0 / 8.0, "internal_switch_rate");
    close(kpi("dormant_rate"), 1.0 / 8.0, "dormant_rate");
    let b02 = report.by_branch.iter().find(|g| g.key.as_deref() == Some("B02")).expect("B02");
    assert_eq!((b02.counts.members, b02.counts.left_external, b02.counts.left_internal_switch), (1, 0, 1));

    // Churn by month, split by kind: F in May, D in June (switch), B in July, C in August
    // (switch), E in September (switch), nobody in October.
    let trend = weiwan_app::dashboards::churn_trend(&lake, date("2026-11-01"), 6).await.expect("trend");
    let split: Vec<_> = trend
        .iter()
        .map(|m| (m.month.as_str(), m.lines_at_start, m.left_external, m.left_internal_switch))
        .collect();
    assert_eq!(
        split,
        [
            ("2026-05", 8, 1, 0),
            ("2026-06", 7, 0, 1),
            ("2026-07", 8, 1, 0),
            ("2026-08", 7, 0, 1),
            ("2026-09", 7, 0, 1),
            ("2026-10", 7, 0, 0),
        ]
    );

    // A campaign on the eight, executed on the snapshot date with half held out, evaluated as
    // of 2026-11-01: each arm counts its members by kind, as the table says.
    let catalog = r#"
[[offer]]
id = "kinds_bonus"
name_zh = "存100元赠60元"
name_en = "Prepay 100, get 60"
terms = { kind = "prepay_bonus", prepay = "100", first_credit = "10", bonus_monthly = "10", months = 6 }
eligibility = []
valid_from = 2026-01-01
valid_to = 2027-12-31
budget = "200000"
excludes = []
expected_take_up = 0.2
"#;
    load_catalog(store.as_ref(), &lake, catalog, &planner(), now()).await.expect("catalog");
    let everyone = weiwan_app::Segment {
        name: "kinds-gold".into(),
        description: String::new(),
        schedule: weiwan_app::Schedule::None,
        query: parse_conditions(&["vip_tier=gold".to_owned()]).expect("condition"),
    };
    save_segment(store.as_ref(), &lake, &everyone, false, now()).await.expect("segment");
    let plan = CampaignPlan {
        name_zh: "离网类型".into(),
        name_en: "Churn kinds".into(),
        target_group: "kinds-gold".into(),
        offers: vec!["kinds_bonus".into()],
        channels: vec![ChannelScript {
            channel: "outbound".into(),
            script_zh: "您好".into(),
            script_en: "Hello".into(),
        }],
        starts_on: date("2026-04-01"),
        ends_on: date("2026-12-31"),
        budget: Money::from_yuan(10_000),
        holdout_share: 0.5,
        holdout_days: 90,
        approval_levels: 1,
        targets: Vec::new(),
        questionnaire: None,
    };
    create_campaign(store.as_ref(), "kinds", &plan, None, &planner(), now()).await.expect("create");
    let request = ActionRequest { comment: "ok".into(), as_of: Some(date("2026-04-01")) };
    for (action, who) in [
        (CampaignAction::Submit, planner()),
        (CampaignAction::Approve, actor("u-a1", "approver")),
        (CampaignAction::Execute, planner()),
    ] {
        act_on_campaign(store.as_ref(), &lake, "kinds", action, &request, &who, now()).await.expect("act");
    }
    let members = store.campaign_members("kinds").await.expect("members");
    assert_eq!(members.len(), 8);
    // What each member's kind says its arm must count.
    let (mut treated, mut control) = (KindCounts::default(), KindCounts::default());
    let (mut treated_retained, mut control_retained) = (0, 0);
    for member in &members {
        let (arm, retained) = if member.arm == "treated" {
            (&mut treated, &mut treated_retained)
        } else {
            (&mut control, &mut control_retained)
        };
        match member.subscription_id.as_str() {
            "SB" => arm.external += 1,
            "SF" => {
                arm.external += 1;
                arm.won_back += 1;
            }
            "SC" | "SD" | "SE" => arm.internal_switch += 1,
            "SG" => {
                arm.dormant += 1;
                *retained += 1;
            }
            _ => *retained += 1,
        }
    }
    assert_eq!(treated.external + control.external, 2);
    assert_eq!(treated_retained + control_retained, 3, "A, G, H: a switcher's line is not retained");
    let evaluation =
        evaluate_campaign(store.as_ref(), &lake, "kinds", date("2026-11-01")).await.expect("evaluate");
    let e = &evaluation.evaluation;
    assert_eq!((e.treated.members, e.control.members), (4, 4));
    assert_eq!(e.treated.kinds, treated);
    assert_eq!(e.control.kinds, control);
    assert_eq!((e.treated.retained, e.control.retained), (treated_retained, control_retained));
    // One stratum (gold): the uplift is the plain difference of the line-based retention rates.
    let uplift = e.retention_uplift.expect("both arms").estimate;
    let expected = (treated_retained as f64 - control_retained as f64) / 4.0;
    close(uplift, expected, "retention uplift");
    // C's later line SC3 is no win-back: C switched. Only F is won back, in whichever arm.
    assert_eq!(e.treated.kinds.won_back + e.control.kinds.won_back, 1);
}

on_both_stores!(churn_kinds_are_classified_on_a_hand_made_set_with_number_switches);
