//! `oneclass fit <deep method>`: ae, deep-svdd, deep-sad, vae, sae, classifier.

use anyhow::{bail, Context, Result};
use clap::Args;
use ndarray::Array2;
use oneclass_data::images::named::{data_dir, load_images, load_table, DatasetName, Split};
use oneclass_data::preprocess::{ImagePreprocess, TablePreprocess};
use oneclass_data::{read_npy, read_npz, NpyArray};
use oneclass_deep::{DeepModel, DeviceKind, FitData, Hyper, Method, Samples, SemiLabel, TrainOptions};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments shared by every deep method.
#[derive(Args, Debug)]
pub struct DeepArgs {
    /// Training data: a file (.npy/.npz N×C×H×W images in [0, 1] or N×D table; in .npz the
    /// arrays `X` and optional `semi_target`; .csv/.mat tables) or a named dataset (mnist,
    /// fashion-mnist, cifar10-lossy, odds/<name>, adbench/<name>, …).
    #[arg(long)]
    pub train: String,
    /// Validation data (a file): its loss is recorded each epoch and drives early stopping
    /// (`--set patience=k`).
    #[arg(long)]
    pub val: Option<PathBuf>,
    /// Semi-supervised labels of the training rows (.npy or .csv: 0 unlabeled, 1 known
    /// normal, −1 known anomaly). Overrides an .npz `semi_target`.
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// Labels of the --val rows (.npy or .csv: 1 = anomaly, 0 = normal), for Toll's
    /// `select=val-auroc`, which picks the checkpoint with labelled anomalies.
    #[arg(long)]
    pub val_labels: Option<PathBuf>,
    /// Hyper-parameters as `key = value` lines (flat TOML; `#` comments).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Override a hyper-parameter, e.g. `--set epochs=20 --set net=mnist-lenet` (after --config).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// cpu (pure-Rust flex backend) or gpu (needs a build with the `wgpu` feature).
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Seed of the initial weights, the shuffling and the noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where to write the model (JSON; the weights go to `<model>.safetensors`).
    #[arg(long)]
    pub model: PathBuf,
    /// Folder of the named datasets (default: $ONECLASS_DATA).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// With a named dataset: train on this class only (images: the class index; tables: 0 = the
    /// normal rows).
    #[arg(long)]
    pub normal_class: Option<u16>,
    /// Preprocessing fitted on the training data and saved with the model: auto (tables: standard
    /// then min-max scaling, seed 004; images: pixels in [0, 1] as they are), gcn-minmax (images:
    /// global contrast normalisation (L1) then min-max, Deep SVDD), mean-std (images: per-channel,
    /// Toll; tables: per-column z-scores), or none.
    #[arg(long, default_value = "auto", value_parser = ["auto", "none", "gcn-minmax", "mean-std"])]
    pub preprocess: String,
    /// Continue an interrupted fit from `<model>.<phase>.ckpt`.
    #[arg(long)]
    pub resume: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// The text under each deep method's `--help`: its hyper-parameters and defaults.
pub fn method_help(method: &str) -> String {
    let m = Method::parse(method).expect("static method name");
    let defaults = serde_json::to_value(Hyper::defaults(m)).expect("hyper serialises");
    let mut s = String::from("Hyper-parameters (--set key=value; defaults from the seeds):\n");
    for (k, what) in Hyper::known_keys(m) {
        let v = defaults.get(k).or_else(|| defaults.get("coupled").and_then(|c| c.get(k))).map(|v| match v {
            serde_json::Value::Null => "network default".to_string(),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        s.push_str(&format!("  {k:<22} {what} [default: {}]\n", v.unwrap_or_default()));
    }
    s
}

/// Loaded data: samples and optional semi-supervised labels.
struct Loaded {
    samples: Samples,
    labels: Option<Vec<SemiLabel>>,
    table: Option<Array2<f64>>,
}

/// An array as training samples: N×D a table, N×H×W or N×C×H×W images (8-bit ones in [0, 1]);
/// every value must be finite (`field` names the array in error messages).
fn npy_to_samples(a: &NpyArray, path: &Path, field: &str) -> Result<(Samples, Option<Array2<f64>>)> {
    if !(2..=4).contains(&a.shape.len()) {
        bail!("{}: {field} is a {}-D array; expected N×D (table), N×H×W or N×C×H×W (images)", path.display(), a.shape.len());
    }
    // Checks emptiness and finiteness, and scales 8-bit images, for tables and images alike.
    let x = oneclass_data::table::array_to_matrix(path, field, a)?;
    if a.shape.len() == 2 {
        return Ok((Samples::from_table(x.view()).with_context(|| format!("{}", path.display()))?, Some(x)));
    }
    let shape = if a.shape.len() == 3 { vec![1, a.shape[1], a.shape[2]] } else { a.shape[1..].to_vec() };
    let v: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    Ok((Samples::new(v, a.shape[0], shape).with_context(|| format!("{}", path.display()))?, None))
}

fn read_labels(path: &Path, n: usize) -> Result<Vec<SemiLabel>> {
    read_label_values(path, n, "training")?
        .iter()
        .enumerate()
        .map(|(i, &v)| match v {
            0.0 => Ok(0),
            1.0 => Ok(1),
            -1.0 => Ok(-1),
            v => bail!("{}: label {v} at row {i}; expected 0 (unlabeled), 1 (known normal) or -1 (known anomaly)", path.display()),
        })
        .collect()
}

fn load_data(spec: &str, a: &DeepArgs) -> Result<Loaded> {
    let path = Path::new(spec);
    if path.is_file() {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        return match ext.as_str() {
            "npy" => {
                let (samples, table) = npy_to_samples(&read_npy(path)?, path, "array")?;
                Ok(Loaded { samples, labels: None, table })
            }
            "npz" => {
                let arrays = read_npz(path)?;
                let x = arrays.iter().find(|(n, _)| n == "X").map(|(_, a)| a).with_context(|| format!("{}: no array `X`", path.display()))?;
                let (samples, table) = npy_to_samples(x, path, "X")?;
                let labels = match arrays.iter().find(|(n, _)| n == "semi_target") {
                    Some((_, t)) => {
                        let v = t.to_f64();
                        if v.len() != samples.n {
                            bail!("{}: `semi_target` has {} entries for {} rows", path.display(), v.len(), samples.n);
                        }
                        let mut out = Vec::with_capacity(v.len());
                        for (i, y) in v.into_iter().enumerate() {
                            out.push(match y {
                                0.0 => 0,
                                1.0 => 1,
                                -1.0 => -1,
                                y => bail!("{}: semi_target[{i}] = {y}; expected -1, 0 or 1", path.display()),
                            });
                        }
                        Some(out)
                    }
                    None => None,
                };
                Ok(Loaded { samples, labels, table })
            }
            _ => {
                let x = crate::io::read_matrix(path, &crate::io::TableArgs { x_name: "X".into(), y_name: "y".into(), header: "auto".into() }, false)?;
                Ok(Loaded { samples: Samples::from_table(x.view())?, labels: None, table: Some(x) })
            }
        };
    }
    let name = DatasetName::parse(spec).with_context(|| format!("--train {spec:?} is neither a file nor a dataset name"))?;
    let dir = data_dir(a.data_dir.as_deref())?;
    if name.is_tabular() {
        let t = load_table(&name, &dir)?;
        let rows: Vec<usize> = match a.normal_class {
            Some(0) => (0..t.y.len()).filter(|&i| t.y[i] == 0).collect(),
            Some(k) => bail!("--normal-class {k}: a table has classes 0 (normal) and 1 (anomaly); use 0"),
            None => (0..t.y.len()).collect(),
        };
        let x = t.x.select(ndarray::Axis(0), &rows);
        return Ok(Loaded { samples: Samples::from_table(x.view())?, labels: None, table: Some(x) });
    }
    let set = load_images(&name, &dir, Split::Train)?;
    let set = match a.normal_class {
        Some(k) => {
            let idx = set.indices_of_class(k);
            if idx.is_empty() {
                bail!("--normal-class {k}: {} has no training images of that class", name.label());
            }
            set.subset(&idx)
        }
        None => set,
    };
    Ok(Loaded { samples: Samples::from_images(set.to_f32().view())?, labels: None, table: None })
}

/// The label column of `path` (.npy, or a one-column text file), checked to have one value per
/// `rows` row.
fn read_label_values(path: &Path, n: usize, rows: &str) -> Result<Vec<f64>> {
    let values: Vec<f64> = if path.extension().is_some_and(|e| e == "npy") { read_npy(path)?.to_f64() } else { crate::io::read_vector(path)? };
    if values.len() != n {
        bail!("{}: {} labels for {n} {rows} rows", path.display(), values.len());
    }
    Ok(values)
}

/// 0/1 labels of the validation rows (1 = anomaly).
fn read_val_labels(path: &Path, n: usize) -> Result<Vec<u8>> {
    read_label_values(path, n, "validation")?
        .iter()
        .enumerate()
        .map(|(i, &v)| match v {
            0.0 => Ok(0),
            1.0 => Ok(1),
            v => bail!("{}: label {v} at row {i}; expected 0 (normal) or 1 (anomaly)", path.display()),
        })
        .collect()
}

/// Flat TOML `key = value` lines.
fn read_config(path: &Path) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read the config file", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (k, v) = line.split_once('=').with_context(|| format!("{}:{}: expected `key = value`", path.display(), i + 1))?;
        out.push((k.trim().to_string(), v.trim().trim_matches('"').to_string()));
    }
    Ok(out)
}

/// The fitted transform saved in a deep model file (field "preprocessing").
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum Preprocessing {
    Table(TablePreprocess),
    Image(ImagePreprocess),
}

impl Preprocessing {
    /// Fit the transform `choice` asks for on the training data (None = leave it as it is).
    fn fit(choice: &str, train: &Loaded) -> Result<Option<Preprocessing>> {
        Ok(match (choice, &train.table) {
            ("none", _) => None,
            ("auto", Some(x)) => Some(Preprocessing::Table(TablePreprocess::fit_standard_minmax(x)?)),
            ("auto", None) => None,
            ("mean-std", Some(x)) => Some(Preprocessing::Table(TablePreprocess::fit_standard(x)?)),
            (other, Some(_)) => bail!("--preprocess {other} is for images; the training data is a table"),
            ("gcn-minmax", None) => Some(Preprocessing::Image(ImagePreprocess::fit_gcn_l1_minmax(&images(&train.samples)?)?)),
            ("mean-std", None) => Some(Preprocessing::Image(ImagePreprocess::fit_mean_std(&images(&train.samples)?)?)),
            (other, None) => bail!("--preprocess {other}: expected auto, none, gcn-minmax or mean-std"),
        })
    }

    fn apply(&self, samples: &Samples) -> Result<Samples> {
        match self {
            Preprocessing::Table(pre) => {
                let mut x = Array2::from_shape_vec((samples.n, samples.dim()), samples.values.iter().map(|&v| v as f64).collect())?;
                pre.apply(&mut x)?;
                Ok(Samples::from_table(x.view())?)
            }
            Preprocessing::Image(pre) => {
                let mut x = images(samples)?;
                pre.apply(&mut x)?;
                Ok(Samples::new(x.into_iter().collect(), samples.n, samples.sample_shape.clone())?)
            }
        }
    }
}

/// Samples of shape C×H×W as an N×C×H×W tensor.
fn images(samples: &Samples) -> Result<ndarray::Array4<f32>> {
    let &[c, h, w] = samples.sample_shape.as_slice() else {
        bail!("image preprocessing needs C×H×W samples, these are {:?}", samples.sample_shape);
    };
    Ok(ndarray::Array4::from_shape_vec((samples.n, c, h, w), samples.values.clone())?)
}

/// Apply `--set KEY=VALUE` overrides; returns them as (key, value) pairs for reports.
pub fn apply_settings(method: Method, hyper: &mut Hyper, settings: &[String]) -> Result<Vec<(String, String)>> {
    let mut applied = Vec::new();
    for kv in settings {
        let (k, v) = kv.split_once('=').with_context(|| format!("--set {kv:?}: expected KEY=VALUE"))?;
        hyper.set(method, k.trim(), v.trim()).with_context(|| format!("--set {kv}"))?;
        applied.push((k.trim().to_string(), v.trim().to_string()));
    }
    Ok(applied)
}

pub fn run(method: &str, a: DeepArgs) -> Result<()> {
    let method = Method::parse(method)?;
    let mut hyper = Hyper::defaults(method);
    if let Some(cfg) = &a.config {
        for (k, v) in read_config(cfg)? {
            hyper.set(method, &k, &v).with_context(|| format!("{}", cfg.display()))?;
        }
    }
    apply_settings(method, &mut hyper, &a.set)?;
    let device = DeviceKind::parse(&a.device)?;
    let mut train = load_data(&a.train, &a)?;
    let mut val = match &a.val {
        Some(p) => Some(load_data(&p.display().to_string(), &a)?),
        None => None,
    };
    let preprocessing = Preprocessing::fit(&a.preprocess, &train).with_context(|| format!("--train {}", a.train))?;
    if let Some(pre) = &preprocessing {
        train.samples = pre.apply(&train.samples)?;
        if let Some(v) = val.as_mut() {
            v.samples = pre.apply(&v.samples).context("--val")?;
        }
    }
    let labels = match &a.labels {
        Some(p) => Some(read_labels(p, train.samples.n)?),
        None => train.labels.clone(),
    };
    let opts = TrainOptions { checkpoint: Some(a.model.clone()), resume: a.resume, progress: !a.quiet, stop_after_epochs: None };
    let start = Instant::now();
    let data = FitData { train: &train.samples, labels: labels.as_deref(), val: val.as_ref().map(|v| &v.samples) };
    let val_labels = match (&a.val_labels, &val) {
        (Some(p), Some(v)) => Some(read_val_labels(p, v.samples.n)?),
        (Some(_), None) => bail!("--val-labels needs --val"),
        (None, _) => None,
    };
    let mut model = DeepModel::fit_with_val_labels(method, &hyper, data, val_labels.as_deref(), a.seed, device, &opts)
        .with_context(|| format!("fitting {}", method.name()))?;
    if let Some(sel) = &model.meta.selection {
        println!(
            "checkpoint selection: rule {}, kept iteration {} of {} checkpoints (every {}){}",
            sel.rule.name(),
            sel.iteration,
            sel.checkpoints,
            sel.every,
            sel.value.map_or(String::new(), |v| format!(", value {v:.6}"))
        );
    }
    model.meta.preprocessing = preprocessing.map(|p| serde_json::to_value(p).expect("preprocessing serialises"));
    model.save(&a.model)?;
    let last = model.meta.history.last();
    // Toll trains by iterations and records one history entry per checkpoint, not per epoch.
    let length = match method {
        Method::Toll => format!("iterations = {} ({} checkpoints)", hyper.iterations, model.meta.history.len()),
        _ => format!("epochs = {}", model.meta.history.len()),
    };
    println!(
        "{}: n = {}, input {:?}, network {}, {length}, final loss = {}, seconds = {:.1}",
        method.name(),
        train.samples.n,
        train.samples.sample_shape,
        hyper.net,
        last.map_or("-".into(), |r| format!("{:.6}", r.train_loss)),
        start.elapsed().as_secs_f64()
    );
    println!("model written to {} (+ {})", a.model.display(), oneclass_deep::weights_path(&a.model).display());
    Ok(())
}

/// The rows of `x` (flattened samples) as network inputs of a deep model, after its
/// preprocessing.
fn model_inputs(model: &DeepModel, x: &Array2<f64>) -> Result<Samples> {
    let shape = &model.meta.input_shape;
    let d: usize = shape.iter().product();
    if x.ncols() != d {
        bail!("the model expects samples of shape {shape:?} ({d} values per row), the input has {} per row", x.ncols());
    }
    let mut samples = Samples::new(x.iter().map(|&v| v as f32).collect(), x.nrows(), shape.clone())?;
    if let Some(p) = &model.meta.preprocessing {
        let pre: Preprocessing = serde_json::from_value(p.clone()).context("model field \"preprocessing\"")?;
        samples = pre.apply(&samples)?;
    }
    Ok(samples)
}

/// Scores the rows of `x` (flattened samples) with a deep model, applying its preprocessing.
pub fn score(model: &DeepModel, x: &Array2<f64>) -> Result<Vec<f64>> {
    Ok(model.score(&model_inputs(model, x)?)?)
}

/// The encoder's codes of the rows of `x` (n × code width, row-major), after the model's
/// preprocessing.
pub fn codes(model: &DeepModel, x: &Array2<f64>) -> Result<Vec<f64>> {
    Ok(model.codes(&model_inputs(model, x)?))
}
