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
