//! `oneclass bench volumes`: seed 001's experiment 2 (section V, tables II–III) on generated
//! brain phantoms, since CERMEP / IXI / WMH cannot be had here. Young training controls, old
//! age-matched test controls and patients with subtle (not hyperintense) lesions; the seed's
//! patch auto-encoder (S-H2) trained as a Siamese AE (SAE) and as OgAE on 15 × 15 patches of
//! the training controls; score maps from the localized OCSVM (SAE, OgAE) and the
//! patient-specific OCSVM (SAE); classification (controls vs patients, subject score = 98th
//! percentile of the map outside the ventricles, paired bootstrap + Bonferroni) and
//! localization (voxel-wise per patient, Kruskal–Wallis + Dunn). Writes the maps as NIfTI, PNG
//! overlays, `report.json`, `table.md` and `results.csv` into `--out`.
//!
//! `--throughput` instead measures patches encoded per second, localized OCSVM fits per second
//! and the peak resident memory on a full-size 186 × 218 × 135 phantom.

use crate::bench_common::mean_std;
use anyhow::{Context, Result};
use clap::Args;
use oneclass_deep::{DeepModel, DeviceKind, FitData, Hyper, Method, Samples, TrainOptions};
use oneclass_metrics::stats::{dunn_bonferroni, kruskal_wallis, paired_bootstrap, Metric};
use oneclass_volume::{
    atlas_mask, atlas_ventricles, generate, overlay::write_overlay, percentile, score_maps, subject_score, voxel_metrics, LocalizedConfig, Mask, MapStats, PatchStream, PatientSpecificConfig,
    PhantomConfig, Volume, VolumeError,
};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

const PATCH: usize = 15;

#[derive(Args)]
pub struct VolumesArgs {
    /// Subjects per cohort: N training controls, N test controls and N patients
    /// (default 8; 3 with --quick).
    #[arg(long)]
    pub phantoms: Option<usize>,
    /// Smoke run: small phantoms, 2 epochs, 2,000 training patches.
    #[arg(long)]
    pub quick: bool,
    /// Throughput benchmark on a full-size 186 × 218 × 135 phantom instead of the evaluation.
    #[arg(long)]
    pub throughput: bool,
    /// Seed of the phantoms, the patch sample, the weights and the bootstrap.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Training epochs of the patch auto-encoders (default: the seed's 10; 2 with --quick).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Patches sampled from the training controls to train the auto-encoders.
    #[arg(long)]
    pub train_patches: Option<usize>,
    /// Half-width r of the (2r+1)³ neighbourhood pooled by each localized OCSVM.
    #[arg(long, default_value_t = 1)]
    pub radius: usize,
    /// Paired bootstrap resamples of the classification test.
    #[arg(long, default_value_t = 1000)]
    pub resamples: usize,
    #[arg(long)]
    pub out: PathBuf,
}

struct Cohort {
    names: Vec<String>,
    images: Vec<Volume>,
    lesions: Vec<Mask>,
    lesion_cm3: Vec<f64>,
    ages: Vec<f64>,
}

/// Generates, normalises (S-F min–max) and returns a cohort.
fn cohort(cfg: &PhantomConfig, prefix: &str, n: usize, seed: u64, ages: (f64, f64), lesions: bool) -> Result<Cohort> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut c = Cohort { names: vec![], images: vec![], lesions: vec![], lesion_cm3: vec![], ages: vec![] };
    for i in 0..n {
        let age = rng.random_range(ages.0..ages.1);
        let p = generate(cfg, seed.wrapping_mul(1000).wrapping_add(i as u64), age, lesions)?;
        let mut image = p.image;
        image.min_max_normalise(None)?;
        c.names.push(format!("{prefix}{i:02}"));
        c.images.push(image);
        c.lesions.push(p.lesions);
        c.lesion_cm3.push(p.lesion_cm3);
        c.ages.push(age);
    }
    Ok(c)
}

/// A seeded random sample of `n` patches of the masked voxels of `vols`.
fn training_patches(vols: &[Volume], mask: &Mask, n: usize, seed: u64) -> Result<Samples> {
    let voxels: Vec<usize> = (0..mask.data.len()).filter(|&i| mask.data[i]).collect();
    let mut all: Vec<(usize, usize)> = (0..vols.len()).flat_map(|s| voxels.iter().map(move |&v| (s, v))).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    all.shuffle(&mut rng);
    all.truncate(n);
    let [nx, ny, _] = mask.dims;
    let mut values = vec![0.0f32; all.len() * PATCH * PATCH];
    for (k, &(s, v)) in all.iter().enumerate() {
        oneclass_volume::extract_patch(&vols[s], v % nx, (v / nx) % ny, v / (nx * ny), PATCH, &mut values[k * PATCH * PATCH..(k + 1) * PATCH * PATCH]);
    }
    Ok(Samples::new(values, all.len(), vec![1, PATCH, PATCH])?)
}

fn train_patch_model(method: Method, train: &Samples, epochs: usize, seed: u64) -> Result<DeepModel> {
    let mut hyper = Hyper::defaults(method);
    hyper.set(method, "net", "patch-ae")?;
    hyper.set(method, "epochs", &epochs.to_string())?;
    hyper.set(method, "batch_size", "100")?;
    hyper.set(method, "lr", "1e-3")?;
    let opts = TrainOptions { checkpoint: None, resume: false, progress: false, stop_after_epochs: None };
    Ok(DeepModel::fit(method, &hyper, FitData { train, labels: None, val: None }, seed, DeviceKind::Cpu, &opts)?)
}

/// The model's encoder as a patch encoder for `oneclass-volume`.
fn encoder(model: &DeepModel) -> impl FnMut(&[f32], usize) -> oneclass_volume::Result<Vec<f32>> + '_ {
    move |patches: &[f32], n: usize| {
        let s = Samples::new(patches.to_vec(), n, vec![1, PATCH, PATCH]).map_err(|e| VolumeError::Encoder(e.to_string()))?;
        Ok(model.codes(&s).into_iter().map(|v| v as f32).collect())
    }
}

/// Peak resident memory of this process (VmHWM), MB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[derive(Serialize, Clone)]
struct PatientLocalization {
    subject: String,
    auroc: f64,
    auroc30: f64,
    aupr: f64,
    prevalence: f64,
    lesion_cm3: f64,
    lesion_voxels: usize,
}

#[derive(Serialize)]
struct Localization {
    method: String,
    auroc: f64,
    auroc_std: f64,
    auroc30: f64,
    auroc30_std: f64,
    aupr: f64,
    aupr_std: f64,
    /// Mean lesion prevalence over the patients (the AUPR of a random score).
    prevalence: f64,
    per_patient: Vec<PatientLocalization>,
}

#[derive(Serialize)]
struct Classification {
    method: String,
    auroc: f64,
    auroc30: f64,
    aupr: f64,
    /// Bonferroni-corrected paired-bootstrap p-value against the best method, per metric.
    p_auroc: f64,
    p_auroc30: f64,
    p_aupr: f64,
    subject_scores: Vec<f64>,
}

fn write_nifti_outputs(out: &Path, test_names: &[String], test_images: &[Volume], lesions: &[(String, Mask)], mask: &Mask) -> Result<()> {
    let dir = out.join("subjects");
    std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    for (name, img) in test_names.iter().zip(test_images) {
        img.write(&dir.join(format!("{name}_t1.nii.gz")))?;
    }
    for (name, l) in lesions {
        l.write(&dir.join(format!("{name}_lesions.nii.gz")), &mask_affine(mask))?;
    }
    mask.write(&dir.join("atlas_mask.nii.gz"), &mask_affine(mask))?;
    Ok(())
}

fn mask_affine(_mask: &Mask) -> [[f64; 4]; 4] {
    oneclass_volume::IDENTITY_AFFINE
}

pub fn run(a: VolumesArgs) -> Result<()> {
    if a.throughput {
        return throughput(&a);
    }
    let start = Instant::now();
    let n = a.phantoms.unwrap_or(if a.quick { 3 } else { 8 });
    anyhow::ensure!(n >= 2, "--phantoms {n}: need at least 2 subjects per cohort");
    let dims = if a.quick { [40, 48, 8] } else { [64, 76, 20] };
    let epochs = a.epochs.unwrap_or(if a.quick { 2 } else { 10 });
    let n_patches = a.train_patches.unwrap_or(if a.quick { 2000 } else { 20000 });
    std::fs::create_dir_all(&a.out).with_context(|| format!("{}: cannot create the output folder", a.out.display()))?;
    let cfg = PhantomConfig::new(dims);
    let mask = atlas_mask(&cfg);
    let ventricles = atlas_ventricles(&cfg);
    // Young training controls (CERMEP-like), old test controls and patients (IXI / WMH-like).
    let train = cohort(&cfg, "train_control_", n, a.seed.wrapping_add(1), (0.0, 0.3), false)?;
    let controls = cohort(&cfg, "test_control_", n, a.seed.wrapping_add(2), (0.6, 1.0), false)?;
    let patients = cohort(&cfg, "patient_", n, a.seed.wrapping_add(3), (0.6, 1.0), true)?;
    println!("phantoms {dims:?}: {n} training controls, {n} test controls, {n} patients; analysis mask {} voxels; lesions {:.1}–{:.1} cm³", mask.count(), patients.lesion_cm3.iter().cloned().fold(f64::INFINITY, f64::min), patients.lesion_cm3.iter().cloned().fold(0.0, f64::max));

    let samples = training_patches(&train.images, &mask, n_patches, a.seed.wrapping_add(4))?;
    let test_images: Vec<Volume> = controls.images.iter().chain(&patients.images).cloned().collect();
    let test_names: Vec<String> = controls.names.iter().chain(&patients.names).cloned().collect();
    let labels: Vec<u8> = (0..2 * n).map(|i| (i >= n) as u8).collect();
    let lesion_pairs: Vec<(String, Mask)> = patients.names.iter().cloned().zip(patients.lesions.iter().cloned()).collect();
    write_nifti_outputs(&a.out, &test_names, &test_images, &lesion_pairs, &mask)?;

    let loc_cfg = LocalizedConfig { radius: a.radius, patch: PATCH, ..LocalizedConfig::default() };
    let ps_cfg = PatientSpecificConfig { nu: 0.03, max_points: 4000, seed: a.seed.wrapping_add(5) };
    // method name → maps of every test subject
    let mut maps: Vec<(String, Vec<Volume>)> = Vec::new();
    let mut stats: Vec<(String, MapStats, f64)> = Vec::new();
    for (method, label) in [(Method::Sae, "SAE"), (Method::Ogae, "OgAE")] {
        let t = Instant::now();
        let model = train_patch_model(method, &samples, epochs, a.seed.wrapping_add(6))?;
        let train_s = t.elapsed().as_secs_f64();
        println!("{label}: trained {epochs} epochs on {} patches in {train_s:.1} s", samples.n);
        let mut enc = encoder(&model);
        let ps = (method == Method::Sae).then_some(&ps_cfg);
        let out = score_maps(&train.images, &test_images, &mask, &mut enc, &loc_cfg, ps)?;
        println!(
            "{label}: {} patches encoded ({:.0}/s), {} localized OCSVM fits ({:.0}/s, {:.0} points each, {} degenerate), {:.1} s",
            out.stats.patches_encoded,
            out.stats.patches_encoded as f64 / out.stats.encode_seconds.max(1e-9),
            out.stats.localized_fits,
            out.stats.localized_fits as f64 / out.stats.localized_seconds.max(1e-9),
            out.stats.mean_points,
            out.stats.degenerate_fits,
            out.stats.total_seconds
        );
        maps.push((format!("{label}+loc.OCSVM"), out.localized));
        if let Some(p) = out.patient_specific {
            maps.push((format!("{label}+p.s.OCSVM"), p));
        }
        stats.push((label.to_string(), out.stats, train_s));
    }

    // Maps as NIfTI, overlays of the slice with the most lesion voxels.
    let map_dir = a.out.join("maps");
    let png_dir = a.out.join("overlays");
    std::fs::create_dir_all(&map_dir)?;
    std::fs::create_dir_all(&png_dir)?;
    let slug = |m: &str| m.replace('+', "_").replace('.', "").to_lowercase();
    for (method, vols) in &maps {
        for (name, v) in test_names.iter().zip(vols) {
            v.write(&map_dir.join(format!("{name}_{}.nii.gz", slug(method))))?;
        }
        for (i, (name, img)) in test_names.iter().zip(&test_images).enumerate() {
            let lesion = (i >= n).then(|| &patients.lesions[i - n]);
            let z = match lesion {
                Some(l) => (0..dims[2]).max_by_key(|&z| (0..dims[0] * dims[1]).filter(|&k| l.data[z * dims[0] * dims[1] + k]).count()).unwrap_or(dims[2] / 2),
                None => dims[2] / 2,
            };
            let mut inside: Vec<f64> = vols[i].data.iter().zip(&mask.data).filter(|(_, &m)| m).map(|(&s, _)| s as f64).collect();
            let lo = percentile(&mut inside, 50.0).unwrap_or(0.0) as f32;
            let hi = percentile(&mut inside, 99.5).unwrap_or(1.0) as f32;
            if i == 0 || i >= n {
                write_overlay(&png_dir.join(format!("{name}_{}_z{z:02}.png", slug(method))), img, &vols[i], lesion, z, (lo, hi), 4)?;
            }
        }
    }

    // Classification: controls vs patients from the subject scores.
    let subject_scores: Vec<Vec<f64>> = maps.iter().map(|(_, vols)| vols.iter().map(|v| subject_score(v, &mask, Some(&ventricles))).collect::<oneclass_volume::Result<Vec<_>>>()).collect::<oneclass_volume::Result<_>>()?;
    let refs: Vec<&[f64]> = subject_scores.iter().map(|s| s.as_slice()).collect();
    let boots: Vec<_> = [Metric::Auroc, Metric::Auroc30, Metric::Aupr].iter().enumerate().map(|(i, &m)| paired_bootstrap(&refs, &labels, m, a.resamples, a.seed.wrapping_add(10 + i as u64))).collect::<Result<_, _>>()?;
    let classification: Vec<Classification> = maps
        .iter()
        .enumerate()
        .map(|(m, (method, _))| Classification {
            method: method.clone(),
            auroc: boots[0].metric_full[m],
            auroc30: boots[1].metric_full[m],
            aupr: boots[2].metric_full[m],
            p_auroc: boots[0].p_bonferroni[m],
            p_auroc30: boots[1].p_bonferroni[m],
            p_aupr: boots[2].p_bonferroni[m],
            subject_scores: subject_scores[m].clone(),
        })
        .collect();

    // Localization: voxel-wise per patient inside the analysis mask.
    let mut localization = Vec::new();
    for (method, vols) in &maps {
        let mut per = Vec::new();
        for (k, name) in patients.names.iter().enumerate() {
            let vm = voxel_metrics(&vols[n + k], &patients.lesions[k], &mask)?;
            per.push(PatientLocalization { subject: name.clone(), auroc: vm.auroc, auroc30: vm.auroc30, aupr: vm.aupr, prevalence: vm.prevalence, lesion_cm3: patients.lesion_cm3[k], lesion_voxels: vm.n_lesion });
        }
        let col = |f: fn(&PatientLocalization) -> f64| per.iter().map(f).collect::<Vec<f64>>();
        let ((au, aus), (a30, a30s), (ap, aps)) = (mean_std(&col(|p| p.auroc)), mean_std(&col(|p| p.auroc30)), mean_std(&col(|p| p.aupr)));
        let prevalence = mean_std(&col(|p| p.prevalence)).0;
        localization.push(Localization { method: method.clone(), auroc: au, auroc_std: aus, auroc30: a30, auroc30_std: a30s, aupr: ap, aupr_std: aps, prevalence, per_patient: per });
    }
    let mut rank_tests = serde_json::Map::new();
    for (key, f) in [("auroc", (|p: &PatientLocalization| p.auroc) as fn(&PatientLocalization) -> f64), ("auroc30", |p| p.auroc30), ("aupr", |p| p.aupr)] {
        let groups: Vec<Vec<f64>> = localization.iter().map(|l| l.per_patient.iter().map(f).collect()).collect();
        let refs: Vec<&[f64]> = groups.iter().map(|g| g.as_slice()).collect();
        let entry = match (kruskal_wallis(&refs), dunn_bonferroni(&refs)) {
            (Ok(kw), Ok(dunn)) => serde_json::json!({"kruskal_wallis": kw, "dunn_bonferroni": dunn}),
            (Err(e), _) | (_, Err(e)) => serde_json::json!({"error": e.to_string()}),
        };
        rank_tests.insert(key.into(), entry);
    }

    // Tables in the layout of seed 001 tables II and III.
    let alpha = 0.01;
    let fmt = |v: f64, best: bool, same: bool| if best { format!("**{v:.3}**") } else if same { format!("<u>{v:.3}</u>") } else { format!("{v:.3}") };
    let mut md = format!(
        "# 3-D volumes: seed 001 experiment 2 on phantoms\n\n{n} young training controls, {n} old test controls, {n} old patients; phantoms {dims:?}; patch {PATCH}×{PATCH}; auto-encoders: {epochs} epochs on {} training patches; localized OCSVM ν = {}, (2·{}+1)³ neighbourhood; patient-specific OCSVM ν = {} on ≤ {} patches.{}\n\n## Classification (test controls vs patients; subject score = 98th percentile of the map outside the ventricles)\n\nBest in **bold**; <u>underlined</u>: not significantly worse (paired bootstrap, {} resamples, Bonferroni, p ≥ {alpha}).\n\n| Methods | AU ROC | AU ROC 30 | AU PR (0.5) |\n|---|---|---|---|\n",
        samples.n,
        loc_cfg.nu,
        loc_cfg.radius,
        ps_cfg.nu,
        ps_cfg.max_points,
        if a.quick { " **Quick smoke run.**" } else { "" },
        a.resamples
    );
    for (m, c) in classification.iter().enumerate() {
        md += &format!(
            "| {} | {} | {} | {} |\n",
            c.method,
            fmt(c.auroc, boots[0].best == m, c.p_auroc >= alpha),
            fmt(c.auroc30, boots[1].best == m, c.p_auroc30 >= alpha),
            fmt(c.aupr, boots[2].best == m, c.p_aupr >= alpha)
        );
    }
    let prevalence = localization.first().map_or(0.0, |l| l.prevalence);
    md += &format!("\n## Localization (patients, voxel-wise inside the analysis mask; mean ± std over patients)\n\n| Methods | AU ROC | AU ROC 30 | AU PR ({prevalence:.3}) |\n|---|---|---|---|\n");
    for l in &localization {
        md += &format!("| {} | {:.3} ± {:.3} | {:.3} ± {:.3} | {:.3} ± {:.3} |\n", l.method, l.auroc, l.auroc_std, l.auroc30, l.auroc30_std, l.aupr, l.aupr_std);
    }
    for (key, v) in &rank_tests {
        if let Some(kw) = v.get("kruskal_wallis") {
            md += &format!("\nKruskal–Wallis on per-patient {key}: H = {:.3}, p = {:.2e}; Dunn (Bonferroni) p-values: {}", kw["h"].as_f64().unwrap_or(f64::NAN), kw["p_value"].as_f64().unwrap_or(f64::NAN), v["dunn_bonferroni"]);
        }
    }
    md += "\n\n## Throughput (this run, 2-core CPU)\n\n| encoder | training (s) | patches encoded | patches/s | localized fits | fits/s | points per fit | degenerate | p.s. fits (s) |\n|---|---|---|---|---|---|---|---|---|\n";
    for (label, s, train_s) in &stats {
        md += &format!(
            "| {label} | {train_s:.1} | {} | {:.0} | {} | {:.0} | {:.0} | {} | {} ({:.1}) |\n",
            s.patches_encoded,
            s.patches_encoded as f64 / s.encode_seconds.max(1e-9),
            s.localized_fits,
            s.localized_fits as f64 / s.localized_seconds.max(1e-9),
            s.mean_points,
            s.degenerate_fits,
            s.patient_specific_fits,
            s.patient_specific_seconds
        );
    }
    let seconds = start.elapsed().as_secs_f64();
    md += &format!("\nTotal {seconds:.0} s; peak resident memory {:.0} MB.\n", peak_rss_mb().unwrap_or(f64::NAN));

    let mut csv = String::from("task,method,subject,auroc,auroc30,aupr,prevalence,lesion_cm3,subject_score,label\n");
    for c in &classification {
        for (i, s) in c.subject_scores.iter().enumerate() {
            csv += &format!("classification,{},{},,,,,,{s},{}\n", c.method, test_names[i], labels[i]);
        }
    }
    for l in &localization {
        for p in &l.per_patient {
            csv += &format!("localization,{},{},{},{},{},{},{},,1\n", l.method, p.subject, p.auroc, p.auroc30, p.aupr, p.prevalence, p.lesion_cm3);
        }
    }
    let throughput: Vec<serde_json::Value> = stats.iter().map(|(l, s, t)| serde_json::json!({"encoder": l, "training_seconds": t, "stats": s})).collect();
    let report = serde_json::json!({
        "benchmark": "volumes",
        "quick": a.quick,
        "seed": a.seed,
        "phantom": cfg,
        "subjects_per_cohort": n,
        "train_ages": train.ages, "control_ages": controls.ages, "patient_ages": patients.ages,
        "epochs": epochs,
        "training_patches": samples.n,
        "localized": loc_cfg,
        "patient_specific": ps_cfg,
        "subject_score": "98th percentile of the score map (= -2nd percentile of the OCSVM decision) inside the analysis mask, ventricles excluded",
        "classification": classification,
        "localization": localization,
        "localization_tests": rank_tests,
        "throughput": throughput,
        "peak_rss_mb": peak_rss_mb(),
        "seconds": seconds,
    });
    crate::io::write_text(&a.out.join("report.json"), &serde_json::to_string_pretty(&report)?)?;
    crate::io::write_text(&a.out.join("table.md"), &md)?;
    crate::io::write_text(&a.out.join("results.csv"), &csv)?;
    print!("{md}");
    Ok(())
}

/// Patches/s, localized fits/s and peak memory on a full-size phantom.
fn throughput(a: &VolumesArgs) -> Result<()> {
    let start = Instant::now();
    std::fs::create_dir_all(&a.out).with_context(|| format!("{}: cannot create the output folder", a.out.display()))?;
    let dims = [186, 218, 135];
    let cfg = PhantomConfig::new(dims);
    let mask = atlas_mask(&cfg);
    let t = Instant::now();
    let train = cohort(&cfg, "train_", 2, a.seed.wrapping_add(1), (0.0, 0.3), false)?;
    let test = cohort(&cfg, "patient_", 1, a.seed.wrapping_add(3), (0.6, 1.0), true)?;
    let gen_s = t.elapsed().as_secs_f64();
    let rss_volumes = peak_rss_mb();
    println!("3 phantoms {dims:?} ({} masked voxels each) generated in {gen_s:.1} s; peak RSS {:.0} MB", mask.count(), rss_volumes.unwrap_or(f64::NAN));
    let samples = training_patches(&train.images, &mask, 2000, a.seed)?;
    let model = train_patch_model(Method::Sae, &samples, 1, a.seed)?;
    let mut enc = encoder(&model);

    // Encoding: stream every masked patch of the central slices in batches of 1024.
    let slice_range = dims[2] / 2 - 4..dims[2] / 2 + 4;
    let mut sub = Mask::new(dims, vec![false; mask.data.len()])?;
    for z in slice_range.clone() {
        let plane = dims[0] * dims[1];
        sub.data[z * plane..(z + 1) * plane].copy_from_slice(&mask.data[z * plane..(z + 1) * plane]);
    }
    let t = Instant::now();
    let mut encoded = 0usize;
    for batch in PatchStream::new(&test.images[0], &sub, PATCH, 1024)? {
        let codes = enc(&batch.patches, batch.voxels.len())?;
        encoded += codes.len() / 400;
    }
    let encode_rate = encoded as f64 / t.elapsed().as_secs_f64();
    println!("encoded {encoded} patches at {encode_rate:.0} patches/s");

    // Localized OCSVM on growing slab ranges: the peak memory should not grow with them.
    let mut runs = Vec::new();
    for slices in [1usize, 3, 9] {
        let z0 = dims[2] / 2;
        let loc_cfg = LocalizedConfig { radius: a.radius, patch: PATCH, slices: Some(z0..z0 + slices), ..LocalizedConfig::default() };
        let out = score_maps(&train.images, &test.images, &mask, &mut enc, &loc_cfg, None)?;
        let s = &out.stats;
        let row = serde_json::json!({
            "slices": slices,
            "localized_fits": s.localized_fits,
            "fits_per_second": s.localized_fits as f64 / s.localized_seconds.max(1e-9),
            "points_per_fit": s.mean_points,
            "patches_encoded": s.patches_encoded,
            "patches_per_second": s.patches_encoded as f64 / s.encode_seconds.max(1e-9),
            "seconds": s.total_seconds,
            "peak_rss_mb": peak_rss_mb(),
        });
        println!("{row}");
        runs.push(row);
    }
    let mut md = format!(
        "# 3-D volumes: throughput on a full-size {}×{}×{} phantom ({} masked voxels)\n\nCPU, 2 cores; patch-ae (S-H2) encoder, codes of 400 values; localized OCSVM with 2 training subjects, radius {} ((2r+1)³·2 points per fit).\n\n| what | value |\n|---|---|\n| phantom generation (3 subjects) | {gen_s:.1} s |\n| peak RSS after generating the volumes | {:.0} MB |\n| patches encoded per second (batches of 1024) | {encode_rate:.0} |\n",
        dims[0], dims[1], dims[2], mask.count(), a.radius, rss_volumes.unwrap_or(f64::NAN)
    );
    for r in &runs {
        md += &format!(
            "| {} slice(s): localized fits per second | {:.0} ({} fits, {:.0} points each) |\n| {} slice(s): peak RSS | {:.0} MB |\n",
            r["slices"], r["fits_per_second"].as_f64().unwrap_or(0.0), r["localized_fits"], r["points_per_fit"].as_f64().unwrap_or(0.0), r["slices"], r["peak_rss_mb"].as_f64().unwrap_or(f64::NAN)
        );
    }
    let seconds = start.elapsed().as_secs_f64();
    md += &format!("\nTotal {seconds:.0} s.\n");
    let report = serde_json::json!({"benchmark": "volumes-throughput", "dims": dims, "masked_voxels": mask.count(), "generation_seconds": gen_s, "peak_rss_after_volumes_mb": rss_volumes, "patches_per_second": encode_rate, "patches_encoded": encoded, "localized": runs, "seconds": seconds});
    crate::io::write_text(&a.out.join("throughput.json"), &serde_json::to_string_pretty(&report)?)?;
    crate::io::write_text(&a.out.join("throughput.md"), &md)?;
    print!("{md}");
    Ok(())
}
