//! The differentiable small-problem solver against the shared exact references
//! (`shared/fixtures/ocsvm`, made with cvxpy / a tightly solved QP and scikit-learn).

mod diff_support;

use diff_support::{read_csv, read_npy, rel_err};
use oneclass_svm::diff::{SmallKernel, SmallOcsvm};
use oneclass_svm::Gamma;

fn implicit_problem() -> (Vec<f64>, f64, oneclass_svm::diff::SmallSolution) {
    let x = read_npy("implicit_X_n50_d32.npy");
    assert_eq!(x.shape, vec![50, 32]);
    let rho_gamma = read_npy("implicit_rho_schoelkopf.npy").data;
    let gamma = rho_gamma[1];
    let svm = SmallOcsvm::new(0.1).with_kernel(SmallKernel::Rbf { gamma: Gamma::Value(gamma) });
    let sol = svm.solve(&x.data, 50, 32).expect("solve the fixture problem");
    (x.data, gamma, sol)
}

#[test]
fn implicit_fixture_alpha_rho_and_sets() {
    let (_, _, sol) = implicit_problem();
    let k_ref = read_npy("implicit_K.npy").data;
    let alpha_ref = read_npy("implicit_alpha_schoelkopf.npy").data;
    let rho_ref = read_npy("implicit_rho_schoelkopf.npy").data[0];
    let k_err = sol.kernel_matrix().iter().zip(&k_ref).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(k_err < 1e-14, "kernel matrix differs by {k_err:e}");
    let a_err = sol.alpha().iter().zip(&alpha_ref).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(a_err < 1e-9, "alpha differs by {a_err:e}");
    assert!((sol.rho() - rho_ref).abs() < 1e-9, "rho {} vs {rho_ref}", sol.rho());
    eprintln!("implicit fixture: |dalpha| {a_err:e}, |drho| {:e}, |dK| {k_err:e}", (sol.rho() - rho_ref).abs());
    assert_eq!((sol.free().len(), sol.bound().len(), sol.zero().len()), (11, 1, 38));
    assert!((sol.c() - 0.2).abs() < 1e-15);
    assert!(sol.kkt_violation() < 1e-12, "KKT violation {:e}", sol.kkt_violation());
    assert!(!sol.degeneracy().any(), "{:?}", sol.degeneracy());
}

#[test]
fn implicit_fixture_forward_jacobian() {
    let (_, _, sol) = implicit_problem();
    let pairs = read_npy("implicit_pairs.npy");
    let jac = read_npy("implicit_jacobian_sym_pairs.npy");
    assert_eq!(pairs.shape, vec![1275, 2]);
    assert_eq!(jac.shape, vec![1275, 51]);
    let n = 50;
    let mut ours = Vec::with_capacity(jac.data.len());
    for p in pairs.data.chunks_exact(2) {
        let (i, j) = (p[0] as usize, p[1] as usize);
        // Off the diagonal the fixture perturbs K_ij and K_ji together; its diagonal rows
        // (i = j) are for K_ii + t (not 2t), as a factor-2 comparison shows.
        let mut dk = vec![0.0; n * n];
        dk[i * n + j] = 1.0;
        dk[j * n + i] = 1.0;
        let (dalpha, drho) = sol.jvp_kernel(&dk).unwrap();
        ours.extend_from_slice(&dalpha);
        ours.push(drho);
    }
    let err = rel_err(&ours, &jac.data, 0.0);
    assert!(err < 1e-6, "Jacobian relative error {err:e}");
    eprintln!("implicit fixture: Jacobian relative error {err:e}");
}

#[test]
fn implicit_fixture_vjp_to_kernel_and_points() {
    let (_, _, sol) = implicit_problem();
    let g = read_npy("implicit_vjp_inputs_ga_grho.npy").data;
    let dk_ref = read_npy("implicit_vjp_dl_dK.npy").data;
    let dx_ref = read_npy("implicit_vjp_dl_dX.npy").data;
    let dk = sol.vjp_solution(&g[..50], g[50]).unwrap();
    let err_k = rel_err(&dk, &dk_ref, 0.0);
    assert!(err_k < 1e-6, "dl/dK relative error {err_k:e}");
    let dx = sol.vjp_kernel_inputs(&dk).unwrap();
    let err_x = rel_err(&dx, &dx_ref, 0.0);
    assert!(err_x < 1e-6, "dl/dX relative error {err_x:e}");
    eprintln!("implicit fixture: VJP relative error dl/dK {err_k:e}, dl/dX {err_x:e}");
}

/// The exact libsvm-scale references: α (all n), ρ_lib, γ = "scale", decision on 10,000 test rows.
fn check_exact(d: usize, n: usize) {
    let (x, rows, cols) = read_csv(&format!("X_train_d{d}_n{n}.csv"));
    assert_eq!((rows, cols), (n, d));
    let alpha_ref = read_npy(&format!("exact_alpha_full_d{d}_n{n}.npy")).data;
    let rg = read_npy(&format!("exact_rho_gamma_d{d}_n{n}.npy")).data;
    let sol = SmallOcsvm::new(0.1).solve(&x, n, d).unwrap();
    let gamma = sol.gamma().unwrap();
    assert!((gamma - rg[1]).abs() <= 1e-14 * rg[1], "gamma {gamma} vs {}", rg[1]);
    let a_err = sol.alpha_libsvm().iter().zip(&alpha_ref).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(a_err < 1e-9, "d={d} n={n}: libsvm-scale alpha differs by {a_err:e}");
    assert!((sol.rho_libsvm() - rg[0]).abs() < 1e-9 * rg[0].abs().max(1.0), "d={d} n={n}: rho {} vs {}", sol.rho_libsvm(), rg[0]);
    let test = read_npy(&format!("X_test_d{d}.npy"));
    let m = test.shape[0];
    let f = sol.decision(&test.data, m).unwrap();
    let scale = 0.1 * n as f64;
    let f_lib: Vec<f64> = f.iter().map(|v| v * scale).collect();
    let dec_ref = read_npy(&format!("exact_decision_test_d{d}_n{n}.npy")).data;
    let err = f_lib.iter().zip(&dec_ref).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(err < 1e-9, "d={d} n={n}: decision differs by {err:e}");
    eprintln!("exact d={d} n={n}: |dalpha_lib| {a_err:e}, |drho_lib| {:e}, |ddecision| {err:e}", (sol.rho_libsvm() - rg[0]).abs());
}

#[test]
fn exact_references_d2() {
    check_exact(2, 50);
    check_exact(2, 500);
}

#[test]
fn exact_references_d32() {
    check_exact(32, 50);
    check_exact(32, 500);
}
