//! `oneclass bench alteration --quick` on the real MNIST: every model has an AUROC per
//! alteration, the collapse run has each configuration with the guard's flag consistent with its
//! recorded spreads (and its warnings in the log), and a second run continues from
//! OUT/results.json.

mod common;

#[test]
fn quick_alteration_reports_models_and_collapse_run() {
    let data = common::shared_data("mnist");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("alt");
    let run = || common::quick_bench("alteration", &[], &data, &out);
    let (_, stderr) = run();
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let units = report["units"].as_array().unwrap();
    let alterations = ["block-2", "block-7", "strokes-1", "strokes-5"];
    let models = ["ocsvm-pca", "iforest-pca", "dsvdd", "dsvdd-bias", "dsvdd-bias-noise", "dsvdd-bias-variance"];
    for m in models {
        let u = units.iter().find(|u| u["kind"] == "model" && u["model"] == m).unwrap_or_else(|| panic!("no {m}: {report}"));
        assert_eq!((u["n_train"].as_u64(), u["n_test_natural"].as_u64()), (Some(500), Some(300)), "{m}");
        for alt in alterations {
            let a = u["auroc"][alt].as_f64().unwrap_or_else(|| panic!("{m} has no {alt}"));
            assert!((0.0..=1.0).contains(&a), "{m} {alt}: {a}");
            assert_eq!(report["summary"][m][alt]["auroc_mean"].as_f64().unwrap(), a);
        }
        assert_eq!(u["collapse_flagged"].is_boolean(), m.starts_with("dsvdd"), "{m}");
    }
    // Swapping the four 14×14 quarters of a digit moves its strokes to the corners: PCA +
    // OC-SVM separates them clearly (0.769 when written; chance is 0.5).
    let ocsvm = report["summary"]["ocsvm-pca"]["block-2"]["auroc_mean"].as_f64().unwrap();
    assert!(ocsvm > 0.7, "OC-SVM on block-2: {ocsvm}");
    let collapse: Vec<&serde_json::Value> = units.iter().filter(|u| u["kind"] == "collapse").collect();
    assert_eq!(collapse.len(), 6, "{report}");
    for c in &collapse {
        let spreads: Vec<f64> = c["spreads"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        assert_eq!(spreads.len(), 4, "{c}");
        let flagged = spreads.iter().any(|&s| s < 1e-3 * spreads[0]);
        assert_eq!(c["collapse_flagged"].as_bool().unwrap(), flagged, "{c}");
        let ratio = c["spread_ratio"].as_f64().unwrap();
        assert!((ratio - spreads[3] / spreads[0]).abs() <= 1e-12 * ratio.abs(), "{c}");
        let (mean, std, cv) = (c["score_mean"].as_f64().unwrap(), c["score_std"].as_f64().unwrap(), c["score_cv"].as_f64().unwrap());
        assert!((cv - std / mean.abs()).abs() <= 1e-12 * cv.abs().max(1e-300), "{c}");
    }
    // The guard's warning reaches a log too (stderr is a pipe here, where no bar is drawn): one
    // line per flagged epoch (one configuration collapsed when this test was written).
    let flagged_epochs: usize = collapse
        .iter()
        .map(|c| {
            let spreads: Vec<f64> = c["spreads"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
            spreads.iter().filter(|&&s| s < 1e-3 * spreads[0]).count()
        })
        .sum();
    let models_flagged = units.iter().any(|u| u["kind"] == "model" && u["collapse_flagged"] == true);
    let warnings = stderr.matches("(hypersphere collapse?)").count();
    assert!(if models_flagged { warnings >= flagged_epochs } else { warnings == flagged_epochs }, "{flagged_epochs} flagged epochs, {warnings} warnings:\n{stderr}");
    assert!(stderr.contains("train epoch 4/4: loss"), "{stderr}");
    let md = std::fs::read_to_string(out.join("table.md")).unwrap();
    assert!(md.contains("D. SVDD w/ bias & σ² reg.") && md.contains("Collapse run"), "{md}");
    let (_, second) = run();
    assert!(second.contains("continuing: 12 units already done"), "{second}");
}

/// `--quick` takes the sizes and seeds a user gives: 400 training and 200 natural test images,
/// seed 1, and records them in its settings.
#[test]
fn quick_alteration_keeps_given_sizes() {
    let data = common::shared_data("mnist");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("alt-sizes");
    common::quick_bench("alteration", &["--models", "ocsvm-pca", "--no-collapse", "--n-train", "400", "--n-test", "200", "--seeds", "1"], &data, &out);
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let u = &report["units"][0];
    assert_eq!((u["n_train"].as_u64(), u["n_test_natural"].as_u64(), u["seed"].as_u64()), (Some(400), Some(200), Some(1)), "{u}");
    assert_eq!((report["settings"]["n_train"].as_str(), report["settings"]["n_test"].as_str()), (Some("400"), Some("200")), "{report}");
}
