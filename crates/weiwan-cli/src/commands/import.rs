//! `weiwan import DIR`: validate and import one extract.

use std::path::Path;

use crate::config::StoreConfig;

pub async fn run(dir: &Path, config: &StoreConfig) -> anyhow::Result<()> {
    let (store, lake) = super::open(config).await?;
    let outcome = weiwan_app::import_extract_with_progress(
        store.as_ref(),
        &lake,
        dir,
        crate::clock::now(),
        &crate::progress::bars(),
    )
    .await?;
    if outcome.already_imported {
        println!("extract {} was already imported; nothing changed", outcome.extract_id);
        return Ok(());
    }
    println!("imported extract {} from {}", outcome.extract_id, dir.display());
    for (table, n) in &outcome.rows {
        println!("  {:<15} {n:>12} rows", table.name());
    }
    Ok(())
}
