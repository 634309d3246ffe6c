//! Data rules of the warning and care rule book (weiwan-decision): each is one `SELECT`,
//! written by people, that names the lines or customers an alert is for. Here they are
//! checked (planned over empty tables, read-only) and run over the lake as of a date.
//!
//! A rule's query sees the tagged 360 table of the date as `customer_360` and every lake
//! table under its own name (entity tables as their newest snapshot, as in the batch). It
//! must yield `customer_id`, `subscription_id` (NULL for a customer-level alert) and
//! `cause`; any other column is a fact the reason text may quote.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float32Type, Float64Type, SchemaRef};
use chrono::NaiveDate;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

use crate::batch::lake_session;
use crate::error::{Error, Result};
use crate::lake::Lake;
use crate::layout::arrow_schema;
use crate::tags::{read_only, short, tags_path};

/// The columns every rule query must yield.
pub const REQUIRED_COLUMNS: [&str; 3] = ["customer_id", "subscription_id", "cause"];

/// One row of a rule's query: who, why, and the facts for the reason text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRow {
    pub customer_id: String,
    pub subscription_id: Option<String>,
    pub cause: String,
    /// Every other column, as display text (numbers with at most two decimals); NULL is "".
    pub facts: BTreeMap<String, String>,
}

/// Plans each `(rule id, query)` over empty tables shaped like the tagged 360 table and the
/// lake's tables. Returns one problem per bad query, naming the rule; empty when all pass.
pub async fn check_rule_queries(tagged: SchemaRef, queries: &[(String, String)]) -> Result<Vec<String>> {
    let context = SessionContext::new();
    for table in weiwan_domain::TableId::ALL {
        let schema = arrow_schema(table.table());
        context.register_table(table.name(), Arc::new(MemTable::try_new(schema, vec![vec![]])?))?;
    }
    context.register_table("customer_360", Arc::new(MemTable::try_new(tagged, vec![vec![]])?))?;
    let mut problems = Vec::new();
    for (id, query) in queries {
        if let Err(problem) = plan_rule(&context, query).await {
            problems.push(format!("rule {id}: {problem}"));
        }
    }
    Ok(problems)
}

async fn plan_rule(context: &SessionContext, query: &str) -> std::result::Result<SchemaRef, String> {
    if query.trim().is_empty() {
        return Err("the query is empty".to_owned());
    }
    let frame = context.sql_with_options(query, read_only()).await.map_err(|e| short(&e.to_string()))?;
    let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
    for column in REQUIRED_COLUMNS {
        if schema.field_with_name(column).is_err() {
            return Err(format!("the query must yield a column {column}"));
        }
    }
    Ok(schema)
}

/// Runs one rule's query as of a date (the tagged 360 table of that date must exist).
pub async fn rule_rows(lake: &Lake, as_of: NaiveDate, query: &str) -> Result<Vec<RuleRow>> {
    let tagged = tags_path(lake, as_of);
    if !tagged.exists() {
        return Err(Error::NotBuilt { as_of });
    }
    let context = lake_session(lake).await?;
    context.register_parquet("customer_360", tagged.to_string_lossy().as_ref(), Default::default()).await?;
    let batches = context.sql_with_options(query, read_only()).await?.collect().await?;
    let mut rows = Vec::new();
    for batch in batches {
        let schema = batch.schema();
        let columns: Vec<Vec<Option<String>>> =
            batch.columns().iter().map(display_column).collect::<Result<_>>()?;
        let index = |name: &str| {
            schema.index_of(name).map_err(|_| Error::internal(format!("the rule query lost column {name}")))
        };
        let (customer, line, cause) = (index("customer_id")?, index("subscription_id")?, index("cause")?);
        let cell = |column: usize, row: usize| columns[column][row].clone();
        for row in 0..batch.num_rows() {
            let Some(customer_id) = cell(customer, row) else { continue };
            let facts = schema
                .fields()
                .iter()
                .enumerate()
                .filter(|(i, _)| ![customer, line, cause].contains(i))
                .map(|(i, field)| (field.name().clone(), cell(i, row).unwrap_or_default()))
                .collect();
            rows.push(RuleRow {
                customer_id,
                subscription_id: cell(line, row),
                cause: cell(cause, row).unwrap_or_default(),
                facts,
            });
        }
    }
    Ok(rows)
}

/// A column as display text: floats with two decimals, everything else as Arrow prints it.
fn display_column(array: &ArrayRef) -> Result<Vec<Option<String>>> {
    let floats =
        |values: Vec<Option<f64>>| values.into_iter().map(|v| v.map(|v| format!("{v:.2}"))).collect();
    Ok(match array.data_type() {
        DataType::Float64 => floats(array.as_primitive::<Float64Type>().iter().collect()),
        DataType::Float32 => {
            floats(array.as_primitive::<Float32Type>().iter().map(|v| v.map(f64::from)).collect())
        }
        _ => {
            let text = cast(array, &DataType::Utf8)?;
            let text = text.as_string::<i32>();
            (0..text.len()).map(|i| text.is_valid(i).then(|| text.value(i).to_owned())).collect()
        }
    })
}
