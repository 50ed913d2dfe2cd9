//! `oneclass score`: anomaly scores, higher = more anomalous.

use crate::io::{self, AnyModel, TableArgs};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;

/// A model file and the rows it reads (shared by `score` and `embed`).
#[derive(Args)]
pub struct ModelRows {
    /// Model file written by `oneclass fit`.
    #[arg(long)]
    pub model: PathBuf,
    /// Rows to read (.npy, .npz, .csv, .mat).
    #[arg(long)]
    pub input: PathBuf,
    #[command(flatten)]
    pub table: TableArgs,
    /// Where a deep model runs: cpu, or gpu for a build with `--features wgpu`.
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

impl ModelRows {
    fn load(&self) -> Result<(AnyModel, ndarray::Array2<f64>)> {
        let model = AnyModel::load(&self.model, oneclass_deep::DeviceKind::parse(&self.device)?)?;
        Ok((model, io::read_matrix(&self.input, &self.table, false)?))
    }
}

#[derive(Args)]
pub struct ScoreArgs {
    #[command(flatten)]
    pub rows: ModelRows,
    /// Scores, one per row (.npy or .csv).
    #[arg(long)]
    pub output: PathBuf,
}

pub fn run(a: ScoreArgs) -> Result<()> {
    let (model, x) = a.rows.load()?;
    let start = Instant::now();
    let scores = model.score(&x)?;
    let seconds = start.elapsed().as_secs_f64();
    oneclass_data::write_scores(&a.output, &scores)?;
    println!("scored {} rows in {seconds:.3} s; written to {}", scores.len(), a.output.display());
    Ok(())
}

#[derive(Args)]
pub struct EmbedArgs {
    #[command(flatten)]
    pub rows: ModelRows,
    /// Codes, an n × width float64 array (.npy).
    #[arg(long)]
    pub output: PathBuf,
}

/// `oneclass embed`: the encoder's codes of a deep model (a VAE gives μ and log σ², side by
/// side), for a latent detector of the user's own or a plot.
pub fn embed(a: EmbedArgs) -> Result<()> {
    if a.output.extension().and_then(|e| e.to_str()) != Some("npy") {
        anyhow::bail!("{}: expected a .npy output file for the codes", a.output.display());
    }
    let (AnyModel::Deep(model), x) = a.rows.load()? else {
        anyhow::bail!("{}: field \"method\" names a shallow detector; `oneclass embed` needs a deep model with an encoder", a.rows.model.display());
    };
    let codes = crate::fit_deep::codes(&model, &x)?;
    let width = codes.len() / x.nrows().max(1);
    let array = oneclass_data::NpyArray::new(vec![x.nrows(), width], oneclass_data::NpyData::F64(codes))?;
    oneclass_data::write_npy(&a.output, &array)?;
    println!("encoded {} rows into {width} values each; written to {}", x.nrows(), a.output.display());
    Ok(())
}
