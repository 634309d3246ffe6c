//! Conformance tests of what the HTTP service keeps ([`ServiceStore`]): users, credentials, the
//! audit log, events received in real time, tasks and their outcomes, and the entity look-ups
//! alert rules make. Instantiated for both backends by `store_conformance_suite!` in main.rs.

use std::sync::Arc;

use weiwan_domain::TableId;
use weiwan_storage::service::TaskTally;
use weiwan_storage::{
    AuditEntry, AuditFilter, Claim, CredentialRecord, EventRecord, NewTask, OutcomeRecord, OutcomeRecorded,
    Store, SubjectRecord, TaskFilter, TaskRecord, UserRecord,
};

use super::{base_rows, import};

fn user(user_id: &str, login: &str) -> UserRecord {
    UserRecord {
        user_id: user_id.to_owned(),
        login: login.to_owned(),
        display_name: "王芳".to_owned(),
        role: "manager".to_owned(),
        branch_id: Some("B01".to_owned()),
        manager_id: Some("M01".to_owned()),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        active: true,
        created_at: "2026-11-01T08:00:00+08:00".to_owned(),
    }
}

fn credential(token_hash: &str, user_id: &str) -> CredentialRecord {
    CredentialRecord {
        token_hash: token_hash.to_owned(),
        user_id: user_id.to_owned(),
        kind: "session".to_owned(),
        label: String::new(),
        created_at: "2026-11-01T08:00:00+08:00".to_owned(),
        expires_at: Some("2026-11-01T20:00:00+08:00".to_owned()),
    }
}

pub(crate) fn audit(actor: &str, action: &str, object_id: &str) -> AuditEntry {
    AuditEntry {
        id: 0,
        at: "2026-11-01T09:00:00+08:00".to_owned(),
        actor: actor.to_owned(),
        role: if actor == "system" { "system" } else { "manager" }.to_owned(),
        action: action.to_owned(),
        object_type: "customer".to_owned(),
        object_id: object_id.to_owned(),
        detail: r#"{"masked":true}"#.to_owned(),
    }
}

fn event(event_id: &str) -> EventRecord {
    EventRecord {
        event_id: event_id.to_owned(),
        subscription_id: "S1".to_owned(),
        occurred_at: "2026-11-01 10:15:00".to_owned(),
        event_type: "port_out_query".to_owned(),
        detail: Some("携号转网查询".to_owned()),
        received_at: "2026-11-01T10:15:02+08:00".to_owned(),
        source: "api".to_owned(),
    }
}

/// A task for manager M01, normal priority, due 2026-11-10.
fn new_task(rule_id: &str, subject: &str, cause: &str) -> NewTask {
    NewTask {
        rule_id: rule_id.to_owned(),
        subject: subject.to_owned(),
        cause: cause.to_owned(),
        category: "warning".to_owned(),
        action: "call".to_owned(),
        customer_id: "C2".to_owned(),
        subscription_id: Some(subject.to_owned()),
        branch_id: "B01".to_owned(),
        manager_id: Some("M01".to_owned()),
        queue: None,
        priority: "normal".to_owned(),
        due_on: "2026-11-10".to_owned(),
        reason_zh: "查询携号转网".to_owned(),
        reason_en: "asked about number portability".to_owned(),
        created_at: "2026-11-01T10:15:02+08:00".to_owned(),
        source_event: None,
    }
}

fn from_event(task: NewTask, event_id: &str) -> NewTask {
    NewTask { source_event: Some(event_id.to_owned()), ..task }
}

fn prioritised(task: NewTask, priority: &str, due_on: &str) -> NewTask {
    NewTask { priority: priority.to_owned(), due_on: due_on.to_owned(), ..task }
}

fn outcome(task_id: i64, at: &str, outcome: &str) -> OutcomeRecord {
    OutcomeRecord {
        task_id,
        at: at.to_owned(),
        user_id: "u1".to_owned(),
        outcome: outcome.to_owned(),
        note: "客户说下周再联系".to_owned(),
        confirm_suspension: false,
        request_id: None,
        questionnaire_id: None,
        answers: None,
    }
}

fn subjects(tasks: &[TaskRecord]) -> Vec<&str> {
    tasks.iter().map(|t| t.task.subject.as_str()).collect()
}

async fn all_tasks(store: &dyn Store) -> Vec<TaskRecord> {
    store.tasks(&TaskFilter::default()).await.expect("list tasks")
}

pub(crate) async fn users_are_created_once_and_listed_by_login(store: Arc<dyn Store>) {
    let wang = user("u1", "wangfang");
    assert!(store.create_user(&wang).await.expect("create"));
    let admin = UserRecord {
        role: "admin".to_owned(),
        branch_id: None,
        manager_id: None,
        active: false,
        ..user("u2", "admin")
    };
    assert!(store.create_user(&admin).await.expect("create"));
    assert!(!store.create_user(&user("u1", "other")).await.expect("create"), "the user id is taken");
    assert!(!store.create_user(&user("u3", "wangfang")).await.expect("create"), "the login is taken");
    assert_eq!(store.find_user("u1").await.expect("find"), Some(wang.clone()));
    assert_eq!(store.find_user_by_login("admin").await.expect("find"), Some(admin.clone()));
    assert_eq!(store.find_user("u3").await.expect("find"), None, "a refused user is not stored");
    assert_eq!(store.find_user_by_login("other").await.expect("find"), None);
    assert_eq!(store.users().await.expect("list"), vec![admin, wang]);
}

pub(crate) async fn credentials_are_found_and_deleted(store: Arc<dyn Store>) {
    assert!(store.create_user(&user("u1", "wangfang")).await.expect("create"));
    let session = credential("aa11", "u1");
    let token = CredentialRecord {
        kind: "api".to_owned(),
        label: "billing suspension hook".to_owned(),
        expires_at: None,
        ..credential("bb22", "u1")
    };
    store.create_credential(&session).await.expect("store the session");
    store.create_credential(&token).await.expect("store the token");
    assert_eq!(store.find_credential("aa11").await.expect("find"), Some(session));
    assert_eq!(store.find_credential("bb22").await.expect("find"), Some(token));
    assert!(store.delete_credential("aa11").await.expect("delete"));
    assert!(!store.delete_credential("aa11").await.expect("delete"), "already gone");
    assert_eq!(store.find_credential("aa11").await.expect("find"), None);
    assert!(store.create_credential(&credential("cc33", "nobody")).await.is_err(), "the user must exist");
    let odd = CredentialRecord { kind: "cookie".to_owned(), ..credential("dd44", "u1") };
    assert!(store.create_credential(&odd).await.is_err(), "the kind is checked");
}

pub(crate) async fn a_users_console_language_is_kept_and_changed(store: Arc<dyn Store>) {
    assert!(store.create_user(&user("u1", "wangfang")).await.expect("create"));
    assert_eq!(store.user_lang("u1").await.expect("read"), None, "no choice yet");
    store.set_user_lang("u1", "en").await.expect("choose English");
    assert_eq!(store.user_lang("u1").await.expect("read").as_deref(), Some("en"));
    store.set_user_lang("u1", "zh").await.expect("change to Chinese");
    assert_eq!(store.user_lang("u1").await.expect("read").as_deref(), Some("zh"));
    assert!(store.set_user_lang("u1", "fr").await.is_err(), "only zh and en");
    assert!(store.set_user_lang("nobody", "en").await.is_err(), "the user must exist");
}

pub(crate) async fn the_audit_log_is_read_newest_first_and_filtered(store: Arc<dyn Store>) {
    for entry in [
        audit("u1", "view_customer", "C2"),
        audit("u2", "view_customer", "G1"),
        audit("u1", "claim_task", "7"),
        audit("system", "post_events", "batch-1"),
    ] {
        store.append_audit(&entry).await.expect("append");
    }
    let log = store.audit_log(&AuditFilter::default()).await.expect("read");
    let actions: Vec<(&str, &str)> = log.iter().map(|e| (e.actor.as_str(), e.action.as_str())).collect();
    assert_eq!(
        actions,
        [("system", "post_events"), ("u1", "claim_task"), ("u2", "view_customer"), ("u1", "view_customer")]
    );
    assert!(log.windows(2).all(|w| w[0].id > w[1].id), "ids are assigned in order: {log:?}");
    assert_eq!(log[3], AuditEntry { id: log[3].id, ..audit("u1", "view_customer", "C2") });

    let by = |filter: AuditFilter| {
        let store = store.clone();
        async move {
            let log = store.audit_log(&filter).await.expect("read");
            log.into_iter().map(|e| e.object_id).collect::<Vec<_>>()
        }
    };
    assert_eq!(by(AuditFilter { actor: Some("u1".into()), ..Default::default() }).await, ["7", "C2"]);
    assert_eq!(
        by(AuditFilter { action: Some("view_customer".into()), ..Default::default() }).await,
        ["G1", "C2"]
    );
    assert_eq!(by(AuditFilter { object_id: Some("G1".into()), ..Default::default() }).await, ["G1"]);
    let u1_views =
        AuditFilter { actor: Some("u1".into()), action: Some("view_customer".into()), ..Default::default() };
    assert_eq!(by(u1_views).await, ["C2"]);
    assert_eq!(by(AuditFilter { limit: 2, ..Default::default() }).await, ["batch-1", "7"]);
}

pub(crate) async fn events_and_their_tasks_are_applied_once(store: Arc<dyn Store>) {
    let batch = [event("E1"), event("E2")];
    let tasks = [
        from_event(new_task("port_out", "S1", "2026-11-01"), "E1"),
        from_event(new_task("complaint", "S1", "2026-11-01"), "E2"),
        new_task("arrears", "S1", "2026-10"),
    ];
    let applied =
        store.apply_events(&batch, &tasks, &audit("api-client", "post_events", "b1")).await.expect("apply");
    assert_eq!(applied.new_events, ["E1", "E2"]);
    assert!(applied.known_events.is_empty());
    assert_eq!(applied.tasks.iter().map(|t| t.task.clone()).collect::<Vec<_>>(), tasks);
    for created in &applied.tasks {
        assert_eq!(store.task(created.task_id).await.expect("task").as_ref(), Some(created));
        assert_eq!((created.status.as_str(), created.claimed_by.as_deref()), ("open", None));
    }
    assert_eq!(store.find_event("E1").await.expect("find"), Some(event("E1")));
    assert_eq!(store.find_event("E9").await.expect("find"), None);

    // The same batch again, with one event more: only the new event and its task are stored.
    let replay = [event("E1"), event("E3"), event("E2")];
    let mut more = tasks.to_vec();
    more.push(from_event(new_task("port_out", "S1", "2026-11-02"), "E3"));
    // A task of a replayed event is skipped even when its alert is new.
    more.push(from_event(new_task("port_out", "S1", "2026-11-03"), "E2"));
    let applied =
        store.apply_events(&replay, &more, &audit("api-client", "post_events", "b2")).await.expect("replay");
    assert_eq!(applied.new_events, ["E3"]);
    assert_eq!(applied.known_events, ["E1", "E2"]);
    assert_eq!(subjects(&applied.tasks), ["S1"]);
    assert_eq!(applied.tasks[0].task.cause, "2026-11-02");
    assert_eq!(all_tasks(store.as_ref()).await.len(), 4);

    let log = store.audit_log(&AuditFilter::default()).await.expect("audit");
    assert_eq!(log.iter().map(|e| e.object_id.as_str()).collect::<Vec<_>>(), ["b2", "b1"]);

    // A pure replay stores nothing and raises nothing.
    let applied =
        store.apply_events(&batch, &tasks, &audit("api-client", "post_events", "b3")).await.expect("again");
    assert!(applied.new_events.is_empty() && applied.tasks.is_empty(), "{applied:?}");
    assert_eq!(applied.known_events, ["E1", "E2"]);
}

pub(crate) async fn an_event_repeated_within_a_batch_is_stored_once(store: Arc<dyn Store>) {
    let second = EventRecord { occurred_at: "2026-11-01 10:16:00".to_owned(), ..event("E1") };
    let applied = store
        .apply_events(&[event("E1"), second], &[], &audit("api-client", "post_events", "b1"))
        .await
        .expect("apply");
    assert_eq!(applied.new_events, ["E1"]);
    assert!(applied.known_events.is_empty(), "{applied:?}");
    assert_eq!(store.find_event("E1").await.expect("find"), Some(event("E1")), "the first one is kept");
}

pub(crate) async fn a_task_is_raised_once_per_rule_subject_and_cause(store: Arc<dyn Store>) {
    let first = new_task("contract_end", "S1", "2027-02-28/60");
    let second = new_task("contract_end", "S2", "2027-02-28/60");
    // Same alert, different details: the first of the batch wins.
    let duplicate = prioritised(first.clone(), "urgent", "2026-11-02");
    let created = store.raise_tasks(&[first.clone(), second.clone(), duplicate]).await.expect("raise");
    assert_eq!(created.iter().map(|t| &t.task).collect::<Vec<_>>(), [&first, &second]);
    assert_ne!(created[0].task_id, created[1].task_id);
    assert_eq!(store.task(created[0].task_id).await.expect("task").as_ref(), Some(&created[0]));

    let third = new_task("contract_end", "S1", "2027-02-28/30");
    let again = store.raise_tasks(&[second.clone(), third.clone()]).await.expect("raise again");
    assert_eq!(again.iter().map(|t| &t.task).collect::<Vec<_>>(), [&third]);

    // A new event whose alert was raised already stores the event but no task.
    let applied = store
        .apply_events(&[event("E1")], &[from_event(first, "E1")], &audit("system", "post_events", "b1"))
        .await
        .expect("apply");
    assert_eq!(applied.new_events, ["E1"]);
    assert!(applied.tasks.is_empty(), "{applied:?}");
    assert_eq!(all_tasks(store.as_ref()).await.len(), 3);
    assert_eq!(store.raise_tasks(&[]).await.expect("nothing to raise"), []);
}

pub(crate) async fn many_tasks_are_raised_in_one_call(store: Arc<dyn Store>) {
    // More than one statement's worth; the last 400 raise the first 400 again.
    let tasks: Vec<NewTask> =
        (0..2_400).map(|i| new_task("daily", &format!("S{}", i % 2_000), "2026-11-01")).collect();
    let distinct: std::collections::BTreeSet<&str> = tasks.iter().map(|t| t.subject.as_str()).collect();
    let created = store.raise_tasks(&tasks).await.expect("raise");
    assert_eq!(created.len(), distinct.len());
    let mut seen = std::collections::HashSet::new();
    let first_of_each: Vec<&str> =
        tasks.iter().map(|t| t.subject.as_str()).filter(|s| seen.insert(*s)).collect();
    assert_eq!(subjects(&created), first_of_each, "in the order given");
    let filter = TaskFilter { rule_id: Some("daily".into()), ..Default::default() };
    assert_eq!(
        store.count_tasks(&filter).await.expect("count"),
        i64::try_from(distinct.len()).expect("small")
    );
    assert!(store.raise_tasks(&tasks).await.expect("raise again").is_empty());
}

pub(crate) async fn a_failing_batch_leaves_nothing(store: Arc<dyn Store>) {
    // A task neither a manager owns nor a queue holds would be lost: the store refuses it,
    // and with it the whole batch.
    let orphan = NewTask { manager_id: None, queue: None, ..new_task("port_out", "S1", "2026-11-02") };
    let tasks =
        [from_event(new_task("port_out", "S1", "2026-11-01"), "E1"), from_event(orphan.clone(), "E2")];
    let result =
        store.apply_events(&[event("E1"), event("E2")], &tasks, &audit("system", "post_events", "b1")).await;
    assert!(result.is_err(), "{result:?}");
    assert_eq!(store.find_event("E1").await.expect("find"), None);
    assert_eq!(store.find_event("E2").await.expect("find"), None);
    assert!(all_tasks(store.as_ref()).await.is_empty());
    assert!(store.audit_log(&AuditFilter::default()).await.expect("audit").is_empty());

    let result = store.raise_tasks(&[new_task("daily", "S1", "2026-11-01"), orphan]).await;
    assert!(result.is_err(), "{result:?}");
    assert!(all_tasks(store.as_ref()).await.is_empty());

    // Once fixed, the batch goes through as if it had never failed.
    let fixed = [tasks[0].clone()];
    let applied =
        store.apply_events(&[event("E1"), event("E2")], &fixed, &audit("system", "post_events", "b1")).await;
    assert_eq!(applied.expect("apply").new_events, ["E1", "E2"]);
}

pub(crate) async fn tasks_are_filtered_and_ordered_by_priority_then_due_date(store: Arc<dyn Store>) {
    let queued = NewTask {
        manager_id: None,
        queue: Some("outbound".to_owned()),
        branch_id: "B02".to_owned(),
        customer_id: "C9".to_owned(),
        ..prioritised(new_task("silent", "S6", "2026-10"), "high", "2026-11-03")
    };
    let tasks = [
        prioritised(new_task("r", "S1", "c"), "normal", "2026-11-05"),
        prioritised(new_task("r", "S2", "c"), "urgent", "2026-11-20"),
        prioritised(new_task("r", "S3", "c"), "high", "2026-11-01"),
        prioritised(new_task("r", "S4", "c"), "urgent", "2026-11-10"),
        prioritised(new_task("r", "S5", "c"), "low", "2026-11-01"),
        queued,
        // Same priority and due date as S4: the older task comes first.
        prioritised(new_task("r", "S7", "c"), "urgent", "2026-11-10"),
    ];
    let created = store.raise_tasks(&tasks).await.expect("raise");
    assert_eq!(created.len(), tasks.len());
    assert_eq!(subjects(&all_tasks(store.as_ref()).await), ["S4", "S7", "S2", "S3", "S6", "S1", "S5"]);

    let list = |filter: TaskFilter| {
        let store = store.clone();
        async move {
            let count = store.count_tasks(&filter).await.expect("count");
            let tasks = store.tasks(&filter).await.expect("list");
            (count, tasks.into_iter().map(|t| t.task.subject).collect::<Vec<_>>())
        }
    };
    let mine = TaskFilter { manager_id: Some("M01".into()), ..Default::default() };
    assert_eq!(
        list(mine.clone()).await,
        (6, vec!["S4", "S7", "S2", "S3", "S1", "S5"].into_iter().map(String::from).collect())
    );
    let queue =
        TaskFilter { queue: Some("outbound".into()), branch_id: Some("B02".into()), ..Default::default() };
    assert_eq!(list(queue).await, (1, vec!["S6".to_owned()]));
    let other_branch =
        TaskFilter { queue: Some("outbound".into()), branch_id: Some("B01".into()), ..Default::default() };
    assert_eq!(list(other_branch).await, (0, vec![]));
    let urgent = TaskFilter { priority: Some("urgent".into()), ..mine.clone() };
    assert_eq!(list(urgent).await.0, 3);
    let by_line = TaskFilter { subscription_id: Some("S3".into()), ..Default::default() };
    assert_eq!(list(by_line).await, (1, vec!["S3".to_owned()]));
    let by_customer = TaskFilter { customer_id: Some("C9".into()), ..Default::default() };
    assert_eq!(list(by_customer).await, (1, vec!["S6".to_owned()]));
    let by_rule = TaskFilter { rule_id: Some("silent".into()), ..Default::default() };
    assert_eq!(list(by_rule).await.0, 1);

    // Pages: limit and offset apply to the list, not to the count.
    let page = TaskFilter { limit: 2, offset: 2, ..mine.clone() };
    assert_eq!(list(page).await, (6, vec!["S2".to_owned(), "S3".to_owned()]));

    let s4 = created.iter().find(|t| t.task.subject == "S4").expect("S4 was raised").task_id;
    assert!(matches!(
        store.claim_task(s4, "u1", "2026-11-01T11:00:00+08:00").await.expect("claim"),
        Claim::Claimed(_)
    ));
    let claimed = TaskFilter { status: Some("claimed".into()), ..Default::default() };
    assert_eq!(list(claimed).await, (1, vec!["S4".to_owned()]));
    let open = TaskFilter { status: Some("open".into()), ..mine };
    assert_eq!(list(open).await.0, 5);
}

pub(crate) async fn a_claim_is_exclusive(store: Arc<dyn Store>) {
    let created =
        store.raise_tasks(&[new_task("r", "S1", "c"), new_task("r", "S2", "c")]).await.expect("raise");
    let (first, second) = (created[0].task_id, created[1].task_id);

    let Claim::Claimed(claimed) =
        store.claim_task(first, "u1", "2026-11-01T11:00:00+08:00").await.expect("claim")
    else {
        panic!("an open task can be claimed");
    };
    assert_eq!(claimed.status, "claimed");
    assert_eq!(claimed.claimed_by.as_deref(), Some("u1"));
    assert_eq!(claimed.claimed_at.as_deref(), Some("2026-11-01T11:00:00+08:00"));
    assert_eq!(store.task(first).await.expect("task"), Some(claimed.clone()));

    assert_eq!(
        store.claim_task(first, "u2", "2026-11-01T11:01:00+08:00").await.expect("claim"),
        Claim::Taken { by: "u1".to_owned() }
    );
    // Claiming again what one holds returns it, still claimed since the first time.
    assert_eq!(
        store.claim_task(first, "u1", "2026-11-01T12:00:00+08:00").await.expect("claim"),
        Claim::Claimed(claimed)
    );
    assert_eq!(
        store.claim_task(9_999, "u1", "2026-11-01T12:00:00+08:00").await.expect("claim"),
        Claim::NotFound
    );

    store
        .record_outcome(
            &outcome(first, "2026-11-01T12:30:00+08:00", "resolved"),
            true,
            &audit("u1", "record_outcome", "t"),
        )
        .await
        .expect("close");
    assert_eq!(
        store.claim_task(first, "u1", "2026-11-01T13:00:00+08:00").await.expect("claim"),
        Claim::Closed
    );
    assert_eq!(
        store.claim_task(first, "u2", "2026-11-01T13:00:00+08:00").await.expect("claim"),
        Claim::Closed
    );

    // Claimants racing for the same task: one wins, the others see who.
    let racers: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store.claim_task(second, &format!("racer{i}"), "2026-11-01T14:00:00+08:00").await
            })
        })
        .collect();
    let mut results = Vec::new();
    for racer in racers {
        results.push(racer.await.expect("join").expect("claim"));
    }
    let winners: Vec<&TaskRecord> =
        results.iter().filter_map(|r| if let Claim::Claimed(t) = r { Some(t) } else { None }).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let winner = winners[0].claimed_by.clone().expect("claimed by someone");
    for result in &results {
        assert!(
            matches!(result, Claim::Claimed(_)) || *result == Claim::Taken { by: winner.clone() },
            "{result:?}"
        );
    }
}

pub(crate) async fn outcomes_close_a_task_only_when_asked(store: Arc<dyn Store>) {
    let created = store.raise_tasks(&[new_task("r", "S1", "c")]).await.expect("raise");
    let id = created[0].task_id;
    let claimed = store.claim_task(id, "u1", "2026-11-01T11:00:00+08:00").await.expect("claim");
    assert!(matches!(claimed, Claim::Claimed(_)));

    let tried = outcome(id, "2026-11-01T11:30:00+08:00", "not_reached");
    let recorded =
        store.record_outcome(&tried, false, &audit("u1", "record_outcome", "t")).await.expect("record");
    let OutcomeRecorded::New(task) = recorded else { panic!("{recorded:?}") };
    assert_eq!(
        (task.status.as_str(), task.last_outcome.as_deref(), task.closed_at.as_deref()),
        ("claimed", Some("not_reached"), None)
    );
    assert_eq!(task.claimed_by.as_deref(), Some("u1"));

    let done =
        OutcomeRecord { confirm_suspension: true, ..outcome(id, "2026-11-02T09:00:00+08:00", "retained") };
    let recorded =
        store.record_outcome(&done, true, &audit("u1", "record_outcome", "t")).await.expect("record");
    let OutcomeRecorded::New(task) = recorded else { panic!("{recorded:?}") };
    assert_eq!(
        (task.status.as_str(), task.last_outcome.as_deref(), task.closed_at.as_deref()),
        ("done", Some("retained"), Some("2026-11-02T09:00:00+08:00"))
    );
    assert_eq!(store.task(id).await.expect("task"), Some(task));
    assert_eq!(store.outcomes(id).await.expect("outcomes"), [tried.clone(), done.clone()]);
    // What the manager's contact quotas count: both outcomes on M01's task, or only the later.
    let of_manager = store.manager_outcomes("M01", "2026-11-01T00:00:00+08:00").await.expect("outcomes");
    let seen: Vec<_> =
        of_manager.iter().map(|o| (o.customer_id.as_str(), o.action.as_str(), o.outcome.as_str())).collect();
    assert_eq!(seen, [("C2", "call", "not_reached"), ("C2", "call", "retained")]);
    let later = store.manager_outcomes("M01", "2026-11-02T00:00:00+08:00").await.expect("outcomes");
    assert_eq!(later.len(), 1);
    assert!(store.manager_outcomes("M02", "2026-11-01T00:00:00+08:00").await.expect("outcomes").is_empty());

    let missing = outcome(9_999, "2026-11-02T09:00:00+08:00", "resolved");
    let before = store.audit_log(&AuditFilter::default()).await.expect("audit").len();
    let recorded =
        store.record_outcome(&missing, true, &audit("u1", "record_outcome", "t")).await.expect("record");
    assert_eq!(recorded, OutcomeRecorded::NoTask);
    // A done task takes no more outcomes.
    let late = outcome(id, "2026-11-02T10:00:00+08:00", "refused");
    let recorded =
        store.record_outcome(&late, true, &audit("u1", "record_outcome", "t")).await.expect("record");
    assert_eq!(recorded, OutcomeRecorded::TaskDone);
    assert!(store.outcomes(9_999).await.expect("outcomes").is_empty(), "nothing recorded on no task");
    // Each outcome recorded is audited in its transaction; none for the missing task.
    assert_eq!(before, 2);
    assert_eq!(store.audit_log(&AuditFilter::default()).await.expect("audit").len(), 2);
}

pub(crate) async fn subjects_are_read_from_lines_and_customers(store: Arc<dyn Store>) {
    import(store.as_ref(), &base_rows()).await;
    let line = SubjectRecord {
        customer_id: "C2".to_owned(),
        subscription_id: Some("S1".to_owned()),
        vip_tier: "gold".to_owned(),
        branch_id: "B01".to_owned(),
        manager_id: Some("M01".to_owned()),
    };
    assert_eq!(
        store.line_subjects(&["nope".to_owned(), "S1".to_owned()]).await.expect("lines"),
        std::slice::from_ref(&line)
    );
    assert!(store.line_subjects(&[]).await.expect("no lines").is_empty());
    // More ids than one statement takes, the known one last.
    let mut many: Vec<String> = (0..1_200).map(|i| format!("X{i}")).collect();
    many.push("S1".to_owned());
    assert_eq!(store.line_subjects(&many).await.expect("lines"), [line]);

    let customer = |id: &str| SubjectRecord {
        customer_id: id.to_owned(),
        subscription_id: None,
        vip_tier: "gold".to_owned(),
        branch_id: "B01".to_owned(),
        manager_id: Some("M01".to_owned()),
    };
    let ids = ["G1", "X", "C2"].map(String::from);
    assert_eq!(store.customer_subjects(&ids).await.expect("customers"), [customer("G1"), customer("C2")]);
}

pub(crate) async fn rows_are_found_by_key_and_by_column(store: Arc<dyn Store>) {
    let rows = base_rows();
    import(store.as_ref(), &rows).await;
    let customers = &rows.iter().find(|(t, _)| *t == TableId::Customers).expect("customers").1;
    let (c2, g1) = (&customers[0], &customers[1]);
    assert_eq!(store.find_row(TableId::Customers, "C2").await.expect("find").as_ref(), Some(c2));
    assert_eq!(store.find_row(TableId::Customers, "nope").await.expect("find"), None);

    let by = |table: TableId, column: &'static str, value: &'static str| {
        let store = store.clone();
        async move { store.rows_by(table, column, value).await }
    };
    assert_eq!(by(TableId::Customers, "manager_id", "M01").await.expect("rows"), [c2.clone(), g1.clone()]);
    assert_eq!(by(TableId::Customers, "group_id", "G1").await.expect("rows"), std::slice::from_ref(c2));
    assert_eq!(
        by(TableId::Customers, "is_key_person", "true").await.expect("rows"),
        std::slice::from_ref(c2)
    );
    assert_eq!(
        by(TableId::Customers, "joined_on", "2010-01-01").await.expect("rows"),
        std::slice::from_ref(g1)
    );
    assert!(by(TableId::Customers, "group_id", "").await.expect("rows").is_empty());
    // The fixture's one line, S1 of customer C2.
    let lines = base_rows().into_iter().find(|(table, _)| *table == TableId::Subscriptions).expect("lines").1;
    let s1 = lines[0].clone();
    assert_eq!(by(TableId::Subscriptions, "customer_id", "C2").await.expect("rows"), [s1]);

    let refused = by(TableId::Customers, "password", "x").await;
    assert!(
        matches!(&refused, Err(weiwan_storage::Error::Internal(message)) if message.contains("password")),
        "{refused:?}"
    );
    assert!(by(TableId::Customers, "joined_on", "yesterday").await.is_err(), "not a date");
    assert!(by(TableId::UsageMonthly, "subscription_id", "S1").await.is_err(), "history is not in the store");
}

/// A task waiting in `queue` for branch `branch`, raised at `created_at`.
fn queued(subject: &str, queue: &str, branch: &str, created_at: &str) -> NewTask {
    NewTask {
        queue: Some(queue.to_owned()),
        manager_id: None,
        branch_id: branch.to_owned(),
        created_at: created_at.to_owned(),
        ..new_task("campaign:spring", subject, "outbound")
    }
}

pub(crate) async fn a_queues_tasks_are_counted_by_status_and_latest_outcome(store: Arc<dyn Store>) {
    let at = "2026-11-01T02:00:00+00:00";
    let raised = store
        .raise_tasks(&[
            queued("S1", "outbound", "B01", at),
            queued("S2", "outbound", "B01", at),
            queued("S3", "outbound", "B01", at),
            queued("S4", "outbound", "B02", at),
            queued("S5", "outbound", "B01", at),
            queued("S6", "outbound", "B02", at),
            // Left out: raised before the date, in another queue, owned by a manager.
            queued("S7", "outbound", "B01", "2026-10-31T15:59:59+00:00"),
            queued("S8", "hotline", "B01", at),
            NewTask { created_at: at.to_owned(), ..new_task("care", "S9", "birthday") },
        ])
        .await
        .expect("raise");
    let id = |subject: &str| raised.iter().find(|t| t.task.subject == subject).expect("raised").task_id;
    // S1 waits; S2 is claimed; S3 was not reached; S4 accepted, S5 refused, S6 retained.
    for subject in ["S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9"] {
        let claim = store.claim_task(id(subject), "u1", "2026-11-01T03:00:00+00:00").await.expect("claim");
        assert!(matches!(claim, Claim::Claimed(_)), "{claim:?}");
    }
    for (subject, code, closes) in [
        ("S3", "not_reached", false),
        ("S4", "accepted", true),
        ("S5", "refused", true),
        ("S6", "not_reached", false),
        ("S6", "retained", true),
        ("S7", "accepted", true),
        ("S8", "accepted", true),
        ("S9", "greeted", true),
    ] {
        let recorded = store
            .record_outcome(
                &outcome(id(subject), "2026-11-01T04:00:00+00:00", code),
                closes,
                &audit("u1", "record_outcome", subject),
            )
            .await
            .expect("record");
        assert!(matches!(recorded, OutcomeRecorded::New(_)), "{recorded:?}");
    }

    let counts = |tally: Vec<TaskTally>| -> Vec<(String, Option<String>, i64, i64)> {
        tally.into_iter().map(|t| (t.status, t.last_outcome, t.tasks, t.claimed)).collect()
    };
    let row = |status: &str, outcome: Option<&str>, tasks: i64, claimed: i64| {
        (status.to_owned(), outcome.map(str::to_owned), tasks, claimed)
    };
    let since = "2026-10-31T16:00:00+00:00";
    let all = store.queue_task_tally("outbound", since, None).await.expect("tally");
    assert_eq!(
        counts(all),
        [
            row("claimed", None, 1, 1),
            row("claimed", Some("not_reached"), 1, 1),
            row("done", Some("accepted"), 1, 1),
            row("done", Some("refused"), 1, 1),
            row("done", Some("retained"), 1, 1),
            row("open", None, 1, 0),
        ]
    );
    let b02 = store.queue_task_tally("outbound", since, Some("B02")).await.expect("tally");
    assert_eq!(counts(b02), [row("done", Some("accepted"), 1, 1), row("done", Some("retained"), 1, 1)]);
    // An earlier date takes in S7; another queue has its own tasks; an unknown branch has none.
    let earlier = store.queue_task_tally("outbound", "2026-10-31T00:00:00+00:00", None).await.expect("tally");
    assert_eq!(earlier.iter().map(|t| t.tasks).sum::<i64>(), 7);
    assert_eq!(
        earlier.iter().find(|t| t.last_outcome.as_deref() == Some("accepted")).map(|t| t.tasks),
        Some(2)
    );
    let hotline = store.queue_task_tally("hotline", since, None).await.expect("tally");
    assert_eq!(counts(hotline), [row("done", Some("accepted"), 1, 1)]);
    assert!(store.queue_task_tally("outbound", since, Some("B99")).await.expect("tally").is_empty());
}
