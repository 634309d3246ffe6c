//! Special functions: ln B(a, b) via ln Γ, and the Gauss hypergeometric function 2F1 by its
//! power series.

use crate::error::{Error, Result};

/// Largest number of terms [`hyp2f1`] sums before reporting [`Error::NoConvergence`].
pub const HYP2F1_MAX_TERMS: usize = 1_000_000;

/// Natural logarithm of the gamma function, ln |Γ(x)| (from `libm`).
pub fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// Natural logarithm of the beta function, ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b), for
/// a, b > 0.
pub fn ln_beta(a: f64, b: f64) -> f64 {
    ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b)
}

/// Gauss hypergeometric function 2F1(a, b; c; z) = Σₖ (a)ₖ(b)ₖ / ((c)ₖ k!) zᵏ by its power
/// series, for 0 ≤ z < 1 and c > 0 (the cases the CLV formulas need).
///
/// Summation stops once a geometric bound on the remaining tail is below 1e-17 of the running sum.
///
/// # Errors
/// [`Error::InvalidParameter`] if z is outside [0, 1) or c ≤ 0 or any argument is not finite;
/// [`Error::NoConvergence`] if [`HYP2F1_MAX_TERMS`] terms were not enough.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<f64> {
    for (name, v) in [("a", a), ("b", b), ("c", c), ("z", z)] {
        if !v.is_finite() {
            return Err(Error::InvalidParameter { name, value: v, reason: "must be finite" });
        }
    }
    if !(0.0..1.0).contains(&z) {
        return Err(Error::InvalidParameter { name: "z", value: z, reason: "2F1 series needs 0 <= z < 1" });
    }
    if c <= 0.0 {
        return Err(Error::InvalidParameter { name: "c", value: c, reason: "must be > 0" });
    }
    let mut term = 1.0_f64;
    let mut sum = 1.0_f64;
    for k in 0..HYP2F1_MAX_TERMS {
        let kf = k as f64;
        let ratio = (a + kf) * (b + kf) / ((c + kf) * (kf + 1.0)) * z;
        term *= ratio;
        sum += term;
        if term == 0.0 {
            return Ok(sum);
        }
        // For large k the term ratio tends monotonically to z (from above when a + b > c + 1,
        // from below otherwise), so once it is below 1 the tail is bounded by
        // |term| · q / (1 − q) with q = max(|ratio|, z). Stop when that bound is negligible.
        let q = ratio.abs().max(z);
        if q < 1.0 && k >= 2 && (term.abs() * q / (1.0 - q)) <= 1e-17 * sum.abs() {
            return Ok(sum);
        }
    }
    Err(Error::NoConvergence { a, b, c, z, terms: HYP2F1_MAX_TERMS })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ln_beta_matches_closed_forms() {
        // B(1, 1) = 1, B(2, 3) = 1/12, B(0.5, 0.5) = π.
        assert!(ln_beta(1.0, 1.0).abs() < 1e-14);
        assert!((ln_beta(2.0, 3.0) - (1.0_f64 / 12.0).ln()).abs() < 1e-13);
        assert!((ln_beta(0.5, 0.5) - std::f64::consts::PI.ln()).abs() < 1e-13);
    }

    #[test]
    fn hyp2f1_closed_forms() {
        // 2F1(1, 1; 2; z) = −ln(1 − z) / z
        for z in [0.1, 0.5, 0.9, 0.99] {
            let got = hyp2f1(1.0, 1.0, 2.0, z).unwrap();
            let want = -(1.0 - z).ln() / z;
            assert!((got - want).abs() < 1e-12 * want, "z={z}: {got} vs {want}");
        }
        // 2F1(a, b; b; z) = (1 − z)^(−a)
        let got = hyp2f1(2.5, 3.0, 3.0, 0.7).unwrap();
        assert!((got - 0.3_f64.powf(-2.5)).abs() < 1e-10 * got);
        // 2F1(1/2, 1; 3/2; −z²)... use z ≥ 0 form: 2F1(1/2, 1/2; 3/2; z²) = asin(z)/z
        let z = 0.8_f64;
        let got = hyp2f1(0.5, 0.5, 1.5, z * z).unwrap();
        assert!((got - z.asin() / z).abs() < 1e-12);
        assert_eq!(hyp2f1(3.0, 4.0, 5.0, 0.0).unwrap(), 1.0);
    }

    #[test]
    fn hyp2f1_rejects_bad_arguments() {
        assert!(matches!(hyp2f1(1.0, 1.0, 2.0, 1.0), Err(Error::InvalidParameter { name: "z", .. })));
        assert!(matches!(hyp2f1(1.0, 1.0, 2.0, -0.1), Err(Error::InvalidParameter { name: "z", .. })));
        assert!(matches!(hyp2f1(1.0, 1.0, 0.0, 0.5), Err(Error::InvalidParameter { name: "c", .. })));
        assert!(matches!(hyp2f1(f64::NAN, 1.0, 2.0, 0.5), Err(Error::InvalidParameter { name: "a", .. })));
    }
}
