//! Per-feature standardisation of one half of a minibatch, with its exact derivative.
//!
//! x̃ᵢ = (xᵢ − μ)/σ per column with μ the mean and σ the population standard deviation; the
//! derivative includes the dependence of μ and σ on the data (full gradient).

use serde::Serialize;

/// A standard deviation at most this fraction of the column's largest magnitude counts as zero.
const CONSTANT_FEATURE_RATIO: f64 = 1e-12;

/// The statistics one half was standardised with.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Standardization {
    /// Per-feature mean.
    pub mean: Vec<f64>,
    /// Per-feature population standard deviation; 1 for constant features.
    pub std: Vec<f64>,
    /// Features whose standard deviation is zero: they are centred only, σ held at 1.
    pub constant: Vec<bool>,
}

impl Standardization {
    /// Standardises the row-major n × d matrix `z`, returning the standardised copy.
    pub(crate) fn fit_transform(z: &[f64], n: usize, d: usize) -> (Vec<f64>, Standardization) {
        let mut mean = vec![0.0; d];
        for row in z.chunks_exact(d) {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let mut var = vec![0.0; d];
        let mut max_abs = vec![0.0f64; d];
        for row in z.chunks_exact(d) {
            for c in 0..d {
                let dev = row[c] - mean[c];
                var[c] += dev * dev;
                max_abs[c] = max_abs[c].max(row[c].abs());
            }
        }
        let mut std = vec![1.0; d];
        let mut constant = vec![false; d];
        for c in 0..d {
            let s = (var[c] / n as f64).sqrt();
            if s == 0.0 || s <= CONSTANT_FEATURE_RATIO * max_abs[c] {
                constant[c] = true;
            } else {
                std[c] = s;
            }
        }
        let mut out = Vec::with_capacity(n * d);
        for row in z.chunks_exact(d) {
            out.extend((0..d).map(|c| (row[c] - mean[c]) / std[c]));
        }
        (out, Standardization { mean, std, constant })
    }

    pub fn constant_features(&self) -> usize {
        self.constant.iter().filter(|&&c| c).count()
    }

    /// Reverse mode: from ∂ℓ/∂x̃ (n × d) to ∂ℓ/∂z, given the standardised data x̃.
    /// dz = (g − mean(g) − x̃·mean(g ⊙ x̃))/σ per column; constant features: dz = g − mean(g).
    pub(crate) fn backward(&self, standardized: &[f64], grad: &[f64], n: usize) -> Vec<f64> {
        let d = self.mean.len();
        let (mean_g, mean_gx) = column_moments(standardized, grad, n, d);
        let mut out = Vec::with_capacity(n * d);
        for (xr, gr) in standardized.chunks_exact(d).zip(grad.chunks_exact(d)) {
            for c in 0..d {
                let v = if self.constant[c] {
                    gr[c] - mean_g[c]
                } else {
                    (gr[c] - mean_g[c] - xr[c] * mean_gx[c]) / self.std[c]
                };
                out.push(v);
            }
        }
        out
    }

    /// Forward mode: from a perturbation dz to dx̃. The operator is symmetric, so this is the
    /// same formula as [`Self::backward`].
    pub(crate) fn jvp(&self, standardized: &[f64], dz: &[f64], n: usize) -> Vec<f64> {
        self.backward(standardized, dz, n)
    }
}

/// Per-column mean(g) and mean(g ⊙ x).
fn column_moments(x: &[f64], g: &[f64], n: usize, d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut mean_g = vec![0.0; d];
    let mut mean_gx = vec![0.0; d];
    for (xr, gr) in x.chunks_exact(d).zip(g.chunks_exact(d)) {
        for c in 0..d {
            mean_g[c] += gr[c];
            mean_gx[c] += gr[c] * xr[c];
        }
    }
    for c in 0..d {
        mean_g[c] /= n as f64;
        mean_gx[c] /= n as f64;
    }
    (mean_g, mean_gx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardised_columns_have_zero_mean_unit_variance() {
        let z = [1.0, 5.0, 2.0, 5.0, 4.0, 5.0, 7.0, 5.0];
        let (x, s) = Standardization::fit_transform(&z, 4, 2);
        assert_eq!(s.constant, vec![false, true]);
        // Column 0: mean 3.5, population variance (6.25 + 2.25 + 0.25 + 12.25)/4 = 5.25.
        assert!((s.mean[0] - 3.5).abs() < 1e-15);
        assert!((s.std[0] - 5.25f64.sqrt()).abs() < 1e-15);
        assert!((x[0] - (1.0 - 3.5) / 5.25f64.sqrt()).abs() < 1e-15);
        assert_eq!(x[1], 0.0);
    }

    #[test]
    fn backward_matches_central_differences() {
        let n = 5;
        let d = 3;
        let z: Vec<f64> = (0..n * d).map(|i| ((i * 7 + 3) % 11) as f64 * 0.37 - 1.1 + (i as f64).sin()).collect();
        let w: Vec<f64> = (0..n * d).map(|i| (i as f64 * 0.91).cos()).collect();
        let loss = |z: &[f64]| -> f64 {
            let (x, _) = Standardization::fit_transform(z, n, d);
            x.iter().zip(&w).map(|(a, b)| a * b + 0.5 * a * a * a).sum()
        };
        let (x, s) = Standardization::fit_transform(&z, n, d);
        let g: Vec<f64> = x.iter().zip(&w).map(|(a, b)| b + 1.5 * a * a).collect();
        let analytic = s.backward(&x, &g, n);
        let h = 1e-6;
        for k in 0..n * d {
            let mut zp = z.clone();
            zp[k] += h;
            let mut zm = z.clone();
            zm[k] -= h;
            let fd = (loss(&zp) - loss(&zm)) / (2.0 * h);
            assert!((fd - analytic[k]).abs() < 1e-7 * (1.0 + fd.abs()), "{k}: {fd} vs {}", analytic[k]);
        }
    }
}
