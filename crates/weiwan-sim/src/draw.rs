//! Random numbers for the simulation: one ChaCha8 stream per customer, and the few
//! distributions the simulation needs (uniform, Bernoulli, normal, log-normal, Poisson,
//! weighted choice), written on top of raw `u64` draws.
//!
//! The distributions are implemented here rather than taken from `rand` so that the exact
//! sequence of values — and therefore the bytes of a generated extract — depends only on the
//! ChaCha8 stream, not on how a future `rand` release samples a range.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The generator used everywhere in the simulation.
pub(crate) type SimRng = ChaCha8Rng;

/// Stream reserved for the reference tables (branches, managers). Customer streams use the
/// customer index, which never gets near this value.
const REFERENCE_STREAM: u64 = u64::MAX;

/// SplitMix64's finaliser: a bijective, well-mixing function of one `u64`.
pub(crate) fn mix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash of the seed and a few numbers, for structural choices that must be computable
/// from anywhere without a generator (such as where a group customer sits).
pub(crate) fn hash_of(seed: u64, parts: &[u64]) -> u64 {
    parts.iter().fold(mix64(seed ^ 0x5EED_5EED_0BAD_F00D), |state, part| mix64(state ^ mix64(*part)))
}

/// The 256-bit ChaCha key derived from the user's seed.
fn key_of(seed: u64) -> [u8; 32] {
    let mut key = [0u8; 32];
    let mut state = seed;
    for chunk in key.chunks_exact_mut(8) {
        state = mix64(state);
        chunk.copy_from_slice(&state.to_le_bytes());
    }
    key
}

/// The generator of one customer: the seed's key, on the customer's own ChaCha stream.
/// Streams of one key are independent, so a customer's rows depend only on the seed and
/// the customer's index.
pub(crate) fn customer_rng(seed: u64, customer_index: u64) -> SimRng {
    let mut rng = SimRng::from_seed(key_of(seed));
    rng.set_stream(customer_index);
    rng
}

/// The generator of an internal switch (内部转网): whether the leaver on line
/// `subscription_index` comes back on a new line, and that line's whole life. A key of its own,
/// so the customers' streams, and every row they give, stay as they were.
pub(crate) fn switch_rng(seed: u64, subscription_index: u64) -> SimRng {
    let mut rng = SimRng::from_seed(key_of(seed ^ 0x5717_C4ED_5717_C4ED));
    rng.set_stream(subscription_index);
    rng
}

/// The generator of the reference tables.
pub(crate) fn reference_rng(seed: u64) -> SimRng {
    customer_rng(seed, REFERENCE_STREAM)
}

/// Distributions over any generator.
pub(crate) trait Draw {
    /// Uniform in `[0, 1)` with 53 bits of precision.
    fn unit(&mut self) -> f64;

    /// `true` with probability `p` (clamped to `[0, 1]`).
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in `0..n`; `0` when `n` is `0`.
    fn below(&mut self, n: u64) -> u64;

    /// Uniform in `low..=high`; `low` when the range is empty.
    fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        let span = (high - low) as u64 + 1;
        low + self.below(span) as i64
    }

    /// Uniform in `[low, high)`.
    fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// Standard normal, by the Box–Muller transform.
    fn normal(&mut self) -> f64 {
        let radius_draw = 1.0 - self.unit(); // in (0, 1], so the logarithm is finite
        let angle = std::f64::consts::TAU * self.unit();
        (-2.0 * radius_draw.ln()).sqrt() * angle.cos()
    }

    /// Log-normal with the given median and log-scale spread.
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// Poisson count with the given mean: exact (Knuth) for small means, a rounded normal
    /// approximation for large ones.
    fn poisson(&mut self, mean: f64) -> u32 {
        if mean.is_nan() || mean <= 0.0 {
            return 0;
        }
        if mean > 30.0 {
            let approx = mean + mean.sqrt() * self.normal();
            return approx.round().clamp(0.0, f64::from(u32::MAX)) as u32;
        }
        let limit = (-mean).exp();
        let mut product = self.unit();
        let mut count = 0u32;
        while product > limit {
            product *= self.unit();
            count += 1;
        }
        count
    }

    /// An index into `weights`, chosen with probability proportional to its weight.
    /// Returns the last index when every weight is zero.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let mut target = self.below(total);
        for (index, weight) in weights.iter().enumerate() {
            let weight = u64::from(*weight);
            if target < weight {
                return index;
            }
            target -= weight;
        }
        weights.len().saturating_sub(1)
    }

    /// One element of a non-empty slice, uniformly.
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

impl<R: Rng + ?Sized> Draw for R {
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn below(&mut self, n: u64) -> u64 {
        // Multiply-shift: the bias is at most n / 2^64, far below anything observable here.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let first: Vec<u64> = (0..4).map(|_| customer_rng(7, 3).next_u64()).collect();
        let mut rng = customer_rng(7, 3);
        let again = rng.next_u64();
        assert_eq!(first[0], again);
        assert_ne!(customer_rng(7, 4).next_u64(), again);
        assert_ne!(customer_rng(8, 3).next_u64(), again);
    }

    #[test]
    fn distributions_have_the_expected_means() {
        let mut rng = customer_rng(1, 0);
        let n = 20_000;
        let poisson_mean = (0..n).map(|_| f64::from(rng.poisson(3.5))).sum::<f64>() / f64::from(n);
        assert!((poisson_mean - 3.5).abs() < 0.1, "{poisson_mean}");
        let normal_mean = (0..n).map(|_| rng.normal()).sum::<f64>() / f64::from(n);
        assert!(normal_mean.abs() < 0.05, "{normal_mean}");
        let picks = (0..n).filter(|_| rng.weighted(&[1, 3]) == 1).count();
        assert!((14_500..15_500).contains(&picks), "{picks}");
        assert!((0..1000).all(|_| (3..=5).contains(&rng.between(3, 5))));
    }
}
