//! Questionnaires 智能问卷: defined and checked whole, cloned into variants, attached to a
//! campaign by its plan, asked on the campaign's contacts (the policy view shows them), and
//! answered with the task's outcome in the same transaction. A campaign's answers are tallied
//! per question and choice.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use weiwan_decision::questionnaire::{Answer, Answers, QuestionKind, Questionnaire};
use weiwan_storage::{AuditEntry, QuestionnaireRecord, Store, TaskRecord, campaign_of_rule};

use crate::campaigns::{CampaignRefused, find_campaign, stored_plan};
use crate::error::{Error, Result};
use crate::tasks::Actor;

fn stored(record: &QuestionnaireRecord) -> Result<Questionnaire> {
    serde_json::from_str(&record.definition)
        .map_err(|e| Error::Invalid(format!("stored questionnaire {}: {e}", record.questionnaire_id)))
}

/// A questionnaire by id.
pub async fn find_questionnaire(store: &dyn Store, id: &str) -> Result<Questionnaire> {
    let record =
        store.find_questionnaire(id).await?.ok_or_else(|| Error::NotFound(format!("questionnaire {id}")))?;
    stored(&record)
}

/// Every questionnaire, by id.
pub async fn list_questionnaires(store: &dyn Store) -> Result<Vec<Questionnaire>> {
    store.questionnaires().await?.iter().map(stored).collect()
}

/// Stores a questionnaire after checking it whole; one whose id is taken is refused.
pub async fn add_questionnaire(
    store: &dyn Store,
    questionnaire: &Questionnaire,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Questionnaire> {
    let problems = questionnaire.problems();
    if !problems.is_empty() {
        return Err(CampaignRefused { problems }.into());
    }
    let at = now.to_rfc3339();
    let record = QuestionnaireRecord {
        questionnaire_id: questionnaire.id.clone(),
        definition: serde_json::to_string(questionnaire).map_err(|e| Error::Invalid(e.to_string()))?,
        created_by: actor.user_id.clone(),
        created_at: at.clone(),
    };
    if !store.create_questionnaire(&record).await? {
        return Err(Error::Conflict(format!("questionnaire {} exists already", questionnaire.id)));
    }
    store
        .append_audit(&AuditEntry {
            id: 0,
            at,
            actor: actor.user_id.clone(),
            role: actor.role.clone(),
            action: "add_questionnaire".to_owned(),
            object_type: "questionnaire".to_owned(),
            object_id: questionnaire.id.clone(),
            detail: serde_json::json!({ "questions": questionnaire.questions.len() }).to_string(),
        })
        .await?;
    Ok(questionnaire.clone())
}

/// Copies a questionnaire under a new id, to make a variant.
pub async fn clone_questionnaire(
    store: &dyn Store,
    id: &str,
    new_id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Questionnaire> {
    let original = find_questionnaire(store, id).await?;
    add_questionnaire(store, &original.cloned_as(new_id), actor, now).await
}

/// The questionnaire and the checked answers (as JSON) to record with an outcome on `task`:
/// answers are taken only on the task of a campaign whose plan has a questionnaire, and are
/// checked against it (required questions when the customer was `reached`).
pub(crate) async fn answers_for(
    store: &dyn Store,
    task: &TaskRecord,
    answers: Option<&Answers>,
    reached: bool,
) -> Result<(Option<String>, Option<String>)> {
    let Some(answers) = answers else {
        return Ok((None, None));
    };
    let campaign_id = campaign_of_rule(&task.task.rule_id).ok_or_else(|| {
        Error::Invalid(format!(
            "answers: task {} is not a campaign's; no questionnaire is asked",
            task.task_id
        ))
    })?;
    let plan = stored_plan(&find_campaign(store, campaign_id).await?)?;
    let id = plan
        .questionnaire
        .ok_or_else(|| Error::Invalid(format!("answers: campaign {campaign_id} has no questionnaire")))?;
    let questionnaire = find_questionnaire(store, &id).await?;
    questionnaire
        .check_answers(answers, reached)
        .map_err(|problems| Error::from(CampaignRefused { problems }))?;
    let json = serde_json::to_string(answers).map_err(|e| Error::Invalid(e.to_string()))?;
    Ok((Some(id), Some(json)))
}

/// How a campaign's customers answered one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct QuestionTally {
    pub question_id: String,
    pub text_zh: String,
    pub text_en: String,
    /// Contacts that answered it.
    pub answered: u64,
    /// Per choice id: how many chose it (choice questions).
    pub choices: BTreeMap<String, u64>,
    /// The open answers, oldest first (open questions).
    pub texts: Vec<String>,
}

/// The answers to a campaign's questionnaire, per question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AnswerTally {
    pub campaign_id: String,
    pub questionnaire_id: Option<String>,
    /// Outcomes recorded with answers.
    pub responses: u64,
    pub questions: Vec<QuestionTally>,
}

/// Tallies the answers recorded on a campaign's tasks.
pub async fn answer_tally(store: &dyn Store, campaign_id: &str) -> Result<AnswerTally> {
    let plan = stored_plan(&find_campaign(store, campaign_id).await?)?;
    let Some(id) = plan.questionnaire else {
        return Ok(AnswerTally {
            campaign_id: campaign_id.to_owned(),
            questionnaire_id: None,
            responses: 0,
            questions: Vec::new(),
        });
    };
    let questionnaire = find_questionnaire(store, &id).await?;
    let mut questions: Vec<QuestionTally> = questionnaire
        .questions
        .iter()
        .map(|q| QuestionTally {
            question_id: q.id.clone(),
            text_zh: q.text_zh.clone(),
            text_en: q.text_en.clone(),
            answered: 0,
            choices: q.choices.iter().map(|c| (c.id.clone(), 0)).collect(),
            texts: Vec::new(),
        })
        .collect();
    let mut responses = 0;
    for (answered_id, json) in store.campaign_answers(campaign_id).await? {
        if answered_id != id {
            continue;
        }
        let answers: Answers =
            serde_json::from_str(&json).map_err(|e| Error::Invalid(format!("stored answers: {e}")))?;
        responses += 1;
        for (question, tally) in questionnaire.questions.iter().zip(questions.iter_mut()) {
            let Some(answer) = answers.get(&question.id) else { continue };
            tally.answered += 1;
            match (question.kind, answer) {
                (QuestionKind::Open, Answer::Text(text)) => tally.texts.push(text.clone()),
                (_, Answer::Text(choice)) => *tally.choices.entry(choice.clone()).or_default() += 1,
                (_, Answer::Choices(ids)) => {
                    for choice in ids {
                        *tally.choices.entry(choice.clone()).or_default() += 1;
                    }
                }
            }
        }
    }
    Ok(AnswerTally { campaign_id: campaign_id.to_owned(), questionnaire_id: Some(id), responses, questions })
}
