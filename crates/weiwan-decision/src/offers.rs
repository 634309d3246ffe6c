//! The offer catalog (政策库): the retention offers that account managers and campaigns may
//! make, with their terms, who may take them, what one take-up costs the operator, when they
//! are valid, their budget and the offers they exclude.
//!
//! A catalog is written in TOML, one `[[offer]]` table per offer; the shipped one is
//! `offers/catalog.toml` ([`BUILTIN_CATALOG`], parsed by [`builtin_catalog()`]).
//! [`parse_catalog`] reads a catalog and refuses it, listing every problem (each naming the
//! offer and the field), when an offer's terms do not add up. An offer that arrives alone, as
//! JSON in a request say, is checked with [`check_offer`].
//!
//! ```toml
//! [[offer]]
//! id = "prepay_bonus_100"
//! name_zh = "存100元赠60元"
//! name_en = "Prepay 100, get 60"
//! terms = { kind = "prepay_bonus", prepay = "100", first_credit = "10", bonus_monthly = "10", months = 6 }
//! eligibility = ["arpu_3m=30..80"]
//! valid_from = 2026-01-01
//! valid_to = 2027-12-31
//! budget = "200000"
//! excludes = ["prepay_bonus_200", "prepay_bonus_500"]
//! expected_take_up = 0.22
//! ```
//!
//! Amounts are yuan. They are read from strings with at most two decimals (`"100"`, `"12.50"`)
//! or from integers (whole yuan); floats are refused, as they are not exact. They are written
//! as strings with two decimals (`"100.00"`). Dates are read from `YYYY-MM-DD` strings or TOML
//! dates and written as `YYYY-MM-DD` strings. The same serde form serves the TOML catalog, the
//! database and the HTTP API.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use weiwan_domain::Money;

/// The text of the built-in catalog, `offers/catalog.toml`.
pub const BUILTIN_CATALOG: &str = include_str!("../offers/catalog.toml");

/// The longest term, in months, of a bonus, a voucher commitment or a binding.
pub const MAX_TERM_MONTHS: u32 = 36;

/// The most months an annual prepay may charge or give.
pub const MAX_PREPAY_MONTHS: u32 = 24;

/// The most credit one point may buy, in fen: 1 fen, i.e. 0.01 yuan a point (1,000 points for
/// 10 yuan). Every redemption tier of the operator's points scheme is at this rate or below.
pub const MAX_FEN_PER_POINT: i64 = 1;

/// How long a gift is taken to keep the customer, in months.
pub const GIFT_RETENTION_MONTHS: u32 = 12;

/// How long a points redemption is taken to keep the customer, in months.
pub const POINTS_RETENTION_MONTHS: u32 = 1;

/// The longest id.
pub const MAX_ID_LEN: usize = 64;

/// The built-in catalog.
///
/// # Panics
///
/// When the shipped `offers/catalog.toml` is refused, which a test rules out.
pub fn builtin_catalog() -> Vec<Offer> {
    match parse_catalog(BUILTIN_CATALOG, &[]) {
        Ok(offers) => offers,
        Err(err) => panic!("the built-in offer catalog is broken: {err}"),
    }
}

/// One retention offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    /// 1 to 64 of `a-z`, `0-9`, `_` and `-`.
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub terms: Terms,
    /// Self-service conditions over the tagged customer 360 table, all of which must hold, e.g.
    /// `"plan_fee=96"`, `"value_tier=diamond,gold"`, `"arpu_3m=50..200"`. Their columns are
    /// checked elsewhere (weiwan-analytics); here only that each reads `column=…`. The
    /// conditions the terms imply ([`Offer::implied_eligibility`]) are not repeated here.
    #[serde(default)]
    pub eligibility: Vec<String>,
    /// The first day the offer may be taken.
    #[serde(with = "crate::serde_text::date")]
    pub valid_from: NaiveDate,
    /// The last day the offer may be taken (inclusive).
    #[serde(with = "crate::serde_text::date")]
    pub valid_to: NaiveDate,
    /// Total the operator may spend on take-ups of this offer; `None` for no limit.
    #[serde(default, with = "optional_yuan", skip_serializing_if = "Option::is_none")]
    pub budget: Option<Money>,
    /// Offers a customer holding this one may not also take. Symmetric: it is enough that one
    /// of two offers names the other ([`Offer::conflicts_with`] checks both ways).
    #[serde(default)]
    pub excludes: Vec<String>,
    /// Prior take-up rate among customers offered it, in (0, 1], for campaign previews.
    pub expected_take_up: f64,
}

/// What the customer does and gets, tagged by `kind` in TOML and JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Terms {
    /// 存费赠费: the customer prepays `prepay`; the operator credits `bonus_monthly` a month for
    /// `months` months. `first_credit` (0 to `bonus_monthly`) is the part of the first month's
    /// bonus credited at once, on the day of take-up; it is part of the bonus, not on top of it.
    /// The bonus in all, `bonus_monthly × months`, may not exceed the prepay.
    PrepayBonus {
        #[serde(with = "yuan")]
        prepay: Money,
        #[serde(with = "yuan")]
        first_credit: Money,
        #[serde(with = "yuan")]
        bonus_monthly: Money,
        months: u32,
    },
    /// 存费赠购机券: the customer prepays `prepay`, gets a device voucher worth `voucher` and
    /// commits to spend at least `min_monthly_spend` a month for `term_months` months. The
    /// voucher may not exceed what the customer pays in over the term.
    PrepayDeviceVoucher {
        #[serde(with = "yuan")]
        prepay: Money,
        #[serde(with = "yuan")]
        voucher: Money,
        #[serde(with = "yuan")]
        min_monthly_spend: Money,
        term_months: u32,
    },
    /// 预缴年费送时长: the customer pays `pay_months` of the plan's `monthly_fee` and gets
    /// `get_months` of service (pay 10, get 12): more months than paid, at most twice as many.
    AnnualPrepay {
        #[serde(with = "yuan")]
        monthly_fee: Money,
        pay_months: u32,
        get_months: u32,
    },
    /// 存费送礼品: the customer prepays `prepay` and receives a gift that costs the operator
    /// `gift_cost`, no more than the prepay.
    PrepayGift {
        #[serde(with = "yuan")]
        prepay: Money,
        gift_zh: String,
        gift_en: String,
        #[serde(with = "yuan")]
        gift_cost: Money,
    },
    /// 积分兑换: `points` points for `value` yuan of credit, one tier per offer, at most
    /// [`MAX_FEN_PER_POINT`] fen a point.
    PointsRedemption {
        points: u32,
        #[serde(with = "yuan")]
        value: Money,
    },
    /// The customer joins a family plan or takes a service pack and gets `monthly_discount` off
    /// for `months` months.
    Binding {
        binding: BindingKind,
        #[serde(with = "yuan")]
        monthly_discount: Money,
        months: u32,
    },
}

/// What a [`Terms::Binding`] offer binds the customer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BindingKind {
    FamilyPlan,
    ServicePack,
}

/// Why an offer or a catalog was refused: every problem found, each naming the offer (its id,
/// or `#n` for the n-th entry of a catalog when it has no id) and the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("refused: {}", .problems.join("; "))]
pub struct CatalogRefused {
    pub problems: Vec<String>,
}

impl CatalogRefused {
    fn one(problem: String) -> CatalogRefused {
        CatalogRefused { problems: vec![problem] }
    }
}

impl Terms {
    /// The `kind` code of the terms.
    pub const fn kind(&self) -> &'static str {
        match self {
            Terms::PrepayBonus { .. } => "prepay_bonus",
            Terms::PrepayDeviceVoucher { .. } => "prepay_device_voucher",
            Terms::AnnualPrepay { .. } => "annual_prepay",
            Terms::PrepayGift { .. } => "prepay_gift",
            Terms::PointsRedemption { .. } => "points_redemption",
            Terms::Binding { .. } => "binding",
        }
    }

    /// What one take-up costs the operator, in fen; exact, never overflowing.
    fn cost_fen(&self) -> i128 {
        match self {
            Terms::PrepayBonus { bonus_monthly, months, .. } => times(*bonus_monthly, *months),
            Terms::PrepayDeviceVoucher { voucher, .. } => fen(*voucher),
            Terms::AnnualPrepay { monthly_fee, pay_months, get_months } => {
                times(*monthly_fee, get_months.saturating_sub(*pay_months))
            }
            Terms::PrepayGift { gift_cost, .. } => fen(*gift_cost),
            Terms::PointsRedemption { value, .. } => fen(*value),
            Terms::Binding { monthly_discount, months, .. } => times(*monthly_discount, *months),
        }
    }

    /// See [`Offer::cost`].
    pub fn cost(&self) -> Money {
        let cost = self.cost_fen();
        Money::from_fen(i64::try_from(cost).unwrap_or(if cost < 0 { i64::MIN } else { i64::MAX }))
    }

    /// See [`Offer::retention_months`].
    pub fn retention_months(&self) -> u32 {
        match self {
            Terms::PrepayBonus { months, .. } | Terms::Binding { months, .. } => *months,
            Terms::PrepayDeviceVoucher { term_months, .. } => *term_months,
            Terms::AnnualPrepay { get_months, .. } => *get_months,
            Terms::PrepayGift { .. } => GIFT_RETENTION_MONTHS,
            Terms::PointsRedemption { .. } => POINTS_RETENTION_MONTHS,
        }
    }

    /// See [`Offer::implied_eligibility`].
    pub fn implied_eligibility(&self) -> Vec<String> {
        match self {
            Terms::PointsRedemption { points, .. } => vec![format!("points_balance={points}..")],
            _ => Vec::new(),
        }
    }

    /// See [`Offer::terms_zh`].
    pub fn terms_zh(&self) -> String {
        match self {
            Terms::PrepayBonus { prepay, first_credit, bonus_monthly, months } => {
                let mut text =
                    format!("存{}元，每月赠{}元，共{months}个月", yuan(*prepay), yuan(*bonus_monthly));
                if first_credit.fen() > 0 {
                    text.push_str(&format!("，首月{}元即时到账", yuan(*first_credit)));
                }
                text
            }
            Terms::PrepayDeviceVoucher { prepay, voucher, min_monthly_spend, term_months } => format!(
                "存{}元，送{}元购机券，每月最低消费{}元，共{term_months}个月",
                yuan(*prepay),
                yuan(*voucher),
                yuan(*min_monthly_spend)
            ),
            Terms::AnnualPrepay { monthly_fee, pay_months, get_months } => format!(
                "{}元套餐预缴{pay_months}个月月费共{}元，享{get_months}个月服务",
                yuan(*monthly_fee),
                yuan_fen(times(*monthly_fee, *pay_months))
            ),
            Terms::PrepayGift { prepay, gift_zh, .. } => format!("存{}元，送{gift_zh}", yuan(*prepay)),
            Terms::PointsRedemption { points, value } => format!("{points}积分兑换{}元话费", yuan(*value)),
            Terms::Binding { binding, monthly_discount, months } => {
                let what = match binding {
                    BindingKind::FamilyPlan => "加入家庭套餐",
                    BindingKind::ServicePack => "订购服务包",
                };
                format!("{what}，每月优惠{}元，共{months}个月", yuan(*monthly_discount))
            }
        }
    }

    /// See [`Offer::terms_en`].
    pub fn terms_en(&self) -> String {
        match self {
            Terms::PrepayBonus { prepay, first_credit, bonus_monthly, months } => {
                let mut text = format!(
                    "Prepay {} yuan, get {} yuan a month for {}",
                    yuan(*prepay),
                    yuan(*bonus_monthly),
                    months_en(*months)
                );
                if first_credit.fen() > 0 {
                    text.push_str(&format!(", {} yuan of it credited at once", yuan(*first_credit)));
                }
                text
            }
            Terms::PrepayDeviceVoucher { prepay, voucher, min_monthly_spend, term_months } => format!(
                "Prepay {} yuan, get a {}-yuan device voucher, and spend at least {} yuan a month for {}",
                yuan(*prepay),
                yuan(*voucher),
                yuan(*min_monthly_spend),
                months_en(*term_months)
            ),
            Terms::AnnualPrepay { monthly_fee, pay_months, get_months } => format!(
                "Pay {} of the {}-yuan plan ({} yuan), get {} of service",
                months_en(*pay_months),
                yuan(*monthly_fee),
                yuan_fen(times(*monthly_fee, *pay_months)),
                months_en(*get_months)
            ),
            Terms::PrepayGift { prepay, gift_en, .. } => {
                format!("Prepay {} yuan, get a gift: {gift_en}", yuan(*prepay))
            }
            Terms::PointsRedemption { points, value } => {
                format!("Redeem {} points for {} yuan of credit", grouped(*points), yuan(*value))
            }
            Terms::Binding { binding, monthly_discount, months } => {
                let what = match binding {
                    BindingKind::FamilyPlan => "Join a family plan",
                    BindingKind::ServicePack => "Take a service pack",
                };
                format!("{what}: {} yuan off a month for {}", yuan(*monthly_discount), months_en(*months))
            }
        }
    }

    /// Adds the problems of the terms to `out`.
    fn check(&self, out: &mut Problems) {
        match self {
            Terms::PrepayBonus { prepay, first_credit, bonus_monthly, months } => {
                out.positive("terms.prepay", *prepay);
                out.not_negative("terms.first_credit", *first_credit);
                out.positive("terms.bonus_monthly", *bonus_monthly);
                out.months("terms.months", *months, MAX_TERM_MONTHS);
                if first_credit > bonus_monthly {
                    out.add(
                        "terms.first_credit",
                        format!(
                            "{} yuan is more than the monthly bonus of {} yuan (it is the part of the \
                             first month's bonus credited at once)",
                            yuan(*first_credit),
                            yuan(*bonus_monthly)
                        ),
                    );
                }
                let bonus = times(*bonus_monthly, *months);
                if bonus > fen(*prepay) {
                    out.add(
                        "terms.bonus_monthly",
                        format!(
                            "the bonus in all, {} yuan × {months} months = {} yuan, is more than the \
                             prepay of {} yuan",
                            yuan(*bonus_monthly),
                            yuan_fen(bonus),
                            yuan(*prepay)
                        ),
                    );
                }
            }
            Terms::PrepayDeviceVoucher { prepay, voucher, min_monthly_spend, term_months } => {
                out.positive("terms.prepay", *prepay);
                out.positive("terms.voucher", *voucher);
                out.positive("terms.min_monthly_spend", *min_monthly_spend);
                out.months("terms.term_months", *term_months, MAX_TERM_MONTHS);
                let paid_in = fen(*prepay) + times(*min_monthly_spend, *term_months);
                if fen(*voucher) > paid_in {
                    out.add(
                        "terms.voucher",
                        format!(
                            "{} yuan is more than the prepay and the committed spend, \
                             {} + {} × {term_months} months = {} yuan",
                            yuan(*voucher),
                            yuan(*prepay),
                            yuan(*min_monthly_spend),
                            yuan_fen(paid_in)
                        ),
                    );
                }
            }
            Terms::AnnualPrepay { monthly_fee, pay_months, get_months } => {
                out.positive("terms.monthly_fee", *monthly_fee);
                out.months("terms.pay_months", *pay_months, MAX_PREPAY_MONTHS);
                out.months("terms.get_months", *get_months, MAX_PREPAY_MONTHS);
                if get_months <= pay_months {
                    out.add(
                        "terms.get_months",
                        format!(
                            "{get_months} months of service for {pay_months} paid gives nothing: \
                             get_months must be more than pay_months"
                        ),
                    );
                } else if u64::from(*get_months) > 2 * u64::from(*pay_months) {
                    out.add(
                        "terms.get_months",
                        format!(
                            "{get_months} months of service for {pay_months} paid gives more free months \
                             than paid ones: at most {}",
                            2 * u64::from(*pay_months)
                        ),
                    );
                }
            }
            Terms::PrepayGift { prepay, gift_zh, gift_en, gift_cost } => {
                out.positive("terms.prepay", *prepay);
                out.not_blank("terms.gift_zh", gift_zh);
                out.not_blank("terms.gift_en", gift_en);
                out.positive("terms.gift_cost", *gift_cost);
                if gift_cost > prepay {
                    out.add(
                        "terms.gift_cost",
                        format!(
                            "{} yuan is more than the prepay of {} yuan",
                            yuan(*gift_cost),
                            yuan(*prepay)
                        ),
                    );
                }
            }
            Terms::PointsRedemption { points, value } => {
                if *points == 0 {
                    out.add("terms.points", "must be at least 1");
                }
                out.positive("terms.value", *value);
                let most = i128::from(*points) * i128::from(MAX_FEN_PER_POINT);
                if *points > 0 && fen(*value) > most {
                    out.add(
                        "terms.value",
                        format!(
                            "{} yuan for {points} points is more than {} yuan a point: at most {} yuan",
                            yuan(*value),
                            yuan_fen(i128::from(MAX_FEN_PER_POINT)),
                            yuan_fen(most)
                        ),
                    );
                }
            }
            Terms::Binding { monthly_discount, months, .. } => {
                out.positive("terms.monthly_discount", *monthly_discount);
                out.months("terms.months", *months, MAX_TERM_MONTHS);
            }
        }
    }
}

impl Offer {
    /// What one take-up costs the operator: the bonus in all (monthly bonus × months), the
    /// voucher, the free months × the monthly fee, the gift's cost, the points' value, or the
    /// monthly discount × months.
    pub fn cost(&self) -> Money {
        self.terms.cost()
    }

    /// Months the offer keeps the customer, the horizon of saved revenue in campaign previews:
    /// the bonus months, the voucher's term, the months of service of an annual prepay, the
    /// binding's months; [`GIFT_RETENTION_MONTHS`] for a gift and [`POINTS_RETENTION_MONTHS`] for
    /// a points redemption.
    pub fn retention_months(&self) -> u32 {
        self.terms.retention_months()
    }

    /// Conditions the terms imply, which the caller adds to [`Offer::eligibility`]: a points
    /// redemption needs the points (`points_balance=1000..`).
    pub fn implied_eligibility(&self) -> Vec<String> {
        self.terms.implied_eligibility()
    }

    /// Every condition a customer must meet: [`Offer::eligibility`], then the implied ones.
    pub fn conditions(&self) -> Vec<String> {
        let mut conditions = self.eligibility.clone();
        conditions.extend(self.implied_eligibility());
        conditions
    }

    /// The terms in Chinese, for call scripts, e.g. `存100元，每月赠10元，共6个月，首月10元即时到账`.
    pub fn terms_zh(&self) -> String {
        self.terms.terms_zh()
    }

    /// The terms in English, for call scripts, e.g. `Prepay 100 yuan, get 10 yuan a month for
    /// 6 months, 10 yuan of it credited at once`.
    pub fn terms_en(&self) -> String {
        self.terms.terms_en()
    }

    /// Whether the offer may be taken on `date` (both ends inclusive).
    pub fn valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && date <= self.valid_to
    }

    /// Whether a customer holding one of the two offers may not take the other: either names
    /// the other in its `excludes`.
    pub fn conflicts_with(&self, other: &Offer) -> bool {
        self.excludes.contains(&other.id) || other.excludes.contains(&self.id)
    }

    /// Every problem of this offer alone, empty when it adds up: the id's form; blank names;
    /// eligibility conditions that do not read `column=…`; validity ending before it starts;
    /// the terms (amounts that must be positive, months from 1 to [`MAX_TERM_MONTHS`] or
    /// [`MAX_PREPAY_MONTHS`], and the checks of each kind, see [`Terms`]); an expected take-up
    /// outside (0, 1]; a budget that does not cover one take-up; and excluding itself or
    /// naming an offer twice in `excludes`. Whether excluded offers exist is checked by
    /// [`check_offer`] and [`parse_catalog`].
    pub fn problems(&self) -> Vec<String> {
        let mut out = Problems { offer: label(&self.id), list: Vec::new() };
        if !is_id(&self.id) {
            out.add("id", format!("an id is 1 to {MAX_ID_LEN} of a-z, 0-9, '_' and '-'"));
        }
        out.not_blank("name_zh", &self.name_zh);
        out.not_blank("name_en", &self.name_en);
        for condition in &self.eligibility {
            match condition.split_once('=') {
                _ if condition.trim().is_empty() => out.add("eligibility", "a condition is empty"),
                None => out.add(
                    "eligibility",
                    format!("{condition:?} is not a condition: write column=value, e.g. plan_fee=96"),
                ),
                Some((column, _)) if column.trim().is_empty() => {
                    out.add("eligibility", format!("{condition:?} names no column before '='"))
                }
                Some(_) => {}
            }
        }
        if self.valid_to < self.valid_from {
            out.add("valid_to", format!("{} is before valid_from, {}", self.valid_to, self.valid_from));
        }
        self.terms.check(&mut out);
        let take_up = self.expected_take_up;
        if !(take_up > 0.0 && take_up <= 1.0) {
            out.add("expected_take_up", format!("{take_up} is not within (0, 1]"));
        }
        if let Some(budget) = self.budget {
            let cost = self.terms.cost_fen();
            if budget.fen() <= 0 {
                out.add(
                    "budget",
                    format!("must be more than 0 yuan, not {} (leave it out for no limit)", yuan(budget)),
                );
            } else if fen(budget) < cost {
                out.add(
                    "budget",
                    format!(
                        "{} yuan does not cover one take-up, which costs {} yuan",
                        yuan(budget),
                        yuan_fen(cost)
                    ),
                );
            }
        }
        let mut named = BTreeSet::new();
        for excluded in &self.excludes {
            if *excluded == self.id {
                out.add("excludes", "an offer cannot exclude itself");
            } else if !named.insert(excluded.as_str()) {
                out.add("excludes", format!("{excluded:?} is named twice"));
            }
        }
        out.list
    }
}

/// Checks one offer given as a whole (from a JSON request body, say): its own problems
/// ([`Offer::problems`]) and that every offer it excludes is one of `known_ids`.
pub fn check_offer(offer: &Offer, known_ids: &[&str]) -> Result<(), CatalogRefused> {
    let mut problems = offer.problems();
    for excluded in &offer.excludes {
        if *excluded != offer.id && !known_ids.contains(&excluded.as_str()) {
            problems.push(problem(
                &label(&offer.id),
                "excludes",
                format!("{excluded:?} is not a known offer"),
            ));
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(CatalogRefused { problems }) }
}

// ---------------------------------------------------------------------------------------------
// Parsing

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    #[serde(default)]
    offer: Vec<toml::Table>,
}

/// Parses a catalog, `[[offer]]` tables in the form of [`Offer`] (see the module's example),
/// and checks every offer and the catalog as a whole. Refuses it with every problem found:
/// TOML that does not parse or has keys other than `offer`; no offers; per offer, fields of
/// the wrong type, unknown or missing (the first such problem of each offer), then every
/// problem of [`Offer::problems`]; ids used twice; and `excludes` naming an offer that is
/// neither in the catalog nor one of `known_ids` (offers already stored).
pub fn parse_catalog(source: &str, known_ids: &[&str]) -> Result<Vec<Offer>, CatalogRefused> {
    let raw: RawCatalog = toml::from_str(source).map_err(|err| {
        CatalogRefused::one(format!("the catalog is not well formed: {}", err.to_string().trim()))
    })?;
    if raw.offer.is_empty() {
        return Err(CatalogRefused::one("the catalog has no [[offer]] entries".to_owned()));
    }
    let raw_id = |table: &toml::Table| match table.get("id") {
        Some(toml::Value::String(id)) => Some(id.clone()),
        _ => None,
    };
    // Ids of every entry, even one that does not deserialize, so that offers excluding it
    // are not also blamed.
    let catalog_ids: BTreeSet<String> = raw.offer.iter().filter_map(raw_id).collect();
    let mut first_entry: BTreeMap<String, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut offers = Vec::with_capacity(raw.offer.len());
    for (index, table) in raw.offer.into_iter().enumerate() {
        let id = raw_id(&table);
        let entry_label = match &id {
            Some(id) => label(id),
            None => format!("#{}", index + 1),
        };
        if let Some(id) = id {
            match first_entry.entry(id) {
                Entry::Vacant(vacant) => {
                    vacant.insert(index);
                }
                Entry::Occupied(earlier) => problems.push(problem(
                    &entry_label,
                    "id",
                    format!("the id is used by an earlier offer (#{})", earlier.get() + 1),
                )),
            }
        }
        match toml::Value::Table(table).try_into::<Offer>() {
            Err(err) => problems.push(serde_problem(&entry_label, &err)),
            Ok(offer) => {
                problems.extend(offer.problems());
                for excluded in &offer.excludes {
                    let known = catalog_ids.contains(excluded) || known_ids.contains(&excluded.as_str());
                    if *excluded != offer.id && !known {
                        problems.push(problem(
                            &entry_label,
                            "excludes",
                            format!("{excluded:?} is neither in the catalog nor a known offer"),
                        ));
                    }
                }
                offers.push(offer);
            }
        }
    }
    if problems.is_empty() { Ok(offers) } else { Err(CatalogRefused { problems }) }
}

/// A serde error about one offer, with the field it names: the path toml reports (`terms`,
/// `terms.kind`), then the field of an unknown or missing field message.
fn serde_problem(offer: &str, err: &toml::de::Error) -> String {
    let message = err.message().trim();
    let shown = err.to_string();
    let quoted = |text: &str, prefix: &str| {
        let start = text.find(prefix)? + prefix.len();
        let end = text[start..].find('`')?;
        Some(text[start..start + end].to_owned())
    };
    let path = quoted(&shown, "in `");
    let named = quoted(message, "unknown field `").or_else(|| quoted(message, "missing field `"));
    let field = match (path, named) {
        (Some(path), Some(name)) => format!("{path}.{name}"),
        (Some(path), None) => path,
        (None, Some(name)) => name,
        (None, None) => "(offer)".to_owned(),
    };
    problem(offer, &field, message)
}

// ---------------------------------------------------------------------------------------------
// Problems and words

/// The problems of one offer.
struct Problems {
    offer: String,
    list: Vec<String>,
}

impl Problems {
    fn add(&mut self, field: &str, text: impl fmt::Display) {
        self.list.push(problem(&self.offer, field, text));
    }

    fn positive(&mut self, field: &str, amount: Money) {
        if amount.fen() <= 0 {
            self.add(field, format!("must be more than 0 yuan, not {}", yuan(amount)));
        }
    }

    fn not_negative(&mut self, field: &str, amount: Money) {
        if amount.fen() < 0 {
            self.add(field, format!("must not be negative, not {}", yuan(amount)));
        }
    }

    fn months(&mut self, field: &str, months: u32, most: u32) {
        if !(1..=most).contains(&months) {
            self.add(field, format!("{months} months is not within 1 to {most}"));
        }
    }

    fn not_blank(&mut self, field: &str, text: &str) {
        if text.trim().is_empty() {
            self.add(field, "must not be empty");
        }
    }
}

fn problem(offer: &str, field: &str, text: impl fmt::Display) -> String {
    format!("offer {offer}: {field}: {text}")
}

fn is_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// How messages name an offer: its id, quoted when it is not a well-formed one.
fn label(id: &str) -> String {
    if is_id(id) { id.to_owned() } else { format!("{id:?}") }
}

fn fen(amount: Money) -> i128 {
    i128::from(amount.fen())
}

fn times(amount: Money, months: u32) -> i128 {
    fen(amount) * i128::from(months)
}

/// Yuan as said in scripts and messages: `100` for whole yuan, `12.50` otherwise.
fn yuan(amount: Money) -> String {
    yuan_fen(fen(amount))
}

fn yuan_fen(fen: i128) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    if abs.is_multiple_of(100) {
        format!("{sign}{}", abs / 100)
    } else {
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

fn months_en(months: u32) -> String {
    if months == 1 { "1 month".to_owned() } else { format!("{months} months") }
}

/// `1,000`: thousands grouped, for English.
fn grouped(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Serde forms of amounts and dates

/// An amount: written as a string with two decimals, read from a string (at most two
/// decimals) or an integer (whole yuan).
pub(crate) mod yuan {
    use std::fmt;

    use serde::{Deserializer, Serializer, de};
    use weiwan_domain::Money;

    pub(crate) fn serialize<S: Serializer>(amount: &Money, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(amount)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        deserializer.deserialize_any(YuanVisitor)
    }

    struct YuanVisitor;

    impl de::Visitor<'_> for YuanVisitor {
        type Value = Money;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an amount in yuan, as a string such as \"12.50\" or a whole number")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Money, E> {
            Money::parse(text).map_err(E::custom)
        }

        fn visit_i64<E: de::Error>(self, yuan: i64) -> Result<Money, E> {
            yuan.checked_mul(100)
                .map(Money::from_fen)
                .ok_or_else(|| E::custom(format!("{yuan} yuan is too large an amount")))
        }

        fn visit_u64<E: de::Error>(self, yuan: u64) -> Result<Money, E> {
            match i64::try_from(yuan) {
                Ok(yuan) => self.visit_i64(yuan),
                Err(_) => Err(E::custom(format!("{yuan} yuan is too large an amount"))),
            }
        }

        fn visit_f64<E: de::Error>(self, value: f64) -> Result<Money, E> {
            Err(E::custom(format!(
                "{value} is a float, which is not exact: write the amount as a string, e.g. \"12.50\""
            )))
        }
    }
}

/// An optional amount (a budget): absent or null for none.
pub(crate) mod optional_yuan {
    use std::fmt;

    use serde::{Deserializer, Serializer, de};
    use weiwan_domain::Money;

    pub(crate) fn serialize<S: Serializer>(amount: &Option<Money>, serializer: S) -> Result<S::Ok, S::Error> {
        match amount {
            Some(amount) => serializer.serialize_some(&amount.to_string()),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Money>, D::Error> {
        deserializer.deserialize_option(OptionalVisitor)
    }

    struct OptionalVisitor;

    impl<'de> de::Visitor<'de> for OptionalVisitor {
        type Value = Option<Money>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an amount in yuan, or nothing")
        }

        fn visit_none<E: de::Error>(self) -> Result<Option<Money>, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Option<Money>, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<Money>, D::Error> {
            super::yuan::deserialize(deserializer).map(Some)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("a test date")
    }

    fn money(text: &str) -> Money {
        Money::parse(text).expect("a test amount")
    }

    fn builtin_offer(id: &str) -> Offer {
        builtin_catalog().into_iter().find(|offer| offer.id == id).expect(id)
    }

    /// A well-formed offer `o` with the given terms (an inline table) and extra lines.
    fn entry(terms: &str) -> String {
        format!(
            "[[offer]]\nid = \"o\"\nname_zh = \"优惠\"\nname_en = \"Offer\"\nterms = {terms}\n\
             valid_from = 2026-01-01\nvalid_to = 2026-12-31\nexpected_take_up = 0.1\n"
        )
    }

    const BONUS: &str =
        r#"{ kind = "prepay_bonus", prepay = "100", first_credit = "10", bonus_monthly = "10", months = 6 }"#;
    const VOUCHER: &str = concat!(
        r#"{ kind = "prepay_device_voucher", prepay = "300", voucher = "500", "#,
        r#"min_monthly_spend = "96", term_months = 24 }"#
    );
    const ANNUAL: &str =
        r#"{ kind = "annual_prepay", monthly_fee = "58", pay_months = 10, get_months = 12 }"#;
    const GIFT: &str = concat!(
        r#"{ kind = "prepay_gift", prepay = "200", gift_zh = "电饭煲", gift_en = "rice cooker", "#,
        r#"gift_cost = "60" }"#
    );
    const POINTS: &str = r#"{ kind = "points_redemption", points = 1000, value = "10" }"#;
    const BINDING: &str =
        r#"{ kind = "binding", binding = "family_plan", monthly_discount = "20", months = 12 }"#;

    fn refusal(text: &str) -> Vec<String> {
        parse_catalog(text, &[]).expect_err("the catalog should be refused").problems
    }

    #[test]
    fn the_builtin_catalog_parses_with_the_seed_offers() {
        let offers = builtin_catalog();
        let ids: Vec<&str> = offers.iter().map(|offer| offer.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "prepay_bonus_100",
                "prepay_bonus_200",
                "prepay_bonus_500",
                "prepay_device_voucher_300",
                "annual_prepay_58",
                "prepay_gift_rice_cooker",
                "points_1000",
                "points_1500",
                "points_2000",
                "points_3000",
                "points_5000",
                "family_plan_discount",
                "service_pack_discount",
            ]
        );
        let has_chinese = |text: &str| text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        for offer in &offers {
            assert!(offer.problems().is_empty(), "{}", offer.id);
            assert!(has_chinese(&offer.name_zh) && has_chinese(&offer.terms_zh()), "{}", offer.id);
            assert!(!has_chinese(&offer.name_en) && !has_chinese(&offer.terms_en()), "{}", offer.id);
            assert!((0.05..=0.3).contains(&offer.expected_take_up), "{}", offer.id);
            assert!(offer.valid_on(date("2026-01-01")) && offer.valid_on(date("2027-12-31")), "{}", offer.id);
            assert!(
                !offer.valid_on(date("2025-12-31")) && !offer.valid_on(date("2028-01-01")),
                "{}",
                offer.id
            );
            if let Some(budget) = offer.budget {
                assert!(budget >= offer.cost(), "{}", offer.id);
            }
        }
        assert!(offers.iter().filter(|offer| offer.budget.is_some()).count() >= 3);
        let groups = [
            &["prepay_bonus_100", "prepay_bonus_200", "prepay_bonus_500"][..],
            &["points_1000", "points_1500", "points_2000", "points_3000", "points_5000"][..],
        ];
        for group in groups {
            for a in group {
                for b in group {
                    assert_eq!(builtin_offer(a).conflicts_with(&builtin_offer(b)), a != b, "{a} / {b}");
                }
            }
        }
        assert!(!builtin_offer("prepay_bonus_100").conflicts_with(&builtin_offer("points_1000")));
        assert_eq!(builtin_offer("prepay_device_voucher_300").eligibility, ["plan_fee=96.."]);
        assert_eq!(builtin_offer("annual_prepay_58").eligibility, ["plan_fee=58"]);
        assert_eq!(builtin_offer("prepay_bonus_500").eligibility, ["arpu_3m=150.."]);
        assert_eq!(builtin_offer("family_plan_discount").eligibility, ["in_family_plan=false"]);
    }

    #[test]
    fn worked_examples_cost_retain_and_read_right() {
        // (id, cost, retention months, terms_zh, terms_en)
        let cases = [
            (
                "prepay_bonus_100",
                "60",
                6,
                "存100元，每月赠10元，共6个月，首月10元即时到账",
                "Prepay 100 yuan, get 10 yuan a month for 6 months, 10 yuan of it credited at once",
            ),
            (
                "prepay_bonus_200",
                "150",
                10,
                "存200元，每月赠15元，共10个月，首月15元即时到账",
                "Prepay 200 yuan, get 15 yuan a month for 10 months, 15 yuan of it credited at once",
            ),
            (
                "prepay_bonus_500",
                "400",
                20,
                "存500元，每月赠20元，共20个月，首月20元即时到账",
                "Prepay 500 yuan, get 20 yuan a month for 20 months, 20 yuan of it credited at once",
            ),
            (
                "prepay_device_voucher_300",
                "500",
                24,
                "存300元，送500元购机券，每月最低消费96元，共24个月",
                "Prepay 300 yuan, get a 500-yuan device voucher, and spend at least 96 yuan a month for 24 \
                 months",
            ),
            (
                "annual_prepay_58",
                "116",
                12,
                "58元套餐预缴10个月月费共580元，享12个月服务",
                "Pay 10 months of the 58-yuan plan (580 yuan), get 12 months of service",
            ),
            (
                "prepay_gift_rice_cooker",
                "60",
                12,
                "存200元，送电饭煲",
                "Prepay 200 yuan, get a gift: rice cooker",
            ),
            ("points_1000", "10", 1, "1000积分兑换10元话费", "Redeem 1,000 points for 10 yuan of credit"),
            ("points_5000", "50", 1, "5000积分兑换50元话费", "Redeem 5,000 points for 50 yuan of credit"),
            (
                "family_plan_discount",
                "240",
                12,
                "加入家庭套餐，每月优惠20元，共12个月",
                "Join a family plan: 20 yuan off a month for 12 months",
            ),
            (
                "service_pack_discount",
                "120",
                12,
                "订购服务包，每月优惠10元，共12个月",
                "Take a service pack: 10 yuan off a month for 12 months",
            ),
        ];
        for (id, cost, months, zh, en) in cases {
            let offer = builtin_offer(id);
            assert_eq!(offer.cost(), money(cost), "{id}");
            assert_eq!(offer.retention_months(), months, "{id}");
            assert_eq!(offer.terms_zh(), zh, "{id}");
            assert_eq!(offer.terms_en(), en, "{id}");
        }
        let points = builtin_offer("points_1500");
        assert_eq!(points.implied_eligibility(), ["points_balance=1500.."]);
        assert_eq!(points.conditions(), ["points_balance=1500.."]);
        let annual = builtin_offer("annual_prepay_58");
        assert!(annual.implied_eligibility().is_empty());
        assert_eq!(annual.conditions(), ["plan_fee=58"]);
        // Without a first credit, and with fen.
        let terms = Terms::PrepayBonus {
            prepay: money("99.90"),
            first_credit: Money::ZERO,
            bonus_monthly: money("12.50"),
            months: 1,
        };
        assert_eq!(terms.terms_zh(), "存99.90元，每月赠12.50元，共1个月");
        assert_eq!(terms.terms_en(), "Prepay 99.90 yuan, get 12.50 yuan a month for 1 month");
        assert_eq!(terms.cost(), money("12.50"));
    }

    #[test]
    fn each_check_refuses_a_broken_offer_naming_the_offer_and_the_field() {
        // (terms, text replaced, by, the one problem expected)
        let cases: &[(&str, &str, &str, &str)] = &[
            (BONUS, "id = \"o\"", "id = \"Offer 1\"", "offer \"Offer 1\": id: an id is 1 to 64 of"),
            (BONUS, "name_zh = \"优惠\"", "name_zh = \" \"", "offer o: name_zh: must not be empty"),
            (BONUS, "name_en = \"Offer\"", "name_en = \"\"", "offer o: name_en: must not be empty"),
            (
                BONUS,
                "valid_to = 2026-12-31",
                "valid_to = 2025-12-31",
                "offer o: valid_to: 2025-12-31 is before valid_from, 2026-01-01",
            ),
            (
                BONUS,
                "expected_take_up = 0.1",
                "expected_take_up = 1.5",
                "offer o: expected_take_up: 1.5 is not within (0, 1]",
            ),
            (
                BONUS,
                "expected_take_up = 0.1",
                "expected_take_up = 0.0",
                "offer o: expected_take_up: 0 is not within (0, 1]",
            ),
            (
                BONUS,
                "expected_take_up = 0.1",
                "expected_take_up = 0.1\neligibility = [\"plan_fee\"]",
                "offer o: eligibility: \"plan_fee\" is not a condition: write column=value",
            ),
            (
                BONUS,
                "expected_take_up = 0.1",
                "expected_take_up = 0.1\neligibility = [\"\"]",
                "offer o: eligibility: a condition is empty",
            ),
            (
                BONUS,
                "expected_take_up = 0.1",
                "expected_take_up = 0.1\neligibility = [\"=96\"]",
                "offer o: eligibility: \"=96\" names no column before '='",
            ),
            (
                BONUS,
                "expected_take_up = 0.1",
                "expected_take_up = 0.1\nbudget = \"50\"",
                "offer o: budget: 50 yuan does not cover one take-up, which costs 60 yuan",
            ),
            (
                BONUS,
                "expected_take_up = 0.1",
                "expected_take_up = 0.1\nbudget = \"0\"",
                "offer o: budget: must be more than 0 yuan, not 0",
            ),
            (
                BONUS,
                "expected_take_up = 0.1",
                "expected_take_up = 0.1\nexcludes = [\"o\"]",
                "offer o: excludes: an offer cannot exclude itself",
            ),
            (BONUS, "months = 6", "months = 0", "offer o: terms.months: 0 months is not within 1 to 36"),
            (
                BONUS,
                "first_credit = \"10\"",
                "first_credit = \"15\"",
                "offer o: terms.first_credit: 15 yuan is more than the monthly bonus of 10 yuan",
            ),
            (
                BONUS,
                "first_credit = \"10\"",
                "first_credit = \"-1\"",
                "offer o: terms.first_credit: must not be negative, not -1",
            ),
            (
                BONUS,
                "months = 6",
                "months = 12",
                "offer o: terms.bonus_monthly: the bonus in all, 10 yuan × 12 months = 120 yuan, is more \
                 than the prepay of 100 yuan",
            ),
            (
                VOUCHER,
                "voucher = \"500\"",
                "voucher = \"3000\"",
                "offer o: terms.voucher: 3000 yuan is more than the prepay and the committed spend, \
                 300 + 96 × 24 months = 2604 yuan",
            ),
            (
                VOUCHER,
                "prepay = \"300\"",
                "prepay = \"0\"",
                "offer o: terms.prepay: must be more than 0 yuan, not 0",
            ),
            (
                VOUCHER,
                "term_months = 24",
                "term_months = 48",
                "offer o: terms.term_months: 48 months is not within 1 to 36",
            ),
            (
                ANNUAL,
                "get_months = 12",
                "get_months = 10",
                "offer o: terms.get_months: 10 months of service for 10 paid gives nothing",
            ),
            (
                ANNUAL,
                "pay_months = 10, get_months = 12",
                "pay_months = 5, get_months = 11",
                "offer o: terms.get_months: 11 months of service for 5 paid gives more free months than paid \
                 ones: at most 10",
            ),
            (
                ANNUAL,
                "pay_months = 10, get_months = 12",
                "pay_months = 20, get_months = 30",
                "offer o: terms.get_months: 30 months is not within 1 to 24",
            ),
            (
                ANNUAL,
                "monthly_fee = \"58\"",
                "monthly_fee = \"0\"",
                "offer o: terms.monthly_fee: must be more than 0 yuan, not 0",
            ),
            (
                GIFT,
                "gift_cost = \"60\"",
                "gift_cost = \"260\"",
                "offer o: terms.gift_cost: 260 yuan is more than the prepay of 200 yuan",
            ),
            (
                GIFT,
                "gift_en = \"rice cooker\"",
                "gift_en = \"\"",
                "offer o: terms.gift_en: must not be empty",
            ),
            (
                POINTS,
                "value = \"10\"",
                "value = \"10.01\"",
                "offer o: terms.value: 10.01 yuan for 1000 points is more than 0.01 yuan a point: \
                 at most 10 yuan",
            ),
            (POINTS, "points = 1000", "points = 0", "offer o: terms.points: must be at least 1"),
            (
                POINTS,
                "value = \"10\"",
                "value = \"-10\"",
                "offer o: terms.value: must be more than 0 yuan, not -10",
            ),
            (
                BINDING,
                "monthly_discount = \"20\"",
                "monthly_discount = \"0\"",
                "offer o: terms.monthly_discount: must be more than 0 yuan, not 0",
            ),
            (BINDING, "months = 12", "months = 37", "offer o: terms.months: 37 months is not within 1 to 36"),
        ];
        for &(terms, from, to, expected) in cases {
            let good = entry(terms);
            assert!(parse_catalog(&good, &[]).is_ok(), "{good}");
            let broken = good.replace(from, to);
            assert_ne!(broken, good, "{from} is not in the entry");
            let problems = refusal(&broken);
            assert_eq!(problems.len(), 1, "{problems:#?}");
            assert!(problems[0].starts_with(expected), "{:?} should start with {expected:?}", problems[0]);
        }
    }

    #[test]
    fn terms_that_just_add_up_pass() {
        let cases = [
            (BONUS, "months = 6", "months = 10"), // the bonus equals the prepay
            (BONUS, "first_credit = \"10\"", "first_credit = \"0\""),
            (BONUS, "prepay = \"100\"", "prepay = \"100000\""),
            (BONUS, "first_credit = \"10\"", "first_credit = \"2.50\""),
            (VOUCHER, "voucher = \"500\"", "voucher = \"2604\""),
            (ANNUAL, "get_months = 12", "get_months = 20"), // twice the months paid
            (ANNUAL, "pay_months = 10, get_months = 12", "pay_months = 12, get_months = 24"),
            (GIFT, "gift_cost = \"60\"", "gift_cost = \"200\""),
            (POINTS, "value = \"10\"", "value = \"9.99\""),
            (POINTS, "points = 1000, value = \"10\"", "points = 1, value = \"0.01\""),
            (BINDING, "months = 12", "months = 36"),
            (BONUS, "expected_take_up = 0.1", "expected_take_up = 1.0\nbudget = \"60\""),
            (BONUS, "expected_take_up = 0.1", "expected_take_up = 0.1\nbudget = 200000"),
        ];
        for (terms, from, to) in cases {
            let text = entry(terms).replace(from, to);
            if let Err(err) = parse_catalog(&text, &[]) {
                panic!("{from} -> {to}: {err}");
            }
        }
    }

    #[test]
    fn several_problems_are_reported_together() {
        let first = entry(BONUS)
            .replace("months = 6", "months = 40")
            .replace("first_credit = \"10\"", "first_credit = \"11\"")
            .replace("name_en = \"Offer\"", "name_en = \"\"");
        let second =
            entry(POINTS).replace("id = \"o\"", "id = \"p\"").replace("value = \"10\"", "value = \"20\"");
        let problems = refusal(&format!("{first}\n{second}"));
        assert_eq!(
            problems,
            [
                "offer o: name_en: must not be empty",
                "offer o: terms.months: 40 months is not within 1 to 36",
                "offer o: terms.first_credit: 11 yuan is more than the monthly bonus of 10 yuan (it is the \
                 part of the first month's bonus credited at once)",
                "offer o: terms.bonus_monthly: the bonus in all, 10 yuan × 40 months = 400 yuan, is more \
                 than the prepay of 100 yuan",
                "offer p: terms.value: 20 yuan for 1000 points is more than 0.01 yuan a point: \
                 at most 10 yuan",
            ]
        );
        let err = parse_catalog(&format!("{first}\n{second}"), &[]).expect_err("refused");
        let shown = err.to_string();
        assert!(
            shown.starts_with("refused: offer o: name_en: must not be empty; offer o: terms.months"),
            "{shown}"
        );
        assert!(shown.ends_with("at most 10 yuan"), "{shown}");
    }

    #[test]
    fn duplicate_ids_and_unknown_excludes_are_refused() {
        let offer = entry(BONUS);
        assert_eq!(
            refusal(&format!("{offer}\n{offer}")),
            ["offer o: id: the id is used by an earlier offer (#1)"]
        );
        let excluding = |list: &str| {
            entry(BONUS)
                .replace("expected_take_up = 0.1", &format!("expected_take_up = 0.1\nexcludes = {list}"))
        };
        assert_eq!(
            refusal(&excluding("[\"p\", \"q\"]")),
            [
                "offer o: excludes: \"p\" is neither in the catalog nor a known offer",
                "offer o: excludes: \"q\" is neither in the catalog nor a known offer",
            ]
        );
        // Known offers (already stored) and offers of the catalog may be excluded.
        let other = entry(POINTS).replace("id = \"o\"", "id = \"q\"");
        let parsed =
            parse_catalog(&format!("{}\n{other}", excluding("[\"p\", \"q\"]")), &["p"]).expect("parses");
        assert!(parsed[0].conflicts_with(&parsed[1]) && parsed[1].conflicts_with(&parsed[0]));
        assert_eq!(
            refusal(&excluding("[\"o\", \"o\"]")),
            [
                "offer o: excludes: an offer cannot exclude itself",
                "offer o: excludes: an offer cannot exclude itself"
            ]
        );
        let with_known = parse_catalog(&excluding("[\"p\", \"p\"]"), &["p"]).expect_err("named twice");
        assert_eq!(with_known.problems, ["offer o: excludes: \"p\" is named twice"]);
        // An offer that does not deserialize still counts as in the catalog.
        let broken =
            entry(POINTS).replace("id = \"o\"", "id = \"q\"").replace("points = 1000", "points = -1");
        let problems = refusal(&format!("{}\n{broken}", excluding("[\"q\"]")));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("offer q: terms: invalid value: integer `-1`"), "{problems:?}");
    }

    #[test]
    fn serde_problems_name_the_offer_and_the_field() {
        let cases = [
            (
                "expected_take_up = 0.1",
                "expected_take_up = 0.1\ncolour = \"red\"",
                "offer o: colour: unknown field `colour`",
            ),
            ("months = 6 }", "months = 6, extra = 1 }", "offer o: terms.extra: unknown field `extra`"),
            (
                "kind = \"prepay_bonus\"",
                "kind = \"cashback\"",
                "offer o: terms.kind: unknown variant `cashback`",
            ),
            ("kind = \"prepay_bonus\", ", "", "offer o: terms.kind: missing field `kind`"),
            ("months = 6", "weeks = 6", "offer o: terms.weeks: unknown field `weeks`"),
            ("name_en = \"Offer\"\n", "", "offer o: name_en: missing field `name_en`"),
            ("prepay = \"100\"", "prepay = 100.5", "offer o: terms: 100.5 is a float, which is not exact"),
            (
                "prepay = \"100\"",
                "prepay = \"100.005\"",
                "offer o: terms: \"100.005\" is not an amount in yuan",
            ),
            (
                "valid_to = 2026-12-31",
                "valid_to = \"2026-13-01\"",
                "offer o: valid_to: \"2026-13-01\" is not a date",
            ),
            (
                "valid_to = 2026-12-31",
                "valid_to = 2026-12-31T10:00:00",
                "offer o: valid_to: \"2026-12-31T10:00:00\" is not a date",
            ),
            ("id = \"o\"\n", "", "offer #1: id: missing field `id`"),
            (
                "expected_take_up = 0.1",
                "expected_take_up = 0.1\nbudget = 1.5",
                "offer o: budget: 1.5 is a float",
            ),
        ];
        for (from, to, expected) in cases {
            let good = entry(BONUS);
            let broken = good.replace(from, to);
            assert_ne!(broken, good, "{from} is not in the entry");
            let problems = refusal(&broken);
            assert_eq!(problems.len(), 1, "{problems:#?}");
            assert!(problems[0].starts_with(expected), "{:?} should start with {expected:?}", problems[0]);
        }
        // Whole amounts may be integers; TOML dates and date strings both read.
        let integers = entry(BONUS)
            .replace("prepay = \"100\"", "prepay = 100")
            .replace("valid_from = 2026-01-01", "valid_from = \"2026-01-01\"");
        let parsed = parse_catalog(&integers, &[]).expect("parses");
        assert_eq!(parsed, parse_catalog(&entry(BONUS), &[]).expect("parses"));
        // The catalog as a whole.
        assert_eq!(refusal(""), ["the catalog has no [[offer]] entries"]);
        let syntax = refusal("[[offer]\n");
        assert!(syntax[0].starts_with("the catalog is not well formed: TOML parse error"), "{syntax:?}");
        let top = refusal(&format!("version = 1\n{}", entry(BONUS)));
        assert!(top[0].contains("unknown field `version`"), "{top:?}");
    }

    #[test]
    fn check_offer_checks_one_offer_against_the_known_ids() {
        let mut offer = builtin_offer("prepay_bonus_100");
        let known = ["prepay_bonus_100", "prepay_bonus_200", "prepay_bonus_500"];
        assert_eq!(check_offer(&offer, &known), Ok(()));
        let err = check_offer(&offer, &["prepay_bonus_200"]).expect_err("500 is unknown");
        assert_eq!(
            err.problems,
            ["offer prepay_bonus_100: excludes: \"prepay_bonus_500\" is not a known offer"]
        );
        offer.expected_take_up = f64::NAN;
        offer.budget = Some(money("59.99"));
        let err = check_offer(&offer, &known).expect_err("broken");
        assert_eq!(
            err.problems,
            [
                "offer prepay_bonus_100: expected_take_up: NaN is not within (0, 1]",
                "offer prepay_bonus_100: budget: 59.99 yuan does not cover one take-up, which costs 60 yuan",
            ]
        );
    }

    #[test]
    fn an_offer_round_trips_through_serde() {
        // serde_json is not a dependency of this pure crate; toml::Value goes through the same
        // Serialize and Deserialize impls and has the shape JSON will have.
        for offer in builtin_catalog() {
            let value = toml::Value::try_from(&offer).expect("serializes");
            let back: Offer = value.clone().try_into().expect("deserializes");
            assert_eq!(back, offer);
            if offer.budget.is_none() {
                assert!(value.get("budget").is_none(), "{}", offer.id);
            }
        }
        let offer = builtin_offer("prepay_bonus_100");
        let value = toml::Value::try_from(&offer).expect("serializes");
        let text = |key: &str| value.get(key).and_then(toml::Value::as_str).map(str::to_owned);
        assert_eq!(text("valid_from").as_deref(), Some("2026-01-01"));
        assert_eq!(text("budget").as_deref(), Some("200000.00"));
        let terms = value.get("terms").expect("terms");
        assert_eq!(terms.get("kind").and_then(toml::Value::as_str), Some("prepay_bonus"));
        assert_eq!(terms.get("prepay").and_then(toml::Value::as_str), Some("100.00"));
        assert_eq!(terms.get("months").and_then(toml::Value::as_integer), Some(6));
        let refused = CatalogRefused { problems: vec!["offer o: id: x".to_owned()] };
        let back: CatalogRefused =
            toml::Value::try_from(&refused).expect("serializes").try_into().expect("reads");
        assert_eq!(back, refused);
    }

    #[test]
    fn validity_is_inclusive() {
        let offer = parse_catalog(&entry(GIFT), &[]).expect("parses").remove(0);
        assert!(!offer.valid_on(date("2025-12-31")));
        assert!(offer.valid_on(date("2026-01-01")) && offer.valid_on(date("2026-12-31")));
        assert!(!offer.valid_on(date("2027-01-01")));
    }
}
