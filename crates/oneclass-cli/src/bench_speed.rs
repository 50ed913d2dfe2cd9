//! `oneclass bench train-speed`: training throughput of the seeds' networks through the real
//! training loop (`DeepModel::fit`: batch gathering, forward, backward, Adam, logging), next to
//! the PyTorch CPU timings quoted for a 2-core machine of this kind.
//!
//! Rows: the seed-001 MNIST auto-encoder (`ogae-mnist`, 18,000 MNIST training images, batch 100,
//! Adam 1e-3), and the Deep SVDD CIFAR-10 LeNet (`cifar10-lenet`, 32→64→128, rep 128, batch 100)
//! trained as Deep SVDD (encoder only, no pre-training) and as its pre-training auto-encoder;
//! with `--toll-batches N`, Toll on seed 002's appendix B.1 network (`toll-mnist`, z 128, β 1000,
//! lr 1e-4) for N iterations of 100 MNIST images (the seed trains 2,000 iterations of 1,000).
//! CIFAR inputs are seeded uniform random images (the speed does not depend on the values);
//! MNIST is read from the data folder, or replaced by random images when it is absent.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use oneclass_data::images::named::{data_dir, load_images, DatasetName, Split};
use oneclass_deep::{DeepModel, DeviceKind, FitData, Hyper, Method, Samples, TrainOptions};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

/// PyTorch CPU: 3.36 s per epoch of 18,000 images for the ogae-mnist AE.
const TORCH_AE_SECONDS_PER_EPOCH: f64 = 3.36;
/// The framework bake-off's burn flex figure for the same AE.
const BAKEOFF_FLEX_AE_SECONDS_PER_EPOCH: f64 = 6.7;
/// PyTorch 2.15 CPU: 0.205 s per CIFAR-10 LeNet batch of 100.
const TORCH_CIFAR_SECONDS_PER_BATCH: f64 = 0.205;
const BATCH: usize = 100;
const AE_IMAGES: usize = 18_000;
/// Images of one CIFAR-10 class: one epoch of one-class training.
const CIFAR_CLASS_IMAGES: usize = 5_000;
/// Training images of one MNIST class in seed 002's protocol (10,000 of 60,000 set aside).
const TOLL_CLASS_IMAGES: usize = 5_000;

#[derive(Args)]
pub struct TrainSpeedArgs {
    /// Epochs of the ogae-mnist AE over 18,000 images (0 skips the row).
    #[arg(long, default_value_t = 1)]
    pub ae_epochs: usize,
    /// Batches of 100 timed for each CIFAR-10 LeNet row (0 skips them).
    #[arg(long, default_value_t = 10)]
    pub cifar_batches: usize,
    /// Iterations of 100 images timed for Toll on seed 002's MNIST network (0 skips the row; an
    /// iteration takes seconds on a CPU).
    #[arg(long, default_value_t = 0)]
    pub toll_batches: usize,
    /// Folder holding `mnist/` (default: $ONECLASS_DATA); random images when MNIST is absent.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// cpu, or gpu for a build with `--features wgpu`.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Seed of the weights, the shuffling and the random images.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

struct Row {
    network: &'static str,
    method: Method,
    inputs: String,
    images: usize,
    epochs: usize,
    seconds_per_epoch: f64,
    /// Images of the epoch the `s/epoch` column is stated for.
    epoch_images: usize,
    /// PyTorch seconds per batch of 100, where quoted.
    torch_seconds_per_batch: Option<f64>,
}

impl Row {
    fn seconds_per_batch(&self) -> f64 {
        self.seconds_per_epoch / self.images.div_ceil(BATCH) as f64
    }
    fn images_per_second(&self) -> f64 {
        self.images as f64 / self.seconds_per_epoch
    }
    fn seconds_per_stated_epoch(&self) -> f64 {
        self.seconds_per_batch() * self.epoch_images.div_ceil(BATCH) as f64
    }
}

fn random_images(n: usize, shape: [usize; 3], seed: u64) -> Result<Samples> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let d: usize = shape.iter().product();
    Ok(Samples::new((0..n * d).map(|_| rng.random::<f32>()).collect(), n, shape.to_vec())?)
}

/// Trains `method` on `train` for `epochs` (Toll: one selection window of `iterations`, given
/// in `extra`) and returns the mean seconds per epoch (window).
fn time_fit(method: Method, net: &str, train: &Samples, epochs: usize, extra: &[(&str, &str)], a: &TrainSpeedArgs) -> Result<f64> {
    let mut h = Hyper::defaults(method);
    let epochs_text = epochs.to_string();
    let batch_text = BATCH.to_string();
    let length = if method == Method::Toll { None } else { Some(("epochs", epochs_text.as_str())) };
    for (k, v) in [("net", net), ("batch_size", batch_text.as_str())].into_iter().chain(length).chain(extra.iter().copied()) {
        h.set(method, k, v).with_context(|| format!("{} {k}={v}", method.name()))?;
    }
    let device = DeviceKind::parse(&a.device)?;
    let model = DeepModel::fit(method, &h, FitData { train, labels: None, val: None }, a.seed, device, &TrainOptions::default())
        .with_context(|| format!("training {} with {net}", method.name()))?;
    let history = &model.meta.history;
    anyhow::ensure!(!history.is_empty(), "{} with {net}: no epoch was recorded", method.name());
    Ok(history.iter().map(|r| r.seconds).sum::<f64>() / history.len() as f64)
}

/// The first `n` MNIST training images, or random ones when MNIST is absent.
fn mnist_or_random(n: usize, a: &TrainSpeedArgs) -> Result<(Samples, String)> {
    let loaded = data_dir(a.data_dir.as_deref()).ok().and_then(|dir| load_images(&DatasetName::Mnist, &dir, Split::Train).ok());
    match loaded {
        Some(set) if set.n >= n => {
            let idx: Vec<usize> = (0..n).collect();
            Ok((Samples::from_images(set.subset(&idx).to_f32().view())?, format!("MNIST train, first {n}")))
        }
        _ => {
            eprintln!("MNIST not found (give --data-dir or set ONECLASS_DATA): timing on random images");
            Ok((random_images(n, [1, 28, 28], a.seed)?, "random 1×28×28".into()))
        }
    }
}

pub fn run(a: TrainSpeedArgs) -> Result<()> {
    let mut rows = Vec::new();
    if a.ae_epochs > 0 {
        let (train, inputs) = mnist_or_random(AE_IMAGES, &a)?;
        eprintln!("ogae-mnist AE: {} epoch(s) of {} images…", a.ae_epochs, train.n);
        let seconds = time_fit(Method::Ae, "ogae-mnist", &train, a.ae_epochs, &[("lr", "1e-3")], &a)?;
        let torch = TORCH_AE_SECONDS_PER_EPOCH / AE_IMAGES.div_ceil(BATCH) as f64;
        rows.push(Row { network: "ogae-mnist", method: Method::Ae, inputs, images: train.n, epochs: a.ae_epochs, seconds_per_epoch: seconds, epoch_images: AE_IMAGES, torch_seconds_per_batch: Some(torch) });
    }
    if a.cifar_batches > 0 {
        let n = a.cifar_batches * BATCH;
        let train = random_images(n, [3, 32, 32], a.seed)?;
        // Deep SVDD proper (encoder only; the quoted PyTorch timing), then its pre-training AE.
        for (method, torch) in [(Method::DeepSvdd, Some(TORCH_CIFAR_SECONDS_PER_BATCH)), (Method::Ae, None)] {
            eprintln!("cifar10-lenet {}: {} batches of {BATCH}…", method.name(), a.cifar_batches);
            let extra: &[(&str, &str)] = if method == Method::DeepSvdd { &[("pretrain", "false")] } else { &[] };
            let seconds = time_fit(method, "cifar10-lenet", &train, 1, extra, &a)?;
            rows.push(Row { network: "cifar10-lenet", method, inputs: "random 3×32×32".into(), images: n, epochs: 1, seconds_per_epoch: seconds, epoch_images: CIFAR_CLASS_IMAGES, torch_seconds_per_batch: torch });
        }
    }
    if a.toll_batches > 0 {
        let (train, inputs) = mnist_or_random(a.toll_batches * BATCH, &a)?;
        eprintln!("toll-mnist Toll: {} iterations of {BATCH}…", a.toll_batches);
        let iterations = a.toll_batches.to_string();
        // The preset sets the seed's batch of 1,000; the timed batch is this bench's 100.
        let extra = [("preset", "mnist"), ("iterations", iterations.as_str()), ("checkpoint_every", iterations.as_str()), ("batch_size", "100")];
        let seconds = time_fit(Method::Toll, "toll-mnist", &train, 1, &extra, &a)?;
        rows.push(Row { network: "toll-mnist", method: Method::Toll, inputs, images: train.n, epochs: 1, seconds_per_epoch: seconds, epoch_images: TOLL_CLASS_IMAGES, torch_seconds_per_batch: None });
    }
    let threads = std::env::var("RAYON_NUM_THREADS").ok().unwrap_or_else(|| std::thread::available_parallelism().map_or("?".into(), |n| n.get().to_string()));
    println!("Training speed, batch {BATCH}, device {}, {threads} thread(s); s/epoch is for 18,000 images (MNIST AE), one CIFAR-10 class or one MNIST class of seed 002's protocol (5,000 images, extrapolated from the timed batches)", a.device);
    println!();
    println!("| network | method | inputs | timed | s/epoch | images/s | s/batch | PyTorch CPU s/batch | ratio to PyTorch |");
    println!("|---|---|---|---|---:|---:|---:|---:|---:|");
    for r in &rows {
        let (torch, ratio) = match r.torch_seconds_per_batch {
            Some(t) => (format!("{t:.4}"), format!("{:.2}×", r.seconds_per_batch() / t)),
            None => ("–".into(), "–".into()),
        };
        println!(
            "| {} | {} | {} | {} × {} images | {:.2} | {:.0} | {:.4} | {torch} | {ratio} |",
            r.network,
            r.method.name(),
            r.inputs,
            r.epochs,
            r.images,
            r.seconds_per_stated_epoch(),
            r.images_per_second(),
            r.seconds_per_batch()
        );
    }
    println!();
    println!(
        "References: PyTorch CPU {TORCH_AE_SECONDS_PER_EPOCH} s/epoch for the MNIST AE (burn flex in the framework bake-off: {BAKEOFF_FLEX_AE_SECONDS_PER_EPOCH} s/epoch); PyTorch 2.15 CPU {TORCH_CIFAR_SECONDS_PER_BATCH} s per CIFAR-10 LeNet batch of 100."
    );
    let json_rows: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({
                "network": r.network, "method": r.method.name(), "inputs": r.inputs, "images": r.images, "epochs": r.epochs,
                "seconds_per_epoch": r.seconds_per_stated_epoch(), "epoch_images": r.epoch_images, "images_per_second": r.images_per_second(),
                "seconds_per_batch": r.seconds_per_batch(), "torch_seconds_per_batch": r.torch_seconds_per_batch,
                "ratio_to_torch": r.torch_seconds_per_batch.map(|t| r.seconds_per_batch() / t),
            })
        })
        .collect();
    println!("{}", json!({ "benchmark": "train-speed", "device": a.device, "threads": threads, "rows": json_rows }));
    Ok(())
}
