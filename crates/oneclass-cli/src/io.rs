//! Reading inputs and writing outputs the same way in every command.

use anyhow::{bail, Context, Result};
use ndarray::Array2;
use oneclass_data::{read_npy, read_table, write_atomic, CsvOptions, HeaderMode, TableOptions};
use oneclass_svm::OcsvmModel;
use std::path::Path;

/// Options shared by every command that reads a table.
#[derive(clap::Args, Clone, Debug)]
pub struct TableArgs {
    /// Name of the data array in .npz / .mat files.
    #[arg(long, default_value = "X")]
    pub x_name: String,
    /// Name of the label array in .npz / .mat files.
    #[arg(long, default_value = "y")]
    pub y_name: String,
    /// CSV header: auto (a first line with a non-numeric field), yes or no.
    #[arg(long, default_value = "auto", value_parser = ["auto", "yes", "no"])]
    pub header: String,
}

impl TableArgs {
    pub fn options(&self, drop_missing_rows: bool) -> TableOptions {
        let header = match self.header.as_str() {
            "yes" => HeaderMode::Present,
            "no" => HeaderMode::Absent,
            _ => HeaderMode::Auto,
        };
        TableOptions {
            csv: CsvOptions { header, drop_missing_rows, ..CsvOptions::default() },
            x_name: self.x_name.clone(),
            y_name: self.y_name.clone(),
            ..TableOptions::default()
        }
    }
}

pub fn read_matrix(path: &Path, args: &TableArgs, drop_missing_rows: bool) -> Result<Array2<f64>> {
    let table = read_table(path, &args.options(drop_missing_rows))?;
    if !table.dropped_rows.is_empty() {
        eprintln!("{}: dropped {} rows with missing values", path.display(), table.dropped_rows.len());
    }
    Ok(table.x)
}

/// A score vector: a 1-D (or N×1) .npy, or a one-column CSV.
pub fn read_vector(path: &Path) -> Result<Vec<f64>> {
    let values = if path.extension().is_some_and(|e| e == "npy") {
        let a = read_npy(path)?;
        let n: usize = a.shape.iter().product();
        if !(a.shape.len() == 1 || (a.shape.len() == 2 && a.shape[1] == 1)) {
            bail!("{}: expected a 1-D array of scores, found shape {:?}", path.display(), a.shape);
        }
        let v = a.to_f64();
        debug_assert_eq!(v.len(), n);
        v
    } else {
        let opts = TableArgs { x_name: "X".into(), y_name: "y".into(), header: "auto".into() }.options(false);
        let t = read_table(path, &opts)?;
        if t.x.ncols() != 1 {
            bail!("{}: expected one score per line, found {} columns", path.display(), t.x.ncols());
        }
        t.x.column(0).to_vec()
    };
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        bail!("{}: score at row {i} (0-based) is {}; expected finite numbers", path.display(), values[i]);
    }
    Ok(values)
}

/// Any model the program can write; dispatched on the file's "method" field.
pub enum AnyModel {
    Ocsvm(OcsvmModel),
}

impl AnyModel {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read the model file", path.display()))?;
        let head: serde_json::Value = serde_json::from_str(&text).with_context(|| format!("{}: not a JSON model file", path.display()))?;
        match head.get("method").and_then(|m| m.as_str()) {
            Some("ocsvm") => Ok(AnyModel::Ocsvm(OcsvmModel::from_json(&text, &path.display().to_string())?)),
            Some(other) => bail!("{}: field \"method\" is {other:?}, which this build cannot score", path.display()),
            None => bail!("{}: field \"method\" is missing; expected a model written by `oneclass fit`", path.display()),
        }
    }

    pub fn score(&self, x: &Array2<f64>) -> Result<Vec<f64>> {
        match self {
            AnyModel::Ocsvm(m) => Ok(m.score(x.view())?.to_vec()),
        }
    }
}

/// Write text to `path` atomically (temporary file, then rename).
pub fn write_text(path: &Path, text: &str) -> Result<()> {
    write_atomic(path, |w| std::io::Write::write_all(w, text.as_bytes()))?;
    Ok(())
}

/// Peak resident memory of this process in MB (Linux), for reports.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub fn spinner(message: &str) -> indicatif::ProgressBar {
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_style(indicatif::ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("static template"));
    pb.set_message(message.to_string());
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    pb
}
