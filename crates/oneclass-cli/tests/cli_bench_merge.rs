//! `oneclass bench merge` on the committed results: every results.json under results/ reads as
//! the units of its benchmark, and the parts of the Toll MNIST 800-iteration runs merge into
//! exactly the units of the folders they were merged into by hand and by script before.

use std::path::{Path, PathBuf};
use std::process::Command;

fn results_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../results")
}

fn merge(out: &Path, parts: &[PathBuf]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_oneclass")).args(["bench", "merge", "--out", out.to_str().unwrap()]).args(parts).output().unwrap()
}

/// The units of `folder/results.json`, sorted; a field written as null counts as absent (older
/// files lack fields that newer versions write as null).
fn units(folder: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(folder.join("results.json")).unwrap();
    let store: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut units = store["units"].as_array().unwrap().clone();
    for u in &mut units {
        if let Some(fields) = u.as_object_mut() {
            fields.retain(|_, v| !v.is_null());
        }
    }
    units.sort_by_key(|u| u.to_string());
    units
}

/// Folders under `dir` (two levels) that hold a results.json.
fn result_folders(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.join("results.json").exists() {
                found.push(path.clone());
            }
            if depth > 1 {
                result_folders(&path, depth - 1, found);
            }
        }
    }
}

#[test]
fn every_committed_results_file_reads_as_its_units() {
    let mut folders = Vec::new();
    result_folders(&results_dir(), 2, &mut folders);
    assert!(folders.len() >= 30, "{folders:?}");
    let tmp = tempfile::tempdir().unwrap();
    for (i, folder) in folders.iter().enumerate() {
        let out = tmp.path().join(i.to_string());
        let o = merge(&out, std::slice::from_ref(folder));
        assert!(o.status.success(), "{}: {}", folder.display(), String::from_utf8_lossy(&o.stderr));
        // Older files lack fields that the benchmark now reads with a default: every field of
        // every committed unit must come back unchanged, and nothing else may be lost.
        let (merged, committed) = (units(&out), units(folder));
        assert_eq!(merged.len(), committed.len(), "{}", folder.display());
        for c in &committed {
            let kept = merged.iter().any(|m| c.as_object().unwrap().iter().all(|(k, v)| m.get(k) == Some(v)));
            assert!(kept, "{}: unit {c} is not in the merge", folder.display());
        }
    }
}

#[test]
fn committed_parts_merge_into_their_committed_whole() {
    let run = results_dir().join("toll-images-mnist-w32-800it-val");
    let tmp = tempfile::tempdir().unwrap();
    for (prefix, whole) in [("", run.clone()), ("seed1-", run.join("seed1")), ("seed2-", run.join("seed2"))] {
        let out = tmp.path().join(format!("{prefix}whole"));
        let parts = [run.join(format!("{prefix}part-a")), run.join(format!("{prefix}part-b"))];
        let o = merge(&out, &parts);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(units(&out) == units(&whole), "{}: the merged units differ", whole.display());
    }
    // Parts of two different runs (400 and 800 iterations) are refused, naming the setting.
    let o = merge(&tmp.path().join("mixed"), &[run.join("part-a"), results_dir().join("toll-images-mnist-w32-val")]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && stderr.contains("set.iterations"), "{stderr}");
    // A benchmark that cannot be split into parts is named in the refusal.
    let odd = tmp.path().join("odd");
    std::fs::create_dir_all(&odd).unwrap();
    std::fs::write(odd.join("results.json"), r#"{"benchmark": "ogae-mnist-c", "settings": {}, "units": []}"#).unwrap();
    let o = merge(&tmp.path().join("odd-out"), &[odd]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && stderr.contains("ogae-mnist-c"), "{stderr}");
}
