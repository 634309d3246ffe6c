//! The command line, declared with clap. Every command that reads operator data takes `--db`
//! and `--data-dir`; see [`crate::config`] for their defaults.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "weiwan", version, about = "weiwan (维挽): customer retention for telecom operators")]
pub struct Cli {
    /// Configuration file (TOML with `db` and `data_dir`); defaults to ./weiwan.toml if present.
    #[arg(long, global = true, env = crate::config::env::CONFIG)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a synthetic operator's extract (customers, lines, usage, events …).
    Generate(GenerateArgs),
    /// Validate an extract directory whole and import it: entities into the store, history
    /// into the data directory. A bad file is refused and nothing is stored.
    Import(ImportArgs),
    /// Run the daily batch as of a date: builds the customer 360 table in the data directory.
    Run(RunArgs),
    /// The tag library: list the tags in force, check a library file, or put one in force.
    Tags(TagsArgs),
    /// Print counts of the imported base by tier, status and branch.
    Summary(StoreArgs),
    /// Generate a small operator, import it into the embedded store and print a summary.
    Demo(DemoArgs),
}

/// Where operator data lives.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Database: a SQLite file path or sqlite:// URL, or a postgres:// URL
    /// [default: sqlite://<data-dir>/weiwan.db?mode=rwc]
    #[arg(long, global = true, env = crate::config::env::DB)]
    pub db: Option<String>,
    /// Data directory holding the Parquet lake [default: ./weiwan-data]
    #[arg(long, global = true, env = crate::config::env::DATA_DIR)]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Parquet,
    Csv,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of lines (subscriptions) to generate.
    #[arg(long)]
    pub subscribers: u64,
    /// Months of history, ending with --end-month.
    #[arg(long, default_value_t = 12)]
    pub months: u32,
    /// Random seed: the same seed and arguments give the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Last month covered, YYYY-MM.
    #[arg(long, default_value = "2026-10")]
    pub end_month: String,
    /// Directory to write the extract files into.
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Parquet)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Extract directory: <table>.csv or <table>.parquet files.
    pub dir: PathBuf,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct TagsArgs {
    #[command(subcommand)]
    pub action: Option<TagsAction>,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum TagsAction {
    /// List the tags in force (the default).
    List,
    /// Check a library file (TOML) without putting it in force.
    Check { file: PathBuf },
    /// Check a library file and put it in force; a refused file changes nothing.
    Load { file: PathBuf },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The batch date, YYYY-MM-DD: history strictly before it counts.
    #[arg(long)]
    pub as_of: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Lines in the demo operator.
    #[arg(long, default_value_t = 50_000)]
    pub subscribers: u64,
    #[arg(long, default_value_t = 12)]
    pub months: u32,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[command(flatten)]
    pub store: StoreArgs,
}
