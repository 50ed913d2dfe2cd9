//! Paired bootstrap comparison of several score vectors on the same labelled test set.

use crate::roc::{descending_order, ranked_counts, RankedCounts};
use crate::threshold::linear_percentile;
use crate::{check_binary_input, MetricsError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// A resample containing a single class cannot be scored; after this many consecutive
/// redraws the data set is too small for the bootstrap to be meaningful.
const MAX_REDRAWS: usize = 10_000;

/// The metric compared by the bootstrap.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    Auroc,
    Auroc30,
    Aupr,
}

impl Metric {
    fn of(self, counts: &RankedCounts) -> f64 {
        match self {
            Metric::Auroc => counts.auroc(),
            Metric::Auroc30 => counts.partial_auroc(0.3),
            Metric::Aupr => counts.average_precision(),
        }
    }
}

/// Result of [`paired_bootstrap`]; all vectors are indexed by model.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct BootstrapComparison {
    /// Metric of each model on the full test set.
    pub metric_full: Vec<f64>,
    /// Model with the highest `metric_full` (the first one on ties).
    pub best: usize,
    /// Fraction of resamples in which the model's metric matched or beat the best model's.
    /// For `best` itself this is 1.0 by that definition.
    pub p_values: Vec<f64>,
    /// `p_values` times (number of models - 1), capped at 1; 1.0 for `best`.
    pub p_bonferroni: Vec<f64>,
    /// Percentile bootstrap 95% interval of each model's metric (2.5th and 97.5th
    /// percentiles of the resampled values, linear interpolation).
    pub ci95: Vec<(f64, f64)>,
    pub resamples: usize,
}

/// Compares models by resampling the test set with replacement (`resamples` times, seeded).
/// All models are scored on the same resample (paired); resamples with a single class are
/// redrawn. A small p-value for model m means m rarely reaches the best model's metric.
pub fn paired_bootstrap(
    scores: &[&[f64]],
    labels: &[u8],
    metric: Metric,
    resamples: usize,
    seed: u64,
) -> Result<BootstrapComparison, MetricsError> {
    if scores.is_empty() {
        return Err(MetricsError::InvalidParameter(
            "need at least one score vector".into(),
        ));
    }
    if resamples == 0 {
        return Err(MetricsError::InvalidParameter(
            "resamples must be at least 1".into(),
        ));
    }
    for (model, model_scores) in scores.iter().enumerate() {
        check_binary_input(model_scores, labels).map_err(|source| MetricsError::InModel {
            model,
            source: Box::new(source),
        })?;
    }
    let orders: Vec<Vec<usize>> = scores.iter().map(|s| descending_order(s)).collect();
    let metric_on = |weights: Option<&[u32]>| -> Vec<f64> {
        scores
            .iter()
            .zip(&orders)
            .map(|(s, order)| metric.of(&ranked_counts(s, labels, order, weights)))
            .collect()
    };

    let metric_full = metric_on(None);
    let best = (0..metric_full.len()).fold(0, |best, m| {
        if metric_full[m] > metric_full[best] {
            m
        } else {
            best
        }
    });

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut counts = vec![0u32; labels.len()];
    let mut resampled: Vec<Vec<f64>> = vec![Vec::with_capacity(resamples); scores.len()];
    let mut matches_best = vec![0usize; scores.len()];
    for _ in 0..resamples {
        draw_resample(&mut rng, labels, &mut counts)?;
        let values = metric_on(Some(&counts));
        for (m, &value) in values.iter().enumerate() {
            if value >= values[best] {
                matches_best[m] += 1;
            }
            resampled[m].push(value);
        }
    }

    let p_values: Vec<f64> = matches_best
        .iter()
        .map(|&k| k as f64 / resamples as f64)
        .collect();
    let comparisons = (scores.len() - 1) as f64;
    let p_bonferroni = p_values
        .iter()
        .enumerate()
        .map(|(m, &p)| {
            if m == best {
                1.0
            } else {
                (p * comparisons).min(1.0)
            }
        })
        .collect();
    let ci95 = resampled
        .iter_mut()
        .map(|values| {
            values.sort_by(f64::total_cmp);
            (
                linear_percentile(values, 2.5),
                linear_percentile(values, 97.5),
            )
        })
        .collect();
    Ok(BootstrapComparison {
        metric_full,
        best,
        p_values,
        p_bonferroni,
        ci95,
        resamples,
    })
}

/// Fills `counts[i]` with how often sample i is drawn among n draws with replacement,
/// redrawing until both classes are present.
fn draw_resample(
    rng: &mut ChaCha8Rng,
    labels: &[u8],
    counts: &mut [u32],
) -> Result<(), MetricsError> {
    let n = labels.len();
    for _ in 0..MAX_REDRAWS {
        counts.fill(0);
        let mut positives = 0;
        for _ in 0..n {
            let i = rng.random_range(0..n);
            counts[i] += 1;
            positives += usize::from(labels[i]);
        }
        if positives > 0 && positives < n {
            return Ok(());
        }
    }
    Err(MetricsError::InvalidParameter(format!(
        "no bootstrap resample with both classes in {MAX_REDRAWS} draws (n = {n}); the test set is too small"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{auroc, auroc30, average_precision};

    /// Evaluating with resample counts as weights must equal evaluating the explicitly
    /// expanded resample (each sample repeated `counts[i]` times) with the public metrics.
    #[test]
    fn weighted_counts_equal_expanded_resample() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let n = 157;
        let labels: Vec<u8> = (0..n).map(|i| u8::from(i % 4 == 0)).collect();
        // One decimal: plenty of ties, also across the two classes.
        let scores: Vec<f64> = labels
            .iter()
            .map(|&l| ((rng.random::<f64>() + 0.4 * f64::from(l)) * 10.0).round() / 10.0)
            .collect();
        let order = descending_order(&scores);
        let mut counts = vec![0u32; n];
        for _ in 0..20 {
            draw_resample(&mut rng, &labels, &mut counts).unwrap();
            let expanded: Vec<usize> = (0..n)
                .flat_map(|i| std::iter::repeat_n(i, counts[i] as usize))
                .collect();
            let s: Vec<f64> = expanded.iter().map(|&i| scores[i]).collect();
            let l: Vec<u8> = expanded.iter().map(|&i| labels[i]).collect();
            let weighted = ranked_counts(&scores, &labels, &order, Some(&counts));
            assert!((Metric::Auroc.of(&weighted) - auroc(&s, &l).unwrap()).abs() < 1e-12);
            assert!((Metric::Auroc30.of(&weighted) - auroc30(&s, &l).unwrap()).abs() < 1e-12);
            assert!(
                (Metric::Aupr.of(&weighted) - average_precision(&s, &l).unwrap()).abs() < 1e-12
            );
        }
    }
}
