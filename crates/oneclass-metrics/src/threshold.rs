//! F1 score when a fixed fraction of the samples is flagged as anomalous (PyOD convention), or
//! exactly as many as there are anomalies (seed 002's Arrhythmia protocol).

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

/// F1 of the anomaly class when the k highest scores are flagged, k = the number of anomalies
/// (rows tied with the k-th highest score are flagged too). Without ties precision = recall = F1.
pub fn f1_top_k(scores: &[f64], labels: &[u8]) -> Result<f64, MetricsError> {
    let k = check_binary_input(scores, labels)?;
    let mut sorted = scores.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let threshold = sorted[k - 1];
    let flagged = scores.iter().filter(|&&s| s >= threshold).count();
    let hits = scores.iter().zip(labels).filter(|&(&s, &y)| s >= threshold && y == 1).count();
    Ok(2.0 * hits as f64 / (flagged + k) as f64)
}

#[cfg(test)]
mod tests {
    use super::f1_top_k;

    /// Hand-checked: 3 anomalies, the 3 highest scores hold 2 of them → F1 = 2·2 / (3 + 3).
    /// Same predictions through scikit-learn's `f1_score([0,1,0,1,1,0], [0,1,1,1,0,0])` = 0.6667.
    #[test]
    fn f1_top_k_flags_as_many_rows_as_anomalies() {
        let scores = [0.1, 0.9, 0.8, 0.7, 0.2, 0.3];
        let labels = [0, 1, 0, 1, 1, 0];
        assert!((f1_top_k(&scores, &labels).unwrap() - 4.0 / 6.0).abs() < 1e-15);
        // A perfect ranking gives 1; a tie at the k-th score flags both tied rows:
        // flagged 3 (two anomalies + one normal), k = 2 → F1 = 2·2 / (3 + 2) = 0.8.
        assert_eq!(f1_top_k(&[3.0, 2.0, 1.0], &[1, 1, 0]).unwrap(), 1.0);
        assert!((f1_top_k(&[3.0, 2.0, 2.0], &[1, 1, 0]).unwrap() - 0.8).abs() < 1e-15);
        assert!(f1_top_k(&[1.0, 2.0], &[0, 0]).is_err());
        assert!(f1_top_k(&[1.0], &[0, 1]).is_err());
        assert!(f1_top_k(&[f64::NAN, 1.0], &[0, 1]).is_err());
    }
}
