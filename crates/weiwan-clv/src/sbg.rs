//! Shifted-beta-geometric (sBG) model of contractual retention, and the discounted expected
//! lifetime (DEL) and discounted expected residual lifetime (DERL) that follow from it.
//!
//! Each customer has a constant per-period churn probability θ; θ varies across the cohort as
//! Beta(α, β). Fader & Hardie (2007), "How to Project Customer Retention", Journal of Interactive
//! Marketing 21(1):76–90; DEL/DERL from Fader & Hardie (2010), "Customer-Base Valuation in a
//! Contractual Setting: The Perils of Ignoring Heterogeneity", Marketing Science 29(1):85–93.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::optim;
use crate::special::{hyp2f1, ln_beta};

/// A cohort survival table: `alive[t]` customers of the cohort are still active in period `t`;
/// `alive[0]` is the cohort size. Counts never increase from one period to the next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SurvivalTable {
    alive: Vec<u64>,
}

impl SurvivalTable {
    /// Build a table from alive counts for periods 0, 1, 2, ….
    ///
    /// # Errors
    /// [`Error::InvalidInput`] if there are fewer than two periods, the cohort is empty, or a
    /// count is larger than the one before it.
    pub fn new(alive: Vec<u64>) -> Result<Self> {
        if alive.len() < 2 {
            return Err(Error::InvalidInput(format!(
                "a survival table needs period 0 and at least one later period, got {} period(s)",
                alive.len()
            )));
        }
        if alive[0] == 0 {
            return Err(Error::InvalidInput("cohort size (alive in period 0) is 0".to_owned()));
        }
        for t in 1..alive.len() {
            if alive[t] > alive[t - 1] {
                return Err(Error::InvalidInput(format!(
                    "alive count increases from {} in period {} to {} in period {t}",
                    alive[t - 1],
                    t - 1,
                    alive[t]
                )));
            }
        }
        Ok(Self { alive })
    }

    /// Alive counts by period, starting with the cohort size at period 0.
    pub fn alive(&self) -> &[u64] {
        &self.alive
    }

    /// The cohort size, `alive[0]`.
    pub fn cohort_size(&self) -> u64 {
        self.alive[0]
    }

    /// The last period in the table (number of periods after period 0).
    pub fn last_period(&self) -> usize {
        self.alive.len() - 1
    }

    /// Observed survival `alive[t] / alive[0]`, or `None` past the end of the table.
    pub fn observed_survival(&self, t: usize) -> Option<f64> {
        self.alive.get(t).map(|&a| a as f64 / self.alive[0] as f64)
    }

    /// Observed retention rate `alive[t] / alive[t−1]` for t ≥ 1, or `None` for t = 0, past the
    /// end, or after the cohort has died out.
    pub fn observed_retention(&self, t: usize) -> Option<f64> {
        if t == 0 || t >= self.alive.len() || self.alive[t - 1] == 0 {
            return None;
        }
        Some(self.alive[t] as f64 / self.alive[t - 1] as f64)
    }
}

/// Parameters of the sBG model: churn probability θ ~ Beta(α, β).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SbgParams {
    /// α > 0.
    pub alpha: f64,
    /// β > 0.
    pub beta: f64,
}

/// One period of an sBG projection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SbgProjection {
    /// Period t (0 = acquisition).
    pub period: u32,
    /// S(t): share of the cohort still alive in period t.
    pub survival: f64,
    /// P(T = t): share of the cohort lost exactly at period t (0 for t = 0).
    pub churn_probability: f64,
    /// r_t = S(t)/S(t−1) = (β + t − 1)/(α + β + t − 1); `None` for t = 0.
    pub retention_rate: Option<f64>,
}

/// Observed against fitted, one period of a survival table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SbgComparison {
    /// Period t.
    pub period: u32,
    /// Observed alive count.
    pub observed_alive: u64,
    /// Observed survival `alive[t] / alive[0]`.
    pub observed_survival: f64,
    /// Model survival S(t).
    pub fitted_survival: f64,
    /// Observed retention rate; `None` for t = 0 or after the cohort died out.
    pub observed_retention: Option<f64>,
    /// Model retention rate; `None` for t = 0.
    pub fitted_retention: Option<f64>,
    /// Whether this period was used in the fit (t ≤ fit_periods).
    pub in_calibration: bool,
}

/// A maximum-likelihood sBG fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SbgFit {
    /// Estimated parameters.
    pub params: SbgParams,
    /// Maximised log-likelihood.
    pub log_likelihood: f64,
    /// Periods 1..=fit_periods were used.
    pub fit_periods: usize,
    /// Cohort size (alive in period 0).
    pub cohort_size: u64,
    /// Nelder-Mead iterations.
    pub iterations: u64,
    /// Whether the optimizer met its convergence tolerance.
    pub converged: bool,
}

impl SbgParams {
    /// Validated constructor.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless both are finite and > 0.
    pub fn new(alpha: f64, beta: f64) -> Result<Self> {
        let p = Self { alpha, beta };
        p.validate()?;
        Ok(p)
    }

    fn validate(&self) -> Result<()> {
        positive("alpha", self.alpha)?;
        positive("beta", self.beta)
    }

    /// P(T = t), the probability that a customer's last period is t − 1, i.e. that they are lost
    /// at period t (t ≥ 1): B(α + 1, β + t − 1)/B(α, β). Returns 0 for t = 0.
    pub fn churn_probability(&self, t: u32) -> f64 {
        if t == 0 {
            return 0.0;
        }
        let t = f64::from(t);
        (ln_beta(self.alpha + 1.0, self.beta + t - 1.0) - ln_beta(self.alpha, self.beta)).exp()
    }

    /// S(t) = B(α, β + t)/B(α, β), the probability of still being a customer in period t.
    pub fn survival(&self, t: u32) -> f64 {
        if t == 0 {
            return 1.0;
        }
        (ln_beta(self.alpha, self.beta + f64::from(t)) - ln_beta(self.alpha, self.beta)).exp()
    }

    /// Retention rate r_t = S(t)/S(t−1) = (β + t − 1)/(α + β + t − 1) for t ≥ 1; `None` for t = 0.
    pub fn retention_rate(&self, t: u32) -> Option<f64> {
        if t == 0 {
            return None;
        }
        let t = f64::from(t);
        Some((self.beta + t - 1.0) / (self.alpha + self.beta + t - 1.0))
    }

    /// Survival, churn probability and retention rate for periods 0..=`periods`.
    pub fn project(&self, periods: u32) -> Vec<SbgProjection> {
        (0..=periods)
            .map(|t| SbgProjection {
                period: t,
                survival: self.survival(t),
                churn_probability: self.churn_probability(t),
                retention_rate: self.retention_rate(t),
            })
            .collect()
    }

    /// Observed against fitted for every period of `table`; periods 1..=`fit_periods` are marked
    /// as calibration periods.
    pub fn compare(&self, table: &SurvivalTable, fit_periods: usize) -> Vec<SbgComparison> {
        table
            .alive()
            .iter()
            .enumerate()
            .map(|(t, &alive)| {
                let period = u32::try_from(t).unwrap_or(u32::MAX);
                SbgComparison {
                    period,
                    observed_alive: alive,
                    observed_survival: alive as f64 / table.cohort_size() as f64,
                    fitted_survival: self.survival(period),
                    observed_retention: table.observed_retention(t),
                    fitted_retention: self.retention_rate(period),
                    in_calibration: t <= fit_periods,
                }
            })
            .collect()
    }

    /// Log-likelihood of periods 1..=`fit_periods` of `table`:
    /// `Σ_{t=1..k} (alive[t−1] − alive[t]) · ln P(T = t) + alive[k] · ln S(k)`, with P(T = t) and S(t)
    /// by the Fader & Hardie (2007) recursion.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for non-positive parameters, [`Error::InvalidInput`] if
    /// `fit_periods` is 0 or beyond the table.
    pub fn log_likelihood(&self, table: &SurvivalTable, fit_periods: usize) -> Result<f64> {
        self.validate()?;
        check_fit_periods(table, fit_periods)?;
        Ok(sbg_log_likelihood(self.alpha, self.beta, table.alive(), fit_periods))
    }

    /// Discounted expected lifetime of a customer at acquisition, per unit of the per-period
    /// margin, including the certain payment at t = 0:
    /// DEL(d) = 2F1(1, β; α + β; 1/(1 + d)).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for non-positive parameters or discount rate d ≤ 0 (the sum
    /// need not converge without discounting).
    pub fn del(&self, discount: f64) -> Result<f64> {
        self.validate()?;
        positive("discount", discount)?;
        hyp2f1(1.0, self.beta, self.alpha + self.beta, 1.0 / (1.0 + discount))
    }

    /// Discounted expected residual lifetime of a customer who has made n − 1 renewals, valued just
    /// before the n-th renewal decision (n ≥ 1), per unit of the per-period margin:
    /// DERL(d | n) = [B(α, β + n)/B(α, β + n − 1)] · 2F1(1, β + n; α + β + n; 1/(1 + d)).
    ///
    /// This is what keeping that customer is worth, so it bounds what a retention offer may cost.
    /// Identity: DEL(d) = 1 + DERL(d | 1)/(1 + d).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for non-positive parameters, discount ≤ 0, or n = 0.
    pub fn derl(&self, discount: f64, n: u32) -> Result<f64> {
        self.validate()?;
        positive("discount", discount)?;
        if n == 0 {
            return Err(Error::InvalidParameter {
                name: "n",
                value: 0.0,
                reason: "DERL needs n >= 1 (n − 1 renewals made so far)",
            });
        }
        let n = f64::from(n);
        let (a, b) = (self.alpha, self.beta);
        let ratio = (ln_beta(a, b + n) - ln_beta(a, b + n - 1.0)).exp();
        Ok(ratio * hyp2f1(1.0, b + n, a + b + n, 1.0 / (1.0 + discount))?)
    }
}

fn positive(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidParameter { name, value, reason: "must be finite and > 0" })
    }
}

fn check_fit_periods(table: &SurvivalTable, fit_periods: usize) -> Result<()> {
    if fit_periods == 0 || fit_periods > table.last_period() {
        return Err(Error::InvalidInput(format!(
            "fit_periods must be between 1 and the table's last period {}, got {fit_periods}",
            table.last_period()
        )));
    }
    Ok(())
}

/// The Fader & Hardie (2007) log-likelihood by their recursion. Assumes valid inputs.
fn sbg_log_likelihood(alpha: f64, beta: f64, alive: &[u64], k: usize) -> f64 {
    let mut p = alpha / (alpha + beta); // P(T = 1)
    let mut s = 1.0 - p; // S(1)
    let mut ll = 0.0;
    for t in 1..=k {
        if t > 1 {
            let tf = t as f64;
            p *= (beta + tf - 2.0) / (alpha + beta + tf - 1.0);
            s -= p;
        }
        let lost = (alive[t - 1] - alive[t]) as f64;
        if lost > 0.0 {
            ll += lost * p.ln();
        }
    }
    let survivors = alive[k] as f64;
    if survivors > 0.0 {
        ll += survivors * s.ln();
    }
    ll
}

/// Fit α and β by maximum likelihood on periods 1..=`fit_periods` of `table` (Nelder-Mead on
/// ln α, ln β, started at α = β = 1).
///
/// # Errors
/// [`Error::InvalidInput`] if `fit_periods` is 0 or beyond the table; [`Error::Fit`] if the
/// optimizer fails.
pub fn fit_sbg(table: &SurvivalTable, fit_periods: usize) -> Result<SbgFit> {
    check_fit_periods(table, fit_periods)?;
    let alive = table.alive();
    let min = optim::minimize(
        |x: &[f64]| -sbg_log_likelihood(x[0].exp(), x[1].exp(), alive, fit_periods),
        vec![0.0, 0.0],
    )?;
    let params = SbgParams { alpha: min.x[0].exp(), beta: min.x[1].exp() };
    Ok(SbgFit {
        params,
        log_likelihood: -min.value,
        fit_periods,
        cohort_size: table.cohort_size(),
        iterations: min.iterations,
        converged: min.converged,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn regular() -> SurvivalTable {
        SurvivalTable::new(vec![1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]).unwrap()
    }

    #[test]
    fn table_validation() {
        assert!(SurvivalTable::new(vec![]).is_err());
        assert!(SurvivalTable::new(vec![10]).is_err());
        assert!(SurvivalTable::new(vec![0, 0]).is_err());
        assert!(SurvivalTable::new(vec![10, 8, 9]).is_err());
        let t = SurvivalTable::new(vec![10, 8, 8, 0]).unwrap();
        assert_eq!(t.last_period(), 3);
        assert_eq!(t.observed_retention(1), Some(0.8));
        assert_eq!(t.observed_retention(0), None);
    }

    #[test]
    fn survival_closed_form_matches_recursion() {
        let p = SbgParams::new(0.7, 1.2).unwrap();
        let mut s = 1.0;
        for t in 1..=20 {
            s -= p.churn_probability(t);
            assert!((p.survival(t) - s).abs() < 1e-12, "t={t}");
            let r = p.retention_rate(t).unwrap();
            assert!((p.survival(t) / p.survival(t - 1) - r).abs() < 1e-12);
        }
        assert_eq!(p.survival(0), 1.0);
        assert_eq!(p.retention_rate(0), None);
        assert_eq!(p.project(3).len(), 4);
    }

    #[test]
    fn likelihood_at_published_regular_estimate() {
        let p = SbgParams::new(0.7041, 1.182).unwrap();
        let ll = p.log_likelihood(&regular(), 7).unwrap();
        assert!((ll - -1680.27).abs() < 0.01, "{ll}");
        assert!(p.log_likelihood(&regular(), 0).is_err());
        assert!(p.log_likelihood(&regular(), 13).is_err());
    }

    #[test]
    fn fit_recovers_regular() {
        let fit = fit_sbg(&regular(), 7).unwrap();
        assert!(fit.converged);
        assert!((fit.params.alpha - 0.704).abs() < 5e-4, "{fit:?}");
        assert!((fit.params.beta - 1.182).abs() < 5e-4, "{fit:?}");
    }

    #[test]
    fn del_identity_and_errors() {
        let p = SbgParams::new(0.668, 3.806).unwrap();
        let d = 0.1;
        let del = p.del(d).unwrap();
        let derl1 = p.derl(d, 1).unwrap();
        assert!((del - (1.0 + derl1 / (1.0 + d))).abs() < 1e-10);
        // Direct sum: DEL = Σ S(t)/(1+d)^t.
        let direct: f64 = (0..3000).map(|t| p.survival(t) / (1.0 + d).powi(t as i32)).sum();
        assert!((del - direct).abs() < 1e-9, "{del} vs {direct}");
        // DERL(n) = Σ_{t≥n} S(t)/S(n−1) / (1+d)^{t−n}.
        let n = 5;
        let direct: f64 =
            (n..3000).map(|t| p.survival(t) / p.survival(n - 1) / (1.0 + d).powi((t - n) as i32)).sum();
        assert!((p.derl(d, n).unwrap() - direct).abs() < 1e-9);
        assert!(p.derl(d, 0).is_err());
        assert!(p.del(0.0).is_err());
        assert!(SbgParams { alpha: -1.0, beta: 1.0 }.del(0.1).is_err());
    }
}
