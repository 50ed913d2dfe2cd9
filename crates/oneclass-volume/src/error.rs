//! The one error type of the crate.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    /// A NIfTI file whose header or data is not what the format (or this reader) allows.
    #[error("{path}: NIfTI field `{field}`: {detail}")]
    Nifti { path: PathBuf, field: String, detail: String },
    #[error("{path}: cannot {action}: {source}")]
    Io { path: PathBuf, action: &'static str, source: std::io::Error },
    /// Arguments that do not fit together (shapes, masks, parameters).
    #[error("{field}: {detail}")]
    Invalid { field: String, detail: String },
    /// The patch encoder passed in by the caller failed.
    #[error("patch encoder: {0}")]
    Encoder(String),
    #[error("one-class SVM: {0}")]
    Svm(String),
    #[error(transparent)]
    Metrics(#[from] oneclass_metrics::MetricsError),
    #[error(transparent)]
    Data(#[from] oneclass_data::DataError),
}

pub type Result<T> = std::result::Result<T, VolumeError>;

pub(crate) fn invalid(field: impl Into<String>, detail: impl Into<String>) -> VolumeError {
    VolumeError::Invalid { field: field.into(), detail: detail.into() }
}
