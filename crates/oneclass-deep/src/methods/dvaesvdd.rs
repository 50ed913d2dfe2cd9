//! DVAESVDD (Zhou et al. 2021, "VAE-based deep SVDD"; seed 001 table I): a VAE trained with
//! `MSE + β·KL + α·mean‖μ − μ̄‖²`, μ̄ the batch mean of the mean codes (so the SVDD term is the
//! batch's spread of μ). After training the centre is the mean μ of the training set; score:
//! ‖μ − c‖².

use burn::tensor::Tensor;

use super::deep_svdd::center_tensor;
use super::sq_dist;
use super::vae::VaeLoss;
use crate::data::SemiLabel;
use crate::error::Result;
use crate::nn::Network;
use crate::train::Loss;

pub(crate) struct DvaesvddLoss {
    pub vae: VaeLoss,
    pub alpha: f64,
}

impl Loss for DvaesvddLoss {
    fn loss(&mut self, net: &Network, x: Tensor<2>, labels: &[SemiLabel], epoch: usize, training: bool) -> (Tensor<1>, Tensor<2>) {
        let (vae_loss, mu) = self.vae.loss(net, x, labels, epoch, training);
        let centre = mu.clone().mean_dim(0);
        let svdd = sq_dist(mu.clone(), centre).mean();
        (vae_loss + svdd.mul_scalar(self.alpha), mu)
    }

    fn state(&self) -> serde_json::Value {
        self.vae.state()
    }

    fn restore(&mut self, state: &serde_json::Value) -> Result<()> {
        self.vae.restore(state)
    }
}

/// ‖μ − c‖² of a batch.
pub(crate) fn score(net: &Network, x: Tensor<2>, latent: usize, center: &[f32]) -> Tensor<1> {
    let device = x.device();
    let h = net.encode(x);
    let n = h.dims()[0];
    let mu = h.slice([0..n, 0..latent]);
    sq_dist(mu, center_tensor(center, &device))
}

/// Mean of the first `latent` columns of `codes` (`[n, 2·latent]`: μ then log σ²).
pub(crate) fn mean_mu(codes: &[f64], latent: usize) -> Vec<f32> {
    let width = 2 * latent;
    let n = (codes.len() / width).max(1) as f64;
    let mut c = vec![0.0f64; latent];
    for row in codes.chunks(width) {
        c.iter_mut().zip(&row[..latent]).for_each(|(a, b)| *a += b);
    }
    c.iter().map(|v| (v / n) as f32).collect()
}
