//! Helpers shared by the readers_* integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use oneclass_data::{read_table, DataError, NpyArray, NpyData, TableOptions};
use serde_json::Value;

/// A file made by scripts/make_reader_fixtures.py.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/readers")
        .join(name)
}

/// A file in the shared read-only data folder (../shared/data from the repository root).
pub fn shared_data(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel);
    assert!(
        p.exists(),
        "shared dataset {} is missing: the tests need ../shared/data next to the repository",
        p.display()
    );
    p
}

pub fn shared_fixture(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures")
        .join(rel);
    assert!(
        p.exists(),
        "shared fixture {} is missing: the tests need ../shared/fixtures next to the repository",
        p.display()
    );
    p
}

/// expected.json written by the fixture script.
pub fn expected() -> Value {
    let text = std::fs::read_to_string(fixture("expected.json")).expect("read expected.json");
    serde_json::from_str(&text).expect("parse expected.json")
}

/// A fresh, empty directory for one test.
pub fn temp_dir(test: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("readers-{test}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create temp dir");
    d
}

/// Asserts that the error message contains every needle.
pub fn assert_message(err: &DataError, needles: &[&str]) {
    let msg = err.to_string();
    for n in needles {
        assert!(
            msg.contains(n),
            "error message {msg:?} should contain {n:?}"
        );
    }
}

pub fn shape_of(v: &Value) -> Vec<usize> {
    v["shape"]
        .as_array()
        .expect("shape")
        .iter()
        .map(|d| d.as_u64().expect("dim") as usize)
        .collect()
}

fn hex_bits(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().expect("hex string"), 16).expect("hex")
}

/// Checks shape, dtype and every value exactly (floats by bit pattern).
pub fn assert_array_matches(a: &NpyArray, exp: &Value, what: &str) {
    assert_eq!(a.shape, shape_of(exp), "{what}: shape");
    assert_eq!(
        a.dtype().name(),
        exp["dtype"].as_str().unwrap(),
        "{what}: dtype"
    );
    let values = exp["values"].as_array().expect("values");
    assert_eq!(a.len(), values.len(), "{what}: length");
    let ints = |v: &Value| -> i128 {
        v.as_i64()
            .map(i128::from)
            .or_else(|| v.as_u64().map(i128::from))
            .expect("integer")
    };
    for (i, e) in values.iter().enumerate() {
        let ok = match &a.data {
            NpyData::F64(d) => d[i].to_bits() == hex_bits(e),
            NpyData::F32(d) => u64::from(d[i].to_bits()) == hex_bits(e),
            NpyData::Bool(d) => d[i] == e.as_bool().expect("bool"),
            NpyData::I8(d) => i128::from(d[i]) == ints(e),
            NpyData::I16(d) => i128::from(d[i]) == ints(e),
            NpyData::I32(d) => i128::from(d[i]) == ints(e),
            NpyData::I64(d) => i128::from(d[i]) == ints(e),
            NpyData::U8(d) => i128::from(d[i]) == ints(e),
            NpyData::U16(d) => i128::from(d[i]) == ints(e),
            NpyData::U32(d) => i128::from(d[i]) == ints(e),
            NpyData::U64(d) => i128::from(d[i]) == ints(e),
        };
        assert!(
            ok,
            "{what}: value {i} differs: got {:?}, expected {e}",
            a.to_f64()[i]
        );
    }
}

/// f64 values of an expected float array (decoded from their bit patterns).
pub fn expected_f64(exp: &Value) -> Vec<f64> {
    exp["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| f64::from_bits(hex_bits(v)))
        .collect()
}

/// Checks a real dataset against the reference numbers NumPy/SciPy computed
/// (tests/fixtures/readers/expected.json, section "real").
pub fn check_real(rel: &str) {
    let exp = expected();
    let e = &exp["real"][rel];
    assert!(e.is_object(), "no reference numbers for {rel}");
    let t = read_table(&shared_data(rel), &TableOptions::default())
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(t.x.shape().to_vec(), shape_of(e), "{rel}: shape");
    let y = t.y.as_ref().expect("labels from the container");
    assert_eq!(y.len(), t.x.nrows());
    let anomalies: usize = y.iter().map(|&v| v as usize).sum();
    assert_eq!(
        anomalies as u64,
        e["anomalies"].as_u64().unwrap(),
        "{rel}: anomalies"
    );
    let first: Vec<f64> = e["x_first_row"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    for (j, want) in first.iter().enumerate() {
        // JSON decimals are Python reprs (shortest round trip); allow 1 ulp for the JSON parser.
        let got = t.x[[0, j]];
        assert!(
            (got - want).abs() <= want.abs() * 4e-16,
            "{rel}: X[0,{j}] = {got}, expected {want}"
        );
    }
    let last = e["x_last"].as_f64().unwrap();
    assert!((t.x[[t.x.nrows() - 1, t.x.ncols() - 1]] - last).abs() <= last.abs() * 4e-16);
    let sum: f64 = t.x.iter().sum();
    let want = e["x_sum"].as_f64().unwrap();
    // Summation order differs from NumPy's pairwise sum.
    assert!(
        (sum - want).abs() <= want.abs() * 1e-12,
        "{rel}: sum {sum}, expected {want}"
    );
}
