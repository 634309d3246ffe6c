//! `weiwan segment list | save | delete | preview | export`: target groups 客户群.

use weiwan_app::{Preview, Segment, SegmentQuery, Store};

use super::run::parse_date;
use crate::cli::{Output, SegmentAction, Selection};
use crate::config::StoreConfig;

pub async fn run(action: SegmentAction, config: &StoreConfig) -> anyhow::Result<()> {
    let (store, lake) = super::open(config).await?;
    match action {
        SegmentAction::List => list(store.as_ref()).await?,
        SegmentAction::Save { name, selection, description, schedule, replace } => {
            let segment = Segment {
                name,
                description,
                schedule: weiwan_app::parse_schedule(&schedule)?,
                query: query(store.as_ref(), &selection, false).await?,
            };
            weiwan_app::save_segment(store.as_ref(), &lake, &segment, replace, crate::clock::now()).await?;
            println!("target group {} saved ({}, schedule {})", segment.name, segment.query.mode(), schedule);
        }
        SegmentAction::Delete { name } => {
            weiwan_app::delete_segment(store.as_ref(), &name).await?;
            println!("target group {name} deleted");
        }
        SegmentAction::Preview { selection, as_of, sample, format } => {
            let query = query(store.as_ref(), &selection, false).await?;
            let preview = weiwan_app::preview_segment(&lake, parse_date(&as_of)?, &query, sample).await?;
            match format {
                Output::Json => println!("{}", serde_json::to_string_pretty(&preview)?),
                Output::Text => print_preview(&preview),
            }
        }
        SegmentAction::Export { selection, as_of, out } => {
            let query = query(store.as_ref(), &selection, false).await?;
            let rows = weiwan_app::export_segment(&lake, parse_date(&as_of)?, &query, &out).await?;
            println!("{rows} lines → {}", out.display());
        }
    }
    Ok(())
}

/// The query a selection names. With nothing selected, `default` conditions apply if given.
pub async fn query(
    store: &dyn Store,
    selection: &Selection,
    cohort_default: bool,
) -> anyhow::Result<SegmentQuery> {
    if let Some(name) = &selection.segment {
        return Ok(weiwan_app::find_segment(store, name).await?.query);
    }
    if let Some(sql) = &selection.sql {
        return Ok(SegmentQuery::Sql(sql.clone()));
    }
    if !selection.conditions.is_empty() {
        return Ok(weiwan_app::parse_conditions(&selection.conditions)?);
    }
    if cohort_default {
        // 中高端: ARPU of 120 or more a month over the snapshot quarter.
        return Ok(weiwan_app::parse_conditions(&["arpu_3m=120..".to_owned()])?);
    }
    anyhow::bail!("say which lines: --segment NAME, --where CONDITION (repeatable) or --sql QUERY")
}

async fn list(store: &dyn Store) -> anyhow::Result<()> {
    let segments = weiwan_app::list_segments(store).await?;
    println!("target groups 客户群 ({})", segments.len());
    for listed in segments {
        let segment = &listed.segment;
        let origin = if listed.builtin { "fixed scenario 固定场景" } else { "saved 自定义" };
        println!(
            "  {:<24} {:<22} {:<8} {}",
            segment.name,
            origin,
            segment.schedule.code(),
            segment.description
        );
        let definition = match &segment.query {
            SegmentQuery::Conditions(conditions) => {
                conditions.iter().map(ToString::to_string).collect::<Vec<_>>().join(" AND ")
            }
            SegmentQuery::Sql(sql) => sql.split_whitespace().collect::<Vec<_>>().join(" "),
        };
        println!("  {:<24} {definition}", "");
    }
    Ok(())
}

fn print_preview(preview: &Preview) {
    println!("target group 客户群 as of {}: {} lines", preview.as_of, preview.members);
    let split = |groups: &[(String, u64)]| {
        groups.iter().map(|(group, n)| format!("{group} {n}")).collect::<Vec<_>>().join(", ")
    };
    println!("by tier 按等级: {}", split(&preview.by_tier));
    println!("by branch 按分公司: {}", split(&preview.by_branch));
    println!("sample 样例 ({} rows, by line id):", preview.sample.len());
    println!("  {}", preview.columns.join("\t"));
    for row in &preview.sample {
        println!("  {}", row.join("\t"));
    }
}
