//! Thin wrapper around argmin's Nelder-Mead simplex used by the maximum-likelihood fits.
//!
//! The fits minimise a negative log-likelihood over log-parameters (so the model parameters stay
//! positive). Nelder-Mead can stall on a degenerate simplex, so the search is restarted from the
//! best point with a fresh simplex until a restart no longer improves the objective.

use argmin::core::{CostFunction, Executor, State, TerminationReason};
use argmin::solver::neldermead::NelderMead;

use crate::error::{Error, Result};

/// Outcome of [`minimize`].
#[derive(Debug, Clone)]
pub(crate) struct Minimum {
    /// Best point found.
    pub x: Vec<f64>,
    /// Objective at `x`.
    pub value: f64,
    /// Nelder-Mead iterations over all restarts.
    pub iterations: u64,
    /// Whether the last restart ended on the simplex tolerance and did not improve the objective.
    pub converged: bool,
}

/// Adapter from a closure to argmin's `CostFunction`. Non-finite values become +∞ so that the
/// simplex moves away from them.
struct Objective<'a, F>(&'a F);

impl<F: Fn(&[f64]) -> f64> CostFunction for Objective<'_, F> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, p: &Self::Param) -> std::result::Result<f64, argmin::core::Error> {
        let v = (self.0)(p);
        Ok(if v.is_finite() { v } else { f64::INFINITY })
    }
}

/// Simplex standard-deviation tolerance on the objective (a negative log-likelihood of order
/// 10³–10⁴, so this is near f64 resolution; parameter error scales with its square root).
const SD_TOLERANCE: f64 = 1e-11;
/// Iteration cap for one Nelder-Mead run.
const MAX_ITERS: u64 = 20_000;
/// Upper bound on restarts.
const MAX_RESTARTS: usize = 30;

/// Minimise `f` starting from `x0` with Nelder-Mead, restarting from the best point until a
/// restart improves the objective by less than 1e-9 and moves no coordinate by more than 1e-6.
pub(crate) fn minimize<F>(f: F, x0: Vec<f64>) -> Result<Minimum>
where
    F: Fn(&[f64]) -> f64,
{
    let start = f(&x0);
    if !start.is_finite() {
        return Err(Error::Fit(format!("objective is not finite at the starting point {x0:?}")));
    }
    let mut best = Minimum { x: x0, value: start, iterations: 0, converged: false };
    let mut step = 0.5;
    for _ in 0..MAX_RESTARTS {
        let mut simplex = vec![best.x.clone()];
        for i in 0..best.x.len() {
            let mut v = best.x.clone();
            v[i] += step;
            simplex.push(v);
        }
        let solver = NelderMead::new(simplex)
            .with_sd_tolerance(SD_TOLERANCE)
            .map_err(|e| Error::Fit(e.to_string()))?;
        let result = Executor::new(Objective(&f), solver)
            .configure(|state| state.max_iters(MAX_ITERS))
            .timer(false)
            .run()
            .map_err(|e| Error::Fit(e.to_string()))?;
        let state = result.state();
        let tolerance_met =
            matches!(state.get_termination_reason(), Some(TerminationReason::SolverConverged));
        best.iterations += state.get_iter();
        let value = state.get_best_cost();
        let x = state.get_best_param().cloned();
        let Some(x) = x else {
            return Err(Error::Fit("optimizer returned no parameters".to_owned()));
        };
        if !value.is_finite() {
            return Err(Error::Fit("no finite likelihood found".to_owned()));
        }
        let improvement = best.value - value;
        let moved = x.iter().zip(&best.x).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        if value <= best.value {
            best.x = x;
            best.value = value;
        }
        if tolerance_met && improvement < 1e-9 && moved < 1e-6 {
            best.converged = true;
            return Ok(best);
        }
        step = (step * 0.5_f64).max(1e-3);
    }
    Ok(best)
}
