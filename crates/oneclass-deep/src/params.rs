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
}

impl Method {
    pub const ALL: [Method; 6] = [Method::Ae, Method::DeepSvdd, Method::DeepSad, Method::Vae, Method::Sae, Method::Classifier];

    pub fn name(self) -> &'static str {
        match self {
            Method::Ae => "ae",
            Method::DeepSvdd => "deep-svdd",
            Method::DeepSad => "deep-sad",
            Method::Vae => "vae",
            Method::Sae => "sae",
            Method::Classifier => "classifier",
        }
    }

    pub fn parse(s: &str) -> Result<Method> {
        Method::ALL.into_iter().find(|m| m.name() == s).ok_or_else(|| invalid("method", format!("unknown method `{s}`")))
    }

    /// Methods whose network is pre-trained as an auto-encoder.
    pub fn has_pretraining(self) -> bool {
        matches!(self, Method::DeepSvdd | Method::DeepSad)
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
}

impl Hyper {
    /// The seeds' defaults for `method` (Deep SVDD / SAD: seed 004 and the published MNIST
    /// command; AE / VAE / SAE: seed 001's OgAE setting).
    pub fn defaults(method: Method) -> Hyper {
        let base = Hyper {
            net: "auto".into(),
            rep_dim: None,
            bias: None,
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
        }
    }

    /// The keys `method` reads, with a one-line description each (for `--help`).
    pub fn known_keys(method: Method) -> Vec<(&'static str, &'static str)> {
        let mut keys = vec![
            ("net", "network: auto | mnist-lenet | fmnist-lenet | cifar10-lenet | ogae-mnist | mlp"),
            ("rep_dim", "representation (latent) size"),
            ("bias", "bias terms in the network (true/false)"),
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
        match method {
            Method::Ae => keys.extend([
                ("score", "recon | ocsvm (exact OCSVM on the training latents)"),
                ("ocsvm_nu", "ν of the latent OCSVM"),
                ("ocsvm_gamma", "γ of the latent OCSVM: scale | auto | number"),
            ]),
            Method::DeepSvdd => keys.extend([
                ("objective", "one-class | soft-boundary"),
                ("nu", "ν of the soft-boundary objective"),
                ("warm_up_epochs", "epochs before the radius is updated (soft-boundary)"),
            ]),
            Method::DeepSad => keys.push(("eta", "weight η of the labeled samples")),
            Method::Vae => keys.push(("beta", "weight β of the KL term")),
            Method::Sae => keys.push(("s", "weight s of the latent-difference term")),
            Method::Classifier => {}
        }
        keys
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
        match key {
            "net" => self.net = value.trim().to_string(),
            "rep_dim" => self.rep_dim = Some(u(value)?),
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
        if self.epochs == 0 {
            return Err(invalid("epochs", "must be ≥ 1"));
        }
        if self.batch_size == 0 || self.score_batch == 0 {
            return Err(invalid("batch_size", "must be ≥ 1"));
        }
        if self.weight_decay < 0.0 || self.pretrain_weight_decay < 0.0 {
            return Err(invalid("weight_decay", "must be ≥ 0"));
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
        if self.beta < 0.0 || self.s < 0.0 {
            return Err(invalid("beta", "β and s must be ≥ 0"));
        }
        if method == Method::Sae && self.batch_size < 2 {
            return Err(invalid("batch_size", "the Siamese AE splits each batch in halves: needs ≥ 2"));
        }
        Ok(())
    }
}
