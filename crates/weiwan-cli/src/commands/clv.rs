//! `weiwan clv sbg | bgnbd`: customer lifetime value for contract cohorts and prepaid bases.

use anyhow::{Context, bail};
use serde::Serialize;
use weiwan_clv::{SbgComparison, SbgFit, SbgProjection};

use crate::cli::{ClvAction, Output};

#[derive(Serialize)]
struct SbgReport {
    fit: SbgFit,
    comparison: Vec<SbgComparison>,
    projection: Vec<SbgProjection>,
    discount: f64,
    del: f64,
    derl: Vec<Derl>,
}

#[derive(Serialize)]
struct Derl {
    renewal: u32,
    value: f64,
}

pub fn run(action: ClvAction) -> anyhow::Result<()> {
    match action {
        ClvAction::Sbg {
            csv,
            period_column,
            alive_column,
            fit_periods,
            horizon,
            discount,
            renewals,
            format,
        } => {
            let table = weiwan_clv::read_survival_csv_with(&csv, &period_column, &alive_column)?;
            let fit_periods = match fit_periods {
                Some(n) if n as usize > table.last_period() => {
                    bail!("--fit-periods {n}: {} has periods up to {}", csv.display(), table.last_period())
                }
                Some(n) => n as usize,
                None => table.last_period(),
            };
            let renewals = renewals
                .split(',')
                .map(|n| n.trim().parse::<u32>().ok().filter(|&n| n >= 1))
                .collect::<Option<Vec<u32>>>()
                .with_context(|| {
                    format!("--renewals {renewals:?}: expected numbers from 1 up, comma separated")
                })?;
            let fit = weiwan_clv::fit_sbg(&table, fit_periods)?;
            let params = fit.params;
            let report = SbgReport {
                comparison: params.compare(&table, fit_periods),
                projection: params.project(horizon),
                discount,
                del: params.del(discount)?,
                derl: renewals
                    .iter()
                    .map(|&n| Ok(Derl { renewal: n, value: params.derl(discount, n)? }))
                    .collect::<anyhow::Result<_>>()?,
                fit,
            };
            match format {
                Output::Json => println!("{}", serde_json::to_string_pretty(&report)?),
                Output::Text => print_sbg(&report),
            }
        }
        ClvAction::Bgnbd { csv, out, horizon, format } => {
            let customers = weiwan_clv::read_customer_summary_csv(&csv)?;
            let fit = weiwan_clv::fit_bgnbd(&customers)?;
            let predictions = fit.params.predict(&customers, horizon)?;
            if let Some(path) = &out {
                let tmp = path.with_extension("tmp");
                let mut writer = csv::Writer::from_path(&tmp)
                    .with_context(|| format!("cannot write {}", tmp.display()))?;
                for prediction in &predictions {
                    writer.serialize(prediction)?;
                }
                writer.flush()?;
                std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
            }
            match format {
                Output::Json => println!("{}", serde_json::to_string_pretty(&fit)?),
                Output::Text => {
                    let p = fit.params;
                    println!(
                        "BG/NBD on {} customers: r {:.4}, α {:.4}, a {:.4}, b {:.4}",
                        fit.customers, p.r, p.alpha, p.a, p.b
                    );
                    println!("log-likelihood {:.2}", fit.log_likelihood);
                    let alive =
                        predictions.iter().map(|c| c.p_alive).sum::<f64>() / predictions.len().max(1) as f64;
                    let expected = predictions.iter().map(|c| c.expected_transactions).sum::<f64>();
                    println!(
                        "mean P(alive) {alive:.3}; expected transactions in the next {horizon} periods: {expected:.1}"
                    );
                    if let Some(path) = &out {
                        println!("per-customer P(alive) written to {}", path.display());
                    }
                }
            }
        }
    }
    Ok(())
}

fn print_sbg(report: &SbgReport) {
    let fit = &report.fit;
    println!(
        "shifted-beta-geometric fit on periods 1–{} of a cohort of {}: α {:.4}, β {:.4} (log-likelihood {:.2})",
        fit.fit_periods, fit.cohort_size, fit.params.alpha, fit.params.beta, fit.log_likelihood
    );
    println!("period  observed alive  observed %  fitted %");
    for row in &report.comparison {
        println!(
            "{:>6}  {:>14}  {:>10.1}  {:>8.1}{}",
            row.period,
            row.observed_alive,
            100.0 * row.observed_survival,
            100.0 * row.fitted_survival,
            if row.in_calibration { "" } else { "  (projected)" }
        );
    }
    if let Some(last) = report.projection.last() {
        println!("projected survival after {} periods: {:.1}%", last.period, 100.0 * last.survival);
    }
    println!(
        "discounted expected lifetime (DEL) of a new customer at d = {}: {:.4}",
        report.discount, report.del
    );
    for derl in &report.derl {
        println!("DERL before renewal decision {}: {:.4}", derl.renewal, derl.value);
    }
}
