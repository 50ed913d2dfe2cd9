//! Dense 2-D data tables and 0/1 labels from any supported file, and score output.
//!
//! Formats are chosen by extension (case-insensitive): `.npy`, `.npz`, `.mat`, and delimited
//! text `.csv`, `.tsv`, `.txt`, `.data` (the UCI repository's name for CSV files).
//! - `.npy`: the array is the table. A 1-D array is refused (reshape to (n, 1) for one
//!   feature); arrays with 3 or more dimensions, e.g. images N×C×H×W, are flattened to
//!   N×(C·H·W) in C order, so column indices of such tables count flattened features.
//! - `.npz` / `.mat`: the array named `x_name` (default `X`) is the table; the array named
//!   `y_name` (default `y`), when present, gives the labels (ADBench and ODDS layout).
//! - text: see [`crate::csv`]; labels come from `label_column` when given.
//!
//! Every value must be finite and the table must have at least one row and one column.
//! Labels are 0 (normal) or 1 (anomaly); see [`LabelRule`] for class-coded files.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use ndarray::Array2;

use crate::atomic::write_atomic;
use crate::csv::{read_csv, CsvOptions};
use crate::error::DataError;
use crate::mat::{find_mat_array, read_mat_contents};
use crate::npy::{read_npy, shape_string, write_npy, NpyArray, NpyData};
use crate::npz::{npz_names, read_npz, read_npz_array};

/// How label values in a file become 0/1 labels.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LabelRule {
    /// Values must be 0 (normal) or 1 (anomaly); floats 0.0/1.0 and booleans are accepted.
    #[default]
    Binary,
    /// Integer class codes; these classes are anomalies (1), all others normal (0).
    AnomalyClasses(Vec<i64>),
    /// Integer class codes; these classes are normal (0), all others anomalies (1).
    NormalClasses(Vec<i64>),
}

/// How to read a table.
#[derive(Debug, Clone)]
pub struct TableOptions {
    pub csv: CsvOptions,
    /// Array holding the data in `.npz` / `.mat` files.
    pub x_name: String,
    /// Array holding the labels in `.npz` / `.mat` files.
    pub y_name: String,
    pub labels: LabelRule,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            csv: CsvOptions::default(),
            x_name: "X".to_string(),
            y_name: "y".to_string(),
            labels: LabelRule::Binary,
        }
    }
}

/// A data table: one row per sample, one column per feature.
#[derive(Debug, Clone)]
pub struct Table {
    pub x: Array2<f64>,
    /// 0/1 labels (1 = anomaly), one per row, when the file or a label file has them.
    pub y: Option<Vec<u8>>,
    pub source: PathBuf,
    /// 0-based data-row indices dropped for missing values (CSV only).
    pub dropped_rows: Vec<usize>,
    /// 0-based file column indices dropped for missing values (CSV only).
    pub dropped_columns: Vec<usize>,
}

const TABLE_EXTENSIONS: &str = ".npy, .npz, .mat, .csv, .tsv, .txt, .data";
const SCORE_EXTENSIONS: &str = ".npy, .csv, .txt";

enum Format {
    Npy,
    Npz,
    Mat,
    Text,
}

fn format_of(path: &Path, expected: &'static str) -> Result<Format, DataError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "npy" => Ok(Format::Npy),
        "npz" => Ok(Format::Npz),
        "mat" => Ok(Format::Mat),
        // `.data` is the UCI repository's name for comma-separated files.
        "csv" | "txt" | "tsv" | "data" => Ok(Format::Text),
        _ => Err(DataError::UnknownExtension {
            path: path.to_path_buf(),
            ext: if ext.is_empty() {
                "(none)".into()
            } else {
                format!(".{ext}")
            },
            expected,
        }),
    }
}

/// Reads a table (see the module docs for what each format gives).
pub fn read_table(path: &Path, opts: &TableOptions) -> Result<Table, DataError> {
    match format_of(path, TABLE_EXTENSIONS)? {
        Format::Npy => {
            let a = read_npy(path)?;
            let x = array_to_matrix(path, "array", &a)?;
            Ok(simple_table(path, x, None))
        }
        Format::Npz => {
            let arrays = read_npz(path)?;
            let Some(xa) = arrays
                .iter()
                .find(|(n, _)| *n == opts.x_name)
                .map(|(_, a)| a)
            else {
                return Err(DataError::MissingArray {
                    path: path.to_path_buf(),
                    name: opts.x_name.clone(),
                    available: arrays.into_iter().map(|(n, _)| n).collect(),
                });
            };
            let x = array_to_matrix(path, &format!("array '{}'", opts.x_name), xa)?;
            let y = match arrays.iter().find(|(n, _)| *n == opts.y_name) {
                Some((_, ya)) => Some(container_labels(path, opts, ya, x.nrows())?),
                None => None,
            };
            Ok(simple_table(path, x, y))
        }
        Format::Mat => {
            let contents = read_mat_contents(path)?;
            let has_y = contents.arrays.iter().any(|(n, _)| *n == opts.y_name)
                || contents.skipped.iter().any(|(n, _)| *n == opts.y_name);
            let xa = find_mat_array(path, &contents, &opts.x_name)?;
            let x = array_to_matrix(path, &format!("variable '{}'", opts.x_name), xa)?;
            let y = if has_y {
                let ya = find_mat_array(path, &contents, &opts.y_name)?;
                Some(container_labels(path, opts, ya, x.nrows())?)
            } else {
                None
            };
            Ok(simple_table(path, x, y))
        }
        Format::Text => {
            let t = read_csv(path, &opts.csv)?;
            if t.n_cols == 0 {
                return Err(DataError::Empty {
                    path: path.to_path_buf(),
                    detail: "no feature columns (the only column is the label column)".into(),
                });
            }
            let y = match &t.labels {
                Some(values) => Some(labels_from_f64(
                    path,
                    "label column",
                    values.iter().copied(),
                    &opts.labels,
                )?),
                None => None,
            };
            let x = Array2::from_shape_vec((t.n_rows, t.n_cols), t.values).map_err(|e| {
                DataError::format(path, "table", format!("internal shape error: {e}"))
            })?;
            Ok(Table {
                x,
                y,
                source: path.to_path_buf(),
                dropped_rows: t.dropped_rows,
                dropped_columns: t.dropped_columns,
            })
        }
    }
}

fn simple_table(path: &Path, x: Array2<f64>, y: Option<Vec<u8>>) -> Table {
    Table {
        x,
        y,
        source: path.to_path_buf(),
        dropped_rows: Vec::new(),
        dropped_columns: Vec::new(),
    }
}

fn container_labels(
    path: &Path,
    opts: &TableOptions,
    ya: &NpyArray,
    n_rows: usize,
) -> Result<Vec<u8>, DataError> {
    let field = format!("array '{}'", opts.y_name);
    let y = labels_from_array(path, &field, ya, &opts.labels)?;
    if y.len() != n_rows {
        return Err(DataError::Shape {
            path: path.to_path_buf(),
            field,
            expected: format!("{n_rows} labels, one per row of '{}'", opts.x_name),
            found: format!("{} labels", y.len()),
        });
    }
    Ok(y)
}

/// Turns an array into a rows × features matrix: 2-D as is, ≥3-D flattened per row (8-bit
/// images scaled to [0, 1], see [`NpyArray::to_model_values`]), with every value checked finite.
pub fn array_to_matrix(path: &Path, field: &str, a: &NpyArray) -> Result<Array2<f64>, DataError> {
    let (rows, cols) = match a.shape.len() {
        0 | 1 => {
            let hint = if a.shape.len() == 1 {
                "; for a single feature, reshape it to (n, 1)"
            } else {
                ""
            };
            return Err(DataError::Shape {
                path: path.to_path_buf(),
                field: field.to_string(),
                expected: "a 2-D array (rows × features)".into(),
                found: format!(
                    "a {}-D array of shape {}{hint}",
                    a.shape.len(),
                    shape_string(&a.shape)
                ),
            });
        }
        _ => (a.shape[0], a.shape[1..].iter().product::<usize>()),
    };
    if rows == 0 || cols == 0 {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            detail: format!(
                "{field}: shape {} has no {}; expected at least one row and one feature",
                shape_string(&a.shape),
                if rows == 0 { "rows" } else { "features" }
            ),
        });
    }
    let values = a.to_model_values();
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(DataError::NonFinite {
            path: path.to_path_buf(),
            field: field.to_string(),
            row: i / cols,
            column: i % cols,
            value: values[i],
        });
    }
    Array2::from_shape_vec((rows, cols), values)
        .map_err(|e| DataError::format(path, field, format!("internal shape error: {e}")))
}

/// Reads 0/1 labels: `.npy` 1-D (or N×1), `.csv`/`.txt` with one column (or the
/// `label_column`), `.npz`/`.mat` array `y_name`.
pub fn read_labels(path: &Path, opts: &TableOptions) -> Result<Vec<u8>, DataError> {
    match format_of(path, TABLE_EXTENSIONS)? {
        Format::Npy => {
            let a = read_npy(path)?;
            labels_from_array(path, "array", &a, &opts.labels)
        }
        Format::Npz => {
            let a = read_npz_array(path, &opts.y_name)?;
            labels_from_array(path, &format!("array '{}'", opts.y_name), &a, &opts.labels)
        }
        Format::Mat => {
            let contents = read_mat_contents(path)?;
            let a = find_mat_array(path, &contents, &opts.y_name)?;
            labels_from_array(
                path,
                &format!("variable '{}'", opts.y_name),
                a,
                &opts.labels,
            )
        }
        Format::Text => {
            // Labels must stay aligned with data rows, so nothing is dropped here.
            let csv_opts = CsvOptions {
                drop_missing_rows: false,
                drop_missing_columns: false,
                ..opts.csv.clone()
            };
            let t = read_csv(path, &csv_opts)?;
            let values = match t.labels {
                Some(v) => v,
                None if t.n_cols == 1 => t.values,
                None => {
                    return Err(DataError::Shape {
                        path: path.to_path_buf(),
                        field: "labels".into(),
                        expected: "one column of labels (or a label column to use)".into(),
                        found: format!("{} columns", t.n_cols),
                    })
                }
            };
            labels_from_f64(path, "labels", values.into_iter(), &opts.labels)
        }
    }
}

/// Checks a label array's shape (n, (n, 1) or (1, n)) and converts its values.
pub fn labels_from_array(
    path: &Path,
    field: &str,
    a: &NpyArray,
    rule: &LabelRule,
) -> Result<Vec<u8>, DataError> {
    let is_vector = matches!(a.shape.as_slice(), [_] | [_, 1] | [1, _]);
    if !is_vector {
        return Err(DataError::Shape {
            path: path.to_path_buf(),
            field: field.to_string(),
            expected: "a 1-D label array of shape (n,) or (n, 1)".into(),
            found: format!("shape {}", shape_string(&a.shape)),
        });
    }
    if a.is_empty() {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            detail: format!("{field}: no labels"),
        });
    }
    // Integer types are checked exactly, without a detour through f64.
    match (rule, &a.data) {
        (LabelRule::Binary, NpyData::I64(v)) => binary_integer_labels(path, field, v, rule),
        (LabelRule::Binary, NpyData::U64(v)) => binary_integer_labels(path, field, v, rule),
        _ => labels_from_f64(path, field, a.to_f64().into_iter(), rule),
    }
}

fn binary_integer_labels<T: Copy + Into<i128>>(
    path: &Path,
    field: &str,
    values: &[T],
    rule: &LabelRule,
) -> Result<Vec<u8>, DataError> {
    values
        .iter()
        .enumerate()
        .map(|(i, &x)| match x.into() {
            v @ (0 | 1) => Ok(v as u8),
            v => Err(bad_label(path, field, i, v.to_string(), rule)),
        })
        .collect()
}

fn bad_label(path: &Path, field: &str, index: usize, value: String, rule: &LabelRule) -> DataError {
    let expected = match rule {
        LabelRule::Binary => "0 (normal) or 1 (anomaly)".to_string(),
        LabelRule::AnomalyClasses(_) | LabelRule::NormalClasses(_) => {
            "an integer class code".to_string()
        }
    };
    DataError::BadLabel {
        path: path.to_path_buf(),
        field: field.to_string(),
        index,
        value,
        expected,
    }
}

fn show(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Converts label values by the rule; the first bad value is reported with its 0-based index.
pub fn labels_from_f64(
    path: &Path,
    field: &str,
    values: impl Iterator<Item = f64>,
    rule: &LabelRule,
) -> Result<Vec<u8>, DataError> {
    let classes: BTreeSet<i64> = match rule {
        LabelRule::Binary => BTreeSet::new(),
        LabelRule::AnomalyClasses(c) | LabelRule::NormalClasses(c) => c.iter().copied().collect(),
    };
    values
        .enumerate()
        .map(|(i, v)| match rule {
            LabelRule::Binary => {
                if v == 0.0 {
                    Ok(0)
                } else if v == 1.0 {
                    Ok(1)
                } else {
                    Err(bad_label(path, field, i, show(v), rule))
                }
            }
            LabelRule::AnomalyClasses(_) | LabelRule::NormalClasses(_) => {
                let Some(code) = exact_integer(v) else {
                    return Err(bad_label(path, field, i, show(v), rule));
                };
                let listed = classes.contains(&code);
                let anomaly = match rule {
                    LabelRule::AnomalyClasses(_) => listed,
                    _ => !listed,
                };
                Ok(anomaly as u8)
            }
        })
        .collect()
}

/// `v` as an integer code (class, group) when it is one exactly: finite, no fraction, and small
/// enough that every such f64 is a distinct integer.
pub fn exact_integer(v: f64) -> Option<i64> {
    (v.is_finite() && v.fract() == 0.0 && v.abs() <= 9.0e15).then_some(v as i64)
}

/// Reads a table and, when `labels_path` is given, its labels from that file (which takes
/// precedence over labels inside the data file). A label file with one label per original
/// row of a CSV whose rows were dropped is aligned by dropping the same rows.
pub fn read_table_with_labels(
    path: &Path,
    labels_path: Option<&Path>,
    opts: &TableOptions,
) -> Result<Table, DataError> {
    let mut table = read_table(path, opts)?;
    let Some(lp) = labels_path else {
        return Ok(table);
    };
    let labels = read_labels(lp, opts)?;
    let n = table.x.nrows();
    let aligned = if labels.len() == n {
        labels
    } else if !table.dropped_rows.is_empty() && labels.len() == n + table.dropped_rows.len() {
        let dropped: BTreeSet<usize> = table.dropped_rows.iter().copied().collect();
        labels
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !dropped.contains(i))
            .map(|(_, l)| l)
            .collect()
    } else {
        let original = n + table.dropped_rows.len();
        return Err(DataError::Shape {
            path: lp.to_path_buf(),
            field: "labels".into(),
            expected: format!("{original} labels, one per data row of {}", path.display()),
            found: format!("{} labels", labels.len()),
        });
    };
    table.y = Some(aligned);
    Ok(table)
}

/// The names of the arrays in an `.npz` or `.mat` file (numeric ones for `.mat`).
pub fn container_names(path: &Path) -> Result<Vec<String>, DataError> {
    match format_of(path, ".npz, .mat")? {
        Format::Npz => npz_names(path),
        Format::Mat => Ok(read_mat_contents(path)?
            .arrays
            .into_iter()
            .map(|(n, _)| n)
            .collect()),
        _ => Err(DataError::UnknownExtension {
            path: path.to_path_buf(),
            ext: path
                .extension()
                .map(|e| format!(".{}", e.to_string_lossy()))
                .unwrap_or_default(),
            expected: ".npz, .mat",
        }),
    }
}

/// Writes anomaly scores, atomically: `.npy` as a 1-D float64 array, `.csv`/`.txt` as one
/// value per line in the shortest form that reads back to the same f64. Non-finite scores
/// are refused (they would mean a bug upstream).
pub fn write_scores(path: &Path, scores: &[f64]) -> Result<(), DataError> {
    let format = format_of(path, SCORE_EXTENSIONS)?;
    if scores.is_empty() {
        return Err(DataError::BadValue {
            path: path.to_path_buf(),
            field: "scores".into(),
            detail: "there are no scores to write".into(),
        });
    }
    if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
        return Err(DataError::BadValue {
            path: path.to_path_buf(),
            field: "scores".into(),
            detail: format!(
                "score {i} (0-based) is {}; expected finite scores",
                scores[i]
            ),
        });
    }
    match format {
        Format::Npy => write_npy(
            path,
            &NpyArray {
                shape: vec![scores.len()],
                data: NpyData::F64(scores.to_vec()),
            },
        ),
        Format::Text => write_atomic(path, |w| {
            for s in scores {
                // `{:?}` prints the shortest representation that parses back exactly.
                writeln!(w, "{s:?}")?;
            }
            Ok(())
        }),
        Format::Npz | Format::Mat => Err(DataError::UnknownExtension {
            path: path.to_path_buf(),
            ext: path
                .extension()
                .map(|e| format!(".{}", e.to_string_lossy()))
                .unwrap_or_default(),
            expected: SCORE_EXTENSIONS,
        }),
    }
}
