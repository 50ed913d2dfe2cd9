//! The SMO solver against the exact reference solutions in shared/fixtures/ocsvm
//! (KKT residuals ≤ 6e−14, made with cvxpy; see that folder's README).

use ndarray::Array2;
use oneclass_svm::{Gamma, KernelKind, OcsvmParams};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/ocsvm")).join(name);
    assert!(p.exists(), "missing fixture {} (the tests need ../shared beside the repository)", p.display());
    p
}

fn npy_f64(name: &str) -> (Vec<usize>, Vec<f64>) {
    let a = oneclass_data::read_npy(&fixture(name)).unwrap();
    (a.shape.clone(), a.to_f64())
}

fn csv_matrix(name: &str) -> Array2<f64> {
    oneclass_data::read_table(&fixture(name), &Default::default()).unwrap().x
}

fn test_matrix(d: usize) -> Array2<f64> {
    let (shape, data) = npy_f64(&format!("X_test_d{d}.npy"));
    Array2::from_shape_vec((shape[0], shape[1]), data).unwrap()
}

/// Max |f − f_exact| over the 10,000 test rows, relative to max(1, |ρ_exact|).
fn check(d: usize, n: usize, tol: f64, bound: f64, shrinking: bool) {
    check_with_cache(d, n, tol, bound, shrinking, 200.0)
}

fn check_with_cache(d: usize, n: usize, tol: f64, bound: f64, shrinking: bool, cache_mb: f64) {
    let x = csv_matrix(&format!("X_train_d{d}_n{n}.csv"));
    let (_, rho_gamma) = npy_f64(&format!("exact_rho_gamma_d{d}_n{n}.npy"));
    let (_, exact) = npy_f64(&format!("exact_decision_test_d{d}_n{n}.npy"));
    let model = OcsvmParams::new().nu(0.1).kernel(KernelKind::Rbf).gamma(Gamma::Scale).tol(tol).shrinking(shrinking).cache_size_mb(cache_mb).fit(x.view()).unwrap();
    assert!(model.report.converged);
    let gamma = model.kernel.gamma().unwrap();
    assert!((gamma - rho_gamma[1]).abs() <= 1e-12 * rho_gamma[1], "gamma {gamma} vs {}", rho_gamma[1]);
    let f = model.decision_function(test_matrix(d).view()).unwrap();
    let scale = rho_gamma[0].abs().max(1.0);
    let worst = f.iter().zip(&exact).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max) / scale;
    assert!(worst <= bound, "d={d} n={n} tol={tol}: max relative decision error {worst:e} > {bound:e}");
    let (_, alpha) = npy_f64(&format!("exact_alpha_full_d{d}_n{n}.npy"));
    let sum: f64 = model.dual_coef.iter().sum();
    assert!((sum - 0.1 * n as f64).abs() < 1e-9 * n as f64, "Σa = {sum}");
    assert!(model.dual_coef.iter().all(|&a| a > 0.0 && a <= 1.0));
    if tol <= 1e-6 {
        let mut full = vec![0.0; n];
        for (k, &i) in model.support.iter().enumerate() {
            full[i] = model.dual_coef[k];
        }
        let da = full.iter().zip(&alpha).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(da < 1e-3, "coefficients differ from the exact ones by {da}");
    }
}

#[test]
fn default_tolerance_is_within_1e3_of_exact() {
    for d in [2, 32] {
        for n in [50, 500, 2000] {
            check(d, n, 1e-3, 1e-3, true);
        }
    }
}

/// A cache of two columns forces evictions, prefix extensions and swaps on every step.
#[test]
fn tiny_cache_gives_the_same_solution() {
    for (d, tol, bound) in [(2, 1e-3, 1e-3), (32, 1e-3, 1e-3), (32, 1e-6, 1e-5)] {
        check_with_cache(d, 2000, tol, bound, true, 0.001);
    }
}

#[test]
fn tight_tolerance_is_within_1e5_of_exact() {
    for d in [2, 32] {
        for n in [50, 500, 2000] {
            check(d, n, 1e-6, 1e-5, true);
            check(d, n, 1e-6, 1e-5, false);
        }
    }
}

/// scikit-learn's own decisions at its default tol (1e−3) agree in sign on ≥ 99.9 % of test rows.
#[test]
fn agrees_in_sign_with_scikit_learn() {
    for d in [2, 32] {
        let x = csv_matrix(&format!("X_train_d{d}_n2000.csv"));
        let (_, sk) = npy_f64(&format!("decision_test_d{d}_n2000.npy"));
        let model = OcsvmParams::new().nu(0.1).fit(x.view()).unwrap();
        let f = model.decision_function(test_matrix(d).view()).unwrap();
        let agree = f.iter().zip(&sk).filter(|(a, b)| a.signum() == b.signum()).count() as f64 / sk.len() as f64;
        assert!(agree >= 0.999, "d={d}: sign agreement {agree}");
    }
}

/// Saving and reloading gives bit-identical decisions.
#[test]
fn model_file_round_trip_is_bit_identical() {
    let x = csv_matrix("X_train_d32_n500.csv");
    let model = OcsvmParams::new().nu(0.1).fit(x.view()).unwrap();
    let back = oneclass_svm::OcsvmModel::from_json(&model.to_json(), "memory").unwrap();
    assert_eq!(back, model);
    let t = test_matrix(32);
    let (a, b) = (model.decision_function(t.view()).unwrap(), back.decision_function(t.view()).unwrap());
    assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()));
    assert!(oneclass_svm::OcsvmModel::from_json("{\"format\":\"other\"}", "m.json").unwrap_err().to_string().contains("m.json"));
}

/// The warm start (n ≥ 8000) reaches the same optimum as libsvm's start.
#[test]
fn warm_start_reaches_the_same_optimum() {
    let x = test_matrix(2); // 10,000 rows
    let params = OcsvmParams::new().nu(0.1).tol(1e-6);
    let warm = params.clone().warm_start(true).fit(x.view()).unwrap();
    let cold = params.warm_start(false).fit(x.view()).unwrap();
    assert!(warm.report.converged && cold.report.converged);
    assert!(warm.report.iterations < cold.report.iterations, "warm {} vs cold {} iterations", warm.report.iterations, cold.report.iterations);
    let probe = csv_matrix("X_train_d2_n2000.csv");
    let (fw, fc) = (warm.decision_function(probe.view()).unwrap(), cold.decision_function(probe.view()).unwrap());
    let worst = fw.iter().zip(&fc).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(worst <= 1e-5 * cold.rho.abs().max(1.0), "decisions differ by {worst}");
    assert!((warm.report.objective - cold.report.objective).abs() <= 1e-6 * cold.report.objective.abs());
}
