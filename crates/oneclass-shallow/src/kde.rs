//! Gaussian kernel density estimation, following scikit-learn 1.9's `KernelDensity` with an exact
//! sum over all training points (scikit-learn's tree with atol = rtol = 0 computes the same sum).
//!
//! log p(x) = logsumexp_i(−‖x − xᵢ‖² / 2h²) − ln n − (d/2)·ln 2π − d·ln h, and the anomaly score is
//! −log p(x) (scikit-learn's `-score_samples`), so higher = more anomalous.

use crate::error::{invalid, ShallowError};
use crate::{check_input, check_matrix, row_major};
use ndarray::{Array1, ArrayView2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// How the bandwidth h is chosen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Bandwidth {
    /// A fixed positive bandwidth.
    Value(f64),
    /// n^(−1/(d+4)), scikit-learn's "scott" (note: not scaled by the data's spread).
    Scott,
    /// (n(d+2)/4)^(−1/(d+4)), scikit-learn's "silverman" (not scaled by the data's spread).
    Silverman,
    /// The grid value with the highest held-out log-likelihood under k-fold cross-validation.
    Cv(BandwidthSearch),
}

/// Cross-validated bandwidth search, like `GridSearchCV(KernelDensity(), {"bandwidth": grid}, cv=k)`:
/// each candidate is scored by the mean over folds of the held-out fold's total log-likelihood,
/// and the first best candidate (in grid order) wins.
///
/// The default grid is `n_grid` = 20 values log-spaced from `grid_low` = 1e-2 to `grid_high` =
/// 1e1 (numpy's `logspace(-2, 1, 20)`), multiplied by the mean over features of the per-feature
/// standard deviation (population, ddof = 0) of the training data. `grid` replaces it with
/// explicit bandwidths. Folds are contiguous blocks (scikit-learn's `KFold`) of the rows, shuffled
/// first with `seed` when `shuffle` is true (the default).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BandwidthSearch {
    pub grid: Option<Vec<f64>>,
    pub n_grid: usize,
    pub grid_low: f64,
    pub grid_high: f64,
    pub n_folds: usize,
    pub shuffle: bool,
    pub seed: u64,
}

impl Default for BandwidthSearch {
    fn default() -> Self {
        BandwidthSearch {
            grid: None,
            n_grid: 20,
            grid_low: 1e-2,
            grid_high: 1e1,
            n_folds: 5,
            shuffle: true,
            seed: 0,
        }
    }
}

impl BandwidthSearch {
    fn check(&self) -> Result<(), ShallowError> {
        match &self.grid {
            Some(grid) if grid.is_empty() => {
                return Err(invalid(
                    "bandwidth grid",
                    "[]",
                    "at least one positive bandwidth",
                ))
            }
            Some(grid) => {
                if let Some(&bad) = grid.iter().find(|h| !(h.is_finite() && **h > 0.0)) {
                    return Err(invalid("bandwidth grid", bad, "positive finite bandwidths"));
                }
            }
            None => {
                if self.n_grid == 0 {
                    return Err(invalid("n_grid", 0, "a positive number of grid values"));
                }
                if !(self.grid_low > 0.0 && self.grid_low.is_finite()) {
                    return Err(invalid(
                        "grid_low",
                        self.grid_low,
                        "a positive finite factor",
                    ));
                }
                if !(self.grid_high >= self.grid_low && self.grid_high.is_finite()) {
                    return Err(invalid(
                        "grid_high",
                        self.grid_high,
                        format!("a finite factor at least grid_low = {}", self.grid_low),
                    ));
                }
            }
        }
        if self.n_folds < 2 {
            return Err(invalid("n_folds", self.n_folds, "at least 2 folds"));
        }
        Ok(())
    }

    /// The candidate bandwidths for training data with the given mean per-feature std.
    fn candidates(&self, mean_std: f64) -> Vec<f64> {
        if let Some(grid) = &self.grid {
            return grid.clone();
        }
        let (low, high) = (self.grid_low.log10(), self.grid_high.log10());
        let step = if self.n_grid > 1 {
            (high - low) / (self.n_grid - 1) as f64
        } else {
            0.0
        };
        (0..self.n_grid)
            .map(|i| {
                // numpy.linspace pins the last exponent to `high` exactly.
                let exponent = if i + 1 == self.n_grid && self.n_grid > 1 {
                    high
                } else {
                    low + i as f64 * step
                };
                10f64.powf(exponent) * mean_std
            })
            .collect()
    }
}

/// Row indices of each fold: contiguous blocks of the (optionally shuffled) order 0..n, the first
/// n mod k folds one row longer, as scikit-learn's `KFold`.
pub fn kfold_indices(n: usize, n_folds: usize, shuffle_seed: Option<u64>) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    if let Some(seed) = shuffle_seed {
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    }
    let mut folds = Vec::with_capacity(n_folds);
    let mut start = 0;
    for fold in 0..n_folds {
        let size = n / n_folds + usize::from(fold < n % n_folds);
        folds.push(order[start..start + size].to_vec());
        start += size;
    }
    folds
}

/// Outcome of a cross-validated bandwidth search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CvReport {
    pub bandwidths: Vec<f64>,
    /// Mean over folds of the held-out fold's total log-likelihood, per bandwidth.
    pub mean_held_out_log_likelihood: Vec<f64>,
    /// Index of the chosen bandwidth.
    pub best: usize,
}

/// Hyper-parameters; the default is scikit-learn's bandwidth 1.0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KernelDensityParams {
    pub bandwidth: Bandwidth,
}

impl Default for KernelDensityParams {
    fn default() -> Self {
        KernelDensityParams {
            bandwidth: Bandwidth::Value(1.0),
        }
    }
}

impl KernelDensityParams {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn bandwidth(mut self, bandwidth: Bandwidth) -> Self {
        self.bandwidth = bandwidth;
        self
    }

    pub fn check(&self) -> Result<(), ShallowError> {
        match &self.bandwidth {
            Bandwidth::Value(h) if !(h.is_finite() && *h > 0.0) => Err(invalid(
                "bandwidth",
                h,
                "a positive finite number, \"scott\", \"silverman\" or \"cv\"",
            )),
            Bandwidth::Cv(search) => search.check(),
            _ => Ok(()),
        }
    }

    /// Stores the training rows and resolves the bandwidth (running the search for `Cv`).
    pub fn fit(&self, x: ArrayView2<f64>) -> Result<KernelDensity, ShallowError> {
        self.check()?;
        let min_rows = match &self.bandwidth {
            Bandwidth::Cv(search) => search.n_folds,
            _ => 1,
        };
        check_matrix(&x, "training data", min_rows)?;
        let (n, d) = x.dim();
        let train = row_major(&x).into_owned();
        let (bandwidth, cv) = match &self.bandwidth {
            Bandwidth::Value(h) => (*h, None),
            Bandwidth::Scott => ((n as f64).powf(-1.0 / (d as f64 + 4.0)), None),
            Bandwidth::Silverman => (
                ((n * (d + 2)) as f64 / 4.0).powf(-1.0 / (d as f64 + 4.0)),
                None,
            ),
            Bandwidth::Cv(search) => {
                let mean_std = mean_feature_std(&train, d);
                if search.grid.is_none() && mean_std == 0.0 {
                    return Err(ShallowError::ZeroVariance {
                        what: "training data",
                    });
                }
                let bandwidths = search.candidates(mean_std);
                let folds = kfold_indices(n, search.n_folds, search.shuffle.then_some(search.seed));
                let scores = cross_validate(&train, d, &folds, &bandwidths);
                // First maximum, as GridSearchCV's ranking picks the lowest index among ties.
                let mut best = 0;
                for (i, &s) in scores.iter().enumerate() {
                    if s > scores[best] {
                        best = i;
                    }
                }
                (
                    bandwidths[best],
                    Some(CvReport {
                        bandwidths,
                        mean_held_out_log_likelihood: scores,
                        best,
                    }),
                )
            }
        };
        Ok(KernelDensity {
            params: self.clone(),
            n_features: d,
            bandwidth,
            train,
            cv,
        })
    }
}

/// Mean over features of the population standard deviation.
fn mean_feature_std(data: &[f64], d: usize) -> f64 {
    let n = (data.len() / d) as f64;
    let total: f64 = (0..d)
        .map(|j| {
            let mean = data.iter().skip(j).step_by(d).sum::<f64>() / n;
            let var = data
                .iter()
                .skip(j)
                .step_by(d)
                .map(|v| (v - mean) * (v - mean))
                .sum::<f64>()
                / n;
            var.sqrt()
        })
        .sum();
    total / d as f64
}

/// Mean over folds of the held-out total log-likelihood, for every bandwidth. Squared distances
/// are computed once per (held-out, training) pair and reused for all bandwidths.
fn cross_validate(data: &[f64], d: usize, folds: &[Vec<usize>], bandwidths: &[f64]) -> Vec<f64> {
    let n = data.len() / d;
    let mut totals = vec![0.0; bandwidths.len()];
    for fold in folds {
        let mut held_out = vec![false; n];
        for &i in fold {
            held_out[i] = true;
        }
        let fit_rows: Vec<usize> = (0..n).filter(|&i| !held_out[i]).collect();
        let fit_data: Vec<f64> = fit_rows
            .iter()
            .flat_map(|&i| data[i * d..(i + 1) * d].iter().copied())
            .collect();
        let per_row: Vec<Vec<f64>> = fold
            .par_iter()
            .map_init(
                || vec![0.0; fit_rows.len()],
                |sq_dists, &i| {
                    let query = &data[i * d..(i + 1) * d];
                    for (dist, row) in sq_dists.iter_mut().zip(fit_data.chunks_exact(d)) {
                        *dist = squared_distance(query, row);
                    }
                    bandwidths
                        .iter()
                        .map(|&h| {
                            log_density_from_sq_dists(
                                sq_dists.iter().copied(),
                                fit_rows.len(),
                                d,
                                h,
                            )
                        })
                        .collect()
                },
            )
            .collect();
        // Summed in row order so the result does not depend on thread scheduling.
        for row in &per_row {
            for (total, value) in totals.iter_mut().zip(row) {
                *total += value;
            }
        }
    }
    totals.iter().map(|t| t / folds.len() as f64).collect()
}

#[inline]
fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Normalised Gaussian log-density from the squared distances to the n training points, with a
/// one-pass log-sum-exp that rescales whenever a larger term appears.
fn log_density_from_sq_dists(
    sq_dists: impl Iterator<Item = f64>,
    n: usize,
    d: usize,
    h: f64,
) -> f64 {
    let scale = -0.5 / (h * h);
    let (mut max, mut sum) = (f64::NEG_INFINITY, 0.0);
    for sq in sq_dists {
        let term = sq * scale;
        if term == f64::NEG_INFINITY {
            // Distance overflowed: this point adds nothing (and −∞ − −∞ would be NaN).
            continue;
        }
        if term <= max {
            sum += (term - max).exp();
        } else {
            sum = sum * (max - term).exp() + 1.0;
            max = term;
        }
    }
    if max == f64::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    max + sum.ln() - (n as f64).ln() - 0.5 * d as f64 * LN_2PI - d as f64 * h.ln()
}

/// A fitted Gaussian kernel density: the training rows and the resolved bandwidth.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "KernelDensityFile")]
pub struct KernelDensity {
    params: KernelDensityParams,
    n_features: usize,
    bandwidth: f64,
    /// Training rows, row-major.
    train: Vec<f64>,
    cv: Option<CvReport>,
}

#[derive(Deserialize)]
struct KernelDensityFile {
    params: KernelDensityParams,
    n_features: usize,
    bandwidth: f64,
    train: Vec<f64>,
    cv: Option<CvReport>,
}

impl TryFrom<KernelDensityFile> for KernelDensity {
    type Error = String;
    fn try_from(f: KernelDensityFile) -> Result<Self, String> {
        f.params.check().map_err(|e| e.to_string())?;
        if !(f.bandwidth.is_finite() && f.bandwidth > 0.0) {
            return Err(format!(
                "bandwidth {} must be positive and finite",
                f.bandwidth
            ));
        }
        if f.train.is_empty() || f.train.len().checked_rem(f.n_features) != Some(0) {
            return Err(format!(
                "{} training values do not form rows of n_features = {}",
                f.train.len(),
                f.n_features
            ));
        }
        if let Some(i) = f.train.iter().position(|v| !v.is_finite()) {
            return Err(format!(
                "training value {i} is {}, expected finite",
                f.train[i]
            ));
        }
        Ok(KernelDensity {
            params: f.params,
            n_features: f.n_features,
            bandwidth: f.bandwidth,
            train: f.train,
            cv: f.cv,
        })
    }
}

impl KernelDensity {
    pub fn params() -> KernelDensityParams {
        KernelDensityParams::default()
    }

    /// Log-density of each row under the model (scikit-learn's `score_samples`).
    pub fn log_density(&self, x: ArrayView2<f64>) -> Result<Array1<f64>, ShallowError> {
        check_input(&x, "data to score", self.n_features)?;
        let d = self.n_features;
        let data = row_major(&x);
        let n_train = self.train.len() / d;
        let values: Vec<f64> = data
            .par_chunks_exact(d)
            .map(|query| {
                let sq = self
                    .train
                    .chunks_exact(d)
                    .map(|row| squared_distance(query, row));
                log_density_from_sq_dists(sq, n_train, d, self.bandwidth)
            })
            .collect();
        Ok(Array1::from(values))
    }

    /// Anomaly scores −log p(x); higher = more anomalous.
    pub fn score(&self, x: ArrayView2<f64>) -> Result<Array1<f64>, ShallowError> {
        Ok(self.log_density(x)?.mapv(|v| -v))
    }

    /// The bandwidth in use (given, by rule, or chosen by cross-validation).
    pub fn bandwidth(&self) -> f64 {
        self.bandwidth
    }
    pub fn hyper_params(&self) -> &KernelDensityParams {
        &self.params
    }
    pub fn cv_report(&self) -> Option<&CvReport> {
        self.cv.as_ref()
    }
    pub fn n_features(&self) -> usize {
        self.n_features
    }
    pub fn n_train(&self) -> usize {
        self.train.len() / self.n_features
    }

    pub fn to_json(&self) -> String {
        crate::to_json(self)
    }
    pub fn from_json(text: &str) -> Result<Self, ShallowError> {
        crate::from_json(text)
    }
}
