//! One file per method: its training loss and its score (higher = more anomalous).

pub(crate) mod ae;
pub(crate) mod classifier;
pub(crate) mod coupled_fit;
pub(crate) mod deep_sad;
pub(crate) mod deep_svdd;
pub(crate) mod dspsvdd;
pub(crate) mod dvaesvdd;
pub(crate) mod regularizers;
pub(crate) mod ogae;
pub(crate) mod sae;
pub(crate) mod toll;
pub(crate) mod vae;

use burn::tensor::Tensor;

/// Per-sample mean squared error between two `[batch, d]` tensors → `[batch]`.
pub(crate) fn per_sample_mse(a: Tensor<2>, b: Tensor<2>) -> Tensor<1> {
    let n = a.dims()[0];
    (a - b).powi_scalar(2).mean_dim(1).reshape([n])
}

/// Squared distance of each code to `c` → `[batch]`.
pub(crate) fn sq_dist(z: Tensor<2>, c: Tensor<2>) -> Tensor<1> {
    let n = z.dims()[0];
    (z - c).powi_scalar(2).sum_dim(1).reshape([n])
}
