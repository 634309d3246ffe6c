//! `weiwan serve`: the HTTP API.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;

use crate::config::StoreConfig;

pub async fn run(bind: SocketAddr, config: &StoreConfig) -> anyhow::Result<()> {
    let (store, lake) = super::open(config).await?;
    let rules = weiwan_app::rules::active_rulebook(&lake)?;
    if store.users().await?.is_empty() {
        eprintln!("no users yet: add one with `weiwan user add --role admin …` (docs/service.md)");
    }
    let state =
        weiwan_server::AppState { store, rules: Arc::new(rules), lake, clock: Arc::new(crate::clock::now) };
    eprintln!("weiwan API on http://{bind}/api/v1 (OpenAPI: /api/v1/openapi.json, metrics: /metrics)");
    weiwan_server::serve(state, bind).await.with_context(|| format!("failed to serve on {bind}"))
}
