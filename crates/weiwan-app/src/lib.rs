//! Use cases: what a person or a schedule asks weiwan to do, wired across the storage,
//! analytics and simulation crates. Owns the application error, the order of side effects
//! (validate everything, then write the store in one transaction, then publish the lake) and
//! the move of CPU-heavy work off the async runtime.

pub mod batch;
pub mod error;
pub mod generate;
pub mod import;
pub mod tags;

pub use batch::{BatchOutcome, run_daily_batch};
pub use error::{Error, Result};
pub use generate::{GenerateRequest, generate_extract};
pub use import::{ImportOutcome, import_extract};
pub use tags::{check_tag_library, load_tag_library, tag_library};
pub use weiwan_analytics::tags::TagCategory;
pub use weiwan_analytics::{FileFormat, Lake, Problem, Refusal, TagLibrary};
pub use weiwan_sim::Config as SimConfig;
pub use weiwan_storage::{Store, Summary, connect};
