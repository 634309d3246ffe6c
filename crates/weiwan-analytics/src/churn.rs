//! The churn model's side of the lake: labelled training sets cut from past 360 tables, and
//! the nightly scores joined into the 360 table that tags and target groups read.
//!
//! A training set for features as of F and a horizon of H months is the 360 table as of F
//! (built from history strictly before F) with `churned` = 1 when the line was disconnected on
//! or after F and before F + H months. Features never see anything on or after F; the label sees
//! nothing but the disconnection date. The entity columns of the 360 table (plan, contract end,
//! device) are the latest delivered state, not the state at F: the lake keeps entities'
//! newest row, so the model must not use `status`, which would give the label away.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{Months, NaiveDate};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

use crate::batch::{build_customer_360, customer_360_path, lake_session, write_query};
use crate::error::{Error, Result};
use crate::lake::Lake;
use crate::store_snapshot::{CLUB_ATTENDANCE, CLUB_MEMBERS, KEY_PERSONS};

/// The label column of a training set.
pub const LABEL: &str = "churned";

/// Columns of the 360 table a churn model must not read: identifiers, dates, and `status`
/// (today's state of the line, which would leak the label into a past window).
pub const NOT_FEATURES: &[&str] = &[
    "subscription_id",
    "customer_id",
    "msisdn",
    "branch_id",
    "manager_id",
    "group_id",
    "family_group_id",
    "status",
    "activated_on",
    "contract_end",
    "as_of",
    LABEL,
];

/// The columns the nightly scores add to the 360 table (NULL when no model scored the day).
/// `churn_probability` is the model's probability raised by the group's key persons
/// (`key_person_risk`, docs/groups.md); `churn_probability_model` is the model's own.
pub fn churn_columns() -> Vec<Field> {
    vec![
        Field::new("churn_probability", DataType::Float64, true),
        Field::new("churn_decile", DataType::Int64, true),
        Field::new("churn_reasons_en", DataType::Utf8, true),
        Field::new("churn_reasons_zh", DataType::Utf8, true),
        Field::new("churn_probability_model", DataType::Float64, true),
        Field::new("key_person_risk", DataType::Float64, true),
    ]
}

/// The schema of a scores file as the model writes it.
fn scores_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("subscription_id", DataType::Utf8, false),
        Field::new("churn_probability", DataType::Float64, false),
        Field::new("churn_reasons_en", DataType::Utf8, false),
        Field::new("churn_reasons_zh", DataType::Utf8, false),
    ]))
}

/// Where the nightly churn scores of a date live.
pub fn churn_scores_path(lake: &Lake, as_of: NaiveDate) -> PathBuf {
    lake.root().join("churn").join(format!("as_of={as_of}.parquet"))
}

/// Where trained models and the pointer to the one in force live.
pub fn models_dir(lake: &Lake) -> PathBuf {
    lake.root().join("models").join("churn")
}

/// Register `customer_360` in `context` as the 360 table of `as_of` with the churn columns:
/// joined from that day's scores when they exist, NULL otherwise, with the group rule applied
/// (a key person's risk raises the other members'; the key persons and their influence come
/// from the store snapshot). The decile is 1 for the riskiest tenth of the day's lines. Only
/// `customer_360` stays registered: the tables it is made of are dropped from `context`.
pub(crate) async fn register_360_with_churn(
    context: &SessionContext,
    lake: &Lake,
    as_of: NaiveDate,
) -> Result<()> {
    let base = customer_360_path(lake, as_of);
    context
        .register_parquet("customer_360_base", base.to_string_lossy().as_ref(), Default::default())
        .await?;
    let scores = churn_scores_path(lake, as_of);
    if scores.exists() {
        context
            .register_parquet("churn_scores", scores.to_string_lossy().as_ref(), Default::default())
            .await?;
    } else {
        context
            .register_table("churn_scores", Arc::new(MemTable::try_new(scores_schema(), vec![vec![]])?))?;
    }
    crate::store_snapshot::register_store_snapshot(context, Some(lake)).await?;
    let view = context.sql(WITH_CHURN).await?.into_view();
    for helper in ["customer_360_base", "churn_scores", CLUB_MEMBERS, CLUB_ATTENDANCE, KEY_PERSONS] {
        context.deregister_table(helper)?;
    }
    context.register_table("customer_360", view)?;
    Ok(())
}

/// The 360 table with the churn columns. The group rule (docs/groups.md): a member line's
/// probability p becomes 1 − (1 − p) · Π (1 − wₖ · pₖ) over the group's key persons k other
/// than the line's owner, wₖ a key person's influence and pₖ the highest model probability
/// among their own lines. `weiwan_decision::groups::adjusted_risk` is the same formula.
pub(crate) const WITH_CHURN: &str = "\
WITH model AS (
    SELECT b.subscription_id, b.customer_id, b.group_id, b.is_key_person,
           s.churn_probability AS p, s.churn_reasons_en, s.churn_reasons_zh
    FROM customer_360_base b LEFT JOIN churn_scores s ON s.subscription_id = b.subscription_id
),
key_risk AS (
    SELECT m.group_id, m.customer_id, MAX(k.influence) AS influence, MAX(m.p) AS p_key
    FROM model m JOIN key_persons k ON k.customer_id = m.customer_id
    WHERE m.is_key_person AND m.group_id IS NOT NULL AND m.p IS NOT NULL
    GROUP BY m.group_id, m.customer_id
),
drag AS (
    SELECT m.subscription_id, EXP(SUM(LN(1 - kr.influence * kr.p_key))) AS stays
    FROM model m JOIN key_risk kr ON kr.group_id = m.group_id AND kr.customer_id <> m.customer_id
    GROUP BY m.subscription_id
),
adjusted AS (
    SELECT m.subscription_id, m.p AS churn_probability_model,
           CASE WHEN m.p IS NULL THEN CAST(NULL AS DOUBLE) ELSE 1 - COALESCE(d.stays, 1.0) END AS key_person_risk,
           CASE WHEN m.p IS NULL THEN CAST(NULL AS DOUBLE) ELSE 1 - (1 - m.p) * COALESCE(d.stays, 1.0) END
               AS churn_probability,
           m.churn_reasons_en, m.churn_reasons_zh
    FROM model m LEFT JOIN drag d ON d.subscription_id = m.subscription_id
)
SELECT b.*, a.churn_probability,
       CASE WHEN a.churn_probability IS NULL THEN CAST(NULL AS BIGINT)
            ELSE CAST(NTILE(10) OVER (ORDER BY a.churn_probability DESC, b.subscription_id) AS BIGINT)
       END AS churn_decile,
       a.churn_reasons_en, a.churn_reasons_zh, a.churn_probability_model, a.key_person_risk
FROM customer_360_base b LEFT JOIN adjusted a ON a.subscription_id = b.subscription_id";

/// A labelled training set written to the lake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingSet {
    pub path: PathBuf,
    pub features_as_of: NaiveDate,
    pub labels_until: NaiveDate,
    pub rows: u64,
}

/// Build the 360 table as of `features_as_of` and label each line: left within `months`
/// months. Refuses a window that ends after `latest` (the labels would not be known yet).
pub async fn training_set(
    lake: &Lake,
    features_as_of: NaiveDate,
    months: u32,
    latest: NaiveDate,
) -> Result<TrainingSet> {
    let labels_until = features_as_of
        .checked_add_months(Months::new(months))
        .ok_or_else(|| Error::internal("label window end"))?;
    if labels_until > latest {
        return Err(Error::internal(format!(
            "a {months}-month label window from {features_as_of} ends {labels_until}, after {latest}"
        )));
    }
    let table = build_customer_360(lake, features_as_of).await?;
    let context = lake_session(lake).await?;
    context.register_parquet("features", table.path.to_string_lossy().as_ref(), Default::default()).await?;
    let sql = format!(
        "SELECT f.*, CASE WHEN s.disconnected_on IS NOT NULL AND s.disconnected_on >= DATE '{features_as_of}' \
                          AND s.disconnected_on < DATE '{labels_until}' THEN 1 ELSE 0 END AS {LABEL} \
         FROM features f JOIN subscriptions s ON s.subscription_id = f.subscription_id \
         ORDER BY f.subscription_id"
    );
    let frame = context.sql(&sql).await?;
    let path =
        lake.root().join("churn").join("training").join(format!("features_as_of={features_as_of}.parquet"));
    let rows = write_query(frame, &path).await?;
    tracing::info!(%features_as_of, %labels_until, rows, "churn training set written");
    Ok(TrainingSet { path, features_as_of, labels_until, rows })
}
