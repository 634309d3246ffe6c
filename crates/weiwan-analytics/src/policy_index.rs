//! The in-memory index the unified policy view 统一政策视图 reads: per customer, their lines
//! in the tagged 360 table of one date with what the next-best-offer ranking needs (tier,
//! ARPU, churn probability and reasons) and the offers each line is eligible for.
//!
//! A policy view must answer in milliseconds while outbound callers, store clerks, hotline
//! agents and the web hall ask thousands of times a second; one DataFusion query a request
//! would take tens of milliseconds. So the eligibility of every line for every offer is
//! computed once, by one query over the whole table, and kept here; a request is a hash
//! lookup. The index is rebuilt when the batch makes a new table or the catalog changes.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::Array;
use chrono::NaiveDate;

use crate::campaigns::{boolean, eligibility_sql, float, text};
use crate::error::{Error, Result};
use crate::lake::Lake;
use crate::segments::{Condition, SegmentError, segment_session, table_schema};

/// One line of a customer, as the index keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedLine {
    pub subscription_id: String,
    /// Yuan a month, average of the last 3 months (0 when unknown).
    pub arpu_3m: f64,
    /// From the churn model in force on the date, when one scored it.
    pub churn_probability: Option<f64>,
    /// The model's reasons for this line's score, `;`-separated (empty when unscored).
    pub reasons_zh: Arc<str>,
    pub reasons_en: Arc<str>,
    /// Indices into [`PolicyIndex::offer_ids`] of the offers whose conditions the line meets.
    pub eligible: Box<[u16]>,
}

/// A customer in the index: their VIP tier and lines.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedCustomer {
    pub vip_tier: String,
    pub lines: Vec<IndexedLine>,
}

/// Every customer of the tagged 360 table of [`PolicyIndex::as_of`].
#[derive(Debug, Clone)]
pub struct PolicyIndex {
    as_of: NaiveDate,
    offer_ids: Vec<String>,
    customers: HashMap<String, IndexedCustomer>,
    lines: usize,
}

impl PolicyIndex {
    /// Builds the index from the tagged 360 table of `as_of`; `offers` are the offers' ids with
    /// their eligibility conditions (at most 65,536 offers).
    pub async fn build(
        lake: &Lake,
        as_of: NaiveDate,
        offers: &[(String, Vec<Condition>)],
    ) -> Result<PolicyIndex, SegmentError> {
        if offers.len() > usize::from(u16::MAX) + 1 {
            return Err(Error::internal(format!("{} offers are too many to index", offers.len())).into());
        }
        let context = segment_session(lake, as_of).await?;
        let schema = table_schema(&context).await?;
        let conditions: Vec<Vec<Condition>> = offers.iter().map(|(_, c)| c.clone()).collect();
        let eligible = eligibility_sql(&schema, &conditions)?;
        let sql = format!(
            "SELECT subscription_id, customer_id, vip_tier, churn_reasons_zh, churn_reasons_en, \
             CAST(arpu_3m AS DOUBLE) AS arpu_3m, CAST(churn_probability AS DOUBLE) AS churn_probability, \
             {eligible} FROM customer_360"
        );
        let mut stream =
            context.sql(&sql).await.map_err(Error::from)?.execute_stream().await.map_err(Error::from)?;
        let mut index = PolicyIndex {
            as_of,
            offer_ids: offers.iter().map(|(id, _)| id.clone()).collect(),
            customers: HashMap::new(),
            lines: 0,
        };
        // Churn reasons repeat across millions of lines: keep one copy of each text.
        let mut interned: HashMap<String, Arc<str>> = HashMap::new();
        let mut intern = |text: &str| -> Arc<str> {
            if let Some(shared) = interned.get(text) {
                return shared.clone();
            }
            let shared: Arc<str> = Arc::from(text);
            interned.insert(text.to_owned(), shared.clone());
            shared
        };
        while let Some(batch) = futures::StreamExt::next(&mut stream).await {
            let batch = batch.map_err(Error::from)?;
            let texts: Vec<_> = (0..5).map(|i| text(batch.column(i))).collect::<Result<_>>()?;
            let arpu = float(batch.column(5))?;
            let churn = float(batch.column(6))?;
            let flags: Vec<_> =
                (0..offers.len()).map(|i| boolean(batch.column(7 + i))).collect::<Result<_>>()?;
            for row in 0..batch.num_rows() {
                let value = |i: usize| (!texts[i].is_null(row)).then(|| texts[i].value(row));
                let (Some(subscription_id), Some(customer_id)) = (value(0), value(1)) else {
                    return Err(Error::internal(
                        "the 360 table has a line without subscription or customer id",
                    )
                    .into());
                };
                let eligible: Box<[u16]> = flags
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.is_valid(row) && f.value(row))
                    .map(|(i, _)| i as u16)
                    .collect();
                let line = IndexedLine {
                    subscription_id: subscription_id.to_owned(),
                    arpu_3m: if arpu.is_null(row) { 0.0 } else { arpu.value(row) },
                    churn_probability: (!churn.is_null(row)).then(|| churn.value(row)),
                    reasons_zh: intern(value(3).unwrap_or_default()),
                    reasons_en: intern(value(4).unwrap_or_default()),
                    eligible,
                };
                let customer = index.customers.entry(customer_id.to_owned()).or_insert_with(|| {
                    IndexedCustomer { vip_tier: value(2).unwrap_or_default().to_owned(), lines: Vec::new() }
                });
                customer.lines.push(line);
                index.lines += 1;
            }
        }
        for customer in index.customers.values_mut() {
            customer.lines.sort_by(|a, b| a.subscription_id.cmp(&b.subscription_id));
        }
        tracing::info!(as_of = %as_of, customers = index.customers.len(), lines = index.lines,
            offers = index.offer_ids.len(), "policy index built");
        Ok(index)
    }

    /// The date of the tagged 360 table indexed.
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// The offers indexed, in the order [`IndexedLine::eligible`] refers to.
    pub fn offer_ids(&self) -> &[String] {
        &self.offer_ids
    }

    pub fn customer(&self, customer_id: &str) -> Option<&IndexedCustomer> {
        self.customers.get(customer_id)
    }

    pub fn customers(&self) -> usize {
        self.customers.len()
    }

    pub fn lines(&self) -> usize {
        self.lines
    }
}
