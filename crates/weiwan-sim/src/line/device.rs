//! The handset on a line: its model, matched to the plan's price band, and when it was first
//! seen, which gives the device age the churn hazard looks at.

use chrono::{Duration, NaiveDate};
use weiwan_domain::codes::ContractKind;

use super::{AliveDays, Line, State};
use crate::calendar::{Timeline, day_of, first_day, months_between, serial_of};
use crate::catalog::{DEVICES, PLANS};
use crate::draw::{Draw, SimRng};
use crate::hazard;

/// A handset model matching the plan's price band, and when it was first seen on the line.
pub(super) fn draw_device(
    rng: &mut SimRng,
    plan: usize,
    activated_on: NaiveDate,
    timeline: &Timeline,
    line: &mut Line,
) {
    if rng.chance(0.04) {
        return; // handset unknown to the operator
    }
    line.device_model = Some(draw_device_model(rng, plan));
    let age_months = (-20.0 * (1.0 - rng.unit()).ln()).min(96.0);
    let first_seen = timeline.start() - Duration::days((age_months * 30.44) as i64);
    line.device_since = Some(first_seen.max(activated_on));
}

pub(super) fn draw_device_model(rng: &mut SimRng, plan: usize) -> &'static str {
    let fee = PLANS[plan].monthly_fee_yuan;
    let band_weights = match fee {
        198.. => [10, 30, 60],
        78.. => [25, 45, 30],
        _ => [55, 35, 10],
    };
    let band = rng.weighted(&band_weights) as u8;
    loop {
        let device = rng.pick(&DEVICES);
        if device.band == band {
            return device.model;
        }
    }
}

/// A device contract starting this month comes with a new handset; otherwise people replace
/// handsets every few years, old ones more eagerly.
pub(super) fn maybe_new_device(
    rng: &mut SimRng,
    serial: i32,
    alive: AliveDays,
    state: &State,
    line: &mut Line,
) {
    let Some(since) = line.device_since else { return };
    let device_contract_start = line
        .contracts
        .iter()
        .filter(|c| c.kind == ContractKind::Device && serial_of(c.starts_on) == serial)
        .map(|c| c.starts_on)
        .max();
    if let Some(starts_on) = device_contract_start {
        line.device_since = Some(starts_on.max(since));
        line.device_model = Some(draw_device_model(rng, state.plan));
        return;
    }
    let old = months_between(since, first_day(serial)) > hazard::OLD_DEVICE_MONTHS;
    if rng.chance(if old { 0.03 } else { 0.015 }) {
        line.device_since = Some(day_of(serial, alive.draw_day(rng)).max(since));
        line.device_model = Some(draw_device_model(rng, state.plan));
    }
}
