//! Customer lifetime value models for weiwan's retention work.
//!
//! - [`sbg`]: the shifted-beta-geometric model of contractual (postpaid, contract) renewal
//!   survival (Fader & Hardie 2007), with discounted expected lifetime and residual lifetime
//!   (DEL, DERL; Fader & Hardie 2010).
//! - [`bgnbd`]: the BG/NBD model of non-contractual repeat transactions such as prepaid
//!   recharges (Fader, Hardie & Lee 2005): P(alive) and expected future transactions.
//! - [`io`]: CSV readers for survival tables and customer summaries, and the transaction-log
//!   summary (x, t_x, T).
//! - [`special`]: ln B and the Gauss hypergeometric series 2F1.
//!
//! All functions are pure; nothing reads the clock. See `docs/clv.md`.

pub mod bgnbd;
pub mod error;
pub mod io;
mod optim;
pub mod sbg;
pub mod special;

pub use bgnbd::{BgNbdFit, BgNbdParams, CustomerPrediction, CustomerSummary, fit_bgnbd};
pub use error::{Error, Result};
pub use io::{
    Transaction, read_cdnow_transactions, read_customer_summary_csv, read_survival_csv,
    read_survival_csv_with, read_transactions_csv, summarize_transactions,
};
pub use sbg::{SbgComparison, SbgFit, SbgParams, SbgProjection, SurvivalTable, fit_sbg};
