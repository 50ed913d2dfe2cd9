//! `oneclass fit iforest|kde|ocsvm --pca` → score → eval on ODDS cardio (1,831 × 21, 176 anomalies).

use std::path::Path;
use std::process::Command;

fn oneclass(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_oneclass")).args(args).output().unwrap()
}

fn auroc_of(method: &[&str]) -> f64 {
    let cardio = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/odds/cardio.mat");
    assert!(cardio.exists(), "missing {}", cardio.display());
    let tmp = tempfile::tempdir().unwrap();
    let (model, scores) = (tmp.path().join("m.json"), tmp.path().join("s.npy"));
    let c = cardio.to_str().unwrap();
    let mut fit = vec!["fit"];
    fit.extend_from_slice(method);
    fit.extend_from_slice(&["--train", c, "--model", model.to_str().unwrap()]);
    let o = oneclass(&fit);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for _ in 0..2 {
        let o = oneclass(&["score", "--model", model.to_str().unwrap(), "--input", c, "--output", scores.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let o = oneclass(&["eval", "--scores", scores.to_str().unwrap(), "--labels", c]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["auroc"].as_f64().unwrap()
}

#[test]
fn shallow_methods_detect_cardio_anomalies() {
    // In-sample detection; Isolation Forest on cardio is ~0.93 for scikit-learn (10-seed mean).
    assert!(auroc_of(&["iforest", "--seed", "3"]) > 0.88);
    assert!(auroc_of(&["ocsvm", "--nu", "0.1", "--pca", "0.95"]) > 0.8);
    assert!(auroc_of(&["kde", "--bandwidth", "2.0"]) > 0.5);
}

#[test]
fn shallow_bad_options_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("m.json");
    let train = tmp.path().join("t.csv");
    std::fs::write(&train, "1,2\n3,4\n5,1\n").unwrap();
    for args in [
        vec!["fit", "kde", "--bandwidth", "wide"],
        vec!["fit", "kde", "--bandwidth=-1"],
        vec!["fit", "iforest", "--max-samples", "lots"],
        vec!["fit", "ocsvm", "--pca", "1.5"],
    ] {
        let mut a = args.clone();
        a.extend_from_slice(&["--train", train.to_str().unwrap(), "--model", model.to_str().unwrap()]);
        let o = oneclass(&a);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && !err.contains("panicked"), "{a:?}: {err}");
        assert!(!model.exists());
    }
}
