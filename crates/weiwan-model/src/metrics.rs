//! How good a set of churn probabilities is: ranking (AUC, PR-AUC, top-decile lift, the ROC
//! curve, lift and cumulative gain by decile), and probability quality (log loss, Brier score,
//! a reliability table).

use serde::{Deserialize, Serialize};

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

/// One point of the ROC curve: flagging every line whose probability is at least `threshold`
/// catches `tpr` of the churners and raises false alarms on `fpr` of the stayers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RocPoint {
    pub fpr: f64,
    pub tpr: f64,
    /// `None` for the first point, (0, 0), which flags nobody.
    pub threshold: Option<f64>,
}

/// The ROC curve, one point per distinct probability (equal probabilities are flagged
/// together), from (0, 0) to (1, 1), thinned to at most `max_points` (at least 2) points evenly
/// spaced along the curve, both ends kept. Empty when the outcomes are all of one class, where
/// the curve is undefined.
pub fn roc_curve(y: &[f64], p: &[f64], max_points: usize) -> Vec<RocPoint> {
    let positives = y.iter().filter(|&&v| v == 1.0).count() as f64;
    let negatives = y.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return Vec::new();
    }
    let mut order = sorted_by_score(p);
    order.reverse();
    let mut points = vec![RocPoint { fpr: 0.0, tpr: 0.0, threshold: None }];
    let (mut true_positives, mut false_positives) = (0.0, 0.0);
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && p[order[j + 1]] == p[order[i]] {
            j += 1;
        }
        for &row in &order[i..=j] {
            if y[row] == 1.0 {
                true_positives += 1.0;
            } else {
                false_positives += 1.0;
            }
        }
        points.push(RocPoint {
            fpr: false_positives / negatives,
            tpr: true_positives / positives,
            threshold: Some(p[order[i]]),
        });
        i = j + 1;
    }
    thin(points, max_points.max(2))
}

/// At most `max` of `points`, evenly spaced by index, the first and the last always kept.
fn thin<T: Copy>(points: Vec<T>, max: usize) -> Vec<T> {
    if points.len() <= max {
        return points;
    }
    let last = points.len() - 1;
    (0..max).map(|k| points[(k * last + (max - 1) / 2) / (max - 1)]).collect()
}

/// One decile of lines ranked by probability, 1 for the riskiest tenth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecileLift {
    pub decile: u8,
    /// Lines in the decile.
    pub count: usize,
    /// Churners among them.
    pub positives: usize,
    /// `positives / count`: the decile's churn rate.
    pub rate: f64,
    /// The decile's churn rate over the overall churn rate (1 = no better than chance).
    pub lift: f64,
    /// The share of all churners found in deciles 1 to this one.
    pub cumulative_gain: f64,
}

/// Churn rate, lift and cumulative gain per decile, deciles as [`deciles`] assigns them (equal
/// probabilities share a decile, so a decile can be empty: empty ones are left out). Empty when
/// there is no churner, where lift is undefined.
pub fn lift_by_decile(y: &[f64], p: &[f64]) -> Vec<DecileLift> {
    let total_positives = y.iter().filter(|&&v| v == 1.0).count();
    if total_positives == 0 {
        return Vec::new();
    }
    let overall = total_positives as f64 / y.len() as f64;
    let mut tally = [(0usize, 0usize); 10];
    for (&decile, &y) in deciles(p).iter().zip(y) {
        let entry = &mut tally[usize::from(decile) - 1];
        entry.0 += 1;
        entry.1 += usize::from(y == 1.0);
    }
    let mut found = 0;
    tally
        .iter()
        .enumerate()
        .filter(|(_, (count, _))| *count > 0)
        .map(|(index, &(count, positives))| {
            found += positives;
            let rate = positives as f64 / count as f64;
            DecileLift {
                decile: index as u8 + 1,
                count,
                positives,
                rate,
                lift: rate / overall,
                cumulative_gain: found as f64 / total_positives as f64,
            }
        })
        .collect()
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

    fn roc(points: &[RocPoint]) -> Vec<(f64, f64, Option<f64>)> {
        points.iter().map(|r| (r.fpr, r.tpr, r.threshold)).collect()
    }

    #[test]
    fn the_roc_curve_steps_through_each_distinct_probability() {
        // Ranked: 0.8 (churner), 0.4 (stayer), 0.35 (churner), 0.1 (stayer).
        let (y, p) = ([0.0, 0.0, 1.0, 1.0], [0.1, 0.4, 0.35, 0.8]);
        let curve = roc_curve(&y, &p, 101);
        assert_eq!(
            roc(&curve),
            [
                (0.0, 0.0, None),
                (0.0, 0.5, Some(0.8)),
                (0.5, 0.5, Some(0.4)),
                (0.5, 1.0, Some(0.35)),
                (1.0, 1.0, Some(0.1))
            ]
        );
        // The area under the steps is the AUC.
        let area: f64 = curve.windows(2).map(|w| (w[1].fpr - w[0].fpr) * (w[1].tpr + w[0].tpr) / 2.0).sum();
        assert!((area - auc(&y, &p)).abs() < 1e-12);
        // Thinned to three points: both ends and the middle one.
        assert_eq!(
            roc(&roc_curve(&y, &p, 3)),
            [(0.0, 0.0, None), (0.5, 0.5, Some(0.4)), (1.0, 1.0, Some(0.1))]
        );
        // Equal probabilities are flagged together: the diagonal in one step.
        assert_eq!(roc(&roc_curve(&y, &[0.5; 4], 101)), [(0.0, 0.0, None), (1.0, 1.0, Some(0.5))]);
        assert!(roc_curve(&[1.0, 1.0], &[0.2, 0.3], 101).is_empty(), "no stayer: no curve");
    }

    #[test]
    fn a_long_roc_curve_is_thinned_to_the_points_asked_for() {
        let y: Vec<f64> = (0..1000).map(|i| f64::from(i % 3 == 0)).collect();
        let p: Vec<f64> = (0..1000).map(|i| f64::from(i) / 1000.0).collect();
        let curve = roc_curve(&y, &p, 101);
        assert_eq!(curve.len(), 101);
        assert_eq!((curve[0].fpr, curve[0].tpr), (0.0, 0.0));
        assert_eq!((curve[100].fpr, curve[100].tpr), (1.0, 1.0));
        assert!(curve.windows(2).all(|w| w[0].fpr <= w[1].fpr && w[0].tpr <= w[1].tpr), "monotone");
    }

    #[test]
    fn lift_and_gain_by_decile_count_churners_from_the_top() {
        // 20 lines ranked by probability, two per decile; churners at ranks 1 and 6 (deciles 1
        // and 3). Overall churn rate 10%: each of those deciles has 50%, lift 5.
        let mut y = vec![0.0; 20];
        y[0] = 1.0;
        y[5] = 1.0;
        let p: Vec<f64> = (0..20).map(|i| 1.0 - f64::from(i) / 20.0).collect();
        let lift = lift_by_decile(&y, &p);
        assert_eq!(lift.len(), 10);
        let row = |d: usize| {
            let l = &lift[d - 1];
            (l.decile, l.count, l.positives, l.rate, l.lift, l.cumulative_gain)
        };
        assert_eq!(row(1), (1, 2, 1, 0.5, 5.0, 0.5));
        assert_eq!(row(2), (2, 2, 0, 0.0, 0.0, 0.5));
        assert_eq!(row(3), (3, 2, 1, 0.5, 5.0, 1.0));
        assert_eq!(row(10), (10, 2, 0, 0.0, 0.0, 1.0));
        // Five equal probabilities share decile 1; the empty deciles are left out.
        let tied = lift_by_decile(&[1.0, 0.0, 0.0, 0.0, 0.0], &[0.3; 5]);
        assert_eq!(tied.len(), 1);
        assert_eq!((tied[0].decile, tied[0].count, tied[0].lift, tied[0].cumulative_gain), (1, 5, 1.0, 1.0));
        assert!(lift_by_decile(&[0.0, 0.0], &[0.1, 0.2]).is_empty(), "no churner: no lift");
    }
}
