//! Snapshot cohorts (拍照) and the KPIs operators are judged by, in SQL (docs/kpis.md).
//!
//! A cohort freezes a set of lines at a date, with the attributes they had then (branch, VIP
//! tier, manager, ARPU): `cohorts/<name>.parquet`, written once and never changed. The KPIs of
//! a cohort as of a later date — 中高端客户保有率, 在网率, 离网率, 捆绑到位率, 续签率 — are
//! computed by `sql/kpi_members.sql` (one row of facts per member) and `sql/kpi_groups.sql`
//! (counts and rates per group), overall and by branch, tier and manager.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, Int64Type};
use chrono::{Datelike, Months, NaiveDate};
use datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};

use crate::batch::{lake_session, write_query};
use crate::churn_kinds::{ChurnKindSettings, register_churn_kinds};
use crate::error::{Error, Result};
use crate::lake::Lake;
use crate::segments::{SegmentError, SegmentQuery, member_rows_sql, segment_session};

const MEMBERS_SQL: &str = include_str!("../sql/kpi_members.sql");
const GROUPS_SQL: &str = include_str!("../sql/kpi_groups.sql");

/// The KPI names, in report order: the seeds' five, then those of the churn kinds
/// (docs/churn-kinds.md).
pub const KPIS: [&str; 9] = [
    "retention_rate",
    "in_network_rate",
    "churn_rate",
    "binding_rate",
    "renewal_rate",
    "retention_rate_excl_switch",
    "external_churn_rate",
    "internal_switch_rate",
    "dormant_rate",
];

/// Where a cohort's members are kept.
pub fn cohort_path(lake: &Lake, name: &str) -> PathBuf {
    lake.root().join("cohorts").join(format!("{name}.parquet"))
}

/// What a snapshot wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohortFile {
    pub path: PathBuf,
    pub members: u64,
}

/// Takes a snapshot: the lines a query picks from the tagged 360 table of `taken_on`, with
/// their branch, tier, manager and ARPU of that day. Refused if the cohort exists.
pub async fn snapshot_cohort(
    lake: &Lake,
    name: &str,
    taken_on: NaiveDate,
    query: &SegmentQuery,
) -> Result<CohortFile, SegmentError> {
    crate::segments::check_name(name)?;
    let path = cohort_path(lake, name);
    if path.exists() {
        return Err(crate::segments::SegmentRefused {
            problems: vec![format!("cohort {name} exists already; a snapshot is never retaken")],
        }
        .into());
    }
    let context = segment_session(lake, taken_on).await?;
    let schema =
        Arc::new(context.table("customer_360").await.map_err(Error::from)?.schema().as_arrow().clone());
    let rows = member_rows_sql(&context, &schema, query).await?;
    let sql = format!(
        "SELECT subscription_id, customer_id, branch_id, manager_id, vip_tier, arpu_3m, \
         DATE '{taken_on}' AS taken_on FROM ({rows}) ORDER BY subscription_id"
    );
    let frame = context.sql(&sql).await.map_err(Error::from)?;
    let members = write_query(frame, &path).await?;
    if members == 0 {
        std::fs::remove_file(&path).map_err(Error::io(&path))?;
        return Err(crate::segments::SegmentRefused {
            problems: vec![format!("the selection picks no lines on {taken_on}; no cohort was taken")],
        }
        .into());
    }
    tracing::info!(cohort = name, %taken_on, members, "cohort snapshot taken");
    Ok(CohortFile { path, members })
}

/// Targets for a KPI: T0 the base target, T1 the stretch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub t0: f64,
    pub t1: f64,
}

/// How the KPIs are computed and judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KpiSettings {
    /// A member whose ARPU stays below this (yuan) ...
    pub arpu_floor: f64,
    /// ... for this many consecutive months is lost to the 中高端 base.
    pub low_months: u32,
    /// Targets by KPI name.
    pub targets: BTreeMap<String, Target>,
    /// How departures are told apart and when a member is dormant (`[kpi.churn_kinds]`).
    pub churn_kinds: ChurnKindSettings,
}

impl Default for KpiSettings {
    /// The VIP centre of the seeds: lost below 50 yuan for 3 months; 保有率 77% / 83%,
    /// 捆绑到位率 30% / 60%, 续签率 10% / 20%.
    fn default() -> KpiSettings {
        let targets =
            [("retention_rate", 0.77, 0.83), ("binding_rate", 0.30, 0.60), ("renewal_rate", 0.10, 0.20)]
                .into_iter()
                .map(|(name, t0, t1)| (name.to_owned(), Target { t0, t1 }))
                .collect();
        KpiSettings { arpu_floor: 50.0, low_months: 3, targets, churn_kinds: ChurnKindSettings::default() }
    }
}

impl KpiSettings {
    pub fn validate(&self) -> std::result::Result<(), String> {
        if !(self.arpu_floor.is_finite() && self.arpu_floor >= 0.0) {
            return Err(format!("kpi arpu_floor {}: must be a non-negative number", self.arpu_floor));
        }
        if !(1..=24).contains(&self.low_months) {
            return Err(format!("kpi low_months {}: must be 1 to 24", self.low_months));
        }
        self.churn_kinds.validate()?;
        for (name, target) in &self.targets {
            if !KPIS.contains(&name.as_str()) {
                return Err(format!("kpi target {name}: unknown KPI; the KPIs are {}", KPIS.join(", ")));
            }
            let in_range = |x: f64| (0.0..=1.0).contains(&x);
            if !(in_range(target.t0) && in_range(target.t1)) {
                return Err(format!("kpi target {name}: t0 and t1 are rates between 0 and 1"));
            }
            let ordered = if lower_is_better(name) { target.t1 <= target.t0 } else { target.t1 >= target.t0 };
            if !ordered {
                return Err(format!("kpi target {name}: the stretch target t1 must be beyond the base t0"));
            }
        }
        Ok(())
    }
}

/// The churn rates, of any kind, are the KPIs where less is better.
fn lower_is_better(kpi: &str) -> bool {
    matches!(kpi, "churn_rate" | "external_churn_rate" | "internal_switch_rate" | "dormant_rate")
}

/// A rate and how it stands against its targets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Kpi {
    /// None when the rate has no denominator (no contract came due, nobody left in network).
    pub value: Option<f64>,
    pub t0: Option<f64>,
    pub t1: Option<f64>,
    /// `t1` (stretch met), `t0` (base met), `below_t0`, or None without targets or value.
    pub attainment: Option<&'static str>,
}

/// The counts behind the rates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KpiCounts {
    pub members: i64,
    pub left: i64,
    /// Of `left`: gone to a competitor (外部离网) and internal number switches (内部转网).
    pub left_external: i64,
    pub left_internal_switch: i64,
    /// In network at the date but unused for the dormancy months (冬眠).
    pub dormant: i64,
    pub low_arpu: i64,
    pub lost: i64,
    pub in_network: i64,
    pub in_network_at_last_month: i64,
    pub left_in_last_month: i64,
    pub bound: i64,
    pub contracts_due: i64,
    pub contracts_renewed: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiGroup {
    /// The branch, tier or manager; None for the whole cohort or members without one.
    pub key: Option<String>,
    pub counts: KpiCounts,
    pub kpis: BTreeMap<&'static str, Kpi>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiReport {
    pub cohort: String,
    /// YYYY-MM-DD.
    pub taken_on: String,
    /// YYYY-MM-DD.
    pub as_of: String,
    pub arpu_floor: f64,
    pub low_months: u32,
    /// The complete months observed, `YYYY-MM`.
    pub months: Vec<String>,
    pub overall: KpiGroup,
    pub by_branch: Vec<KpiGroup>,
    pub by_tier: Vec<KpiGroup>,
    pub by_manager: Vec<KpiGroup>,
}

/// Why KPIs cannot be computed for these arguments.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KpiRefused(pub String);

#[derive(Debug, thiserror::Error)]
pub enum KpiError {
    #[error(transparent)]
    Refused(#[from] KpiRefused),
    #[error(transparent)]
    Failed(#[from] Error),
}

/// The complete months from the snapshot's month to the one before `as_of`'s.
fn observed_months(taken_on: NaiveDate, as_of: NaiveDate) -> Result<Vec<NaiveDate>, KpiRefused> {
    let first = taken_on.with_day(1).ok_or_else(|| KpiRefused("no first day of the month".into()))?;
    let end = as_of.with_day(1).ok_or_else(|| KpiRefused("no first day of the month".into()))?;
    if end <= first {
        return Err(KpiRefused(format!(
            "KPIs as of {as_of} for a snapshot of {taken_on}: at least one complete month after the snapshot's month is needed"
        )));
    }
    let mut months = Vec::new();
    let mut month = first;
    while month < end {
        months.push(month);
        month =
            month.checked_add_months(Months::new(1)).ok_or_else(|| KpiRefused("month overflow".into()))?;
    }
    Ok(months)
}

/// Computes the KPIs of a cohort as of a date.
pub async fn cohort_kpis(
    lake: &Lake,
    cohort: &str,
    taken_on: NaiveDate,
    as_of: NaiveDate,
    settings: &KpiSettings,
) -> Result<KpiReport, KpiError> {
    settings.validate().map_err(KpiRefused)?;
    let months = observed_months(taken_on, as_of)?;
    let path = cohort_path(lake, cohort);
    if !path.exists() {
        return Err(KpiRefused(format!("cohort {cohort} has no member file at {}", path.display())).into());
    }
    let last_month = *months.last().ok_or_else(|| KpiRefused("no month observed".into()))?;
    let values: Vec<String> = months.iter().map(|m| format!("('{m}')")).collect();
    let sql = MEMBERS_SQL
        .replace("{taken_on}", &taken_on.to_string())
        .replace("{as_of}", &as_of.to_string())
        .replace("{last_month}", &last_month.to_string())
        .replace("{months}", &values.join(", "))
        .replace("{floor}", &settings.arpu_floor.to_string())
        .replace("{run}", &settings.low_months.to_string());

    let context = lake_session(lake).await?;
    register_churn_kinds(&context, as_of, &settings.churn_kinds).await?;
    context
        .register_parquet("cohort", path.to_string_lossy().as_ref(), Default::default())
        .await
        .map_err(Error::from)?;
    let facts = context.sql(&sql).await.map_err(Error::from)?.cache().await.map_err(Error::from)?;
    context.register_table("member_kpis", facts.into_view()).map_err(Error::from)?;

    let mut overall = group_kpis(&context, "'all'", settings).await?;
    let mut overall = overall.pop().ok_or_else(|| KpiRefused(format!("cohort {cohort} has no members")))?;
    overall.key = None;
    Ok(KpiReport {
        cohort: cohort.to_owned(),
        taken_on: taken_on.to_string(),
        as_of: as_of.to_string(),
        arpu_floor: settings.arpu_floor,
        low_months: settings.low_months,
        months: months.iter().map(|m| m.format("%Y-%m").to_string()).collect(),
        overall,
        by_branch: group_kpis(&context, "branch_id", settings).await?,
        by_tier: group_kpis(&context, "vip_tier", settings).await?,
        by_manager: group_kpis(&context, "manager_id", settings).await?,
    })
}

/// The KPIs per value of a column of the member facts (or of a literal, for the whole cohort).
async fn group_kpis(context: &SessionContext, column: &str, settings: &KpiSettings) -> Result<Vec<KpiGroup>> {
    let batches = context.sql(&GROUPS_SQL.replace("{group}", column)).await?.collect().await?;
    groups(&batches, settings)
}

const COUNT_COLUMNS: [&str; 13] = [
    "members",
    "left_count",
    "left_external",
    "left_internal_switch",
    "dormant",
    "low_arpu",
    "lost",
    "in_network",
    "in_network_at_last_month",
    "left_in_last_month",
    "bound",
    "contracts_due",
    "contracts_renewed",
];

fn groups(batches: &[RecordBatch], settings: &KpiSettings) -> Result<Vec<KpiGroup>> {
    let mut out = Vec::new();
    for batch in batches {
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .ok_or_else(|| Error::internal(format!("kpi_groups.sql yields no {name}")))
        };
        let mistyped = |name: &str| Error::internal(format!("kpi_groups.sql: {name} has an unexpected type"));
        // Text comes back as Utf8 or Utf8View depending on the source; one form here.
        let keys = arrow::compute::cast(column("group_key")?, &arrow::datatypes::DataType::Utf8)?;
        let keys = keys.as_string_opt::<i32>().ok_or_else(|| mistyped("group_key"))?;
        let counts = COUNT_COLUMNS
            .iter()
            .map(|name| column(name)?.as_primitive_opt::<Int64Type>().ok_or_else(|| mistyped(name)))
            .collect::<Result<Vec<_>>>()?;
        let rates = KPIS
            .iter()
            .map(|name| column(name)?.as_primitive_opt::<Float64Type>().ok_or_else(|| mistyped(name)))
            .collect::<Result<Vec<_>>>()?;
        for row in 0..batch.num_rows() {
            let count = |index: usize| if counts[index].is_null(row) { 0 } else { counts[index].value(row) };
            let kpis = KPIS
                .iter()
                .zip(&rates)
                .map(|(name, rate)| {
                    let value = (!rate.is_null(row)).then(|| rate.value(row));
                    (*name, judge(name, value, settings.targets.get(*name)))
                })
                .collect();
            out.push(KpiGroup {
                key: (!keys.is_null(row)).then(|| keys.value(row).to_owned()),
                counts: KpiCounts {
                    members: count(0),
                    left: count(1),
                    left_external: count(2),
                    left_internal_switch: count(3),
                    dormant: count(4),
                    low_arpu: count(5),
                    lost: count(6),
                    in_network: count(7),
                    in_network_at_last_month: count(8),
                    left_in_last_month: count(9),
                    bound: count(10),
                    contracts_due: count(11),
                    contracts_renewed: count(12),
                },
                kpis,
            });
        }
    }
    Ok(out)
}

fn judge(name: &str, value: Option<f64>, target: Option<&Target>) -> Kpi {
    let attainment = match (value, target) {
        (Some(value), Some(target)) => {
            let meets = |goal: f64| if lower_is_better(name) { value <= goal } else { value >= goal };
            Some(if meets(target.t1) {
                "t1"
            } else if meets(target.t0) {
                "t0"
            } else {
                "below_t0"
            })
        }
        _ => None,
    };
    Kpi { value, t0: target.map(|t| t.t0), t1: target.map(|t| t.t1), attainment }
}
