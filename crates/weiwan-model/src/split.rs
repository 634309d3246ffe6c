//! Seeded, stratified splits: every fold (and the validation part of a training set) keeps the
//! churn rate of the whole.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// Assign each row to one of `k` folds, stratified by `y`; the same seed gives the same folds.
pub fn stratified_folds(y: &[f64], k: usize, seed: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut fold = vec![0; y.len()];
    let mut offset = 0;
    for class in [0.0, 1.0] {
        let mut rows: Vec<usize> = (0..y.len()).filter(|&row| y[row] == class).collect();
        rows.shuffle(&mut rng);
        for (i, row) in rows.into_iter().enumerate() {
            fold[row] = (i + offset) % k;
        }
        // Continue the round-robin where the first class stopped, so fold sizes stay even.
        offset = y.iter().filter(|&&v| v == class).count() % k;
    }
    fold
}

/// Split rows into (fit, validation) with about `share` of each class in validation.
pub fn stratified_holdout(y: &[f64], share: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x005e_ed0f_7a11);
    let (mut fit, mut validation) = (Vec::new(), Vec::new());
    for class in [0.0, 1.0] {
        let mut rows: Vec<usize> = (0..y.len()).filter(|&row| y[row] == class).collect();
        rows.shuffle(&mut rng);
        let held =
            ((rows.len() as f64 * share).round() as usize).clamp(1, rows.len().saturating_sub(1).max(1));
        validation.extend_from_slice(&rows[..held]);
        fit.extend_from_slice(&rows[held..]);
    }
    fit.sort_unstable();
    validation.sort_unstable();
    (fit, validation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_stratified_balanced_and_reproducible() {
        let y: Vec<f64> = (0..1000).map(|i| if i % 4 == 0 { 1.0 } else { 0.0 }).collect();
        let folds = stratified_folds(&y, 5, 7);
        assert_eq!(folds, stratified_folds(&y, 5, 7));
        assert_ne!(folds, stratified_folds(&y, 5, 8));
        for k in 0..5 {
            let rows: Vec<usize> = (0..1000).filter(|&r| folds[r] == k).collect();
            assert_eq!(rows.len(), 200);
            assert_eq!(rows.iter().filter(|&&r| y[r] == 1.0).count(), 50);
        }
        let (fit, validation) = stratified_holdout(&y, 0.2, 1);
        assert_eq!((fit.len(), validation.len()), (800, 200));
        assert_eq!(validation.iter().filter(|&&r| y[r] == 1.0).count(), 50);
    }
}
