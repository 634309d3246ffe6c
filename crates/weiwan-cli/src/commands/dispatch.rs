//! `weiwan dispatch calls | sms`: the day's outbound call lists and a campaign's SMS batch.

use weiwan_server::Permission;

use super::campaign::actor;
use crate::cli::DispatchAction;
use crate::config::StoreConfig;

pub async fn run(action: DispatchAction, config: &StoreConfig) -> anyhow::Result<()> {
    let (store, _lake) = super::open(config).await?;
    let store = store.as_ref();
    let now = crate::clock::now();
    match action {
        DispatchAction::Calls { out, per_manager, user } => {
            let actor = actor(store, &user.login, Permission::PlanCampaigns).await?;
            let done = weiwan_app::dispatch::dispatch_calls(store, per_manager, &out, &actor, now).await?;
            let given: u64 = done.assigned.values().sum();
            println!(
                "outbound queue 外呼队列: {} waiting; {given} given to {} managers, {} kept quiet by the contact policy, {} left for lack of capacity",
                done.queued,
                done.assigned.len(),
                done.kept_quiet,
                done.left
            );
            for (manager, calls) in &done.assigned {
                println!("  {manager}: {calls} calls");
            }
            for file in &done.files {
                println!("  call list: {}", file.display());
            }
        }
        DispatchAction::Sms { campaign, template, out, user } => {
            let actor = actor(store, &user.login, Permission::PlanCampaigns).await?;
            let batch = weiwan_app::dispatch::sms_batch(store, &campaign, &template, &out, &actor, now)
                .await
                .map_err(|e| anyhow::anyhow!("SMS batch of campaign {campaign} not sent: {e}"))?;
            println!(
                "SMS batch 短信批次 of campaign {}: {} messages for {} customers ({} kept quiet by the contact policy) → {}",
                batch.campaign_id,
                batch.sent,
                batch.customers,
                batch.kept_quiet,
                batch.file.display()
            );
        }
    }
    Ok(())
}
