//! Turning simulated customers and lines into rows, in exact schema column order, through
//! one reused row buffer.

use std::collections::BTreeMap;

use weiwan_domain::schema::RowSink;
use weiwan_domain::{Money, TableId, Value};

use crate::calendar::Timeline;
use crate::catalog::{BRANCHES, PLANS, detail};
use crate::customer::Customer;
use crate::identity;
use crate::line::Line;
use crate::points::PointsEntry;
use crate::records::Detail;

/// Writes rows to a sink and counts them per table.
#[derive(Debug)]
pub(crate) struct Emitter<'a, S> {
    sink: &'a mut S,
    row: Vec<Value>,
    counts: [u64; TableId::ALL.len()],
}

impl<'a, S: RowSink> Emitter<'a, S> {
    pub(crate) fn new(sink: &'a mut S) -> Emitter<'a, S> {
        Emitter { sink, row: Vec::with_capacity(16), counts: [0; TableId::ALL.len()] }
    }

    /// Fills the row buffer with `fill` and writes it to `table`.
    pub(crate) fn row(&mut self, table: TableId, fill: impl FnOnce(&mut Vec<Value>)) -> Result<(), S::Error> {
        self.row.clear();
        fill(&mut self.row);
        debug_assert_eq!(self.row.len(), table.table().columns.len(), "row of {table}");
        self.counts[table as usize] += 1;
        self.sink.write_row(table, &self.row)
    }

    pub(crate) fn counts(&self) -> BTreeMap<TableId, u64> {
        TableId::ALL.into_iter().map(|table| (table, self.counts[table as usize])).collect()
    }
}

fn text(value: &str) -> Value {
    Value::Text(value.to_owned())
}

fn optional_text(value: Option<&str>) -> Value {
    value.map_or(Value::Null, text)
}

fn money(fen: i64) -> Value {
    Value::Money(Money::from_fen(fen))
}

pub(crate) fn emit_customer<S: RowSink>(
    emitter: &mut Emitter<'_, S>,
    customer: &Customer,
) -> Result<(), S::Error> {
    let mut group_id = String::new();
    if let Some(group) = customer.group {
        identity::customer_id(&mut group_id, group);
    }
    emitter.row(TableId::Customers, |row| {
        row.push(text(&customer.id));
        row.push(text(customer.kind.code()));
        row.push(text(&customer.name));
        row.push(optional_text(customer.id_number.as_deref()));
        row.push(customer.birthday.map_or(Value::Null, Value::Date));
        row.push(text(BRANCHES[customer.branch].id));
        row.push(customer.manager.map_or(Value::Null, |m| Value::Text(identity::manager_id(m))));
        row.push(text(customer.tier.code()));
        row.push(if customer.group.is_some() { Value::Text(group_id) } else { Value::Null });
        row.push(Value::Bool(customer.is_key_person));
        row.push(Value::Date(customer.joined_on));
    })
}

pub(crate) fn emit_subscription<S: RowSink>(
    emitter: &mut Emitter<'_, S>,
    customer: &Customer,
    family_group_id: &str,
    line: &Line,
) -> Result<(), S::Error> {
    emitter.row(TableId::Subscriptions, |row| {
        row.push(text(&line.id));
        row.push(text(&customer.id));
        row.push(text(&line.msisdn));
        row.push(text(PLANS[line.plan].id));
        row.push(line.status.map_or(Value::Null, |status| text(status.code())));
        row.push(line.activated_on.map_or(Value::Null, Value::Date));
        row.push(line.contract_end.map_or(Value::Null, Value::Date));
        row.push(optional_text(line.device_model));
        row.push(optional_text(line.device_id.as_deref()));
        row.push(line.device_since.map_or(Value::Null, Value::Date));
        row.push(if line.in_family { text(family_group_id) } else { Value::Null });
        row.push(line.disconnected_on.map_or(Value::Null, Value::Date));
    })
}

pub(crate) fn emit_contracts<S: RowSink>(emitter: &mut Emitter<'_, S>, line: &Line) -> Result<(), S::Error> {
    for (sequence, contract) in line.contracts.iter().enumerate() {
        emitter.row(TableId::Contracts, |row| {
            row.push(Value::Text(identity::child_id(&line.id, 'K', sequence + 1)));
            row.push(text(&line.id));
            row.push(text(contract.kind.code()));
            row.push(Value::Date(contract.starts_on));
            row.push(Value::Date(contract.ends_on));
            row.push(contract.monthly_commitment_fen.map_or(Value::Null, money));
            row.push(contract.subsidy_fen.map_or(Value::Null, money));
            row.push(text(contract.status.code()));
        })?;
    }
    Ok(())
}

pub(crate) fn emit_usage<S: RowSink>(
    emitter: &mut Emitter<'_, S>,
    timeline: &Timeline,
    line: &Line,
) -> Result<(), S::Error> {
    for usage in &line.usage {
        emitter.row(TableId::UsageMonthly, |row| {
            row.push(text(&line.id));
            row.push(Value::Date(crate::calendar::first_day(timeline.serial(usage.t))));
            row.push(money(usage.arpu_fen));
            row.push(Value::Int(i64::from(usage.mou)));
            row.push(Value::Int(i64::from(usage.data_mb)));
            row.push(Value::Int(i64::from(usage.sms)));
            row.push(Value::Int(i64::from(usage.competitor_calls)));
            row.push(money(usage.recharge_fen));
            row.push(money(usage.balance_fen));
            row.push(money(usage.arrears_fen));
            row.push(Value::Int(i64::from(usage.complaints)));
            row.push(Value::Int(i64::from(usage.roaming_min)));
        })?;
    }
    Ok(())
}

pub(crate) fn emit_payments<S: RowSink>(emitter: &mut Emitter<'_, S>, line: &Line) -> Result<(), S::Error> {
    for (sequence, payment) in line.payments.iter().enumerate() {
        emitter.row(TableId::Payments, |row| {
            row.push(Value::Text(identity::child_id(&line.id, 'P', sequence + 1)));
            row.push(text(&line.id));
            row.push(Value::Timestamp(payment.at));
            row.push(money(payment.amount_fen));
            row.push(text(payment.channel.code()));
        })?;
    }
    Ok(())
}

pub(crate) fn emit_events<S: RowSink>(emitter: &mut Emitter<'_, S>, line: &Line) -> Result<(), S::Error> {
    for (sequence, event) in line.events.iter().enumerate() {
        let detail = match event.detail {
            Detail::Fixed(phrase) => phrase.to_owned(),
            Detail::PlanChange(plan) => format!("{}{}", detail::PLAN_CHANGE_PREFIX, PLANS[plan].name),
        };
        emitter.row(TableId::Events, |row| {
            row.push(Value::Text(identity::child_id(&line.id, 'E', sequence + 1)));
            row.push(text(&line.id));
            row.push(Value::Timestamp(event.at));
            row.push(text(event.kind.code()));
            row.push(Value::Text(detail));
        })?;
    }
    Ok(())
}

pub(crate) fn emit_points<S: RowSink>(
    emitter: &mut Emitter<'_, S>,
    customer: &Customer,
    entries: &[PointsEntry],
) -> Result<(), S::Error> {
    for (sequence, entry) in entries.iter().enumerate() {
        emitter.row(TableId::PointsLedger, |row| {
            row.push(Value::Text(identity::child_id(&customer.id, 'J', sequence + 1)));
            row.push(text(&customer.id));
            row.push(Value::Date(entry.occurred_on));
            row.push(text(entry.kind.code()));
            row.push(Value::Int(entry.points));
            row.push(entry.expires_on.map_or(Value::Null, Value::Date));
        })?;
    }
    Ok(())
}
