//! Evaluation metrics and statistical tests for one-class anomaly detection.
//!
//! Scores are "higher = more anomalous"; labels are 1 = anomaly, 0 = normal.
//! Every metric reproduces the scikit-learn (or PyOD / SciPy / scikit-posthocs) value
//! named in its documentation; the tests check this against stored reference values.

mod error;
mod precision;
mod roc;
pub mod special;
pub mod stats;
mod threshold;

pub use error::MetricsError;
pub use precision::average_precision;
pub use roc::{auroc, auroc30, auroc_within_groups, partial_auroc, roc_curve, RocCurve};
pub use threshold::{f1_at_contamination, f1_top_k};

use serde::{Deserialize, Serialize};

/// The standard metric set reported for one score vector on one labelled test set.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Evaluation {
    pub auroc: f64,
    /// Standardised partial AUROC up to FPR 0.3 (McClish correction).
    pub auroc30: f64,
    /// Average precision (area under the precision-recall curve, step-wise).
    pub aupr: f64,
    /// F1 of the anomaly class when the top `contamination` fraction is flagged.
    pub f1: f64,
    pub n: usize,
    pub n_anomalies: usize,
    pub contamination: f64,
}

/// Computes all metrics; `contamination` defaults to the true anomaly fraction `n_anomalies / n`.
pub fn evaluate(
    scores: &[f64],
    labels: &[u8],
    contamination: Option<f64>,
) -> Result<Evaluation, MetricsError> {
    let n_anomalies = check_binary_input(scores, labels)?;
    let n = scores.len();
    let contamination = contamination.unwrap_or(n_anomalies as f64 / n as f64);
    Ok(Evaluation {
        auroc: auroc(scores, labels)?,
        auroc30: auroc30(scores, labels)?,
        aupr: average_precision(scores, labels)?,
        f1: f1_at_contamination(scores, labels, contamination)?,
        n,
        n_anomalies,
        contamination,
    })
}

/// Validates a score/label pair and returns the number of anomalies (label 1).
pub(crate) fn check_binary_input(scores: &[f64], labels: &[u8]) -> Result<usize, MetricsError> {
    if scores.len() != labels.len() {
        return Err(MetricsError::LengthMismatch {
            scores: scores.len(),
            labels: labels.len(),
        });
    }
    if scores.is_empty() {
        return Err(MetricsError::Empty);
    }
    if let Some(index) = labels.iter().position(|&label| label > 1) {
        return Err(MetricsError::BadLabel {
            index,
            value: labels[index],
        });
    }
    if let Some(index) = scores.iter().position(|score| !score.is_finite()) {
        return Err(MetricsError::NonFinite {
            index,
            value: scores[index],
        });
    }
    let positives = labels.iter().filter(|&&label| label == 1).count();
    if positives == 0 || positives == labels.len() {
        return Err(MetricsError::SingleClass {
            n: labels.len(),
            positives,
        });
    }
    Ok(positives)
}
