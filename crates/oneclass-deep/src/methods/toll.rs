//! Toll — targeted-collapse regularised auto-encoder (seed 002, section 3.2).
//!
//! Loss = batch mean of ‖x̂ − x‖₂ + β · batch mean of ‖z‖ (neither norm squared; ‖z‖ is the L1,
//! L2 or L∞ norm); the score of a sample is the same expression (eq. 3). Training runs a fixed
//! number of iterations on random batches (Adam, fixed learning rate); every
//! `checkpoint_every` iterations the weights are a selection candidate, and the model keeps the
//! candidate chosen by an explicit rule, recorded in the model file. With a checkpoint prefix the
//! training state is saved at every candidate, so an interrupted fit continues from it (and one
//! with more iterations extends it, as if it had run them all at once).

use std::time::Instant;

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::Bytes;
use burn::tensor::{Device, Tensor};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::{to_host, to_host1, Samples};
use crate::error::{invalid, DeepError, Result};
use crate::nn::{ConvNetConfig, MlpNetConfig, NetConfig, Network};
use crate::params::Hyper;
use crate::progress::Progress;
use crate::train::{adam, checkpoint_path, load_record_bytes, read_checkpoint, record_bytes, write_checkpoint, EpochRecord, TrainOptions};

/// The norm of the latent code in the Toll loss and score.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LatentNorm {
    L1,
    #[default]
    L2,
    Linf,
}

impl LatentNorm {
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim() {
            "l1" => Ok(LatentNorm::L1),
            "l2" => Ok(LatentNorm::L2),
            "linf" => Ok(LatentNorm::Linf),
            v => Err(invalid("norm", format!("`{v}`: expected l1, l2 or linf"))),
        }
    }
}

/// Which checkpoint the fitted model keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Selection {
    /// The weights after the last iteration (unsupervised).
    #[default]
    Last,
    /// The checkpoint with the lowest mean Toll loss on an unlabeled validation split.
    ValLoss,
    /// The checkpoint with the highest AUROC on a labelled validation split containing
    /// anomalies (the reference's rule; uses labels).
    ValAuroc,
    /// The checkpoint with the highest F1 on a labelled validation split when the top
    /// `top_fraction` of its scores are flagged (seed 002's Arrhythmia metric, 15 %; uses labels).
    ValF1 { top_fraction: f64 },
}

/// The flagged fraction of `val-f1` when none is given: seed 002 section 4.1 flags the top 15 %.
pub const DEFAULT_F1_TOP_FRACTION: f64 = 0.15;

impl Selection {
    /// `last`, `val-loss`, `val-auroc`, `val-f1` (top 15 %) or `val-f1:F` (top fraction F).
    pub fn parse(s: &str) -> Result<Self> {
        let expected = "expected last, val-loss, val-auroc, val-f1 or val-f1:FRACTION";
        match s.trim() {
            "last" => Ok(Selection::Last),
            "val-loss" => Ok(Selection::ValLoss),
            "val-auroc" => Ok(Selection::ValAuroc),
            "val-f1" => Ok(Selection::ValF1 { top_fraction: DEFAULT_F1_TOP_FRACTION }),
            v => match v.strip_prefix("val-f1:").map(|f| f.trim().parse::<f64>()) {
                Some(Ok(f)) if f > 0.0 && f < 1.0 => Ok(Selection::ValF1 { top_fraction: f }),
                Some(_) => Err(invalid("select", format!("`{v}`: the val-f1 fraction must be a number in (0, 1)"))),
                None => Err(invalid("select", format!("`{v}`: {expected}"))),
            },
        }
    }

    /// The rule as `parse` reads it.
    pub fn name(&self) -> String {
        match self {
            Selection::Last => "last".into(),
            Selection::ValLoss => "val-loss".into(),
            Selection::ValAuroc => "val-auroc".into(),
            Selection::ValF1 { top_fraction } if *top_fraction == DEFAULT_F1_TOP_FRACTION => "val-f1".into(),
            Selection::ValF1 { top_fraction } => format!("val-f1:{top_fraction}"),
        }
    }

    fn needs_labels(&self) -> bool {
        matches!(self, Selection::ValAuroc | Selection::ValF1 { .. })
    }
}

/// The model-selection outcome, stored in the model file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SelectionRecord {
    pub rule: Selection,
    /// Iterations done when the kept weights were checkpointed.
    pub iteration: usize,
    /// The rule's value there (validation loss, AUROC or F1; `None` for `last`).
    pub value: Option<f64>,
    /// Checkpoints considered, one every `every` iterations (and after the last).
    pub checkpoints: usize,
    pub every: usize,
}

/// The per-dataset settings of seed 002 (section 4.1, appendix B): batch size, β, latent size,
/// learning rate.
pub fn preset(name: &str) -> Result<(usize, f64, usize, f64)> {
    Ok(match name.trim() {
        "mnist" => (1000, 1000.0, 128, 1e-4),
        "fashion-mnist" | "fmnist" => (500, 100.0, 256, 1e-4),
        "cifar10" => (50, 10.0, 64, 1e-2),
        "cifar100" => (100, 100.0, 64, 1e-3),
        "arrhythmia" => (100, 10.0, 16, 1e-3),
        v => return Err(invalid("preset", format!("`{v}`: expected mnist, fashion-mnist, cifar10, cifar100 or arrhythmia"))),
    })
}

/// Toll's default network for samples of `shape` (used for `net=auto`): seed 002's own.
///
/// Tables: the Arrhythmia MLP of appendix B.3 (Linear 256 − BN − ReLU − Linear 128 − BN − ReLU
/// − Linear z, mirrored decoder with a linear output; PyTorch's bias, affine BN, ε 1e−5).
/// 28×28 grayscale images: appendix B.1 (`toll-mnist`); 32×32 colour images: appendix B.2
/// (`toll-cifar`). Other image sizes, for which the paper has no network: a conv auto-encoder
/// with the paper's first widths 64 → 128 (5×5 conv, BN, LeakyReLU 0.2, 2×2 pooling), bias,
/// affine BN, z = 128, and the engine's mirrored decoder (nearest upsampling, sigmoid output).
pub fn default_net(shape: &[usize]) -> Result<NetConfig> {
    let cfg = match shape {
        [d] => NetConfig::Mlp(
            MlpNetConfig::new(*d, vec![256, 128], 16).with_bias(true).with_bn_affine(true).with_bn_eps(1e-5).with_leaky_slope(0.0).with_output_sigmoid(false),
        ),
        [1, 28, 28] => NetConfig::named("toll-mnist", shape)?,
        [3, 32, 32] => NetConfig::named("toll-cifar", shape)?,
        [c, h, w] => NetConfig::Conv(
            ConvNetConfig::new([*c, *h, *w], vec![64, 128], vec![], 128).with_bias(true).with_bn_affine(true).with_bn_eps(1e-5).with_leaky_slope(0.2),
        ),
        other => return Err(DeepError::Shape { got: other.to_vec(), reason: "samples must be images [C, H, W] or table rows [D]".into() }),
    };
    cfg.validate()?;
    Ok(cfg)
}

/// Per-sample ‖x̂ − x‖₂ + β‖z‖ (`[batch]`) and the codes.
pub(crate) fn per_sample(net: &Network, x: Tensor<2>, beta: f64, norm: LatentNorm) -> (Tensor<1>, Tensor<2>) {
    let n = x.dims()[0];
    let z = net.encode(x.clone());
    let recon = net.decode(z.clone());
    let recon_norm = (recon - x).powi_scalar(2).sum_dim(1).sqrt().reshape([n]);
    let z_norm = match norm {
        LatentNorm::L1 => z.clone().abs().sum_dim(1),
        LatentNorm::L2 => z.clone().powi_scalar(2).sum_dim(1).sqrt(),
        LatentNorm::Linf => z.clone().abs().max_dim(1),
    }
    .reshape([n]);
    (recon_norm + z_norm.mul_scalar(beta), z)
}

/// The anomaly score (eq. 3), batch by batch, in validation mode.
pub(crate) fn score(net: &Network, x: Tensor<2>, beta: f64, norm: LatentNorm) -> Tensor<1> {
    per_sample(net, x, beta, norm).0
}

fn scores_of(net: &Network, data: &Samples, hyper: &Hyper, norm: LatentNorm, device: &Device) -> Vec<f64> {
    let valid = net.valid();
    let idx: Vec<usize> = (0..data.n).collect();
    let mut out = Vec::with_capacity(data.n);
    for chunk in idx.chunks(hyper.score_batch) {
        out.extend(to_host1(score(&valid, data.batch(chunk, device), hyper.beta, norm)));
    }
    out
}

/// Validation inputs of a Toll fit: samples, and their 0/1 labels for `select=val-auroc`.
pub(crate) struct TollVal<'a> {
    pub samples: &'a Samples,
    pub labels: Option<&'a [u8]>,
}

/// The training state saved at a selection candidate; blobs: weights, optimizer state and the
/// kept candidate's weights (when there is one).
#[derive(Serialize, Deserialize)]
struct TollCheckpoint {
    format: String,
    /// What the state depends on: Toll's settings but the iteration count, the seed and the
    /// number of training and validation rows (`fingerprint`).
    fingerprint: String,
    iterations_done: usize,
    rng_word_pos: String,
    history: Vec<EpochRecord>,
    checkpoints: usize,
    /// Selection value and iteration of the kept candidate.
    best: Option<(f64, usize)>,
}

const TOLL_CHECKPOINT_FORMAT: &str = "oneclass-toll-checkpoint-2";

/// The settings Toll reads but the iteration count (a longer fit extends a shorter one), the
/// seed and the data sizes: keys of other methods do not invalidate a Toll checkpoint.
fn fingerprint(hyper: &Hyper, seed: u64, n_train: usize, n_val: Option<usize>) -> String {
    let mut settings = hyper.settings_read_by(crate::params::Method::Toll);
    settings.remove("iterations");
    format!("{} seed={seed} n_train={n_train} n_val={n_val:?}", serde_json::Value::Object(settings))
}

/// Trains `net` (`device` with autodiff) for `hyper.iterations` random batches and keeps the
/// checkpoint the selection rule picks.
pub(crate) fn train(
    mut net: Network,
    hyper: &Hyper,
    train: &Samples,
    val: Option<TollVal<'_>>,
    seed: u64,
    opts: &TrainOptions,
    device: &Device,
) -> Result<(Network, Vec<EpochRecord>, SelectionRecord)> {
    let norm = hyper.norm;
    let rule = hyper.select;
    let inner = device.clone().without_autodiff();
    // Checked before any training so that a wrong call fails at once.
    let val_labels = match (rule, &val) {
        (Selection::Last, _) => None,
        (_, None) => return Err(invalid("select", format!("`{}` needs validation data (--val)", rule.name()))),
        (Selection::ValLoss, Some(_)) => None,
        (_, Some(v)) => {
            let name = rule.name();
            let l = v.labels.ok_or_else(|| invalid("select", format!("`{name}` needs labels of the validation rows (1 = anomaly, 0 = normal)")))?;
            if l.len() != v.samples.n {
                return Err(DeepError::Labels(format!("{} validation labels for {} validation rows", l.len(), v.samples.n)));
            }
            if let Some(i) = l.iter().position(|&y| y > 1) {
                return Err(DeepError::Labels(format!("validation label {} at row {i}: expected 0 (normal) or 1 (anomaly)", l[i])));
            }
            if !l.contains(&0) || !l.contains(&1) {
                return Err(DeepError::Labels(format!("`{name}` needs both normal (0) and anomalous (1) validation rows")));
            }
            debug_assert!(rule.needs_labels());
            Some(l)
        }
    };
    let mut optim = adam(hyper.weight_decay);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let every = hyper.checkpoint_every.max(1);
    let batch = hyper.batch_size.min(train.n);
    let mut history = Vec::new();
    let mut best: Option<(f64, usize, Vec<u8>)> = None;
    let mut checkpoints = 0usize;
    let mut start = 0usize;
    let ckpt = opts.checkpoint.as_ref().map(|p| checkpoint_path(p, "toll"));
    let fingerprint = fingerprint(hyper, seed, train.n, val.as_ref().map(|v| v.samples.n));
    if let (Some(path), true) = (&ckpt, opts.resume) {
        if path.exists() {
            let bad = |reason: String| DeepError::File { path: path.clone(), reason };
            let (meta, mut blobs): (TollCheckpoint, _) = read_checkpoint(path)?;
            if meta.format != TOLL_CHECKPOINT_FORMAT {
                return Err(bad(format!("checkpoint format `{}`, this build reads `{TOLL_CHECKPOINT_FORMAT}`; remove it or fit without resuming", meta.format)));
            }
            if meta.fingerprint != fingerprint {
                return Err(bad("checkpoint was written for other settings, data or seed; remove it or fit without resuming".into()));
            }
            let done = meta.iterations_done;
            // A run stopped off the candidate grid saw a candidate a longer run would not have.
            if done > hyper.iterations || (done < hyper.iterations && done % every != 0) {
                return Err(bad(format!("checkpoint holds {done} iterations; a fit of {} iterations cannot continue it", hyper.iterations)));
            }
            let expected = 2 + usize::from(meta.best.is_some());
            if blobs.len() != expected {
                return Err(bad(format!("checkpoint has {} blobs, expected {expected}", blobs.len())));
            }
            let best_blob = if meta.best.is_some() { blobs.pop() } else { None };
            let optim_blob = blobs.pop().expect("checked");
            net = load_record_bytes(net, blobs.pop().expect("checked"), path)?;
            optim = optim.from_bytes(Bytes::from_bytes_vec(optim_blob)).map_err(|e| bad(format!("optimizer state: {e:?}")))?;
            rng.set_word_pos(meta.rng_word_pos.parse().map_err(|_| bad("bad rng_word_pos".into()))?);
            best = meta.best.zip(best_blob).map(|((m, at), b)| (m, at, b));
            (history, checkpoints, start) = (meta.history, meta.checkpoints, done);
        }
    }
    let bar = Progress::new(hyper.iterations.saturating_sub(start) as u64, "toll", opts.progress);
    let (mut window_loss, mut window_rows) = (0.0, 0usize);
    let (mut sum, mut sumsq): (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
    let mut t0 = Instant::now();
    for it in start + 1..=hyper.iterations {
        let idx = rand::seq::index::sample(&mut rng, train.n, batch).into_vec();
        let (per, z) = per_sample(&net, train.batch(&idx, device), hyper.beta, norm);
        let loss = per.mean();
        let value = to_host1(loss.clone().detach())[0];
        if !value.is_finite() {
            bar.abandon();
            return Err(DeepError::Diverged { epoch: it, loss: value });
        }
        let z = to_host(z.detach());
        let k = z.len() / idx.len();
        if sum.is_empty() {
            (sum, sumsq) = (vec![0.0; k], vec![0.0; k]);
        }
        for row in z.chunks(k) {
            for j in 0..k {
                sum[j] += row[j];
                sumsq[j] += row[j] * row[j];
            }
        }
        window_loss += value * idx.len() as f64;
        window_rows += idx.len();
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = optim.step(hyper.lr, net, grads);
        bar.inc(1);
        bar.set_message(format!("loss {value:.6}"));
        if it % every == 0 || it == hyper.iterations {
            checkpoints += 1;
            let rows = window_rows as f64;
            let spread = (0..k).map(|j| (sumsq[j] / rows - (sum[j] / rows).powi(2)).max(0.0).sqrt()).sum::<f64>() / k.max(1) as f64;
            let val_scores = val.as_ref().map(|v| scores_of(&net, v.samples, hyper, norm, &inner));
            let val_loss = val_scores.as_ref().map(|s| s.iter().sum::<f64>() / s.len().max(1) as f64);
            // Higher is better for both rules in this form.
            let merit = match rule {
                Selection::Last => None,
                Selection::ValLoss => val_loss.map(|v| -v),
                Selection::ValAuroc => {
                    let s = val_scores.as_ref().expect("validated above");
                    Some(oneclass_metrics::auroc(s, val_labels.expect("validated above")).map_err(|e| DeepError::Labels(format!("validation AUROC: {e}")))?)
                }
                Selection::ValF1 { top_fraction } => {
                    let s = val_scores.as_ref().expect("validated above");
                    let f1 = oneclass_metrics::f1_at_contamination(s, val_labels.expect("validated above"), top_fraction);
                    Some(f1.map_err(|e| DeepError::Labels(format!("validation F1: {e}")))?)
                }
            };
            if let Some(m) = merit {
                if m.is_finite() && best.as_ref().is_none_or(|(b, _, _)| m > *b) {
                    best = Some((m, it, record_bytes(&net)?));
                }
            }
            bar.summary(|| {
                let val = val_loss.map_or(String::new(), |v| format!(", validation loss {v:.6}"));
                let kept = best.as_ref().map_or(String::new(), |(m, at, _)| format!(", kept iteration {at} (selection value {m:.6})"));
                format!("toll iteration {it}/{}: loss {:.6}{val}{kept}, {:.1} s", hyper.iterations, window_loss / rows, t0.elapsed().as_secs_f64())
            });
            history.push(EpochRecord {
                phase: "train".into(),
                epoch: it,
                lr: hyper.lr,
                train_loss: window_loss / rows,
                val_loss,
                latent_spread: spread,
                seconds: t0.elapsed().as_secs_f64(),
            });
            (window_loss, window_rows) = (0.0, 0);
            sum.iter_mut().chain(sumsq.iter_mut()).for_each(|v| *v = 0.0);
            if let Some(path) = &ckpt {
                let meta = TollCheckpoint {
                    format: TOLL_CHECKPOINT_FORMAT.into(),
                    fingerprint: fingerprint.clone(),
                    iterations_done: it,
                    rng_word_pos: rng.get_word_pos().to_string(),
                    history: history.clone(),
                    checkpoints,
                    best: best.as_ref().map(|(m, at, _)| (*m, *at)),
                };
                let weights = record_bytes(&net)?;
                let optim_bytes = optim.into_bytes().map_err(|e| DeepError::File { path: path.clone(), reason: format!("optimizer state: {e:?}") })?;
                let mut blobs: Vec<&[u8]> = vec![&weights, &optim_bytes];
                if let Some((_, _, b)) = &best {
                    blobs.push(b);
                }
                write_checkpoint(path, &meta, &blobs)?;
            }
            if opts.stop_after_epochs.is_some_and(|k| it >= k) && it < hyper.iterations {
                bar.abandon();
                return Err(DeepError::Interrupted { phase: "toll".into(), epoch: it });
            }
            t0 = Instant::now();
        }
    }
    bar.finish();
    let record = match best {
        Some((merit, iteration, bytes)) => {
            net = load_record_bytes(net, bytes, std::path::Path::new("<memory>"))?;
            let value = if rule == Selection::ValLoss { -merit } else { merit };
            SelectionRecord { rule, iteration, value: Some(value), checkpoints, every }
        }
        None if rule == Selection::Last => SelectionRecord { rule, iteration: hyper.iterations, value: None, checkpoints, every },
        None => return Err(invalid("select", "no checkpoint had a finite validation value")),
    };
    Ok((net, history, record))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;
    use rand::SeedableRng;

    /// Loss and score equal ‖x̂ − x‖₂ + β‖z‖_p computed on the host from the network's own
    /// codes and reconstructions, for each norm (relative 1e-5).
    #[test]
    fn loss_and_score_match_host_computation() {
        let dev = Device::flex();
        let cfg = default_net(&[6]).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let net = Network { encoder: cfg.init_encoder(&mut rng, &dev), decoder: Some(cfg.init_decoder(16, &mut rng, &dev)), head: None, sample_shape: vec![6] };
        let x: Vec<f32> = (0..5 * 6).map(|i| ((i * 11) % 13) as f32 / 13.0).collect();
        let xt = Tensor::<2>::from_data(TensorData::new(x.clone(), [5, 6]), &dev);
        let z = to_host(net.encode(xt.clone()));
        let r = to_host(net.decode(net.encode(xt.clone())));
        for (norm, beta) in [(LatentNorm::L1, 0.3), (LatentNorm::L2, 10.0), (LatentNorm::Linf, 1000.0)] {
            let got = to_host1(score(&net, xt.clone(), beta, norm));
            let mut mean = 0.0;
            for i in 0..5 {
                let rec = (0..6).map(|j| (r[i * 6 + j] - x[i * 6 + j] as f64).powi(2)).sum::<f64>().sqrt();
                let zi = &z[i * 16..(i + 1) * 16];
                let zn = match norm {
                    LatentNorm::L1 => zi.iter().map(|v| v.abs()).sum::<f64>(),
                    LatentNorm::L2 => zi.iter().map(|v| v * v).sum::<f64>().sqrt(),
                    LatentNorm::Linf => zi.iter().fold(0.0f64, |m, v| m.max(v.abs())),
                };
                let want = rec + beta * zn;
                assert!((got[i] - want).abs() <= 1e-5 * want.abs(), "{norm:?} row {i}: {} vs {want}", got[i]);
                mean += want / 5.0;
            }
            let loss = to_host1(per_sample(&net, xt.clone(), beta, norm).0.mean())[0];
            assert!((loss - mean).abs() <= 1e-5 * mean.abs(), "{norm:?} loss {loss} vs {mean}");
        }
    }

    /// `val-f1` parses with the paper's 15 % or an explicit fraction, round-trips through its
    /// name, and refuses fractions outside (0, 1).
    #[test]
    fn val_f1_rule_parses_and_names() {
        assert_eq!(Selection::parse("val-f1").unwrap(), Selection::ValF1 { top_fraction: 0.15 });
        assert_eq!(Selection::parse("val-f1:0.2").unwrap(), Selection::ValF1 { top_fraction: 0.2 });
        for rule in ["last", "val-loss", "val-auroc", "val-f1", "val-f1:0.2"] {
            assert_eq!(Selection::parse(rule).unwrap().name(), rule);
        }
        for bad in ["val-f1:0", "val-f1:1", "val-f1:x", "val-f2"] {
            assert!(Selection::parse(bad).is_err(), "{bad}");
        }
    }

    /// Two Gaussian blobs: normals around 0 for training; validation has 30 normals and 10
    /// shifted anomalies. `val-f1` keeps a checkpoint whose recorded value is the F1 (top 15 %)
    /// of the kept network's validation scores (1e-12), at least the last checkpoint's F1, and
    /// it refuses unlabelled validation data.
    #[test]
    fn val_f1_selection_records_the_kept_checkpoints_f1() {
        use rand_distr::{Distribution, Normal};
        let dev = Device::flex().autodiff();
        let d = 8;
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let noise = Normal::new(0.0, 1.0).unwrap();
        let mut rows = |n: usize, shift: f64| -> Vec<f32> { (0..n * d).map(|_| (noise.sample(&mut rng) + shift) as f32).collect() };
        let train_x = Samples::new(rows(120, 0.0), 120, vec![d]).unwrap();
        let mut val_x = rows(30, 0.0);
        val_x.extend(rows(10, 1.5));
        let val = Samples::new(val_x, 40, vec![d]).unwrap();
        let labels: Vec<u8> = (0..40).map(|i| u8::from(i >= 30)).collect();
        let mut hyper = Hyper::defaults(crate::params::Method::Toll);
        for (k, v) in [("iterations", "60"), ("checkpoint_every", "10"), ("batch_size", "32"), ("lr", "1e-2"), ("beta", "1")] {
            hyper.set(crate::params::Method::Toll, k, v).unwrap();
        }
        let cfg = NetConfig::Mlp(MlpNetConfig::new(d, vec![16], 4).with_bias(true).with_bn_affine(true).with_bn_eps(1e-5).with_leaky_slope(0.0).with_output_sigmoid(false));
        let fresh = || {
            let mut r = ChaCha8Rng::seed_from_u64(3);
            Network { encoder: cfg.init_encoder(&mut r, &dev), decoder: Some(cfg.init_decoder(4, &mut r, &dev)), head: None, sample_shape: vec![d] }
        };
        let f1_of = |net: &Network, h: &Hyper| {
            let s = scores_of(net, &val, h, h.norm, &dev.clone().without_autodiff());
            oneclass_metrics::f1_at_contamination(&s, &labels, 0.15).unwrap()
        };
        hyper.select = Selection::parse("val-f1").unwrap();
        let tv = || Some(TollVal { samples: &val, labels: Some(&labels) });
        let (net, history, sel) = train(fresh(), &hyper, &train_x, tv(), 5, &TrainOptions::default(), &dev).unwrap();
        assert_eq!((history.len(), sel.checkpoints, sel.every), (6, 6, 10));
        assert_eq!(sel.iteration % 10, 0);
        let kept = f1_of(&net, &hyper);
        assert!((sel.value.unwrap() - kept).abs() < 1e-12, "{:?} vs {kept}", sel.value);
        let mut last = hyper.clone();
        last.select = Selection::Last;
        let (net_last, _, _) = train(fresh(), &last, &train_x, tv(), 5, &TrainOptions::default(), &dev).unwrap();
        assert!(kept >= f1_of(&net_last, &last), "the last checkpoint is a candidate");
        let unlabelled = Some(TollVal { samples: &val, labels: None });
        assert!(train(fresh(), &hyper, &train_x, unlabelled, 5, &TrainOptions::default(), &dev).is_err());
    }

    #[test]
    fn arrhythmia_network_is_appendix_b3() {
        let NetConfig::Mlp(m) = default_net(&[274]).unwrap() else { panic!("an MLP") };
        assert_eq!((m.hidden.clone(), m.rep_dim, m.bias, m.bn_affine, m.leaky_slope, m.output_sigmoid), (vec![256, 128], 16, true, true, 0.0, false));
        assert_eq!(preset("arrhythmia").unwrap(), (100, 10.0, 16, 1e-3));
        assert!(preset("svhn").is_err());
    }
}
