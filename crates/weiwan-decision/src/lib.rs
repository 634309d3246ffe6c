//! weiwan-decision: the decisions of the retention platform, as pure functions.
//!
//! This first part holds the warning and care rules (预警 / 关怀) that turn events and the
//! daily data into tasks for account managers, and the 不轻易停机 decision:
//!
//! - [`rules`]: the rule book, parsed from TOML and checked ([`parse_rulebook`]; the shipped
//!   book is [`builtin()`]). Event rules fire when an event arrives; data rules are SQL queries
//!   the daily batch runs on their cadence, whose placeholders [`RuleBook::render_sql`] fills.
//! - [`alert`]: from a rule and the facts of an event or a query row to an [`Alert`] — owner or
//!   queue, due date, and the reason in Chinese and English.
//! - [`suspend`]: may a line in arrears be suspended now ([`may_suspend`])?
//!
//! The crate is pure: no IO, no clock, no query engine. Dates are passed in; the SQL of data
//! rules is run elsewhere (weiwan-analytics, on Apache DataFusion) and tasks are stored
//! elsewhere (weiwan-storage, through weiwan-app).

pub mod alert;
pub mod campaign;
pub mod cases;
pub mod clubs;
pub mod contact;
pub mod dispatch;
pub mod experiment;
pub mod groups;
pub mod nbo;
pub mod offers;
pub mod questionnaire;
pub mod rules;
mod serde_text;
pub mod suspend;
mod template;

pub use alert::{Alert, EventFacts, Subject};
pub use rules::{
    Assign, BUILTIN_SOURCE, Cadence, DataTrigger, EventTrigger, OncePer, Param, Rule, RuleBook,
    RuleBookError, Trigger, builtin, parse_rulebook,
};
pub use suspend::{ArrearsCase, SuspendDecision, SuspendVerdict, may_suspend};
