//! Prometheus metrics: requests by route, method and status, their latency, and the counters
//! the handlers add (events received, tasks raised). One recorder per process, installed on
//! first use, so tests that build many routers share it.

use std::sync::OnceLock;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::AppState;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder; later calls return the same handle. `None` when
/// another recorder was installed first (then /metrics says so).
pub(crate) fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5])
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .as_ref()
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(render)).route("/healthz", get(|| async { "ok" }))
}

async fn render() -> Response {
    match install() {
        Some(handle) => handle.render().into_response(),
        None => (axum::http::StatusCode::SERVICE_UNAVAILABLE, "no metrics recorder").into_response(),
    }
}

/// Counts and times every request under its route pattern (not its path, so ids do not
/// explode the label space).
pub(crate) async fn track(request: Request, next: Next) -> Response {
    install();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("weiwan_http_requests_total", &labels).increment(1);
    metrics::histogram!("weiwan_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}
