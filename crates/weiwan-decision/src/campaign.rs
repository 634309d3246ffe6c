//! Retention campaigns (维系活动) as the seeds' 四步一库 run them: plan → preview → approval →
//! execution → evaluation, every campaign kept in the scheme library 方案库.
//!
//! This module is the pure part: the plan and its checks ([`CampaignPlan::problems`]), the
//! state machine ([`next_status`]), how many approvals a budget needs
//! ([`approvals_required`]), which offer each member gets ([`assign_offer`], honouring
//! eligibility, priority and mutual exclusions), and the arithmetic of a preview
//! ([`PreviewTally`]). The holdout draw and the evaluation are in [`crate::experiment`].

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use weiwan_domain::Money;
use weiwan_domain::codes::{CampaignStatus, ContactChannel};

use crate::offers::Offer;

/// Budgets up to this need one approval level; up to [`TWO_LEVELS_UP_TO`], two; above, three.
pub const ONE_LEVEL_UP_TO: Money = Money::from_yuan(100_000);
pub const TWO_LEVELS_UP_TO: Money = Money::from_yuan(1_000_000);

/// The holdout share a plan may ask for: at least 2% (fewer controls cannot measure a
/// campaign of ordinary size), at most half.
pub const HOLDOUT_SHARE_RANGE: (f64, f64) = (0.02, 0.5);

/// The KPIs a campaign can set targets for.
pub const TARGET_KPIS: [&str; 3] = ["take_up", "success_rate", "retention_uplift"];

/// What a planner writes: whom to contact, with which offers, through which channels, when,
/// for how much, measured against how large a holdout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignPlan {
    pub name_zh: String,
    pub name_en: String,
    /// A saved target group or a fixed scenario, by name.
    pub target_group: String,
    /// Offer ids in priority order: a member gets the first one it is eligible for.
    pub offers: Vec<String>,
    /// Channels in the order they are worked, each with its script.
    pub channels: Vec<ChannelScript>,
    #[serde(with = "crate::serde_text::date")]
    pub starts_on: NaiveDate,
    #[serde(with = "crate::serde_text::date")]
    pub ends_on: NaiveDate,
    /// What the campaign may spend on take-ups, yuan (e.g. `"50000"`).
    #[serde(with = "crate::offers::yuan")]
    pub budget: Money,
    /// Share of the target group held out as the control group 对照组, drawn per value tier.
    #[serde(default = "default_holdout_share")]
    pub holdout_share: f64,
    /// Days after `ends_on` that the control group stays untouched by any campaign, so that
    /// retention can still be measured after the campaign ends.
    #[serde(default = "default_holdout_days")]
    pub holdout_days: u32,
    /// Approval levels asked for; the budget may require more ([`approvals_required`]).
    #[serde(default = "default_levels")]
    pub approval_levels: u8,
    #[serde(default)]
    pub targets: Vec<KpiTarget>,
    /// The questionnaire 智能问卷 asked on the campaign's contacts, by id; the answers are
    /// recorded with each outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub questionnaire: Option<String>,
}

fn default_holdout_share() -> f64 {
    0.1
}

fn default_holdout_days() -> u32 {
    90
}

fn default_levels() -> u8 {
    1
}

/// One channel of a campaign and what to say on it, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelScript {
    /// A [`ContactChannel`] code.
    pub channel: String,
    pub script_zh: String,
    pub script_en: String,
}

/// A target: T0 the base, T1 the stretch (T1 ≥ T0), as fractions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KpiTarget {
    /// One of [`TARGET_KPIS`].
    pub kpi: String,
    pub t0: f64,
    pub t1: f64,
}

impl CampaignPlan {
    /// The channels, parsed; call after [`CampaignPlan::problems`] came back empty.
    pub fn channel_codes(&self) -> Vec<ContactChannel> {
        self.channels.iter().filter_map(|c| c.channel.parse().ok()).collect()
    }

    /// The script for a channel, if the plan has that channel.
    pub fn script(&self, channel: ContactChannel) -> Option<&ChannelScript> {
        self.channels.iter().find(|c| c.channel == channel.code())
    }

    /// When the control group is free again: `holdout_days` after the campaign ends.
    pub fn holdout_until(&self) -> NaiveDate {
        self.ends_on + chrono::Days::new(u64::from(self.holdout_days))
    }

    /// Every problem of the plan, each naming its field; empty when it can be saved. `catalog`
    /// is every offer known (a plan may only name offers in it).
    pub fn problems(&self, catalog: &[Offer]) -> Vec<String> {
        let mut problems = Vec::new();
        for (field, text, limit) in [
            ("name_zh", &self.name_zh, 100),
            ("name_en", &self.name_en, 100),
            ("target_group", &self.target_group, 64),
        ] {
            if text.trim().is_empty() {
                problems.push(format!("{field}: required"));
            } else if text.chars().count() > limit {
                problems.push(format!("{field}: at most {limit} characters"));
            }
        }
        if self.offers.is_empty() {
            problems.push("offers: at least one offer is required".to_owned());
        }
        let mut seen = BTreeSet::new();
        for id in &self.offers {
            if !seen.insert(id) {
                problems.push(format!("offers: {id} is listed twice"));
                continue;
            }
            match catalog.iter().find(|o| &o.id == id) {
                None => problems.push(format!("offers: no offer {id} in the catalog")),
                Some(offer) => {
                    if offer.valid_from > self.starts_on || offer.valid_to < self.ends_on {
                        problems.push(format!(
                            "offers: {id} is valid {} to {}, which does not cover the campaign's {} to {}",
                            offer.valid_from, offer.valid_to, self.starts_on, self.ends_on
                        ));
                    }
                    if offer.cost() > self.budget {
                        problems.push(format!(
                            "offers: one take-up of {id} costs {} yuan, more than the budget of {} yuan",
                            offer.cost(),
                            self.budget
                        ));
                    }
                }
            }
        }
        if self.channels.is_empty() {
            problems.push("channels: at least one channel is required".to_owned());
        }
        let mut channels = BTreeSet::new();
        for (i, script) in self.channels.iter().enumerate() {
            match script.channel.parse::<ContactChannel>() {
                Err(err) => problems.push(format!("channels[{i}].channel: {err}")),
                Ok(channel) if !channels.insert(channel) => {
                    problems.push(format!("channels[{i}].channel: {channel} is listed twice"));
                }
                Ok(_) => {}
            }
            for (field, text) in [("script_zh", &script.script_zh), ("script_en", &script.script_en)] {
                if text.trim().is_empty() {
                    problems.push(format!("channels[{i}].{field}: required"));
                } else if text.chars().count() > 2000 {
                    problems.push(format!("channels[{i}].{field}: at most 2000 characters"));
                }
            }
        }
        if self.ends_on < self.starts_on {
            problems.push(format!("ends_on: {} is before starts_on {}", self.ends_on, self.starts_on));
        }
        if self.budget <= Money::ZERO {
            problems.push("budget: must be more than 0".to_owned());
        }
        let (low, high) = HOLDOUT_SHARE_RANGE;
        if !(low..=high).contains(&self.holdout_share) {
            problems.push(format!("holdout_share: {} is outside {low} to {high}", self.holdout_share));
        }
        if self.holdout_days > 365 {
            problems.push("holdout_days: at most 365".to_owned());
        }
        if !(1..=3).contains(&self.approval_levels) {
            problems.push("approval_levels: 1, 2 or 3".to_owned());
        }
        let mut kpis = BTreeSet::new();
        for (i, target) in self.targets.iter().enumerate() {
            if !TARGET_KPIS.contains(&target.kpi.as_str()) {
                problems.push(format!(
                    "targets[{i}].kpi: {:?} is not one of {}",
                    target.kpi,
                    TARGET_KPIS.join(", ")
                ));
            } else if !kpis.insert(&target.kpi) {
                problems.push(format!("targets[{i}].kpi: {} has two targets", target.kpi));
            }
            let fraction = if target.kpi == "retention_uplift" { -1.0..=1.0 } else { 0.0..=1.0 };
            if !fraction.contains(&target.t0) || !fraction.contains(&target.t1) {
                problems.push(format!(
                    "targets[{i}]: t0 and t1 are fractions ({}..{})",
                    fraction.start(),
                    fraction.end()
                ));
            } else if target.t1 < target.t0 {
                problems.push(format!(
                    "targets[{i}]: the stretch t1 {} is below the base t0 {}",
                    target.t1, target.t0
                ));
            }
        }
        problems
    }
}

/// Approval levels a plan needs: what it asks for, and never fewer than its budget requires
/// (one up to 100,000 yuan, two up to 1,000,000, three above).
pub fn approvals_required(plan: &CampaignPlan) -> u8 {
    let by_budget = if plan.budget <= ONE_LEVEL_UP_TO {
        1
    } else if plan.budget <= TWO_LEVELS_UP_TO {
        2
    } else {
        3
    };
    plan.approval_levels.max(by_budget)
}

/// What someone asks to do with a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignAction {
    Submit,
    Approve,
    Reject,
    Execute,
    Pause,
    Resume,
    End,
}

impl CampaignAction {
    pub const ALL: [CampaignAction; 7] = [
        CampaignAction::Submit,
        CampaignAction::Approve,
        CampaignAction::Reject,
        CampaignAction::Execute,
        CampaignAction::Pause,
        CampaignAction::Resume,
        CampaignAction::End,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            CampaignAction::Submit => "submit",
            CampaignAction::Approve => "approve",
            CampaignAction::Reject => "reject",
            CampaignAction::Execute => "execute",
            CampaignAction::Pause => "pause",
            CampaignAction::Resume => "resume",
            CampaignAction::End => "end",
        }
    }
}

impl std::str::FromStr for CampaignAction {
    type Err = String;

    fn from_str(text: &str) -> Result<CampaignAction, String> {
        CampaignAction::ALL.into_iter().find(|a| a.code() == text).ok_or_else(|| {
            let codes: Vec<&str> = CampaignAction::ALL.iter().map(|a| a.code()).collect();
            format!("{text:?} is not one of {}", codes.join(", "))
        })
    }
}

/// The state machine. `approvals` is how many levels have approved in the current round
/// (before this action), `required` how many the plan needs. Approving moves a submitted
/// campaign to approved at the last level and keeps it submitted before; rejecting sends it
/// back to draft for changes (a new round of approvals starts at the next submission); ending
/// is possible once approved, running or paused. Anything else is refused, saying why.
pub fn next_status(
    status: CampaignStatus,
    action: CampaignAction,
    approvals: u8,
    required: u8,
) -> Result<CampaignStatus, String> {
    use CampaignAction as A;
    use CampaignStatus as S;
    let next = match (status, action) {
        (S::Draft, A::Submit) => S::Submitted,
        (S::Submitted, A::Approve) if approvals + 1 >= required => S::Approved,
        (S::Submitted, A::Approve) => S::Submitted,
        (S::Submitted, A::Reject) => S::Draft,
        (S::Approved, A::Execute) => S::Running,
        (S::Running, A::Pause) => S::Paused,
        (S::Paused, A::Resume) => S::Running,
        (S::Approved | S::Running | S::Paused, A::End) => S::Ended,
        _ => {
            return Err(format!(
                "a campaign that is {} ({}) cannot {}",
                status.label_en(),
                status.label_zh(),
                action.code()
            ));
        }
    };
    Ok(next)
}

/// The offer a member gets: the first of `offers` (priority order) the member is eligible for
/// (`eligible[i]` for `offers[i]`) that none of the offers the member holds excludes. `None`
/// when no offer fits; such a member is left out of the campaign.
pub fn assign_offer(offers: &[&Offer], eligible: &[bool], holdings: &[&Offer]) -> Option<usize> {
    offers.iter().zip(eligible).position(|(offer, &eligible)| {
        eligible && holdings.iter().all(|held| held.id != offer.id && !offer.conflicts_with(held))
    })
}

/// The sums of a campaign preview 方案预演, per offer: members matched, expected take-ups,
/// cost, and the revenue expected to be saved.
///
/// Expected saved revenue of a member = P(churn) × expected take-up × monthly ARPU × the
/// months the offer keeps the customer: the revenue the offer would keep if every take-up
/// were a customer who would otherwise have left at the churn model's rate. It is a planning
/// figure; the campaign's real effect is measured against its holdout.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PreviewTally {
    pub offer_id: String,
    pub members: u64,
    /// Members without a churn score (no model trained yet): not in the saved revenue.
    pub members_unscored: u64,
    pub expected_take_ups: f64,
    /// Yuan.
    pub expected_cost: f64,
    /// Yuan.
    pub expected_saved_revenue: f64,
}

impl PreviewTally {
    pub fn new(offer_id: &str) -> PreviewTally {
        PreviewTally { offer_id: offer_id.to_owned(), ..PreviewTally::default() }
    }

    /// Adds one treated member who gets `offer`.
    pub fn add(&mut self, offer: &Offer, take_up: f64, churn_probability: Option<f64>, arpu: f64) {
        self.members += 1;
        self.expected_take_ups += take_up;
        self.expected_cost += take_up * yuan(offer.cost());
        match churn_probability {
            Some(p) => {
                self.expected_saved_revenue += p * take_up * arpu * f64::from(offer.retention_months());
            }
            None => self.members_unscored += 1,
        }
    }
}

/// Money as yuan for estimates (never for sums that must be exact).
pub fn yuan(money: Money) -> f64 {
    money.fen() as f64 / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offers::parse_catalog;

    fn catalog() -> Vec<Offer> {
        parse_catalog(crate::offers::BUILTIN_CATALOG, &[]).expect("the built-in catalog parses")
    }

    fn plan(offers: &[&Offer]) -> CampaignPlan {
        CampaignPlan {
            name_zh: "合约到期续约".into(),
            name_en: "Contract renewal".into(),
            target_group: "contract_expiring_90".into(),
            offers: offers.iter().map(|o| o.id.clone()).collect(),
            channels: vec![ChannelScript {
                channel: "outbound".into(),
                script_zh: "您好".into(),
                script_en: "Hello".into(),
            }],
            starts_on: NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
            ends_on: NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"),
            budget: Money::from_yuan(50_000),
            holdout_share: 0.1,
            holdout_days: 90,
            approval_levels: 1,
            targets: vec![KpiTarget { kpi: "take_up".into(), t0: 0.1, t1: 0.15 }],
            questionnaire: None,
        }
    }

    #[test]
    fn a_sound_plan_has_no_problems_and_a_broken_one_names_each_field() {
        let catalog = catalog();
        let good = plan(&[&catalog[0]]);
        assert_eq!(good.problems(&catalog), Vec::<String>::new());

        let mut bad = good.clone();
        bad.name_en = " ".into();
        bad.offers = vec!["nope".into(), catalog[0].id.clone(), catalog[0].id.clone()];
        bad.channels[0].channel = "fax".into();
        bad.ends_on = NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
        bad.holdout_share = 0.9;
        bad.targets = vec![KpiTarget { kpi: "take_up".into(), t0: 0.2, t1: 0.1 }];
        let problems = bad.problems(&catalog);
        for expected in [
            "name_en: required",
            "offers: no offer nope in the catalog",
            "is listed twice",
            "channels[0].channel: \"fax\" is not one of outbound, store, hotline",
            "ends_on: 2026-11-01 is before starts_on 2026-12-01",
            "holdout_share: 0.9 is outside 0.02 to 0.5",
            "the stretch t1 0.1 is below the base t0 0.2",
        ] {
            assert!(problems.iter().any(|p| p.contains(expected)), "{expected:?} not in {problems:#?}");
        }
    }

    #[test]
    fn an_offer_not_valid_over_the_whole_campaign_is_refused() {
        let catalog = catalog();
        let mut p = plan(&[&catalog[0]]);
        p.ends_on = catalog[0].valid_to + chrono::Days::new(1);
        let problems = p.problems(&catalog);
        assert!(problems.iter().any(|m| m.contains("does not cover the campaign")), "{problems:?}");
    }

    #[test]
    fn the_budget_decides_the_least_number_of_approval_levels() {
        let catalog = catalog();
        let mut p = plan(&[&catalog[0]]);
        assert_eq!(approvals_required(&p), 1);
        p.approval_levels = 2;
        assert_eq!(approvals_required(&p), 2);
        p.approval_levels = 1;
        p.budget = Money::from_yuan(100_001);
        assert_eq!(approvals_required(&p), 2);
        p.budget = Money::from_yuan(1_000_001);
        assert_eq!(approvals_required(&p), 3);
    }

    #[test]
    fn the_state_machine_allows_the_lifecycle_and_refuses_the_rest() {
        use CampaignAction as A;
        use CampaignStatus as S;
        assert_eq!(next_status(S::Draft, A::Submit, 0, 2), Ok(S::Submitted));
        assert_eq!(next_status(S::Submitted, A::Approve, 0, 2), Ok(S::Submitted));
        assert_eq!(next_status(S::Submitted, A::Approve, 1, 2), Ok(S::Approved));
        assert_eq!(next_status(S::Submitted, A::Reject, 1, 2), Ok(S::Draft));
        assert_eq!(next_status(S::Approved, A::Execute, 2, 2), Ok(S::Running));
        assert_eq!(next_status(S::Running, A::Pause, 2, 2), Ok(S::Paused));
        assert_eq!(next_status(S::Paused, A::Resume, 2, 2), Ok(S::Running));
        assert_eq!(next_status(S::Running, A::End, 2, 2), Ok(S::Ended));
        // Everything else, for every status, is refused.
        let allowed = [
            (S::Draft, A::Submit),
            (S::Submitted, A::Approve),
            (S::Submitted, A::Reject),
            (S::Approved, A::Execute),
            (S::Approved, A::End),
            (S::Running, A::Pause),
            (S::Running, A::End),
            (S::Paused, A::Resume),
            (S::Paused, A::End),
        ];
        for status in CampaignStatus::ALL {
            for action in CampaignAction::ALL {
                let result = next_status(*status, action, 0, 1);
                assert_eq!(result.is_ok(), allowed.contains(&(*status, action)), "{status} {action:?}");
            }
        }
        let err = next_status(S::Draft, A::Execute, 0, 1).expect_err("a draft cannot run");
        assert_eq!(err, "a campaign that is draft (草稿) cannot execute");
        assert!(next_status(S::Ended, A::Resume, 1, 1).is_err());
    }

    #[test]
    fn members_get_the_first_eligible_offer_that_nothing_they_hold_excludes() {
        let catalog = catalog();
        let find =
            |kind: &str| -> Vec<&Offer> { catalog.iter().filter(|o| o.id.starts_with(kind)).collect() };
        let prepay = find("prepay_bonus");
        assert!(prepay.len() >= 2 && prepay[0].conflicts_with(prepay[1]));
        let offers = [prepay[0], prepay[1]];
        assert_eq!(assign_offer(&offers, &[true, true], &[]), Some(0));
        assert_eq!(assign_offer(&offers, &[false, true], &[]), Some(1));
        assert_eq!(assign_offer(&offers, &[false, false], &[]), None);
        // Holding one prepay tier excludes the other, and the held offer itself.
        assert_eq!(assign_offer(&offers, &[true, true], &[prepay[1]]), None);
    }

    #[test]
    fn a_preview_tally_adds_take_up_cost_and_saved_revenue() {
        let catalog = catalog();
        let offer = &catalog[0];
        let mut tally = PreviewTally::new(&offer.id);
        tally.add(offer, 0.2, Some(0.5), 100.0);
        tally.add(offer, 0.2, None, 80.0);
        assert_eq!(tally.members, 2);
        assert_eq!(tally.members_unscored, 1);
        assert!((tally.expected_take_ups - 0.4).abs() < 1e-12);
        assert!((tally.expected_cost - 0.4 * yuan(offer.cost())).abs() < 1e-9);
        let saved = 0.5 * 0.2 * 100.0 * f64::from(offer.retention_months());
        assert!((tally.expected_saved_revenue - saved).abs() < 1e-9);
    }
}
