//! How good a set of churn probabilities is: ranking (AUC, PR-AUC, top-decile lift), and
//! probability quality (log loss, Brier score, a reliability table).

use serde::Serialize;

/// Area under the ROC curve: the chance that a random churner is ranked above a random
/// stayer, ties counting half (the Mann-Whitney statistic).
pub fn auc(y: &[f64], p: &[f64]) -> f64 {
    let order = sorted_by_score(p);
    let positives = y.iter().filter(|&&v| v == 1.0).count() as f64;
    let negatives = y.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return f64::NAN;
    }
    // Sum of the positives' ranks (average rank for ties), ascending scores.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && p[order[j + 1]] == p[order[i]] {
            j += 1;
        }
        let average_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += order[i..=j].iter().filter(|&&row| y[row] == 1.0).count() as f64 * average_rank;
        i = j + 1;
    }
    (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)
}

fn sorted_by_score(p: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    order
}

/// Area under the precision-recall curve as average precision (the step-wise sum used by
/// scikit-learn's `average_precision_score`), tied scores taken together.
pub fn pr_auc(y: &[f64], p: &[f64]) -> f64 {
    let mut order = sorted_by_score(p);
    order.reverse();
    let positives = y.iter().filter(|&&v| v == 1.0).count() as f64;
    if positives == 0.0 {
        return f64::NAN;
    }
    let (mut true_positives, mut seen, mut previous_recall, mut area) = (0.0, 0.0, 0.0, 0.0);
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && p[order[j + 1]] == p[order[i]] {
            j += 1;
        }
        for &row in &order[i..=j] {
            seen += 1.0;
            true_positives += y[row];
        }
        let recall = true_positives / positives;
        area += (recall - previous_recall) * (true_positives / seen);
        previous_recall = recall;
        i = j + 1;
    }
    area
}

/// Churn rate among the 10% with the highest probability, over the overall churn rate.
pub fn top_decile_lift(y: &[f64], p: &[f64]) -> f64 {
    let mut order = sorted_by_score(p);
    order.reverse();
    let top = (y.len() as f64 / 10.0).ceil().max(1.0) as usize;
    let overall = y.iter().sum::<f64>() / y.len() as f64;
    let rate = order[..top].iter().map(|&row| y[row]).sum::<f64>() / top as f64;
    rate / overall
}

/// Mean negative log-likelihood, probabilities clipped to [1e-15, 1 − 1e-15].
pub fn log_loss(y: &[f64], p: &[f64]) -> f64 {
    let total: f64 = y
        .iter()
        .zip(p)
        .map(|(&y, &p)| {
            let p = p.clamp(1e-15, 1.0 - 1e-15);
            -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())
        })
        .sum();
    total / y.len() as f64
}

/// Mean squared difference between probability and outcome.
pub fn brier(y: &[f64], p: &[f64]) -> f64 {
    y.iter().zip(p).map(|(&y, &p)| (p - y) * (p - y)).sum::<f64>() / y.len() as f64
}

/// One row of a reliability table: the customers whose probability fell in `[low, high)`.
#[derive(Debug, Clone, Serialize)]
pub struct ReliabilityBin {
    pub low: f64,
    pub high: f64,
    pub count: usize,
    pub mean_predicted: f64,
    pub observed_rate: f64,
}

/// Ten equal-width probability bins; a calibrated model has `mean_predicted` close to
/// `observed_rate` in each. Empty bins are left out.
pub fn reliability(y: &[f64], p: &[f64]) -> Vec<ReliabilityBin> {
    let mut sums = [(0usize, 0.0f64, 0.0f64); 10];
    for (&y, &p) in y.iter().zip(p) {
        let bin = ((p * 10.0).floor() as usize).min(9);
        sums[bin].0 += 1;
        sums[bin].1 += p;
        sums[bin].2 += y;
    }
    sums.iter()
        .enumerate()
        .filter(|(_, (count, _, _))| *count > 0)
        .map(|(bin, &(count, predicted, observed))| ReliabilityBin {
            low: bin as f64 / 10.0,
            high: (bin + 1) as f64 / 10.0,
            count,
            mean_predicted: predicted / count as f64,
            observed_rate: observed / count as f64,
        })
        .collect()
}

/// Deciles by probability, 1 for the highest-risk tenth; equal probabilities share a decile.
pub fn deciles(p: &[f64]) -> Vec<u8> {
    let mut order = sorted_by_score(p);
    order.reverse();
    let n = p.len().max(1) as f64;
    let mut decile = vec![10u8; p.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && p[order[j + 1]] == p[order[i]] {
            j += 1;
        }
        let value = ((i as f64 * 10.0 / n).floor() as u8 + 1).min(10);
        for &row in &order[i..=j] {
            decile[row] = value;
        }
        i = j + 1;
    }
    decile
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_pairs_and_ties() {
        let y = [0.0, 0.0, 1.0, 1.0];
        assert_eq!(auc(&y, &[0.1, 0.4, 0.35, 0.8]), 0.75);
        assert_eq!(auc(&y, &[0.5, 0.5, 0.5, 0.5]), 0.5);
        assert_eq!(auc(&y, &[0.1, 0.2, 0.3, 0.4]), 1.0);
    }

    #[test]
    fn average_precision_matches_a_hand_count() {
        // Ranked: 0.8 (1), 0.4 (0), 0.35 (1), 0.1 (0): AP = 0.5·1 + 0.5·(2/3).
        let ap = pr_auc(&[0.0, 0.0, 1.0, 1.0], &[0.1, 0.4, 0.35, 0.8]);
        assert!((ap - (0.5 + 1.0 / 3.0)).abs() < 1e-12);
    }

    #[test]
    fn lift_deciles_and_reliability() {
        // 20 rows, 2 churners, both ranked on top: the top tenth is all churners, lift 10.
        let mut y = vec![0.0; 20];
        y[0] = 1.0;
        y[1] = 1.0;
        let p: Vec<f64> = (0..20).map(|i| 1.0 - i as f64 / 20.0).collect();
        assert_eq!(top_decile_lift(&y, &p), 10.0);
        let d = deciles(&p);
        assert_eq!((d[0], d[1], d[2], d[19]), (1, 1, 2, 10));
        let bins = reliability(&y, &p);
        assert_eq!(bins.iter().map(|b| b.count).sum::<usize>(), 20);
        assert!((brier(&[1.0, 0.0], &[0.8, 0.4]) - 0.1).abs() < 1e-12);
        assert!((log_loss(&[1.0], &[0.5]) - 2f64.ln()).abs() < 1e-12);
    }
}
