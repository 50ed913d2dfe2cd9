//! `oneclass eval`: AUROC, AUROC30, AUPR and F1 of scores against labels, as JSON.

use crate::io::{self, TableArgs};
use anyhow::{bail, Result};
use clap::Args;
use oneclass_data::read_labels;
use std::path::PathBuf;

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
    println!("{}", serde_json::to_string(&e)?);
    Ok(())
}
