//! `oneclass eval`: AUROC, AUROC30, AUPR and F1 of scores against labels, as JSON; with
//! `--groups`, also the AUROC within each group (e.g. each corruption of an MNIST-C test file).

use crate::io::{self, TableArgs};
use anyhow::{bail, Context, Result};
use clap::Args;
use oneclass_data::{read_labels, read_mat_array, read_npz_array};
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct EvalArgs {
    /// Anomaly scores (.npy or one-column .csv), higher = more anomalous.
    #[arg(long)]
    pub scores: PathBuf,
    /// 0/1 labels, 1 = anomaly (.npy, .csv, or the `y` array of a .npz / .mat).
    #[arg(long)]
    pub labels: PathBuf,
    /// Fraction of top scores labelled anomalous for F1 (default: the fraction of anomalies).
    #[arg(long)]
    pub contamination: Option<f64>,
    /// Also report the AUROC within each group: NAME is an integer array of the --labels file
    /// (.npz or .mat), one id per score, e.g. `corruption` in `oneclass data protocol
    /// ogae-mnist-c` files. The pooled AUROC also ranks whole groups against each other.
    #[arg(long, value_name = "NAME")]
    pub groups: Option<String>,
    #[command(flatten)]
    pub table: TableArgs,
}

pub fn run(a: EvalArgs) -> Result<()> {
    let scores = io::read_vector(&a.scores)?;
    let labels = read_labels(&a.labels, &a.table.options(false))?;
    if scores.len() != labels.len() {
        bail!("{} has {} scores but {} has {} labels; expected one label per score", a.scores.display(), scores.len(), a.labels.display(), labels.len());
    }
    let e = oneclass_metrics::evaluate(&scores, &labels, a.contamination)?;
    let mut report = serde_json::to_value(&e)?;
    if let Some(name) = &a.groups {
        let groups = read_groups(&a.labels, name, scores.len())?;
        let within = oneclass_metrics::auroc_within_groups(&scores, &labels, &groups).with_context(|| format!("{}: AUROC within each `{name}` group", a.labels.display()))?;
        report["auroc_by_group"] = within.iter().map(|(g, v)| (g.to_string(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>().into();
    }
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// The integer array `name` of a .npz / .mat labels file, one id per score.
fn read_groups(path: &Path, name: &str, n: usize) -> Result<Vec<i64>> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let array = match ext.as_str() {
        "npz" => read_npz_array(path, name)?,
        "mat" => read_mat_array(path, name)?,
        _ => bail!("--groups {name}: reads an array of the --labels file, and {} is not a .npz or .mat file", path.display()),
    };
    let values = array.to_f64();
    if values.len() != n {
        bail!("{}: array `{name}` has {} values for {n} scores; expected one group id per score", path.display(), values.len());
    }
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| oneclass_data::table::exact_integer(v).with_context(|| format!("{}: `{name}`[{i}] = {v}; expected integer group ids", path.display())))
        .collect()
}
