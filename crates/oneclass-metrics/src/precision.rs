//! Average precision, matching scikit-learn's `average_precision_score`.

use crate::roc::{descending_order, ranked_counts, RankedCounts};
use crate::{check_binary_input, MetricsError};

impl RankedCounts {
    /// Sum over distinct thresholds of (recall increase) x (precision at that threshold):
    /// the step-wise area under the precision-recall curve, without interpolation.
    pub(crate) fn average_precision(&self) -> f64 {
        let total_tp = *self.tps.last().expect("non-empty counts");
        let mut previous_recall = 0.0;
        let mut area = 0.0;
        for (&tp, &fp) in self.tps.iter().zip(&self.fps) {
            let recall = tp / total_tp;
            // tp + fp > 0 always: every entry covers at least one sample.
            area += (recall - previous_recall) * (tp / (tp + fp));
            previous_recall = recall;
        }
        area
    }
}

/// Average precision of the anomaly class (= `average_precision_score(labels, scores)`).
pub fn average_precision(scores: &[f64], labels: &[u8]) -> Result<f64, MetricsError> {
    check_binary_input(scores, labels)?;
    Ok(ranked_counts(scores, labels, &descending_order(scores), None).average_precision())
}
