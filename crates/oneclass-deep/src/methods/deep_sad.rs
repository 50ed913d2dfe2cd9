//! Deep SAD / one-class SS-DSVDD (seed 004, eq. 4): unlabeled and labeled-normal samples pull
//! towards c (squared distance); labeled anomalies (ỹ = −1) are pushed away through
//! η·(‖φ(x̃) − c‖² + 1e−6)^ỹ; labeled normals get η·(dist + 1e−6). Score = ‖φ(x) − c‖².

use burn::tensor::{Tensor, TensorData};

use super::deep_svdd::center_tensor;
use super::sq_dist;
use crate::data::SemiLabel;
use crate::error::{DeepError, Result};
use crate::nn::Network;
use crate::train::Loss;

/// Added to the distance before inverting it (seed 004, footnote 1).
pub(crate) const SAD_EPS: f64 = 1e-6;

pub(crate) struct SadLoss {
    pub center: Vec<f32>,
    pub eta: f64,
}

impl Loss for SadLoss {
    fn loss(&mut self, net: &Network, x: Tensor<2>, labels: &[SemiLabel], _epoch: usize, _training: bool) -> (Tensor<1>, Tensor<2>) {
        let device = x.device();
        let n = labels.len();
        let z = net.encode(x);
        let dist = sq_dist(z.clone(), center_tensor(&self.center, &device));
        // Per-sample weights and exponents, built on the host from the labels.
        let unl: Vec<f32> = labels.iter().map(|&y| if y == 0 { 1.0 } else { 0.0 }).collect();
        let pos: Vec<f32> = labels.iter().map(|&y| if y == 1 { self.eta as f32 } else { 0.0 }).collect();
        let neg: Vec<f32> = labels.iter().map(|&y| if y == -1 { self.eta as f32 } else { 0.0 }).collect();
        let t = |v: Vec<f32>| Tensor::<1>::from_data(TensorData::new(v, [n]), &device);
        let shifted = dist.clone().add_scalar(SAD_EPS);
        let per = dist.clone() * t(unl) + shifted.clone() * t(pos) + shifted.recip() * t(neg);
        (per.mean(), z)
    }

    fn state(&self) -> serde_json::Value {
        serde_json::json!({ "center": self.center })
    }

    fn restore(&mut self, state: &serde_json::Value) -> Result<()> {
        let c = state.get("center").cloned().unwrap_or_default();
        self.center = serde_json::from_value(c).map_err(|e| DeepError::Labels(format!("checkpoint loss state: {e}")))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;
    use rand::SeedableRng;

    /// The Deep SAD loss equals eq. (4) evaluated on the host from the same codes.
    #[test]
    fn loss_matches_equation_4() {
        let dev = Device::flex();
        let cfg = crate::nn::NetConfig::named("mlp", &[5]).unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let net = Network { encoder: cfg.init_encoder(&mut rng, &dev), decoder: None, head: None, sample_shape: vec![5] };
        let x: Vec<f32> = (0..20).map(|i| ((i * 7) % 11) as f32 / 11.0).collect();
        let xt = Tensor::<2>::from_data(TensorData::new(x.clone(), [4, 5]), &dev);
        let labels: [SemiLabel; 4] = [0, 1, -1, 0];
        let center = vec![0.3f32; 8];
        let mut loss = SadLoss { center: center.clone(), eta: 2.5 };
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
}
