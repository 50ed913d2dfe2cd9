//! The `oneclass` binary end to end: fit → score → eval, and every bad input of issue 2
//! giving a clear error (exit code ≠ 0, no panic, no output file left behind).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn oneclass(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oneclass")).args(args).output().expect("run oneclass")
}

fn shared(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(rel);
    assert!(p.exists(), "missing {} (tests need ../shared beside the repository)", p.display());
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs a command that must fail; returns stderr. Checks: non-zero exit, no panic, no output file.
fn fails(args: &[&str], output: &Path, expect: &[&str]) -> String {
    let out = oneclass(args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    assert!(!output.exists(), "{args:?} left {} behind", output.display());
    let dir = output.parent().unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().to_string()).filter(|n| n.contains(".tmp")).collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    for e in expect {
        assert!(err.contains(e), "{args:?}: error {err:?} does not mention {e:?}");
    }
    err
}

#[test]
fn fit_score_eval_matches_exact_reference() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.json");
    let scores = dir.path().join("s.npy");
    let out = oneclass(&["fit", "ocsvm", "--train", s(&shared("fixtures/ocsvm/X_train_d32_n2000.csv")), "--nu", "0.1", "--kernel", "rbf", "--gamma", "scale", "--tol", "1e-6", "--model", s(&model)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    for key in ["n = 2000", "d = 32", "gamma = ", "support vectors = ", "rho = ", "iterations = ", "seconds = "] {
        assert!(text.contains(key), "fit output lacks {key}: {text}");
    }
    let out = oneclass(&["score", "--model", s(&model), "--input", s(&shared("fixtures/ocsvm/X_test_d32.npy")), "--output", s(&scores)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got = oneclass_data::read_npy(&scores).unwrap().to_f64();
    let exact = oneclass_data::read_npy(&shared("fixtures/ocsvm/exact_decision_test_d32_n2000.npy")).unwrap().to_f64();
    let rho = oneclass_data::read_npy(&shared("fixtures/ocsvm/exact_rho_gamma_d32_n2000.npy")).unwrap().to_f64()[0];
    let worst = got.iter().zip(&exact).map(|(s, f)| (s + f).abs()).fold(0.0, f64::max);
    assert!(worst <= 1e-5 * rho.abs().max(1.0), "score = −f within 1e-5·max(1,|ρ|): worst {worst}");

    // eval on the fixture scores with labels made from the exact decision's sign
    let labels = dir.path().join("y.csv");
    std::fs::write(&labels, exact.iter().map(|f| if *f < 0.0 { "1\n" } else { "0\n" }).collect::<String>()).unwrap();
    let out = oneclass(&["eval", "--scores", s(&scores), "--labels", s(&labels)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["n"], 10000);
    assert!(json["auroc"].as_f64().unwrap() > 0.999, "{json}");
    for key in ["auroc30", "aupr", "f1", "n_anomalies"] {
        assert!(json.get(key).is_some(), "{json}");
    }
}

#[test]
fn bad_inputs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    let model = p("m.json");
    let write = |name: &str, text: &str| {
        std::fs::write(p(name), text).unwrap();
        p(name)
    };
    let fit = |train: &Path, extra: &[&str]| {
        let mut a = vec!["fit", "ocsvm", "--train", s(train), "--model", s(&model)];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run_fit = |train: &Path, extra: &[&str], expect: &[&str]| {
        let args = fit(train, extra);
        fails(&args.iter().map(|x| x.as_str()).collect::<Vec<_>>(), &model, expect)
    };
    let good = write("good.csv", "1,2\n3,4\n5,7\n");
    run_fit(&write("nan.csv", "1,2\n3,nan\n"), &[], &["nan.csv"]);
    run_fit(&write("inf.csv", "1,2\n3,4\ninf,1\n"), &[], &["inf.csv"]);
    run_fit(&write("ragged.csv", "1,2\n3\n"), &[], &["ragged.csv", "line 2"]);
    run_fit(&write("empty.csv", ""), &[], &["empty.csv"]);
    run_fit(&write("missing.csv", "1,2\n?,4\n"), &[], &["missing.csv"]);
    run_fit(&write("const.csv", "2,2\n2,2\n"), &["--gamma", "scale"], &["variance"]);
    run_fit(&shared("data/odds/smtp.mat"), &[], &["smtp.mat", "v7.3"]);
    run_fit(&p("does-not-exist.npy"), &[], &["does-not-exist.npy"]);
    run_fit(&good, &["--nu", "0"], &["nu"]);
    run_fit(&good, &["--nu", "1.5"], &["nu"]);
    run_fit(&good, &["--tol=-1"], &["tol"]);
    run_fit(&good, &["--gamma=-2"], &["gamma"]);
    run_fit(&good, &["--kernel", "cubic"], &["kernel"]);
    // dropping rows with missing values is allowed when asked for
    let ok = oneclass(&fit(&p("missing.csv"), &["--drop-missing", "--gamma", "auto"]).iter().map(|x| x.as_str()).collect::<Vec<_>>());
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));

    // degenerate but valid: n = 1 (with a numeric gamma), ν·n < 1, ν = 1
    let one = write("one.csv", "1,2,3\n");
    for extra in [&["--gamma", "0.5"][..], &["--gamma", "auto", "--nu", "1"][..]] {
        let out = oneclass(&fit(&one, extra).iter().map(|x| x.as_str()).collect::<Vec<_>>());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let out = oneclass(&fit(&good, &["--nu", "0.1"]).iter().map(|x| x.as_str()).collect::<Vec<_>>());
    assert!(out.status.success());

    // scoring with the wrong number of columns, or a broken model file
    let scores = p("scores.csv");
    fails(&["score", "--model", s(&model), "--input", s(&one), "--output", s(&scores)], &scores, &["3 columns", "2"]);
    let broken = write("broken.json", "{\"method\": \"ocsvm\", \"format\": \"oneclass-model\"");
    fails(&["score", "--model", s(&broken), "--input", s(&good), "--output", s(&scores)], &scores, &["broken.json"]);
    fails(&["score", "--model", s(&good), "--input", s(&good), "--output", s(&scores)], &scores, &["good.csv"]);

    // eval: one class only, lengths that differ, labels that are not 0/1
    let sc = write("sc.csv", "0.1\n0.5\n0.3\n");
    let nothing = p("no-output");
    fails(&["eval", "--scores", s(&sc), "--labels", s(&write("y0.csv", "0\n0\n0\n"))], &nothing, &["class"]);
    fails(&["eval", "--scores", s(&sc), "--labels", s(&write("y2.csv", "0\n1\n"))], &nothing, &["y2.csv"]);
    fails(&["eval", "--scores", s(&sc), "--labels", s(&write("y3.csv", "0\n2\n1\n"))], &nothing, &["y3.csv"]);
}

#[test]
fn demo_runs_on_built_in_data() {
    let out = oneclass(&["demo"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert!(json["auroc"].as_f64().unwrap() > 0.8, "{text}");
}

/// `eval --groups NAME`: the AUROC within each group of an integer array of the labels file,
/// against hand-counted pairs; bad group files are refused with the file and array named.
#[test]
fn eval_reports_the_auroc_within_each_group() {
    use oneclass_data::{write_npz, NpyArray};
    let dir = tempfile::tempdir().unwrap();
    let scores = dir.path().join("s.npy");
    // Group 0 ranks both anomalies above both normals (AUROC 1); in group 5 the anomalies score
    // 0.1 and 0.5 against normals 0.9 and 0.5: of the 4 pairs only the tie counts, ½ → 0.125.
    let sc = [0.1, 0.9, 0.2, 0.8, 0.9, 0.1, 0.5, 0.5];
    oneclass_data::write_npy(&scores, &NpyArray::from_f64(vec![8], sc.to_vec()).unwrap()).unwrap();
    let y = NpyArray::from_i64(vec![8], vec![0, 1, 0, 1, 0, 1, 0, 1]).unwrap();
    let labels = dir.path().join("test.npz");
    write_npz(&labels, &[("y", &y), ("corruption", &NpyArray::from_i64(vec![8], vec![0, 0, 0, 0, 5, 5, 5, 5]).unwrap())]).unwrap();
    let out = oneclass(&["eval", "--scores", s(&scores), "--labels", s(&labels), "--groups", "corruption"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["auroc_by_group"], serde_json::json!({ "0": 1.0, "5": 0.125 }), "{json}");
    assert_eq!(json["n"], 8, "the pooled metrics stay: {json}");

    let bad = dir.path().join("bad.npz");
    write_npz(&bad, &[("y", &y), ("g", &NpyArray::from_f64(vec![8], vec![0.0, 0.5, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0]).unwrap()), ("one", &NpyArray::from_i64(vec![8], vec![0, 0, 0, 0, 0, 1, 0, 1]).unwrap())]).unwrap();
    let csv = dir.path().join("y.csv");
    std::fs::write(&csv, "0\n1\n0\n1\n0\n1\n0\n1\n").unwrap();
    let nothing = dir.path().join("none");
    fails(&["eval", "--scores", s(&scores), "--labels", s(&bad), "--groups", "g"], &nothing, &["bad.npz", "`g`[1] = 0.5", "integer"]);
    fails(&["eval", "--scores", s(&scores), "--labels", s(&bad), "--groups", "missing"], &nothing, &["bad.npz", "missing"]);
    fails(&["eval", "--scores", s(&scores), "--labels", s(&bad), "--groups", "one"], &nothing, &["bad.npz", "group 1"]);
    fails(&["eval", "--scores", s(&scores), "--labels", s(&csv), "--groups", "g"], &nothing, &["y.csv", ".npz or .mat"]);
}
