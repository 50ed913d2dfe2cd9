//! `oneclass bench toll-arrhythmia`: seed 002 table 4. UCI Arrhythmia as ODDS ships it (452 × 274,
//! anomalies = classes 3, 4, 5, 7, 8, 9, 14, 15); 20 % test and 30 % validation (stratified), the
//! remaining normals for training; Toll with the paper's Arrhythmia settings; F1 with the top 15 %
//! of test scores flagged; mean ± std over seeds. Both selection rules are reported: the
//! reference's `val-auroc` (uses the labelled validation split) and the unsupervised `last`.

use anyhow::{Context, Result};
use clap::Args;
use oneclass_data::images::named::{data_dir, load_table, DatasetName};
use oneclass_data::preprocess::TablePreprocess;
use oneclass_data::protocols::{tabular, Features, SplitSet};
use oneclass_deep::{DeepModel, DeviceKind, FitData, Hyper, Method, Samples, TrainOptions};
use serde::Serialize;
use std::path::PathBuf;

use crate::bench_common::{mean_std, parse_list};
use std::time::Instant;

#[derive(Args)]
pub struct TollArrhythmiaArgs {
    /// Seeds (split, weights and batches), comma-separated.
    #[arg(long, default_value = "0,1,2,3,4")]
    pub seeds: String,
    /// Smoke run: 100 iterations, one seed.
    #[arg(long)]
    pub quick: bool,
    /// Feature scaling fitted on the training rows: minmax (standard then min-max, as Deep SAD's
    /// ODDS loader) or standard (z-scores).
    #[arg(long, default_value = "minmax", value_parser = ["minmax", "standard"])]
    pub preprocess: String,
    /// Hyper-parameter overrides, as for `oneclass fit toll`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Serialize)]
struct Run {
    seed: u64,
    rule: String,
    f1: f64,
    auroc: f64,
    kept_iteration: Option<usize>,
    seconds: f64,
}

fn table(s: &SplitSet) -> Result<Samples> {
    match &s.x {
        Features::Table(x) => Ok(Samples::from_table(x.view())?),
        Features::Images { .. } => anyhow::bail!("expected a table"),
    }
}

pub fn run(a: TollArrhythmiaArgs) -> Result<()> {
    let start = Instant::now();
    let seeds: Vec<u64> = if a.quick { vec![0] } else { parse_list(&a.seeds, "--seeds")? };
    let name = DatasetName::parse("odds/arrhythmia")?;
    let set = load_table(&name, &data_dir(a.data_dir.as_deref())?)?;
    std::fs::create_dir_all(&a.out).with_context(|| format!("{}: cannot create the output folder", a.out.display()))?;
    let mut runs = Vec::new();
    for &seed in &seeds {
        let proto = tabular::build("odds/arrhythmia", &set, &tabular::TabularParams { split: tabular::TabularSplit::Toll, ratio_known_normal: 0.0, ratio_known_anomaly: 0.0, ratio_pollution: 0.0, seed })?;
        let split = |n: &str| proto.split(n).with_context(|| format!("toll split has no {n}"));
        let (train, val, test) = (split("train")?, split("val")?, split("test")?);
        // Scaling fitted on the training rows (applied to all three).
        let Features::Table(xtr) = &train.x else { anyhow::bail!("expected a table") };
        let pre = if a.preprocess == "standard" { TablePreprocess::fit_standard(xtr)? } else { TablePreprocess::fit_standard_minmax(xtr)? };
        let scaled = |s: &SplitSet| -> Result<SplitSet> {
            let mut s = s.clone();
            if let Features::Table(x) = &mut s.x {
                pre.apply(x)?;
            }
            Ok(s)
        };
        let (train, val, test) = (table(&scaled(train)?)?, table(&scaled(val)?)?, table(&scaled(test)?)?);
        let y_val = proto.split("val").expect("checked").y.clone();
        let y_test = proto.split("test").expect("checked").y.clone();
        for rule in ["val-auroc", "last"] {
            let t = Instant::now();
            let mut hyper = Hyper::defaults(Method::Toll);
            hyper.set(Method::Toll, "preset", "arrhythmia")?;
            hyper.set(Method::Toll, "select", rule)?;
            if a.quick {
                hyper.set(Method::Toll, "iterations", "100")?;
            }
            crate::fit_deep::apply_settings(Method::Toll, &mut hyper, &a.set)?;
            let opts = TrainOptions { checkpoint: None, resume: false, progress: false, stop_after_epochs: None };
            let data = FitData { train: &train, labels: None, val: Some(&val) };
            let labels = (rule == "val-auroc").then_some(y_val.as_slice());
            let model = DeepModel::fit_with_val_labels(Method::Toll, &hyper, data, labels, seed, DeviceKind::Cpu, &opts)?;
            let scores = model.score(&test)?;
            let f1 = oneclass_metrics::f1_at_contamination(&scores, &y_test, 0.15)?;
            let auroc = oneclass_metrics::auroc(&scores, &y_test)?;
            let r = Run { seed, rule: rule.into(), f1, auroc, kept_iteration: model.meta.selection.as_ref().map(|s| s.iteration), seconds: t.elapsed().as_secs_f64() };
            println!("seed {seed} select={rule}: F1 {:.1}, AUROC {:.1} (kept iteration {:?}, {:.1} s)", 100.0 * f1, 100.0 * auroc, r.kept_iteration, r.seconds);
            runs.push(r);
        }
    }
    let mut md = String::from("# Toll on Arrhythmia (seed 002 table 4; published F1 60.0)\n\n| selection | F1 (%) mean ± std | AUROC (%) mean ± std | seeds |\n|---|---|---|---|\n");
    let mut summary = serde_json::Map::new();
    for rule in ["val-auroc", "last"] {
        let f1: Vec<f64> = runs.iter().filter(|r| r.rule == rule).map(|r| r.f1).collect();
        let au: Vec<f64> = runs.iter().filter(|r| r.rule == rule).map(|r| r.auroc).collect();
        let ((fm, fs), (am, asd)) = (mean_std(&f1), mean_std(&au));
        md += &format!("| {rule} | {:.1} ± {:.1} | {:.1} ± {:.1} | {} |\n", 100.0 * fm, 100.0 * fs, 100.0 * am, 100.0 * asd, f1.len());
        summary.insert(rule.into(), serde_json::json!({"f1_mean": fm, "f1_std": fs, "auroc_mean": am, "auroc_std": asd}));
    }
    md += &format!("\nTotal {:.0} s.{}\n", start.elapsed().as_secs_f64(), if a.quick { " Quick smoke run: not comparable to the paper." } else { "" });
    let mut csv = String::from("seed,rule,f1,auroc,kept_iteration,seconds\n");
    for r in &runs {
        csv += &format!("{},{},{},{},{},{}\n", r.seed, r.rule, r.f1, r.auroc, r.kept_iteration.map_or(String::new(), |k| k.to_string()), r.seconds);
    }
    let report = serde_json::json!({"benchmark": "toll-arrhythmia", "quick": a.quick, "preprocess": a.preprocess, "settings": a.set, "summary": summary, "runs": runs, "seconds": start.elapsed().as_secs_f64()});
    crate::io::write_text(&a.out.join("report.json"), &serde_json::to_string_pretty(&report)?)?;
    crate::io::write_text(&a.out.join("table.md"), &md)?;
    crate::io::write_text(&a.out.join("results.csv"), &csv)?;
    print!("{md}");
    Ok(())
}
