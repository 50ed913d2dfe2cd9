//! DSPSVDD (Zhang & Deng 2021, "deep SVDD with data structure preservation"; seed 001 table I):
//! an auto-encoder is pre-trained, the centre c is the mean code (small coordinates pushed
//! out as in Deep SVDD), then encoder and decoder are fine-tuned with
//! `MSE + γ·mean‖z − c‖²` so that the reconstruction keeps the code from collapsing.
//! The network is bias-free (`bias=false` by default). Score: ‖z − c‖².

use burn::tensor::Tensor;

use super::deep_svdd::center_tensor;
use super::{per_sample_mse, sq_dist};
use crate::data::SemiLabel;
use crate::error::{DeepError, Result};
use crate::nn::Network;
use crate::train::Loss;

pub(crate) struct DspsvddLoss {
    pub center: Vec<f32>,
    pub gamma: f64,
}

impl Loss for DspsvddLoss {
    fn loss(&mut self, net: &Network, x: Tensor<2>, _labels: &[SemiLabel], _epoch: usize, _training: bool) -> (Tensor<1>, Tensor<2>) {
        let device = x.device();
        let z = net.encode(x.clone());
        let recon = per_sample_mse(net.decode(z.clone()), x).mean();
        let dist = sq_dist(z.clone(), center_tensor(&self.center, &device)).mean();
        (recon + dist.mul_scalar(self.gamma), z)
    }

    fn state(&self) -> serde_json::Value {
        serde_json::json!({ "center": self.center })
    }

    fn restore(&mut self, state: &serde_json::Value) -> Result<()> {
        let c = state.get("center").cloned().ok_or_else(|| DeepError::Labels("checkpoint loss state lacks the centre".into()))?;
        self.center = serde_json::from_value(c).map_err(|e| DeepError::Labels(format!("checkpoint loss state: {e}")))?;
        Ok(())
    }
}
