//! What can go wrong training, scoring or evaluating a model. Every error names the file and,
//! where there is one, the line and column.

use std::path::{Path, PathBuf};

/// The model crate's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A refusal or a failure; nothing is written when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },

    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },

    #[error("{}{}: malformed CSV: {message}", path.display(), line.map(|l| format!(": line {l}")).unwrap_or_default())]
    Csv { path: PathBuf, line: Option<u64>, message: String },

    #[error("{}: {message}", path.display())]
    Input { path: PathBuf, message: String },

    #[error("{}: missing column{} {}", path.display(), if columns.len() == 1 { "" } else { "s" }, quoted(columns))]
    MissingColumns { path: PathBuf, columns: Vec<String> },

    #[error("{}: line {line}: column {column:?} holds {value:?}, which is not a number ({detail})", path.display())]
    NotANumber { path: PathBuf, line: u64, column: String, value: String, detail: String },

    #[error("{}: label column {column:?}: {message}", path.display())]
    Label { path: PathBuf, column: String, message: String },

    #[error("model file {}: {message}", path.display())]
    ModelFile { path: PathBuf, message: String },

    #[error("training failed: {0}")]
    Training(String),

    #[error("invalid setting: {0}")]
    Setting(String),
}

impl Error {
    pub(crate) fn input(path: &Path, message: impl Into<String>) -> Self {
        Error::Input { path: path.to_path_buf(), message: message.into() }
    }
}

fn quoted(columns: &[String]) -> String {
    columns.iter().map(|column| format!("{column:?}")).collect::<Vec<_>>().join(", ")
}
