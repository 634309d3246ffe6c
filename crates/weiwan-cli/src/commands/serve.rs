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
    // DataFusion work that requests start (campaign previews, executions, evaluations) runs
    // here, not on the workers that answer requests.
    let analytics = tokio::runtime::Builder::new_multi_thread()
        .thread_name("weiwan-analytics")
        .enable_all()
        .build()
        .context("failed to start the analytics runtime")?;
    let state = weiwan_server::AppState {
        store,
        rules: Arc::new(rules),
        lake,
        clock: Arc::new(crate::clock::now),
        analytics: analytics.handle().clone(),
        policy: Default::default(),
        jobs: Default::default(),
    };
    // The policy view's index: built from the latest tagged 360 table while the server
    // already answers (the view says 409 until it is in force).
    let building = state.clone();
    tokio::spawn(async move {
        match weiwan_server::policy_api::rebuild(&building, None).await {
            Ok(summary) => eprintln!(
                "policy index in force: {} customers, {} lines, {} offers, data as of {}",
                summary.customers, summary.lines, summary.offers, summary.as_of
            ),
            Err(err) => eprintln!("no policy index yet ({err}); POST /api/v1/policy-index after a batch run"),
        }
    });
    let listener =
        tokio::net::TcpListener::bind(bind).await.with_context(|| format!("failed to listen on {bind}"))?;
    let address = listener.local_addr().context("no local address")?;
    eprintln!("weiwan API on http://{address}/api/v1 (OpenAPI: /api/v1/openapi.json, metrics: /metrics)");
    // Tests and scripts read this line to find the console (with --bind …:0, the port chosen).
    println!("weiwan console on http://{address}/");
    let served =
        weiwan_server::serve(state, listener).await.with_context(|| format!("failed to serve on {address}"));
    // Dropping a runtime inside another one's async context is not allowed.
    analytics.shutdown_background();
    served
}
