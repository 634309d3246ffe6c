//! The one place weiwan reads the wall clock. Everything below the CLI takes `now` as a
//! parameter, so tests can fix it.

use chrono::{DateTime, Utc};

#[allow(clippy::disallowed_methods)]
pub fn now() -> DateTime<Utc> {
    Utc::now()
}
