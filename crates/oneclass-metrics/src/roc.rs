//! ROC curve and (partial) area under it, matching scikit-learn's `roc_curve` / `roc_auc_score`.

use crate::{check_binary_input, MetricsError};
use serde::{Deserialize, Serialize};

/// ROC curve points as scikit-learn's `roc_curve(drop_intermediate=False)` returns them:
/// one point per distinct score (descending), preceded by (0, 0) at threshold +infinity.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct RocCurve {
    pub fpr: Vec<f64>,
    pub tpr: Vec<f64>,
    pub thresholds: Vec<f64>,
}

/// Cumulative (weighted) false and true positive counts when every sample with a score at or
/// above `thresholds[k]` is flagged; one entry per distinct score, highest score first.
#[derive(Default, Debug)]
pub(crate) struct RankedCounts {
    pub fps: Vec<f64>,
    pub tps: Vec<f64>,
    pub thresholds: Vec<f64>,
}

/// Sample indices ordered by decreasing score (the order in which thresholds flag them).
pub(crate) fn descending_order(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    order
}

/// Walks the samples in `order`, weighting sample `i` by `weights[i]` (1 when `None`; samples
/// with weight 0 are skipped). Integer weights give exactly the counts of the data set in which
/// sample `i` appears `weights[i]` times, which is how bootstrap resamples are evaluated.
pub(crate) fn ranked_counts(
    scores: &[f64],
    labels: &[u8],
    order: &[usize],
    weights: Option<&[u32]>,
) -> RankedCounts {
    let mut counts = RankedCounts::default();
    let (mut fp, mut tp) = (0.0, 0.0);
    let mut current: Option<f64> = None;
    for &i in order {
        let weight = weights.map_or(1.0, |w| f64::from(w[i]));
        if weight == 0.0 {
            continue;
        }
        if let Some(score) = current.filter(|&s| s != scores[i]) {
            counts.push(score, fp, tp);
        }
        current = Some(scores[i]);
        if labels[i] == 1 {
            tp += weight;
        } else {
            fp += weight;
        }
    }
    if let Some(score) = current {
        counts.push(score, fp, tp);
    }
    counts
}

impl RankedCounts {
    fn push(&mut self, threshold: f64, fp: f64, tp: f64) {
        self.thresholds.push(threshold);
        self.fps.push(fp);
        self.tps.push(tp);
    }

    /// (fpr, tpr) starting at (0, 0); both classes must have positive total weight.
    fn rates(&self) -> (Vec<f64>, Vec<f64>) {
        let total_fp = *self.fps.last().expect("non-empty counts");
        let total_tp = *self.tps.last().expect("non-empty counts");
        let fpr = std::iter::once(0.0)
            .chain(self.fps.iter().map(|f| f / total_fp))
            .collect();
        let tpr = std::iter::once(0.0)
            .chain(self.tps.iter().map(|t| t / total_tp))
            .collect();
        (fpr, tpr)
    }

    pub fn auroc(&self) -> f64 {
        let (fpr, tpr) = self.rates();
        trapezoid(&fpr, &tpr)
    }

    /// McClish-standardised partial AUC on [0, max_fpr], as scikit-learn computes it:
    /// the curve is cut at `max_fpr` by linear interpolation, then the area is rescaled so
    /// that a random ranking gives 0.5 and a perfect one 1.
    pub fn partial_auroc(&self, max_fpr: f64) -> f64 {
        let (mut fpr, mut tpr) = self.rates();
        if max_fpr == 1.0 {
            return trapezoid(&fpr, &tpr);
        }
        // First point strictly beyond max_fpr; it exists because the curve ends at fpr = 1.
        let stop = fpr.partition_point(|&f| f <= max_fpr);
        let slope = (tpr[stop] - tpr[stop - 1]) / (fpr[stop] - fpr[stop - 1]);
        let tpr_at_cut = slope * (max_fpr - fpr[stop - 1]) + tpr[stop - 1];
        fpr.truncate(stop);
        tpr.truncate(stop);
        fpr.push(max_fpr);
        tpr.push(tpr_at_cut);
        let partial_area = trapezoid(&fpr, &tpr);
        let min_area = 0.5 * max_fpr * max_fpr;
        let max_area = max_fpr;
        0.5 * (1.0 + (partial_area - min_area) / (max_area - min_area))
    }
}

fn trapezoid(x: &[f64], y: &[f64]) -> f64 {
    x.windows(2)
        .zip(y.windows(2))
        .map(|(x, y)| (x[1] - x[0]) * (y[1] + y[0]) / 2.0)
        .sum()
}

fn validated_counts(scores: &[f64], labels: &[u8]) -> Result<RankedCounts, MetricsError> {
    check_binary_input(scores, labels)?;
    Ok(ranked_counts(
        scores,
        labels,
        &descending_order(scores),
        None,
    ))
}

/// ROC curve like scikit-learn's `roc_curve(labels, scores, drop_intermediate=False)`.
pub fn roc_curve(scores: &[f64], labels: &[u8]) -> Result<RocCurve, MetricsError> {
    let counts = validated_counts(scores, labels)?;
    let (fpr, tpr) = counts.rates();
    let thresholds = std::iter::once(f64::INFINITY)
        .chain(counts.thresholds)
        .collect();
    Ok(RocCurve {
        fpr,
        tpr,
        thresholds,
    })
}

/// Area under the ROC curve; tied scores form one diagonal segment (= `roc_auc_score`).
pub fn auroc(scores: &[f64], labels: &[u8]) -> Result<f64, MetricsError> {
    Ok(validated_counts(scores, labels)?.auroc())
}

/// Standardised partial AUROC on FPR in [0, max_fpr] (= `roc_auc_score(max_fpr=max_fpr)`).
pub fn partial_auroc(scores: &[f64], labels: &[u8], max_fpr: f64) -> Result<f64, MetricsError> {
    if !(max_fpr > 0.0 && max_fpr <= 1.0) {
        return Err(MetricsError::InvalidParameter(format!(
            "max_fpr must be in (0, 1], got {max_fpr}"
        )));
    }
    Ok(validated_counts(scores, labels)?.partial_auroc(max_fpr))
}

/// Standardised partial AUROC up to a false positive rate of 0.3.
pub fn auroc30(scores: &[f64], labels: &[u8]) -> Result<f64, MetricsError> {
    partial_auroc(scores, labels, 0.3)
}

/// AUROC within each group of samples (e.g. each corruption of a domain-shift test set), as
/// `(group, auroc)` in ascending group order. A pooled AUROC also ranks groups against each
/// other; this separates that from the ranking inside a group.
pub fn auroc_within_groups(scores: &[f64], labels: &[u8], groups: &[i64]) -> Result<Vec<(i64, f64)>, MetricsError> {
    if groups.len() != scores.len() {
        return Err(MetricsError::InvalidParameter(format!("{} group ids for {} scores; expected one per score", groups.len(), scores.len())));
    }
    check_binary_input(scores, labels)?;
    // One pass to bucket the samples, so many groups cost no more than a few.
    let mut members: std::collections::BTreeMap<i64, (Vec<f64>, Vec<u8>)> = std::collections::BTreeMap::new();
    for ((&g, &s), &y) in groups.iter().zip(scores).zip(labels) {
        let (gs, gy) = members.entry(g).or_default();
        gs.push(s);
        gy.push(y);
    }
    members
        .into_iter()
        .map(|(g, (s, y))| auroc(&s, &y).map(|a| (g, a)).map_err(|e| MetricsError::InvalidParameter(format!("group {g}: {e}"))))
        .collect()
}
