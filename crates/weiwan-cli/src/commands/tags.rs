//! `weiwan tags [list | check FILE | load FILE]`: the tag library.

use anyhow::Context;
use weiwan_app::{Lake, TagCategory, TagLibrary};

use crate::cli::TagsAction;
use crate::config::StoreConfig;

pub async fn run(action: Option<TagsAction>, config: &StoreConfig) -> anyhow::Result<()> {
    let lake = Lake::new(&config.data_dir);
    match action.unwrap_or(TagsAction::List) {
        TagsAction::List => print(&weiwan_app::tag_library(&lake)?),
        TagsAction::Check { file } => {
            let library = weiwan_app::check_tag_library(&read(&file)?).await?;
            println!(
                "tag library {} is valid: {} tags (not put in force)",
                library.version,
                library.tags.len()
            );
        }
        TagsAction::Load { file } => {
            let library = weiwan_app::load_tag_library(&lake, &read(&file)?).await?;
            println!("tag library {} is in force: {} tags", library.version, library.tags.len());
        }
    }
    Ok(())
}

fn read(file: &std::path::Path) -> anyhow::Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("failed to read tag library {}", file.display()))
}

fn print(library: &TagLibrary) {
    println!("tag library 标签库 {} ({} tags)", library.version, library.tags.len());
    for tag in &library.tags {
        let category = match tag.category {
            TagCategory::Customer => "customer 客户标签",
            TagCategory::Management => "management 管理标签",
        };
        println!("  {:<20} {:<20} {} / {}", tag.name, category, tag.description_zh, tag.description_en);
    }
}
