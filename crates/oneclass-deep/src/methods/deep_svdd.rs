//! Deep SVDD (Ruff et al. 2018; seed 004 eqs. 1–2). One-class: mean ‖φ(x) − c‖².
//! Soft-boundary: R² + 1/ν · mean max(0, ‖φ(x) − c‖² − R²), with R set after each step (once
//! the warm-up epochs are over) to the (1 − ν)-quantile of the batch distances.

use burn::tensor::{Tensor, TensorData};

use super::sq_dist;
use crate::data::{to_host1, SemiLabel};
use crate::error::{DeepError, Result};
use crate::nn::Network;
use crate::params::Objective;
use crate::train::Loss;

pub(crate) struct SvddLoss {
    pub center: Vec<f32>,
    pub objective: Objective,
    pub nu: f64,
    pub warm_up_epochs: usize,
    /// R² (0 until the first update).
    pub radius2: f64,
    last_dist: Option<Tensor<1>>,
}

impl SvddLoss {
    pub fn new(center: Vec<f32>, objective: Objective, nu: f64, warm_up_epochs: usize) -> Self {
        Self { center, objective, nu, warm_up_epochs, radius2: 0.0, last_dist: None }
    }
}

pub(crate) fn center_tensor(center: &[f32], device: &burn::tensor::Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(center.to_vec(), [1, center.len()]), device)
}

/// Linear-interpolation quantile (NumPy's default) of `values` at `q` ∈ [0, 1].
pub(crate) fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let pos = q * (values.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    values[lo] + (values[hi] - values[lo]) * (pos - lo as f64)
}

impl Loss for SvddLoss {
    fn loss(&mut self, net: &Network, x: Tensor<2>, _labels: &[SemiLabel], _epoch: usize, training: bool) -> (Tensor<1>, Tensor<2>) {
        let device = x.device();
        let z = net.encode(x);
        let dist = sq_dist(z.clone(), center_tensor(&self.center, &device));
        let loss = match self.objective {
            Objective::OneClass => dist.clone().mean(),
            Objective::SoftBoundary => {
                let excess = dist.clone().sub_scalar(self.radius2).clamp_min(0.0);
                excess.mean().mul_scalar(1.0 / self.nu).add_scalar(self.radius2)
            }
        };
        if training {
            self.last_dist = Some(dist.detach());
        }
        (loss, z)
    }

    fn after_step(&mut self, epoch: usize) {
        if let Some(dist) = self.last_dist.take() {
            if self.objective == Objective::SoftBoundary && epoch >= self.warm_up_epochs {
                let mut r: Vec<f64> = to_host1(dist).into_iter().map(f64::sqrt).collect();
                let radius = quantile(&mut r, 1.0 - self.nu);
                self.radius2 = radius * radius;
            }
        }
    }

    /// The radius starts to move after the warm-up: from then on the loss is eq. 3 proper.
    fn objective_changes_at(&self, epoch: usize) -> bool {
        self.objective == Objective::SoftBoundary && epoch == self.warm_up_epochs && epoch > 0
    }

    fn state(&self) -> serde_json::Value {
        serde_json::json!({ "center": self.center, "radius2": self.radius2 })
    }

    fn restore(&mut self, state: &serde_json::Value) -> Result<()> {
        #[derive(serde::Deserialize)]
        struct S {
            center: Vec<f32>,
            radius2: f64,
        }
        let s: S = serde_json::from_value(state.clone()).map_err(|e| DeepError::Labels(format!("checkpoint loss state: {e}")))?;
        self.center = s.center;
        self.radius2 = s.radius2;
        Ok(())
    }
}

/// ‖φ(x) − c‖² (soft-boundary: minus R²).
pub(crate) fn score(net: &Network, x: Tensor<2>, center: &[f32], radius2: Option<f64>) -> Tensor<1> {
    let device = x.device();
    let dist = sq_dist(net.encode(x), center_tensor(center, &device));
    match radius2 {
        Some(r2) => dist.sub_scalar(r2),
        None => dist,
    }
}

/// Centre = mean of the codes, each coordinate with |c_i| < eps pushed to ±eps (a zero
/// coordinate goes to +eps), so that a zero-weight network cannot reach it trivially.
pub(crate) fn center_from_codes(codes: &[f64], dim: usize, eps: f64) -> Vec<f32> {
    let n = codes.len() / dim;
    let mut c = vec![0.0f64; dim];
    for row in codes.chunks(dim) {
        for j in 0..dim {
            c[j] += row[j];
        }
    }
    c.iter()
        .map(|&s| {
            let m = s / n as f64;
            let m = if m.abs() < eps { if m < 0.0 { -eps } else { eps } } else { m };
            m as f32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Soft-boundary Deep SVDD's objective changes when the radius starts to move (early
    /// stopping must reach that epoch); one-class Deep SVDD's never does.
    #[test]
    fn soft_boundary_objective_changes_after_the_warm_up() {
        let soft = SvddLoss::new(vec![0.0; 2], Objective::SoftBoundary, 0.1, 10);
        assert!(soft.objective_changes_at(10) && !soft.objective_changes_at(9) && !soft.objective_changes_at(11));
        let hard = SvddLoss::new(vec![0.0; 2], Objective::OneClass, 0.1, 10);
        assert!(!(0..20).any(|e| hard.objective_changes_at(e)));
    }

    /// NumPy: np.quantile([3, 1, 4, 1, 5], 0.9) = 4.6; np.quantile(.., 0.5) = 3.
    #[test]
    fn quantile_is_numpys_linear() {
        assert!((quantile(&mut [3.0, 1.0, 4.0, 1.0, 5.0], 0.9) - 4.6).abs() < 1e-12);
        assert_eq!(quantile(&mut [3.0, 1.0, 4.0, 1.0, 5.0], 0.5), 3.0);
    }

    /// Σ_i (z_iq − mean_q)² per column: column 0 of [1, 2, 6] → 14; a constant column → 0 (a
    /// batch mapped to one point has no spread, wherever that point lies).
    #[test]
    fn within_batch_squares_per_column() {
        let z = [1.0, 5.0, 2.0, 5.0, 6.0, 5.0];
        let s = crate::train::within_batch_squares(&z, 2);
        assert!((s[0] - 14.0).abs() < 1e-12 && s[1] == 0.0, "{s:?}");
    }

    /// The guard flags spreads below 1/1000 of the first epoch's, and nothing at or above it.
    #[test]
    fn collapse_guard_threshold() {
        use crate::train::collapse_flagged;
        assert!(collapse_flagged(0.5, 4.9e-4));
        assert!(!collapse_flagged(0.5, 5.0e-4));
        assert!(!collapse_flagged(0.5, 0.5));
        assert!(collapse_flagged(0.5, 0.0));
    }

    /// `mnist-lenet-nobn-relu`: the LeNet without BatchNorm modules and with ReLU; the plain
    /// name keeps BatchNorm, also when read from a model file written before the switch.
    #[test]
    fn lenet_variant_without_batch_norm() {
        use crate::nn::NetConfig;
        use rand::SeedableRng;
        let NetConfig::Conv(c) = NetConfig::named("mnist-lenet-nobn-relu", &[1, 28, 28]).unwrap() else { panic!("a LeNet") };
        assert_eq!((c.batch_norm, c.leaky_slope, c.rep_dim), (Some(false), 0.0, 32));
        let dev = burn::tensor::Device::flex();
        let enc = c.init_encoder(&mut rand_chacha::ChaCha8Rng::seed_from_u64(0), &dev);
        assert!(enc.bns.is_empty() && enc.convs.len() == 2);
        let z = enc.forward(Tensor::<4>::ones([3, 1, 28, 28], &dev));
        assert_eq!(z.dims(), [3, 32]);
        let NetConfig::Conv(plain) = NetConfig::named("mnist-lenet", &[1, 28, 28]).unwrap() else { panic!("a LeNet") };
        let mut json = serde_json::to_value(&plain).unwrap();
        json.as_object_mut().unwrap().remove("batch_norm");
        let old: crate::nn::ConvNetConfig = serde_json::from_value(json).unwrap();
        assert_eq!(old.batch_norm, None);
        assert_eq!(old.init_encoder(&mut rand_chacha::ChaCha8Rng::seed_from_u64(0), &dev).bns.len(), 2);
        assert!(NetConfig::named("mlp-nobn", &[5]).is_err());
    }

    #[test]
    fn centre_pushes_small_coordinates_out() {
        let codes = [0.05, -0.02, 1.0, 0.0, -0.04, 3.0, 0.0, 0.0, -1.0];
        let c = center_from_codes(&codes, 3, 0.1);
        assert_eq!(c, vec![0.1f32, -0.1, 1.0]);
    }
}
