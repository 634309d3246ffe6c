//! Churn kinds (离网类型, docs/churn-kinds.md): each line that left classified as gone to a
//! competitor (外部离网) or an internal number switch (内部转网: the same person or handset back
//! on a new line within a window of the disconnection), and each line still on the network but
//! unused for months as dormant (冬眠), in SQL over the lake (`sql/churn_kinds.sql`).
//!
//! The KPIs (`kpi.rs`), churn by month (`trends.rs`) and the campaign evaluation
//! (`campaigns.rs`) read the same classification as a view, `churn_kinds`, registered in their
//! session by [`register_churn_kinds`], so the three never disagree on a line's kind.

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Int64Type};
use chrono::{Datelike, Months, NaiveDate};
use datafusion::prelude::SessionContext;
use serde::{Deserialize, Serialize};
use weiwan_domain::codes::{ChurnKind, SwitchMatch};

use crate::batch::lake_session;
use crate::error::{Error, Result};
use crate::kpi::{KpiError, KpiRefused};
use crate::lake::Lake;

const CHURN_KINDS_SQL: &str = include_str!("../sql/churn_kinds.sql");

/// How departures are told apart and when a line counts as dormant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChurnKindSettings {
    /// W: a new line of the same person or handset activated at most this many days before or
    /// after a disconnection makes it an internal switch.
    pub window_days: u32,
    /// N: a line on the network without any use (no usage row, or zero minutes, data and SMS)
    /// in each of the N complete months before the as-of month is dormant.
    pub dormant_months: u32,
}

impl Default for ChurnKindSettings {
    fn default() -> ChurnKindSettings {
        ChurnKindSettings { window_days: 30, dormant_months: 3 }
    }
}

impl ChurnKindSettings {
    pub fn validate(&self) -> std::result::Result<(), String> {
        if !(1..=365).contains(&self.window_days) {
            return Err(format!("churn kinds window_days {}: must be 1 to 365", self.window_days));
        }
        if !(1..=24).contains(&self.dormant_months) {
            return Err(format!("churn kinds dormant_months {}: must be 1 to 24", self.dormant_months));
        }
        Ok(())
    }
}

/// The classification SQL for a date, its placeholders filled.
pub fn churn_kinds_sql(as_of: NaiveDate, settings: &ChurnKindSettings) -> Result<String> {
    let as_of_month = as_of.with_day(1).ok_or_else(|| Error::internal("no first day of the month"))?;
    let dormant_start = as_of_month
        .checked_sub_months(Months::new(settings.dormant_months))
        .ok_or_else(|| Error::internal(format!("{as_of_month} minus {} months", settings.dormant_months)))?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).ok_or_else(|| Error::internal("epoch"))?;
    Ok(CHURN_KINDS_SQL
        .replace("{as_of_days}", &(as_of - epoch).num_days().to_string())
        .replace("{window_days}", &settings.window_days.to_string())
        .replace("{dormant_start}", &dormant_start.to_string())
        .replace("{as_of_month}", &as_of_month.to_string()))
}

/// Registers the classification as of `as_of` as the view `churn_kinds` in a lake session.
pub(crate) async fn register_churn_kinds(
    context: &SessionContext,
    as_of: NaiveDate,
    settings: &ChurnKindSettings,
) -> Result<()> {
    let sql = churn_kinds_sql(as_of, settings)?;
    let frame = context.sql(&sql).await?;
    context.register_table("churn_kinds", frame.into_view())?;
    Ok(())
}

/// A line that left, or lies dormant, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassifiedLine {
    pub subscription_id: String,
    pub customer_id: String,
    /// The customer's branch (None if the lake lacks the customer).
    pub branch_id: Option<String>,
    pub kind: ChurnKind,
    /// YYYY-MM-DD; None for a dormant line.
    pub disconnected_on: Option<String>,
    /// For an internal switch: what tied the new line to this one, and the new line.
    pub matched_by: Option<SwitchMatch>,
    pub successor_id: Option<String>,
    /// For a line gone to a competitor: the first line of the same person or handset activated
    /// after the window and before the date (挽回), if any.
    pub won_back_id: Option<String>,
    /// `YYYY-MM`: the last month with any use before the as-of month, None if the lake has none.
    pub last_used_month: Option<String>,
}

/// How many lines of each kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChurnKindCounts {
    /// Lines activated before the date.
    pub lines: i64,
    /// Of them, lines disconnected before the date: `external + internal_switch`.
    pub left: i64,
    pub external: i64,
    pub internal_switch: i64,
    /// Of `external`: lines whose person or handset came back after the window (挽回).
    pub won_back: i64,
    pub dormant: i64,
}

impl ChurnKindCounts {
    fn add(&mut self, other: &ChurnKindCounts) {
        self.lines += other.lines;
        self.left += other.left;
        self.external += other.external;
        self.internal_switch += other.internal_switch;
        self.won_back += other.won_back;
        self.dormant += other.dormant;
    }
}

/// The counts of one branch (the line's customer's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BranchChurnKinds {
    pub branch_id: String,
    pub counts: ChurnKindCounts,
}

/// The churn kinds of the lake's lines as of a date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChurnKindReport {
    /// YYYY-MM-DD.
    pub as_of: String,
    pub window_days: u32,
    pub dormant_months: u32,
    pub overall: ChurnKindCounts,
    pub by_branch: Vec<BranchChurnKinds>,
    /// The lines that left or lie dormant, by subscription id; empty unless asked for.
    pub lines: Vec<ClassifiedLine>,
}

const COUNTS_SQL: &str = "SELECT CAST(c.branch_id AS VARCHAR) AS branch_id, COUNT(*) AS lines, \
    COUNT(CASE WHEN k.kind = 'external' THEN 1 END) AS external, \
    COUNT(CASE WHEN k.kind = 'internal_switch' THEN 1 END) AS internal_switch, \
    COUNT(CASE WHEN k.kind = 'external' AND k.won_back_id IS NOT NULL THEN 1 END) AS won_back, \
    COUNT(CASE WHEN k.kind = 'dormant' THEN 1 END) AS dormant \
    FROM subscriptions s \
    LEFT JOIN customers c ON c.customer_id = s.customer_id \
    LEFT JOIN churn_kinds k ON k.subscription_id = s.subscription_id \
    WHERE s.activated_on < DATE '{as_of}' \
    GROUP BY CAST(c.branch_id AS VARCHAR) ORDER BY branch_id";

const LINES_SQL: &str = "SELECT k.subscription_id, k.customer_id, k.kind, CAST(k.disconnected_on AS VARCHAR), \
    k.matched_by, k.successor_id, k.won_back_id, CAST(k.last_used_month AS VARCHAR), c.branch_id \
    FROM churn_kinds k LEFT JOIN customers c ON c.customer_id = k.customer_id \
    ORDER BY k.subscription_id";

/// Classifies the lake's lines as of `as_of`: counts overall and by branch, and every line that
/// left or lies dormant when `with_lines`.
pub async fn classify_churn(
    lake: &Lake,
    as_of: NaiveDate,
    settings: &ChurnKindSettings,
    with_lines: bool,
) -> Result<ChurnKindReport, KpiError> {
    settings.validate().map_err(KpiRefused)?;
    let context = lake_session(lake).await?;
    register_churn_kinds(&context, as_of, settings).await?;
    let (overall, by_branch) = counts(&context, as_of).await?;
    let lines = if with_lines { classified_lines(&context).await? } else { Vec::new() };
    Ok(ChurnKindReport {
        as_of: as_of.to_string(),
        window_days: settings.window_days,
        dormant_months: settings.dormant_months,
        overall,
        by_branch,
        lines,
    })
}

async fn counts(
    context: &SessionContext,
    as_of: NaiveDate,
) -> Result<(ChurnKindCounts, Vec<BranchChurnKinds>)> {
    let sql = COUNTS_SQL.replace("{as_of}", &as_of.to_string());
    let batches = context.sql(&sql).await?.collect().await?;
    let mut overall = ChurnKindCounts::default();
    let mut by_branch = Vec::new();
    for batch in &batches {
        let branch = arrow::compute::cast(batch.column(0), &DataType::Utf8)?;
        let branch = branch.as_string::<i32>();
        let numbers = (1..6)
            .map(|i| {
                batch
                    .column(i)
                    .as_primitive_opt::<Int64Type>()
                    .cloned()
                    .ok_or_else(|| Error::internal("churn kind counts are not integers"))
            })
            .collect::<Result<Vec<_>>>()?;
        for row in 0..batch.num_rows() {
            let n = |i: usize| numbers[i].value(row);
            let counts = ChurnKindCounts {
                lines: n(0),
                left: n(1) + n(2),
                external: n(1),
                internal_switch: n(2),
                won_back: n(3),
                dormant: n(4),
            };
            overall.add(&counts);
            if !branch.is_null(row) {
                by_branch.push(BranchChurnKinds { branch_id: branch.value(row).to_owned(), counts });
            }
        }
    }
    Ok((overall, by_branch))
}

async fn classified_lines(context: &SessionContext) -> Result<Vec<ClassifiedLine>> {
    let batches = context.sql(LINES_SQL).await?.collect().await?;
    let mut lines = Vec::new();
    for batch in &batches {
        let texts = (0..9)
            .map(|i| {
                let cast = arrow::compute::cast(batch.column(i), &DataType::Utf8)?;
                Ok(cast.as_string::<i32>().clone())
            })
            .collect::<Result<Vec<_>>>()?;
        for row in 0..batch.num_rows() {
            let text = |i: usize| (!texts[i].is_null(row)).then(|| texts[i].value(row).to_owned());
            let required = |i: usize, what: &str| {
                text(i).ok_or_else(|| Error::internal(format!("churn_kinds.sql yields an empty {what}")))
            };
            let kind: ChurnKind = required(2, "kind")?
                .parse()
                .map_err(|e| Error::internal(format!("churn_kinds.sql: kind: {e}")))?;
            let matched_by = text(4)
                .map(|code| code.parse::<SwitchMatch>())
                .transpose()
                .map_err(|e| Error::internal(format!("churn_kinds.sql: matched_by: {e}")))?;
            lines.push(ClassifiedLine {
                subscription_id: required(0, "subscription_id")?,
                customer_id: required(1, "customer_id")?,
                branch_id: text(8),
                kind,
                disconnected_on: text(3),
                matched_by,
                successor_id: text(5),
                won_back_id: text(6),
                last_used_month: text(7).map(|month| month.chars().take(7).collect()),
            });
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked() {
        assert!(ChurnKindSettings::default().validate().is_ok());
        let bad = ChurnKindSettings { window_days: 0, ..ChurnKindSettings::default() };
        assert_eq!(bad.validate(), Err("churn kinds window_days 0: must be 1 to 365".into()));
        let bad = ChurnKindSettings { dormant_months: 25, ..ChurnKindSettings::default() };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn the_sql_is_filled_with_the_dates_of_the_settings() {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 15).expect("date");
        let sql = churn_kinds_sql(as_of, &ChurnKindSettings::default()).expect("sql");
        assert!(sql.contains("DATE '2026-08-01'"), "three months before November");
        assert!(sql.contains("DATE '2026-11-01'"));
        assert!(sql.contains("BETWEEN -30 AND 30"));
        assert!(!sql.contains('{'), "every placeholder is filled");
    }
}
