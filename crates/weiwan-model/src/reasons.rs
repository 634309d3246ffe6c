//! Turning a customer's largest feature contributions into short phrases, in Chinese and
//! English, that an outbound caller can read out.
//!
//! A phrasebook maps a feature name to a template per language; `{value}` is replaced by the
//! customer's value, `{pct}` by the value as a percentage change (−0.4 → "40%"), `{abs}` by its
//! absolute value. Features without an entry get a generic "name is value". The built-in
//! phrasebook (phrases.toml) covers the operator's customer 360 columns.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::frame::format_number;

/// A phrase template for one feature, optionally split by the sign of the value.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Phrase {
    pub en: String,
    pub zh: String,
    /// Used instead when the value is negative (a fall rather than a rise).
    #[serde(default)]
    pub negative: Option<Box<Phrase>>,
}

/// Feature name → phrase.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Phrasebook {
    #[serde(default)]
    pub phrases: HashMap<String, Phrase>,
}

/// One reason for one customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    pub feature: String,
    /// Contribution to the log-odds of leaving.
    pub weight: f64,
    pub en: String,
    pub zh: String,
}

impl Phrasebook {
    /// The phrasebook for the operator's customer 360 table.
    pub fn builtin() -> Phrasebook {
        toml::from_str(include_str!("phrases.toml")).unwrap_or_default()
    }

    /// The phrase for `feature` holding `value` (`None` when missing).
    pub fn phrase(&self, feature: &str, value: Option<&str>, weight: f64) -> Reason {
        let Some(value) = value else {
            return Reason {
                feature: feature.to_string(),
                weight,
                en: format!("{feature} unknown"),
                zh: format!("{feature}缺失"),
            };
        };
        let number = value.parse::<f64>().ok();
        let phrase = self.phrases.get(feature).map(|phrase| match (&phrase.negative, number) {
            (Some(negative), Some(n)) if n < 0.0 => negative.as_ref(),
            _ => phrase,
        });
        let fill = |template: &str| {
            let mut text = template.replace("{value}", value);
            if let Some(n) = number {
                text = text.replace("{pct}", &format!("{}%", format_number((n * 100.0).abs())));
                text = text.replace("{abs}", &format_number(n.abs()));
            }
            text
        };
        match phrase {
            Some(phrase) => {
                Reason { feature: feature.to_string(), weight, en: fill(&phrase.en), zh: fill(&phrase.zh) }
            }
            None => Reason {
                feature: feature.to_string(),
                weight,
                en: format!("{feature} is {value}"),
                zh: format!("{feature}为{value}"),
            },
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_values_and_signs() {
        let book = Phrasebook::builtin();
        assert!(!book.phrases.is_empty(), "phrases.toml must parse");
        let fall = book.phrase("mou_trend_6m", Some("-0.4"), 1.0);
        assert_eq!(fall.en, "calls fell 40% in 3 months");
        assert_eq!(fall.zh, "近3个月通话量下降40%");
        let contract = book.phrase("contract_days_left", Some("20"), 1.0);
        assert_eq!(contract.en, "contract ends in 20 days");
        let generic = book.phrase("Contract", Some("Month-to-month"), 1.0);
        assert_eq!(
            (generic.en.as_str(), generic.zh.as_str()),
            ("Contract is Month-to-month", "Contract为Month-to-month")
        );
    }
}
