//! Randomized holdouts (对照组) for retention campaigns, and the honest evaluation of a campaign
//! against its holdout.
//!
//! # The draw
//!
//! [`draw_holdout`] splits a campaign's candidates into a treated arm (offered the campaign) and a
//! control arm (the holdout, left alone). The draw is stratified by VIP tier: within each stratum of
//! `n` candidates, the candidates are ordered by a keyed 64-bit hash of the seed and the subject,
//! and the first `round(share × n)` of that order form the control arm. So the draw is
//!
//! - random: the hash order is, for practical purposes, a uniformly random permutation;
//! - stratified: every tier gets its share of controls exactly (up to rounding), so tiers with very
//!   different retention cannot end up unevenly split by chance;
//! - reproducible from the seed, and independent of the order the candidates are listed in.
//!
//! The hash is written here (FNV-1a over the subject's bytes, xored with the mixed seed, through
//! SplitMix64's finaliser) rather than taken from `std`, whose `DefaultHasher` may change between
//! Rust releases: a stored seed must redraw the same holdout forever.
//!
//! # The evaluation
//!
//! [`evaluate`] compares what became of the treated with what became of the controls, by the
//! post-stratified difference. For each stratum `s` let `n_t,s` and `n_c,s` be the sizes of its two
//! arms and `n_s = n_t,s + n_c,s`. Over the strata used (see below), with `N = Σ n_s`,
//!
//! ```text
//!   w_s  = n_s / N
//!   Δ    = Σ w_s (m_t,s − m_c,s)
//!   Var  = Σ w_s² (V_t,s + V_c,s)
//!   95% interval: Δ ± 1.959964 √Var
//! ```
//!
//! where `m` is the arm's statistic in the stratum and `V` the variance of that statistic:
//!
//! - retention: `m = p = retained / n`, the retention rate. The variance is the binomial one with
//!   the Agresti–Caffo adjustment — one success and one failure added to each arm, for the
//!   variance only: `p̃ = (retained + 1) / (n + 2)`, `V = p̃ (1 − p̃) / (n + 2)`. The plain Wald
//!   variance `p (1 − p) / n` is 0 when a small stratum's arm retained everyone (or no one), which
//!   would claim certainty the data do not have; at campaign sizes both agree closely. The estimate
//!   itself is the plain difference of rates. A stratum is used when both arms have ≥ 1 member.
//! - revenue per member: `m` is the arm's mean revenue and `V = s² / n` with the sample variance
//!   `s² = Σ (x − m)² / (n − 1)`. A stratum is used when both arms have ≥ 2 members (a sample
//!   variance needs two); smaller strata are left out of the revenue estimate only.
//!
//! The weights are the strata's shares of the members used, so `Δ` estimates the average effect
//! over the campaign's population; because the draw is stratified with one share for all tiers,
//! the treated arm has (up to rounding) the same tier mix. Members of strata lacking an arm cannot
//! be compared with anyone: they are left out of the uplift and counted in
//! [`Evaluation::unmatched_members`] rather than hidden.
//!
//! The incremental revenue is the revenue uplift per member times the treated members (all of
//! them: the per-member uplift is carried over to treated members of strata left out of the
//! estimate), and the net incremental revenue subtracts the cost of the offers taken up. The ROI is
//! the net estimate over that cost.
//!
//! Revenue varies far more between customers than an offer moves it, so a plain difference of
//! means is wide, and one draw can put more big spenders in one arm by chance. When members carry
//! their revenue over a window of the same length before the campaign (`pre_revenue`), the
//! revenue uplift is adjusted for it (CUPED, controlled experiments using pre-experiment data):
//! with `θ` the slope of revenue on pre-period revenue, pooled over the deviations from each
//! stratum's means (both arms together), each member's revenue becomes
//! `y − θ (x − x̄_s)` and the stratified difference above is taken of that. The arms' pre-period
//! revenue cannot depend on the campaign, so the estimate stays unbiased, and its variance
//! shrinks by the share of revenue the past explains. The plain difference is reported beside it
//! ([`Evaluation::revenue_uplift_unadjusted`]).
//!
//! Each arm also counts its members by churn kind (docs/churn-kinds.md): gone to a competitor,
//! internal number switch (内部转网), dormant, and the competitors' leavers won back. These are
//! counts beside the uplift, which stays line-based: a switcher's line left, so it is not
//! retained. A win-back counts only for a member gone to a competitor: an internal switch is
//! never a win-back, whatever the member says (the classification already leaves its `won_back`
//! false; [`evaluate`] checks again).
//!
//! [`contact_stats`] adds the contact funnel of the campaign's tasks (worked → reached → accepted)
//! per channel and per account manager.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use weiwan_domain::codes::ChurnKind;

/// The two-sided 95% quantile of the standard normal distribution.
const Z_95: f64 = 1.959964;

/// Which arm a campaign member is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arm {
    /// Offered the campaign.
    Treated,
    /// In the holdout: left alone, to show what would have happened without the campaign.
    Control,
}

impl Arm {
    /// The code of the arm: `treated` or `control`.
    pub const fn code(self) -> &'static str {
        match self {
            Arm::Treated => "treated",
            Arm::Control => "control",
        }
    }
}

impl FromStr for Arm {
    type Err = String;

    fn from_str(text: &str) -> Result<Arm, String> {
        match text {
            "treated" => Ok(Arm::Treated),
            "control" => Ok(Arm::Control),
            _ => Err(format!("{text:?} is not one of treated, control")),
        }
    }
}

impl fmt::Display for Arm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One candidate for a campaign: the subject (a line id) and its stratum (the VIP tier code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// The line id. Expected to be unique among the candidates.
    pub subject: String,
    /// The stratum the holdout is drawn within: the VIP tier code.
    pub stratum: String,
}

/// FNV-1a (64 bits) of a byte string.
fn fnv1a(bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xCBF2_9CE4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01B3;
    bytes.iter().fold(OFFSET_BASIS, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(PRIME))
}

/// SplitMix64's finaliser: a bijective, well-mixing function of one `u64`.
fn mix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The key a subject is ordered by in the draw of `seed`. Stable across platforms and releases.
/// Also the order of a club event's draw (`crate::clubs`).
pub(crate) fn draw_key(seed: u64, subject: &str) -> u64 {
    mix64(fnv1a(subject.as_bytes()) ^ mix64(seed))
}

/// Draws the holdout: within each stratum, candidates are ordered by a keyed hash of
/// `(seed, subject)` and the first `round(share × n)` are [`Arm::Control`], the rest
/// [`Arm::Treated`] (so the draw is random, stratified, reproducible from the seed, and independent
/// of input order). Returns one arm per candidate, in input order.
///
/// `share` must be in `[0, 1)`; an error otherwise. Subjects are expected to be unique: a subject
/// listed twice takes two places in its stratum, and which of them falls in which arm then
/// depends on the input order.
pub fn draw_holdout(candidates: &[Candidate], share: f64, seed: u64) -> Result<Vec<Arm>, String> {
    if !(0.0..1.0).contains(&share) {
        return Err(format!("the holdout share must be in [0, 1), not {share}"));
    }
    let mut strata: BTreeMap<&str, Vec<(u64, &str, usize)>> = BTreeMap::new();
    for (index, candidate) in candidates.iter().enumerate() {
        let key = draw_key(seed, &candidate.subject);
        strata.entry(candidate.stratum.as_str()).or_default().push((key, candidate.subject.as_str(), index));
    }
    let mut arms = vec![Arm::Treated; candidates.len()];
    for members in strata.values_mut() {
        // The subject breaks (astronomically rare) key ties, so the order never depends on the input.
        members.sort_unstable();
        let controls = (share * members.len() as f64).round() as usize;
        for &(_, _, index) in members.iter().take(controls) {
            arms[index] = Arm::Control;
        }
    }
    Ok(arms)
}

/// What became of one campaign member by the evaluation date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberResult {
    /// The stratum the member was drawn in (the VIP tier code).
    pub stratum: String,
    /// The arm the member was drawn into.
    pub arm: Arm,
    /// The line was still active at the evaluation date.
    pub retained: bool,
    /// Yuan over the window.
    pub revenue: f64,
    /// Yuan over a window of the same length before the campaign, when known: the covariate
    /// that adjusts the revenue uplift for chance imbalance between the arms (CUPED).
    #[serde(default)]
    pub pre_revenue: Option<f64>,
    /// The member's churn kind by the evaluation date: None while the line is in use.
    #[serde(default)]
    pub kind: Option<ChurnKind>,
    /// Gone to a competitor, and its person or handset back on a line after the switch window
    /// (挽回). Counted only with `kind` external.
    #[serde(default)]
    pub won_back: bool,
}

/// An arm's members by churn kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindCounts {
    /// Left for a competitor (外部离网).
    pub external: u64,
    /// Left for a new line of the same person or handset (内部转网): not retained, not won back.
    pub internal_switch: u64,
    /// Still on the network, unused for months (冬眠).
    pub dormant: u64,
    /// Of `external`, those whose person or handset came back after the window (挽回).
    pub won_back: u64,
}

impl KindCounts {
    fn count(&mut self, kind: Option<ChurnKind>, won_back: bool) {
        match kind {
            Some(ChurnKind::External) => {
                self.external += 1;
                self.won_back += u64::from(won_back);
            }
            Some(ChurnKind::InternalSwitch) => self.internal_switch += 1,
            Some(ChurnKind::Dormant) => self.dormant += 1,
            None => {}
        }
    }

    fn add(&mut self, other: &KindCounts) {
        self.external += other.external;
        self.internal_switch += other.internal_switch;
        self.dormant += other.dormant;
        self.won_back += other.won_back;
    }
}

/// An estimate with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The point estimate.
    pub estimate: f64,
    /// The lower end of the 95% interval.
    pub low: f64,
    /// The upper end of the 95% interval.
    pub high: f64,
}

impl Interval {
    /// Whether `x` lies within the interval (ends included).
    pub fn covers(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }

    /// The normal 95% interval around `estimate` with the given variance.
    fn normal(estimate: f64, variance: f64) -> Interval {
        let half_width = Z_95 * variance.max(0.0).sqrt();
        Interval { estimate, low: estimate - half_width, high: estimate + half_width }
    }

    /// The interval multiplied by a non-negative factor.
    fn scaled(self, factor: f64) -> Interval {
        Interval { estimate: self.estimate * factor, low: self.low * factor, high: self.high * factor }
    }

    /// The interval moved by `offset`.
    fn shifted(self, offset: f64) -> Interval {
        Interval { estimate: self.estimate + offset, low: self.low + offset, high: self.high + offset }
    }
}

/// The outcome of one arm (of a stratum or of the whole campaign).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmSummary {
    /// Members in the arm.
    pub members: u64,
    /// Members still active at the evaluation date.
    pub retained: u64,
    /// `retained / members`; 0 when there are no members.
    pub retention_rate: f64,
    /// Total revenue of the arm over the window, yuan.
    pub revenue: f64,
    /// `revenue / members`; 0 when there are no members.
    pub revenue_per_member: f64,
    /// The members by churn kind.
    #[serde(default)]
    pub kinds: KindCounts,
}

/// The two arms of one stratum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StratumResult {
    /// The stratum (VIP tier code).
    pub stratum: String,
    /// The treated arm of the stratum.
    pub treated: ArmSummary,
    /// The control arm of the stratum.
    pub control: ArmSummary,
    /// Difference in retention rate, treated minus control, None when an arm is empty.
    pub retention_uplift: Option<Interval>,
}

/// The evaluation of a campaign against its holdout. See the module documentation for the
/// estimator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The treated arm, over all strata.
    pub treated: ArmSummary,
    /// The control arm, over all strata.
    pub control: ArmSummary,
    /// Stratified difference in retention rate (treated − control), as a fraction (0.05 = 5
    /// points). None when no stratum has both arms.
    pub retention_uplift: Option<Interval>,
    /// Stratified difference in revenue per member, yuan, adjusted for the arms' pre-period
    /// revenue when members carry one (CUPED; the plain difference otherwise). None when no
    /// stratum has at least two members in each arm.
    pub revenue_uplift_per_member: Option<Interval>,
    /// The plain stratified difference in revenue per member, without the adjustment.
    pub revenue_uplift_unadjusted: Option<Interval>,
    /// θ, the slope of revenue on pre-period revenue the adjustment used (0: none).
    pub pre_revenue_slope: f64,
    /// `revenue_uplift_per_member` × treated members, yuan.
    pub incremental_revenue: Option<Interval>,
    /// The cost of the offers taken up (passed in), yuan.
    pub offer_cost: f64,
    /// `incremental_revenue − offer_cost` (the interval shifted by the cost), yuan.
    pub net_incremental_revenue: Option<Interval>,
    /// `net_incremental_revenue.estimate / offer_cost`; None when the cost is not positive.
    pub roi: Option<f64>,
    /// Members in strata that lack one arm: left out of the uplift (reported, not hidden).
    pub unmatched_members: u64,
    /// Members in strata left out of the revenue uplift because an arm has fewer than two members
    /// (the unmatched members included).
    pub revenue_unmatched_members: u64,
    /// The strata, sorted by stratum.
    pub strata: Vec<StratumResult>,
}

/// The members of one arm of one stratum, as the evaluation gathers them.
#[derive(Debug, Default)]
struct ArmData {
    retained: u64,
    revenues: Vec<f64>,
    /// Revenues adjusted by the pre-period covariate (equal to `revenues` without one).
    adjusted: Vec<f64>,
    kinds: KindCounts,
}

impl ArmData {
    fn members(&self) -> u64 {
        self.revenues.len() as u64
    }

    fn mean_revenue(&self) -> f64 {
        ratio_f(self.revenues.iter().sum(), self.members())
    }

    fn retention_rate(&self) -> f64 {
        ratio(self.retained, self.members())
    }

    /// The Agresti–Caffo variance of the retention rate: one success and one failure added.
    fn retention_variance(&self) -> f64 {
        let n = self.members() as f64 + 2.0;
        let adjusted = (self.retained as f64 + 1.0) / n;
        adjusted * (1.0 - adjusted) / n
    }

    /// The variance of the mean revenue, `s² / n` with the sample variance `s²`; needs two members.
    fn mean_revenue_variance(&self) -> f64 {
        mean_variance(&self.revenues)
    }

    fn mean_adjusted(&self) -> f64 {
        ratio_f(self.adjusted.iter().sum(), self.members())
    }

    fn mean_adjusted_variance(&self) -> f64 {
        mean_variance(&self.adjusted)
    }

    fn summary(&self) -> ArmSummary {
        arm_summary(self.members(), self.retained, self.revenues.iter().sum(), self.kinds)
    }
}

/// `s² / n` of a sample, with the sample variance `s²` (n − 1); needs two values.
fn mean_variance(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let squares: f64 = values.iter().map(|x| (x - mean) * (x - mean)).sum();
    squares / (n - 1.0) / n
}

/// CUPED: the slope θ of revenue on pre-period revenue, pooled within strata (deviations from
/// each stratum's means, both arms together), and each stratum's mean pre-period revenue.
/// θ is 0 when no member has a pre-period revenue or it does not vary.
fn cuped(members: &[MemberResult]) -> (f64, BTreeMap<&str, f64>) {
    let mut sums: BTreeMap<&str, (f64, f64, f64)> = BTreeMap::new();
    for m in members {
        let entry = sums.entry(m.stratum.as_str()).or_default();
        if let Some(pre) = m.pre_revenue {
            entry.0 += pre;
            entry.1 += m.revenue;
            entry.2 += 1.0;
        }
    }
    let means: BTreeMap<&str, (f64, f64)> = sums
        .into_iter()
        .map(|(stratum, (x, y, n))| (stratum, if n > 0.0 { (x / n, y / n) } else { (0.0, 0.0) }))
        .collect();
    let (mut cross, mut squares) = (0.0, 0.0);
    for m in members.iter().filter(|m| m.pre_revenue.is_some()) {
        let (mean_x, mean_y) = means[m.stratum.as_str()];
        let dx = m.pre_revenue.unwrap_or(0.0) - mean_x;
        cross += dx * (m.revenue - mean_y);
        squares += dx * dx;
    }
    let theta = if squares > 0.0 { cross / squares } else { 0.0 };
    (theta, means.into_iter().map(|(stratum, (x, _))| (stratum, x)).collect())
}

fn arm_summary(members: u64, retained: u64, revenue: f64, kinds: KindCounts) -> ArmSummary {
    ArmSummary {
        members,
        retained,
        retention_rate: ratio(retained, members),
        revenue,
        revenue_per_member: ratio_f(revenue, members),
        kinds,
    }
}

/// `numerator / denominator`, 0 when the denominator is 0.
fn ratio(numerator: u64, denominator: u64) -> f64 {
    ratio_f(numerator as f64, denominator)
}

/// `numerator / denominator`, 0 when the denominator is 0.
fn ratio_f(numerator: f64, denominator: u64) -> f64 {
    if denominator == 0 { 0.0 } else { numerator / denominator as f64 }
}

/// One stratum's contribution to a stratified difference.
struct Part {
    /// Members of the stratum (both arms).
    size: f64,
    /// The difference, treated minus control, within the stratum.
    difference: f64,
    /// The variance of that difference.
    variance: f64,
}

/// The post-stratified difference: `Σ w_s Δ_s` with variance `Σ w_s² Var_s`, `w_s = n_s / N`.
fn stratified(parts: &[Part]) -> Option<Interval> {
    let total: f64 = parts.iter().map(|part| part.size).sum();
    if parts.is_empty() || total <= 0.0 {
        return None;
    }
    let (estimate, variance) = parts.iter().fold((0.0, 0.0), |(estimate, variance), part| {
        let weight = part.size / total;
        (estimate + weight * part.difference, variance + weight * weight * part.variance)
    });
    Some(Interval::normal(estimate, variance))
}

/// Evaluates a campaign against its holdout by the post-stratified difference (see the module
/// documentation), given what became of each member and the cost of the offers taken up (yuan).
pub fn evaluate(members: &[MemberResult], offer_cost: f64) -> Evaluation {
    let (theta, pre_means) = cuped(members);
    let mut by_stratum: BTreeMap<&str, (ArmData, ArmData)> = BTreeMap::new();
    for member in members {
        let (treated, control) = by_stratum.entry(member.stratum.as_str()).or_default();
        let arm = match member.arm {
            Arm::Treated => treated,
            Arm::Control => control,
        };
        arm.retained += u64::from(member.retained);
        arm.kinds.count(member.kind, member.won_back);
        arm.revenues.push(member.revenue);
        let pre = member.pre_revenue.unwrap_or(pre_means[member.stratum.as_str()]);
        arm.adjusted.push(member.revenue - theta * (pre - pre_means[member.stratum.as_str()]));
    }

    let mut strata = Vec::with_capacity(by_stratum.len());
    let mut retention_parts = Vec::new();
    let mut revenue_parts = Vec::new();
    let mut unadjusted_parts = Vec::new();
    let mut unmatched_members = 0;
    let mut revenue_unmatched_members = 0;
    let (mut treated_total, mut control_total) =
        ((0, 0, 0.0, KindCounts::default()), (0, 0, 0.0, KindCounts::default()));
    for (stratum, (treated, control)) in &by_stratum {
        let (treated_summary, control_summary) = (treated.summary(), control.summary());
        for (total, summary) in
            [(&mut treated_total, &treated_summary), (&mut control_total, &control_summary)]
        {
            total.0 += summary.members;
            total.1 += summary.retained;
            total.2 += summary.revenue;
            total.3.add(&summary.kinds);
        }
        let size = treated.members() + control.members();

        let retention_uplift = if treated.members() >= 1 && control.members() >= 1 {
            let part = Part {
                size: size as f64,
                difference: treated.retention_rate() - control.retention_rate(),
                variance: treated.retention_variance() + control.retention_variance(),
            };
            let interval = Interval::normal(part.difference, part.variance);
            retention_parts.push(part);
            Some(interval)
        } else {
            unmatched_members += size;
            None
        };

        if treated.members() >= 2 && control.members() >= 2 {
            revenue_parts.push(Part {
                size: size as f64,
                difference: treated.mean_adjusted() - control.mean_adjusted(),
                variance: treated.mean_adjusted_variance() + control.mean_adjusted_variance(),
            });
            unadjusted_parts.push(Part {
                size: size as f64,
                difference: treated.mean_revenue() - control.mean_revenue(),
                variance: treated.mean_revenue_variance() + control.mean_revenue_variance(),
            });
        } else {
            revenue_unmatched_members += size;
        }

        strata.push(StratumResult {
            stratum: (*stratum).to_owned(),
            treated: treated_summary,
            control: control_summary,
            retention_uplift,
        });
    }

    let treated = arm_summary(treated_total.0, treated_total.1, treated_total.2, treated_total.3);
    let control = arm_summary(control_total.0, control_total.1, control_total.2, control_total.3);
    let retention_uplift = stratified(&retention_parts);
    let revenue_uplift_per_member = stratified(&revenue_parts);
    let revenue_uplift_unadjusted = stratified(&unadjusted_parts);
    let incremental_revenue = revenue_uplift_per_member.map(|uplift| uplift.scaled(treated.members as f64));
    let net_incremental_revenue = incremental_revenue.map(|incremental| incremental.shifted(-offer_cost));
    let roi =
        if offer_cost > 0.0 { net_incremental_revenue.map(|net| net.estimate / offer_cost) } else { None };

    Evaluation {
        treated,
        control,
        retention_uplift,
        revenue_uplift_per_member,
        revenue_uplift_unadjusted,
        pre_revenue_slope: theta,
        incremental_revenue,
        offer_cost,
        net_incremental_revenue,
        roi,
        unmatched_members,
        revenue_unmatched_members,
        strata,
    }
}

/// One campaign task, as the evaluation sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRecord {
    /// The contact channel of the task.
    pub channel: String,
    /// The account manager the task was assigned to; None for a queue task.
    pub manager: Option<String>,
    /// The task has at least one outcome.
    pub worked: bool,
    /// The task has an outcome other than `not_reached`.
    pub reached: bool,
    /// The customer accepted the offer.
    pub accepted: bool,
}

/// The contact funnel of a group of tasks (one channel or one manager).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactStats {
    /// The channel, or the manager id (`-` for queue tasks).
    pub key: String,
    /// Tasks in the group.
    pub tasks: u64,
    /// Tasks with at least one outcome.
    pub worked: u64,
    /// Tasks where the customer was reached.
    pub reached: u64,
    /// Tasks where the customer accepted the offer.
    pub accepted: u64,
    /// `reached / worked` (0 when none worked).
    pub connect_rate: f64,
    /// `accepted / reached` (0 when none was reached).
    pub success_rate: f64,
    /// `accepted / tasks`.
    pub take_up: f64,
}

/// The key of queue tasks (no manager) in the per-manager statistics.
const QUEUE_KEY: &str = "-";

/// Contact statistics per channel (sorted by key) and per manager (key = manager id, or `-` for
/// queue tasks; sorted by key).
pub fn contact_stats(records: &[ContactRecord]) -> (Vec<ContactStats>, Vec<ContactStats>) {
    let mut by_channel: BTreeMap<&str, [u64; 4]> = BTreeMap::new();
    let mut by_manager: BTreeMap<&str, [u64; 4]> = BTreeMap::new();
    for record in records {
        let counts = [1, u64::from(record.worked), u64::from(record.reached), u64::from(record.accepted)];
        let manager = record.manager.as_deref().unwrap_or(QUEUE_KEY);
        for tally in
            [by_channel.entry(record.channel.as_str()).or_default(), by_manager.entry(manager).or_default()]
        {
            for (total, count) in tally.iter_mut().zip(counts) {
                *total += count;
            }
        }
    }
    let stats = |groups: BTreeMap<&str, [u64; 4]>| -> Vec<ContactStats> {
        groups
            .into_iter()
            .map(|(key, [tasks, worked, reached, accepted])| ContactStats {
                key: key.to_owned(),
                tasks,
                worked,
                reached,
                accepted,
                connect_rate: ratio(reached, worked),
                success_rate: ratio(accepted, reached),
                take_up: ratio(accepted, tasks),
            })
            .collect()
    };
    (stats(by_channel), stats(by_manager))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::seq::SliceRandom;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn assert_close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
    }

    fn candidate(subject: &str, stratum: &str) -> Candidate {
        Candidate { subject: subject.to_owned(), stratum: stratum.to_owned() }
    }

    fn member(stratum: &str, arm: Arm, retained: bool, revenue: f64) -> MemberResult {
        MemberResult {
            stratum: stratum.to_owned(),
            arm,
            retained,
            revenue,
            pre_revenue: None,
            kind: None,
            won_back: false,
        }
    }

    /// 1000 gold and 37 diamond candidates, interleaved.
    fn gold_and_diamond() -> Vec<Candidate> {
        let mut candidates: Vec<Candidate> =
            (0..1000).map(|i| candidate(&format!("1380000{i:04}"), "gold")).collect();
        for i in 0..37 {
            candidates.insert(i * 27, candidate(&format!("1390000{i:04}"), "diamond"));
        }
        candidates
    }

    fn controls_in(candidates: &[Candidate], arms: &[Arm], stratum: &str) -> usize {
        candidates.iter().zip(arms).filter(|(c, arm)| c.stratum == stratum && **arm == Arm::Control).count()
    }

    #[test]
    fn arm_codes_round_trip_and_unknown_codes_are_refused() {
        for arm in [Arm::Treated, Arm::Control] {
            assert_eq!(arm.code().parse::<Arm>(), Ok(arm));
            assert_eq!(arm.to_string(), arm.code());
        }
        let err = "holdout".parse::<Arm>().expect_err("unknown arm");
        assert_eq!(err, "\"holdout\" is not one of treated, control");
    }

    #[test]
    fn holdout_has_the_exact_share_of_each_stratum() {
        let candidates = gold_and_diamond();
        let arms = draw_holdout(&candidates, 0.1, 42).expect("valid share");
        assert_eq!(arms.len(), candidates.len());
        assert_eq!(controls_in(&candidates, &arms, "gold"), 100);
        assert_eq!(controls_in(&candidates, &arms, "diamond"), 4); // round(3.7)
        let arms = draw_holdout(&candidates, 0.25, 42).expect("valid share");
        assert_eq!(controls_in(&candidates, &arms, "gold"), 250);
        assert_eq!(controls_in(&candidates, &arms, "diamond"), 9); // round(9.25)
        let arms = draw_holdout(&candidates, 0.0, 42).expect("valid share");
        assert!(arms.iter().all(|arm| *arm == Arm::Treated));
        assert_eq!(draw_holdout(&[], 0.1, 42), Ok(Vec::new()));
    }

    #[test]
    fn holdout_is_reproducible_and_depends_on_the_seed() {
        let candidates = gold_and_diamond();
        let first = draw_holdout(&candidates, 0.1, 7).expect("valid share");
        assert_eq!(draw_holdout(&candidates, 0.1, 7).expect("valid share"), first);
        let other = draw_holdout(&candidates, 0.1, 8).expect("valid share");
        assert_ne!(other, first);
        // Two independent 10% draws of 1000 share about 10 controls, far from all 100.
        let both =
            first.iter().zip(&other).filter(|(a, b)| **a == Arm::Control && **b == Arm::Control).count();
        assert!(both < 40, "{both} controls in common");
    }

    #[test]
    fn holdout_does_not_depend_on_input_order() {
        let candidates = gold_and_diamond();
        let arms = draw_holdout(&candidates, 0.1, 2024).expect("valid share");
        let mut shuffled = candidates.clone();
        shuffled.shuffle(&mut ChaCha8Rng::seed_from_u64(1));
        assert_ne!(shuffled, candidates);
        let shuffled_arms = draw_holdout(&shuffled, 0.1, 2024).expect("valid share");
        let arm_of: BTreeMap<&str, Arm> =
            shuffled.iter().zip(&shuffled_arms).map(|(c, arm)| (c.subject.as_str(), *arm)).collect();
        for (candidate, arm) in candidates.iter().zip(&arms) {
            assert_eq!(arm_of[candidate.subject.as_str()], *arm, "{}", candidate.subject);
        }
    }

    #[test]
    fn holdout_share_out_of_range_is_refused() {
        let candidates = gold_and_diamond();
        for share in [-0.1, 1.0, 1.5, f64::NAN, f64::INFINITY] {
            let err = draw_holdout(&candidates, share, 1).expect_err("share out of range");
            assert!(err.contains("[0, 1)"), "{err}");
        }
    }

    /// The tiers of the simulated campaigns: code, base retention, mean revenue (yuan). Member `i`
    /// is in tier 0 when `i % 10 < 6`, tier 1 when `< 9`, else tier 2 (60% / 30% / 10%).
    const TIERS: [(&str, f64, f64); 3] =
        [("silver", 0.80, 80.0), ("gold", 0.88, 160.0), ("diamond", 0.95, 400.0)];
    const REVENUE_SD: f64 = 40.0;

    fn tier_of(index: usize) -> usize {
        match index % 10 {
            0..6 => 0,
            6..9 => 1,
            _ => 2,
        }
    }

    fn campaign_candidates(members: usize) -> Vec<Candidate> {
        (0..members).map(|i| candidate(&format!("L{i:07}"), TIERS[tier_of(i)].0)).collect()
    }

    fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
        let radius: f64 = 1.0 - rng.random::<f64>();
        let angle: f64 = std::f64::consts::TAU * rng.random::<f64>();
        (-2.0 * radius.ln()).sqrt() * angle.cos()
    }

    /// Simulates a campaign with a 10% holdout drawn by `draw_holdout`, with per-tier effects on
    /// retention (a change of probability) and on revenue (yuan).
    fn simulate(
        candidates: &[Candidate],
        seed: u64,
        retention_effect: [f64; 3],
        revenue_effect: [f64; 3],
    ) -> Vec<MemberResult> {
        let arms = draw_holdout(candidates, 0.1, seed).expect("valid share");
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        candidates
            .iter()
            .zip(arms)
            .enumerate()
            .map(|(index, (candidate, arm))| {
                let tier = tier_of(index);
                let (_, base, mean_revenue) = TIERS[tier];
                let treated = arm == Arm::Treated;
                let retention = if treated { base + retention_effect[tier] } else { base };
                let revenue_shift = if treated { revenue_effect[tier] } else { 0.0 };
                MemberResult {
                    stratum: candidate.stratum.clone(),
                    arm,
                    retained: rng.random_bool(retention.clamp(0.0, 1.0)),
                    revenue: mean_revenue + revenue_shift + REVENUE_SD * standard_normal(&mut rng),
                    pre_revenue: None,
                    kind: None,
                    won_back: false,
                }
            })
            .collect()
    }

    /// Members whose revenue follows their pre-period revenue (0.8 of it, plus noise), as a
    /// customer's spending does, with a revenue effect for the treated.
    fn simulate_with_history(candidates: &[Candidate], seed: u64, revenue_effect: f64) -> Vec<MemberResult> {
        let arms = draw_holdout(candidates, 0.1, seed).expect("valid share");
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        candidates
            .iter()
            .zip(arms)
            .enumerate()
            .map(|(index, (candidate, arm))| {
                let (_, _, mean_revenue) = TIERS[tier_of(index)];
                let pre = mean_revenue + REVENUE_SD * standard_normal(&mut rng);
                let shift = if arm == Arm::Treated { revenue_effect } else { 0.0 };
                let revenue =
                    0.8 * pre + 0.2 * mean_revenue + shift + 0.4 * REVENUE_SD * standard_normal(&mut rng);
                MemberResult {
                    stratum: candidate.stratum.clone(),
                    arm,
                    retained: true,
                    revenue,
                    pre_revenue: Some(pre),
                    kind: None,
                    won_back: false,
                }
            })
            .collect()
    }

    #[test]
    fn the_pre_period_adjustment_narrows_the_revenue_interval_and_keeps_its_coverage() {
        let candidates = campaign_candidates(20_000);
        let evaluation = evaluate(&simulate_with_history(&candidates, 5, 12.0), 0.0);
        let adjusted = evaluation.revenue_uplift_per_member.expect("adjusted");
        let plain = evaluation.revenue_uplift_unadjusted.expect("plain");
        assert!((evaluation.pre_revenue_slope - 0.8).abs() < 0.05, "θ {}", evaluation.pre_revenue_slope);
        assert!(adjusted.covers(12.0) && plain.covers(12.0), "{adjusted:?} {plain:?}");
        let width = |i: Interval| i.high - i.low;
        // Residual sd 0.4 against 0.8 × 1 + 0.4 noise: the interval shrinks to about 0.45 of it.
        assert!(width(adjusted) < 0.6 * width(plain), "{adjusted:?} against {plain:?}");

        let candidates = campaign_candidates(4_000);
        let covered = (0..300u64)
            .filter(|&seed| {
                let evaluation = evaluate(&simulate_with_history(&candidates, 1000 + seed, 12.0), 0.0);
                evaluation.revenue_uplift_per_member.expect("adjusted").covers(12.0)
            })
            .count();
        let coverage = covered as f64 / 300.0;
        assert!((0.92..=0.975).contains(&coverage), "coverage {coverage}");
    }

    #[test]
    fn known_effect_is_recovered() {
        let candidates = campaign_candidates(20_000);
        let members = simulate(&candidates, 11, [0.05; 3], [12.0; 3]);
        let evaluation = evaluate(&members, 10_000.0);
        assert_eq!(evaluation.control.members, 2_000);
        assert_eq!(evaluation.treated.members, 18_000);
        assert_eq!(evaluation.unmatched_members, 0);
        assert_eq!(evaluation.strata.len(), 3);

        let retention = evaluation.retention_uplift.expect("every stratum has both arms");
        assert!(retention.covers(0.05), "{retention:?}");
        assert!(!retention.covers(0.0), "{retention:?}");
        let revenue = evaluation.revenue_uplift_per_member.expect("every stratum has both arms");
        assert!(revenue.covers(12.0), "{revenue:?}");
        assert!(!revenue.covers(0.0), "{revenue:?}");

        let incremental = evaluation.incremental_revenue.expect("revenue uplift");
        assert_close(incremental.estimate, revenue.estimate * 18_000.0);
        let net = evaluation.net_incremental_revenue.expect("revenue uplift");
        assert_close(net.low, incremental.low - 10_000.0);
        assert_close(evaluation.roi.expect("positive cost"), net.estimate / 10_000.0);
    }

    #[test]
    fn no_effect_is_not_mistaken_for_one() {
        let candidates = campaign_candidates(20_000);
        let members = simulate(&candidates, 12, [0.0; 3], [0.0; 3]);
        let evaluation = evaluate(&members, 0.0);
        let retention = evaluation.retention_uplift.expect("every stratum has both arms");
        assert!(retention.covers(0.0), "{retention:?}");
        let revenue = evaluation.revenue_uplift_per_member.expect("every stratum has both arms");
        assert!(revenue.covers(0.0), "{revenue:?}");
        assert_eq!(evaluation.roi, None);
    }

    #[test]
    fn intervals_cover_the_truth_about_95_percent_of_the_time() {
        // Different effects per tier: the truth is their average weighted by the tiers' sizes,
        // 0.6 × 0.06 + 0.3 × 0.04 + 0.1 × 0.02 = 0.05 and 0.6 × 15 + 0.3 × 10 + 0.1 × 0 = 12.
        let candidates = campaign_candidates(4_000);
        let replications = 400;
        let (mut retention_covered, mut revenue_covered) = (0, 0);
        for replication in 0..replications {
            let members = simulate(&candidates, 1_000 + replication, [0.06, 0.04, 0.02], [15.0, 10.0, 0.0]);
            let evaluation = evaluate(&members, 0.0);
            let retention = evaluation.retention_uplift.expect("every stratum has both arms");
            retention_covered += usize::from(retention.covers(0.05));
            let revenue = evaluation.revenue_uplift_per_member.expect("every stratum has both arms");
            revenue_covered += usize::from(revenue.covers(12.0));
        }
        for (what, covered) in [("retention", retention_covered), ("revenue", revenue_covered)] {
            let coverage = covered as f64 / replications as f64;
            assert!((0.92..=0.975).contains(&coverage), "{what} coverage {coverage}");
        }
    }

    #[test]
    fn evaluation_of_a_small_campaign_worked_by_hand() {
        let members = vec![
            // Stratum a: treated 4 (3 retained; revenue 10, 20, 30, 40), control 2 (1 retained; 10, 20).
            member("a", Arm::Treated, true, 10.0),
            member("a", Arm::Treated, true, 20.0),
            member("a", Arm::Treated, false, 30.0),
            member("a", Arm::Treated, true, 40.0),
            member("a", Arm::Control, true, 10.0),
            member("a", Arm::Control, false, 20.0),
            // Stratum c: one treated member and no control: unmatched.
            member("c", Arm::Treated, true, 100.0),
            // Stratum b: treated 2 (both retained; 50, 70), control 2 (1 retained; 40, 40).
            member("b", Arm::Control, false, 40.0),
            member("b", Arm::Treated, true, 50.0),
            member("b", Arm::Treated, true, 70.0),
            member("b", Arm::Control, true, 40.0),
        ];
        let evaluation = evaluate(&members, 49.0);

        assert_eq!(evaluation.treated.members, 7);
        assert_eq!(evaluation.treated.retained, 6);
        assert_close(evaluation.treated.retention_rate, 6.0 / 7.0);
        assert_close(evaluation.treated.revenue, 320.0);
        assert_close(evaluation.treated.revenue_per_member, 320.0 / 7.0);
        assert_eq!(evaluation.control.members, 4);
        assert_eq!(evaluation.control.retained, 2);
        assert_close(evaluation.control.retention_rate, 0.5);
        assert_close(evaluation.control.revenue, 110.0);
        assert_close(evaluation.control.revenue_per_member, 27.5);
        assert_eq!(evaluation.unmatched_members, 1);
        assert_eq!(evaluation.revenue_unmatched_members, 1);

        // Weights: a has 6 members, b 4, so w = 0.6 and 0.4.
        // Retention: a 0.75 − 0.5 = 0.25, b 1 − 0.5 = 0.5; Δ = 0.15 + 0.2 = 0.35.
        // Agresti–Caffo variances: a treated p̃ = 4/6, V = (2/3)(1/3)/6 = 1/27; a control p̃ = 2/4,
        // V = 1/16; b treated p̃ = 3/4, V = (3/16)/4 = 3/64; b control 1/16.
        let variance = 0.36 * (1.0 / 27.0 + 1.0 / 16.0) + 0.16 * (3.0 / 64.0 + 1.0 / 16.0);
        assert_close(variance, 0.053_333_333_333_333);
        let retention = evaluation.retention_uplift.expect("two matched strata");
        assert_close(retention.estimate, 0.35);
        assert_close(retention.low, 0.35 - 1.959964 * variance.sqrt());
        assert_close(retention.high, 0.35 + 1.959964 * variance.sqrt());

        // Revenue: a 25 − 15 = 10, b 60 − 40 = 20; Δ = 6 + 8 = 14. Sample variances: a treated
        // 500/3 over 4 members, a control 50 over 2, b treated 200 over 2, b control 0.
        // Var = 0.36 (125/3 + 25) + 0.16 (100 + 0) = 24 + 16 = 40.
        let revenue = evaluation.revenue_uplift_per_member.expect("two strata with two per arm");
        assert_close(revenue.estimate, 14.0);
        assert_close(revenue.high - revenue.estimate, 1.959964 * 40f64.sqrt());
        assert_close(revenue.estimate - revenue.low, 1.959964 * 40f64.sqrt());

        // Incremental revenue over the 7 treated members: 98; net of the 49 yuan cost: 49; ROI 1.
        let incremental = evaluation.incremental_revenue.expect("revenue uplift");
        assert_close(incremental.estimate, 98.0);
        assert_close(incremental.low, 7.0 * revenue.low);
        let net = evaluation.net_incremental_revenue.expect("revenue uplift");
        assert_close(net.estimate, 49.0);
        assert_close(net.high, 7.0 * revenue.high - 49.0);
        assert_close(evaluation.roi.expect("positive cost"), 1.0);
        assert_close(evaluation.offer_cost, 49.0);

        let strata: Vec<&str> = evaluation.strata.iter().map(|s| s.stratum.as_str()).collect();
        assert_eq!(strata, ["a", "b", "c"]);
        let a = &evaluation.strata[0];
        assert_eq!(
            (a.treated.members, a.treated.retained, a.control.members, a.control.retained),
            (4, 3, 2, 1)
        );
        assert_close(a.treated.revenue_per_member, 25.0);
        let a_uplift = a.retention_uplift.expect("both arms");
        assert_close(a_uplift.estimate, 0.25);
        assert_close(a_uplift.high - 0.25, 1.959964 * (1.0f64 / 27.0 + 1.0 / 16.0).sqrt());
        let c = &evaluation.strata[2];
        assert_eq!((c.treated.members, c.control.members), (1, 0));
        assert_eq!(c.control.retention_rate, 0.0);
        assert_eq!(c.control.revenue_per_member, 0.0);
        assert_eq!(c.retention_uplift, None);
    }

    #[test]
    fn arms_count_their_members_by_churn_kind_and_a_switch_is_never_a_win_back() {
        let with = |mut m: MemberResult, kind: Option<ChurnKind>, won_back: bool| {
            m.kind = kind;
            m.won_back = won_back;
            m
        };
        let external = Some(ChurnKind::External);
        let switch = Some(ChurnKind::InternalSwitch);
        // The campaign worked by hand above, its leavers given kinds: in stratum a the treated
        // leaver switched to a new line (and claims a win-back, which must not count), the
        // control leaver went to a competitor and came back; in b the control leaver went to a
        // competitor for good; one treated member of b lies dormant.
        let members = vec![
            member("a", Arm::Treated, true, 10.0),
            member("a", Arm::Treated, true, 20.0),
            with(member("a", Arm::Treated, false, 30.0), switch, true),
            member("a", Arm::Treated, true, 40.0),
            member("a", Arm::Control, true, 10.0),
            with(member("a", Arm::Control, false, 20.0), external, true),
            member("c", Arm::Treated, true, 100.0),
            with(member("b", Arm::Control, false, 40.0), external, false),
            with(member("b", Arm::Treated, true, 50.0), Some(ChurnKind::Dormant), false),
            member("b", Arm::Treated, true, 70.0),
            member("b", Arm::Control, true, 40.0),
        ];
        let evaluation = evaluate(&members, 49.0);
        let kinds = |external, internal_switch, dormant, won_back| KindCounts {
            external,
            internal_switch,
            dormant,
            won_back,
        };
        assert_eq!(evaluation.treated.kinds, kinds(0, 1, 1, 0));
        assert_eq!(evaluation.control.kinds, kinds(2, 0, 0, 1));
        assert_eq!(evaluation.strata[0].treated.kinds, kinds(0, 1, 0, 0));
        assert_eq!(evaluation.strata[0].control.kinds, kinds(1, 0, 0, 1));
        assert_eq!(evaluation.strata[1].control.kinds, kinds(1, 0, 0, 0));
        // The kinds are counts beside the uplift: the arithmetic is that of the plain campaign.
        let plain: Vec<MemberResult> = members.iter().map(|m| with(m.clone(), None, false)).collect();
        let without = evaluate(&plain, 49.0);
        assert_eq!(evaluation.retention_uplift, without.retention_uplift);
        assert_eq!(evaluation.revenue_uplift_per_member, without.revenue_uplift_per_member);
        assert_close(evaluation.retention_uplift.expect("uplift").estimate, 0.35);
        assert_eq!((evaluation.treated.retained, evaluation.control.retained), (6, 2));
    }

    #[test]
    fn strata_with_a_single_control_are_left_out_of_the_revenue_uplift_only() {
        let members = vec![
            member("a", Arm::Treated, true, 10.0),
            member("a", Arm::Treated, true, 20.0),
            member("a", Arm::Treated, false, 30.0),
            member("a", Arm::Treated, true, 40.0),
            member("a", Arm::Control, true, 10.0),
            member("a", Arm::Control, false, 20.0),
            // Stratum d: treated 2 (1 retained), control 1 (not retained).
            member("d", Arm::Treated, true, 0.0),
            member("d", Arm::Treated, false, 10.0),
            member("d", Arm::Control, false, 500.0),
        ];
        let evaluation = evaluate(&members, 0.0);
        assert_eq!(evaluation.unmatched_members, 0);
        assert_eq!(evaluation.revenue_unmatched_members, 3);
        // Retention over a (6 members, 0.25) and d (3 members, 0.5 − 0 = 0.5): (1.5 + 1.5) / 9.
        assert_close(evaluation.retention_uplift.expect("both strata").estimate, 1.0 / 3.0);
        // Revenue over a alone: 25 − 15 with variance 500/12 + 25.
        let revenue = evaluation.revenue_uplift_per_member.expect("stratum a");
        assert_close(revenue.estimate, 10.0);
        assert_close(revenue.high, 10.0 + 1.959964 * (500.0f64 / 12.0 + 25.0).sqrt());
        // No cost: no ROI, and the net equals the incremental revenue (6 treated × 10).
        assert_eq!(evaluation.roi, None);
        assert_eq!(evaluation.net_incremental_revenue, evaluation.incremental_revenue);
        assert_close(evaluation.incremental_revenue.expect("revenue uplift").estimate, 60.0);
    }

    #[test]
    fn evaluation_without_comparable_members_has_no_uplift() {
        let evaluation = evaluate(&[], 100.0);
        assert_eq!(evaluation.treated.members, 0);
        assert_eq!(evaluation.retention_uplift, None);
        assert_eq!(evaluation.revenue_uplift_per_member, None);
        assert_eq!(evaluation.net_incremental_revenue, None);
        assert_eq!(evaluation.roi, None);
        assert!(evaluation.strata.is_empty());

        let only_treated =
            [member("gold", Arm::Treated, true, 5.0), member("gold", Arm::Treated, false, 1.0)];
        let evaluation = evaluate(&only_treated, 100.0);
        assert_eq!(evaluation.unmatched_members, 2);
        assert_eq!(evaluation.retention_uplift, None);
        assert_eq!(evaluation.roi, None);
        assert_close(evaluation.treated.revenue_per_member, 3.0);
    }

    #[test]
    fn interval_covers_its_ends() {
        let interval = Interval { estimate: 1.0, low: 0.5, high: 1.5 };
        assert!(interval.covers(0.5) && interval.covers(1.0) && interval.covers(1.5));
        assert!(!interval.covers(0.49) && !interval.covers(1.51) && !interval.covers(f64::NAN));
    }

    #[test]
    fn contact_stats_per_channel_and_manager_worked_by_hand() {
        let record = |channel: &str, manager: Option<&str>, worked, reached, accepted| ContactRecord {
            channel: channel.to_owned(),
            manager: manager.map(str::to_owned),
            worked,
            reached,
            accepted,
        };
        let records = [
            record("sms", None, false, false, false),
            record("sms", Some("m1"), true, true, true),
            record("phone", Some("m1"), true, false, false),
            record("phone", Some("m2"), true, true, false),
            record("phone", Some("m2"), true, true, true),
        ];
        let (channels, managers) = contact_stats(&records);

        let keys = |stats: &[ContactStats]| stats.iter().map(|s| s.key.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&channels), ["phone", "sms"]);
        assert_eq!(keys(&managers), ["-", "m1", "m2"]);

        let counts = |s: &ContactStats| (s.tasks, s.worked, s.reached, s.accepted);
        let rates = |s: &ContactStats| [s.connect_rate, s.success_rate, s.take_up];
        let check = |s: &ContactStats, expected_counts: (u64, u64, u64, u64), expected_rates: [f64; 3]| {
            assert_eq!(counts(s), expected_counts, "{}", s.key);
            for (actual, expected) in rates(s).into_iter().zip(expected_rates) {
                assert_close(actual, expected);
            }
        };
        check(&channels[0], (3, 3, 2, 1), [2.0 / 3.0, 0.5, 1.0 / 3.0]);
        check(&channels[1], (2, 1, 1, 1), [1.0, 1.0, 0.5]);
        check(&managers[0], (1, 0, 0, 0), [0.0, 0.0, 0.0]);
        check(&managers[1], (2, 2, 1, 1), [0.5, 1.0, 0.5]);
        check(&managers[2], (2, 2, 2, 1), [1.0, 0.5, 0.5]);

        assert_eq!(contact_stats(&[]), (Vec::new(), Vec::new()));
    }
}
