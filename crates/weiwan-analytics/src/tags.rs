//! The tag library (标签库): named SQL expressions over the customer 360 table, kept in a
//! versioned TOML file, checked before they are put in force, evaluated by the daily batch.
//!
//! A library is checked whole: every tag's expression is planned against the 360 table's
//! schema, so a syntax error, an unknown column, an unknown parameter or an aggregate is
//! refused with the tag's name, and the library in force stays in force. The built-in
//! library (`tags/builtin.toml`) is in force until another is loaded.
//!
//! In the data directory: `tags/libraries/<version>.toml` holds every library ever loaded,
//! `tags/active` names the one in force (replaced atomically), and the batch writes
//! `tags/as_of=<date>.parquet`, the tagged 360 table: every 360 column, then one per tag.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use arrow::datatypes::{Schema, SchemaRef};
use chrono::NaiveDate;
use datafusion::datasource::MemTable;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::SessionContext;
use serde::Deserialize;

use crate::batch::{customer_360_sql, write_query};
use crate::error::{Error, Result};
use crate::lake::Lake;

/// The library shipped with weiwan.
pub const BUILTIN_LIBRARY: &str = include_str!("../tags/builtin.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TagCategory {
    /// 客户标签: describes the customer.
    Customer,
    /// 管理标签: drives the retention team's work.
    Management,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub name: String,
    pub category: TagCategory,
    pub owner: String,
    pub description_zh: String,
    pub description_en: String,
    /// The SQL expression with its parameters filled in.
    pub expr: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagLibrary {
    pub version: String,
    pub tags: Vec<Tag>,
    /// The file as written, kept verbatim when the library is loaded.
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LibraryFile {
    version: String,
    #[serde(default)]
    params: BTreeMap<String, toml::Value>,
    #[serde(default, rename = "tag")]
    tags: Vec<TagFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TagFile {
    name: String,
    category: TagCategory,
    owner: String,
    description_zh: String,
    description_en: String,
    expr: String,
}

/// Why a library was refused: one line per problem, each naming the tag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tag library refused, the library in force is unchanged:\n  {}", .problems.join("\n  "))]
pub struct TagLibraryRefused {
    pub problems: Vec<String>,
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && text.len() <= 48
}

/// Parses a library and checks everything that needs no data: names, categories,
/// descriptions, parameters.
pub fn parse_library(source: &str) -> Result<TagLibrary, TagLibraryRefused> {
    let refuse = |problems: Vec<String>| TagLibraryRefused { problems };
    let file: LibraryFile =
        toml::from_str(source).map_err(|e| refuse(vec![format!("not a valid library file: {e}")]))?;
    let mut problems = Vec::new();
    if file.version.is_empty()
        || !file.version.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        problems.push(format!("version {:?} must be letters, digits, '.', '_' or '-'", file.version));
    }
    let mut params = BTreeMap::new();
    for (name, value) in &file.params {
        let literal = match value {
            toml::Value::Integer(n) => n.to_string(),
            toml::Value::Float(x) if x.is_finite() => x.to_string(),
            toml::Value::String(s) => format!("'{}'", s.replace('\'', "''")),
            other => {
                problems
                    .push(format!("parameter {name}: a {} is not a number or a string", other.type_str()));
                continue;
            }
        };
        params.insert(name.clone(), literal);
    }
    let mut names = HashSet::new();
    let mut tags = Vec::new();
    for tag in file.tags {
        if !is_identifier(&tag.name) {
            problems.push(format!(
                "tag {:?}: a name is lowercase letters, digits and '_', starting with a letter",
                tag.name
            ));
        }
        if tag.name == "subscription_id" || !names.insert(tag.name.clone()) {
            problems.push(format!("tag {}: the name is used twice", tag.name));
        }
        if tag.description_zh.trim().is_empty()
            || tag.description_en.trim().is_empty()
            || tag.owner.trim().is_empty()
        {
            problems.push(format!("tag {}: owner, description_zh and description_en are required", tag.name));
        }
        let mut expr = tag.expr.clone();
        for (name, literal) in &params {
            expr = expr.replace(&format!("{{{name}}}"), literal);
        }
        if let Some(start) = expr.find('{') {
            let unknown: String = expr[start..].chars().take_while(|c| *c != '}').skip(1).collect();
            problems.push(format!("tag {}: unknown parameter {{{unknown}}}", tag.name));
        }
        if expr.contains(';') {
            problems.push(format!("tag {}: an expression cannot contain ';'", tag.name));
        }
        tags.push(Tag {
            name: tag.name,
            category: tag.category,
            owner: tag.owner,
            description_zh: tag.description_zh,
            description_en: tag.description_en,
            expr,
        });
    }
    if tags.is_empty() {
        problems.push("the library has no [[tag]]".into());
    }
    if !problems.is_empty() {
        return Err(refuse(problems));
    }
    Ok(TagLibrary { version: file.version, tags, source: source.to_owned() })
}

/// The schema of the 360 table as tags and target groups see it: the columns of its query
/// (planned over empty tables), then the churn model's columns.
pub async fn customer_360_schema() -> Result<SchemaRef> {
    let planner = SessionContext::new();
    for table in weiwan_domain::TableId::ALL {
        let schema = crate::layout::arrow_schema(table.table());
        planner.register_table(table.name(), Arc::new(MemTable::try_new(schema, vec![vec![]])?))?;
    }
    crate::store_snapshot::register_store_snapshot(&planner, None).await?;
    let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).ok_or_else(|| Error::internal("a fixed date"))?;
    let frame = planner.sql(&customer_360_sql(as_of)?).await?;
    // The churn columns the nightly scores add (crate::churn), NULL until a model is in force.
    let mut fields: Vec<_> = frame.schema().as_arrow().fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.extend(crate::churn::churn_columns());
    Ok(Arc::new(Schema::new(fields)))
}

/// A session that sees one table, `customer_360`, empty, with the given schema: for
/// planning people's expressions and queries before anything runs.
pub(crate) fn empty_360_session(schema: SchemaRef) -> Result<SessionContext> {
    let context = SessionContext::new();
    context.register_table("customer_360", Arc::new(MemTable::try_new(schema, vec![vec![]])?))?;
    Ok(context)
}

/// The columns of the tagged 360 table a library produces: the 360 columns, then one per tag.
pub async fn tagged_schema(library: &TagLibrary) -> Result<SchemaRef> {
    let context = empty_360_session(customer_360_schema().await?)?;
    let frame = context.sql_with_options(&tagged_query(library), read_only()).await?;
    Ok(Arc::new(frame.schema().as_arrow().clone()))
}

fn tagged_query(library: &TagLibrary) -> String {
    let columns: Vec<String> = library.tags.iter().map(|t| format!("({}) AS {}", t.expr, t.name)).collect();
    format!("SELECT *, {} FROM customer_360 ORDER BY subscription_id", columns.join(", "))
}

/// Plans every expression against an empty 360 table: syntax errors, unknown columns,
/// aggregates and names already taken by a 360 column are refused without running anything.
pub async fn check_library(library: &TagLibrary) -> Result<(), TagLibraryRefused> {
    let internal = |e: Error| TagLibraryRefused { problems: vec![format!("cannot check the library: {e}")] };
    let schema = customer_360_schema().await.map_err(internal)?;
    // Tags see the 360 table and nothing else, here and when they are evaluated.
    let context = empty_360_session(schema.clone()).map_err(internal)?;
    let mut problems = Vec::new();
    for tag in &library.tags {
        if schema.field_with_name(&tag.name).is_ok() {
            problems.push(format!("tag {}: the name is a column of the 360 table", tag.name));
            continue;
        }
        let query = format!("SELECT subscription_id, ({}) AS {} FROM customer_360", tag.expr, tag.name);
        match context.sql_with_options(&query, read_only()).await {
            Err(err) => problems.push(format!("tag {}: {}", tag.name, short(&err.to_string()))),
            Ok(frame) => {
                let names: Vec<&String> = frame.schema().fields().iter().map(|f| f.name()).collect();
                if names.len() != 2 || names[1] != &tag.name {
                    problems.push(format!("tag {}: the expression must yield one value per line", tag.name));
                }
            }
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(TagLibraryRefused { problems }) }
}

/// Tag expressions are written by people: they may only read. DDL (such as `CREATE EXTERNAL
/// TABLE`), DML (such as `COPY … TO`, which writes files) and statements are refused.
pub(crate) fn read_only() -> SQLOptions {
    SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false)
}

/// DataFusion lists every valid field after an unknown one; the first sentence is enough.
pub(crate) fn short(message: &str) -> String {
    let first = message.split(". Valid fields are").next().unwrap_or(message);
    first.chars().take(300).collect()
}

fn tags_dir(lake: &Lake) -> PathBuf {
    lake.root().join("tags")
}

/// The library in force: the last one loaded, or the built-in one.
pub fn active_library(lake: &Lake) -> Result<TagLibrary> {
    let pointer = tags_dir(lake).join("active");
    let source = match std::fs::read_to_string(&pointer) {
        Ok(version) => {
            let path = tags_dir(lake).join("libraries").join(format!("{}.toml", version.trim()));
            std::fs::read_to_string(&path).map_err(Error::io(&path))?
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => BUILTIN_LIBRARY.to_owned(),
        Err(err) => return Err(Error::Io { path: pointer, source: err }),
    };
    parse_library(&source)
        .map_err(|refused| Error::internal(format!("the library in force no longer parses: {refused}")))
}

/// Checks a library and, if it passes, puts it in force. A version may be loaded again only
/// with the same content, so a version names one library forever.
pub async fn load_library(lake: &Lake, source: &str) -> Result<TagLibrary, LoadError> {
    let library = parse_library(source)?;
    check_library(&library).await?;
    let libraries = tags_dir(lake).join("libraries");
    std::fs::create_dir_all(&libraries).map_err(Error::io(&libraries))?;
    let path = libraries.join(format!("{}.toml", library.version));
    match std::fs::read_to_string(&path) {
        Ok(existing) if existing != source => {
            return Err(LoadError::Refused(TagLibraryRefused {
                problems: vec![format!(
                    "version {} was loaded before with other content; give the changed library a new version",
                    library.version
                )],
            }));
        }
        Ok(_) => {}
        Err(_) => write_atomically(&path, source)?,
    }
    write_atomically(&tags_dir(lake).join("active"), &library.version)?;
    Ok(library)
}

fn write_atomically(path: &std::path::Path, content: &str) -> Result<()> {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, content).map_err(Error::io(&temporary))?;
    std::fs::rename(&temporary, path).map_err(Error::io(path))
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Refused(#[from] TagLibraryRefused),
    #[error(transparent)]
    Failed(#[from] Error),
}

/// What the tag stage wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagValues {
    pub path: PathBuf,
    pub rows: u64,
    pub version: String,
    pub n_tags: usize,
}

pub fn tags_path(lake: &Lake, as_of: NaiveDate) -> PathBuf {
    tags_dir(lake).join(format!("as_of={as_of}.parquet"))
}

/// The dates whose tagged 360 table has been built, oldest first.
pub fn tagged_dates(lake: &Lake) -> Result<Vec<NaiveDate>> {
    let dir = tags_dir(lake);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir)(e)),
    };
    let mut dates = Vec::new();
    for entry in entries {
        let name = entry.map_err(Error::io(&dir))?.file_name();
        let date = name
            .to_str()
            .and_then(|n| n.strip_prefix("as_of="))
            .and_then(|n| n.strip_suffix(".parquet"))
            .and_then(|d| d.parse::<NaiveDate>().ok());
        dates.extend(date);
    }
    dates.sort_unstable();
    Ok(dates)
}

/// Evaluates the library in force over the 360 table of a date (which must have been built)
/// and writes the tagged 360 table: every 360 column, then one column per tag. Target groups
/// and cohorts read this one file.
pub async fn evaluate_tags(lake: &Lake, as_of: NaiveDate) -> Result<TagValues> {
    let library = active_library(lake)?;
    // Only the 360 table is visible to tag expressions.
    // The 360 table of the day with its churn columns (crate::churn).
    let context = SessionContext::new();
    crate::churn::register_360_with_churn(&context, lake, as_of).await?;
    let frame = context.sql_with_options(&tagged_query(&library), read_only()).await?;
    let path = tags_path(lake, as_of);
    let rows = write_query(frame, &path).await?;
    tracing::info!(as_of = %as_of, rows, version = library.version, "tags evaluated");
    Ok(TagValues { path, rows, version: library.version, n_tags: library.tags.len() })
}
