//! The crate's error type.

/// Everything that can go wrong in `weiwan-clv`: reading input files, invalid model parameters,
/// a non-converging series or a failed fit. Errors about files name the file, the line (1-based,
/// the header being line 1) and the column.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened or read.
    #[error("{file}: cannot read file: {source}")]
    Io {
        /// Path of the file.
        file: String,
        /// Underlying IO error.
        #[source]
        source: std::io::Error,
    },
    /// The CSV reader failed (malformed CSV, wrong number of fields, invalid UTF-8).
    #[error("{file}:{line}: malformed CSV: {source}")]
    Csv {
        /// Path of the file.
        file: String,
        /// Line of the offending record (0 if unknown).
        line: u64,
        /// Underlying CSV error.
        #[source]
        source: csv::Error,
    },
    /// A required column is absent from the header.
    #[error("{file}:1: missing column `{column}` in header (found: {found})")]
    MissingColumn {
        /// Path of the file.
        file: String,
        /// The column that was looked for.
        column: String,
        /// The header that was found, comma-separated.
        found: String,
    },
    /// A cell holds a value that cannot be used.
    #[error("{file}:{line}: column `{column}`: {reason} (value `{value}`)")]
    InvalidValue {
        /// Path of the file.
        file: String,
        /// Line of the record.
        line: u64,
        /// Column name (or 1-based field number for header-less files).
        column: String,
        /// The offending cell as written.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The file has a header (or nothing) but no data rows.
    #[error("{file}: no data rows")]
    Empty {
        /// Path of the file.
        file: String,
    },
    /// A model parameter is out of its domain (e.g. not strictly positive).
    #[error("invalid parameter {name} = {value}: {reason}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// Its value.
        value: f64,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// Input data handed to a function directly (not via a file) is unusable.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The Gauss hypergeometric power series did not converge.
    #[error("2F1({a}, {b}; {c}; {z}) power series did not converge within {terms} terms")]
    NoConvergence {
        /// First numerator parameter.
        a: f64,
        /// Second numerator parameter.
        b: f64,
        /// Denominator parameter.
        c: f64,
        /// Argument.
        z: f64,
        /// Terms summed before giving up.
        terms: usize,
    },
    /// The optimizer failed or found no finite likelihood.
    #[error("maximum-likelihood fit failed: {0}")]
    Fit(String),
}

/// Result alias with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
