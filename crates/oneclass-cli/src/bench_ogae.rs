//! `oneclass bench ogae-mnist-c`: seed 001's table I (3 vs 8) / table IV (3 vs 4) on the
//! MNIST-C domain-shift task, all 12 models with the shared network, hyper-parameters chosen
//! by validation AUROC, test metrics with a paired bootstrap (Bonferroni), and the OgAE
//! training-step overhead against the plain AE.
//!
//! Grid (full mode; `--quick` keeps the first value of each list, 2 epochs, a data subset):
//! - AE: none; its latent OCSVM: ν ∈ {0.03, 0.1, 0.3}, γ = scale, standardised codes.
//! - VAE: β ∈ {1, 0.1, 10}; SAE: s ∈ {0.1, 0.01, 1}; their latent OCSVMs as the AE's.
//! - OgAE: λ ∈ {0.1, 0.01, 1} × schedule ∈ {expand-then-both:5, expander, compactor, both}
//!   × ν ∈ {0.03, 0.1} (the final OCSVM uses the same ν); `recons` and `ocsvm` scores come
//!   from the same trained model and are selected separately.
//! - h-DSVDD: one setting; s-DSVDD: ν ∈ {0.1, 0.03, 0.3}.
//! - DSPSVDD: γ ∈ {10, 1, 100}; DVAESVDD: α ∈ {10, 1, 100}.
//!
//! Every model: network `ogae-mnist` (Deep SVDD variants and DSPSVDD bias-free), Adam 1e-3,
//! batch 100, 20 epochs (pre-training 20), early stopping on the `early_stop` split
//! (patience 3; OgAE monitors the reconstruction and restarts at its schedule's switch).
//!
//! Finished networks are kept in OUT/results.json (validation AUROC per row; test scores only
//! of each row's current choice) and the trained weights in `--models` (default OUT/models),
//! keyed by a fingerprint of the training data: the two pairs share the normal digit's
//! training images, so `--pair 3,4` with the 3-vs-8 run's `--models` trains nothing.
//!
//! `--weight-seeds` retrains each row's chosen setting with other initial weights (kept in
//! OUT/weight_seeds.json): one seed's network is a single draw, and choosing the best of a grid
//! on validation also picks a lucky draw, which the mean over seeds does not.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use oneclass_data::images::named::{data_dir, load_images, DatasetName, Split};
use oneclass_data::protocols::ogae_mnist_c;
use oneclass_data::ImageSet;
use oneclass_deep::{AeScore, DeepModel, DeviceKind, FitData, Hyper, LatentScaler, Method, Samples, TrainOptions};
use oneclass_metrics::stats::{paired_bootstrap, Metric};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::bench_common::{samples_of, unit_bar, Unit, UnitStore};

#[derive(Args)]
pub struct OgaeBenchArgs {
    /// Normal and anomalous digit: 3,8 (table I) or 3,4 (table IV).
    #[arg(long, default_value = "3,8")]
    pub pair: String,
    /// Smoke run: 400 + 400 MNIST train and 150 + 150 test sources, 2 epochs, first grid value.
    #[arg(long)]
    pub quick: bool,
    /// Folder holding `mnist/` (default: $ONECLASS_DATA).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Output folder: table.md, results.csv, report.json, roc_*.png.
    #[arg(long)]
    pub out: PathBuf,
    /// Seed of the corruptions, the split, the weights and the bootstrap.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Paired bootstrap resamples of the test set.
    #[arg(long, default_value_t = 1000)]
    pub resamples: usize,
    /// Folder of trained networks (default OUT/models). A network is reused when its setting
    /// and training data match, so the other --pair (same normal digit, same seed) only scores.
    #[arg(long)]
    pub models: Option<PathBuf>,
    /// Weight seeds (comma-separated) with which each row's validation-chosen setting is trained
    /// again on the same data (the task keeps --seed); the report adds each row's test metrics
    /// as mean ± std over --seed and these. The choice itself is not redone per seed.
    #[arg(long)]
    pub weight_seeds: Option<String>,
}

/// The 12 rows of table I, in its order.
const ROWS: [&str; 12] = [
    "AE recons", "AE ocsvm", "VAE recons", "VAE ocsvm", "SAE recons", "SAE ocsvm", "OgAE recons", "OgAE ocsvm", "h-DSVDD", "s-DSVDD", "DSPSVDD", "DVAESVDD",
];

/// Published values (AUROC, AUPR, AUROC30) of seed 001, table I (3 vs 8) and table IV (3 vs 4).
fn published(pair: (u16, u16), row: &str) -> Option<[f64; 3]> {
    let t: &[(&str, [f64; 3])] = match pair {
        (3, 8) => &[
            ("AE recons", [0.56, 0.66, 0.66]), ("AE ocsvm", [0.54, 0.65, 0.67]), ("VAE recons", [0.54, 0.65, 0.66]),
            ("VAE ocsvm", [0.52, 0.63, 0.65]), ("SAE recons", [0.55, 0.65, 0.67]), ("SAE ocsvm", [0.53, 0.64, 0.66]),
            ("OgAE recons", [0.53, 0.64, 0.66]), ("OgAE ocsvm", [0.59, 0.70, 0.71]), ("h-DSVDD", [0.51, 0.62, 0.65]),
            ("s-DSVDD", [0.52, 0.63, 0.66]), ("DSPSVDD", [0.51, 0.62, 0.65]), ("DVAESVDD", [0.59, 0.67, 0.65]),
        ],
        (3, 4) => &[
            ("AE recons", [0.51, 0.64, 0.66]), ("AE ocsvm", [0.52, 0.64, 0.67]), ("VAE recons", [0.51, 0.63, 0.65]),
            ("VAE ocsvm", [0.57, 0.67, 0.68]), ("SAE recons", [0.47, 0.60, 0.64]), ("SAE ocsvm", [0.58, 0.68, 0.69]),
            ("OgAE recons", [0.55, 0.66, 0.67]), ("OgAE ocsvm", [0.74, 0.76, 0.73]), ("h-DSVDD", [0.54, 0.64, 0.65]),
            ("s-DSVDD", [0.46, 0.59, 0.63]), ("DSPSVDD", [0.56, 0.66, 0.67]), ("DVAESVDD", [0.59, 0.69, 0.69]),
        ],
        _ => return None,
    };
    t.iter().find(|(r, _)| *r == row).map(|(_, v)| *v)
}

/// One network to train, with the table rows it feeds.
struct Training {
    method: Method,
    sets: Vec<(String, String)>,
}

impl Training {
    /// e.g. "ogae lambda=0.1 schedule=expander nu=0.03 ocsvm_nu=0.03"; the unit key in results.json.
    fn config(&self) -> String {
        std::iter::once(self.method.name().to_string()).chain(self.sets.iter().map(|(k, v)| format!("{k}={v}"))).collect::<Vec<_>>().join(" ")
    }
}

/// One table row from one trained network: its validation AUROC, and its test scores while it
/// is the row's validation choice (the others are dropped, which keeps results.json small).
#[derive(Serialize, Deserialize)]
struct RowScores {
    row: String,
    config: String,
    #[serde(default)]
    val_auroc: Option<f64>,
    /// Validation scores; only files written before `val_auroc` existed hold them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    val: Vec<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    test: Vec<f64>,
}

/// One trained network of the grid with the scores of every row it feeds (kept in
/// OUT/results.json so an interrupted benchmark continues with the next network).
#[derive(Serialize, Deserialize)]
struct TrainedModel {
    config: String,
    seconds: f64,
    epochs: usize,
    rows: Vec<RowScores>,
}

impl Unit for TrainedModel {
    fn key(&self) -> String {
        self.config.clone()
    }
}

fn grid(quick: bool) -> Vec<Training> {
    let pick = |v: &[&str]| -> Vec<String> { v.iter().take(if quick { 1 } else { v.len() }).map(|s| s.to_string()).collect() };
    let mut out = Vec::new();
    let t = |method, sets: Vec<(&str, String)>| Training { method, sets: sets.into_iter().map(|(k, v)| (k.to_string(), v)).collect() };
    out.push(t(Method::Ae, vec![]));
    for b in pick(&["1", "0.1", "10"]) {
        out.push(t(Method::Vae, vec![("beta", b)]));
    }
    for s in pick(&["0.1", "0.01", "1"]) {
        out.push(t(Method::Sae, vec![("s", s)]));
    }
    for l in pick(&["0.1", "0.01", "1"]) {
        for sch in pick(&["expand-then-both:5", "expander", "compactor", "both"]) {
            for nu in pick(&["0.03", "0.1"]) {
                out.push(t(Method::Ogae, vec![("lambda", l.clone()), ("schedule", sch.clone()), ("nu", nu.clone()), ("ocsvm_nu", nu)]));
            }
        }
    }
    out.push(t(Method::DeepSvdd, vec![("objective", "one-class".into())]));
    for nu in pick(&["0.1", "0.03", "0.3"]) {
        out.push(t(Method::DeepSvdd, vec![("objective", "soft-boundary".into()), ("nu", nu)]));
    }
    for g in pick(&["10", "1", "100"]) {
        out.push(t(Method::Dspsvdd, vec![("svdd_gamma", g)]));
    }
    for a in pick(&["10", "1", "100"]) {
        out.push(t(Method::Dvaesvdd, vec![("svdd_alpha", a)]));
    }
    out
}

/// The shared training procedure of seed 001 (S-H1), whatever the method's own defaults.
fn shared_settings(method: Method, quick: bool) -> Vec<(&'static str, String)> {
    let epochs = if quick { "2" } else { "20" };
    let mut s = vec![("net", "ogae-mnist".to_string()), ("lr", "1e-3".into()), ("epochs", epochs.into()), ("milestones", "".into()), ("batch_size", "100".into()), ("patience", "3".into())];
    if method.has_pretraining() {
        s.extend([("pretrain_lr", "1e-3".to_string()), ("pretrain_epochs", if quick { "1" } else { "20" }.into()), ("pretrain_milestones", "".into())]);
    }
    if method == Method::DeepSvdd {
        s.push(("bias", "false".into()));
    }
    s
}

const LATENT_NUS: [&str; 3] = ["0.03", "0.1", "0.3"];

/// Codes to feed a latent OCSVM (the VAE's μ only).
fn latent(model: &DeepModel, x: &Samples) -> (Vec<f64>, usize) {
    let z = model.codes(x);
    let width = z.len() / x.n.max(1);
    let k = model.meta.vae_latent.unwrap_or(width);
    if k == width {
        return (z, k);
    }
    (z.chunks(width).flat_map(|r| r[..k].to_vec()).collect(), k)
}

/// A decoupled OCSVM on the standardised training codes; returns (val, test) scores.
fn latent_ocsvm(model: &DeepModel, train: &Samples, others: [&Samples; 2], nu: f64) -> Result<[Vec<f64>; 2]> {
    let (mut z, k) = latent(model, train);
    let scaler = LatentScaler::fit(&z, k);
    scaler.apply(&mut z);
    let x = ndarray::Array2::from_shape_vec((train.n, k), z)?;
    let m = oneclass_svm::OcsvmParams::new().nu(nu).fit(x.view())?;
    let score = |s: &Samples| -> Result<Vec<f64>> {
        let (mut z, _) = latent(model, s);
        scaler.apply(&mut z);
        Ok(m.score(ndarray::Array2::from_shape_vec((s.n, k), z)?.view())?.to_vec())
    };
    Ok([score(others[0])?, score(others[1])?])
}

/// A row's chosen setting trained with another weight seed: the test metrics of every row the
/// network feeds (kept in OUT/weight_seeds.json).
#[derive(Serialize, Deserialize)]
struct SeedRun {
    training: String,
    seed: u64,
    seconds: f64,
    rows: Vec<SeedRow>,
}

#[derive(Clone, Serialize, Deserialize)]
struct SeedRow {
    row: String,
    config: String,
    val_auroc: f64,
    /// Test AUROC, AUPR, AUROC30.
    test: [f64; 3],
    /// Test AUROC within each corruption (corruption id, AUROC).
    by_corruption: Vec<(i64, f64)>,
}

/// Each table row's measurements, one per weight seed.
type SeedRows = BTreeMap<&'static str, Vec<(u64, SeedRow)>>;

impl Unit for SeedRun {
    fn key(&self) -> String {
        format!("{} seed={}", self.training, self.seed)
    }
}

/// Trains each chosen setting with every weight seed in `seeds` (other than --seed) that
/// weight_seeds.json lacks, and returns per row the metrics of those seeds for the row's chosen
/// configuration.
fn weight_seed_runs(
    a: &OgaeBenchArgs,
    seeds: &[u64],
    best: &BTreeMap<&'static str, Chosen>,
    trainings: &[Training],
    [train, early, val, test]: [&Samples; 4],
    [val_y, test_y]: [&[u8]; 2],
    test_corruption: &[i64],
    models_dir: &Path,
    settings: BTreeMap<String, String>,
) -> Result<(SeedRows, UnitStore<SeedRun>)> {
    let mut store: UnitStore<SeedRun> = UnitStore::open_file(&a.out, "weight_seeds.json", "ogae-mnist-c", settings)?;
    let chosen: Vec<&Training> = trainings.iter().filter(|t| best.values().any(|c| c.training == t.config())).collect();
    let todo: Vec<(u64, &Training)> = seeds.iter().filter(|&&s| s != a.seed).flat_map(|&s| chosen.iter().map(move |&t| (s, t))).collect();
    let bar = unit_bar(todo.len());
    for (i, &(seed, t)) in todo.iter().enumerate() {
        let config = t.config();
        let key = format!("{config} seed={seed}");
        bar.set_message(key.clone());
        if !store.contains(&key) {
            let fingerprint = training_fingerprint(train, early, seed, a.quick);
            let net = obtain_network(t, &config, a, seed, train, early, models_dir, &fingerprint)?;
            let unit = score_rows(t, &config, a, net, [train, val, test], val_y)?;
            let rows = unit
                .rows
                .into_iter()
                .map(|r| {
                    let e = oneclass_metrics::evaluate(&r.test, test_y, None)?;
                    let by_corruption = oneclass_metrics::auroc_within_groups(&r.test, test_y, test_corruption)?;
                    Ok(SeedRow { row: r.row, config: r.config, val_auroc: r.val_auroc.unwrap_or(f64::NAN), test: [e.auroc, e.aupr, e.auroc30], by_corruption })
                })
                .collect::<Result<Vec<_>>>()?;
            bar.suspend(|| eprintln!("[weight seed {}/{}] {key}: {:.1} s, {} epochs", i + 1, todo.len(), unit.seconds, unit.epochs));
            store.push(SeedRun { training: config, seed, seconds: unit.seconds, rows })?;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mut out: SeedRows = BTreeMap::new();
    for (&row, c) in best {
        for &seed in seeds.iter().filter(|&&s| s != a.seed) {
            let run = store.get(&format!("{} seed={seed}", c.training)).with_context(|| format!("weight_seeds.json: {} seed={seed} is missing", c.training))?;
            let r = run.rows.iter().find(|r| r.row == row && r.config == c.config).with_context(|| format!("weight_seeds.json: {} seed={seed} lacks the row {row} ({})", c.training, c.config))?;
            out.entry(row).or_default().push((seed, r.clone()));
        }
    }
    Ok((out, store))
}

/// The best setting of one row so far.
struct Chosen {
    config: String,
    /// The trained network's setting (without the row's latent-OCSVM ν).
    training: String,
    val_auroc: f64,
    test: Vec<f64>,
}

/// The validation choice of every row over the finished networks (grid order, so ties keep the
/// first): row → (unit index, row index within the unit).
fn choices(store: &UnitStore<TrainedModel>, trainings: &[Training]) -> BTreeMap<String, (usize, usize, f64)> {
    let mut best: BTreeMap<String, (usize, usize, f64)> = BTreeMap::new();
    for t in trainings {
        let Some(u) = store.units.iter().position(|u| u.config == t.config()) else { continue };
        for (r, rs) in store.units[u].rows.iter().enumerate() {
            let v = rs.val_auroc.expect("validation AUROC is filled in on open and after training");
            if best.get(&rs.row).is_none_or(|&(_, _, b)| v > b) {
                best.insert(rs.row.clone(), (u, r, v));
            }
        }
    }
    best
}

/// Fills in validation AUROCs of files that kept validation scores, drops the test scores of
/// every row setting that is not (or no longer) its row's validation choice, and saves.
fn compact(store: &mut UnitStore<TrainedModel>, trainings: &[Training], val_labels: &[u8]) -> Result<()> {
    for u in &mut store.units {
        for r in &mut u.rows {
            if r.val_auroc.is_none() {
                r.val_auroc = Some(oneclass_metrics::auroc(&r.val, val_labels).with_context(|| format!("results.json: validation scores of {:?}", r.config))?);
            }
            r.val = Vec::new();
        }
    }
    let keep: Vec<(usize, usize)> = choices(store, trainings).values().map(|&(u, r, _)| (u, r)).collect();
    for (ui, u) in store.units.iter_mut().enumerate() {
        for (ri, r) in u.rows.iter_mut().enumerate() {
            if !keep.contains(&(ui, ri)) {
                r.test = Vec::new();
            }
        }
    }
    store.save()
}

fn slug(row: &str) -> String {
    row.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect()
}

/// A 256×256 grey PNG of the ROC curve (black), with the chance diagonal (light grey).
fn roc_png(path: &Path, fpr: &[f64], tpr: &[f64]) -> Result<()> {
    const S: usize = 256;
    let mut img = vec![255u8; S * S];
    let mut plot = |x: f64, y: f64, v: u8| {
        let c = (x.clamp(0.0, 1.0) * (S - 1) as f64).round() as usize;
        let r = ((1.0 - y.clamp(0.0, 1.0)) * (S - 1) as f64).round() as usize;
        img[r * S + c] = img[r * S + c].min(v);
    };
    for i in 0..S {
        let t = i as f64 / (S - 1) as f64;
        plot(t, t, 200);
        for (x, y) in [(t, 0.0), (t, 1.0), (0.0, t), (1.0, t)] {
            plot(x, y, 120);
        }
    }
    for w in fpr.iter().zip(tpr).collect::<Vec<_>>().windows(2) {
        let ((x0, y0), (x1, y1)) = ((*w[0].0, *w[0].1), (*w[1].0, *w[1].1));
        let steps = (((x1 - x0).abs().max((y1 - y0).abs())) * 2.0 * S as f64).ceil().max(1.0) as usize;
        for k in 0..=steps {
            let t = k as f64 / steps as f64;
            plot(x0 + t * (x1 - x0), y0 + t * (y1 - y0), 0);
        }
    }
    oneclass_data::images::png_folder::write_png(path, 1, S, S, &img)?;
    Ok(())
}

/// Restricts MNIST to the first `k` images of every digit (quick mode). Every digit, not only
/// the pair, so that an image's index (which seeds its corruption) does not depend on the pair.
fn first_of(set: &ImageSet, k: usize) -> ImageSet {
    let mut idx: Vec<usize> = (0..10).flat_map(|d| set.indices_of_class(d).into_iter().take(k)).collect();
    idx.sort_unstable();
    set.subset(&idx)
}

/// A trained network and how long its training took (when it was loaded, the original training).
struct Network {
    model: DeepModel,
    seconds: f64,
    loaded: bool,
}

/// What `--models` keeps beside each network: its setting and its training time.
#[derive(Serialize, Deserialize)]
struct NetworkRecord {
    config: String,
    seconds: f64,
}

/// Fingerprint of everything a network's training depends on besides its setting: the training
/// and early-stopping images, the seed and the mode. Not the training code: remove the models
/// folder after upgrading oneclass.
fn training_fingerprint(train: &Samples, early: &Samples, seed: u64, quick: bool) -> String {
    let mut bytes: Vec<u8> = Vec::with_capacity(4 * (train.values.len() + early.values.len()) + 32);
    for s in [train, early] {
        bytes.extend((s.n as u64).to_le_bytes());
        bytes.extend(s.values.iter().flat_map(|v| v.to_le_bytes()));
    }
    bytes.extend(seed.to_le_bytes());
    bytes.push(u8::from(quick));
    oneclass_deep::fnv64(&bytes)
}

/// Loads the network of `config` from `dir` when one was trained on the same data, otherwise
/// trains it and saves it there.
fn obtain_network(t: &Training, config: &str, a: &OgaeBenchArgs, seed: u64, train: &Samples, early: &Samples, dir: &Path, fingerprint: &str) -> Result<Network> {
    let stem = format!("{}.{fingerprint}", slug(config));
    let (model_path, record_path) = (dir.join(format!("{stem}.json")), dir.join(format!("{stem}.train.json")));
    if record_path.exists() {
        let record: NetworkRecord = serde_json::from_str(&std::fs::read_to_string(&record_path).with_context(|| format!("{}: cannot read", record_path.display()))?)
            .with_context(|| format!("{}: expected {{\"config\", \"seconds\"}}", record_path.display()))?;
        if record.config != config {
            bail!("{}: field \"config\" is {:?}, expected {config:?}", record_path.display(), record.config);
        }
        let model = DeepModel::load(&model_path, DeviceKind::Cpu).with_context(|| format!("loading the trained network {config}"))?;
        return Ok(Network { model, seconds: record.seconds, loaded: true });
    }
    let mut h = Hyper::defaults(t.method);
    for (k, v) in shared_settings(t.method, a.quick).iter().map(|(k, v)| (*k, v.as_str())).chain(t.sets.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
        h.set(t.method, k, v).with_context(|| format!("{} {k}={v}", t.method.name()))?;
    }
    let t0 = Instant::now();
    let mut model = DeepModel::fit(t.method, &h, FitData { train, labels: None, val: Some(early) }, seed, DeviceKind::Cpu, &TrainOptions::default()).with_context(|| format!("fitting {config}"))?;
    let seconds = t0.elapsed().as_secs_f64();
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create the models folder", dir.display()))?;
    model.save(&model_path).with_context(|| format!("saving {}", model_path.display()))?;
    crate::io::write_text(&record_path, &serde_json::to_string(&NetworkRecord { config: config.into(), seconds })?)?;
    Ok(Network { model, seconds, loaded: false })
}

/// Scores the validation and test sets for each table row a trained network feeds.
fn score_rows(t: &Training, config: &str, a: &OgaeBenchArgs, net: Network, [train, val, test]: [&Samples; 3], val_labels: &[u8]) -> Result<TrainedModel> {
    let Network { mut model, seconds, .. } = net;
    let mut rows = Vec::new();
    let mut push = |row: &str, config: String, [val, test]: [Vec<f64>; 2]| -> Result<()> {
        let val_auroc = oneclass_metrics::auroc(&val, val_labels)?;
        eprintln!("  {row:<12} {config}: validation AUROC {val_auroc:.4}");
        rows.push(RowScores { row: row.into(), config, val_auroc: Some(val_auroc), val: Vec::new(), test });
        Ok(())
    };
    let own = |m: &DeepModel| -> Result<[Vec<f64>; 2]> { Ok([m.score(val)?, m.score(test)?]) };
    match t.method {
        Method::Ae | Method::Vae | Method::Sae => {
            let (recons, ocsvm) = match t.method {
                Method::Ae => ("AE recons", "AE ocsvm"),
                Method::Vae => ("VAE recons", "VAE ocsvm"),
                _ => ("SAE recons", "SAE ocsvm"),
            };
            push(recons, config.into(), own(&model)?)?;
            for nu in LATENT_NUS.iter().take(if a.quick { 1 } else { LATENT_NUS.len() }) {
                push(ocsvm, format!("{config} ocsvm_nu={nu}"), latent_ocsvm(&model, train, [val, test], nu.parse()?)?)?;
            }
        }
        Method::Ogae => {
            if let Some(log) = model.meta.ogae.as_ref().and_then(|i| i.epochs.last()) {
                eprintln!("  last epoch: recon {:.5}, OCSVM term {:.5}, SV {:.1} (free {:.1}), degenerate {}/{}, pairwise MSE {:.4}", log.recon, log.ocsvm_term, log.support_vectors, log.free_support_vectors, log.degenerate_batches, log.batches, log.pairwise_mse);
            }
            push("OgAE ocsvm", config.into(), own(&model)?)?;
            model.meta.hyper.score = AeScore::Recon;
            push("OgAE recons", config.into(), own(&model)?)?;
        }
        Method::DeepSvdd => {
            let row = if t.sets.iter().any(|(_, v)| v == "soft-boundary") { "s-DSVDD" } else { "h-DSVDD" };
            push(row, config.into(), own(&model)?)?;
        }
        Method::Dspsvdd => push("DSPSVDD", config.into(), own(&model)?)?,
        Method::Dvaesvdd => push("DVAESVDD", config.into(), own(&model)?)?,
        other => bail!("{} is not in table I", other.name()),
    }
    Ok(TrainedModel { config: config.into(), seconds, epochs: model.meta.history.len(), rows })
}

/// The report's weight-seed tables: pooled test metrics and AUROC within each corruption, mean ±
/// std over the seeds, per row.
fn weight_seed_section(rows: &[&'static str], per_seed: &SeedRows, pair: (u16, u16), corruption_name: &dyn Fn(i64) -> &'static str) -> String {
    let pm = |v: &[f64]| {
        let (m, s) = crate::bench_common::mean_std(v);
        format!("{m:.3} ± {s:.3}")
    };
    let mut md = String::from("\nEach row's chosen setting trained with other weight seeds (same task and data; the choice is not redone): test metrics, mean ± std over the seeds.\n\n| model | seeds | AUROC | AUPR | AUROC30 | AUROC min – max | validation AUROC | published AUROC |\n|---|---|---|---|---|---|---|---|\n");
    for &row in rows {
        let runs = &per_seed[row];
        let metric = |k: usize| -> Vec<f64> { runs.iter().map(|r| r.1.test[k]).collect() };
        let au = metric(0);
        let (lo, hi) = au.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        let val_mean = crate::bench_common::mean_std(&runs.iter().map(|r| r.1.val_auroc).collect::<Vec<_>>()).0;
        let seeds = runs.iter().map(|r| r.0.to_string()).collect::<Vec<_>>().join(",");
        let published = published(pair, row).map_or("-".into(), |p| format!("{:.2}", p[0]));
        md.push_str(&format!("| {row} | {seeds} | {} | {} | {} | {lo:.3} – {hi:.3} | {val_mean:.3} | {published} |\n", pm(&au), pm(&metric(1)), pm(&metric(2))));
    }
    let columns: Vec<String> = per_seed.values().next().map_or(vec![], |runs| runs[0].1.by_corruption.iter().map(|&(g, _)| corruption_name(g).to_string()).collect());
    md.push_str(&format!("\nAUROC within each test corruption over the same seeds, mean ± std:\n\n| model | {} |\n|---|{}\n", columns.join(" | "), "---|".repeat(columns.len())));
    for &row in rows {
        let runs = &per_seed[row];
        let cells: Vec<String> = (0..columns.len()).map(|k| pm(&runs.iter().map(|r| r.1.by_corruption[k].1).collect::<Vec<_>>())).collect();
        md.push_str(&format!("| {row} | {} |\n", cells.join(" | ")));
    }
    md
}

/// The MNIST-C task of `--pair`: its four splits as network inputs, their labels, and the
/// corruption of each test image.
struct Task {
    normal: u16,
    anomaly: u16,
    params: ogae_mnist_c::OgaeParams,
    train: Samples,
    early: Samples,
    val: Samples,
    test: Samples,
    val_y: Vec<u8>,
    test_y: Vec<u8>,
    test_corruption: Vec<i64>,
}

impl Task {
    fn load(a: &OgaeBenchArgs) -> Result<Task> {
        let pair: Vec<u16> = a.pair.split(',').map(|s| s.trim().parse::<u16>()).collect::<std::result::Result<_, _>>().with_context(|| format!("--pair {:?}: expected two digits such as 3,8", a.pair))?;
        let [normal, anomaly] = pair[..] else { bail!("--pair {:?}: expected two digits such as 3,8", a.pair) };
        let params = ogae_mnist_c::OgaeParams::new(normal, anomaly, a.seed);
        params.check().with_context(|| format!("--pair {:?}", a.pair))?;
        let dir = data_dir(a.data_dir.as_deref())?;
        let mut train_set = load_images(&DatasetName::Mnist, &dir, Split::Train)?;
        let mut test_set = load_images(&DatasetName::Mnist, &dir, Split::Test)?;
        if a.quick {
            train_set = first_of(&train_set, 400);
            test_set = first_of(&test_set, 150);
        }
        eprintln!("building the MNIST-C task {normal} vs {anomaly} ({} images to corrupt)…", ogae_mnist_c::total_images(&train_set, &test_set, &params));
        let proto = ogae_mnist_c::build(&train_set, &test_set, &params, &|_| {})?;
        let split = |name: &str| proto.split(name).with_context(|| format!("protocol lacks the split {name}"));
        let test_split = split("test")?;
        // AUROC inside each test corruption: the pooled AUROC also ranks whole corruptions
        // against each other, which can hide (or fake) a good ranking of digits.
        let test_corruption = test_split.extra.iter().find(|(k, _)| k == "corruption").context("the test split lacks its corruption column")?.1.clone();
        let task = Task {
            normal,
            anomaly,
            train: samples_of(&split("train")?.x)?,
            early: samples_of(&split("early_stop")?.x)?,
            val: samples_of(&split("val")?.x)?,
            test: samples_of(&test_split.x)?,
            val_y: split("val")?.y.clone(),
            test_y: test_split.y.clone(),
            test_corruption,
            params,
        };
        eprintln!("train {}, early stop {}, validation {}, test {}", task.train.n, task.early.n, task.val.n, task.test.n);
        Ok(task)
    }

    fn corruption_name(&self, id: i64) -> &'static str {
        self.params.test_corruptions.iter().find(|&&c| c as i64 == id).map_or("?", |c| c.name())
    }
}

/// Trains (or loads) every network of the grid that OUT/results.json lacks.
fn train_grid(a: &OgaeBenchArgs, task: &Task, trainings: &[Training], store: &mut UnitStore<TrainedModel>, models_dir: &Path) -> Result<()> {
    compact(store, trainings, &task.val_y)?;
    let fingerprint = training_fingerprint(&task.train, &task.early, a.seed, a.quick);
    let bar = unit_bar(trainings.len());
    for (i, t) in trainings.iter().enumerate() {
        let config = t.config();
        bar.set_message(config.clone());
        if !store.contains(&config) {
            let net = obtain_network(t, &config, a, a.seed, &task.train, &task.early, models_dir, &fingerprint)?;
            let verb = if net.loaded { "loaded (trained earlier in" } else { "trained (in" };
            let unit = score_rows(t, &config, a, net, [&task.train, &task.val, &task.test], &task.val_y)?;
            bar.suspend(|| eprintln!("[{}/{}] {config}: {verb} {:.1} s, {} epochs)", i + 1, trainings.len(), unit.seconds, unit.epochs));
            store.insert(unit);
            compact(store, trainings, &task.val_y)?;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(())
}

/// The validation choice of every row over the whole grid, with its test scores.
fn chosen_settings(store: &UnitStore<TrainedModel>, trainings: &[Training]) -> Result<BTreeMap<&'static str, Chosen>> {
    let mut best = BTreeMap::new();
    for (row, (u, r, val_auroc)) in choices(store, trainings) {
        let row = ROWS.iter().copied().find(|x| *x == row).with_context(|| format!("results.json: unknown row {row:?}"))?;
        let rs = &store.units[u].rows[r];
        if rs.test.is_empty() {
            bail!("results.json: the test scores of {:?}, the validation choice of {row}, are missing; remove the file", rs.config);
        }
        best.insert(row, Chosen { config: rs.config.clone(), training: store.units[u].config.clone(), val_auroc, test: rs.test.clone() });
    }
    Ok(best)
}

/// The chosen models' test metrics, their paired bootstrap (one per metric) and their AUROC
/// within each test corruption; rows in table order.
struct Comparison {
    rows: Vec<&'static str>,
    evals: Vec<oneclass_metrics::Evaluation>,
    /// AUROC, AUPR, AUROC30.
    boots: Vec<oneclass_metrics::stats::BootstrapComparison>,
    by_corruption: Vec<Vec<(i64, f64)>>,
}

const SIGNIFICANCE: f64 = 0.01;

fn compare(best: &BTreeMap<&'static str, Chosen>, task: &Task, resamples: usize, seed: u64) -> Result<Comparison> {
    let rows: Vec<&'static str> = ROWS.iter().copied().filter(|r| best.contains_key(r)).collect();
    let scores: Vec<&[f64]> = rows.iter().map(|r| best[r].test.as_slice()).collect();
    let boots = [Metric::Auroc, Metric::Aupr, Metric::Auroc30]
        .into_iter()
        .enumerate()
        .map(|(i, m)| paired_bootstrap(&scores, &task.test_y, m, resamples, seed.wrapping_add(i as u64)))
        .collect::<std::result::Result<_, _>>()?;
    let evals = scores.iter().map(|s| oneclass_metrics::evaluate(s, &task.test_y, None)).collect::<std::result::Result<_, _>>()?;
    let by_corruption = scores.iter().map(|s| oneclass_metrics::auroc_within_groups(s, &task.test_y, &task.test_corruption)).collect::<std::result::Result<_, _>>()?;
    Ok(Comparison { rows, evals, boots, by_corruption })
}

/// Every row's runs over `--seed` and the `--weight-seeds` (empty without the option), the
/// training seconds of the weight-seed networks and their number.
fn weight_seed_table(
    a: &OgaeBenchArgs,
    task: &Task,
    best: &BTreeMap<&'static str, Chosen>,
    cmp: &Comparison,
    trainings: &[Training],
    models_dir: &Path,
    settings: BTreeMap<String, String>,
) -> Result<(SeedRows, f64, usize)> {
    let mut weight_seeds: Vec<u64> = match &a.weight_seeds {
        Some(list) => crate::bench_common::parse_list(list, "--weight-seeds")?,
        None => Vec::new(),
    };
    let mut seen = std::collections::BTreeSet::new();
    weight_seeds.retain(|s| seen.insert(*s));
    let mut per_seed = BTreeMap::new();
    if weight_seeds.is_empty() {
        return Ok((per_seed, 0.0, 0));
    }
    let (others, seed_store) = weight_seed_runs(
        a,
        &weight_seeds,
        best,
        trainings,
        [&task.train, &task.early, &task.val, &task.test],
        [&task.val_y, &task.test_y],
        &task.test_corruption,
        models_dir,
        settings,
    )?;
    for (m, &row) in cmp.rows.iter().enumerate() {
        let e = &cmp.evals[m];
        let own = SeedRow { row: row.into(), config: best[row].config.clone(), val_auroc: best[row].val_auroc, test: [e.auroc, e.aupr, e.auroc30], by_corruption: cmp.by_corruption[m].clone() };
        let mut runs = vec![(a.seed, own)];
        runs.extend(others.get(row).cloned().unwrap_or_default());
        per_seed.insert(row, runs);
    }
    Ok((per_seed, seed_store.units.iter().map(|u| u.seconds).sum(), seed_store.units.len()))
}

/// Table I's Markdown rows (best in bold, not significantly worse underlined), results.csv and
/// the JSON entry of every chosen model; writes each model's ROC curve as a PNG.
fn model_table(a: &OgaeBenchArgs, task: &Task, best: &BTreeMap<&'static str, Chosen>, cmp: &Comparison) -> Result<(String, String, serde_json::Map<String, serde_json::Value>)> {
    let (mut md, mut models) = (String::new(), serde_json::Map::new());
    let mut csv = String::from("model,auroc,aupr,auroc30,p_bonferroni_auroc,p_bonferroni_aupr,p_bonferroni_auroc30,val_auroc,config\n");
    let pair = (task.normal, task.anomaly);
    for (m, row) in cmp.rows.iter().enumerate() {
        let e = &cmp.evals[m];
        let values = [e.auroc, e.aupr, e.auroc30];
        let cells: Vec<String> = (0..3)
            .map(|k| {
                let v = format!("{:.3}", values[k]);
                if cmp.boots[k].best == m {
                    format!("**{v}**")
                } else if cmp.boots[k].p_bonferroni[m] >= SIGNIFICANCE {
                    format!("<u>{v}</u>")
                } else {
                    v
                }
            })
            .collect();
        let pubv = published(pair, row).map_or("-".into(), |p| format!("{:.2} / {:.2} / {:.2}", p[0], p[1], p[2]));
        md.push_str(&format!("| {row} | {} | {} | {} | {pubv} |\n", cells[0], cells[1], cells[2]));
        let c = &best[row];
        let p = |k: usize| cmp.boots[k].p_bonferroni[m];
        csv.push_str(&format!("{row},{},{},{},{},{},{},{},\"{}\"\n", e.auroc, e.aupr, e.auroc30, p(0), p(1), p(2), c.val_auroc, c.config));
        let ci = |k: usize| cmp.boots[k].ci95[m];
        models.insert(
            row.to_string(),
            json!({
                "auroc": e.auroc, "aupr": e.aupr, "auroc30": e.auroc30,
                "p_bonferroni": { "auroc": p(0), "aupr": p(1), "auroc30": p(2) },
                "ci95": { "auroc": ci(0), "aupr": ci(1), "auroc30": ci(2) },
                "val_auroc": c.val_auroc, "config": c.config, "published": published(pair, row),
                "roc_png": format!("roc_{}.png", slug(row)),
                "auroc_by_corruption": cmp.by_corruption[m].iter().map(|&(g, v)| (task.corruption_name(g).to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
            }),
        );
        let roc = oneclass_metrics::roc_curve(&c.test, &task.test_y)?;
        roc_png(&a.out.join(format!("roc_{}.png", slug(row))), &roc.fpr, &roc.tpr)?;
    }
    let names: Vec<&str> = cmp.by_corruption.first().map_or(vec![], |b| b.iter().map(|&(g, _)| task.corruption_name(g)).collect());
    md.push_str(&format!("\nAUROC within each test corruption (the pooled AUROC above also ranks the corruptions against each other):\n\n| model | {} |\n|---|{}\n", names.join(" | "), "---|".repeat(names.len())));
    for (m, row) in cmp.rows.iter().enumerate() {
        md.push_str(&format!("| {row} | {} |\n", cmp.by_corruption[m].iter().map(|(_, v)| format!("{v:.3}")).collect::<Vec<_>>().join(" | ")));
    }
    Ok((md, csv, models))
}

/// The weight-seed section of the Markdown, its entries in the models' JSON, and
/// OUT/weight_seeds.csv.
fn weight_seed_outputs(a: &OgaeBenchArgs, task: &Task, rows: &[&'static str], per_seed: &SeedRows, models: &mut serde_json::Map<String, serde_json::Value>) -> Result<String> {
    let corruption_name = |id: i64| task.corruption_name(id);
    let md = weight_seed_section(rows, per_seed, (task.normal, task.anomaly), &corruption_name);
    let mut seed_csv = String::from("model,seed,config,val_auroc,auroc,aupr,auroc30\n");
    let summary = |values: Vec<f64>| {
        let (m, s) = crate::bench_common::mean_std(&values);
        json!({ "values": values, "mean": m, "std": s })
    };
    for &row in rows {
        let runs = &per_seed[row];
        for (seed, r) in runs {
            seed_csv.push_str(&format!("{row},{seed},\"{}\",{},{},{},{}\n", r.config, r.val_auroc, r.test[0], r.test[1], r.test[2]));
        }
        if let Some(entry) = models.get_mut(row) {
            entry["weight_seeds"] = json!({
                "seeds": runs.iter().map(|r| r.0).collect::<Vec<_>>(),
                "val_auroc": runs.iter().map(|r| r.1.val_auroc).collect::<Vec<_>>(),
                "auroc": summary(runs.iter().map(|r| r.1.test[0]).collect()),
                "aupr": summary(runs.iter().map(|r| r.1.test[1]).collect()),
                "auroc30": summary(runs.iter().map(|r| r.1.test[2]).collect()),
                "auroc_by_corruption": runs[0].1.by_corruption.iter().enumerate().map(|(k, &(g, _))| {
                    (task.corruption_name(g).to_string(), summary(runs.iter().map(|r| r.1.by_corruption[k].1).collect()))
                }).collect::<serde_json::Map<_, _>>(),
            });
        }
    }
    crate::io::write_text(&a.out.join("weight_seeds.csv"), &seed_csv)?;
    Ok(md)
}

pub fn run(a: OgaeBenchArgs) -> Result<()> {
    let start = Instant::now();
    if a.resamples == 0 {
        bail!("--resamples must be ≥ 1");
    }
    let task = Task::load(&a)?;
    let (normal, anomaly) = (task.normal, task.anomaly);
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let settings: BTreeMap<String, String> =
        [("pair", format!("{normal},{anomaly}")), ("seed", a.seed.to_string()), ("quick", a.quick.to_string())].into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    let mut store: UnitStore<TrainedModel> = UnitStore::open(&a.out, "ogae-mnist-c", settings)?;
    let trainings = grid(a.quick);
    let models_dir = a.models.clone().unwrap_or_else(|| a.out.join("models"));
    train_grid(&a, &task, &trainings, &mut store, &models_dir)?;
    let best = chosen_settings(&store, &trainings)?;
    let cmp = compare(&best, &task, a.resamples, a.seed)?;
    // The chosen settings again with other weight seeds: --seed's numbers first.
    let (per_seed, seed_seconds, seed_networks) = weight_seed_table(&a, &task, &best, &cmp, &trainings, &models_dir, store.settings.clone())?;
    let model_seconds = store.units.iter().map(|u| u.seconds).sum::<f64>() + seed_seconds;

    let overhead_hyper = {
        let mut h = Hyper::defaults(Method::Ogae);
        h.set(Method::Ogae, "net", "ogae-mnist")?;
        h
    };
    let overhead = oneclass_deep::ogae_step_overhead(&task.train, &overhead_hyper, if a.quick { 10 } else { 50 }, a.seed)?;
    let wall = start.elapsed().as_secs_f64();

    let mut md = format!(
        "Seed 001 {} — {normal} vs {anomaly} under corruption (test n = {}, {} anomalies). Best in **bold**; <u>underlined</u>: not significantly worse than the best (paired bootstrap, {} resamples, Bonferroni, p ≥ {SIGNIFICANCE}).{}\n\n| {normal} vs {anomaly} | AUROC | AUPR | AUROC30 | published AUROC / AUPR / AUROC30 |\n|---|---|---|---|---|\n",
        if (normal, anomaly) == (3, 4) { "table IV" } else { "table I" },
        task.test.n,
        task.test_y.iter().filter(|&&y| y == 1).count(),
        a.resamples,
        if a.quick { " **Quick smoke run (subset, 2 epochs): not comparable to the paper.**" } else { "" }
    );
    let (rows_md, csv, mut models) = model_table(&a, &task, &best, &cmp)?;
    md.push_str(&rows_md);
    if !per_seed.is_empty() {
        md.push_str(&weight_seed_outputs(&a, &task, &cmp.rows, &per_seed, &mut models)?);
    }
    md.push_str(&format!(
        "\nChosen settings by validation AUROC are in results.csv. Seed {}; {} trained networks of the grid{}, {:.0} s of training in all (this invocation {:.0} s). OgAE step {:.1} ms vs AE step {:.1} ms (batch {}): ratio {:.3}.\n",
        a.seed, store.units.len(), if seed_networks > 0 { format!(" and {seed_networks} of the weight seeds") } else { String::new() }, model_seconds, wall, overhead.ogae_seconds_per_step * 1e3, overhead.ae_seconds_per_step * 1e3, overhead.batch_size, overhead.ratio
    ));
    let report = json!({
        "benchmark": "ogae-mnist-c",
        "pair": [normal, anomaly],
        "quick": a.quick,
        "seed": a.seed,
        "resamples": a.resamples,
        "significance": SIGNIFICANCE,
        "counts": { "train": task.train.n, "early_stop": task.early.n, "val": task.val.n, "test": task.test.n },
        "models": models,
        "best": { "auroc": cmp.rows[cmp.boots[0].best], "aupr": cmp.rows[cmp.boots[1].best], "auroc30": cmp.rows[cmp.boots[2].best] },
        "overhead": overhead,
        "wall_seconds": wall,
        "training_seconds": model_seconds,
    });
    crate::io::write_text(&a.out.join("table.md"), &md)?;
    crate::io::write_text(&a.out.join("results.csv"), &csv)?;
    crate::io::write_text(&a.out.join("report.json"), &serde_json::to_string_pretty(&report)?)?;
    print!("{md}");
    println!("written to {} (table.md, results.csv, report.json, roc_*.png)", a.out.display());
    Ok(())
}
