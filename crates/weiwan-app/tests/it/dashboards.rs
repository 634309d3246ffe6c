//! The console's dashboard data on the seven-line operator of kpis.rs, whose every answer is
//! worked out by hand below, on SQLite and on PostgreSQL: churn by month, a cohort's 保有率 month
//! by month, the outbound funnel, and campaign uplifts. Campaigns are written to the store by
//! hand, so their arms are known; the model in force is read in churn.rs and below.

use std::sync::Arc;

use weiwan_app::dashboards::{
    Funnel, KpiSeries, campaign_uplifts, churn_trend, kpi_trend, model_quality, outbound_funnel,
};
use weiwan_app::{Error, KpiSettings, Lake, Store};
use weiwan_storage::{
    AuditEntry, CampaignHistoryEntry, CampaignRecord, Claim, Executed, Execution, MemberRecord, NewTask,
    OutcomeRecord, OutcomeRecorded, campaign_rule_id,
};

use super::churn::date;
use super::kpis::operator;

const THIRD: f64 = 1.0 / 3.0;

fn approx_all(actual: &[Option<f64>], expected: &[f64], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: {actual:?}");
    for (a, e) in actual.iter().zip(expected) {
        let a = a.unwrap_or_else(|| panic!("{what}: a value is missing in {actual:?}"));
        assert!((a - e).abs() < 1e-9, "{what}: {actual:?} != {expected:?}");
    }
}

fn series<'a>(all: &'a [KpiSeries], key: &str) -> &'a [Option<f64>] {
    &all.iter().find(|s| s.key.as_deref() == Some(key)).unwrap_or_else(|| panic!("no series {key}")).values
}

async fn churn_and_retention_are_traced_month_by_month(store: Arc<dyn Store>) {
    let work = tempfile::tempdir().expect("tempdir");
    let lake = operator(store.as_ref(), work.path()).await;

    // All seven lines were active since 2020; E left on 2026-06-10 and B on 2026-10-15.
    let months = churn_trend(&lake, date("2026-11-01"), 7).await.expect("churn trend");
    let rows: Vec<(&str, i64, i64)> =
        months.iter().map(|m| (m.month.as_str(), m.lines_at_start, m.left)).collect();
    assert_eq!(
        rows,
        [
            ("2026-04", 7, 0),
            ("2026-05", 7, 0),
            ("2026-06", 7, 1),
            ("2026-07", 6, 0),
            ("2026-08", 6, 0),
            ("2026-09", 6, 0),
            ("2026-10", 6, 1)
        ]
    );
    assert_eq!(months[2].churn_rate, Some(1.0 / 7.0));
    assert_eq!(months[6].churn_rate, Some(1.0 / 6.0));
    for refused in [0, 121] {
        let err = churn_trend(&lake, date("2026-11-01"), refused).await.expect_err("refused");
        assert!(err.to_string().contains("1 to 120 months"), "{err}");
    }

    // The cohort of six taken on 2026-04-01, at the end of each month from April to October.
    // Lost (left, or 3 months below 50 yuan): E from the end of June (left June 10), C from
    // the end of July (May to July at 40), B and F at the end of October (B left October 15;
    // F billed 30, nothing, 20 from August). D's two months at 45 are not enough.
    let trend = kpi_trend(store.as_ref(), &lake, "vip-2026q2", date("2026-11-01"), &KpiSettings::default())
        .await
        .expect("kpi trend");
    assert_eq!(trend.months, ["2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]);
    assert_eq!((trend.taken_on.as_str(), trend.as_of.as_str()), ("2026-04-01", "2026-11-01"));
    let two_thirds = 2.0 * THIRD;
    approx_all(&trend.overall, &[1.0, 1.0, 5.0 / 6.0, two_thirds, two_thirds, two_thirds, THIRD], "overall");
    // B01: A, B, C. B02: D, E, F.
    approx_all(
        series(&trend.by_branch, "B01"),
        &[1.0, 1.0, 1.0, two_thirds, two_thirds, two_thirds, THIRD],
        "B01",
    );
    approx_all(
        series(&trend.by_branch, "B02"),
        &[1.0, 1.0, two_thirds, two_thirds, two_thirds, two_thirds, THIRD],
        "B02",
    );
    // Gold: A, B, F. Silver: C, E. Diamond: D.
    approx_all(series(&trend.by_tier, "gold"), &[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, THIRD], "gold");
    approx_all(series(&trend.by_tier, "silver"), &[1.0, 1.0, 0.5, 0.0, 0.0, 0.0, 0.0], "silver");
    approx_all(series(&trend.by_tier, "diamond"), &[1.0; 7], "diamond");
    assert_eq!(trend.by_branch.len(), 2);
    assert_eq!(trend.by_tier.len(), 3);
    let target = trend.target.expect("the seeds' 保有率 targets");
    assert_eq!((target.t0, target.t1), (0.77, 0.83));
    // The last point is the report `weiwan kpi` gives for the same date.
    let report = weiwan_app::cohort_kpis(
        store.as_ref(),
        &lake,
        "vip-2026q2",
        date("2026-11-01"),
        &KpiSettings::default(),
    )
    .await
    .expect("kpis");
    assert_eq!(trend.overall.last().copied().flatten(), report.overall.kpis["retention_rate"].value);

    // Mid-May only April has ended; within April, nothing has.
    let early = kpi_trend(store.as_ref(), &lake, "vip-2026q2", date("2026-05-20"), &KpiSettings::default())
        .await
        .expect("kpi trend");
    assert_eq!(early.months, ["2026-04"]);
    let err = kpi_trend(store.as_ref(), &lake, "vip-2026q2", date("2026-04-30"), &KpiSettings::default())
        .await
        .expect_err("nothing ended");
    assert!(matches!(err, Error::KpiRefused(_)), "{err}");
    assert!(err.to_string().contains("no month has ended since the snapshot"), "{err}");
    let err = kpi_trend(store.as_ref(), &lake, "nope", date("2026-11-01"), &KpiSettings::default())
        .await
        .expect_err("unknown");
    assert!(err.to_string().contains("no cohort named \"nope\""), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Campaigns written by hand: the arms are chosen here, not drawn.

/// The lines of kpis.rs with their branch and manager.
const LINES: [(&str, &str, Option<&str>); 7] = [
    ("A", "B01", Some("M01")),
    ("B", "B01", Some("M01")),
    ("C", "B01", Some("M02")),
    ("D", "B02", Some("M03")),
    ("E", "B02", None),
    ("F", "B02", Some("M03")),
    ("G", "B02", Some("M03")),
];

fn history(id: &str, at: &str, action: &str, from: &str, to: &str) -> CampaignHistoryEntry {
    CampaignHistoryEntry {
        campaign_id: id.to_owned(),
        at: at.to_owned(),
        user_id: "u-planner".to_owned(),
        action: action.to_owned(),
        from_status: from.to_owned(),
        to_status: to.to_owned(),
        level: 0,
        comment: String::new(),
    }
}

/// An approved campaign created at `created_at`, executed on `executed_on` with the members
/// given as (line, arm), every member in stratum `gold`; each treated member gets one task in
/// the outbound queue, raised at `created_at`.
async fn run_campaign(
    store: &dyn Store,
    id: &str,
    created_at: &str,
    executed_on: &str,
    holdout_until: &str,
    members: &[(&str, &str)],
) {
    let plan = super::campaigns::plan("vips", &["prepay_bonus_100"]);
    let record = CampaignRecord {
        campaign_id: id.to_owned(),
        plan: serde_json::to_string(&plan).expect("plan"),
        status: "approved".to_owned(),
        approvals: 2,
        approvals_required: 2,
        budget_fen: 9_000_000,
        spent_fen: 0,
        seed: 1,
        created_by: "u-planner".to_owned(),
        created_at: created_at.to_owned(),
        updated_at: created_at.to_owned(),
        cloned_from: None,
        executed_on: None,
    };
    assert!(
        store
            .create_campaign(&record, &history(id, created_at, "create", "", "approved"))
            .await
            .expect("create")
    );
    let line = |name: &str| *LINES.iter().find(|(l, _, _)| *l == name).expect("a line of kpis.rs");
    let execution = Execution {
        campaign_id: id.to_owned(),
        executed_on: executed_on.to_owned(),
        holdout_until: holdout_until.to_owned(),
        members: members
            .iter()
            .map(|(name, arm)| {
                let (_, branch, manager) = line(name);
                MemberRecord {
                    campaign_id: id.to_owned(),
                    subscription_id: format!("S{name}"),
                    customer_id: format!("C{name}"),
                    vip_tier: "gold".to_owned(),
                    branch_id: branch.to_owned(),
                    manager_id: manager.map(str::to_owned),
                    arm: (*arm).to_owned(),
                    offer_id: "prepay_bonus_100".to_owned(),
                }
            })
            .collect(),
        tasks: members
            .iter()
            .filter(|(_, arm)| *arm == "treated")
            .map(|(name, _)| outbound_task(&campaign_rule_id(id), name, line(name).1, created_at))
            .collect(),
        history: history(id, created_at, "execute", "approved", "running"),
    };
    let started = store.execute_campaign(&execution).await.expect("execute");
    assert!(matches!(started, Executed::Started { .. }), "{started:?}");
}

async fn end_campaign(store: &dyn Store, id: &str, at: &str) {
    let ended = store.transition_campaign(&history(id, at, "end", "running", "ended"), 2, 2, true).await;
    assert!(ended.expect("end"), "{id} was running");
}

fn outbound_task(rule_id: &str, line: &str, branch: &str, created_at: &str) -> NewTask {
    NewTask {
        rule_id: rule_id.to_owned(),
        subject: format!("S{line}"),
        cause: "outbound".to_owned(),
        category: "campaign".to_owned(),
        action: "call".to_owned(),
        customer_id: format!("C{line}"),
        subscription_id: Some(format!("S{line}")),
        branch_id: branch.to_owned(),
        manager_id: None,
        queue: Some("outbound".to_owned()),
        priority: "normal".to_owned(),
        due_on: "2026-11-10".to_owned(),
        reason_zh: "存费赠费".to_owned(),
        reason_en: "prepay bonus".to_owned(),
        created_at: created_at.to_owned(),
        source_event: None,
    }
}

async fn campaign_uplifts_come_with_intervals_or_a_reason(store: Arc<dyn Store>) {
    let work = tempfile::tempdir().expect("tempdir");
    let lake = operator(store.as_ref(), work.path()).await;
    let store = store.as_ref();
    // Spring ran from May 1: A, B, C, D treated; E, F, G held out until August 1.
    let spring = [("A", "treated"), ("B", "treated"), ("C", "treated"), ("D", "treated")];
    let control = [("E", "control"), ("F", "control"), ("G", "control")];
    let members: Vec<(&str, &str)> = spring.iter().chain(&control).copied().collect();
    run_campaign(store, "spring", "2026-04-20T02:00:00+00:00", "2026-05-01", "2026-08-01", &members).await;
    end_campaign(store, "spring", "2026-07-31T02:00:00+00:00").await;
    // Summer starts on the day of the evaluation; another is still a draft.
    let summer = [("A", "treated"), ("G", "control")];
    run_campaign(store, "summer", "2026-10-25T02:00:00+00:00", "2026-11-01", "2027-02-01", &summer).await;
    let draft = CampaignRecord {
        status: "draft".to_owned(),
        ..store.find_campaign("summer").await.expect("find").expect("summer")
    };
    let draft = CampaignRecord {
        campaign_id: "autumn".to_owned(),
        created_at: "2026-10-30T02:00:00+00:00".to_owned(),
        executed_on: None,
        ..draft
    };
    assert!(
        store
            .create_campaign(&draft, &history("autumn", &draft.created_at, "create", "", "draft"))
            .await
            .expect("draft")
    );

    let uplifts = campaign_uplifts(store, &lake, date("2026-11-01")).await.expect("uplifts");
    let ids: Vec<&str> = uplifts.iter().map(|u| u.campaign_id.as_str()).collect();
    assert_eq!(ids, ["summer", "spring"], "executed campaigns, newest first; the draft is not listed");

    let summer = &uplifts[0];
    assert!(summer.evaluation.is_none() && summer.retention_uplift.is_none());
    let reason = summer.not_evaluated.as_deref().expect("a reason");
    assert!(reason.contains("2026-11-01 is not after the campaign started (2026-11-01)"), "{reason}");

    let spring = &uplifts[1];
    assert_eq!(spring.not_evaluated, None);
    assert_eq!((spring.status.as_str(), spring.executed_on.as_str()), ("ended", "2026-05-01"));
    assert_eq!(spring.name_zh, "存费赠费保有");
    // Retained on November 1: A, C, D of the treated (B left October 15); F, G of the
    // control group (E left June 10). One stratum: the plain difference 3/4 − 2/3, with the
    // Agresti–Caffo variance (r + 1)/(n + 2) · (1 − (r + 1)/(n + 2)) / (n + 2) per arm.
    let z = 1.959964;
    let variance = |retained: f64, n: f64| {
        let p = (retained + 1.0) / (n + 2.0);
        p * (1.0 - p) / (n + 2.0)
    };
    let half = z * (variance(3.0, 4.0) + variance(2.0, 3.0)).sqrt();
    let uplift = spring.retention_uplift.expect("retention uplift");
    assert!((uplift.estimate - (0.75 - 2.0 / 3.0)).abs() < 1e-12, "{uplift:?}");
    assert!(
        (uplift.high - uplift.estimate - half).abs() < 1e-9
            && (uplift.estimate - uplift.low - half).abs() < 1e-9
    );
    // Revenue May to October: treated 900 (A), 820 (B), 510 (C), 670 (D), mean 725; control
    // 190 (E), 500 (F), 600 (G), mean 430.
    let evaluation = spring.evaluation.as_ref().expect("evaluation");
    let plain = evaluation.evaluation.revenue_uplift_unadjusted.expect("revenue uplift");
    assert!((plain.estimate - 295.0).abs() < 1e-9, "{plain:?}");
    let mean_variance = |values: &[f64]| {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        values.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0) / n
    };
    let half =
        z * (mean_variance(&[900.0, 820.0, 510.0, 670.0]) + mean_variance(&[190.0, 500.0, 600.0])).sqrt();
    assert!((plain.high - plain.estimate - half).abs() < 1e-6, "{plain:?}");
    assert_eq!(spring.revenue_uplift_per_member, evaluation.evaluation.revenue_uplift_per_member);
    assert!(spring.revenue_uplift_per_member.is_some() && spring.net_incremental_revenue.is_some());
    assert_eq!(spring.roi, None, "nothing was taken up, so nothing cost anything");
    // The same as evaluating the campaign alone.
    let alone = weiwan_app::campaigns::evaluate_campaign(store, &lake, "spring", date("2026-11-01"))
        .await
        .expect("evaluate");
    assert_eq!(evaluation, &alone);
}

// ---------------------------------------------------------------------------------------------
// The outbound funnel

fn audit(object_id: &str) -> AuditEntry {
    AuditEntry {
        id: 0,
        at: "2026-11-01T04:00:00+00:00".to_owned(),
        actor: "u-agent".to_owned(),
        role: "agent".to_owned(),
        action: "record_outcome".to_owned(),
        object_type: "task".to_owned(),
        object_id: object_id.to_owned(),
        detail: "{}".to_owned(),
    }
}

fn stages(funnel: &Funnel) -> [i64; 6] {
    [
        funnel.raised,
        funnel.claimed,
        funnel.reached,
        funnel.accepted_or_retained,
        funnel.waiting,
        funnel.closed_unworked,
    ]
}

async fn the_outbound_funnel_follows_tasks_from_raised_to_retained(store: Arc<dyn Store>) {
    let work = tempfile::tempdir().expect("tempdir");
    let _lake: Lake = operator(store.as_ref(), work.path()).await;
    let store = store.as_ref();
    // Autumn's six treated lines get outbound tasks at 00:30 on November 1, China time.
    let treated: Vec<(&str, &str)> = ["A", "B", "C", "D", "E", "F"].iter().map(|l| (*l, "treated")).collect();
    let members: Vec<(&str, &str)> = treated.into_iter().chain([("G", "control")]).collect();
    run_campaign(store, "autumn", "2026-10-31T16:30:00+00:00", "2026-11-01", "2027-02-01", &members).await;
    // Also raised: one at 23:30 on October 31 (before the day), one for the hotline, and one
    // outbound task on November 2 that nobody takes up.
    let raised = store
        .raise_tasks(&[
            outbound_task("porting", "A", "B01", "2026-10-31T15:30:00+00:00"),
            NewTask {
                queue: Some("hotline".to_owned()),
                ..outbound_task("complaint", "B", "B01", "2026-11-01T01:00:00+00:00")
            },
            outbound_task("porting", "D", "B02", "2026-11-02T01:00:00+00:00"),
        ])
        .await
        .expect("raise");
    assert_eq!(raised.len(), 3);
    let tasks = store
        .tasks(&weiwan_storage::TaskFilter {
            rule_id: Some(campaign_rule_id("autumn")),
            ..Default::default()
        })
        .await
        .expect("tasks");
    let task =
        |line: &str| tasks.iter().find(|t| t.task.subject == format!("S{line}")).expect("task").task_id;
    // A accepted; B not reached; C refused; D considering, then retained; E claimed, no
    // outcome yet; F untouched.
    for line in ["A", "B", "C", "D", "E"] {
        let claim =
            store.claim_task(task(line), "u-agent", "2026-11-01T03:00:00+00:00").await.expect("claim");
        assert!(matches!(claim, Claim::Claimed(_)), "{claim:?}");
    }
    for (line, outcome, closes) in [
        ("A", "accepted", true),
        ("B", "not_reached", false),
        ("C", "refused", true),
        ("D", "considering", false),
        ("D", "retained", true),
    ] {
        let record = OutcomeRecord {
            task_id: task(line),
            at: "2026-11-01T04:00:00+00:00".to_owned(),
            user_id: "u-agent".to_owned(),
            outcome: outcome.to_owned(),
            note: String::new(),
            confirm_suspension: false,
            request_id: None,
            questionnaire_id: None,
            answers: None,
        };
        let recorded = store.record_outcome(&record, closes, &audit(line)).await.expect("record");
        assert!(matches!(recorded, OutcomeRecorded::New(_)), "{recorded:?}");
    }

    let since = date("2026-11-01");
    let funnel = outbound_funnel(store, since, None).await.expect("funnel");
    // Raised: A to F and the task of November 2. Taken up: A to E. Reached: A, C, D (B was
    // not, E has no outcome). Accepted or retained: A, D. Waiting: F and November 2's.
    assert_eq!(stages(&funnel), [7, 5, 3, 2, 2, 0]);
    assert_eq!(funnel.claim_rate, Some(5.0 / 7.0));
    assert_eq!(funnel.reach_rate, Some(3.0 / 5.0));
    assert_eq!(funnel.success_rate, Some(2.0 / 3.0));
    let outcomes: Vec<(&str, &str, i64)> =
        funnel.by_outcome.iter().map(|o| (o.outcome.as_str(), o.label_zh.as_str(), o.tasks)).collect();
    assert_eq!(
        outcomes,
        [
            ("not_reached", "未联系上", 1),
            ("retained", "挽留成功", 1),
            ("refused", "客户拒绝", 1),
            ("accepted", "接受优惠", 1)
        ]
    );

    // Ending autumn closes its open tasks: F was never worked; B and E stay taken up.
    end_campaign(store, "autumn", "2026-11-05T02:00:00+00:00").await;
    let funnel = outbound_funnel(store, since, None).await.expect("funnel");
    assert_eq!(stages(&funnel), [7, 5, 3, 2, 1, 1]);
    // B02: D (retained), E (taken up), F (closed unworked), November 2's task (waiting).
    let b02 = outbound_funnel(store, since, Some("B02")).await.expect("funnel");
    assert_eq!(stages(&b02), [4, 2, 1, 1, 1, 1]);
    assert_eq!(b02.branch_id.as_deref(), Some("B02"));
    // From October 31 the task raised that evening counts too; from November 3 only none.
    let earlier = outbound_funnel(store, date("2026-10-31"), None).await.expect("funnel");
    assert_eq!(stages(&earlier), [8, 5, 3, 2, 2, 1]);
    let later = outbound_funnel(store, date("2026-11-03"), None).await.expect("funnel");
    assert_eq!(stages(&later), [0; 6]);
    assert_eq!((later.claim_rate, later.reach_rate, later.success_rate), (None, None, None));
    assert!(later.by_outcome.is_empty());
}

on_both_stores!(
    churn_and_retention_are_traced_month_by_month,
    campaign_uplifts_come_with_intervals_or_a_reason,
    the_outbound_funnel_follows_tasks_from_raised_to_retained,
);

// ---------------------------------------------------------------------------------------------
// The model in force

#[tokio::test]
async fn a_model_trained_before_the_curves_were_kept_reads_with_empty_curves() {
    let work = tempfile::tempdir().expect("tempdir");
    let lake = Lake::new(work.path().join("lake"));
    std::fs::create_dir_all(lake.root()).expect("lake");
    assert_eq!(model_quality(&lake).await.expect("no model"), None, "nothing trained yet");

    // A small model file whose window has the out-of-time metrics but no curves, as files
    // written before the curves were added.
    let data = work.path().join("train.csv");
    let mut csv = String::from("tenure,calls,left\n");
    for i in 0..60 {
        csv.push_str(&format!("{},{},{}\n", i % 24, i % 7, u8::from(i % 7 >= 5)));
    }
    std::fs::write(&data, csv).expect("csv");
    let mut options = weiwan_model::TrainOptions::new("left");
    options.algorithm = weiwan_model::Algorithm::NaiveBayes;
    let mut model = weiwan_model::train_csv(&data, &options).expect("train");
    model.info.window = Some(serde_json::json!({
        "features_as_of": "2026-05-01",
        "labels_until": "2026-08-01",
        "horizon_months": 3,
        "out_of_time": {
            "trained_on_features_as_of": "2026-02-01",
            "tested_on_features_as_of": "2026-05-01",
            "test_rows": 16144,
            "test_positives": 909,
            "auc": 0.888,
            "top_decile_lift": 5.8,
            "log_loss": 0.17,
            "brier": 0.045
        }
    }));
    let dir = lake.root().join("models/churn");
    std::fs::create_dir_all(&dir).expect("models");
    model.save(&dir.join("churn-2026-08-01.json")).expect("save");
    std::fs::write(dir.join("CURRENT"), "churn-2026-08-01.json\n").expect("current");

    let quality = model_quality(&lake).await.expect("read").expect("a model in force");
    assert_eq!(quality.file, "churn-2026-08-01.json");
    assert_eq!(
        (quality.features_as_of.as_str(), quality.labels_until.as_str()),
        ("2026-05-01", "2026-08-01")
    );
    assert_eq!((quality.rows, quality.horizon_months), (60, 3));
    let oot = &quality.out_of_time;
    assert_eq!((oot.test_rows, oot.test_positives, oot.auc, oot.top_decile_lift), (16144, 909, 0.888, 5.8));
    assert!(oot.roc.is_empty() && oot.lift.is_empty() && oot.reliability.is_empty());

    // A model file without a training window was not trained on the lake: said, not guessed.
    model.info.window = None;
    model.save(&dir.join("churn-2026-08-01.json")).expect("save");
    let err = model_quality(&lake).await.expect_err("no window");
    assert!(err.to_string().contains("has no training window"), "{err}");
}
