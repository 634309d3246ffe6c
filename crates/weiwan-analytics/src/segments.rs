//! Target groups (客户群): saved filters over the tagged 360 table of a date.
//!
//! Three ways to pick customers, as the precision-marketing platform has them:
//! - fixed scenarios (固定场景), shipped in `segments/scenarios.toml` and evaluated by the
//!   daily batch;
//! - self-service conditions without SQL ([`Condition`]: `tag=value`, `tag=a,b`,
//!   `feature=lo..hi`, `field!=value`), all of which must hold;
//! - ad-hoc SQL for analysts: one `SELECT` over `customer_360` that yields `subscription_id`.
//!   Anything else — DDL, DML such as `COPY … TO`, statements, several statements, a query
//!   that reads anything but `customer_360` — is refused before it runs.
//!
//! Every query runs in a session that holds one table, `customer_360`: the tagged 360 table
//! of the date (`tags/as_of=<date>.parquet`, every 360 column and every tag).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int64Type, SchemaRef};
use chrono::NaiveDate;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{DataFrame, SessionContext};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::lake::Lake;
use crate::tags::{empty_360_session, read_only, short, tags_path};

/// The fixed scenarios shipped with weiwan.
pub const SCENARIOS: &str = include_str!("../segments/scenarios.toml");

/// Columns every preview sample and export carries, before the columns a condition names.
const LIST_COLUMNS: &[&str] = &[
    "subscription_id",
    "customer_id",
    "msisdn",
    "branch_id",
    "manager_id",
    "vip_tier",
    "plan_id",
    "arpu_3m",
];

/// One self-service condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Condition {
    pub field: String,
    pub test: Test,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// `field=a` or `field=a,b,c`: one of the values.
    OneOf(Vec<String>),
    /// `field!=a,b`: none of the values (a missing value passes).
    NoneOf(Vec<String>),
    /// `field=lo..hi`, either end may be left open: inclusive bounds.
    Between(Option<String>, Option<String>),
}

impl FromStr for Condition {
    type Err = String;

    fn from_str(text: &str) -> Result<Condition, String> {
        let (field, negated, value) = match text.split_once("!=") {
            Some((field, value)) => (field, true, value),
            None => match text.split_once('=') {
                Some((field, value)) => (field, false, value),
                None => {
                    return Err(format!(
                        "condition {text:?}: expected field=value, field!=value or field=lo..hi"
                    ));
                }
            },
        };
        let field = field.trim().to_owned();
        let value = value.trim();
        if field.is_empty() || value.is_empty() {
            return Err(format!("condition {text:?}: a field and a value are required"));
        }
        let test = match value.split_once("..") {
            Some((low, high)) if !negated => {
                let bound = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
                if bound(low).is_none() && bound(high).is_none() {
                    return Err(format!("condition {text:?}: a range needs at least one bound"));
                }
                Test::Between(bound(low), bound(high))
            }
            _ => {
                let values: Vec<String> = value.split(',').map(|v| v.trim().to_owned()).collect();
                if values.iter().any(String::is_empty) {
                    return Err(format!("condition {text:?}: an empty value in the list"));
                }
                if negated { Test::NoneOf(values) } else { Test::OneOf(values) }
            }
        };
        Ok(Condition { field, test })
    }
}

impl TryFrom<String> for Condition {
    type Error = String;
    fn try_from(text: String) -> Result<Condition, String> {
        text.parse()
    }
}

impl From<Condition> for String {
    fn from(condition: Condition) -> String {
        condition.to_string()
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.test {
            Test::OneOf(values) => write!(f, "{}={}", self.field, values.join(",")),
            Test::NoneOf(values) => write!(f, "{}!={}", self.field, values.join(",")),
            Test::Between(low, high) => write!(
                f,
                "{}={}..{}",
                self.field,
                low.as_deref().unwrap_or_default(),
                high.as_deref().unwrap_or_default()
            ),
        }
    }
}

/// What picks a target group's members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SegmentQuery {
    /// Self-service: every condition holds.
    Conditions(Vec<Condition>),
    /// Ad-hoc: a `SELECT` over `customer_360` yielding `subscription_id`.
    Sql(String),
}

impl SegmentQuery {
    pub fn mode(&self) -> &'static str {
        match self {
            SegmentQuery::Conditions(_) => "conditions",
            SegmentQuery::Sql(_) => "sql",
        }
    }

    /// The definition as stored: the conditions as JSON text, or the SQL.
    pub fn definition(&self) -> String {
        match self {
            SegmentQuery::Conditions(conditions) => {
                serde_json::to_string(conditions).unwrap_or_else(|_| "[]".to_owned())
            }
            SegmentQuery::Sql(sql) => sql.clone(),
        }
    }

    /// The inverse of [`SegmentQuery::mode`] and [`SegmentQuery::definition`].
    pub fn from_stored(mode: &str, definition: &str) -> Result<SegmentQuery> {
        match mode {
            "conditions" => serde_json::from_str(definition)
                .map(SegmentQuery::Conditions)
                .map_err(|e| Error::internal(format!("stored conditions do not parse: {e}"))),
            "sql" => Ok(SegmentQuery::Sql(definition.to_owned())),
            other => Err(Error::internal(format!("unknown stored segment mode {other:?}"))),
        }
    }
}

/// When the daily batch evaluates a target group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// Only on request.
    None,
    Daily,
    /// On the first day of a month.
    Monthly,
}

impl Schedule {
    pub fn code(self) -> &'static str {
        match self {
            Schedule::None => "none",
            Schedule::Daily => "daily",
            Schedule::Monthly => "monthly",
        }
    }

    pub fn is_due(self, as_of: NaiveDate) -> bool {
        use chrono::Datelike;
        match self {
            Schedule::None => false,
            Schedule::Daily => true,
            Schedule::Monthly => as_of.day() == 1,
        }
    }
}

impl FromStr for Schedule {
    type Err = String;
    fn from_str(text: &str) -> Result<Schedule, String> {
        match text {
            "none" => Ok(Schedule::None),
            "daily" => Ok(Schedule::Daily),
            "monthly" => Ok(Schedule::Monthly),
            other => Err(format!("schedule {other:?}: expected none, daily or monthly")),
        }
    }
}

/// A named target group.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub name: String,
    pub description: String,
    pub schedule: Schedule,
    pub query: SegmentQuery,
}

/// Why a target group's definition was refused: one line per problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("target group refused: {}", .problems.join("; "))]
pub struct SegmentRefused {
    pub problems: Vec<String>,
}

impl SegmentRefused {
    fn one(problem: impl Into<String>) -> SegmentRefused {
        SegmentRefused { problems: vec![problem.into()] }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    #[error(transparent)]
    Refused(#[from] SegmentRefused),
    #[error(transparent)]
    Failed(#[from] Error),
}

pub fn check_name(name: &str) -> Result<(), SegmentRefused> {
    let valid = name.len() <= 64
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if valid {
        Ok(())
    } else {
        Err(SegmentRefused::one(format!(
            "name {name:?}: lowercase letters, digits, '_' and '-', starting with a letter, at most 64"
        )))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    #[serde(rename = "scenario")]
    scenarios: Vec<ScenarioEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioEntry {
    name: String,
    description: String,
    schedule: Schedule,
    #[serde(default)]
    conditions: Vec<Condition>,
    sql: Option<String>,
}

/// The fixed scenarios (固定场景) shipped with weiwan.
pub fn scenarios() -> Result<Vec<Segment>> {
    let file: ScenarioFile =
        toml::from_str(SCENARIOS).map_err(|e| Error::internal(format!("segments/scenarios.toml: {e}")))?;
    file.scenarios
        .into_iter()
        .map(|entry| {
            let query = match (entry.sql, entry.conditions.is_empty()) {
                (Some(sql), true) => SegmentQuery::Sql(sql),
                (None, false) => SegmentQuery::Conditions(entry.conditions),
                _ => {
                    return Err(Error::internal(format!(
                        "scenario {}: conditions or sql, not both",
                        entry.name
                    )));
                }
            };
            Ok(Segment { name: entry.name, description: entry.description, schedule: entry.schedule, query })
        })
        .collect()
}

/// The rows of `customer_360` a query picks, as SQL over that table. Conditions are checked
/// against the table's columns and types; SQL is planned read-only and must read nothing but
/// `customer_360` and yield `subscription_id`.
pub async fn member_rows_sql(
    context: &SessionContext,
    schema: &SchemaRef,
    query: &SegmentQuery,
) -> Result<String, SegmentError> {
    match query {
        SegmentQuery::Conditions(conditions) => {
            if conditions.is_empty() {
                return Err(SegmentRefused::one("at least one condition is required").into());
            }
            let mut problems = Vec::new();
            let mut clauses = Vec::new();
            for condition in conditions {
                match condition_sql(schema, condition) {
                    Ok(clause) => clauses.push(clause),
                    Err(problem) => problems.push(problem),
                }
            }
            if !problems.is_empty() {
                return Err(SegmentRefused { problems }.into());
            }
            Ok(format!("SELECT * FROM customer_360 WHERE {}", clauses.join(" AND ")))
        }
        SegmentQuery::Sql(sql) => {
            check_select(context, sql).await?;
            Ok(format!(
                "SELECT * FROM customer_360 WHERE subscription_id IN (SELECT subscription_id FROM ({sql}) AS analyst_query)"
            ))
        }
    }
}

/// Refuses anything but one read-only query over `customer_360` that yields `subscription_id`.
async fn check_select(context: &SessionContext, sql: &str) -> Result<(), SegmentError> {
    if sql.trim().is_empty() {
        return Err(SegmentRefused::one("the SQL is empty").into());
    }
    let frame = context
        .sql_with_options(sql, read_only())
        .await
        .map_err(|e| SegmentRefused::one(format!("SQL refused: {}", short(&e.to_string()))))?;
    // DDL, DML and statements were refused by the options; EXPLAIN and DESCRIBE yield no
    // subscription_id. What is left is a query: it must read customer_360 alone.
    let plan = frame.logical_plan();
    let mut foreign = Vec::new();
    plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node
            && scan.table_name.table() != "customer_360"
        {
            foreign.push(scan.table_name.to_string());
        }
        Ok(TreeNodeRecursion::Continue)
    })
    .map_err(Error::from)?;
    if let Some(table) = foreign.first() {
        return Err(SegmentRefused::one(format!(
            "SQL refused: it reads {table}; only customer_360 may be read"
        ))
        .into());
    }
    if frame.schema().field_with_unqualified_name("subscription_id").is_err() {
        return Err(SegmentRefused::one("SQL refused: the query must yield a subscription_id column").into());
    }
    Ok(())
}

pub(crate) fn condition_sql(schema: &SchemaRef, condition: &Condition) -> Result<String, String> {
    let field = schema
        .field_with_name(&condition.field)
        .map_err(|_| format!("condition {condition}: no column or tag named {:?}", condition.field))?;
    let column = format!("\"{}\"", condition.field);
    let literal = |value: &str| {
        literal(field.data_type(), value).map_err(|why| format!("condition {condition}: {why}"))
    };
    match &condition.test {
        Test::OneOf(values) | Test::NoneOf(values) => {
            let literals = values.iter().map(|v| literal(v)).collect::<Result<Vec<_>, _>>()?;
            let negated = matches!(condition.test, Test::NoneOf(_));
            Ok(if negated {
                format!("({column} IS NULL OR {column} NOT IN ({}))", literals.join(", "))
            } else {
                format!("{column} IN ({})", literals.join(", "))
            })
        }
        Test::Between(low, high) => {
            if !(field.data_type().is_numeric() || matches!(field.data_type(), DataType::Date32)) {
                return Err(format!("condition {condition}: a range needs a number or date column"));
            }
            let mut parts = Vec::new();
            if let Some(low) = low {
                parts.push(format!("{column} >= {}", literal(low)?));
            }
            if let Some(high) = high {
                parts.push(format!("{column} <= {}", literal(high)?));
            }
            Ok(format!("({})", parts.join(" AND ")))
        }
    }
}

/// A value typed for its column, as a SQL literal; never user text pasted into SQL.
fn literal(data_type: &DataType, value: &str) -> Result<String, String> {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            Ok(format!("'{}'", value.replace('\'', "''")))
        }
        DataType::Boolean => match value {
            "true" | "false" => Ok(value.to_owned()),
            _ => Err(format!("{value:?} is not true or false")),
        },
        DataType::Date32 => NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .map(|d| format!("DATE '{d}'"))
            .map_err(|_| format!("{value:?} is not a date (YYYY-MM-DD)")),
        t if t.is_numeric() => value
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(|x| x.to_string())
            .ok_or_else(|| format!("{value:?} is not a number")),
        other => Err(format!("a column of type {other} cannot be filtered here")),
    }
}

/// The session target groups run in: `customer_360` is the tagged 360 table of the date.
pub async fn segment_session(lake: &Lake, as_of: NaiveDate) -> Result<SessionContext> {
    let path = tags_path(lake, as_of);
    if !path.exists() {
        return Err(Error::NotBuilt { as_of });
    }
    let context = SessionContext::new();
    context.register_parquet("customer_360", path.to_string_lossy().as_ref(), Default::default()).await?;
    Ok(context)
}

/// Checks a definition against the columns a tag library gives the tagged 360 table, without
/// data: for saving a target group before any batch has run.
pub async fn check_segment(tagged: SchemaRef, query: &SegmentQuery) -> Result<(), SegmentError> {
    let context = empty_360_session(tagged.clone())?;
    member_rows_sql(&context, &tagged, query).await?;
    Ok(())
}

/// A count, the split by tier and branch, and a few rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    /// YYYY-MM-DD.
    pub as_of: String,
    pub members: u64,
    /// Members per VIP tier code, most first.
    pub by_tier: Vec<(String, u64)>,
    /// Members per branch id, most first.
    pub by_branch: Vec<(String, u64)>,
    /// Column names of the sample.
    pub columns: Vec<String>,
    /// The first rows by subscription id, as displayed text (MSISDNs masked).
    pub sample: Vec<Vec<String>>,
}

/// Previews a target group on the tagged 360 table of a date.
pub async fn preview(
    lake: &Lake,
    as_of: NaiveDate,
    query: &SegmentQuery,
    sample_rows: usize,
) -> Result<Preview, SegmentError> {
    let context = segment_session(lake, as_of).await?;
    let schema = table_schema(&context).await?;
    let rows = member_rows_sql(&context, &schema, query).await?;
    let count = |group: &str| {
        format!(
            "SELECT COALESCE(CAST({group} AS VARCHAR), '(none)') AS g, COUNT(*) AS n FROM ({rows}) \
             GROUP BY 1 ORDER BY n DESC, g"
        )
    };
    let by_tier = counts(&context, &count("vip_tier")).await?;
    let by_branch = counts(&context, &count("branch_id")).await?;
    let members = by_tier.iter().map(|(_, n)| n).sum();
    let frame = list_frame(&context, &rows, query, Some(sample_rows)).await?;
    let columns = frame.schema().fields().iter().map(|f| f.name().clone()).collect();
    let batches = frame.collect().await.map_err(Error::from)?;
    let mut sample = Vec::new();
    let options = arrow::util::display::FormatOptions::default().with_null("");
    for batch in &batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|a| arrow::util::display::ArrayFormatter::try_new(a.as_ref(), &options))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(Error::from)?;
        for row in 0..batch.num_rows() {
            sample.push(formatters.iter().map(|f| f.value(row).to_string()).collect());
        }
    }
    Ok(Preview { as_of: as_of.to_string(), members, by_tier, by_branch, columns, sample })
}

pub(crate) async fn table_schema(context: &SessionContext) -> Result<SchemaRef> {
    let table = context.table("customer_360").await?;
    Ok(Arc::new(table.schema().as_arrow().clone()))
}

async fn counts(context: &SessionContext, sql: &str) -> Result<Vec<(String, u64)>> {
    let batches = context.sql(sql).await?.collect().await?;
    let mut out = Vec::new();
    for batch in &batches {
        // Text comes back as Utf8 or Utf8View depending on the source; one form here.
        let groups = arrow::compute::cast(batch.column(0), &DataType::Utf8)?;
        let groups = groups.as_string_opt::<i32>().ok_or_else(|| Error::internal("group is not text"))?;
        let counts = batch
            .column(1)
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| Error::internal("count is not an integer"))?;
        for row in 0..batch.num_rows() {
            out.push((groups.value(row).to_owned(), counts.value(row).max(0) as u64));
        }
    }
    Ok(out)
}

/// The member list: the fixed list columns, then the columns the conditions name; the MSISDN
/// is masked (138****1234).
async fn list_frame(
    context: &SessionContext,
    rows: &str,
    query: &SegmentQuery,
    limit: Option<usize>,
) -> Result<DataFrame> {
    let mut columns: Vec<String> = LIST_COLUMNS
        .iter()
        .map(|c| match *c {
            "msisdn" => "concat(substr(msisdn, 1, 3), '****', substr(msisdn, 8, 4)) AS msisdn".to_owned(),
            other => other.to_owned(),
        })
        .collect();
    if let SegmentQuery::Conditions(conditions) = query {
        for condition in conditions {
            if !LIST_COLUMNS.contains(&condition.field.as_str())
                && !columns.contains(&format!("\"{}\"", condition.field))
            {
                columns.push(format!("\"{}\"", condition.field));
            }
        }
    }
    // Who is at risk and why, for whoever works the list (NULL when no churn model is in force).
    for churn in ["churn_probability", "churn_reasons_en", "churn_reasons_zh"] {
        columns.push(churn.to_owned());
    }
    let limit = limit.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
    let sql = format!("SELECT {} FROM ({rows}) ORDER BY subscription_id{limit}", columns.join(", "));
    Ok(context.sql(&sql).await?)
}

/// Writes a target group's member list as CSV (UTF-8, a header line), to a temporary file
/// renamed into place, so the file is either the whole list or absent. Returns the row count.
pub async fn export_csv(
    lake: &Lake,
    as_of: NaiveDate,
    query: &SegmentQuery,
    out: &Path,
) -> Result<u64, SegmentError> {
    let context = segment_session(lake, as_of).await?;
    let schema = table_schema(&context).await?;
    let rows = member_rows_sql(&context, &schema, query).await?;
    let frame = list_frame(&context, &rows, query, None).await?;
    Ok(write_csv(frame, out).await?)
}

async fn write_csv(frame: DataFrame, out: &Path) -> Result<u64> {
    let mut stream = frame.execute_stream().await?;
    let temporary = out.with_extension("csv.tmp");
    let file = std::fs::File::create(&temporary).map_err(Error::io(&temporary))?;
    let mut writer = arrow::csv::WriterBuilder::new().with_header(true).build(std::io::BufWriter::new(file));
    let mut rows = 0u64;
    let written: Result<()> = async {
        while let Some(batch) = stream.next().await {
            let batch: RecordBatch = batch?;
            rows += batch.num_rows() as u64;
            writer.write(&batch)?;
        }
        Ok(())
    }
    .await;
    let finished = written.and_then(|()| {
        let buffered = writer.into_inner();
        let file = buffered
            .into_inner()
            .map_err(|e| Error::Io { path: temporary.clone(), source: e.into_error() })?;
        file.sync_all().map_err(Error::io(&temporary))
    });
    if let Err(err) = finished {
        let _ = std::fs::remove_file(&temporary);
        return Err(err);
    }
    std::fs::rename(&temporary, out).map_err(Error::io(out))?;
    Ok(rows)
}

/// What the batch's target-group stage wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledRun {
    pub name: String,
    /// Members and the list file, or why the group could not be evaluated.
    pub outcome: std::result::Result<(u64, PathBuf), String>,
}

pub fn segment_list_path(lake: &Lake, as_of: NaiveDate, name: &str) -> PathBuf {
    lake.root().join("segments").join(format!("as_of={as_of}")).join(format!("{name}.csv"))
}

/// Evaluates the target groups due on a date and writes each member list. One group that no
/// longer fits the table (a tag was removed) is reported and does not stop the others.
pub async fn run_scheduled(lake: &Lake, as_of: NaiveDate, segments: &[Segment]) -> Result<Vec<ScheduledRun>> {
    let mut runs = Vec::new();
    for segment in segments.iter().filter(|s| s.schedule.is_due(as_of)) {
        let path = segment_list_path(lake, as_of, &segment.name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
        }
        let outcome = match export_csv(lake, as_of, &segment.query, &path).await {
            Ok(rows) => Ok((rows, path)),
            Err(SegmentError::Refused(refused)) => Err(refused.to_string()),
            Err(SegmentError::Failed(err)) => return Err(err),
        };
        if let Err(why) = &outcome {
            tracing::warn!(segment = segment.name, why, "scheduled target group not evaluated");
        }
        runs.push(ScheduledRun { name: segment.name.clone(), outcome });
    }
    Ok(runs)
}
