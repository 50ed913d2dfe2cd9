//! F1 score when a fixed fraction of the samples is flagged as anomalous (PyOD convention).

use crate::{check_binary_input, MetricsError};

/// `numpy.percentile(values, percent)` with the default linear method; `sorted` is ascending
/// and non-empty. The two-sided interpolation mirrors numpy so thresholds agree bit for bit.
pub(crate) fn linear_percentile(sorted: &[f64], percent: f64) -> f64 {
    let last = sorted.len() - 1;
    let virtual_index = last as f64 * (percent / 100.0);
    let below = virtual_index.floor();
    let gamma = virtual_index - below;
    let lower = (below.max(0.0) as usize).min(last);
    let (a, b) = (sorted[lower], sorted[(lower + 1).min(last)]);
    let difference = b - a;
    if gamma >= 0.5 {
        b - difference * (1.0 - gamma)
    } else {
        a + difference * gamma
    }
}

/// F1 of the anomaly class when samples scoring strictly above the
/// `100 * (1 - contamination)` percentile (linear interpolation) are predicted anomalous,
/// as PyOD labels its detectors. `contamination` must lie in (0, 1).
pub fn f1_at_contamination(
    scores: &[f64],
    labels: &[u8],
    contamination: f64,
) -> Result<f64, MetricsError> {
    if !(contamination > 0.0 && contamination < 1.0) {
        return Err(MetricsError::InvalidParameter(format!(
            "contamination must be in (0, 1), got {contamination}"
        )));
    }
    let positives = check_binary_input(scores, labels)?;
    let mut sorted = scores.to_vec();
    sorted.sort_by(f64::total_cmp);
    let threshold = linear_percentile(&sorted, 100.0 * (1.0 - contamination));
    let true_positives = scores
        .iter()
        .zip(labels)
        .filter(|&(&score, &label)| score > threshold && label == 1)
        .count();
    let predicted = scores.iter().filter(|&&score| score > threshold).count();
    // 2TP / (2TP + FP + FN) with FP + FN = predicted + positives - 2TP; positives > 0.
    Ok(2.0 * true_positives as f64 / (predicted + positives) as f64)
}
