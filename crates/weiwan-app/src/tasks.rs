//! Work on tasks (claim, record an outcome), the 不轻易停机 question billing asks before it
//! suspends a line, and the customer card people open from a task.
//!
//! Who may do what is the server's business (roles and branch scope); these use cases check
//! what holds whoever asks: a task is worked by the one who holds it, an outcome is a known
//! code, and a suspension is confirmed only after the customer was reminded.

use chrono::{DateTime, Utc};
use serde::Serialize;
use weiwan_decision::{ArrearsCase, RuleBook, SuspendDecision};
use weiwan_domain::codes::{TaskAction, TaskOutcome, TaskQueue, TaskStatus, VipTier};
use weiwan_domain::{Msisdn, TableId, Value};
use weiwan_storage::{
    AuditEntry, Claim, NewTask, OutcomeRecord, OutcomeRecorded, Store, TaskFilter, TaskRecord, Transfer,
};

use crate::error::{Error, Result};

pub use weiwan_decision::rules::VIP_ARREARS_RULE;

/// Who is acting, for checks and the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: String,
    pub role: String,
}

impl Actor {
    pub(crate) fn audit(
        &self,
        at: &str,
        action: &str,
        object_type: &str,
        object_id: &str,
        detail: serde_json::Value,
    ) -> AuditEntry {
        AuditEntry {
            id: 0,
            at: at.to_owned(),
            actor: self.user_id.clone(),
            role: self.role.clone(),
            action: action.to_owned(),
            object_type: object_type.to_owned(),
            object_id: object_id.to_owned(),
            detail: detail.to_string(),
        }
    }
}

/// Claims a task; refused when someone else holds it or it is done.
pub async fn claim_task(
    store: &dyn Store,
    actor: &Actor,
    task_id: i64,
    now: DateTime<Utc>,
) -> Result<TaskRecord> {
    let at = now.to_rfc3339();
    // A campaign's task is handed out only while the contact policy lets the customer be
    // contacted (caps across campaigns, suppression after refusals, do-not-disturb).
    if let Some(task) = store.task(task_id).await?
        && task.status == TaskStatus::Open.code()
    {
        crate::contact::check_campaign_task(store, &task, now).await?;
    }
    match store.claim_task(task_id, &actor.user_id, &at).await? {
        Claim::Claimed(task) => {
            store
                .append_audit(&actor.audit(
                    &at,
                    "claim_task",
                    "task",
                    &task_id.to_string(),
                    serde_json::json!({}),
                ))
                .await?;
            Ok(task)
        }
        Claim::Taken { by } => Err(Error::Conflict(format!("task {task_id} is held by {by}"))),
        Claim::Closed => Err(Error::Conflict(format!("task {task_id} is done"))),
        Claim::NotFound => Err(Error::NotFound(format!("task {task_id}"))),
    }
}

/// An outcome as a person records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeRequest {
    pub outcome: String,
    pub note: String,
    pub confirm_suspension: bool,
    /// The client's id for this outcome (1 to 64 characters): sending it again, after a
    /// timeout or a double click, records nothing twice and answers with the task as it is.
    pub request_id: Option<String>,
    /// With `transferred`: the queue (a `TaskQueue` code) the work order goes to.
    pub transfer_to: Option<String>,
    /// Answers to the campaign's questionnaire 智能问卷, by question id.
    pub answers: Option<weiwan_decision::questionnaire::Answers>,
}

/// Records what came of a task. An open task is claimed for the actor first; a task held by
/// someone else, or done, is refused.
pub async fn record_outcome(
    store: &dyn Store,
    actor: &Actor,
    task_id: i64,
    request: &OutcomeRequest,
    now: DateTime<Utc>,
) -> Result<TaskRecord> {
    let outcome: TaskOutcome =
        request.outcome.parse().map_err(|err| Error::Invalid(format!("outcome: {err}")))?;
    if request.note.chars().count() > 500 {
        return Err(Error::Invalid("note: at most 500 characters".into()));
    }
    match (&request.transfer_to, outcome) {
        (None, TaskOutcome::Transferred) => {
            return Err(Error::Invalid("transfer_to: required with the outcome transferred".into()));
        }
        (Some(_), other) if other != TaskOutcome::Transferred => {
            return Err(Error::Invalid("transfer_to: only with the outcome transferred".into()));
        }
        _ => {}
    }
    if let Some(id) = &request.request_id
        && (id.is_empty() || id.chars().count() > 64)
    {
        return Err(Error::Invalid("request_id: 1 to 64 characters".into()));
    }
    let task = store.task(task_id).await?.ok_or_else(|| Error::NotFound(format!("task {task_id}")))?;
    if let Some(replayed) = replay(store, task_id, request).await? {
        return Ok(replayed);
    }
    let recorded = record_new_outcome(store, actor, task, outcome, request, now).await;
    // A concurrent retry of the same request may find the task claimed or closed by the very
    // request it retries: then it answers as that one did.
    if let Err(Error::Conflict(_)) = &recorded
        && let Some(replayed) = replay(store, task_id, request).await?
    {
        return Ok(replayed);
    }
    recorded
}

async fn record_new_outcome(
    store: &dyn Store,
    actor: &Actor,
    task: TaskRecord,
    outcome: TaskOutcome,
    request: &OutcomeRequest,
    now: DateTime<Utc>,
) -> Result<TaskRecord> {
    let task_id = task.task_id;
    let reached = outcome != TaskOutcome::NotReached;
    let answers = crate::questionnaires::answers_for(store, &task, request.answers.as_ref(), reached).await?;
    if request.confirm_suspension {
        if task.task.rule_id != VIP_ARREARS_RULE {
            return Err(Error::Invalid(format!(
                "confirm_suspension: only a {VIP_ARREARS_RULE} task confirms a suspension"
            )));
        }
        let reminded_before =
            store.outcomes(task_id).await?.iter().any(|o| o.outcome == TaskOutcome::Reminded.code());
        if !reminded_before && outcome != TaskOutcome::Reminded {
            return Err(Error::Invalid(
                "confirm_suspension: the customer must be reminded first (outcome reminded)".into(),
            ));
        }
    }
    let status: TaskStatus =
        task.status.parse().map_err(|e| Error::Invalid(format!("stored task status: {e}")))?;
    match status {
        TaskStatus::Done => return Err(Error::Conflict(format!("task {task_id} is done"))),
        TaskStatus::Claimed if task.claimed_by.as_deref() != Some(actor.user_id.as_str()) => {
            let by = task.claimed_by.unwrap_or_default();
            return Err(Error::Conflict(format!("task {task_id} is held by {by}")));
        }
        TaskStatus::Open => {
            claim_task(store, actor, task_id, now).await?;
        }
        TaskStatus::Claimed => {}
    }
    if outcome == TaskOutcome::DoNotCall {
        // The customer's wish holds whatever becomes of the outcome: on the do-not-disturb
        // list first (a no-op when on it already), then the outcome that closes the task.
        let reason = "asked on a contact (outcome do_not_call) / 接触中要求免打扰";
        crate::contact::set_do_not_disturb(store, &task.task.customer_id, true, reason, actor, now).await?;
    }
    if outcome == TaskOutcome::Transferred {
        return transfer(store, actor, &task, request, answers, now).await;
    }
    if outcome == TaskOutcome::Accepted {
        let channel = task.task.cause.clone();
        let taken = crate::campaigns::Taken {
            channel: &channel,
            note: &request.note,
            request_id: request.request_id.clone(),
            answers,
        };
        return crate::campaigns::accept_offer(store, &task, taken, actor, now).await;
    }
    let at = now.to_rfc3339();
    let record = OutcomeRecord {
        task_id,
        at: at.clone(),
        user_id: actor.user_id.clone(),
        outcome: outcome.code().to_owned(),
        note: request.note.clone(),
        confirm_suspension: request.confirm_suspension,
        request_id: request.request_id.clone(),
        questionnaire_id: answers.0,
        answers: answers.1,
    };
    let closes = outcome.closes_task() || request.confirm_suspension;
    let detail =
        serde_json::json!({ "outcome": outcome.code(), "confirm_suspension": request.confirm_suspension });
    let audit = actor.audit(&at, "record_outcome", "task", &task_id.to_string(), detail);
    // A campaign's contacts go into the contact ledger with their outcome and its audit entry,
    // in one transaction; a concurrent retry (same request id) stores none of them again.
    let recorded = if weiwan_storage::campaign_of_rule(&task.task.rule_id).is_some() {
        let contact = crate::contact::ledger_entry(&task, actor, outcome, now);
        store.record_contact_outcome(&record, closes, &contact, &audit).await?
    } else {
        store.record_outcome(&record, closes, &audit).await?
    };
    match recorded {
        OutcomeRecorded::New(task) | OutcomeRecorded::Replay(task) => Ok(task),
        OutcomeRecorded::TaskDone => Err(Error::Conflict(format!("task {task_id} is done"))),
        OutcomeRecorded::NoTask => Err(Error::NotFound(format!("task {task_id}"))),
    }
}

/// The task as it is when the request's id was recorded before, on this task; a request id used
/// on another task is refused.
async fn replay(store: &dyn Store, task_id: i64, request: &OutcomeRequest) -> Result<Option<TaskRecord>> {
    let Some(id) = &request.request_id else {
        return Ok(None);
    };
    match store.outcome_request(id).await? {
        None => Ok(None),
        Some(recorded) if recorded == task_id => Ok(store.task(task_id).await?),
        Some(other) => {
            Err(Error::Conflict(format!("request_id {id:?} was used for task {other}, not task {task_id}")))
        }
    }
}

/// 不轻易停机: may billing suspend this line now? For a protected (VIP) tier, only once the
/// customer was reminded of the arrears and the manager confirmed, on the line's latest
/// arrears task.
pub async fn may_suspend(
    store: &dyn Store,
    rules: &RuleBook,
    subscription_id: &str,
) -> Result<SuspendDecision> {
    let subject = store
        .line_subjects(&[subscription_id.to_owned()])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::NotFound(format!("subscription {subscription_id}")))?;
    let tier: VipTier = subject.vip_tier.parse().map_err(|e| Error::Invalid(format!("stored tier: {e}")))?;
    let filter = TaskFilter {
        rule_id: Some(VIP_ARREARS_RULE.into()),
        subscription_id: Some(subscription_id.into()),
        limit: 1000,
        ..TaskFilter::default()
    };
    // The latest arrears episode is the task raised last.
    let latest = store.tasks(&filter).await?.into_iter().max_by_key(|t| t.task_id);
    let case = match latest {
        None => None,
        Some(task) => {
            let outcomes = store.outcomes(task.task_id).await?;
            Some(ArrearsCase {
                task_id: task.task_id,
                reminded: outcomes.iter().any(|o| o.outcome == TaskOutcome::Reminded.code()),
                confirmed: outcomes.iter().any(|o| o.confirm_suspension),
            })
        }
    };
    Ok(weiwan_decision::may_suspend(tier, &rules.suspension_protected_tiers(), case.as_ref()))
}

/// A customer as people see them from a task: the customer row, their lines and their open
/// tasks. MSISDNs and ID numbers are masked unless `reveal`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CustomerCard {
    pub customer_id: String,
    pub name: String,
    pub kind: String,
    pub id_number: Option<String>,
    pub birthday: Option<String>,
    pub branch_id: String,
    pub manager_id: Option<String>,
    pub vip_tier: String,
    pub vip_tier_zh: String,
    pub joined_on: String,
    pub masked: bool,
    pub lines: Vec<LineCard>,
    pub open_tasks: Vec<TaskRecordView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LineCard {
    pub subscription_id: String,
    pub msisdn: String,
    pub plan_id: String,
    pub status: String,
    pub activated_on: String,
    pub contract_end: Option<String>,
}

/// A task as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TaskRecordView {
    pub task_id: i64,
    pub rule_id: String,
    pub category: String,
    pub action: String,
    pub customer_id: String,
    pub subscription_id: Option<String>,
    pub branch_id: String,
    pub manager_id: Option<String>,
    pub queue: Option<String>,
    pub priority: String,
    pub status: String,
    pub due_on: String,
    pub reason_zh: String,
    pub reason_en: String,
    pub cause: String,
    pub created_at: String,
    pub claimed_by: Option<String>,
    pub last_outcome: Option<String>,
}

impl From<TaskRecord> for TaskRecordView {
    fn from(record: TaskRecord) -> TaskRecordView {
        let task = record.task;
        TaskRecordView {
            task_id: record.task_id,
            rule_id: task.rule_id,
            category: task.category,
            action: task.action,
            customer_id: task.customer_id,
            subscription_id: task.subscription_id,
            branch_id: task.branch_id,
            manager_id: task.manager_id,
            queue: task.queue,
            priority: task.priority,
            status: record.status,
            due_on: task.due_on,
            reason_zh: task.reason_zh,
            reason_en: task.reason_en,
            cause: task.cause,
            created_at: task.created_at,
            claimed_by: record.claimed_by,
            last_outcome: record.last_outcome,
        }
    }
}

/// Reads a customer's card; `None` when there is no such customer.
pub async fn customer_card(
    store: &dyn Store,
    customer_id: &str,
    reveal: bool,
) -> Result<Option<CustomerCard>> {
    let Some(row) = store.find_row(TableId::Customers, customer_id).await? else {
        return Ok(None);
    };
    let table = TableId::Customers.table();
    let text = |name: &str| display(&row[table.index(name)]);
    let opt = |name: &str| Some(text(name)).filter(|t| !t.is_empty());
    let tier = text("vip_tier");
    let id_number = opt("id_number").map(|id| if reveal { id } else { mask_id_number(&id) });
    let lines_table = TableId::Subscriptions.table();
    let lines = store
        .rows_by(TableId::Subscriptions, "customer_id", customer_id)
        .await?
        .into_iter()
        .map(|line| {
            let get = |name: &str| display(&line[lines_table.index(name)]);
            let msisdn = get("msisdn");
            LineCard {
                subscription_id: get("subscription_id"),
                msisdn: if reveal {
                    msisdn
                } else {
                    Msisdn::parse(&msisdn).map(|m| m.masked()).unwrap_or_default()
                },
                plan_id: get("plan_id"),
                status: get("status"),
                activated_on: get("activated_on"),
                contract_end: Some(get("contract_end")).filter(|t| !t.is_empty()),
            }
        })
        .collect();
    let mut open_tasks = Vec::new();
    for status in [TaskStatus::Open, TaskStatus::Claimed] {
        let filter = TaskFilter {
            customer_id: Some(customer_id.into()),
            status: Some(status.code().into()),
            ..TaskFilter::default()
        };
        open_tasks.extend(store.tasks(&filter).await?.into_iter().map(TaskRecordView::from));
    }
    Ok(Some(CustomerCard {
        customer_id: text("customer_id"),
        name: text("name"),
        kind: text("kind"),
        id_number,
        birthday: opt("birthday"),
        branch_id: text("branch_id"),
        manager_id: opt("manager_id"),
        vip_tier_zh: tier.parse::<VipTier>().map(|t| t.label_zh().to_owned()).unwrap_or_default(),
        vip_tier: tier,
        joined_on: text("joined_on"),
        masked: !reveal,
        lines,
        open_tasks,
    }))
}

pub(crate) fn display(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Text(text) => text.clone(),
        Value::Int(n) => n.to_string(),
        Value::Money(m) => m.to_string(),
        Value::Date(d) => d.to_string(),
        Value::Timestamp(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        Value::Bool(b) => b.to_string(),
    }
}

/// Keeps the first 6 and last 4 characters of an ID number: 110105********1234.
pub fn mask_id_number(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 10 {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - 10;
    chars[..6].iter().chain(std::iter::repeat_n(&'*', hidden)).chain(&chars[chars.len() - 4..]).collect()
}

/// A work order 工单: the task closes as `transferred` and a task on the target queue carries
/// the customer on, with the history (who sent them, when, the note and the original reason).
/// A campaign task moves only between the campaign's channels (outbound, store, hotline), and
/// the hand-over is a contact in the ledger.
async fn transfer(
    store: &dyn Store,
    actor: &Actor,
    task: &TaskRecord,
    request: &OutcomeRequest,
    answers: (Option<String>, Option<String>),
    now: DateTime<Utc>,
) -> Result<TaskRecord> {
    let task_id = task.task_id;
    let target = request.transfer_to.as_deref().unwrap_or_default();
    let queue: TaskQueue = target.parse().map_err(|e| Error::Invalid(format!("transfer_to: {e}")))?;
    if matches!(queue, TaskQueue::Abnormal) {
        return Err(Error::Invalid(
            "transfer_to: the abnormal list is not a channel to carry a customer to".into(),
        ));
    }
    let campaign = weiwan_storage::campaign_of_rule(&task.task.rule_id).is_some();
    let from = task.task.queue.clone().unwrap_or_else(|| "manager".to_owned());
    let cause = if campaign {
        let channel: weiwan_domain::codes::ContactChannel = target.parse().map_err(|_| {
            Error::Invalid(format!(
                "transfer_to: a campaign task moves to outbound, store or hotline, not {target}"
            ))
        })?;
        if channel.code() == task.task.cause {
            return Err(Error::Invalid(format!("transfer_to: the task is on {target} already")));
        }
        channel.code().to_owned()
    } else {
        format!("{}>{}", task.task.cause, queue.code())
    };
    let at = now.to_rfc3339();
    let when = crate::contact::china_time(now).format("%Y-%m-%d %H:%M");
    let action = if queue == TaskQueue::Store { TaskAction::Visit } else { TaskAction::Call };
    let work_order = NewTask {
        rule_id: task.task.rule_id.clone(),
        subject: task.task.subject.clone(),
        cause,
        category: task.task.category.clone(),
        action: action.code().to_owned(),
        customer_id: task.task.customer_id.clone(),
        subscription_id: task.task.subscription_id.clone(),
        branch_id: task.task.branch_id.clone(),
        manager_id: None,
        queue: Some(queue.code().to_owned()),
        priority: task.task.priority.clone(),
        due_on: task.task.due_on.clone(),
        reason_zh: format!(
            "转派自{from}（{}，{when}）：{}｜{}",
            actor.user_id, request.note, task.task.reason_zh
        ),
        reason_en: format!(
            "transferred from {from} ({}, {when}): {} | {}",
            actor.user_id, request.note, task.task.reason_en
        ),
        created_at: at.clone(),
        source_event: None,
    };
    let record = OutcomeRecord {
        task_id,
        at: at.clone(),
        user_id: actor.user_id.clone(),
        outcome: TaskOutcome::Transferred.code().to_owned(),
        note: request.note.clone(),
        confirm_suspension: false,
        request_id: request.request_id.clone(),
        questionnaire_id: answers.0,
        answers: answers.1,
    };
    let contact = campaign.then(|| crate::contact::ledger_entry(task, actor, TaskOutcome::Transferred, now));
    let detail = serde_json::json!({ "outcome": "transferred", "to": queue.code() });
    let audit = actor.audit(&at, "record_outcome", "task", &task_id.to_string(), detail);
    match store.transfer_task(&record, &work_order, contact.as_ref(), &audit).await? {
        Transfer::Transferred { from, .. } | Transfer::Replay(from) => Ok(from),
        Transfer::AlreadyThere => Err(Error::Conflict(format!(
            "the customer has this task on {} already: nothing was transferred",
            queue.code()
        ))),
        Transfer::TaskDone => Err(Error::Conflict(format!("task {task_id} is done"))),
        Transfer::NoTask => Err(Error::NotFound(format!("task {task_id}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_keep_region_and_last_four() {
        assert_eq!(mask_id_number("110105199001011234"), "110105********1234");
        assert_eq!(mask_id_number("12345"), "*****");
    }
}
