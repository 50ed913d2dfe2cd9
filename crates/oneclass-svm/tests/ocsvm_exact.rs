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

/// Minimal little-endian float64 .npy reader (C order), enough for the fixtures.
fn npy_f64(name: &str) -> (Vec<usize>, Vec<f64>) {
    let bytes = std::fs::read(fixture(name)).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY");
    let (hlen, start) = if bytes[6] == 1 { (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10) } else { (u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize, 12) };
    let header = std::str::from_utf8(&bytes[start..start + hlen]).unwrap();
    assert!(header.contains("'<f8'") && header.contains("'fortran_order': False"), "{header}");
    let shape_txt = &header[header.find("'shape': (").unwrap() + 10..];
    let shape: Vec<usize> = shape_txt[..shape_txt.find(')').unwrap()].split(',').filter_map(|s| s.trim().parse().ok()).collect();
    let data = bytes[start + hlen..].chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
    (shape, data)
}

fn csv_matrix(name: &str) -> Array2<f64> {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let rows: Vec<Vec<f64>> = text.lines().filter(|l| !l.trim().is_empty()).map(|l| l.split(',').map(|v| v.trim().parse().unwrap()).collect()).collect();
    let d = rows[0].len();
    Array2::from_shape_vec((rows.len(), d), rows.concat()).unwrap()
}

fn test_matrix(d: usize) -> Array2<f64> {
    let (shape, data) = npy_f64(&format!("X_test_d{d}.npy"));
    Array2::from_shape_vec((shape[0], shape[1]), data).unwrap()
}

/// Max |f − f_exact| over the 10,000 test rows, relative to max(1, |ρ_exact|).
fn check(d: usize, n: usize, tol: f64, bound: f64, shrinking: bool) {
    let x = csv_matrix(&format!("X_train_d{d}_n{n}.csv"));
    let (_, rho_gamma) = npy_f64(&format!("exact_rho_gamma_d{d}_n{n}.npy"));
    let (_, exact) = npy_f64(&format!("exact_decision_test_d{d}_n{n}.npy"));
    let model = OcsvmParams::new().nu(0.1).kernel(KernelKind::Rbf).gamma(Gamma::Scale).tol(tol).shrinking(shrinking).fit(x.view()).unwrap();
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

#[test]
fn tight_tolerance_is_within_1e5_of_exact() {
    for d in [2, 32] {
        for n in [50, 500, 2000] {
            check(d, n, 1e-6, 1e-5, true);
            check(d, n, 1e-6, 1e-5, false);
        }
    }
}
