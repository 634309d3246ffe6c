//! Next-best-offer 最优政策推荐: a customer's eligible offers ranked by expected net value, each
//! ranking explaining itself.
//!
//! For an offer `o` and a customer,
//!
//! ```text
//!   saved  = P(churn) × P(accept | o)            the chance the offer keeps a leaver
//!   value  = monthly value × months kept by o    what keeping them is worth
//!   ENV    = w_value × saved × value − w_cost × P(accept | o) × cost(o)
//! ```
//!
//! The cost is paid only when the offer is taken, hence `P(accept) × cost` rather than the
//! whole cost: an offer nobody takes costs nothing, and is worth nothing either. When a
//! campaign evaluation measured the offer's effect on staying (the retention uplift against a
//! holdout, per customer offered it), that uplift replaces `P(churn) × P(accept)`: it counts
//! only the customers the offer actually kept, not those who would have stayed anyway and took
//! it as a gift — so a customer who would stay anyway is not paid to stay. The weights are the
//! business's: `w_value` for how much a kept customer counts, `w_cost` for how dear money is.
//!
//! Offers with a non-positive expected net value are ranked too but flagged `worth_offering =
//! false`, so a caller can show "no offer pays for this customer" rather than a loss.

use serde::{Deserialize, Serialize};

use crate::campaign::yuan;
use crate::offers::Offer;

/// The business's weights on value kept and money spent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NboWeights {
    pub value: f64,
    pub cost: f64,
}

impl Default for NboWeights {
    fn default() -> NboWeights {
        NboWeights { value: 1.0, cost: 1.0 }
    }
}

/// What the ranking needs to know of the customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerFacts {
    /// From the churn model; `None` when no model scored the customer.
    pub churn_probability: Option<f64>,
    /// Yuan a month the customer brings (ARPU, or the lifetime-value model's monthly value).
    pub monthly_value: f64,
}

/// What is known of an offer's effect beyond its terms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OfferEvidence {
    /// P(accept | offer): the take-up rate observed for it, or its declared prior.
    pub take_up: f64,
    /// The retention uplift a holdout measured for customers offered it, if any.
    pub uplift: Option<f64>,
}

/// One term of the ranking, for the explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Term {
    pub name: String,
    pub value: f64,
}

/// An offer with its expected net value and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedOffer {
    pub offer_id: String,
    /// Yuan.
    pub expected_net_value: f64,
    pub worth_offering: bool,
    /// The terms that decided it, in the order of the formula.
    pub terms: Vec<Term>,
    pub reason_zh: String,
    pub reason_en: String,
}

/// Ranks `offers` (each with its evidence) for a customer, best first; ties by offer id. A
/// customer without a churn score is ranked on measured uplift only; offers without uplift
/// then count no saved value (their expected net value is minus their expected cost).
pub fn rank_offers(
    offers: &[(&Offer, OfferEvidence)],
    customer: &CustomerFacts,
    weights: NboWeights,
) -> Vec<RankedOffer> {
    let mut ranked: Vec<RankedOffer> = offers
        .iter()
        .map(|(offer, evidence)| {
            let take_up = evidence.take_up.clamp(0.0, 1.0);
            let saved = match (evidence.uplift, customer.churn_probability) {
                (Some(uplift), _) => uplift.max(0.0),
                (None, Some(p)) => p.clamp(0.0, 1.0) * take_up,
                (None, None) => 0.0,
            };
            let months = f64::from(offer.retention_months());
            let value = customer.monthly_value.max(0.0) * months;
            let cost = yuan(offer.cost());
            let env = weights.value * saved * value - weights.cost * take_up * cost;
            let source = if evidence.uplift.is_some() { "measured uplift" } else { "P(churn) × P(accept)" };
            let mut terms = vec![
                Term { name: "saved".to_owned(), value: saved },
                Term { name: "value_kept".to_owned(), value },
                Term { name: "expected_cost".to_owned(), value: take_up * cost },
            ];
            if let Some(p) = customer.churn_probability {
                terms.insert(0, Term { name: "p_churn".to_owned(), value: p });
            }
            terms.insert(usize::from(customer.churn_probability.is_some()), Term { name: "p_accept".to_owned(), value: take_up });
            RankedOffer {
                offer_id: offer.id.clone(),
                expected_net_value: env,
                worth_offering: env > 0.0,
                reason_en: format!(
                    "{}: keeps {:.1}% ({source}) of {:.0} yuan over {months} months, costs {:.2} yuan expected: net {:.2} yuan",
                    offer.name_en,
                    saved * 100.0,
                    value,
                    take_up * cost,
                    env
                ),
                reason_zh: format!(
                    "{}：预计挽留{:.1}%（{}），{}个月价值{:.0}元，预计成本{:.2}元，净值{:.2}元",
                    offer.name_zh,
                    saved * 100.0,
                    if evidence.uplift.is_some() { "实测增益" } else { "离网概率×接受概率" },
                    months,
                    value,
                    take_up * cost,
                    env
                ),
                terms,
            }
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.expected_net_value.total_cmp(&a.expected_net_value).then_with(|| a.offer_id.cmp(&b.offer_id))
    });
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offers::builtin_catalog;

    fn offer<'a>(catalog: &'a [Offer], id: &str) -> &'a Offer {
        catalog.iter().find(|o| o.id == id).expect("offer in the built-in catalog")
    }

    #[test]
    fn offers_are_ranked_by_expected_net_value_worked_by_hand() {
        let catalog = builtin_catalog();
        // prepay_bonus_100: bonus 10 × 6 = 60 yuan cost, keeps 6 months.
        // service_pack_discount: 10 × 12 = 120 yuan cost, keeps 12 months.
        let prepay = offer(&catalog, "prepay_bonus_100");
        let pack = offer(&catalog, "service_pack_discount");
        assert_eq!((yuan(prepay.cost()), prepay.retention_months()), (60.0, 6));
        assert_eq!((yuan(pack.cost()), pack.retention_months()), (120.0, 12));
        let customer = CustomerFacts { churn_probability: Some(0.5), monthly_value: 80.0 };
        let evidence = OfferEvidence { take_up: 0.2, uplift: None };
        let ranked = rank_offers(&[(prepay, evidence), (pack, evidence)], &customer, NboWeights::default());
        // prepay: 0.5 × 0.2 × 80 × 6 − 0.2 × 60 = 48 − 12 = 36.
        // pack:   0.5 × 0.2 × 80 × 12 − 0.2 × 120 = 96 − 24 = 72.
        assert_eq!(ranked[0].offer_id, "service_pack_discount");
        assert!((ranked[0].expected_net_value - 72.0).abs() < 1e-9);
        assert!((ranked[1].expected_net_value - 36.0).abs() < 1e-9);
        assert!(ranked.iter().all(|r| r.worth_offering));
        let names: Vec<&str> = ranked[0].terms.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["p_churn", "p_accept", "saved", "value_kept", "expected_cost"]);
        assert!(ranked[0].reason_en.contains("net 72.00 yuan"), "{}", ranked[0].reason_en);
        assert!(ranked[0].reason_zh.contains("净值72.00元"), "{}", ranked[0].reason_zh);
    }

    #[test]
    fn a_customer_who_would_stay_anyway_is_not_paid_to_stay() {
        let catalog = builtin_catalog();
        let pack = offer(&catalog, "service_pack_discount");
        let loyal = CustomerFacts { churn_probability: Some(0.01), monthly_value: 80.0 };
        let evidence = OfferEvidence { take_up: 0.3, uplift: None };
        let ranked = rank_offers(&[(pack, evidence)], &loyal, NboWeights::default());
        // 0.01 × 0.3 × 960 − 0.3 × 120 = 2.88 − 36 < 0.
        assert!(!ranked[0].worth_offering);
        assert!((ranked[0].expected_net_value - (2.88 - 36.0)).abs() < 1e-9);
    }

    #[test]
    fn measured_uplift_replaces_the_churn_times_take_up_guess() {
        let catalog = builtin_catalog();
        let prepay = offer(&catalog, "prepay_bonus_100");
        let pack = offer(&catalog, "service_pack_discount");
        let customer = CustomerFacts { churn_probability: Some(0.5), monthly_value: 80.0 };
        // The holdout showed the service pack keeps almost nobody who would not stay anyway.
        let ranked = rank_offers(
            &[
                (prepay, OfferEvidence { take_up: 0.2, uplift: Some(0.05) }),
                (pack, OfferEvidence { take_up: 0.2, uplift: Some(0.0) }),
            ],
            &customer,
            NboWeights::default(),
        );
        // prepay: 0.05 × 480 − 12 = 12; pack: 0 − 24 = −24.
        assert_eq!(ranked[0].offer_id, "prepay_bonus_100");
        assert!((ranked[0].expected_net_value - 12.0).abs() < 1e-9);
        assert!(!ranked[1].worth_offering);
        assert!(ranked[0].reason_en.contains("measured uplift"));
    }

    #[test]
    fn the_business_weights_shift_the_ranking() {
        let catalog = builtin_catalog();
        let prepay = offer(&catalog, "prepay_bonus_100");
        let pack = offer(&catalog, "service_pack_discount");
        let customer = CustomerFacts { churn_probability: Some(0.5), monthly_value: 80.0 };
        let evidence = OfferEvidence { take_up: 0.2, uplift: None };
        // Money dear: w_cost = 4. prepay 48 − 48 = 0; pack 96 − 96 = 0: a tie, broken by id.
        let ranked = rank_offers(
            &[(pack, evidence), (prepay, evidence)],
            &customer,
            NboWeights { value: 1.0, cost: 4.0 },
        );
        assert_eq!(ranked[0].offer_id, "prepay_bonus_100");
        assert!(ranked.iter().all(|r| r.expected_net_value.abs() < 1e-9 && !r.worth_offering));
    }

    #[test]
    fn without_a_churn_score_only_measured_uplift_counts() {
        let catalog = builtin_catalog();
        let pack = offer(&catalog, "service_pack_discount");
        let unscored = CustomerFacts { churn_probability: None, monthly_value: 80.0 };
        let ranked = rank_offers(
            &[(pack, OfferEvidence { take_up: 0.2, uplift: None })],
            &unscored,
            NboWeights::default(),
        );
        assert!((ranked[0].expected_net_value + 24.0).abs() < 1e-9);
        assert_eq!(ranked[0].terms[0].name, "p_accept");
    }
}
