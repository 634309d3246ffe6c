//! The domain's error: a single field that does not satisfy its column's rules.

/// Why one value was refused. The caller adds the file, line and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("value is required but empty")]
    Missing,
    #[error("{value:?} is not {expected}")]
    Invalid { value: String, expected: String },
    #[error("{value:?} is not one of {allowed}")]
    NotAllowed { value: String, allowed: String },
    #[error("{value} is out of range ({range})")]
    OutOfRange { value: String, range: String },
}

pub type Result<T, E = FieldError> = std::result::Result<T, E>;

impl FieldError {
    pub(crate) fn invalid(value: &str, expected: impl Into<String>) -> FieldError {
        FieldError::Invalid { value: truncate(value), expected: expected.into() }
    }
}

/// Keeps error messages readable when a whole line lands in one field.
fn truncate(value: &str) -> String {
    const MAX_CHARS: usize = 60;
    if value.chars().count() <= MAX_CHARS {
        return value.to_owned();
    }
    let mut short: String = value.chars().take(MAX_CHARS).collect();
    short.push('…');
    short
}
