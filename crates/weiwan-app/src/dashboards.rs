//! The data behind the console's analyst and management pages (看板): the quality of the churn
//! model in force, churn by month, a cohort's 保有率 month by month, the outbound funnel, and
//! the uplift of every campaign that ran. Each returns plain data, ready for charts, and writes
//! nothing. The definitions are in docs/dashboards.md.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Datelike, Months, NaiveDate, TimeZone, Utc};
use serde::Serialize;
use weiwan_analytics::trends::MonthChurn;
use weiwan_analytics::{KpiGroup, KpiSettings, Lake, Target};
use weiwan_decision::experiment::Interval;
use weiwan_domain::codes::TaskOutcome;
use weiwan_model::ChurnModel;
use weiwan_storage::Store;

use crate::campaigns::{CampaignEvaluation, evaluate_campaign, stored_plan};
use crate::churn::{OutOfTime, TrainingWindow, current_model_path};
use crate::error::{Error, Result};

// ---------------------------------------------------------------------------------------------
// Model quality

/// The churn model in force and how it did on its out-of-time test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelQuality {
    /// The model file, under `models/churn/` in the data directory.
    pub file: String,
    /// The 360 table the model was fitted on, and the end of its label window.
    pub features_as_of: String,
    pub labels_until: String,
    pub horizon_months: u32,
    /// Lines the model was fitted on, and how many of them left.
    pub rows: usize,
    pub positives: usize,
    pub trees: Option<usize>,
    /// Metrics and curves (ROC, lift by decile, reliability) of the out-of-time test. The
    /// curves are empty for a model trained before they were kept in the model file.
    pub out_of_time: OutOfTime,
}

/// The model in force (named by `CURRENT`), if one was trained.
pub async fn model_quality(lake: &Lake) -> Result<Option<ModelQuality>> {
    let Some(path) = current_model_path(lake)? else {
        return Ok(None);
    };
    // A model file is megabytes of trees: read off the async workers.
    tokio::task::spawn_blocking(move || read_model_quality(&path)).await?.map(Some)
}

fn read_model_quality(path: &Path) -> Result<ModelQuality> {
    let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let info = ChurnModel::read_info(path)?;
    let window = info.window.ok_or_else(|| {
        Error::Invalid(format!("model file {file} has no training window: it was not trained on the lake"))
    })?;
    let window: TrainingWindow = serde_json::from_value(window)
        .map_err(|e| Error::Invalid(format!("model file {file}: unreadable training window: {e}")))?;
    Ok(ModelQuality {
        file,
        features_as_of: window.features_as_of,
        labels_until: window.labels_until,
        horizon_months: window.horizon_months,
        rows: info.rows,
        positives: info.positives,
        trees: info.trees,
        out_of_time: window.out_of_time,
    })
}

// ---------------------------------------------------------------------------------------------
// Churn by month

/// The most months a churn trend covers.
pub const MAX_TREND_MONTHS: u32 = 120;

/// Lines in network at the start of each of the `months` complete months before `as_of`'s
/// month, how many of them left in it, and the rate; oldest first.
pub async fn churn_trend(lake: &Lake, as_of: NaiveDate, months: u32) -> Result<Vec<MonthChurn>> {
    if !(1..=MAX_TREND_MONTHS).contains(&months) {
        return Err(Error::Invalid(format!(
            "months: {months}; a trend covers 1 to {MAX_TREND_MONTHS} months"
        )));
    }
    Ok(weiwan_analytics::trends::monthly_churn(lake, as_of, months).await?)
}

// ---------------------------------------------------------------------------------------------
// A cohort's KPIs month by month

/// The most month ends a KPI trend computes (the latest ones): one KPI query each.
pub const MAX_KPI_TREND_POINTS: usize = 24;

/// 中高端客户保有率 (`retention_rate`) of a cohort at the end of each month since its snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiTrend {
    pub cohort: String,
    /// YYYY-MM-DD.
    pub taken_on: String,
    /// YYYY-MM-DD.
    pub as_of: String,
    /// The months ended, `YYYY-MM`; each point is the cohort's KPIs as of the next month's
    /// first day (the last complete month then being this one).
    pub months: Vec<String>,
    /// The whole cohort, one value per month.
    pub overall: Vec<Option<f64>>,
    /// One series per branch of the snapshot date, by branch id.
    pub by_branch: Vec<KpiSeries>,
    /// One series per VIP tier of the snapshot date, by tier code.
    pub by_tier: Vec<KpiSeries>,
    /// The base and stretch targets (T0, T1) of 保有率, if set.
    pub target: Option<Target>,
}

/// One group's values, aligned with [`KpiTrend::months`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiSeries {
    /// The branch or tier; None for members without one.
    pub key: Option<String>,
    pub values: Vec<Option<f64>>,
}

const TREND_KPI: &str = "retention_rate";

/// The first days of the months after the snapshot's month, up to `as_of`: the dates at which
/// a month has ended since the snapshot. The latest [`MAX_KPI_TREND_POINTS`].
fn month_ends(taken_on: NaiveDate, as_of: NaiveDate) -> Result<Vec<NaiveDate>> {
    let overflow = || Error::Invalid(format!("as_of: {as_of} is out of range"));
    let first = taken_on.with_day(1).ok_or_else(overflow)?;
    let mut ends = Vec::new();
    let mut end = first.checked_add_months(Months::new(1)).ok_or_else(overflow)?;
    while end <= as_of {
        ends.push(end);
        end = end.checked_add_months(Months::new(1)).ok_or_else(overflow)?;
    }
    let keep = ends.len().saturating_sub(MAX_KPI_TREND_POINTS);
    Ok(ends.split_off(keep))
}

/// A registered cohort's 保有率 at each month end from the end of its snapshot's month to
/// `as_of`, overall, by branch and by tier (attributes of the snapshot date), computed as
/// `weiwan kpi` computes it (docs/kpis.md). Refused when no month has ended since the snapshot.
pub async fn kpi_trend(
    store: &dyn Store,
    lake: &Lake,
    cohort: &str,
    as_of: NaiveDate,
    settings: &KpiSettings,
) -> Result<KpiTrend> {
    let taken_on = crate::segments::cohort_taken_on(store, cohort).await?;
    let ends = month_ends(taken_on, as_of)?;
    if ends.is_empty() {
        return Err(Error::KpiRefused(weiwan_analytics::KpiRefused(format!(
            "KPI trend as of {as_of} for a snapshot of {taken_on}: no month has ended since the snapshot"
        ))));
    }
    let mut months = Vec::with_capacity(ends.len());
    let mut overall = Vec::with_capacity(ends.len());
    let mut by_branch = SeriesBuilder::default();
    let mut by_tier = SeriesBuilder::default();
    for (point, end) in ends.iter().enumerate() {
        let report = weiwan_analytics::cohort_kpis(lake, cohort, taken_on, *end, settings).await?;
        let ended = report.months.last().cloned().unwrap_or_default();
        months.push(ended);
        overall.push(retention(&report.overall));
        by_branch.add(point, &report.by_branch);
        by_tier.add(point, &report.by_tier);
    }
    Ok(KpiTrend {
        cohort: cohort.to_owned(),
        taken_on: taken_on.to_string(),
        as_of: as_of.to_string(),
        by_branch: by_branch.finish(months.len()),
        by_tier: by_tier.finish(months.len()),
        months,
        overall,
        target: settings.targets.get(TREND_KPI).copied(),
    })
}

fn retention(group: &KpiGroup) -> Option<f64> {
    group.kpis.get(TREND_KPI).and_then(|kpi| kpi.value)
}

/// Series by group key, each value put at its point (a group missing at a point stays None).
#[derive(Default)]
struct SeriesBuilder {
    series: BTreeMap<Option<String>, Vec<(usize, Option<f64>)>>,
}

impl SeriesBuilder {
    fn add(&mut self, point: usize, groups: &[KpiGroup]) {
        for group in groups {
            self.series.entry(group.key.clone()).or_default().push((point, retention(group)));
        }
    }

    fn finish(self, points: usize) -> Vec<KpiSeries> {
        self.series
            .into_iter()
            .map(|(key, found)| {
                let mut values = vec![None; points];
                for (point, value) in found {
                    values[point] = value;
                }
                KpiSeries { key, values }
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// The outbound funnel

/// The queue of outbound calls (外呼).
const OUTBOUND: &str = "outbound";

/// What became of the outbound queue's tasks raised since a date: raised → claimed → reached →
/// accepted or retained. Each stage counts tasks by their latest state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Funnel {
    /// YYYY-MM-DD, China time: tasks raised on or after this day count.
    pub since: String,
    /// The branch counted, or None for all.
    pub branch_id: Option<String>,
    /// Tasks raised in the queue.
    pub raised: i64,
    /// Of those, the tasks someone took up: claimed, or with an outcome recorded.
    pub claimed: i64,
    /// Of those, the tasks whose latest outcome is anything but not reached (未联系上).
    pub reached: i64,
    /// Of those, the tasks whose latest outcome is offer accepted (接受优惠) or retained (挽留成功).
    pub accepted_or_retained: i64,
    /// Raised and not taken up yet (still open).
    pub waiting: i64,
    /// Closed before anyone took them up (their campaign ended).
    pub closed_unworked: i64,
    /// `claimed / raised`; None when nothing was raised.
    pub claim_rate: Option<f64>,
    /// `reached / claimed`.
    pub reach_rate: Option<f64>,
    /// `accepted_or_retained / reached`.
    pub success_rate: Option<f64>,
    /// Tasks by latest outcome, in the order of the outcome codes; outcomes without tasks are
    /// left out.
    pub by_outcome: Vec<OutcomeCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutcomeCount {
    /// A `TaskOutcome` code.
    pub outcome: String,
    pub label_zh: String,
    pub label_en: String,
    pub tasks: i64,
}

/// The outbound funnel of tasks raised since `since` (a China-time day), in one branch or all.
pub async fn outbound_funnel(store: &dyn Store, since: NaiveDate, branch: Option<&str>) -> Result<Funnel> {
    let midnight = since.and_hms_opt(0, 0, 0).ok_or_else(|| Error::Invalid(format!("since: {since}")))?;
    let start = crate::cases::china()
        .from_local_datetime(&midnight)
        .single()
        .ok_or_else(|| Error::Invalid(format!("since: {since}")))?
        .with_timezone(&Utc)
        .to_rfc3339();
    let tally = store.queue_task_tally(OUTBOUND, &start, branch).await?;
    let not_reached = TaskOutcome::NotReached.code();
    let success = [TaskOutcome::Accepted.code(), TaskOutcome::Retained.code()];
    let (mut raised, mut claimed, mut reached, mut accepted, mut waiting, mut closed_unworked) =
        (0, 0, 0, 0, 0, 0);
    let mut outcomes: BTreeMap<&str, i64> = BTreeMap::new();
    for row in &tally {
        raised += row.tasks;
        match row.last_outcome.as_deref() {
            Some(outcome) => {
                // Claiming comes before an outcome, but a task with an outcome was worked
                // whoever recorded it.
                claimed += row.tasks;
                *outcomes.entry(outcome).or_default() += row.tasks;
                if outcome != not_reached {
                    reached += row.tasks;
                }
                if success.contains(&outcome) {
                    accepted += row.tasks;
                }
            }
            None => {
                claimed += row.claimed;
                let unclaimed = row.tasks - row.claimed;
                if row.status == "done" {
                    closed_unworked += unclaimed;
                } else {
                    waiting += unclaimed;
                }
            }
        }
    }
    let rate = |part: i64, whole: i64| (whole > 0).then(|| part as f64 / whole as f64);
    let mut by_outcome: Vec<OutcomeCount> = TaskOutcome::ALL
        .iter()
        .filter_map(|outcome| {
            outcomes.remove(outcome.code()).map(|tasks| OutcomeCount {
                outcome: outcome.code().to_owned(),
                label_zh: outcome.label_zh().to_owned(),
                label_en: outcome.label_en().to_owned(),
                tasks,
            })
        })
        .collect();
    // Codes this build does not know (written by a later one) are shown as they are.
    by_outcome.extend(outcomes.into_iter().map(|(outcome, tasks)| OutcomeCount {
        outcome: outcome.to_owned(),
        label_zh: outcome.to_owned(),
        label_en: outcome.to_owned(),
        tasks,
    }));
    Ok(Funnel {
        since: since.to_string(),
        branch_id: branch.map(str::to_owned),
        raised,
        claimed,
        reached,
        accepted_or_retained: accepted,
        waiting,
        closed_unworked,
        claim_rate: rate(claimed, raised),
        reach_rate: rate(reached, claimed),
        success_rate: rate(accepted, reached),
        by_outcome,
    })
}

// ---------------------------------------------------------------------------------------------
// Campaign uplifts

/// A campaign that ran, with its evaluation against its holdout, or why it has none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignUplift {
    pub campaign_id: String,
    pub name_zh: String,
    pub name_en: String,
    /// A `CampaignStatus` code.
    pub status: String,
    /// YYYY-MM-DD.
    pub executed_on: String,
    /// Retention rate of the treated minus the control group, with its 95% interval; None
    /// without an evaluation, or when no stratum has members in both arms.
    pub retention_uplift: Option<Interval>,
    /// Revenue per member, treated minus control (yuan), with its 95% interval.
    pub revenue_uplift_per_member: Option<Interval>,
    /// Incremental revenue net of the offers' cost (yuan), with its 95% interval.
    pub net_incremental_revenue: Option<Interval>,
    pub roi: Option<f64>,
    /// The whole evaluation (arms, strata, channels, targets).
    pub evaluation: Option<CampaignEvaluation>,
    /// Why the campaign could not be evaluated as of the date, when it could not.
    pub not_evaluated: Option<String>,
}

/// Every campaign that has been executed, newest first, evaluated as of `as_of`. A campaign
/// that cannot be evaluated (say, it started on or after `as_of`) is listed with the reason;
/// a failure of the store or the lake fails the list.
pub async fn campaign_uplifts(
    store: &dyn Store,
    lake: &Lake,
    as_of: NaiveDate,
) -> Result<Vec<CampaignUplift>> {
    let mut out = Vec::new();
    for record in store.campaigns().await? {
        let Some(executed_on) = record.executed_on.clone() else {
            continue;
        };
        let plan = stored_plan(&record)?;
        let (evaluation, not_evaluated) =
            match evaluate_campaign(store, lake, &record.campaign_id, as_of).await {
                Ok(evaluation) => (Some(evaluation), None),
                Err(
                    refused @ (Error::Invalid(_)
                    | Error::Conflict(_)
                    | Error::NotFound(_)
                    | Error::Refused(_)
                    | Error::SegmentRefused(_)),
                ) => (None, Some(refused.to_string())),
                Err(failed) => return Err(failed),
            };
        let of = |pick: fn(&CampaignEvaluation) -> Option<Interval>| evaluation.as_ref().and_then(pick);
        out.push(CampaignUplift {
            campaign_id: record.campaign_id,
            name_zh: plan.name_zh,
            name_en: plan.name_en,
            status: record.status,
            executed_on,
            retention_uplift: of(|e| e.evaluation.retention_uplift),
            revenue_uplift_per_member: of(|e| e.evaluation.revenue_uplift_per_member),
            net_incremental_revenue: of(|e| e.evaluation.net_incremental_revenue),
            roi: evaluation.as_ref().and_then(|e| e.evaluation.roi),
            evaluation,
            not_evaluated,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn month_ends_run_from_the_end_of_the_snapshots_month_to_the_date() {
        let ends = |taken_on: &str, as_of: &str| -> Vec<String> {
            month_ends(date(taken_on), date(as_of)).expect("ends").iter().map(|d| d.to_string()).collect()
        };
        assert_eq!(ends("2026-04-01", "2026-07-01"), ["2026-05-01", "2026-06-01", "2026-07-01"]);
        assert_eq!(ends("2026-04-15", "2026-06-20"), ["2026-05-01", "2026-06-01"]);
        assert!(ends("2026-04-01", "2026-04-30").is_empty(), "April has not ended");
        let long = ends("2020-01-01", "2026-11-01");
        assert_eq!(long.len(), MAX_KPI_TREND_POINTS);
        assert_eq!((long[0].as_str(), long[23].as_str()), ("2024-12-01", "2026-11-01"));
    }
}
