//! Networks: LeNet-type convolutional auto-encoders (Deep SVDD / Deep SAD, OgAE), MLPs, and
//! layer-list auto-encoders of unpadded, strided convolutions (seed 001's `patch-ae`, seed 002's
//! `toll-mnist` and `toll-cifar`).
//!
//! Weights are drawn from a seeded ChaCha8 stream on the host (not from the backend's global
//! generator), so the same seed gives the same initial network on every backend and in every
//! thread. The initialisation is PyTorch's default (uniform ±1/√fan_in), the one the reference
//! implementations train from.

use burn::config::Config;
use burn::module::{Module, Param, RunningState};
use burn::tensor::activation::{gelu, sigmoid};
use burn::tensor::module::{conv2d, conv_transpose2d, interpolate, linear, max_pool2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions, InterpolateMode, InterpolateOptions, MaxPoolOptions};
use burn::tensor::{Device, Tensor, TensorData};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::error::{invalid, Result as DeepResult};

/// LeakyReLU. With autodiff it is `x · f`, `f` = slope where x < 0 else 1, held as a constant:
/// the same values and the same gradient (slope below zero, 1 from zero up) as burn's
/// `leaky_relu`, whose recorded mask/where/scale graph costs about twice as much to run and
/// differentiate on the CPU backend.
pub fn leaky_relu<const D: usize>(x: Tensor<D>, slope: f64) -> Tensor<D> {
    if !x.device().is_autodiff() {
        return burn::tensor::activation::leaky_relu(x, slope);
    }
    let constant = x.clone().detach();
    let negative = constant.clone().lower_elem(0.0);
    let factor = constant.ones_like().mask_fill(negative, slope);
    x * factor
}

fn uniform_tensor<const D: usize>(shape: [usize; D], bound: f64, rng: &mut ChaCha8Rng, device: &Device) -> Tensor<D> {
    let n: usize = shape.iter().product();
    let values: Vec<f32> = (0..n).map(|_| rng.random_range(-bound..bound) as f32).collect();
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// Batch normalisation over the channel axis, optionally without affine parameters
/// (Deep SVDD removes them: a learnable shift would let the network reach the centre trivially).
/// Training uses the batch statistics and updates running ones with PyTorch's convention
/// (momentum 0.1, unbiased running variance); inference (inputs on a device without autodiff)
/// uses the running statistics.
#[derive(Module, Debug)]
pub struct BatchNorm {
    pub gamma: Option<Param<Tensor<1>>>,
    pub beta: Option<Param<Tensor<1>>>,
    pub running_mean: RunningState<Tensor<1>>,
    pub running_var: RunningState<Tensor<1>>,
    pub epsilon: f64,
    pub momentum: f64,
}

impl BatchNorm {
    pub fn new(features: usize, epsilon: f64, affine: bool, device: &Device) -> Self {
        Self {
            gamma: affine.then(|| Param::from_tensor(Tensor::ones([features], device))),
            beta: affine.then(|| Param::from_tensor(Tensor::zeros([features], device))),
            running_mean: RunningState::new(Tensor::zeros([features], device)),
            running_var: RunningState::new(Tensor::ones([features], device)),
            epsilon,
            momentum: 0.1,
        }
    }

    /// `x`: `[batch, features, ...]` with `D` = 2 (dense) or 4 (images).
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        let dims = x.dims();
        let features = dims[1];
        let device = x.device();
        // Statistics over every axis except the channel one.
        let mut bshape = [1usize; D];
        bshape[1] = features;
        let normalised = if device.is_autodiff() {
            let count: usize = dims.iter().enumerate().filter(|(i, _)| *i != 1).map(|(_, d)| *d).product();
            // Reduce axis by axis (keeping dims): no transposed copy of the activation.
            let reduce = |t: Tensor<D>| {
                let mut t = t;
                for axis in (0..D).filter(|&a| a != 1) {
                    t = t.mean_dim(axis);
                }
                t
            };
            let mean = reduce(x.clone()); // [1, C, 1, …]
            let centred = x - mean.clone();
            let var = reduce(centred.clone().powi_scalar(2)); // biased, as in training-mode BN
            let unbiased = var.clone().detach().mul_scalar(count as f64 / (count.max(2) - 1) as f64);
            let m = self.momentum;
            let rm = self.running_mean.value_sync().to_device(&device);
            let rv = self.running_var.value_sync().to_device(&device);
            self.running_mean.update(rm.mul_scalar(1.0 - m).add(mean.detach().reshape([features]).mul_scalar(m)).detach());
            self.running_var.update(rv.mul_scalar(1.0 - m).add(unbiased.reshape([features]).mul_scalar(m)).detach());
            centred / var.add_scalar(self.epsilon).sqrt()
        } else {
            let mean = self.running_mean.value().to_device(&device).reshape(bshape);
            let std = self.running_var.value().to_device(&device).add_scalar(self.epsilon).sqrt().reshape(bshape);
            (x - mean) / std
        };
        match (&self.gamma, &self.beta) {
            (Some(g), Some(b)) => normalised * g.val().reshape(bshape) + b.val().reshape(bshape),
            _ => normalised,
        }
    }
}

/// Dense layer `y = x W (+ b)`, `W: [in, out]`.
#[derive(Module, Debug)]
pub struct Dense {
    pub weight: Param<Tensor<2>>,
    pub bias: Option<Param<Tensor<1>>>,
}

impl Dense {
    pub fn new(d_in: usize, d_out: usize, bias: bool, rng: &mut ChaCha8Rng, device: &Device) -> Self {
        let bound = 1.0 / (d_in as f64).sqrt();
        let weight = Param::from_tensor(uniform_tensor([d_in, d_out], bound, rng, device));
        let bias = bias.then(|| Param::from_tensor(uniform_tensor([d_out], bound, rng, device)));
        Self { weight, bias }
    }
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        linear(x, self.weight.val(), self.bias.as_ref().map(|b| b.val()))
    }
}

/// 2-D convolution, stride 1, "same" padding (odd kernel).
#[derive(Module, Debug)]
pub struct Conv {
    pub weight: Param<Tensor<4>>,
    pub bias: Option<Param<Tensor<1>>>,
    pub padding: usize,
    pub transposed: bool,
}

impl Conv {
    pub fn new(c_in: usize, c_out: usize, kernel: usize, bias: bool, transposed: bool, rng: &mut ChaCha8Rng, device: &Device) -> Self {
        // PyTorch computes fan_in from weight.shape[1] * k * k for both kinds of layer.
        let (shape, fan_in) = if transposed {
            ([c_in, c_out, kernel, kernel], c_out * kernel * kernel)
        } else {
            ([c_out, c_in, kernel, kernel], c_in * kernel * kernel)
        };
        let bound = 1.0 / (fan_in as f64).sqrt();
        let weight = Param::from_tensor(uniform_tensor(shape, bound, rng, device));
        let bias = bias.then(|| Param::from_tensor(uniform_tensor([c_out], bound, rng, device)));
        Self { weight, bias, padding: kernel / 2, transposed }
    }
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.forward_strided(x, 1)
    }

    /// `forward` with stride `s` (both axes).
    pub fn forward_strided(&self, x: Tensor<4>, s: usize) -> Tensor<4> {
        let (w, b, p) = (self.weight.val(), self.bias.as_ref().map(|b| b.val()), self.padding);
        if self.transposed {
            conv_transpose2d(x, w, b, ConvTransposeOptions::new([s, s], [p, p], [0, 0], [1, 1], 1))
        } else {
            conv2d(x, w, b, ConvOptions::new([s, s], [p, p], [1, 1], 1))
        }
    }

    /// `forward` of the nearest-neighbour 2× upsampled `x`: `[b, c, h, w]` → `[b, c', 2h, 2w]`.
    ///
    /// For a transposed convolution with "same" padding this runs as one ordinary convolution
    /// on the small map: an output pixel of parity (r, s) reads, through the upsampling, only
    /// 3 (for k = 5) distinct input rows and columns, so each parity gets a kernel whose taps
    /// are sums of the k×k kernel's taps. The four parity kernels are stacked as output
    /// channels and the result is interleaved back. The same linear map as
    /// `interpolate` + `forward` (up to float rounding) at about a third of the
    /// multiply-adds and without the scatter-based transposed convolution.
    pub fn forward_upsampled(&self, x: Tensor<4>) -> Tensor<4> {
        let [batch, c_in, h, w] = x.dims();
        let [_, c_out, k, k2] = self.weight.dims();
        if !self.transposed || k != k2 || k % 2 == 0 || self.padding != k / 2 {
            let x = interpolate(x, InterpolateOptions::new(InterpolateMode::Nearest).with_output_size([2 * h, 2 * w]));
            return self.forward(x);
        }
        let p = k / 2;
        let reach = p.div_ceil(2); // input taps on either side of the centre in the small map
        let taps = 2 * reach + 1;
        // `fold[(r·taps + t), j] = 1` when kernel offset j − p, seen from an output of parity r,
        // lands on input offset t − reach: floor((r + j − p) / 2) = t − reach.
        let mut fold = vec![0f32; 2 * taps * k];
        for r in 0..2 {
            for j in 0..k {
                // r + j − p ≥ −p ≥ −2·reach, so adding 2·reach keeps the division non-negative.
                let t = (r + j + 2 * reach - p) / 2;
                fold[(r * taps + t) * k + j] = 1.0;
            }
        }
        let device = x.device();
        let fold = Tensor::<2>::from_data(TensorData::new(fold, [2 * taps, k]), &device);
        // Correlation kernel of the transposed convolution: flipped taps, channel axes swapped.
        let kernel = self.weight.val().flip([2, 3]).swap_dims(0, 1); // [c_out, c_in, k, k]
        let left: Tensor<4> = fold.clone().unsqueeze::<4>().expand([c_out, c_in, 2 * taps, k]);
        let right: Tensor<4> = fold.transpose().unsqueeze::<4>().expand([c_out, c_in, k, 2 * taps]);
        let parity = left.matmul(kernel).matmul(right); // [c_out, c_in, 2·taps, 2·taps]
        let parity = parity.reshape([c_out, c_in, 2, taps, 2, taps]).permute([0, 2, 4, 1, 3, 5]).reshape([4 * c_out, c_in, taps, taps]);
        let bias = self.bias.as_ref().map(|b| b.val().reshape([c_out, 1]).repeat_dim(1, 4).reshape([4 * c_out]));
        let y = conv2d(x, parity, bias, ConvOptions::new([1, 1], [reach, reach], [1, 1], 1)); // [b, 4·c_out, h, w]
        y.reshape([batch, c_out, 2, 2, h, w]).permute([0, 1, 4, 2, 5, 3]).reshape([batch, c_out, 2 * h, 2 * w])
    }
}

/// A convolutional (LeNet-type) encoder with an optional mirrored decoder.
///
/// Encoder: per entry of `channels`, conv k×k → BN → LeakyReLU → 2×2 max-pool; flatten;
/// dense layers `dense` (each → BN → LeakyReLU); dense → `rep_dim`.
/// Decoder: dense `latent → channels.last × h' × w'` (through the reversed `dense` widths),
/// LeakyReLU; per entry of `decoder_channels`: nearest 2× upsampling → transposed conv → BN →
/// LeakyReLU; transposed conv to the input channels; sigmoid (unless `output_sigmoid` is off).
#[derive(Config, Debug)]
pub struct ConvNetConfig {
    /// Input shape `[channels, height, width]`.
    pub input_shape: [usize; 3],
    /// Output channels of the convolution blocks.
    pub channels: Vec<usize>,
    /// Dense hidden widths between the flattened feature map and the representation.
    pub dense: Vec<usize>,
    /// Representation (latent) size.
    pub rep_dim: usize,
    #[config(default = 5)]
    pub kernel: usize,
    /// Bias terms in every layer (Deep SVDD needs `false` against hypersphere collapse).
    #[config(default = false)]
    pub bias: bool,
    /// Learnable BatchNorm scale and shift.
    #[config(default = false)]
    pub bn_affine: bool,
    #[config(default = 1e-4)]
    pub bn_eps: f64,
    #[config(default = 0.1)]
    pub leaky_slope: f64,
    /// Channels of the decoder's upsampling blocks; `None` = `channels` reversed.
    #[config(default = "None")]
    pub decoder_channels: Option<Vec<usize>>,
    /// BatchNorm after each hidden layer; `None` (also model files written before this
    /// switch) = on. `Some(false)`: the `-nobn` networks, whose features can shrink to a
    /// point (hypersphere collapse with bias terms, seed 003).
    #[config(default = "None")]
    pub batch_norm: Option<bool>,
    /// Sigmoid on the reconstruction; `None` (also model files written before this switch) =
    /// on, for pixels in [0, 1]. `Some(false)`: a linear output, for z-scored pixels.
    #[config(default = "None")]
    pub output_sigmoid: Option<bool>,
}

impl ConvNetConfig {
    /// Deep SVDD MNIST LeNet: conv 8 → 4 (5×5), dense → 32, bias-free, affine-free BN.
    pub fn mnist_lenet(input_shape: [usize; 3]) -> Self {
        Self::new(input_shape, vec![8, 4], vec![], 32)
    }
    /// Deep SVDD Fashion-MNIST LeNet: conv 16 → 32, dense 64, rep 32 (seed 004, appendix B).
    pub fn fmnist_lenet(input_shape: [usize; 3]) -> Self {
        Self::new(input_shape, vec![16, 32], vec![64], 32)
    }
    /// Deep SVDD CIFAR-10 LeNet: conv 32 → 64 → 128, dense → 128.
    pub fn cifar10_lenet(input_shape: [usize; 3]) -> Self {
        Self::new(input_shape, vec![32, 64, 128], vec![], 128)
    }
    /// OgAE MNIST auto-encoder (seed 001): conv 4 → 8, dense → 32, decoder 8 → 8 → 4 → 1,
    /// with bias terms and affine BatchNorm (PyTorch defaults).
    pub fn ogae_mnist(input_shape: [usize; 3]) -> Self {
        Self::new(input_shape, vec![4, 8], vec![], 32)
            .with_bias(true)
            .with_bn_affine(true)
            .with_bn_eps(1e-5)
            .with_leaky_slope(0.01)
    }

    fn uses_batch_norm(&self) -> bool {
        self.batch_norm != Some(false)
    }

    fn decoder_channels_or_default(&self) -> Vec<usize> {
        self.decoder_channels.clone().unwrap_or_else(|| self.channels.iter().rev().copied().collect())
    }

    /// Spatial size after the pooling blocks.
    fn bottleneck(&self) -> (usize, usize) {
        let f = 1usize << self.channels.len();
        (self.input_shape[1] / f, self.input_shape[2] / f)
    }

    pub fn validate(&self) -> DeepResult<()> {
        let [c, h, w] = self.input_shape;
        if c == 0 || h == 0 || w == 0 {
            return Err(invalid("input_shape", format!("{:?} has a zero", self.input_shape)));
        }
        if self.channels.is_empty() || self.channels.contains(&0) {
            return Err(invalid("channels", "needs at least one positive channel count"));
        }
        let f = 1usize << self.channels.len();
        if h % f != 0 || w % f != 0 {
            return Err(invalid(
                "channels",
                format!("{} pooling blocks need height and width divisible by {f}; the images are {h}×{w}", self.channels.len()),
            ));
        }
        if self.kernel.is_multiple_of(2) {
            return Err(invalid("kernel", format!("{} must be odd (same padding)", self.kernel)));
        }
        if self.rep_dim == 0 || self.dense.contains(&0) {
            return Err(invalid("rep_dim", "widths must be positive"));
        }
        let dec = self.decoder_channels_or_default();
        if dec.len() != self.channels.len() || dec.contains(&0) {
            return Err(invalid("decoder_channels", format!("needs {} positive entries (one per pooling block)", self.channels.len())));
        }
        Ok(())
    }

    pub fn init_encoder(&self, rng: &mut ChaCha8Rng, device: &Device) -> ConvEncoder {
        let mut convs = Vec::new();
        let mut bns = Vec::new();
        let mut c_in = self.input_shape[0];
        for &c in &self.channels {
            convs.push(Conv::new(c_in, c, self.kernel, self.bias, false, rng, device));
            bns.extend(self.uses_batch_norm().then(|| BatchNorm::new(c, self.bn_eps, self.bn_affine, device)));
            c_in = c;
        }
        let (h, w) = self.bottleneck();
        let mut d_in = c_in * h * w;
        let mut dense = Vec::new();
        let mut dense_bns = Vec::new();
        for &d in &self.dense {
            dense.push(Dense::new(d_in, d, self.bias, rng, device));
            dense_bns.extend(self.uses_batch_norm().then(|| BatchNorm::new(d, self.bn_eps, self.bn_affine, device)));
            d_in = d;
        }
        let out = Dense::new(d_in, self.rep_dim, self.bias, rng, device);
        ConvEncoder { convs, bns, dense, dense_bns, out, slope: self.leaky_slope }
    }

    /// Decoder from a `latent_dim`-vector (`rep_dim` for an AE, the VAE's latent size for a VAE).
    pub fn init_decoder(&self, latent_dim: usize, rng: &mut ChaCha8Rng, device: &Device) -> ConvDecoder {
        let (h, w) = self.bottleneck();
        let c_last = *self.channels.last().expect("validated: channels is not empty");
        let mut d_in = latent_dim;
        let mut dense = Vec::new();
        let mut dense_bns = Vec::new();
        for &d in self.dense.iter().rev() {
            dense.push(Dense::new(d_in, d, self.bias, rng, device));
            dense_bns.extend(self.uses_batch_norm().then(|| BatchNorm::new(d, self.bn_eps, self.bn_affine, device)));
            d_in = d;
        }
        let input = Dense::new(d_in, c_last * h * w, self.bias, rng, device);
        let mut deconvs = Vec::new();
        let mut bns = Vec::new();
        let mut c_in = c_last;
        for c in self.decoder_channels_or_default() {
            deconvs.push(Conv::new(c_in, c, self.kernel, self.bias, true, rng, device));
            bns.extend(self.uses_batch_norm().then(|| BatchNorm::new(c, self.bn_eps, self.bn_affine, device)));
            c_in = c;
        }
        let out = Conv::new(c_in, self.input_shape[0], self.kernel, self.bias, true, rng, device);
        let sigmoid = self.output_sigmoid != Some(false);
        ConvDecoder { dense, dense_bns, input, map_shape: [c_last, h, w], deconvs, bns, out, slope: self.leaky_slope, sigmoid }
    }
}

/// `bns[i]` applied to `x`, or `x` unchanged for a network without BatchNorm (empty `bns`).
fn maybe_norm<const D: usize>(bns: &[BatchNorm], i: usize, x: Tensor<D>) -> Tensor<D> {
    match bns.get(i) {
        Some(bn) => bn.forward(x),
        None => x,
    }
}

#[derive(Module, Debug)]
pub struct ConvEncoder {
    pub convs: Vec<Conv>,
    pub bns: Vec<BatchNorm>,
    pub dense: Vec<Dense>,
    pub dense_bns: Vec<BatchNorm>,
    pub out: Dense,
    pub slope: f64,
}

impl ConvEncoder {
    /// `[batch, C, H, W]` → `[batch, rep_dim]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let mut x = x;
        for (i, conv) in self.convs.iter().enumerate() {
            // Pooling before the activation: LeakyReLU is increasing, so max-pool and it commute
            // exactly, and the activation then runs on a quarter of the values.
            x = leaky_relu(max_pool2d(maybe_norm(&self.bns, i, conv.forward(x)), MaxPoolOptions::new([2, 2])), self.slope);
        }
        let [b, c, h, w] = x.dims();
        let mut z = x.reshape([b, c * h * w]);
        for (i, dense) in self.dense.iter().enumerate() {
            z = leaky_relu(maybe_norm(&self.dense_bns, i, dense.forward(z)), self.slope);
        }
        self.out.forward(z)
    }
}

#[derive(Module, Debug)]
pub struct ConvDecoder {
    pub dense: Vec<Dense>,
    pub dense_bns: Vec<BatchNorm>,
    pub input: Dense,
    pub map_shape: [usize; 3],
    pub deconvs: Vec<Conv>,
    pub bns: Vec<BatchNorm>,
    pub out: Conv,
    pub slope: f64,
    pub sigmoid: bool,
}

impl ConvDecoder {
    /// `[batch, latent]` → `[batch, C, H, W]`, in (0, 1) with the sigmoid output.
    pub fn forward(&self, z: Tensor<2>) -> Tensor<4> {
        let mut z = z;
        for (i, dense) in self.dense.iter().enumerate() {
            z = leaky_relu(maybe_norm(&self.dense_bns, i, dense.forward(z)), self.slope);
        }
        let [c, h, w] = self.map_shape;
        let b = z.dims()[0];
        let mut x = leaky_relu(self.input.forward(z).reshape([b, c, h, w]), self.slope);
        for (i, deconv) in self.deconvs.iter().enumerate() {
            x = leaky_relu(maybe_norm(&self.bns, i, deconv.forward_upsampled(x)), self.slope);
        }
        let x = self.out.forward(x);
        if self.sigmoid {
            sigmoid(x)
        } else {
            x
        }
    }
}

/// A multilayer perceptron for tabular data: per hidden width dense → BN → LeakyReLU, then dense
/// → `rep_dim`. The decoder mirrors it and ends in a sigmoid (inputs are min-max scaled).
#[derive(Config, Debug)]
pub struct MlpNetConfig {
    pub input_dim: usize,
    pub hidden: Vec<usize>,
    pub rep_dim: usize,
    #[config(default = false)]
    pub bias: bool,
    #[config(default = false)]
    pub bn_affine: bool,
    #[config(default = 1e-4)]
    pub bn_eps: f64,
    #[config(default = 0.1)]
    pub leaky_slope: f64,
    /// Sigmoid on the reconstruction (inputs scaled to [0, 1]).
    #[config(default = true)]
    pub output_sigmoid: bool,
}

impl MlpNetConfig {
    /// The Deep SVDD / Deep SAD tabular defaults by input size: [128, 64] → 32 for wide
    /// tables (arrhythmia), [32, 16] → 8 otherwise.
    pub fn for_input(input_dim: usize) -> Self {
        if input_dim >= 100 {
            Self::new(input_dim, vec![128, 64], 32)
        } else {
            Self::new(input_dim, vec![32, 16], 8)
        }
    }

    pub fn validate(&self) -> DeepResult<()> {
        if self.input_dim == 0 || self.rep_dim == 0 || self.hidden.contains(&0) {
            return Err(invalid("hidden", "widths and the input size must be positive"));
        }
        Ok(())
    }

    pub fn init_encoder(&self, rng: &mut ChaCha8Rng, device: &Device) -> MlpEncoder {
        let mut layers = Vec::new();
        let mut bns = Vec::new();
        let mut d_in = self.input_dim;
        for &d in &self.hidden {
            layers.push(Dense::new(d_in, d, self.bias, rng, device));
            bns.push(BatchNorm::new(d, self.bn_eps, self.bn_affine, device));
            d_in = d;
        }
        let out = Dense::new(d_in, self.rep_dim, self.bias, rng, device);
        MlpEncoder { layers, bns, out, slope: self.leaky_slope }
    }

    pub fn init_decoder(&self, latent_dim: usize, rng: &mut ChaCha8Rng, device: &Device) -> MlpDecoder {
        let mut layers = Vec::new();
        let mut bns = Vec::new();
        let mut d_in = latent_dim;
        for &d in self.hidden.iter().rev() {
            layers.push(Dense::new(d_in, d, self.bias, rng, device));
            bns.push(BatchNorm::new(d, self.bn_eps, self.bn_affine, device));
            d_in = d;
        }
        let out = Dense::new(d_in, self.input_dim, self.bias, rng, device);
        MlpDecoder { layers, bns, out, slope: self.leaky_slope, sigmoid: self.output_sigmoid }
    }
}

#[derive(Module, Debug)]
pub struct MlpEncoder {
    pub layers: Vec<Dense>,
    pub bns: Vec<BatchNorm>,
    pub out: Dense,
    pub slope: f64,
}

impl MlpEncoder {
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let mut x = x;
        for (layer, bn) in self.layers.iter().zip(&self.bns) {
            x = leaky_relu(bn.forward(layer.forward(x)), self.slope);
        }
        self.out.forward(x)
    }
}

#[derive(Module, Debug)]
pub struct MlpDecoder {
    pub layers: Vec<Dense>,
    pub bns: Vec<BatchNorm>,
    pub out: Dense,
    pub slope: f64,
    pub sigmoid: bool,
}

impl MlpDecoder {
    pub fn forward(&self, z: Tensor<2>) -> Tensor<2> {
        let mut x = z;
        for (layer, bn) in self.layers.iter().zip(&self.bns) {
            x = leaky_relu(bn.forward(layer.forward(x)), self.slope);
        }
        let x = self.out.forward(x);
        if self.sigmoid {
            sigmoid(x)
        } else {
            x
        }
    }
}

/// One layer of a `LayeredNetConfig` stack: an unpadded convolution, or transposed
/// convolution, with its own stride and bias.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MapLayer {
    pub transposed: bool,
    pub channels: usize,
    pub kernel: usize,
    pub stride: usize,
    pub bias: bool,
}

impl MapLayer {
    const fn conv(channels: usize, kernel: usize, stride: usize, bias: bool) -> Self {
        Self { transposed: false, channels, kernel, stride, bias }
    }
    const fn deconv(channels: usize, kernel: usize, stride: usize, bias: bool) -> Self {
        Self { transposed: true, channels, kernel, stride, bias }
    }

    /// Output side length for an input side `n` (PyTorch's rule with no padding), or `None`
    /// when the kernel does not fit.
    fn output_side(&self, n: usize) -> Option<usize> {
        if self.transposed {
            Some((n.checked_sub(1)?) * self.stride + self.kernel)
        } else {
            Some((n.checked_sub(self.kernel)?) / self.stride + 1)
        }
    }
}

/// The nonlinearity after the BatchNorm of a `LayeredNetConfig` layer.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    /// LeakyReLU with this negative slope.
    LeakyRelu(f64),
    Gelu,
}

impl Activation {
    fn apply(self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Activation::LeakyRelu(slope) => leaky_relu(x, slope),
            Activation::Gelu => gelu(x),
        }
    }
}

/// An auto-encoder written as layer lists: a stack of unpadded (transposed) convolutions with
/// their own kernels and strides, each but the last followed by BatchNorm and the activation
/// (the last too with `norm_code`); then either Flatten → Linear(`rep_dim`) (`dense_code`) or
/// the flattened map itself as the code. The decoder is its own stack from the encoder's last
/// map shape (through Linear → Unflatten with `dense_code`), each layer but the last followed
/// by BatchNorm and the activation; the reconstruction is linear unless `output_sigmoid`.
/// Seed 002's appendix B networks and seed 001's patch auto-encoder are presets.
#[derive(Config, Debug)]
pub struct LayeredNetConfig {
    /// Input shape `[channels, height, width]`.
    pub input_shape: [usize; 3],
    pub encoder: Vec<MapLayer>,
    pub decoder: Vec<MapLayer>,
    /// Flatten → Linear(`rep_dim`) after the encoder stack (and Linear → Unflatten before the
    /// decoder stack); without it the code is the flattened last map, whose size `rep_dim`
    /// must equal.
    pub dense_code: bool,
    pub rep_dim: usize,
    pub activation: Activation,
    /// BatchNorm and the activation after the encoder's last layer too (an activated code).
    #[config(default = false)]
    pub norm_code: bool,
    #[config(default = 1e-5)]
    pub bn_eps: f64,
    #[config(default = false)]
    pub output_sigmoid: bool,
}

impl LayeredNetConfig {
    /// Seed 002, appendix B.1 (MNIST, Fashion-MNIST): Conv(64, 4, 1) → Conv(128, 4, 1) →
    /// Conv(256, 4, 2) → Conv(512, 4, 1) → Conv(64, 4, 1) → Flatten → Linear(z); Linear →
    /// Unflatten(64, 4, 4) → ConvT(512, 4, 1) → ConvT(256, 4, 1) → ConvT(128, 4, 2) →
    /// ConvT(64, 4, 1) → ConvT(1, 4, 1); BatchNorm and LeakyReLU(0.2) in between, PyTorch's
    /// defaults (biases, affine BN, ε 1e-5), linear output (the paper z-scores the pixels).
    pub fn seed002_mnist(input_shape: [usize; 3]) -> Self {
        let c = |ch, k, s| MapLayer::conv(ch, k, s, true);
        let t = |ch, k, s| MapLayer::deconv(ch, k, s, true);
        let encoder = vec![c(64, 4, 1), c(128, 4, 1), c(256, 4, 2), c(512, 4, 1), c(64, 4, 1)];
        let decoder = vec![t(512, 4, 1), t(256, 4, 1), t(128, 4, 2), t(64, 4, 1), t(input_shape[0], 4, 1)];
        Self::new(input_shape, encoder, decoder, true, 128, Activation::LeakyRelu(0.2))
    }

    /// Seed 002, appendix B.2 (CIFAR-10, CIFAR-100): bias-free Conv(32, 5, 1) → Conv(64, 4, 2)
    /// → Conv(128, 4, 1) → Conv(256, 4, 2) → Conv(512, 4, 1) → Conv(512, 1, 1) → Conv(64, 1, 1)
    /// (with bias) → Flatten: the code is the 64 × 1 × 1 map. Decoder: Unflatten(64, 1, 1) →
    /// ConvT(256, 4, 1) → ConvT(128, 4, 2) → ConvT(64, 4, 1) → ConvT(32, 4, 2) → ConvT(32, 5, 1)
    /// → Conv(32, 1, 1) → Conv(3, 1, 1) (with bias); bias-free layers, BatchNorm and
    /// LeakyReLU(0.1) in between, linear output.
    pub fn seed002_cifar(input_shape: [usize; 3]) -> Self {
        let c = |ch, k, s| MapLayer::conv(ch, k, s, false);
        let t = |ch, k, s| MapLayer::deconv(ch, k, s, false);
        let encoder = vec![c(32, 5, 1), c(64, 4, 2), c(128, 4, 1), c(256, 4, 2), c(512, 4, 1), c(512, 1, 1), MapLayer::conv(64, 1, 1, true)];
        let decoder = vec![t(256, 4, 1), t(128, 4, 2), t(64, 4, 1), t(32, 4, 2), t(32, 5, 1), c(32, 1, 1), MapLayer::conv(input_shape[0], 1, 1, true)];
        Self::new(input_shape, encoder, decoder, false, 64, Activation::LeakyRelu(0.1))
    }

    /// Seed 001's patch auto-encoder (appendix S-H2) for 2-D MRI patches: unpadded
    /// convolutions 5×5 → 3 channels, then 3×3 → 4, 12, 16, each followed by BatchNorm and GELU;
    /// the code is the flattened last map (16 × 5 × 5 = 400 values for 15 × 15 patches). The
    /// decoder mirrors it: transposed 3×3 → 12, 4, 3 (BatchNorm + GELU), transposed 5×5 → the
    /// input channels, sigmoid. PyTorch's defaults (biases, affine BN, ε 1e-5).
    pub fn seed001_patch(input_shape: [usize; 3]) -> Self {
        let c = |ch, k| MapLayer::conv(ch, k, 1, true);
        let t = |ch, k| MapLayer::deconv(ch, k, 1, true);
        let encoder = vec![c(3, 5), c(4, 3), c(12, 3), c(16, 3)];
        let decoder = vec![t(12, 3), t(4, 3), t(3, 3), t(input_shape[0], 5)];
        // The code size follows from the layers; 0 where they do not fit (`validate` says so).
        let rep_dim = Self::shapes(input_shape, &encoder).ok().and_then(|s| s.last().map(|m| m.iter().product())).unwrap_or(0);
        Self::new(input_shape, encoder, decoder, false, rep_dim, Activation::Gelu).with_norm_code(true).with_output_sigmoid(true)
    }

    /// Shapes `[c, h, w]` after each layer of `layers` from `start`, or the first layer that
    /// does not fit (its index and the shape it got).
    fn shapes(start: [usize; 3], layers: &[MapLayer]) -> Result<Vec<[usize; 3]>, (usize, [usize; 3])> {
        let mut shape = start;
        let mut out = Vec::with_capacity(layers.len());
        for (i, l) in layers.iter().enumerate() {
            match (l.output_side(shape[1]), l.output_side(shape[2])) {
                (Some(h), Some(w)) if h > 0 && w > 0 => shape = [l.channels, h, w],
                _ => return Err((i, shape)),
            }
            out.push(shape);
        }
        Ok(out)
    }

    /// Shape of the encoder's last map.
    fn code_map(&self) -> DeepResult<[usize; 3]> {
        match Self::shapes(self.input_shape, &self.encoder) {
            Ok(s) => s.last().copied().ok_or_else(|| invalid("encoder", "needs at least one layer")),
            Err((i, s)) => Err(invalid("input_shape", format!("{:?}: encoder layer {} ({}×{} kernel) does not fit its {}×{} input", self.input_shape, i + 1, self.encoder[i].kernel, self.encoder[i].kernel, s[1], s[2]))),
        }
    }

    pub fn validate(&self) -> DeepResult<()> {
        let [c, h, w] = self.input_shape;
        if c == 0 || h == 0 || w == 0 {
            return Err(invalid("input_shape", format!("{:?} has a zero", self.input_shape)));
        }
        if [&self.encoder, &self.decoder].iter().any(|ls| ls.is_empty() || ls.iter().any(|l| l.channels == 0 || l.kernel == 0 || l.stride == 0)) {
            return Err(invalid("layers", "encoder and decoder need at least one layer each, with positive channels, kernel and stride"));
        }
        let map = self.code_map()?;
        if self.rep_dim == 0 {
            return Err(invalid("rep_dim", "must be ≥ 1"));
        }
        let flat = map.iter().product::<usize>();
        if !self.dense_code && self.rep_dim != flat {
            return Err(invalid("rep_dim", format!("{}: this network's code is its last map, {}×{}×{} = {flat} values", self.rep_dim, map[0], map[1], map[2])));
        }
        let out = Self::shapes(map, &self.decoder).map_err(|(i, s)| invalid("decoder", format!("layer {} does not fit its {}×{} input", i + 1, s[1], s[2])))?;
        let last = *out.last().expect("decoder is not empty");
        if last != self.input_shape {
            return Err(invalid("input_shape", format!("{:?}: the decoder reconstructs {last:?} from it; this network is laid out for other image sizes", self.input_shape)));
        }
        Ok(())
    }

    /// The layers of a stack, and a BatchNorm after each but the last (the last too with
    /// `norm_last`).
    fn init_stack(&self, start_channels: usize, layers: &[MapLayer], norm_last: bool, rng: &mut ChaCha8Rng, device: &Device) -> (Vec<MapConv>, Vec<BatchNorm>) {
        let mut convs = Vec::new();
        let mut bns = Vec::new();
        let mut c_in = start_channels;
        for (i, l) in layers.iter().enumerate() {
            let mut conv = Conv::new(c_in, l.channels, l.kernel, l.bias, l.transposed, rng, device);
            conv.padding = 0;
            convs.push(MapConv { conv, stride: l.stride });
            if i + 1 < layers.len() || norm_last {
                bns.push(BatchNorm::new(l.channels, self.bn_eps, true, device));
            }
            c_in = l.channels;
        }
        (convs, bns)
    }

    pub fn init_encoder(&self, rng: &mut ChaCha8Rng, device: &Device) -> LayeredEncoder {
        let (convs, bns) = self.init_stack(self.input_shape[0], &self.encoder, self.norm_code, rng, device);
        let flat = self.code_map().expect("validated").iter().product();
        let dense = self.dense_code.then(|| Dense::new(flat, self.rep_dim, true, rng, device));
        LayeredEncoder { convs, bns, dense, activation: self.activation }
    }

    /// Decoder from a `latent_dim`-vector (through the Linear layer with `dense_code`; without
    /// it the latent is the code map, so `latent_dim` must be `rep_dim`, as `validate` and the
    /// methods' checks ensure).
    pub fn init_decoder(&self, latent_dim: usize, rng: &mut ChaCha8Rng, device: &Device) -> LayeredDecoder {
        let map_shape = self.code_map().expect("validated");
        let dense = self.dense_code.then(|| Dense::new(latent_dim, map_shape.iter().product(), true, rng, device));
        let (convs, bns) = self.init_stack(map_shape[0], &self.decoder, false, rng, device);
        LayeredDecoder { dense, map_shape, convs, bns, activation: self.activation, sigmoid: self.output_sigmoid }
    }
}

/// An unpadded (transposed) convolution with a stride.
#[derive(Module, Debug)]
pub struct MapConv {
    pub conv: Conv,
    pub stride: usize,
}

impl MapConv {
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.conv.forward_strided(x, self.stride)
    }
}

/// `layers` in order, each with its BatchNorm (where it has one) and `activation`.
fn run_stack(layers: &[MapConv], bns: &[BatchNorm], activation: Activation, x: Tensor<4>) -> Tensor<4> {
    let mut x = x;
    for (i, layer) in layers.iter().enumerate() {
        x = layer.forward(x);
        if let Some(bn) = bns.get(i) {
            x = activation.apply(bn.forward(x));
        }
    }
    x
}

#[derive(Module, Debug)]
pub struct LayeredEncoder {
    pub convs: Vec<MapConv>,
    pub bns: Vec<BatchNorm>,
    pub dense: Option<Dense>,
    #[module(skip)]
    pub activation: Activation,
}

impl LayeredEncoder {
    /// `[batch, C, H, W]` → `[batch, rep_dim]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let x = run_stack(&self.convs, &self.bns, self.activation, x);
        let [b, c, h, w] = x.dims();
        let z = x.reshape([b, c * h * w]);
        match &self.dense {
            Some(d) => d.forward(z),
            None => z,
        }
    }
}

#[derive(Module, Debug)]
pub struct LayeredDecoder {
    pub dense: Option<Dense>,
    pub map_shape: [usize; 3],
    pub convs: Vec<MapConv>,
    pub bns: Vec<BatchNorm>,
    #[module(skip)]
    pub activation: Activation,
    pub sigmoid: bool,
}

impl LayeredDecoder {
    /// `[batch, latent]` → `[batch, C, H, W]`.
    pub fn forward(&self, z: Tensor<2>) -> Tensor<4> {
        let z = match &self.dense {
            Some(d) => d.forward(z),
            None => z,
        };
        let [c, h, w] = self.map_shape;
        let b = z.dims()[0];
        let x = run_stack(&self.convs, &self.bns, self.activation, z.reshape([b, c, h, w]));
        if self.sigmoid {
            sigmoid(x)
        } else {
            x
        }
    }
}

/// The most weights one layer may hold: 2³⁰ (4 GiB as f32).
pub const MAX_LAYER_WEIGHTS: usize = 1 << 30;

/// Which network, with its full configuration (stored in the model file).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum NetConfig {
    Conv(ConvNetConfig),
    Mlp(MlpNetConfig),
    Layered(LayeredNetConfig),
}

/// The named networks of `--set net=…`.
/// A LeNet name with `-nobn` (no BatchNorm) and / or `-relu` (ReLU instead of LeakyReLU)
/// appended is that variant, e.g. `mnist-lenet-nobn-relu`.
/// `toll-mnist` and `toll-cifar` are seed 002's appendix B.1 and B.2 auto-encoders.
pub const NET_NAMES: &[&str] = &["mnist-lenet", "fmnist-lenet", "cifar10-lenet", "mnist-lenet-nobn-relu", "ogae-mnist", "mlp", "patch-ae", "toll-mnist", "toll-cifar"];

impl NetConfig {
    /// The network named `name` for samples of shape `sample_shape` (`[C, H, W]` or `[D]`).
    pub fn named(name: &str, sample_shape: &[usize]) -> DeepResult<Self> {
        // LeNet variants: `-nobn` drops BatchNorm, `-relu` makes LeakyReLU a ReLU (slope 0).
        let (mut base, mut no_bn, mut relu) = (name, false, false);
        loop {
            if let Some(b) = base.strip_suffix("-nobn") {
                (base, no_bn) = (b, true);
            } else if let Some(b) = base.strip_suffix("-relu") {
                (base, relu) = (b, true);
            } else {
                break;
            }
        }
        if base != name && base.ends_with("-lenet") {
            let mut cfg = Self::named(base, sample_shape)?;
            if let NetConfig::Conv(c) = &mut cfg {
                c.batch_norm = if no_bn { Some(false) } else { None };
                if relu {
                    c.leaky_slope = 0.0;
                }
            }
            return Ok(cfg);
        }
        let image = |s: &[usize]| -> DeepResult<[usize; 3]> {
            match s {
                [c, h, w] => Ok([*c, *h, *w]),
                _ => Err(invalid("net", format!("`{name}` needs images (N×C×H×W input), the input samples have shape {s:?}"))),
            }
        };
        let cfg = match name {
            "mnist-lenet" => NetConfig::Conv(ConvNetConfig::mnist_lenet(image(sample_shape)?)),
            "fmnist-lenet" => NetConfig::Conv(ConvNetConfig::fmnist_lenet(image(sample_shape)?)),
            "cifar10-lenet" => NetConfig::Conv(ConvNetConfig::cifar10_lenet(image(sample_shape)?)),
            "ogae-mnist" => NetConfig::Conv(ConvNetConfig::ogae_mnist(image(sample_shape)?)),
            "patch-ae" => NetConfig::Layered(LayeredNetConfig::seed001_patch(image(sample_shape)?)),
            "toll-mnist" => NetConfig::Layered(LayeredNetConfig::seed002_mnist(image(sample_shape)?)),
            "toll-cifar" => NetConfig::Layered(LayeredNetConfig::seed002_cifar(image(sample_shape)?)),
            "mlp" => match sample_shape {
                [d] => NetConfig::Mlp(MlpNetConfig::for_input(*d)),
                _ => return Err(invalid("net", format!("`mlp` needs a table (N×D input), the samples have shape {sample_shape:?}"))),
            },
            other => return Err(invalid("net", format!("unknown network `{other}`; known: {}", NET_NAMES.join(", ")))),
        };
        cfg.validate()?;
        Ok(cfg)
    }

    /// The default network for an input: a LeNet chosen by image size, or an MLP for tables.
    pub fn default_for(sample_shape: &[usize]) -> DeepResult<Self> {
        match sample_shape {
            [1, 28, 28] => Self::named("mnist-lenet", sample_shape),
            [3, 32, 32] => Self::named("cifar10-lenet", sample_shape),
            [_, _, _] => Self::named("mnist-lenet", sample_shape),
            [_] => Self::named("mlp", sample_shape),
            other => Err(crate::DeepError::Shape { got: other.to_vec(), reason: "samples must be images [C, H, W] or table rows [D]".into() }),
        }
    }

    pub fn validate(&self) -> DeepResult<()> {
        match self {
            NetConfig::Conv(c) => c.validate(),
            NetConfig::Mlp(m) => m.validate(),
            NetConfig::Layered(l) => l.validate(),
        }?;
        // Refused before any allocation: such a layer would not fit in memory and the process
        // would be killed without a message.
        let largest = self.largest_layer_weights();
        if largest > MAX_LAYER_WEIGHTS {
            return Err(invalid(
                "widths",
                format!("a layer of this network would hold {largest} weights ({:.0} GiB as f32); check rep_dim and widths (at most {MAX_LAYER_WEIGHTS} a layer)", largest as f64 * 4.0 / (1u64 << 30) as f64),
            ));
        }
        Ok(())
    }

    /// The weight count of the largest single layer (convolution or dense), from the widths
    /// alone; `usize::MAX` when it overflows.
    fn largest_layer_weights(&self) -> usize {
        let chain = |sizes: &[usize]| sizes.windows(2).map(|w| w[0].saturating_mul(w[1])).max().unwrap_or(0);
        let convs = |c_in: usize, layers: &mut dyn Iterator<Item = (usize, usize)>| {
            let mut c_in = c_in;
            layers.map(|(c, k)| std::mem::replace(&mut c_in, c).saturating_mul(c).saturating_mul(k.saturating_mul(k))).max().unwrap_or(0)
        };
        match self {
            NetConfig::Conv(c) => {
                let (bh, bw) = c.bottleneck();
                let flat = c.channels.last().copied().unwrap_or(0).saturating_mul(bh).saturating_mul(bw);
                let dense: Vec<usize> = std::iter::once(flat).chain(c.dense.iter().copied()).chain(std::iter::once(c.rep_dim)).collect();
                let dec = c.decoder_channels_or_default();
                let enc = convs(c.input_shape[0], &mut c.channels.iter().map(|&ch| (ch, c.kernel)));
                let dec = convs(dec.first().copied().unwrap_or(0), &mut dec.iter().map(|&ch| (ch, c.kernel)));
                chain(&dense).max(enc).max(dec)
            }
            NetConfig::Mlp(m) => chain(&std::iter::once(m.input_dim).chain(m.hidden.iter().copied()).chain(std::iter::once(m.rep_dim)).collect::<Vec<_>>()),
            NetConfig::Layered(l) => {
                let enc = convs(l.input_shape[0], &mut l.encoder.iter().map(|x| (x.channels, x.kernel)));
                let map = l.code_map().map(|m| m.iter().product::<usize>()).unwrap_or(0);
                let code = if l.dense_code { map.saturating_mul(l.rep_dim) } else { 0 };
                let dec = convs(l.encoder.last().map_or(0, |x| x.channels), &mut l.decoder.iter().map(|x| (x.channels, x.kernel)));
                enc.max(code).max(dec)
            }
        }
    }

    pub fn rep_dim(&self) -> usize {
        match self {
            NetConfig::Conv(c) => c.rep_dim,
            NetConfig::Mlp(m) => m.rep_dim,
            NetConfig::Layered(l) => l.rep_dim,
        }
    }

    /// Whether the code size is fixed by the layers (the code is the last feature map), so
    /// a decoder cannot take a latent of another size.
    pub fn code_is_fixed(&self) -> bool {
        match self {
            NetConfig::Layered(l) => !l.dense_code,
            NetConfig::Conv(_) | NetConfig::Mlp(_) => false,
        }
    }

    pub fn set_rep_dim(&mut self, d: usize) {
        match self {
            NetConfig::Conv(c) => c.rep_dim = d,
            NetConfig::Mlp(m) => m.rep_dim = d,
            NetConfig::Layered(l) => l.rep_dim = d,
        }
    }

    /// Replaces the hidden widths: a conv network's channels (its decoder then mirrors them)
    /// or an MLP's hidden layers.
    pub fn set_widths(&mut self, widths: &[usize]) -> DeepResult<()> {
        match self {
            NetConfig::Conv(c) => {
                c.channels = widths.to_vec();
                c.decoder_channels = None;
            }
            NetConfig::Mlp(m) => m.hidden = widths.to_vec(),
            NetConfig::Layered(_) => return Err(invalid("widths", "patch-ae, toll-mnist and toll-cifar have fixed layers; widths applies to conv and mlp networks")),
        }
        // Name the key the user set, with the network's own reason.
        self.validate().map_err(|e| match e {
            crate::DeepError::InvalidParam { key, reason } => invalid("widths", format!("{key}: {reason}")),
            other => other,
        })
    }

    /// Sigmoid (`true`, for pixels or features in [0, 1]) or linear (`false`, for z-scored
    /// inputs) reconstruction.
    pub fn set_output_sigmoid(&mut self, on: bool) -> DeepResult<()> {
        match self {
            NetConfig::Conv(c) => c.output_sigmoid = Some(on),
            NetConfig::Mlp(m) => m.output_sigmoid = on,
            NetConfig::Layered(l) => l.output_sigmoid = on,
        }
        Ok(())
    }

    pub fn set_bias(&mut self, bias: bool) {
        match self {
            NetConfig::Conv(c) => c.bias = bias,
            NetConfig::Mlp(m) => m.bias = bias,
            NetConfig::Layered(l) => l.encoder.iter_mut().chain(l.decoder.iter_mut()).for_each(|layer| layer.bias = bias),
        }
    }

    /// Shape of one input sample.
    pub fn sample_shape(&self) -> Vec<usize> {
        match self {
            NetConfig::Conv(c) => c.input_shape.to_vec(),
            NetConfig::Mlp(m) => vec![m.input_dim],
            NetConfig::Layered(l) => l.input_shape.to_vec(),
        }
    }

    pub fn init_encoder(&self, rng: &mut ChaCha8Rng, device: &Device) -> Encoder {
        match self {
            NetConfig::Conv(c) => Encoder::Conv(c.init_encoder(rng, device)),
            NetConfig::Mlp(m) => Encoder::Mlp(m.init_encoder(rng, device)),
            NetConfig::Layered(l) => Encoder::Layered(l.init_encoder(rng, device)),
        }
    }

    pub fn init_decoder(&self, latent_dim: usize, rng: &mut ChaCha8Rng, device: &Device) -> Decoder {
        match self {
            NetConfig::Conv(c) => Decoder::Conv(c.init_decoder(latent_dim, rng, device)),
            NetConfig::Mlp(m) => Decoder::Mlp(m.init_decoder(latent_dim, rng, device)),
            NetConfig::Layered(l) => Decoder::Layered(l.init_decoder(latent_dim, rng, device)),
        }
    }
}

/// Encoder of either kind; takes the flat batch `[batch, prod(sample_shape)]`.
#[derive(Module, Debug)]
pub enum Encoder {
    Conv(ConvEncoder),
    Mlp(MlpEncoder),
    Layered(LayeredEncoder),
}

impl Encoder {
    pub fn forward(&self, x: Tensor<2>, sample_shape: &[usize]) -> Tensor<2> {
        let image = |x: Tensor<2>| {
            let b = x.dims()[0];
            x.reshape([b, sample_shape[0], sample_shape[1], sample_shape[2]])
        };
        match self {
            Encoder::Conv(e) => e.forward(image(x)),
            Encoder::Mlp(e) => e.forward(x),
            Encoder::Layered(e) => e.forward(image(x)),
        }
    }
}

/// Decoder of either kind; returns the flat batch `[batch, prod(sample_shape)]`.
#[derive(Module, Debug)]
pub enum Decoder {
    Conv(ConvDecoder),
    Mlp(MlpDecoder),
    Layered(LayeredDecoder),
}

impl Decoder {
    pub fn forward(&self, z: Tensor<2>) -> Tensor<2> {
        let flat = |x: Tensor<4>| {
            let [b, c, h, w] = x.dims();
            x.reshape([b, c * h * w])
        };
        match self {
            Decoder::Conv(d) => flat(d.forward(z)),
            Decoder::Mlp(d) => d.forward(z),
            Decoder::Layered(d) => flat(d.forward(z)),
        }
    }
}

/// Encoder plus optional decoder (and an optional linear head for the classifier baseline).
#[derive(Module, Debug)]
pub struct Network {
    pub encoder: Encoder,
    pub decoder: Option<Decoder>,
    /// Logit head of the classifier baseline.
    pub head: Option<Dense>,
    #[module(skip)]
    pub sample_shape: Vec<usize>,
}

impl Network {
    pub fn encode(&self, x: Tensor<2>) -> Tensor<2> {
        self.encoder.forward(x, &self.sample_shape)
    }
    /// Reconstruction of a latent code; panics if the network has no decoder (callers check).
    pub fn decode(&self, z: Tensor<2>) -> Tensor<2> {
        self.decoder.as_ref().expect("network has a decoder").forward(z)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// Largest layers by hand: toll-mnist's conv 256 → 512 with 4×4 kernels (2,097,152
    /// weights); an MLP 10 → 100,000 → 100,000 → 8 holds 10¹⁰ in its middle layer and is refused
    /// by `validate`, as is a conv net whose code layer would be 392 × 10⁸.
    #[test]
    fn oversized_layers_are_refused_before_allocation() {
        let toll = NetConfig::named("toll-mnist", &[1, 28, 28]).unwrap();
        assert_eq!(toll.largest_layer_weights(), 256 * 512 * 16);
        for name in NET_NAMES {
            let shape: &[usize] = match *name {
                "mlp" => &[20],
                "cifar10-lenet" | "toll-cifar" => &[3, 32, 32],
                _ => &[1, 28, 28],
            };
            if let Ok(cfg) = NetConfig::named(name, shape) {
                assert!(cfg.validate().is_ok(), "{name}");
            }
        }
        let mlp = NetConfig::Mlp(MlpNetConfig::new(10, vec![100_000, 100_000], 8));
        assert_eq!(mlp.largest_layer_weights(), 10_000_000_000);
        let e = mlp.validate().unwrap_err().to_string();
        assert!(e.contains("10000000000 weights"), "{e}");
        let conv = NetConfig::Conv(ConvNetConfig::new([1, 28, 28], vec![4, 8], vec![], 100_000_000));
        assert_eq!(conv.largest_layer_weights(), 8 * 7 * 7 * 100_000_000);
        assert!(conv.validate().is_err());
    }

    fn device() -> Device {
        Device::flex()
    }

    fn shapes(cfg: &NetConfig, batch: usize) -> (Vec<usize>, Vec<usize>) {
        let dev = device();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let net = Network {
            encoder: cfg.init_encoder(&mut rng, &dev),
            decoder: Some(cfg.init_decoder(cfg.rep_dim(), &mut rng, &dev)),
            head: None,
            sample_shape: cfg.sample_shape(),
        };
        let d: usize = cfg.sample_shape().iter().product();
        let x = Tensor::<2>::zeros([batch, d], &dev).add_scalar(0.5);
        let z = net.encode(x);
        let r = net.decode(z.clone());
        (z.dims().to_vec(), r.dims().to_vec())
    }

    #[test]
    fn network_output_shapes() {
        let cases: [(&str, Vec<usize>, usize); 5] = [
            ("mnist-lenet", vec![1, 28, 28], 32),
            ("fmnist-lenet", vec![1, 28, 28], 32),
            ("cifar10-lenet", vec![3, 32, 32], 128),
            ("ogae-mnist", vec![1, 28, 28], 32),
            ("mlp", vec![21], 8),
        ];
        for (name, shape, rep) in cases {
            let cfg = NetConfig::named(name, &shape).unwrap();
            let d: usize = shape.iter().product();
            assert_eq!(shapes(&cfg, 3), (vec![3, rep], vec![3, d]), "{name}");
        }
        let wide = NetConfig::named("mlp", &[274]).unwrap();
        assert_eq!(shapes(&wide, 2), (vec![2, 32], vec![2, 274]));
    }

    #[test]
    fn lenet_layers_match_the_seed() {
        let NetConfig::Conv(c) = NetConfig::named("mnist-lenet", &[1, 28, 28]).unwrap() else { panic!() };
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let enc = c.init_encoder(&mut rng, &device());
        assert_eq!(enc.convs[0].weight.dims(), [8, 1, 5, 5]);
        assert_eq!(enc.convs[1].weight.dims(), [4, 8, 5, 5]);
        assert_eq!(enc.out.weight.dims(), [4 * 7 * 7, 32]);
        assert!(enc.convs.iter().all(|c| c.bias.is_none()) && enc.out.bias.is_none());
        assert!(enc.bns.iter().all(|b| b.gamma.is_none() && b.epsilon == 1e-4));
        let NetConfig::Conv(o) = NetConfig::named("ogae-mnist", &[1, 28, 28]).unwrap() else { panic!() };
        let dec = o.init_decoder(32, &mut rng, &device());
        let chans: Vec<[usize; 4]> = dec.deconvs.iter().map(|d| d.weight.dims()).collect();
        assert_eq!(chans, vec![[8, 8, 5, 5], [8, 4, 5, 5]]);
        assert_eq!(dec.out.weight.dims(), [4, 1, 5, 5]);
        assert_eq!(dec.input.weight.dims(), [32, 8 * 7 * 7]);
    }

    /// S-H2: 15×15 → 11 → 9 → 7 → 5 with 3, 4, 12, 16 channels; the decoder mirrors it.
    #[test]
    fn patch_ae_layers_match_the_seed() {
        let cfg = NetConfig::named("patch-ae", &[1, 15, 15]).unwrap();
        assert_eq!(shapes(&cfg, 2), (vec![2, 400], vec![2, 225]));
        assert!(cfg.code_is_fixed());
        let NetConfig::Layered(p) = cfg else { panic!() };
        assert_eq!((p.activation, p.norm_code, p.output_sigmoid), (Activation::Gelu, true, true));
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let enc = p.init_encoder(&mut rng, &device());
        let dims: Vec<[usize; 4]> = enc.convs.iter().map(|c| c.conv.weight.dims()).collect();
        assert_eq!(dims, vec![[3, 1, 5, 5], [4, 3, 3, 3], [12, 4, 3, 3], [16, 12, 3, 3]]);
        // The code is an activated map: every encoder layer has its BatchNorm, the last included.
        assert_eq!(enc.bns.len(), 4);
        assert!(enc.dense.is_none() && enc.convs.iter().all(|c| c.stride == 1 && c.conv.bias.is_some() && !c.conv.transposed));
        let dec = p.init_decoder(400, &mut rng, &device());
        let dims: Vec<[usize; 4]> = dec.convs.iter().map(|c| c.conv.weight.dims()).collect();
        assert_eq!(dims, vec![[16, 12, 3, 3], [12, 4, 3, 3], [4, 3, 3, 3], [3, 1, 5, 5]]);
        assert!(dec.convs.iter().all(|c| c.conv.transposed));
        assert_eq!(dec.bns.len(), 3);
        let mut wrong = NetConfig::named("patch-ae", &[1, 15, 15]).unwrap();
        wrong.set_rep_dim(32);
        assert!(wrong.validate().is_err());
        let err = NetConfig::named("patch-ae", &[1, 7, 7]).unwrap_err().to_string();
        assert!(err.contains("input_shape") && err.contains("does not fit"), "{err}");
    }

    /// `widths` resizes the hidden layers; the decoder mirrors new conv channels.
    #[test]
    fn widths_resize_the_hidden_layers() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut conv = NetConfig::named("ogae-mnist", &[1, 28, 28]).unwrap();
        conv.set_widths(&[16, 32]).unwrap();
        let NetConfig::Conv(c) = &conv else { panic!() };
        let enc = c.init_encoder(&mut rng, &device());
        assert_eq!(enc.convs.iter().map(|c| c.weight.dims()).collect::<Vec<_>>(), vec![[16, 1, 5, 5], [32, 16, 5, 5]]);
        let dec = c.init_decoder(32, &mut rng, &device());
        assert_eq!(dec.deconvs.iter().map(|d| d.weight.dims()).collect::<Vec<_>>(), vec![[32, 32, 5, 5], [32, 16, 5, 5]]);
        assert_eq!(dec.input.weight.dims(), [32, 32 * 7 * 7]);
        let mut mlp = NetConfig::named("mlp", &[274]).unwrap();
        mlp.set_widths(&[64]).unwrap();
        let NetConfig::Mlp(m) = &mlp else { panic!() };
        assert_eq!(m.hidden, vec![64]);
        // Three pooling blocks do not divide 28; the error names the key the user set.
        let err = conv.set_widths(&[8, 8, 8]).unwrap_err().to_string();
        assert!(err.contains("widths") && err.contains("divisible"), "{err}");
        assert!(NetConfig::named("patch-ae", &[1, 15, 15]).unwrap().set_widths(&[4]).is_err());
    }

    /// `output_sigmoid = false` drops only the final sigmoid: from the same initial weights,
    /// sigmoid(linear reconstruction) is the sigmoid reconstruction, and the linear one leaves
    /// (0, 1), as z-scored pixels need.
    #[test]
    fn linear_output_is_the_sigmoid_output_before_the_sigmoid() {
        let dev = device();
        let decode = |sigmoid_on: bool| -> Vec<f32> {
            let mut cfg = NetConfig::named("ogae-mnist", &[1, 28, 28]).unwrap();
            cfg.set_output_sigmoid(sigmoid_on).unwrap();
            let NetConfig::Conv(c) = &cfg else { panic!() };
            let mut rng = ChaCha8Rng::seed_from_u64(7);
            let dec = c.init_decoder(32, &mut rng, &dev);
            let z: Vec<f32> = (0..4 * 32).map(|i| ((i * 37 % 23) as f32 - 11.0) / 3.0).collect();
            dec.forward(Tensor::from_data(TensorData::new(z, [4, 32]), &dev)).into_data().try_to_vec::<f32>().unwrap()
        };
        let (with_sigmoid, linear) = (decode(true), decode(false));
        assert_eq!(with_sigmoid.len(), 4 * 28 * 28);
        for (s, l) in with_sigmoid.iter().zip(&linear) {
            assert!((s - 1.0 / (1.0 + (-l).exp())).abs() < 1e-6, "{s} vs sigmoid({l})");
        }
        assert!(linear.iter().any(|&v| !(0.0..=1.0).contains(&v)), "a linear output should leave [0, 1]");
        let mut mlp = NetConfig::named("mlp", &[21]).unwrap();
        mlp.set_output_sigmoid(false).unwrap();
        assert!(matches!(&mlp, NetConfig::Mlp(m) if !m.output_sigmoid));
        let mut patch = NetConfig::named("patch-ae", &[1, 15, 15]).unwrap();
        assert!(matches!(&patch, NetConfig::Layered(l) if l.output_sigmoid));
        patch.set_output_sigmoid(false).unwrap();
        assert!(matches!(&patch, NetConfig::Layered(l) if !l.output_sigmoid));
    }

    #[test]
    fn bad_shapes_are_refused() {
        assert!(NetConfig::named("mnist-lenet", &[1, 30, 30]).is_err());
        assert!(NetConfig::named("mlp", &[1, 28, 28]).is_err());
        assert!(NetConfig::named("resnet", &[1, 28, 28]).is_err());
    }

    /// Training-mode BN = (x − batch mean)/√(biased var + ε); running stats follow PyTorch
    /// (momentum 0.1, unbiased variance); inference uses them.
    #[test]
    fn batch_norm_matches_hand_computation() {
        let dev = device().autodiff();
        let bn = BatchNorm::new(2, 1e-4, false, &dev);
        let x = [[1.0f32, 10.0], [2.0, 20.0], [4.0, 40.0], [9.0, 30.0]];
        let t = Tensor::<2>::from_data(TensorData::new(x.concat(), [4, 2]), &dev);
        let y = bn.forward(t).into_data().try_to_vec::<f32>().unwrap();
        for j in 0..2 {
            let col: Vec<f64> = x.iter().map(|r| r[j] as f64).collect();
            let m = col.iter().sum::<f64>() / 4.0;
            let v = col.iter().map(|c| (c - m).powi(2)).sum::<f64>() / 4.0;
            for i in 0..4 {
                let want = (col[i] - m) / (v + 1e-4).sqrt();
                assert!((y[i * 2 + j] as f64 - want).abs() < 1e-5, "{} vs {want}", y[i * 2 + j]);
            }
            let rm = bn.running_mean.value_sync().into_data().try_to_vec::<f32>().unwrap()[j] as f64;
            let rv = bn.running_var.value_sync().into_data().try_to_vec::<f32>().unwrap()[j] as f64;
            assert!((rm - 0.1 * m).abs() < 1e-5);
            assert!((rv - (0.9 + 0.1 * v * 4.0 / 3.0)).abs() < 1e-4);
        }
    }

    fn seeded<const D: usize>(shape: [usize; D], seed: u64, dev: &Device) -> Tensor<D> {
        uniform_tensor(shape, 1.0, &mut ChaCha8Rng::seed_from_u64(seed), dev)
    }

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    /// The parity-kernel form of upsample + transposed conv is the same linear map as
    /// nearest-neighbour `interpolate` followed by `conv_transpose2d`: outputs and the
    /// gradients of input, weight and bias agree to float rounding (1e-4 relative to the
    /// largest magnitude; sums of up to ~2,000 products of values in ±1).
    #[test]
    fn upsampled_transposed_conv_matches_interpolate_then_conv() {
        let dev = device().autodiff();
        for (seed, (c_in, c_out, side, kernel)) in [(8, 4, 7, 5), (3, 5, 6, 3), (2, 3, 5, 7), (1, 2, 4, 1)].into_iter().enumerate() {
            let mut rng = ChaCha8Rng::seed_from_u64(seed as u64);
            let conv = Conv::new(c_in, c_out, kernel, true, true, &mut rng, &dev);
            let x = seeded([3, c_in, side, side], 10 + seed as u64, &dev).require_grad();
            let upstream = seeded([3, c_out, 2 * side, 2 * side], 20 + seed as u64, &dev);
            let reference = {
                let up = interpolate(x.clone(), InterpolateOptions::new(InterpolateMode::Nearest).with_output_size([2 * side, 2 * side]));
                conv.forward(up)
            };
            let fast = conv.forward_upsampled(x.clone());
            assert_eq!(fast.dims(), reference.dims());
            let g_ref = (reference.clone() * upstream.clone()).sum().backward();
            let g_fast = (fast.clone() * upstream).sum().backward();
            let bias = conv.bias.as_ref().unwrap();
            let pairs = [
                (values(reference), values(fast)),
                (values(x.grad(&g_ref).unwrap()), values(x.grad(&g_fast).unwrap())),
                (values(conv.weight.grad(&g_ref).unwrap()), values(conv.weight.grad(&g_fast).unwrap())),
                (values(bias.grad(&g_ref).unwrap()), values(bias.grad(&g_fast).unwrap())),
            ];
            for (what, (want, got)) in ["output", "input grad", "weight grad", "bias grad"].iter().zip(pairs) {
                let scale = want.iter().fold(1.0f32, |m, v| m.max(v.abs()));
                let worst = want.iter().zip(&got).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
                assert!(worst <= 1e-4 * scale, "k={kernel} {what}: max difference {worst} (scale {scale})");
            }
        }
    }

    /// Seed 002 appendix B.1 and B.2, layer by layer: weight shapes, strides, the map sizes
    /// they give (28 → 25 → 22 → 10 → 7 → 4 and back; 32 → 28 → 13 → 10 → 4 → 1 and back), and
    /// the parameter counts of the PyTorch modules the appendix describes (computed by hand:
    /// Σ c_in·c_out·k² + bias + 2 per BatchNorm channel).
    #[test]
    fn toll_networks_match_seed_002_appendix_b() {
        let dev = device();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let dims = |convs: &[MapConv]| convs.iter().map(|c| (c.conv.weight.dims(), c.stride)).collect::<Vec<_>>();
        // Trainable parameters, as PyTorch's `numel` sum over `parameters()` (BatchNorm's running
        // statistics are buffers there).
        let params = |convs: &[MapConv], bns: &[BatchNorm], dense: &Option<Dense>| -> usize {
            convs.iter().map(|c| c.conv.num_params()).sum::<usize>() + bns.iter().map(|b| [&b.gamma, &b.beta].iter().map(|p| p.as_ref().map_or(0, |p| p.num_params())).sum::<usize>()).sum::<usize>() + dense.as_ref().map_or(0, |d| d.num_params())
        };

        let mnist = NetConfig::named("toll-mnist", &[1, 28, 28]).unwrap();
        assert_eq!(shapes(&mnist, 2), (vec![2, 128], vec![2, 784]));
        let NetConfig::Layered(m) = &mnist else { panic!("a layered network") };
        let (enc, dec) = (m.init_encoder(&mut rng, &dev), m.init_decoder(128, &mut rng, &dev));
        assert_eq!(dims(&enc.convs), vec![([64, 1, 4, 4], 1), ([128, 64, 4, 4], 1), ([256, 128, 4, 4], 2), ([512, 256, 4, 4], 1), ([64, 512, 4, 4], 1)]);
        assert_eq!(enc.dense.as_ref().unwrap().weight.dims(), [64 * 4 * 4, 128]);
        assert_eq!(dims(&dec.convs), vec![([64, 512, 4, 4], 1), ([512, 256, 4, 4], 1), ([256, 128, 4, 4], 2), ([128, 64, 4, 4], 1), ([64, 1, 4, 4], 1)]);
        assert_eq!((dec.map_shape, dec.dense.as_ref().unwrap().weight.dims()), ([64, 4, 4], [128, 1024]));
        assert!(enc.convs.iter().chain(&dec.convs).all(|c| c.conv.bias.is_some() && c.conv.padding == 0));
        assert_eq!((enc.bns.len(), dec.bns.len(), enc.activation, dec.sigmoid), (4, 4, Activation::LeakyRelu(0.2), false));
        assert_eq!(params(&enc.convs, &enc.bns, &enc.dense), 3_411_968);
        assert_eq!(params(&dec.convs, &dec.bns, &dec.dense), 3_412_801);

        let cifar = NetConfig::named("toll-cifar", &[3, 32, 32]).unwrap();
        assert_eq!(shapes(&cifar, 2), (vec![2, 64], vec![2, 3 * 32 * 32]));
        let NetConfig::Layered(c) = &cifar else { panic!("a layered network") };
        let (enc, dec) = (c.init_encoder(&mut rng, &dev), c.init_decoder(64, &mut rng, &dev));
        let strides: Vec<usize> = enc.convs.iter().chain(&dec.convs).map(|c| c.stride).collect();
        assert_eq!(strides, vec![1, 2, 1, 2, 1, 1, 1, 1, 2, 1, 2, 1, 1, 1]);
        let biased: Vec<bool> = enc.convs.iter().chain(&dec.convs).map(|c| c.conv.bias.is_some()).collect();
        assert_eq!(biased, [vec![false; 6], vec![true], vec![false; 6], vec![true]].concat());
        let transposed: Vec<bool> = dec.convs.iter().map(|c| c.conv.transposed).collect();
        assert_eq!(transposed, vec![true, true, true, true, true, false, false]);
        assert!(enc.dense.is_none() && dec.dense.is_none() && dec.map_shape == [64, 1, 1] && enc.activation == Activation::LeakyRelu(0.1));
        assert_eq!(params(&enc.convs, &enc.bns, &enc.dense), 3_085_664);
        assert_eq!(params(&dec.convs, &dec.bns, &dec.dense), 978_083);
    }

    /// The layer lists refuse what they cannot build, naming the key: a code size other than
    /// the last map's, images the kernels do not fit, images the decoder does not give back,
    /// and a width change.
    #[test]
    fn toll_networks_refuse_other_shapes() {
        let mut cifar = NetConfig::named("toll-cifar", &[3, 32, 32]).unwrap();
        assert!(cifar.code_is_fixed());
        cifar.set_rep_dim(128);
        let e = cifar.validate().unwrap_err().to_string();
        assert!(e.contains("rep_dim") && e.contains("64"), "{e}");
        let e = NetConfig::named("toll-cifar", &[3, 28, 28]).unwrap_err().to_string();
        assert!(e.contains("input_shape") && e.contains("does not fit"), "{e}");
        let e = NetConfig::named("toll-mnist", &[1, 29, 29]).unwrap_err().to_string();
        assert!(e.contains("input_shape") && e.contains("reconstructs"), "{e}");
        let mut mnist = NetConfig::named("toll-mnist", &[1, 28, 28]).unwrap();
        assert!(!mnist.code_is_fixed());
        mnist.set_rep_dim(256); // Fashion-MNIST's z
        assert_eq!(shapes(&mnist, 1).0, vec![1, 256]);
        assert!(mnist.set_widths(&[8, 16]).unwrap_err().to_string().contains("fixed layers"));
    }

    /// A strided, unpadded convolution and transposed convolution compute PyTorch's maps:
    /// checked against direct loops (cross-correlation; the transposed one scatters
    /// `x[ci, i, j] · w[ci, co, p, q]` to `(i·s + p, j·s + q)`).
    #[test]
    fn strided_layers_match_direct_loops() {
        let dev = device();
        for transposed in [false, true] {
            let (c_in, c_out, k, s, side) = (3, 2, 3, 2, 7);
            let mut rng = ChaCha8Rng::seed_from_u64(5);
            let mut conv = Conv::new(c_in, c_out, k, true, transposed, &mut rng, &dev);
            conv.padding = 0;
            let layer = MapConv { conv, stride: s };
            let x = seeded([2, c_in, side, side], 6, &dev);
            let y = layer.forward(x.clone());
            let out = if transposed { (side - 1) * s + k } else { (side - k) / s + 1 };
            assert_eq!(y.dims(), [2, c_out, out, out]);
            let (xv, wv, bv, yv) = (values(x), values(layer.conv.weight.val()), values(layer.conv.bias.as_ref().unwrap().val()), values(y));
            let mut want = vec![0f64; 2 * c_out * out * out];
            for n in 0..2 {
                for co in 0..c_out {
                    for v in &mut want[(n * c_out + co) * out * out..][..out * out] {
                        *v = bv[co] as f64;
                    }
                }
                for ci in 0..c_in {
                    for co in 0..c_out {
                        for p in 0..k {
                            for q in 0..k {
                                if transposed {
                                    let w = wv[((ci * c_out + co) * k + p) * k + q] as f64;
                                    for i in 0..side {
                                        for j in 0..side {
                                            want[((n * c_out + co) * out + i * s + p) * out + j * s + q] += xv[((n * c_in + ci) * side + i) * side + j] as f64 * w;
                                        }
                                    }
                                } else {
                                    let w = wv[((co * c_in + ci) * k + p) * k + q] as f64;
                                    for i in 0..out {
                                        for j in 0..out {
                                            want[((n * c_out + co) * out + i) * out + j] += xv[((n * c_in + ci) * side + i * s + p) * side + j * s + q] as f64 * w;
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let worst = want.iter().zip(&yv).map(|(a, b)| (a - *b as f64).abs()).fold(0.0, f64::max);
            assert!(worst < 1e-5, "transposed={transposed}: max difference {worst}");
        }
    }

    /// The autodiff LeakyReLU gives burn's values and gradients bit for bit (including the
    /// gradient 1 at exactly zero).
    #[test]
    fn leaky_relu_matches_burn_exactly() {
        let dev = device().autodiff();
        let mut v = values(seeded([64], 3, &dev));
        v[0] = 0.0;
        v[1] = -0.0;
        let x = Tensor::<1>::from_data(TensorData::new(v, [64]), &dev).require_grad();
        let upstream = seeded([64], 4, &dev);
        let ours = leaky_relu(x.clone(), 0.01);
        let theirs = burn::tensor::activation::leaky_relu(x.clone(), 0.01);
        let g_ours = (ours.clone() * upstream.clone()).sum().backward();
        let g_theirs = (theirs.clone() * upstream).sum().backward();
        assert_eq!(values(ours), values(theirs));
        assert_eq!(values(x.grad(&g_ours).unwrap()), values(x.grad(&g_theirs).unwrap()));
    }
}
