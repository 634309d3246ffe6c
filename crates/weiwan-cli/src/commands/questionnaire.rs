//! `weiwan questionnaire add | list | clone | answers`: questionnaires 智能问卷.

use anyhow::Context;
use weiwan_app::questionnaires as uc;
use weiwan_server::Permission;

use super::campaign::{actor, refused};
use crate::cli::QuestionnaireAction;
use crate::config::StoreConfig;

pub async fn run(action: QuestionnaireAction, config: &StoreConfig) -> anyhow::Result<()> {
    let (store, _lake) = super::open(config).await?;
    let store = store.as_ref();
    let now = crate::clock::now();
    match action {
        QuestionnaireAction::Add { file, user } => {
            let actor = actor(store, &user.login, Permission::PlanCampaigns).await?;
            let source = std::fs::read_to_string(&file)
                .with_context(|| format!("failed to read {}", file.display()))?;
            let questionnaire =
                weiwan_decision::questionnaire::parse_questionnaire(&source).map_err(|problems| {
                    anyhow::anyhow!(
                        "questionnaire {} refused, nothing was stored:\n  {}",
                        file.display(),
                        problems.join("\n  ")
                    )
                })?;
            let added = uc::add_questionnaire(store, &questionnaire, &actor, now)
                .await
                .map_err(refused(&format!("questionnaire {} refused, nothing was stored", file.display())))?;
            println!("questionnaire 问卷 {} added: {} questions", added.id, added.questions.len());
        }
        QuestionnaireAction::List => {
            for q in uc::list_questionnaires(store).await? {
                println!("{}\t{} / {}\t{} questions", q.id, q.title_zh, q.title_en, q.questions.len());
            }
        }
        QuestionnaireAction::Clone { id, new_id, user } => {
            let actor = actor(store, &user.login, Permission::PlanCampaigns).await?;
            let cloned = uc::clone_questionnaire(store, &id, &new_id, &actor, now)
                .await
                .map_err(refused(&format!("clone of questionnaire {id} refused, nothing was stored")))?;
            println!("questionnaire 问卷 {} cloned from {id}", cloned.id);
        }
        QuestionnaireAction::Answers { campaign } => {
            println!("{}", serde_json::to_string_pretty(&uc::answer_tally(store, &campaign).await?)?);
        }
    }
    Ok(())
}
