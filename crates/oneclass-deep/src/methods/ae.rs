//! Auto-encoder: loss = MSE; score = per-sample reconstruction error (or an OCSVM on the codes).

use burn::tensor::Tensor;

use super::per_sample_mse;
use crate::data::SemiLabel;
use crate::nn::Network;
use crate::train::Loss;

pub(crate) struct AeLoss;

impl Loss for AeLoss {
    fn loss(&mut self, net: &Network, x: Tensor<2>, _labels: &[SemiLabel], _epoch: usize, _training: bool) -> (Tensor<1>, Tensor<2>) {
        let z = net.encode(x.clone());
        let recon = net.decode(z.clone());
        (per_sample_mse(recon, x).mean(), z)
    }
}

/// Reconstruction error per sample.
pub(crate) fn score(net: &Network, x: Tensor<2>) -> Tensor<1> {
    let recon = net.decode(net.encode(x.clone()));
    per_sample_mse(recon, x)
}
