//! Shared helpers for the tests: fixtures written by scripts/make_shallow_fixtures.py and the
//! real datasets in ../shared/data.
#![allow(dead_code)]

use ndarray::Array2;
use serde_json::Value;
use std::path::PathBuf;

pub fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read fixture {} ({e}); regenerate with scripts/make_shallow_fixtures.py",
            path.display()
        )
    });
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("fixture {} is not valid JSON: {e}", path.display()))
}

pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("expected a JSON array")
        .iter()
        .map(|x| x.as_f64().expect("expected a number"))
        .collect()
}

/// A {"rows", "cols", "data"} matrix from the fixture.
pub fn matrix(v: &Value) -> Array2<f64> {
    let rows = v["rows"].as_u64().expect("rows") as usize;
    let cols = v["cols"].as_u64().expect("cols") as usize;
    Array2::from_shape_vec((rows, cols), floats(&v["data"]))
        .expect("matrix data matches rows × cols")
}

/// A dataset from ../shared/data (path relative to it), as (X, labels).
pub fn dataset(rel: &str) -> (Array2<f64>, Vec<u8>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel);
    if !path.exists() {
        panic!("dataset {} is missing: these tests need the shared datasets (../shared/data next to the repository)", path.display());
    }
    let table = oneclass_data::read_table(&path, &oneclass_data::TableOptions::default())
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let y = table
        .y
        .unwrap_or_else(|| panic!("{} has no labels", path.display()));
    (table.x, y)
}

/// |actual − expected| ≤ rel · max(1, |expected|) for every entry.
pub fn assert_close(actual: &[f64], expected: &[f64], rel: f64, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: length");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        let tol = rel * e.abs().max(1.0);
        assert!(
            (a - e).abs() <= tol,
            "{what}[{i}]: got {a}, expected {e} (difference {:e} > {tol:e})",
            (a - e).abs()
        );
    }
}
