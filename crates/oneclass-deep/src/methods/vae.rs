//! Variational auto-encoder: the encoder emits [μ, log σ²]; loss = MSE(decode(z), x) + β·KL
//! with z = μ + σ·ε (ε from a seeded host stream); score = reconstruction error of decode(μ).

use burn::tensor::{Tensor, TensorData};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::per_sample_mse;
use crate::data::SemiLabel;
use crate::error::{DeepError, Result};
use crate::nn::Network;
use crate::train::Loss;

pub(crate) struct VaeLoss {
    pub beta: f64,
    pub latent: usize,
    pub seed: u64,
    rng: ChaCha8Rng,
}

impl VaeLoss {
    pub fn new(beta: f64, latent: usize, seed: u64) -> Self {
        Self { beta, latent, seed, rng: ChaCha8Rng::seed_from_u64(seed) }
    }
}

fn split(h: Tensor<2>, latent: usize) -> (Tensor<2>, Tensor<2>) {
    let n = h.dims()[0];
    (h.clone().slice([0..n, 0..latent]), h.slice([0..n, latent..2 * latent]))
}

impl Loss for VaeLoss {
    fn loss(&mut self, net: &Network, x: Tensor<2>, _labels: &[SemiLabel], _epoch: usize, training: bool) -> (Tensor<1>, Tensor<2>) {
        let device = x.device();
        let n = x.dims()[0];
        let (mu, logvar) = split(net.encode(x.clone()), self.latent);
        let z = if training {
            let eps: Vec<f32> = (0..n * self.latent).map(|_| StandardNormal.sample(&mut self.rng)).collect();
            let eps = Tensor::<2>::from_data(TensorData::new(eps, [n, self.latent]), &device);
            mu.clone() + logvar.clone().mul_scalar(0.5).exp() * eps
        } else {
            mu.clone()
        };
        let recon = per_sample_mse(net.decode(z), x).mean();
        // KL(N(μ, σ²) ‖ N(0, 1)) per sample, averaged over the batch.
        let kl = (logvar.clone().add_scalar(1.0) - mu.clone().powi_scalar(2) - logvar.exp()).sum_dim(1).mean().mul_scalar(-0.5);
        (recon + kl.mul_scalar(self.beta), mu)
    }

    fn state(&self) -> serde_json::Value {
        serde_json::json!({ "rng_word_pos": self.rng.get_word_pos().to_string() })
    }

    fn restore(&mut self, state: &serde_json::Value) -> Result<()> {
        let pos: u128 = state
            .get("rng_word_pos")
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| DeepError::Labels("checkpoint loss state lacks rng_word_pos".into()))?;
        self.rng = ChaCha8Rng::seed_from_u64(self.seed);
        self.rng.set_word_pos(pos);
        Ok(())
    }
}

/// Reconstruction error of decode(μ).
pub(crate) fn score(net: &Network, x: Tensor<2>, latent: usize) -> Tensor<1> {
    let (mu, _) = split(net.encode(x.clone()), latent);
    per_sample_mse(net.decode(mu), x)
}
