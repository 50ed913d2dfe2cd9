//! `oneclass demo`: the whole path on a built-in real dataset, no files needed.
//!
//! ODDS thyroid (3,772 × 6, 93 anomalies; Rayana 2016) is compiled into the binary. A seeded
//! stratified 60/40 split; the OCSVM is fitted on the normal rows of the training part (the
//! one-class setting) and scores the test part.

use anyhow::{Context, Result};
use clap::Args;
use ndarray::{Array2, Axis};
use oneclass_svm::{Gamma, OcsvmParams};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::path::Path;
use std::time::Instant;

const THYROID: &[u8] = include_bytes!("../assets/odds-thyroid.mat");

#[derive(Args)]
pub struct DemoArgs {
    #[arg(long, default_value_t = 0.1)]
    pub nu: f64,
    #[arg(long, default_value = "scale")]
    pub gamma: Gamma,
    /// Seed of the train/test split.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// Stratified split: a fraction `train` of each class goes to the training part.
fn stratified_split(y: &[u8], train: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let (mut tr, mut te) = (Vec::new(), Vec::new());
    for class in [0u8, 1] {
        let mut idx: Vec<usize> = (0..y.len()).filter(|&i| y[i] == class).collect();
        idx.shuffle(&mut rng);
        let k = (train * idx.len() as f64).round() as usize;
        tr.extend_from_slice(&idx[..k]);
        te.extend_from_slice(&idx[k..]);
    }
    tr.sort_unstable();
    te.sort_unstable();
    (tr, te)
}

pub fn run(a: DemoArgs) -> Result<()> {
    let name = Path::new("odds-thyroid.mat (built in)");
    let contents = oneclass_data::mat::parse_mat_bytes(THYROID, name)?;
    let get = |n: &str| contents.arrays.iter().find(|(k, _)| k == n).map(|(_, a)| a).with_context(|| format!("built-in data lacks {n}"));
    let x = oneclass_data::table::array_to_matrix(name, "X", get("X")?)?;
    let y = oneclass_data::table::labels_from_array(name, "y", get("y")?, &Default::default())?;
    let (train, test) = stratified_split(&y, 0.6, a.seed);
    let train_normal: Vec<usize> = train.into_iter().filter(|&i| y[i] == 0).collect();
    let x_train: Array2<f64> = x.select(Axis(0), &train_normal);
    let x_test: Array2<f64> = x.select(Axis(0), &test);
    let y_test: Vec<u8> = test.iter().map(|&i| y[i]).collect();
    println!("ODDS thyroid: {} rows × {} features, {} anomalies; train on {} normal rows, test on {} rows ({} anomalies)", x.nrows(), x.ncols(), y.iter().filter(|&&v| v == 1).count(), x_train.nrows(), x_test.nrows(), y_test.iter().filter(|&&v| v == 1).count());

    let model = OcsvmParams::new().nu(a.nu).gamma(a.gamma).fit(x_train.view())?;
    let start = Instant::now();
    let scores = model.score(x_test.view())?;
    let score_seconds = start.elapsed().as_secs_f64();
    let r = &model.report;
    println!("OCSVM (rbf, nu = {}, gamma = {:.4}): {} support vectors, rho = {:.6}, {} iterations, fit {:.3} s, score {:.3} s", a.nu, model.kernel.gamma().unwrap_or(f64::NAN), model.n_support(), model.rho, r.iterations, r.seconds, score_seconds);
    let e = oneclass_metrics::evaluate(scores.as_slice().expect("contiguous"), &y_test, None)?;
    println!("{}", serde_json::to_string(&e)?);
    Ok(())
}
