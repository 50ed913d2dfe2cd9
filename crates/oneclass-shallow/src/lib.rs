//! Shallow anomaly-detection baselines for tables: Isolation Forest, Gaussian kernel density
//! and PCA (for one-class SVM on PCA features), each reproducing scikit-learn 1.9.
//!
//! Every model follows the same pattern: a `…Params` struct with builder methods, checked by
//! `check()`, then `fit(x)` on an `n × d` matrix. Detector scores are "higher = more anomalous".
//! Models serialize with serde; a JSON round trip (`to_json` / `from_json`) gives bit-identical
//! results, and `from_json` rejects inconsistent model files instead of panicking later.

mod error;
mod iforest;
mod kde;
mod pca;

pub use error::ShallowError;
pub use iforest::{
    average_path_length, IsolationForest, IsolationForestParams, MaxFeatures, MaxSamples,
};
pub use kde::{
    kfold_indices, Bandwidth, BandwidthSearch, CvReport, KernelDensity, KernelDensityParams,
};
pub use pca::{symmetric_eigen, Components, Pca, PcaParams};

use ndarray::ArrayView2;
use std::borrow::Cow;

/// Rejects matrices with too few rows, no columns, or a non-finite entry (named by row and column).
pub(crate) fn check_matrix(
    x: &ArrayView2<f64>,
    what: &'static str,
    min_rows: usize,
) -> Result<(), ShallowError> {
    let (rows, cols) = x.dim();
    if rows < min_rows || cols == 0 {
        return Err(ShallowError::EmptyData {
            what,
            rows,
            cols,
            min_rows,
        });
    }
    for ((row, col), &value) in x.indexed_iter() {
        if !value.is_finite() {
            return Err(ShallowError::NonFinite {
                what,
                row,
                col,
                value,
            });
        }
    }
    Ok(())
}

/// Input checks for applying a fitted model: matching width, then finite values.
pub(crate) fn check_input(
    x: &ArrayView2<f64>,
    what: &'static str,
    expected_cols: usize,
) -> Result<(), ShallowError> {
    if x.ncols() != expected_cols {
        return Err(ShallowError::DimensionMismatch {
            what,
            expected: expected_cols,
            found: x.ncols(),
        });
    }
    // Zero rows is a valid (empty) request once the width matches.
    if x.nrows() == 0 {
        return Ok(());
    }
    check_matrix(x, what, 1)
}

/// The matrix as one row-major slice, borrowed when it already is one.
pub(crate) fn row_major<'a>(x: &ArrayView2<'a, f64>) -> Cow<'a, [f64]> {
    match x.to_slice() {
        Some(slice) => Cow::Borrowed(slice),
        None => Cow::Owned(x.iter().copied().collect()),
    }
}

pub(crate) fn to_json<T: serde::Serialize>(model: &T) -> String {
    // Serializing plain structs of numbers, strings and vectors cannot fail.
    serde_json::to_string(model).unwrap_or_else(|e| unreachable!("model serialization failed: {e}"))
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ShallowError> {
    serde_json::from_str(text).map_err(|e| ShallowError::ModelJson {
        message: e.to_string(),
    })
}
