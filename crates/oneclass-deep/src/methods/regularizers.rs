//! Regularisers against hypersphere collapse for Deep SVDD / Deep SAD with bias terms
//! (seed 003, section IV).
//!
//! * Noise injection (IV-B): a linear head `g` with k outputs on the representation, trained
//!   with sigmoid cross-entropy against fresh uniform random {0, 1} labels each iteration
//!   (eq. 4); the head is dropped before the model is saved.
//! * Variance hinge (IV-C): max(0, d_t − mean over features of the unbiased minibatch variance)
//!   (eq. 5), d_t = d_0 / 10^⌊epoch / r⌋.
//! * Weighting (IV-D): L = L_svdd + c_t·L_reg with c_t = α c_{t−1} + β(1 − α)·L_svdd / L_reg
//!   (eq. 7, on detached values, c_0 = 0), or a fixed c.

use burn::tensor::activation::log_sigmoid;
use burn::tensor::{Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::{to_host1, SemiLabel};
use crate::error::{invalid, DeepError, Result};
use crate::nn::Network;
use crate::params::Hyper;
use crate::train::Loss;

/// Which regulariser is added to the Deep SVDD / Deep SAD loss.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Regularizer {
    #[default]
    None,
    /// Random-label sigmoid cross-entropy of a k-output linear head (seed 003, eq. 4).
    Noise,
    /// Hinge on the mean per-feature minibatch variance (seed 003, eq. 5).
    Variance,
}

impl Regularizer {
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim() {
            "none" => Ok(Regularizer::None),
            "noise" => Ok(Regularizer::Noise),
            "variance" => Ok(Regularizer::Variance),
            v => Err(invalid("regularizer", format!("`{v}`: expected none, noise or variance"))),
        }
    }
}

/// How c_t is chosen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RegWeight {
    /// Eq. 7 with these α, β (c_0 = 0).
    Adaptive { alpha: f64, beta: f64 },
    Fixed(f64),
}

/// Parses `reg_weight`: `adaptive` or a non-negative number.
pub fn parse_reg_weight(v: &str) -> Result<Option<f64>> {
    match v.trim() {
        "adaptive" => Ok(None),
        s => match s.parse::<f64>() {
            Ok(w) if w.is_finite() && w >= 0.0 => Ok(Some(w)),
            _ => Err(invalid("reg_weight", format!("`{s}`: expected `adaptive` or a number ≥ 0"))),
        },
    }
}

/// The variance threshold of epoch `epoch` (0-based): d_0 / 10^⌊epoch / r⌋.
pub fn variance_threshold(d0: f64, every: usize, epoch: usize) -> f64 {
    d0 / 10f64.powi((epoch / every.max(1)) as i32)
}

/// Eq. 7: the next adaptive weight. A zero (or non-finite) ratio denominator leaves c unchanged:
/// the variance hinge is exactly 0 whenever the batch variance exceeds d_t, and the paper does
/// not define the ratio then.
pub fn next_adaptive_weight(prev: f64, l_svdd: f64, l_reg: f64, alpha: f64, beta: f64) -> f64 {
    let ratio = l_svdd / l_reg;
    if l_reg > 0.0 && ratio.is_finite() {
        alpha * prev + beta * (1.0 - alpha) * ratio
    } else {
        prev
    }
}

/// Eq. 5 on codes `z` `[n, p]`: max(0, d − mean_q var_q) with the unbiased (n − 1) variance;
/// 0 for a batch of one row (no variance defined).
pub(crate) fn variance_hinge(z: Tensor<2>, d: f64) -> Tensor<1> {
    let [n, _] = z.dims();
    if n < 2 {
        return z.sum().mul_scalar(0.0);
    }
    let centred = z.clone() - z.mean_dim(0);
    let var = centred.powi_scalar(2).sum_dim(0).div_scalar((n - 1) as f64).mean();
    var.neg().add_scalar(d).clamp_min(0.0)
}

/// Eq. 4: mean sigmoid cross-entropy of `logits` `[n, k]` against 0/1 `targets` (row-major).
pub(crate) fn random_label_bce(logits: Tensor<2>, targets: Vec<f32>) -> Tensor<1> {
    let dims = logits.dims();
    let y = Tensor::<2>::from_data(TensorData::new(targets, dims), &logits.device());
    // log(1 − σ(s)) = log σ(−s).
    (y.clone() * log_sigmoid(logits.clone()) + y.neg().add_scalar(1.0) * log_sigmoid(logits.neg())).mean().neg()
}

/// A Deep SVDD / Deep SAD loss with one of the regularisers added.
pub(crate) struct Regularized<L: Loss> {
    pub inner: L,
    pub kind: Regularizer,
    pub weight: RegWeight,
    /// c_t (the fixed weight when `weight` is fixed).
    pub c: f64,
    pub d0: f64,
    pub every: usize,
    pub seed: u64,
    rng: ChaCha8Rng,
}

impl<L: Loss> Regularized<L> {
    pub fn new(inner: L, hyper: &Hyper, seed: u64) -> Result<Self> {
        let weight = match parse_reg_weight(&hyper.reg_weight)? {
            Some(w) => RegWeight::Fixed(w),
            None => RegWeight::Adaptive { alpha: hyper.reg_alpha, beta: hyper.reg_beta },
        };
        let c = match weight {
            RegWeight::Fixed(w) => w,
            RegWeight::Adaptive { .. } => 0.0,
        };
        Ok(Self { inner, kind: hyper.regularizer, weight, c, d0: hyper.var_d0, every: hyper.var_every, seed, rng: ChaCha8Rng::seed_from_u64(seed) })
    }

    /// The regulariser's loss on the batch codes `z` (training only: noise labels come fresh
    /// from the run's stream).
    fn reg_loss(&mut self, net: &Network, z: Tensor<2>, epoch: usize) -> Option<Tensor<1>> {
        match self.kind {
            Regularizer::None => None,
            Regularizer::Variance => Some(variance_hinge(z, variance_threshold(self.d0, self.every, epoch))),
            Regularizer::Noise => {
                let head = net.head.as_ref().expect("the noise regulariser's network has a head");
                let logits = head.forward(z);
                let count = logits.dims().iter().product::<usize>();
                let targets: Vec<f32> = (0..count).map(|_| if self.rng.random_bool(0.5) { 1.0 } else { 0.0 }).collect();
                Some(random_label_bce(logits, targets))
            }
        }
    }
}

impl<L: Loss> Loss for Regularized<L> {
    fn loss(&mut self, net: &Network, x: Tensor<2>, labels: &[SemiLabel], epoch: usize, training: bool) -> (Tensor<1>, Tensor<2>) {
        let (base, z) = self.inner.loss(net, x, labels, epoch, training);
        // Validation measures the method's own objective. The regulariser is a training aid
        // whose threshold d_t and weight c_t move every few steps; with it, validation losses
        // of different epochs would not be comparable and early stopping would chase the
        // schedule instead of the fit.
        if !training {
            return (base, z);
        }
        let Some(reg) = self.reg_loss(net, z.clone(), epoch) else {
            return (base, z);
        };
        if let RegWeight::Adaptive { alpha, beta } = self.weight {
            let l_svdd = to_host1(base.clone().detach())[0];
            let l_reg = to_host1(reg.clone().detach())[0];
            self.c = next_adaptive_weight(self.c, l_svdd, l_reg, alpha, beta);
        }
        (base + reg.mul_scalar(self.c), z)
    }

    fn after_step(&mut self, epoch: usize) {
        self.inner.after_step(epoch);
    }

    fn objective_changes_at(&self, epoch: usize) -> bool {
        self.inner.objective_changes_at(epoch)
    }

    fn state(&self) -> serde_json::Value {
        if self.kind == Regularizer::None {
            return self.inner.state();
        }
        serde_json::json!({ "inner": self.inner.state(), "c": self.c, "rng_word_pos": self.rng.get_word_pos().to_string() })
    }

    fn restore(&mut self, state: &serde_json::Value) -> Result<()> {
        if self.kind == Regularizer::None {
            return self.inner.restore(state);
        }
        let bad = |what: &str| DeepError::Labels(format!("checkpoint loss state: {what} (written without this regulariser?)"));
        let inner = state.get("inner").ok_or_else(|| bad("no `inner`"))?;
        self.inner.restore(inner)?;
        self.c = state.get("c").and_then(|v| v.as_f64()).ok_or_else(|| bad("no `c`"))?;
        let pos: u128 = state.get("rng_word_pos").and_then(|v| v.as_str()).and_then(|s| s.parse().ok()).ok_or_else(|| bad("no `rng_word_pos`"))?;
        self.rng = ChaCha8Rng::seed_from_u64(self.seed);
        self.rng.set_word_pos(pos);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::to_host;
    use crate::methods::deep_svdd::SvddLoss;
    use crate::nn::{Dense, NetConfig};
    use crate::params::{Method, Objective};
    use burn::tensor::Device;

    fn rel_close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-12)
    }

    fn batch(dev: &Device) -> Tensor<2> {
        let x: Vec<f32> = (0..6 * 5).map(|i| (((i * 13) % 17) as f32 - 8.0) / 7.0).collect();
        Tensor::<2>::from_data(TensorData::new(x, [6, 5]), dev)
    }

    fn net_with_head(k: usize, dev: &Device) -> Network {
        let mut cfg = NetConfig::named("mlp", &[5]).unwrap();
        cfg.set_bias(true);
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let encoder = cfg.init_encoder(&mut rng, dev);
        let head = Some(Dense::new(cfg.rep_dim(), k, true, &mut rng, dev));
        Network { encoder, decoder: None, head, sample_shape: vec![5] }
    }

    /// Host eq. 5: max(0, d − (1/(p(n−1))) Σ_q Σ_i (φ_iq − φ̄_q)²).
    fn host_variance_hinge(z: &[f64], p: usize, d: f64) -> f64 {
        let n = z.len() / p;
        let mut total = 0.0;
        for q in 0..p {
            let m = (0..n).map(|i| z[i * p + q]).sum::<f64>() / n as f64;
            total += (0..n).map(|i| (z[i * p + q] - m).powi(2)).sum::<f64>();
        }
        (d - total / (p * (n - 1)) as f64).max(0.0)
    }

    #[test]
    fn variance_hinge_matches_equation_5() {
        let dev = Device::flex();
        let z = batch(&dev);
        let host = to_host(z.clone());
        let var = host_variance_hinge(&host, 5, 1e9) - 1e9; // = −(mean variance)
        let mean_var = -var;
        // Active (threshold above the variance) and inactive (below) cases.
        for d in [mean_var + 0.37, 2.0 * mean_var, 0.5 * mean_var] {
            let got = to_host1(variance_hinge(z.clone(), d))[0];
            let want = host_variance_hinge(&host, 5, d);
            assert!(if want == 0.0 { got == 0.0 } else { rel_close(got, want, 1e-5) }, "d {d}: {got} vs {want}");
        }
    }

    #[test]
    fn variance_threshold_anneals_every_r_epochs() {
        let d: Vec<f64> = (0..7).map(|e| variance_threshold(0.1, 3, e)).collect();
        let want = [0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001];
        assert!(d.iter().zip(want).all(|(a, b)| rel_close(*a, b, 1e-12)), "{d:?}");
    }

    /// Host eq. 4 with the same logits and labels.
    #[test]
    fn random_label_bce_matches_equation_4() {
        let dev = Device::flex();
        let logits = batch(&dev).mul_scalar(3.0);
        let targets: Vec<f32> = (0..30).map(|i| ((i * 7) % 3 == 0) as u8 as f32).collect();
        let got = to_host1(random_label_bce(logits.clone(), targets.clone()))[0];
        let s = to_host(logits);
        let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
        let want = -s.iter().zip(&targets).map(|(&v, &y)| y as f64 * sig(v).ln() + (1.0 - y as f64) * (1.0 - sig(v)).ln()).sum::<f64>() / 30.0;
        assert!(rel_close(got, want, 1e-5), "{got} vs {want}");
    }

    /// c_t = α c_{t−1} + β(1 − α) ratio, from c_0 = 0; a zero L_reg leaves c unchanged.
    #[test]
    fn adaptive_weight_follows_equation_7() {
        let pairs = [(2.0, 0.5), (1.0, 0.25), (0.4, 0.0), (0.3, 0.6)];
        let mut c = 0.0;
        let mut hand = 0.0;
        for (ls, lr) in pairs {
            c = next_adaptive_weight(c, ls, lr, 0.9, 0.5);
            if lr > 0.0 {
                hand = 0.9 * hand + 0.5 * 0.1 * ls / lr;
            }
            assert!(rel_close(c, hand, 1e-12), "{c} vs {hand}");
        }
        // 0.2 → 0.9·0.2 + 0.05·4 = 0.38 → … spelt out for the first two steps.
        assert!(rel_close(next_adaptive_weight(0.0, 2.0, 0.5, 0.9, 0.5), 0.2, 1e-12));
        assert!(rel_close(next_adaptive_weight(0.2, 1.0, 0.25, 0.9, 0.5), 0.38, 1e-12));
    }

    fn hyper(reg: &str, weight: &str) -> Hyper {
        let mut h = Hyper::defaults(Method::DeepSvdd);
        h.set(Method::DeepSvdd, "regularizer", reg).unwrap();
        h.set(Method::DeepSvdd, "reg_weight", weight).unwrap();
        h.set(Method::DeepSvdd, "noise_k", "7").unwrap();
        h
    }

    /// The regularised loss on a fixed batch equals L_svdd + c_t·L_reg computed on the host
    /// from the codes, with c_t from the recursion (adaptive) or fixed; relative 1e-5.
    #[test]
    fn regularised_loss_matches_host_computation() {
        let dev = Device::flex().autodiff();
        let net = net_with_head(7, &dev);
        let center = vec![0.2f32; 8];
        for (reg, weight) in [("variance", "adaptive"), ("variance", "0.7"), ("noise", "adaptive"), ("noise", "2.5")] {
            let inner = SvddLoss::new(center.clone(), Objective::OneClass, 0.1, 0);
            let h = hyper(reg, weight);
            let mut loss = Regularized::new(inner, &h, 99).unwrap();
            // Same label stream as the loss draws.
            let mut labels_rng = ChaCha8Rng::seed_from_u64(99);
            let mut c_hand = 0.0;
            for step in 0..3 {
                let epoch = step * 2; // crosses the first annealing step (r = 3)
                let (l, z) = loss.loss(&net, batch(&dev), &[0; 6], epoch, true);
                let got = to_host1(l)[0];
                let zh = to_host(z.clone());
                let svdd = zh.chunks(8).map(|r| r.iter().zip(&center).map(|(a, c)| (a - *c as f64).powi(2)).sum::<f64>()).sum::<f64>() / 6.0;
                let reg_value = if reg == "variance" {
                    host_variance_hinge(&zh, 8, 0.1 / 10f64.powi((epoch / 3) as i32))
                } else {
                    let logits = to_host(net.head.as_ref().unwrap().forward(z));
                    let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
                    let ys: Vec<f64> = (0..logits.len()).map(|_| if labels_rng.random_bool(0.5) { 1.0 } else { 0.0 }).collect();
                    -logits.iter().zip(&ys).map(|(&v, &y)| y * sig(v).ln() + (1.0 - y) * (1.0 - sig(v)).ln()).sum::<f64>() / logits.len() as f64
                };
                c_hand = match weight {
                    "adaptive" if reg_value > 0.0 => 0.9 * c_hand + 0.05 * svdd / reg_value,
                    "adaptive" => c_hand,
                    w => w.parse().unwrap(),
                };
                let want = svdd + c_hand * reg_value;
                assert!(rel_close(got, want, 1e-5), "{reg}/{weight} step {step}: {got} vs {want}");
                assert!(rel_close(loss.c, c_hand, 1e-5), "{reg}/{weight} c {} vs {c_hand}", loss.c);
            }
        }
    }

    /// Validation (training = false) is the inner Deep SVDD loss alone, at any epoch of the
    /// d_t schedule and any c_t, and changes no state; training adds c_t·L_reg (> 0 here).
    #[test]
    fn validation_is_the_inner_objective() {
        let dev = Device::flex().autodiff();
        let net = net_with_head(7, &dev);
        let mut plain = SvddLoss::new(vec![0.2; 8], Objective::OneClass, 0.1, 0);
        let want = to_host1(plain.loss(&net, batch(&dev), &[0; 6], 0, false).0)[0];
        for (reg, weight) in [("variance", "adaptive"), ("variance", "0.7"), ("noise", "adaptive"), ("noise", "2.5")] {
            let mut h = hyper(reg, weight);
            h.set(Method::DeepSvdd, "var_d0", "1000").unwrap(); // keeps the variance hinge active
            let mut loss = Regularized::new(SvddLoss::new(vec![0.2; 8], Objective::OneClass, 0.1, 0), &h, 5).unwrap();
            let trained = to_host1(loss.loss(&net, batch(&dev), &[0; 6], 0, true).0)[0];
            assert!(trained > want * (1.0 + 1e-6), "{reg}/{weight}: training {trained} should exceed the inner {want}");
            let before = loss.state();
            for epoch in [0, 3, 7] {
                let got = to_host1(loss.loss(&net, batch(&dev), &[0; 6], epoch, false).0)[0];
                assert_eq!(got.to_bits(), want.to_bits(), "{reg}/{weight} epoch {epoch}");
            }
            assert_eq!(loss.state(), before, "{reg}/{weight}: validation changed the state");
        }
    }

    /// `none` passes the inner loss through unchanged, state included.
    #[test]
    fn none_is_the_plain_loss() {
        let dev = Device::flex().autodiff();
        let net = net_with_head(3, &dev);
        let mut plain = SvddLoss::new(vec![0.2; 8], Objective::OneClass, 0.1, 0);
        let mut wrapped = Regularized::new(SvddLoss::new(vec![0.2; 8], Objective::OneClass, 0.1, 0), &hyper("none", "adaptive"), 1).unwrap();
        let a = to_host1(plain.loss(&net, batch(&dev), &[0; 6], 0, true).0)[0];
        let b = to_host1(wrapped.loss(&net, batch(&dev), &[0; 6], 0, true).0)[0];
        assert_eq!(a.to_bits(), b.to_bits());
        assert_eq!(plain.state(), wrapped.state());
        // The inner loss's schedule shows through (soft-boundary: the radius after the warm-up).
        let soft = Regularized::new(SvddLoss::new(vec![0.2; 8], Objective::SoftBoundary, 0.1, 10), &hyper("variance", "adaptive"), 1).unwrap();
        assert!(soft.objective_changes_at(10) && !soft.objective_changes_at(9));
    }
}
