//! `oneclass bench mnist-ovr`: one-vs-rest MNIST for Deep SVDD / Deep SAD (seed 004 table 1,
//! Deep SVDD ICML 2018): train on the normal class of the training split, test on the official
//! test split (all other digits anomalous). Deep SAD adds 5 % labeled anomalies from one known
//! class (the seed-004 protocol builder, known and unlabeled anomalies disjoint).
//!
//! Each finished class is saved in OUT/results.json at once and the class in progress keeps
//! epoch checkpoints, so an interrupted run continues where it stopped when started again.

use anyhow::{Context, Result};
use clap::Args;
use oneclass_data::images::named::{data_dir, load_images, DatasetName, Split};
use oneclass_data::images::ImageSet;
use oneclass_data::protocols::{deep_sad, Features, SplitSet};
use oneclass_deep::{DeepModel, DeviceKind, FitData, Hyper, Method, Samples, TrainOptions};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use crate::bench_common::{self as common, samples_of as samples};

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

#[derive(Clone, Debug, Serialize, Deserialize)]
struct ClassResult {
    normal_class: u16,
    auroc: f64,
    n_train: usize,
    n_labeled_anomalies: usize,
    epochs: usize,
    seconds_per_epoch: f64,
    seconds: f64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Report {
    benchmark: String,
    method: String,
    seed: u64,
    settings: BTreeMap<String, String>,
    classes: Vec<ClassResult>,
    mean_auroc: Option<f64>,
    total_seconds: f64,
}

fn image_samples(set: &ImageSet, indices: &[usize]) -> Result<Samples> {
    samples(&Features::from_images(set, indices))
}

fn write_report(out: &Path, report: &Report) -> Result<()> {
    crate::io::write_text(&out.join("results.json"), &serde_json::to_string_pretty(report)?)?;
    let mut md = format!("# MNIST one-vs-rest, {} (seed {})\n\n| normal class | AUROC (%) | train images | labeled anomalies | epochs (pre-training + training) | s/epoch | seconds |\n|---|---|---|---|---|---|---|\n", report.method, report.seed);
    let mut csv = String::from("normal_class,auroc,n_train,n_labeled_anomalies,epochs,seconds_per_epoch,seconds\n");
    for r in &report.classes {
        md += &format!("| {} | {:.1} | {} | {} | {} | {:.2} | {:.0} |\n", r.normal_class, 100.0 * r.auroc, r.n_train, r.n_labeled_anomalies, r.epochs, r.seconds_per_epoch, r.seconds);
        csv += &format!("{},{},{},{},{},{},{}\n", r.normal_class, r.auroc, r.n_train, r.n_labeled_anomalies, r.epochs, r.seconds_per_epoch, r.seconds);
    }
    if let Some(m) = report.mean_auroc {
        md += &format!("| **mean** | **{:.1}** | | | | | {:.0} |\n", 100.0 * m, report.total_seconds);
    }
    md += "\nSettings: ";
    md += &report.settings.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ");
    md += "\n";
    crate::io::write_text(&out.join("table.md"), &md)?;
    crate::io::write_text(&out.join("results.csv"), &csv)?;
    Ok(())
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
    let device = DeviceKind::parse(&a.run.device)?;
    let dir = data_dir(a.run.data_dir.as_deref())?;
    let name = DatasetName::parse("mnist")?;
    let train_set = load_images(&name, &dir, Split::Train)?;
    let test_set = load_images(&name, &dir, Split::Test)?;
    std::fs::create_dir_all(&a.run.out).with_context(|| format!("{}: cannot create the output folder", a.run.out.display()))?;

    // Continue a previous run with the same settings.
    let previous: Option<Report> = std::fs::read_to_string(a.run.out.join("results.json")).ok().and_then(|t| serde_json::from_str(&t).ok());
    let mut report = match previous {
        Some(r) if r.method == a.method && r.seed == a.seed && r.settings == settings => {
            eprintln!("continuing: {} classes already done in {}", r.classes.len(), a.run.out.display());
            r
        }
        _ => Report { benchmark: "mnist-ovr".into(), method: a.method.clone(), seed: a.seed, settings: settings.clone(), ..Report::default() },
    };
    let all_test: Vec<usize> = (0..test_set.n).collect();
    let test = image_samples(&test_set, &all_test)?;
    for &k in &classes {
        if report.classes.iter().any(|r| r.normal_class == k) {
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
        let train_seconds: f64 = model.meta.history.iter().map(|e| e.seconds).sum();
        let r = ClassResult { normal_class: k, auroc, n_train: train.n, n_labeled_anomalies: n_labeled, epochs, seconds_per_epoch: train_seconds / epochs.max(1) as f64, seconds: start.elapsed().as_secs_f64() };
        println!("class {k}: AUROC {:.2} % ({} epochs, {:.2} s/epoch)", 100.0 * auroc, epochs, r.seconds_per_epoch);
        report.total_seconds += r.seconds;
        report.classes.push(r);
        report.classes.sort_by_key(|r| r.normal_class);
        report.mean_auroc = Some(report.classes.iter().map(|r| r.auroc).sum::<f64>() / report.classes.len() as f64);
        write_report(&a.run.out, &report)?;
    }
    // Again at the end, so that a finished (or merged) results.json always has its table.
    write_report(&a.run.out, &report)?;
    print!("{}", std::fs::read_to_string(a.run.out.join("table.md"))?);
    Ok(())
}
