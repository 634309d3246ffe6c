//! Errors as the API answers them: a status code and a JSON body
//! `{"error": {"code": "...", "message": "...", "problems": [...]}}`. Internal failures are
//! logged in full and answered with a generic message.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("sign in first")]
    Unauthenticated,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// The request itself is wrong; `problems` names each field.
    #[error("{message}")]
    BadRequest { message: String, problems: Vec<String> },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn bad(message: impl Into<String>) -> ApiError {
        ApiError::BadRequest { message: message.into(), problems: Vec::new() }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// `unauthenticated`, `forbidden`, `not_found`, `bad_request`, `conflict` or `internal`.
    pub code: &'static str,
    pub message: String,
    /// One line per problem, naming the item and the field.
    pub problems: Vec<String>,
}

impl ApiError {
    /// The HTTP status and the error code the API answers with.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::BadRequest { .. } => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status_and_code().0
    }

    /// The message and problems shown to the caller; an internal failure is logged in full
    /// and shown as a generic message.
    pub fn explain(self) -> (String, Vec<String>) {
        match self {
            ApiError::BadRequest { message, problems } => (message, problems),
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                ("internal error; see the server log".to_owned(), Vec::new())
            }
            other => (other.to_string(), Vec::new()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let (message, problems) = self.explain();
        (status, Json(ErrorBody { error: ErrorDetail { code, message, problems } })).into_response()
    }
}

impl From<weiwan_storage::Error> for ApiError {
    fn from(error: weiwan_storage::Error) -> ApiError {
        ApiError::Internal(format!("{error:#}"))
    }
}

impl From<weiwan_app::Error> for ApiError {
    fn from(error: weiwan_app::Error) -> ApiError {
        use weiwan_app::Error as E;
        match error {
            E::EventsRefused(refused) => ApiError::BadRequest {
                message: "the event batch was refused and nothing of it was applied".into(),
                problems: refused.problems,
            },
            E::RulesRefused(refused) => ApiError::BadRequest {
                message: "the rule book was refused".into(),
                problems: refused.problems,
            },
            E::CampaignRefused(refused) => ApiError::BadRequest {
                message: "refused; nothing was saved".into(),
                problems: refused.problems,
            },
            E::SegmentRefused(refused) => ApiError::BadRequest {
                message: "the target group was refused".into(),
                problems: refused.problems,
            },
            E::Invalid(message) => ApiError::bad(message),
            E::Conflict(message) => ApiError::Conflict(message),
            E::NotFound(message) => ApiError::NotFound(message),
            E::Forbidden(message) => ApiError::Forbidden(message),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        ApiError::bad(format!("malformed request body: {}", rejection.body_text()))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        ApiError::bad(format!("malformed query string: {}", rejection.body_text()))
    }
}
