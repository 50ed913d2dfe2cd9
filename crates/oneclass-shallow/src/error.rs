use thiserror::Error;

/// Everything that can go wrong when fitting or applying a shallow model.
#[derive(Debug, Error)]
pub enum ShallowError {
    #[error("invalid parameter {name} = {value}: expected {expected}")]
    InvalidParameter {
        name: &'static str,
        value: String,
        expected: String,
    },
    #[error("{what} has {rows} rows × {cols} columns: expected at least {min_rows} row(s) and one column")]
    EmptyData {
        what: &'static str,
        rows: usize,
        cols: usize,
        min_rows: usize,
    },
    #[error("{what}: non-finite value {value} at row {row}, column {col} (0-based): expected finite numbers")]
    NonFinite {
        what: &'static str,
        row: usize,
        col: usize,
        value: f64,
    },
    #[error("{what} has {found} columns but the model was fitted on {expected}")]
    DimensionMismatch {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("{what}: every feature is constant (mean standard deviation 0): expected data with some spread, or give a numeric bandwidth")]
    ZeroVariance { what: &'static str },
    #[error("model JSON: {message}")]
    ModelJson { message: String },
}

pub(crate) fn invalid(
    name: &'static str,
    value: impl std::fmt::Display,
    expected: impl Into<String>,
) -> ShallowError {
    ShallowError::InvalidParameter {
        name,
        value: value.to_string(),
        expected: expected.into(),
    }
}
