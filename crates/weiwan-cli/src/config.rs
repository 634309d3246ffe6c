//! Configuration, layered: built-in defaults < config file < `WEIWAN_*` environment < flags.
//! clap applies the environment and the flags; this module adds the file and the defaults,
//! and validates the result before anything runs.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use crate::cli::StoreArgs;

/// Every environment variable weiwan reads.
pub mod env {
    pub const CONFIG: &str = "WEIWAN_CONFIG";
    pub const DB: &str = "WEIWAN_DB";
    pub const DATA_DIR: &str = "WEIWAN_DATA_DIR";
    pub const LOG: &str = "WEIWAN_LOG";
    /// `json` for one JSON object per log line.
    pub const LOG_FORMAT: &str = "WEIWAN_LOG_FORMAT";
    /// The password for `weiwan user add`, instead of standard input.
    pub const PASSWORD: &str = "WEIWAN_PASSWORD";
}

const DEFAULT_CONFIG_FILE: &str = "weiwan.toml";
const DEFAULT_DATA_DIR: &str = "weiwan-data";

/// The config file's contents; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Database URL or SQLite path.
    pub db: Option<String>,
    /// Data directory (the Parquet lake).
    pub data_dir: Option<PathBuf>,
    /// How KPIs are computed and their T0/T1 targets (`[kpi]`, `[kpi.targets.<name>]`).
    pub kpi: Option<weiwan_app::KpiSettings>,
}

/// Where operator data lives, resolved.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub db: String,
    pub data_dir: PathBuf,
}

pub fn load_file(explicit: Option<&Path>) -> anyhow::Result<FileConfig> {
    let path = match explicit {
        Some(path) => path.to_owned(),
        None if Path::new(DEFAULT_CONFIG_FILE).is_file() => PathBuf::from(DEFAULT_CONFIG_FILE),
        None => return Ok(FileConfig::default()),
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("failed to read config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
}

pub fn resolve(args: &StoreArgs, file: &FileConfig) -> anyhow::Result<StoreConfig> {
    let data_dir = args
        .data_dir
        .clone()
        .or_else(|| file.data_dir.clone())
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    let db = match args.db.clone().or_else(|| file.db.clone()) {
        Some(db) => db,
        None => format!("sqlite://{}?mode=rwc", data_dir.join("weiwan.db").display()),
    };
    if db.trim().is_empty() {
        anyhow::bail!("the database url is empty (set --db, {} or db in the config file)", env::DB);
    }
    if data_dir.as_os_str().is_empty() {
        anyhow::bail!(
            "the data directory is empty (set --data-dir, {} or data_dir in the config file)",
            env::DATA_DIR
        );
    }
    Ok(StoreConfig { db, data_dir })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_file_and_the_file_beats_defaults() {
        let file: FileConfig =
            toml::from_str("db = \"postgres://file\"\ndata_dir = \"/lake\"").expect("valid toml");
        let none = StoreArgs { db: None, data_dir: None };
        assert!(file.kpi.is_none());
        let resolved = resolve(&none, &file).expect("resolves");
        assert_eq!(
            (resolved.db.as_str(), resolved.data_dir.as_path()),
            ("postgres://file", Path::new("/lake"))
        );

        let flags = StoreArgs { db: Some("flag.db".into()), data_dir: None };
        assert_eq!(resolve(&flags, &file).expect("resolves").db, "flag.db");

        let defaults = resolve(&none, &FileConfig::default()).expect("resolves");
        assert_eq!(defaults.data_dir, PathBuf::from("weiwan-data"));
        assert_eq!(defaults.db, "sqlite://weiwan-data/weiwan.db?mode=rwc");
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        assert!(toml::from_str::<FileConfig>("database = \"x\"").is_err());
        assert!(toml::from_str::<FileConfig>("[kpi]\nfloor = 40").is_err());
    }

    #[test]
    fn kpi_settings_come_from_the_file_over_the_defaults() {
        let file: FileConfig =
            toml::from_str("[kpi]\narpu_floor = 40\n[kpi.targets.retention_rate]\nt0 = 0.7\nt1 = 0.8\n")
                .expect("valid toml");
        let kpi = file.kpi.expect("kpi section");
        assert_eq!((kpi.arpu_floor, kpi.low_months), (40.0, 3));
        assert_eq!(kpi.targets.len(), 1, "a file's targets replace the default ones");
        assert_eq!(kpi.targets["retention_rate"].t0, 0.7);
    }
}
