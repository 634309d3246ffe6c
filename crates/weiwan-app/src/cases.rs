//! Retention cases 拆机挽留 (docs/retention-cases.md): a request to leave opens a case owned by
//! whoever received it first (首问制); the owner tries to retain the customer, may give small
//! concessions and escalates to the central retention desk, which may give more and asks an
//! approver above its limit; the case closes with an outcome, goes into the ledger 台帐, and
//! counts in the monthly report by branch.
//!
//! Who holds which role is the server's business: the caller says what the actor may do
//! ([`CaseActor`]). These use cases check what holds whoever asks: the owner works an open
//! case, the desk person who claimed it works an escalated one, nobody approves their own
//! request, and every step follows the state machine of `weiwan_decision::cases`.

use std::collections::BTreeMap;

use chrono::FixedOffset;
use chrono::{DateTime, Months, NaiveDate, TimeZone, Utc};
use serde::Serialize;
use weiwan_decision::cases::{
    CasePolicy, CaseStep, Level, builtin_case_policy, due_at, next_status, required_level,
};
use weiwan_domain::codes::{CaseKind, CaseOutcome, CaseStatus, ConcessionKind, ConcessionStatus};
use weiwan_domain::{Money, TableId, Value};
use weiwan_storage::{
    AuditEntry, CaseEventRecord, CaseFilter, CaseRecord, CaseUpdate, CaseUpdated, ConcessionRecord,
    ConcessionUpdate, Opened, Store,
};

use crate::error::{Error, Result};
use crate::tasks::Actor;

pub use weiwan_storage::CaseFilter as CaseListFilter;

/// The policy in force: the built-in one (`weiwan-decision`'s `cases/policy.toml`).
pub fn policy() -> CasePolicy {
    builtin_case_policy()
}

/// Channels a request to leave comes in through.
pub const CHANNELS: [&str; 5] = ["store", "hotline", "outbound", "manager", "web_hall"];

/// Who acts on a case, and at which levels they may (from their role, as the server's
/// permission table says).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseActor {
    pub actor: Actor,
    /// Receives requests to leave and works them first (store clerks, hotline agents, managers).
    pub first_line: bool,
    /// Works at the central retention desk.
    pub desk: bool,
    /// Approves concessions above the desk's limit.
    pub approver: bool,
}

impl CaseActor {
    fn user(&self) -> &str {
        &self.actor.user_id
    }
}

/// A request to leave, as the person receiving it records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRequest {
    pub subscription_id: String,
    /// A `CaseKind` code.
    pub kind: String,
    /// One of [`CHANNELS`].
    pub channel: String,
    /// Why the customer wants to leave (1 to 500 characters).
    pub reason: String,
}

/// What someone does to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseAction {
    /// A retention attempt or remark.
    Note {
        note: String,
    },
    Escalate {
        note: String,
    },
    Claim {
        note: String,
    },
    /// A concession of `kind` worth `amount`: offered at once within the actor's level, or
    /// (at the desk) asked for approval above it.
    Offer {
        kind: String,
        amount: Money,
        note: String,
    },
    /// The customer turned an offered concession down.
    Decline {
        concession_id: i64,
        note: String,
    },
    Approve {
        concession_id: i64,
        note: String,
    },
    Reject {
        concession_id: i64,
        note: String,
    },
    /// Ends the case. A kept line may name the concession the customer accepted; a line kept
    /// on a cheaper plan names that plan's monthly fee.
    Close {
        outcome: String,
        accepted_concession: Option<i64>,
        kept_fee: Option<Money>,
        note: String,
    },
}

impl CaseAction {
    fn note(&self) -> &str {
        match self {
            CaseAction::Note { note }
            | CaseAction::Escalate { note }
            | CaseAction::Claim { note }
            | CaseAction::Offer { note, .. }
            | CaseAction::Decline { note, .. }
            | CaseAction::Approve { note, .. }
            | CaseAction::Reject { note, .. }
            | CaseAction::Close { note, .. } => note,
        }
    }
}

/// A case as people see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseView {
    pub case_id: i64,
    pub customer_id: String,
    pub subscription_id: String,
    pub branch_id: String,
    pub manager_id: Option<String>,
    pub kind: String,
    pub kind_zh: String,
    pub status: String,
    pub status_zh: String,
    /// 首问负责人.
    pub owner_id: String,
    pub channel: String,
    pub reason: String,
    pub monthly_fee: Option<String>,
    pub opened_at: String,
    pub escalated_at: Option<String>,
    pub desk_owner_id: Option<String>,
    /// When the level holding the case must have acted (none when closed or awaiting approval).
    pub due_at: Option<String>,
    pub overdue: bool,
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
    pub outcome: Option<String>,
    pub outcome_zh: Option<String>,
    pub kept_fee: Option<String>,
    pub concessions: Vec<ConcessionView>,
    /// Oldest first; empty in lists.
    pub history: Vec<CaseEventView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConcessionView {
    pub concession_id: i64,
    pub kind: String,
    pub kind_zh: String,
    /// Yuan.
    pub amount: String,
    /// `first_line`, `desk` or `approval`.
    pub level: String,
    pub status: String,
    pub status_zh: String,
    pub requested_by: String,
    pub requested_at: String,
    pub approver_id: Option<String>,
    pub decided_at: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseEventView {
    pub at: String,
    pub user_id: String,
    pub action: String,
    pub from_status: String,
    pub to_status: String,
    pub concession_id: Option<i64>,
    pub channel: String,
    pub note: String,
}

/// What opening did: a new case, or the request joined the line's open case (its owner stays).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseOpened {
    pub joined: bool,
    pub case: CaseView,
}

fn parse_time(field: &str, text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::Invalid(format!("stored {field} {text:?}: {e}")))
}

fn status_of(case: &CaseRecord) -> Result<CaseStatus> {
    case.status.parse().map_err(|e| Error::Invalid(format!("retention case {}: status: {e}", case.case_id)))
}

fn yuan(fen: i64) -> String {
    Money::from_fen(fen).to_string()
}

fn concession_view(c: &ConcessionRecord) -> ConcessionView {
    let kind_zh = c.kind.parse::<ConcessionKind>().map(|k| k.label_zh().to_owned()).unwrap_or_default();
    let status_zh = c.status.parse::<ConcessionStatus>().map(|s| s.label_zh().to_owned()).unwrap_or_default();
    ConcessionView {
        concession_id: c.concession_id,
        kind: c.kind.clone(),
        kind_zh,
        amount: yuan(c.amount_fen),
        level: c.level.clone(),
        status: c.status.clone(),
        status_zh,
        requested_by: c.requested_by.clone(),
        requested_at: c.requested_at.clone(),
        approver_id: c.approver_id.clone(),
        decided_at: c.decided_at.clone(),
        note: c.note.clone(),
    }
}

fn view(
    policy: &CasePolicy,
    case: &CaseRecord,
    concessions: &[ConcessionRecord],
    history: Vec<CaseEventView>,
    now: DateTime<Utc>,
) -> Result<CaseView> {
    let status = status_of(case)?;
    let kind: CaseKind = case
        .kind
        .parse()
        .map_err(|e| Error::Invalid(format!("retention case {}: kind: {e}", case.case_id)))?;
    let opened = parse_time("opened_at", &case.opened_at)?;
    let escalated = case.escalated_at.as_deref().map(|t| parse_time("escalated_at", t)).transpose()?;
    let due = due_at(policy, status, opened, escalated);
    let outcome = case.outcome.as_deref().and_then(|o| o.parse::<CaseOutcome>().ok());
    Ok(CaseView {
        case_id: case.case_id,
        customer_id: case.customer_id.clone(),
        subscription_id: case.subscription_id.clone(),
        branch_id: case.branch_id.clone(),
        manager_id: case.manager_id.clone(),
        kind: kind.code().to_owned(),
        kind_zh: kind.label_zh().to_owned(),
        status: status.code().to_owned(),
        status_zh: status.label_zh().to_owned(),
        owner_id: case.owner_id.clone(),
        channel: case.channel.clone(),
        reason: case.reason.clone(),
        monthly_fee: case.monthly_fee_fen.map(yuan),
        opened_at: case.opened_at.clone(),
        escalated_at: case.escalated_at.clone(),
        desk_owner_id: case.desk_owner_id.clone(),
        due_at: due.map(|d| d.to_rfc3339()),
        overdue: due.is_some_and(|d| now > d),
        closed_at: case.closed_at.clone(),
        closed_by: case.closed_by.clone(),
        outcome: outcome.map(|o| o.code().to_owned()),
        outcome_zh: outcome.map(|o| o.label_zh().to_owned()),
        kept_fee: case.kept_fee_fen.map(yuan),
        concessions: concessions.iter().filter(|c| c.case_id == case.case_id).map(concession_view).collect(),
        history,
    })
}

async fn find(store: &dyn Store, case_id: i64) -> Result<CaseRecord> {
    store.find_case(case_id).await?.ok_or_else(|| Error::NotFound(format!("retention case {case_id}")))
}

/// A stored case, for the caller's scope check before anything is shown or changed.
pub async fn find_case(store: &dyn Store, case_id: i64) -> Result<CaseRecord> {
    find(store, case_id).await
}

/// A case with its concessions and history.
pub async fn case_view(store: &dyn Store, case_id: i64, now: DateTime<Utc>) -> Result<CaseView> {
    let case = find(store, case_id).await?;
    let concessions = store.case_concessions(&[case_id]).await?;
    let history = store
        .case_events(case_id)
        .await?
        .into_iter()
        .map(|e| CaseEventView {
            at: e.at,
            user_id: e.user_id,
            action: e.action,
            from_status: e.from_status,
            to_status: e.to_status,
            concession_id: e.concession_id,
            channel: e.channel,
            note: e.note,
        })
        .collect();
    view(&policy(), &case, &concessions, history, now)
}

/// Cases matching the filter, newest first, with their concessions (without history).
pub async fn list_cases(store: &dyn Store, filter: &CaseFilter, now: DateTime<Utc>) -> Result<Vec<CaseView>> {
    if let Some(status) = &filter.status {
        status.parse::<CaseStatus>().map_err(|e| Error::Invalid(format!("status: {e}")))?;
    }
    if let Some(kind) = &filter.kind {
        kind.parse::<CaseKind>().map_err(|e| Error::Invalid(format!("kind: {e}")))?;
    }
    let cases = store.cases(filter).await?;
    let ids: Vec<i64> = cases.iter().map(|c| c.case_id).collect();
    let concessions = store.case_concessions(&ids).await?;
    let policy = policy();
    cases.iter().map(|c| view(&policy, c, &concessions, Vec::new(), now)).collect()
}

fn check_note(note: &str) -> Result<()> {
    if note.chars().count() > 500 {
        return Err(Error::Invalid("note: at most 500 characters".into()));
    }
    Ok(())
}

/// The line's monthly plan fee, if the store knows the line's plan.
async fn monthly_fee(store: &dyn Store, subscription_id: &str) -> Result<Option<i64>> {
    let Some(line) = store.find_row(TableId::Subscriptions, subscription_id).await? else {
        return Ok(None);
    };
    let Some(Value::Text(plan_id)) = line.get(TableId::Subscriptions.table().index("plan_id")) else {
        return Ok(None);
    };
    let Some(plan) = store.find_row(TableId::Plans, plan_id).await? else {
        return Ok(None);
    };
    Ok(match plan.get(TableId::Plans.table().index("monthly_fee")) {
        Some(Value::Money(fee)) => Some(fee.fen()),
        _ => None,
    })
}

fn audit(actor: &Actor, at: &str, action: &str, case_id: i64, detail: serde_json::Value) -> AuditEntry {
    AuditEntry {
        id: 0,
        at: at.to_owned(),
        actor: actor.user_id.clone(),
        role: actor.role.clone(),
        action: action.to_owned(),
        object_type: "retention_case".to_owned(),
        object_id: case_id.to_string(),
        detail: detail.to_string(),
    }
}

/// Records a request to leave. The line's open case, if it has one, is joined (the request is
/// kept in its history) and keeps its owner; otherwise a new case opens, owned by the actor.
pub async fn open_case(
    store: &dyn Store,
    request: &OpenRequest,
    actor: &CaseActor,
    now: DateTime<Utc>,
) -> Result<CaseOpened> {
    if !actor.first_line {
        return Err(Error::Forbidden(
            "only the first line (store, hotline, managers) receives requests to leave".into(),
        ));
    }
    let kind: CaseKind = request.kind.parse().map_err(|e| Error::Invalid(format!("kind: {e}")))?;
    if !CHANNELS.contains(&request.channel.as_str()) {
        return Err(Error::Invalid(format!(
            "channel: {:?} is not one of {}",
            request.channel,
            CHANNELS.join(", ")
        )));
    }
    let reason_chars = request.reason.trim().chars().count();
    if reason_chars == 0 || reason_chars > 500 {
        return Err(Error::Invalid("reason: 1 to 500 characters: why the customer wants to leave".into()));
    }
    let subject = store
        .line_subjects(std::slice::from_ref(&request.subscription_id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Error::NotFound(format!("line {}", request.subscription_id)))?;
    let at = now.to_rfc3339();
    let record = CaseRecord {
        case_id: 0,
        customer_id: subject.customer_id,
        subscription_id: request.subscription_id.clone(),
        branch_id: subject.branch_id,
        manager_id: subject.manager_id,
        kind: kind.code().to_owned(),
        status: CaseStatus::Open.code().to_owned(),
        owner_id: actor.user().to_owned(),
        channel: request.channel.clone(),
        reason: request.reason.trim().to_owned(),
        monthly_fee_fen: monthly_fee(store, &request.subscription_id).await?,
        opened_at: at.clone(),
        escalated_at: None,
        escalated_by: None,
        desk_owner_id: None,
        closed_at: None,
        closed_by: None,
        outcome: None,
        kept_fee_fen: None,
        version: 0,
    };
    let (joined, case) = match store.open_case(&record).await? {
        Opened::New(case) => (false, case),
        Opened::Joined(case) => (true, case),
    };
    let action = if joined { "join_case" } else { "open_case" };
    let detail = serde_json::json!({
        "subscription_id": request.subscription_id, "kind": kind.code(), "channel": request.channel,
        "owner": case.owner_id,
    });
    store.append_audit(&audit(&actor.actor, &at, action, case.case_id, detail)).await?;
    Ok(CaseOpened { joined, case: case_view(store, case.case_id, now).await? })
}

/// Who may work a case in its status: the owner while it is open, the desk person who claimed
/// it while it is escalated.
fn require_worker(case: &CaseRecord, status: CaseStatus, actor: &CaseActor) -> Result<Level> {
    let id = case.case_id;
    match status {
        CaseStatus::Open if actor.user() == case.owner_id => Ok(Level::FirstLine),
        CaseStatus::Open => Err(Error::Conflict(format!(
            "retention case {id} is owned by {} (首问负责人), who works it until it is escalated",
            case.owner_id
        ))),
        CaseStatus::Escalated | CaseStatus::PendingApproval => match &case.desk_owner_id {
            Some(desk) if desk == actor.user() => Ok(Level::Desk),
            Some(desk) => Err(Error::Conflict(format!("retention case {id} is held at the desk by {desk}"))),
            None => Err(Error::Conflict(format!(
                "retention case {id} is at the retention desk and nobody claimed it yet; claim it first"
            ))),
        },
        CaseStatus::Closed => Err(Error::Conflict(format!("retention case {id} is closed"))),
    }
}

fn concession_of(
    concessions: &[ConcessionRecord],
    case_id: i64,
    concession_id: i64,
    expected: ConcessionStatus,
) -> Result<&ConcessionRecord> {
    let found = concessions
        .iter()
        .find(|c| c.concession_id == concession_id)
        .ok_or_else(|| Error::NotFound(format!("concession {concession_id} of retention case {case_id}")))?;
    if found.status != expected.code() {
        return Err(Error::Conflict(format!(
            "concession {concession_id} of retention case {case_id} is {}, not {}",
            found.status,
            expected.code()
        )));
    }
    Ok(found)
}

fn move_concession(c: &ConcessionRecord, to: ConcessionStatus) -> ConcessionUpdate {
    ConcessionUpdate {
        concession_id: c.concession_id,
        from_status: c.status.clone(),
        to_status: to.code().to_owned(),
        approver_id: None,
        decided_at: None,
    }
}

/// Applies an action to a case, as the state machine and the policy allow; the change and its
/// event are one transaction, applied only if nobody changed the case meanwhile.
pub async fn act_on_case(
    store: &dyn Store,
    case_id: i64,
    action: &CaseAction,
    actor: &CaseActor,
    now: DateTime<Utc>,
) -> Result<CaseView> {
    check_note(action.note())?;
    let policy = policy();
    let case = find(store, case_id).await?;
    let status = status_of(&case)?;
    let concessions = store.case_concessions(&[case_id]).await?;
    let at = now.to_rfc3339();
    let mut next = case.clone();
    let mut new_concession = None;
    let mut concession_updates = Vec::new();
    let mut concession_id = None;
    let step = match action {
        CaseAction::Note { .. } => {
            if status != CaseStatus::Closed && actor.user() != case.owner_id {
                require_worker(&case, status, actor)?;
            }
            CaseStep::Note
        }
        CaseAction::Escalate { .. } => {
            if status == CaseStatus::Open {
                require_worker(&case, status, actor)?;
            }
            next.escalated_at = Some(at.clone());
            next.escalated_by = Some(actor.user().to_owned());
            // Offers the customer did not take stay on record as turned down.
            for c in concessions.iter().filter(|c| c.status == ConcessionStatus::Offered.code()) {
                concession_updates.push(move_concession(c, ConcessionStatus::Declined));
            }
            CaseStep::Escalate
        }
        CaseAction::Claim { .. } => {
            if !actor.desk {
                return Err(Error::Forbidden("only the retention desk claims escalated cases".into()));
            }
            if let Some(desk) = &case.desk_owner_id
                && desk != actor.user()
                && status == CaseStatus::Escalated
            {
                return Err(Error::Conflict(format!(
                    "retention case {case_id} is held at the desk by {desk}"
                )));
            }
            next.desk_owner_id = Some(actor.user().to_owned());
            CaseStep::Claim
        }
        CaseAction::Offer { kind, amount, note } => {
            let kind: ConcessionKind = kind.parse().map_err(|e| Error::Invalid(format!("kind: {e}")))?;
            let required = required_level(&policy, kind, *amount)
                .map_err(|e| Error::Invalid(format!("concession: {e}")))?;
            let level = if status == CaseStatus::Closed {
                Level::FirstLine
            } else {
                require_worker(&case, status, actor)?
            };
            let concession_status =
                if required <= level { ConcessionStatus::Offered } else { ConcessionStatus::PendingApproval };
            new_concession = Some(ConcessionRecord {
                concession_id: 0,
                case_id,
                kind: kind.code().to_owned(),
                amount_fen: amount.fen(),
                level: required.code().to_owned(),
                status: concession_status.code().to_owned(),
                requested_by: actor.user().to_owned(),
                requested_at: at.clone(),
                approver_id: None,
                decided_at: None,
                note: note.clone(),
            });
            if status == CaseStatus::Open && required > Level::FirstLine {
                return Err(Error::Conflict(format!(
                    "retention case {case_id}: {amount} yuan of {kind} is beyond the first line ({} yuan of {}); \
                     escalate to the retention desk",
                    policy.first_line.limit,
                    policy.first_line.kinds.iter().map(|k| k.code()).collect::<Vec<_>>().join(", ")
                )));
            }
            CaseStep::Offer { required }
        }
        CaseAction::Decline { concession_id: id, .. } => {
            if status != CaseStatus::Closed {
                require_worker(&case, status, actor)?;
            }
            let c = concession_of(&concessions, case_id, *id, ConcessionStatus::Offered)?;
            concession_updates.push(move_concession(c, ConcessionStatus::Declined));
            concession_id = Some(*id);
            CaseStep::Decline
        }
        CaseAction::Approve { concession_id: id, note } | CaseAction::Reject { concession_id: id, note } => {
            let approve = matches!(action, CaseAction::Approve { .. });
            if !actor.approver {
                return Err(Error::Forbidden("only approvers decide on concessions".into()));
            }
            let c = concession_of(&concessions, case_id, *id, ConcessionStatus::PendingApproval)?;
            if c.requested_by == actor.user() {
                return Err(Error::Conflict(format!(
                    "concession {id} of retention case {case_id}: its requester cannot approve or reject it"
                )));
            }
            if !approve && note.trim().is_empty() {
                return Err(Error::Invalid("note: a rejection says why".into()));
            }
            let to = if approve { ConcessionStatus::Offered } else { ConcessionStatus::Rejected };
            concession_updates.push(ConcessionUpdate {
                approver_id: Some(actor.user().to_owned()),
                decided_at: Some(at.clone()),
                ..move_concession(c, to)
            });
            concession_id = Some(*id);
            if approve { CaseStep::Approve } else { CaseStep::Reject }
        }
        CaseAction::Close { outcome, accepted_concession, kept_fee, .. } => {
            let outcome: CaseOutcome =
                outcome.parse().map_err(|e| Error::Invalid(format!("outcome: {e}")))?;
            if status != CaseStatus::Closed {
                require_worker(&case, status, actor)?;
            }
            if accepted_concession.is_some() && !outcome.keeps_line() {
                return Err(Error::Invalid(format!(
                    "accepted_concession: a case closed {} gave nothing",
                    outcome.code()
                )));
            }
            match (outcome, kept_fee) {
                (CaseOutcome::Downgraded, None) => {
                    return Err(Error::Invalid(
                        "kept_fee: a downgraded line names its new monthly fee".into(),
                    ));
                }
                (CaseOutcome::Downgraded, Some(fee)) if fee.fen() <= 0 => {
                    return Err(Error::Invalid("kept_fee: must be above 0".into()));
                }
                (CaseOutcome::Downgraded, Some(_)) => {}
                (_, Some(_)) => {
                    return Err(Error::Invalid(
                        "kept_fee: only for a line kept on a cheaper plan (downgraded)".into(),
                    ));
                }
                (_, None) => {}
            }
            if let Some(id) = accepted_concession {
                let c = concession_of(&concessions, case_id, *id, ConcessionStatus::Offered)?;
                concession_updates.push(move_concession(c, ConcessionStatus::Accepted));
                concession_id = Some(*id);
            }
            for c in concessions.iter().filter(|c| {
                c.status == ConcessionStatus::Offered.code() && Some(c.concession_id) != *accepted_concession
            }) {
                concession_updates.push(move_concession(c, ConcessionStatus::Declined));
            }
            next.closed_at = Some(at.clone());
            next.closed_by = Some(actor.user().to_owned());
            next.outcome = Some(outcome.code().to_owned());
            next.kept_fee_fen = kept_fee.map(Money::fen);
            CaseStep::Close
        }
    };
    let to = next_status(status, step, case.escalated_at.is_some())
        .map_err(|e| Error::Conflict(format!("retention case {case_id}: {e}")))?;
    next.status = to.code().to_owned();
    let event = CaseEventRecord {
        case_id,
        at: at.clone(),
        user_id: actor.user().to_owned(),
        action: step.code().to_owned(),
        from_status: status.code().to_owned(),
        to_status: to.code().to_owned(),
        concession_id,
        channel: String::new(),
        note: action.note().to_owned(),
    };
    let update = CaseUpdate { case: next, new_concession, concession_updates, event };
    let concession_id = match store.update_case(&update).await? {
        CaseUpdated::Applied { concession_id: added } => added.or(concession_id),
        CaseUpdated::Stale => {
            return Err(Error::Conflict(format!("retention case {case_id} changed meanwhile; look again")));
        }
    };
    let detail = serde_json::json!({
        "from": status.code(), "to": to.code(), "concession_id": concession_id, "note": action.note(),
    });
    store.append_audit(&audit(&actor.actor, &at, &format!("{}_case", step.code()), case_id, detail)).await?;
    case_view(store, case_id, now).await
}

// ---------------------------------------------------------------------------------------------
// The ledger 台帐 and the monthly report

/// China time, in which months begin and end.
pub(crate) fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| unreachable!("UTC+8 is a valid offset"))
}

/// A month `YYYY-MM` as its first day and the store's text bounds `[from, to)` (UTC, RFC 3339)
/// of its China-time start and end.
pub fn month_bounds(month: &str) -> Result<(NaiveDate, String, String)> {
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .ok()
        .filter(|_| month.len() == 7)
        .ok_or_else(|| Error::Invalid(format!("month: {month:?} is not a month (YYYY-MM)")))?;
    let next = first + Months::new(1);
    let bound = |day: NaiveDate| -> Result<String> {
        let midnight = day.and_hms_opt(0, 0, 0).ok_or_else(|| Error::Invalid(format!("month: {month:?}")))?;
        let local = china()
            .from_local_datetime(&midnight)
            .single()
            .ok_or_else(|| Error::Invalid(format!("month: {month:?}")))?;
        Ok(local.with_timezone(&Utc).to_rfc3339())
    };
    Ok((first, bound(first)?, bound(next)?))
}

/// One closed case in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerEntry {
    pub case_id: i64,
    pub branch_id: String,
    pub customer_id: String,
    pub subscription_id: String,
    pub kind: String,
    pub kind_zh: String,
    pub channel: String,
    pub owner_id: String,
    pub escalated: bool,
    pub desk_owner_id: Option<String>,
    pub opened_at: String,
    pub closed_at: String,
    pub outcome: String,
    pub outcome_zh: String,
    /// Concessions the customer accepted, with who approved those above the desk.
    pub concessions: Vec<ConcessionView>,
    /// Yuan: what the accepted concessions cost.
    pub concession_cost: String,
    pub line_kept: bool,
    /// Yuan a month the kept line pays (its plan's fee, or the cheaper plan's), if known.
    pub monthly_fee_kept: Option<String>,
    /// Yuan: the monthly fee kept × the policy's kept months; none if the line was lost or its
    /// fee is unknown.
    pub revenue_kept: Option<String>,
    /// A contract-payoff case closed retained: no payoff request until this date (China time).
    pub no_payoff_until: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ledger {
    pub month: String,
    pub kept_months: u32,
    pub entries: Vec<LedgerEntry>,
    pub cases: u64,
    pub lines_kept: u64,
    pub concession_cost: String,
    pub revenue_kept: String,
}

/// The ledger 台帐 of a month (China time): every case closed in it, oldest first, with its
/// outcome, the concessions granted and their cost, and the revenue kept. `branch_id` narrows
/// it to one branch.
pub async fn ledger(store: &dyn Store, month: &str, branch_id: Option<&str>) -> Result<Ledger> {
    let policy = policy();
    let (_, from, to) = month_bounds(month)?;
    let filter = CaseFilter {
        branch_id: branch_id.map(str::to_owned),
        status: Some(CaseStatus::Closed.code().to_owned()),
        closed_from: Some(from),
        closed_to: Some(to),
        ..CaseFilter::default()
    };
    let mut cases = store.cases(&filter).await?;
    cases.sort_by(|a, b| (&a.closed_at, a.case_id).cmp(&(&b.closed_at, b.case_id)));
    let ids: Vec<i64> = cases.iter().map(|c| c.case_id).collect();
    let concessions = store.case_concessions(&ids).await?;
    let mut entries = Vec::with_capacity(cases.len());
    let (mut cost_total, mut revenue_total, mut kept_total) = (0i64, 0i64, 0u64);
    for case in &cases {
        let outcome: CaseOutcome = case
            .outcome
            .as_deref()
            .unwrap_or_default()
            .parse()
            .map_err(|e| Error::Invalid(format!("retention case {}: outcome: {e}", case.case_id)))?;
        let kind: CaseKind = case
            .kind
            .parse()
            .map_err(|e| Error::Invalid(format!("retention case {}: kind: {e}", case.case_id)))?;
        let granted: Vec<&ConcessionRecord> = concessions
            .iter()
            .filter(|c| c.case_id == case.case_id && c.status == ConcessionStatus::Accepted.code())
            .collect();
        let cost: i64 = granted.iter().map(|c| c.amount_fen).sum();
        let kept = outcome.keeps_line();
        let fee_kept = if kept { case.kept_fee_fen.or(case.monthly_fee_fen) } else { None };
        let revenue = fee_kept.map(|fee| fee * i64::from(policy.kept_months));
        let closed_at = case.closed_at.clone().unwrap_or_default();
        let no_payoff_until = if kind == CaseKind::ContractPayoff && outcome == CaseOutcome::Retained {
            let closed = parse_time("closed_at", &closed_at)?.with_timezone(&china()).date_naive();
            closed.checked_add_months(Months::new(policy.payoff_lock_months)).map(|d| d.to_string())
        } else {
            None
        };
        cost_total += cost;
        revenue_total += revenue.unwrap_or(0);
        kept_total += u64::from(kept);
        entries.push(LedgerEntry {
            case_id: case.case_id,
            branch_id: case.branch_id.clone(),
            customer_id: case.customer_id.clone(),
            subscription_id: case.subscription_id.clone(),
            kind: kind.code().to_owned(),
            kind_zh: kind.label_zh().to_owned(),
            channel: case.channel.clone(),
            owner_id: case.owner_id.clone(),
            escalated: case.escalated_at.is_some(),
            desk_owner_id: case.desk_owner_id.clone(),
            opened_at: case.opened_at.clone(),
            closed_at,
            outcome: outcome.code().to_owned(),
            outcome_zh: outcome.label_zh().to_owned(),
            concessions: granted.iter().map(|c| concession_view(c)).collect(),
            concession_cost: yuan(cost),
            line_kept: kept,
            monthly_fee_kept: fee_kept.map(yuan),
            revenue_kept: revenue.map(yuan),
            no_payoff_until,
        });
    }
    Ok(Ledger {
        month: month.to_owned(),
        kept_months: policy.kept_months,
        cases: entries.len() as u64,
        lines_kept: kept_total,
        concession_cost: yuan(cost_total),
        revenue_kept: yuan(revenue_total),
        entries,
    })
}

/// Counts of one kind of case in a branch's month.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KindCounts {
    pub kind: String,
    pub kind_zh: String,
    pub opened: u64,
    pub closed: u64,
    pub kept: u64,
    pub lost: u64,
}

/// One branch's month.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BranchCases {
    pub branch_id: String,
    pub branch_name: String,
    /// Cases opened in the month.
    pub opened: u64,
    /// Cases closed in the month, by outcome.
    pub closed: u64,
    pub retained: u64,
    pub downgraded: u64,
    pub lost: u64,
    pub withdrawn: u64,
    /// (retained + downgraded) / (retained + downgraded + lost) of the cases closed in the
    /// month; withdrawn requests are left out. None without such cases.
    pub retention_rate: Option<f64>,
    /// Yuan granted on the cases closed in the month.
    pub concession_cost: String,
    /// Share of the cases closed in the month that went to the retention desk.
    pub escalated_share: Option<f64>,
    pub by_kind: Vec<KindCounts>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseReport {
    pub month: String,
    pub branches: Vec<BranchCases>,
    /// Every branch together.
    pub total: BranchCases,
}

#[derive(Default)]
struct Tally {
    opened: u64,
    closed: u64,
    outcomes: BTreeMap<CaseOutcome, u64>,
    escalated: u64,
    cost_fen: i64,
    kinds: BTreeMap<CaseKind, KindCounts>,
}

impl Tally {
    fn kind(&mut self, kind: CaseKind) -> &mut KindCounts {
        self.kinds.entry(kind).or_insert_with(|| KindCounts {
            kind: kind.code().to_owned(),
            kind_zh: kind.label_zh().to_owned(),
            ..KindCounts::default()
        })
    }

    fn finish(self, branch_id: String, branch_name: String) -> BranchCases {
        let count = |o: CaseOutcome| self.outcomes.get(&o).copied().unwrap_or(0);
        let kept = count(CaseOutcome::Retained) + count(CaseOutcome::Downgraded);
        let decided = kept + count(CaseOutcome::Lost);
        let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        BranchCases {
            branch_id,
            branch_name,
            opened: self.opened,
            closed: self.closed,
            retained: count(CaseOutcome::Retained),
            downgraded: count(CaseOutcome::Downgraded),
            lost: count(CaseOutcome::Lost),
            withdrawn: count(CaseOutcome::Withdrawn),
            retention_rate: ratio(kept, decided),
            concession_cost: yuan(self.cost_fen),
            escalated_share: ratio(self.escalated, self.closed),
            by_kind: self.kinds.into_values().collect(),
        }
    }
}

/// The monthly report by branch (China-time month): cases opened, closed by outcome, the
/// retention rate, what concessions cost and how many cases went to the desk, by kind too.
pub async fn monthly_report(store: &dyn Store, month: &str, branch_id: Option<&str>) -> Result<CaseReport> {
    let (_, from, to) = month_bounds(month)?;
    let branch = branch_id.map(str::to_owned);
    let opened = store
        .cases(&CaseFilter {
            branch_id: branch.clone(),
            opened_from: Some(from.clone()),
            opened_to: Some(to.clone()),
            ..CaseFilter::default()
        })
        .await?;
    let closed = store
        .cases(&CaseFilter {
            branch_id: branch,
            status: Some(CaseStatus::Closed.code().to_owned()),
            closed_from: Some(from),
            closed_to: Some(to),
            ..CaseFilter::default()
        })
        .await?;
    let ids: Vec<i64> = closed.iter().map(|c| c.case_id).collect();
    let concessions = store.case_concessions(&ids).await?;
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    let kind_of = |c: &CaseRecord| -> Result<CaseKind> {
        c.kind.parse().map_err(|e| Error::Invalid(format!("retention case {}: kind: {e}", c.case_id)))
    };
    for case in &opened {
        let kind = kind_of(case)?;
        for tally in [tallies.entry(case.branch_id.clone()).or_default(), &mut total] {
            tally.opened += 1;
            tally.kind(kind).opened += 1;
        }
    }
    for case in &closed {
        let kind = kind_of(case)?;
        let outcome: CaseOutcome = case
            .outcome
            .as_deref()
            .unwrap_or_default()
            .parse()
            .map_err(|e| Error::Invalid(format!("retention case {}: outcome: {e}", case.case_id)))?;
        let cost: i64 = concessions
            .iter()
            .filter(|c| c.case_id == case.case_id && c.status == ConcessionStatus::Accepted.code())
            .map(|c| c.amount_fen)
            .sum();
        for tally in [tallies.entry(case.branch_id.clone()).or_default(), &mut total] {
            tally.closed += 1;
            *tally.outcomes.entry(outcome).or_default() += 1;
            tally.escalated += u64::from(case.escalated_at.is_some());
            tally.cost_fen += cost;
            let counts = tally.kind(kind);
            counts.closed += 1;
            counts.kept += u64::from(outcome.keeps_line());
            counts.lost += u64::from(outcome == CaseOutcome::Lost);
        }
    }
    let mut branches = Vec::with_capacity(tallies.len());
    for (branch_id, tally) in tallies {
        let name = match store.find_row(TableId::Branches, &branch_id).await? {
            Some(row) => match row.get(TableId::Branches.table().index("name")) {
                Some(Value::Text(name)) => name.clone(),
                _ => String::new(),
            },
            None => String::new(),
        };
        branches.push(tally.finish(branch_id, name));
    }
    Ok(CaseReport {
        month: month.to_owned(),
        branches,
        total: total.finish(String::new(), "合计 / total".to_owned()),
    })
}
