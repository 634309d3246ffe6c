//! Group customers 集团客户: the service level each group tier is owed, the influence of key
//! persons 关键人, the rule that a key person's risk raises the risk of the group's members, and
//! the periods of the periodic service report. Pure functions; docs/groups.md explains them.
//!
//! [`GroupPolicy`] is read from TOML (`groups/policy.toml` is the built-in one,
//! [`builtin_group_policy`]) and checked whole. [`adjusted_risk`] is the rule; the daily batch
//! computes the same formula in SQL (weiwan-analytics, `churn.rs`) and its test checks both
//! against hand-worked numbers.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use weiwan_domain::codes::{KeyPersonRole, ReportFrequency, VipTier};

/// The text of the built-in policy, `groups/policy.toml`.
pub const BUILTIN_GROUP_POLICY: &str = include_str!("../groups/policy.toml");

/// The built-in group service policy.
///
/// # Panics
///
/// When the shipped `groups/policy.toml` is refused, which a test rules out.
pub fn builtin_group_policy() -> GroupPolicy {
    match parse_group_policy(BUILTIN_GROUP_POLICY) {
        Ok(policy) => policy,
        Err(err) => panic!("the built-in group policy is broken: {err}"),
    }
}

/// A parsed, checked group service policy.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupPolicy {
    pub version: String,
    /// A member line at or above this churn probability is "at risk" in the group view.
    pub at_risk: f64,
    /// The role assumed for a key person whose influence nobody recorded.
    pub unrecorded_role: KeyPersonRole,
    /// The default weight of each role, in [0, 1].
    pub influence: BTreeMap<KeyPersonRole, f64>,
    /// One service level per VIP tier.
    pub tiers: BTreeMap<VipTier, ServiceLevel>,
}

impl GroupPolicy {
    /// The default influence weight of a role.
    pub fn weight(&self, role: KeyPersonRole) -> f64 {
        self.influence.get(&role).copied().unwrap_or(0.0)
    }

    /// The service level of a group of this tier.
    pub fn service_level(&self, tier: VipTier) -> ServiceLevel {
        // Every tier is present: the parser refuses a policy that leaves one out.
        self.tiers.get(&tier).cloned().unwrap_or(ServiceLevel {
            tier,
            response_hours: 48,
            named_manager: false,
            report: ReportFrequency::Never,
        })
    }
}

/// What a group of one tier is owed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceLevel {
    #[serde(serialize_with = "code")]
    pub tier: VipTier,
    /// Hours within which a request from the group must be answered.
    pub response_hours: u32,
    /// Whether the group must have a named account manager 专属客户经理.
    pub named_manager: bool,
    #[serde(serialize_with = "code")]
    pub report: ReportFrequency,
}

fn code<S: serde::Serializer, T: fmt::Display>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// A policy was refused; each problem names the table and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the group policy is refused: {}", .problems.join("; "))]
pub struct GroupPolicyRefused {
    pub problems: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    version: String,
    at_risk: f64,
    unrecorded_role: String,
    influence: BTreeMap<String, f64>,
    tiers: BTreeMap<String, RawTier>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    response_hours: u32,
    named_manager: bool,
    report: String,
}

/// Parses and checks a policy (see `groups/policy.toml` for the fields). Refuses it with every
/// problem found: TOML that does not parse or has unknown, missing or mistyped fields; an empty
/// version; `at_risk` outside (0, 1); an unknown role, a role without a weight, a weight
/// outside [0, 1]; an unknown tier, a tier left out, response hours outside 1 to 168, an
/// unknown report frequency.
pub fn parse_group_policy(source: &str) -> Result<GroupPolicy, GroupPolicyRefused> {
    let raw: RawPolicy = toml::from_str(source).map_err(|err| GroupPolicyRefused {
        problems: vec![format!("the policy is not well formed: {}", err.to_string().trim())],
    })?;
    let mut problems = Vec::new();
    if raw.version.trim().is_empty() {
        problems.push("policy: version: must not be empty".to_owned());
    }
    if !(raw.at_risk > 0.0 && raw.at_risk < 1.0) {
        problems.push(format!("policy: at_risk: {} is not strictly between 0 and 1", raw.at_risk));
    }
    let unrecorded_role = match raw.unrecorded_role.parse::<KeyPersonRole>() {
        Ok(role) => Some(role),
        Err(err) => {
            problems.push(format!("policy: unrecorded_role: {err}"));
            None
        }
    };
    let mut influence = BTreeMap::new();
    for (name, weight) in &raw.influence {
        match name.parse::<KeyPersonRole>() {
            Ok(role) if (0.0..=1.0).contains(weight) => {
                influence.insert(role, *weight);
            }
            Ok(_) => problems.push(format!("influence: {name}: {weight} is not 0 to 1")),
            Err(err) => problems.push(format!("influence: {err}")),
        }
    }
    for role in KeyPersonRole::ALL {
        if !raw.influence.contains_key(role.code()) {
            problems.push(format!("influence: {role}: missing; every role needs a weight"));
        }
    }
    let mut tiers = BTreeMap::new();
    for (name, tier) in &raw.tiers {
        let Ok(code) = name.parse::<VipTier>() else {
            problems.push(format!("tiers.{name}: not a VIP tier (one of {})", VipTier::CODES.join(", ")));
            continue;
        };
        let mut ok = true;
        if tier.response_hours == 0 || tier.response_hours > 168 {
            problems.push(format!("tiers.{name}: response_hours: {} is not 1 to 168", tier.response_hours));
            ok = false;
        }
        let report = match tier.report.parse::<ReportFrequency>() {
            Ok(report) => Some(report),
            Err(err) => {
                problems.push(format!("tiers.{name}: report: {err}"));
                None
            }
        };
        if let (true, Some(report)) = (ok, report) {
            tiers.insert(
                code,
                ServiceLevel {
                    tier: code,
                    response_hours: tier.response_hours,
                    named_manager: tier.named_manager,
                    report,
                },
            );
        }
    }
    for tier in VipTier::ALL {
        if !raw.tiers.contains_key(tier.code()) {
            problems.push(format!("tiers.{tier}: missing; every tier needs a service level"));
        }
    }
    match unrecorded_role {
        Some(unrecorded_role) if problems.is_empty() => {
            Ok(GroupPolicy { version: raw.version, at_risk: raw.at_risk, unrecorded_role, influence, tiers })
        }
        _ => Err(GroupPolicyRefused { problems }),
    }
}

/// A member's risk raised by the group's key persons: `1 − (1 − p) · Π (1 − wₖ · pₖ)` over the
/// key persons k other than the member, with wₖ the key person's influence weight and pₖ their
/// own churn probability (the model's, before any raise, so the rule is not circular).
///
/// Read it as: the member stays only if they would have stayed anyway *and* no key person's
/// departure drags them along, each key person dragging with probability wₖ · pₖ,
/// independently. With no key person the risk is unchanged; it never falls, and never passes 1.
/// Inputs outside [0, 1] are clamped.
pub fn adjusted_risk(p: f64, key_persons: &[(f64, f64)]) -> f64 {
    let clamp = |x: f64| x.clamp(0.0, 1.0);
    let stays =
        key_persons.iter().fold(1.0 - clamp(p), |stay, &(w, p_key)| stay * (1.0 - clamp(w) * clamp(p_key)));
    1.0 - stays
}

/// One period of a periodic report: `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportPeriod {
    /// As written: `2026-10`, `2026-Q4`, `2026-H2` or `2026`.
    pub label: String,
    #[serde(serialize_with = "code")]
    pub frequency: ReportFrequency,
    #[serde(serialize_with = "code")]
    pub from: NaiveDate,
    /// The first day after the period.
    #[serde(serialize_with = "code")]
    pub to: NaiveDate,
}

impl ReportPeriod {
    /// Parses `YYYY-MM` (a month), `YYYY-Qn` (a quarter), `YYYY-Hn` (a half year) or `YYYY`.
    pub fn parse(text: &str) -> Result<ReportPeriod, String> {
        let bad = || {
            format!(
                "period {text:?}: expected YYYY-MM, YYYY-Q1..Q4, YYYY-H1..H2 or YYYY (e.g. 2026-10, 2026-Q4)"
            )
        };
        let (year, rest) = match text.split_once('-') {
            Some((year, rest)) => (year, Some(rest)),
            None => (text, None),
        };
        let year: i32 = year.parse().ok().filter(|y| (2000..=2100).contains(y)).ok_or_else(bad)?;
        let (frequency, first_month, months) = match rest {
            None => (ReportFrequency::Yearly, 1, 12),
            Some(q) if q.starts_with('Q') => {
                let n: u32 = q[1..].parse().ok().filter(|n| (1..=4).contains(n)).ok_or_else(bad)?;
                (ReportFrequency::Quarterly, 3 * (n - 1) + 1, 3)
            }
            Some(h) if h.starts_with('H') => {
                let n: u32 = h[1..].parse().ok().filter(|n| (1..=2).contains(n)).ok_or_else(bad)?;
                (ReportFrequency::HalfYearly, 6 * (n - 1) + 1, 6)
            }
            Some(m) => {
                if m.len() != 2 {
                    return Err(bad());
                }
                let n: u32 = m.parse().ok().filter(|n| (1..=12).contains(n)).ok_or_else(bad)?;
                (ReportFrequency::Monthly, n, 1)
            }
        };
        let from = NaiveDate::from_ymd_opt(year, first_month, 1).ok_or_else(bad)?;
        let to = from.checked_add_months(Months::new(months)).ok_or_else(bad)?;
        Ok(ReportPeriod { label: text.to_owned(), frequency, from, to })
    }

    /// The period of a frequency that holds `date` (`None` for [`ReportFrequency::Never`]).
    pub fn containing(frequency: ReportFrequency, date: NaiveDate) -> Option<ReportPeriod> {
        let (year, month) = (date.year(), date.month());
        let label = match frequency {
            ReportFrequency::Monthly => format!("{year}-{month:02}"),
            ReportFrequency::Quarterly => format!("{year}-Q{}", (month - 1) / 3 + 1),
            ReportFrequency::HalfYearly => format!("{year}-H{}", (month - 1) / 6 + 1),
            ReportFrequency::Yearly => format!("{year}"),
            ReportFrequency::Never => return None,
        };
        ReportPeriod::parse(&label).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_policy_parses() {
        let policy = builtin_group_policy();
        assert_eq!(policy.tiers.len(), VipTier::ALL.len());
        assert_eq!(policy.weight(KeyPersonRole::DecisionMaker), 0.6);
        let diamond = policy.service_level(VipTier::Diamond);
        assert_eq!(
            (diamond.response_hours, diamond.named_manager, diamond.report),
            (2, true, ReportFrequency::Monthly)
        );
    }

    #[test]
    fn a_bad_policy_is_refused_with_every_problem() {
        let source = BUILTIN_GROUP_POLICY
            .replace("at_risk = 0.3", "at_risk = 1.5")
            .replace("decision_maker = 0.6", "decision_maker = 1.2")
            .replace("response_hours = 2\n", "response_hours = 0\n")
            .replace("report = \"monthly\"", "report = \"weekly\"")
            .replace("[tiers.mass]\nresponse_hours = 48\nnamed_manager = false\nreport = \"never\"\n", "");
        let refused = parse_group_policy(&source).expect_err("refused");
        assert_eq!(
            refused.problems,
            vec![
                "policy: at_risk: 1.5 is not strictly between 0 and 1".to_owned(),
                "influence: decision_maker: 1.2 is not 0 to 1".to_owned(),
                "tiers.diamond: response_hours: 0 is not 1 to 168".to_owned(),
                "tiers.diamond: report: \"weekly\" is not one of monthly, quarterly, half_yearly, yearly, never"
                    .to_owned(),
                "tiers.mass: missing; every tier needs a service level".to_owned(),
            ]
        );
        let unknown = parse_group_policy(&format!("{BUILTIN_GROUP_POLICY}\n[tiers.platinum]\nresponse_hours = 1\nnamed_manager = true\nreport = \"monthly\"\n"))
            .expect_err("refused");
        assert_eq!(
            unknown.problems,
            vec!["tiers.platinum: not a VIP tier (one of diamond, gold, silver, member, mass)"]
        );
        let garbled = parse_group_policy("version = ").expect_err("refused");
        assert!(garbled.problems[0].starts_with("the policy is not well formed"), "{garbled}");
        let extra =
            parse_group_policy(&BUILTIN_GROUP_POLICY.replace("at_risk = 0.3", "at_risk = 0.3\nspeed = 1"))
                .expect_err("refused");
        assert!(extra.problems[0].contains("unknown field `speed`"), "{extra}");
    }

    #[test]
    fn a_key_persons_risk_raises_a_members_risk_as_the_formula_says() {
        let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-12, "{a} != {b}");
        // No key person: unchanged.
        close(adjusted_risk(0.2, &[]), 0.2);
        // 1 − 0.8 × (1 − 0.6 × 0.5) = 1 − 0.8 × 0.7 = 0.44.
        close(adjusted_risk(0.2, &[(0.6, 0.5)]), 0.44);
        // Two key persons: 1 − 0.8 × 0.7 × (1 − 0.3 × 0.4 = 0.88) = 1 − 0.4928 = 0.5072.
        close(adjusted_risk(0.2, &[(0.6, 0.5), (0.3, 0.4)]), 0.5072);
        // A safe key person, or one without influence, changes nothing.
        close(adjusted_risk(0.2, &[(0.6, 0.0), (0.0, 0.9)]), 0.2);
        // Certain departure of an all-powerful key person: certain.
        close(adjusted_risk(0.1, &[(1.0, 1.0)]), 1.0);
    }

    #[test]
    fn report_periods_parse_and_contain_dates() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        let q4 = ReportPeriod::parse("2026-Q4").expect("quarter");
        assert_eq!(
            (q4.frequency, q4.from, q4.to),
            (ReportFrequency::Quarterly, day(2026, 10, 1), day(2027, 1, 1))
        );
        let h1 = ReportPeriod::parse("2026-H1").expect("half");
        assert_eq!((h1.from, h1.to), (day(2026, 1, 1), day(2026, 7, 1)));
        let month = ReportPeriod::parse("2026-02").expect("month");
        assert_eq!((month.from, month.to), (day(2026, 2, 1), day(2026, 3, 1)));
        let year = ReportPeriod::parse("2026").expect("year");
        assert_eq!((year.from, year.to), (day(2026, 1, 1), day(2027, 1, 1)));
        for bad in ["2026-Q5", "2026-13", "2026-H3", "26", "2026-1", "2026-10-01", ""] {
            assert!(ReportPeriod::parse(bad).is_err(), "{bad}");
        }
        let containing =
            ReportPeriod::containing(ReportFrequency::Quarterly, day(2026, 11, 20)).expect("quarter");
        assert_eq!(containing.label, "2026-Q4");
        assert_eq!(ReportPeriod::containing(ReportFrequency::Never, day(2026, 11, 20)), None);
    }
}
