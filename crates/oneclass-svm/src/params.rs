//! Hyper-parameters of the one-class SVM, checked before fitting (linfa's `ParamGuard` idea).

use crate::error::SvmError;
use crate::kernel::{resolve_gamma, variance_of_entries, Gamma, Kernel};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KernelKind {
    Linear,
    Rbf,
    Poly,
    Sigmoid,
}

impl std::str::FromStr for KernelKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "linear" => Ok(KernelKind::Linear),
            "rbf" => Ok(KernelKind::Rbf),
            "poly" => Ok(KernelKind::Poly),
            "sigmoid" => Ok(KernelKind::Sigmoid),
            _ => Err(format!("kernel must be one of rbf, linear, poly, sigmoid; got {s:?}")),
        }
    }
}

/// Defaults are scikit-learn's `OneClassSVM` defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OcsvmParams {
    pub nu: f64,
    pub kernel: KernelKind,
    pub gamma: Gamma,
    pub degree: u32,
    pub coef0: f64,
    pub tol: f64,
    pub shrinking: bool,
    pub cache_size_mb: f64,
    /// None = until convergence (scikit-learn's max_iter = −1).
    pub max_iter: Option<usize>,
    /// Warm start from a coarse subsample solution (n ≥ 8000); false = libsvm's start.
    #[serde(default = "yes")]
    pub warm_start: bool,
}

fn yes() -> bool {
    true
}

impl Default for OcsvmParams {
    fn default() -> Self {
        OcsvmParams {
            nu: 0.5,
            kernel: KernelKind::Rbf,
            gamma: Gamma::Scale,
            degree: 3,
            coef0: 0.0,
            tol: 1e-3,
            shrinking: true,
            cache_size_mb: 200.0,
            max_iter: None,
            warm_start: true,
        }
    }
}

fn invalid(name: &'static str, value: impl ToString, expected: &'static str) -> SvmError {
    SvmError::InvalidParameter { name, value: value.to_string(), expected }
}

impl OcsvmParams {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn nu(mut self, nu: f64) -> Self {
        self.nu = nu;
        self
    }
    pub fn kernel(mut self, kernel: KernelKind) -> Self {
        self.kernel = kernel;
        self
    }
    pub fn gamma(mut self, gamma: Gamma) -> Self {
        self.gamma = gamma;
        self
    }
    pub fn degree(mut self, degree: u32) -> Self {
        self.degree = degree;
        self
    }
    pub fn coef0(mut self, coef0: f64) -> Self {
        self.coef0 = coef0;
        self
    }
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }
    pub fn shrinking(mut self, shrinking: bool) -> Self {
        self.shrinking = shrinking;
        self
    }
    pub fn cache_size_mb(mut self, mb: f64) -> Self {
        self.cache_size_mb = mb;
        self
    }
    pub fn warm_start(mut self, warm_start: bool) -> Self {
        self.warm_start = warm_start;
        self
    }
    pub fn max_iter(mut self, max_iter: Option<usize>) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Reject values the solver cannot honour, before any work is done.
    pub fn check(&self) -> Result<(), SvmError> {
        if !(self.nu > 0.0 && self.nu <= 1.0) {
            return Err(invalid("nu", self.nu, "a number in (0, 1]"));
        }
        if !(self.tol > 0.0 && self.tol.is_finite()) {
            return Err(invalid("tol", self.tol, "a positive number"));
        }
        if !(self.cache_size_mb > 0.0 && self.cache_size_mb.is_finite()) {
            return Err(invalid("cache_size_mb", self.cache_size_mb, "a positive number of megabytes"));
        }
        if let Gamma::Value(g) = self.gamma {
            if !(g > 0.0 && g.is_finite()) {
                return Err(invalid("gamma", g, "\"scale\", \"auto\" or a positive number"));
            }
        }
        if !self.coef0.is_finite() {
            return Err(invalid("coef0", self.coef0, "a finite number"));
        }
        if self.max_iter == Some(0) {
            return Err(invalid("max_iter", 0, "a positive number of iterations (or none for no limit)"));
        }
        Ok(())
    }

    /// The kernel with γ resolved on the training rows (n × d, row-major).
    pub fn resolve_kernel(&self, x: &[f64], d: usize) -> Result<Kernel, SvmError> {
        let gamma = || -> Result<f64, SvmError> {
            let var = if matches!(self.gamma, Gamma::Scale) { variance_of_entries(x) } else { 0.0 };
            resolve_gamma(self.gamma, d, var).ok_or(SvmError::ZeroVariance { value: x.first().copied().unwrap_or(0.0) })
        };
        Ok(match self.kernel {
            KernelKind::Linear => Kernel::Linear,
            KernelKind::Rbf => Kernel::Rbf { gamma: gamma()? },
            KernelKind::Poly => Kernel::Poly { gamma: gamma()?, coef0: self.coef0, degree: self.degree },
            KernelKind::Sigmoid => Kernel::Sigmoid { gamma: gamma()?, coef0: self.coef0 },
        })
    }
}
