//! Hyper-parameters of every method, their defaults from the seeds, and `key=value` overrides.

use serde::{Deserialize, Serialize};

use crate::error::{invalid, DeepError, Result};

/// The deep methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Auto-encoder; score = reconstruction error, or an OCSVM on the latent codes.
    Ae,
    /// Deep SVDD (one-class or soft-boundary), AE pre-training.
    DeepSvdd,
    /// Deep SAD (seed 004, eq. 4): Deep SVDD with labeled normals and anomalies.
    DeepSad,
    /// Variational auto-encoder (MSE + β·KL).
    Vae,
    /// Siamese auto-encoder.
    Sae,
    /// Supervised binary classifier (unlabeled = normal), BCE.
    Classifier,
    /// Toll (seed 002): auto-encoder with ‖x̂ − x‖₂ + β‖z‖ as loss and score.
    Toll,
    /// OCSVM-guided auto-encoder (seed 001): reconstruction + λ·hinge of an exact minibatch OCSVM.
    Ogae,
    /// DSPSVDD: AE pre-training, then MSE + γ·SVDD fine-tuning (bias-free).
    Dspsvdd,
    /// DVAESVDD: VAE + α·SVDD around the batch mean of μ.
    Dvaesvdd,
}

impl Method {
    pub const ALL: [Method; 10] = [Method::Ae, Method::DeepSvdd, Method::DeepSad, Method::Vae, Method::Sae, Method::Classifier, Method::Toll, Method::Ogae, Method::Dspsvdd, Method::Dvaesvdd];

    pub fn name(self) -> &'static str {
        match self {
            Method::Ae => "ae",
            Method::DeepSvdd => "deep-svdd",
            Method::DeepSad => "deep-sad",
            Method::Vae => "vae",
            Method::Sae => "sae",
            Method::Classifier => "classifier",
            Method::Toll => "toll",
            Method::Ogae => "ogae",
            Method::Dspsvdd => "dspsvdd",
            Method::Dvaesvdd => "dvaesvdd",
        }
    }

    pub fn parse(s: &str) -> Result<Method> {
        Method::ALL.into_iter().find(|m| m.name() == s).ok_or_else(|| invalid("method", format!("unknown method `{s}`")))
    }

    /// Methods whose network is pre-trained as an auto-encoder.
    pub fn has_pretraining(self) -> bool {
        matches!(self, Method::DeepSvdd | Method::DeepSad | Method::Dspsvdd)
    }
}

/// Soft-boundary or one-class Deep SVDD objective.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Objective {
    OneClass,
    SoftBoundary,
}

/// How an `ae` model scores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AeScore {
    /// Per-sample mean squared reconstruction error.
    Recon,
    /// Exact OCSVM fitted on the training latents (decoupled baseline); score = −decision.
    Ocsvm,
    /// OgAE only: −(mean decision of M minibatch OCSVMs solved on the final training codes),
    /// the reference code's scoring rule ("mean of the last M OC-SVMs").
    OcsvmBatches,
}

/// Every hyper-parameter. Unused ones are ignored by a method (`known_keys` lists what it uses).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Hyper {
    /// Network name (see `nn::NET_NAMES`) or `auto` (chosen from the input shape).
    pub net: String,
    /// Representation size; `None` = the network's default.
    pub rep_dim: Option<usize>,
    /// Bias terms; `None` = the network's default (off for LeNets / MLP, on for ogae-mnist).
    pub bias: Option<bool>,
    /// Hidden widths: the convolution channels of a conv network (its decoder mirrors them) or
    /// the hidden layers of an MLP; `None` = the network's own.
    #[serde(default)]
    pub widths: Option<Vec<usize>>,
    /// Reconstruction output: sigmoid (`Some(true)`, inputs in [0, 1]) or linear (`Some(false)`,
    /// z-scored inputs); `None` = the network's own (sigmoid, but Toll's Arrhythmia MLP).
    #[serde(default)]
    pub output_sigmoid: Option<bool>,
    pub lr: f64,
    pub epochs: usize,
    /// Epochs at which the learning rate is multiplied by 0.1.
    pub milestones: Vec<usize>,
    pub batch_size: usize,
    pub weight_decay: f64,
    pub pretrain: bool,
    pub pretrain_lr: f64,
    pub pretrain_epochs: usize,
    pub pretrain_milestones: Vec<usize>,
    pub pretrain_weight_decay: f64,
    pub objective: Objective,
    pub nu: f64,
    /// Epochs before the soft-boundary radius starts being updated.
    pub warm_up_epochs: usize,
    pub eta: f64,
    pub score: AeScore,
    /// ν of the OCSVM fitted on the latents (`score=ocsvm`).
    pub ocsvm_nu: f64,
    /// γ of that OCSVM: `scale`, `auto` or a number.
    pub ocsvm_gamma: String,
    /// VAE: weight of the KL term.
    pub beta: f64,
    /// SAE: weight of the latent-difference term.
    pub s: f64,
    /// Early stopping: epochs without a better validation loss (needs validation data; 0 = off).
    pub patience: usize,
    /// Rows per forward pass when scoring.
    pub score_batch: usize,
    /// OgAE / DSPSVDD / DVAESVDD settings (`crate::coupled`).
    #[serde(default)]
    pub coupled: crate::coupled::CoupledHyper,
    /// Deep SVDD / SAD regulariser against collapse (seed 003).
    #[serde(default)]
    pub regularizer: crate::methods::regularizers::Regularizer,
    /// Outputs k of the noise regulariser's linear head.
    #[serde(default = "default_noise_k")]
    pub noise_k: usize,
    /// Variance regulariser: initial threshold d_0 and epochs r between its ÷10 steps.
    #[serde(default = "default_var_d0")]
    pub var_d0: f64,
    #[serde(default = "default_var_every")]
    pub var_every: usize,
    /// `adaptive` (seed 003 eq. 7) or a fixed weight of the regulariser.
    #[serde(default = "default_reg_weight")]
    pub reg_weight: String,
    /// α and β of the adaptive weight.
    #[serde(default = "default_reg_alpha")]
    pub reg_alpha: f64,
    #[serde(default = "default_reg_beta")]
    pub reg_beta: f64,
    /// Toll: training iterations (random batches), checkpoint interval, selection rule, norm of z.
    #[serde(default = "default_iterations")]
    pub iterations: usize,
    #[serde(default = "default_checkpoint_every")]
    pub checkpoint_every: usize,
    #[serde(default)]
    pub select: crate::methods::toll::Selection,
    #[serde(default)]
    pub norm: crate::methods::toll::LatentNorm,
}

fn default_noise_k() -> usize {
    32
}
fn default_var_d0() -> f64 {
    0.1
}
fn default_var_every() -> usize {
    3
}
fn default_reg_weight() -> String {
    "adaptive".into()
}
fn default_reg_alpha() -> f64 {
    0.9
}
fn default_reg_beta() -> f64 {
    0.5
}
fn default_iterations() -> usize {
    2000
}
fn default_checkpoint_every() -> usize {
    20
}

impl Hyper {
    /// The seeds' defaults for `method` (Deep SVDD / SAD: seed 004 and the published MNIST
    /// command; AE / VAE / SAE: seed 001's OgAE setting).
    pub fn defaults(method: Method) -> Hyper {
        let base = Hyper {
            net: "auto".into(),
            rep_dim: None,
            bias: None,
            widths: None,
            output_sigmoid: None,
            lr: 1e-4,
            epochs: 150,
            milestones: vec![50],
            batch_size: 200,
            weight_decay: 0.5e-6,
            pretrain: true,
            pretrain_lr: 1e-4,
            pretrain_epochs: 150,
            pretrain_milestones: vec![50],
            pretrain_weight_decay: 0.5e-3,
            objective: Objective::OneClass,
            nu: 0.1,
            warm_up_epochs: 10,
            eta: 1.0,
            score: AeScore::Recon,
            ocsvm_nu: 0.1,
            ocsvm_gamma: "scale".into(),
            beta: 1.0,
            s: 0.1,
            patience: 0,
            score_batch: 1024,
            coupled: Default::default(),
            regularizer: Default::default(),
            noise_k: default_noise_k(),
            var_d0: default_var_d0(),
            var_every: default_var_every(),
            reg_weight: default_reg_weight(),
            reg_alpha: default_reg_alpha(),
            reg_beta: default_reg_beta(),
            iterations: default_iterations(),
            checkpoint_every: default_checkpoint_every(),
            select: Default::default(),
            norm: Default::default(),
        };
        match method {
            Method::DeepSvdd => base,
            Method::DeepSad => Hyper { batch_size: 128, ..base },
            Method::Ae | Method::Vae | Method::Sae => Hyper {
                lr: 1e-3,
                epochs: 20,
                milestones: vec![],
                batch_size: 100,
                weight_decay: 0.0,
                pretrain: false,
                ..base
            },
            Method::Classifier => Hyper { pretrain: false, milestones: vec![50], ..base },
            // Seed 002's MNIST setting (batch 1000, β 1000, lr 1e−4, Adam without weight decay);
            // z = 128 comes from the default network. Other datasets: `preset=…`.
            Method::Toll => Hyper { batch_size: 1000, beta: 1000.0, weight_decay: 0.0, pretrain: false, milestones: vec![], ..base },
            // Seed 001's shared training (Adam 1e-3, batch 100, 20 epochs) and the reference
            // code's OgAE defaults (ν = 0.03, γ = scale, λ = 0.1).
            Method::Ogae | Method::Dspsvdd | Method::Dvaesvdd => Hyper {
                lr: 1e-3,
                epochs: 20,
                milestones: vec![],
                batch_size: 100,
                weight_decay: 0.0,
                pretrain: method == Method::Dspsvdd,
                pretrain_lr: 1e-3,
                pretrain_epochs: 20,
                pretrain_milestones: vec![],
                pretrain_weight_decay: 0.0,
                bias: (method == Method::Dspsvdd).then_some(false),
                nu: 0.03,
                ocsvm_nu: 0.03,
                score: if method == Method::Ogae { AeScore::Ocsvm } else { AeScore::Recon },
                ..base
            },
        }
    }

    /// The keys `method` reads, with a one-line description each (for `--help`).
    pub fn known_keys(method: Method) -> Vec<(&'static str, &'static str)> {
        let mut keys = vec![
            ("net", "network: auto | mnist-lenet | fmnist-lenet | cifar10-lenet | ogae-mnist | mlp | patch-ae | toll-mnist | toll-cifar (seed 002 appendix B.1 / B.2; Toll's auto on 28×28 / 32×32 colour images)"),
            ("rep_dim", "representation (latent) size"),
            ("widths", "hidden widths, comma-separated: a conv network's channels (the decoder mirrors them) or an MLP's hidden layers"),
            ("bias", "bias terms in the network (true/false)"),
            ("output", "the decoder's reconstruction: sigmoid (inputs in [0, 1]) | linear (z-scored inputs)"),
            ("lr", "Adam learning rate"),
            ("epochs", "training epochs"),
            ("milestones", "epochs where lr is multiplied by 0.1 (comma-separated)"),
            ("batch_size", "mini-batch size"),
            ("weight_decay", "L2 weight decay of Adam"),
            ("patience", "early stopping on the validation loss (needs --val; 0 = off)"),
            ("score_batch", "rows per forward pass when scoring"),
        ];
        if method.has_pretraining() {
            keys.extend([
                ("pretrain", "AE pre-training initialising the encoder (true/false)"),
                ("pretrain_lr", "pre-training learning rate"),
                ("pretrain_epochs", "pre-training epochs"),
                ("pretrain_milestones", "pre-training lr milestones"),
                ("pretrain_weight_decay", "pre-training weight decay"),
            ]);
        }
        if matches!(method, Method::DeepSvdd | Method::DeepSad) {
            keys.extend([
                ("regularizer", "against hypersphere collapse with bias=true (seed 003): none | noise | variance"),
                ("noise_k", "outputs k of the noise regulariser's random-label linear head (paper: 5–200)"),
                ("var_d0", "variance regulariser: initial threshold d_0"),
                ("var_every", "variance regulariser: epochs r between the ÷10 steps of the threshold"),
                ("reg_weight", "weight of the regulariser: adaptive (c_t = α c_{t−1} + β(1−α) L_svdd/L_reg) or a number"),
                ("reg_alpha", "α of the adaptive weight"),
                ("reg_beta", "β of the adaptive weight"),
            ]);
        }
        match method {
            Method::Ae => keys.extend([
                ("score", "recon | ocsvm (exact OCSVM on the training latents)"),
                ("ocsvm_nu", "ν of the latent OCSVM"),
                ("ocsvm_gamma", "γ of the latent OCSVM: scale | auto | number"),
            ]),
            Method::DeepSvdd | Method::DeepSad => {
                keys.extend([
                    ("objective", "one-class | soft-boundary"),
                    ("nu", "ν of the soft-boundary objective"),
                    ("warm_up_epochs", "epochs before the radius is updated (soft-boundary)"),
                ]);
                if method == Method::DeepSad {
                    keys.push(("eta", "weight η of the labeled samples"));
                }
            }
            Method::Toll => {
                // Iteration-based: no epochs, milestones or early stopping.
                keys.retain(|(k, _)| !matches!(*k, "epochs" | "milestones" | "patience"));
                keys.extend([
                    ("preset", "seed 002's setting (batch, β, z, lr): mnist | fashion-mnist | cifar10 | cifar100 | arrhythmia; give it before other keys"),
                    ("beta", "weight β of the latent norm"),
                    ("norm", "norm of z in loss and score: l1 | l2 | linf"),
                    ("iterations", "training iterations (random batches)"),
                    ("checkpoint_every", "iterations between selection checkpoints"),
                    ("select", "kept checkpoint: last (unsupervised) | val-loss (lowest loss on --val, unlabeled) | val-auroc (highest AUROC on --val with --val-labels: USES LABELS, the reference's rule) | val-f1[:F] (highest F1 with the top F of --val scores flagged, default 0.15: USES LABELS)"),
                ]);
            }
            Method::Vae => keys.push(("beta", "weight β of the KL term")),
            Method::Ogae => {
                keys.extend([
                    ("nu", "ν of the minibatch OCSVM"),
                    ("score", "ocsvm (−decision of the final OCSVM on the training codes) | ocsvm-batches (−mean decision of ocsvm_batches minibatch OCSVMs, the reference's rule) | recon"),
                    ("ocsvm_nu", "ν of the final OCSVM"),
                    ("ocsvm_gamma", "γ of the final OCSVM: scale | auto | number"),
                ]);
                keys.extend(crate::coupled::CoupledHyper::OGAE_KEYS);
            }
            Method::Dspsvdd => keys.push(("svdd_gamma", "weight γ of the SVDD term (MSE + γ·mean‖z − c‖²)")),
            Method::Dvaesvdd => keys.extend([
                ("beta", "weight β of the KL term"),
                ("svdd_alpha", "weight α of the SVDD term around the batch mean of μ"),
            ]),
            Method::Sae => keys.push(("s", "weight s of the latent-difference term")),
            Method::Classifier => {}
        }
        keys
    }

    /// The values of the keys `method` reads (`known_keys` but `preset`, which only sets other
    /// keys), by key: what a fit of `method` depends on, so a checkpoint can be matched to its
    /// settings without being invalidated by keys of other methods.
    pub fn settings_read_by(&self, method: Method) -> serde_json::Map<String, serde_json::Value> {
        let serde_json::Value::Object(all) = serde_json::to_value(self).expect("hyper-parameters serialise") else { unreachable!("a struct serialises to an object") };
        let nested = all.get("coupled").and_then(|c| c.as_object()).cloned().unwrap_or_default();
        Self::known_keys(method)
            .into_iter()
            .filter(|(k, _)| *k != "preset")
            .map(|(key, _)| {
                let field = if key == "output" { "output_sigmoid" } else { key };
                let value = all.get(field).or_else(|| nested.get(field)).unwrap_or_else(|| panic!("known key `{key}` has no field in Hyper"));
                (key.to_string(), value.clone())
            })
            .collect()
    }

    /// Applies `key=value` (from `--set` or a config file) after checking `method` reads `key`.
    pub fn set(&mut self, method: Method, key: &str, value: &str) -> Result<()> {
        let known = Self::known_keys(method);
        if !known.iter().any(|(k, _)| *k == key) {
            return Err(DeepError::UnknownParam {
                key: key.to_string(),
                method: method.name().to_string(),
                known: known.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", "),
            });
        }
        let f = |v: &str| -> Result<f64> {
            let x: f64 = v.trim().parse().map_err(|_| invalid(key, format!("`{v}` is not a number")))?;
            if !x.is_finite() {
                return Err(invalid(key, format!("`{v}` is not finite")));
            }
            Ok(x)
        };
        let u = |v: &str| -> Result<usize> { v.trim().parse().map_err(|_| invalid(key, format!("`{v}` is not a non-negative integer"))) };
        let b = |v: &str| -> Result<bool> {
            match v.trim() {
                "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err(invalid(key, format!("`{v}` is not true/false"))),
            }
        };
        let list = |v: &str| -> Result<Vec<usize>> {
            let v = v.trim().trim_start_matches('[').trim_end_matches(']');
            if v.is_empty() {
                return Ok(vec![]);
            }
            v.split(',').map(u).collect()
        };
        if matches!(method, Method::Ogae | Method::Dspsvdd | Method::Dvaesvdd) && self.coupled.set(key, value).map_err(|e| invalid(key, e))? {
            return Ok(());
        }
        match key {
            "regularizer" => self.regularizer = crate::methods::regularizers::Regularizer::parse(value)?,
            "noise_k" => self.noise_k = u(value)?,
            "var_d0" => self.var_d0 = f(value)?,
            "var_every" => self.var_every = u(value)?,
            "reg_weight" => {
                crate::methods::regularizers::parse_reg_weight(value)?;
                self.reg_weight = value.trim().to_string()
            }
            "reg_alpha" => self.reg_alpha = f(value)?,
            "reg_beta" => self.reg_beta = f(value)?,
            "iterations" => self.iterations = u(value)?,
            "checkpoint_every" => self.checkpoint_every = u(value)?,
            "select" => self.select = crate::methods::toll::Selection::parse(value)?,
            "norm" => self.norm = crate::methods::toll::LatentNorm::parse(value)?,
            "preset" => {
                let (batch, beta, z, lr) = crate::methods::toll::preset(value)?;
                (self.batch_size, self.beta, self.rep_dim, self.lr) = (batch, beta, Some(z), lr);
            }
            "net" => self.net = value.trim().to_string(),
            "rep_dim" => self.rep_dim = Some(u(value)?),
            "widths" => self.widths = Some(list(value)?),
            "output" => {
                self.output_sigmoid = Some(match value.trim() {
                    "sigmoid" => true,
                    "linear" => false,
                    v => return Err(invalid(key, format!("`{v}`: expected sigmoid or linear"))),
                })
            }
            "bias" => self.bias = Some(b(value)?),
            "lr" => self.lr = f(value)?,
            "epochs" => self.epochs = u(value)?,
            "milestones" => self.milestones = list(value)?,
            "batch_size" => self.batch_size = u(value)?,
            "weight_decay" => self.weight_decay = f(value)?,
            "pretrain" => self.pretrain = b(value)?,
            "pretrain_lr" => self.pretrain_lr = f(value)?,
            "pretrain_epochs" => self.pretrain_epochs = u(value)?,
            "pretrain_milestones" => self.pretrain_milestones = list(value)?,
            "pretrain_weight_decay" => self.pretrain_weight_decay = f(value)?,
            "objective" => {
                self.objective = match value.trim() {
                    "one-class" => Objective::OneClass,
                    "soft-boundary" => Objective::SoftBoundary,
                    v => return Err(invalid(key, format!("`{v}`: expected one-class or soft-boundary"))),
                }
            }
            "nu" => self.nu = f(value)?,
            "warm_up_epochs" => self.warm_up_epochs = u(value)?,
            "eta" => self.eta = f(value)?,
            "score" => {
                self.score = match value.trim() {
                    "recon" => AeScore::Recon,
                    "ocsvm" => AeScore::Ocsvm,
                    "ocsvm-batches" if method == Method::Ogae => AeScore::OcsvmBatches,
                    v if method == Method::Ogae => return Err(invalid(key, format!("`{v}`: expected recon, ocsvm or ocsvm-batches"))),
                    v => return Err(invalid(key, format!("`{v}`: expected recon or ocsvm"))),
                }
            }
            "ocsvm_nu" => self.ocsvm_nu = f(value)?,
            "ocsvm_gamma" => {
                value.trim().parse::<oneclass_svm::Gamma>().map_err(|e| invalid(key, e))?;
                self.ocsvm_gamma = value.trim().to_string()
            }
            "beta" => self.beta = f(value)?,
            "s" => self.s = f(value)?,
            "patience" => self.patience = u(value)?,
            "score_batch" => self.score_batch = u(value)?,
            _ => unreachable!("key checked against known_keys"),
        }
        Ok(())
    }

    /// Range checks (called before training).
    pub fn validate(&self, method: Method) -> Result<()> {
        let pos = |k: &str, v: f64| if v > 0.0 { Ok(()) } else { Err(invalid(k, format!("{v} must be > 0"))) };
        pos("lr", self.lr)?;
        let counts = [
            ("epochs", self.epochs),
            ("batch_size", self.batch_size),
            ("score_batch", self.score_batch),
            ("noise_k", self.noise_k),
            ("var_every", self.var_every),
            ("iterations", self.iterations),
            ("checkpoint_every", self.checkpoint_every),
        ];
        if let Some((k, _)) = counts.iter().find(|(_, v)| *v == 0) {
            return Err(invalid(k, "0 must be ≥ 1"));
        }
        let non_negative = [
            ("weight_decay", self.weight_decay),
            ("pretrain_weight_decay", self.pretrain_weight_decay),
            ("beta", self.beta),
            ("s", self.s),
            ("var_d0", self.var_d0),
            ("reg_beta", self.reg_beta),
        ];
        if let Some((k, v)) = non_negative.iter().find(|(_, v)| v.is_nan() || *v < 0.0) {
            return Err(invalid(k, format!("{v} must be ≥ 0")));
        }
        if method.has_pretraining() && self.pretrain {
            pos("pretrain_lr", self.pretrain_lr)?;
        }
        if !(self.nu > 0.0 && self.nu <= 1.0) {
            return Err(invalid("nu", format!("{} must be in (0, 1]", self.nu)));
        }
        if !(self.ocsvm_nu > 0.0 && self.ocsvm_nu <= 1.0) {
            return Err(invalid("ocsvm_nu", format!("{} must be in (0, 1]", self.ocsvm_nu)));
        }
        pos("eta", self.eta)?;
        if !(0.0..=1.0).contains(&self.reg_alpha) {
            return Err(invalid("reg_alpha", format!("{} must be in [0, 1]", self.reg_alpha)));
        }
        crate::methods::regularizers::parse_reg_weight(&self.reg_weight)?;
        if matches!(method, Method::Ogae | Method::Dspsvdd | Method::Dvaesvdd) {
            self.coupled.check().map_err(|(k, r)| invalid(k, r))?;
        }
        if self.score == AeScore::OcsvmBatches && method != Method::Ogae {
            return Err(invalid("score", "ocsvm-batches is an ogae score"));
        }
        if method == Method::Sae && self.batch_size < 2 {
            return Err(invalid("batch_size", "the Siamese AE splits each batch in halves: needs ≥ 2"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every method's keys resolve to a field; a key only another method reads leaves Toll's
    /// settings as they were, one Toll reads changes them.
    #[test]
    fn settings_read_by_holds_exactly_the_methods_keys() {
        for m in Method::ALL {
            let h = Hyper::defaults(m);
            let keys: Vec<&str> = Hyper::known_keys(m).into_iter().map(|(k, _)| k).filter(|k| *k != "preset").collect();
            let settings = h.settings_read_by(m);
            assert_eq!(settings.keys().map(String::as_str).collect::<Vec<_>>().len(), keys.len(), "{m:?}");
            assert!(keys.iter().all(|k| settings.contains_key(*k)), "{m:?}");
        }
        let base = Hyper::defaults(Method::Toll);
        let mut other = base.clone();
        other.noise_k += 1;
        other.coupled.ocsvm_batches += 1;
        other.epochs += 1;
        assert_eq!(other.settings_read_by(Method::Toll), base.settings_read_by(Method::Toll));
        assert_ne!(other.settings_read_by(Method::Ogae), base.settings_read_by(Method::Ogae));
        other.set(Method::Toll, "output", "linear").unwrap();
        assert_ne!(other.settings_read_by(Method::Toll), base.settings_read_by(Method::Toll));
    }

    /// A value out of range is reported under its own key.
    #[test]
    fn validate_names_the_offending_key() {
        for (key, value) in [("iterations", "0"), ("checkpoint_every", "0"), ("score_batch", "0"), ("weight_decay", "-1"), ("beta", "-0.5")] {
            let mut h = Hyper::defaults(Method::Toll);
            h.set(Method::Toll, key, value).unwrap();
            let e = h.validate(Method::Toll).unwrap_err().to_string();
            assert!(e.contains(&format!("`{key}`")) && e.contains(value), "{key}: {e}");
        }
        assert!(Hyper::defaults(Method::Toll).validate(Method::Toll).is_ok());
    }
}
