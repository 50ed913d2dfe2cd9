//! Shared by the `oneclass bench` integration tests: the shared data beside the checkout and a
//! quick benchmark run that must succeed.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// `../shared/data` beside the checkout; fails clearly when `needed` (relative to it) is absent.
pub fn shared_data(needed: &str) -> PathBuf {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    assert!(data.join(needed).exists(), "missing {}", data.join(needed).display());
    data
}

/// `oneclass bench NAME --quick EXTRA… --data-dir DATA --out OUT`, not yet run.
pub fn bench_command(name: &str, extra: &[&str], data: &Path, out: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_oneclass"));
    c.args(["bench", name, "--quick"]).args(extra).args(["--data-dir", data.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    c
}

/// Runs `bench_command`, asserts it succeeded and returns (stdout, stderr).
pub fn quick_bench(name: &str, extra: &[&str], data: &Path, out: &Path) -> (String, String) {
    let o = bench_command(name, extra, data, out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (String::from_utf8_lossy(&o.stdout).to_string(), String::from_utf8_lossy(&o.stderr).to_string())
}
