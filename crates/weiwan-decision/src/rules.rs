//! The rule book (规则库) of warnings, care occasions and abnormal-list checks.
//!
//! A book is written in TOML: a `version`, shared `[params]` and `[[rule]]` tables. An *event
//! rule* fires the moment an event of one of its types arrives; a *data rule* is a SQL `SELECT`
//! run by the daily batch (elsewhere, by DataFusion) on its cadence, one alert per row. The
//! shipped book is [`builtin()`]; [`parse_rulebook`] reads a changed copy and refuses it, naming
//! the rule and the field, when anything in it is wrong.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::Deserialize;
use weiwan_domain::FieldError;
use weiwan_domain::codes::{EventType, RuleCategory, TaskAction, TaskPriority, TaskQueue, VipTier};

use crate::template::{self, Piece};

/// The text of the built-in book, `rules/builtin.toml`.
pub const BUILTIN_SOURCE: &str = include_str!("../rules/builtin.toml");

/// Placeholders every SQL and reason template may use, filled from the date: `{as_of}`
/// (YYYY-MM-DD), `{month}` (YYYY-MM), `{prev_month}` (the month before, YYYY-MM), `{quarter}`
/// (e.g. 2026-Q4) and `{year}`.
pub const DATE_PLACEHOLDERS: &[&str] = &["as_of", "month", "prev_month", "quarter", "year"];

/// Facts every event rule's reason may quote: the date and time of the event, its type and
/// detail, and the customer's tier (labels in the reason's language).
pub const EVENT_FACTS: &[&str] = &["occurred_on", "occurred_at", "event_type", "detail", "tier"];

/// The longest a task may be given, in days.
pub const MAX_DUE_DAYS: u32 = 365;

/// The id of the rule whose tiers are protected from suspension (不轻易停机).
pub const VIP_ARREARS_RULE: &str = "vip_arrears";

/// The built-in rule book.
///
/// # Panics
///
/// When the shipped `rules/builtin.toml` does not parse, which a test rules out.
pub fn builtin() -> RuleBook {
    match parse_rulebook(BUILTIN_SOURCE) {
        Ok(book) => book,
        Err(err) => panic!("the built-in rule book is broken: {err}"),
    }
}

/// Why a rule book was refused, or a rule's SQL could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleBookError {
    /// Not TOML, or its top level is wrong (an unknown key, a missing `version` …).
    #[error("the rule book is not well formed: {0}")]
    Syntax(String),
    #[error("version: {0}")]
    Version(String),
    #[error("param {name}: {problem}")]
    Param { name: String, problem: String },
    /// `rule` is the rule's id, or `#n` (the n-th rule) when it has no usable id.
    #[error("rule {rule}: {field}: {problem}")]
    Rule { rule: String, field: String, problem: String },
}

impl RuleBookError {
    fn rule(rule: &str, field: &str, problem: impl Into<String>) -> RuleBookError {
        RuleBookError::Rule { rule: rule.to_owned(), field: field.to_owned(), problem: problem.into() }
    }
}

/// A parsed, checked rule book.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleBook {
    /// Names this book; letters, digits, `.`, `_` and `-` only (it names a file).
    pub version: String,
    /// Thresholds and lists shared by all rules.
    pub params: BTreeMap<String, Param>,
    /// In the order written.
    pub rules: Vec<Rule>,
}

/// A value of `[params]`.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Integer(i64),
    Float(f64),
    Text(String),
    List(Vec<String>),
}

impl Param {
    /// As SQL: numbers as they are (negative ones in parentheses, so `-{x}` stays an
    /// expression), strings as string literals with `'` doubled, lists as comma-separated
    /// string literals for `IN (…)` (`NULL` when empty, so `IN (NULL)` matches nothing).
    pub fn to_sql(&self) -> String {
        match self {
            Param::Integer(n) if *n < 0 => format!("({n})"),
            Param::Integer(n) => n.to_string(),
            Param::Float(x) if *x < 0.0 => format!("({x})"),
            Param::Float(x) => x.to_string(),
            Param::Text(text) => sql_literal(text),
            Param::List(items) if items.is_empty() => "NULL".to_owned(),
            Param::List(items) => items.iter().map(|item| sql_literal(item)).collect::<Vec<_>>().join(", "),
        }
    }

    /// As text in a reason: numbers and strings as they are, lists joined by `, `.
    pub fn to_text(&self) -> String {
        match self {
            Param::Integer(n) => n.to_string(),
            Param::Float(x) => x.to_string(),
            Param::Text(text) => text.clone(),
            Param::List(items) => items.join(", "),
        }
    }
}

fn sql_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// One rule: when it fires, and the task it makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub category: RuleCategory,
    pub action: TaskAction,
    pub priority: TaskPriority,
    /// The task is due this many days after the day it is raised.
    pub due_days: u32,
    pub assign: Assign,
    /// Where the task goes when `assign` is [`Assign::Queue`] or the customer has no manager.
    pub queue: TaskQueue,
    /// Tiers (the customer's recorded VIP tier) the rule applies to; empty for all.
    pub tiers: Vec<VipTier>,
    pub reason_zh: String,
    pub reason_en: String,
    pub trigger: Trigger,
}

impl Rule {
    pub fn is_data_rule(&self) -> bool {
        matches!(self.trigger, Trigger::Data(_))
    }

    pub fn is_event_rule(&self) -> bool {
        matches!(self.trigger, Trigger::Event(_))
    }

    /// Whether a customer of this tier is within the rule's tiers.
    pub fn applies_to(&self, tier: VipTier) -> bool {
        self.tiers.is_empty() || self.tiers.contains(&tier)
    }

    /// A data rule's cadence.
    pub fn cadence(&self) -> Option<Cadence> {
        match &self.trigger {
            Trigger::Data(data) => Some(data.cadence),
            Trigger::Event(_) => None,
        }
    }

    /// A data rule's SQL, placeholders unfilled (see [`RuleBook::render_sql`]).
    pub fn sql(&self) -> Option<&str> {
        match &self.trigger {
            Trigger::Data(data) => Some(&data.sql),
            Trigger::Event(_) => None,
        }
    }
}

/// Who gets the task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assign {
    /// The customer's manager; the rule's queue when the customer has none.
    Manager,
    /// Always the rule's queue.
    Queue,
}

impl Assign {
    pub const fn code(self) -> &'static str {
        match self {
            Assign::Manager => "manager",
            Assign::Queue => "queue",
        }
    }
}

/// What makes a rule fire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    Event(EventTrigger),
    Data(DataTrigger),
}

/// An event rule: fires when an event of one of `events` arrives whose detail passes the
/// filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTrigger {
    pub events: Vec<EventType>,
    /// When not empty, the detail must contain one of these.
    pub detail_contains: Vec<String>,
    /// The detail must contain none of these.
    pub detail_excludes: Vec<String>,
    pub once_per: OncePer,
}

impl EventTrigger {
    /// Whether an event of this type and detail fires the rule (tiers aside).
    pub fn matches(&self, event_type: EventType, detail: Option<&str>) -> bool {
        let detail = detail.unwrap_or("");
        self.events.contains(&event_type)
            && (self.detail_contains.is_empty()
                || self.detail_contains.iter().any(|w| detail.contains(w.as_str())))
            && !self.detail_excludes.iter().any(|w| detail.contains(w.as_str()))
    }
}

/// How often an event rule raises one alert for one line: the cause key of its alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OncePer {
    /// Every event: the cause is the event id.
    Event,
    /// Once a day: the cause is the event's date, YYYY-MM-DD.
    Day,
    /// Once a month: the cause is the event's month, YYYY-MM.
    Month,
}

impl OncePer {
    pub const fn code(self) -> &'static str {
        match self {
            OncePer::Event => "event",
            OncePer::Day => "day",
            OncePer::Month => "month",
        }
    }

    /// The cause key of an alert for this event.
    pub fn cause(self, event_id: &str, occurred_at: NaiveDateTime) -> String {
        match self {
            OncePer::Event => event_id.to_owned(),
            OncePer::Day => occurred_at.date().to_string(),
            OncePer::Month => occurred_at.format("%Y-%m").to_string(),
        }
    }
}

/// A data rule: a SQL query run on its cadence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataTrigger {
    pub cadence: Cadence,
    pub sql: String,
}

/// When a data rule runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    /// Every batch.
    Daily,
    /// The batch of the 1st of each month.
    Monthly,
}

impl Cadence {
    pub const fn code(self) -> &'static str {
        match self {
            Cadence::Daily => "daily",
            Cadence::Monthly => "monthly",
        }
    }

    /// Whether a rule of this cadence runs in the batch as of `as_of`.
    pub fn is_due(self, as_of: NaiveDate) -> bool {
        match self {
            Cadence::Daily => true,
            Cadence::Monthly => as_of.day() == 1,
        }
    }
}

impl fmt::Display for Cadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The date placeholders for a day.
pub(crate) fn date_placeholder(name: &str, day: NaiveDate) -> Option<String> {
    Some(match name {
        "as_of" => day.to_string(),
        "month" => day.format("%Y-%m").to_string(),
        "prev_month" => {
            let first = day.with_day(1).unwrap_or(day);
            first.pred_opt().unwrap_or(first).format("%Y-%m").to_string()
        }
        "quarter" => format!("{}-Q{}", day.year(), day.month0() / 3 + 1),
        "year" => day.year().to_string(),
        _ => return None,
    })
}

impl RuleBook {
    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|rule| rule.id == id)
    }

    pub fn event_rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|rule| rule.is_event_rule())
    }

    pub fn data_rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|rule| rule.is_data_rule())
    }

    /// The data rules the batch as of `as_of` runs.
    pub fn data_rules_due(&self, as_of: NaiveDate) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(move |rule| rule.cadence().is_some_and(|cadence| cadence.is_due(as_of)))
    }

    /// Tiers whose lines are not suspended for arrears before a reminder and a manager's
    /// confirmation (不轻易停机): the tiers of the rule `vip_arrears` (all tiers when it lists
    /// none), or none when the book has no such rule.
    pub fn suspension_protected_tiers(&self) -> Vec<VipTier> {
        match self.rule(VIP_ARREARS_RULE) {
            Some(rule) if rule.tiers.is_empty() => VipTier::ALL.to_vec(),
            Some(rule) => rule.tiers.clone(),
            None => Vec::new(),
        }
    }

    /// A data rule's SQL with its placeholders filled: the date placeholders from `as_of` and
    /// every param (see [`Param::to_sql`]).
    pub fn render_sql(&self, rule: &Rule, as_of: NaiveDate) -> Result<String, RuleBookError> {
        let Some(sql) = rule.sql() else {
            return Err(RuleBookError::rule(&rule.id, "sql", "an event rule has no SQL"));
        };
        let mut unknown: Option<String> = None;
        let rendered = template::fill(sql, |name| {
            let value = date_placeholder(name, as_of).or_else(|| self.params.get(name).map(Param::to_sql));
            if value.is_none() && unknown.is_none() {
                unknown = Some(name.to_owned());
            }
            value
        });
        match unknown {
            Some(name) => Err(RuleBookError::rule(
                &rule.id,
                "sql",
                format!("{{{name}}} is neither a param nor a date placeholder"),
            )),
            None => Ok(rendered),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBook {
    version: String,
    #[serde(default)]
    params: toml::Table,
    #[serde(default)]
    rule: Vec<toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    name_zh: String,
    name_en: String,
    category: String,
    action: String,
    priority: String,
    due_days: u32,
    assign: String,
    queue: String,
    #[serde(default)]
    tiers: Vec<String>,
    reason_zh: String,
    reason_en: String,
    event: Option<Vec<String>>,
    detail_contains: Option<Vec<String>>,
    detail_excludes: Option<Vec<String>>,
    once_per: Option<String>,
    cadence: Option<String>,
    sql: Option<String>,
}

/// Parses and checks a rule book. Refuses, with the first problem found (naming the rule and
/// the field): TOML that does not parse; unknown fields; a bad `version`; params that are not
/// numbers, strings or arrays of strings; duplicate ids or ids not matching `[a-z][a-z0-9_]*`;
/// unknown codes (category, action, priority, queue, tiers, event types, assign, once_per,
/// cadence); a rule with both or neither of `event` and `sql`; fields of the other kind of rule;
/// `due_days` over 365; SQL that is not a `SELECT` or uses a `{name}` that is neither a param nor
/// a date placeholder; and reasons with a `{…}` that is not a placeholder or, in event rules,
/// that names no event fact, date placeholder or param.
pub fn parse_rulebook(text: &str) -> Result<RuleBook, RuleBookError> {
    let raw: RawBook =
        toml::from_str(text).map_err(|err| RuleBookError::Syntax(err.to_string().trim().to_owned()))?;
    check_version(&raw.version)?;
    let mut params = BTreeMap::new();
    for (name, value) in raw.params {
        let param = parse_param(&name, value)?;
        params.insert(name, param);
    }
    let mut ids = BTreeSet::new();
    let mut rules = Vec::with_capacity(raw.rule.len());
    for (index, table) in raw.rule.into_iter().enumerate() {
        let rule = parse_rule(index, table, &params)?;
        if !ids.insert(rule.id.clone()) {
            return Err(RuleBookError::rule(&rule.id, "id", "the id is used by an earlier rule"));
        }
        rules.push(rule);
    }
    Ok(RuleBook { version: raw.version, params, rules })
}

fn check_version(version: &str) -> Result<(), RuleBookError> {
    let fine = !version.is_empty()
        && version.len() <= 64
        && !version.starts_with('.')
        && version.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if fine {
        Ok(())
    } else {
        Err(RuleBookError::Version(format!(
            "{version:?} must be 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'"
        )))
    }
}

fn parse_param(name: &str, value: toml::Value) -> Result<Param, RuleBookError> {
    let problem = |problem: &str| RuleBookError::Param { name: name.to_owned(), problem: problem.to_owned() };
    if !template::is_identifier(name) {
        return Err(problem("a param name is a letter or '_' followed by letters, digits or '_'"));
    }
    if DATE_PLACEHOLDERS.contains(&name) || EVENT_FACTS.contains(&name) {
        return Err(problem("the name is taken by a built-in placeholder"));
    }
    match value {
        toml::Value::Integer(n) => Ok(Param::Integer(n)),
        toml::Value::Float(x) if x.is_finite() => Ok(Param::Float(x)),
        toml::Value::Float(_) => Err(problem("a number must be finite")),
        toml::Value::String(text) => Ok(Param::Text(text)),
        toml::Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                toml::Value::String(text) => Ok(text),
                _ => Err(problem("an array must hold strings only")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Param::List),
        _ => Err(problem("must be a number, a string or an array of strings")),
    }
}

/// A serde error about one rule, with the field it names when it names one.
fn serde_problem(rule: &str, err: &toml::de::Error) -> RuleBookError {
    let message = err.message().trim();
    let shown = err.to_string();
    let quoted = |text: &str, prefix: &str| {
        let start = text.find(prefix)? + prefix.len();
        let end = text[start..].find('`')?;
        Some(text[start..start + end].to_owned())
    };
    let field = quoted(&shown, "in `")
        .or_else(|| quoted(message, "unknown field `"))
        .or_else(|| quoted(message, "missing field `"))
        .unwrap_or_else(|| "(rule)".to_owned());
    RuleBookError::rule(rule, &field, message)
}

fn code<T: std::str::FromStr<Err = FieldError>>(
    rule: &str,
    field: &str,
    text: &str,
) -> Result<T, RuleBookError> {
    text.parse::<T>().map_err(|err| RuleBookError::rule(rule, field, err.to_string()))
}

fn parse_rule(
    index: usize,
    table: toml::Table,
    params: &BTreeMap<String, Param>,
) -> Result<Rule, RuleBookError> {
    let label = match table.get("id") {
        Some(toml::Value::String(id)) if !id.is_empty() => id.clone(),
        _ => format!("#{}", index + 1),
    };
    let raw: RawRule = toml::Value::Table(table).try_into().map_err(|err| serde_problem(&label, &err))?;
    let id = raw.id.as_str();
    let id_fine = id.len() <= 64
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !id_fine {
        return Err(RuleBookError::rule(
            &label,
            "id",
            "an id matches [a-z][a-z0-9_]* (at most 64 characters)",
        ));
    }
    for (field, text) in [
        ("name_zh", &raw.name_zh),
        ("name_en", &raw.name_en),
        ("reason_zh", &raw.reason_zh),
        ("reason_en", &raw.reason_en),
    ] {
        if text.trim().is_empty() {
            return Err(RuleBookError::rule(id, field, "must not be empty"));
        }
    }
    let category: RuleCategory = code(id, "category", &raw.category)?;
    let action: TaskAction = code(id, "action", &raw.action)?;
    let priority: TaskPriority = code(id, "priority", &raw.priority)?;
    let queue: TaskQueue = code(id, "queue", &raw.queue)?;
    let assign = match raw.assign.as_str() {
        "manager" => Assign::Manager,
        "queue" => Assign::Queue,
        other => {
            return Err(RuleBookError::rule(id, "assign", format!("{other:?} is not one of manager, queue")));
        }
    };
    if raw.due_days > MAX_DUE_DAYS {
        return Err(RuleBookError::rule(
            id,
            "due_days",
            format!("{} is more than {MAX_DUE_DAYS}", raw.due_days),
        ));
    }
    let mut tiers: Vec<VipTier> = Vec::new();
    for text in &raw.tiers {
        let tier = code(id, "tiers", text)?;
        if !tiers.contains(&tier) {
            tiers.push(tier);
        }
    }

    let trigger = match (raw.event, raw.sql) {
        (Some(_), Some(_)) => {
            return Err(RuleBookError::rule(
                id,
                "event",
                "a rule has either event (an event rule) or sql (a data rule), not both",
            ));
        }
        (None, None) => {
            return Err(RuleBookError::rule(
                id,
                "event",
                "a rule needs either event (an event rule) or sql (a data rule)",
            ));
        }
        (Some(events), None) => {
            if raw.cadence.is_some() {
                return Err(RuleBookError::rule(
                    id,
                    "cadence",
                    "only data rules have a cadence; event rules fire as events arrive",
                ));
            }
            Trigger::Event(event_trigger(
                id,
                &events,
                raw.detail_contains,
                raw.detail_excludes,
                raw.once_per,
            )?)
        }
        (None, Some(sql)) => {
            for (field, present) in [
                ("detail_contains", raw.detail_contains.is_some()),
                ("detail_excludes", raw.detail_excludes.is_some()),
                ("once_per", raw.once_per.is_some()),
            ] {
                if present {
                    return Err(RuleBookError::rule(id, field, "only event rules have this field"));
                }
            }
            let cadence = match raw.cadence.as_deref() {
                Some("daily") => Cadence::Daily,
                Some("monthly") => Cadence::Monthly,
                Some(other) => {
                    return Err(RuleBookError::rule(
                        id,
                        "cadence",
                        format!("{other:?} is not one of daily, monthly"),
                    ));
                }
                None => {
                    return Err(RuleBookError::rule(
                        id,
                        "cadence",
                        "a data rule needs a cadence (daily or monthly)",
                    ));
                }
            };
            check_sql(id, &sql, params)?;
            Trigger::Data(DataTrigger { cadence, sql })
        }
    };

    let event_rule = matches!(trigger, Trigger::Event(_));
    for (field, reason) in [("reason_zh", &raw.reason_zh), ("reason_en", &raw.reason_en)] {
        check_reason(id, field, reason, event_rule, params)?;
    }

    Ok(Rule {
        id: raw.id,
        name_zh: raw.name_zh,
        name_en: raw.name_en,
        category,
        action,
        priority,
        due_days: raw.due_days,
        assign,
        queue,
        tiers,
        reason_zh: raw.reason_zh,
        reason_en: raw.reason_en,
        trigger,
    })
}

fn event_trigger(
    id: &str,
    events: &[String],
    detail_contains: Option<Vec<String>>,
    detail_excludes: Option<Vec<String>>,
    once_per: Option<String>,
) -> Result<EventTrigger, RuleBookError> {
    if events.is_empty() {
        return Err(RuleBookError::rule(id, "event", "name at least one event type"));
    }
    let mut types = Vec::new();
    for text in events {
        let event_type: EventType = code(id, "event", text)?;
        if !types.contains(&event_type) {
            types.push(event_type);
        }
    }
    let detail_contains = detail_contains.unwrap_or_default();
    let detail_excludes = detail_excludes.unwrap_or_default();
    for (field, words) in [("detail_contains", &detail_contains), ("detail_excludes", &detail_excludes)] {
        if words.iter().any(|word| word.is_empty()) {
            return Err(RuleBookError::rule(id, field, "an empty string would match every detail"));
        }
    }
    let once_per = match once_per.as_deref() {
        Some("event") => OncePer::Event,
        Some("day") => OncePer::Day,
        Some("month") => OncePer::Month,
        Some(other) => {
            return Err(RuleBookError::rule(
                id,
                "once_per",
                format!("{other:?} is not one of event, day, month"),
            ));
        }
        None => {
            return Err(RuleBookError::rule(
                id,
                "once_per",
                "an event rule needs once_per (event, day or month)",
            ));
        }
    };
    Ok(EventTrigger { events: types, detail_contains, detail_excludes, once_per })
}

/// The first keyword of the SQL, past blanks and comments.
fn first_keyword(sql: &str) -> String {
    let mut rest = sql.trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("--") {
            rest = after.split_once('\n').map_or("", |(_, tail)| tail).trim_start();
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, tail)| tail).trim_start();
        } else {
            break;
        }
    }
    rest.chars().take_while(|c| c.is_ascii_alphabetic()).collect::<String>().to_ascii_uppercase()
}

fn check_sql(id: &str, sql: &str, params: &BTreeMap<String, Param>) -> Result<(), RuleBookError> {
    if !matches!(first_keyword(sql).as_str(), "SELECT" | "WITH") {
        return Err(RuleBookError::rule(id, "sql", "the query must be a SELECT (or WITH … SELECT)"));
    }
    for piece in template::pieces(sql) {
        if let Piece::Name(name) = piece
            && !DATE_PLACEHOLDERS.contains(&name)
            && !params.contains_key(name)
        {
            return Err(RuleBookError::rule(
                id,
                "sql",
                format!(
                    "{{{name}}} is neither a param nor a date placeholder ({})",
                    DATE_PLACEHOLDERS.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn check_reason(
    id: &str,
    field: &str,
    reason: &str,
    event_rule: bool,
    params: &BTreeMap<String, Param>,
) -> Result<(), RuleBookError> {
    for piece in template::pieces(reason) {
        match piece {
            Piece::Text(_) => {}
            Piece::Odd(text) => {
                return Err(RuleBookError::rule(
                    id,
                    field,
                    format!(
                        "{text:?} is not a placeholder: write {{name}} with a letter or '_' followed by letters, digits or '_'"
                    ),
                ));
            }
            Piece::Name(name) => {
                let known = !event_rule
                    || EVENT_FACTS.contains(&name)
                    || DATE_PLACEHOLDERS.contains(&name)
                    || params.contains_key(name);
                if !known {
                    return Err(RuleBookError::rule(
                        id,
                        field,
                        format!(
                            "{{{name}}} is not an event fact ({}), a date placeholder or a param",
                            EVENT_FACTS.join(", ")
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("a test date")
    }

    /// A book with the given params and rules, after the version line.
    fn book(body: &str) -> String {
        format!("version = \"test-1\"\n{body}")
    }

    const EVENT_RULE: &str = r#"
[[rule]]
id = "porting"
name_zh = "携号转网咨询"
name_en = "Porting inquiry"
category = "warning"
action = "call"
priority = "high"
due_days = 1
assign = "manager"
queue = "retention"
event = ["porting_inquiry"]
once_per = "day"
reason_zh = "{occurred_on} 咨询携号转网"
reason_en = "Asked about porting on {occurred_on}"
"#;

    const DATA_RULE: &str = r#"
[[rule]]
id = "low"
name_zh = "余额告警"
name_en = "Low balance"
category = "warning"
action = "sms"
priority = "low"
due_days = 1
assign = "queue"
queue = "outbound"
cadence = "daily"
reason_zh = "余额 {balance_last} 元"
reason_en = "Balance {balance_last} yuan"
sql = "SELECT customer_id, subscription_id, '{month}' AS cause FROM customer_360 WHERE balance_last < {low}"
"#;

    fn refusal(text: &str) -> String {
        parse_rulebook(text).expect_err("the book should be refused").to_string()
    }

    #[test]
    fn the_builtin_book_parses_and_every_rule_speaks_both_languages() {
        let book = builtin();
        assert_eq!(book.version, "builtin-1");
        let has_chinese = |text: &str| text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        for rule in &book.rules {
            assert!(has_chinese(&rule.name_zh), "{}: name_zh", rule.id);
            assert!(has_chinese(&rule.reason_zh), "{}: reason_zh", rule.id);
            assert!(!has_chinese(&rule.name_en) && !rule.name_en.trim().is_empty(), "{}: name_en", rule.id);
            assert!(
                !has_chinese(&rule.reason_en) && !rule.reason_en.trim().is_empty(),
                "{}: reason_en",
                rule.id
            );
        }
    }

    #[test]
    fn the_builtin_book_has_the_rules_the_platform_relies_on() {
        let book = builtin();
        let event_rules = [
            "call_forwarding",
            "competitor_service_call",
            "porting_inquiry",
            "pre_disconnect",
            "voluntary_suspension",
            "arrears_suspension",
            "number_keep",
            "vip_arrears",
            "arrears_reminder",
        ];
        for id in event_rules {
            assert!(book.rule(id).expect(id).is_event_rule(), "{id}");
        }
        let data_rules = [
            ("zero_usage", Cadence::Monthly),
            ("low_balance", Cadence::Daily),
            ("high_bill", Cadence::Monthly),
            ("falling_consumption", Cadence::Monthly),
            ("contract_expiring_90", Cadence::Daily),
            ("contract_expiring_60", Cadence::Daily),
            ("contract_expiring_30", Cadence::Daily),
            ("points_expiring", Cadence::Monthly),
            ("birthday", Cadence::Daily),
            ("holiday", Cadence::Daily),
            ("welcome", Cadence::Daily),
            ("first_bill", Cadence::Monthly),
            ("vip_routine_call", Cadence::Monthly),
            ("vip_routine_visit", Cadence::Monthly),
            ("month_end_anomaly", Cadence::Monthly),
        ];
        for (id, cadence) in data_rules {
            assert_eq!(book.rule(id).expect(id).cadence(), Some(cadence), "{id}");
        }
        let pre_disconnect = book.rule("pre_disconnect").expect("pre_disconnect");
        assert_eq!(
            (pre_disconnect.priority, pre_disconnect.queue),
            (TaskPriority::Urgent, TaskQueue::Retention)
        );
        let anomaly = book.rule("month_end_anomaly").expect("month_end_anomaly");
        assert_eq!(
            (anomaly.queue, anomaly.action, anomaly.assign),
            (TaskQueue::Abnormal, TaskAction::Review, Assign::Queue)
        );
        assert_eq!(book.suspension_protected_tiers(), vec![VipTier::Diamond, VipTier::Gold, VipTier::Silver]);
    }

    #[test]
    fn every_builtin_data_rule_renders_and_yields_the_required_columns() {
        let book = builtin();
        for day in ["2026-01-01", "2026-02-17", "2026-12-28"] {
            for rule in book.data_rules() {
                let sql = book.render_sql(rule, date(day)).expect("renders");
                assert!(
                    template::pieces(&sql).iter().all(|p| !matches!(p, Piece::Name(_))),
                    "{}: {sql}",
                    rule.id
                );
                for column in ["customer_id", "subscription_id", "cause"] {
                    assert!(sql.contains(column), "{} yields no {column}", rule.id);
                }
                assert!(!sql.contains("--"), "{}: a rendered number started a comment", rule.id);
            }
        }
    }

    #[test]
    fn a_minimal_book_parses() {
        let parsed =
            parse_rulebook(&book(&format!("[params]\nlow = 5\n{EVENT_RULE}{DATA_RULE}"))).expect("parses");
        assert_eq!(parsed.rules.len(), 2);
        let porting = parsed.rule("porting").expect("porting");
        assert!(porting.tiers.is_empty() && porting.applies_to(VipTier::Mass));
        assert_eq!(
            porting.trigger,
            Trigger::Event(EventTrigger {
                events: vec![EventType::PortingInquiry],
                detail_contains: vec![],
                detail_excludes: vec![],
                once_per: OncePer::Day,
            })
        );
        assert_eq!(parsed.rule("low").expect("low").cadence(), Some(Cadence::Daily));
        assert!(parsed.suspension_protected_tiers().is_empty());
    }

    #[test]
    fn unknown_fields_are_refused_naming_the_rule_and_the_field() {
        let text = book(&EVENT_RULE.replace("due_days = 1", "due_days = 1\ndue_in = 2"));
        let message = refusal(&text);
        assert!(
            message.starts_with("rule porting: due_in: unknown field `due_in`, expected one of `id`"),
            "{message}"
        );
        let message = refusal(&book(&format!("colour = \"red\"\n{EVENT_RULE}")));
        assert!(message.contains("unknown field `colour`"), "{message}");
    }

    #[test]
    fn duplicate_and_malformed_ids_are_refused() {
        let message = refusal(&book(&format!("{EVENT_RULE}{EVENT_RULE}")));
        assert_eq!(message, "rule porting: id: the id is used by an earlier rule");
        let message = refusal(&book(&EVENT_RULE.replace("id = \"porting\"", "id = \"Porting-1\"")));
        assert_eq!(message, "rule Porting-1: id: an id matches [a-z][a-z0-9_]* (at most 64 characters)");
        let message = refusal(&book(&EVENT_RULE.replace("id = \"porting\"\n", "")));
        assert_eq!(message, "rule #1: id: missing field `id`");
    }

    #[test]
    fn unknown_codes_are_refused_naming_the_field() {
        let cases = [
            (
                "category = \"warning\"",
                "category = \"alarm\"",
                "category",
                "\"alarm\" is not one of warning, care, anomaly",
            ),
            (
                "action = \"call\"",
                "action = \"email\"",
                "action",
                "\"email\" is not one of call, visit, sms, review",
            ),
            (
                "priority = \"high\"",
                "priority = \"asap\"",
                "priority",
                "\"asap\" is not one of urgent, high, normal, low",
            ),
            (
                "queue = \"retention\"",
                "queue = \"vip\"",
                "queue",
                "\"vip\" is not one of outbound, hotline, store, retention, abnormal",
            ),
            (
                "due_days = 1",
                "due_days = 1\ntiers = [\"gold\", \"platinum\"]",
                "tiers",
                "\"platinum\" is not one of diamond, gold, silver, member, mass",
            ),
            ("[\"porting_inquiry\"]", "[\"porting\"]", "event", "\"porting\" is not one of suspension"),
            ("assign = \"manager\"", "assign = \"boss\"", "assign", "\"boss\" is not one of manager, queue"),
            (
                "once_per = \"day\"",
                "once_per = \"week\"",
                "once_per",
                "\"week\" is not one of event, day, month",
            ),
        ];
        for (from, to, field, problem) in cases {
            let message = refusal(&book(&EVENT_RULE.replace(from, to)));
            let expected = format!("rule porting: {field}: {problem}");
            assert!(message.starts_with(&expected), "{message} should start with {expected}");
        }
        let message = refusal(&book(&DATA_RULE.replace("cadence = \"daily\"", "cadence = \"weekly\"")));
        assert_eq!(message, "rule low: cadence: \"weekly\" is not one of daily, monthly");
    }

    #[test]
    fn a_rule_is_an_event_rule_or_a_data_rule() {
        let both = EVENT_RULE.replace("once_per = \"day\"", "once_per = \"day\"\nsql = \"SELECT 1\"");
        assert_eq!(
            refusal(&book(&both)),
            "rule porting: event: a rule has either event (an event rule) or sql (a data rule), not both"
        );
        let neither = EVENT_RULE.replace("event = [\"porting_inquiry\"]\n", "");
        assert_eq!(
            refusal(&book(&neither)),
            "rule porting: event: a rule needs either event (an event rule) or sql (a data rule)"
        );
        let cadence = EVENT_RULE.replace("once_per = \"day\"", "once_per = \"day\"\ncadence = \"daily\"");
        assert!(refusal(&book(&cadence)).starts_with("rule porting: cadence: only data rules"));
        let once_per = DATA_RULE.replace("cadence = \"daily\"", "cadence = \"daily\"\nonce_per = \"day\"");
        assert_eq!(
            refusal(&book(&format!("[params]\nlow = 1\n{once_per}"))),
            "rule low: once_per: only event rules have this field"
        );
        let no_once_per = EVENT_RULE.replace("once_per = \"day\"\n", "");
        assert!(
            refusal(&book(&no_once_per)).starts_with("rule porting: once_per: an event rule needs once_per")
        );
        let no_events = EVENT_RULE.replace("[\"porting_inquiry\"]", "[]");
        assert_eq!(refusal(&book(&no_events)), "rule porting: event: name at least one event type");
        let not_select = DATA_RULE.replace("sql = \"SELECT", "sql = \"DELETE FROM customers; SELECT");
        assert!(
            refusal(&book(&format!("[params]\nlow = 1\n{not_select}")))
                .starts_with("rule low: sql: the query must be a SELECT")
        );
    }

    #[test]
    fn due_days_are_bounded() {
        let message = refusal(&book(&EVENT_RULE.replace("due_days = 1", "due_days = 366")));
        assert_eq!(message, "rule porting: due_days: 366 is more than 365");
        let message = refusal(&book(&EVENT_RULE.replace("due_days = 1", "due_days = -1")));
        assert!(message.starts_with("rule porting: due_days: invalid value: integer `-1`"), "{message}");
        assert!(parse_rulebook(&book(&EVENT_RULE.replace("due_days = 1", "due_days = 365"))).is_ok());
    }

    #[test]
    fn unknown_placeholders_are_refused() {
        // SQL: a placeholder must be a param or a date placeholder (here `low` is not defined).
        let message = refusal(&book(DATA_RULE));
        assert_eq!(
            message,
            "rule low: sql: {low} is neither a param nor a date placeholder (as_of, month, prev_month, quarter, year)"
        );
        // Braces around something else in SQL are left alone (a regular expression, say).
        let regex = DATA_RULE.replace("WHERE", "WHERE regexp_like(msisdn, '^1[0-9]{10}$') AND");
        assert!(parse_rulebook(&book(&format!("[params]\nlow = 1\n{regex}"))).is_ok());
        // Event reasons: event facts, date placeholders and params only.
        let message = refusal(&book(&EVENT_RULE.replace("{occurred_on} 咨询", "{occurred_day} 咨询")));
        assert!(
            message.starts_with("rule porting: reason_zh: {occurred_day} is not an event fact"),
            "{message}"
        );
        let with_param = EVENT_RULE.replace("{occurred_on} 咨询", "{occurred_on} {tier} {month} {hint} 咨询");
        assert!(parse_rulebook(&book(&format!("[params]\nhint = \"x\"\n{with_param}"))).is_ok());
        // Data reasons: any column name, but a placeholder must be an identifier.
        let odd = DATA_RULE.replace("Balance {balance_last}", "Balance {balance last}");
        let message = refusal(&book(&format!("[params]\nlow = 1\n{odd}")));
        assert!(
            message.starts_with("rule low: reason_en: \"{balance last}\" is not a placeholder"),
            "{message}"
        );
        let unclosed = DATA_RULE.replace("Balance {balance_last}", "Balance {balance_last");
        assert!(
            refusal(&book(&format!("[params]\nlow = 1\n{unclosed}"))).starts_with("rule low: reason_en:")
        );
    }

    #[test]
    fn params_version_and_syntax_are_checked() {
        assert_eq!(
            refusal(&book("[params]\nflag = true\n")),
            "param flag: must be a number, a string or an array of strings"
        );
        assert_eq!(
            refusal(&book("[params]\nlist = [1, 2]\n")),
            "param list: an array must hold strings only"
        );
        assert_eq!(
            refusal(&book("[params]\nmonth = 3\n")),
            "param month: the name is taken by a built-in placeholder"
        );
        assert_eq!(refusal(&book("[params]\nratio = nan\n")), "param ratio: a number must be finite");
        assert!(refusal("version = \"../etc\"\n").starts_with("version: \"../etc\" must be"));
        assert!(
            refusal("version = \"x\"\n[[rule]\n")
                .starts_with("the rule book is not well formed: TOML parse error")
        );
        assert!(refusal("[params]\n").contains("missing field `version`"));
    }

    #[test]
    fn render_sql_fills_date_placeholders_and_params() {
        let text = book(
            r#"
[params]
floor = 5
share = 0.25
below = -3
name = "O'Brien"
days = ["2026-01-01", "2026-02-17"]
none = []

[[rule]]
id = "r"
name_zh = "规则"
name_en = "Rule"
category = "care"
action = "call"
priority = "normal"
due_days = 0
assign = "manager"
queue = "outbound"
cadence = "monthly"
reason_zh = "原因"
reason_en = "Reason"
sql = "SELECT '{as_of}|{month}|{prev_month}|{quarter}|{year}' AS cause, {floor}, {share}, -{below}, {name}, x IN ({days}), y IN ({none}), '{2}'"
"#,
        );
        let parsed = parse_rulebook(&text).expect("parses");
        let rule = parsed.rule("r").expect("r");
        let sql = parsed.render_sql(rule, date("2026-01-15")).expect("renders");
        assert_eq!(
            sql,
            "SELECT '2026-01-15|2026-01|2025-12|2026-Q1|2026' AS cause, 5, 0.25, -(-3), 'O''Brien', \
             x IN ('2026-01-01', '2026-02-17'), y IN (NULL), '{2}'"
        );
        let quarter = |day: &str| date_placeholder("quarter", date(day)).expect("quarter");
        assert_eq!(
            [quarter("2026-03-31"), quarter("2026-04-01"), quarter("2026-09-30"), quarter("2026-12-31")],
            ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
        );
        assert_eq!(date_placeholder("prev_month", date("2026-03-01")).as_deref(), Some("2026-02"));
    }

    #[test]
    fn render_sql_refuses_event_rules_and_rules_of_another_book() {
        let with_low =
            parse_rulebook(&book(&format!("[params]\nlow = 5\n{EVENT_RULE}{DATA_RULE}"))).expect("parses");
        let porting = with_low.rule("porting").expect("porting");
        assert_eq!(
            with_low.render_sql(porting, date("2026-01-01")).expect_err("no SQL").to_string(),
            "rule porting: sql: an event rule has no SQL"
        );
        let without_low = parse_rulebook(&book(EVENT_RULE)).expect("parses");
        let low = with_low.rule("low").expect("low");
        let err = without_low.render_sql(low, date("2026-01-01")).expect_err("low is not a param here");
        assert_eq!(err.to_string(), "rule low: sql: {low} is neither a param nor a date placeholder");
    }

    #[test]
    fn cadences_say_when_a_data_rule_is_due() {
        assert!(Cadence::Daily.is_due(date("2026-03-17")));
        assert!(Cadence::Monthly.is_due(date("2026-03-01")));
        assert!(!Cadence::Monthly.is_due(date("2026-03-02")));
        let book = builtin();
        let daily: Vec<&str> = book.data_rules_due(date("2026-03-17")).map(|r| r.id.as_str()).collect();
        let first: Vec<&str> = book.data_rules_due(date("2026-03-01")).map(|r| r.id.as_str()).collect();
        assert!(daily.contains(&"birthday") && !daily.contains(&"zero_usage"));
        assert!(first.contains(&"birthday") && first.contains(&"zero_usage"));
        assert_eq!(first.len(), book.data_rules().count());
        assert!(!first.contains(&"pre_disconnect"));
    }

    #[test]
    fn protected_tiers_follow_the_vip_arrears_rule() {
        let all_tiers = EVENT_RULE.replace("id = \"porting\"", "id = \"vip_arrears\"");
        let parsed = parse_rulebook(&book(&all_tiers)).expect("parses");
        assert_eq!(parsed.suspension_protected_tiers(), VipTier::ALL.to_vec());
        let gold = all_tiers.replace("due_days = 1", "due_days = 1\ntiers = [\"gold\", \"gold\"]");
        let parsed = parse_rulebook(&book(&gold)).expect("parses");
        assert_eq!(parsed.suspension_protected_tiers(), vec![VipTier::Gold]);
    }
}
