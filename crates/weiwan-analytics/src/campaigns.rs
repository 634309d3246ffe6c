//! The data side of retention campaigns: who a campaign's target group holds on a date and
//! which offers each of them is eligible for (one SQL query over the tagged 360 table), and
//! what became of a campaign's members by an evaluation date (still in the network or not,
//! revenue billed), read from the lake.
//!
//! Offer eligibility is written as self-service conditions ([`Condition`]), the same as target
//! groups: typed literals, never text pasted into SQL.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Float64Type, Schema, SchemaRef};
use chrono::{Datelike, NaiveDate};
use datafusion::datasource::MemTable;
use weiwan_domain::codes::ChurnKind;

use crate::batch::lake_session;
use crate::churn_kinds::{ChurnKindSettings, register_churn_kinds};
use crate::error::{Error, Result};
use crate::lake::Lake;
use crate::segments::{
    Condition, SegmentError, SegmentQuery, SegmentRefused, condition_sql, member_rows_sql, segment_session,
    table_schema,
};
use crate::tags::empty_360_session;

/// A line of a campaign's target group, with what the offers and the draw need.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignCandidate {
    pub subscription_id: String,
    pub customer_id: String,
    pub vip_tier: String,
    pub branch_id: String,
    pub manager_id: Option<String>,
    /// Yuan a month, average of the last 3 months (0 when unknown).
    pub arpu_3m: f64,
    /// From the churn model in force, when one scored the date.
    pub churn_probability: Option<f64>,
    /// Per offer, in the order given: every eligibility condition holds.
    pub eligible: Vec<bool>,
}

/// Checks eligibility conditions against the tagged 360 table's columns, without data.
pub async fn check_conditions(tagged: SchemaRef, conditions: &[Condition]) -> Result<(), SegmentError> {
    // Planning a query with the conditions checks columns, types and values alike.
    let context = empty_360_session(tagged.clone())?;
    let problems: Vec<String> =
        conditions.iter().filter_map(|condition| condition_sql(&tagged, condition).err()).collect();
    if !problems.is_empty() {
        return Err(SegmentRefused { problems }.into());
    }
    let sql = eligibility_sql(&tagged, &[conditions.to_vec()])?;
    context.sql(&format!("SELECT {sql} FROM customer_360")).await.map_err(Error::from)?;
    Ok(())
}

/// `COALESCE(<all conditions>, false) AS e<i>` for each offer's conditions.
pub(crate) fn eligibility_sql(
    schema: &SchemaRef,
    eligibility: &[Vec<Condition>],
) -> Result<String, SegmentError> {
    let mut columns = Vec::new();
    let mut problems = Vec::new();
    for (i, conditions) in eligibility.iter().enumerate() {
        let clauses: Vec<String> = conditions
            .iter()
            .filter_map(|c| condition_sql(schema, c).map_err(|problem| problems.push(problem)).ok())
            .collect();
        let all = if clauses.is_empty() { "true".to_owned() } else { clauses.join(" AND ") };
        columns.push(format!("COALESCE({all}, false) AS e{i}"));
    }
    if !problems.is_empty() {
        return Err(SegmentRefused { problems }.into());
    }
    if columns.is_empty() {
        columns.push("true AS e_none".to_owned());
    }
    Ok(columns.join(", "))
}

/// The target group's lines on `as_of` with their eligibility for each offer (`eligibility[i]`
/// are the conditions of offer `i`), by subscription id.
pub async fn campaign_candidates(
    lake: &Lake,
    as_of: NaiveDate,
    query: &SegmentQuery,
    eligibility: &[Vec<Condition>],
) -> Result<Vec<CampaignCandidate>, SegmentError> {
    let context = segment_session(lake, as_of).await?;
    let schema = table_schema(&context).await?;
    let rows = member_rows_sql(&context, &schema, query).await?;
    let eligible = eligibility_sql(&schema, eligibility)?;
    let sql = format!(
        "SELECT subscription_id, customer_id, vip_tier, branch_id, manager_id, \
         CAST(arpu_3m AS DOUBLE) AS arpu_3m, CAST(churn_probability AS DOUBLE) AS churn_probability, {eligible} \
         FROM ({rows}) ORDER BY subscription_id"
    );
    let batches = context.sql(&sql).await.map_err(Error::from)?.collect().await.map_err(Error::from)?;
    let mut out = Vec::new();
    for batch in &batches {
        let texts: Vec<StringArray> = (0..5).map(|i| text(batch.column(i))).collect::<Result<_>>()?;
        let arpu = float(batch.column(5))?;
        let churn = float(batch.column(6))?;
        let flags: Vec<BooleanArray> =
            (0..eligibility.len()).map(|i| boolean(batch.column(7 + i))).collect::<Result<_>>()?;
        for row in 0..batch.num_rows() {
            let required = |i: usize| -> Result<String> {
                if texts[i].is_null(row) {
                    let column = ["subscription_id", "customer_id", "vip_tier", "branch_id"][i];
                    return Err(Error::internal(format!("the 360 table has an empty {column}")));
                }
                Ok(texts[i].value(row).to_owned())
            };
            out.push(CampaignCandidate {
                subscription_id: required(0)?,
                customer_id: required(1)?,
                vip_tier: required(2)?,
                branch_id: required(3)?,
                manager_id: (!texts[4].is_null(row)).then(|| texts[4].value(row).to_owned()),
                arpu_3m: if arpu.is_null(row) { 0.0 } else { arpu.value(row) },
                churn_probability: (!churn.is_null(row)).then(|| churn.value(row)),
                eligible: flags.iter().map(|f| f.is_valid(row) && f.value(row)).collect(),
            });
        }
    }
    Ok(out)
}

/// What became of one campaign member.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberOutcome {
    pub subscription_id: String,
    /// The lake knows the line.
    pub known: bool,
    /// Not disconnected before the evaluation date.
    pub retained: bool,
    /// Yuan billed (ARPU summed) over the months from `since` to before the evaluation date.
    pub revenue: f64,
    /// The line's churn kind as of the evaluation date (docs/churn-kinds.md), when asked for:
    /// None for a line in use (or when not asked).
    pub kind: Option<ChurnKind>,
    /// Gone to a competitor, and its person or handset back on a line after the switch window
    /// and before the evaluation date (挽回). Never true for an internal switch.
    pub won_back: bool,
}

/// For each line (in the order given): still in the network on `as_of` (not disconnected
/// before it), and the revenue of the usage months from `since` (its month) up to `as_of`.
pub async fn member_outcomes(
    lake: &Lake,
    subscription_ids: &[String],
    since: NaiveDate,
    as_of: NaiveDate,
) -> Result<Vec<MemberOutcome>> {
    member_outcomes_with(lake, subscription_ids, since, as_of, None).await
}

/// [`member_outcomes`], with each line's churn kind and win-back as of `as_of` when `kinds`
/// gives the settings to classify with.
pub async fn member_outcomes_with(
    lake: &Lake,
    subscription_ids: &[String],
    since: NaiveDate,
    as_of: NaiveDate,
    kinds: Option<&ChurnKindSettings>,
) -> Result<Vec<MemberOutcome>> {
    let context = lake_session(lake).await?;
    let (kind_columns, kind_join) = match kinds {
        Some(settings) => {
            register_churn_kinds(&context, as_of, settings).await?;
            (
                "k.kind AS kind, k.won_back_id IS NOT NULL AND k.kind = 'external' AS won_back",
                "LEFT JOIN churn_kinds k ON k.subscription_id = m.subscription_id",
            )
        }
        None => ("CAST(NULL AS VARCHAR) AS kind, false AS won_back", ""),
    };
    let schema: SchemaRef = Arc::new(Schema::new(vec![Field::new("subscription_id", DataType::Utf8, false)]));
    let ids = StringArray::from_iter_values(subscription_ids.iter());
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(ids)])?;
    context.register_table("members", Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))?;
    let since_month = since.with_day0(0).unwrap_or(since);
    let sql = format!(
        "SELECT m.subscription_id, s.subscription_id IS NOT NULL AS known, \
         NOT (s.disconnected_on IS NOT NULL AND s.disconnected_on < DATE '{as_of}') AS retained, \
         COALESCE(r.revenue, 0.0) AS revenue, {kind_columns} \
         FROM members m \
         LEFT JOIN subscriptions s ON s.subscription_id = m.subscription_id \
         {kind_join} \
         LEFT JOIN (SELECT subscription_id, SUM(CAST(arpu AS DOUBLE)) AS revenue FROM usage_monthly \
                    WHERE month >= DATE '{since_month}' AND month < DATE '{as_of}' GROUP BY subscription_id) r \
           ON r.subscription_id = m.subscription_id"
    );
    let batches = context.sql(&sql).await?.collect().await?;
    let mut found = std::collections::HashMap::with_capacity(subscription_ids.len());
    for batch in &batches {
        let id = text(batch.column(0))?;
        let known = boolean(batch.column(1))?;
        let retained = boolean(batch.column(2))?;
        let revenue = float(batch.column(3))?;
        let kind = text(batch.column(4))?;
        let won_back = boolean(batch.column(5))?;
        for row in 0..batch.num_rows() {
            let kind = (!kind.is_null(row))
                .then(|| kind.value(row).parse::<ChurnKind>())
                .transpose()
                .map_err(|e| Error::internal(format!("churn kind of member {}: {e}", id.value(row))))?;
            found.insert(
                id.value(row).to_owned(),
                MemberOutcome {
                    subscription_id: id.value(row).to_owned(),
                    known: known.value(row),
                    retained: retained.is_null(row) || retained.value(row),
                    revenue: revenue.value(row),
                    kind,
                    won_back: won_back.is_valid(row) && won_back.value(row),
                },
            );
        }
    }
    subscription_ids
        .iter()
        .map(|id| found.remove(id).ok_or_else(|| Error::internal(format!("no outcome for member {id}"))))
        .collect()
}

pub(crate) fn text(array: &ArrayRef) -> Result<StringArray> {
    let cast = arrow::compute::cast(array, &DataType::Utf8)?;
    Ok(cast.as_string::<i32>().clone())
}

pub(crate) fn float(array: &ArrayRef) -> Result<Float64Array> {
    let cast = arrow::compute::cast(array, &DataType::Float64)?;
    Ok(cast.as_primitive::<Float64Type>().clone())
}

pub(crate) fn boolean(array: &ArrayRef) -> Result<BooleanArray> {
    let cast = arrow::compute::cast(array, &DataType::Boolean)?;
    Ok(cast.as_boolean().clone())
}
