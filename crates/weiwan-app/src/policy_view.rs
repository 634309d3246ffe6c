//! The unified policy view 统一政策视图: one decision per customer, shown the same way to the
//! outbound caller, the store clerk, the hotline agent and the web hall — the offers ranked
//! by expected net value (next-best-offer), the campaign the customer is in with its offer
//! and the script for the asking channel, the churn reasons, the tier, whether the policy lets
//! this channel make a marketing contact now, the contact history and the open tasks.
//!
//! What comes from the batch (churn scores and reasons, ARPU, which offers each line meets
//! the conditions of) is read from a [`PolicyIndex`] built once per tagged 360 table and kept
//! in memory ([`LoadedPolicy`]); what changes during the day (contacts, tasks, take-ups,
//! do-not-disturb) is read from the store on every request.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use weiwan_analytics::{Condition, Lake, PolicyIndex, tagged_dates};
use weiwan_decision::contact::{ContactPolicy, PastContact, may_contact};
use weiwan_decision::nbo::{CustomerFacts, NboWeights, OfferEvidence, Term, rank_offers};
use weiwan_decision::offers::Offer;
use weiwan_domain::codes::{CampaignStatus, ContactChannel, TaskStatus, VipTier};
use weiwan_storage::{Store, TaskFilter, campaign_of_rule};

use crate::campaigns::{catalog, find_campaign, offer_conditions, status_of, stored_plan};
use crate::contact::{china_time, lookback, past};
use crate::error::{Error, Result};
use crate::tasks::TaskRecordView;

/// The channels that ask for a policy view: the three that work tasks, and the web hall
/// 网上营业厅 (the customer on the operator's site or app).
pub const VIEW_CHANNELS: [&str; 4] = ["outbound", "store", "hotline", "web_hall"];

/// Fewest members per arm, over the ended campaigns that offered it, for an offer's measured
/// retention uplift to replace P(churn) × P(accept) in the ranking.
pub const MIN_ARM_FOR_UPLIFT: u64 = 200;

/// An offer of the catalog as the ranking sees it.
#[derive(Debug, Clone)]
pub struct RankedCatalogOffer {
    pub offer: Offer,
    pub evidence: OfferEvidence,
}

/// The index of one tagged 360 table with the catalog it was built against.
#[derive(Debug)]
pub struct LoadedPolicy {
    pub index: PolicyIndex,
    /// Aligned with [`PolicyIndex::offer_ids`].
    pub offers: Vec<RankedCatalogOffer>,
    pub weights: NboWeights,
    pub contact_policy: ContactPolicy,
    pub built_at: DateTime<Utc>,
}

/// The policy in force, shared by the server's workers; replaced whole when rebuilt, so a
/// request reads one consistent index. Offers retired since it was built are withdrawn at
/// once, without waiting for a rebuild.
#[derive(Debug, Clone, Default)]
pub struct PolicyViews {
    current: Arc<RwLock<Option<Arc<LoadedPolicy>>>>,
    withdrawn: Arc<RwLock<Arc<HashSet<String>>>>,
}

impl PolicyViews {
    pub fn current(&self) -> Option<Arc<LoadedPolicy>> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Offers retired since the index in force was built (or before; an index built after a
    /// retirement does not hold the offer at all).
    pub fn withdrawn(&self) -> Arc<HashSet<String>> {
        self.withdrawn.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub fn replace(&self, loaded: LoadedPolicy) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(loaded));
    }

    /// Withdraws a retired offer from every view from now on.
    pub fn withdraw(&self, offer_id: &str) {
        let mut withdrawn = self.withdrawn.write().unwrap_or_else(PoisonError::into_inner);
        let mut next = HashSet::clone(&withdrawn);
        next.insert(offer_id.to_owned());
        *withdrawn = Arc::new(next);
    }

    /// Lets a reinstated offer be shown again (once an index holds it).
    pub fn restore(&self, offer_id: &str) {
        let mut withdrawn = self.withdrawn.write().unwrap_or_else(PoisonError::into_inner);
        let mut next = HashSet::clone(&withdrawn);
        next.remove(offer_id);
        *withdrawn = Arc::new(next);
    }
}

/// What a rebuild did, for the caller and the logs.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct IndexSummary {
    pub as_of: String,
    pub customers: u64,
    pub lines: u64,
    /// Active offers indexed.
    pub offers: u64,
    /// Of them, ranked on a retention uplift measured against a holdout.
    pub offers_with_uplift: u64,
    pub built_at: String,
}

impl LoadedPolicy {
    pub fn summary(&self) -> IndexSummary {
        IndexSummary {
            as_of: self.index.as_of().to_string(),
            customers: self.index.customers() as u64,
            lines: self.index.lines() as u64,
            offers: self.offers.len() as u64,
            offers_with_uplift: self.offers.iter().filter(|o| o.evidence.uplift.is_some()).count() as u64,
            built_at: self.built_at.to_rfc3339(),
        }
    }
}

/// Builds the index from the tagged 360 table of `as_of` (the latest built when `None`) and
/// the catalog's active offers, with each offer's measured uplift where ended campaigns
/// measured one on enough members.
pub async fn build_policy(
    store: &dyn Store,
    lake: &Lake,
    as_of: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<LoadedPolicy> {
    let as_of = match as_of {
        Some(date) => date,
        None => tagged_dates(lake)?.pop().ok_or_else(|| {
            Error::Conflict("no customer 360 table with tags yet: run `weiwan run --as-of DATE` first".into())
        })?,
    };
    let offers: Vec<Offer> =
        catalog(store).await?.into_iter().filter(|(_, active)| *active).map(|(o, _)| o).collect();
    let conditions: Vec<(String, Vec<Condition>)> = offers
        .iter()
        .map(|offer| Ok((offer.id.clone(), offer_conditions(offer).map_err(Error::Invalid)?)))
        .collect::<Result<_>>()?;
    let uplift = measured_uplift(store, lake, as_of).await?;
    let index = PolicyIndex::build(lake, as_of, &conditions).await?;
    let offers = offers
        .into_iter()
        .map(|offer| {
            let evidence =
                OfferEvidence { take_up: offer.expected_take_up, uplift: uplift.get(&offer.id).copied() };
            RankedCatalogOffer { offer, evidence }
        })
        .collect();
    Ok(LoadedPolicy {
        index,
        offers,
        weights: NboWeights::default(),
        contact_policy: crate::contact::policy(),
        built_at: now,
    })
}

/// Per offer, the retention uplift measured by the ended campaigns that offered it: retention
/// of the treated members it was assigned minus that of the control members it would have
/// been, pooled over campaigns, as of `as_of`; only offers with [`MIN_ARM_FOR_UPLIFT`] members
/// in each arm.
async fn measured_uplift(store: &dyn Store, lake: &Lake, as_of: NaiveDate) -> Result<BTreeMap<String, f64>> {
    // offer → [treated retained, treated, control retained, control]
    let mut tallies: BTreeMap<String, [u64; 4]> = BTreeMap::new();
    for record in store.campaigns().await? {
        if status_of(&record)? != CampaignStatus::Ended {
            continue;
        }
        let Some(started) = record.executed_on.as_deref().and_then(|d| d.parse::<NaiveDate>().ok()) else {
            continue;
        };
        if started >= as_of {
            continue;
        }
        let members = store.campaign_members(&record.campaign_id).await?;
        let ids: Vec<String> = members.iter().map(|m| m.subscription_id.clone()).collect();
        let outcomes = weiwan_analytics::campaigns::member_outcomes(lake, &ids, started, as_of).await?;
        for (member, outcome) in members.iter().zip(&outcomes) {
            if !outcome.known {
                continue;
            }
            let tally = tallies.entry(member.offer_id.clone()).or_default();
            let arm = if member.arm == "treated" { 0 } else { 2 };
            tally[arm] += u64::from(outcome.retained);
            tally[arm + 1] += 1;
        }
    }
    Ok(tallies
        .into_iter()
        .filter(|(_, t)| t[1] >= MIN_ARM_FOR_UPLIFT && t[3] >= MIN_ARM_FOR_UPLIFT)
        .map(|(offer, t)| (offer, t[0] as f64 / t[1] as f64 - t[2] as f64 / t[3] as f64))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// The view

/// What the policy says of a marketing contact on the asking channel now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ContactVerdictView {
    pub allowed: bool,
    /// `allowed`, `do_not_disturb`, `suppressed`, `quiet_hours` or `cap_reached`.
    pub code: String,
    pub reason_zh: String,
    pub reason_en: String,
}

/// A line's churn score and the model's reasons.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LineRisk {
    pub subscription_id: String,
    pub churn_probability: Option<f64>,
    pub reasons_zh: String,
    pub reasons_en: String,
    /// Yuan a month, last 3 months.
    pub arpu_3m: f64,
}

/// A term of an offer's ranking.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TermView {
    pub name: String,
    pub value: f64,
}

/// An offer for the customer, ranked.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OfferForCustomer {
    pub rank: u32,
    pub offer_id: String,
    pub name_zh: String,
    pub name_en: String,
    pub terms_zh: String,
    pub terms_en: String,
    /// The line it is for (the customer's line where it is worth most).
    pub subscription_id: String,
    /// Yuan: P(churn) × P(accept) × value kept − P(accept) × cost (or measured uplift × value
    /// kept − P(accept) × cost).
    pub expected_net_value: f64,
    pub worth_offering: bool,
    /// The terms that decided the ranking, in the order of the formula.
    pub terms: Vec<TermView>,
    pub reason_zh: String,
    pub reason_en: String,
    /// The running campaign that assigned this offer to the customer, if one did: that is the
    /// offer to make, and accepting it goes through the campaign's task.
    pub campaign_id: Option<String>,
}

/// A running (or paused) campaign the customer is a treated member of.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CampaignForCustomer {
    pub campaign_id: String,
    pub name_zh: String,
    pub name_en: String,
    pub status: String,
    pub subscription_id: String,
    pub offer_id: String,
    /// The script for the asking channel, when the plan has one.
    pub script_zh: Option<String>,
    pub script_en: Option<String>,
    /// The campaign's open task on the asking channel, to record the outcome on.
    pub task_id: Option<i64>,
    /// The questionnaire 智能问卷 to ask, when the plan has one; its answers go with the outcome.
    #[schema(value_type = Option<Object>)]
    pub questionnaire: Option<weiwan_decision::questionnaire::Questionnaire>,
}

/// A contact in the ledger, as the view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ContactView {
    pub at: String,
    pub channel: String,
    pub campaign_id: Option<String>,
    pub outcome: String,
    pub refused: bool,
    pub user_id: String,
}

/// The unified policy view of a customer for one channel.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PolicyView {
    pub customer_id: String,
    pub channel: String,
    /// The date of the batch data (scores, ARPU, eligibility).
    pub data_as_of: String,
    pub vip_tier: String,
    pub vip_tier_zh: String,
    pub do_not_disturb: bool,
    /// May this channel make a marketing contact now.
    pub contact: ContactVerdictView,
    pub lines: Vec<LineRisk>,
    /// Best first; offers the customer holds, or that conflict with one held, are left out.
    pub offers: Vec<OfferForCustomer>,
    pub campaigns: Vec<CampaignForCustomer>,
    /// Most recent first, at most [`HISTORY_SHOWN`].
    pub contacts: Vec<ContactView>,
    pub open_tasks: Vec<TaskRecordView>,
}

/// Contacts shown in a view.
pub const HISTORY_SHOWN: usize = 20;

/// Checks a channel asked for a view.
pub fn check_view_channel(channel: &str) -> Result<()> {
    if VIEW_CHANNELS.contains(&channel) {
        Ok(())
    } else {
        Err(Error::Invalid(format!("channel: {channel:?} is none of {}", VIEW_CHANNELS.join(", "))))
    }
}

/// The policy view of a customer for `channel`, or `None` when the customer is in neither the
/// index nor the store. A customer the store knows but the batch has not scored (new since the
/// table was built) gets a view without offers or risk.
pub async fn policy_view(
    store: &dyn Store,
    loaded: &LoadedPolicy,
    withdrawn: &HashSet<String>,
    customer_id: &str,
    channel: &str,
    now: DateTime<Utc>,
) -> Result<Option<PolicyView>> {
    check_view_channel(channel)?;
    let indexed = loaded.index.customer(customer_id);
    let at = china_time(now);
    let today = at.date();
    let ids = [customer_id.to_owned()];
    let open_tasks = open_tasks(store, customer_id).await?;
    let tier = match indexed {
        Some(customer) => customer.vip_tier.clone(),
        None => {
            // Not in the batch's table: the store may still know them.
            let Some(subject) = store.customer_subjects(&ids).await?.into_iter().next() else {
                return Ok(None);
            };
            subject.vip_tier
        }
    };
    let do_not_disturb = !store.do_not_disturb(&ids).await?.is_empty();
    let history = store.contacts(&ids, &lookback(&loaded.contact_policy, at)).await?;
    let past_contacts: Vec<PastContact> = history.iter().filter_map(past).collect();
    let verdict = may_contact(&loaded.contact_policy, &past_contacts, do_not_disturb, channel, at, false);
    let lines = indexed.map(|c| c.lines.as_slice()).unwrap_or_default();
    let line_ids: Vec<String> = lines.iter().map(|l| l.subscription_id.clone()).collect();
    let held: Vec<(String, String)> =
        if line_ids.is_empty() { Vec::new() } else { store.holdings(&line_ids, &today.to_string()).await? };
    let campaigns = campaigns_of(store, &open_tasks, channel).await?;
    let offers = ranked_offers(loaded, withdrawn, lines, &held, &campaigns, today);
    let mut contacts: Vec<ContactView> = history
        .into_iter()
        .map(|c| ContactView {
            at: c.at,
            channel: c.channel,
            campaign_id: c.campaign_id,
            outcome: c.outcome,
            refused: c.refused,
            user_id: c.user_id,
        })
        .collect();
    contacts.sort_by(|a, b| b.at.cmp(&a.at));
    contacts.truncate(HISTORY_SHOWN);
    Ok(Some(PolicyView {
        customer_id: customer_id.to_owned(),
        channel: channel.to_owned(),
        data_as_of: loaded.index.as_of().to_string(),
        vip_tier_zh: tier.parse::<VipTier>().map(|t| t.label_zh().to_owned()).unwrap_or_default(),
        vip_tier: tier,
        do_not_disturb,
        contact: ContactVerdictView {
            allowed: verdict.allowed(),
            code: verdict.code().to_owned(),
            reason_zh: verdict.reason_zh(),
            reason_en: verdict.reason_en(),
        },
        lines: lines
            .iter()
            .map(|l| LineRisk {
                subscription_id: l.subscription_id.clone(),
                churn_probability: l.churn_probability,
                reasons_zh: l.reasons_zh.to_string(),
                reasons_en: l.reasons_en.to_string(),
                arpu_3m: l.arpu_3m,
            })
            .collect(),
        offers,
        campaigns,
        contacts,
        open_tasks: open_tasks.into_iter().map(TaskRecordView::from).collect(),
    }))
}

async fn open_tasks(store: &dyn Store, customer_id: &str) -> Result<Vec<weiwan_storage::TaskRecord>> {
    let mut tasks = Vec::new();
    for status in [TaskStatus::Open, TaskStatus::Claimed] {
        let filter = TaskFilter {
            customer_id: Some(customer_id.to_owned()),
            status: Some(status.code().to_owned()),
            ..TaskFilter::default()
        };
        tasks.extend(store.tasks(&filter).await?);
    }
    Ok(tasks)
}

/// The campaigns whose open tasks the customer has, each once, with the member's offer and the
/// script and task for `channel`.
async fn campaigns_of(
    store: &dyn Store,
    open_tasks: &[weiwan_storage::TaskRecord],
    channel: &str,
) -> Result<Vec<CampaignForCustomer>> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for task in open_tasks {
        let Some(campaign_id) = campaign_of_rule(&task.task.rule_id) else { continue };
        if !seen.insert((campaign_id.to_owned(), task.task.subject.clone())) {
            continue;
        }
        let record = find_campaign(store, campaign_id).await?;
        let Some(member) = store.campaign_member(campaign_id, &task.task.subject).await? else { continue };
        let plan = stored_plan(&record)?;
        let script = channel.parse::<ContactChannel>().ok().and_then(|c| plan.script(c));
        let task_id = open_tasks
            .iter()
            .find(|t| {
                t.task.rule_id == task.task.rule_id
                    && t.task.subject == task.task.subject
                    && t.task.cause == channel
            })
            .map(|t| t.task_id);
        let questionnaire = match &plan.questionnaire {
            Some(id) => Some(crate::questionnaires::find_questionnaire(store, id).await?),
            None => None,
        };
        out.push(CampaignForCustomer {
            campaign_id: campaign_id.to_owned(),
            name_zh: plan.name_zh.clone(),
            name_en: plan.name_en.clone(),
            status: record.status.clone(),
            subscription_id: member.subscription_id,
            offer_id: member.offer_id,
            script_zh: script.map(|s| s.script_zh.clone()),
            script_en: script.map(|s| s.script_en.clone()),
            task_id,
            questionnaire,
        });
    }
    Ok(out)
}

/// Every offer some line of the customer is eligible for today, once each (on the line where
/// it is worth most), best first; offers held, or conflicting with one held, left out.
fn ranked_offers(
    loaded: &LoadedPolicy,
    withdrawn: &HashSet<String>,
    lines: &[weiwan_analytics::IndexedLine],
    held: &[(String, String)],
    campaigns: &[CampaignForCustomer],
    today: NaiveDate,
) -> Vec<OfferForCustomer> {
    let held_offers: Vec<&Offer> = held
        .iter()
        .filter_map(|(_, offer_id)| loaded.offers.iter().find(|o| &o.offer.id == offer_id).map(|o| &o.offer))
        .collect();
    let held_ids: HashSet<&str> = held.iter().map(|(_, offer)| offer.as_str()).collect();
    let mut best: BTreeMap<String, OfferForCustomer> = BTreeMap::new();
    for line in lines {
        let candidates: Vec<(&Offer, OfferEvidence)> = line
            .eligible
            .iter()
            .filter_map(|&i| loaded.offers.get(usize::from(i)))
            .filter(|o| o.offer.valid_on(today) && !withdrawn.contains(&o.offer.id))
            .filter(|o| !held_ids.contains(o.offer.id.as_str()))
            .filter(|o| !held_offers.iter().any(|h| h.conflicts_with(&o.offer)))
            .map(|o| (&o.offer, o.evidence))
            .collect();
        let facts = CustomerFacts { churn_probability: line.churn_probability, monthly_value: line.arpu_3m };
        for ranked in rank_offers(&candidates, &facts, loaded.weights) {
            let better =
                best.get(&ranked.offer_id).is_none_or(|b| ranked.expected_net_value > b.expected_net_value);
            if !better {
                continue;
            }
            let Some((offer, _)) = candidates.iter().find(|(o, _)| o.id == ranked.offer_id) else { continue };
            let campaign_id = campaigns
                .iter()
                .find(|c| c.offer_id == ranked.offer_id && c.subscription_id == line.subscription_id)
                .map(|c| c.campaign_id.clone());
            best.insert(
                ranked.offer_id.clone(),
                OfferForCustomer {
                    rank: 0,
                    offer_id: ranked.offer_id,
                    name_zh: offer.name_zh.clone(),
                    name_en: offer.name_en.clone(),
                    terms_zh: offer.terms_zh(),
                    terms_en: offer.terms_en(),
                    subscription_id: line.subscription_id.clone(),
                    expected_net_value: round2(ranked.expected_net_value),
                    worth_offering: ranked.worth_offering,
                    terms: ranked
                        .terms
                        .into_iter()
                        .map(|Term { name, value }| TermView { name, value })
                        .collect(),
                    reason_zh: ranked.reason_zh,
                    reason_en: ranked.reason_en,
                    campaign_id,
                },
            );
        }
    }
    let mut offers: Vec<OfferForCustomer> = best.into_values().collect();
    // The campaign's offer first: the customer hears one decision on every channel.
    offers.sort_by(|a, b| {
        b.campaign_id
            .is_some()
            .cmp(&a.campaign_id.is_some())
            .then(b.expected_net_value.total_cmp(&a.expected_net_value))
            .then_with(|| a.offer_id.cmp(&b.offer_id))
    });
    for (rank, offer) in offers.iter_mut().enumerate() {
        offer.rank = rank as u32 + 1;
    }
    offers
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

// ---------------------------------------------------------------------------------------------
// The web hall

/// An offer in the web hall's "offers for you" zone 为你推荐.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WebHallOffer {
    pub campaign_id: String,
    pub offer_id: String,
    pub name_zh: String,
    pub name_en: String,
    pub terms_zh: String,
    pub terms_en: String,
    /// The line the offer is for.
    pub subscription_id: String,
    /// The last day it may be taken (YYYY-MM-DD).
    pub valid_to: String,
}

/// The web hall's zone: the offers running campaigns assigned to the customer's lines and
/// still valid today. Only treated members see one — a customer in a control group sees none,
/// or the holdout would not be one — and each is eligible by construction (the campaign's
/// draw checked its conditions).
pub async fn offers_for_you(
    store: &dyn Store,
    customer_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<WebHallOffer>> {
    let today = china_time(now).date();
    let tasks = open_tasks(store, customer_id).await?;
    let catalog = catalog(store).await?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for task in &tasks {
        let Some(campaign_id) = campaign_of_rule(&task.task.rule_id) else { continue };
        if !seen.insert((campaign_id.to_owned(), task.task.subject.clone())) {
            continue;
        }
        let record = find_campaign(store, campaign_id).await?;
        if status_of(&record)? != CampaignStatus::Running {
            continue;
        }
        let Some(member) = store.campaign_member(campaign_id, &task.task.subject).await? else { continue };
        let Some((offer, _)) = catalog.iter().find(|(o, _)| o.id == member.offer_id) else { continue };
        if !offer.valid_on(today) {
            continue;
        }
        out.push(WebHallOffer {
            campaign_id: campaign_id.to_owned(),
            offer_id: offer.id.clone(),
            name_zh: offer.name_zh.clone(),
            name_en: offer.name_en.clone(),
            terms_zh: offer.terms_zh(),
            terms_en: offer.terms_en(),
            subscription_id: member.subscription_id,
            valid_to: offer.valid_to.to_string(),
        });
    }
    Ok(out)
}

/// The customer takes a campaign's offer in the web hall: accepted on the campaign's open task
/// of the line (whichever channel holds it), entered in the ledger as a `web_hall` contact;
/// the customer's other tasks of the campaign close, as after any acceptance. `request_id`
/// makes a retry (a double click, a timeout) answer as the first request did.
pub async fn take_offer_on_web(
    store: &dyn Store,
    customer_id: &str,
    campaign_id: &str,
    request_id: &str,
    actor: &crate::tasks::Actor,
    now: DateTime<Utc>,
) -> Result<weiwan_storage::TaskRecord> {
    if request_id.is_empty() || request_id.chars().count() > 64 {
        return Err(Error::Invalid("request_id: 1 to 64 characters".into()));
    }
    if let Some(task_id) = store.outcome_request(request_id).await? {
        let task = store.task(task_id).await?.ok_or_else(|| Error::NotFound(format!("task {task_id}")))?;
        if task.task.customer_id != customer_id || campaign_of_rule(&task.task.rule_id) != Some(campaign_id) {
            return Err(Error::Conflict(format!("request_id {request_id:?} was used for another offer")));
        }
        return Ok(task);
    }
    let task = open_tasks(store, customer_id)
        .await?
        .into_iter()
        .filter(|t| campaign_of_rule(&t.task.rule_id) == Some(campaign_id))
        .min_by_key(|t| t.task_id)
        .ok_or_else(|| {
            Error::NotFound(format!("an offer of campaign {campaign_id} for customer {customer_id}"))
        })?;
    let task_id = task.task_id;
    let taken = crate::campaigns::Taken {
        channel: "web_hall",
        note: "网上营业厅自助办理 / taken in the web hall",
        request_id: Some(request_id.to_owned()),
        answers: (None, None),
    };
    let accepted = crate::campaigns::accept_offer(store, &task, taken, actor, now).await;
    // A concurrent retry finds the task done by the request it retries.
    if let Err(Error::Conflict(_)) = &accepted
        && store.outcome_request(request_id).await? == Some(task_id)
    {
        return store.task(task_id).await?.ok_or_else(|| Error::NotFound(format!("task {task_id}")));
    }
    accepted
}
