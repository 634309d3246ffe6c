//! The analytics crate's error, and the refusal of an extract with every problem found in it.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The extract is invalid: nothing of it was stored.
    #[error("{0}")]
    Refused(Refusal),
    #[error("failed to access {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to read or write parquet file {path}")]
    Parquet {
        path: PathBuf,
        #[source]
        source: parquet::errors::ParquetError,
    },
    #[error("failed to write csv file {path}")]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    #[error("the lake manifest {path} is unreadable")]
    Manifest {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("batch query failed")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// A stage needs the tagged 360 table of a date that was never built.
    #[error("no customer 360 table with tags as of {as_of}: run `weiwan run --as-of {as_of}` first")]
    NotBuilt { as_of: chrono::NaiveDate },
    /// A broken invariant inside weiwan, not a problem with the input.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn internal(message: impl Into<String>) -> Error {
        Error::Internal(message.into())
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }

    pub(crate) fn parquet(path: impl Into<PathBuf>) -> impl FnOnce(parquet::errors::ParquetError) -> Error {
        let path = path.into();
        move |source| Error::Parquet { path, source }
    }
}

/// Where in a file a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// The whole file (a missing column, an unknown file).
    File,
    /// A line of a CSV file, counting the header as line 1.
    Line(u64),
    /// A data row of a Parquet file, counting from 1.
    Row(u64),
}

/// One reason an extract is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub location: Location,
    pub column: Option<String>,
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        match self.location {
            Location::File => {}
            Location::Line(line) => write!(f, ", line {line}")?,
            Location::Row(row) => write!(f, ", row {row}")?,
        }
        if let Some(column) = &self.column {
            write!(f, ", column {column}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Every problem found in a refused extract (up to a limit, so a wholly wrong file does not
/// print a million lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub problems: Vec<Problem>,
    /// More problems exist than are listed.
    pub truncated: bool,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let more = if self.truncated { " (showing the first ones)" } else { "" };
        write!(f, "extract refused, nothing was imported; {} problem(s){more}:", self.problems.len())?;
        for problem in &self.problems {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}
