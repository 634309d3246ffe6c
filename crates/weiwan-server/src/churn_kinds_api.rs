//! `GET /api/v1/churn-kinds`: the churn kinds 离网类型 of the operator's lines as of a date
//! (docs/churn-kinds.md) — gone to a competitor, internal number switch, dormant — overall and
//! by branch, and with `lines=true` every such line (personal data: audited).
//!
//! The counts need `ReadDashboards`; the lines also `ViewCustomer`. A branch-scoped caller sees
//! its branch only. The classification runs on the analytics runtime.

use axum::Json;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::OpenApi;
use weiwan_app::churn_kinds::{ChurnKindReport, ChurnKindSettings};

use crate::AppState;
use crate::auth::{Permission, Principal};
use crate::error::{ApiError, ErrorBody};

#[derive(Debug, OpenApi)]
#[openapi(paths(churn_kinds))]
pub struct ChurnKindsApiDoc;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/churn-kinds", get(churn_kinds))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ChurnKindsQuery {
    /// YYYY-MM-DD: what happened before it counts.
    pub as_of: String,
    /// W, days around a disconnection within which a new line makes it a switch (default 30).
    pub window_days: Option<u32>,
    /// N, complete months without use that make a line dormant (default 3).
    pub dormant_months: Option<u32>,
    /// Also list every line that left or lies dormant (needs `ViewCustomer`; audited).
    #[serde(default)]
    pub lines: bool,
    /// One branch only (a branch-scoped caller's own, whatever is asked).
    pub branch_id: Option<String>,
}

/// Churn kinds as of a date: lines gone to a competitor (外部离网), internal number switches
/// (内部转网) with the competitors' leavers won back (挽回), and dormant lines (冬眠).
#[utoipa::path(get, path = "/api/v1/churn-kinds", params(ChurnKindsQuery),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn churn_kinds(
    State(state): State<AppState>,
    who: Principal,
    query: Result<Query<ChurnKindsQuery>, QueryRejection>,
) -> Result<Json<ChurnKindReport>, ApiError> {
    who.require(Permission::ReadDashboards)?;
    let Query(query) = query?;
    if query.lines {
        who.require(Permission::ViewCustomer)?;
    }
    let as_of = NaiveDate::parse_from_str(&query.as_of, "%Y-%m-%d")
        .map_err(|e| ApiError::bad(format!("as_of {:?}: {e}; expected YYYY-MM-DD", query.as_of)))?;
    let defaults = ChurnKindSettings::default();
    let settings = ChurnKindSettings {
        window_days: query.window_days.unwrap_or(defaults.window_days),
        dormant_months: query.dormant_months.unwrap_or(defaults.dormant_months),
    };
    settings.validate().map_err(ApiError::bad)?;
    let branch = who.branch_scope(query.branch_id.as_deref())?;
    let lake = state.lake.clone();
    let (with_lines, scope) = (query.lines, branch.clone());
    let report = crate::on_analytics(&state, async move {
        weiwan_app::churn_kinds::churn_kinds_in(&lake, as_of, &settings, with_lines, scope.as_deref()).await
    })
    .await?;
    if query.lines {
        let detail = serde_json::json!({
            "as_of": report.as_of,
            "branch_id": branch,
            "lines": report.lines.len(),
        });
        crate::api::audit(&state, &who, "view_churn_kinds", "churn_kinds", &report.as_of, detail).await?;
    }
    Ok(Json(report))
}
