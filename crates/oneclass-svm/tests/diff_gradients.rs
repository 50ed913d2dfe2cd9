//! Gradients of the differentiable one-class SVM against central finite differences of
//! re-solved problems, and reverse mode against the transposed forward mode.

mod diff_support;

use diff_support::{mixture, normals, rel_err, rng};
use oneclass_svm::diff::{DecisionScale, GradientPath, Jitter, OcsvmLayer, SmallKernel, SmallOcsvm, SmallSolution};
use oneclass_svm::Gamma;

const H: f64 = 1e-5;

fn same_active_set(a: &SmallSolution, b: &SmallSolution) -> bool {
    a.free() == b.free() && a.bound() == b.bound() && a.zero() == b.zero()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// ℓ = ⟨g_α, α⟩ + g_ρ ρ as a function of the support half, γ held at `gamma`; central finite
/// differences over every coordinate. None if some ±h perturbation changes the active set.
fn fd_solution_loss(svm: &SmallOcsvm, z: &[f64], n: usize, d: usize, g_alpha: &[f64], g_rho: f64, base: &SmallSolution) -> Option<Vec<f64>> {
    let loss = |s: &SmallSolution| dot(g_alpha, s.alpha()) + g_rho * s.rho();
    let mut grad = vec![0.0; n * d];
    for k in 0..n * d {
        let mut zp = z.to_vec();
        zp[k] += H;
        let mut zm = z.to_vec();
        zm[k] -= H;
        let sp = svm.solve(&zp, n, d).unwrap();
        let sm = svm.solve(&zm, n, d).unwrap();
        if !same_active_set(base, &sp) || !same_active_set(base, &sm) {
            return None;
        }
        grad[k] = (loss(&sp) - loss(&sm)) / (2.0 * H);
    }
    Some(grad)
}

/// Draws batches until one has a stable active set; returns the worst relative error seen.
fn check_solution_vjp_against_fd(kernel: SmallKernel, n: usize, d: usize, nu: f64, seed: u64, jitter: f64) -> f64 {
    let mut r = rng(seed);
    for _attempt in 0..20 {
        let z = mixture(&mut r, n, d, 3, 2.0);
        let svm = SmallOcsvm::new(nu).with_kernel(kernel).with_jitter(Jitter::Absolute(jitter));
        let base = svm.solve(&z, n, d).unwrap();
        if !base.degeneracy().differentiable() || !base.degeneracy().ties.is_empty() {
            continue;
        }
        // γ = "scale" is a stop-gradient constant: finite differences hold it at its value.
        let fixed = match kernel {
            SmallKernel::Rbf { .. } => svm.with_kernel(SmallKernel::Rbf { gamma: Gamma::Value(base.gamma().unwrap()) }),
            SmallKernel::Linear => svm,
        };
        let g_alpha = normals(&mut r, n);
        let g_rho = normals(&mut r, 1)[0];
        let Some(fd) = fd_solution_loss(&fixed, &z, n, d, &g_alpha, g_rho, &base) else { continue };
        let dk = base.vjp_solution(&g_alpha, g_rho).unwrap();
        let analytic = base.vjp_kernel_inputs(&dk).unwrap();
        return rel_err(&analytic, &fd, 1e-12);
    }
    panic!("no batch with a stable active set in 20 draws (n={n}, d={d}, nu={nu})");
}

#[test]
fn rbf_vjp_to_points_matches_finite_differences() {
    let mut worst = 0.0f64;
    for (n, d, nu, seed) in [(16, 4, 0.2, 1u64), (32, 8, 0.1, 2), (50, 32, 0.1, 3), (40, 3, 0.3, 4)] {
        let e = check_solution_vjp_against_fd(SmallKernel::Rbf { gamma: Gamma::Scale }, n, d, nu, seed, 0.0);
        assert!(e < 1e-6, "n={n} d={d} nu={nu}: relative error {e:e}");
        worst = worst.max(e);
    }
    eprintln!("rbf VJP vs finite differences: worst relative error {worst:e}");
}

#[test]
fn rbf_vjp_with_jitter_matches_finite_differences() {
    let e = check_solution_vjp_against_fd(SmallKernel::Rbf { gamma: Gamma::Scale }, 24, 6, 0.15, 11, 1e-3);
    assert!(e < 1e-6, "relative error {e:e}");
}

#[test]
fn linear_vjp_to_points_matches_finite_differences() {
    // n < d keeps the linear Gram matrix nonsingular.
    let e = check_solution_vjp_against_fd(SmallKernel::Linear, 12, 20, 0.2, 5, 0.0);
    assert!(e < 1e-6, "relative error {e:e}");
}

/// Independent forward model of the layer in the test: per-half standardisation (population
/// std), rbf with fixed γ, given α, ρ; Schölkopf scale.
fn standardize(z: &[f64], n: usize, d: usize) -> Vec<f64> {
    let mut out = z.to_vec();
    for c in 0..d {
        let mean = (0..n).map(|i| z[i * d + c]).sum::<f64>() / n as f64;
        let var = (0..n).map(|i| (z[i * d + c] - mean).powi(2)).sum::<f64>() / n as f64;
        for i in 0..n {
            out[i * d + c] = (z[i * d + c] - mean) / var.sqrt();
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn decision_by_hand(z_svm: &[f64], z_l: &[f64], n: usize, n_l: usize, d: usize, gamma: f64, alpha: &[f64], rho: f64, std: bool) -> Vec<f64> {
    let (x, y) = if std { (standardize(z_svm, n, d), standardize(z_l, n_l, d)) } else { (z_svm.to_vec(), z_l.to_vec()) };
    (0..n_l)
        .map(|l| {
            (0..n)
                .map(|j| {
                    let d2: f64 = (0..d).map(|c| (x[j * d + c] - y[l * d + c]).powi(2)).sum();
                    alpha[j] * (-gamma * d2).exp()
                })
                .sum::<f64>()
                - rho
        })
        .collect()
}

/// The layer's backward pass on each path against central finite differences of the
/// stop-gradient function that path differentiates.
fn check_layer_paths(standardize_halves: bool, scale: DecisionScale, seed: u64) {
    let (n, n_l, d, nu) = (30, 20, 6, 0.1);
    let mut r = rng(seed);
    for _attempt in 0..20 {
        let z_svm = mixture(&mut r, n, d, 3, 2.0);
        let z_l = mixture(&mut r, n_l, d, 3, 2.5);
        let svm = SmallOcsvm::new(nu).with_standardize(standardize_halves).with_jitter(Jitter::Absolute(1e-8));
        let layer = OcsvmLayer::new(svm, scale).unwrap();
        let (f, tape) = layer.forward(&z_svm, n, &z_l, n_l, d).unwrap();
        let base = tape.solution().clone();
        if !base.degeneracy().differentiable() || !base.degeneracy().ties.is_empty() {
            continue;
        }
        let gamma = base.gamma().unwrap();
        let factor = match scale {
            DecisionScale::Schoelkopf => 1.0,
            DecisionScale::Libsvm => nu * n as f64,
        };
        // The forward values agree with the independent model.
        let by_hand = decision_by_hand(&z_svm, &z_l, n, n_l, d, gamma, base.alpha(), base.rho(), standardize_halves);
        let f_hand: Vec<f64> = by_hand.iter().map(|v| v * factor).collect();
        assert!(rel_err(&f, &f_hand, 1e-12) < 1e-12, "forward values differ from the hand model");

        let fixed_layer = OcsvmLayer::new(svm.with_kernel(SmallKernel::Rbf { gamma: Gamma::Value(gamma) }), scale).unwrap();
        let w = normals(&mut r, n_l);
        let full_loss = |zs: &[f64], zl: &[f64]| -> Option<f64> {
            let (f, t) = fixed_layer.forward(zs, n, zl, n_l, d).unwrap();
            same_active_set(&base, t.solution()).then(|| dot(&w, &f))
        };
        let kernel_only_loss = |zs: &[f64]| -> f64 {
            let f = decision_by_hand(zs, &z_l, n, n_l, d, gamma, base.alpha(), base.rho(), standardize_halves);
            factor * dot(&w, &f)
        };
        let mut fd_svm = vec![0.0; n * d];
        let mut fd_svm_kernel_only = vec![0.0; n * d];
        let mut stable = true;
        for k in 0..n * d {
            let mut zp = z_svm.clone();
            zp[k] += H;
            let mut zm = z_svm.clone();
            zm[k] -= H;
            match (full_loss(&zp, &z_l), full_loss(&zm, &z_l)) {
                (Some(a), Some(b)) => fd_svm[k] = (a - b) / (2.0 * H),
                _ => {
                    stable = false;
                    break;
                }
            }
            fd_svm_kernel_only[k] = (kernel_only_loss(&zp) - kernel_only_loss(&zm)) / (2.0 * H);
        }
        if !stable {
            continue;
        }
        let mut fd_l = vec![0.0; n_l * d];
        for k in 0..n_l * d {
            let mut lp = z_l.clone();
            lp[k] += H;
            let mut lm = z_l.clone();
            lm[k] -= H;
            fd_l[k] = (full_loss(&z_svm, &lp).unwrap() - full_loss(&z_svm, &lm).unwrap()) / (2.0 * H);
        }
        let zeros_svm = vec![0.0; n * d];
        let zeros_l = vec![0.0; n_l * d];
        for (path, want_svm, want_l) in [
            (GradientPath::Both, &fd_svm, &fd_l),
            (GradientPath::Expander, &fd_svm, &zeros_l),
            (GradientPath::Compactor, &zeros_svm, &fd_l),
            (GradientPath::ExpanderKernelOnly, &fd_svm_kernel_only, &zeros_l),
        ] {
            let g = tape.backward(&w, path).unwrap();
            let e_svm = rel_err(&g.z_svm, want_svm, 1e-9);
            let e_l = rel_err(&g.z_l, want_l, 1e-9);
            eprintln!("std={standardize_halves} {scale:?} {path:?}: rel err z_svm {e_svm:e}, z_l {e_l:e}");
            assert!(e_svm < 1e-6 && e_l < 1e-6, "{path:?} (standardize={standardize_halves}, {scale:?}): z_svm {e_svm:e}, z_l {e_l:e}");
        }
        return;
    }
    panic!("no batch with a stable active set in 20 draws");
}

#[test]
fn layer_paths_match_finite_differences_raw() {
    check_layer_paths(false, DecisionScale::Schoelkopf, 21);
}

#[test]
fn layer_paths_match_finite_differences_standardized_libsvm_scale() {
    check_layer_paths(true, DecisionScale::Libsvm, 22);
}

/// Full forward Jacobian d(α, ρ)/dz (one JVP per coordinate) against the VJPs of the unit
/// cotangents, entry by entry.
#[test]
fn solution_vjp_is_transposed_forward_jacobian() {
    let mut r = rng(31);
    for (kernel, standardize_half, n, d) in [
        (SmallKernel::Rbf { gamma: Gamma::Scale }, false, 20, 5),
        (SmallKernel::Rbf { gamma: Gamma::Value(0.3) }, true, 17, 4),
        (SmallKernel::Linear, false, 9, 12),
    ] {
        let z = mixture(&mut r, n, d, 2, 2.0);
        let svm = SmallOcsvm::new(0.2).with_kernel(kernel).with_standardize(standardize_half);
        let sol = svm.solve(&z, n, d).unwrap();
        assert!(sol.degeneracy().differentiable(), "{:?}", sol.degeneracy());
        // jac[o][k]: output o (α_0..α_{n−1}, ρ), input coordinate k.
        let mut jac = vec![vec![0.0; n * d]; n + 1];
        for k in 0..n * d {
            let mut dz = vec![0.0; n * d];
            dz[k] = 1.0;
            let (da, dr) = sol.jvp_inputs(&dz).unwrap();
            for o in 0..n {
                jac[o][k] = da[o];
            }
            jac[n][k] = dr;
        }
        let scale = jac.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(scale > 0.0);
        for o in 0..=n {
            let mut g_alpha = vec![0.0; n];
            let mut g_rho = 0.0;
            if o < n {
                g_alpha[o] = 1.0;
            } else {
                g_rho = 1.0;
            }
            let row = sol.vjp_kernel_inputs(&sol.vjp_solution(&g_alpha, g_rho).unwrap()).unwrap();
            let err = row.iter().zip(&jac[o]).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max) / scale;
            assert!(err < 1e-12, "{kernel:?} output {o}: {err:e}");
        }
    }
}

/// ⟨g, J dz⟩ = ⟨Jᵀ g, dz⟩ for the layer on every path, raw and standardised, both scales,
/// rbf and linear.
#[test]
fn layer_backward_is_adjoint_of_forward_mode() {
    let mut r = rng(41);
    let (n, n_l, d) = (25, 15, 5);
    for kernel in [SmallKernel::Rbf { gamma: Gamma::Scale }, SmallKernel::Linear] {
        for standardize_halves in [false, true] {
            for scale in [DecisionScale::Schoelkopf, DecisionScale::Libsvm] {
                let z_svm = mixture(&mut r, n, d, 3, 2.0);
                let z_l = mixture(&mut r, n_l, d, 3, 2.0);
                let svm = SmallOcsvm::new(0.15).with_kernel(kernel).with_standardize(standardize_halves).with_jitter(Jitter::Absolute(1e-6));
                let layer = OcsvmLayer::new(svm, scale).unwrap();
                let (_, tape) = layer.forward(&z_svm, n, &z_l, n_l, d).unwrap();
                for path in [GradientPath::Both, GradientPath::Expander, GradientPath::Compactor, GradientPath::ExpanderKernelOnly] {
                    for _ in 0..3 {
                        let g = normals(&mut r, n_l);
                        let dz_svm = normals(&mut r, n * d);
                        let dz_l = normals(&mut r, n_l * d);
                        let forward = dot(&g, &tape.jvp(&dz_svm, &dz_l, path).unwrap());
                        let back = tape.backward(&g, path).unwrap();
                        let reverse = dot(&back.z_svm, &dz_svm) + dot(&back.z_l, &dz_l);
                        // Relative to the Cauchy–Schwarz size of the terms (some products
                        // cancel to ~0, e.g. the linear kernel on standardised halves).
                        let norm = |v: &[f64]| dot(v, v).sqrt();
                        let size = norm(&back.z_svm) * norm(&dz_svm) + norm(&back.z_l) * norm(&dz_l);
                        assert!(
                            (forward - reverse).abs() <= 1e-10 * size.max(forward.abs()) + 1e-14,
                            "{kernel:?} std={standardize_halves} {scale:?} {path:?}: {forward} vs {reverse}"
                        );
                    }
                }
            }
        }
    }
}

/// The decision VJP's pieces compose to the layer's full gradient.
#[test]
fn decision_vjp_composes_to_layer_gradient() {
    let mut r = rng(51);
    let (n, n_l, d) = (30, 12, 4);
    let z_svm = mixture(&mut r, n, d, 2, 2.0);
    let z_l = mixture(&mut r, n_l, d, 2, 2.0);
    let svm = SmallOcsvm::new(0.1).with_standardize(true);
    let layer = OcsvmLayer::new(svm, DecisionScale::Schoelkopf).unwrap();
    let (f, tape) = layer.forward(&z_svm, n, &z_l, n_l, d).unwrap();
    let sol = tape.solution();
    assert_eq!(sol.decision(&z_l, n_l).unwrap(), f);
    let g = normals(&mut r, n_l);
    let parts = sol.decision_vjp(&z_l, n_l, &g).unwrap();
    let through = sol.vjp_kernel_inputs(&sol.vjp_solution(&parts.alpha, parts.rho).unwrap()).unwrap();
    let total: Vec<f64> = parts.z_svm.iter().zip(&through).map(|(a, b)| a + b).collect();
    let back = tape.backward(&g, GradientPath::Both).unwrap();
    assert!(rel_err(&total, &back.z_svm, 1e-12) < 1e-12);
    assert!(rel_err(&parts.z_l, &back.z_l, 1e-12) < 1e-12);
    assert!((parts.rho + g.iter().sum::<f64>()).abs() < 1e-12);
    let kernel_only = tape.backward(&g, GradientPath::ExpanderKernelOnly).unwrap();
    assert!(rel_err(&parts.z_svm, &kernel_only.z_svm, 1e-12) < 1e-12);
}
