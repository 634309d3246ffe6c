//! Churn kinds (离网类型) of the lake's lines as of a date: gone to a competitor, internal
//! number switch, dormant (docs/churn-kinds.md). The use case behind `weiwan churn kinds` and
//! `GET /api/v1/churn-kinds`; the KPIs, churn by month and the campaign evaluation read the
//! same classification.

use chrono::NaiveDate;
use weiwan_analytics::Lake;
pub use weiwan_analytics::{
    BranchChurnKinds, ChurnKindCounts, ChurnKindReport, ChurnKindSettings, ClassifiedLine,
};

use crate::error::Result;

/// Counts of each kind overall and by branch as of `as_of`, and every line that left or lies
/// dormant when `with_lines` (personal data: the caller decides who may see it).
pub async fn churn_kinds(
    lake: &Lake,
    as_of: NaiveDate,
    settings: &ChurnKindSettings,
    with_lines: bool,
) -> Result<ChurnKindReport> {
    Ok(weiwan_analytics::classify_churn(lake, as_of, settings, with_lines).await?)
}

/// [`churn_kinds`] within one branch, when `branch` names one: its counts are the overall ones,
/// and only its lines are listed.
pub async fn churn_kinds_in(
    lake: &Lake,
    as_of: NaiveDate,
    settings: &ChurnKindSettings,
    with_lines: bool,
    branch: Option<&str>,
) -> Result<ChurnKindReport> {
    let mut report = churn_kinds(lake, as_of, settings, with_lines).await?;
    if let Some(branch) = branch {
        report.by_branch.retain(|b| b.branch_id == branch);
        report.overall = report.by_branch.first().map(|b| b.counts.clone()).unwrap_or_default();
        report.lines.retain(|line| line.branch_id.as_deref() == Some(branch));
    }
    Ok(report)
}
