//! `weiwan summary`: counts of the imported base, labelled in Chinese and English.

use weiwan_app::Summary;
use weiwan_domain::codes::{SubscriptionStatus, VipTier};

use crate::config::StoreConfig;

pub async fn run(config: &StoreConfig) -> anyhow::Result<()> {
    let (store, _) = super::open(config).await?;
    print(&store.summary().await?);
    Ok(())
}

pub fn print(summary: &Summary) {
    println!(
        "customers 客户 {}  lines 号码 {}  contracts 合约 {}  branches 分公司 {}  managers 经理 {}  plans 套餐 {}",
        summary.customers,
        summary.subscriptions,
        summary.contracts,
        summary.branches,
        summary.managers,
        summary.plans
    );
    println!("\nby VIP tier 客户等级:");
    for tier in VipTier::ALL {
        let n = count_of(&summary.customers_by_tier, tier.code());
        println!("  {:<24} {n:>10}", format!("{} {}", tier.label_zh(), tier.label_en()));
    }
    println!("\nby line status 号码状态:");
    for status in SubscriptionStatus::ALL {
        let n = count_of(&summary.subscriptions_by_status, status.code());
        println!("  {:<24} {n:>10}", format!("{} {}", status.label_zh(), status.label_en()));
    }
    println!("\nby branch 分公司:                   customers      lines");
    for branch in &summary.by_branch {
        println!(
            "  {:<6} {:<20} {:>10} {:>10}",
            branch.branch_id, branch.name, branch.customers, branch.subscriptions
        );
    }
}

fn count_of(counts: &[(String, i64)], code: &str) -> i64 {
    counts.iter().find(|(c, _)| c == code).map(|(_, n)| *n).unwrap_or(0)
}
