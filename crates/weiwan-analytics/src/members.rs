//! What group and club pages read from the lake: the churn risk of a group's lines in the
//! tagged 360 table of a date (with the raise its key persons add, docs/groups.md), and a
//! customer's balance in the points ledger (club services are paid in points, docs/clubs.md).
//!
//! Ids are compared as literals of the DataFrame API, never pasted into SQL.

use arrow::array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use chrono::NaiveDate;
use datafusion::functions_aggregate::expr_fn::sum;
use datafusion::prelude::{col, lit, when};

use crate::batch::lake_session;
use crate::error::{Error, Result};
use crate::lake::Lake;
use crate::segments::segment_session;

/// One line of a group (a member's, or the group's own) as the day's tagged 360 table has it.
#[derive(Debug, Clone, PartialEq)]
pub struct LineRisk {
    pub subscription_id: String,
    pub customer_id: String,
    pub is_key_person: bool,
    /// Raised by the group's key persons; `None` when no model scored the day.
    pub churn_probability: Option<f64>,
    /// The model's own probability.
    pub churn_probability_model: Option<f64>,
    /// The raise the key persons add: 1 − Π (1 − wₖ · pₖ).
    pub key_person_risk: Option<f64>,
    pub churn_reasons_zh: Option<String>,
    pub churn_reasons_en: Option<String>,
    pub club_member: bool,
    pub club_events_attended_90d: i64,
}

const LINE_COLUMNS: [&str; 10] = [
    "subscription_id",
    "customer_id",
    "is_key_person",
    "churn_probability",
    "churn_probability_model",
    "key_person_risk",
    "churn_reasons_zh",
    "churn_reasons_en",
    "club_member",
    "club_events_attended_90d",
];

fn typed(array: &ArrayRef, to: &DataType) -> Result<ArrayRef> {
    Ok(cast(array, to)?)
}

fn downcast<T: Clone + 'static>(array: &ArrayRef, name: &str) -> Result<T> {
    array.as_any().downcast_ref::<T>().cloned().ok_or_else(|| {
        Error::internal(format!("column {name} of the tagged 360 table has an unexpected type"))
    })
}

/// The lines of a group (its members' and its own) in the tagged 360 table of `as_of`, by line.
pub async fn group_line_risks(lake: &Lake, as_of: NaiveDate, group_id: &str) -> Result<Vec<LineRisk>> {
    let context = segment_session(lake, as_of).await?;
    let frame = context
        .table("customer_360")
        .await?
        .filter(col("group_id").eq(lit(group_id)).or(col("customer_id").eq(lit(group_id))))?
        .select_columns(&LINE_COLUMNS)?
        .sort(vec![col("subscription_id").sort(true, false)])?;
    let mut lines = Vec::new();
    for batch in frame.collect().await? {
        let column = |i: usize, to: &DataType| typed(batch.column(i), to);
        let text =
            |i: usize| -> Result<StringArray> { downcast(&column(i, &DataType::Utf8)?, LINE_COLUMNS[i]) };
        let float =
            |i: usize| -> Result<Float64Array> { downcast(&column(i, &DataType::Float64)?, LINE_COLUMNS[i]) };
        let flag =
            |i: usize| -> Result<BooleanArray> { downcast(&column(i, &DataType::Boolean)?, LINE_COLUMNS[i]) };
        let (ids, customers, reasons_zh, reasons_en) = (text(0)?, text(1)?, text(6)?, text(7)?);
        let (key, member) = (flag(2)?, flag(8)?);
        let (p, p_model, raise) = (float(3)?, float(4)?, float(5)?);
        let attended: Int64Array = downcast(&column(9, &DataType::Int64)?, LINE_COLUMNS[9])?;
        let opt_f = |a: &Float64Array, row: usize| (!a.is_null(row)).then(|| a.value(row));
        let opt_s = |a: &StringArray, row: usize| (!a.is_null(row)).then(|| a.value(row).to_owned());
        for row in 0..batch.num_rows() {
            lines.push(LineRisk {
                subscription_id: ids.value(row).to_owned(),
                customer_id: customers.value(row).to_owned(),
                is_key_person: key.is_valid(row) && key.value(row),
                churn_probability: opt_f(&p, row),
                churn_probability_model: opt_f(&p_model, row),
                key_person_risk: opt_f(&raise, row),
                churn_reasons_zh: opt_s(&reasons_zh, row),
                churn_reasons_en: opt_s(&reasons_en, row),
                club_member: member.is_valid(row) && member.value(row),
                club_events_attended_90d: if attended.is_null(row) { 0 } else { attended.value(row) },
            });
        }
    }
    Ok(lines)
}

/// A customer's balance in the lake's points ledger: earned minus redeemed minus expired, over
/// every published entry. 0 for a customer without entries.
pub async fn points_balance(lake: &Lake, customer_id: &str) -> Result<i64> {
    if lake.table_files(weiwan_domain::TableId::PointsLedger)?.is_empty() {
        return Ok(0);
    }
    let context = lake_session(lake).await?;
    let signed = when(col("kind").eq(lit("earn")), col("points")).otherwise(lit(0i64) - col("points"))?;
    let frame = context
        .table("points_ledger")
        .await?
        .filter(col("customer_id").eq(lit(customer_id)))?
        .aggregate(vec![], vec![sum(signed).alias("balance")])?;
    let mut balance = 0;
    for batch in frame.collect().await? {
        if batch.num_rows() == 0 {
            continue;
        }
        let values: Int64Array = downcast(&typed(batch.column(0), &DataType::Int64)?, "balance")?;
        if values.is_valid(0) {
            balance += values.value(0);
        }
    }
    Ok(balance)
}
