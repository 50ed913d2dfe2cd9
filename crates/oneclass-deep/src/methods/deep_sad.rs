//! Deep SAD / SS-DSVDD (seed 004). One-class (eq. 4): unlabeled and labeled-normal samples pull
//! towards c (squared distance); labeled anomalies (ỹ = −1) are pushed away through
//! η·(‖φ(x̃) − c‖² + 1e−6)^ỹ; labeled normals get η·(dist + 1e−6). Score = ‖φ(x) − c‖².
//! Soft-boundary (eq. 3): R² + 1/(ν(n+m)) · [Σ_unlabeled max(0, d − R²) + η Σ_labeled
//! max(0, ỹ(d − R²))]; after each step (once the warm-up epochs are over) R² is solved exactly on
//! the batch (algorithm 1). Score = d − R².

use burn::tensor::{Tensor, TensorData};

use super::deep_svdd::center_tensor;
use super::sq_dist;
use crate::data::{to_host1, SemiLabel};
use crate::error::{DeepError, Result};
use crate::nn::Network;
use crate::params::Objective;
use crate::train::Loss;

/// Added to the distance before inverting it (seed 004, footnote 1).
pub(crate) const SAD_EPS: f64 = 1e-6;

pub(crate) struct SadLoss {
    pub center: Vec<f32>,
    pub eta: f64,
    pub objective: Objective,
    pub nu: f64,
    pub warm_up_epochs: usize,
    /// R² of the soft-boundary objective (0 until the first update).
    pub radius2: f64,
    last_batch: Option<(Tensor<1>, Vec<SemiLabel>)>,
}

impl SadLoss {
    pub fn new(center: Vec<f32>, eta: f64, objective: Objective, nu: f64, warm_up_epochs: usize) -> Self {
        Self { center, eta, objective, nu, warm_up_epochs, radius2: 0.0, last_batch: None }
    }

    /// Weight of a sample in the soft-boundary sums: 1 unlabeled, η labeled.
    fn weight(&self, y: SemiLabel) -> f64 {
        if y == 0 {
            1.0
        } else {
            self.eta
        }
    }
}

/// The R² ≥ 0 minimising R² + 1/(ν N) Σ w_i max(0, s_i (d_i − R²)) (s = −1 for labeled
/// anomalies, +1 otherwise). The objective is convex and piecewise linear in R², so a minimiser
/// lies at 0 or at one of the d_i: every breakpoint is evaluated (batches are small).
pub(crate) fn optimal_radius2(dist: &[f64], labels: &[SemiLabel], weight: impl Fn(SemiLabel) -> f64, nu: f64) -> f64 {
    let scale = 1.0 / (nu * dist.len().max(1) as f64);
    let objective = |t: f64| {
        t + scale
            * dist.iter().zip(labels).map(|(&d, &y)| weight(y) * if y == -1 { (t - d).max(0.0) } else { (d - t).max(0.0) }).sum::<f64>()
    };
    let mut best = (objective(0.0), 0.0);
    for &t in dist.iter().filter(|t| **t > 0.0) {
        let v = objective(t);
        if v < best.0 {
            best = (v, t);
        }
    }
    best.1
}

impl Loss for SadLoss {
    fn loss(&mut self, net: &Network, x: Tensor<2>, labels: &[SemiLabel], _epoch: usize, training: bool) -> (Tensor<1>, Tensor<2>) {
        let device = x.device();
        let n = labels.len();
        let z = net.encode(x);
        let dist = sq_dist(z.clone(), center_tensor(&self.center, &device));
        let t = |v: Vec<f32>| Tensor::<1>::from_data(TensorData::new(v, [n]), &device);
        let loss = match self.objective {
            Objective::OneClass => {
                // Per-sample weights and exponents, built on the host from the labels.
                let unl: Vec<f32> = labels.iter().map(|&y| if y == 0 { 1.0 } else { 0.0 }).collect();
                let pos: Vec<f32> = labels.iter().map(|&y| if y == 1 { self.eta as f32 } else { 0.0 }).collect();
                let neg: Vec<f32> = labels.iter().map(|&y| if y == -1 { self.eta as f32 } else { 0.0 }).collect();
                let shifted = dist.clone().add_scalar(SAD_EPS);
                (dist.clone() * t(unl) + shifted.clone() * t(pos) + shifted.recip() * t(neg)).mean()
            }
            Objective::SoftBoundary => {
                let sign: Vec<f32> = labels.iter().map(|&y| if y == -1 { -1.0 } else { 1.0 }).collect();
                let weight: Vec<f32> = labels.iter().map(|&y| self.weight(y) as f32).collect();
                let hinge = (dist.clone().sub_scalar(self.radius2) * t(sign)).clamp_min(0.0) * t(weight);
                hinge.mean().mul_scalar(1.0 / self.nu).add_scalar(self.radius2)
            }
        };
        if training && self.objective == Objective::SoftBoundary {
            self.last_batch = Some((dist.detach(), labels.to_vec()));
        }
        (loss, z)
    }

    fn after_step(&mut self, epoch: usize) {
        if let Some((dist, labels)) = self.last_batch.take() {
            if epoch >= self.warm_up_epochs {
                let d = to_host1(dist);
                self.radius2 = optimal_radius2(&d, &labels, |y| self.weight(y), self.nu);
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
        let c = state.get("center").cloned().unwrap_or_default();
        self.center = serde_json::from_value(c).map_err(|e| DeepError::Labels(format!("checkpoint loss state: {e}")))?;
        self.radius2 = state.get("radius2").and_then(|r| r.as_f64()).unwrap_or(0.0);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;
    use rand::SeedableRng;

    /// A small MLP (input 5, code 8) and a fixed batch of 4 rows.
    fn tiny_batch() -> (Network, Tensor<2>) {
        let dev = Device::flex();
        let cfg = crate::nn::NetConfig::named("mlp", &[5]).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let net = Network { encoder: cfg.init_encoder(&mut rng, &dev), decoder: None, head: None, sample_shape: vec![5] };
        let x: Vec<f32> = (0..20).map(|i| ((i * 7) % 11) as f32 / 11.0).collect();
        (net, Tensor::<2>::from_data(TensorData::new(x, [4, 5]), &dev))
    }

    /// The Deep SAD loss equals eq. (4) evaluated on the host from the same codes.
    #[test]
    fn loss_matches_equation_4() {
        let (net, xt) = tiny_batch();
        let labels: [SemiLabel; 4] = [0, 1, -1, 0];
        let center = vec![0.3f32; 8];
        let mut loss = SadLoss::new(center.clone(), 2.5, Objective::OneClass, 0.1, 0);
        let (l, z) = loss.loss(&net, xt, &labels, 0, false);
        let l = crate::data::to_host1(l)[0];
        let z = crate::data::to_host(z);
        let mut want = 0.0;
        for (i, row) in z.chunks(8).enumerate() {
            let d: f64 = row.iter().zip(&center).map(|(a, c)| (a - *c as f64).powi(2)).sum();
            want += match labels[i] {
                0 => d,
                y => 2.5 * (d + SAD_EPS).powi(y as i32),
            };
        }
        want /= 4.0;
        assert!((l - want).abs() < 1e-5 * want.abs().max(1.0), "{l} vs {want}");
    }

    /// Without labels the optimal R² is the (1 − ν)-quantile of the distances (Deep SVDD's rule);
    /// with labels it minimises eq. (3)'s radius terms, checked against a dense grid.
    #[test]
    fn optimal_radius_minimises_equation_3() {
        let d: Vec<f64> = (0..40).map(|i| ((i * 37) % 41) as f64 / 7.0 + 0.05).collect();
        let unl = vec![0; 40];
        let r2 = optimal_radius2(&d, &unl, |_| 1.0, 0.1);
        let above = d.iter().filter(|&&x| x > r2).count();
        assert!(above <= 4 && d.iter().filter(|&&x| x >= r2).count() >= 4, "{above} points strictly above R² = {r2}");
        let labels: Vec<SemiLabel> = (0..40).map(|i| match i % 5 { 0 => -1, 1 => 1, _ => 0 }).collect();
        let w = |y: SemiLabel| if y == 0 { 1.0 } else { 2.0 };
        let f = |t: f64| t + (1.0 / (0.1 * 40.0)) * d.iter().zip(&labels).map(|(&x, &y)| w(y) * if y == -1 { (t - x).max(0.0) } else { (x - t).max(0.0) }).sum::<f64>();
        let r2 = optimal_radius2(&d, &labels, w, 0.1);
        let grid_best = (0..=7000).map(|k| f(k as f64 / 1000.0)).fold(f64::INFINITY, f64::min);
        assert!(f(r2) <= grid_best + 1e-12, "f(R²) {} > grid minimum {grid_best}", f(r2));
    }

    /// The soft-boundary loss equals eq. (3) evaluated on the host.
    #[test]
    fn soft_boundary_loss_matches_equation_3() {
        let (net, xt) = tiny_batch();
        let labels: [SemiLabel; 4] = [0, 1, -1, 0];
        let center = vec![0.3f32; 8];
        let mut loss = SadLoss::new(center.clone(), 2.5, Objective::SoftBoundary, 0.2, 0);
        loss.radius2 = 0.4;
        let (l, z) = loss.loss(&net, xt, &labels, 0, false);
        let l = crate::data::to_host1(l)[0];
        let z = crate::data::to_host(z);
        let mut sum = 0.0;
        for (i, row) in z.chunks(8).enumerate() {
            let d: f64 = row.iter().zip(&center).map(|(a, c)| (a - *c as f64).powi(2)).sum();
            sum += match labels[i] {
                0 => (d - 0.4).max(0.0),
                y => 2.5 * (y as f64 * (d - 0.4)).max(0.0),
            };
        }
        let want = 0.4 + sum / (0.2 * 4.0);
        assert!((l - want).abs() < 1e-5 * want.abs().max(1.0), "{l} vs {want}");
    }
}
