//! Reading inputs and writing outputs the same way in every command.

use anyhow::{bail, Context, Result};
use ndarray::Array2;
use oneclass_data::{read_npy, read_table, write_atomic, CsvOptions, HeaderMode, TableOptions};
use oneclass_shallow::{IsolationForest, KernelDensity, Pca};
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
    /// An OCSVM on PCA features: the fitted PCA is kept so scoring applies the same transform.
    PcaOcsvm(Pca, OcsvmModel),
    Iforest(IsolationForest),
    Kde(KernelDensity),
    /// A deep model (JSON sidecar + `<model>.safetensors`); says which input shape it expects.
    Deep(Box<oneclass_deep::DeepModel>),
}

/// The common envelope of the shallow model files (the OCSVM writes the same one itself).
#[derive(serde::Serialize, serde::Deserialize)]
struct Envelope {
    format: String,
    version: u32,
    method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pca: Option<serde_json::Value>,
    model: serde_json::Value,
}

fn envelope(method: &str, pca: Option<&Pca>, model: serde_json::Value) -> String {
    let e = Envelope {
        format: oneclass_svm::model::MODEL_FORMAT.into(),
        version: oneclass_svm::model::MODEL_VERSION,
        method: method.into(),
        pca: pca.map(|p| serde_json::from_str(&p.to_json()).expect("valid JSON")),
        model,
    };
    serde_json::to_string(&e).expect("a model always serialises")
}

impl AnyModel {
    pub fn to_json(&self) -> String {
        let value = |json: String| serde_json::from_str::<serde_json::Value>(&json).expect("valid JSON");
        match self {
            AnyModel::Ocsvm(m) => m.to_json(),
            AnyModel::PcaOcsvm(p, m) => envelope("pca-ocsvm", Some(p), value(m.to_json())),
            AnyModel::Iforest(m) => envelope("iforest", None, value(m.to_json())),
            AnyModel::Kde(m) => envelope("kde", None, value(m.to_json())),
            AnyModel::Deep(m) => serde_json::to_string_pretty(&m.meta).expect("model metadata serialises"),
        }
    }

    /// Loads any model file; deep models are placed on `device` (shallow ones always run on the CPU).
    pub fn load(path: &Path, device: oneclass_deep::DeviceKind) -> Result<Self> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).with_context(|| format!("{name}: cannot read the model file"))?;
        let head: serde_json::Value = serde_json::from_str(&text).with_context(|| format!("{name}: not a JSON model file"))?;
        let method = match head.get("method").and_then(|m| m.as_str()) {
            Some(m) => m.to_string(),
            None => bail!("{name}: field \"method\" is missing; expected a model written by `oneclass fit`"),
        };
        if method == "ocsvm" {
            return Ok(AnyModel::Ocsvm(OcsvmModel::from_json(&text, &name)?));
        }
        if oneclass_deep::Method::parse(&method).is_ok() {
            let model = oneclass_deep::DeepModel::load(path, device)?;
            return Ok(AnyModel::Deep(Box::new(model)));
        }
        let e: Envelope = serde_json::from_value(head).with_context(|| format!("{name}: not a oneclass model file"))?;
        if e.format != oneclass_svm::model::MODEL_FORMAT || e.version != oneclass_svm::model::MODEL_VERSION {
            bail!("{name}: format {:?} version {}, expected {:?} version {}", e.format, e.version, oneclass_svm::model::MODEL_FORMAT, oneclass_svm::model::MODEL_VERSION);
        }
        let inner = e.model.to_string();
        let bad = |what: &str| format!("{name}: field \"model\" is not a valid {what} model");
        Ok(match method.as_str() {
            "pca-ocsvm" => {
                let pca = e.pca.with_context(|| format!("{name}: field \"pca\" is missing"))?;
                let pca = Pca::from_json(&pca.to_string()).with_context(|| format!("{name}: field \"pca\" is not a valid PCA"))?;
                AnyModel::PcaOcsvm(pca, OcsvmModel::from_json(&inner, &name)?)
            }
            "iforest" => AnyModel::Iforest(IsolationForest::from_json(&inner).with_context(|| bad("isolation forest"))?),
            "kde" => AnyModel::Kde(KernelDensity::from_json(&inner).with_context(|| bad("kernel density"))?),
            other => bail!("{name}: field \"method\" is {other:?}, which this build cannot score"),
        })
    }

    pub fn score(&self, x: &Array2<f64>) -> Result<Vec<f64>> {
        Ok(match self {
            AnyModel::Ocsvm(m) => m.score(x.view())?.to_vec(),
            AnyModel::PcaOcsvm(p, m) => m.score(p.transform(x.view())?.view())?.to_vec(),
            AnyModel::Iforest(m) => m.score(x.view())?.to_vec(),
            AnyModel::Kde(m) => m.score(x.view())?.to_vec(),
            AnyModel::Deep(m) => crate::fit_deep::score(m, x)?,
        })
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
