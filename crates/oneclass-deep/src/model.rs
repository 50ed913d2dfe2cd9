//! Fitting, scoring, saving and loading a deep one-class model.
//!
//! A model is two files: `M` (JSON: method, network configuration, hyper-parameters, centre,
//! radius, latent OCSVM, preprocessing, seed, training history) and `M.safetensors` (the
//! weights, BatchNorm running statistics included). Reloading gives bit-identical scores.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::store::{ModuleSnapshot, SafetensorsStore};
use burn::tensor::Device;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::{to_host, to_host1, Samples, SemiLabel};
use crate::error::{invalid, DeepError, Result};
use crate::methods::{ae, classifier, deep_sad, deep_svdd, regularizers, sae, toll, vae};
use crate::nn::{Dense, NetConfig, Network};
use crate::params::{AeScore, Hyper, Method, Objective};
use crate::train::{remove_checkpoints, train_phase, EpochRecord, PhaseConfig, TrainOptions};

/// Where the tensors live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceKind {
    /// The pure-Rust `flex` CPU backend (feature `flex`, default).
    Cpu,
    /// The GPU: wgpu (feature `wgpu`) or, failing that, CUDA (feature `cuda`, untested here).
    Gpu,
}

impl DeviceKind {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "cpu" => Ok(DeviceKind::Cpu),
            "gpu" => Ok(DeviceKind::Gpu),
            other => Err(invalid("device", format!("`{other}`: expected cpu or gpu"))),
        }
    }

    /// The burn device (without autodiff).
    pub fn device(self) -> Result<Device> {
        match self {
            DeviceKind::Cpu => {
                #[cfg(feature = "flex")]
                {
                    Ok(Device::flex())
                }
                #[cfg(not(feature = "flex"))]
                {
                    Err(DeepError::DeviceUnavailable("cpu".into()))
                }
            }
            DeviceKind::Gpu => {
                #[cfg(feature = "wgpu")]
                {
                    Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice))
                }
                #[cfg(all(feature = "cuda", not(feature = "wgpu")))]
                {
                    Ok(Device::cuda(0))
                }
                #[cfg(not(any(feature = "wgpu", feature = "cuda")))]
                {
                    Err(DeepError::DeviceUnavailable("gpu".into()))
                }
            }
        }
    }
}

/// What a model file says besides the weights.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModelMeta {
    pub format: String,
    pub version: u32,
    /// Always `"deep"`'s method name (`ae`, `deep-svdd`, …); the CLI dispatches on it.
    pub method: Method,
    pub net: NetConfig,
    /// Shape of one input sample (`[C, H, W]` or `[D]`): the input a scorer must give.
    pub input_shape: Vec<usize>,
    pub has_decoder: bool,
    pub has_head: bool,
    pub hyper: Hyper,
    pub center: Option<Vec<f32>>,
    /// R² of soft-boundary Deep SVDD (the score is ‖φ(x) − c‖² − R²).
    pub radius2: Option<f64>,
    /// VAE latent size (the encoder emits 2 × latent).
    pub vae_latent: Option<usize>,
    pub ocsvm: Option<oneclass_svm::OcsvmModel>,
    /// Preprocessing fitted on the training data, applied by the caller before scoring.
    pub preprocessing: Option<serde_json::Value>,
    pub seed: u64,
    pub history: Vec<EpochRecord>,
    /// File name (next to the JSON file) of the safetensors weights.
    pub weights_file: String,
    /// FNV-1a 64 hash of the weights file (hex), to refuse a mismatched pair.
    pub weights_fnv64: String,
    /// Toll: the checkpoint-selection rule and which checkpoint it kept.
    #[serde(default)]
    pub selection: Option<toll::SelectionRecord>,
    /// OgAE: the codes' standardisation for the final OCSVM and the per-epoch training log.
    #[serde(default)]
    pub ogae: Option<crate::coupled::OgaeInfo>,
}

const FORMAT: &str = "oneclass-deep-model";
const VERSION: u32 = 1;

/// A trained deep model, ready to score.
#[derive(Debug)]
pub struct DeepModel {
    pub meta: ModelMeta,
    net: Network,
    device: Device,
}

/// Training inputs.
#[derive(Clone, Copy, Debug)]
pub struct FitData<'a> {
    pub train: &'a Samples,
    /// Semi-supervised labels of `train` (0 unlabeled, +1 normal, −1 anomaly); `None` = all 0.
    pub labels: Option<&'a [SemiLabel]>,
    /// Validation data for the validation loss and early stopping (unlabeled).
    pub val: Option<&'a Samples>,
}

/// FNV-1a 64-bit hash (hex) of `bytes`: a stable fingerprint of weights and data, the same on
/// every machine and Rust release (unlike `DefaultHasher`).
pub fn fnv64(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

/// The network configuration `hyper` asks for on inputs of `sample_shape`.
pub fn resolve_net(method: Method, hyper: &Hyper, sample_shape: &[usize]) -> Result<NetConfig> {
    let mut net = if hyper.net == "auto" {
        match (method, sample_shape) {
            (Method::Toll, _) => toll::default_net(sample_shape)?,
            (Method::Ae | Method::Vae | Method::Sae | Method::Ogae | Method::Dspsvdd | Method::Dvaesvdd, [1, 28, 28]) => NetConfig::named("ogae-mnist", sample_shape)?,
            _ => NetConfig::default_for(sample_shape)?,
        }
    } else {
        NetConfig::named(&hyper.net, sample_shape)?
    };
    if let Some(d) = hyper.rep_dim {
        if d == 0 {
            return Err(invalid("rep_dim", "must be ≥ 1"));
        }
        net.set_rep_dim(d);
    }
    if let Some(b) = hyper.bias {
        net.set_bias(b);
    }
    if let Some(w) = &hyper.widths {
        net.set_widths(w)?;
    }
    if let Some(on) = hyper.output_sigmoid {
        net.set_output_sigmoid(on)?;
    }
    if net.code_is_fixed() && matches!(method, Method::Vae | Method::Dvaesvdd) {
        return Err(invalid("net", format!("`{}` has a code size fixed by its layers; the VAE methods need a network with a dense code layer", hyper.net)));
    }
    net.validate()?;
    Ok(net)
}

pub(crate) fn build(net_cfg: &NetConfig, encoder_cfg: &NetConfig, decoder_latent: Option<usize>, head: bool, rng: &mut ChaCha8Rng, device: &Device) -> Network {
    let encoder = encoder_cfg.init_encoder(rng, device);
    let decoder = decoder_latent.map(|l| net_cfg.init_decoder(l, rng, device));
    let head = head.then(|| Dense::new(encoder_cfg.rep_dim(), 1, true, rng, device));
    Network { encoder, decoder, head, sample_shape: net_cfg.sample_shape() }
}

/// Codes of `data` under `net` (validation mode), `[n, rep]` row-major.
pub(crate) fn codes(net: &Network, data: &Samples, batch: usize, device: &Device) -> Vec<f64> {
    let valid = net.valid();
    let idx: Vec<usize> = (0..data.n).collect();
    let mut out = Vec::new();
    for chunk in idx.chunks(batch) {
        out.extend(to_host(valid.encode(data.batch(chunk, device))));
    }
    out
}

impl DeepModel {
    /// Trains `method` on `data`. `seed` fixes initial weights, shuffling and noise.
    pub fn fit(method: Method, hyper: &Hyper, data: FitData<'_>, seed: u64, device_kind: DeviceKind, opts: &TrainOptions) -> Result<DeepModel> {
        Self::fit_with_val_labels(method, hyper, data, None, seed, device_kind, opts)
    }

    /// [`DeepModel::fit`] with 0/1 labels (1 = anomaly) of the validation rows, which Toll's
    /// `select=val-auroc` needs.
    pub fn fit_with_val_labels(
        method: Method,
        hyper: &Hyper,
        data: FitData<'_>,
        val_anomaly_labels: Option<&[u8]>,
        seed: u64,
        device_kind: DeviceKind,
        opts: &TrainOptions,
    ) -> Result<DeepModel> {
        hyper.validate(method)?;
        let train = data.train;
        if train.n == 0 {
            return Err(DeepError::Shape { got: vec![0], reason: "no training samples".into() });
        }
        let labels: Vec<SemiLabel> = match data.labels {
            Some(l) => {
                if l.len() != train.n {
                    return Err(DeepError::Labels(format!("{} labels for {} training samples", l.len(), train.n)));
                }
                if let Some(i) = l.iter().position(|y| !matches!(y, -1..=1)) {
                    return Err(DeepError::Labels(format!("label {} at row {i}: expected −1, 0 or 1", l[i])));
                }
                l.to_vec()
            }
            None => vec![0; train.n],
        };
        if let Some(v) = data.val {
            if v.sample_shape != train.sample_shape {
                return Err(DeepError::Shape { got: v.sample_shape.clone(), reason: format!("validation samples differ from the training samples {:?}", train.sample_shape) });
            }
        }
        let has_anomalies = labels.contains(&-1);
        match method {
            Method::Classifier if !has_anomalies => {
                return Err(DeepError::Labels("the classifier needs labeled anomalies (−1) in the labels".into()))
            }
            Method::Ae | Method::DeepSvdd | Method::Vae | Method::Sae | Method::Toll | Method::Ogae | Method::Dspsvdd | Method::Dvaesvdd if data.labels.is_some() && has_anomalies => {
                return Err(DeepError::Labels(format!("`{}` is unsupervised; use deep-sad or classifier for labeled anomalies", method.name())))
            }
            _ => {}
        }

        let net_cfg = resolve_net(method, hyper, &train.sample_shape)?;
        let device = device_kind.device()?.autodiff();
        let inner = device.clone().without_autodiff();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let val_labels: Vec<SemiLabel> = data.val.map(|v| vec![0; v.n]).unwrap_or_default();
        let val = data.val.map(|v| (v, val_labels.as_slice()));
        let phase = |name: &str, lr, epochs, milestones: &Vec<usize>, wd, offset: u64| PhaseConfig {
            name: name.to_string(),
            lr,
            epochs,
            milestones: milestones.clone(),
            batch_size: hyper.batch_size,
            weight_decay: wd,
            patience: if data.val.is_some() { hyper.patience } else { 0 },
            seed: seed.wrapping_add(offset),
        };
        let main_phase = phase("train", hyper.lr, hyper.epochs, &hyper.milestones, hyper.weight_decay, 2);
        let mut history = Vec::new();
        let mut center = None;
        let mut radius2 = None;
        let mut vae_latent = None;
        let mut ocsvm = None;
        let mut selection = None;
        let mut ogae = None;
        let rep = net_cfg.rep_dim();

        let net = match method {
            Method::Ae | Method::Sae => {
                let net = build(&net_cfg, &net_cfg, Some(rep), false, &mut rng, &device);
                let (net, h) = if method == Method::Ae {
                    train_phase(net, &mut ae::AeLoss, train, &labels, val, &main_phase, opts, &device)?
                } else {
                    train_phase(net, &mut sae::SaeLoss { s: hyper.s }, train, &labels, val, &main_phase, opts, &device)?
                };
                history.extend(h);
                if method == Method::Ae && hyper.score == AeScore::Ocsvm {
                    let z = codes(&net, train, hyper.score_batch, &inner);
                    let x = ndarray::Array2::from_shape_vec((train.n, rep), z).expect("n × rep codes");
                    let gamma: oneclass_svm::Gamma = hyper.ocsvm_gamma.parse().map_err(|e: String| invalid("ocsvm_gamma", e))?;
                    let m = oneclass_svm::OcsvmParams::new().nu(hyper.ocsvm_nu).gamma(gamma).fit(x.view()).map_err(|e| DeepError::Ocsvm(e.to_string()))?;
                    ocsvm = Some(m);
                }
                net
            }
            Method::Vae => {
                let mut enc_cfg = net_cfg.clone();
                enc_cfg.set_rep_dim(2 * rep);
                vae_latent = Some(rep);
                let net = build(&net_cfg, &enc_cfg, Some(rep), false, &mut rng, &device);
                let mut loss = vae::VaeLoss::new(hyper.beta, rep, seed.wrapping_add(3));
                let (net, h) = train_phase(net, &mut loss, train, &labels, val, &main_phase, opts, &device)?;
                history.extend(h);
                net
            }
            Method::DeepSvdd | Method::DeepSad => {
                // Rows that define the centre and the pre-training set: all but labeled anomalies.
                let normal_rows: Vec<usize> = (0..train.n).filter(|&i| labels[i] != -1).collect();
                if normal_rows.is_empty() {
                    return Err(DeepError::Labels("every training sample is a labeled anomaly; no data to define the centre".into()));
                }
                let resuming_main = opts.resume
                    && opts.checkpoint.as_ref().is_some_and(|p| crate::train::checkpoint_path(p, "train").exists());
                let mut net = build(&net_cfg, &net_cfg, hyper.pretrain.then_some(rep), false, &mut rng, &device);
                let mut c = vec![0.0f32; rep];
                if !resuming_main {
                    if hyper.pretrain {
                        let pre = phase("pretrain", hyper.pretrain_lr, hyper.pretrain_epochs, &hyper.pretrain_milestones, hyper.pretrain_weight_decay, 1);
                        let normals = train.subset(&normal_rows);
                        let zeros = vec![0; normals.n];
                        let (trained, h) = train_phase(net, &mut ae::AeLoss, &normals, &zeros, val, &pre, opts, &device)?;
                        history.extend(h);
                        net = trained;
                    }
                    let normals = train.subset(&normal_rows);
                    c = deep_svdd::center_from_codes(&codes(&net, &normals, hyper.score_batch, &inner), rep, 0.1);
                }
                net.decoder = None;
                if hyper.regularizer == regularizers::Regularizer::Noise {
                    // The random-label head of the noise regulariser; dropped after training.
                    net.head = Some(Dense::new(rep, hyper.noise_k, true, &mut rng, &device));
                }
                let reg_seed = seed.wrapping_add(4);
                let (mut net, h, r2) = if method == Method::DeepSvdd {
                    let inner = deep_svdd::SvddLoss::new(c, hyper.objective, hyper.nu, hyper.warm_up_epochs);
                    let mut loss = regularizers::Regularized::new(inner, hyper, reg_seed)?;
                    let (net, h) = train_phase(net, &mut loss, train, &labels, val, &main_phase, opts, &device)?;
                    center = Some(loss.inner.center.clone());
                    let r2 = (hyper.objective == Objective::SoftBoundary).then_some(loss.inner.radius2);
                    (net, h, r2)
                } else {
                    let inner = deep_sad::SadLoss::new(c, hyper.eta, hyper.objective, hyper.nu, hyper.warm_up_epochs);
                    let mut loss = regularizers::Regularized::new(inner, hyper, reg_seed)?;
                    let (net, h) = train_phase(net, &mut loss, train, &labels, val, &main_phase, opts, &device)?;
                    center = Some(loss.inner.center.clone());
                    let r2 = (hyper.objective == Objective::SoftBoundary).then_some(loss.inner.radius2);
                    (net, h, r2)
                };
                net.head = None;
                radius2 = r2;
                if resuming_main {
                    // The pre-training history lives in the finished pre-training checkpoint.
                    history.clear();
                }
                history.extend(h);
                net
            }
            Method::Ogae | Method::Dspsvdd | Method::Dvaesvdd => {
                let pre = phase("pretrain", hyper.pretrain_lr, hyper.pretrain_epochs, &hyper.pretrain_milestones, hyper.pretrain_weight_decay, 1);
                let data = crate::methods::coupled_fit::CoupledData { train, labels: &labels, val };
                let f = crate::methods::coupled_fit::fit(method, hyper, &net_cfg, data, &main_phase, &pre, opts, &device, &mut rng, seed)?;
                (history, center, vae_latent, ocsvm, ogae) = (f.history, f.center, f.vae_latent, f.ocsvm, f.ogae);
                f.net
            }
            Method::Toll => {
                let net = build(&net_cfg, &net_cfg, Some(rep), false, &mut rng, &device);
                let tv = data.val.map(|samples| toll::TollVal { samples, labels: val_anomaly_labels });
                let (net, h, sel) = toll::train(net, hyper, train, tv, seed.wrapping_add(2), opts, &device)?;
                history.extend(h);
                selection = Some(sel);
                net
            }
            Method::Classifier => {
                let net = build(&net_cfg, &net_cfg, None, true, &mut rng, &device);
                let (net, h) = train_phase(net, &mut classifier::ClassifierLoss, train, &labels, val, &main_phase, opts, &device)?;
                history.extend(h);
                net
            }
        };
        if let Some(prefix) = &opts.checkpoint {
            remove_checkpoints(prefix, &["pretrain", "train", "toll"]);
        }
        let net = net.valid();
        let meta = ModelMeta {
            format: FORMAT.into(),
            version: VERSION,
            method,
            input_shape: train.sample_shape.clone(),
            has_decoder: net.decoder.is_some(),
            has_head: net.head.is_some(),
            net: net_cfg,
            hyper: hyper.clone(),
            center,
            radius2,
            vae_latent,
            ocsvm,
            preprocessing: None,
            seed,
            history,
            weights_file: String::new(),
            weights_fnv64: String::new(),
            selection,
            ogae,
        };
        Ok(DeepModel { meta, net, device: inner })
    }

    /// Scores (higher = more anomalous), computed in batches of `hyper.score_batch` rows.
    pub fn score(&self, x: &Samples) -> Result<Vec<f64>> {
        if x.sample_shape != self.meta.input_shape {
            return Err(DeepError::Shape {
                got: x.sample_shape.clone(),
                reason: format!("the model `{}` expects samples of shape {:?}", self.meta.method.name(), self.meta.input_shape),
            });
        }
        let idx: Vec<usize> = (0..x.n).collect();
        let mut out = Vec::with_capacity(x.n);
        for chunk in idx.chunks(self.meta.hyper.score_batch) {
            let b = x.batch(chunk, &self.device);
            let s = match self.meta.method {
                Method::Ae => match &self.meta.ocsvm {
                    Some(m) => {
                        let z = to_host(self.net.encode(b));
                        let k = z.len() / chunk.len();
                        let z = ndarray::Array2::from_shape_vec((chunk.len(), k), z).expect("codes");
                        m.score(z.view()).map_err(|e| DeepError::Ocsvm(e.to_string()))?.to_vec()
                    }
                    None => to_host1(ae::score(&self.net, b)),
                },
                Method::Sae => to_host1(ae::score(&self.net, b)),
                Method::Vae => to_host1(vae::score(&self.net, b, self.meta.vae_latent.unwrap_or(1))),
                Method::DeepSvdd | Method::DeepSad => {
                    let c = self.meta.center.as_ref().ok_or_else(|| invalid("center", "model has no centre"))?;
                    to_host1(deep_svdd::score(&self.net, b, c, self.meta.radius2))
                }
                Method::Classifier => to_host1(classifier::logit(&self.net, b).0),
                Method::Ogae | Method::Dspsvdd | Method::Dvaesvdd => crate::methods::coupled_fit::score(&self.meta, &self.net, b)?,
                Method::Toll => to_host1(toll::score(&self.net, b, self.meta.hyper.beta, self.meta.hyper.norm)),
            };
            out.extend(s);
        }
        Ok(out)
    }

    /// Latent codes (`[n, rep]` row-major; the VAE's are [μ, log σ²]).
    pub fn codes(&self, x: &Samples) -> Vec<f64> {
        codes(&self.net, x, self.meta.hyper.score_batch, &self.device)
    }

    /// Writes `path` (JSON) and `path.safetensors` (weights), each atomically.
    pub fn save(&mut self, path: &Path) -> Result<()> {
        let mut store = SafetensorsStore::from_bytes(None);
        self.net.save_into(&mut store).map_err(|e| DeepError::File { path: path.to_path_buf(), reason: format!("serialising weights: {e:?}") })?;
        let bytes = store.get_bytes().map_err(|e| DeepError::File { path: path.to_path_buf(), reason: format!("serialising weights: {e:?}") })?;
        let weights_path = weights_path(path);
        oneclass_data::write_atomic(&weights_path, |w| w.write_all(&bytes))?;
        self.meta.weights_file = weights_path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        self.meta.weights_fnv64 = fnv64(&bytes);
        let json = serde_json::to_vec_pretty(&self.meta).expect("model metadata serialises");
        oneclass_data::write_atomic(path, |w| w.write_all(&json))?;
        Ok(())
    }

    /// Reads a model written by `save`, on `device_kind`.
    pub fn load(path: &Path, device_kind: DeviceKind) -> Result<DeepModel> {
        let bad = |reason: String| DeepError::File { path: path.to_path_buf(), reason };
        let text = std::fs::read(path).map_err(|source| DeepError::Io { path: path.to_path_buf(), source })?;
        let meta: ModelMeta = serde_json::from_slice(&text).map_err(|e| bad(format!("not a oneclass deep model file: {e}")))?;
        if meta.format != FORMAT || meta.version != VERSION {
            return Err(bad(format!("field \"format\"/\"version\" is {:?}/{}, expected {FORMAT:?}/{VERSION}", meta.format, meta.version)));
        }
        meta.net.validate()?;
        let weights_path = path.parent().unwrap_or(Path::new(".")).join(&meta.weights_file);
        let bytes = std::fs::read(&weights_path).map_err(|source| DeepError::Io { path: weights_path.clone(), source })?;
        if fnv64(&bytes) != meta.weights_fnv64 {
            return Err(DeepError::File { path: weights_path, reason: format!("weights do not belong to {} (hash mismatch)", path.display()) });
        }
        let device = device_kind.device()?;
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut enc_cfg = meta.net.clone();
        if let Some(l) = meta.vae_latent {
            enc_cfg.set_rep_dim(2 * l);
        }
        let latent = meta.vae_latent.unwrap_or(meta.net.rep_dim());
        let mut net = build(&meta.net, &enc_cfg, meta.has_decoder.then_some(latent), meta.has_head, &mut rng, &device);
        let mut store = SafetensorsStore::from_bytes(Some(bytes));
        let applied = net.load_from(&mut store).map_err(|e| DeepError::File { path: weights_path.clone(), reason: format!("{e:?}") })?;
        if !applied.is_success() || !applied.missing.is_empty() || !applied.unused.is_empty() {
            return Err(DeepError::File {
                path: weights_path,
                reason: format!("weights do not fit the network: missing {:?}, unused {:?}, errors {:?}", applied.missing, applied.unused, applied.errors),
            });
        }
        Ok(DeepModel { meta, net: net.valid(), device })
    }
}

use std::io::Write as _;

/// `M.safetensors` next to `M`.
pub fn weights_path(model_path: &Path) -> PathBuf {
    let mut s = model_path.as_os_str().to_owned();
    s.push(".safetensors");
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--set output=linear` reaches the network; other values are refused by name.
    #[test]
    fn output_key_sets_the_reconstruction() {
        let mut h = Hyper::defaults(Method::Toll);
        h.set(Method::Toll, "net", "ogae-mnist").unwrap();
        let sigmoid = |h: &Hyper| match resolve_net(Method::Toll, h, &[1, 28, 28]).unwrap() {
            NetConfig::Conv(c) => c.output_sigmoid,
            _ => panic!("ogae-mnist is a conv network"),
        };
        assert_eq!(sigmoid(&h), None, "the network's own output unless set");
        h.set(Method::Toll, "output", "linear").unwrap();
        assert_eq!(sigmoid(&h), Some(false));
        h.set(Method::Toll, "output", "sigmoid").unwrap();
        assert_eq!(sigmoid(&h), Some(true));
        let err = h.set(Method::Toll, "output", "tanh").unwrap_err().to_string();
        assert!(err.contains("output") && err.contains("tanh") && err.contains("linear"), "{err}");
    }
}
