//! Siamese auto-encoder (seed 001 baseline): each batch is split in two halves;
//! loss = ½MSE₁ + ½MSE₂ + s·mean((z₁ − z₂)²). Score = reconstruction error.

use burn::tensor::Tensor;

use super::per_sample_mse;
use crate::data::SemiLabel;
use crate::nn::Network;
use crate::train::Loss;

pub(crate) struct SaeLoss {
    pub s: f64,
}

impl Loss for SaeLoss {
    fn loss(&mut self, net: &Network, x: Tensor<2>, _labels: &[SemiLabel], _epoch: usize, _training: bool) -> (Tensor<1>, Tensor<2>) {
        let n = x.dims()[0];
        let z = net.encode(x.clone());
        let recon = net.decode(z.clone());
        let mse = per_sample_mse(recon, x);
        if n < 2 {
            return (mse.mean(), z);
        }
        let h = n / 2;
        let k = z.dims()[1];
        let m1 = mse.clone().slice([0..h]).mean();
        let m2 = mse.slice([h..n]).mean();
        let z1 = z.clone().slice([0..h, 0..k]);
        let z2 = z.clone().slice([h..2 * h, 0..k]);
        let siamese = (z1 - z2).powi_scalar(2).mean();
        (m1.mul_scalar(0.5) + m2.mul_scalar(0.5) + siamese.mul_scalar(self.s), z)
    }
}
