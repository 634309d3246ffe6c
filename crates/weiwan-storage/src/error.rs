//! The storage crate's error. Driver errors are wrapped with what was being done; they never
//! travel further than the app crate, which reports them as internal errors.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid database url {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("failed to {action}")]
    Database {
        action: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("failed to migrate the database")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn db(action: impl Into<String>) -> impl FnOnce(sqlx::Error) -> Error {
    let action = action.into();
    move |source| Error::Database { action, source }
}
