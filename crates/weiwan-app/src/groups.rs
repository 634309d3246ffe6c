//! Group customers 集团客户 (docs/groups.md): the group with its members and lines, its key
//! persons 关键人 and their influence, the service level its tier is owed (named manager,
//! response time, periodic report; `weiwan-decision`'s `groups/policy.toml`), the members'
//! churn risk as the daily batch raised it for their key persons, and the periodic report.
//!
//! The hierarchy is the extract's (`customers.kind`, `group_id`, `is_key_person`); a key
//! person's influence is recorded by managers in the store. Who may see which group is the
//! server's business; these use cases take what the caller may reveal.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use weiwan_analytics::members::{LineRisk, group_line_risks};
use weiwan_analytics::{KeyPersonRow, Lake};
use weiwan_decision::groups::{GroupPolicy, ReportPeriod, ServiceLevel, builtin_group_policy};
use weiwan_domain::codes::{CustomerKind, KeyPersonRole, VipTier};
use weiwan_domain::{Msisdn, TableId, Value};
use weiwan_storage::{AuditEntry, CaseFilter, InfluenceRecord, Store, TaskFilter};

use crate::error::{Error, Result};
use crate::tasks::{Actor, display};

/// The policy in force: the built-in one.
pub fn policy() -> GroupPolicy {
    builtin_group_policy()
}

use crate::cases::china;

/// A customer row of the store, by column name.
struct Customer {
    row: Vec<Value>,
}

impl Customer {
    fn get(&self, column: &str) -> String {
        display(&self.row[TableId::Customers.table().index(column)])
    }

    fn opt(&self, column: &str) -> Option<String> {
        Some(self.get(column)).filter(|v| !v.is_empty())
    }

    fn is_key_person(&self) -> bool {
        self.get("is_key_person") == "true"
    }
}

async fn customer(store: &dyn Store, customer_id: &str) -> Result<Option<Customer>> {
    Ok(store.find_row(TableId::Customers, customer_id).await?.map(|row| Customer { row }))
}

/// A group customer as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSummary {
    pub group_id: String,
    pub name: String,
    pub branch_id: String,
    pub manager_id: Option<String>,
    pub vip_tier: String,
    pub vip_tier_zh: String,
    pub members: usize,
}

/// Every group customer, optionally of one branch, by id.
pub async fn list_groups(store: &dyn Store, branch_id: Option<&str>) -> Result<Vec<GroupSummary>> {
    let groups = store.rows_by(TableId::Customers, "kind", CustomerKind::Group.code()).await?;
    let mut listed = Vec::new();
    for row in groups {
        let group = Customer { row };
        if branch_id.is_some_and(|b| b != group.get("branch_id")) {
            continue;
        }
        let members = store.rows_by(TableId::Customers, "group_id", &group.get("customer_id")).await?.len();
        let tier = group.get("vip_tier");
        listed.push(GroupSummary {
            group_id: group.get("customer_id"),
            name: group.get("name"),
            branch_id: group.get("branch_id"),
            manager_id: group.opt("manager_id"),
            vip_tier_zh: tier.parse::<VipTier>().map(|t| t.label_zh().to_owned()).unwrap_or_default(),
            vip_tier: tier,
            members,
        });
    }
    Ok(listed)
}

/// A stored group customer, for the caller's scope check: its branch and manager.
pub async fn find_group(store: &dyn Store, group_id: &str) -> Result<GroupSummary> {
    let not_found = || Error::NotFound(format!("group customer {group_id}"));
    let group = customer(store, group_id).await?.ok_or_else(not_found)?;
    if group.get("kind") != CustomerKind::Group.code() {
        return Err(not_found());
    }
    let tier = group.get("vip_tier");
    Ok(GroupSummary {
        group_id: group_id.to_owned(),
        name: group.get("name"),
        branch_id: group.get("branch_id"),
        manager_id: group.opt("manager_id"),
        vip_tier_zh: tier.parse::<VipTier>().map(|t| t.label_zh().to_owned()).unwrap_or_default(),
        vip_tier: tier,
        members: store.rows_by(TableId::Customers, "group_id", group_id).await?.len(),
    })
}

/// The group page: everything a named manager needs about one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupView {
    pub group: GroupSummary,
    pub service_level: ServiceLevel,
    /// The tier needs a named account manager 专属客户经理 and the group has none.
    pub named_manager_missing: bool,
    /// The report period of the group's frequency that holds today (none when it gets none).
    pub current_period: Option<ReportPeriod>,
    /// The date of the tagged 360 table the risks come from; `None` before any batch.
    pub risk_as_of: Option<String>,
    /// The policy's threshold for "at risk".
    pub at_risk_threshold: f64,
    pub key_persons: Vec<KeyPersonView>,
    pub members: Vec<MemberView>,
    /// Lines of the group and its members; lines at or above the threshold.
    pub lines: usize,
    pub lines_at_risk: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyPersonView {
    pub customer_id: String,
    pub name: String,
    pub role: String,
    pub role_zh: String,
    /// w in [0, 1].
    pub weight: f64,
    /// Whether a manager recorded it; else the policy's default for `unrecorded_role`.
    pub recorded: bool,
    pub note: String,
    pub updated_at: Option<String>,
    pub updated_by: Option<String>,
    /// The model's highest probability among the person's own lines (the pₖ of the rule).
    pub churn_probability: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberView {
    pub customer_id: String,
    pub name: String,
    pub vip_tier: String,
    pub manager_id: Option<String>,
    pub is_key_person: bool,
    pub lines: Vec<GroupLineView>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupLineView {
    pub subscription_id: String,
    /// Masked unless the caller is the member's own manager.
    pub msisdn: String,
    pub plan_id: String,
    pub status: String,
    /// Raised by the key persons.
    pub churn_probability: Option<f64>,
    pub churn_probability_model: Option<f64>,
    pub key_person_risk: Option<f64>,
    pub at_risk: bool,
    pub churn_reasons_zh: Option<String>,
    pub churn_reasons_en: Option<String>,
}

/// Who may see the numbers in full: the manager whose customers they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reveal {
    pub manager_id: Option<String>,
}

fn permille(weight: f64) -> i64 {
    (weight * 1000.0).round() as i64
}

/// The key persons of a group with their influence (recorded, or the policy's default).
async fn key_persons(
    store: &dyn Store,
    policy: &GroupPolicy,
    members: &[Customer],
    group_id: &str,
) -> Result<Vec<KeyPersonView>> {
    let recorded: BTreeMap<String, InfluenceRecord> =
        store.influences(Some(group_id)).await?.into_iter().map(|r| (r.customer_id.clone(), r)).collect();
    let mut persons = Vec::new();
    for member in members.iter().filter(|m| m.is_key_person()) {
        let id = member.get("customer_id");
        let view = match recorded.get(&id) {
            Some(r) => {
                let role = r.role.parse::<KeyPersonRole>().unwrap_or(policy.unrecorded_role);
                KeyPersonView {
                    customer_id: id,
                    name: member.get("name"),
                    role: role.code().to_owned(),
                    role_zh: role.label_zh().to_owned(),
                    weight: r.weight_permille as f64 / 1000.0,
                    recorded: true,
                    note: r.note.clone(),
                    updated_at: Some(r.updated_at.clone()),
                    updated_by: Some(r.updated_by.clone()),
                    churn_probability: None,
                }
            }
            None => KeyPersonView {
                customer_id: id,
                name: member.get("name"),
                role: policy.unrecorded_role.code().to_owned(),
                role_zh: policy.unrecorded_role.label_zh().to_owned(),
                weight: policy.weight(policy.unrecorded_role),
                recorded: false,
                note: String::new(),
                updated_at: None,
                updated_by: None,
                churn_probability: None,
            },
        };
        persons.push(view);
    }
    Ok(persons)
}

fn masked(msisdn: &str, reveal: bool) -> String {
    if reveal { msisdn.to_owned() } else { Msisdn::parse(msisdn).map(|m| m.masked()).unwrap_or_default() }
}

/// The group page as of `now`: members and lines from the store, risks from the newest tagged
/// 360 table in the lake (none before the first batch).
pub async fn group_view(
    store: &dyn Store,
    lake: &Lake,
    group_id: &str,
    reveal: &Reveal,
    now: DateTime<Utc>,
) -> Result<GroupView> {
    let policy = policy();
    let group = find_group(store, group_id).await?;
    let tier: VipTier = group
        .vip_tier
        .parse()
        .map_err(|e| Error::Invalid(format!("group customer {group_id}: vip_tier: {e}")))?;
    let service_level = policy.service_level(tier);
    let mut members: Vec<Customer> = store
        .rows_by(TableId::Customers, "group_id", group_id)
        .await?
        .into_iter()
        .map(|row| Customer { row })
        .collect();
    let mut persons = key_persons(store, &policy, &members, group_id).await?;
    let risk_as_of = weiwan_analytics::tagged_dates(lake)?
        .into_iter()
        .rfind(|d| *d <= now.with_timezone(&china()).date_naive());
    let risks: BTreeMap<String, LineRisk> = match risk_as_of {
        Some(as_of) => group_line_risks(lake, as_of, group_id)
            .await?
            .into_iter()
            .map(|r| (r.subscription_id.clone(), r))
            .collect(),
        None => BTreeMap::new(),
    };
    for person in &mut persons {
        person.churn_probability = risks
            .values()
            .filter(|r| r.customer_id == person.customer_id)
            .filter_map(|r| r.churn_probability_model)
            .reduce(f64::max);
    }
    // The group's own lines first, then the members by id.
    if let Some(row) = store.find_row(TableId::Customers, group_id).await? {
        members.insert(0, Customer { row });
    }
    let lines_table = TableId::Subscriptions.table();
    let (mut n_lines, mut at_risk) = (0, 0);
    let mut member_views = Vec::new();
    for member in &members {
        let customer_id = member.get("customer_id");
        let manager_id = member.opt("manager_id");
        let show = reveal.manager_id.is_some() && reveal.manager_id == manager_id;
        let mut lines = Vec::new();
        for line in store.rows_by(TableId::Subscriptions, "customer_id", &customer_id).await? {
            let get = |name: &str| display(&line[lines_table.index(name)]);
            let id = get("subscription_id");
            let risk = risks.get(&id);
            let p = risk.and_then(|r| r.churn_probability);
            let flagged = p.is_some_and(|p| p >= policy.at_risk);
            n_lines += 1;
            at_risk += usize::from(flagged);
            lines.push(GroupLineView {
                msisdn: masked(&get("msisdn"), show),
                plan_id: get("plan_id"),
                status: get("status"),
                churn_probability: p,
                churn_probability_model: risk.and_then(|r| r.churn_probability_model),
                key_person_risk: risk.and_then(|r| r.key_person_risk),
                at_risk: flagged,
                churn_reasons_zh: risk.and_then(|r| r.churn_reasons_zh.clone()),
                churn_reasons_en: risk.and_then(|r| r.churn_reasons_en.clone()),
                subscription_id: id,
            });
        }
        member_views.push(MemberView {
            is_key_person: member.is_key_person(),
            name: member.get("name"),
            vip_tier: member.get("vip_tier"),
            manager_id,
            customer_id,
            lines,
        });
    }
    Ok(GroupView {
        named_manager_missing: service_level.named_manager && group.manager_id.is_none(),
        current_period: ReportPeriod::containing(
            service_level.report,
            now.with_timezone(&china()).date_naive(),
        ),
        service_level,
        group,
        risk_as_of: risk_as_of.map(|d| d.to_string()),
        at_risk_threshold: policy.at_risk,
        key_persons: persons,
        members: member_views,
        lines: n_lines,
        lines_at_risk: at_risk,
    })
}

/// A change of a key person's influence, as a manager records it.
#[derive(Debug, Clone, PartialEq)]
pub struct InfluenceChange {
    pub customer_id: String,
    /// A `KeyPersonRole` code.
    pub role: String,
    /// w in [0, 1], at most 3 decimals; the role's default weight when `None`.
    pub weight: Option<f64>,
    pub note: String,
}

/// Records a key person's influence (replacing what was recorded), with its audit entry.
/// Refuses a customer who is not a key person of a group, an unknown role, a weight outside
/// [0, 1] or finer than a thousandth, a note above 500 characters.
pub async fn set_influence(
    store: &dyn Store,
    change: &InfluenceChange,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<KeyPersonView> {
    let policy = policy();
    let person = customer(store, &change.customer_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("customer {}", change.customer_id)))?;
    let Some(group_id) = person.opt("group_id").filter(|_| person.is_key_person()) else {
        return Err(Error::Invalid(format!(
            "customer {} is not a key person 关键人 of a group (the extract's is_key_person decides who is)",
            change.customer_id
        )));
    };
    let mut problems = Vec::new();
    let role = match change.role.parse::<KeyPersonRole>() {
        Ok(role) => Some(role),
        Err(err) => {
            problems.push(format!("role: {err}"));
            None
        }
    };
    if let Some(w) = change.weight {
        if !(0.0..=1.0).contains(&w) {
            problems.push(format!("weight: {w} is not 0 to 1"));
        } else if ((w * 1000.0).round() - w * 1000.0).abs() > 1e-9 {
            problems.push(format!("weight: {w} has more than 3 decimals"));
        }
    }
    if change.note.chars().count() > 500 {
        problems.push("note: at most 500 characters".to_owned());
    }
    let Some(role) = role.filter(|_| problems.is_empty()) else {
        return Err(Error::Invalid(problems.join("; ")));
    };
    let weight = change.weight.unwrap_or_else(|| policy.weight(role));
    let at = now.to_rfc3339();
    let record = InfluenceRecord {
        customer_id: change.customer_id.clone(),
        group_id: group_id.clone(),
        role: role.code().to_owned(),
        weight_permille: permille(weight),
        note: change.note.trim().to_owned(),
        updated_at: at.clone(),
        updated_by: actor.user_id.clone(),
    };
    let audit = AuditEntry {
        id: 0,
        at: at.clone(),
        actor: actor.user_id.clone(),
        role: actor.role.clone(),
        action: "set_key_person_influence".to_owned(),
        object_type: "key_person".to_owned(),
        object_id: change.customer_id.clone(),
        detail: serde_json::json!({"group_id": group_id, "role": role.code(), "weight": weight}).to_string(),
    };
    store.set_influence(&record, &audit).await?;
    Ok(KeyPersonView {
        customer_id: change.customer_id.clone(),
        name: person.get("name"),
        role: role.code().to_owned(),
        role_zh: role.label_zh().to_owned(),
        weight,
        recorded: true,
        note: record.note,
        updated_at: Some(at),
        updated_by: Some(actor.user_id.clone()),
        churn_probability: None,
    })
}

/// Every key person of every group with the weight the batch uses: recorded, or the policy's
/// default for the unrecorded role. Written into the store snapshot before the 360 table.
pub async fn key_person_rows(store: &dyn Store) -> Result<Vec<KeyPersonRow>> {
    let policy = policy();
    let recorded: BTreeMap<String, InfluenceRecord> =
        store.influences(None).await?.into_iter().map(|r| (r.customer_id.clone(), r)).collect();
    let mut rows = Vec::new();
    for row in store.rows_by(TableId::Customers, "is_key_person", "true").await? {
        let person = Customer { row };
        let Some(group_id) = person.opt("group_id") else { continue };
        let id = person.get("customer_id");
        let (role, influence) = match recorded.get(&id) {
            Some(r) => (r.role.clone(), r.weight_permille as f64 / 1000.0),
            None => (policy.unrecorded_role.code().to_owned(), policy.weight(policy.unrecorded_role)),
        };
        rows.push(KeyPersonRow { customer_id: id, group_id, role, influence });
    }
    Ok(rows)
}

/// The periodic service report of a group for one period (`2026-10`, `2026-Q4`, `2026-H2`,
/// `2026`): what happened to its lines, how fast its tasks were answered against the tier's
/// response time, its retention cases and club attendance, and where its risk stands now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupReport {
    pub group: GroupSummary,
    pub period: ReportPeriod,
    pub service_level: ServiceLevel,
    /// Whether the tier's report frequency is this period's kind (a quarterly tier asked for a
    /// quarter).
    pub report_due: bool,
    pub members: usize,
    pub key_persons: usize,
    pub lines_activated: usize,
    pub lines_disconnected: usize,
    /// Lines not disconnected by the period's end.
    pub lines_at_end: usize,
    /// Tasks raised for the group's customers in the period.
    pub tasks_raised: usize,
    /// Of those, answered (claimed or closed) within the tier's response hours.
    pub tasks_answered_in_time: usize,
    /// `tasks_answered_in_time / tasks_raised`; none without tasks.
    pub response_rate: Option<f64>,
    pub retention_cases_opened: usize,
    pub retention_cases_kept: usize,
    /// Club events the group's people attended in the period.
    pub club_events_attended: usize,
    /// From the group view as of the report's making.
    pub lines_at_risk_now: usize,
    pub risk_as_of: Option<String>,
}

fn in_period(period: &ReportPeriod, at: &str) -> bool {
    DateTime::parse_from_rfc3339(at)
        .map(|t| t.with_timezone(&china()).date_naive())
        .is_ok_and(|day| day >= period.from && day < period.to)
}

fn day_in_period(period: &ReportPeriod, day: &str) -> bool {
    day.parse::<NaiveDate>().is_ok_and(|day| day >= period.from && day < period.to)
}

/// The periodic report of a group.
pub async fn group_report(
    store: &dyn Store,
    lake: &Lake,
    group_id: &str,
    period: &str,
    now: DateTime<Utc>,
) -> Result<GroupReport> {
    let period = ReportPeriod::parse(period).map_err(Error::Invalid)?;
    let view = group_view(store, lake, group_id, &Reveal::default(), now).await?;
    let hours = i64::from(view.service_level.response_hours);
    let customers: Vec<String> = view.members.iter().map(|m| m.customer_id.clone()).collect();
    let (mut activated, mut disconnected, mut at_end) = (0, 0, 0);
    let lines_table = TableId::Subscriptions.table();
    for customer_id in &customers {
        for line in store.rows_by(TableId::Subscriptions, "customer_id", customer_id).await? {
            let get = |name: &str| display(&line[lines_table.index(name)]);
            activated += usize::from(day_in_period(&period, &get("activated_on")));
            let left = get("disconnected_on");
            disconnected += usize::from(day_in_period(&period, &left));
            let active_at_end = get("activated_on").parse::<NaiveDate>().is_ok_and(|d| d < period.to)
                && left.parse::<NaiveDate>().map_or(true, |d| d >= period.to);
            at_end += usize::from(active_at_end);
        }
    }
    let (mut raised, mut in_time) = (0, 0);
    let (mut opened, mut kept) = (0, 0);
    let mut attended = 0;
    let mut events = BTreeMap::new();
    for customer_id in &customers {
        let filter =
            TaskFilter { customer_id: Some(customer_id.clone()), limit: 10_000, ..TaskFilter::default() };
        for task in store.tasks(&filter).await? {
            if !in_period(&period, &task.task.created_at) {
                continue;
            }
            raised += 1;
            let created = DateTime::parse_from_rfc3339(&task.task.created_at);
            let answered = [&task.claimed_at, &task.closed_at]
                .into_iter()
                .flatten()
                .filter_map(|t| DateTime::parse_from_rfc3339(t).ok())
                .min();
            if let (Ok(created), Some(answered)) = (created, answered) {
                in_time += usize::from((answered - created).num_minutes() <= hours * 60);
            }
        }
        let cases = store
            .cases(&CaseFilter { customer_id: Some(customer_id.clone()), ..CaseFilter::default() })
            .await?;
        for case in cases.iter().filter(|c| in_period(&period, &c.opened_at)) {
            opened += 1;
            kept += usize::from(matches!(case.outcome.as_deref(), Some("retained" | "downgraded")));
        }
        for signup in store.customer_signups(customer_id).await? {
            if signup.attended != Some(true) {
                continue;
            }
            if let std::collections::btree_map::Entry::Vacant(slot) = events.entry(signup.event_id) {
                slot.insert(store.find_club_event(signup.event_id).await?.map(|e| e.starts_at));
            }
            if let Some(Some(starts)) = events.get(&signup.event_id) {
                attended += usize::from(in_period(&period, starts));
            }
        }
    }
    let distinct: BTreeSet<&String> = customers.iter().collect();
    Ok(GroupReport {
        report_due: view.service_level.report == period.frequency,
        members: distinct.len().saturating_sub(1),
        key_persons: view.key_persons.len(),
        lines_activated: activated,
        lines_disconnected: disconnected,
        lines_at_end: at_end,
        tasks_raised: raised,
        tasks_answered_in_time: in_time,
        response_rate: (raised > 0).then(|| in_time as f64 / raised as f64),
        retention_cases_opened: opened,
        retention_cases_kept: kept,
        club_events_attended: attended,
        lines_at_risk_now: view.lines_at_risk,
        risk_as_of: view.risk_as_of,
        group: view.group,
        service_level: view.service_level,
        period,
    })
}
