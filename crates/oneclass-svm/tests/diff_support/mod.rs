//! Helpers shared by the `diff_*` tests: a minimal .npy / .csv reader for the shared fixtures,
//! seeded random batches, and an independent KKT check.
#![allow(dead_code)]

use std::path::PathBuf;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/ocsvm")).join(name)
}

/// A little-endian, C-order .npy array ('<f8' or '<i8', converted to f64) and its shape.
pub struct Npy {
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

pub fn read_npy(name: &str) -> Npy {
    let path = fixture_path(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {} is missing ({e}); it ships in ../shared", path.display()));
    assert!(bytes.len() >= 10 && &bytes[..6] == b"\x93NUMPY", "{}: not a .npy file", path.display());
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
        v => panic!("{}: unsupported .npy version {v}", path.display()),
    };
    let header = std::str::from_utf8(&bytes[start..start + header_len]).expect("ascii .npy header");
    let field = |key: &str| -> &str {
        let at = header.find(&format!("'{key}':")).unwrap_or_else(|| panic!("{}: header lacks {key}", path.display()));
        header[at + key.len() + 3..].trim_start()
    };
    let descr = field("descr");
    let is_f8 = descr.starts_with("'<f8'");
    let is_i8 = descr.starts_with("'<i8'");
    assert!(is_f8 || is_i8, "{}: expected '<f8' or '<i8', header {header}", path.display());
    assert!(field("fortran_order").starts_with("False"), "{}: Fortran order not supported", path.display());
    let shape_text = field("shape");
    let shape_text = &shape_text[1..shape_text.find(')').expect("shape tuple")];
    let shape: Vec<usize> = shape_text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| s.parse().expect("shape entry")).collect();
    let count: usize = shape.iter().product();
    let body = &bytes[start + header_len..];
    assert_eq!(body.len(), 8 * count, "{}: {} bytes for shape {shape:?}", path.display(), body.len());
    let data = body
        .chunks_exact(8)
        .map(|c| {
            let b: [u8; 8] = c.try_into().unwrap();
            if is_f8 { f64::from_le_bytes(b) } else { i64::from_le_bytes(b) as f64 }
        })
        .collect();
    Npy { shape, data }
}

/// Comma-separated rows without header: (data, rows, cols).
pub fn read_csv(name: &str) -> (Vec<f64>, usize, usize) {
    let path = fixture_path(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {} is missing ({e})", path.display()));
    let mut data = Vec::new();
    let mut rows = 0;
    let mut cols = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let before = data.len();
        data.extend(line.split(',').map(|v| v.trim().parse::<f64>().expect("number")));
        cols = data.len() - before;
        rows += 1;
    }
    (data, rows, cols)
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
