//! `oneclass bench toll-images --quick` on the real MNIST: Toll and the β = 0 ablation are both
//! in the report with their AUROC and the paper's numbers beside them; a second run continues
//! from OUT/results.json instead of training again. Checkpoints are kept on validation AUROC,
//! and each unit records the validation AUROC that chose its checkpoint.

mod common;

#[test]
fn quick_toll_images_reports_both_variants_and_resumes() {
    let data = common::shared_data("mnist");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("toll");
    let run = || common::quick_bench("toll-images", &["--select", "val-auroc", "--val-rows", "500"], &data, &out);
    let (first, log) = run();
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let units = report["units"].as_array().unwrap();
    assert_eq!(units.len(), 2, "{report}");
    for (variant, beta) in [("toll", 1000.0), ("beta0", 0.0)] {
        let u = units.iter().find(|u| u["variant"] == variant).unwrap_or_else(|| panic!("no {variant} unit: {report}"));
        assert_eq!(u["beta"].as_f64().unwrap(), beta);
        assert_eq!((u["normal_class"].as_u64(), u["n_train"].as_u64(), u["n_test"].as_u64()), (Some(1), Some(1000), Some(1000)));
        let auroc = u["auroc"].as_f64().unwrap();
        // Digit 1 against the rest is the easiest class (published 99.9); 100 iterations of
        // the small network already separate it well (0.996 Toll, 0.995 β = 0 when written).
        assert!(auroc > 0.8 && auroc <= 1.0, "{variant}: AUROC {auroc}");
        let summary = &report["summary"]["mnist"][format!("{variant}/class1")];
        assert_eq!(summary["auroc_mean"].as_f64().unwrap(), auroc);
        assert_eq!(summary["auroc_std"].as_f64().unwrap(), 0.0);
        // Checkpoints every 20 of the 100 iterations; the kept one's validation AUROC is stored.
        let kept = u["kept_iteration"].as_u64().unwrap();
        assert!(kept % 20 == 0 && (20..=100).contains(&kept), "{variant}: kept iteration {kept}");
        let kept_value = u["kept_value"].as_f64().unwrap();
        // The log (stderr is a pipe, no bar is drawn) has a line per checkpoint; the last names the kept one.
        assert!(log.contains("toll iteration 100/100: loss") && log.contains(&format!(", kept iteration {kept} (selection value {kept_value:.6})")), "{log}");
        assert!(kept_value > 0.8 && kept_value <= 1.0, "{variant}: validation AUROC {kept_value}");
        assert_eq!(report["summary"]["mnist"][format!("{variant}/kept_value")]["mean"].as_f64().unwrap(), kept_value);
        // One class and one seed: that seed's mean over classes is the unit's AUROC.
        assert_eq!(report["summary"]["mnist"][format!("{variant}/mean")]["per_seed"]["0"].as_f64().unwrap(), auroc);
    }
    assert!(report["seconds_this_run"].as_f64().unwrap() > 0.0);
    // The Markdown table puts the paper's class-1 values (99.9 for both) beside ours.
    let md = std::fs::read_to_string(out.join("table.md")).unwrap();
    assert!(md.contains("| 1 (1) |") && md.contains("99.9") && md.contains("Quick smoke run"), "{md}");
    assert!(md.contains("Selection value of the kept checkpoints (toll)"), "{md}");
    assert!(first.contains("toll (ours)"), "{first}");
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    let (_, second) = run();
    assert!(second.contains("continuing: 2 units already done"), "{second}");
    let again: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(again["units"].as_array().unwrap().len(), 2);
}

/// `--pixels zscore` (seed 002's MNIST scaling) trains with a linear reconstruction and says so
/// in the stored settings; asking for a sigmoid on z-scored pixels is refused before training;
/// a damaged checkpoint of the unit in progress is refused.
#[test]
fn quick_toll_images_with_z_scored_pixels() {
    let data = common::shared_data("mnist");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("toll-z");
    // The unit in progress continues from OUT/<unit>.toll.ckpt: a file there that is not a
    // checkpoint is refused, naming it, rather than silently trained over.
    std::fs::create_dir_all(&out).unwrap();
    let ckpt = out.join("mnist-class1-toll-seed0.toll.ckpt");
    std::fs::write(&ckpt, b"not a checkpoint").unwrap();
    let args = ["bench", "toll-images", "--quick", "--pixels", "zscore", "--variants", "toll", "--data-dir", data.to_str().unwrap(), "--out", out.to_str().unwrap()];
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_oneclass")).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("mnist-class1-toll-seed0.toll.ckpt") && stderr.contains("not a usable checkpoint"), "{stderr}");
    std::fs::remove_file(&ckpt).unwrap();
    common::quick_bench("toll-images", &["--pixels", "zscore", "--variants", "toll"], &data, &out);
    assert!(!ckpt.exists(), "a finished unit removes its checkpoint");
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let pixels = report["settings"]["pixels"].as_str().unwrap();
    assert!(pixels.contains("z-scored") && pixels.contains("linear output"), "{pixels}");
    let auroc = report["units"][0]["auroc"].as_f64().unwrap();
    // Digit 1 against the rest; 0.996 when written (the [0, 1] run of the test above: 0.996).
    assert!(auroc > 0.8 && auroc <= 1.0, "AUROC {auroc}");

    let refused = tmp.path().join("refused");
    let output = common::bench_command("toll-images", &["--pixels", "zscore", "--set", "output=sigmoid"], &data, &refused).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("--pixels zscore") && stderr.contains("output=sigmoid"), "{stderr}");
    assert!(!refused.exists(), "nothing is written for refused settings");
    let output = common::bench_command("toll-images", &["--datasets", "cifar10"], &data, &refused).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("--quick runs MNIST only"), "a dataset --quick would not run is refused: {stderr}");
}

/// A run killed in the middle of a unit leaves that unit's checkpoint; the next run continues
/// it (its log starts after the saved candidate) and the unit's wall time still counts the
/// training done before the kill.
#[test]
fn interrupted_unit_continues_and_keeps_its_training_time() {
    let data = common::shared_data("mnist");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("toll-cut");
    // --quick takes the digit given (its default is 1).
    let extra = ["--variants", "toll", "--select", "last", "--classes", "7"];
    let ckpt = out.join("mnist-class7-toll-seed0.toll.ckpt");
    let mut child = common::bench_command("toll-images", &extra, &data, &out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The checkpoint appears at iteration 20 of 100 (written to a temporary file, then renamed).
    let mut seen = false;
    while child.try_wait().unwrap().is_none() {
        if ckpt.exists() {
            seen = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().ok();
    child.wait().unwrap();
    assert!(seen, "the run finished before its first checkpoint could be observed");
    let (_, log) = common::quick_bench("toll-images", &extra, &data, &out);
    assert!(!log.contains("toll iteration 20/100") && log.contains("toll iteration 100/100"), "the second run did not continue the checkpoint: {log}");
    assert!(!ckpt.exists(), "a finished unit removes its checkpoint");
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let u = &report["units"][0];
    assert_eq!((report["units"].as_array().unwrap().len(), u["normal_class"].as_u64()), (1, Some(7)), "{u}");
    let (per_iteration, seconds) = (u["seconds_per_iteration"].as_f64().unwrap(), u["seconds"].as_f64().unwrap());
    // seconds_per_iteration averages the whole history, both runs included.
    assert!(seconds >= per_iteration * 100.0 * (1.0 - 1e-12) && per_iteration > 0.0, "unit seconds {seconds} < 100 × {per_iteration}");
}
