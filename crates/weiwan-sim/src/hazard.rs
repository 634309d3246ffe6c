//! The monthly churn hazard of a line: a logistic function of documented drivers.
//!
//! Every driver is observable in the extract (usage trend, complaints, competitor calls,
//! contract end, arrears, device age, payment type, tenure, tier, family and group ties,
//! dormant status) except the line's frailty and the monthly noise, which stand for what no
//! operator sees. `docs/synthetic-operator.md` lists the same coefficients.

use weiwan_domain::codes::VipTier;

/// Log-odds of a line leaving in a month when every driver is at its baseline
/// (a postpaid mass-market line, a few years on the network, nothing wrong). About 0.7 %.
pub(crate) const INTERCEPT: f64 = -4.9;
/// Per unit of latent disengagement; disengagement also lowers usage and raises
/// competitor calls, complaints and porting inquiries, which is how a model can see it.
pub(crate) const DISENGAGEMENT: f64 = 1.0;
/// Per complaint lodged in the previous three months (at most four count).
pub(crate) const COMPLAINT: f64 = 0.35;
pub(crate) const MAX_COUNTED_COMPLAINTS: u32 = 4;
/// Per unit of `ln(1 + competitor calls in the previous month)`.
pub(crate) const COMPETITOR_CALLS: f64 = 0.30;
/// A binding ended without renewal: strongest in the first six months after it ended.
pub(crate) const CONTRACT_LAPSED_RECENTLY: f64 = 1.0;
pub(crate) const CONTRACT_LAPSED_LONG_AGO: f64 = 0.45;
pub(crate) const RECENT_LAPSE_MONTHS: i32 = 6;
/// Arrears outstanding at the end of the previous month.
pub(crate) const ARREARS: f64 = 1.0;
/// Handset older than two years.
pub(crate) const OLD_DEVICE: f64 = 0.3;
pub(crate) const OLD_DEVICE_MONTHS: i32 = 24;
pub(crate) const PREPAID: f64 = 0.55;
/// Tenure under six months, six to twelve months, and five years or more.
pub(crate) const TENURE_UNDER_6_MONTHS: f64 = 0.9;
pub(crate) const TENURE_UNDER_12_MONTHS: f64 = 0.45;
pub(crate) const TENURE_5_YEARS_OR_MORE: f64 = -0.35;
/// On a family plan (家庭计划) with other lines.
pub(crate) const FAMILY_PLAN: f64 = -0.4;
/// Member of a group customer, and more so a key person of it.
pub(crate) const GROUP_MEMBER: f64 = -0.3;
pub(crate) const KEY_PERSON: f64 = -0.5;
/// Suspended, number-keep (停机保号) or suspended for arrears.
pub(crate) const DORMANT: f64 = 0.6;
/// Standard deviation of the line's frailty (drawn once per line) and of the monthly noise.
pub(crate) const FRAILTY_SD: f64 = 0.5;
pub(crate) const MONTHLY_NOISE_SD: f64 = 0.3;

/// VIP tiers are courted and leave less.
pub(crate) fn tier_effect(tier: VipTier) -> f64 {
    match tier {
        VipTier::Diamond => -1.2,
        VipTier::Gold => -0.85,
        VipTier::Silver => -0.55,
        VipTier::Member => -0.25,
        VipTier::Mass => 0.0,
    }
}

/// Seasonality of leaving, by calendar month (index 0 = January): people switch after the
/// Spring Festival (February, March) and when students start the school year (September).
pub(crate) const SEASON: [f64; 12] = [0.0, 0.15, 0.25, 0.0, 0.0, 0.0, 0.05, 0.05, 0.2, 0.0, 0.0, 0.0];

/// What the hazard of one line in one month depends on, as of the end of the previous month.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Drivers {
    pub disengagement: f64,
    pub complaints_last_3_months: u32,
    pub competitor_calls_last_month: u32,
    /// Months since a binding ended without renewal, if one did.
    pub months_since_lapse: Option<i32>,
    pub in_arrears: bool,
    pub device_age_months: Option<i32>,
    pub prepaid: bool,
    pub tenure_months: i32,
    pub tier: VipTier,
    pub family_plan: bool,
    pub group_member: bool,
    pub key_person: bool,
    pub dormant: bool,
    pub calendar_month: u32,
    pub frailty: f64,
}

/// Log-odds of churning this month, before monthly noise.
pub(crate) fn churn_log_odds(drivers: &Drivers) -> f64 {
    let flag = |on: bool, effect: f64| if on { effect } else { 0.0 };
    let complaints = drivers.complaints_last_3_months.min(MAX_COUNTED_COMPLAINTS);
    let lapse = match drivers.months_since_lapse {
        Some(months) if months < RECENT_LAPSE_MONTHS => CONTRACT_LAPSED_RECENTLY,
        Some(_) => CONTRACT_LAPSED_LONG_AGO,
        None => 0.0,
    };
    let tenure = match drivers.tenure_months {
        months if months < 6 => TENURE_UNDER_6_MONTHS,
        months if months < 12 => TENURE_UNDER_12_MONTHS,
        months if months >= 60 => TENURE_5_YEARS_OR_MORE,
        _ => 0.0,
    };
    let season_index = (drivers.calendar_month.clamp(1, 12) - 1) as usize;
    INTERCEPT
        + DISENGAGEMENT * drivers.disengagement
        + COMPLAINT * f64::from(complaints)
        + COMPETITOR_CALLS * f64::from(drivers.competitor_calls_last_month).ln_1p()
        + lapse
        + flag(drivers.in_arrears, ARREARS)
        + flag(drivers.device_age_months.is_some_and(|age| age > OLD_DEVICE_MONTHS), OLD_DEVICE)
        + flag(drivers.prepaid, PREPAID)
        + tenure
        + tier_effect(drivers.tier)
        + flag(drivers.family_plan, FAMILY_PLAN)
        + flag(drivers.group_member && !drivers.key_person, GROUP_MEMBER)
        + flag(drivers.key_person, KEY_PERSON)
        + flag(drivers.dormant, DORMANT)
        + SEASON[season_index]
        + drivers.frailty
}

pub(crate) fn logistic(log_odds: f64) -> f64 {
    1.0 / (1.0 + (-log_odds).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn baseline() -> Drivers {
        Drivers {
            disengagement: 0.0,
            complaints_last_3_months: 0,
            competitor_calls_last_month: 0,
            months_since_lapse: None,
            in_arrears: false,
            device_age_months: Some(6),
            prepaid: false,
            tenure_months: 36,
            tier: VipTier::Mass,
            family_plan: false,
            group_member: false,
            key_person: false,
            dormant: false,
            calendar_month: 5,
            frailty: 0.0,
        }
    }

    #[test]
    fn every_risk_driver_raises_the_hazard() {
        let base = churn_log_odds(&baseline());
        assert!((base - INTERCEPT).abs() < 1e-12);
        let riskier = [
            Drivers { disengagement: 1.0, ..baseline() },
            Drivers { complaints_last_3_months: 2, ..baseline() },
            Drivers { competitor_calls_last_month: 10, ..baseline() },
            Drivers { months_since_lapse: Some(1), ..baseline() },
            Drivers { in_arrears: true, ..baseline() },
            Drivers { device_age_months: Some(30), ..baseline() },
            Drivers { prepaid: true, ..baseline() },
            Drivers { tenure_months: 2, ..baseline() },
            Drivers { dormant: true, ..baseline() },
        ];
        for drivers in riskier {
            assert!(churn_log_odds(&drivers) > base, "{drivers:?}");
        }
        assert!(churn_log_odds(&Drivers { tier: VipTier::Diamond, ..baseline() }) < base);
        assert!((0.006..0.010).contains(&logistic(base)));
    }
}
