use std::path::PathBuf;

/// Every failure of the deep one-class crate.
#[derive(Debug, thiserror::Error)]
pub enum DeepError {
    #[error("invalid hyper-parameter `{key}`: {reason}")]
    InvalidParam { key: String, reason: String },
    #[error("unknown hyper-parameter `{key}` for method `{method}`; known: {known}")]
    UnknownParam { key: String, method: String, known: String },
    #[error("input shape {got:?} does not fit: {reason}")]
    Shape { got: Vec<usize>, reason: String },
    #[error("input contains a non-finite value at flat index {index}")]
    NonFinite { index: usize },
    #[error("labels: {0}")]
    Labels(String),
    #[error("{path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("I/O error on {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("device `{0}` is not available in this build (enable the cargo feature `wgpu` for `gpu`)")]
    DeviceUnavailable(String),
    #[error("training diverged: loss is {loss} at epoch {epoch}")]
    Diverged { epoch: usize, loss: f64 },
    #[error("training stopped after {epoch} epochs of phase `{phase}` (checkpoint kept; fit again with resume)")]
    Interrupted { phase: String, epoch: usize },
    #[error("one-class SVM on the latent codes: {0}")]
    Ocsvm(String),
    #[error("data: {0}")]
    Data(#[from] oneclass_data::DataError),
}

pub type Result<T> = std::result::Result<T, DeepError>;

pub(crate) fn invalid(key: &str, reason: impl Into<String>) -> DeepError {
    DeepError::InvalidParam { key: key.to_string(), reason: reason.into() }
}
