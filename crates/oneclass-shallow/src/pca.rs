//! Principal component analysis, following scikit-learn 1.9's `PCA` (full / covariance_eigh
//! solvers): centre on the training mean, eigendecompose the sample covariance (divisor n − 1)
//! with a cyclic Jacobi solver, keep the leading components, optionally whiten.
//!
//! Sign convention (scikit-learn's `svd_flip(u_based_decision=False)`): in each component, the
//! entry of largest absolute value (the first one on exact ties) is made positive.

use crate::error::{invalid, ShallowError};
use crate::{check_input, check_matrix, row_major};
use ndarray::{Array1, Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// How many components to keep.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Components {
    /// min(n, d), scikit-learn's `n_components=None`.
    All,
    /// Exactly this many, 1 ≤ k ≤ min(n, d).
    Count(usize),
    /// The fewest components whose cumulative explained-variance ratio exceeds this fraction in
    /// (0, 1) (scikit-learn: `searchsorted(cumsum, f, side="right") + 1`).
    VarianceFraction(f64),
}

/// Hyper-parameters; defaults are scikit-learn's (all components, no whitening).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PcaParams {
    pub n_components: Components,
    /// Divide each projected coordinate by the component's standard deviation (floored at the
    /// machine epsilon, as scikit-learn does).
    pub whiten: bool,
}

impl Default for PcaParams {
    fn default() -> Self {
        PcaParams {
            n_components: Components::All,
            whiten: false,
        }
    }
}

impl PcaParams {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn n_components(mut self, n_components: Components) -> Self {
        self.n_components = n_components;
        self
    }
    pub fn whiten(mut self, whiten: bool) -> Self {
        self.whiten = whiten;
        self
    }

    pub fn check(&self) -> Result<(), ShallowError> {
        match self.n_components {
            Components::Count(0) => Err(invalid(
                "n_components",
                0,
                "a positive number of components, a variance fraction in (0, 1), or all",
            )),
            Components::VarianceFraction(f) if !(f > 0.0 && f < 1.0) => Err(invalid(
                "n_components",
                f,
                "a variance fraction strictly between 0 and 1, a positive count, or all",
            )),
            _ => Ok(()),
        }
    }

    /// Fits on the rows of `x` (at least 2 rows, not all identical).
    pub fn fit(&self, x: ArrayView2<f64>) -> Result<Pca, ShallowError> {
        self.check()?;
        check_matrix(&x, "training data", 2)?;
        let (n, d) = x.dim();
        let data = row_major(&x);
        let mean: Vec<f64> = (0..d)
            .map(|j| data.iter().skip(j).step_by(d).sum::<f64>() / n as f64)
            .collect();
        let covariance = covariance(&data, d, &mean);
        let (mut values, vectors) = jacobi_eigen(covariance, d);
        // The covariance is positive semi-definite; tiny negative eigenvalues are rounding.
        for v in values.iter_mut() {
            *v = v.max(0.0);
        }
        let total_variance: f64 = values.iter().sum();
        if total_variance == 0.0 {
            return Err(ShallowError::ZeroVariance {
                what: "training data",
            });
        }
        let available = n.min(d);
        let n_components = match self.n_components {
            Components::All => available,
            Components::Count(k) if k > available => {
                return Err(invalid(
                    "n_components",
                    k,
                    format!("at most min(rows, columns) = min({n}, {d}) = {available}"),
                ))
            }
            Components::Count(k) => k,
            Components::VarianceFraction(f) => {
                let mut cumulative = 0.0;
                let reached = values[..available].iter().take_while(|&&v| {
                    cumulative += v / total_variance;
                    cumulative <= f
                });
                (reached.count() + 1).min(available)
            }
        };
        let mut components = Vec::with_capacity(n_components * d);
        for k in 0..n_components {
            let mut component: Vec<f64> = (0..d).map(|j| vectors[j * d + k]).collect();
            let mut largest = 0;
            for j in 1..d {
                if component[j].abs() > component[largest].abs() {
                    largest = j;
                }
            }
            if component[largest] < 0.0 {
                component.iter_mut().for_each(|c| *c = -*c);
            }
            components.extend(component);
        }
        let explained_variance = values[..n_components].to_vec();
        let explained_variance_ratio = explained_variance
            .iter()
            .map(|v| v / total_variance)
            .collect();
        Ok(Pca {
            params: self.clone(),
            n_features: d,
            mean,
            components,
            explained_variance,
            explained_variance_ratio,
        })
    }
}

/// Rows per block when accumulating the covariance in parallel; fixed so sums do not depend on
/// the number of threads.
const COVARIANCE_BLOCK: usize = 2048;

/// Sample covariance (divisor n − 1) of the centred rows, d × d row-major.
fn covariance(data: &[f64], d: usize, mean: &[f64]) -> Vec<f64> {
    let n = data.len() / d;
    let partials: Vec<Vec<f64>> = data
        .par_chunks(COVARIANCE_BLOCK * d)
        .map(|block| {
            let mut sums = vec![0.0; d * d];
            let mut centred = vec![0.0; d];
            for row in block.chunks_exact(d) {
                for j in 0..d {
                    centred[j] = row[j] - mean[j];
                }
                for i in 0..d {
                    let ci = centred[i];
                    let sums_row = &mut sums[i * d..(i + 1) * d];
                    for j in i..d {
                        sums_row[j] += ci * centred[j];
                    }
                }
            }
            sums
        })
        .collect();
    let mut cov = vec![0.0; d * d];
    for partial in &partials {
        for (c, p) in cov.iter_mut().zip(partial) {
            *c += p;
        }
    }
    for i in 0..d {
        for j in i..d {
            let value = cov[i * d + j] / (n - 1) as f64;
            cov[i * d + j] = value;
            cov[j * d + i] = value;
        }
    }
    cov
}

/// Eigenvalues (descending) and eigenvectors (column k of the d × d row-major result belongs to
/// value k) of a symmetric matrix, by cyclic Jacobi rotations until the off-diagonal part is
/// negligible next to the whole matrix.
fn jacobi_eigen(mut a: Vec<f64>, d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0.0; d * d];
    for i in 0..d {
        v[i * d + i] = 1.0;
    }
    let frobenius_sq: f64 = a.iter().map(|x| x * x).sum();
    for _sweep in 0..100 {
        let off_sq: f64 = (0..d)
            .flat_map(|p| (p + 1..d).map(move |q| (p, q)))
            .map(|(p, q)| 2.0 * a[p * d + q] * a[p * d + q])
            .sum();
        if off_sq <= (f64::EPSILON * f64::EPSILON) * frobenius_sq * 1e-4 || off_sq == 0.0 {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = a[p * d + q];
                if apq == 0.0 {
                    continue;
                }
                // Rotation angle that zeroes a[p][q]: t = tan φ is the smaller root of
                // t² + 2θt − 1 = 0 with θ = (a_qq − a_pp) / (2 a_pq).
                let theta = (a[q * d + q] - a[p * d + p]) / (2.0 * apq);
                let t = if theta.abs() > 1e150 {
                    0.5 / theta
                } else {
                    theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt())
                };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                // A ← Jᵀ A J, with J the identity except J_pp = J_qq = c, J_pq = s, J_qp = −s.
                for k in 0..d {
                    let (akp, akq) = (a[k * d + p], a[k * d + q]);
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for k in 0..d {
                    let (apk, aqk) = (a[p * d + k], a[q * d + k]);
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
                a[p * d + q] = 0.0;
                a[q * d + p] = 0.0;
                for k in 0..d {
                    let (vkp, vkq) = (v[k * d + p], v[k * d + q]);
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    // Sort by descending eigenvalue (stable, so equal values keep their order).
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&i, &j| a[j * d + j].total_cmp(&a[i * d + i]));
    let values = order.iter().map(|&i| a[i * d + i]).collect();
    let mut vectors = vec![0.0; d * d];
    for (new, &old) in order.iter().enumerate() {
        for k in 0..d {
            vectors[k * d + new] = v[k * d + old];
        }
    }
    (values, vectors)
}

/// Eigenvalues (descending) and unit eigenvectors (as columns, in the same order) of a symmetric
/// matrix, by cyclic Jacobi rotations; meant for d up to a few hundred (O(d³) per sweep).
pub fn symmetric_eigen(a: ArrayView2<f64>) -> Result<(Array1<f64>, Array2<f64>), ShallowError> {
    let (rows, cols) = a.dim();
    if rows != cols {
        return Err(ShallowError::DimensionMismatch {
            what: "symmetric matrix (rows)",
            expected: rows,
            found: cols,
        });
    }
    check_matrix(&a, "symmetric matrix", 1)?;
    let largest = a.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    for i in 0..rows {
        for j in i + 1..rows {
            if (a[[i, j]] - a[[j, i]]).abs() > 1e-12 * largest {
                return Err(invalid(
                    "matrix",
                    format!("a[{i}][{j}] = {} vs a[{j}][{i}] = {}", a[[i, j]], a[[j, i]]),
                    "a symmetric matrix",
                ));
            }
        }
    }
    let (values, vectors) = jacobi_eigen(row_major(&a).into_owned(), rows);
    let vectors =
        Array2::from_shape_vec((rows, rows), vectors).unwrap_or_else(|e| unreachable!("{e}"));
    Ok((Array1::from(values), vectors))
}

/// A fitted PCA projection.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "PcaFile")]
pub struct Pca {
    params: PcaParams,
    n_features: usize,
    mean: Vec<f64>,
    /// k × d row-major; row i is component i.
    components: Vec<f64>,
    explained_variance: Vec<f64>,
    explained_variance_ratio: Vec<f64>,
}

#[derive(Deserialize)]
struct PcaFile {
    params: PcaParams,
    n_features: usize,
    mean: Vec<f64>,
    components: Vec<f64>,
    explained_variance: Vec<f64>,
    explained_variance_ratio: Vec<f64>,
}

impl TryFrom<PcaFile> for Pca {
    type Error = String;
    fn try_from(f: PcaFile) -> Result<Self, String> {
        f.params.check().map_err(|e| e.to_string())?;
        let d = f.n_features;
        let k = f.explained_variance.len();
        if d == 0
            || k == 0
            || f.mean.len() != d
            || f.components.len() != k * d
            || f.explained_variance_ratio.len() != k
        {
            return Err(format!(
                "inconsistent sizes: n_features {d}, mean {}, components {}, explained_variance {k}, explained_variance_ratio {}; expected d, k·d, k, k with d, k ≥ 1",
                f.mean.len(),
                f.components.len(),
                f.explained_variance_ratio.len()
            ));
        }
        let all = f
            .mean
            .iter()
            .chain(&f.components)
            .chain(&f.explained_variance)
            .chain(&f.explained_variance_ratio);
        if all.clone().any(|v| !v.is_finite()) || f.explained_variance.iter().any(|&v| v < 0.0) {
            return Err("values must be finite and variances non-negative".into());
        }
        Ok(Pca {
            params: f.params,
            n_features: d,
            mean: f.mean,
            components: f.components,
            explained_variance: f.explained_variance,
            explained_variance_ratio: f.explained_variance_ratio,
        })
    }
}

impl Pca {
    pub fn params() -> PcaParams {
        PcaParams::default()
    }

    /// Projects rows onto the kept components: (x − mean)·Wᵀ, divided by √variance if whitened.
    pub fn transform(&self, x: ArrayView2<f64>) -> Result<Array2<f64>, ShallowError> {
        check_input(&x, "data to transform", self.n_features)?;
        let d = self.n_features;
        let k = self.n_components();
        let scale: Vec<f64> = if self.params.whiten {
            self.explained_variance
                .iter()
                .map(|v| v.sqrt().max(f64::EPSILON))
                .collect()
        } else {
            vec![1.0; k]
        };
        let data = row_major(&x);
        let mut out = vec![0.0; x.nrows() * k];
        out.par_chunks_mut(k)
            .zip(data.par_chunks_exact(d))
            .for_each(|(projected, row)| {
                let centred: Vec<f64> = row.iter().zip(&self.mean).map(|(v, m)| v - m).collect();
                for (c, value) in projected.iter_mut().enumerate() {
                    let component = &self.components[c * d..(c + 1) * d];
                    *value = centred
                        .iter()
                        .zip(component)
                        .map(|(a, b)| a * b)
                        .sum::<f64>()
                        / scale[c];
                }
            });
        Ok(Array2::from_shape_vec((x.nrows(), k), out).unwrap_or_else(|e| unreachable!("{e}")))
    }

    pub fn n_components(&self) -> usize {
        self.explained_variance.len()
    }
    pub fn n_features(&self) -> usize {
        self.n_features
    }
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }
    /// Components as a k × d matrix (row i = component i).
    pub fn components(&self) -> Array2<f64> {
        Array2::from_shape_vec(
            (self.n_components(), self.n_features),
            self.components.clone(),
        )
        .unwrap_or_else(|e| unreachable!("{e}"))
    }
    pub fn explained_variance(&self) -> &[f64] {
        &self.explained_variance
    }
    pub fn explained_variance_ratio(&self) -> &[f64] {
        &self.explained_variance_ratio
    }
    pub fn hyper_params(&self) -> &PcaParams {
        &self.params
    }

    pub fn to_json(&self) -> String {
        crate::to_json(self)
    }
    pub fn from_json(text: &str) -> Result<Self, ShallowError> {
        crate::from_json(text)
    }
}
