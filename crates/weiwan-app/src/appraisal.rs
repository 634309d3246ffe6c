//! Managers' appraisal 考核, read off the customer file, and next month's visit plans
//! (docs/account-managers.md).
//!
//! Every measure is computed per manager and month from what the store holds: the customers
//! assigned to the manager (the extract's `manager_id`), their lines and contracts, the notes of
//! the visit log the manager wrote, the outcomes recorded on the manager's tasks and the
//! retention cases of the manager's customers. A branch's row adds up its managers' counts and
//! computes the rates from the sums.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use serde::Serialize;
use weiwan_domain::TableId;
use weiwan_domain::codes::{CaseOutcome, RuleCategory, TaskOutcome, VipTier, VisitChannel};
use weiwan_storage::{AppraisalScope, CustomerMonth, PlanFilter, PlannedContact, Store, VisitNoteFilter};

use crate::error::{Error, Result};
use crate::quotas::{
    Contact, ContactKind, QUOTAS, china_today, day_start_utc, due_in_month, next_month, period_start,
};
use crate::tasks::{Actor, display};

/// The tiers whose customers are A-tier customers (A类客户, 钻金).
pub const A_TIERS: [VipTier; 2] = [VipTier::Diamond, VipTier::Gold];

/// One row of the appraisal: a manager's month, or a branch's (the sum of its managers').
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Measures {
    /// `None` on a branch's or the total row.
    pub manager_id: Option<String>,
    pub manager_name: Option<String>,
    /// `None` on the total row.
    pub branch_id: Option<String>,
    /// Managers in the row (1 for a manager).
    pub managers: u32,
    /// Visits: distinct (customer, day) with a visit, by a note or a task's outcome.
    pub visits: u32,
    /// visits / (working days × managers).
    pub visits_per_day: f64,
    /// Distinct customers contacted in the month (call, visit or message).
    pub customers_contacted: u32,
    /// Distinct (customer, day) with a contact.
    pub contact_days: u32,
    /// (contact days − customers contacted) / customers contacted: contacts after the first.
    pub revisits_per_customer: Option<f64>,
    /// Assigned customers with a line in the network during the month.
    pub assigned: u32,
    /// Of those, how many were contacted.
    pub covered: u32,
    /// covered / assigned.
    pub coverage: Option<f64>,
    /// Assigned customers who joined in the month.
    pub new_customers: u32,
    /// Assigned customers who took a contract or binding in the month.
    pub buyers: u32,
    /// Of those, how many had taken one before.
    pub repeat_buyers: u32,
    /// repeat_buyers / buyers.
    pub repeat_purchase_rate: Option<f64>,
    /// Retention attempts settled in the month: warning tasks closed retained, accepted,
    /// refused or do-not-call, and retention cases closed retained, downgraded or lost.
    pub retention_attempts: u32,
    pub retention_successes: u32,
    /// retention_successes / retention_attempts.
    pub retention_success_rate: Option<f64>,
    /// VIP contact quotas due in the month (calls and visits) and done.
    pub quota_required: u32,
    pub quota_done: u32,
    /// quota_done / quota_required.
    pub quota_completion: Option<f64>,
    /// Assigned customers whose last line left during the month.
    pub customers_lost: u32,
    /// Assigned diamond and gold customers in the network at the month's end.
    pub a_tier_customers: u32,
}

impl Measures {
    fn add(&mut self, other: &Measures) {
        self.managers += other.managers;
        self.visits += other.visits;
        self.customers_contacted += other.customers_contacted;
        self.contact_days += other.contact_days;
        self.assigned += other.assigned;
        self.covered += other.covered;
        self.new_customers += other.new_customers;
        self.buyers += other.buyers;
        self.repeat_buyers += other.repeat_buyers;
        self.retention_attempts += other.retention_attempts;
        self.retention_successes += other.retention_successes;
        self.quota_required += other.quota_required;
        self.quota_done += other.quota_done;
        self.customers_lost += other.customers_lost;
        self.a_tier_customers += other.a_tier_customers;
    }

    /// The rates, from the counts.
    fn finish(&mut self, working_days: u32) {
        let ratio = |num: u32, den: u32| (den > 0).then(|| f64::from(num) / f64::from(den));
        let manager_days = working_days * self.managers;
        self.visits_per_day = ratio(self.visits, manager_days).unwrap_or(0.0);
        self.revisits_per_customer =
            ratio(self.contact_days.saturating_sub(self.customers_contacted), self.customers_contacted);
        self.coverage = ratio(self.covered, self.assigned);
        self.repeat_purchase_rate = ratio(self.repeat_buyers, self.buyers);
        self.retention_success_rate = ratio(self.retention_successes, self.retention_attempts);
        self.quota_completion = ratio(self.quota_done, self.quota_required);
    }
}

/// The appraisal of a month: by manager, by branch, and in total.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PerformanceReport {
    /// `YYYY-MM`.
    pub month: String,
    /// Monday to Friday in the month.
    pub working_days: u32,
    pub managers: Vec<Measures>,
    pub branches: Vec<Measures>,
    pub total: Measures,
}

/// The working days (Monday to Friday) of the month starting `month`.
pub fn working_days(month: NaiveDate) -> Vec<NaiveDate> {
    let until = next_month(month);
    month
        .iter_days()
        .take_while(|day| *day < until)
        .filter(|day| !matches!(day.weekday(), Weekday::Sat | Weekday::Sun))
        .collect()
}

/// Parses `YYYY-MM` into the month's first day.
pub fn parse_month(text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
        .map_err(|_| Error::Invalid(format!("month: {text:?} is not YYYY-MM")))
}

/// The contacts of every manager in scope from `since` to the day before `until`: their task
/// outcomes and the notes they wrote.
async fn contacts_by_manager(
    store: &dyn Store,
    scope: &AppraisalScope,
    managers: &HashSet<&str>,
    since: NaiveDate,
    until: NaiveDate,
) -> Result<HashMap<String, Vec<Contact>>> {
    let mut by_manager: HashMap<String, Vec<Contact>> = HashMap::new();
    for outcome in store.task_contacts(scope, &day_start_utc(since), &day_start_utc(until)).await? {
        if let Some(contact) =
            Contact::from_outcome(&outcome.customer_id, &outcome.action, &outcome.outcome, &outcome.at)
        {
            by_manager.entry(outcome.manager_id).or_default().push(contact);
        }
    }
    let filter = VisitNoteFilter {
        author_manager_id: scope.manager_id.clone(),
        author_branch_id: scope.branch_id.clone(),
        from: Some(since),
        until: Some(until),
        ..VisitNoteFilter::default()
    };
    for note in store.visit_notes(&filter).await? {
        let Some(author) = note.author_manager_id.as_deref().filter(|a| managers.contains(a)) else {
            continue;
        };
        if let Some(contact) = Contact::from_note(&note) {
            by_manager.entry(author.to_owned()).or_default().push(contact);
        }
    }
    Ok(by_manager)
}

/// One manager's measures for the month starting `month`, from their customers, contacts since
/// the start of the quarter and retention attempts settled in the month.
fn manager_measures(
    month: NaiveDate,
    customers: &[&CustomerMonth],
    contacts: &[Contact],
    retention: (u32, u32),
) -> Measures {
    let until = next_month(month);
    let in_month: Vec<&Contact> = contacts.iter().filter(|c| c.day >= month && c.day < until).collect();
    let visits: HashSet<(&str, NaiveDate)> = in_month
        .iter()
        .filter(|c| c.kind == ContactKind::Visit)
        .map(|c| (c.customer_id.as_str(), c.day))
        .collect();
    let contact_days: HashSet<(&str, NaiveDate)> =
        in_month.iter().map(|c| (c.customer_id.as_str(), c.day)).collect();
    let contacted: HashSet<&str> = in_month.iter().map(|c| c.customer_id.as_str()).collect();
    let active: Vec<&&CustomerMonth> = customers.iter().filter(|c| c.active_in_month).collect();
    let vip: Vec<(String, VipTier)> = active
        .iter()
        .filter_map(|c| Some((c.customer_id.clone(), c.vip_tier.parse::<VipTier>().ok()?)))
        .filter(|(_, tier)| QUOTAS.iter().any(|q| q.tier == *tier))
        .collect();
    let quotas = due_in_month(&vip, contacts, month);
    let count = |keep: &dyn Fn(&CustomerMonth) -> bool| active.iter().filter(|c| keep(c)).count() as u32;
    Measures {
        managers: 1,
        visits: visits.len() as u32,
        customers_contacted: contacted.len() as u32,
        contact_days: contact_days.len() as u32,
        assigned: active.len() as u32,
        covered: count(&|c| contacted.contains(c.customer_id.as_str())),
        new_customers: count(&|c| c.joined_on >= month && c.joined_on < until),
        buyers: count(&|c| c.bought_in_month),
        repeat_buyers: count(&|c| c.bought_in_month && c.bought_before),
        retention_attempts: retention.0,
        retention_successes: retention.1,
        quota_required: quotas.iter().map(|q| q.calls_required + q.visits_required).sum(),
        quota_done: quotas.iter().map(|q| q.calls_done + q.visits_done).sum(),
        customers_lost: count(&|c| !c.in_network_at_end),
        a_tier_customers: count(&|c| {
            c.in_network_at_end && A_TIERS.iter().any(|tier| tier.code() == c.vip_tier)
        }),
        ..Measures::default()
    }
}

/// Retention attempts and successes per manager, settled in `[month, until)`.
async fn retention_by_manager(
    store: &dyn Store,
    scope: &AppraisalScope,
    month: NaiveDate,
    until: NaiveDate,
) -> Result<HashMap<String, (u32, u32)>> {
    let (since, until) = (day_start_utc(month), day_start_utc(until));
    let mut tally: HashMap<String, (u32, u32)> = HashMap::new();
    for outcome in store.task_contacts(scope, &since, &until).await? {
        if outcome.category != RuleCategory::Warning.code() {
            continue;
        }
        let success = match outcome.outcome.parse::<TaskOutcome>() {
            Ok(TaskOutcome::Retained | TaskOutcome::Accepted) => true,
            Ok(TaskOutcome::Refused | TaskOutcome::DoNotCall) => false,
            _ => continue,
        };
        let entry = tally.entry(outcome.manager_id).or_default();
        entry.0 += 1;
        entry.1 += u32::from(success);
    }
    for case in store.closed_cases(scope, &since, &until).await? {
        let success = match case.outcome.parse::<CaseOutcome>() {
            Ok(CaseOutcome::Retained | CaseOutcome::Downgraded) => true,
            Ok(CaseOutcome::Lost) => false,
            _ => continue,
        };
        let entry = tally.entry(case.manager_id).or_default();
        entry.0 += 1;
        entry.1 += u32::from(success);
    }
    Ok(tally)
}

/// The appraisal of the month holding `month`, for the managers in scope.
pub async fn performance(
    store: &dyn Store,
    scope: &AppraisalScope,
    month: NaiveDate,
) -> Result<PerformanceReport> {
    let month = period_start(month, 1);
    let until = next_month(month);
    let days = working_days(month).len() as u32;
    let managers = store.managers(scope).await?;
    let ids: HashSet<&str> = managers.iter().map(|m| m.manager_id.as_str()).collect();
    let customers = store.customer_months(scope, month, until).await?;
    let mut customers_of: HashMap<&str, Vec<&CustomerMonth>> = HashMap::new();
    for customer in &customers {
        customers_of.entry(customer.manager_id.as_str()).or_default().push(customer);
    }
    let contacts = contacts_by_manager(store, scope, &ids, period_start(month, 3), until).await?;
    let retention = retention_by_manager(store, scope, month, until).await?;
    let mut rows = Vec::with_capacity(managers.len());
    let mut branches: BTreeMap<String, Measures> = BTreeMap::new();
    let mut total = Measures::default();
    for manager in &managers {
        let id = manager.manager_id.as_str();
        let mut row = manager_measures(
            month,
            customers_of.get(id).map(Vec::as_slice).unwrap_or_default(),
            contacts.get(id).map(Vec::as_slice).unwrap_or_default(),
            retention.get(id).copied().unwrap_or_default(),
        );
        row.manager_id = Some(manager.manager_id.clone());
        row.manager_name = Some(manager.name.clone());
        row.branch_id = Some(manager.branch_id.clone());
        let branch = branches.entry(manager.branch_id.clone()).or_insert_with(|| Measures {
            branch_id: Some(manager.branch_id.clone()),
            ..Measures::default()
        });
        branch.add(&row);
        total.add(&row);
        row.finish(days);
        rows.push(row);
    }
    let mut branches: Vec<Measures> = branches.into_values().collect();
    for branch in &mut branches {
        branch.finish(days);
    }
    total.finish(days);
    Ok(PerformanceReport {
        month: month.format("%Y-%m").to_string(),
        working_days: days,
        managers: rows,
        branches,
        total,
    })
}

/// What the plan knows of a customer's risk and value (from the churn scores of the tagged 360
/// table: the policy index).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CustomerSignal {
    /// The highest churn probability among the customer's lines, if scored.
    pub risk: Option<f64>,
    /// Yuan a month over the customer's lines (mean of the last 3 months).
    pub value: f64,
}

/// How plans are made; the defaults are the VIP centre's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanSettings {
    /// A customer at least this likely to leave gets a visit.
    pub high_risk: f64,
    /// A customer at least this likely to leave gets a call.
    pub medium_risk: f64,
    /// A customer worth at least this many yuan a month gets a call.
    pub high_value: f64,
}

impl Default for PlanSettings {
    fn default() -> PlanSettings {
        PlanSettings { high_risk: 0.5, medium_risk: 0.3, high_value: 200.0 }
    }
}

/// A customer as the planner sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanCustomer {
    pub customer_id: String,
    pub branch_id: String,
    pub tier: Option<VipTier>,
    pub signal: CustomerSignal,
    /// Visited since the start of the quarter, before the plan's month.
    pub visited_this_quarter: bool,
    /// The newest note's next contact, when it falls in the plan's month.
    pub next_step: Option<(NaiveDate, VisitChannel)>,
}

/// Which half of the month a contact goes in: a second call goes in the second half.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Half {
    First,
    Second,
    Any,
}

struct Want {
    customer: usize,
    channel: VisitChannel,
    reasons: Vec<&'static str>,
    fixed: Option<NaiveDate>,
    half: Half,
}

/// The contacts a customer needs in the month, by the quotas, their risk, their value and the
/// next step a note promised.
fn wants(index: usize, customer: &PlanCustomer, month: NaiveDate, settings: &PlanSettings) -> Vec<Want> {
    let mut wants: Vec<Want> = Vec::new();
    let want =
        |channel, reason, half| Want { customer: index, channel, reasons: vec![reason], fixed: None, half };
    if let Some(quota) = customer.tier.and_then(|tier| QUOTAS.iter().find(|q| q.tier == tier)) {
        for call in 0..quota.calls_per_month {
            let half = match (quota.calls_per_month, call) {
                (1, _) => Half::Any,
                (_, 0) => Half::First,
                _ => Half::Second,
            };
            wants.push(want(VisitChannel::Call, "quota", half));
        }
        // A period of one month always owes its visit; a quarter owes it until it is made.
        let visit_owed = quota.visit_months == 1 || !customer.visited_this_quarter;
        if quota.visits > 0 && visit_owed {
            wants.push(want(VisitChannel::Visit, "quota", Half::Any));
        }
    }
    let risk = customer.signal.risk.unwrap_or(0.0);
    let mut add =
        |channel: VisitChannel, reason: &'static str| match wants.iter_mut().find(|w| w.channel == channel) {
            Some(existing) => existing.reasons.push(reason),
            None => wants.push(want(channel, reason, Half::Any)),
        };
    if risk >= settings.high_risk {
        add(VisitChannel::Visit, "risk");
    } else if risk >= settings.medium_risk {
        add(VisitChannel::Call, "risk");
    }
    if customer.signal.value >= settings.high_value {
        add(VisitChannel::Call, "value");
    }
    if let Some((day, channel)) =
        customer.next_step.filter(|(day, _)| *day >= month && *day < next_month(month))
    {
        // The promised contact takes the place of a planned one of its kind, on its day.
        match wants.iter_mut().find(|w| w.channel == channel && w.fixed.is_none()) {
            Some(existing) => {
                existing.reasons.push("next_step");
                existing.fixed = Some(day);
            }
            None => wants.push(Want {
                customer: index,
                channel,
                reasons: vec!["next_step"],
                fixed: Some(day),
                half: Half::Any,
            }),
        }
    }
    wants
}

/// A manager's plan for the month starting `month`: every contact the customers need, ranked
/// by the revenue at risk (risk × value), then tier, then id; each put on the working day of its
/// half of the month with the fewest contacts of its channel so far, earliest first, so the
/// most important customers come first and the load is even. A promised contact keeps its day.
pub fn plan_month(
    manager_id: &str,
    month: NaiveDate,
    customers: &[PlanCustomer],
    settings: &PlanSettings,
    generated_at: &str,
) -> Vec<PlannedContact> {
    let tier_weight = |tier: Option<VipTier>| match tier {
        Some(VipTier::Diamond) => 4,
        Some(VipTier::Gold) => 3,
        Some(VipTier::Silver) => 2,
        Some(VipTier::Member) => 1,
        _ => 0,
    };
    let mut order: Vec<usize> = (0..customers.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&customers[a], &customers[b]);
        let at_risk = |c: &PlanCustomer| c.signal.risk.unwrap_or(0.0) * c.signal.value;
        at_risk(y)
            .total_cmp(&at_risk(x))
            .then_with(|| tier_weight(y.tier).cmp(&tier_weight(x.tier)))
            .then_with(|| x.customer_id.cmp(&y.customer_id))
    });
    let mut rank = vec![0_i64; customers.len()];
    let mut all_wants = Vec::new();
    for (position, &index) in order.iter().enumerate() {
        rank[index] = position as i64 + 1;
        all_wants.extend(wants(index, &customers[index], month, settings));
    }
    let days = working_days(month);
    let middle = days.len() / 2;
    let mut load: HashMap<(NaiveDate, VisitChannel), usize> = HashMap::new();
    let mut planned = Vec::with_capacity(all_wants.len());
    for want in &all_wants {
        let candidates = match want.half {
            Half::First => &days[..middle.max(1).min(days.len())],
            Half::Second => &days[middle.min(days.len().saturating_sub(1))..],
            Half::Any => &days[..],
        };
        let day = want.fixed.or_else(|| {
            candidates
                .iter()
                .copied()
                .min_by_key(|day| (load.get(&(*day, want.channel)).copied().unwrap_or(0), *day))
        });
        let Some(day) = day else { continue };
        *load.entry((day, want.channel)).or_default() += 1;
        let customer = &customers[want.customer];
        planned.push(PlannedContact {
            month,
            manager_id: manager_id.to_owned(),
            customer_id: customer.customer_id.clone(),
            branch_id: customer.branch_id.clone(),
            planned_on: day,
            channel: want.channel.code().to_owned(),
            reasons: want.reasons.iter().map(|r| (*r).to_owned()).collect(),
            rank: rank[want.customer],
            generated_at: generated_at.to_owned(),
        });
    }
    // Two wants of one customer, channel and day are one contact.
    planned.sort_by(|a, b| {
        (a.planned_on, a.rank, &a.customer_id, &a.channel).cmp(&(
            b.planned_on,
            b.rank,
            &b.customer_id,
            &b.channel,
        ))
    });
    planned.dedup_by(|b, a| {
        let same = a.customer_id == b.customer_id && a.channel == b.channel && a.planned_on == b.planned_on;
        if same {
            for reason in std::mem::take(&mut b.reasons) {
                if !a.reasons.contains(&reason) {
                    a.reasons.push(reason);
                }
            }
        }
        same
    });
    planned
}

/// Makes and stores a manager's plan for the month starting `month` (replacing the plan made
/// before for that month), from their customers in the network, the signals, the visits made
/// this quarter and the notes' next steps.
pub async fn generate_visit_plan(
    store: &dyn Store,
    actor: &Actor,
    manager_id: &str,
    month: NaiveDate,
    signals: &HashMap<String, CustomerSignal>,
    settings: &PlanSettings,
    now: DateTime<Utc>,
) -> Result<Vec<PlannedContact>> {
    let month = period_start(month, 1);
    if month < period_start(china_today(now), 1) {
        return Err(Error::Invalid(format!(
            "month: {} has passed; plan this month or one to come",
            month.format("%Y-%m")
        )));
    }
    if store.find_row(TableId::Managers, manager_id).await?.is_none() {
        return Err(Error::NotFound(format!("manager {manager_id}")));
    }
    let scope = AppraisalScope { manager_id: Some(manager_id.to_owned()), ..AppraisalScope::default() };
    let customers = store.customer_months(&scope, month, next_month(month)).await?;
    let quarter = period_start(month, 3);
    let contacts = crate::quotas::manager_contacts(store, manager_id, quarter).await?;
    let visited: HashSet<&str> = contacts
        .iter()
        .filter(|c| c.kind == ContactKind::Visit && c.day >= quarter && c.day < month)
        .map(|c| c.customer_id.as_str())
        .collect();
    let mut plan_customers = Vec::new();
    for customer in customers.iter().filter(|c| c.in_network_at_end || c.active_in_month) {
        let newest = store
            .visit_notes(&VisitNoteFilter {
                customer_id: Some(customer.customer_id.clone()),
                limit: 1,
                ..VisitNoteFilter::default()
            })
            .await?;
        let next_step = newest.first().and_then(|note| {
            Some((note.content.next_contact_on?, note.content.channel.parse::<VisitChannel>().ok()?))
        });
        plan_customers.push(PlanCustomer {
            customer_id: customer.customer_id.clone(),
            branch_id: customer.branch_id.clone(),
            tier: customer.vip_tier.parse().ok(),
            signal: signals.get(&customer.customer_id).copied().unwrap_or_default(),
            visited_this_quarter: visited.contains(customer.customer_id.as_str()),
            next_step,
        });
    }
    let at = now.to_rfc3339();
    let planned = plan_month(manager_id, month, &plan_customers, settings, &at);
    let audit = actor.audit(
        &at,
        "generate_visit_plan",
        "visit_plan",
        &format!("{manager_id}/{}", month.format("%Y-%m")),
        serde_json::json!({ "contacts": planned.len(), "customers": plan_customers.len() }),
    );
    store.replace_visit_plan(manager_id, month, &planned, &audit).await?;
    Ok(planned)
}

/// A manager's stored plan for the month starting `month`.
pub async fn visit_plan(
    store: &dyn Store,
    manager_id: &str,
    month: NaiveDate,
) -> Result<Vec<PlannedContact>> {
    let month = period_start(month, 1);
    Ok(store
        .visit_plan(&PlanFilter {
            manager_id: Some(manager_id.to_owned()),
            from: Some(month),
            until: Some(next_month(month)),
            ..PlanFilter::default()
        })
        .await?)
}

/// Each customer's risk and value from the policy index.
pub fn signals_from_index(
    index: &weiwan_analytics::policy_index::PolicyIndex,
    customer_ids: &[String],
) -> HashMap<String, CustomerSignal> {
    customer_ids
        .iter()
        .filter_map(|id| {
            let customer = index.customer(id)?;
            let risk = customer.lines.iter().filter_map(|l| l.churn_probability).reduce(f64::max);
            let value = customer.lines.iter().map(|l| l.arpu_3m).sum();
            Some((id.clone(), CustomerSignal { risk, value }))
        })
        .collect()
}

/// The customer ids assigned to a manager, for reading their signals.
pub async fn assigned_customers(store: &dyn Store, manager_id: &str) -> Result<Vec<String>> {
    let table = TableId::Customers.table();
    Ok(store
        .rows_by(TableId::Customers, "manager_id", manager_id)
        .await?
        .iter()
        .map(|row| display(&row[table.index("customer_id")]))
        .collect())
}

/// Each customer's risk and value from the latest tagged 360 table in the lake (none before
/// the first batch), for plans made outside the server.
pub async fn signals_from_lake(
    lake: &weiwan_analytics::Lake,
    customer_ids: &[String],
) -> Result<HashMap<String, CustomerSignal>> {
    let Some(as_of) = weiwan_analytics::tagged_dates(lake)?.pop() else {
        return Ok(HashMap::new());
    };
    let index = weiwan_analytics::policy_index::PolicyIndex::build(lake, as_of, &[]).await?;
    Ok(signals_from_index(&index, customer_ids))
}
