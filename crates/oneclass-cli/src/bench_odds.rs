//! `oneclass bench odds`: the Deep SAD tabular benchmark (arrhythmia, cardio, satellite,
//! satimage-2, shuttle, thyroid from ODDS) with every method, AUROC mean ± std over seeds.
//!
//! Protocol (Deep SAD reference, see `shared/docs/reference-implementations.md`): per seed a
//! 60 / 40 split stratified by label; the training set is drawn from the 60 % with γ_l = 0.01
//! labeled anomalies and γ_p = 0 pollution (Deep SAD, ICLR 2020, §4.3); standard then min-max
//! scaling fitted on the training rows and applied to both parts; test = the 40 %.
//!
//! Methods: unsupervised ones (OC-SVM, Isolation Forest, KDE, AE, Deep SVDD one-class and
//! soft-boundary) train on the unlabeled rows only; Deep SAD (one-class SS-DSVDD, η = 1) and
//! the supervised classifier also see the labeled anomalies. Nothing is tuned on test data:
//! OC-SVM ν = 0.1, γ = scale; IF 100 trees, 256 rows; KDE bandwidth by 5-fold held-out
//! likelihood on the training rows (on at most 5,000 of them); deep methods use the reference's MLPs ([128, 64] → 32 for
//! arrhythmia, [32, 16] → 8, thyroid → 4) and schedule (Adam 1e-4, 150 epochs, ×0.1 at 50,
//! batch 128, weight decay 0.5e-6; AE and pre-training: 150 epochs, weight decay 0.5e-3).
//!
//! Each finished (dataset, seed, method) is kept in OUT/results.json; a second run with the
//! same settings continues.

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use ndarray::{Array2, Axis};
use oneclass_data::images::named::{data_dir, load_table, DatasetName};
use oneclass_data::preprocess::TablePreprocess;
use oneclass_data::protocols::{tabular, Features};
use oneclass_deep::{DeepModel, DeviceKind, FitData, Hyper, Method, Samples, TrainOptions};
use oneclass_shallow::{Bandwidth, BandwidthSearch, IsolationForestParams, KernelDensityParams};
use oneclass_svm::{Gamma, OcsvmParams};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::bench_common::{self as common, Unit, UnitStore};

/// Every method, in table order.
pub const METHODS: [&str; 8] = ["ocsvm", "iforest", "kde", "ae", "deep-svdd-oc", "deep-svdd-soft", "deep-sad", "classifier"];

/// At most this many training rows choose the KDE bandwidth (5-fold held-out likelihood).
const KDE_CV_ROWS: usize = 5000;

/// Row titles of the methods.
fn title(method: &str) -> &'static str {
    match method {
        "ocsvm" => "OC-SVM",
        "iforest" => "IF",
        "kde" => "KDE",
        "ae" => "AE",
        "deep-svdd-oc" => "One-class Deep SVDD",
        "deep-svdd-soft" => "Soft Deep SVDD",
        "deep-sad" => "Deep SAD",
        "classifier" => "Classifier",
        _ => "?",
    }
}

#[derive(Args)]
pub struct OddsArgs {
    /// ODDS datasets (comma-separated; files odds/<name>.mat under --data-dir).
    #[arg(long, default_value = "arrhythmia,cardio,satellite,satimage-2,shuttle,thyroid")]
    pub datasets: String,
    /// Seeds (split, draws, weights); default 0,…,9 as the paper, with --quick 0.
    #[arg(long)]
    pub seeds: Option<String>,
    /// Methods: ocsvm, iforest, kde, ae, deep-svdd-oc, deep-svdd-soft, deep-sad, classifier.
    #[arg(long, default_value = "ocsvm,iforest,kde,ae,deep-svdd-oc,deep-svdd-soft,deep-sad,classifier")]
    pub methods: String,
    /// γ_l: labeled anomalies / training rows.
    #[arg(long, default_value_t = 0.01)]
    pub ratio_known_anomaly: f64,
    /// γ_p: unlabeled anomalies / unlabeled rows.
    #[arg(long, default_value_t = 0.0)]
    pub ratio_pollution: f64,
    /// Smoke run: seed 0 unless --seeds, 3 epochs (+ 3 of pre-training) for the deep methods.
    #[arg(long)]
    pub quick: bool,
    #[command(flatten)]
    pub run: common::RunArgs,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct OddsUnit {
    dataset: String,
    seed: u64,
    method: String,
    auroc: f64,
    aupr: f64,
    n_train: usize,
    n_labeled_anomalies: usize,
    n_test: usize,
    n_test_anomalies: usize,
    seconds: f64,
}

impl Unit for OddsUnit {
    fn key(&self) -> String {
        unit_key(&self.dataset, self.seed, &self.method)
    }
}

fn unit_key(dataset: &str, seed: u64, method: &str) -> String {
    format!("{dataset}/seed{seed}/{method}")
}

/// The deep methods' hyper-parameters (the Deep SAD reference's tabular setting).
struct DeepSetup {
    svdd: Hyper,
    soft: Hyper,
    sad: Hyper,
    classifier: Hyper,
    ae: Hyper,
}

impl DeepSetup {
    fn new(quick: bool, overrides: &[String]) -> Result<(Self, Vec<(String, String)>)> {
        let schedule = |m: Method, h: &mut Hyper| -> Result<()> {
            for (k, v) in [("lr", "1e-4"), ("epochs", "150"), ("milestones", "50"), ("batch_size", "128"), ("weight_decay", "0.5e-6")] {
                h.set(m, k, v)?;
            }
            if m.has_pretraining() {
                for (k, v) in [("pretrain_lr", "1e-4"), ("pretrain_epochs", "150"), ("pretrain_milestones", "50"), ("pretrain_weight_decay", "0.5e-3")] {
                    h.set(m, k, v)?;
                }
            }
            if quick {
                for (k, v) in [("epochs", "3"), ("milestones", "2")] {
                    h.set(m, k, v)?;
                }
                if m.has_pretraining() {
                    for (k, v) in [("pretrain_epochs", "3"), ("pretrain_milestones", "2")] {
                        h.set(m, k, v)?;
                    }
                }
            }
            Ok(())
        };
        let mut svdd = Hyper::defaults(Method::DeepSvdd);
        schedule(Method::DeepSvdd, &mut svdd)?;
        let mut soft = svdd.clone();
        soft.set(Method::DeepSvdd, "objective", "soft-boundary")?;
        let mut sad = Hyper::defaults(Method::DeepSad);
        schedule(Method::DeepSad, &mut sad)?;
        let mut classifier = Hyper::defaults(Method::Classifier);
        schedule(Method::Classifier, &mut classifier)?;
        // The AE baseline is the pre-training auto-encoder trained on its own.
        let mut ae = Hyper::defaults(Method::Ae);
        schedule(Method::Ae, &mut ae)?;
        ae.set(Method::Ae, "weight_decay", "0.5e-3")?;
        let mut setup = DeepSetup { svdd, soft, sad, classifier, ae };
        let applied = {
            let mut list: Vec<(Method, &mut Hyper)> = vec![
                (Method::DeepSvdd, &mut setup.svdd),
                (Method::DeepSvdd, &mut setup.soft),
                (Method::DeepSad, &mut setup.sad),
                (Method::Classifier, &mut setup.classifier),
                (Method::Ae, &mut setup.ae),
            ];
            common::apply_shared_settings(&mut list, overrides)?
        };
        Ok((setup, applied))
    }

    /// Method and hyper-parameters of a deep method name, with the dataset's representation size.
    fn for_method(&self, method: &str, dataset: &str) -> Option<(Method, Hyper)> {
        let (m, h) = match method {
            "deep-svdd-oc" => (Method::DeepSvdd, &self.svdd),
            "deep-svdd-soft" => (Method::DeepSvdd, &self.soft),
            "deep-sad" => (Method::DeepSad, &self.sad),
            "classifier" => (Method::Classifier, &self.classifier),
            "ae" => (Method::Ae, &self.ae),
            _ => return None,
        };
        let mut h = h.clone();
        // The reference's thyroid MLP ends in 4 units (6 input features).
        if dataset == "thyroid" && h.rep_dim.is_none() {
            h.rep_dim = Some(4);
        }
        Some((m, h))
    }
}

/// One (dataset, seed): scaled training rows with semi-supervised targets and the test rows.
struct Prepared {
    train: Array2<f64>,
    semi: Vec<i8>,
    test: Array2<f64>,
    y_test: Vec<u8>,
}

impl Prepared {
    fn unlabeled_rows(&self) -> Vec<usize> {
        (0..self.semi.len()).filter(|&i| self.semi[i] != -1).collect()
    }
}

fn prepare(dataset: &str, set: &oneclass_data::images::named::TabularSet, a: &OddsArgs, seed: u64) -> Result<Prepared> {
    let params = tabular::TabularParams {
        split: tabular::TabularSplit::DeepSad,
        ratio_known_normal: 0.0,
        ratio_known_anomaly: a.ratio_known_anomaly,
        ratio_pollution: a.ratio_pollution,
        seed,
    };
    let proto = tabular::build(&format!("odds/{dataset}"), set, &params).with_context(|| format!("odds/{dataset} seed {seed}"))?;
    let (Some(train), Some(test)) = (proto.split("train"), proto.split("test")) else { bail!("the deep-sad tabular protocol lacks train or test") };
    let (Features::Table(xtr), Features::Table(xte)) = (&train.x, &test.x) else { bail!("expected tables") };
    let pre = TablePreprocess::fit_standard_minmax(xtr)?;
    let (mut xtr, mut xte) = (xtr.clone(), xte.clone());
    pre.apply(&mut xtr)?;
    pre.apply(&mut xte)?;
    let semi = train.semi_target.clone().context("the deep-sad tabular protocol has no semi_target")?;
    Ok(Prepared { train: xtr, semi, test: xte, y_test: test.y.clone() })
}

/// Trains `method` on `p` and scores the test rows.
fn run_method(method: &str, dataset: &str, p: &Prepared, deep: &DeepSetup, seed: u64, device: DeviceKind) -> Result<Vec<f64>> {
    let unlabeled = p.train.select(Axis(0), &p.unlabeled_rows());
    Ok(match method {
        "ocsvm" => OcsvmParams::new().nu(0.1).gamma(Gamma::Scale).fit(unlabeled.view())?.score(p.test.view())?.to_vec(),
        "iforest" => IsolationForestParams::new().seed(seed).fit(unlabeled.view())?.score(p.test.view())?.to_vec(),
        "kde" => {
            // The bandwidth search is quadratic in the rows: on large sets (shuttle) it runs on a
            // seeded subset of KDE_CV_ROWS rows; the density then uses every row.
            let search = Bandwidth::Cv(BandwidthSearch { seed, ..BandwidthSearch::default() });
            let cv_rows = if unlabeled.nrows() > KDE_CV_ROWS {
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                let mut rows = rand::seq::index::sample(&mut rng, unlabeled.nrows(), KDE_CV_ROWS).into_vec();
                rows.sort_unstable();
                unlabeled.select(Axis(0), &rows)
            } else {
                unlabeled.clone()
            };
            let h = KernelDensityParams::new().bandwidth(search).fit(cv_rows.view())?.bandwidth();
            KernelDensityParams::new().bandwidth(Bandwidth::Value(h)).fit(unlabeled.view())?.score(p.test.view())?.to_vec()
        }
        _ => {
            let (m, hyper) = deep.for_method(method, dataset).with_context(|| format!("unknown method {method:?}"))?;
            let supervised = matches!(m, Method::DeepSad | Method::Classifier);
            let (x, labels) = if supervised { (&p.train, Some(p.semi.as_slice())) } else { (&unlabeled, None) };
            let train = Samples::from_table(x.view())?;
            let opts = TrainOptions { checkpoint: None, resume: false, progress: false, stop_after_epochs: None };
            let model = DeepModel::fit(m, &hyper, FitData { train: &train, labels, val: None }, seed, device, &opts)?;
            model.score(&Samples::from_table(p.test.view())?)?
        }
    })
}

fn write_outputs(a: &OddsArgs, store: &UnitStore<OddsUnit>, datasets: &[String], methods: &[String], run_seconds: f64) -> Result<()> {
    let of = |d: &str, m: &str| -> Vec<&OddsUnit> { store.units.iter().filter(|u| u.dataset == d && u.method == m).collect() };
    let mut header = vec!["dataset".to_string()];
    header.extend(methods.iter().map(|m| title(m).to_string()));
    let mut rows = Vec::new();
    let mut time_rows = Vec::new();
    let mut summary = serde_json::Map::new();
    for d in datasets {
        let mut row = vec![d.clone()];
        let mut time_row = vec![d.clone()];
        let mut per = serde_json::Map::new();
        for m in methods {
            let units = of(d, m);
            let auroc: Vec<f64> = units.iter().map(|u| u.auroc).collect();
            let aupr: Vec<f64> = units.iter().map(|u| u.aupr).collect();
            let secs: Vec<f64> = units.iter().map(|u| u.seconds).collect();
            row.push(if units.is_empty() { "–".into() } else { format!("{} ({})", common::percent_pm(&auroc), units.len()) });
            time_row.push(if units.is_empty() { "–".into() } else { format!("{:.1}", common::mean_std(&secs).0) });
            let ((am, asd), (pm, psd)) = (common::mean_std(&auroc), common::mean_std(&aupr));
            per.insert(m.clone(), serde_json::json!({"auroc_mean": am, "auroc_std": asd, "aupr_mean": pm, "aupr_std": psd, "n_seeds": units.len(), "seconds_mean": common::mean_std(&secs).0}));
        }
        rows.push(row);
        time_rows.push(time_row);
        summary.insert(d.clone(), serde_json::Value::Object(per));
    }
    let total: f64 = store.units.iter().map(|u| u.seconds).sum();
    let mut md = format!(
        "# ODDS benchmark (Deep SAD protocol): test AUROC (%) mean ± std over seeds (number of seeds)\n\n\
         γ_l = {}, γ_p = {}; 60/40 stratified split per seed; unsupervised methods train on the unlabeled rows.{}\n\n",
        a.ratio_known_anomaly,
        a.ratio_pollution,
        if a.quick { " **Quick smoke run (3 epochs): not comparable to the paper.**" } else { "" }
    );
    md += &common::markdown_table(&header, &rows);
    md += "\nSeconds per model (training + scoring), mean over seeds:\n\n";
    md += &common::markdown_table(&header, &time_rows);
    md += &common::timing_line(store.units.len(), total, run_seconds);
    let csv_rows: Vec<Vec<String>> = store
        .units
        .iter()
        .map(|u| {
            vec![u.dataset.clone(), u.seed.to_string(), u.method.clone(), u.auroc.to_string(), u.aupr.to_string(), u.n_train.to_string(), u.n_labeled_anomalies.to_string(), u.n_test.to_string(), u.n_test_anomalies.to_string(), format!("{:.3}", u.seconds)]
        })
        .collect();
    let csv = common::csv_text(&["dataset", "seed", "method", "auroc", "aupr", "n_train", "n_labeled_anomalies", "n_test", "n_test_anomalies", "seconds"], &csv_rows);
    let report = serde_json::json!({
        "benchmark": "odds",
        "settings": store.settings,
        "methods": methods,
        "datasets": datasets,
        "summary": summary,
        "models": store.units.len(),
        "model_seconds_total": total,
        "run_seconds": run_seconds,
    });
    common::write_report_files(&a.run.out, &report, &md, &csv)
}

pub fn run(a: OddsArgs) -> Result<()> {
    let start = Instant::now();
    let datasets: Vec<String> = common::parse_list(&a.datasets, "--datasets")?;
    let seeds: Vec<u64> = common::list_or_default(a.seeds.as_deref(), a.quick, "0", "0,1,2,3,4,5,6,7,8,9", "--seeds")?;
    let methods: Vec<String> = common::parse_list(&a.methods, "--methods")?;
    if let Some(m) = methods.iter().find(|m| !METHODS.contains(&m.as_str())) {
        bail!("--methods: unknown method {m:?}; expected some of {}", METHODS.join(", "));
    }
    let device = DeviceKind::parse(&a.run.device)?;
    let (deep, applied) = DeepSetup::new(a.quick, &a.run.set)?;
    let mut settings = BTreeMap::from([
        ("quick".to_string(), a.quick.to_string()),
        ("ratio_known_anomaly".to_string(), a.ratio_known_anomaly.to_string()),
        ("ratio_pollution".to_string(), a.ratio_pollution.to_string()),
        ("device".to_string(), a.run.device.clone()),
    ]);
    settings.extend(applied);
    let dir = data_dir(a.run.data_dir.as_deref())?;
    let mut store: UnitStore<OddsUnit> = UnitStore::open(&a.run.out, "odds", settings)?;
    // Seed-major order: an interrupted run has the same seeds for every dataset and method.
    let mut pending: Vec<(String, u64, String)> = Vec::new();
    for &s in &seeds {
        for d in &datasets {
            for m in &methods {
                if !store.contains(&unit_key(d, s, m)) {
                    pending.push((d.clone(), s, m.clone()));
                }
            }
        }
    }
    let bar = common::unit_bar(pending.len());
    let mut loaded: Option<(String, oneclass_data::images::named::TabularSet)> = None;
    let mut prepared: Option<((String, u64), Prepared)> = None;
    for (dataset, seed, method) in &pending {
        bar.set_message(format!("{dataset} seed {seed} {method}"));
        if loaded.as_ref().is_none_or(|(d, _)| d != dataset) {
            let set = load_table(&DatasetName::parse(&format!("odds/{dataset}"))?, &dir)?;
            loaded = Some((dataset.clone(), set));
        }
        let set = &loaded.as_ref().expect("loaded above").1;
        if prepared.as_ref().is_none_or(|(k, _)| k != &(dataset.clone(), *seed)) {
            prepared = Some(((dataset.clone(), *seed), prepare(dataset, set, &a, *seed)?));
        }
        let p = &prepared.as_ref().expect("prepared above").1;
        let t = Instant::now();
        let scores = run_method(method, dataset, p, &deep, *seed, device).with_context(|| format!("{dataset} seed {seed} {method}"))?;
        let unit = OddsUnit {
            dataset: dataset.clone(),
            seed: *seed,
            method: method.clone(),
            auroc: oneclass_metrics::auroc(&scores, &p.y_test)?,
            aupr: oneclass_metrics::average_precision(&scores, &p.y_test)?,
            n_train: if matches!(method.as_str(), "deep-sad" | "classifier") { p.semi.len() } else { p.unlabeled_rows().len() },
            n_labeled_anomalies: if matches!(method.as_str(), "deep-sad" | "classifier") { p.semi.iter().filter(|&&t| t == -1).count() } else { 0 },
            n_test: p.y_test.len(),
            n_test_anomalies: p.y_test.iter().filter(|&&y| y == 1).count(),
            seconds: t.elapsed().as_secs_f64(),
        };
        let line = format!("{dataset} seed {seed} {method}: AUROC {:.2} % ({:.1} s)", 100.0 * unit.auroc, unit.seconds);
        bar.suspend(|| println!("{line}"));
        store.push(unit)?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    write_outputs(&a, &store, &datasets, &methods, start.elapsed().as_secs_f64())
}
