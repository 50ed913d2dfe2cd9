//! Fitting, the fitted model, its decision function and its file format.

use crate::error::SvmError;
use crate::kernel::{dot, Kernel};
use crate::params::OcsvmParams;
use crate::simd;
use crate::smo::{self, SmoOptions};
use ndarray::{Array1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// How the fit went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    pub n_samples: usize,
    pub iterations: usize,
    pub converged: bool,
    /// ½ aᵀKa in libsvm's scale.
    pub objective: f64,
    /// KKT violation at the end.
    pub gap: f64,
    pub n_bounded_sv: usize,
    pub seconds: f64,
}

/// A fitted ν-one-class SVM in libsvm / scikit-learn scale.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OcsvmModel {
    pub params: OcsvmParams,
    pub kernel: Kernel,
    pub n_features: usize,
    /// Indices of the support vectors in the training set (scikit-learn `support_`).
    pub support: Vec<usize>,
    /// Support vectors, row-major `support.len() × n_features`.
    pub support_vectors: Vec<f64>,
    /// Their coefficients a_j ∈ (0, 1] (scikit-learn `dual_coef_`).
    pub dual_coef: Vec<f64>,
    /// ρ in libsvm's scale (scikit-learn `offset_`); f(z) = Σ a_j k(x_j, z) − ρ.
    pub rho: f64,
    pub report: FitReport,
}

/// Checks that every entry is finite and the matrix non-empty; returns it row-major.
pub fn validated_rows(x: ArrayView2<f64>) -> Result<Vec<f64>, SvmError> {
    let (rows, cols) = x.dim();
    if rows == 0 || cols == 0 {
        return Err(SvmError::EmptyData { rows, cols });
    }
    for ((row, col), &value) in x.indexed_iter() {
        if !value.is_finite() {
            return Err(SvmError::NonFinite { row, col, value });
        }
    }
    Ok(x.iter().copied().collect())
}

impl OcsvmParams {
    /// Fit on the rows of `x`.
    pub fn fit(&self, x: ArrayView2<f64>) -> Result<OcsvmModel, SvmError> {
        self.fit_with_progress(x, &mut |_| {})
    }

    /// Fit, calling `progress(iterations)` now and then (for a progress bar).
    pub fn fit_with_progress(&self, x: ArrayView2<f64>, progress: &mut dyn FnMut(usize)) -> Result<OcsvmModel, SvmError> {
        self.check()?;
        let start = Instant::now();
        let (n, d) = x.dim();
        let rows = validated_rows(x)?;
        let kernel = self.resolve_kernel(&rows, d)?;
        let opts = SmoOptions {
            tol: self.tol,
            shrinking: self.shrinking,
            cache_bytes: (self.cache_size_mb * 1024.0 * 1024.0) as usize,
            max_iter: self.max_iter,
            warm_start: self.warm_start,
        };
        let sol = smo::solve(&rows, n, d, kernel, self.nu, &opts, progress);
        let support: Vec<usize> = (0..n).filter(|&i| sol.alpha[i] > 0.0).collect();
        let mut support_vectors = Vec::with_capacity(support.len() * d);
        for &i in &support {
            support_vectors.extend_from_slice(&rows[i * d..(i + 1) * d]);
        }
        let dual_coef: Vec<f64> = support.iter().map(|&i| sol.alpha[i]).collect();
        let report = FitReport {
            n_samples: n,
            iterations: sol.iterations,
            converged: sol.converged,
            objective: sol.objective,
            gap: sol.gap,
            n_bounded_sv: dual_coef.iter().filter(|&&a| a >= 1.0).count(),
            seconds: start.elapsed().as_secs_f64(),
        };
        Ok(OcsvmModel { params: self.clone(), kernel, n_features: d, support, support_vectors, dual_coef, rho: sol.rho, report })
    }
}

impl OcsvmModel {
    pub fn n_support(&self) -> usize {
        self.support.len()
    }

    /// f(z) = Σ a_j k(x_j, z) − ρ for every row (scikit-learn `decision_function`); positive = inside.
    pub fn decision_function(&self, x: ArrayView2<f64>) -> Result<Array1<f64>, SvmError> {
        let d = self.n_features;
        if x.ncols() != d {
            return Err(SvmError::DimensionMismatch { expected: d, found: x.ncols() });
        }
        let rows = validated_rows(x).or_else(|e| match e {
            SvmError::EmptyData { rows: 0, .. } => Ok(Vec::new()),
            e => Err(e),
        })?;
        Ok(Array1::from(self.decision_rows(&rows)))
    }

    /// Anomaly scores, higher = more anomalous: −f(z).
    pub fn score(&self, x: ArrayView2<f64>) -> Result<Array1<f64>, SvmError> {
        Ok(-self.decision_function(x)?)
    }

    fn decision_rows(&self, rows: &[f64]) -> Vec<f64> {
        let d = self.n_features;
        let sv_sq: Vec<f64> = self.support_vectors.chunks(d).map(|r| dot(r, r)).collect();
        let m = rows.len() / d;
        let mut out = vec![0.0; m];
        out.par_chunks_mut(64).enumerate().for_each_init(
            || vec![0.0f64; self.dual_coef.len()],
            |k, (c, block)| {
                for (r, o) in block.iter_mut().enumerate() {
                    let z = &rows[(c * 64 + r) * d..(c * 64 + r + 1) * d];
                    simd::kernel_row(&self.kernel, z, dot(z, z), &self.support_vectors, &sv_sq, k);
                    *o = dot(k, &self.dual_coef) - self.rho;
                }
            },
        );
        out
    }

    /// The model as a JSON document (floats written so they read back bit-identical).
    pub fn to_json(&self) -> String {
        let doc = ModelFile { format: MODEL_FORMAT.to_string(), version: MODEL_VERSION, method: "ocsvm".into(), model: self.clone() };
        serde_json::to_string(&doc).expect("a model always serialises")
    }

    /// Read a model written by `to_json`; `path` only names the file in errors.
    pub fn from_json(text: &str, path: &str) -> Result<Self, SvmError> {
        let err = |message: String| SvmError::ModelFile { path: path.to_string(), message };
        let doc: ModelFile = serde_json::from_str(text).map_err(|e| err(format!("not a oneclass OCSVM model: {e}")))?;
        if doc.format != MODEL_FORMAT || doc.method != "ocsvm" {
            return Err(err(format!("field \"format\"/\"method\" is {:?}/{:?}, expected {MODEL_FORMAT:?}/\"ocsvm\"", doc.format, doc.method)));
        }
        if doc.version != MODEL_VERSION {
            return Err(err(format!("field \"version\" is {}, this program reads version {MODEL_VERSION}", doc.version)));
        }
        let m = doc.model;
        if m.support_vectors.len() != m.support.len() * m.n_features || m.dual_coef.len() != m.support.len() {
            return Err(err("support_vectors / dual_coef lengths do not match support × n_features".into()));
        }
        Ok(m)
    }
}

pub const MODEL_FORMAT: &str = "oneclass-model";
pub const MODEL_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct ModelFile {
    format: String,
    version: u32,
    method: String,
    model: OcsvmModel,
}
