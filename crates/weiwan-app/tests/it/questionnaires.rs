//! Questionnaires 智能问卷 end to end: defined and checked whole, cloned, attached to a campaign
//! by its plan, shown in the policy view, answered with outcomes (checked, or nothing is
//! recorded), and tallied per question.

use std::collections::BTreeMap;

use weiwan_app::campaigns::{create_campaign, load_catalog};
use weiwan_app::questionnaires::{add_questionnaire, answer_tally, clone_questionnaire, list_questionnaires};
use weiwan_app::tasks::{OutcomeRequest, record_outcome};
use weiwan_app::{parse_conditions, save_segment};
use weiwan_decision::offers::BUILTIN_CATALOG;
use weiwan_decision::questionnaire::{Answer, Answers, EXAMPLE, parse_questionnaire};
use weiwan_storage::TaskFilter;

use super::campaigns::{actor, plan, planner, start};
use super::churn::date;
use super::now;

fn answers(reason: Option<&str>, comment: Option<&str>) -> Answers {
    let mut out = BTreeMap::new();
    if let Some(reason) = reason {
        out.insert("reason".to_owned(), Answer::Choices(vec![reason.to_owned()]));
    }
    if let Some(comment) = comment {
        out.insert("comment".to_owned(), Answer::Text(comment.to_owned()));
    }
    out
}

#[tokio::test]
async fn a_questionnaire_is_asked_with_the_campaign_and_answered_with_the_outcome() {
    let (_work, store, lake) = super::churn::operator(2000, 6, 3).await;
    let store = store.as_ref();
    weiwan_app::run_daily_batch(store, &lake, date("2026-11-01"), now()).await.expect("batch");
    load_catalog(store, &lake, BUILTIN_CATALOG, &planner(), now()).await.expect("catalog");
    let segment = weiwan_app::Segment {
        name: "vips".into(),
        description: String::new(),
        schedule: weiwan_app::Schedule::None,
        query: parse_conditions(&["vip_tier=diamond,gold,silver".to_owned()]).expect("condition"),
    };
    save_segment(store, &lake, &segment, false, now()).await.expect("save");

    // Defined, refused whole when broken, cloned.
    let why = parse_questionnaire(EXAMPLE).expect("sound");
    add_questionnaire(store, &why, &planner(), now()).await.expect("add");
    let err = add_questionnaire(store, &why, &planner(), now()).await.expect_err("taken");
    assert!(err.to_string().contains("exists already"), "{err}");
    let mut broken = why.cloned_as("broken");
    broken.questions[0].choices.truncate(1);
    let err = add_questionnaire(store, &broken, &planner(), now()).await.expect_err("broken");
    assert!(err.to_string().contains("question reason: a choice question needs at least 2 choices"), "{err}");
    clone_questionnaire(store, "why-leave", "why-leave-b", &planner(), now()).await.expect("clone");
    let ids: Vec<String> =
        list_questionnaires(store).await.expect("list").into_iter().map(|q| q.id).collect();
    assert_eq!(ids, ["why-leave", "why-leave-b"]);

    // Attached by the plan; an unknown one refuses the plan.
    let mut with = plan("vips", &["service_pack_discount"]);
    with.questionnaire = Some("nope".into());
    let err = create_campaign(store, "ask", &with, None, &planner(), now()).await.expect_err("unknown");
    assert!(err.to_string().contains("questionnaire: no questionnaire nope"), "{err}");
    with.questionnaire = Some("why-leave".into());
    create_campaign(store, "ask", &with, None, &planner(), now()).await.expect("create");
    start(store, &lake, "ask").await;

    // The policy view shows it with the campaign.
    let loaded = weiwan_app::policy_view::build_policy(store, &lake, None, now()).await.expect("index");
    let filter = TaskFilter { rule_id: Some("campaign:ask".into()), limit: 10_000, ..TaskFilter::default() };
    let tasks: Vec<_> =
        store.tasks(&filter).await.expect("tasks").into_iter().filter(|t| t.task.cause == "store").collect();
    assert!(tasks.len() >= 3, "{} store tasks", tasks.len());
    let view = weiwan_app::policy_view::policy_view(
        store,
        &loaded,
        &Default::default(),
        &tasks[0].task.customer_id,
        "store",
        now(),
    )
    .await
    .expect("view")
    .expect("known");
    assert_eq!(view.campaigns[0].questionnaire.as_ref().map(|q| q.id.as_str()), Some("why-leave"));

    let clerk = actor("u-clerk", "clerk");
    let request = |outcome: &str, answers: Option<Answers>| OutcomeRequest {
        outcome: outcome.into(),
        note: String::new(),
        confirm_suspension: false,
        request_id: None,
        transfer_to: None,
        answers,
    };
    // Wrong answers, or a reached customer without the required one: refused, nothing recorded.
    let first = tasks[0].task_id;
    let err = record_outcome(
        store,
        &clerk,
        first,
        &request("refused", Some(answers(Some("weather"), None))),
        now(),
    )
    .await
    .expect_err("not a choice");
    assert!(err.to_string().contains("\"weather\" is not one of its choices"), "{err}");
    let err =
        record_outcome(store, &clerk, first, &request("refused", Some(answers(None, Some("贵")))), now())
            .await
            .expect_err("required");
    assert!(err.to_string().contains("question reason: required"), "{err}");
    assert!(store.outcomes(first).await.expect("outcomes").is_empty());
    // Not reached: nothing is required. Reached: answered with the outcome.
    record_outcome(store, &clerk, first, &request("not_reached", Some(answers(None, None))), now())
        .await
        .expect("not reached");
    record_outcome(
        store,
        &clerk,
        first,
        &request("refused", Some(answers(Some("price"), Some("太贵了")))),
        now(),
    )
    .await
    .expect("refused");
    record_outcome(
        store,
        &clerk,
        tasks[1].task_id,
        &request("refused", Some(answers(Some("signal"), None))),
        now(),
    )
    .await
    .expect("refused");
    let accepted = record_outcome(
        store,
        &clerk,
        tasks[2].task_id,
        &request("accepted", Some(answers(Some("price"), None))),
        now(),
    )
    .await
    .expect("accepted");
    assert_eq!(accepted.last_outcome.as_deref(), Some("accepted"));
    let recorded = store.outcomes(first).await.expect("outcomes");
    assert_eq!(recorded.last().and_then(|o| o.questionnaire_id.as_deref()), Some("why-leave"));

    let tally = answer_tally(store, "ask").await.expect("tally");
    assert_eq!(tally.responses, 4, "{tally:?}");
    let reason = &tally.questions[0];
    assert_eq!((reason.answered, reason.choices["price"], reason.choices["signal"]), (3, 2, 1), "{reason:?}");
    assert_eq!(tally.questions[2].texts, ["太贵了"]);

    // An unknown task is named.
    let err =
        record_outcome(store, &clerk, 999_999, &request("refused", None), now()).await.expect_err("no task");
    assert!(err.to_string().contains("task 999999"), "{err}");
}
