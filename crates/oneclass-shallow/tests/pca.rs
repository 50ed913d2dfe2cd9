//! PCA against scikit-learn 1.9.1 (fixture from scripts/make_shallow_fixtures.py).

mod support;

use ndarray::{array, Array2};
use oneclass_shallow::{symmetric_eigen, Components, Pca, ShallowError};
use serde_json::Value;
use support::{assert_close, dataset, fixture, floats, matrix};

fn check_case(x: &Array2<f64>, case: &Value, what: &str) {
    let n_components = match &case["n_components"] {
        Value::Null => Components::All,
        v if v.is_u64() => Components::Count(v.as_u64().unwrap() as usize),
        v => Components::VarianceFraction(v.as_f64().unwrap()),
    };
    let whiten = case["whiten"].as_bool().unwrap();
    let what = format!(
        "{what} {n_components:?} whiten={whiten} ({} solver)",
        case["solver"]
    );
    let model = Pca::params()
        .n_components(n_components)
        .whiten(whiten)
        .fit(x.view())
        .unwrap();
    assert_eq!(
        model.n_components(),
        case["n_components_"].as_u64().unwrap() as usize,
        "{what}: n_components_"
    );
    assert_close(
        model.mean(),
        &floats(&case["mean"]),
        1e-12,
        &format!("{what} mean"),
    );
    assert_close(
        model.explained_variance(),
        &floats(&case["explained_variance"]),
        1e-9,
        &format!("{what} explained_variance"),
    );
    assert_close(
        model.explained_variance_ratio(),
        &floats(&case["explained_variance_ratio"]),
        1e-9,
        &format!("{what} ratio"),
    );
    // Same sign convention as svd_flip, so components compare directly (no sign freedom).
    let components = model.components();
    assert_close(
        components.as_slice().unwrap(),
        matrix(&case["components"]).as_slice().unwrap(),
        1e-8,
        &format!("{what} components"),
    );
    let rows = case["transform_rows"].as_u64().unwrap() as usize;
    let projected = model.transform(x.slice(ndarray::s![..rows, ..])).unwrap();
    assert_close(
        projected.as_slice().unwrap(),
        matrix(&case["transform"]).as_slice().unwrap(),
        1e-8,
        &format!("{what} transform"),
    );
}

#[test]
fn synthetic_wide_matches_sklearn_full_svd() {
    let f = fixture("pca.json");
    let s = &f["synthetic_wide"];
    let x = matrix(&s["x"]);
    for case in s["cases"].as_array().unwrap() {
        check_case(&x, case, "synthetic");
    }
}

#[test]
fn benchmark_tables_match_sklearn() {
    let f = fixture("pca.json");
    for set in f["datasets"].as_array().unwrap() {
        let path = set["path"].as_str().unwrap();
        let (x, _) = dataset(path);
        for case in set["cases"].as_array().unwrap() {
            check_case(&x, case, path);
        }
    }
}

#[test]
fn eigen_solver_reconstructs_the_matrix() {
    // A = V Λ Vᵀ with orthonormal V, checked on a matrix with a repeated and a zero eigenvalue.
    let a = array![
        [4.0, 1.0, 0.5, 0.0],
        [1.0, 3.0, 0.0, 0.2],
        [0.5, 0.0, 2.0, 0.0],
        [0.0, 0.2, 0.0, 0.0]
    ];
    let b = array![[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 0.0]];
    for m in [a, b] {
        let (values, vectors) = symmetric_eigen(m.view()).unwrap();
        assert!(
            values.windows(2).into_iter().all(|w| w[0] >= w[1]),
            "descending: {values}"
        );
        let rebuilt = vectors.dot(&Array2::from_diag(&values)).dot(&vectors.t());
        let identity = vectors.t().dot(&vectors);
        for ((i, j), v) in rebuilt.indexed_iter() {
            assert!(
                (v - m[[i, j]]).abs() < 1e-13,
                "rebuilt[{i}][{j}] = {v} vs {}",
                m[[i, j]]
            );
            let id = if i == j { 1.0 } else { 0.0 };
            assert!(
                (identity[[i, j]] - id).abs() < 1e-13,
                "VᵀV[{i}][{j}] = {}",
                identity[[i, j]]
            );
        }
    }
    // Trace and known eigenvalues of a 2 × 2: [[2, 1], [1, 2]] has 3 and 1.
    let (values, _) = symmetric_eigen(array![[2.0, 1.0], [1.0, 2.0]].view()).unwrap();
    assert!(
        (values[0] - 3.0).abs() < 1e-15 && (values[1] - 1.0).abs() < 1e-15,
        "{values}"
    );
    let err = symmetric_eigen(array![[1.0, 2.0], [0.0, 1.0]].view()).unwrap_err();
    assert!(
        err.to_string().contains("expected a symmetric matrix"),
        "{err}"
    );
}

#[test]
fn whitened_training_projection_has_unit_variance_and_round_trips() {
    let f = fixture("pca.json");
    let x = matrix(&f["synthetic_wide"]["x"]);
    let model = Pca::params()
        .n_components(Components::Count(3))
        .whiten(true)
        .fit(x.view())
        .unwrap();
    let z = model.transform(x.view()).unwrap();
    for c in 0..3 {
        let col = z.column(c);
        let mean = col.mean().unwrap();
        let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (col.len() - 1) as f64;
        assert!(
            mean.abs() < 1e-12 && (var - 1.0).abs() < 1e-12,
            "component {c}: mean {mean}, variance {var}"
        );
    }
    let back = Pca::from_json(&model.to_json()).unwrap();
    assert_eq!(back.transform(x.view()).unwrap(), z);
}

#[test]
fn bad_input_is_named() {
    let x = Array2::from_shape_fn((6, 3), |(i, j)| ((i * 7 + j * 3) % 5) as f64);
    let err = Pca::params()
        .n_components(Components::Count(4))
        .fit(x.view())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid parameter n_components = 4: expected at most min(rows, columns) = min(6, 3) = 3"
    );
    let err = Pca::params()
        .n_components(Components::VarianceFraction(1.0))
        .check()
        .unwrap_err();
    assert!(matches!(
        err,
        ShallowError::InvalidParameter {
            name: "n_components",
            ..
        }
    ));
    assert!(matches!(
        Pca::params()
            .fit(x.slice(ndarray::s![..1, ..]))
            .unwrap_err(),
        ShallowError::EmptyData {
            rows: 1,
            min_rows: 2,
            ..
        }
    ));
    assert!(matches!(
        Pca::params()
            .fit(Array2::from_elem((4, 2), 3.0).view())
            .unwrap_err(),
        ShallowError::ZeroVariance { .. }
    ));
    let model = Pca::params().fit(x.view()).unwrap();
    assert!(matches!(
        model.transform(Array2::zeros((2, 2)).view()).unwrap_err(),
        ShallowError::DimensionMismatch {
            expected: 3,
            found: 2,
            ..
        }
    ));
    assert_eq!(
        model.transform(Array2::zeros((0, 3)).view()).unwrap().dim(),
        (0, 3)
    );
}
