//! Degenerate inputs: handled with a defined result or a clear error, never a panic.

use ndarray::{array, Array2};
use oneclass_svm::{Gamma, KernelKind, OcsvmParams, SvmError};

fn kkt_ok(model: &oneclass_svm::OcsvmModel, x: &Array2<f64>, tol: f64) {
    // Σa = νn and 0 < a ≤ 1 on the support vectors, decision of every training row consistent with its bound.
    let n = x.nrows() as f64;
    let sum: f64 = model.dual_coef.iter().sum();
    assert!((sum - model.params.nu * n).abs() < 1e-9 * n.max(1.0), "Σa = {sum}");
    assert!(model.dual_coef.iter().all(|&a| a > 0.0 && a <= 1.0));
    let f = model.decision_function(x.view()).unwrap();
    for (i, fi) in f.iter().enumerate() {
        let a = model.support.iter().position(|&s| s == i).map_or(0.0, |k| model.dual_coef[k]);
        if a == 0.0 {
            assert!(*fi >= -tol, "row {i}: a = 0 but f = {fi}");
        } else if a >= 1.0 {
            assert!(*fi <= tol, "row {i}: a = 1 but f = {fi}");
        } else {
            assert!(fi.abs() <= tol, "row {i}: free but f = {fi}");
        }
    }
}

#[test]
fn single_row() {
    let x = array![[1.0, 2.0, 3.0]];
    for nu in [0.3, 1.0] {
        let m = OcsvmParams::new().nu(nu).gamma(Gamma::Auto).fit(x.view()).unwrap();
        assert_eq!(m.n_support(), 1);
        assert!(m.rho.is_finite());
        assert!((m.dual_coef[0] - nu).abs() < 1e-15);
    }
    // γ = "scale" uses the variance over all entries: defined here (2/3), undefined for equal entries.
    assert!(OcsvmParams::new().fit(x.view()).is_ok());
    let flat = array![[2.0, 2.0, 2.0]];
    assert!(matches!(OcsvmParams::new().fit(flat.view()), Err(SvmError::ZeroVariance { .. })));
}

#[test]
fn duplicate_rows_and_constant_columns() {
    let mut rows = Vec::new();
    for i in 0..40 {
        let v = (i % 5) as f64; // each row appears 8 times
        rows.extend_from_slice(&[v, 7.0, -v * 0.5]); // column 1 is constant
    }
    let x = Array2::from_shape_vec((40, 3), rows).unwrap();
    let m = OcsvmParams::new().nu(0.2).tol(1e-9).fit(x.view()).unwrap();
    assert!(m.report.converged);
    kkt_ok(&m, &x, 1e-6);
}

#[test]
fn all_rows_identical_with_numeric_gamma() {
    let x = Array2::from_elem((10, 2), 3.0);
    assert!(matches!(OcsvmParams::new().fit(x.view()), Err(SvmError::ZeroVariance { .. })));
    let m = OcsvmParams::new().nu(0.5).gamma(Gamma::Value(1.0)).fit(x.view()).unwrap();
    let f = m.decision_function(x.view()).unwrap();
    assert!(f.iter().all(|v| v.abs() < 1e-12), "{f:?}");
}

#[test]
fn nu_below_one_point_and_nu_one() {
    let x = Array2::from_shape_fn((30, 2), |(i, j)| ((i * 37 + j * 11) % 17) as f64 / 3.0);
    // ⌊νn⌋ = 0: a single coefficient νn < 1 carries everything at the start.
    let m = OcsvmParams::new().nu(0.02).tol(1e-9).fit(x.view()).unwrap();
    kkt_ok(&m, &x, 1e-6);
    // ν = 1: every coefficient is at its upper bound.
    let m = OcsvmParams::new().nu(1.0).fit(x.view()).unwrap();
    assert_eq!(m.n_support(), 30);
    assert!(m.dual_coef.iter().all(|&a| a == 1.0));
    assert!(m.rho.is_finite());
    kkt_ok(&m, &x, 1e-9);
}

#[test]
fn every_kernel_reaches_kkt() {
    let x = Array2::from_shape_fn((120, 4), |(i, j)| (((i * 7919 + j * 104729) % 1000) as f64 / 250.0) - 2.0);
    for kernel in [KernelKind::Rbf, KernelKind::Linear, KernelKind::Poly, KernelKind::Sigmoid] {
        for shrinking in [true, false] {
            let m = OcsvmParams::new().nu(0.3).kernel(kernel).coef0(0.5).tol(1e-9).shrinking(shrinking).fit(x.view()).unwrap();
            assert!(m.report.converged, "{kernel:?}");
            kkt_ok(&m, &x, 1e-6);
        }
    }
}

#[test]
fn bad_parameters_and_values_are_errors() {
    let x = array![[1.0, 2.0], [3.0, f64::NAN]];
    match OcsvmParams::new().fit(x.view()) {
        Err(SvmError::NonFinite { row: 1, col: 1, .. }) => {}
        other => panic!("{other:?}"),
    }
    let x = array![[1.0, 2.0], [3.0, 4.0]];
    for nu in [0.0, -0.1, 1.5, f64::NAN] {
        let e = OcsvmParams::new().nu(nu).fit(x.view()).unwrap_err();
        assert!(e.to_string().contains("nu"), "{e}");
    }
    assert!(OcsvmParams::new().tol(0.0).fit(x.view()).is_err());
    assert!(OcsvmParams::new().gamma(Gamma::Value(-1.0)).fit(x.view()).is_err());
    let empty = Array2::<f64>::zeros((0, 3));
    assert!(matches!(OcsvmParams::new().fit(empty.view()), Err(SvmError::EmptyData { .. })));
    let m = OcsvmParams::new().nu(0.5).fit(x.view()).unwrap();
    assert!(matches!(m.decision_function(array![[1.0, 2.0, 3.0]].view()), Err(SvmError::DimensionMismatch { expected: 2, found: 3 })));
}

#[test]
fn iteration_limit_is_reported() {
    let x = Array2::from_shape_fn((300, 3), |(i, j)| (((i * 31 + j * 17) % 97) as f64).sin());
    let m = OcsvmParams::new().nu(0.3).tol(1e-12).max_iter(Some(3)).fit(x.view()).unwrap();
    assert!(!m.report.converged);
    assert_eq!(m.report.iterations, 3);
}
