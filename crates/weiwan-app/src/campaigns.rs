//! The offer catalog 政策库 and retention campaigns (四步一库): plan, preview 方案预演,
//! approval, execution with a random holdout, acceptance of offers, and evaluation against
//! the holdout. Every campaign stays in the scheme library 方案库 and can be cloned.
//!
//! Who may do what is the server's business (roles); these use cases check what holds
//! whoever asks: an approver does not approve their own campaign nor two levels of one round,
//! transitions follow the state machine, budgets are never passed, offers that exclude each
//! other are never held together, and control groups never overlap.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use weiwan_analytics::ChurnKindSettings;
use weiwan_analytics::Condition;
use weiwan_analytics::campaigns::{
    campaign_candidates, check_conditions, member_outcomes, member_outcomes_with,
};
use weiwan_decision::campaign::{
    CampaignAction, CampaignPlan, PreviewTally, approvals_required, assign_offer, next_status, yuan,
};
use weiwan_decision::experiment::{
    Arm, Candidate, ContactRecord, ContactStats, Evaluation, MemberResult, contact_stats, draw_holdout,
    evaluate,
};
use weiwan_decision::offers::{Offer, check_offer, parse_catalog};
use weiwan_domain::Money;
use weiwan_domain::codes::{
    CampaignStatus, ContactChannel, RuleCategory, TaskAction, TaskPriority, TaskQueue,
};
use weiwan_storage::{
    Acceptance, Accepted, AuditEntry, CampaignHistoryEntry, CampaignRecord, ContactEntry, Executed,
    Execution, MemberRecord, NewTask, OfferRecord, OutcomeRecord, Store, TaskRecord, campaign_of_rule,
    campaign_rule_id,
};

use crate::error::{Error, Result};
use crate::segments::find_segment;
use crate::tasks::Actor;

/// A plan, an offer or a catalog was refused; nothing was saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refused:\n  {}", problems.join("\n  "))]
pub struct CampaignRefused {
    pub problems: Vec<String>,
}

fn refused(problem: impl Into<String>) -> Error {
    Error::CampaignRefused(CampaignRefused { problems: vec![problem.into()] })
}

fn audit_entry(
    actor: &Actor,
    at: &str,
    action: &str,
    object_type: &str,
    id: &str,
    detail: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        id: 0,
        at: at.to_owned(),
        actor: actor.user_id.clone(),
        role: actor.role.clone(),
        action: action.to_owned(),
        object_type: object_type.to_owned(),
        object_id: id.to_owned(),
        detail: detail.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// The offer catalog

/// An offer with what it costs and what was spent on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfferView {
    pub offer: Offer,
    /// Yuan per take-up.
    pub cost: String,
    pub spent: String,
    pub active: bool,
    pub terms_zh: String,
    pub terms_en: String,
    pub created_by: String,
    pub created_at: String,
}

fn offer_view(record: &OfferRecord) -> Result<OfferView> {
    let offer = stored_offer(record)?;
    Ok(OfferView {
        cost: offer.cost().to_string(),
        spent: Money::from_fen(record.spent_fen).to_string(),
        active: record.active,
        terms_zh: offer.terms_zh(),
        terms_en: offer.terms_en(),
        created_by: record.created_by.clone(),
        created_at: record.created_at.clone(),
        offer,
    })
}

pub(crate) fn stored_offer(record: &OfferRecord) -> Result<Offer> {
    serde_json::from_str(&record.definition)
        .map_err(|e| Error::Invalid(format!("stored offer {}: {e}", record.offer_id)))
}

/// Every offer in the catalog, by id.
pub async fn list_offers(store: &dyn Store) -> Result<Vec<OfferView>> {
    store.offers().await?.iter().map(offer_view).collect()
}

pub(crate) async fn catalog(store: &dyn Store) -> Result<Vec<(Offer, bool)>> {
    store.offers().await?.iter().map(|r| Ok((stored_offer(r)?, r.active))).collect()
}

/// An offer's eligibility conditions (its own and those its terms imply), parsed.
pub(crate) fn offer_conditions(offer: &Offer) -> Result<Vec<Condition>, String> {
    offer
        .conditions()
        .iter()
        .map(|text| text.parse::<Condition>().map_err(|e| format!("offer {}: eligibility: {e}", offer.id)))
        .collect()
}

/// Adds offers to the catalog, all or none: each must add up, name only known offers in its
/// exclusions, and have eligibility conditions that fit the tagged 360 table of the tag
/// library in force.
pub async fn add_offers(
    store: &dyn Store,
    lake: &weiwan_analytics::Lake,
    offers: &[Offer],
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<OfferView>> {
    let known: Vec<String> = store.offers().await?.into_iter().map(|r| r.offer_id).collect();
    let mut ids: Vec<&str> = known.iter().map(String::as_str).collect();
    ids.extend(offers.iter().map(|o| o.id.as_str()));
    let mut problems = Vec::new();
    for offer in offers {
        if let Err(refusal) = check_offer(offer, &ids) {
            problems.extend(refusal.problems);
        }
        if known.contains(&offer.id) {
            problems.push(format!("offer {}: id: taken by an offer in the catalog", offer.id));
        }
    }
    let library = weiwan_analytics::active_library(lake)?;
    let tagged = weiwan_analytics::tags::tagged_schema(&library).await?;
    for offer in offers {
        match offer_conditions(offer) {
            Err(problem) => problems.push(problem),
            Ok(conditions) => {
                if let Err(err) = check_conditions(tagged.clone(), &conditions).await {
                    match err {
                        weiwan_analytics::SegmentError::Refused(r) => problems.extend(
                            r.problems.into_iter().map(|p| format!("offer {}: eligibility: {p}", offer.id)),
                        ),
                        other => return Err(other.into()),
                    }
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(Error::CampaignRefused(CampaignRefused { problems }));
    }
    let at = now.to_rfc3339();
    let records = offers
        .iter()
        .map(|offer| {
            Ok(OfferRecord {
                offer_id: offer.id.clone(),
                definition: serde_json::to_string(offer)
                    .map_err(|e| Error::Invalid(format!("offer {}: {e}", offer.id)))?,
                budget_fen: offer.budget.map(Money::fen),
                spent_fen: 0,
                active: true,
                created_by: actor.user_id.clone(),
                created_at: at.clone(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let taken = store.create_offers(&records).await?;
    if !taken.is_empty() {
        return Err(refused(format!("offer ids taken meanwhile: {}", taken.join(", "))));
    }
    let ids: Vec<&str> = offers.iter().map(|o| o.id.as_str()).collect();
    store
        .append_audit(&audit_entry(
            actor,
            &at,
            "add_offers",
            "offer",
            &ids.join(","),
            serde_json::json!({ "offers": ids.len() }),
        ))
        .await?;
    records.iter().map(offer_view).collect()
}

/// Adds the offers of a catalog file (TOML, `[[offer]]` entries), all or none.
pub async fn load_catalog(
    store: &dyn Store,
    lake: &weiwan_analytics::Lake,
    source: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<OfferView>> {
    let known: Vec<String> = store.offers().await?.into_iter().map(|r| r.offer_id).collect();
    let ids: Vec<&str> = known.iter().map(String::as_str).collect();
    let offers = parse_catalog(source, &ids)
        .map_err(|r| Error::CampaignRefused(CampaignRefused { problems: r.problems }))?;
    add_offers(store, lake, &offers, actor, now).await
}

/// Retires an offer (or puts it back): retired offers are kept but no longer offered.
pub async fn set_offer_active(
    store: &dyn Store,
    offer_id: &str,
    active: bool,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<OfferView> {
    if !store.set_offer_active(offer_id, active).await? {
        return Err(Error::NotFound(format!("offer {offer_id}")));
    }
    let at = now.to_rfc3339();
    let action = if active { "reinstate_offer" } else { "retire_offer" };
    store.append_audit(&audit_entry(actor, &at, action, "offer", offer_id, serde_json::json!({}))).await?;
    let record =
        store.find_offer(offer_id).await?.ok_or_else(|| Error::NotFound(format!("offer {offer_id}")))?;
    offer_view(&record)
}

// ---------------------------------------------------------------------------------------------
// Campaigns: plan, edit, clone

/// A campaign as people see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignView {
    pub campaign_id: String,
    pub status: String,
    pub status_zh: String,
    pub plan: CampaignPlan,
    pub approvals: i64,
    pub approvals_required: i64,
    pub budget: String,
    pub spent: String,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub cloned_from: Option<String>,
    pub executed_on: Option<String>,
    pub treated: u64,
    pub control: u64,
    pub history: Vec<HistoryView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryView {
    pub at: String,
    pub user_id: String,
    pub action: String,
    pub from_status: String,
    pub to_status: String,
    pub level: i64,
    pub comment: String,
}

pub(crate) fn stored_plan(record: &CampaignRecord) -> Result<CampaignPlan> {
    serde_json::from_str(&record.plan)
        .map_err(|e| Error::Invalid(format!("stored plan of campaign {}: {e}", record.campaign_id)))
}

pub(crate) fn status_of(record: &CampaignRecord) -> Result<CampaignStatus> {
    record.status.parse().map_err(|e| Error::Invalid(format!("campaign {}: status: {e}", record.campaign_id)))
}

pub(crate) async fn find_campaign(store: &dyn Store, campaign_id: &str) -> Result<CampaignRecord> {
    store.find_campaign(campaign_id).await?.ok_or_else(|| Error::NotFound(format!("campaign {campaign_id}")))
}

/// A campaign with its history and the size of each arm.
pub async fn campaign_view(store: &dyn Store, campaign_id: &str) -> Result<CampaignView> {
    let record = find_campaign(store, campaign_id).await?;
    let members = store.campaign_members(campaign_id).await?;
    let treated = members.iter().filter(|m| m.arm == Arm::Treated.code()).count() as u64;
    let history = store
        .campaign_history(campaign_id)
        .await?
        .into_iter()
        .map(|h| HistoryView {
            at: h.at,
            user_id: h.user_id,
            action: h.action,
            from_status: h.from_status,
            to_status: h.to_status,
            level: h.level,
            comment: h.comment,
        })
        .collect();
    summary_view(&record, treated, members.len() as u64 - treated, history)
}

fn summary_view(
    record: &CampaignRecord,
    treated: u64,
    control: u64,
    history: Vec<HistoryView>,
) -> Result<CampaignView> {
    let status = status_of(record)?;
    Ok(CampaignView {
        campaign_id: record.campaign_id.clone(),
        status: status.code().to_owned(),
        status_zh: status.label_zh().to_owned(),
        plan: stored_plan(record)?,
        approvals: record.approvals,
        approvals_required: record.approvals_required,
        budget: Money::from_fen(record.budget_fen).to_string(),
        spent: Money::from_fen(record.spent_fen).to_string(),
        created_by: record.created_by.clone(),
        created_at: record.created_at.clone(),
        updated_at: record.updated_at.clone(),
        cloned_from: record.cloned_from.clone(),
        executed_on: record.executed_on.clone(),
        treated,
        control,
        history,
    })
}

/// The scheme library: every campaign, newest first (without members or history).
pub async fn list_campaigns(store: &dyn Store) -> Result<Vec<CampaignView>> {
    store.campaigns().await?.iter().map(|r| summary_view(r, 0, 0, Vec::new())).collect()
}

fn check_campaign_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok { Ok(()) } else { Err(refused(format!("campaign id {id:?}: 1 to 64 of a-z, 0-9, - and _"))) }
}

/// Checks a plan against the catalog and the target groups; every problem is reported.
async fn check_plan(store: &dyn Store, plan: &CampaignPlan) -> Result<()> {
    let offers: Vec<Offer> = catalog(store).await?.into_iter().map(|(offer, _)| offer).collect();
    let mut problems = plan.problems(&offers);
    for (offer, active) in catalog(store).await? {
        if !active && plan.offers.contains(&offer.id) {
            problems.push(format!("offers: {} is retired", offer.id));
        }
    }
    if let Err(err) = find_segment(store, &plan.target_group).await {
        problems.push(format!("target_group: {err}"));
    }
    if let Some(id) = &plan.questionnaire
        && store.find_questionnaire(id).await?.is_none()
    {
        problems.push(format!("questionnaire: no questionnaire {id}"));
    }
    if problems.is_empty() { Ok(()) } else { Err(Error::CampaignRefused(CampaignRefused { problems })) }
}

/// The holdout draw's seed: from the campaign id and the time it was created, so two campaigns
/// never share a draw and the same campaign always draws alike.
fn seed(campaign_id: &str, at: &str) -> i64 {
    let digest = Sha256::digest(format!("{campaign_id}\n{at}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_le_bytes(bytes)
}

fn history(
    record: &CampaignRecord,
    actor: &Actor,
    at: &str,
    action: &str,
    to: &str,
    level: i64,
    comment: &str,
) -> CampaignHistoryEntry {
    CampaignHistoryEntry {
        campaign_id: record.campaign_id.clone(),
        at: at.to_owned(),
        user_id: actor.user_id.clone(),
        action: action.to_owned(),
        from_status: record.status.clone(),
        to_status: to.to_owned(),
        level,
        comment: comment.to_owned(),
    }
}

/// Plans a campaign: a draft in the scheme library. The plan is checked whole first.
pub async fn create_campaign(
    store: &dyn Store,
    campaign_id: &str,
    plan: &CampaignPlan,
    cloned_from: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<CampaignView> {
    check_campaign_id(campaign_id)?;
    check_plan(store, plan).await?;
    let at = now.to_rfc3339();
    let record = CampaignRecord {
        campaign_id: campaign_id.to_owned(),
        plan: serde_json::to_string(plan).map_err(|e| Error::Invalid(format!("plan: {e}")))?,
        status: CampaignStatus::Draft.code().to_owned(),
        approvals: 0,
        approvals_required: i64::from(approvals_required(plan)),
        budget_fen: plan.budget.fen(),
        spent_fen: 0,
        seed: seed(campaign_id, &at),
        created_by: actor.user_id.clone(),
        created_at: at.clone(),
        updated_at: at.clone(),
        cloned_from: cloned_from.map(str::to_owned),
        executed_on: None,
    };
    let action = if cloned_from.is_some() { "clone" } else { "create" };
    let comment = cloned_from.map(|from| format!("cloned from {from}")).unwrap_or_default();
    let mut entry = history(&record, actor, &at, action, CampaignStatus::Draft.code(), 0, &comment);
    entry.from_status = String::new();
    if !store.create_campaign(&record, &entry).await? {
        return Err(Error::Conflict(format!("a campaign {campaign_id} exists")));
    }
    store
        .append_audit(&audit_entry(
            actor,
            &at,
            "create_campaign",
            "campaign",
            campaign_id,
            serde_json::json!({ "cloned_from": cloned_from }),
        ))
        .await?;
    campaign_view(store, campaign_id).await
}

/// Replaces the plan of a draft (a rejected campaign goes back to draft for this).
pub async fn edit_campaign(
    store: &dyn Store,
    campaign_id: &str,
    plan: &CampaignPlan,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<CampaignView> {
    let mut record = find_campaign(store, campaign_id).await?;
    if status_of(&record)? != CampaignStatus::Draft {
        return Err(Error::Conflict(format!(
            "campaign {campaign_id} is {}: only a draft can be edited",
            record.status
        )));
    }
    check_plan(store, plan).await?;
    let at = now.to_rfc3339();
    record.plan = serde_json::to_string(plan).map_err(|e| Error::Invalid(format!("plan: {e}")))?;
    record.budget_fen = plan.budget.fen();
    record.approvals_required = i64::from(approvals_required(plan));
    record.updated_at = at.clone();
    let entry = history(&record, actor, &at, "edit", CampaignStatus::Draft.code(), 0, "");
    if !store.update_campaign_plan(&record, &entry).await? {
        return Err(Error::Conflict(format!("campaign {campaign_id} was submitted meanwhile")));
    }
    store
        .append_audit(&audit_entry(
            actor,
            &at,
            "edit_campaign",
            "campaign",
            campaign_id,
            serde_json::json!({}),
        ))
        .await?;
    campaign_view(store, campaign_id).await
}

/// Copies a campaign of the scheme library, in any state, into a new draft.
pub async fn clone_campaign(
    store: &dyn Store,
    campaign_id: &str,
    new_id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<CampaignView> {
    let record = find_campaign(store, campaign_id).await?;
    let plan = stored_plan(&record)?;
    create_campaign(store, new_id, &plan, Some(campaign_id), actor, now).await
}

// ---------------------------------------------------------------------------------------------
// Members: from the target group to offers and arms

/// One member before the draw.
struct Drawable {
    candidate: weiwan_analytics::campaigns::CampaignCandidate,
    offer: usize,
}

/// The campaign's candidates on `as_of` with the offer each gets: the target group, less the
/// lines other campaigns hold (see `CampaignStore::engaged`), less those no offer fits (not eligible, or holding an
/// offer that excludes it).
async fn drawable(
    store: &dyn Store,
    lake: &weiwan_analytics::Lake,
    campaign_id: &str,
    plan: &CampaignPlan,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(Vec<Offer>, Vec<Drawable>, Excluded)> {
    let all = catalog(store).await?;
    let mut offers = Vec::new();
    for id in &plan.offers {
        match all.iter().find(|(o, _)| &o.id == id) {
            Some((offer, true)) => offers.push(offer.clone()),
            Some((_, false)) => return Err(refused(format!("offers: {id} is retired"))),
            None => return Err(refused(format!("offers: no offer {id} in the catalog"))),
        }
    }
    let eligibility = offers
        .iter()
        .map(offer_conditions)
        .collect::<std::result::Result<Vec<_>, String>>()
        .map_err(refused)?;
    let segment = find_segment(store, &plan.target_group).await?;
    let candidates = campaign_candidates(lake, as_of, &segment.query, &eligibility).await?;
    let ids: Vec<String> = candidates.iter().map(|c| c.subscription_id.clone()).collect();
    let today = as_of.to_string();
    let held: HashSet<String> = store.engaged(&ids, &today, campaign_id).await?.into_iter().collect();
    let mut holdings: HashMap<String, Vec<&Offer>> = HashMap::new();
    for (line, offer_id) in store.holdings(&ids, &today).await? {
        if let Some((offer, _)) = all.iter().find(|(o, _)| o.id == offer_id) {
            holdings.entry(line).or_default().push(offer);
        }
    }
    // Customers the contact policy keeps quiet (do-not-disturb, suppressed after refusals)
    // cannot be treated, so they are not drawn into either arm.
    let customers: Vec<String> =
        candidates.iter().map(|c| c.customer_id.clone()).collect::<HashSet<_>>().into_iter().collect();
    let channel = plan.channels.first().map(|c| c.channel.as_str()).unwrap_or_default();
    // As of now, or the start of the data's day if that is later: what the ledger holds counts.
    let at = crate::contact::china_time(now).max(as_of.and_hms_opt(0, 0, 0).unwrap_or_default());
    let verdicts =
        crate::contact::verdicts(store, &crate::contact::policy(), &customers, channel, at).await?;
    let quiet: HashSet<&str> = verdicts
        .iter()
        .filter(|(_, v)| {
            matches!(
                v,
                weiwan_decision::contact::Verdict::DoNotDisturb
                    | weiwan_decision::contact::Verdict::Suppressed { .. }
            )
        })
        .map(|(id, _)| id.as_str())
        .collect();
    let refs: Vec<&Offer> = offers.iter().collect();
    let excluded = Excluded {
        held_elsewhere: candidates.iter().filter(|c| held.contains(&c.subscription_id)).count() as u64,
        kept_quiet: candidates
            .iter()
            .filter(|c| !held.contains(&c.subscription_id) && quiet.contains(c.customer_id.as_str()))
            .count() as u64,
    };
    let drawable = candidates
        .into_iter()
        .filter(|c| !held.contains(&c.subscription_id) && !quiet.contains(c.customer_id.as_str()))
        .filter_map(|candidate| {
            let holds = holdings.get(&candidate.subscription_id).map(Vec::as_slice).unwrap_or_default();
            assign_offer(&refs, &candidate.eligible, holds).map(|offer| Drawable { candidate, offer })
        })
        .collect();
    Ok((offers, drawable, excluded))
}

/// Lines of the target group left out of a draw before offers are matched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Excluded {
    /// Held by other campaigns.
    held_elsewhere: u64,
    /// Customers the contact policy keeps quiet.
    kept_quiet: u64,
}

fn draw(members: &[Drawable], plan: &CampaignPlan, seed: i64) -> Result<Vec<Arm>> {
    let candidates: Vec<Candidate> = members
        .iter()
        .map(|m| Candidate {
            subject: m.candidate.subscription_id.clone(),
            stratum: m.candidate.vip_tier.clone(),
        })
        .collect();
    draw_holdout(&candidates, plan.holdout_share, u64::from_le_bytes(seed.to_le_bytes())).map_err(refused)
}

/// A campaign preview 方案预演: who the campaign would reach today and what it would cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignPreview {
    pub campaign_id: String,
    pub as_of: String,
    /// Lines of the target group on the date.
    pub target_group: u64,
    /// Of those, held by other campaigns (their control groups while the holdout lasts, their
    /// members while they run).
    pub held_elsewhere: u64,
    /// Of the rest, lines of customers the contact policy keeps quiet (do-not-disturb,
    /// suppressed after refusals).
    pub kept_quiet: u64,
    /// Of the rest, lines no offer fits.
    pub no_offer: u64,
    pub treated: u64,
    pub control: u64,
    /// Per offer, over the treated lines.
    pub offers: Vec<PreviewTally>,
    pub expected_take_ups: f64,
    /// Yuan.
    pub expected_cost: f64,
    pub budget: f64,
    pub within_budget: bool,
    pub expected_saved_revenue: f64,
    /// Treated lines per VIP tier.
    pub by_tier: BTreeMap<String, u64>,
    pub by_branch: BTreeMap<String, u64>,
    /// A few treated lines with their offer: subscription id, tier, branch, offer id.
    pub sample: Vec<[String; 4]>,
}

/// Previews a campaign on the tagged 360 table of `as_of`: the draw it would make now (the
/// contact ledger as of `now`) and the take-up, cost and saved revenue expected. Changes
/// nothing.
pub async fn preview_campaign(
    store: &dyn Store,
    lake: &weiwan_analytics::Lake,
    campaign_id: &str,
    as_of: NaiveDate,
    sample: usize,
    now: DateTime<Utc>,
) -> Result<CampaignPreview> {
    let record = find_campaign(store, campaign_id).await?;
    let plan = stored_plan(&record)?;
    let segment = find_segment(store, &plan.target_group).await?;
    let all = campaign_candidates(lake, as_of, &segment.query, &[]).await?.len() as u64;
    let (offers, members, excluded) = drawable(store, lake, campaign_id, &plan, as_of, now).await?;
    let arms = draw(&members, &plan, record.seed)?;
    let mut tallies: Vec<PreviewTally> = offers.iter().map(|o| PreviewTally::new(&o.id)).collect();
    let mut preview = CampaignPreview {
        campaign_id: campaign_id.to_owned(),
        as_of: as_of.to_string(),
        target_group: all,
        held_elsewhere: excluded.held_elsewhere,
        kept_quiet: excluded.kept_quiet,
        no_offer: all - excluded.held_elsewhere - excluded.kept_quiet - members.len() as u64,
        treated: 0,
        control: 0,
        offers: Vec::new(),
        expected_take_ups: 0.0,
        expected_cost: 0.0,
        budget: yuan(plan.budget),
        within_budget: true,
        expected_saved_revenue: 0.0,
        by_tier: BTreeMap::new(),
        by_branch: BTreeMap::new(),
        sample: Vec::new(),
    };
    for (member, arm) in members.iter().zip(&arms) {
        if *arm == Arm::Control {
            preview.control += 1;
            continue;
        }
        preview.treated += 1;
        let c = &member.candidate;
        let offer = &offers[member.offer];
        tallies[member.offer].add(offer, offer.expected_take_up, c.churn_probability, c.arpu_3m);
        *preview.by_tier.entry(c.vip_tier.clone()).or_default() += 1;
        *preview.by_branch.entry(c.branch_id.clone()).or_default() += 1;
        if preview.sample.len() < sample {
            preview.sample.push([
                c.subscription_id.clone(),
                c.vip_tier.clone(),
                c.branch_id.clone(),
                offer.id.clone(),
            ]);
        }
    }
    preview.expected_take_ups = tallies.iter().map(|t| t.expected_take_ups).sum();
    preview.expected_cost = tallies.iter().map(|t| t.expected_cost).sum();
    preview.expected_saved_revenue = tallies.iter().map(|t| t.expected_saved_revenue).sum();
    preview.within_budget = preview.expected_cost <= preview.budget;
    preview.offers = tallies;
    Ok(preview)
}

// ---------------------------------------------------------------------------------------------
// Transitions

/// What an action needs besides the campaign: a comment (approvals, rejections) and, to
/// execute, the date of the data to draw from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionRequest {
    pub comment: String,
    /// Required to execute: the tagged 360 table of this date picks the members.
    pub as_of: Option<NaiveDate>,
}

/// Applies an action to a campaign, as the state machine allows. Approvals: the campaign's
/// author may not approve it, nor may one person approve two levels of the same round; a
/// rejection needs a comment. Executing draws the members and the holdout and raises the
/// treated members' tasks, all in one transaction. Ending closes the campaign's open tasks.
pub async fn act_on_campaign(
    store: &dyn Store,
    lake: &weiwan_analytics::Lake,
    campaign_id: &str,
    action: CampaignAction,
    request: &ActionRequest,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<CampaignView> {
    let record = find_campaign(store, campaign_id).await?;
    let status = status_of(&record)?;
    let approvals = u8::try_from(record.approvals).unwrap_or(u8::MAX);
    let required = u8::try_from(record.approvals_required).unwrap_or(u8::MAX);
    let next = next_status(status, action, approvals, required).map_err(Error::Conflict)?;
    if request.comment.chars().count() > 1000 {
        return Err(Error::Invalid("comment: at most 1000 characters".into()));
    }
    let at = now.to_rfc3339();
    let (new_approvals, level) = match action {
        CampaignAction::Approve => {
            if record.created_by == actor.user_id {
                return Err(Error::Conflict(format!("campaign {campaign_id}: its author cannot approve it")));
            }
            if approved_this_round(store, campaign_id).await?.contains(&actor.user_id) {
                return Err(Error::Conflict(format!(
                    "campaign {campaign_id}: {} approved an earlier level of this round; another approver must",
                    actor.user_id
                )));
            }
            (record.approvals + 1, record.approvals + 1)
        }
        CampaignAction::Reject => {
            if request.comment.trim().is_empty() {
                return Err(Error::Invalid("comment: a rejection says why".into()));
            }
            (0, record.approvals + 1)
        }
        CampaignAction::Submit => (0, 0),
        _ => (record.approvals, 0),
    };
    if action == CampaignAction::Submit {
        check_plan(store, &stored_plan(&record)?).await?;
    }
    if action == CampaignAction::Execute {
        let as_of = request
            .as_of
            .ok_or_else(|| Error::Invalid("as_of: executing needs the date of the data".into()))?;
        execute(store, lake, &record, as_of, actor, now, &request.comment).await?;
    } else {
        let entry = history(&record, actor, &at, action.code(), next.code(), level, &request.comment);
        let close_tasks = action == CampaignAction::End;
        if !store.transition_campaign(&entry, record.approvals, new_approvals, close_tasks).await? {
            return Err(Error::Conflict(format!("campaign {campaign_id} changed meanwhile; look again")));
        }
    }
    store
        .append_audit(&audit_entry(
            actor,
            &at,
            &format!("{}_campaign", action.code()),
            "campaign",
            campaign_id,
            serde_json::json!({ "from": status.code(), "to": next.code(), "comment": request.comment }),
        ))
        .await?;
    campaign_view(store, campaign_id).await
}

/// Users who approved a level since the campaign was last submitted.
async fn approved_this_round(store: &dyn Store, campaign_id: &str) -> Result<Vec<String>> {
    let history = store.campaign_history(campaign_id).await?;
    let since = history.iter().rposition(|h| h.action == CampaignAction::Submit.code()).unwrap_or(0);
    Ok(history[since..]
        .iter()
        .filter(|h| h.action == CampaignAction::Approve.code())
        .map(|h| h.user_id.clone())
        .collect())
}

/// How many times an execution is tried when another campaign's draw overlapped it.
const EXECUTE_ATTEMPTS: usize = 3;

async fn execute(
    store: &dyn Store,
    lake: &weiwan_analytics::Lake,
    record: &CampaignRecord,
    as_of: NaiveDate,
    actor: &Actor,
    now: DateTime<Utc>,
    comment: &str,
) -> Result<()> {
    let at = &now.to_rfc3339();
    let plan = stored_plan(record)?;
    if as_of < plan.starts_on || as_of > plan.ends_on {
        return Err(Error::Conflict(format!(
            "campaign {} runs {} to {}; it cannot start with the data of {as_of}",
            record.campaign_id, plan.starts_on, plan.ends_on
        )));
    }
    for _ in 0..EXECUTE_ATTEMPTS {
        let (offers, members, _) = drawable(store, lake, &record.campaign_id, &plan, as_of, now).await?;
        if members.is_empty() {
            return Err(refused(format!(
                "campaign {}: no line of target group {} on {as_of} is eligible for its offers",
                record.campaign_id, plan.target_group
            )));
        }
        let arms = draw(&members, &plan, record.seed)?;
        let expected: f64 = members
            .iter()
            .zip(&arms)
            .filter(|(_, arm)| **arm == Arm::Treated)
            .map(|(m, _)| offers[m.offer].expected_take_up * yuan(offers[m.offer].cost()))
            .sum();
        if expected > yuan(plan.budget) {
            return Err(refused(format!(
                "campaign {}: the expected cost of take-ups, {expected:.2} yuan, exceeds the budget of {} yuan; \
                 raise the budget or narrow the target group",
                record.campaign_id, plan.budget
            )));
        }
        let execution = Execution {
            campaign_id: record.campaign_id.clone(),
            executed_on: as_of.to_string(),
            holdout_until: plan.holdout_until().to_string(),
            members: members
                .iter()
                .zip(&arms)
                .map(|(m, arm)| MemberRecord {
                    campaign_id: record.campaign_id.clone(),
                    subscription_id: m.candidate.subscription_id.clone(),
                    customer_id: m.candidate.customer_id.clone(),
                    vip_tier: m.candidate.vip_tier.clone(),
                    branch_id: m.candidate.branch_id.clone(),
                    manager_id: m.candidate.manager_id.clone(),
                    arm: arm.code().to_owned(),
                    offer_id: offers[m.offer].id.clone(),
                })
                .collect(),
            tasks: members
                .iter()
                .zip(&arms)
                .filter(|(_, arm)| **arm == Arm::Treated)
                .flat_map(|(m, _)| {
                    plan.channel_codes()
                        .into_iter()
                        .map(|channel| campaign_task(record, &plan, &offers[m.offer], m, channel, at))
                })
                .collect(),
            history: history(
                record,
                actor,
                at,
                CampaignAction::Execute.code(),
                CampaignStatus::Running.code(),
                0,
                comment,
            ),
        };
        match store.execute_campaign(&execution).await? {
            Executed::Started { tasks } => {
                tracing::info!(campaign = %record.campaign_id, members = members.len(), tasks, "campaign started");
                return Ok(());
            }
            Executed::NotApproved { status } => {
                return Err(Error::Conflict(format!("campaign {} is {status} now", record.campaign_id)));
            }
            // Another campaign drew some of these lines meanwhile: draw again without them.
            Executed::HeldOut(lines) => {
                tracing::info!(campaign = %record.campaign_id, lines = lines.len(), "lines held out meanwhile; drawing again");
            }
        }
    }
    Err(Error::Conflict(format!(
        "campaign {}: other campaigns kept drawing the same lines; try again",
        record.campaign_id
    )))
}

/// A treated member's task on one channel: the account manager calls (or the outbound queue
/// when the customer has none); stores and the hotline take it from their queues.
fn campaign_task(
    record: &CampaignRecord,
    plan: &CampaignPlan,
    offer: &Offer,
    member: &Drawable,
    channel: ContactChannel,
    at: &str,
) -> NewTask {
    let c = &member.candidate;
    let (action, manager_id, queue) = match channel {
        ContactChannel::Outbound => match &c.manager_id {
            Some(manager) => (TaskAction::Call, Some(manager.clone()), None),
            None => (TaskAction::Call, None, Some(TaskQueue::Outbound)),
        },
        ContactChannel::Store => (TaskAction::Visit, None, Some(TaskQueue::Store)),
        ContactChannel::Hotline => (TaskAction::Call, None, Some(TaskQueue::Hotline)),
    };
    let script = plan.script(channel);
    NewTask {
        rule_id: campaign_rule_id(&record.campaign_id),
        subject: c.subscription_id.clone(),
        cause: channel.code().to_owned(),
        category: RuleCategory::Campaign.code().to_owned(),
        action: action.code().to_owned(),
        customer_id: c.customer_id.clone(),
        subscription_id: Some(c.subscription_id.clone()),
        branch_id: c.branch_id.clone(),
        manager_id,
        queue: queue.map(|q| q.code().to_owned()),
        priority: TaskPriority::Normal.code().to_owned(),
        due_on: plan.ends_on.to_string(),
        reason_zh: format!(
            "{}：{}。{}",
            plan.name_zh,
            offer.terms_zh(),
            script.map(|s| s.script_zh.as_str()).unwrap_or_default()
        ),
        reason_en: format!(
            "{}: {}. {}",
            plan.name_en,
            offer.terms_en(),
            script.map(|s| s.script_en.as_str()).unwrap_or_default()
        ),
        created_at: at.to_owned(),
        source_event: None,
    }
}

// ---------------------------------------------------------------------------------------------
// Acceptance

/// How an offer was taken: on which channel (the ledger's), with the note, the client's
/// request id and the questionnaire's answers (id and JSON) to record with the outcome.
#[derive(Debug)]
pub(crate) struct Taken<'a> {
    pub channel: &'a str,
    pub note: &'a str,
    pub request_id: Option<String>,
    pub answers: (Option<String>, Option<String>),
}

/// Records that the customer took the campaign's offer on a campaign task: the take-up is paid
/// from the offer's and the campaign's budgets, the customer's other tasks of the campaign
/// close, and an offer the customer holds that excludes this one refuses it. Called by
/// `tasks::record_outcome` for the outcome `accepted`.
pub(crate) async fn accept_offer(
    store: &dyn Store,
    task: &TaskRecord,
    taken: Taken<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<TaskRecord> {
    let Taken { channel, note, request_id, answers } = taken;
    let task_id = task.task_id;
    let campaign_id = campaign_of_rule(&task.task.rule_id).ok_or_else(|| {
        Error::Invalid(format!(
            "outcome: task {task_id} is not a campaign task; only an offer can be accepted"
        ))
    })?;
    let record = find_campaign(store, campaign_id).await?;
    if status_of(&record)? != CampaignStatus::Running {
        return Err(Error::Conflict(format!(
            "campaign {campaign_id} is {}: offers are not taken now",
            record.status
        )));
    }
    let member = store.campaign_member(campaign_id, &task.task.subject).await?.ok_or_else(|| {
        Error::Invalid(format!("task {task_id}: its line is not a member of campaign {campaign_id}"))
    })?;
    let offers = catalog(store).await?;
    let (offer, _) = offers.iter().find(|(o, _)| o.id == member.offer_id).ok_or_else(|| {
        Error::Invalid(format!("campaign {campaign_id}: offer {} is missing", member.offer_id))
    })?;
    let today = crate::events::china_date(now);
    if !offer.valid_on(today) {
        return Err(Error::Conflict(format!(
            "offer {} is valid {} to {}, not on {today}",
            offer.id, offer.valid_from, offer.valid_to
        )));
    }
    let excluded: Vec<String> = offers
        .iter()
        .filter(|(o, _)| o.conflicts_with(offer) || o.id == offer.id)
        .map(|(o, _)| o.id.clone())
        .collect();
    let until = today
        .checked_add_months(chrono::Months::new(offer.retention_months()))
        .ok_or_else(|| Error::Invalid("offer term out of range".into()))?;
    let at = now.to_rfc3339();
    let acceptance = Acceptance {
        campaign_id: campaign_id.to_owned(),
        offer_id: offer.id.clone(),
        task_id,
        subscription_id: task.task.subject.clone(),
        customer_id: task.task.customer_id.clone(),
        channel: channel.to_owned(),
        user_id: actor.user_id.clone(),
        at: at.clone(),
        today: today.to_string(),
        until: until.to_string(),
        cost_fen: offer.cost().fen(),
        excluded_offers: excluded,
        outcome: OutcomeRecord {
            task_id,
            at: at.clone(),
            user_id: actor.user_id.clone(),
            outcome: "accepted".to_owned(),
            note: note.to_owned(),
            confirm_suspension: false,
            request_id,
            questionnaire_id: answers.0,
            answers: answers.1,
        },
        contact: ContactEntry {
            channel: channel.to_owned(),
            ..crate::contact::ledger_entry(task, actor, weiwan_domain::codes::TaskOutcome::Accepted, now)
        },
    };
    let (task, closed) = match store.accept_offer(&acceptance).await? {
        Accepted::Accepted { task, closed } => (task, closed),
        Accepted::NotFound => return Err(Error::NotFound(format!("task {task_id}"))),
        Accepted::NotRunning { status } => {
            return Err(Error::Conflict(format!(
                "campaign {campaign_id} is {status}: offers are not taken now"
            )));
        }
        Accepted::TaskDone => return Err(Error::Conflict(format!("task {task_id} is done"))),
        Accepted::AlreadyTaken => {
            return Err(Error::Conflict(format!("the customer took campaign {campaign_id}'s offer already")));
        }
        Accepted::Excluded { offer_id } => {
            return Err(Error::Conflict(format!(
                "the customer holds offer {offer_id}, which cannot be held together with {}",
                offer.id
            )));
        }
        Accepted::OfferBudgetSpent => {
            return Err(Error::Conflict(format!("offer {}: its budget is spent", offer.id)));
        }
        Accepted::CampaignBudgetSpent => {
            return Err(Error::Conflict(format!("campaign {campaign_id}: its budget is spent")));
        }
    };
    let detail = serde_json::json!({ "outcome": "accepted", "offer": offer.id, "cost": offer.cost().to_string(), "channel": channel, "closed": closed });
    store
        .append_audit(&audit_entry(actor, &at, "record_outcome", "task", &task_id.to_string(), detail))
        .await?;
    Ok(task)
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/// How a campaign did against its holdout, as of a date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignEvaluation {
    pub campaign_id: String,
    pub executed_on: String,
    pub as_of: String,
    /// Members the lake does not know (left out of the arms' figures).
    pub unknown_members: u64,
    pub take_ups: u64,
    pub evaluation: Evaluation,
    pub by_channel: Vec<ContactStats>,
    pub by_manager: Vec<ContactStats>,
    pub targets: Vec<TargetResult>,
}

/// A KPI target and where the campaign stands against it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetResult {
    pub kpi: String,
    pub t0: f64,
    pub t1: f64,
    pub actual: Option<f64>,
    /// `t1` (stretch reached), `t0` (base reached), `below`, or `unknown`.
    pub reached: String,
}

/// Evaluates a campaign that ran: retention and revenue of the treated against the control
/// group (intention to treat: every treated member counts, reached or not), the uplift with a
/// 95% interval, incremental revenue net of the offers' cost, ROI, and take-up, connect and
/// success rates by channel and manager. Revenue counts the usage months from the month the
/// campaign started to before `as_of`; the revenue uplift is adjusted for each member's revenue
/// over as many months before the campaign (CUPED), the plain difference reported beside it.
pub async fn evaluate_campaign(
    store: &dyn Store,
    lake: &weiwan_analytics::Lake,
    campaign_id: &str,
    as_of: NaiveDate,
) -> Result<CampaignEvaluation> {
    let record = find_campaign(store, campaign_id).await?;
    let plan = stored_plan(&record)?;
    let executed_on = record
        .executed_on
        .as_deref()
        .ok_or_else(|| Error::Conflict(format!("campaign {campaign_id} has not run: nothing to evaluate")))?;
    let started = NaiveDate::parse_from_str(executed_on, "%Y-%m-%d")
        .map_err(|e| Error::Invalid(format!("campaign {campaign_id}: executed_on {executed_on:?}: {e}")))?;
    if as_of <= started {
        return Err(Error::Invalid(format!("as_of: {as_of} is not after the campaign started ({started})")));
    }
    let members = store.campaign_members(campaign_id).await?;
    let ids: Vec<String> = members.iter().map(|m| m.subscription_id.clone()).collect();
    // Each member's churn kind as of the evaluation date, with the default window and dormancy
    // (docs/churn-kinds.md): counted per arm, beside the line-based uplift.
    let kinds = ChurnKindSettings::default();
    let outcomes = member_outcomes_with(lake, &ids, started, as_of, Some(&kinds)).await?;
    // The same number of months before the campaign: the covariate of the revenue uplift.
    let start_month = started.with_day(1).unwrap_or(started);
    let months_of = |d: NaiveDate| d.year() * 12 + d.month() as i32;
    let window = months_of(as_of) - months_of(start_month) + i32::from(as_of.day() > 1);
    let pre_start = start_month
        .checked_sub_months(chrono::Months::new(u32::try_from(window).unwrap_or(0)))
        .ok_or_else(|| Error::Invalid(format!("as_of: {as_of} is too far from {started}")))?;
    let before = member_outcomes(lake, &ids, pre_start, start_month).await?;
    let mut unknown = 0;
    let mut results = Vec::with_capacity(members.len());
    for ((member, outcome), before) in members.iter().zip(&outcomes).zip(&before) {
        if !outcome.known {
            unknown += 1;
            continue;
        }
        results.push(MemberResult {
            stratum: member.vip_tier.clone(),
            arm: member.arm.parse().map_err(Error::Invalid)?,
            retained: outcome.retained,
            revenue: outcome.revenue,
            pre_revenue: Some(before.revenue),
            kind: outcome.kind,
            won_back: outcome.won_back,
        });
    }
    let takeups = store.takeups(campaign_id).await?;
    let cost: i64 = takeups.iter().map(|t| t.cost_fen).sum();
    let evaluation = evaluate(&results, yuan(Money::from_fen(cost)));
    let contacts: Vec<ContactRecord> = store
        .campaign_contacts(campaign_id)
        .await?
        .into_iter()
        .map(|c| ContactRecord {
            channel: c.channel,
            manager: c.manager_id,
            worked: c.worked,
            reached: c.reached,
            accepted: c.accepted,
        })
        .collect();
    let (by_channel, by_manager) = contact_stats(&contacts);
    let treated = evaluation.treated.members;
    let reached: u64 = by_channel.iter().map(|c| c.reached).sum();
    let take_ups = takeups.len() as u64;
    let targets = plan
        .targets
        .iter()
        .map(|target| {
            let actual = match target.kpi.as_str() {
                "take_up" => (treated > 0).then(|| take_ups as f64 / treated as f64),
                "success_rate" => (reached > 0).then(|| take_ups as f64 / reached as f64),
                "retention_uplift" => evaluation.retention_uplift.map(|i| i.estimate),
                _ => None,
            };
            let reached = match actual {
                None => "unknown",
                Some(x) if x >= target.t1 => "t1",
                Some(x) if x >= target.t0 => "t0",
                Some(_) => "below",
            };
            TargetResult {
                kpi: target.kpi.clone(),
                t0: target.t0,
                t1: target.t1,
                actual,
                reached: reached.to_owned(),
            }
        })
        .collect();
    Ok(CampaignEvaluation {
        campaign_id: campaign_id.to_owned(),
        executed_on: executed_on.to_owned(),
        as_of: as_of.to_string(),
        unknown_members: unknown,
        take_ups,
        evaluation,
        by_channel,
        by_manager,
        targets,
    })
}
