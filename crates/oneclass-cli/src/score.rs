//! `oneclass score`: anomaly scores, higher = more anomalous.

use crate::io::{self, AnyModel, TableArgs};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub struct ScoreArgs {
    /// Model file written by `oneclass fit`.
    #[arg(long)]
    pub model: PathBuf,
    /// Rows to score (.npy, .npz, .csv, .mat).
    #[arg(long)]
    pub input: PathBuf,
    /// Scores, one per row (.npy or .csv).
    #[arg(long)]
    pub output: PathBuf,
    #[command(flatten)]
    pub table: TableArgs,
    /// Where a deep model scores: cpu, or gpu for a build with `--features wgpu`.
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

pub fn run(a: ScoreArgs) -> Result<()> {
    let model = AnyModel::load(&a.model, oneclass_deep::DeviceKind::parse(&a.device)?)?;
    let x = io::read_matrix(&a.input, &a.table, false)?;
    let start = Instant::now();
    let scores = model.score(&x)?;
    let seconds = start.elapsed().as_secs_f64();
    oneclass_data::write_scores(&a.output, &scores)?;
    println!("scored {} rows in {seconds:.3} s; written to {}", scores.len(), a.output.display());
    Ok(())
}
