//! The crate's one error type.
//!
//! Every variant that concerns a file carries its path, and its message names the field
//! (array name, line, row, column, header key) and what was expected, so a user can fix the
//! input without reading the source. New variants can be added freely; callers should match
//! on the few they handle and print the rest.

use std::path::{Path, PathBuf};

/// Everything that can go wrong while reading or writing data files.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// An operating-system error while opening, reading, writing or renaming a file.
    #[error("{}: cannot {action}: {source}", .path.display())]
    Io {
        path: PathBuf,
        /// What was being attempted, e.g. "open for reading".
        action: &'static str,
        #[source]
        source: std::io::Error,
    },

    /// The file content does not follow its format; `field` names the part that is wrong
    /// (e.g. "npy header", "array 'X'", "zip member 'y.npy'").
    #[error("{}: {field}: {detail}", .path.display())]
    Format {
        path: PathBuf,
        field: String,
        detail: String,
    },

    /// A valid file that uses a feature this crate does not read (MATLAB v7.3, object dtype, ...).
    #[error("{}: {detail}", .path.display())]
    Unsupported { path: PathBuf, detail: String },

    /// Binary data ends before the header says it should.
    #[error("{}: {field}: truncated: expected {expected} bytes of data, found {found}", .path.display())]
    Truncated {
        path: PathBuf,
        field: String,
        expected: u64,
        found: u64,
    },

    /// A container (.npz, .mat) lacks the named array.
    #[error("{}: array '{name}' not found; the file has: {}", .path.display(), list_or_none(.available))]
    MissingArray {
        path: PathBuf,
        name: String,
        available: Vec<String>,
    },

    /// An array has the wrong number of dimensions or the wrong size.
    #[error("{}: {field}: expected {expected}, found {found}", .path.display())]
    Shape {
        path: PathBuf,
        field: String,
        expected: String,
        found: String,
    },

    /// A NaN or infinite value in numeric data. Row and column are 0-based.
    #[error(
        "{}: {field}: row {row}, column {column} (0-based) is {value}; expected finite numbers (no NaN or Inf)",
        .path.display()
    )]
    NonFinite {
        path: PathBuf,
        field: String,
        row: usize,
        column: usize,
        value: f64,
    },

    /// A text field that is not a number. Line and column are 1-based, as in a text editor.
    #[error("{}: line {line}, column {column}{} (1-based): {detail}", .path.display(), column_name_suffix(.column_name))]
    BadField {
        path: PathBuf,
        line: usize,
        column: usize,
        column_name: Option<String>,
        detail: String,
    },

    /// A missing value (`?`, empty, `NA`, `NaN`) in a CSV file read without dropping rows.
    #[error(
        "{}: line {line}, column {column}{} (1-based): missing value {marker:?}; \
         remove the row or ask for rows with missing values to be dropped",
        .path.display(), column_name_suffix(.column_name)
    )]
    MissingValue {
        path: PathBuf,
        line: usize,
        column: usize,
        column_name: Option<String>,
        marker: String,
    },

    /// A CSV row whose field count differs from the first row's. Lines are 1-based.
    #[error(
        "{}: line {line}: expected {expected} fields (as on line {reference_line}), found {found}",
        .path.display()
    )]
    Ragged {
        path: PathBuf,
        line: usize,
        reference_line: usize,
        expected: usize,
        found: usize,
    },

    /// No data where data is required (empty file, 0 rows, 0 columns, every row dropped).
    #[error("{}: {detail}", .path.display())]
    Empty { path: PathBuf, detail: String },

    /// A label that is neither 0 (normal) nor 1 (anomaly). The index is 0-based.
    #[error("{}: {field}: entry {index} (0-based) is {value}; expected {expected}", .path.display())]
    BadLabel {
        path: PathBuf,
        field: String,
        index: usize,
        value: String,
        expected: String,
    },

    /// The file name's extension does not say which format to use.
    #[error("{}: unknown file extension {ext:?}; expected one of {expected}", .path.display())]
    UnknownExtension {
        path: PathBuf,
        ext: String,
        expected: &'static str,
    },

    /// In-memory construction of an array whose data length does not match its shape.
    #[error("array of shape {shape:?} needs {expected} values, but {found} were given")]
    ShapeMismatch {
        shape: Vec<usize>,
        expected: usize,
        found: usize,
    },

    /// Values that cannot be written (e.g. NaN scores).
    #[error("{}: {field}: {detail}", .path.display())]
    BadValue {
        path: PathBuf,
        field: String,
        detail: String,
    },

    /// A named dataset (or one of its files) that is not where it was looked for.
    #[error("{what}: not found; looked for {}{hint}", list_paths(.looked))]
    DatasetNotFound {
        what: String,
        looked: Vec<PathBuf>,
        /// Extra advice, starting with "; " when present.
        hint: String,
    },

    /// A parameter (command-line option, protocol setting) with an unusable value.
    #[error("{field}: {detail}")]
    InvalidArgument { field: String, detail: String },
}

fn list_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "no arrays".to_string()
    } else {
        names
            .iter()
            .map(|n| format!("'{n}'"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn column_name_suffix(name: &Option<String>) -> String {
    match name {
        Some(n) => format!(" ('{n}')"),
        None => String::new(),
    }
}

impl DataError {
    /// Shorthand for [`DataError::Io`].
    pub fn io(path: &Path, action: &'static str, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    }

    /// Shorthand for [`DataError::Format`].
    pub fn format(path: &Path, field: impl Into<String>, detail: impl Into<String>) -> Self {
        DataError::Format {
            path: path.to_path_buf(),
            field: field.into(),
            detail: detail.into(),
        }
    }
}
