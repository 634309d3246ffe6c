//! Clubs 俱乐部: the seeded draw for an event's limited places, and the checks of a club's and an
//! event's definition. Pure functions; docs/clubs.md explains the rules.
//!
//! The draw orders the applicants by the same keyed hash as the campaign holdout
//! (`experiment.rs`): random for practical purposes, reproducible from the seed forever, and
//! independent of the order the applicants are listed in. The first `capacity` of the order get
//! a place; the rest wait, in that order, for a place someone gives up.

use weiwan_domain::codes::VipTier;

use crate::experiment::draw_key;

/// Places at one event: at least one, at most this many.
pub const MAX_CAPACITY: i64 = 10_000;

/// The order of a draw among applicants `(id, customer_id)`: the ids, first drawn first.
/// Ordered by the keyed hash of `(seed, customer_id)`; the customer breaks (astronomically
/// rare) ties, so the input order never matters.
pub fn draw_order(seed: u64, applicants: &[(i64, String)]) -> Vec<i64> {
    let mut keyed: Vec<(u64, &str, i64)> =
        applicants.iter().map(|(id, customer)| (draw_key(seed, customer), customer.as_str(), *id)).collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, _, id)| id).collect()
}

/// Checks a club's definition; every problem, naming the field.
pub fn check_club(
    club_id: &str,
    name_zh: &str,
    name_en: &str,
    tiers: &[String],
) -> Result<Vec<VipTier>, Vec<String>> {
    let mut problems = Vec::new();
    let id_ok = !club_id.is_empty()
        && club_id.len() <= 32
        && club_id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !id_ok {
        problems.push(format!("club_id: {club_id:?} must be 1 to 32 of a-z, 0-9, _ and -"));
    }
    for (field, name) in [("name_zh", name_zh), ("name_en", name_en)] {
        let n = name.trim().chars().count();
        if n == 0 || n > 64 {
            problems.push(format!("{field}: 1 to 64 characters"));
        }
    }
    let mut eligible = Vec::new();
    for tier in tiers {
        match tier.parse::<VipTier>() {
            Ok(t) if eligible.contains(&t) => problems.push(format!("tiers: {t} is listed twice")),
            Ok(t) => eligible.push(t),
            Err(err) => problems.push(format!("tiers: {err}")),
        }
    }
    if tiers.is_empty() {
        problems.push("tiers: name at least one eligible VIP tier".to_owned());
    }
    if problems.is_empty() { Ok(eligible) } else { Err(problems) }
}

/// Checks an event's title and capacity; every problem, naming the field.
pub fn check_event(title: &str, capacity: i64) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    let n = title.trim().chars().count();
    if n == 0 || n > 100 {
        problems.push("title: 1 to 100 characters".to_owned());
    }
    if !(1..=MAX_CAPACITY).contains(&capacity) {
        problems.push(format!("capacity: {capacity} is not 1 to {MAX_CAPACITY}"));
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applicants(ids: &[(i64, &str)]) -> Vec<(i64, String)> {
        ids.iter().map(|(id, c)| (*id, (*c).to_owned())).collect()
    }

    #[test]
    fn a_draw_is_reproducible_from_its_seed_and_ignores_input_order() {
        let forward = applicants(&[(1, "C1"), (2, "C2"), (3, "C3"), (4, "C4"), (5, "C5")]);
        let mut backward = forward.clone();
        backward.reverse();
        let order = draw_order(42, &forward);
        assert_eq!(order, draw_order(42, &backward));
        assert_eq!(order, draw_order(42, &forward));
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, vec![1, 2, 3, 4, 5], "everyone is drawn once");
        // Another seed, another order (for these five, checked once: a permutation of 5 has a
        // 1 in 120 chance of repeating).
        assert_ne!(order, draw_order(43, &forward));
    }

    #[test]
    fn every_applicant_has_the_same_chance_of_a_place() {
        // 4 applicants, 2 places, 4,000 seeds: each should win about half the time.
        let pool = applicants(&[(1, "C1"), (2, "C2"), (3, "C3"), (4, "C4")]);
        let mut wins = [0u32; 4];
        for seed in 0..4000 {
            for id in draw_order(seed, &pool).into_iter().take(2) {
                wins[usize::try_from(id - 1).expect("id")] += 1;
            }
        }
        for w in wins {
            // Binomial(4000, 0.5): sd ≈ 31.6; 5 sd is ±158.
            assert!((1842..=2158).contains(&w), "{wins:?}");
        }
    }

    #[test]
    fn definitions_are_checked_field_by_field() {
        assert_eq!(
            check_club("golf", "高尔夫俱乐部", "Golf club", &["diamond".into(), "gold".into()]),
            Ok(vec![VipTier::Diamond, VipTier::Gold])
        );
        let problems =
            check_club("Golf Club", "", "Golf", &["platinum".into(), "gold".into(), "gold".into()])
                .expect_err("refused");
        assert_eq!(
            problems,
            vec![
                "club_id: \"Golf Club\" must be 1 to 32 of a-z, 0-9, _ and -".to_owned(),
                "name_zh: 1 to 64 characters".to_owned(),
                "tiers: \"platinum\" is not one of diamond, gold, silver, member, mass".to_owned(),
                "tiers: gold is listed twice".to_owned(),
            ]
        );
        assert_eq!(
            check_club("golf", "高尔夫", "Golf", &[]).expect_err("refused"),
            vec!["tiers: name at least one eligible VIP tier"]
        );
        assert_eq!(check_event("品酒会", 0).expect_err("refused"), vec!["capacity: 0 is not 1 to 10000"]);
        assert!(check_event("品酒会", 20).is_ok());
    }
}
