//! Trends over months for the console's management pages: how many lines were in network at
//! the start of each month and how many of them left in it (离网率 by month), in SQL over the
//! lake (`sql/monthly_churn.sql`), the leavers split by churn kind (docs/churn-kinds.md).

use std::collections::BTreeMap;

use arrow::array::AsArray;
use arrow::datatypes::{DataType, Int64Type};
use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

use crate::batch::lake_session;
use crate::churn_kinds::{ChurnKindSettings, register_churn_kinds};
use crate::error::{Error, Result};
use crate::lake::Lake;

const MONTHLY_CHURN_SQL: &str = include_str!("../sql/monthly_churn.sql");

/// The lines of one calendar month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthChurn {
    /// `YYYY-MM`.
    pub month: String,
    /// Lines in network on the month's first day.
    pub lines_at_start: i64,
    /// Of those, the lines disconnected within the month.
    pub left: i64,
    /// Of `left`: gone to a competitor (外部离网), and internal number switches (内部转网).
    pub left_external: i64,
    pub left_internal_switch: i64,
    /// `left / lines_at_start`; None without lines at the start.
    pub churn_rate: Option<f64>,
}

/// The `months` complete calendar months before `as_of`'s month, oldest first.
pub fn complete_months_before(as_of: NaiveDate, months: u32) -> Result<Vec<NaiveDate>> {
    let current = as_of.with_day(1).ok_or_else(|| Error::internal("no first day of the month"))?;
    (1..=months)
        .rev()
        .map(|back| {
            current
                .checked_sub_months(Months::new(back))
                .ok_or_else(|| Error::internal(format!("{current} minus {back} months")))
        })
        .collect()
}

/// Churn in each of the `months` complete calendar months before `as_of`'s month, oldest first
/// (see `sql/monthly_churn.sql` for who counts), with the default churn-kind settings.
pub async fn monthly_churn(lake: &Lake, as_of: NaiveDate, months: u32) -> Result<Vec<MonthChurn>> {
    monthly_churn_with(lake, as_of, months, &ChurnKindSettings::default()).await
}

/// Churn by month, leavers split by kind under `settings`. What the lake says now: a month's
/// figures change when a later extract delivers disconnections dated in it, or a switcher's new
/// line.
pub async fn monthly_churn_with(
    lake: &Lake,
    as_of: NaiveDate,
    months: u32,
    settings: &ChurnKindSettings,
) -> Result<Vec<MonthChurn>> {
    let firsts = complete_months_before(as_of, months)?;
    if firsts.is_empty() {
        return Ok(Vec::new());
    }
    let values: Vec<String> = firsts
        .iter()
        .map(|first| {
            let next = first
                .checked_add_months(Months::new(1))
                .ok_or_else(|| Error::internal(format!("the month after {first}")))?;
            Ok(format!("('{first}', '{next}')"))
        })
        .collect::<Result<_>>()?;
    let context = lake_session(lake).await?;
    register_churn_kinds(&context, as_of, settings).await?;
    let sql = MONTHLY_CHURN_SQL.replace("{months}", &values.join(", "));
    let batches = context.sql(&sql).await?.collect().await?;

    let mut counts: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    for batch in &batches {
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .ok_or_else(|| Error::internal(format!("monthly_churn.sql yields no {name}")))
        };
        let mistyped =
            |name: &str| Error::internal(format!("monthly_churn.sql: {name} has an unexpected type"));
        let months = arrow::compute::cast(column("first_day")?, &DataType::Utf8)?;
        let months = months.as_string_opt::<i32>().ok_or_else(|| mistyped("first_day"))?;
        let at_start = column("lines_at_start")?
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| mistyped("lines_at_start"))?;
        let left =
            column("left_count")?.as_primitive_opt::<Int64Type>().ok_or_else(|| mistyped("left_count"))?;
        let switched = column("left_internal_switch")?
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| mistyped("left_internal_switch"))?;
        for row in 0..batch.num_rows() {
            counts.insert(
                months.value(row).to_owned(),
                (at_start.value(row), left.value(row), switched.value(row)),
            );
        }
    }
    firsts
        .iter()
        .map(|first| {
            let &(lines_at_start, left, left_internal_switch) = counts
                .get(&first.to_string())
                .ok_or_else(|| Error::internal(format!("monthly_churn.sql yields no row for {first}")))?;
            Ok(MonthChurn {
                month: first.format("%Y-%m").to_string(),
                lines_at_start,
                left,
                left_external: left - left_internal_switch,
                left_internal_switch,
                churn_rate: (lines_at_start > 0).then(|| left as f64 / lines_at_start as f64),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn the_months_end_before_the_month_of_the_date() {
        let months = |as_of: &str, n: u32| -> Vec<String> {
            complete_months_before(date(as_of), n).expect("months").iter().map(|d| d.to_string()).collect()
        };
        assert_eq!(months("2026-11-01", 3), ["2026-08-01", "2026-09-01", "2026-10-01"]);
        // Mid-month: November is not complete yet either.
        assert_eq!(months("2026-11-20", 2), ["2026-09-01", "2026-10-01"]);
        assert_eq!(months("2026-02-28", 2), ["2025-12-01", "2026-01-01"]);
        assert!(months("2026-11-01", 0).is_empty());
    }
}
