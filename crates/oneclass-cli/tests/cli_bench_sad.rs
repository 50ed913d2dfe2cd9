//! `oneclass bench sad-scenarios --quick` on the real MNIST (normal digit 1, 1,000 training
//! images, 2 + 2 epochs): the three scenario tables are written with the published numbers
//! beside ours, the cells that share a model agree, and a second run continues.

mod common;

#[test]
fn quick_scenarios_write_tables_and_resume() {
    let data = common::shared_data("mnist");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sad");
    let run = || common::quick_bench("sad-scenarios", &[], &data, &out);
    let (stdout, _) = run();
    for title in ["(i) ratio of labeled anomalies", "(ii) pollution", "(iii) number of known anomaly classes"] {
        assert!(stdout.contains(title), "{stdout}");
    }
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let sc = &report["scenarios"];
    let mean = |s: &str, level: &str, col: &str| sc[s][level][col]["mean"].as_f64().unwrap_or(f64::NAN);
    // Every filled cell is an AUROC; digit 1 vs the rest is easy even after 2 + 2 epochs
    // (0.95–0.99 for the Deep SVDD variants when this test was written).
    for (s, level, col) in [("i", "0 %", "oc-dsvdd"), ("i", "5 %", "oc-ss-dsvdd"), ("ii", "10 %", "oc-dsvdd"), ("iii", "2", "oc-ss-dsvdd")] {
        let v = mean(s, level, col);
        assert!(v > 0.8 && v <= 1.0, "{s} {level} {col}: {v}");
    }
    for (s, level, col) in [("i", "5 %", "classifier"), ("ii", "10 %", "classifier"), ("ii", "10 %", "soft-dsvdd"), ("iii", "2", "classifier")] {
        let v = mean(s, level, col);
        assert!((0.0..=1.0).contains(&v), "{s} {level} {col}: {v}");
    }
    // Without labels SS-DSVDD is one-class Deep SVDD; row 0 of (iii) is (ii)'s unsupervised baseline at 10 %.
    assert_eq!(mean("i", "0 %", "oc-ss-dsvdd"), mean("i", "0 %", "oc-dsvdd"));
    assert_eq!(sc["i"]["0 %"]["oc-ss-dsvdd"]["same_model_as_unsupervised"], true);
    assert_eq!(mean("i", "0 %", "soft-ss-dsvdd"), mean("i", "0 %", "soft-dsvdd"));
    let soft_ss = mean("i", "5 %", "soft-ss-dsvdd");
    assert!(soft_ss > 0.8 && soft_ss <= 1.0, "soft SS-DSVDD at 5 %: {soft_ss}");
    assert_eq!(sc["i"]["5 %"]["soft-ss-dsvdd"]["paper_mean"], 94.7);
    assert_eq!(mean("iii", "0", "oc-dsvdd"), mean("ii", "10 %", "oc-dsvdd"));
    assert!(sc["i"]["5 %"]["soft-dsvdd"].is_null(), "no unsupervised cell at 5 % labeled in table 1");
    assert_eq!(sc["i"]["5 %"]["oc-ss-dsvdd"]["paper_mean"], 96.8);
    // 13 distinct models: (i) 2 unsupervised + 2 SS + classifier, (ii) 2 + 3 at 10 %, (iii) 3 at k = 2.
    assert_eq!(report["models"], 13, "{report}");
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), 14);
    // The pollution units report their unlabeled anomalies; the labeled units their labels.
    let units: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    for u in units["units"].as_array().unwrap() {
        let polluted = u["ratio_pollution"].as_f64().unwrap() > 0.0;
        assert_eq!(u["n_pollution"].as_u64().unwrap() > 0, polluted, "{u}");
        let supervised = ["oc-ss-dsvdd", "soft-ss-dsvdd", "classifier"].contains(&u["method"].as_str().unwrap());
        assert_eq!(u["n_labeled_anomalies"].as_u64().unwrap() > 0, supervised, "{u}");
    }
    let (_, second) = run();
    assert!(second.contains("continuing: 13 units already done"), "{second}");
}
