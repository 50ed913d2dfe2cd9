//! Helpers shared by the `diff_*` tests: fixture reading (through oneclass-data),
//! seeded random batches, and an independent KKT check.
#![allow(dead_code)]

use std::path::PathBuf;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/ocsvm")).join(name)
}

/// A fixture array converted to f64, with its shape.
pub struct Npy {
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

/// Reads a fixture with the project's own .npy reader.
pub fn read_npy(name: &str) -> Npy {
    let path = fixture_path(name);
    let a = oneclass_data::read_npy(&path).unwrap_or_else(|e| panic!("fixture {name} (it ships in ../shared): {e}"));
    Npy { data: a.to_f64(), shape: a.shape }
}

/// Comma-separated rows without header, read with the project's table reader: (data, rows, cols).
pub fn read_csv(name: &str) -> (Vec<f64>, usize, usize) {
    let path = fixture_path(name);
    let t = oneclass_data::read_table(&path, &Default::default()).unwrap_or_else(|e| panic!("fixture {name}: {e}"));
    let (rows, cols) = t.x.dim();
    (t.x.iter().copied().collect(), rows, cols)
}

pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

pub fn normal(rng: &mut ChaCha8Rng) -> f64 {
    StandardNormal.sample(rng)
}

pub fn normals(rng: &mut ChaCha8Rng, count: usize) -> Vec<f64> {
    (0..count).map(|_| normal(rng)).collect()
}

/// n rows of a k-component Gaussian mixture in d dimensions (centres ~ N(0, spread²I)).
pub fn mixture(rng: &mut ChaCha8Rng, n: usize, d: usize, k: usize, spread: f64) -> Vec<f64> {
    let centres: Vec<Vec<f64>> = (0..k).map(|_| (0..d).map(|_| spread * normal(rng)).collect()).collect();
    let stds: Vec<f64> = (0..k).map(|_| 0.5 + rng.random::<f64>()).collect();
    let mut out = Vec::with_capacity(n * d);
    for _ in 0..n {
        let c = rng.random_range(0..k);
        for &centre in &centres[c] {
            out.push(centre + stds[c] * normal(rng));
        }
    }
    out
}

pub fn rbf_gram(x: &[f64], n: usize, d: usize, gamma: f64, jitter: f64) -> Vec<f64> {
    let mut k = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let d2: f64 = (0..d).map(|c| (x[i * d + c] - x[j * d + c]).powi(2)).sum();
            k[i * n + j] = (-gamma * d2).exp() + if i == j { jitter } else { 0.0 };
        }
    }
    k
}

/// Largest KKT violation of (α, ρ) for K, independent of the solver's index sets:
/// α within [0, C], Σα = 1, α_i < C ⇒ (Kα)_i ≥ ρ, α_i > 0 ⇒ (Kα)_i ≤ ρ. Relative to C, 1 and
/// max K_ii.
pub fn kkt_violation(k: &[f64], n: usize, alpha: &[f64], rho: f64, c: f64) -> f64 {
    let scale = (0..n).map(|i| k[i * n + i]).fold(0.0f64, f64::max);
    let mut worst = (alpha.iter().sum::<f64>() - 1.0).abs();
    for i in 0..n {
        let g: f64 = (0..n).map(|j| k[i * n + j] * alpha[j]).sum();
        let a = alpha[i];
        worst = worst.max((-a / c).max(0.0)).max((a / c - 1.0).max(0.0));
        if a < c {
            worst = worst.max((rho - g) / scale);
        }
        if a > 0.0 {
            worst = worst.max((g - rho) / scale);
        }
    }
    worst
}

/// max |a − b| / max(max |b|, floor).
pub fn rel_err(a: &[f64], b: &[f64], floor: f64) -> f64 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(floor, |m, v| m.max(v.abs()));
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max) / scale
}
