//! `oneclass fit iforest|kde` and the PCA step of `oneclass fit ocsvm --pca`.

use crate::io::{self, AnyModel, TableArgs};
use anyhow::{bail, Context, Result};
use clap::Args;
use ndarray::Array2;
use oneclass_shallow::{Bandwidth, BandwidthSearch, Components, IsolationForestParams, KernelDensityParams, MaxSamples, Pca, PcaParams};
use std::path::PathBuf;
use std::time::Instant;

/// Input and output shared by the shallow methods.
#[derive(Args)]
pub struct CommonArgs {
    /// Training rows (.npy, .npz, .csv, .mat).
    #[arg(long)]
    pub train: PathBuf,
    /// Where to write the model (JSON).
    #[arg(long)]
    pub model: PathBuf,
    /// Drop CSV rows with missing values instead of failing.
    #[arg(long)]
    pub drop_missing: bool,
    #[command(flatten)]
    pub table: TableArgs,
}

#[derive(Args)]
pub struct IforestArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    #[arg(long, default_value_t = 100)]
    pub n_estimators: usize,
    /// Rows per tree: "auto" (min(256, n)), a count, or a fraction in (0, 1].
    #[arg(long, default_value = "auto")]
    pub max_samples: String,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

#[derive(Args)]
pub struct KdeArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// A positive number, "scott", "silverman" or "cv" (5-fold held-out likelihood over a log grid).
    #[arg(long, default_value = "scott")]
    pub bandwidth: String,
    /// Seed of the cross-validation folds.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

fn max_samples(text: &str) -> Result<MaxSamples> {
    Ok(match text {
        "auto" => MaxSamples::Auto,
        t if t.contains('.') => MaxSamples::Fraction(t.parse().with_context(|| format!("--max-samples {t:?}: expected auto, a count or a fraction"))?),
        t => MaxSamples::Count(t.parse().with_context(|| format!("--max-samples {t:?}: expected auto, a count or a fraction"))?),
    })
}

fn bandwidth(text: &str, seed: u64) -> Result<Bandwidth> {
    Ok(match text {
        "scott" => Bandwidth::Scott,
        "silverman" => Bandwidth::Silverman,
        "cv" => Bandwidth::Cv(BandwidthSearch { seed, ..BandwidthSearch::default() }),
        t => Bandwidth::Value(t.parse().with_context(|| format!("--bandwidth {t:?}: expected a positive number, scott, silverman or cv"))?),
    })
}

fn finish(common: &CommonArgs, model: AnyModel, x: &Array2<f64>, seconds: f64) -> Result<()> {
    io::write_text(&common.model, &model.to_json())?;
    println!("n = {}, d = {}, seconds = {seconds:.3}", x.nrows(), x.ncols());
    println!("model written to {}", common.model.display());
    Ok(())
}

pub fn fit_iforest(a: IforestArgs) -> Result<()> {
    let params = IsolationForestParams::new().n_estimators(a.n_estimators).max_samples(max_samples(&a.max_samples)?).seed(a.seed);
    params.check()?;
    let x = io::read_matrix(&a.common.train, &a.common.table, a.common.drop_missing)?;
    let start = Instant::now();
    let model = params.fit(x.view()).with_context(|| format!("{}", a.common.train.display()))?;
    finish(&a.common, AnyModel::Iforest(model), &x, start.elapsed().as_secs_f64())
}

pub fn fit_kde(a: KdeArgs) -> Result<()> {
    let params = KernelDensityParams::new().bandwidth(bandwidth(&a.bandwidth, a.seed)?);
    params.check()?;
    let x = io::read_matrix(&a.common.train, &a.common.table, a.common.drop_missing)?;
    let start = Instant::now();
    let model = params.fit(x.view()).with_context(|| format!("{}", a.common.train.display()))?;
    println!("bandwidth = {:.6e}", model.bandwidth());
    finish(&a.common, AnyModel::Kde(model), &x, start.elapsed().as_secs_f64())
}

/// PCA for `fit ocsvm --pca K`: K ≥ 1 = number of components, 0 < K < 1 = variance fraction.
pub fn fit_pca(x: &Array2<f64>, k: f64) -> Result<Pca> {
    let components = if k >= 1.0 && k.fract() == 0.0 {
        Components::Count(k as usize)
    } else if k > 0.0 && k < 1.0 {
        Components::VarianceFraction(k)
    } else {
        bail!("--pca {k}: expected a whole number of components ≥ 1 or a variance fraction in (0, 1)");
    };
    Ok(PcaParams::new().n_components(components).fit(x.view())?)
}
