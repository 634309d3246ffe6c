//! Progress of the long operations (importing an extract, the daily batch, training the churn
//! model), for the CLI's progress bars and for a web page that polls a running job.
//!
//! A use case reports through a [`ProgressSink`]: it begins its [`Operation`], starts each of
//! the operation's [`Stage`]s in order with the units of work it will do when they are known,
//! advances them as the work is done (from any thread), finishes them, and ends the operation,
//! with its error if it failed. Every stage is real work; nothing is reported on a timer.
//! [`ProgressSink::none`] reports nothing (the plain `import_extract` and friends use it);
//! [`ProgressState`] keeps the state for [`ProgressState::snapshot`], which is what a console
//! page polls; the CLI draws bars from the same calls.
//!
//! # Codes
//!
//! Operations, stages and units have stable codes (their serialised form), so that a page can
//! label them in Chinese and English; [`Operation::label_zh`], [`Stage::label_en`] and so on
//! give the labels weiwan uses.
//!
//! | operation (`code`)       | stages, in order | unit of each stage |
//! |--------------------------|------------------|--------------------|
//! | `import`                 | `fingerprint` — read every file to identify the extract | `bytes` |
//! |                          | `validate` — check every field, key and reference, stage valid rows | `bytes` |
//! |                          | `store` — upsert the entities in one transaction | `rows` |
//! |                          | `publish` — move the staged files into the lake, swap the manifest | none |
//! | `daily_batch`            | `customer_360` — build the customer 360 table | none |
//! |                          | `churn_scores` — score every line with the model in force | `rows` |
//! |                          | `tags` — evaluate the tag library into the tagged 360 table | none |
//! |                          | `segments` — write the member lists of the target groups due | `target_groups` |
//! |                          | `alerts` — run the data rules due, raise their tasks | `rules` |
//! | `train_churn_model`      | `training_window_older` — label the 360 table six months back | none |
//! |                          | `training_window_newer` — label the 360 table three months back | none |
//! |                          | `backtest` — fit on the older window, test on the newer one | none |
//! |                          | `fit` — fit on the newer window, save the model, put it in force | none |
//!
//! A stage without a unit has no count: a page shows it as running. A stage that did not run
//! (an import already done has nothing to validate; an interrupted import resumed has nothing
//! to store) ends `skipped`; after a failure, the stages not reached stay `pending`. The boosting rounds of a fit are not counted: the gradient
//! boosting library fits in one call without reporting rounds.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use serde::Serialize;

/// A long operation that reports progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Import,
    DailyBatch,
    TrainChurnModel,
}

impl Operation {
    pub const ALL: [Operation; 3] = [Operation::Import, Operation::DailyBatch, Operation::TrainChurnModel];

    pub const fn code(self) -> &'static str {
        match self {
            Operation::Import => "import",
            Operation::DailyBatch => "daily_batch",
            Operation::TrainChurnModel => "train_churn_model",
        }
    }

    pub const fn label_en(self) -> &'static str {
        match self {
            Operation::Import => "import an extract",
            Operation::DailyBatch => "daily batch",
            Operation::TrainChurnModel => "train the churn model",
        }
    }

    pub const fn label_zh(self) -> &'static str {
        match self {
            Operation::Import => "导入数据",
            Operation::DailyBatch => "日批处理",
            Operation::TrainChurnModel => "训练流失模型",
        }
    }

    /// The stages of the operation, in the order they run.
    pub const fn stages(self) -> &'static [Stage] {
        match self {
            Operation::Import => &[Stage::Fingerprint, Stage::Validate, Stage::Store, Stage::Publish],
            Operation::DailyBatch => {
                &[Stage::Customer360, Stage::ChurnScores, Stage::Tags, Stage::Segments, Stage::Alerts]
            }
            Operation::TrainChurnModel => {
                &[Stage::TrainingWindowOlder, Stage::TrainingWindowNewer, Stage::Backtest, Stage::Fit]
            }
        }
    }
}

/// One stage of an operation (the table in the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Fingerprint,
    Validate,
    Store,
    Publish,
    #[serde(rename = "customer_360")]
    Customer360,
    ChurnScores,
    Tags,
    Segments,
    Alerts,
    TrainingWindowOlder,
    TrainingWindowNewer,
    Backtest,
    Fit,
}

impl Stage {
    pub const fn code(self) -> &'static str {
        match self {
            Stage::Fingerprint => "fingerprint",
            Stage::Validate => "validate",
            Stage::Store => "store",
            Stage::Publish => "publish",
            Stage::Customer360 => "customer_360",
            Stage::ChurnScores => "churn_scores",
            Stage::Tags => "tags",
            Stage::Segments => "segments",
            Stage::Alerts => "alerts",
            Stage::TrainingWindowOlder => "training_window_older",
            Stage::TrainingWindowNewer => "training_window_newer",
            Stage::Backtest => "backtest",
            Stage::Fit => "fit",
        }
    }

    pub const fn label_en(self) -> &'static str {
        match self {
            Stage::Fingerprint => "fingerprint the extract",
            Stage::Validate => "validate",
            Stage::Store => "store entities",
            Stage::Publish => "publish to the lake",
            Stage::Customer360 => "customer 360",
            Stage::ChurnScores => "churn scores",
            Stage::Tags => "tags",
            Stage::Segments => "target groups",
            Stage::Alerts => "alerts and care",
            Stage::TrainingWindowOlder => "older training window",
            Stage::TrainingWindowNewer => "newer training window",
            Stage::Backtest => "out-of-time test",
            Stage::Fit => "fit the model",
        }
    }

    pub const fn label_zh(self) -> &'static str {
        match self {
            Stage::Fingerprint => "计算数据指纹",
            Stage::Validate => "校验数据",
            Stage::Store => "写入数据库",
            Stage::Publish => "发布到数据湖",
            Stage::Customer360 => "客户360视图",
            Stage::ChurnScores => "流失评分",
            Stage::Tags => "标签",
            Stage::Segments => "客户群",
            Stage::Alerts => "预警与关怀",
            Stage::TrainingWindowOlder => "较早训练窗口",
            Stage::TrainingWindowNewer => "较新训练窗口",
            Stage::Backtest => "跨期检验",
            Stage::Fit => "训练模型",
        }
    }

    /// What the stage counts, if it counts anything.
    pub const fn unit(self) -> Option<Unit> {
        match self {
            Stage::Fingerprint | Stage::Validate => Some(Unit::Bytes),
            Stage::Store | Stage::ChurnScores => Some(Unit::Rows),
            Stage::Segments => Some(Unit::TargetGroups),
            Stage::Alerts => Some(Unit::Rules),
            Stage::Publish
            | Stage::Customer360
            | Stage::Tags
            | Stage::TrainingWindowOlder
            | Stage::TrainingWindowNewer
            | Stage::Backtest
            | Stage::Fit => None,
        }
    }
}

/// What a stage's `done` and `total` count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Bytes of the extract's files.
    Bytes,
    Rows,
    TargetGroups,
    /// Data rules of the rule book.
    Rules,
}

/// Receives the progress of an operation. Implemented by [`ProgressState`], by the CLI's
/// progress bars, and by the no-op behind [`ProgressSink::none`]. `advance` may be called from
/// several threads at once (files are validated side by side).
pub trait Progress: Send + Sync {
    /// An operation starts; its stages are `operation.stages()`.
    fn begin(&self, operation: Operation);

    /// A stage starts, with the units of work it will do (see [`Stage::unit`]) when known.
    /// Stages of the operation not yet started before it were skipped.
    fn stage(&self, stage: Stage, total: Option<u64>);

    /// `units` more units of the current stage are done.
    fn advance(&self, units: u64);

    /// The current stage is done.
    fn finish_stage(&self);

    /// A line of detail about the current stage, in English ("customers.parquet: 1200 rows").
    fn message(&self, text: &str);

    /// The operation ended, successfully or with `error`.
    fn end(&self, error: Option<&crate::Error>);
}

/// A cloneable handle on a [`Progress`], to pass to use cases and move into the blocking
/// threads they start.
#[derive(Clone)]
pub struct ProgressSink {
    progress: Arc<dyn Progress>,
}

impl ProgressSink {
    pub fn new(progress: impl Progress + 'static) -> ProgressSink {
        ProgressSink { progress: Arc::new(progress) }
    }

    /// Reports nothing.
    pub fn none() -> ProgressSink {
        ProgressSink::new(NoProgress)
    }
}

impl Default for ProgressSink {
    fn default() -> ProgressSink {
        ProgressSink::none()
    }
}

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgressSink").finish_non_exhaustive()
    }
}

impl std::ops::Deref for ProgressSink {
    type Target = dyn Progress;

    fn deref(&self) -> &(dyn Progress + 'static) {
        self.progress.as_ref()
    }
}

/// The extract readers of the analytics crate report into the current stage: bytes read, and
/// a message for each file validated.
impl weiwan_analytics::ReadProgress for ProgressSink {
    fn read(&self, bytes: u64) {
        self.advance(bytes);
    }

    fn file_validated(&self, file: &str, records: u64) {
        self.message(&format!("{file}: {records} rows"));
    }
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn begin(&self, _operation: Operation) {}

    fn stage(&self, _stage: Stage, _total: Option<u64>) {}

    fn advance(&self, _units: u64) {}

    fn finish_stage(&self) {}

    fn message(&self, _text: &str) {}

    fn end(&self, _error: Option<&crate::Error>) {}
}

/// How far a stage got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    Pending,
    Running,
    Done,
    /// The operation went past it or ended successfully without it: there was nothing to do.
    Skipped,
    /// The operation failed during it.
    Failed,
}

/// One stage in a [`ProgressSnapshot`].
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StageSnapshot {
    pub stage: Stage,
    pub status: StageStatus,
    /// Units done; `total` when known. Both count [`Stage::unit`].
    pub done: u64,
    pub total: Option<u64>,
    pub unit: Option<Unit>,
    /// Seconds the stage ran (so far, while running).
    pub seconds: Option<f64>,
}

/// The state of an operation at one moment, for a page to poll.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProgressSnapshot {
    /// `None` until the operation begins.
    pub operation: Option<Operation>,
    /// Every stage of the operation, in order.
    pub stages: Vec<StageSnapshot>,
    /// Stages done or skipped, of `stages_total`.
    pub stages_done: usize,
    pub stages_total: usize,
    /// The stage running now, with its units done and total.
    pub current: Option<Stage>,
    pub done: u64,
    pub total: Option<u64>,
    pub unit: Option<Unit>,
    /// The whole operation, 0 to 100: each stage an equal share, the running one by its units
    /// when it counts them.
    pub percent: f64,
    pub seconds: f64,
    /// The latest lines of detail, oldest first (at most [`ProgressState::MESSAGES_KEPT`]).
    pub messages: Vec<String>,
    /// The operation ended, successfully when `error` is `None`.
    pub finished: bool,
    pub error: Option<String>,
}

/// Progress kept in shared state, for polling: clones share it. Start the operation with a
/// [`ProgressState::sink`] and read [`ProgressState::snapshot`] from anywhere.
#[derive(Debug, Clone, Default)]
pub struct ProgressState {
    shared: Arc<Mutex<Recorded>>,
}

#[derive(Debug, Default)]
struct Recorded {
    operation: Option<Operation>,
    started: Option<Instant>,
    ended: Option<Instant>,
    stages: Vec<RecordedStage>,
    current: Option<usize>,
    messages: VecDeque<String>,
    finished: bool,
    error: Option<String>,
}

#[derive(Debug)]
struct RecordedStage {
    stage: Stage,
    status: StageStatus,
    done: u64,
    total: Option<u64>,
    started: Option<Instant>,
    ended: Option<Instant>,
}

impl ProgressState {
    /// Lines of detail kept for a snapshot.
    pub const MESSAGES_KEPT: usize = 20;

    pub fn new() -> ProgressState {
        ProgressState::default()
    }

    /// A sink that reports into this state.
    pub fn sink(&self) -> ProgressSink {
        ProgressSink::new(self.clone())
    }

    pub fn snapshot(&self) -> ProgressSnapshot {
        let recorded = self.lock();
        let now = Instant::now();
        let seconds = |started: Option<Instant>, ended: Option<Instant>| {
            started.map(|started| ended.unwrap_or(now).duration_since(started).as_secs_f64())
        };
        let stages: Vec<StageSnapshot> = recorded
            .stages
            .iter()
            .map(|s| StageSnapshot {
                stage: s.stage,
                status: s.status,
                done: s.done,
                total: s.total,
                unit: s.stage.unit(),
                seconds: seconds(s.started, s.ended),
            })
            .collect();
        let stages_done =
            stages.iter().filter(|s| matches!(s.status, StageStatus::Done | StageStatus::Skipped)).count();
        let current = recorded.current.and_then(|i| stages.get(i));
        let percent = if recorded.finished && recorded.error.is_none() {
            100.0
        } else if stages.is_empty() {
            0.0
        } else {
            let share: f64 = stages
                .iter()
                .map(|s| match s.status {
                    StageStatus::Done | StageStatus::Skipped => 1.0,
                    StageStatus::Pending => 0.0,
                    StageStatus::Running | StageStatus::Failed => match s.total {
                        Some(total) if total > 0 => (s.done as f64 / total as f64).min(1.0),
                        _ => 0.0,
                    },
                })
                .sum();
            100.0 * share / stages.len() as f64
        };
        ProgressSnapshot {
            operation: recorded.operation,
            stages_done,
            stages_total: stages.len(),
            current: current.map(|s| s.stage),
            done: current.map_or(0, |s| s.done),
            total: current.and_then(|s| s.total),
            unit: current.and_then(|s| s.unit),
            percent,
            seconds: seconds(recorded.started, recorded.ended).unwrap_or(0.0),
            messages: recorded.messages.iter().cloned().collect(),
            finished: recorded.finished,
            error: recorded.error.clone(),
            stages,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Recorded> {
        // A panic while holding the lock leaves counters, never broken invariants: keep going.
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Progress for ProgressState {
    fn begin(&self, operation: Operation) {
        let mut recorded = self.lock();
        *recorded = Recorded {
            operation: Some(operation),
            started: Some(Instant::now()),
            stages: operation
                .stages()
                .iter()
                .map(|&stage| RecordedStage {
                    stage,
                    status: StageStatus::Pending,
                    done: 0,
                    total: None,
                    started: None,
                    ended: None,
                })
                .collect(),
            ..Recorded::default()
        };
    }

    fn stage(&self, stage: Stage, total: Option<u64>) {
        let mut recorded = self.lock();
        let now = Instant::now();
        close_current(&mut recorded, now);
        let index = match recorded.stages.iter().position(|s| s.stage == stage) {
            Some(index) => index,
            // Not a stage of the operation begun (or none was): shown after the others
            // rather than lost, since a display must never fail the work it shows.
            None => {
                recorded.stages.push(RecordedStage {
                    stage,
                    status: StageStatus::Pending,
                    done: 0,
                    total: None,
                    started: None,
                    ended: None,
                });
                recorded.stages.len() - 1
            }
        };
        for earlier in &mut recorded.stages[..index] {
            if earlier.status == StageStatus::Pending {
                earlier.status = StageStatus::Skipped;
            }
        }
        let entry = &mut recorded.stages[index];
        entry.status = StageStatus::Running;
        entry.done = 0;
        entry.total = total;
        entry.started = Some(now);
        entry.ended = None;
        recorded.current = Some(index);
    }

    fn advance(&self, units: u64) {
        let mut recorded = self.lock();
        if let Some(index) = recorded.current {
            let entry = &mut recorded.stages[index];
            entry.done = entry.done.saturating_add(units);
        }
    }

    fn finish_stage(&self) {
        let mut recorded = self.lock();
        close_current(&mut recorded, Instant::now());
    }

    fn message(&self, text: &str) {
        let mut recorded = self.lock();
        if recorded.messages.len() == ProgressState::MESSAGES_KEPT {
            recorded.messages.pop_front();
        }
        recorded.messages.push_back(text.to_owned());
    }

    fn end(&self, error: Option<&crate::Error>) {
        let mut recorded = self.lock();
        let now = Instant::now();
        match error {
            None => close_current(&mut recorded, now),
            Some(error) => {
                if let Some(index) = recorded.current.take() {
                    let entry = &mut recorded.stages[index];
                    entry.status = StageStatus::Failed;
                    entry.ended = Some(now);
                }
                recorded.error = Some(error.to_string());
            }
        }
        if error.is_none() {
            for stage in &mut recorded.stages {
                if stage.status == StageStatus::Pending {
                    stage.status = StageStatus::Skipped;
                }
            }
        }
        recorded.ended = Some(now);
        recorded.finished = true;
    }
}

/// Marks the running stage done.
fn close_current(recorded: &mut Recorded, now: Instant) {
    if let Some(index) = recorded.current.take() {
        let entry = &mut recorded.stages[index];
        entry.status = StageStatus::Done;
        entry.ended = Some(now);
    }
}

/// Runs one operation's body between `begin` and `end`, so that every exit, early error returns
/// included, ends the operation.
pub(crate) async fn reported<T>(
    progress: &ProgressSink,
    operation: Operation,
    body: impl Future<Output = crate::Result<T>>,
) -> crate::Result<T> {
    progress.begin(operation);
    let result = body.await;
    progress.end(result.as_ref().err());
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statuses(snapshot: &ProgressSnapshot) -> Vec<(Stage, StageStatus)> {
        snapshot.stages.iter().map(|s| (s.stage, s.status)).collect()
    }

    #[test]
    fn a_state_records_stages_advances_and_the_end_in_order() {
        let state = ProgressState::new();
        let sink = state.sink();
        let before = state.snapshot();
        assert_eq!((before.operation, before.stages_total, before.percent), (None, 0, 0.0));
        assert!(!before.finished);

        sink.begin(Operation::Import);
        let begun = state.snapshot();
        assert_eq!(begun.operation, Some(Operation::Import));
        assert_eq!(begun.stages_total, 4);
        assert!(begun.stages.iter().all(|s| s.status == StageStatus::Pending));

        sink.stage(Stage::Fingerprint, Some(400));
        sink.advance(100);
        sink.advance(100);
        let running = state.snapshot();
        assert_eq!(running.current, Some(Stage::Fingerprint));
        assert_eq!((running.done, running.total, running.unit), (200, Some(400), Some(Unit::Bytes)));
        assert_eq!(running.percent, 12.5, "half of the first of four stages");
        sink.advance(200);
        sink.finish_stage();
        let between = state.snapshot();
        assert_eq!(between.current, None);
        assert_eq!((between.stages_done, between.percent), (1, 25.0));
        assert_eq!(between.stages[0].done, 400);

        sink.stage(Stage::Validate, None);
        sink.message("customers.csv: 3 rows");
        let uncounted = state.snapshot();
        assert_eq!(
            (uncounted.current, uncounted.total, uncounted.percent),
            (Some(Stage::Validate), None, 25.0)
        );
        sink.finish_stage();
        // An import resumed after a crash has nothing to store: the stage is passed over.
        sink.stage(Stage::Publish, None);
        let publishing = state.snapshot();
        assert_eq!(
            statuses(&publishing),
            [
                (Stage::Fingerprint, StageStatus::Done),
                (Stage::Validate, StageStatus::Done),
                (Stage::Store, StageStatus::Skipped),
                (Stage::Publish, StageStatus::Running),
            ]
        );
        assert_eq!(publishing.stages_done, 3);
        sink.finish_stage();
        sink.end(None);

        let ended = state.snapshot();
        assert!(ended.finished);
        assert_eq!((ended.error, ended.percent, ended.stages_done), (None, 100.0, 4));
        assert_eq!(ended.messages, ["customers.csv: 3 rows"]);
        assert!(ended.stages.iter().filter(|s| s.status == StageStatus::Done).all(|s| s.seconds.is_some()));
    }

    #[test]
    fn a_failure_marks_the_running_stage_and_leaves_the_rest_pending() {
        let state = ProgressState::new();
        let sink = state.sink();
        sink.begin(Operation::DailyBatch);
        sink.stage(Stage::Customer360, None);
        sink.finish_stage();
        sink.stage(Stage::ChurnScores, Some(1000));
        sink.advance(250);
        sink.end(Some(&crate::Error::Invalid("the disk is full".into())));

        let snapshot = state.snapshot();
        assert!(snapshot.finished);
        assert_eq!(snapshot.error.as_deref(), Some("invalid request: the disk is full"));
        assert_eq!(
            statuses(&snapshot),
            [
                (Stage::Customer360, StageStatus::Done),
                (Stage::ChurnScores, StageStatus::Failed),
                (Stage::Tags, StageStatus::Pending),
                (Stage::Segments, StageStatus::Pending),
                (Stage::Alerts, StageStatus::Pending),
            ]
        );
        assert_eq!((snapshot.current, snapshot.stages_done), (None, 1));
        assert_eq!(snapshot.percent, 100.0 * (1.0 + 0.25) / 5.0);
    }

    #[test]
    fn advances_from_several_threads_all_count() {
        let state = ProgressState::new();
        let sink = state.sink();
        sink.begin(Operation::Import);
        sink.stage(Stage::Validate, Some(8 * 1000));
        std::thread::scope(|scope| {
            for _ in 0..8 {
                let sink = sink.clone();
                scope.spawn(move || (0..1000).for_each(|_| sink.advance(1)));
            }
        });
        assert_eq!(state.snapshot().done, 8000);
    }

    #[test]
    fn a_stage_outside_the_plan_is_shown_after_the_others() {
        let state = ProgressState::new();
        let sink = state.sink();
        sink.stage(Stage::Tags, None);
        sink.finish_stage();
        sink.end(None);
        let snapshot = state.snapshot();
        assert_eq!(statuses(&snapshot), [(Stage::Tags, StageStatus::Done)]);
        assert_eq!((snapshot.operation, snapshot.percent), (None, 100.0));
    }

    #[test]
    fn only_the_latest_messages_are_kept() {
        let state = ProgressState::new();
        let sink = state.sink();
        sink.begin(Operation::Import);
        for i in 0..ProgressState::MESSAGES_KEPT + 5 {
            sink.message(&format!("line {i}"));
        }
        let messages = state.snapshot().messages;
        assert_eq!(messages.len(), ProgressState::MESSAGES_KEPT);
        assert_eq!(messages[0], "line 5");
    }

    #[test]
    fn codes_are_the_serialised_names() {
        for operation in Operation::ALL {
            assert_eq!(serde_json::to_value(operation).expect("json"), operation.code());
            for &stage in operation.stages() {
                assert_eq!(serde_json::to_value(stage).expect("json"), stage.code());
            }
        }
        assert_eq!(serde_json::to_value(Unit::TargetGroups).expect("json"), "target_groups");
    }
}
