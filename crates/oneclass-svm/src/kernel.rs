//! Kernel functions k(x, y) of the one-class SVM, with libsvm's parametrisation.

use serde::{Deserialize, Serialize};

/// A positive (semi-)definite kernel with its resolved parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Kernel {
    /// ⟨x, y⟩
    Linear,
    /// exp(−γ‖x − y‖²)
    Rbf { gamma: f64 },
    /// (γ⟨x, y⟩ + c₀)^degree
    Poly { gamma: f64, coef0: f64, degree: u32 },
    /// tanh(γ⟨x, y⟩ + c₀)
    Sigmoid { gamma: f64, coef0: f64 },
}

/// How γ is chosen, as in scikit-learn: "scale" = 1/(d·Var X), "auto" = 1/d, or a fixed value.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gamma {
    Scale,
    Auto,
    Value(f64),
}

impl std::str::FromStr for Gamma {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "scale" => Ok(Gamma::Scale),
            "auto" => Ok(Gamma::Auto),
            other => match other.parse::<f64>() {
                Ok(v) if v.is_finite() && v > 0.0 => Ok(Gamma::Value(v)),
                _ => Err(format!("gamma must be \"scale\", \"auto\" or a positive number, got {other:?}")),
            },
        }
    }
}

#[inline]
pub fn dot(x: &[f64], y: &[f64]) -> f64 {
    debug_assert_eq!(x.len(), y.len());
    // Four independent accumulators let the compiler vectorise and pipeline the sum.
    let mut acc = [0.0f64; 4];
    let chunks = x.len() / 4;
    for c in 0..chunks {
        let i = 4 * c;
        acc[0] += x[i] * y[i];
        acc[1] += x[i + 1] * y[i + 1];
        acc[2] += x[i + 2] * y[i + 2];
        acc[3] += x[i + 3] * y[i + 3];
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for i in 4 * chunks..x.len() {
        s += x[i] * y[i];
    }
    s
}

impl Kernel {
    /// k(x, y) computed directly.
    #[inline]
    pub fn eval(&self, x: &[f64], y: &[f64]) -> f64 {
        match *self {
            Kernel::Rbf { gamma } => {
                let d2: f64 = x.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum();
                (-gamma * d2).exp()
            }
            _ => self.from_dot(dot(x, y), 0.0, 0.0),
        }
    }

    /// k(x, y) from ⟨x, y⟩ and the squared norms ‖x‖², ‖y‖² (these are only used by rbf).
    #[inline]
    pub fn from_dot(&self, xy: f64, xx: f64, yy: f64) -> f64 {
        match *self {
            Kernel::Linear => xy,
            Kernel::Rbf { gamma } => (-gamma * (xx + yy - 2.0 * xy).max(0.0)).exp(),
            Kernel::Poly { gamma, coef0, degree } => (gamma * xy + coef0).powi(degree as i32),
            Kernel::Sigmoid { gamma, coef0 } => (gamma * xy + coef0).tanh(),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Kernel::Linear => "linear",
            Kernel::Rbf { .. } => "rbf",
            Kernel::Poly { .. } => "poly",
            Kernel::Sigmoid { .. } => "sigmoid",
        }
    }

    pub fn gamma(&self) -> Option<f64> {
        match *self {
            Kernel::Linear => None,
            Kernel::Rbf { gamma } | Kernel::Poly { gamma, .. } | Kernel::Sigmoid { gamma, .. } => Some(gamma),
        }
    }
}

/// Resolve γ for data with `d` columns whose entries have variance `variance` (over all entries).
/// Returns None when "scale" is asked for on data with zero variance (γ would be infinite).
pub fn resolve_gamma(gamma: Gamma, d: usize, variance: f64) -> Option<f64> {
    match gamma {
        Gamma::Value(v) => Some(v),
        Gamma::Auto => Some(1.0 / d as f64),
        Gamma::Scale => {
            let s = d as f64 * variance;
            (s > 0.0 && s.is_finite()).then(|| 1.0 / s)
        }
    }
}

/// Population variance over every entry of a row-major matrix (numpy's `X.var()`), in two passes.
pub fn variance_of_entries(data: &[f64]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let n = data.len() as f64;
    let mean = data.iter().sum::<f64>() / n;
    data.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_dot_matches_direct_evaluation() {
        let x = [0.3, -1.2, 2.0, 0.5, 0.1];
        let y = [1.1, 0.4, -0.7, 0.0, 2.2];
        let kernels = [
            Kernel::Linear,
            Kernel::Rbf { gamma: 0.37 },
            Kernel::Poly { gamma: 0.5, coef0: 1.0, degree: 3 },
            Kernel::Sigmoid { gamma: 0.1, coef0: -0.3 },
        ];
        for k in kernels {
            let direct = k.eval(&x, &y);
            let via = k.from_dot(dot(&x, &y), dot(&x, &x), dot(&y, &y));
            assert!((direct - via).abs() < 1e-13, "{k:?}: {direct} vs {via}");
        }
        // Hand values: ‖x−y‖² = 0.64+2.56+7.29+0.25+4.41 = 15.15.
        assert!((Kernel::Rbf { gamma: 0.1 }.eval(&x, &y) - (-1.515f64).exp()).abs() < 1e-15);
        assert!((Kernel::Linear.eval(&x, &y) - (0.33 - 0.48 - 1.4 + 0.0 + 0.22)).abs() < 1e-15);
    }

    #[test]
    fn gamma_resolution_follows_scikit_learn() {
        assert_eq!(resolve_gamma(Gamma::Auto, 4, 9.0), Some(0.25));
        assert_eq!(resolve_gamma(Gamma::Scale, 4, 0.5), Some(0.5));
        assert_eq!(resolve_gamma(Gamma::Scale, 4, 0.0), None);
        assert_eq!(variance_of_entries(&[1.0, 2.0, 3.0, 4.0]), 1.25);
        assert!("0".parse::<Gamma>().is_err());
        assert_eq!("scale".parse::<Gamma>(), Ok(Gamma::Scale));
    }
}
