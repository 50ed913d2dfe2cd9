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
        let mut var = vec![0.0; d];
        let mut max_abs = vec![0.0f64; d];
        column_stats(z, d, &mut mean, &mut var, &mut max_abs);
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
        let inv: Vec<f64> = std.iter().map(|s| 1.0 / s).collect();
        let mut out = vec![0.0; n * d];
        scale_rows(z, d, &mean, &inv, &mut out);
        (out, Standardization { mean, std, constant })
    }

    pub fn constant_features(&self) -> usize {
        self.constant.iter().filter(|&&c| c).count()
    }

    /// Reverse mode: from ∂ℓ/∂x̃ (n × d) to ∂ℓ/∂z, given the standardised data x̃.
    /// dz = (g − mean(g) − x̃·mean(g ⊙ x̃))/σ per column; constant features: dz = g − mean(g).
    pub(crate) fn backward(&self, standardized: &[f64], grad: &[f64], n: usize) -> Vec<f64> {
        let d = self.mean.len();
        let mut mean_g = vec![0.0; d];
        let mut mean_gx = vec![0.0; d];
        column_moments(standardized, grad, d, &mut mean_g, &mut mean_gx);
        let inv_n = 1.0 / n as f64;
        // Per column: dz = a·g + b + e·x̃ with a = 1/σ, b = −mean(g)/σ, e = −mean(g x̃)/σ.
        let mut a = vec![0.0; d];
        let mut b = vec![0.0; d];
        let mut e = vec![0.0; d];
        for c in 0..d {
            let inv = 1.0 / self.std[c];
            a[c] = inv;
            b[c] = -mean_g[c] * inv_n * inv;
            e[c] = if self.constant[c] { 0.0 } else { -mean_gx[c] * inv_n * inv };
        }
        let mut out = vec![0.0; n * d];
        affine_combination(grad, standardized, d, &a, &b, &e, &mut out);
        out
    }

    /// Forward mode: from a perturbation dz to dx̃. The operator is symmetric, so this is the
    /// same formula as [`Self::backward`].
    pub(crate) fn jvp(&self, standardized: &[f64], dz: &[f64], n: usize) -> Vec<f64> {
        self.backward(standardized, dz, n)
    }
}

#[inline(always)]
fn column_stats_generic(z: &[f64], d: usize, mean: &mut [f64], var: &mut [f64], max_abs: &mut [f64]) {
    let n = z.len() / d;
    for row in z.chunks_exact(d) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    for row in z.chunks_exact(d) {
        for c in 0..d {
            let dev = row[c] - mean[c];
            var[c] += dev * dev;
            max_abs[c] = max_abs[c].max(row[c].abs());
        }
    }
}

super::dense::dispatch! {
    /// Column means, sums of squared deviations and largest magnitudes (two passes).
    fn column_stats => column_stats_generic / column_stats_avx2(z: &[f64], d: usize, mean: &mut [f64], var: &mut [f64], max_abs: &mut [f64])
}

#[inline(always)]
fn scale_rows_generic(z: &[f64], d: usize, mean: &[f64], inv: &[f64], out: &mut [f64]) {
    for (zr, or) in z.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
        for c in 0..d {
            or[c] = (zr[c] - mean[c]) * inv[c];
        }
    }
}

super::dense::dispatch! {
    /// out = (z − mean)·inv per column.
    fn scale_rows => scale_rows_generic / scale_rows_avx2(z: &[f64], d: usize, mean: &[f64], inv: &[f64], out: &mut [f64])
}

#[inline(always)]
fn column_moments_generic(x: &[f64], g: &[f64], d: usize, sum_g: &mut [f64], sum_gx: &mut [f64]) {
    for (xr, gr) in x.chunks_exact(d).zip(g.chunks_exact(d)) {
        for c in 0..d {
            sum_g[c] += gr[c];
            sum_gx[c] += gr[c] * xr[c];
        }
    }
}

super::dense::dispatch! {
    /// Per-column Σg and Σ g ⊙ x.
    fn column_moments => column_moments_generic / column_moments_avx2(x: &[f64], g: &[f64], d: usize, sum_g: &mut [f64], sum_gx: &mut [f64])
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn affine_combination_generic(g: &[f64], x: &[f64], d: usize, a: &[f64], b: &[f64], e: &[f64], out: &mut [f64]) {
    for ((gr, xr), or) in g.chunks_exact(d).zip(x.chunks_exact(d)).zip(out.chunks_exact_mut(d)) {
        for c in 0..d {
            or[c] = a[c] * gr[c] + b[c] + e[c] * xr[c];
        }
    }
}

super::dense::dispatch! {
    /// out = a·g + b + e·x per column.
    fn affine_combination => affine_combination_generic / affine_combination_avx2(g: &[f64], x: &[f64], d: usize, a: &[f64], b: &[f64], e: &[f64], out: &mut [f64])
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
