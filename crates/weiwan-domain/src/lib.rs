//! The weiwan domain: the operator's data model and the rules that need no IO.
//!
//! This crate owns the vocabulary every other crate speaks — customers, subscriptions, tiers,
//! statuses, events, contracts, money and MSISDNs — and [`schema`], the one description of the
//! extract tables from which validation, Parquet layout, the store's tables and
//! `docs/data-model.md` all follow.
//!
//! It must not depend on an async runtime, sqlx, Arrow, DataFusion, axum or clap, and it does no
//! IO: time is always passed in.

pub mod codes;
pub mod error;
pub mod money;
pub mod msisdn;
pub mod schema;
pub mod value;

pub use error::{FieldError, Result};
pub use money::Money;
pub use msisdn::Msisdn;
pub use schema::{Column, ColumnKind, ForeignKey, Table, TableId, TableRole};
pub use value::Value;
