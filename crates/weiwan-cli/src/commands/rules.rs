//! `weiwan rules [list | check FILE | load FILE]`: the warning and care rule book.

use anyhow::Context;
use weiwan_app::Lake;
use weiwan_decision::RuleBook;

use crate::cli::RulesAction;
use crate::config::StoreConfig;

pub async fn run(action: Option<RulesAction>, config: &StoreConfig) -> anyhow::Result<()> {
    let lake = Lake::new(&config.data_dir);
    match action.unwrap_or(RulesAction::List) {
        RulesAction::List => print(&weiwan_app::rules::active_rulebook(&lake)?),
        RulesAction::Check { file } => {
            let book = weiwan_app::rules::check_rulebook(&lake, &read(&file)?).await?;
            println!("rule book {} is valid: {} rules (not put in force)", book.version, book.rules.len());
        }
        RulesAction::Load { file } => {
            let book = weiwan_app::rules::load_rulebook(&lake, &read(&file)?).await?;
            println!("rule book {} is in force: {} rules", book.version, book.rules.len());
        }
    }
    Ok(())
}

fn read(file: &std::path::Path) -> anyhow::Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("failed to read rule book {}", file.display()))
}

fn print(book: &RuleBook) {
    println!("rule book 预警规则库 {} ({} rules)", book.version, book.rules.len());
    for rule in &book.rules {
        let tiers: Vec<&str> = rule.tiers.iter().map(|t| t.code()).collect();
        println!(
            "  {:<26} {:<8} {:<8} {:<7} {:<28} {} / {}",
            rule.id,
            rule.category.code(),
            rule.cadence().map_or("realtime", |c| c.code()),
            rule.priority.code(),
            if tiers.is_empty() { "all tiers".to_owned() } else { tiers.join(",") },
            rule.name_zh,
            rule.name_en
        );
    }
}
