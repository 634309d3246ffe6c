//! `weiwan serve`: the HTTP API (axum) that people's tools and the operator's systems talk to.
//!
//! - `/api/v1/…`: JSON endpoints, described at `/api/v1/openapi.json` (utoipa, generated from
//!   the handlers' annotations, so the description cannot drift from the routes).
//! - `/metrics`: Prometheus text format; `/healthz`: liveness. These two and the OpenAPI
//!   description carry no personal data and need no sign-in.
//!
//! - `/`, `/login`, `/work`, …: the web console (server-rendered pages, [`console`]).
//!
//! Every other request is authenticated (session cookie or bearer token, [`auth`]) and
//! authorized by role and scope before it reaches a use case in weiwan-app. Views of personal
//! data and every change are written to the audit log.

pub mod api;
pub mod auth;
pub mod campaigns_api;
pub mod cases_api;
pub mod churn_kinds_api;
pub mod clubs_api;
pub mod console;
pub mod error;
pub mod file_api;
pub mod groups_api;
mod metrics_layer;
pub mod policy_api;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use weiwan_app::{Lake, Store};
use weiwan_decision::RuleBook;

pub use auth::{Clock, Permission, Principal, allows, hash_password};
pub use error::ApiError;

/// Largest request body: a batch of 10,000 events fits.
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// The rule book in force when the server started (reload by restarting).
    pub rules: Arc<RuleBook>,
    pub lake: Lake,
    pub clock: Clock,
    /// The runtime DataFusion work started by requests runs on (campaign previews,
    /// executions, evaluations), apart from the workers that serve requests.
    pub analytics: tokio::runtime::Handle,
    /// The index the unified policy view reads, rebuilt without stopping the server.
    pub policy: weiwan_app::policy_view::PolicyViews,
    /// The operations started from the console, with their progress.
    pub jobs: console::Jobs,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("store", &self.store).field("rules", &self.rules.version).finish()
    }
}

/// The whole application as a router, for `serve` and for tests (which call it in-process).
pub fn router(state: AppState) -> Router {
    api::routes()
        .merge(campaigns_api::routes())
        .merge(policy_api::routes())
        .merge(cases_api::routes())
        .merge(file_api::routes())
        .merge(groups_api::routes())
        .merge(clubs_api::routes())
        .merge(churn_kinds_api::routes())
        .merge(console::routes())
        .merge(metrics_layer::routes())
        .layer(axum::middleware::from_fn(metrics_layer::track))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves on a bound listener until Ctrl-C or SIGTERM, then stops accepting and lets requests
/// in flight finish.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    metrics_layer::install();
    tracing::info!(address = %listener.local_addr()?, "serving");
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Runs DataFusion work on the analytics runtime and waits for it.
pub(crate) async fn on_analytics<T, F>(state: &AppState, work: F) -> Result<T, ApiError>
where
    F: Future<Output = weiwan_app::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    state
        .analytics
        .spawn(work)
        .await
        .map_err(|err| ApiError::Internal(format!("analytics task failed: {err}")))?
        .map_err(ApiError::from)
}
