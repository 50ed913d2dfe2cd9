//! OCSVM-guided auto-encoder (seed 001, section III-B/C, appendices S-A, S-B); the loss and
//! its scale are described in [`crate::coupled`].
//!
//! Burn's autodiff cannot see the OCSVM: the codes go to the host (f64), the exact minibatch
//! solver ([`oneclass_svm::diff::OcsvmLayer`]) gives f(z_L) and, by implicit differentiation
//! of its KKT system, g = ∂(term)/∂z along the β-weighted paths; the gradient is injected with
//! the zero-valued surrogate `s − stop_grad(s)`, s = Σ z ⊙ stop_grad(g), whose gradient with
//! respect to z is exactly g. The term's value is added as a constant, so the loss the trainer
//! reports is the true OgAE loss.

use burn::tensor::{Tensor, TensorData};
use oneclass_svm::diff::{DecisionScale, GradientPath, Jitter, OcsvmLayer, SmallKernel, SmallOcsvm};
use oneclass_svm::Gamma;
use serde::{Deserialize, Serialize};

use super::{ae, per_sample_mse};
use crate::coupled::{BatchOcsvm, LatentScaler, OgaeEpochLog, OgaeInfo, Schedule};
use crate::data::{to_host, to_host1, SemiLabel};
use crate::error::{invalid, DeepError, Result};
use crate::nn::Network;
use crate::params::{AeScore, Hyper};
use crate::train::Loss;

/// The OCSVM term of one batch and its gradient with respect to the batch's codes.
pub(crate) struct BatchTerm {
    /// λ·c·Σ max(0, −f(z_L)).
    pub value: f64,
    /// ∂(β-weighted term)/∂z, n × d (zeros when no z_L row is misclassified or β = 0).
    pub grad: Vec<f64>,
    pub misclassified: usize,
    pub n_l: usize,
    pub support: usize,
    pub free: usize,
    pub degenerate: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct EpochSums {
    epoch: usize,
    samples: usize,
    recon: f64,
    term: f64,
    misclassified: usize,
    query_rows: usize,
    support: usize,
    free: usize,
    batches: usize,
    solved: usize,
    degenerate: usize,
    skipped: usize,
    pairwise_mse: f64,
}

pub(crate) struct OgaeLoss {
    layer: OcsvmLayer,
    lambda: f64,
    /// c of the hinge: 1/ν in the libsvm scale, 1 in the Schölkopf scale.
    hinge_factor: f64,
    schedule: Schedule,
    svm_fraction: f64,
    through_solution: bool,
    /// Print one line per epoch on stderr.
    pub verbose: bool,
    sums: Option<EpochSums>,
    pub logs: Vec<OgaeEpochLog>,
}

/// Average over pairs i ≠ j of mean_k (z_ik − z_jk)² (seed 001 fig. 6), from the biased
/// per-feature variances: 2n/(n−1) · mean_k Var_k.
fn pairwise_mse(z: &[f64], n: usize, d: usize) -> f64 {
    if n < 2 {
        return 0.0;
    }
    let mut total = 0.0;
    for k in 0..d {
        let mean = (0..n).map(|i| z[i * d + k]).sum::<f64>() / n as f64;
        total += (0..n).map(|i| (z[i * d + k] - mean).powi(2)).sum::<f64>() / n as f64;
    }
    2.0 * n as f64 / (n - 1) as f64 * total / d as f64
}

impl OgaeLoss {
    pub fn new(hyper: &Hyper) -> Result<OgaeLoss> {
        let c = &hyper.coupled;
        c.check().map_err(|(k, r)| invalid(k, r))?;
        let kernel = match c.kernel.as_str() {
            "linear" => SmallKernel::Linear,
            _ => SmallKernel::Rbf { gamma: if c.gamma == "scale" { Gamma::Scale } else { Gamma::Value(c.gamma.parse().expect("checked")) } },
        };
        let svm = SmallOcsvm::new(hyper.nu).with_kernel(kernel).with_jitter(Jitter::Absolute(c.jitter)).with_standardize(c.standardize);
        let (scale, hinge_factor) = match c.hinge_scale.as_str() {
            "schoelkopf" => (DecisionScale::Schoelkopf, 1.0),
            _ => (DecisionScale::Libsvm, 1.0 / hyper.nu),
        };
        let layer = OcsvmLayer::new(svm, scale).map_err(|e| invalid("nu", e.to_string()))?;
        Ok(OgaeLoss {
            layer,
            lambda: c.lambda,
            hinge_factor,
            schedule: Schedule::parse(&c.schedule).map_err(|e| invalid("schedule", e))?,
            svm_fraction: c.svm_fraction,
            through_solution: c.through_solution,
            verbose: false,
            sums: None,
            logs: Vec::new(),
        })
    }

    /// Rows of a batch of `n` that solve the OCSVM (at least 1, leaving at least 1 for z_L).
    fn n_svm(&self, n: usize) -> usize {
        ((n as f64 * self.svm_fraction).round() as usize).clamp(1, n - 1)
    }

    /// The OCSVM term of the codes `z` (n × d, rows in batch order) under (β₁, β₂); `None`
    /// when the batch has fewer than 2 rows. `with_grad` = false skips the backward pass.
    pub(crate) fn batch_term(&self, z: &[f64], n: usize, d: usize, (beta1, beta2): (f64, f64), with_grad: bool) -> Option<std::result::Result<BatchTerm, String>> {
        if n < 2 {
            return None;
        }
        let n_svm = self.n_svm(n);
        let n_l = n - n_svm;
        let (z_svm, z_l) = z.split_at(n_svm * d);
        let (f, tape) = match self.layer.forward(z_svm, n_svm, z_l, n_l, d) {
            Ok(r) => r,
            Err(e) => return Some(Err(e.to_string())),
        };
        let c = self.lambda * self.hinge_factor;
        let value = c * f.iter().map(|v| (-v).max(0.0)).sum::<f64>();
        let misclassified = f.iter().filter(|v| **v < 0.0).count();
        let g_f: Vec<f64> = f.iter().map(|&v| if v < 0.0 { -c } else { 0.0 }).collect();
        let mut grad = vec![0.0; n * d];
        if with_grad && misclassified > 0 && c > 0.0 {
            let expander = if self.through_solution { GradientPath::Expander } else { GradientPath::ExpanderKernelOnly };
            let paths: Vec<(GradientPath, f64, f64)> = match (beta1 > 0.0, beta2 > 0.0) {
                // One backward pass yields both halves when the expander goes through α*, ρ*.
                (true, true) if self.through_solution => vec![(GradientPath::Both, beta1, beta2)],
                (true, true) => vec![(expander, beta1, 0.0), (GradientPath::Compactor, 0.0, beta2)],
                (true, false) => vec![(expander, beta1, 0.0)],
                (false, true) => vec![(GradientPath::Compactor, 0.0, beta2)],
                (false, false) => vec![],
            };
            for (path, w_svm, w_l) in paths {
                match tape.backward(&g_f, path) {
                    Ok(g) => {
                        let (g_svm, g_l) = grad.split_at_mut(n_svm * d);
                        g_svm.iter_mut().zip(&g.z_svm).for_each(|(a, b)| *a += w_svm * b);
                        g_l.iter_mut().zip(&g.z_l).for_each(|(a, b)| *a += w_l * b);
                    }
                    Err(e) => return Some(Err(e.to_string())),
                }
            }
        }
        let s = tape.solution();
        Some(Ok(BatchTerm {
            value,
            grad,
            misclassified,
            n_l,
            support: s.support().len(),
            free: s.free().len(),
            degenerate: s.degeneracy().any() || tape.query_constant_features() > 0,
        }))
    }

    /// Closes the running epoch's sums into a log line.
    pub fn finish_epoch(&mut self) {
        let Some(s) = self.sums.take() else { return };
        let (beta1, beta2) = self.schedule.betas(s.epoch);
        let per = |v: f64, k: usize| if k > 0 { v / k as f64 } else { 0.0 };
        let log = OgaeEpochLog {
            epoch: s.epoch,
            beta1,
            beta2,
            recon: per(s.recon, s.samples),
            ocsvm_term: per(s.term, s.solved),
            misclassified: per(s.misclassified as f64, s.query_rows),
            support_vectors: per(s.support as f64, s.solved),
            free_support_vectors: per(s.free as f64, s.solved),
            batches: s.batches,
            degenerate_batches: s.degenerate,
            skipped_batches: s.skipped,
            pairwise_mse: per(s.pairwise_mse, s.batches),
        };
        if self.verbose {
            eprintln!(
                "ogae epoch {:>3} β=({},{}) recon {:.6} ocsvm {:.6} misclassified {:.3} SV {:.1} free SV {:.1} degenerate {}/{} skipped {} pairwise MSE {:.5}",
                log.epoch, log.beta1, log.beta2, log.recon, log.ocsvm_term, log.misclassified, log.support_vectors,
                log.free_support_vectors, log.degenerate_batches, log.batches, log.skipped_batches, log.pairwise_mse
            );
        }
        self.logs.push(log);
    }
}

impl Loss for OgaeLoss {
    fn objective_changes_at(&self, epoch: usize) -> bool {
        epoch > 0 && self.schedule.betas(epoch) != self.schedule.betas(epoch - 1)
    }

    fn loss(&mut self, net: &Network, x: Tensor<2>, _labels: &[SemiLabel], epoch: usize, training: bool) -> (Tensor<1>, Tensor<2>) {
        let n = x.dims()[0];
        let device = x.device();
        let z = net.encode(x.clone());
        let recon = per_sample_mse(net.decode(z.clone()), x).mean();
        if !training {
            // Validation (early stopping) monitors the reconstruction alone: the expander and
            // compactor updates are β-weighted partial gradients, so "recon + hinge" is not a
            // quantity every schedule decreases (the expander raises the hinge on purpose), and
            // monitoring it stopped expand-then-both before the switch.
            return (recon, z);
        }
        let zh = to_host(z.clone().detach());
        let d = zh.len() / n.max(1);
        let betas = self.schedule.betas(epoch);
        let term = self.batch_term(&zh, n, d, betas, training);
        let mut loss = recon.clone();
        if let Some(Ok(t)) = &term {
            if training && t.grad.iter().any(|g| *g != 0.0) {
                let g = Tensor::<2>::from_data(TensorData::new(t.grad.iter().map(|&v| v as f32).collect::<Vec<f32>>(), [n, d]), &device);
                let s = (z.clone() * g).sum();
                loss = loss + s.clone() - s.detach();
            }
            loss = loss.add_scalar(t.value);
        }
        if training {
            if self.sums.as_ref().is_some_and(|s| s.epoch != epoch) {
                self.finish_epoch();
            }
            let sums = self.sums.get_or_insert_with(|| EpochSums { epoch, ..EpochSums::default() });
            sums.samples += n;
            sums.recon += to_host1(recon.detach())[0] * n as f64;
            sums.batches += 1;
            sums.pairwise_mse += pairwise_mse(&zh, n, d);
            match &term {
                Some(Ok(t)) => {
                    sums.solved += 1;
                    sums.term += t.value;
                    sums.misclassified += t.misclassified;
                    sums.query_rows += t.n_l;
                    sums.support += t.support;
                    sums.free += t.free;
                    sums.degenerate += usize::from(t.degenerate);
                }
                Some(Err(_)) | None => sums.skipped += 1,
            }
            if let Some(Err(e)) = &term {
                if self.verbose {
                    eprintln!("ogae epoch {epoch}: OCSVM solve failed, batch trained on reconstruction only: {e}");
                }
            }
        }
        (loss, z)
    }

    fn state(&self) -> serde_json::Value {
        serde_json::json!({ "logs": self.logs, "sums": self.sums })
    }

    fn restore(&mut self, state: &serde_json::Value) -> Result<()> {
        #[derive(Deserialize)]
        struct S {
            logs: Vec<OgaeEpochLog>,
            sums: Option<EpochSums>,
        }
        let s: S = serde_json::from_value(state.clone()).map_err(|e| DeepError::Labels(format!("checkpoint loss state: {e}")))?;
        self.logs = s.logs;
        self.sums = s.sums;
        Ok(())
    }
}

/// The final OCSVM of S-A (second part), fitted on the codes of the whole training set
/// (standardised with their own mean / std when `standardize`).
pub(crate) fn fit_final_ocsvm(mut codes: Vec<f64>, d: usize, hyper: &Hyper) -> Result<(oneclass_svm::OcsvmModel, Option<LatentScaler>)> {
    let scaler = hyper.coupled.standardize.then(|| LatentScaler::fit(&codes, d));
    if let Some(s) = &scaler {
        s.apply(&mut codes);
    }
    let n = codes.len() / d;
    let x = ndarray::Array2::from_shape_vec((n, d), codes).expect("n × d codes");
    let gamma: Gamma = hyper.ocsvm_gamma.parse().map_err(|e: String| invalid("ocsvm_gamma", e))?;
    let m = oneclass_svm::OcsvmParams::new().nu(hyper.ocsvm_nu).gamma(gamma).fit(x.view()).map_err(|e| DeepError::Ocsvm(e.to_string()))?;
    Ok((m, scaler))
}

/// The OCSVMs of `score=ocsvm-batches`: `ocsvm_batches` problems, each on a seeded draw
/// (without replacement) of as many training codes as a training batch's z_svm half, solved by
/// the training loss's exact minibatch solver (same ν, kernel, γ rule and standardisation).
///
/// The reference keeps the OCSVMs of its last M training steps instead; drawing them from the
/// final codes keeps them consistent with the weights actually kept (early stopping restores
/// earlier ones) and with the network in inference mode.
pub(crate) fn fit_batch_ocsvms(codes: &[f64], d: usize, hyper: &Hyper, seed: u64) -> Result<Vec<BatchOcsvm>> {
    use rand::seq::SliceRandom;
    use rand::SeedableRng;
    let loss = OgaeLoss::new(hyper)?;
    let n = codes.len() / d.max(1);
    let n_svm = loss.n_svm(hyper.batch_size.max(2)).min(n);
    if n_svm < 2 {
        return Err(invalid("ocsvm_batches", format!("{n} training codes: a minibatch OCSVM needs at least 2")));
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x0c5f_ba7c);
    let mut order: Vec<usize> = (0..n).collect();
    let mut models = Vec::with_capacity(hyper.coupled.ocsvm_batches);
    for _ in 0..hyper.coupled.ocsvm_batches {
        order.partial_shuffle(&mut rng, n_svm);
        let z: Vec<f64> = order[..n_svm].iter().flat_map(|&i| codes[i * d..(i + 1) * d].iter().copied()).collect();
        let s = loss.layer.svm().solve(&z, n_svm, d).map_err(|e| DeepError::Ocsvm(e.to_string()))?;
        let coef_all = s.alpha_libsvm();
        let support: Vec<f64> = s.support().iter().flat_map(|&j| s.inputs()[j * d..(j + 1) * d].iter().copied()).collect();
        models.push(BatchOcsvm {
            standardization: s.standardization().map(|st| LatentScaler { mean: st.mean.clone(), scale: st.std.clone() }),
            support,
            coef: s.support().iter().map(|&j| coef_all[j]).collect(),
            rho: s.rho_libsvm(),
            gamma: s.gamma(),
        });
    }
    Ok(models)
}

/// Scores of a batch: −decision of the final OCSVM (`score=ocsvm`), −mean decision of the
/// minibatch OCSVMs (`score=ocsvm-batches`) or the reconstruction error.
pub(crate) fn score(net: &Network, x: Tensor<2>, hyper: &Hyper, ocsvm: Option<&oneclass_svm::OcsvmModel>, info: Option<&OgaeInfo>) -> Result<Vec<f64>> {
    if hyper.score == AeScore::OcsvmBatches {
        let models = info.map(|i| &i.batch_ocsvms[..]).unwrap_or_default();
        if models.is_empty() {
            return Err(invalid("score", "the model has no minibatch OCSVMs (written before score=ocsvm-batches existed)"));
        }
        let n = x.dims()[0];
        let z = to_host(net.encode(x));
        let d = z.len() / n.max(1);
        let mut total = vec![0.0; n];
        for m in models {
            total.iter_mut().zip(m.decision(&z, d)).for_each(|(t, f)| *t += f);
        }
        return Ok(total.into_iter().map(|t| -t / models.len() as f64).collect());
    }
    match (hyper.score, ocsvm) {
        (AeScore::Ocsvm, Some(m)) => {
            let n = x.dims()[0];
            let mut z = to_host(net.encode(x));
            let d = z.len() / n.max(1);
            if let Some(s) = info.and_then(|i| i.scaler.as_ref()) {
                s.apply(&mut z);
            }
            let z = ndarray::Array2::from_shape_vec((n, d), z).expect("codes");
            Ok(m.score(z.view()).map_err(|e| DeepError::Ocsvm(e.to_string()))?.to_vec())
        }
        (AeScore::Ocsvm, None) => Err(invalid("score", "the model has no final OCSVM")),
        (AeScore::Recon, _) => Ok(to_host1(ae::score(net, x))),
        (AeScore::OcsvmBatches, _) => unreachable!("handled above"),
    }
}

#[cfg(test)]
mod tests {
    //! End-to-end gradient of the OgAE loss with respect to the encoder weights: burn's
    //! backward pass (f32 network, OCSVM gradient injected) against central finite differences
    //! of an f64 host re-implementation of the same network and loss.
    use super::*;
    use crate::nn::{MlpNetConfig, NetConfig};
    use crate::params::Method;
    use burn::tensor::Device;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    const N: usize = 16;
    const D_IN: usize = 6;
    const D_Z: usize = 3;

    fn tiny_net(seed: u64, device: &Device) -> Network {
        // No hidden layer: encoder z = xW + b, decoder x̂ = σ(zV + c); both easy to mirror in f64.
        let cfg = NetConfig::Mlp(MlpNetConfig::new(D_IN, vec![], D_Z).with_bias(true));
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        Network { encoder: cfg.init_encoder(&mut rng, device), decoder: Some(cfg.init_decoder(D_Z, &mut rng, device)), head: None, sample_shape: vec![D_IN] }
    }

    fn host<const K: usize>(t: Tensor<K>) -> Vec<f64> {
        t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap().into_iter().map(f64::from).collect()
    }

    struct HostNet {
        w: Vec<f64>,
        b: Vec<f64>,
        v: Vec<f64>,
        c: Vec<f64>,
    }

    fn params(net: &Network) -> HostNet {
        let (crate::nn::Encoder::Mlp(e), Some(crate::nn::Decoder::Mlp(d))) = (&net.encoder, &net.decoder) else { panic!("mlp") };
        HostNet {
            w: host(e.out.weight.val()),
            b: host(e.out.bias.as_ref().unwrap().val()),
            v: host(d.out.weight.val()),
            c: host(d.out.bias.as_ref().unwrap().val()),
        }
    }

    fn encode(x: &[f64], w: &[f64], b: &[f64]) -> Vec<f64> {
        let n = x.len() / D_IN;
        let mut z = vec![0.0; n * D_Z];
        for i in 0..n {
            for k in 0..D_Z {
                z[i * D_Z + k] = b[k] + (0..D_IN).map(|j| x[i * D_IN + j] * w[j * D_Z + k]).sum::<f64>();
            }
        }
        z
    }

    fn recon(x: &[f64], z: &[f64], p: &HostNet) -> f64 {
        let n = x.len() / D_IN;
        let mut s = 0.0;
        for i in 0..n {
            for j in 0..D_IN {
                let a = p.c[j] + (0..D_Z).map(|k| z[i * D_Z + k] * p.v[k * D_IN + j]).sum::<f64>();
                s += (x[i * D_IN + j] - 1.0 / (1.0 + (-a).exp())).powi(2);
            }
        }
        s / (n * D_IN) as f64
    }

    /// Loss with the encoder weights `wa` for the z_svm rows and `wb` for the z_L rows (eq. 7:
    /// the expander sees only z_svm move, the compactor only z_L), and the full encoder `we`
    /// for the reconstruction; plus the active set (free, bound, misclassified) for stability.
    #[allow(clippy::type_complexity)]
    fn host_loss(loss: &OgaeLoss, x: &[f64], p: &HostNet, we: (&[f64], &[f64]), wa: (&[f64], &[f64]), wb: (&[f64], &[f64])) -> (f64, (Vec<usize>, Vec<usize>, Vec<bool>)) {
        let n_svm = loss.n_svm(N);
        let za = encode(x, wa.0, wa.1);
        let zb = encode(x, wb.0, wb.1);
        let mut z = za[..n_svm * D_Z].to_vec();
        z.extend_from_slice(&zb[n_svm * D_Z..]);
        let t = loss.batch_term(&z, N, D_Z, (1.0, 1.0), false).unwrap().unwrap();
        let (f, tape) = loss.layer.forward(&z[..n_svm * D_Z], n_svm, &z[n_svm * D_Z..], N - n_svm, D_Z).unwrap();
        let s = tape.solution();
        let active = (s.free().to_vec(), s.bound().to_vec(), f.iter().map(|v| *v < 0.0).collect());
        (recon(x, &encode(x, we.0, we.1), p) + t.value, active)
    }

    fn check(schedule: &str, hinge_scale: &str, seed: u64) {
        let device = Device::flex().autodiff();
        let net = tiny_net(seed, &device);
        let mut rng = ChaCha8Rng::seed_from_u64(seed + 100);
        let x: Vec<f64> = (0..N * D_IN).map(|_| rng.random_range(0.0..1.0f32) as f64).collect();
        let mut hyper = Hyper::defaults(Method::Ogae);
        for (k, v) in [("nu", "0.3"), ("lambda", "0.5"), ("schedule", schedule), ("hinge_scale", hinge_scale)] {
            hyper.set(Method::Ogae, k, v).unwrap();
        }
        let mut loss = OgaeLoss::new(&hyper).unwrap();
        let p = params(&net);

        // Burn: f32 forward, backward with the injected OCSVM gradient.
        let xt = Tensor::<2>::from_data(TensorData::new(x.iter().map(|&v| v as f32).collect::<Vec<_>>(), [N, D_IN]), &device);
        let (l, _) = loss.loss(&net, xt, &[0; N], 0, true);
        let grads = l.backward();
        let crate::nn::Encoder::Mlp(e) = &net.encoder else { panic!() };
        let gw = host(e.out.weight.val().grad(&grads).unwrap());
        let gb = host(e.out.bias.as_ref().unwrap().val().grad(&grads).unwrap());

        let (beta1, beta2) = Schedule::parse(schedule).unwrap().betas(0);
        let (w0, b0) = (p.w.clone(), p.b.clone());
        let (base, active0) = host_loss(&loss, &x, &p, (&w0, &b0), (&w0, &b0), (&w0, &b0));
        assert!(active0.2.iter().any(|m| *m), "{schedule}: no misclassified z_L row: the test would not exercise the hinge");
        assert!(!active0.0.is_empty(), "{schedule}: no free support vector");
        assert!((to_host1(l)[0] - base).abs() < 1e-5 * base.abs().max(1.0), "reported loss equals the f64 loss");

        let h = 1e-6;
        let (mut max_err, mut max_grad, mut checked) = (0.0f64, 0.0f64, 0);
        for (is_bias, len) in [(false, w0.len()), (true, b0.len())] {
            for i in 0..len {
                let at = |sign: f64| {
                    let (mut w, mut b) = (w0.clone(), b0.clone());
                    if is_bias { b[i] += sign * h } else { w[i] += sign * h }
                    let wa = if beta1 > 0.0 { (&w[..], &b[..]) } else { (&w0[..], &b0[..]) };
                    let wb = if beta2 > 0.0 { (&w[..], &b[..]) } else { (&w0[..], &b0[..]) };
                    host_loss(&loss, &x, &p, (&w, &b), wa, wb)
                };
                let ((lp, ap), (lm, am)) = (at(1.0), at(-1.0));
                if ap != active0 || am != active0 {
                    continue; // the active set changed within ±h: no derivative to compare
                }
                let fd = (lp - lm) / (2.0 * h);
                let got = if is_bias { gb[i] } else { gw[i] };
                max_err = max_err.max((got - fd).abs());
                max_grad = max_grad.max(fd.abs());
                checked += 1;
            }
        }
        assert!(checked == w0.len() + b0.len(), "{schedule}: active set unstable for {} of {} weights", w0.len() + b0.len() - checked, w0.len() + b0.len());
        // f32 network and gradient against f64 finite differences (truncation ~1e-12).
        assert!(max_err <= 1e-4 * max_grad.max(1e-3), "{schedule} / {hinge_scale}: max |burn − FD| = {max_err:.3e}, max |FD| = {max_grad:.3e}");
        eprintln!("{schedule} / {hinge_scale}: max |burn − FD| = {max_err:.3e} of max |FD| = {max_grad:.3e}");
    }

    #[test]
    fn gradient_matches_finite_differences_on_every_path() {
        for (schedule, scale) in [("both", "libsvm"), ("expander", "libsvm"), ("compactor", "libsvm"), ("both", "schoelkopf")] {
            check(schedule, scale, 7);
        }
    }

    /// The stored minibatch OCSVMs decide as the training layer does: drawn over all n codes
    /// (batch_size = 2n, so z_svm is a permutation of them), their decision on query rows is
    /// the layer's f in the libsvm scale, raw queries without standardisation and the codes
    /// themselves with it (the layer standardises a query half by its own statistics).
    #[test]
    fn batch_ocsvms_decide_as_the_training_layer() {
        let (n, d) = (30, 3);
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let codes: Vec<f64> = (0..n * d).map(|_| rng.random_range(-2.0..2.0)).collect();
        let queries: Vec<f64> = (0..8 * d).map(|_| rng.random_range(-4.0..4.0)).collect();
        for (standardize, gamma) in [("false", "0.3"), ("true", "scale")] {
            let mut hyper = Hyper::defaults(Method::Ogae);
            for (k, v) in [("nu", "0.2"), ("batch_size", "60"), ("ocsvm_batches", "2"), ("standardize", standardize), ("gamma", gamma)] {
                hyper.set(Method::Ogae, k, v).unwrap();
            }
            let models = fit_batch_ocsvms(&codes, d, &hyper, 4).unwrap();
            assert_eq!(models.len(), 2);
            let query = if standardize == "true" { &codes } else { &queries };
            let layer = OgaeLoss::new(&hyper).unwrap().layer;
            let (want, _) = layer.forward(&codes, n, query, query.len() / d, d).unwrap();
            for m in &models {
                assert!((m.coef.iter().sum::<f64>() - 0.2 * n as f64).abs() < 1e-9, "Σ νn·α = νn");
                let got = m.decision(query, d);
                for (g, w) in got.iter().zip(&want) {
                    assert!((g - w).abs() <= 1e-6 * w.abs().max(1.0), "standardize={standardize}: {g} vs layer {w}");
                }
            }
        }
        let mut hyper = Hyper::defaults(Method::Ogae);
        hyper.set(Method::Ogae, "batch_size", "2").unwrap();
        assert!(fit_batch_ocsvms(&codes[..d], d, &hyper, 0).is_err(), "one code cannot make a minibatch OCSVM");
        assert!(hyper.set(Method::Ogae, "ocsvm_batches", "0").is_err());
        assert!(Hyper::defaults(Method::Ae).set(Method::Ae, "score", "ocsvm-batches").is_err(), "ocsvm-batches is OgAE's");
    }

    /// Any batch size: 7 rows in batches of 3 leave a last batch of one row, which has no
    /// OCSVM term (counted as skipped) while training goes on.
    #[test]
    fn short_last_batch_is_skipped_and_logged() {
        let device = Device::flex().autodiff();
        let net = tiny_net(3, &device);
        let mut hyper = Hyper::defaults(Method::Ogae);
        hyper.set(Method::Ogae, "nu", "0.3").unwrap();
        let mut loss = OgaeLoss::new(&hyper).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let samples = crate::data::Samples::new((0..7 * D_IN).map(|_| rng.random_range(0.0..1.0f32)).collect(), 7, vec![D_IN]).unwrap();
        let phase = crate::train::PhaseConfig { name: "train".into(), lr: 1e-2, epochs: 2, milestones: vec![], batch_size: 3, weight_decay: 0.0, patience: 0, seed: 1 };
        let (_, history) = crate::train::train_phase(net, &mut loss, &samples, &[0; 7], None, &phase, &Default::default(), &device).unwrap();
        loss.finish_epoch();
        assert!(history.iter().all(|r| r.train_loss.is_finite()));
        assert_eq!(loss.logs.len(), 2);
        for log in &loss.logs {
            assert_eq!((log.batches, log.skipped_batches), (3, 1), "{log:?}");
            assert!(log.support_vectors >= 1.0 && log.ocsvm_term.is_finite() && log.pairwise_mse > 0.0);
        }
    }
}
