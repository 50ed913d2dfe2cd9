//! `oneclass data` end to end on the real MNIST in ../shared/data: the stable command lines,
//! the counts of seed 001 S-D, byte-identical output for a seed, errors for a missing dataset.

use std::path::{Path, PathBuf};
use std::process::Command;

fn data_dir() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    assert!(p.join("mnist").exists(), "missing {} (tests need ../shared beside the repository)", p.display());
    p
}

fn oneclass(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_oneclass")).args(args).output().unwrap()
}

#[test]
fn ogae_protocol_counts_and_reproducibility() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_dir();
    let run = |seed: &str, out: &str| {
        let out = tmp.path().join(out);
        let o = oneclass(&["data", "protocol", "ogae-mnist-c", "--pair", "3,8", "--seed", seed, "--data-dir", data.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        out
    };
    let (a, b, c) = (run("0", "a"), run("0", "b"), run("1", "c"));
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(a.join("manifest.json")).unwrap()).unwrap();
    let n = |split: &str| manifest["splits"][split]["n"].as_u64().unwrap();
    assert_eq!(n("train") + n("early_stop"), 18_393);
    assert_eq!(n("val"), 5_952);
    assert_eq!(n("test"), 35_946);
    for f in ["train.npz", "early_stop.npz", "val.npz", "test.npz", "manifest.json"] {
        assert_eq!(std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap(), "{f} differs between two runs with seed 0");
    }
    assert_ne!(std::fs::read(a.join("train.npz")).unwrap(), std::fs::read(c.join("train.npz")).unwrap(), "seed 1 drew the same training set");
}

#[test]
fn mnist_c_command_writes_blocks_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("c.npz");
    let o = oneclass(&["data", "mnist-c", "--corruption", "stripe,brightness", "--split", "test", "--digits", "3,8", "--seed", "3", "--data-dir", data_dir().to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let x = oneclass_data::read_npz_array(&out, "X").unwrap();
    assert_eq!(x.shape, vec![2 * 1984, 1, 28, 28]);
    let y = oneclass_data::read_npz_array(&out, "y").unwrap().to_f64();
    assert_eq!(y.iter().filter(|&&v| v == 3.0).count(), 2 * 1010);
}

#[test]
fn missing_dataset_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let o = oneclass(&["data", "protocol", "ogae-mnist-c", "--data-dir", tmp.path().to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("mnist") && !err.contains("panicked"), "{err}");
    assert!(!out.join("manifest.json").exists());
}
