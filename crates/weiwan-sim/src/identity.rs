//! Identifiers, MSISDNs, names and ID numbers of the synthetic operator.
//!
//! Identifiers are derived from indices (`C000000042`, `S000000107`) so they are unique by
//! construction. MSISDNs are a keyed bijection of the subscription index, so they look
//! random yet never repeat.

use std::fmt::Write;

use chrono::{Datelike, NaiveDate};

use crate::catalog::{
    COMPANY_TRADES, COMPANY_WORDS, CREDIT_CODE_CHARACTERS, GIVEN_NAME_CHARACTERS, MIGRANT_REGION_CODES,
    SURNAMES,
};
use crate::draw::{Draw, mix64};

pub(crate) fn customer_id(out: &mut String, customer_index: u64) {
    out.clear();
    let _ = write!(out, "C{customer_index:09}");
}

pub(crate) fn subscription_id(out: &mut String, subscription_index: u64) {
    out.clear();
    let _ = write!(out, "S{subscription_index:09}");
}

pub(crate) fn family_group_id(out: &mut String, customer_index: u64) {
    out.clear();
    let _ = write!(out, "F{customer_index:09}");
}

pub(crate) fn manager_id(manager_index: u64) -> String {
    format!("M{manager_index:06}")
}

/// A derived identifier: the owner's id, a letter for the table and a sequence number
/// (`S000000107-E0003`).
pub(crate) fn child_id(owner: &str, letter: char, sequence: usize) -> String {
    format!("{owner}-{letter}{sequence:04}")
}

/// Subscriber number prefixes (号段), as many as `NUMBER_SPACE / SUFFIXES_PER_PREFIX`.
const MSISDN_PREFIXES: [&str; 16] = [
    "138", "139", "150", "151", "152", "158", "159", "182", "187", "188", "135", "136", "137", "147", "178",
    "198",
];

/// Numbers the generator can hand out: 16 prefixes × 10^8 suffixes = 1.6 billion, laid out
/// as a `HALF × HALF` square for the Feistel network below.
const HALF: u64 = 40_000;
const NUMBER_SPACE: u64 = HALF * HALF;
const SUFFIXES_PER_PREFIX: u64 = 100_000_000;
const FEISTEL_ROUNDS: u64 = 4;

/// A keyed permutation of `0..1.6e9`: a four-round Feistel network over two halves in
/// `0..40_000`. Each round maps `(left, right)` to `(right, left + f(right) mod 40_000)`,
/// which is invertible whatever `f` is, so the whole network is a bijection.
fn scramble(seed: u64, value: u64) -> u64 {
    let (mut left, mut right) = (value / HALF, value % HALF);
    for round in 0..FEISTEL_ROUNDS {
        let round_key = mix64(seed ^ mix64(round + 1));
        let mixed = (left + mix64(right ^ round_key) % HALF) % HALF;
        left = right;
        right = mixed;
    }
    left * HALF + right
}

/// The MSISDN of subscription `index`: the scrambled index picks the prefix and the
/// eight-digit suffix. Distinct indices below 1.6 billion give distinct numbers.
pub(crate) fn msisdn(out: &mut String, seed: u64, subscription_index: u64) {
    let number = scramble(seed, subscription_index % NUMBER_SPACE);
    let prefix = MSISDN_PREFIXES[(number / SUFFIXES_PER_PREFIX) as usize];
    out.clear();
    let _ = write!(out, "{prefix}{:08}", number % SUFFIXES_PER_PREFIX);
}

/// The identity of a handset (a hashed IMEI, as operators deliver it): a keyed hash of the line
/// and the day the handset was first seen on it, so a new handset gets a new identity.
pub(crate) fn device_id(seed: u64, subscription_index: u64, since: Option<NaiveDate>) -> String {
    let day = since.map_or(0, |date| date.num_days_from_ce() as u64);
    format!("H{:016x}", crate::draw::hash_of(seed ^ 0xD3F1_CE1D, &[subscription_index, day]))
}

/// Work mobile of a manager: prefix 134, which no subscriber line uses, so it never clashes.
pub(crate) fn manager_phone(manager_index: u64) -> String {
    format!("134{:08}", manager_index % SUFFIXES_PER_PREFIX)
}

/// A Chinese personal name: a surname (common ones more often) and one or two characters.
pub(crate) fn person_name(rng: &mut impl Draw) -> String {
    // Squaring a uniform draw favours the front of the list, where the common surnames are.
    let surname_index = (rng.unit().powi(2) * SURNAMES.len() as f64) as usize;
    let mut name = String::with_capacity(9);
    name.push_str(SURNAMES[surname_index.min(SURNAMES.len() - 1)]);
    name.push_str(rng.pick::<&str>(&GIVEN_NAME_CHARACTERS));
    if rng.chance(0.7) {
        name.push_str(rng.pick::<&str>(&GIVEN_NAME_CHARACTERS));
    }
    name
}

/// A company name such as 杭州恒达科技有限公司.
pub(crate) fn company_name(rng: &mut impl Draw, city: &str) -> String {
    let suffix = if rng.chance(0.2) { "股份有限公司" } else { "有限公司" };
    format!("{city}{}{}{suffix}", rng.pick(&COMPANY_WORDS), rng.pick(&COMPANY_TRADES))
}

/// An 18-character resident ID number (居民身份证号码) shaped like a real one: region of
/// birth, birthday, sequence, and the ISO 7064 MOD 11-2 check character (a digit or `X`).
/// Synthetic: it identifies nobody.
pub(crate) fn resident_id_number(rng: &mut impl Draw, home_region: &str, birthday: NaiveDate) -> String {
    let region = if rng.chance(0.7) { home_region } else { rng.pick(&MIGRANT_REGION_CODES) };
    // Four digits whatever the year, so the check character sees only digits.
    let mut body = format!(
        "{region}{:04}{:02}{:02}{:03}",
        birthday.year().rem_euclid(10_000),
        birthday.month(),
        birthday.day(),
        rng.below(1000)
    );
    body.push(id_check_character(&body));
    body
}

fn id_check_character(first_17: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 =
        first_17.bytes().zip(WEIGHTS).map(|(digit, weight)| u32::from(digit - b'0') * weight).sum();
    CHECK[(sum % 11) as usize]
}

/// An 18-character unified social credit code for a company: `91` (enterprise), the region,
/// then ten code characters.
pub(crate) fn credit_code(rng: &mut impl Draw, region: &str) -> String {
    let mut code = String::with_capacity(18);
    code.push_str("91");
    code.push_str(region);
    for _ in 0..10 {
        code.push(char::from(*rng.pick(CREDIT_CODE_CHARACTERS)));
    }
    code
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::draw::customer_rng;

    #[test]
    fn the_number_scramble_is_a_bijection() {
        // Exhaustive over a slice of the domain would not prove it; inverting it does.
        let seed = 99;
        let unscramble = |value: u64| {
            let (mut left, mut right) = (value / HALF, value % HALF);
            for round in (0..FEISTEL_ROUNDS).rev() {
                let round_key = mix64(seed ^ mix64(round + 1));
                let previous_right = left;
                let previous_left = (right + HALF - mix64(previous_right ^ round_key) % HALF) % HALF;
                left = previous_left;
                right = previous_right;
            }
            left * HALF + right
        };
        for value in [0, 1, 12_345_678, 99_999_999, 1_599_999_999] {
            let scrambled = scramble(seed, value);
            assert!(scrambled < NUMBER_SPACE);
            assert_eq!(unscramble(scrambled), value);
        }
    }

    #[test]
    fn msisdns_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        let mut number = String::new();
        for index in 0..200_000 {
            msisdn(&mut number, 5, index);
            assert!(weiwan_domain::Msisdn::parse(&number).is_ok(), "{number}");
            assert!(seen.insert(number.clone()), "duplicate {number}");
        }
    }

    #[test]
    fn id_numbers_carry_a_valid_check_character() {
        // A published example: 11010519491231002X.
        assert_eq!(id_check_character("11010519491231002"), 'X');
        let mut rng = customer_rng(1, 1);
        let birthday = NaiveDate::from_ymd_opt(1990, 5, 17).expect("valid date");
        let id = resident_id_number(&mut rng, "330102", birthday);
        assert_eq!(id.len(), 18);
        assert!(id[6..14].eq("19900517"));
        assert_eq!(credit_code(&mut rng, "330102").len(), 18);
    }
}
