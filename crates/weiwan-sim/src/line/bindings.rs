//! Bindings (绑定) of a line: the points, device or service-pack binding it carries into the
//! window, renewals and lapses as bindings end, and family plans (家庭计划).

use chrono::{Duration, NaiveDate};
use weiwan_domain::codes::{ContractKind, ContractStatus, PaymentType, VipTier};

use super::{Line, State};
use crate::calendar::{Timeline, add_months, last_day, months_between};
use crate::catalog::PLANS;
use crate::draw::{Draw, SimRng};
use crate::records::ContractRecord;

/// A binding (points, device or service pack) whose end falls anywhere from nine months
/// before the window to one term after the extract date (so it was signed by then), chained
/// with renewals up to the window.
pub(super) fn setup_bindings(
    rng: &mut SimRng,
    plan: usize,
    activated_on: NaiveDate,
    timeline: &Timeline,
    state: &mut State,
    line: &mut Line,
) {
    let prepaid = PLANS[plan].payment_type == PaymentType::Prepaid;
    if !rng.chance(if prepaid { 0.15 } else { 0.6 }) {
        return;
    }
    let kind =
        [ContractKind::Device, ContractKind::Points, ContractKind::ServicePack][rng.weighted(&[40, 30, 30])];
    let duration = binding_duration_months(rng, kind);
    // Signed by the extract date at the latest.
    let earliest_end = timeline.start() - Duration::days(270);
    let latest_end = add_months(timeline.extract_date(), duration) - Duration::days(1);
    let mut ends_on = earliest_end + Duration::days(rng.between(0, (latest_end - earliest_end).num_days()));
    let mut starts_on = add_months(ends_on, -duration) + Duration::days(1);
    if starts_on < activated_on {
        starts_on = activated_on;
        ends_on = add_months(starts_on, duration) - Duration::days(1);
    }
    line.contracts.push(new_binding(rng, kind, plan, starts_on, ends_on));
    state.binding = Some(line.contracts.len() - 1);
    // Bindings that ended before the window were renewed or let go back then.
    while let Some(index) = state.binding {
        if line.contracts[index].ends_on >= timeline.start() {
            break;
        }
        resolve_binding(rng, plan, 0.5, state, line);
    }
    if let Some(device_start) =
        line.contracts.iter().filter(|c| c.kind == ContractKind::Device).map(|c| c.starts_on).max()
        && device_start <= timeline.start()
        && line.device_model.is_some()
    {
        line.device_since = line.device_since.max(Some(device_start));
    }
}

pub(super) fn binding_duration_months(rng: &mut SimRng, kind: ContractKind) -> i32 {
    match kind {
        ContractKind::Device if rng.chance(0.7) => 24,
        ContractKind::ServicePack if rng.chance(0.4) => 24,
        _ => 12,
    }
}

pub(super) fn new_binding(
    rng: &mut SimRng,
    kind: ContractKind,
    plan: usize,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> ContractRecord {
    let fee_fen = PLANS[plan].monthly_fee_yuan * 100;
    let (monthly_commitment_fen, subsidy_fen) = match kind {
        // Contract phones (合约机): spend at least the plan fee, get part of the phone paid.
        ContractKind::Device => {
            let subsidy_yuan =
                (PLANS[plan].monthly_fee_yuan as f64 * 24.0 * rng.uniform(0.15, 0.45) / 50.0).round() * 50.0;
            (Some(fee_fen), Some((subsidy_yuan.max(100.0) as i64) * 100))
        }
        // A gift redeemed against a points binding.
        ContractKind::Points => (None, Some(100 * rng.between(50, 300))),
        ContractKind::ServicePack => (Some(100 * rng.between(10, 30)), None),
        ContractKind::FamilyPlan => (None, None),
    };
    ContractRecord {
        kind,
        starts_on,
        ends_on,
        monthly_commitment_fen,
        subsidy_fen,
        status: ContractStatus::Active,
    }
}

/// The binding in force has ended: it is renewed (a new binding of the same kind starts the
/// next day) with probability `renewal_probability`, or it lapses.
pub(super) fn resolve_binding(
    rng: &mut SimRng,
    plan: usize,
    renewal_probability: f64,
    state: &mut State,
    line: &mut Line,
) {
    let Some(index) = state.binding else { return };
    let ended = line.contracts[index].clone();
    if rng.chance(renewal_probability) {
        line.contracts[index].status = ContractStatus::Renewed;
        let starts_on = ended.ends_on + Duration::days(1);
        let ends_on = add_months(starts_on, binding_duration_months(rng, ended.kind)) - Duration::days(1);
        line.contracts.push(new_binding(rng, ended.kind, plan, starts_on, ends_on));
        state.binding = Some(line.contracts.len() - 1);
        state.lapsed_on = None;
    } else {
        line.contracts[index].status = ContractStatus::Ended;
        state.binding = None;
        state.lapsed_on = Some(ended.ends_on);
    }
}

/// Family plans renew yearly: the current term covers the extract date.
pub(super) fn add_family_plan(starts_on: NaiveDate, timeline: &Timeline, line: &mut Line) {
    line.in_family = true;
    let extract_date = timeline.extract_date();
    let years = (months_between(starts_on, extract_date) / 12 + 1).max(1);
    let ends_on = add_months(starts_on, 12 * years) - Duration::days(1);
    line.contracts.push(ContractRecord {
        kind: ContractKind::FamilyPlan,
        starts_on,
        ends_on,
        monthly_commitment_fen: None,
        subsidy_fen: None,
        status: ContractStatus::Active,
    });
}

/// A binding ending this month (before its last day, so a renewal starts inside the month)
/// is renewed or lapses; content customers and VIPs, courted by retention offers, renew more.
pub(super) fn end_of_month_bindings(
    rng: &mut SimRng,
    serial: i32,
    tier: VipTier,
    state: &mut State,
    line: &mut Line,
) {
    let Some(index) = state.binding else { return };
    if line.contracts[index].ends_on >= last_day(serial) {
        return;
    }
    let retention_offer =
        if matches!(tier, VipTier::Diamond | VipTier::Gold | VipTier::Silver) { 0.15 } else { 0.0 };
    let renewal = 0.55 * (-0.6 * state.disengagement).exp() + retention_offer;
    resolve_binding(rng, state.plan, renewal, state, line);
}
