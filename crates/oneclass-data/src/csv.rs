//! Numeric delimited text (CSV, TSV, semicolon- or whitespace-separated `.txt`).
//!
//! Rules, chosen so that mistakes are reported rather than guessed around:
//! - Blank lines and lines starting with `#` (NumPy `savetxt` headers) are ignored.
//! - The delimiter is `,`, `;` or tab, whichever occurs most on the first content line; if
//!   none occurs, fields are separated by runs of whitespace. It can also be given.
//! - Header: with [`HeaderMode::Auto`], the first content line is a header when one of its
//!   fields is neither a number nor a missing-value marker. (A header made only of numbers
//!   is read as data; use [`HeaderMode::Present`] for such files.)
//! - Missing values are empty fields, `?`, `NA`, `N/A` and `NaN` (any case). They are an
//!   error naming the line and column unless rows (or columns) with missing values are to be
//!   dropped. Infinite values are always an error.
//! - Every row must have as many fields as the first one (or the header).
//! - Fields may be wrapped in double quotes; quoted delimiters are not supported (this reader
//!   is for numeric tables).
//!
//! Line and column numbers in errors are 1-based, as a text editor shows them.

use std::path::Path;

use crate::error::DataError;

/// Whether the first content line is a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderMode {
    /// A header when its first content line has a non-numeric field.
    #[default]
    Auto,
    Present,
    Absent,
}

/// How to read a delimited text file.
#[derive(Debug, Clone, Default)]
pub struct CsvOptions {
    pub header: HeaderMode,
    /// Drop rows that contain a missing value instead of failing; the dropped rows are
    /// reported (0-based data-row indices) so separate label files can be aligned.
    pub drop_missing_rows: bool,
    /// Drop feature columns that contain any missing value (what ODDS did to build
    /// `arrhythmia.mat` from the UCI file). Applied before `drop_missing_rows`; the label
    /// column is never dropped this way.
    pub drop_missing_columns: bool,
    /// Column holding the labels, removed from the features. Negative counts from the end:
    /// -1 is the last column.
    pub label_column: Option<isize>,
    /// Field delimiter; `None` detects `,` `;` or tab; `Some(b' ')` means runs of whitespace.
    pub delimiter: Option<u8>,
}

/// A numeric table read from text.
#[derive(Debug, Clone)]
pub struct CsvTable {
    /// Header names of the kept feature columns, when the file has a header.
    pub header: Option<Vec<String>>,
    /// Feature values, row-major, `n_rows * n_cols`.
    pub values: Vec<f64>,
    pub n_rows: usize,
    pub n_cols: usize,
    /// Raw values of the label column for the kept rows, when a label column was given.
    pub labels: Option<Vec<f64>>,
    /// 1-based file line of each kept row.
    pub line_numbers: Vec<usize>,
    /// 0-based data-row indices (header, blank and comment lines not counted) of rows dropped
    /// for missing values.
    pub dropped_rows: Vec<usize>,
    /// 0-based column indices in the file of feature columns dropped for missing values.
    pub dropped_columns: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delimiter {
    Char(char),
    Whitespace,
}

fn is_missing_marker(field: &str) -> bool {
    field.is_empty()
        || field == "?"
        || field.eq_ignore_ascii_case("na")
        || field.eq_ignore_ascii_case("n/a")
        || field.eq_ignore_ascii_case("nan")
}

fn unquote(field: &str) -> &str {
    let f = field.trim();
    if f.len() >= 2 && f.starts_with('"') && f.ends_with('"') {
        f[1..f.len() - 1].trim()
    } else {
        f
    }
}

fn split_fields(line: &str, delimiter: Delimiter) -> Vec<&str> {
    match delimiter {
        Delimiter::Char(c) => line.split(c).map(unquote).collect(),
        Delimiter::Whitespace => line.split_whitespace().map(unquote).collect(),
    }
}

fn detect_delimiter(line: &str) -> Delimiter {
    let mut best = None;
    let mut best_count = 0;
    for c in [',', ';', '\t'] {
        let count = line.matches(c).count();
        if count > best_count {
            best = Some(c);
            best_count = count;
        }
    }
    best.map_or(Delimiter::Whitespace, Delimiter::Char)
}

enum Cell {
    Value(f64),
    Missing(String),
}

/// Reads a numeric delimited text file (see the module docs for the rules).
pub fn read_csv(path: &Path, opts: &CsvOptions) -> Result<CsvTable, DataError> {
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, "read", e))?;
    parse_csv(&bytes, path, opts)
}

pub(crate) fn parse_csv(
    bytes: &[u8],
    path: &Path,
    opts: &CsvOptions,
) -> Result<CsvTable, DataError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.is_empty() {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            detail: "the file is empty; expected rows of numbers".into(),
        });
    }

    // Content lines with their 1-based line numbers.
    let mut lines: Vec<(usize, &str)> = Vec::new();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let text = std::str::from_utf8(raw).map_err(|_| DataError::BadField {
            path: path.to_path_buf(),
            line: i + 1,
            column: 1,
            column_name: None,
            detail: "the line is not valid UTF-8 text".into(),
        })?;
        let text = text.strip_suffix('\r').unwrap_or(text);
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        lines.push((i + 1, text));
    }
    let Some(&(first_line_no, first_line)) = lines.first() else {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            detail:
                "the file has no data lines (only blank or comment lines); expected rows of numbers"
                    .into(),
        });
    };

    let delimiter = match opts.delimiter {
        None => detect_delimiter(first_line),
        Some(b' ') => Delimiter::Whitespace,
        Some(b) => Delimiter::Char(b as char),
    };

    let first_fields = split_fields(first_line, delimiter);
    let has_header = match opts.header {
        HeaderMode::Present => true,
        HeaderMode::Absent => false,
        HeaderMode::Auto => first_fields
            .iter()
            .any(|f| !is_missing_marker(f) && f.parse::<f64>().is_err()),
    };
    let (header, data_lines) = if has_header {
        let names: Vec<String> = first_fields.iter().map(|s| s.to_string()).collect();
        (Some(names), &lines[1..])
    } else {
        (None, &lines[..])
    };
    let Some(&(reference_line, reference_text)) = (if has_header {
        Some(&(first_line_no, first_line))
    } else {
        data_lines.first()
    }) else {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            detail: format!(
                "only a header on line {first_line_no}; expected rows of numbers after it"
            ),
        });
    };
    let n_fields = split_fields(reference_text, delimiter).len();
    if data_lines.is_empty() {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            detail: format!(
                "only a header on line {first_line_no}; expected rows of numbers after it"
            ),
        });
    }

    let column_name = |c: usize| header.as_ref().and_then(|h| h.get(c).cloned());

    // Parse every cell; shape and syntax errors are reported at once.
    let mut cells: Vec<Cell> = Vec::with_capacity(data_lines.len() * n_fields);
    for &(line_no, text) in data_lines {
        let fields = split_fields(text, delimiter);
        if fields.len() != n_fields {
            return Err(DataError::Ragged {
                path: path.to_path_buf(),
                line: line_no,
                reference_line,
                expected: n_fields,
                found: fields.len(),
            });
        }
        for (c, field) in fields.iter().enumerate() {
            if is_missing_marker(field) {
                cells.push(Cell::Missing(field.to_string()));
                continue;
            }
            match field.parse::<f64>() {
                Ok(v) if v.is_nan() => cells.push(Cell::Missing(field.to_string())),
                Ok(v) if v.is_infinite() => {
                    return Err(DataError::BadField {
                        path: path.to_path_buf(),
                        line: line_no,
                        column: c + 1,
                        column_name: column_name(c),
                        detail: format!("value {field:?} is infinite; expected a finite number"),
                    })
                }
                Ok(v) => cells.push(Cell::Value(v)),
                Err(_) => {
                    return Err(DataError::BadField {
                        path: path.to_path_buf(),
                        line: line_no,
                        column: c + 1,
                        column_name: column_name(c),
                        detail: format!("cannot read {field:?} as a number"),
                    })
                }
            }
        }
    }

    let label_index = match opts.label_column {
        None => None,
        Some(k) => {
            let idx = if k < 0 { n_fields as isize + k } else { k };
            if idx < 0 || idx as usize >= n_fields {
                return Err(DataError::Shape {
                    path: path.to_path_buf(),
                    field: "label column".into(),
                    expected: format!("an index in 0..{n_fields} or -{n_fields}..-1 (the file has {n_fields} columns)"),
                    found: k.to_string(),
                });
            }
            Some(idx as usize)
        }
    };

    let n_data = data_lines.len();
    let cell = |r: usize, c: usize| &cells[r * n_fields + c];

    let mut dropped_columns = Vec::new();
    if opts.drop_missing_columns {
        for c in 0..n_fields {
            if Some(c) != label_index && (0..n_data).any(|r| matches!(cell(r, c), Cell::Missing(_)))
            {
                dropped_columns.push(c);
            }
        }
    }
    let kept_columns: Vec<usize> = (0..n_fields)
        .filter(|&c| Some(c) != label_index && !dropped_columns.contains(&c))
        .collect();
    let checked_columns: Vec<usize> = kept_columns.iter().copied().chain(label_index).collect();

    let mut values = Vec::with_capacity(n_data * kept_columns.len());
    let mut labels = label_index.map(|_| Vec::with_capacity(n_data));
    let mut line_numbers = Vec::with_capacity(n_data);
    let mut dropped_rows = Vec::new();
    for (r, &(line_no, _)) in data_lines.iter().enumerate() {
        let missing = checked_columns.iter().find_map(|&c| match cell(r, c) {
            Cell::Missing(marker) => Some((c, marker)),
            Cell::Value(_) => None,
        });
        if let Some((c, marker)) = missing {
            if opts.drop_missing_rows {
                dropped_rows.push(r);
                continue;
            }
            return Err(DataError::MissingValue {
                path: path.to_path_buf(),
                line: line_no,
                column: c + 1,
                column_name: column_name(c),
                marker: marker.clone(),
            });
        }
        let value = |c: usize| match cell(r, c) {
            Cell::Value(v) => *v,
            Cell::Missing(_) => f64::NAN, // excluded by the check above
        };
        values.extend(kept_columns.iter().map(|&c| value(c)));
        if let (Some(labels), Some(li)) = (labels.as_mut(), label_index) {
            labels.push(value(li));
        }
        line_numbers.push(line_no);
    }

    let n_rows = line_numbers.len();
    if n_rows == 0 {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            detail: format!(
                "all {n_data} data rows have missing values and were dropped; no rows left"
            ),
        });
    }
    if kept_columns.is_empty() && label_index.is_none() {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            detail: format!(
                "all {n_fields} columns have missing values and were dropped; no columns left"
            ),
        });
    }
    let header = header.map(|h| kept_columns.iter().map(|&c| h[c].clone()).collect());
    Ok(CsvTable {
        header,
        n_cols: kept_columns.len(),
        values,
        n_rows,
        labels,
        line_numbers,
        dropped_rows,
        dropped_columns,
    })
}
