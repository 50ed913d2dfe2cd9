//! `oneclass bench sad-scenarios`: seed 004's three semi-supervised scenarios on MNIST
//! (tables 1–3), one-vs-rest with each digit as the normal class, AUROC mean ± std over all
//! (normal class, seed) runs as in the paper.
//!
//! - (i) labeled ratio γ_l ∈ {0, 1, 5, 10, 20} %, labeled anomalies from one known class, no
//!   pollution;
//! - (ii) pollution γ_p ∈ {0, 1, 5, 10, 20} % of the unlabeled part, γ_l = 5 % from one class;
//! - (iii) 0, 1, 2, 3, 5 known anomaly classes, γ_l = 5 %, γ_p = 10 %.
//!
//! Columns: soft-boundary and one-class Deep SVDD (unsupervised: they train on the unlabeled
//! part only), soft-boundary and one-class SS-DSVDD (`deep-sad`, eqs. 3 and 4, η = 1) and the
//! supervised classifier (unlabeled = normal). Settings from the seed's appendix: Adam, lr 1e-4 for 50 epochs then 1e-5
//! for 100, batch 200, weight decay 0.5e-6, AE pre-training for the Deep SVDD variants
//! (150 epochs, ×0.1 at 50, weight decay 0.5e-3), ν = 0.1 (the seed also tries 0.01 and reports
//! the better on test data; we do not select on test data); pixels in [0, 1].
//!
//! Units whose data are identical are trained once: without pollution the unlabeled part is the
//! whole normal class for every γ_l, so the unsupervised baselines of (i) and of (ii) at 0 %
//! are one model, and (ii) at γ_p = 0 shares its SS-DSVDD / classifier with (i) at 5 %. As in
//! the paper (equal numbers in its tables 2 and 3), row 0 of (iii) is the unsupervised
//! baseline of (ii) at 10 % pollution. Each finished unit is kept in OUT/results.json and the
//! unit in progress keeps epoch checkpoints under OUT/checkpoints, so a second run continues.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use oneclass_data::images::named::{data_dir, load_images, DatasetName, Split};
use oneclass_data::images::ImageSet;
use oneclass_data::protocols::{deep_sad, Features};
use oneclass_deep::{DeepModel, DeviceKind, FitData, Hyper, Method, Samples, TrainOptions};
use serde::{Deserialize, Serialize};

use crate::bench_common::{self as common, Unit, UnitStore};

#[derive(Args)]
pub struct SadScenariosArgs {
    /// Scenarios: i (labeled ratio), ii (pollution), iii (known anomaly classes).
    #[arg(long, default_value = "i,ii,iii")]
    pub scenarios: String,
    /// Normal classes (default 0,…,9; with --quick 1).
    #[arg(long)]
    pub classes: Option<String>,
    /// Seeds per normal class (default 0,…,9 as the paper; with --quick 0).
    #[arg(long)]
    pub seeds: Option<String>,
    /// Smoke run: 1,000 training images, 2,000 test images, 2 + 2 epochs, two levels of (i)
    /// and (iii) and one of (ii).
    #[arg(long)]
    pub quick: bool,
    #[command(flatten)]
    pub run: common::RunArgs,
}

/// What a training set is made of (the Deep SAD protocol's parameters).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Setting {
    labeled: f64,
    pollution: f64,
    known_classes: usize,
}

impl Setting {
    fn new(labeled: f64, pollution: f64, known_classes: usize) -> Self {
        Setting { labeled, pollution, known_classes }
    }

    /// The setting whose unlabeled part an unsupervised baseline trains on: without pollution
    /// the unlabeled part is the whole normal class whatever the labels.
    fn unsupervised(self) -> Self {
        if self.pollution == 0.0 {
            Setting::new(0.0, 0.0, 0)
        } else {
            self
        }
    }

    fn key(self) -> String {
        format!("labeled{}/pollution{}/known{}", self.labeled, self.pollution, self.known_classes)
    }
}

/// The table columns (seed 004 tables 1–3).
const COLUMNS: [&str; 5] = ["soft-dsvdd", "oc-dsvdd", "soft-ss-dsvdd", "oc-ss-dsvdd", "classifier"];

fn column_title(c: &str) -> &'static str {
    match c {
        "soft-dsvdd" => "Soft DSVDD",
        "oc-dsvdd" => "One-class DSVDD",
        "soft-ss-dsvdd" => "Soft SS-DSVDD",
        "oc-ss-dsvdd" => "One-class SS-DSVDD",
        "classifier" => "Supervised classifier",
        _ => "?",
    }
}

struct Level {
    label: String,
    setting: Setting,
}

fn scenario_title(s: &str) -> &'static str {
    match s {
        "i" => "(i) ratio of labeled anomalies (table 1)",
        "ii" => "(ii) pollution of the unlabeled part, 5 % labeled (table 2)",
        "iii" => "(iii) number of known anomaly classes, 5 % labeled, 10 % pollution (table 3)",
        _ => "?",
    }
}

fn levels(scenario: &str, quick: bool) -> Result<Vec<Level>> {
    let pct = |r: f64| format!("{} %", (100.0 * r).round());
    Ok(match scenario {
        "i" => {
            let ratios: &[f64] = if quick { &[0.0, 0.05] } else { &[0.0, 0.01, 0.05, 0.10, 0.20] };
            ratios.iter().map(|&r| Level { label: pct(r), setting: Setting::new(r, 0.0, usize::from(r > 0.0)) }).collect()
        }
        "ii" => {
            let ratios: &[f64] = if quick { &[0.10] } else { &[0.0, 0.01, 0.05, 0.10, 0.20] };
            ratios.iter().map(|&p| Level { label: pct(p), setting: Setting::new(0.05, p, 1) }).collect()
        }
        "iii" => {
            let counts: &[usize] = if quick { &[0, 2] } else { &[0, 1, 2, 3, 5] };
            counts.iter().map(|&k| Level { label: k.to_string(), setting: Setting::new(if k > 0 { 0.05 } else { 0.0 }, 0.10, k) }).collect()
        }
        other => bail!("--scenarios: unknown scenario {other:?}; expected i, ii or iii"),
    })
}

/// The model behind a cell: (method, training setting), and whether it merely repeats the
/// unsupervised model (no labels → SS-DSVDD is one-class Deep SVDD).
fn cell_job(scenario: &str, s: Setting, column: &str) -> Option<(&'static str, Setting, bool)> {
    let unsupervised_setting = match scenario {
        "i" => (s.labeled == 0.0).then_some(Setting::new(0.0, 0.0, 0)),
        "ii" => Some(s.unsupervised()),
        // Row 0 of table 3 is table 2's unsupervised baseline at 10 % pollution.
        _ => (s.known_classes == 0).then_some(Setting::new(0.05, 0.10, 1).unsupervised()),
    };
    match column {
        "soft-dsvdd" => unsupervised_setting.map(|u| ("soft-dsvdd", u, false)),
        "oc-dsvdd" => unsupervised_setting.map(|u| ("oc-dsvdd", u, false)),
        "oc-ss-dsvdd" if s.labeled > 0.0 => Some(("oc-ss-dsvdd", s, false)),
        "oc-ss-dsvdd" => unsupervised_setting.map(|u| ("oc-dsvdd", u, true)),
        "soft-ss-dsvdd" if s.labeled > 0.0 => Some(("soft-ss-dsvdd", s, false)),
        "soft-ss-dsvdd" => unsupervised_setting.map(|u| ("soft-dsvdd", u, true)),
        "classifier" if s.labeled > 0.0 => Some(("classifier", s, false)),
        _ => None,
    }
}

/// Seed 004's MNIST numbers (AUROC %, mean and std over 100 runs) for a cell.
fn published(scenario: &str, level: &str, column: &str) -> Option<(f64, f64)> {
    let col = COLUMNS.iter().position(|c| *c == column)?;
    // Columns: soft DSVDD, one-class DSVDD, soft SS-DSVDD, one-class SS-DSVDD, classifier.
    type Row = (&'static str, [Option<(f64, f64)>; 5]);
    let n = None;
    let table: &[Row] = match scenario {
        "i" => &[
            ("0 %", [Some((94.1, 1.0)), Some((95.0, 0.8)), Some((94.1, 1.0)), Some((95.0, 0.8)), n]),
            ("1 %", [n, n, Some((94.1, 1.1)), Some((96.2, 0.8)), Some((90.1, 4.0))]),
            ("5 %", [n, n, Some((94.7, 1.2)), Some((96.8, 0.9)), Some((92.6, 3.4))]),
            ("10 %", [n, n, Some((95.0, 1.2)), Some((97.0, 1.0)), Some((93.0, 3.2))]),
            ("20 %", [n, n, Some((95.3, 1.2)), Some((97.1, 1.0)), Some((93.8, 2.6))]),
        ],
        "ii" => &[
            ("0 %", [Some((94.1, 1.0)), Some((95.0, 0.8)), Some((94.7, 1.2)), Some((96.8, 0.9)), Some((92.6, 3.4))]),
            ("1 %", [Some((90.3, 1.6)), Some((94.4, 0.8)), Some((89.9, 3.9)), Some((96.0, 0.9)), Some((90.3, 4.2))]),
            ("5 %", [Some((86.6, 1.6)), Some((92.1, 1.2)), Some((85.9, 2.3)), Some((94.4, 1.3)), Some((85.5, 5.4))]),
            ("10 %", [Some((83.2, 1.6)), Some((89.6, 1.4)), Some((82.7, 1.8)), Some((92.4, 1.4)), Some((82.4, 6.4))]),
            ("20 %", [Some((79.3, 1.5)), Some((85.5, 1.5)), Some((78.9, 1.5)), Some((88.9, 1.5)), Some((78.2, 7.6))]),
        ],
        "iii" => &[
            ("0", [Some((83.2, 1.6)), Some((89.6, 1.4)), Some((83.2, 1.6)), Some((89.6, 1.4)), n]),
            ("1", [n, n, Some((82.7, 1.8)), Some((92.4, 1.4)), Some((82.4, 6.4))]),
            ("2", [n, n, Some((83.9, 1.6)), Some((93.7, 1.4)), Some((89.7, 3.0))]),
            ("3", [n, n, Some((84.7, 1.6)), Some((94.6, 1.3)), Some((92.6, 2.5))]),
            ("5", [n, n, Some((85.4, 1.4)), Some((95.5, 1.2)), Some((96.2, 1.0))]),
        ],
        _ => return None,
    };
    table.iter().find(|(l, _)| *l == level).and_then(|(_, row)| row[col])
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct SadUnit {
    method: String,
    ratio_known_anomaly: f64,
    ratio_pollution: f64,
    n_known_classes: usize,
    normal_class: u16,
    seed: u64,
    /// The known anomaly classes the protocol drew.
    known_classes: Vec<u16>,
    auroc: f64,
    n_train: usize,
    n_labeled_anomalies: usize,
    n_pollution: usize,
    epochs: usize,
    seconds_per_epoch: f64,
    seconds: f64,
}

impl Unit for SadUnit {
    fn key(&self) -> String {
        unit_key(&self.method, Setting::new(self.ratio_known_anomaly, self.ratio_pollution, self.n_known_classes), self.normal_class, self.seed)
    }
}

fn unit_key(method: &str, s: Setting, class: u16, seed: u64) -> String {
    format!("{method}/{}/class{class}/seed{seed}", s.key())
}

/// Each method's trainer and hyper-parameters, by table name.
type MethodHypers = BTreeMap<&'static str, (Method, Hyper)>;

/// Hyper-parameters of the four methods (seed 004 appendix C).
fn hypers(quick: bool, overrides: &[String]) -> Result<(MethodHypers, Vec<(String, String)>)> {
    let mut oc = Hyper::defaults(Method::DeepSvdd);
    let mut soft = Hyper::defaults(Method::DeepSvdd);
    soft.set(Method::DeepSvdd, "objective", "soft-boundary")?;
    let mut ss = Hyper::defaults(Method::DeepSad);
    // "We always use a batch size of 200."
    ss.set(Method::DeepSad, "batch_size", "200")?;
    let mut soft_ss = ss.clone();
    soft_ss.set(Method::DeepSad, "objective", "soft-boundary")?;
    let mut cls = Hyper::defaults(Method::Classifier);
    let mut list: Vec<(Method, &mut Hyper)> =
        vec![(Method::DeepSvdd, &mut oc), (Method::DeepSvdd, &mut soft), (Method::DeepSad, &mut ss), (Method::DeepSad, &mut soft_ss), (Method::Classifier, &mut cls)];
    if quick {
        let quick_set: Vec<String> = ["epochs=2", "milestones=1", "pretrain_epochs=2", "pretrain_milestones=1"].iter().map(|s| s.to_string()).collect();
        common::apply_shared_settings(&mut list, &quick_set)?;
    }
    let applied = common::apply_shared_settings(&mut list, overrides)?;
    for (m, h) in &list {
        h.validate(*m)?;
    }
    let map = BTreeMap::from([
        ("oc-dsvdd", (Method::DeepSvdd, oc)),
        ("soft-dsvdd", (Method::DeepSvdd, soft)),
        ("oc-ss-dsvdd", (Method::DeepSad, ss)),
        ("soft-ss-dsvdd", (Method::DeepSad, soft_ss)),
        ("classifier", (Method::Classifier, cls)),
    ]);
    Ok((map, applied))
}

/// `n` evenly spaced rows of `0..total` (all of them when total ≤ n).
fn evenly_spaced(total: usize, n: usize) -> Vec<usize> {
    if total <= n {
        return (0..total).collect();
    }
    (0..n).map(|i| i * total / n).collect()
}

/// The training data of one (class, seed, setting).
struct TrainData {
    samples: Samples,
    semi: Vec<i8>,
    /// 1 for unlabeled anomalies (pollution).
    y: Vec<u8>,
    known_classes: Vec<u16>,
}

fn build_train(train_set: &ImageSet, test_set: &ImageSet, s: Setting, class: u16, seed: u64, quick: bool) -> Result<TrainData> {
    let p = deep_sad::DeepSadParams { normal_class: class, ratio_known_normal: 0.0, ratio_known_anomaly: s.labeled, ratio_pollution: s.pollution, n_known_classes: s.known_classes, seed };
    let proto = deep_sad::build("mnist", train_set, test_set, &p).with_context(|| format!("normal class {class}, seed {seed}, {}", s.key()))?;
    let split = proto.split("train").context("the deep-sad protocol has no train split")?;
    let semi = split.semi_target.clone().context("the deep-sad protocol has no semi_target")?;
    let known_classes: Vec<u16> = serde_json::from_value(proto.parameters["known_classes"].clone()).context("protocol parameter known_classes")?;
    let Features::Images { .. } = &split.x else { bail!("expected images") };
    let mut samples = common::samples_of(&split.x)?;
    let (mut semi, mut y) = (semi, split.y.clone());
    if quick {
        let keep = evenly_spaced(samples.n, 1000);
        samples = samples.subset(&keep);
        semi = keep.iter().map(|&i| semi[i]).collect();
        y = keep.iter().map(|&i| y[i]).collect();
    }
    Ok(TrainData { samples, semi, y, known_classes })
}

fn fit_and_score(method: &str, hyper: &(Method, Hyper), data: &TrainData, test: &Samples, y_test: &[u8], seed: u64, device: DeviceKind, checkpoint: &Path) -> Result<(f64, DeepModel, usize)> {
    let (m, h) = hyper;
    let unlabeled: Vec<usize> = (0..data.semi.len()).filter(|&i| data.semi[i] != -1).collect();
    let (train, labels) = if matches!(m, Method::DeepSad | Method::Classifier) {
        (data.samples.clone(), Some(data.semi.clone()))
    } else {
        (data.samples.subset(&unlabeled), None)
    };
    let opts = TrainOptions { checkpoint: Some(checkpoint.to_path_buf()), resume: true, progress: false, stop_after_epochs: None };
    let model = DeepModel::fit(*m, h, FitData { train: &train, labels: labels.as_deref(), val: None }, seed, device, &opts).with_context(|| method.to_string())?;
    let scores = model.score(test)?;
    Ok((oneclass_metrics::auroc(&scores, y_test)?, model, train.n))
}

struct Cell {
    values: Vec<f64>,
    repeats_unsupervised: bool,
}

fn cell(store: &UnitStore<SadUnit>, scenario: &str, s: Setting, column: &str) -> Option<Cell> {
    let (method, setting, repeats) = cell_job(scenario, s, column)?;
    let prefix = format!("{method}/{}/", setting.key());
    let values = store.units.iter().filter(|u| u.key().starts_with(&prefix)).map(|u| u.auroc).collect();
    Some(Cell { values, repeats_unsupervised: repeats })
}

fn write_outputs(a: &SadScenariosArgs, store: &UnitStore<SadUnit>, scenarios: &[String], run_seconds: f64) -> Result<()> {
    let mut md = String::from("# Seed 004 semi-supervised scenarios on MNIST: test AUROC (%) mean ± std over (normal class, seed) runs\n\n");
    if a.quick {
        md += "**Quick smoke run (1,000 training images, 2,000 test images, 2 + 2 epochs, one class): not comparable to the paper.**\n\n";
    }
    let classes: std::collections::BTreeSet<u16> = store.units.iter().map(|u| u.normal_class).collect();
    let seeds: std::collections::BTreeSet<u64> = store.units.iter().map(|u| u.seed).collect();
    md += &format!("Normal classes in the results: {classes:?}; seeds: {seeds:?}. Cells: ours (runs) / paper (100 runs).\n\n");
    let mut summary = serde_json::Map::new();
    for sc in scenarios {
        let mut header = vec![if sc == "iii" { "known classes".to_string() } else if sc == "ii" { "pollution".to_string() } else { "labeled".to_string() }];
        header.extend(COLUMNS.iter().map(|c| column_title(c).to_string()));
        let mut rows = Vec::new();
        let mut per_level = serde_json::Map::new();
        for level in levels(sc, a.quick)? {
            let mut row = vec![level.label.clone()];
            let mut per_col = serde_json::Map::new();
            for c in COLUMNS {
                let paper = published(sc, &level.label, c);
                let text = match cell(store, sc, level.setting, c) {
                    None => "".to_string(),
                    Some(cell) => {
                        let (m, sd) = common::mean_std(&cell.values);
                        per_col.insert(c.to_string(), serde_json::json!({"mean": m, "std": sd, "runs": cell.values.len(), "same_model_as_unsupervised": cell.repeats_unsupervised, "paper_mean": paper.map(|p| p.0), "paper_std": paper.map(|p| p.1)}));
                        let ours = if cell.values.is_empty() { "–".to_string() } else { format!("{} ({})", common::percent_pm(&cell.values), cell.values.len()) };
                        let mark = if cell.repeats_unsupervised { "†" } else { "" };
                        format!("{ours}{mark} / {}", paper.map_or("–".to_string(), |(pm, ps)| format!("{pm:.1} ± {ps:.1}")))
                    }
                };
                row.push(text);
            }
            rows.push(row);
            per_level.insert(level.label.clone(), serde_json::Value::Object(per_col));
        }
        md += &format!("## {}\n\n", scenario_title(sc));
        md += &common::markdown_table(&header, &rows);
        md += "\n";
        summary.insert(sc.clone(), serde_json::Value::Object(per_level));
    }
    md += "† no labeled anomalies: SS-DSVDD is Deep SVDD of the same objective (the same model, as in the paper).\n";
    let total: f64 = store.units.iter().map(|u| u.seconds).sum();
    md += &common::timing_line(store.units.len(), total, run_seconds);
    let csv_rows: Vec<Vec<String>> = store
        .units
        .iter()
        .map(|u| {
            vec![
                u.method.clone(),
                u.ratio_known_anomaly.to_string(),
                u.ratio_pollution.to_string(),
                u.n_known_classes.to_string(),
                u.normal_class.to_string(),
                u.seed.to_string(),
                u.known_classes.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" "),
                u.auroc.to_string(),
                u.n_train.to_string(),
                u.n_labeled_anomalies.to_string(),
                u.n_pollution.to_string(),
                u.epochs.to_string(),
                format!("{:.3}", u.seconds_per_epoch),
                format!("{:.1}", u.seconds),
            ]
        })
        .collect();
    let csv = common::csv_text(
        &["method", "ratio_known_anomaly", "ratio_pollution", "n_known_classes", "normal_class", "seed", "known_classes", "auroc", "n_train", "n_labeled_anomalies", "n_pollution", "epochs", "seconds_per_epoch", "seconds"],
        &csv_rows,
    );
    let report = serde_json::json!({
        "benchmark": "sad-scenarios",
        "settings": store.settings,
        "scenarios": summary,
        "models": store.units.len(),
        "model_seconds_total": total,
        "run_seconds": run_seconds,
    });
    common::write_report_files(&a.run.out, &report, &md, &csv)
}

pub fn run(a: SadScenariosArgs) -> Result<()> {
    let start = Instant::now();
    let scenarios: Vec<String> = common::parse_list(&a.scenarios, "--scenarios")?;
    for s in &scenarios {
        levels(s, a.quick)?;
    }
    let classes: Vec<u16> = common::list_or_default(a.classes.as_deref(), a.quick, "1", "0,1,2,3,4,5,6,7,8,9", "--classes")?;
    if let Some(c) = classes.iter().find(|&&c| c > 9) {
        bail!("--classes: {c} is not a digit (0..9)");
    }
    let seeds: Vec<u64> = common::list_or_default(a.seeds.as_deref(), a.quick, "0", "0,1,2,3,4,5,6,7,8,9", "--seeds")?;
    let device = DeviceKind::parse(&a.run.device)?;
    let (hyper, applied) = hypers(a.quick, &a.run.set)?;
    let mut settings = BTreeMap::from([("quick".to_string(), a.quick.to_string()), ("device".to_string(), a.run.device.clone())]);
    settings.extend(applied);
    let mut store: UnitStore<SadUnit> = UnitStore::open(&a.run.out, "sad-scenarios", settings)?;

    // The distinct models the requested cells need, grouped by training data.
    let mut jobs: Vec<(Setting, &'static str)> = Vec::new();
    for sc in &scenarios {
        for level in levels(sc, a.quick)? {
            for c in COLUMNS {
                if let Some((method, setting, _)) = cell_job(sc, level.setting, c) {
                    if !jobs.contains(&(setting, method)) {
                        jobs.push((setting, method));
                    }
                }
            }
        }
    }
    let mut pending: Vec<(u16, u64, Setting, &'static str)> = Vec::new();
    for &c in &classes {
        for &seed in &seeds {
            for &(setting, method) in &jobs {
                if !store.contains(&unit_key(method, setting, c, seed)) {
                    pending.push((c, seed, setting, method));
                }
            }
        }
    }
    // Keep the models of one training set together (the protocol is built once for them).
    pending.sort_by_key(|x| (x.0, x.1, x.2.key()));

    let dir = data_dir(a.run.data_dir.as_deref())?;
    let name = DatasetName::parse("mnist")?;
    let train_set = load_images(&name, &dir, Split::Train)?;
    let test_set = load_images(&name, &dir, Split::Test)?;
    let test_rows: Vec<usize> = (0..if a.quick { test_set.n.min(2000) } else { test_set.n }).collect();
    let test = common::samples_of(&Features::from_images(&test_set, &test_rows))?;
    let checkpoints = a.run.out.join("checkpoints");
    std::fs::create_dir_all(&checkpoints).with_context(|| format!("{}: cannot create", checkpoints.display()))?;

    let bar = common::unit_bar(pending.len());
    let mut data: Option<((u16, u64, String), TrainData)> = None;
    for &(class, seed, setting, method) in &pending {
        bar.set_message(format!("class {class} seed {seed} {} {method}", setting.key()));
        let data_key = (class, seed, setting.key());
        if data.as_ref().is_none_or(|(k, _)| *k != data_key) {
            data = Some((data_key.clone(), build_train(&train_set, &test_set, setting, class, seed, a.quick)?));
        }
        let d = &data.as_ref().expect("built above").1;
        let y_test: Vec<u8> = test_rows.iter().map(|&i| u8::from(test_set.labels[i] != class)).collect();
        let t = Instant::now();
        let key = unit_key(method, setting, class, seed);
        let ckpt = checkpoints.join(key.replace('/', "_"));
        let (auroc, model, n_train) = fit_and_score(method, &hyper[method], d, &test, &y_test, seed, device, &ckpt).with_context(|| format!("normal class {class}, seed {seed}, {}", setting.key()))?;
        let epochs = model.meta.history.len();
        let (train_seconds, seconds) = common::fit_seconds(t, &model.meta.history);
        let supervised = matches!(method, "oc-ss-dsvdd" | "soft-ss-dsvdd" | "classifier");
        let unit = SadUnit {
            method: method.to_string(),
            ratio_known_anomaly: setting.labeled,
            ratio_pollution: setting.pollution,
            n_known_classes: setting.known_classes,
            normal_class: class,
            seed,
            known_classes: d.known_classes.clone(),
            auroc,
            n_train,
            n_labeled_anomalies: if supervised { d.semi.iter().filter(|&&t| t == -1).count() } else { 0 },
            n_pollution: d.semi.iter().zip(&d.y).filter(|&(&t, &y)| t == 0 && y == 1).count(),
            epochs,
            seconds_per_epoch: train_seconds / epochs.max(1) as f64,
            seconds,
        };
        let line = format!("class {class} seed {seed} {} {method}: AUROC {:.2} % ({} epochs, {:.1} s)", setting.key(), 100.0 * auroc, epochs, unit.seconds);
        bar.suspend(|| println!("{line}"));
        store.push(unit)?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    write_outputs(&a, &store, &scenarios, start.elapsed().as_secs_f64())
}
