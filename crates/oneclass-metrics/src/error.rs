use thiserror::Error;

/// Everything that can go wrong when computing a metric or a statistical test.
#[derive(Debug, Error)]
pub enum MetricsError {
    #[error("no samples: the score and label vectors are empty")]
    Empty,
    #[error("length mismatch: {scores} scores but {labels} labels")]
    LengthMismatch { scores: usize, labels: usize },
    #[error("score at index {index} is {value}; scores must be finite numbers")]
    NonFinite { index: usize, value: f64 },
    #[error("label at index {index} is {value}; labels must be 0 (normal) or 1 (anomaly)")]
    BadLabel { index: usize, value: u8 },
    #[error("only one class present ({positives} anomalies among {n} samples); the metric needs both normal (0) and anomalous (1) samples")]
    SingleClass { n: usize, positives: usize },
    #[error("score vector {model}: {source}")]
    InModel {
        model: usize,
        #[source]
        source: Box<MetricsError>,
    },
    #[error("group {group} is empty; every group needs at least one value")]
    EmptyGroup { group: usize },
    #[error("group {group}, index {index}: value {value} is not a finite number")]
    NonFiniteInGroup {
        group: usize,
        index: usize,
        value: f64,
    },
    #[error("all values in all groups are identical; the rank test is undefined")]
    AllValuesIdentical,
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
}
