//! The contact policy 接触策略 over the contact ledger 接触记录: whether a customer may be
//! contacted now on a channel, whichever campaign asks. Campaign tasks enter every outcome in
//! the ledger; claiming a campaign task asks the policy first; a campaign's draw leaves out
//! customers the policy keeps quiet (do-not-disturb, suppressed after refusals).
//!
//! The policy in force is the built-in one (`weiwan-decision`'s `contact/policy.toml`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Days, NaiveDateTime, Utc};
use weiwan_decision::contact::{ContactPolicy, PastContact, Verdict, builtin_policy, may_contact};
use weiwan_domain::codes::TaskOutcome;
use weiwan_storage::{ContactEntry, Store, TaskRecord, campaign_of_rule};

use crate::error::{Error, Result};
use crate::tasks::Actor;

/// The policy in force.
pub fn policy() -> ContactPolicy {
    builtin_policy()
}

/// A UTC instant as China time (UTC+8), as the ledger and extracts write it.
pub fn china_time(now: DateTime<Utc>) -> NaiveDateTime {
    now.naive_utc() + chrono::Duration::hours(8)
}

pub(crate) const LEDGER_TIME: &str = "%Y-%m-%d %H:%M:%S";

/// How far back the ledger matters: a month of caps, and the suppression window and quiet
/// period after it.
pub(crate) fn lookback(policy: &ContactPolicy, at: NaiveDateTime) -> String {
    let days = 40 + policy.suppression.as_ref().map_or(0, |s| u64::from(s.within_days + s.quiet_days));
    (at - Days::new(days)).format(LEDGER_TIME).to_string()
}

pub(crate) fn past(entry: &ContactEntry) -> Option<PastContact> {
    Some(PastContact {
        channel: entry.channel.clone(),
        at: NaiveDateTime::parse_from_str(&entry.at, LEDGER_TIME).ok()?,
        refused: entry.refused,
        transactional: entry.transactional,
    })
}

/// The policy's verdict for these customers on `channel` at `at` (China time), from the
/// ledger and the do-not-disturb list.
pub async fn verdicts(
    store: &dyn Store,
    policy: &ContactPolicy,
    customer_ids: &[String],
    channel: &str,
    at: NaiveDateTime,
) -> Result<HashMap<String, Verdict>> {
    let quiet: HashSet<String> = store.do_not_disturb(customer_ids).await?.into_iter().collect();
    let mut history: HashMap<String, Vec<PastContact>> = HashMap::new();
    for entry in store.contacts(customer_ids, &lookback(policy, at)).await? {
        if let Some(contact) = past(&entry) {
            history.entry(entry.customer_id).or_default().push(contact);
        }
    }
    Ok(customer_ids
        .iter()
        .map(|id| {
            let past = history.get(id).map(Vec::as_slice).unwrap_or_default();
            (id.clone(), may_contact(policy, past, quiet.contains(id), channel, at, false))
        })
        .collect())
}

/// Refuses to hand out a campaign task whose customer the policy keeps quiet now, saying why
/// in both languages. Other tasks (warnings, care) pass.
pub async fn check_campaign_task(store: &dyn Store, task: &TaskRecord, now: DateTime<Utc>) -> Result<()> {
    if campaign_of_rule(&task.task.rule_id).is_none() {
        return Ok(());
    }
    let policy = policy();
    let customer = task.task.customer_id.clone();
    let verdict =
        verdicts(store, &policy, std::slice::from_ref(&customer), &task.task.cause, china_time(now))
            .await?
            .remove(&customer)
            .unwrap_or(Verdict::Allowed);
    if verdict.allowed() {
        Ok(())
    } else {
        Err(Error::Conflict(format!(
            "contact policy: {} / 接触策略：{}",
            verdict.reason_en(),
            verdict.reason_zh()
        )))
    }
}

/// The ledger entry of an outcome recorded on a campaign task.
pub fn ledger_entry(
    task: &TaskRecord,
    actor: &Actor,
    outcome: TaskOutcome,
    now: DateTime<Utc>,
) -> ContactEntry {
    ContactEntry {
        customer_id: task.task.customer_id.clone(),
        subscription_id: task.task.subscription_id.clone(),
        channel: task.task.cause.clone(),
        at: china_time(now).format(LEDGER_TIME).to_string(),
        campaign_id: campaign_of_rule(&task.task.rule_id).map(str::to_owned),
        task_id: Some(task.task_id),
        user_id: actor.user_id.clone(),
        outcome: outcome.code().to_owned(),
        refused: outcome == TaskOutcome::Refused,
        transactional: false,
    }
}

/// Puts a customer on the do-not-disturb list 免打扰, or takes them off.
pub async fn set_do_not_disturb(
    store: &dyn Store,
    customer_id: &str,
    on: bool,
    reason: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<bool> {
    if reason.chars().count() > 200 {
        return Err(Error::Invalid("reason: at most 200 characters".into()));
    }
    let at = now.to_rfc3339();
    let changed = store.set_do_not_disturb(customer_id, on, &at, &actor.user_id, reason).await?;
    if changed {
        let action = if on { "add_do_not_disturb" } else { "remove_do_not_disturb" };
        store
            .append_audit(&weiwan_storage::AuditEntry {
                id: 0,
                at,
                actor: actor.user_id.clone(),
                role: actor.role.clone(),
                action: action.to_owned(),
                object_type: "customer".to_owned(),
                object_id: customer_id.to_owned(),
                detail: serde_json::json!({ "reason": reason }).to_string(),
            })
            .await?;
    }
    Ok(changed)
}
