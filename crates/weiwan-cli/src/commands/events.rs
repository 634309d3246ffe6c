//! `weiwan events import FILE`: apply an event file as one batch.

use crate::cli::EventsAction;
use crate::config::StoreConfig;

pub async fn run(action: EventsAction, config: &StoreConfig) -> anyhow::Result<()> {
    let (store, lake) = super::open(config).await?;
    let rules = weiwan_app::rules::active_rulebook(&lake)?;
    match action {
        EventsAction::Import { file } => {
            let outcome = weiwan_app::events::import_event_file(
                store.as_ref(),
                &rules,
                &file,
                "system",
                crate::clock::now(),
            )
            .await?;
            let applied = outcome.applied;
            println!(
                "events 事件 from {}: {} new, {} already known; {} tasks raised",
                file.display(),
                applied.new_events.len(),
                applied.known_events.len(),
                applied.tasks.len()
            );
            for task in &applied.tasks {
                println!(
                    "  task {:<6} {:<24} {:<8} {} / {}",
                    task.task_id,
                    task.task.rule_id,
                    task.task.priority,
                    task.task.reason_zh,
                    task.task.reason_en
                );
            }
        }
    }
    Ok(())
}
