//! The history records a simulated line accumulates before they become rows: a month of
//! usage, a contract, a payment, an event. Amounts are in fen.

use chrono::{NaiveDate, NaiveDateTime};
use weiwan_domain::codes::{ContractKind, ContractStatus, EventType, PaymentChannel};

/// One `usage_monthly` row of a line; `t` is the window month index.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct UsageMonth {
    pub t: usize,
    pub arpu_fen: i64,
    pub mou: u32,
    pub data_mb: u32,
    pub sms: u32,
    pub competitor_calls: u32,
    pub recharge_fen: i64,
    pub balance_fen: i64,
    pub arrears_fen: i64,
    pub complaints: u32,
    pub roaming_min: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct ContractRecord {
    pub kind: ContractKind,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub monthly_commitment_fen: Option<i64>,
    pub subsidy_fen: Option<i64>,
    pub status: ContractStatus,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct PaymentRecord {
    pub at: NaiveDateTime,
    pub amount_fen: i64,
    pub channel: PaymentChannel,
}

/// An event's free text: a fixed phrase, or the plan a line moved to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Detail {
    Fixed(&'static str),
    PlanChange(usize),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct EventRecord {
    pub at: NaiveDateTime,
    pub kind: EventType,
    pub detail: Detail,
}
