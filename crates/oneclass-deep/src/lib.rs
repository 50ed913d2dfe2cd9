//! Deep one-class anomaly detection on [burn](https://burn.dev) 0.22: auto-encoders (with a
//! reconstruction or a latent-OCSVM score), Deep SVDD (one-class / soft-boundary), Deep SAD,
//! VAE, Siamese AE and a supervised classifier baseline, trained by one loop with
//! checkpoints and exact resume.
//!
//! Backends are chosen at run time ([`DeviceKind`]): the pure-Rust `flex` CPU backend (default
//! feature, reproducible bit for bit with a seed), `wgpu` for GPUs, `cuda` (untested here).
//!
//! ```no_run
//! use oneclass_deep::{DeepModel, DeviceKind, FitData, Hyper, Method, Samples, TrainOptions};
//! # fn main() -> oneclass_deep::Result<()> {
//! let train = Samples::new(vec![0.5; 10 * 784], 10, vec![1, 28, 28])?;
//! let mut hyper = Hyper::defaults(Method::DeepSvdd);
//! hyper.set(Method::DeepSvdd, "epochs", "5")?;
//! let data = FitData { train: &train, labels: None, val: None };
//! let mut model = DeepModel::fit(Method::DeepSvdd, &hyper, data, 42, DeviceKind::Cpu, &TrainOptions::default())?;
//! let scores = model.score(&train)?;
//! model.save(std::path::Path::new("dsvdd.json"))?;
//! # Ok(()) }
//! ```

pub mod coupled;
pub mod data;
pub mod error;
mod methods;
pub mod model;
pub mod nn;
pub mod params;
mod progress;
pub mod train;

pub use coupled::{ogae_step_overhead, BatchOcsvm, CoupledHyper, LatentScaler, OgaeEpochLog, OgaeInfo, Schedule, ScheduleStep, StepOverhead};
pub use data::{Samples, SemiLabel};
pub use error::{DeepError, Result};
pub use model::{fnv64, resolve_net, weights_path, DeepModel, DeviceKind, FitData, ModelMeta};
pub use nn::{ConvNetConfig, LayeredNetConfig, MapLayer, MlpNetConfig, NetConfig, Network, NET_NAMES};
pub use params::{AeScore, Hyper, Method, Objective};
pub use methods::regularizers::{next_adaptive_weight, variance_threshold, Regularizer};
pub use methods::toll::{LatentNorm, Selection, SelectionRecord};
pub use train::{collapse_flagged, EpochRecord, PhaseConfig, TrainOptions, COLLAPSE_RATIO};
