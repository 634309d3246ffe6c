//! One line's life through the window: setup (plan, activation, handset, bindings), then a
//! month-by-month simulation of usage, billing, payments, events, service state and churn.
//!
//! The simulation writes into a reusable [`Line`] so a customer's lines can be emitted after
//! all of them are simulated, without allocating per line.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use weiwan_domain::codes::{
    ContractKind, ContractStatus, EventType, PaymentChannel, PaymentType, SubscriptionStatus,
};

use crate::calendar::{
    SEASON_DATA, SEASON_VOICE, Timeline, day_of, days_in, first_day, months_between, time_on,
};
use crate::catalog::{PLANS, SECONDARY_LINE_PLAN_WEIGHTS, detail, plan_weights};
use crate::customer::Customer;
use crate::draw::{Draw, SimRng};
use crate::hazard;
use crate::identity;
use crate::records::{ContractRecord, Detail, EventRecord, PaymentRecord, UsageMonth};

mod billing;
mod bindings;
mod device;

use billing::{settle_on_leaving, settle_postpaid_bill, top_up_prepaid};
use bindings::{add_family_plan, end_of_month_bindings, setup_bindings};
use device::{draw_device, maybe_new_device};

/// How disengagement lowers usage: usage is multiplied by `exp(-USAGE_DECAY * d)`.
const USAGE_DECAY: f64 = 0.55;

/// How disengagement raises calls to competitors' numbers: `exp(COMPETITOR_GROWTH * d)`.
const COMPETITOR_GROWTH: f64 = 0.8;

const MAX_DISENGAGEMENT: f64 = 4.0;

/// Complaints per month: a base rate, the line's own grievance, and disengagement.
const COMPLAINT_BASE_RATE: f64 = 0.012;

const COMPLAINT_PER_DISENGAGEMENT: f64 = 0.07;

/// A drift into disengagement starts with this monthly probability, plus the boosts below.
const DRIFT_ONSET_BASE: f64 = 0.01;

const DRIFT_ONSET_PER_COMPLAINT: f64 = 0.03;

const DRIFT_ONSET_AFTER_LAPSE: f64 = 0.02;

const DRIFT_ONSET_OLD_DEVICE: f64 = 0.006;

const DRIFT_ONSET_PREPAID: f64 = 0.004;

const DRIFT_STEP: (f64, f64) = (0.15, 0.45);

const DRIFT_STOP: f64 = 0.15;

const RECOVERY_STEP: f64 = 0.25;

/// Share of churners whose leaving is still a request at the extract date (预拆机).
const PRE_DISCONNECT_SHARE: f64 = 0.3;

/// Number-keep (停机保号) fee per month, in fen.
const NUMBER_KEEP_FEE_FEN: i64 = 500;

/// Overage prices, in fen: per started GB beyond the allowance (capped per month), per minute.
const DATA_OVERAGE_FEN_PER_GB: i64 = 300;

const DATA_OVERAGE_CAP_FEN: i64 = 6_000;

const VOICE_OVERAGE_FEN_PER_MINUTE: i64 = 15;

/// Service state of a living line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    Active,
    Suspended,
    NumberKeep,
    ArrearsSuspended,
}

/// A simulated line: what `subscriptions` says about it, and its history rows.
#[derive(Debug, Default)]
pub(crate) struct Line {
    pub subscription_index: u64,
    pub id: String,
    pub msisdn: String,
    pub plan: usize,
    pub status: Option<SubscriptionStatus>,
    pub activated_on: Option<NaiveDate>,
    pub contract_end: Option<NaiveDate>,
    pub device_model: Option<&'static str>,
    /// The handset's identity (a hashed IMEI), set with `device_model` when the line ends.
    pub device_id: Option<String>,
    pub device_since: Option<NaiveDate>,
    pub in_family: bool,
    pub disconnected_on: Option<NaiveDate>,
    pub usage: Vec<UsageMonth>,
    pub contracts: Vec<ContractRecord>,
    pub payments: Vec<PaymentRecord>,
    pub events: Vec<EventRecord>,
}

impl Line {
    fn reset(&mut self, seed: u64, subscription_index: u64) {
        self.subscription_index = subscription_index;
        identity::subscription_id(&mut self.id, subscription_index);
        identity::msisdn(&mut self.msisdn, seed, subscription_index);
        self.status = None;
        self.activated_on = None;
        self.contract_end = None;
        self.device_model = None;
        self.device_id = None;
        self.device_since = None;
        self.in_family = false;
        self.disconnected_on = None;
        self.usage.clear();
        self.contracts.clear();
        self.payments.clear();
        self.events.clear();
    }

    pub(crate) fn churned(&self) -> bool {
        self.status == Some(SubscriptionStatus::Disconnected)
    }
}

/// Habits of a line's user, drawn once.
#[derive(Debug)]
struct Habits {
    frailty: f64,
    data_median_mb: f64,
    voice_median_minutes: f64,
    sms_mean: f64,
    competitor_call_base: f64,
    grievance: f64,
    miss_payment_probability: f64,
    channel: PaymentChannel,
    value_added_fen: i64,
    deposit_fen: i64,
    /// Chance that a month has roaming use (漫游): frequent travellers roam most months.
    roaming_chance: f64,
}

/// What changes month to month.
#[derive(Debug)]
struct State {
    plan: usize,
    disengagement: f64,
    drifting: bool,
    /// Complaints of the last three months, most recent first.
    recent_complaints: [u32; 3],
    competitor_calls_last_month: u32,
    service: Service,
    arrears_fen: i64,
    arrears_months: u32,
    balance_fen: i64,
    previous_bill_fen: i64,
    /// End date of a binding that ended without renewal (and no binding since).
    lapsed_on: Option<NaiveDate>,
    /// Index in `Line::contracts` of the binding in force, if any (family plans aside).
    binding: Option<usize>,
}

/// Everything a line needs to know about its owner.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Owner<'a> {
    pub customer: &'a Customer,
    /// The first line of a customer is activated on the customer's joining date.
    pub line_number: u32,
    /// Start of the customer's family plan, if the customer has one.
    pub family_start: Option<NaiveDate>,
    /// The activation date, when already decided: an internal switcher's new line.
    pub activated_on: Option<NaiveDate>,
}

/// Simulates one line into `line`.
pub(crate) fn simulate_line(
    rng: &mut SimRng,
    seed: u64,
    timeline: &Timeline,
    owner: Owner<'_>,
    subscription_index: u64,
    line: &mut Line,
) {
    line.reset(seed, subscription_index);
    let customer = owner.customer;
    let activated_on = draw_activation(rng, timeline, owner);
    line.activated_on = Some(activated_on);
    let plan = if owner.line_number == 0 || !customer.family {
        rng.weighted(plan_weights(customer.tier))
    } else {
        rng.weighted(&SECONDARY_LINE_PLAN_WEIGHTS)
    };
    let habits = draw_habits(rng, plan);
    let mut state = initial_state(rng, plan, &habits, activated_on, timeline);
    draw_device(rng, plan, activated_on, timeline, line);
    setup_bindings(rng, plan, activated_on, timeline, &mut state, line);
    if let Some(start) = owner.family_start {
        add_family_plan(start.max(activated_on), timeline, line);
    }

    let first_month = timeline.index_of(activated_on).max(0) as usize;
    let mut pre_disconnect = false;
    for t in first_month..timeline.months {
        let outcome = simulate_month(rng, timeline, owner, &habits, &mut state, line, t);
        match outcome {
            MonthOutcome::Stayed => {}
            MonthOutcome::Left => break,
            MonthOutcome::RequestedToLeave => {
                pre_disconnect = true;
                break;
            }
        }
    }
    finish_line(timeline, &state, pre_disconnect, line);
    if line.device_model.is_some() {
        line.device_id = Some(identity::device_id(seed, line.subscription_index, line.device_since));
    }
}

fn draw_activation(rng: &mut SimRng, timeline: &Timeline, owner: Owner<'_>) -> NaiveDate {
    if let Some(activated_on) = owner.activated_on {
        return activated_on;
    }
    let joined_on = owner.customer.joined_on;
    if owner.line_number == 0 {
        return joined_on;
    }
    // Later lines come after the first, earlier rather than later.
    let span = (timeline.extract_date() - joined_on).num_days().max(0) as f64;
    joined_on + Duration::days((rng.unit().powi(2) * span) as i64)
}

fn draw_habits(rng: &mut SimRng, plan: usize) -> Habits {
    let plan = &PLANS[plan];
    let fee_ratio = plan.monthly_fee_yuan as f64 / 96.0;
    // Dearer plans carry more use, but users of big allowances rarely exhaust them.
    let data_median = (plan.data_mb as f64 * 0.8).min(12_288.0 * fee_ratio.sqrt());
    let voice_median = (plan.voice_minutes as f64 * 0.7).min(350.0 * fee_ratio.powf(0.35));
    let channel = [
        PaymentChannel::AutoDebit,
        PaymentChannel::App,
        PaymentChannel::Bank,
        PaymentChannel::WebHall,
        PaymentChannel::Store,
        PaymentChannel::Agent,
    ][rng.weighted(&[35, 30, 10, 10, 10, 5])];
    let unreliable_payer = rng.chance(0.08);
    Habits {
        frailty: hazard::FRAILTY_SD * rng.normal(),
        data_median_mb: rng.lognormal(data_median, 0.6),
        voice_median_minutes: rng.lognormal(voice_median, 0.5),
        sms_mean: rng.lognormal(8.0, 0.6),
        competitor_call_base: rng.lognormal(3.0, 0.6),
        grievance: if rng.chance(0.1) { rng.uniform(0.02, 0.08) } else { 0.0 },
        roaming_chance: if rng.chance(0.08) { rng.uniform(0.3, 0.9) } else { 0.03 },
        miss_payment_probability: if unreliable_payer { 0.15 } else { 0.005 },
        channel,
        value_added_fen: if rng.chance(0.3) { 100 * rng.between(5, 20) } else { 0 },
        deposit_fen: if rng.chance(0.25) { 100 * rng.between(10, 300) } else { 0 },
    }
}

fn initial_state(
    rng: &mut SimRng,
    plan: usize,
    habits: &Habits,
    activated_on: NaiveDate,
    timeline: &Timeline,
) -> State {
    let before_window = activated_on < timeline.start();
    let postpaid = PLANS[plan].payment_type == PaymentType::Postpaid;
    let fee_fen = PLANS[plan].monthly_fee_yuan * 100;
    // Lines already on the network arrive in the window in all walks of life: some already
    // drifting away, a few in arrears or dormant.
    let drifting = before_window && rng.chance(0.05);
    let in_arrears = before_window && postpaid && rng.chance(0.015);
    let service = match rng.unit() {
        _ if !before_window => Service::Active,
        draw if draw < 0.005 => Service::NumberKeep,
        draw if draw < 0.008 => Service::Suspended,
        _ => Service::Active,
    };
    State {
        plan,
        disengagement: if drifting { rng.uniform(0.0, 1.2) } else { 0.0 },
        drifting,
        recent_complaints: [0; 3],
        competitor_calls_last_month: rng.poisson(habits.competitor_call_base),
        service,
        arrears_fen: if in_arrears { fee_fen } else { 0 },
        arrears_months: u32::from(in_arrears),
        balance_fen: if postpaid { 0 } else { 100 * rng.between(5, 80) },
        previous_bill_fen: if before_window && postpaid { fee_fen + habits.value_added_fen } else { 0 },
        lapsed_on: None,
        binding: None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MonthOutcome {
    Stayed,
    Left,
    RequestedToLeave,
}

/// The days of a month the line lived through (1-based, inclusive).
#[derive(Debug, Clone, Copy)]
struct AliveDays {
    first: u32,
    last: u32,
    in_month: u32,
}

impl AliveDays {
    fn fraction(self) -> f64 {
        f64::from(self.last + 1 - self.first) / f64::from(self.in_month)
    }

    fn draw_day(self, rng: &mut SimRng) -> u32 {
        rng.between(i64::from(self.first), i64::from(self.last)) as u32
    }

    /// An alive day no later than `latest`, or the first alive day if none is.
    fn draw_day_until(self, rng: &mut SimRng, latest: u32) -> u32 {
        let last = latest.clamp(self.first, self.last);
        rng.between(i64::from(self.first), i64::from(last)) as u32
    }
}

fn simulate_month(
    rng: &mut SimRng,
    timeline: &Timeline,
    owner: Owner<'_>,
    habits: &Habits,
    state: &mut State,
    line: &mut Line,
    t: usize,
) -> MonthOutcome {
    let serial = timeline.serial(t);
    let activated_on = line.activated_on.unwrap_or(NaiveDate::MIN);
    let in_month = days_in(serial);
    let first = if timeline.index_of(activated_on) == t as i64 { activated_on.day() } else { 1 };
    let mut alive = AliveDays { first, last: in_month, in_month };

    // The hazard looks at the line as it stood at the end of last month.
    let drivers = hazard_drivers(timeline, owner, habits, state, line, t);
    let log_odds = hazard::churn_log_odds(&drivers) + hazard::MONTHLY_NOISE_SD * rng.normal();
    let leaves = rng.chance(hazard::logistic(log_odds));
    let requests_only = leaves && t + 1 == timeline.months && rng.chance(PRE_DISCONNECT_SHARE);
    if leaves && !requests_only {
        alive.last = alive.draw_day(rng);
    }

    update_service(rng, serial, alive, state, line);
    if PLANS[state.plan].payment_type == PaymentType::Postpaid {
        settle_postpaid_bill(rng, serial, alive, habits, state, line);
    }
    if !leaves {
        maybe_change_plan(rng, serial, alive, state, line);
    }
    let usage = monthly_usage(rng, timeline.calendar_month(t), alive, habits, state);
    let mut usage = UsageMonth { t, ..usage };
    if PLANS[state.plan].payment_type == PaymentType::Prepaid {
        top_up_prepaid(rng, serial, alive, habits, state, line, &mut usage);
    } else {
        state.previous_bill_fen = usage.arpu_fen;
        usage.balance_fen = habits.deposit_fen - state.arrears_fen;
        usage.arrears_fen = state.arrears_fen;
    }
    add_engagement_events(rng, serial, alive, state, &usage, line);
    state.recent_complaints = [usage.complaints, state.recent_complaints[0], state.recent_complaints[1]];
    state.competitor_calls_last_month = usage.competitor_calls;
    line.usage.push(usage);

    if requests_only {
        add_leaving_events(rng, serial, alive, false, line);
        return MonthOutcome::RequestedToLeave;
    }
    if leaves {
        add_leaving_events(rng, serial, alive, true, line);
        settle_on_leaving(rng, serial, alive, state, line);
        line.disconnected_on = Some(day_of(serial, alive.last));
        return MonthOutcome::Left;
    }
    drift(rng, state, &drivers);
    end_of_month_bindings(rng, serial, owner.customer.tier, state, line);
    maybe_new_device(rng, serial, alive, state, line);
    MonthOutcome::Stayed
}

fn hazard_drivers(
    timeline: &Timeline,
    owner: Owner<'_>,
    habits: &Habits,
    state: &State,
    line: &Line,
    t: usize,
) -> hazard::Drivers {
    let month_start = first_day(timeline.serial(t));
    let activated_on = line.activated_on.unwrap_or(month_start);
    hazard::Drivers {
        disengagement: state.disengagement,
        complaints_last_3_months: state.recent_complaints.iter().sum(),
        competitor_calls_last_month: state.competitor_calls_last_month,
        months_since_lapse: state
            .lapsed_on
            .filter(|end| *end < month_start)
            .map(|end| months_between(end, month_start)),
        in_arrears: state.arrears_fen > 0,
        device_age_months: line.device_since.map(|since| months_between(since, month_start)),
        prepaid: PLANS[state.plan].payment_type == PaymentType::Prepaid,
        tenure_months: months_between(activated_on, month_start).max(0),
        tier: owner.customer.tier,
        family_plan: line.in_family,
        group_member: owner.customer.group.is_some(),
        key_person: owner.customer.is_key_person,
        dormant: state.service != Service::Active,
        calendar_month: timeline.calendar_month(t),
        frailty: habits.frailty,
    }
}

fn push_event(rng: &mut SimRng, line: &mut Line, date: NaiveDate, kind: EventType, detail: Detail) {
    line.events.push(EventRecord { at: time_on(rng, date), kind, detail });
}

/// Voluntary suspensions, number keep and their reactivations, and the suspension of prepaid
/// lines that ran out of credit.
fn update_service(rng: &mut SimRng, serial: i32, alive: AliveDays, state: &mut State, line: &mut Line) {
    let day = day_of(serial, alive.draw_day_until(rng, 10));
    match state.service {
        Service::Active => {
            let prepaid_out_of_credit =
                PLANS[state.plan].payment_type == PaymentType::Prepaid && state.balance_fen < 0;
            if prepaid_out_of_credit {
                state.service = Service::ArrearsSuspended;
                push_event(rng, line, day, EventType::Suspension, Detail::Fixed(detail::SUSPENSION_ARREARS));
            } else if rng.chance(0.0025) {
                state.service = Service::Suspended;
                let text = *rng.pick(&detail::SUSPENSION_VOLUNTARY);
                push_event(rng, line, day, EventType::Suspension, Detail::Fixed(text));
            } else if rng.chance(0.0012 + 0.004 * state.disengagement) {
                state.service = Service::NumberKeep;
                push_event(
                    rng,
                    line,
                    day,
                    EventType::Suspension,
                    Detail::Fixed(detail::SUSPENSION_NUMBER_KEEP),
                );
            }
        }
        Service::Suspended | Service::NumberKeep => {
            let reactivation = if state.service == Service::Suspended { 0.6 } else { 0.08 };
            if rng.chance(reactivation) {
                state.service = Service::Active;
                push_event(
                    rng,
                    line,
                    day,
                    EventType::Reactivation,
                    Detail::Fixed(detail::REACTIVATION_ON_REQUEST),
                );
            }
        }
        // Postpaid lines leave arrears suspension by paying (see the bill settlement);
        // prepaid ones by topping up (see the top-up).
        Service::ArrearsSuspended => {}
    }
}

/// Now and then a line moves to the neighbouring plan of the same payment type: up when
/// content, down when drifting away.
fn maybe_change_plan(rng: &mut SimRng, serial: i32, alive: AliveDays, state: &mut State, line: &mut Line) {
    if state.service != Service::Active || !rng.chance(0.008) {
        return;
    }
    let upgrade_share = if state.disengagement > 0.8 { 0.25 } else { 0.6 };
    let upgrade = rng.chance(upgrade_share);
    let payment_type = PLANS[state.plan].payment_type;
    let same_type = |index: &usize| PLANS[*index].payment_type == payment_type;
    let target = if upgrade {
        (state.plan + 1..PLANS.len()).find(same_type)
    } else {
        (0..state.plan).rev().find(same_type)
    };
    if let Some(target) = target {
        state.plan = target;
        let day = day_of(serial, alive.draw_day(rng));
        push_event(rng, line, day, EventType::PlanChange, Detail::PlanChange(target));
    }
}

fn monthly_usage(
    rng: &mut SimRng,
    calendar_month: u32,
    alive: AliveDays,
    habits: &Habits,
    state: &State,
) -> UsageMonth {
    let fraction = alive.fraction();
    let plan = &PLANS[state.plan];
    let mut usage = UsageMonth::default();
    match state.service {
        Service::Active => {}
        Service::NumberKeep => {
            usage.arpu_fen = NUMBER_KEEP_FEE_FEN;
            usage.complaints = rng.poisson(0.005);
            return usage;
        }
        Service::Suspended | Service::ArrearsSuspended => {
            usage.complaints = rng.poisson(0.01);
            return usage;
        }
    }
    let season = (calendar_month.clamp(1, 12) - 1) as usize;
    let engagement = (-USAGE_DECAY * state.disengagement).exp();
    let data_mb =
        habits.data_median_mb * SEASON_DATA[season] * engagement * rng.lognormal(1.0, 0.2) * fraction;
    let minutes =
        habits.voice_median_minutes * SEASON_VOICE[season] * engagement * rng.lognormal(1.0, 0.25) * fraction;
    usage.data_mb = data_mb.round() as u32;
    usage.mou = minutes.round() as u32;
    usage.sms = rng.poisson(habits.sms_mean * fraction);
    if rng.chance(habits.roaming_chance * fraction) {
        usage.roaming_min = (rng.lognormal(60.0, 0.8) * engagement).round() as u32;
    }
    usage.competitor_calls =
        rng.poisson(habits.competitor_call_base * (COMPETITOR_GROWTH * state.disengagement).exp() * fraction);
    usage.complaints = rng.poisson(
        (COMPLAINT_BASE_RATE + habits.grievance + COMPLAINT_PER_DISENGAGEMENT * state.disengagement)
            * fraction,
    );

    let allowance_mb = plan.data_mb as f64 * fraction;
    let extra_gb = ((data_mb - allowance_mb) / 1024.0).ceil().max(0.0) as i64;
    let data_overage = (extra_gb * DATA_OVERAGE_FEN_PER_GB).min(DATA_OVERAGE_CAP_FEN);
    let extra_minutes = (minutes - plan.voice_minutes as f64 * fraction).max(0.0) as i64;
    let fixed_fen = ((plan.monthly_fee_yuan * 100 + habits.value_added_fen) as f64 * fraction).round() as i64;
    usage.arpu_fen = fixed_fen + data_overage + extra_minutes * VOICE_OVERAGE_FEN_PER_MINUTE;
    usage
}

/// Complaints, and the tell-tale signs of a line drifting away: porting inquiries (携号转网
/// 咨询), calls to competitors' service lines and call forwarding to another number.
fn add_engagement_events(
    rng: &mut SimRng,
    serial: i32,
    alive: AliveDays,
    state: &State,
    usage: &UsageMonth,
    line: &mut Line,
) {
    for _ in 0..usage.complaints {
        let day = day_of(serial, alive.draw_day(rng));
        let text = *rng.pick(&detail::COMPLAINT);
        push_event(rng, line, day, EventType::Complaint, Detail::Fixed(text));
    }
    if state.service != Service::Active {
        return;
    }
    let d = state.disengagement;
    let signs: [(f64, EventType, &[&'static str]); 3] = [
        (0.002 + 0.03 * d, EventType::PortingInquiry, &detail::PORTING_INQUIRY),
        (0.004 + 0.04 * d, EventType::CompetitorServiceCall, &detail::COMPETITOR_SERVICE_CALL),
        (0.003 + 0.02 * d, EventType::CallForwardingSet, &detail::CALL_FORWARDING),
    ];
    for (probability, kind, texts) in signs {
        if rng.chance(probability) {
            let day = day_of(serial, alive.draw_day(rng));
            let text = *rng.pick(texts);
            push_event(rng, line, day, kind, Detail::Fixed(text));
        }
    }
}

/// The run-up to leaving: often a porting inquiry, usually a disconnection request, then the
/// disconnection itself on the last day (unless the request is still pending).
fn add_leaving_events(rng: &mut SimRng, serial: i32, alive: AliveDays, disconnected: bool, line: &mut Line) {
    let last = alive.last;
    if rng.chance(0.5) {
        let day = day_of(serial, alive.draw_day(rng));
        let text = *rng.pick(&detail::PORTING_INQUIRY);
        push_event(rng, line, day, EventType::PortingInquiry, Detail::Fixed(text));
    }
    if !disconnected || rng.chance(0.85) {
        let day = day_of(serial, last.saturating_sub(rng.below(4) as u32).max(alive.first));
        let text = *rng.pick(&detail::DISCONNECTION_REQUEST);
        push_event(rng, line, day, EventType::DisconnectionRequest, Detail::Fixed(text));
    }
    if disconnected {
        // In office hours, and after everything else the line did that day.
        let date = day_of(serial, last);
        let text = *rng.pick(&detail::DISCONNECTION);
        let office_hours =
            date.and_hms_opt(9 + rng.below(9) as u32, rng.below(60) as u32, rng.below(60) as u32);
        let latest_event = line.events.iter().map(|e| e.at + Duration::minutes(1)).max();
        let end_of_day = date.and_hms_opt(23, 59, 59);
        let at =
            office_hours.max(latest_event).min(end_of_day).unwrap_or_else(|| date.and_time(NaiveTime::MIN));
        line.events.push(EventRecord { at, kind: EventType::Disconnection, detail: Detail::Fixed(text) });
    }
}

/// Disengagement builds up during a drift and fades otherwise. Drifts start at random, more
/// often after complaints, a lapsed binding, on an old handset or on a prepaid card.
fn drift(rng: &mut SimRng, state: &mut State, drivers: &hazard::Drivers) {
    if state.drifting {
        state.disengagement += rng.uniform(DRIFT_STEP.0, DRIFT_STEP.1);
        if rng.chance(DRIFT_STOP) {
            state.drifting = false;
        }
    } else {
        state.disengagement = (state.disengagement - RECOVERY_STEP).max(0.0);
        let complaints = f64::from(state.recent_complaints.iter().sum::<u32>().min(3));
        let lapsed = drivers.months_since_lapse.is_some_and(|m| m < hazard::RECENT_LAPSE_MONTHS);
        let old_device = drivers.device_age_months.is_some_and(|age| age > hazard::OLD_DEVICE_MONTHS);
        let onset = DRIFT_ONSET_BASE
            + DRIFT_ONSET_PER_COMPLAINT * complaints
            + if lapsed { DRIFT_ONSET_AFTER_LAPSE } else { 0.0 }
            + if old_device { DRIFT_ONSET_OLD_DEVICE } else { 0.0 }
            + if drivers.prepaid { DRIFT_ONSET_PREPAID } else { 0.0 };
        state.drifting = rng.chance(onset);
    }
    state.disengagement = state.disengagement.min(MAX_DISENGAGEMENT);
}

/// The line's status at the extract date and its contracts' final states.
fn finish_line(timeline: &Timeline, state: &State, pre_disconnect: bool, line: &mut Line) {
    line.plan = state.plan;
    line.status = Some(if let Some(left) = line.disconnected_on {
        // A binding the line would have signed after leaving never happened; those still
        // running when it left were broken (违约).
        line.contracts.retain(|contract| contract.starts_on <= left);
        for contract in &mut line.contracts {
            if contract.status == ContractStatus::Active && contract.ends_on >= left {
                contract.status = ContractStatus::Broken;
            }
        }
        SubscriptionStatus::Disconnected
    } else if pre_disconnect {
        SubscriptionStatus::PreDisconnect
    } else {
        match state.service {
            Service::Active => SubscriptionStatus::Active,
            Service::Suspended => SubscriptionStatus::Suspended,
            Service::NumberKeep => SubscriptionStatus::NumberKeep,
            Service::ArrearsSuspended => SubscriptionStatus::ArrearsSuspended,
        }
    });
    // A binding still marked active that ended by the extract date simply ran out.
    let extract_date = timeline.extract_date();
    for contract in &mut line.contracts {
        if contract.status == ContractStatus::Active
            && contract.ends_on < extract_date
            && contract.kind != ContractKind::FamilyPlan
        {
            contract.status = ContractStatus::Ended;
        }
    }
    // The subscription shows the end of its latest binding, the family plan's otherwise.
    let latest_binding =
        line.contracts.iter().filter(|c| c.kind != ContractKind::FamilyPlan).map(|c| c.ends_on).max();
    let family_end =
        line.contracts.iter().filter(|c| c.kind == ContractKind::FamilyPlan).map(|c| c.ends_on).max();
    line.contract_end = latest_binding.or(family_end);
    line.events.sort_by_key(|event| event.at);
    line.payments.sort_by_key(|payment| payment.at);
}
