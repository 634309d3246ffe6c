//! Money on a line: postpaid bills paid or left in arrears (欠费), prepaid top-ups (充值)
//! and balances, and the final settlement when a line leaves.

use chrono::Duration;
use weiwan_domain::codes::{EventType, PaymentChannel, PaymentType};

use super::{AliveDays, Habits, Line, Service, State, push_event};
use crate::calendar::{day_of, time_on};
use crate::catalog::{PLANS, detail};
use crate::draw::{Draw, SimRng};
use crate::records::{Detail, EventRecord, PaymentRecord, UsageMonth};

/// Last month's bill is paid in the first weeks of this month, or falls into arrears;
/// two months of arrears suspend the line (欠费停机).
pub(super) fn settle_postpaid_bill(
    rng: &mut SimRng,
    serial: i32,
    alive: AliveDays,
    habits: &Habits,
    state: &mut State,
    line: &mut Line,
) {
    let due = state.previous_bill_fen;
    let pay_day = day_of(serial, alive.draw_day_until(rng, 20));
    if state.arrears_fen > 0 {
        if rng.chance(0.45) {
            let at = time_on(rng, pay_day);
            line.payments.push(PaymentRecord {
                at,
                amount_fen: state.arrears_fen + due,
                channel: habits.channel,
            });
            state.arrears_fen = 0;
            state.arrears_months = 0;
            if state.service == Service::ArrearsSuspended {
                state.service = Service::Active;
                let detail = Detail::Fixed(detail::REACTIVATION_AFTER_PAYMENT);
                line.events.push(EventRecord {
                    at: at + Duration::minutes(5),
                    kind: EventType::Reactivation,
                    detail,
                });
            }
        } else {
            state.arrears_fen += due;
            state.arrears_months += 1;
        }
    } else if due > 0 {
        if rng.chance(habits.miss_payment_probability + 0.03 * state.disengagement) {
            state.arrears_fen = due;
            state.arrears_months = 1;
            // The overdue notice goes out after the payment deadline on the 20th.
            let earliest = 21.clamp(alive.first, alive.last);
            let day = day_of(serial, rng.between(i64::from(earliest), i64::from(alive.last)) as u32);
            push_event(rng, line, day, EventType::Arrears, Detail::Fixed(detail::ARREARS));
        } else {
            let at = time_on(rng, pay_day);
            line.payments.push(PaymentRecord { at, amount_fen: due, channel: habits.channel });
        }
    }
    if state.arrears_months >= 2 && state.service == Service::Active {
        state.service = Service::ArrearsSuspended;
        let day = day_of(serial, alive.draw_day(rng));
        push_event(rng, line, day, EventType::Suspension, Detail::Fixed(detail::SUSPENSION_ARREARS));
    }
}

/// Prepaid users top up (充值) when the balance runs low, in the usual card amounts, unless
/// they let the line run dry; a line in the red is suspended until topped up.
pub(super) fn top_up_prepaid(
    rng: &mut SimRng,
    serial: i32,
    alive: AliveDays,
    habits: &Habits,
    state: &mut State,
    line: &mut Line,
    usage: &mut UsageMonth,
) {
    const AMOUNTS_YUAN: [i64; 5] = [30, 50, 100, 200, 300];
    let fee_fen = PLANS[state.plan].monthly_fee_yuan * 100;
    let keeps_line_going = match state.service {
        Service::ArrearsSuspended => rng.chance(0.5),
        _ => !rng.chance(habits.miss_payment_probability + 0.03 * state.disengagement),
    };
    let mut recharge_fen = 0;
    if keeps_line_going {
        let mut top_ups = 0;
        while state.balance_fen + recharge_fen - usage.arpu_fen < fee_fen / 2 && top_ups < 5 {
            let smallest_useful = AMOUNTS_YUAN.iter().position(|a| a * 100 >= fee_fen).unwrap_or(0);
            let amount =
                AMOUNTS_YUAN[rng.between(smallest_useful as i64, AMOUNTS_YUAN.len() as i64 - 1) as usize];
            let day = day_of(serial, alive.draw_day(rng));
            let at = time_on(rng, day);
            let channel = if habits.channel == PaymentChannel::AutoDebit {
                PaymentChannel::App
            } else {
                habits.channel
            };
            line.payments.push(PaymentRecord { at, amount_fen: amount * 100, channel });
            recharge_fen += amount * 100;
            top_ups += 1;
        }
        if state.service == Service::ArrearsSuspended && state.balance_fen + recharge_fen >= 0 {
            state.service = Service::Active;
            let day = day_of(serial, alive.draw_day(rng));
            push_event(
                rng,
                line,
                day,
                EventType::Reactivation,
                Detail::Fixed(detail::REACTIVATION_AFTER_PAYMENT),
            );
        }
    }
    state.balance_fen += recharge_fen - usage.arpu_fen;
    state.arrears_fen = (-state.balance_fen).max(0);
    usage.recharge_fen = recharge_fen;
    usage.balance_fen = state.balance_fen;
    usage.arrears_fen = state.arrears_fen;
}

/// On leaving, the final bill is paid at the counter (unless the line owes money), and a
/// prepaid balance is sometimes refunded — the only negative payments.
pub(super) fn settle_on_leaving(
    rng: &mut SimRng,
    serial: i32,
    alive: AliveDays,
    state: &State,
    line: &mut Line,
) {
    let date = day_of(serial, alive.last);
    let postpaid = PLANS[state.plan].payment_type == PaymentType::Postpaid;
    if postpaid && state.arrears_fen == 0 && state.previous_bill_fen > 0 {
        let at = time_on(rng, date);
        line.payments.push(PaymentRecord {
            at,
            amount_fen: state.previous_bill_fen,
            channel: PaymentChannel::Store,
        });
    }
    if !postpaid && state.balance_fen > 1_000 && rng.chance(0.3) {
        let at = time_on(rng, date);
        line.payments.push(PaymentRecord {
            at,
            amount_fen: -state.balance_fen,
            channel: PaymentChannel::Store,
        });
    }
}
