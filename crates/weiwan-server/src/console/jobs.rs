//! Operations started from the console: import an extract (a directory on the server), run the
//! daily batch, train the churn model. Each runs on the analytics runtime with a
//! [`ProgressState`] the page polls (htmx, every second) until it ends; the use cases report
//! their real stages (`weiwan_app::progress`), the same the CLI draws as progress bars.
//!
//! One operation runs at a time: a second one is refused (409) while the first runs, since an
//! import during a batch, or two batches, would read and write the same lake. After a batch the
//! policy index is rebuilt, so the policy view shows the new day.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use weiwan_app::{Operation, ProgressSnapshot, ProgressState, StageStatus};

use super::i18n::{Lang, messages};
use super::{PageResult, Viewer, layout};
use crate::AppState;
use crate::auth::Permission;
use crate::error::ApiError;

messages! {
    Title => "运行作业", "Operations";
    Start => "启动", "Start";
    AsOf => "数据日期", "As of";
    Directory => "数据目录（服务器上的路径）", "Extract directory (a path on the server)";
    Jobs => "作业", "Jobs";
    NoJobs => "还没有作业。", "No jobs yet.";
    StartedBy => "发起人", "Started by";
    StartedAt => "开始时间", "Started at";
    Running => "运行中", "running";
    Finished => "已完成", "finished";
    Failed => "失败", "failed";
    Pending => "等待", "pending";
    Done => "完成", "done";
    Skipped => "跳过", "skipped";
    Seconds => "秒", "s";
    Busy => "另一个作业正在运行，请等它结束。", "Another operation is running; wait for it to end.";
}

/// The operations started from the console, newest last, each with its progress.
#[derive(Debug, Clone, Default)]
pub struct Jobs {
    inner: Arc<Mutex<Vec<Job>>>,
}

#[derive(Debug, Clone)]
struct Job {
    id: usize,
    operation: Operation,
    detail: String,
    started_by: String,
    started_at: DateTime<Utc>,
    progress: ProgressState,
}

impl Jobs {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Job>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a job unless one is running; the job and its progress.
    fn start(
        &self,
        operation: Operation,
        detail: String,
        started_by: &str,
        at: DateTime<Utc>,
    ) -> Option<Job> {
        let mut jobs = self.lock();
        if jobs.iter().any(|job| !job.progress.snapshot().finished) {
            return None;
        }
        let job = Job {
            id: jobs.len() + 1,
            operation,
            detail,
            started_by: started_by.to_owned(),
            started_at: at,
            progress: ProgressState::new(),
        };
        jobs.push(job.clone());
        Some(job)
    }

    fn find(&self, id: usize) -> Option<Job> {
        self.lock().iter().find(|job| job.id == id).cloned()
    }

    fn all(&self) -> Vec<Job> {
        self.lock().iter().rev().cloned().collect()
    }
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/jobs", get(jobs_page))
        .route("/jobs/{id}", get(job_fragment))
        .route("/jobs/start/{operation}", post(start))
}

fn operation_label(operation: Operation, lang: Lang) -> &'static str {
    lang.pick(operation.label_zh(), operation.label_en())
}

fn status_label(status: StageStatus) -> M {
    match status {
        StageStatus::Pending => M::Pending,
        StageStatus::Running => M::Running,
        StageStatus::Done => M::Done,
        StageStatus::Skipped => M::Skipped,
        StageStatus::Failed => M::Failed,
    }
}

/// One job with its stages; while it runs, the fragment asks to be fetched again in a second.
fn job_block(lang: Lang, job: &Job) -> Markup {
    let snapshot: ProgressSnapshot = job.progress.snapshot();
    let state = match (&snapshot.error, snapshot.finished) {
        (Some(_), _) => M::Failed,
        (None, true) => M::Finished,
        (None, false) => M::Running,
    };
    let path = format!("/jobs/{}", job.id);
    html! {
        div.task.job id=(format!("job-{}", job.id)) data-job=(job.id) data-state=(match state { M::Failed => "failed", M::Finished => "finished", _ => "running" })
            hx-get=[(!snapshot.finished).then_some(path.as_str())] hx-trigger=[(!snapshot.finished).then_some("every 1s")] hx-swap="outerHTML" {
            h3 { (operation_label(job.operation, lang)) " · " (job.detail) " · " (state.text(lang)) }
            p.muted { (M::StartedBy.text(lang)) ": " (job.started_by) " · " (M::StartedAt.text(lang)) ": " (job.started_at.to_rfc3339()) }
            progress max="100" value=(format!("{:.0}", snapshot.percent)) {} " " (format!("{:.0}%", snapshot.percent))
            table {
                tbody {
                    @for stage in &snapshot.stages {
                        tr data-stage=(stage.stage.code()) data-status=(format!("{:?}", stage.status).to_lowercase()) {
                            td { (lang.pick(stage.stage.label_zh(), stage.stage.label_en())) }
                            td { (status_label(stage.status).text(lang)) }
                            td.num { @if let Some(total) = stage.total { (stage.done) " / " (total) } @else if stage.done > 0 { (stage.done) } }
                            td.num { @if let Some(seconds) = stage.seconds { (format!("{seconds:.1}")) " " (M::Seconds.text(lang)) } }
                        }
                    }
                }
            }
            @if let Some(error) = &snapshot.error { p.error role="alert" { (error) } }
        }
    }
}

async fn jobs_page(State(state): State<AppState>, viewer: Viewer) -> PageResult<Markup> {
    viewer.require(Permission::RunOperations)?;
    let lang = viewer.lang;
    let today = (state.clock)().date_naive();
    let latest = weiwan_app::segments::latest_tagged_date(&state.lake).map_err(|e| viewer.fail(e))?;
    let default_date = latest.unwrap_or(today);
    let jobs = state.jobs.all();
    let body = html! {
        div.charts {
            section {
                h2 { (operation_label(Operation::DailyBatch, lang)) }
                form method="post" action="/jobs/start/daily_batch" {
                    label { (M::AsOf.text(lang)) input type="date" name="as_of" value=(default_date) required; }
                    button type="submit" id="start-daily_batch" { (M::Start.text(lang)) }
                }
            }
            section {
                h2 { (operation_label(Operation::TrainChurnModel, lang)) }
                form method="post" action="/jobs/start/train_churn_model" {
                    label { (M::AsOf.text(lang)) input type="date" name="as_of" value=(default_date) required; }
                    button type="submit" id="start-train_churn_model" { (M::Start.text(lang)) }
                }
            }
            section {
                h2 { (operation_label(Operation::Import, lang)) }
                form method="post" action="/jobs/start/import" {
                    label { (M::Directory.text(lang)) input name="dir" required; }
                    button type="submit" id="start-import" { (M::Start.text(lang)) }
                }
            }
        }
        section #jobs {
            h2 { (M::Jobs.text(lang)) }
            @if jobs.is_empty() { p { (M::NoJobs.text(lang)) } }
            @for job in &jobs { (job_block(lang, job)) }
        }
    };
    Ok(layout(&viewer, M::Title.text(lang), "/jobs", body))
}

async fn job_fragment(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<usize>,
) -> PageResult<Markup> {
    viewer.require(Permission::RunOperations)?;
    let job = state.jobs.find(id).ok_or_else(|| viewer.fail(ApiError::NotFound(format!("job {id}"))))?;
    Ok(job_block(viewer.lang, &job))
}

#[derive(Debug, Deserialize)]
struct StartForm {
    as_of: Option<String>,
    dir: Option<String>,
}

fn date(text: Option<&str>) -> Result<NaiveDate, ApiError> {
    let text = text.unwrap_or_default().trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| ApiError::bad(format!("as_of: {text:?} is not a date YYYY-MM-DD")))
}

async fn start(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(operation): Path<String>,
    Form(form): Form<StartForm>,
) -> PageResult<Response> {
    viewer.require(Permission::RunOperations)?;
    let operation = Operation::ALL
        .into_iter()
        .find(|o| o.code() == operation)
        .ok_or_else(|| viewer.fail(ApiError::NotFound(format!("operation {operation}"))))?;
    // Check the request before registering anything.
    let (as_of, dir) = match operation {
        Operation::Import => {
            let dir = PathBuf::from(form.dir.unwrap_or_default().trim());
            if !dir.is_dir() {
                return Err(viewer.fail(ApiError::bad(format!(
                    "dir: {} is not a directory on the server",
                    dir.display()
                ))));
            }
            (None, Some(dir))
        }
        _ => (Some(date(form.as_of.as_deref()).map_err(|e| viewer.fail(e))?), None),
    };
    let detail = match (&as_of, &dir) {
        (Some(as_of), _) => as_of.to_string(),
        (_, Some(dir)) => dir.display().to_string(),
        _ => String::new(),
    };
    let now = (state.clock)();
    let job = state
        .jobs
        .start(operation, detail, &viewer.who.login, now)
        .ok_or_else(|| viewer.fail(ApiError::Conflict(M::Busy.text(viewer.lang).to_owned())))?;
    crate::api::audit(
        &state,
        &viewer.who,
        "start_operation",
        "operation",
        operation.code(),
        serde_json::json!({ "job": job.id, "as_of": as_of.map(|d| d.to_string()), "dir": dir }),
    )
    .await
    .map_err(|e| viewer.fail(e))?;
    let sink = job.progress.sink();
    let running = state.clone();
    // The job outlives the request: the registry keeps its progress, the runtime its task.
    state.analytics.spawn(async move {
        let (store, lake) = (running.store.clone(), running.lake.clone());
        let outcome = match (operation, as_of, dir) {
            (Operation::Import, _, Some(dir)) => {
                weiwan_app::import_extract_with_progress(store.as_ref(), &lake, &dir, now, &sink)
                    .await
                    .map(|_| ())
            }
            (Operation::DailyBatch, Some(as_of), _) => {
                weiwan_app::run_daily_batch_with_progress(store.as_ref(), &lake, as_of, now, &sink)
                    .await
                    .map(|_| ())
            }
            (Operation::TrainChurnModel, Some(as_of), _) => {
                weiwan_app::train_churn_model_with_progress(&lake, as_of, &sink).await.map(|_| ())
            }
            _ => Ok(()),
        };
        match outcome {
            Ok(()) if operation == Operation::DailyBatch => {
                if let Err(err) = crate::policy_api::rebuild(&running, None).await {
                    tracing::warn!(%err, "the policy index was not rebuilt after the batch");
                }
            }
            Ok(()) => {}
            Err(err) => tracing::warn!(%err, operation = operation.code(), "an operation failed"),
        }
    });
    if headers.contains_key("hx-request") {
        return Ok(job_block(viewer.lang, &job).into_response());
    }
    Ok(Redirect::to("/jobs").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_job_runs_at_a_time() {
        let jobs = Jobs::default();
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let first =
            jobs.start(Operation::DailyBatch, "2026-11-01".into(), "ana", at).expect("the first starts");
        assert!(
            jobs.start(Operation::Import, "x".into(), "ana", at).is_none(),
            "refused while the first runs"
        );
        let sink = first.progress.sink();
        sink.begin(Operation::DailyBatch);
        sink.end(None);
        let second =
            jobs.start(Operation::Import, "x".into(), "ana", at).expect("starts once the first ended");
        assert_eq!((first.id, second.id), (1, 2));
        assert_eq!(jobs.all().iter().map(|j| j.id).collect::<Vec<_>>(), [2, 1], "newest first");
        assert!(jobs.find(2).is_some() && jobs.find(3).is_none());
    }
}
