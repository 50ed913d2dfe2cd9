//! `oneclass bench mnist-ovr`: one-vs-rest MNIST for Deep SVDD / Deep SAD (seed 004 table 1,
//! Deep SVDD ICML 2018): train on the normal class of the training split, test on the official
//! test split (all other digits anomalous). Deep SAD adds 5 % labeled anomalies from one known
//! class (the seed-004 protocol builder, known and unlabeled anomalies disjoint).
//!
//! Each finished class is saved in OUT/results.json at once and the class in progress keeps
//! epoch checkpoints, so an interrupted run continues where it stopped when started again; a
//! results.json written with other settings (method, seed, hyper-parameters) is refused.

use anyhow::{Context, Result};
use clap::Args;
use oneclass_data::images::named::{data_dir, load_images, DatasetName, Split};
use oneclass_data::images::ImageSet;
use oneclass_data::protocols::{deep_sad, Features, SplitSet};
use oneclass_deep::{DeepModel, DeviceKind, FitData, Hyper, Method, Samples, TrainOptions};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Instant;

use crate::bench_common::{self as common, samples_of as samples, Unit, UnitStore};

#[derive(Args)]
pub struct MnistOvrArgs {
    /// deep-svdd (one-class; `--set objective=soft-boundary` for the other) or deep-sad.
    #[arg(long, default_value = "deep-svdd")]
    pub method: String,
    /// Normal classes to run (comma-separated).
    #[arg(long, default_value = "0,1,2,3,4,5,6,7,8,9")]
    pub classes: String,
    /// Deep SAD: ratio of labeled anomalies γ_l, from one known class.
    #[arg(long, default_value_t = 0.05)]
    pub ratio_known_anomaly: f64,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Smoke run: 1,000 training images, 2 + 2 epochs.
    #[arg(long)]
    pub quick: bool,
    #[command(flatten)]
    pub run: common::RunArgs,
}

/// One finished normal class: the unit of OUT/results.json.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ClassResult {
    normal_class: u16,
    auroc: f64,
    n_train: usize,
    n_labeled_anomalies: usize,
    epochs: usize,
    seconds_per_epoch: f64,
    seconds: f64,
}

impl Unit for ClassResult {
    fn key(&self) -> String {
        unit_key(self.normal_class)
    }
}

fn unit_key(normal_class: u16) -> String {
    format!("class{normal_class}")
}

fn image_samples(set: &ImageSet, indices: &[usize]) -> Result<Samples> {
    samples(&Features::from_images(set, indices))
}

/// Writes report.json (the classes with their mean AUROC and summed time), table.md and
/// results.csv from every finished class in the store.
fn write_outputs(a: &MnistOvrArgs, store: &UnitStore<ClassResult>, run_seconds: f64) -> Result<()> {
    let mut classes: Vec<&ClassResult> = store.units.iter().collect();
    classes.sort_by_key(|r| r.normal_class);
    let mean_auroc = (!classes.is_empty()).then(|| classes.iter().map(|r| r.auroc).sum::<f64>() / classes.len() as f64);
    let total_seconds: f64 = classes.iter().map(|r| r.seconds).sum();
    let header = ["normal class", "AUROC (%)", "train images", "labeled anomalies", "epochs (pre-training + training)", "s/epoch", "seconds"].map(String::from);
    let mut rows: Vec<Vec<String>> = classes
        .iter()
        .map(|r| {
            let cells = [r.normal_class.to_string(), format!("{:.1}", 100.0 * r.auroc), r.n_train.to_string(), r.n_labeled_anomalies.to_string(), r.epochs.to_string(), format!("{:.2}", r.seconds_per_epoch), format!("{:.0}", r.seconds)];
            cells.to_vec()
        })
        .collect();
    if let Some(m) = mean_auroc {
        rows.push(vec!["**mean**".into(), format!("**{:.1}**", 100.0 * m), String::new(), String::new(), String::new(), String::new(), format!("{total_seconds:.0}")]);
    }
    let md = format!(
        "# MNIST one-vs-rest, {} (seed {})\n\n{}\n{}",
        a.method,
        a.seed,
        common::markdown_table(&header, &rows),
        common::settings_line(&store.settings, total_seconds, run_seconds, a.quick)
    );
    let csv_rows: Vec<Vec<String>> = classes
        .iter()
        .map(|r| vec![r.normal_class.to_string(), r.auroc.to_string(), r.n_train.to_string(), r.n_labeled_anomalies.to_string(), r.epochs.to_string(), r.seconds_per_epoch.to_string(), r.seconds.to_string()])
        .collect();
    let csv = common::csv_text(&["normal_class", "auroc", "n_train", "n_labeled_anomalies", "epochs", "seconds_per_epoch", "seconds"], &csv_rows);
    let report = serde_json::json!({
        "benchmark": store.benchmark,
        "settings": store.settings,
        "classes": classes,
        "mean_auroc": mean_auroc,
        "total_seconds": total_seconds,
    });
    common::write_report_files(&a.run.out, &report, &md, &csv)
}

pub fn run(a: MnistOvrArgs) -> Result<()> {
    let method = Method::parse(&a.method)?;
    anyhow::ensure!(matches!(method, Method::DeepSvdd | Method::DeepSad), "--method must be deep-svdd or deep-sad, got {:?}", a.method);
    let classes: Vec<u16> = crate::bench_common::parse_list(&a.classes, "--classes")?;
    anyhow::ensure!(classes.iter().all(|&c| c < 10), "--classes: digits are 0..9");
    let mut hyper = Hyper::defaults(method);
    let mut settings = BTreeMap::new();
    if a.quick {
        for (k, v) in [("epochs", "2"), ("pretrain_epochs", "2"), ("milestones", "1"), ("pretrain_milestones", "1")] {
            hyper.set(method, k, v)?;
            settings.insert(k.to_string(), v.to_string());
        }
    }
    settings.extend(crate::fit_deep::apply_settings(method, &mut hyper, &a.run.set)?);
    hyper.validate(method)?;
    settings.insert("quick".into(), a.quick.to_string());
    if method == Method::DeepSad {
        settings.insert("ratio_known_anomaly".into(), a.ratio_known_anomaly.to_string());
    }
    settings.insert("method".into(), a.method.clone());
    settings.insert("seed".into(), a.seed.to_string());
    let device = DeviceKind::parse(&a.run.device)?;
    let mut store: UnitStore<ClassResult> = UnitStore::open(&a.run.out, "mnist-ovr", settings)?;
    let run_start = Instant::now();
    let dir = data_dir(a.run.data_dir.as_deref())?;
    let name = DatasetName::parse("mnist")?;
    let train_set = load_images(&name, &dir, Split::Train)?;
    let test_set = load_images(&name, &dir, Split::Test)?;
    let all_test: Vec<usize> = (0..test_set.n).collect();
    let test = image_samples(&test_set, &all_test)?;
    for &k in &classes {
        if store.contains(&unit_key(k)) {
            continue;
        }
        let start = Instant::now();
        let (train, labels): (Samples, Option<Vec<i8>>) = if method == Method::DeepSad {
            let p = deep_sad::DeepSadParams { normal_class: k, ratio_known_normal: 0.0, ratio_known_anomaly: a.ratio_known_anomaly, ratio_pollution: 0.0, n_known_classes: 1, seed: a.seed };
            let proto = deep_sad::build("mnist", &train_set, &test_set, &p)?;
            let s: &SplitSet = proto.split("train").context("deep-sad protocol has no train split")?;
            (samples(&s.x)?, s.semi_target.clone())
        } else {
            let mut idx = train_set.indices_of_class(k);
            if a.quick {
                idx.truncate(1000);
            }
            (image_samples(&train_set, &idx)?, None)
        };
        let (train, labels) = if a.quick && method == Method::DeepSad {
            let keep: Vec<usize> = (0..train.n.min(1000)).collect();
            (train.subset(&keep), labels.map(|l| l[..keep.len()].to_vec()))
        } else {
            (train, labels)
        };
        let n_labeled = labels.as_ref().map_or(0, |l| l.iter().filter(|&&t| t == -1).count());
        let opts = TrainOptions { checkpoint: Some(a.run.out.join(format!("class{k}"))), resume: true, progress: true, stop_after_epochs: None };
        let data = FitData { train: &train, labels: labels.as_deref(), val: None };
        let model = DeepModel::fit(method, &hyper, data, a.seed, device, &opts).with_context(|| format!("normal class {k}"))?;
        let scores = model.score(&test)?;
        let y: Vec<u8> = test_set.labels.iter().map(|&c| u8::from(c != k)).collect();
        let auroc = oneclass_metrics::auroc(&scores, &y)?;
        let epochs = model.meta.history.len();
        let (train_seconds, seconds) = common::fit_seconds(start, &model.meta.history);
        let r = ClassResult { normal_class: k, auroc, n_train: train.n, n_labeled_anomalies: n_labeled, epochs, seconds_per_epoch: train_seconds / epochs.max(1) as f64, seconds };
        println!("class {k}: AUROC {:.2} % ({} epochs, {:.2} s/epoch)", 100.0 * auroc, epochs, r.seconds_per_epoch);
        store.push(r)?;
    }
    // Also when nothing was left to train, so that a finished (or merged) results.json gets its tables.
    write_outputs(&a, &store, run_start.elapsed().as_secs_f64())
}
