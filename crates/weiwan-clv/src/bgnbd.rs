//! BG/NBD model for non-contractual repeat buying (Fader, Hardie & Lee 2005, "Counting Your
//! Customers the Easy Way: An Alternative to the Pareto/NBD Model", Marketing Science
//! 24(2):275–284).
//!
//! While alive a customer transacts as a Poisson process with rate λ ~ Gamma(r, α); after each
//! transaction they become inactive with probability p ~ Beta(a, b). Each customer is summarised
//! by x (number of repeat transactions), t_x (time of the last one) and T (time observed since the
//! first transaction), all in the same period unit.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::optim;
use crate::special::{hyp2f1, ln_beta, ln_gamma};

/// One customer's repeat-transaction summary, in the lifetimes package's format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerSummary {
    /// Customer identifier.
    pub id: String,
    /// x: number of repeat transactions (transactions after the first, distinct periods only).
    pub frequency: u64,
    /// t_x: time from the first to the last transaction (0 if x = 0).
    pub recency: f64,
    /// T: time from the first transaction to the end of the calibration period.
    #[serde(rename = "T")]
    pub t: f64,
}

impl CustomerSummary {
    /// Check 0 ≤ recency ≤ T, recency = 0 when frequency = 0, and finiteness.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the customer.
    pub fn validate(&self) -> Result<()> {
        let bad = |why: &str| {
            Err(Error::InvalidInput(format!(
                "customer {}: {why} (frequency {}, recency {}, T {})",
                self.id, self.frequency, self.recency, self.t
            )))
        };
        if !self.recency.is_finite() || !self.t.is_finite() {
            return bad("recency and T must be finite");
        }
        if self.recency < 0.0 || self.t < 0.0 {
            return bad("recency and T must be >= 0");
        }
        if self.recency > self.t {
            return bad("recency is greater than T");
        }
        if self.frequency == 0 && self.recency != 0.0 {
            return bad("recency must be 0 when frequency is 0");
        }
        if self.frequency > 0 && self.t == 0.0 {
            return bad("T must be > 0 when frequency > 0");
        }
        Ok(())
    }
}

/// BG/NBD parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BgNbdParams {
    /// Shape of the Gamma distribution of transaction rates.
    pub r: f64,
    /// Scale (rate parameter) of the Gamma distribution of transaction rates.
    pub alpha: f64,
    /// First shape of the Beta distribution of dropout probabilities.
    pub a: f64,
    /// Second shape of the Beta distribution of dropout probabilities.
    pub b: f64,
}

/// A maximum-likelihood BG/NBD fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BgNbdFit {
    /// Estimated parameters.
    pub params: BgNbdParams,
    /// Maximised log-likelihood (sum over customers).
    pub log_likelihood: f64,
    /// Number of customers fitted.
    pub customers: usize,
    /// Nelder-Mead iterations.
    pub iterations: u64,
    /// Whether the optimizer met its convergence tolerance.
    pub converged: bool,
}

/// Per-customer predictions from a fitted model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerPrediction {
    /// Customer identifier.
    pub id: String,
    /// P(alive | x, t_x, T).
    pub p_alive: f64,
    /// Expected number of transactions in the next `horizon` periods.
    pub expected_transactions: f64,
    /// The horizon used, in periods.
    pub horizon: f64,
}

impl BgNbdParams {
    /// Validated constructor.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless all four are finite and > 0.
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<Self> {
        let p = Self { r, alpha, a, b };
        p.validate()?;
        Ok(p)
    }

    fn validate(&self) -> Result<()> {
        for (name, v) in [("r", self.r), ("alpha", self.alpha), ("a", self.a), ("b", self.b)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::InvalidParameter { name, value: v, reason: "must be finite and > 0" });
            }
        }
        Ok(())
    }

    /// Log-likelihood of one customer (FHL 2005, eq. 6):
    /// ln[ B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
    ///     + 1{x>0} · B(a+1, b+x−1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x)) ].
    pub fn customer_log_likelihood(&self, x: u64, t_x: f64, t: f64) -> f64 {
        let xf = x as f64;
        let a1 = ln_gamma(self.r + xf) - ln_gamma(self.r) + self.r * self.alpha.ln();
        ll_one(self, a1, xf, t_x, t)
    }

    /// Total log-likelihood of `customers`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for invalid parameters; [`Error::InvalidInput`] for an invalid
    /// customer summary.
    pub fn log_likelihood(&self, customers: &[CustomerSummary]) -> Result<f64> {
        self.validate()?;
        let data = Prepared::new(customers)?;
        Ok(data.log_likelihood(self))
    }

    /// P(alive | x, t_x, T) = 1 / (1 + 1{x>0} · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)).
    pub fn p_alive(&self, x: u64, t_x: f64, t: f64) -> f64 {
        if x == 0 {
            return 1.0;
        }
        let xf = x as f64;
        let log_odds = (self.a / (self.b + xf - 1.0)).ln()
            + (self.r + xf) * ((self.alpha + t) / (self.alpha + t_x)).ln();
        1.0 / (1.0 + log_odds.exp())
    }

    /// E[X(t)], the expected number of repeat transactions in (0, t] for a randomly chosen new
    /// customer (FHL 2005, eq. 9):
    /// (a+b−1)/(a−1) · [1 − (α/(α+t))^r · 2F1(r, b; a+b−1; t/(α+t))].
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for invalid parameters, a + b ≤ 1, a = 1, or t < 0;
    /// [`Error::NoConvergence`] from the series.
    pub fn expected_transactions(&self, t: f64) -> Result<f64> {
        self.validate()?;
        check_horizon(t)?;
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        check_a(a, a + b - 1.0)?;
        let f = hyp2f1(r, b, a + b - 1.0, t / (alpha + t))?;
        Ok((a + b - 1.0) / (a - 1.0) * (1.0 - (alpha / (alpha + t)).powf(r) * f))
    }

    /// E[Y(t) | x, t_x, T], the expected number of transactions in the next t periods for a
    /// customer with history (x, t_x, T) (FHL 2005, eq. 10):
    /// (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x−1; t/(α+T+t))]
    /// / (1 + 1{x>0} · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for invalid parameters, a = 1, a + b + x ≤ 1, or t < 0;
    /// [`Error::NoConvergence`] from the series.
    pub fn conditional_expected_transactions(&self, t: f64, x: u64, t_x: f64, big_t: f64) -> Result<f64> {
        self.validate()?;
        check_horizon(t)?;
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let xf = x as f64;
        check_a(a, a + b + xf - 1.0)?;
        let z = t / (alpha + big_t + t);
        let f = hyp2f1(r + xf, b + xf, a + b + xf - 1.0, z)?;
        let head = (a + b + xf - 1.0) / (a - 1.0);
        let bracket = 1.0 - ((alpha + big_t) / (alpha + big_t + t)).powf(r + xf) * f;
        Ok(head * bracket * self.p_alive(x, t_x, big_t))
    }

    /// P(alive) and expected transactions over `horizon` periods for each customer.
    ///
    /// # Errors
    /// As [`BgNbdParams::conditional_expected_transactions`], and [`Error::InvalidInput`] for an
    /// invalid summary.
    pub fn predict(&self, customers: &[CustomerSummary], horizon: f64) -> Result<Vec<CustomerPrediction>> {
        customers
            .iter()
            .map(|c| {
                c.validate()?;
                Ok(CustomerPrediction {
                    id: c.id.clone(),
                    p_alive: self.p_alive(c.frequency, c.recency, c.t),
                    expected_transactions: self.conditional_expected_transactions(
                        horizon,
                        c.frequency,
                        c.recency,
                        c.t,
                    )?,
                    horizon,
                })
            })
            .collect()
    }
}

fn check_horizon(t: f64) -> Result<()> {
    if t.is_finite() && t >= 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidParameter { name: "t", value: t, reason: "horizon must be finite and >= 0" })
    }
}

fn check_a(a: f64, c: f64) -> Result<()> {
    if (a - 1.0).abs() < 1e-12 {
        return Err(Error::InvalidParameter { name: "a", value: a, reason: "the closed form needs a != 1" });
    }
    if c <= 0.0 {
        return Err(Error::InvalidParameter {
            name: "a",
            value: a,
            reason: "the closed form needs a + b + x - 1 > 0",
        });
    }
    Ok(())
}

/// One customer's log-likelihood given a1 = ln Γ(r+x) − ln Γ(r) + r ln α.
fn ll_one(p: &BgNbdParams, a1: f64, x: f64, t_x: f64, t: f64) -> f64 {
    let a2 = ln_beta(p.a, p.b + x) - ln_beta(p.a, p.b);
    let a3 = -(p.r + x) * (p.alpha + t).ln();
    if x > 0.0 {
        let a4 = (p.a / (p.b + x - 1.0)).ln() - (p.r + x) * (p.alpha + t_x).ln();
        // ln(e^a3 + e^a4), computed stably.
        let m = a3.max(a4);
        a1 + a2 + m + ((a3 - m).exp() + (a4 - m).exp()).ln()
    } else {
        a1 + a2 + a3
    }
}

/// Customers grouped so that the ln Γ terms are evaluated once per distinct x.
struct Prepared {
    /// (x, [(t_x, T)]) for each distinct x.
    groups: Vec<(f64, Vec<(f64, f64)>)>,
    customers: usize,
}

impl Prepared {
    fn new(customers: &[CustomerSummary]) -> Result<Self> {
        let mut groups: BTreeMap<u64, Vec<(f64, f64)>> = BTreeMap::new();
        for c in customers {
            c.validate()?;
            groups.entry(c.frequency).or_default().push((c.recency, c.t));
        }
        Ok(Self {
            groups: groups.into_iter().map(|(x, v)| (x as f64, v)).collect(),
            customers: customers.len(),
        })
    }

    fn log_likelihood(&self, p: &BgNbdParams) -> f64 {
        let mut ll = 0.0;
        for (x, rows) in &self.groups {
            let a1 = ln_gamma(p.r + x) - ln_gamma(p.r) + p.r * p.alpha.ln();
            for &(t_x, t) in rows {
                ll += ll_one(p, a1, *x, t_x, t);
            }
        }
        ll
    }
}

/// Fit r, α, a, b by maximum likelihood (Nelder-Mead on their logarithms, started at 1, 1, 1, 1).
///
/// # Errors
/// [`Error::InvalidInput`] if there are no customers or a summary is invalid; [`Error::Fit`] if the
/// optimizer fails.
pub fn fit_bgnbd(customers: &[CustomerSummary]) -> Result<BgNbdFit> {
    if customers.is_empty() {
        return Err(Error::InvalidInput("no customers to fit".to_owned()));
    }
    let data = Prepared::new(customers)?;
    if data.groups.iter().all(|(x, _)| *x == 0.0) {
        return Err(Error::InvalidInput(
            "no customer has a repeat transaction; the model is not identified".to_owned(),
        ));
    }
    let min = optim::minimize(
        |v: &[f64]| {
            let p = BgNbdParams { r: v[0].exp(), alpha: v[1].exp(), a: v[2].exp(), b: v[3].exp() };
            -data.log_likelihood(&p)
        },
        vec![0.0; 4],
    )?;
    let v = &min.x;
    Ok(BgNbdFit {
        params: BgNbdParams { r: v[0].exp(), alpha: v[1].exp(), a: v[2].exp(), b: v[3].exp() },
        log_likelihood: -min.value,
        customers: data.customers,
        iterations: min.iterations,
        converged: min.converged,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn cdnow() -> BgNbdParams {
        BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap()
    }

    fn cust(x: u64, t_x: f64, t: f64) -> CustomerSummary {
        CustomerSummary { id: "c".to_owned(), frequency: x, recency: t_x, t }
    }

    #[test]
    fn p_alive_edge_cases() {
        let p = cdnow();
        assert_eq!(p.p_alive(0, 0.0, 30.0), 1.0);
        // Recent buyer is more likely alive than one who stopped long ago.
        assert!(p.p_alive(5, 38.0, 38.86) > p.p_alive(5, 5.0, 38.86));
        let v = p.p_alive(2, 30.43, 38.86);
        assert!(v > 0.0 && v < 1.0);
    }

    #[test]
    fn conditional_expectation_for_new_customer_matches_unconditional() {
        // A customer with x = 0 and T = 0 is a new customer: E[Y(t)|0,0,0] = E[X(t)].
        let p = cdnow();
        let a = p.conditional_expected_transactions(39.0, 0, 0.0, 0.0).unwrap();
        let b = p.expected_transactions(39.0).unwrap();
        assert!((a - b).abs() < 1e-10, "{a} vs {b}");
        assert_eq!(p.conditional_expected_transactions(0.0, 3, 10.0, 20.0).unwrap(), 0.0);
        assert!(p.conditional_expected_transactions(-1.0, 3, 10.0, 20.0).is_err());
    }

    #[test]
    fn likelihood_is_a_probability_for_x_zero() {
        // With x = 0 the likelihood is P(no purchase in (0, T]) and must be in (0, 1].
        let p = cdnow();
        let l = p.customer_log_likelihood(0, 0.0, 38.86).exp();
        assert!(l > 0.0 && l <= 1.0);
        assert!(p.log_likelihood(&[cust(0, 1.0, 38.0)]).is_err());
        assert!(p.log_likelihood(&[cust(2, 40.0, 38.0)]).is_err());
    }

    #[test]
    fn unconditional_expectation_matches_pmf_sum() {
        // E[X(t)] = Σ x · P(X(t) = x) with the BG/NBD pmf (FHL 2005, eq. 8), summed directly.
        let p = cdnow();
        let t = 39.0;
        let q = t / (p.alpha + t);
        let head = (p.alpha / (p.alpha + t)).powf(p.r);
        let lb = ln_beta(p.a, p.b);
        let mut mean = 0.0;
        let mut partial = 0.0; // Σ_{j<x} Γ(r+j)/(Γ(r) j!) q^j
        for x in 0..4000_u32 {
            let xf = f64::from(x);
            let nb = (ln_gamma(p.r + xf) - ln_gamma(p.r) - ln_gamma(xf + 1.0) + xf * q.ln()).exp();
            let mut prob = (ln_beta(p.a, p.b + xf) - lb).exp() * nb * head;
            if x > 0 {
                prob += (ln_beta(p.a + 1.0, p.b + xf - 1.0) - lb).exp() * (1.0 - head * partial);
            }
            partial += nb;
            mean += xf * prob;
        }
        let closed = p.expected_transactions(t).unwrap();
        assert!((mean - closed).abs() < 1e-8, "{mean} vs {closed}");
    }

    #[test]
    fn fit_rejects_degenerate_input() {
        assert!(fit_bgnbd(&[]).is_err());
        assert!(fit_bgnbd(&[cust(0, 0.0, 10.0), cust(0, 0.0, 12.0)]).is_err());
    }
}
