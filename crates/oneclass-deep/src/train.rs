//! The one training loop every method uses: Adam with weight decay, ×0.1 step milestones,
//! seeded shuffling, optional early stopping, a progress bar, and an end-of-epoch checkpoint
//! (weights + optimizer state + epoch + RNG position, written atomically) to resume from.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::Module;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device, Tensor};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::{to_host, to_host1, Samples, SemiLabel};
use crate::error::{DeepError, Result};
use crate::nn::Network;
use crate::progress::Progress;

/// A method's training objective.
pub(crate) trait Loss {
    /// Mean loss over the batch `x` (rows `labels`), and the latent codes of the batch.
    /// `training` is false for validation passes (no state may change then).
    fn loss(&mut self, net: &Network, x: Tensor<2>, labels: &[SemiLabel], epoch: usize, training: bool) -> (Tensor<1>, Tensor<2>);
    /// Called after each optimizer step (the soft-boundary radius update).
    fn after_step(&mut self, _epoch: usize) {}
    /// Whether the objective at `epoch` differs from the one before (a schedule switch); early
    /// stopping then starts afresh, so weights from before the switch cannot be kept as "best",
    /// and it never stops a phase before its last switch.
    fn objective_changes_at(&self, _epoch: usize) -> bool {
        false
    }
    /// State to checkpoint (radius, noise RNG position, …).
    fn state(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
    fn restore(&mut self, _state: &serde_json::Value) -> Result<()> {
        Ok(())
    }
}

/// The collapse guard: an epoch whose latent spread fell below this fraction of the phase's
/// first-epoch spread is flagged (hypersphere collapse).
pub const COLLAPSE_RATIO: f64 = 1e-3;

/// Whether the collapse guard flags an epoch of latent spread `spread` in a phase whose first
/// epoch had spread `first`.
pub fn collapse_flagged(first: f64, spread: f64) -> bool {
    spread < COLLAPSE_RATIO * first.max(1e-12)
}

/// Per column of the row-major `[rows, k]` batch `z`: Σ_i (z_iq − mean_q)².
/// Training steps whose losses and codes are read back to the host together.
const HOST_READ_EVERY: usize = 16;

pub(crate) fn within_batch_squares(z: &[f64], k: usize) -> Vec<f64> {
    let rows = (z.len() / k.max(1)).max(1) as f64;
    let mut mean = vec![0.0; k];
    for row in z.chunks(k) {
        mean.iter_mut().zip(row).for_each(|(m, v)| *m += v / rows);
    }
    let mut squares = vec![0.0; k];
    for row in z.chunks(k) {
        for j in 0..k {
            squares[j] += (row[j] - mean[j]).powi(2);
        }
    }
    squares
}

/// One training phase's settings.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PhaseConfig {
    pub name: String,
    pub lr: f64,
    pub epochs: usize,
    pub milestones: Vec<usize>,
    pub batch_size: usize,
    pub weight_decay: f64,
    pub patience: usize,
    pub seed: u64,
}

impl PhaseConfig {
    /// Learning rate of epoch `epoch` (0-based): lr · 0.1^(milestones ≤ epoch).
    pub fn lr_at(&self, epoch: usize) -> f64 {
        let drops = self.milestones.iter().filter(|&&m| m <= epoch).count();
        self.lr * 0.1f64.powi(drops as i32)
    }
}

/// Where and how to checkpoint, and run-level switches.
#[derive(Clone, Debug, Default)]
pub struct TrainOptions {
    /// Checkpoint file prefix; each phase writes `<prefix>.<phase>.ckpt`. `None` = no checkpoints.
    pub checkpoint: Option<PathBuf>,
    /// Continue from existing checkpoints.
    pub resume: bool,
    /// Show a progress bar and warnings on stderr.
    pub progress: bool,
    /// Stop (as if interrupted) once this many epochs of a phase (Toll: iterations, at the next
    /// candidate) are done, keeping the checkpoint; used to test resuming. Fitting then returns
    /// `DeepError::Interrupted`.
    pub stop_after_epochs: Option<usize>,
}

/// What one epoch did.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct EpochRecord {
    pub phase: String,
    pub epoch: usize,
    pub lr: f64,
    pub train_loss: f64,
    pub val_loss: Option<f64>,
    /// Mean over latent dimensions of the within-batch standard deviation of the codes
    /// (collapse guard). Within the batch, so that the parameters' drift between batches
    /// (the codes' mean moves with the output bias at a high learning rate) does not count as
    /// spread: a network mapping every input of a batch to one point has spread 0.
    pub latent_spread: f64,
    pub seconds: f64,
}

#[derive(Serialize, Deserialize)]
struct CheckpointMeta {
    format: String,
    phase: PhaseConfig,
    n_train: usize,
    epochs_done: usize,
    rng_word_pos: String,
    history: Vec<EpochRecord>,
    loss_state: serde_json::Value,
    best_val: Option<f64>,
    since_best: usize,
    stopped_early: bool,
}

const CKPT_MAGIC: &[u8; 16] = b"ONECLASS-DEEPCK1";

pub(crate) fn checkpoint_path(prefix: &Path, phase: &str) -> PathBuf {
    let mut s = prefix.as_os_str().to_owned();
    s.push(format!(".{phase}.ckpt"));
    PathBuf::from(s)
}

/// Writes a checkpoint file (atomically): magic bytes, JSON metadata, then binary blobs (weights,
/// optimizer state, best weights).
pub(crate) fn write_checkpoint<M: Serialize>(path: &Path, meta: &M, blobs: &[&[u8]]) -> Result<()> {
    let json = serde_json::to_vec(meta).expect("checkpoint metadata serialises");
    oneclass_data::write_atomic(path, |w| {
        w.write_all(CKPT_MAGIC)?;
        w.write_all(&(json.len() as u64).to_le_bytes())?;
        w.write_all(&json)?;
        w.write_all(&(blobs.len() as u64).to_le_bytes())?;
        for b in blobs {
            w.write_all(&(b.len() as u64).to_le_bytes())?;
            w.write_all(b)?;
        }
        Ok(())
    })?;
    Ok(())
}

pub(crate) fn read_checkpoint<M: serde::de::DeserializeOwned>(path: &Path) -> Result<(M, Vec<Vec<u8>>)> {
    let bad = |reason: &str| DeepError::File { path: path.to_path_buf(), reason: format!("not a usable checkpoint: {reason}") };
    let bytes = std::fs::read(path).map_err(|source| DeepError::Io { path: path.to_path_buf(), source })?;
    let mut pos = 0usize;
    let mut take = |n: usize| -> Result<&[u8]> {
        if pos + n > bytes.len() {
            return Err(bad("truncated"));
        }
        let s = &bytes[pos..pos + n];
        pos += n;
        Ok(s)
    };
    if take(16)? != CKPT_MAGIC {
        return Err(bad("wrong magic bytes"));
    }
    let u = |s: &[u8]| u64::from_le_bytes(s.try_into().expect("8 bytes")) as usize;
    let len = u(take(8)?);
    let meta: M = serde_json::from_slice(take(len)?).map_err(|e| bad(&format!("metadata: {e}")))?;
    let count = u(take(8)?);
    if count > 8 {
        return Err(bad("too many blobs"));
    }
    let mut blobs = Vec::with_capacity(count);
    for _ in 0..count {
        let len = u(take(8)?);
        blobs.push(take(len)?.to_vec());
    }
    Ok((meta, blobs))
}

pub(crate) fn record_bytes(net: &Network) -> Result<Vec<u8>> {
    // `valid()` folds pending BatchNorm running-statistic updates in (a plain record of the
    // training module would hold them one update behind).
    let bytes = net.valid().into_record().into_bytes().map_err(|e| DeepError::File { path: PathBuf::from("<checkpoint>"), reason: format!("{e:?}") })?;
    Ok(bytes.to_vec())
}

pub(crate) fn load_record_bytes(net: Network, bytes: Vec<u8>, path: &Path) -> Result<Network> {
    let bad = |e: String| DeepError::File { path: path.to_path_buf(), reason: format!("checkpoint weights do not fit the network: {e}") };
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes)).map_err(|e| bad(format!("{e:?}")))?;
    net.try_load_record(record).map_err(|e| bad(format!("{e:?}")))
}

pub(crate) fn adam(weight_decay: f64) -> ModuleOptimizer {
    // PyTorch's Adam defaults (ε = 1e-8); weight decay is the L2 term added to the gradient.
    let cfg = AdamConfig::new().with_epsilon(1e-8);
    let cfg = if weight_decay > 0.0 { cfg.with_weight_decay(Some(WeightDecayConfig::new(weight_decay as f32))) } else { cfg };
    cfg.init()
}

/// Mean loss of `net` (validation mode) over `data`.
fn evaluate(net: &Network, loss: &mut dyn Loss, data: &Samples, labels: &[SemiLabel], batch: usize, epoch: usize, device: &Device) -> f64 {
    let valid = net.valid();
    let inner = device.clone().without_autodiff();
    let idx: Vec<usize> = (0..data.n).collect();
    let mut total = 0.0;
    for chunk in idx.chunks(batch) {
        let x = data.batch(chunk, &inner);
        let lab: Vec<SemiLabel> = chunk.iter().map(|&i| labels[i]).collect();
        let (l, _) = loss.loss(&valid, x, &lab, epoch, false);
        total += to_host1(l)[0] * chunk.len() as f64;
    }
    total / data.n.max(1) as f64
}

/// Trains `net` for one phase and returns it (the best-validation weights when early stopping
/// is on) with the epoch history. `device` must have autodiff enabled.
#[allow(clippy::too_many_arguments)]
pub(crate) fn train_phase(
    mut net: Network,
    loss: &mut dyn Loss,
    train: &Samples,
    labels: &[SemiLabel],
    val: Option<(&Samples, &[SemiLabel])>,
    phase: &PhaseConfig,
    opts: &TrainOptions,
    device: &Device,
) -> Result<(Network, Vec<EpochRecord>)> {
    let ckpt = opts.checkpoint.as_ref().map(|p| checkpoint_path(p, &phase.name));
    let mut optim = adam(phase.weight_decay);
    let mut rng = ChaCha8Rng::seed_from_u64(phase.seed);
    let mut history = Vec::new();
    let mut start = 0usize;
    let mut best: Option<(f64, Vec<u8>)> = None;
    let mut since_best = 0usize;
    let mut stopped_early = false;

    if let (Some(path), true) = (&ckpt, opts.resume) {
        if path.exists() {
            let (meta, mut blobs): (CheckpointMeta, _) = read_checkpoint(path)?;
            if meta.phase != *phase || meta.n_train != train.n {
                return Err(DeepError::File {
                    path: path.clone(),
                    reason: format!(
                        "checkpoint was written for other settings (phase {:?}, {} training rows); remove it or fit without --resume",
                        meta.phase, meta.n_train
                    ),
                });
            }
            if blobs.len() < 2 {
                return Err(DeepError::File { path: path.clone(), reason: "checkpoint lacks weights or optimizer state".into() });
            }
            let best_blob = if blobs.len() > 2 { blobs.pop() } else { None };
            let optim_blob = blobs.pop().expect("checked");
            let weights = blobs.pop().expect("checked");
            net = load_record_bytes(net, weights, path)?;
            optim = optim.from_bytes(Bytes::from_bytes_vec(optim_blob)).map_err(|e| DeepError::File { path: path.clone(), reason: format!("optimizer state: {e:?}") })?;
            let word_pos: u128 = meta.rng_word_pos.parse().map_err(|_| DeepError::File { path: path.clone(), reason: "bad rng_word_pos".into() })?;
            rng.set_word_pos(word_pos);
            loss.restore(&meta.loss_state)?;
            history = meta.history;
            start = meta.epochs_done;
            since_best = meta.since_best;
            stopped_early = meta.stopped_early;
            best = match (meta.best_val, best_blob) {
                (Some(v), Some(b)) => Some((v, b)),
                _ => None,
            };
        }
    }

    let n = train.n;
    let batches = n.div_ceil(phase.batch_size);
    let bar = Progress::new((phase.epochs.saturating_sub(start) * batches) as u64, &phase.name, opts.progress && start < phase.epochs && !stopped_early);
    let mut order: Vec<usize> = (0..n).collect();
    let use_val = val.is_some();
    let first_spread = history.iter().find(|r: &&EpochRecord| r.phase == phase.name).map(|r| r.latent_spread);
    let mut first_spread = first_spread;

    for epoch in start..phase.epochs {
        if stopped_early {
            break;
        }
        if epoch > 0 && loss.objective_changes_at(epoch) {
            best = None;
            since_best = 0;
        }
        if let Some(k) = opts.stop_after_epochs {
            if epoch >= k {
                bar.abandon();
                return Err(DeepError::Interrupted { phase: phase.name.clone(), epoch });
            }
        }
        let t0 = Instant::now();
        let lr = phase.lr_at(epoch);
        order.sort_unstable();
        order.shuffle(&mut rng);
        let mut total = 0.0;
        // Per latent dimension: Σ over batches of Σ_i (z_i − batch mean)².
        let mut within: Vec<f64> = Vec::new();
        // Each step's loss and codes stay on the device until HOST_READ_EVERY steps have
        // gathered (one read instead of one per step: every read waits for a GPU's queue).
        let mut pending: Vec<(Tensor<1>, Tensor<2>, usize)> = Vec::new();
        let batches = order.len().div_ceil(phase.batch_size);
        for (b, chunk) in order.chunks(phase.batch_size).enumerate() {
            let x = train.batch(chunk, device);
            let lab: Vec<SemiLabel> = chunk.iter().map(|&i| labels[i]).collect();
            let (l, z) = loss.loss(&net, x, &lab, epoch, true);
            pending.push((l.clone().detach(), z.detach(), chunk.len()));
            let grads = GradientsParams::from_grads(l.backward(), &net);
            net = optim.step(lr, net, grads);
            loss.after_step(epoch);
            bar.inc(1);
            if pending.len() < HOST_READ_EVERY && b + 1 < batches {
                continue;
            }
            let shapes: Vec<([usize; 2], usize)> = pending.iter().map(|(_, z, m)| (z.dims(), *m)).collect();
            let (ls, zs): (Vec<Tensor<1>>, Vec<Tensor<2>>) = pending.drain(..).map(|(l, z, _)| (l, z)).unzip();
            let (values, codes) = (to_host1(Tensor::cat(ls, 0)), to_host(Tensor::cat(zs, 0)));
            let mut offset = 0;
            for (value, ([rows, k], m)) in values.into_iter().zip(shapes) {
                if !value.is_finite() {
                    bar.abandon();
                    return Err(DeepError::Diverged { epoch, loss: value });
                }
                if within.is_empty() {
                    within = vec![0.0; k];
                }
                for (w, s) in within.iter_mut().zip(within_batch_squares(&codes[offset..offset + rows * k], k)) {
                    *w += s;
                }
                offset += rows * k;
                total += value * m as f64;
            }
            let (steps, seconds) = bar.position_and_seconds();
            let rate = steps as f64 * phase.batch_size as f64 / seconds.max(1e-9);
            bar.set_message(format!("loss {:.6} {:.0} samples/s", total / n as f64, rate));
        }
        let spread = if within.is_empty() { 0.0 } else { within.iter().map(|w| (w / n as f64).sqrt()).sum::<f64>() / within.len() as f64 };
        let first = *first_spread.get_or_insert(spread);
        if opts.progress && collapse_flagged(first, spread) {
            bar.warn(format!(
                "warning: {} epoch {epoch}: latent spread {spread:.3e} fell below 1/1000 of its first value {first:.3e} (hypersphere collapse?)",
                phase.name
            ));
        }
        let val_loss = val.map(|(vx, vl)| evaluate(&net, loss, vx, vl, phase.batch_size, epoch, device));
        history.push(EpochRecord {
            phase: phase.name.clone(),
            epoch,
            lr,
            train_loss: total / n as f64,
            val_loss,
            latent_spread: spread,
            seconds: t0.elapsed().as_secs_f64(),
        });
        bar.summary(|| {
            let val = val_loss.map_or(String::new(), |v| format!(", validation loss {v:.6}"));
            format!("{} epoch {}/{}: loss {:.6}{val}, {:.1} s", phase.name, epoch + 1, phase.epochs, total / n as f64, t0.elapsed().as_secs_f64())
        });
        if use_val && phase.patience > 0 {
            let v = val_loss.expect("validation data given");
            if best.as_ref().is_none_or(|(b, _)| v < *b) {
                best = Some((v, record_bytes(&net)?));
                since_best = 0;
            } else {
                since_best += 1;
                // Never stop before the method's last objective (e.g. OgAE's expand-then-both
                // switch, the soft-boundary radius after its warm-up): that one was never trained.
                let objective_ahead = (epoch + 1..phase.epochs).any(|e| loss.objective_changes_at(e));
                if since_best >= phase.patience && !objective_ahead {
                    stopped_early = true;
                }
            }
        }
        if let Some(path) = &ckpt {
            let meta = CheckpointMeta {
                format: "oneclass-deep-checkpoint-1".into(),
                phase: phase.clone(),
                n_train: n,
                epochs_done: epoch + 1,
                rng_word_pos: rng.get_word_pos().to_string(),
                history: history.clone(),
                loss_state: loss.state(),
                best_val: best.as_ref().map(|(v, _)| *v),
                since_best,
                stopped_early,
            };
            let weights = record_bytes(&net)?;
            let optim_bytes = optim.into_bytes().map_err(|e| DeepError::File { path: path.clone(), reason: format!("optimizer state: {e:?}") })?;
            let mut blobs: Vec<&[u8]> = vec![&weights, &optim_bytes];
            if let Some((_, b)) = &best {
                blobs.push(b);
            }
            write_checkpoint(path, &meta, &blobs)?;
        }
    }
    bar.finish();
    if let Some((_, bytes)) = best {
        let path = ckpt.clone().unwrap_or_else(|| PathBuf::from("<memory>"));
        net = load_record_bytes(net, bytes, &path)?;
    }
    Ok((net, history))
}

/// Removes the checkpoints of a finished fit.
pub(crate) fn remove_checkpoints(prefix: &Path, phases: &[&str]) {
    for p in phases {
        let _ = std::fs::remove_file(checkpoint_path(prefix, p));
    }
}

#[cfg(test)]
mod tests {
    use rand::Rng;

    use super::*;
    use crate::methods::ae::AeLoss;
    use crate::nn::NetConfig;

    /// The AE loss, except that validation before epoch `switch` reads 1 lower, so without the
    /// restart at the switch those epochs would stay "best" for good.
    struct SwitchingLoss {
        switch: usize,
    }

    impl Loss for SwitchingLoss {
        fn loss(&mut self, net: &Network, x: Tensor<2>, labels: &[SemiLabel], epoch: usize, training: bool) -> (Tensor<1>, Tensor<2>) {
            let (l, z) = AeLoss.loss(net, x, labels, epoch, training);
            if !training && epoch < self.switch {
                return (l.sub_scalar(1.0), z);
            }
            (l, z)
        }
        fn objective_changes_at(&self, epoch: usize) -> bool {
            epoch == self.switch
        }
    }

    #[test]
    fn early_stopping_restarts_when_the_objective_changes() {
        let device = crate::model::DeviceKind::Cpu.device().unwrap().autodiff();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let data = Samples::new((0..64 * 8).map(|_| rng.random::<f32>()).collect(), 64, vec![8]).unwrap();
        let cfg = NetConfig::default_for(&[8]).unwrap();
        let net = crate::model::build(&cfg, &cfg, Some(cfg.rep_dim()), false, &mut rng, &device);
        let phase = PhaseConfig { name: "train".into(), lr: 1e-2, epochs: 6, milestones: vec![], batch_size: 16, weight_decay: 0.0, patience: 10, seed: 1 };
        let zeros = vec![0; data.n];
        let (net, history) = train_phase(net, &mut SwitchingLoss { switch: 3 }, &data, &zeros, Some((&data, &zeros)), &phase, &TrainOptions::default(), &device).unwrap();
        let val: Vec<f64> = history.iter().map(|r| r.val_loss.unwrap()).collect();
        let best_after = val[3..].iter().cloned().fold(f64::INFINITY, f64::min);
        let kept = evaluate(&net, &mut AeLoss, &data, &zeros, 16, 5, &device.clone().without_autodiff());
        assert!((kept - best_after).abs() <= 1e-6 * best_after, "kept weights give {kept}, best after the switch {best_after}: {val:?}");
    }

    /// Validation that never improves after epoch 0 would stop at epoch 2 (patience 2); a switch
    /// at epoch 5 must be reached first, and the phase then stops 2 epochs after it.
    #[test]
    fn early_stopping_waits_for_the_last_objective() {
        struct Worsening {
            switch: usize,
        }
        impl Loss for Worsening {
            fn loss(&mut self, net: &Network, x: Tensor<2>, labels: &[SemiLabel], epoch: usize, training: bool) -> (Tensor<1>, Tensor<2>) {
                let (l, z) = AeLoss.loss(net, x, labels, epoch, training);
                if training {
                    return (l, z);
                }
                (l.mul_scalar(0.0).add_scalar(epoch as f64), z)
            }
            fn objective_changes_at(&self, epoch: usize) -> bool {
                epoch == self.switch
            }
        }
        let device = crate::model::DeviceKind::Cpu.device().unwrap().autodiff();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let data = Samples::new((0..32 * 8).map(|_| rng.random::<f32>()).collect(), 32, vec![8]).unwrap();
        let cfg = NetConfig::default_for(&[8]).unwrap();
        let zeros = vec![0; data.n];
        let phase = PhaseConfig { name: "train".into(), lr: 1e-3, epochs: 12, milestones: vec![], batch_size: 16, weight_decay: 0.0, patience: 2, seed: 1 };
        for (switch, epochs_run) in [(usize::MAX, 3), (5, 8)] {
            let net = crate::model::build(&cfg, &cfg, Some(cfg.rep_dim()), false, &mut rng, &device);
            let (_, history) = train_phase(net, &mut Worsening { switch }, &data, &zeros, Some((&data, &zeros)), &phase, &TrainOptions::default(), &device).unwrap();
            assert_eq!(history.len(), epochs_run, "switch at {switch}");
        }
    }
}
