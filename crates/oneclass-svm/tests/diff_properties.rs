//! Property tests of the small-problem solver on seeded random batches (KKT to 1e-9, checked
//! independently of the solver), batched solving, degenerate batches and bad input.

mod diff_support;

use diff_support::{kkt_violation, mixture, normals, rbf_gram, rng};
use oneclass_svm::diff::{DecisionScale, DiffError, GradientPath, Jitter, OcsvmLayer, SmallKernel, SmallOcsvm, SmallSolution};
use oneclass_svm::Gamma;

fn all_finite(v: &[f64]) -> bool {
    v.iter().all(|x| x.is_finite())
}

/// KKT of the returned solution recomputed from scratch (own kernel matrix), plus the
/// consistency of the reported index sets.
fn assert_kkt(sol: &SmallSolution, kernel_inputs: &[f64], n: usize, d: usize, jitter: f64, what: &str) {
    let gamma = sol.gamma().unwrap();
    let k = rbf_gram(kernel_inputs, n, d, gamma, jitter);
    let c = sol.c();
    let v = kkt_violation(&k, n, sol.alpha(), sol.rho(), c);
    assert!(v <= 1e-9, "{what}: KKT violation {v:e}");
    assert!(sol.kkt_violation() <= 1e-9, "{what}: reported KKT violation {:e}", sol.kkt_violation());
    assert!((sol.alpha().iter().sum::<f64>() - 1.0).abs() < 1e-12, "{what}: sum alpha");
    for &i in sol.bound() {
        assert_eq!(sol.alpha()[i], c, "{what}: bound index {i}");
    }
    for &i in sol.zero() {
        assert_eq!(sol.alpha()[i], 0.0, "{what}: zero index {i}");
    }
    for &i in sol.free() {
        let a = sol.alpha()[i];
        assert!(a >= 0.0 && a <= c, "{what}: free index {i} has alpha {a}");
    }
    let mut all: Vec<usize> = sol.free().iter().chain(sol.bound()).chain(sol.zero()).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..n).collect::<Vec<_>>(), "{what}: F, B, Z do not partition the indices");
    assert!(sol.rho().is_finite());
}

#[test]
fn kkt_holds_on_random_batches() {
    let mut r = rng(101);
    let mut problems = 0;
    let mut ties = 0;
    let mut no_free = 0;
    let mut singular = 0;
    for &n in &[8usize, 16, 33, 64, 128, 257, 512] {
        for &nu in &[0.05, 0.1, 0.3, 0.9] {
            let d = [2usize, 5, 32][problems % 3];
            let z = mixture(&mut r, n, d, 4, 2.5);
            // γ: "scale", and a tenth and ten times its value.
            let scale_gamma = 1.0 / (d as f64 * oneclass_svm::kernel::variance_of_entries(&z));
            for (gi, gamma) in [Gamma::Scale, Gamma::Value(0.1 * scale_gamma), Gamma::Value(10.0 * scale_gamma)].into_iter().enumerate() {
                let standardize = (n + gi) % 2 == 0;
                let jitter = if gi == 2 { 1e-8 } else { 0.0 };
                let svm = SmallOcsvm::new(nu)
                    .with_kernel(SmallKernel::Rbf { gamma })
                    .with_standardize(standardize)
                    .with_jitter(Jitter::Absolute(jitter));
                let sol = svm.solve(&z, n, d).unwrap();
                let what = format!("n={n} d={d} nu={nu} gamma={gamma:?} std={standardize}");
                assert_kkt(&sol, sol.inputs(), n, d, jitter, &what);
                let deg = sol.degeneracy();
                // Near-duplicate free points in low dimension make K_FF numerically singular:
                // allowed (flagged, KKT still checked above) but counted and kept rare.
                assert!(!deg.inexact, "{what}: {deg:?}");
                if deg.singular_kkt {
                    eprintln!("{what}: singular KKT matrix");
                    singular += 1;
                }
                assert_eq!(deg.no_free_support_vector, sol.free().is_empty());
                ties += usize::from(!deg.ties.is_empty());
                no_free += usize::from(deg.no_free_support_vector);
                problems += 1;
            }
        }
    }
    eprintln!("{problems} problems, {ties} with ties, {no_free} without free support vectors, {singular} singular");
    assert!(singular * 20 <= problems, "{singular} of {problems} problems had a singular KKT matrix");
}

#[test]
fn solve_batch_matches_single_solves() {
    let mut r = rng(7);
    let batches: Vec<(Vec<f64>, usize, usize)> = (0..12).map(|i| (mixture(&mut r, 20 + 3 * i, 4, 2, 2.0), 20 + 3 * i, 4)).collect();
    let svm = SmallOcsvm::seed001(0.1);
    let refs: Vec<(&[f64], usize, usize)> = batches.iter().map(|(z, n, d)| (z.as_slice(), *n, *d)).collect();
    let together = svm.solve_batch(&refs);
    for ((z, n, d), got) in batches.iter().zip(together) {
        let got = got.unwrap();
        let alone = svm.solve(z, *n, *d).unwrap();
        assert_eq!(got.alpha(), alone.alpha());
        assert_eq!(got.rho(), alone.rho());
    }
}

#[test]
fn identical_points_are_flagged_and_finite() {
    let n = 10;
    let d = 3;
    let z: Vec<f64> = (0..n).flat_map(|_| [0.5, -1.0, 2.0]).collect();
    // Every entry equal: Var = 0 and γ = "scale" falls back to 1/d.
    let flat = vec![0.7; n * d];
    let sol = SmallOcsvm::new(0.3).solve(&flat, n, d).unwrap();
    assert!(sol.degeneracy().identical_points && sol.degeneracy().zero_variance);
    assert_eq!(sol.gamma(), Some(1.0 / d as f64));
    assert!(all_finite(sol.alpha()) && sol.rho().is_finite());
    for jitter in [0.0, 1e-8] {
        let svm = SmallOcsvm::new(0.3).with_jitter(Jitter::Absolute(jitter));
        let sol = svm.solve(&z, n, d).unwrap();
        let deg = sol.degeneracy();
        // Identical rows, but the entries differ across columns: Var > 0.
        assert!(deg.identical_points && !deg.zero_variance, "{deg:?}");
        assert!(sol.alpha().iter().all(|&a| (a - 0.1).abs() < 1e-9), "jitter {jitter}: {:?}", sol.alpha());
        assert!((sol.rho() - (1.0 + jitter / n as f64)).abs() < 1e-12, "rho {}", sol.rho());
        // Without jitter the KKT matrix of ten identical free points is singular.
        assert_eq!(deg.singular_kkt, jitter == 0.0);
        let dk = sol.vjp_solution(&[1.0; 10], 0.5).unwrap();
        let dz = sol.vjp_kernel_inputs(&dk).unwrap();
        assert!(all_finite(&dk) && all_finite(&dz));
        if jitter == 0.0 {
            assert!(dk.iter().all(|&v| v == 0.0));
        }
    }
    // Through the standardising layer: every feature is constant.
    let layer = OcsvmLayer::new(SmallOcsvm::seed001(0.1), DecisionScale::Libsvm).unwrap();
    let z_l: Vec<f64> = (0..4).flat_map(|i| [i as f64, 1.0, -(i as f64)]).collect();
    let (f, tape) = layer.forward(&z, n, &z_l, 4, d).unwrap();
    assert!(all_finite(&f));
    assert_eq!(tape.solution().degeneracy().constant_features, 3);
    assert_eq!(tape.query_constant_features(), 1);
    let g = tape.backward(&[1.0, -1.0, 0.5, 2.0], GradientPath::Both).unwrap();
    assert!(all_finite(&g.z_svm) && all_finite(&g.z_l));
    let counts = layer.degeneracy_counts();
    assert_eq!((counts.problems, counts.degenerate, counts.identical_points, counts.constant_features), (1, 1, 1, 1));
}

#[test]
fn single_point_problems() {
    let z = [0.3, -0.7];
    let sol = SmallOcsvm::new(0.5).with_kernel(SmallKernel::Rbf { gamma: Gamma::Value(1.0) }).solve(&z, 1, 2).unwrap();
    assert_eq!(sol.alpha(), &[1.0]);
    assert_eq!(sol.free(), &[0]);
    assert!((sol.rho() - 1.0).abs() < 1e-15);
    // ν = 1: C = 1, the point is at the bound, no free vector.
    let sol = SmallOcsvm::new(1.0).with_kernel(SmallKernel::Rbf { gamma: Gamma::Value(1.0) }).solve(&z, 1, 2).unwrap();
    assert_eq!(sol.bound(), &[0]);
    assert!(sol.degeneracy().no_free_support_vector);
    assert!((sol.rho() - 1.0).abs() < 1e-15);
    let f = sol.decision(&[0.3, -0.7, 5.0, 5.0], 2).unwrap();
    assert!(f[0].abs() < 1e-15 && f[1] < 0.0);
}

#[test]
fn nu_one_gives_uniform_alpha() {
    let mut r = rng(3);
    let n = 40;
    let z = mixture(&mut r, n, 3, 2, 2.0);
    let sol = SmallOcsvm::new(1.0).solve(&z, n, 3).unwrap();
    assert!(sol.alpha().iter().all(|&a| a == 1.0 / n as f64));
    assert!(sol.degeneracy().no_free_support_vector);
    // ρ: lower end of its interval [max (Kα), ∞).
    let max_g = sol.kernel_alpha().iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
    assert_eq!(sol.rho(), max_g);
    let dk = sol.vjp_solution(&normals(&mut r, n), 1.0).unwrap();
    assert!(dk.iter().all(|&v| v == 0.0));
}

/// Two points b1, b2 at the bound and points near both with (Kα)_z > (Kα)_b: νn = 2, no
/// free support vector; ρ is the midpoint of [C(1 + K_b1b2), min_z (Kα)_z].
#[test]
fn no_free_support_vector_takes_the_midpoint() {
    // Data order puts a Z point first so that SMO must move.
    let z = [0.0, 0.0, -0.6, 0.0, 0.0, 0.1, 0.6, 0.0];
    let svm = SmallOcsvm::new(0.5).with_kernel(SmallKernel::Rbf { gamma: Gamma::Value(1.0) });
    let sol = svm.solve(&z, 4, 2).unwrap();
    assert_eq!(sol.bound(), &[1, 3]);
    assert_eq!(sol.zero(), &[0, 2]);
    assert!(sol.degeneracy().no_free_support_vector);
    let c = 0.5;
    let k_b = (-1.44f64).exp();
    let lower = c * (1.0 + k_b);
    let upper = c * 2.0 * (-0.37f64).exp();
    assert!((sol.rho() - 0.5 * (lower + upper)).abs() < 1e-15, "rho {} vs {}", sol.rho(), 0.5 * (lower + upper));
    let layer = OcsvmLayer::new(svm, DecisionScale::Schoelkopf).unwrap();
    let (f, tape) = layer.forward(&z, 4, &[0.2, 0.2, 3.0, 3.0], 2, 2).unwrap();
    assert!(all_finite(&f));
    let g = tape.backward(&[1.0, 1.0], GradientPath::Both).unwrap();
    // α and ρ carry no gradient; the direct kernel path still does.
    let kernel_only = tape.backward(&[1.0, 1.0], GradientPath::ExpanderKernelOnly).unwrap();
    assert_eq!(g.z_svm, kernel_only.z_svm);
    assert!(all_finite(&g.z_l));
    assert_eq!(layer.degeneracy_counts().no_free_support_vector, 1);
}

/// A zero-α point placed exactly on the decision boundary (K(z,b1) + K(z,b2) = 1 + K(b1,b2))
/// is reported as a tie.
#[test]
fn boundary_point_is_reported_as_tie() {
    let a: f64 = 0.6;
    let h = (-((1.0 + (-4.0 * a * a).exp()) / 2.0).ln() - a * a).sqrt();
    let z = [0.0, h, -a, 0.0, 0.0, 0.05, a, 0.0];
    let svm = SmallOcsvm::new(0.5).with_kernel(SmallKernel::Rbf { gamma: Gamma::Value(1.0) });
    let sol = svm.solve(&z, 4, 2).unwrap();
    assert!(sol.degeneracy().ties.contains(&0), "{:?} alpha {:?}", sol.degeneracy(), sol.alpha());
    assert!(sol.kkt_violation() < 1e-9);
    assert!(all_finite(sol.alpha()) && sol.rho().is_finite());
}

#[test]
fn linear_kernel_solution_satisfies_kkt() {
    let mut r = rng(9);
    let (n, d) = (40, 3);
    let z = mixture(&mut r, n, d, 2, 2.0);
    // Low rank (d = 3 < n): jitter keeps the KKT matrix of the free set regular.
    let sol = SmallOcsvm::new(0.2).with_kernel(SmallKernel::Linear).with_jitter(Jitter::Absolute(1e-6)).solve(&z, n, d).unwrap();
    let mut k = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            k[i * n + j] = (0..d).map(|c| z[i * d + c] * z[j * d + c]).sum::<f64>() + if i == j { 1e-6 } else { 0.0 };
        }
    }
    let v = kkt_violation(&k, n, sol.alpha(), sol.rho(), sol.c());
    assert!(v <= 1e-9, "KKT violation {v:e}");
    assert_eq!(sol.gamma(), None);
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let svm = SmallOcsvm::new(0.1);
    assert!(matches!(svm.solve(&[1.0, 2.0, 3.0], 2, 2), Err(DiffError::Shape { what: "z_svm", expected: 4, got: 3, .. })));
    assert!(matches!(svm.solve(&[], 0, 2), Err(DiffError::Empty { .. })));
    assert!(matches!(svm.solve(&[1.0, f64::NAN], 1, 2), Err(DiffError::NonFinite { row: 0, col: 1, .. })));
    for nu in [0.0, -0.1, 1.5, f64::NAN] {
        assert!(matches!(SmallOcsvm::new(nu).solve(&[1.0], 1, 1), Err(DiffError::InvalidNu(_))));
    }
    let bad_gamma = svm.with_kernel(SmallKernel::Rbf { gamma: Gamma::Value(-1.0) });
    assert!(matches!(bad_gamma.solve(&[1.0], 1, 1), Err(DiffError::InvalidGamma(_))));
    assert!(matches!(svm.with_jitter(Jitter::Absolute(-1.0)).solve(&[1.0], 1, 1), Err(DiffError::InvalidJitter(_))));
    let linear_over_gamma = svm.with_kernel(SmallKernel::Linear).with_jitter(Jitter::OverGamma(1e-8));
    assert!(matches!(linear_over_gamma.solve(&[1.0], 1, 1), Err(DiffError::InvalidJitter(_))));
    let sol = svm.solve(&[0.0, 1.0, 1.0, 0.0, 2.0, 2.0], 3, 2).unwrap();
    assert!(matches!(sol.decision(&[1.0, 2.0, 3.0], 1), Err(DiffError::DimensionMismatch { expected: 2, got: 3, .. })));
    assert!(matches!(sol.vjp_solution(&[1.0], 0.0), Err(DiffError::GradientLength { expected: 3, got: 1, .. })));
    assert!(matches!(sol.vjp_solution(&[1.0, f64::INFINITY, 0.0], 0.0), Err(DiffError::NonFiniteGradient { index: 1, .. })));
    let layer = OcsvmLayer::new(svm, DecisionScale::Schoelkopf).unwrap();
    let (_, tape) = layer.forward(&[0.0, 1.0, 1.0, 0.0, 2.0, 2.0], 3, &[0.5, 0.5], 1, 2).unwrap();
    assert!(matches!(tape.backward(&[1.0, 2.0], GradientPath::Both), Err(DiffError::GradientLength { .. })));
    assert!(OcsvmLayer::new(SmallOcsvm::new(2.0), DecisionScale::Libsvm).is_err());
    let msg = svm.solve(&[1.0, 2.0, 3.0], 2, 2).unwrap_err().to_string();
    assert!(msg.contains("z_svm") && msg.contains("expected 4"), "{msg}");
}

#[test]
fn forward_batch_matches_single_forwards_and_counts() {
    use oneclass_svm::diff::LayerInput;
    let mut r = rng(17);
    let d = 3;
    let halves: Vec<(Vec<f64>, Vec<f64>)> = (0..9).map(|_| (mixture(&mut r, 16, d, 2, 2.0), mixture(&mut r, 8, d, 2, 2.0))).collect();
    let mut inputs: Vec<LayerInput> = halves.iter().map(|(s, l)| LayerInput { z_svm: s, n_svm: 16, z_l: l, n_l: 8, d }).collect();
    // One degenerate problem (identical support points) and one bad one (wrong length).
    let same = vec![1.5; 16 * d];
    inputs.push(LayerInput { z_svm: &same, n_svm: 16, z_l: &halves[0].1, n_l: 8, d });
    inputs.push(LayerInput { z_svm: &same[..5], n_svm: 16, z_l: &halves[0].1, n_l: 8, d });
    let layer = OcsvmLayer::new(SmallOcsvm::seed001(0.2), DecisionScale::Libsvm).unwrap();
    let out = layer.forward_batch(&inputs);
    assert_eq!(out.len(), 11);
    let single = OcsvmLayer::new(SmallOcsvm::seed001(0.2), DecisionScale::Libsvm).unwrap();
    for (p, got) in inputs.iter().zip(&out).take(10) {
        let (f, _) = got.as_ref().unwrap();
        let (f1, _) = single.forward(p.z_svm, p.n_svm, p.z_l, p.n_l, p.d).unwrap();
        assert_eq!(f, &f1);
    }
    assert!(matches!(out[10], Err(DiffError::Shape { .. })));
    let counts = layer.degeneracy_counts();
    assert_eq!(counts.problems, 10);
    assert!(counts.identical_points == 1 && counts.degenerate >= 1);
}

#[test]
fn oversized_problem_is_refused() {
    let n = oneclass_svm::diff::MAX_SMALL_N + 1;
    let z = vec![0.0; n];
    assert!(matches!(SmallOcsvm::new(0.1).solve(&z, n, 1), Err(DiffError::TooLarge { .. })));
}

#[test]
fn libsvm_scale_is_nu_n_times_schoelkopf() {
    let mut r = rng(13);
    let (n, n_l, d) = (30, 10, 4);
    let z = mixture(&mut r, n, d, 2, 2.0);
    let zl = mixture(&mut r, n_l, d, 2, 2.0);
    let a = OcsvmLayer::new(SmallOcsvm::new(0.1), DecisionScale::Schoelkopf).unwrap();
    let b = OcsvmLayer::new(SmallOcsvm::new(0.1), DecisionScale::Libsvm).unwrap();
    let (fa, ta) = a.forward(&z, n, &zl, n_l, d).unwrap();
    let (fb, tb) = b.forward(&z, n, &zl, n_l, d).unwrap();
    for (x, y) in fa.iter().zip(&fb) {
        assert!((3.0 * x - y).abs() < 1e-14);
    }
    let sol = ta.solution();
    assert!((sol.rho_libsvm() - 3.0 * sol.rho()).abs() < 1e-15);
    assert!((sol.alpha_libsvm().iter().sum::<f64>() - 3.0).abs() < 1e-12);
    let g = normals(&mut r, n_l);
    let ga = ta.backward(&g, GradientPath::Both).unwrap();
    let gb = tb.backward(&g, GradientPath::Both).unwrap();
    for (x, y) in ga.z_svm.iter().zip(&gb.z_svm) {
        assert!((3.0 * x - y).abs() <= 1e-12 * y.abs().max(1.0));
    }
}
