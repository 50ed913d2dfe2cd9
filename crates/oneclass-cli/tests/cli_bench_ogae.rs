//! `oneclass bench ogae-mnist-c --quick` on the real MNIST: every row of table I has AUROC,
//! AUPR and AUROC30 in [0, 1], an AUROC per test corruption and a ROC PNG; a second invocation reuses the finished networks
//! from OUT/results.json and reproduces the same report; another seed is refused for that OUT;
//! the 3-vs-4 table reuses the 3-vs-8 run's networks (same training data) and trains none;
//! `--weight-seeds` retrains the chosen settings with another seed and reports mean ± std.

mod common;

#[test]
fn quick_ogae_table_resumes_from_finished_networks() {
    let data = common::shared_data("mnist");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ogae");
    let read = || -> serde_json::Value { serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap() };

    let (stdout, _) = common::quick_bench("ogae-mnist-c", &["--resamples", "100"], &data, &out);
    assert!(stdout.contains("| OgAE ocsvm |"), "{stdout}");
    let first = read();
    assert_eq!(first["counts"]["test"], 2400, "{first}");
    let models = first["models"].as_object().unwrap();
    assert_eq!(models.len(), 12, "{first}");
    for (row, m) in models {
        for key in ["auroc", "aupr", "auroc30"] {
            let v = m[key].as_f64().unwrap_or(f64::NAN);
            assert!((0.0..=1.0).contains(&v), "{row} {key} = {v}");
        }
        let within = m["auroc_by_corruption"].as_object().unwrap();
        let mut names: Vec<&str> = within.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["brightness", "canny_edges", "stripe"], "{row}");
        assert!(within.values().all(|v| (0.0..=1.0).contains(&v.as_f64().unwrap_or(f64::NAN))), "{row}: {within:?}");
        let png = std::fs::read(out.join(m["roc_png"].as_str().unwrap())).unwrap();
        assert_eq!(&png[1..4], b"PNG", "{row}");
    }

    let (_, stderr) = common::quick_bench("ogae-mnist-c", &["--resamples", "100"], &data, &out);
    assert!(stderr.contains("continuing: 8 units already done"), "{stderr}");
    let second = read();
    let stored: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let kept: usize = stored["units"].as_array().unwrap().iter().flat_map(|u| u["rows"].as_array().unwrap()).filter(|r| r.get("test").is_some()).count();
    assert_eq!(kept, 12, "results.json keeps test scores of the 12 chosen rows only");
    for (row, m) in models {
        for key in ["auroc", "aupr", "auroc30", "config", "val_auroc"] {
            assert_eq!(m[key], second["models"][row][key], "{row} {key}");
        }
    }

    let other = tmp.path().join("ogae-3v4");
    let models = out.join("models");
    let (stdout, stderr) = common::quick_bench("ogae-mnist-c", &["--resamples", "100", "--pair", "3,4", "--models", models.to_str().unwrap()], &data, &other);
    assert!(stdout.contains("table IV"), "{stdout}");
    assert_eq!(stderr.matches(": loaded (trained earlier").count(), 8, "{stderr}");
    assert!(!stderr.contains(": trained (in"), "{stderr}");
    let third: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(other.join("report.json")).unwrap()).unwrap();
    assert_eq!(third["pair"], serde_json::json!([3, 4]));
    // The same OgAE network scores both pairs' tests; their test sets differ, so must their AUROCs.
    assert_ne!(third["models"]["OgAE ocsvm"]["auroc"], first["models"]["OgAE ocsvm"]["auroc"]);

    // Weight seeds: the chosen settings trained again with seed 1 (seed 0 is the table's own
    // network); a rerun finds them in weight_seeds.json and trains nothing.
    let seeds_args = ["--resamples", "100", "--pair", "3,4", "--models", models.to_str().unwrap(), "--weight-seeds", "0,1"];
    let (stdout, stderr) = common::quick_bench("ogae-mnist-c", &seeds_args, &data, &other);
    assert!(stdout.contains("other weight seeds") && stdout.contains("| OgAE ocsvm | 0,1 |") && stdout.contains("corruption over the same seeds"), "{stdout}");
    let trained = stderr.matches("[weight seed ").count();
    assert!((1..=8).contains(&trained), "one network per distinct chosen setting: {stderr}");
    let fourth: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(other.join("report.json")).unwrap()).unwrap();
    let mut differ = 0;
    for (row, m) in fourth["models"].as_object().unwrap() {
        assert_eq!(m["auroc"], third["models"][row]["auroc"], "{row}: the table itself is unchanged");
        let w = &m["weight_seeds"];
        assert_eq!(w["seeds"], serde_json::json!([0, 1]), "{row}");
        let values: Vec<f64> = w["auroc"]["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        assert_eq!(values[0], m["auroc"].as_f64().unwrap(), "{row}: seed 0 is the table's network");
        assert!((0.0..=1.0).contains(&values[1]), "{row}: {values:?}");
        assert!((w["auroc"]["mean"].as_f64().unwrap() - (values[0] + values[1]) / 2.0).abs() < 1e-12, "{row}");
        differ += usize::from(values[0] != values[1]);
        let within = w["auroc_by_corruption"].as_object().unwrap();
        assert_eq!(within.len(), 3, "{row}: {within:?}");
        for (name, v) in within {
            assert_eq!(v["values"][0], m["auroc_by_corruption"][name], "{row} {name}: seed 0 is the table's network");
            assert!((0.0..=1.0).contains(&v["values"][1].as_f64().unwrap_or(f64::NAN)), "{row} {name}: {v}");
        }
    }
    assert!(differ >= 6, "other initial weights give other AUROCs: {differ} of 12 rows differ");
    let csv = std::fs::read_to_string(other.join("weight_seeds.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 24, "{csv}");
    let (_, stderr) = common::quick_bench("ogae-mnist-c", &seeds_args, &data, &other);
    assert!(!stderr.contains("[weight seed "), "{stderr}");
    let fifth: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(other.join("report.json")).unwrap()).unwrap();
    assert_eq!(fifth["models"], fourth["models"]);

    let o = common::bench_command("ogae-mnist-c", &["--seed", "1"], &data, &out).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("results.json") && err.contains("settings"), "{err}");
}
