use thiserror::Error;

/// Everything that can go wrong when fitting or using a one-class SVM.
#[derive(Debug, Error)]
pub enum SvmError {
    #[error("invalid parameter {name} = {value}: expected {expected}")]
    InvalidParameter { name: &'static str, value: String, expected: &'static str },
    #[error("the training set is empty ({rows} rows × {cols} columns): expected at least one row and one column")]
    EmptyData { rows: usize, cols: usize },
    #[error("non-finite value {value} at row {row}, column {col} (0-based): expected finite numbers")]
    NonFinite { row: usize, col: usize, value: f64 },
    #[error("gamma = \"scale\" needs data with non-zero variance (every entry of the training set equals {value}); give --gamma a number or \"auto\"")]
    ZeroVariance { value: f64 },
    #[error("the input has {found} columns but the model was fitted on {expected}")]
    DimensionMismatch { expected: usize, found: usize },
    #[error("model file {path}: {message}")]
    ModelFile { path: String, message: String },
}
