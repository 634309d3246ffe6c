//! `generate`: write a synthetic operator's extract to a directory.

use std::collections::BTreeMap;
use std::path::PathBuf;

use weiwan_analytics::{ExtractWriter, FileFormat};
use weiwan_domain::TableId;

use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct GenerateRequest {
    pub config: weiwan_sim::Config,
    pub out: PathBuf,
    pub format: FileFormat,
}

/// Generates the extract; returns rows written per table. Runs on the calling thread: it is
/// CPU and disk work, so async callers wrap it in `spawn_blocking`.
pub fn generate_extract(request: &GenerateRequest) -> Result<(weiwan_sim::Summary, BTreeMap<TableId, u64>)> {
    request.config.validate().map_err(|e| Error::Invalid(e.to_string()))?;
    let mut writer = ExtractWriter::create(&request.out, request.format)?;
    let summary = weiwan_sim::generate(&request.config, &mut writer)?;
    let rows = writer.finish()?;
    tracing::info!(out = %request.out.display(), subscriptions = summary.subscriptions, "extract generated");
    Ok((summary, rows))
}
