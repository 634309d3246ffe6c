//! `weiwan offer list | load | retire | reinstate`: the offer catalog 政策库.

use anyhow::Context;
use weiwan_app::campaigns::OfferView;
use weiwan_server::Permission;

use super::campaign::{actor, refused};
use crate::cli::{OfferAction, Output};
use crate::config::StoreConfig;

pub async fn run(action: OfferAction, config: &StoreConfig) -> anyhow::Result<()> {
    let (store, lake) = super::open(config).await?;
    let store = store.as_ref();
    match action {
        OfferAction::List { format } => {
            let offers = weiwan_app::campaigns::list_offers(store).await?;
            match format {
                Output::Json => println!("{}", serde_json::to_string_pretty(&offers)?),
                Output::Text => {
                    println!("offer catalog 政策库 ({} offers)", offers.len());
                    for offer in &offers {
                        print_offer(offer);
                    }
                }
            }
        }
        OfferAction::Load { file, builtin, user } => {
            let actor = actor(store, &user.login, Permission::PlanCampaigns).await?;
            let (source, origin) = match file {
                Some(file) if !builtin => (
                    std::fs::read_to_string(&file)
                        .with_context(|| format!("failed to read offer catalog {}", file.display()))?,
                    format!("offer catalog {}", file.display()),
                ),
                _ => (
                    weiwan_decision::offers::BUILTIN_CATALOG.to_owned(),
                    "the built-in offer catalog".to_owned(),
                ),
            };
            let added =
                weiwan_app::campaigns::load_catalog(store, &lake, &source, &actor, crate::clock::now())
                    .await
                    .map_err(refused(&format!("{origin} refused, no offer was added")))?;
            println!("offers 政策 added from {origin}: {}", added.len());
            for offer in &added {
                print_offer(offer);
            }
        }
        OfferAction::Retire { id, user } => {
            let actor = actor(store, &user.login, Permission::PlanCampaigns).await?;
            let offer =
                weiwan_app::campaigns::set_offer_active(store, &id, false, &actor, crate::clock::now())
                    .await?;
            println!("offer {} retired 已下架: campaigns no longer offer it", offer.offer.id);
        }
        OfferAction::Reinstate { id, user } => {
            let actor = actor(store, &user.login, Permission::PlanCampaigns).await?;
            let offer =
                weiwan_app::campaigns::set_offer_active(store, &id, true, &actor, crate::clock::now())
                    .await?;
            println!("offer {} reinstated 已恢复", offer.offer.id);
        }
    }
    Ok(())
}

/// Two lines per offer: id, kind, cost, spent of budget, state and validity; then the names
/// and the terms.
fn print_offer(view: &OfferView) {
    let offer = &view.offer;
    let budget = offer.budget.map_or_else(|| "no limit".to_owned(), |b| b.to_string());
    println!(
        "  {:<26} {:<22} cost {:>9}  spent {}/{}  {:<7} {} to {}",
        offer.id,
        offer.terms.kind(),
        view.cost,
        view.spent,
        budget,
        if view.active { "active" } else { "retired" },
        offer.valid_from,
        offer.valid_to
    );
    println!("  {:<26} {} / {} — {}", "", offer.name_zh, offer.name_en, view.terms_en);
}
