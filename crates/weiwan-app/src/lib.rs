//! Use cases: what a person or a schedule asks weiwan to do, wired across the storage,
//! analytics, decision and simulation crates. Owns the application error, the order of side effects
//! (validate everything, then write the store in one transaction, then publish the lake) and
//! the move of CPU-heavy work off the async runtime.

pub mod appraisal;
pub mod batch;
pub mod campaigns;
pub mod cases;
pub mod churn;
pub mod churn_kinds;
pub mod clubs;
pub mod contact;
pub mod dashboards;
pub mod dispatch;
pub mod error;
pub mod events;
pub mod file;
pub mod generate;
pub mod groups;
pub mod import;
pub mod policy_view;
pub mod progress;
pub mod questionnaires;
pub mod quotas;
pub mod rules;
pub mod segments;
pub mod tags;
pub mod tasks;

pub use batch::{BatchOutcome, run_daily_batch, run_daily_batch_with_progress};
pub use churn::{ChurnScores, TrainedChurnModel, train_churn_model, train_churn_model_with_progress};
pub use error::{Error, Result};
pub use generate::{GenerateRequest, generate_extract};
pub use import::{ImportOutcome, import_extract, import_extract_with_progress};
pub use progress::{
    NoProgress, Operation, Progress, ProgressSink, ProgressSnapshot, ProgressState, Stage, StageSnapshot,
    StageStatus, Unit,
};
pub use segments::{
    ListedSegment, cohort_kpis, delete_segment, export_segment, find_segment, list_segments,
    parse_conditions, parse_schedule, preview_segment, save_segment, snapshot_cohort,
};
pub use tags::{check_tag_library, load_tag_library, tag_library};
pub use weiwan_analytics::kpi::KPIS;
pub use weiwan_analytics::segments::ScheduledRun;
pub use weiwan_analytics::tags::TagCategory;
pub use weiwan_analytics::{
    FileFormat, KpiGroup, KpiReport, KpiSettings, Lake, Preview, Problem, Refusal, Schedule, Segment,
    SegmentQuery, TagLibrary,
};
pub use weiwan_sim::Config as SimConfig;
pub use weiwan_storage::{
    AppraisalScope, CohortRecord, CredentialRecord, Store, Summary, TaskFilter, connect,
};
