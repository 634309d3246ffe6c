//! The application error: either the input was refused (the user's to fix), or something
//! failed underneath (ours, or the machine's).

pub use weiwan_analytics::Refusal;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The extract is invalid; nothing of it was stored.
    #[error("{0}")]
    Refused(Refusal),
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error(transparent)]
    Analytics(weiwan_analytics::Error),
    #[error(transparent)]
    Storage(#[from] weiwan_storage::Error),
    /// A tag library was refused; the one in force is unchanged.
    #[error(transparent)]
    TagsRefused(#[from] weiwan_analytics::TagLibraryRefused),
    /// A target group or cohort definition was refused; nothing was saved.
    #[error(transparent)]
    SegmentRefused(#[from] weiwan_analytics::SegmentRefused),
    /// KPIs cannot be computed for these arguments.
    #[error(transparent)]
    KpiRefused(#[from] weiwan_analytics::KpiRefused),
    /// Training or scoring a churn model failed or was refused.
    #[error(transparent)]
    Model(#[from] weiwan_model::Error),
    /// An event batch was refused whole; nothing of it was applied.
    #[error(transparent)]
    EventsRefused(#[from] crate::events::EventsRefused),
    /// A rule book was refused; the one in force is unchanged.
    #[error(transparent)]
    RulesRefused(#[from] crate::rules::RulesRefused),
    /// An offer, a catalog or a campaign plan was refused; nothing was saved.
    #[error(transparent)]
    CampaignRefused(#[from] crate::campaigns::CampaignRefused),
    /// The request conflicts with the current state (a task someone else holds, or done).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The actor's role may not take this step (a retention case's approval, the desk's claim).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// What the request names does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    #[error("a background task failed")]
    Join(#[from] tokio::task::JoinError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<weiwan_analytics::Error> for Error {
    fn from(error: weiwan_analytics::Error) -> Error {
        match error {
            weiwan_analytics::Error::Refused(refusal) => Error::Refused(refusal),
            // A date the batch has not run for: the caller's to fix by running it.
            not_built @ weiwan_analytics::Error::NotBuilt { .. } => Error::Conflict(not_built.to_string()),
            other => Error::Analytics(other),
        }
    }
}

impl From<weiwan_analytics::SegmentError> for Error {
    fn from(error: weiwan_analytics::SegmentError) -> Error {
        match error {
            weiwan_analytics::SegmentError::Refused(refused) => Error::SegmentRefused(refused),
            weiwan_analytics::SegmentError::Failed(failed) => failed.into(),
        }
    }
}

impl From<weiwan_analytics::KpiError> for Error {
    fn from(error: weiwan_analytics::KpiError) -> Error {
        match error {
            weiwan_analytics::KpiError::Refused(refused) => Error::KpiRefused(refused),
            weiwan_analytics::KpiError::Failed(failed) => failed.into(),
        }
    }
}
