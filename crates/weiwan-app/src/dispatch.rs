//! Dispatch 派单: the day's outbound call lists, balanced by capacity, and SMS batches as
//! files — both through the contact policy, both entered in the audit log, SMS in the ledger.
//!
//! Call lists: the calls waiting in the outbound queue go to the outbound managers (外呼经理)
//! of their branch, most urgent first, to whoever has the most calls left today
//! (`weiwan_decision::dispatch::balance_calls`), within the call centre's daily capacity less
//! the outbound contacts already made today. Customers the policy keeps quiet now stay in the
//! queue. Each manager gets a CSV file of their calls.
//!
//! SMS batches: one message per customer with an open task of a running campaign, rendered
//! from a checked template with the customer's offer, for the customers the policy lets an SMS
//! reach now (caps, quiet hours, do-not-disturb, suppression). The file is written, then the
//! contacts are entered in the ledger in one transaction; if that fails the file is removed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;
use weiwan_decision::dispatch::{
    Caller, QueuedCall, SmsOffer, balance_calls, check_sms_template, render_sms,
};
use weiwan_domain::codes::{CampaignStatus, ManagerRole, TaskPriority, TaskQueue, TaskStatus};
use weiwan_domain::{TableId, Value};
use weiwan_storage::{ContactEntry, Store, TaskFilter, TaskRecord, campaign_rule_id};

use crate::campaigns::{catalog, find_campaign, status_of};
use crate::contact::{LEDGER_TIME, china_time, verdicts};
use crate::error::{Error, Result};
use crate::tasks::Actor;

/// Most tasks one dispatch reads from a queue.
const MAX_QUEUED: i64 = 1_000_000;

/// What a dispatch of call lists did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CallDispatch {
    /// Calls waiting in the outbound queue.
    pub queued: u64,
    /// Left in the queue: the policy keeps the customer quiet now.
    pub kept_quiet: u64,
    /// Given to a manager, per manager.
    pub assigned: BTreeMap<String, u64>,
    /// Left in the queue: no capacity today (the managers' or the centre's).
    pub left: u64,
    /// The call centre's capacity left before this dispatch, when it has one.
    pub centre_capacity_left: Option<u64>,
    /// One call list per manager.
    pub files: Vec<PathBuf>,
}

fn text(row: &[Value], table: TableId, column: &str) -> String {
    crate::tasks::display(&row[table.table().index(column)])
}

fn priority_rank(code: &str) -> u8 {
    match code.parse::<TaskPriority>() {
        Ok(TaskPriority::Urgent) => 0,
        Ok(TaskPriority::High) => 1,
        Ok(TaskPriority::Normal) => 2,
        _ => 3,
    }
}

async fn tasks_with(store: &dyn Store, filter: TaskFilter) -> Result<Vec<TaskRecord>> {
    Ok(store.tasks(&TaskFilter { limit: MAX_QUEUED, ..filter }).await?)
}

/// Hands today's outbound queue to the outbound managers, each at most `per_manager` calls a
/// day (less the calls they hold already), and writes each manager's call list to `out_dir`.
pub async fn dispatch_calls(
    store: &dyn Store,
    per_manager: u32,
    out_dir: &Path,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<CallDispatch> {
    if per_manager == 0 || per_manager > 1000 {
        return Err(Error::Invalid("per_manager: 1 to 1000 calls a day".into()));
    }
    let at = china_time(now);
    let policy = crate::contact::policy();
    let queue = TaskFilter {
        queue: Some(TaskQueue::Outbound.code().to_owned()),
        status: Some(TaskStatus::Open.code().to_owned()),
        ..TaskFilter::default()
    };
    let queued: Vec<TaskRecord> =
        tasks_with(store, queue).await?.into_iter().filter(|t| t.task.manager_id.is_none()).collect();
    let customers: Vec<String> =
        queued.iter().map(|t| t.task.customer_id.clone()).collect::<HashSet<_>>().into_iter().collect();
    let verdicts = verdicts(store, &policy, &customers, "outbound", at).await?;
    let (callable, quiet): (Vec<&TaskRecord>, Vec<&TaskRecord>) =
        queued.iter().partition(|t| verdicts.get(&t.task.customer_id).is_none_or(|v| v.allowed()));
    // The outbound managers and the calls each can still make today.
    let mut callers = Vec::new();
    for row in store.dump_table(TableId::Managers).await? {
        if text(&row, TableId::Managers, "role") != ManagerRole::Outbound.code() {
            continue;
        }
        let manager_id = text(&row, TableId::Managers, "manager_id");
        let mut holding = 0;
        for status in [TaskStatus::Open, TaskStatus::Claimed] {
            let filter = TaskFilter {
                manager_id: Some(manager_id.clone()),
                status: Some(status.code().to_owned()),
                ..TaskFilter::default()
            };
            holding += store.count_tasks(&filter).await?;
        }
        let capacity = u32::try_from(i64::from(per_manager) - holding).unwrap_or(0);
        callers.push(Caller { manager_id, branch_id: text(&row, TableId::Managers, "branch_id"), capacity });
    }
    let today = format!("{} 00:00:00", at.date());
    let centre_left = match policy.capacity("outbound") {
        Some(per_day) => {
            let made = store.count_contacts("outbound", &today).await?;
            Some(u64::try_from(i64::from(per_day) - made).unwrap_or(0))
        }
        None => None,
    };
    let calls: Vec<QueuedCall> = callable
        .iter()
        .map(|t| QueuedCall {
            task_id: t.task_id,
            branch_id: t.task.branch_id.clone(),
            priority: priority_rank(&t.task.priority),
            due_on: t.task.due_on.parse().unwrap_or(at.date()),
        })
        .collect();
    let plan = balance_calls(&calls, &callers, centre_left.map(|c| u32::try_from(c).unwrap_or(u32::MAX)));
    let detail = serde_json::json!({ "queued": queued.len(), "planned": plan.assigned.len(), "per_manager": per_manager });
    let audit = weiwan_storage::AuditEntry {
        id: 0,
        at: now.to_rfc3339(),
        actor: actor.user_id.clone(),
        role: actor.role.clone(),
        action: "dispatch_calls".to_owned(),
        object_type: "queue".to_owned(),
        object_id: TaskQueue::Outbound.code().to_owned(),
        detail: detail.to_string(),
    };
    let assigned: HashSet<i64> = store.assign_tasks(&plan.assigned, &audit).await?.into_iter().collect();
    // The call lists: what each manager was actually given (a task claimed meanwhile is not).
    let by_id: HashMap<i64, &TaskRecord> = queued.iter().map(|t| (t.task_id, t)).collect();
    let mut lists: BTreeMap<String, Vec<&TaskRecord>> = BTreeMap::new();
    for (task_id, manager) in &plan.assigned {
        if assigned.contains(task_id)
            && let Some(task) = by_id.get(task_id)
        {
            lists.entry(manager.clone()).or_default().push(task);
        }
    }
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Error::Invalid(format!("out: cannot create {}: {e}", out_dir.display())))?;
    let mut files = Vec::new();
    for (manager, tasks) in &lists {
        let path = out_dir.join(format!("calls-{}-{manager}.csv", at.date()));
        write_call_list(store, &path, tasks).await?;
        files.push(path);
    }
    Ok(CallDispatch {
        queued: queued.len() as u64,
        kept_quiet: quiet.len() as u64,
        assigned: lists.iter().map(|(m, t)| (m.clone(), t.len() as u64)).collect(),
        left: (callable.len() - assigned.len()) as u64,
        centre_capacity_left: centre_left,
        files,
    })
}

async fn msisdn(store: &dyn Store, subscription_id: &str) -> Result<String> {
    let row = store
        .find_row(TableId::Subscriptions, subscription_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("line {subscription_id}")))?;
    Ok(text(&row, TableId::Subscriptions, "msisdn"))
}

async fn write_call_list(store: &dyn Store, path: &Path, tasks: &[&TaskRecord]) -> Result<()> {
    let io = |e: std::io::Error| Error::Invalid(format!("out: cannot write {}: {e}", path.display()));
    let mut writer = csv::Writer::from_path(path).map_err(|e| io(e.into()))?;
    let header = [
        "task_id",
        "customer_id",
        "subscription_id",
        "msisdn",
        "priority",
        "due_on",
        "reason_zh",
        "reason_en",
    ];
    writer.write_record(header).map_err(|e| io(e.into()))?;
    for task in tasks {
        let line = task.task.subscription_id.clone().unwrap_or_default();
        let number = if line.is_empty() { String::new() } else { msisdn(store, &line).await? };
        writer
            .write_record([
                task.task_id.to_string().as_str(),
                &task.task.customer_id,
                &line,
                &number,
                &task.task.priority,
                &task.task.due_on,
                &task.task.reason_zh,
                &task.task.reason_en,
            ])
            .map_err(|e| io(e.into()))?;
    }
    writer.flush().map_err(io)
}

/// What an SMS batch did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmsBatch {
    pub campaign_id: String,
    /// Customers with an open task of the campaign.
    pub customers: u64,
    /// Messages written (one per customer), each entered in the ledger.
    pub sent: u64,
    /// Customers the policy keeps from an SMS now.
    pub kept_quiet: u64,
    pub file: PathBuf,
}

/// Writes the SMS batch of a running campaign to `out` (CSV: msisdn, customer, line, text)
/// and enters each message in the contact ledger as an `sms` contact.
pub async fn sms_batch(
    store: &dyn Store,
    campaign_id: &str,
    template: &str,
    out: &Path,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<SmsBatch> {
    check_sms_template(template).map_err(|problems| Error::Invalid(problems.join("; ")))?;
    let record = find_campaign(store, campaign_id).await?;
    if status_of(&record)? != CampaignStatus::Running {
        return Err(Error::Conflict(format!("campaign {campaign_id} is {}: no SMS is sent", record.status)));
    }
    let at = china_time(now);
    let mut open = Vec::new();
    for status in [TaskStatus::Open, TaskStatus::Claimed] {
        let filter = TaskFilter {
            rule_id: Some(campaign_rule_id(campaign_id)),
            status: Some(status.code().to_owned()),
            ..TaskFilter::default()
        };
        open.extend(tasks_with(store, filter).await?);
    }
    // One message per customer, about their first line in the campaign.
    let mut first_line: BTreeMap<String, String> = BTreeMap::new();
    for task in &open {
        let entry =
            first_line.entry(task.task.customer_id.clone()).or_insert_with(|| task.task.subject.clone());
        if task.task.subject < *entry {
            entry.clone_from(&task.task.subject);
        }
    }
    let customers: Vec<String> = first_line.keys().cloned().collect();
    let verdicts = verdicts(store, &crate::contact::policy(), &customers, "sms", at).await?;
    let offers = catalog(store).await?;
    let tmp = out.with_extension("partial");
    let io = |e: std::io::Error| Error::Invalid(format!("out: cannot write {}: {e}", out.display()));
    let mut writer = csv::Writer::from_path(&tmp).map_err(|e| io(e.into()))?;
    writer.write_record(["msisdn", "customer_id", "subscription_id", "text"]).map_err(|e| io(e.into()))?;
    let mut contacts = Vec::new();
    let mut kept_quiet = 0;
    let written: Result<()> = async {
        for (customer, line) in &first_line {
            if verdicts.get(customer).is_some_and(|v| !v.allowed()) {
                kept_quiet += 1;
                continue;
            }
            let member = store
                .campaign_member(campaign_id, line)
                .await?
                .ok_or_else(|| Error::Invalid(format!("campaign {campaign_id}: line {line} is not a member")))?;
            let (offer, _) = offers.iter().find(|(o, _)| o.id == member.offer_id).ok_or_else(|| {
                Error::Invalid(format!("campaign {campaign_id}: offer {} is missing", member.offer_id))
            })?;
            let (terms_zh, terms_en) = (offer.terms_zh(), offer.terms_en());
            let message = render_sms(
                template,
                &SmsOffer {
                    terms_zh: &terms_zh,
                    terms_en: &terms_en,
                    name_zh: &offer.name_zh,
                    name_en: &offer.name_en,
                    valid_to: offer.valid_to,
                },
            );
            let number = msisdn(store, line).await?;
            writer.write_record([number.as_str(), customer, line, &message]).map_err(|e| io(e.into()))?;
            contacts.push(ContactEntry {
                customer_id: customer.clone(),
                subscription_id: Some(line.clone()),
                channel: "sms".to_owned(),
                at: at.format(LEDGER_TIME).to_string(),
                campaign_id: Some(campaign_id.to_owned()),
                task_id: None,
                user_id: actor.user_id.clone(),
                outcome: "sms_sent".to_owned(),
                refused: false,
                transactional: false,
            });
        }
        writer.flush().map_err(io)?;
        let detail = serde_json::json!({ "sent": contacts.len(), "kept_quiet": kept_quiet, "file": out.display().to_string() });
        let audit = weiwan_storage::AuditEntry {
            id: 0,
            at: now.to_rfc3339(),
            actor: actor.user_id.clone(),
            role: actor.role.clone(),
            action: "sms_batch".to_owned(),
            object_type: "campaign".to_owned(),
            object_id: campaign_id.to_owned(),
            detail: detail.to_string(),
        };
        Ok(store.record_contacts(&contacts, &audit).await?)
    }
    .await;
    if let Err(err) = written {
        // Nothing was entered in the ledger: no batch.
        let _ = std::fs::remove_file(&tmp);
        return Err(err);
    }
    std::fs::rename(&tmp, out).map_err(|e| {
        Error::Invalid(format!(
            "the batch was entered in the ledger and written to {}, but not renamed: {e}",
            tmp.display()
        ))
    })?;
    Ok(SmsBatch {
        campaign_id: campaign_id.to_owned(),
        customers: customers.len() as u64,
        sent: contacts.len() as u64,
        kept_quiet,
        file: out.to_owned(),
    })
}
