//! Dense kernel matrices of the small problem and their derivatives with respect to the points.
//! Row-major f64 throughout. rbf entries come from ‖x‖² + ‖y‖² − 2⟨x, y⟩ on data centred at
//! the support half's mean (see `dense`), so the cancellation stays at rounding level of d·Var.
//! Reverse-mode products are written as small dense matrix products over the rows the gradient
//! actually touches; they use coordinate differences and are exact to rounding.

use super::dense;
use crate::kernel::{dot, Kernel};

/// A kernel with its parameter resolved (γ fixed).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum KernelFn {
    Rbf(f64),
    Linear,
}

impl KernelFn {
    pub(crate) fn as_kernel(self) -> Kernel {
        match self {
            KernelFn::Rbf(gamma) => Kernel::Rbf { gamma },
            KernelFn::Linear => Kernel::Linear,
        }
    }
}

/// The full symmetric n × n kernel matrix of the rows of `x` (n × d), `jitter` added to the diagonal.
pub(crate) fn gram(kf: KernelFn, x: &[f64], n: usize, d: usize, jitter: f64) -> Vec<f64> {
    let mut k = vec![0.0; n * n];
    match kf {
        KernelFn::Rbf(gamma) => dense::rbf_gram(x, n, d, gamma, jitter, &mut k),
        KernelFn::Linear => {
            for i in 0..n {
                let xi = &x[i * d..(i + 1) * d];
                k[i * n + i] = dot(xi, xi) + jitter;
                for j in 0..i {
                    let v = dot(xi, &x[j * d..(j + 1) * d]);
                    k[i * n + j] = v;
                    k[j * n + i] = v;
                }
            }
        }
    }
    k
}

/// Kernel values between the rows `rows` of `x` and every row of `y` (n_y × d): |rows| × n_y.
pub(crate) fn cross(kf: KernelFn, x: &[f64], rows: &[usize], y: &[f64], n_y: usize, d: usize) -> Vec<f64> {
    let mut out = vec![0.0; rows.len() * n_y];
    match kf {
        KernelFn::Rbf(gamma) => dense::rbf_cross(x, rows, &y[..n_y * d], d, gamma, &mut out),
        KernelFn::Linear => {
            for (r, &j) in rows.iter().enumerate() {
                let xj = &x[j * d..(j + 1) * d];
                for l in 0..n_y {
                    out[r * n_y + l] = dot(xj, &y[l * d..(l + 1) * d]);
                }
            }
        }
    }
    out
}

/// dX = s·(diag(W1)·X − W·X) for rbf (s = −2γ) or W·X for linear, W (m × k) acting on the
/// gathered rows `r` (k × d); `own` (m × d) are the rows the gradient is for. Returns m × d.
fn weighted_differences(kf: KernelFn, w: &[f64], m: usize, k: usize, own: &[f64], r: &[f64], d: usize) -> Vec<f64> {
    let mut out = vec![0.0; m * d];
    dense::matmul_acc(w, m, k, r, d, &mut out);
    if let KernelFn::Rbf(gamma) = kf {
        dense::rbf_difference_rows(w, k, own, d, -2.0 * gamma, &mut out);
    }
    out
}

/// Reverse mode through K = k(xᵢ, xⱼ): from G = ∂ℓ/∂K (n × n, entries independent) to ∂ℓ/∂x.
/// rbf: ∂ℓ/∂x_a = −2γ Σ_b (G_ab + G_ba) K_ab (x_a − x_b); linear: Σ_b (G_ab + G_ba) x_b.
/// Only the rows and columns where G is nonzero are visited (G from the implicit VJP lives on
/// F × support). `k` may carry a diagonal jitter: diagonal rbf terms vanish and linear ones do
/// not use K.
pub(crate) fn gram_vjp(kf: KernelFn, x: &[f64], n: usize, d: usize, k: &[f64], g: &[f64]) -> Vec<f64> {
    let mut touched = vec![false; n];
    for a in 0..n {
        for b in 0..n {
            if g[a * n + b] != 0.0 {
                touched[a] = true;
                touched[b] = true;
            }
        }
    }
    let active: Vec<usize> = (0..n).filter(|&a| touched[a]).collect();
    gram_vjp_on(kf, x, n, d, k, g, &active)
}

/// [`gram_vjp`] when G is known to vanish outside the rows and columns `active`.
pub(crate) fn gram_vjp_on(kf: KernelFn, x: &[f64], n: usize, d: usize, k: &[f64], g: &[f64], active: &[usize]) -> Vec<f64> {
    let m = active.len();
    let mut dx = vec![0.0; n * d];
    if m == 0 {
        return dx;
    }
    let mut w = vec![0.0; m * m];
    for (p, &a) in active.iter().enumerate() {
        for (q, &b) in active.iter().enumerate() {
            let sym = g[a * n + b] + g[b * n + a];
            w[p * m + q] = match kf {
                KernelFn::Rbf(_) if a == b => 0.0,
                KernelFn::Rbf(_) => sym * k[a * n + b],
                KernelFn::Linear => sym,
            };
        }
    }
    let xa = dense::gather_rows(x, active, d);
    let da = weighted_differences(kf, &w, m, m, &xa, &xa, d);
    for (p, &a) in active.iter().enumerate() {
        dx[a * d..(a + 1) * d].copy_from_slice(&da[p * d..(p + 1) * d]);
    }
    dx
}

/// [`gram_vjp`] for the rank-one G = u vᵀ (G_ab = u_a v_b) that vanishes outside `active`,
/// without forming G (the implicit VJP gives u = −y on F, v = α), added into `dx` (n × d).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gram_vjp_outer_add(kf: KernelFn, x: &[f64], n: usize, d: usize, k: &[f64], u: &[f64], v: &[f64], active: &[usize], dx: &mut [f64]) {
    let m = active.len();
    if m == 0 {
        return;
    }
    let us: Vec<f64> = active.iter().map(|&a| u[a]).collect();
    let vs: Vec<f64> = active.iter().map(|&a| v[a]).collect();
    let mut w = vec![0.0; m * m];
    for (p, (&a, wp)) in active.iter().zip(w.chunks_exact_mut(m)).enumerate() {
        let (ua, va) = (us[p], vs[p]);
        for ((wv, &ub), &vb) in wp.iter_mut().zip(&us).zip(&vs) {
            *wv = ua * vb + ub * va;
        }
        if let KernelFn::Rbf(_) = kf {
            let row = &k[a * n..(a + 1) * n];
            for (wv, &b) in wp.iter_mut().zip(active) {
                *wv *= row[b];
            }
            // Diagonal rbf terms vanish (x_a − x_a = 0).
            wp[p] = 0.0;
        }
    }
    let xa = dense::gather_rows(x, active, d);
    let da = weighted_differences(kf, &w, m, m, &xa, &xa, d);
    for (p, &a) in active.iter().enumerate() {
        for (o, v) in dx[a * d..(a + 1) * d].iter_mut().zip(&da[p * d..(p + 1) * d]) {
            *o += v;
        }
    }
}

/// Forward mode through K: dK (n × n) for a perturbation dx of the points.
pub(crate) fn gram_jvp(kf: KernelFn, x: &[f64], n: usize, d: usize, k: &[f64], dx: &[f64]) -> Vec<f64> {
    let mut dk = vec![0.0; n * n];
    for a in 0..n {
        let (xa, dxa) = (&x[a * d..(a + 1) * d], &dx[a * d..(a + 1) * d]);
        for b in 0..=a {
            let (xb, dxb) = (&x[b * d..(b + 1) * d], &dx[b * d..(b + 1) * d]);
            let v = match kf {
                KernelFn::Rbf(gamma) => {
                    if a == b {
                        0.0
                    } else {
                        let s: f64 = (0..d).map(|c| (xa[c] - xb[c]) * (dxa[c] - dxb[c])).sum();
                        -2.0 * gamma * k[a * n + b] * s
                    }
                }
                KernelFn::Linear => dot(dxa, xb) + dot(xa, dxb),
            };
            dk[a * n + b] = v;
            dk[b * n + a] = v;
        }
    }
    dk
}

/// Reverse mode through the cross kernel Kc[r, l] = k(x_{rows[r]}, y_l) for the rank-one
/// Gc = ∂ℓ/∂Kc = a gᵀ (Gc[r, l] = a_r g_l, as for ℓ = Σ_l g_l f_l with a = α on `rows`), to
/// (∂ℓ/∂x, n × d with only `rows` filled; ∂ℓ/∂y, n_y × d). Either side can be skipped (empty).
#[allow(clippy::too_many_arguments)]
pub(crate) fn cross_vjp(
    kf: KernelFn,
    x: &[f64],
    n: usize,
    rows: &[usize],
    y: &[f64],
    n_y: usize,
    d: usize,
    kc: &[f64],
    row_weight: &[f64],
    col_weight: &[f64],
    want_x: bool,
    want_y: bool,
) -> (Vec<f64>, Vec<f64>) {
    let m = rows.len();
    // W = Gc ⊙ Kc (rbf) or Gc (linear), and its transpose, in one pass.
    let mut w = vec![0.0; m * n_y];
    let mut wt = vec![0.0; if want_y { n_y * m } else { 0 }];
    for (r, &a) in row_weight[..m].iter().enumerate() {
        let wr = &mut w[r * n_y..(r + 1) * n_y];
        match kf {
            KernelFn::Rbf(_) => {
                for ((wv, &g), &k) in wr.iter_mut().zip(&col_weight[..n_y]).zip(&kc[r * n_y..(r + 1) * n_y]) {
                    *wv = a * g * k;
                }
            }
            KernelFn::Linear => {
                for (wv, &g) in wr.iter_mut().zip(&col_weight[..n_y]) {
                    *wv = a * g;
                }
            }
        }
        if want_y {
            for (wtl, &wv) in wt.chunks_exact_mut(m).zip(wr.iter()) {
                wtl[r] = wv;
            }
        }
    }
    let xs = dense::gather_rows(x, rows, d);
    let y = &y[..n_y * d];
    let mut dx = Vec::new();
    if want_x {
        dx = vec![0.0; n * d];
        let ds = weighted_differences(kf, &w, m, n_y, &xs, y, d);
        for (r, &j) in rows.iter().enumerate() {
            dx[j * d..(j + 1) * d].copy_from_slice(&ds[r * d..(r + 1) * d]);
        }
    }
    let mut dy = Vec::new();
    if want_y {
        dy = weighted_differences(kf, &wt, n_y, m, y, &xs, d);
    }
    (dx, dy)
}

/// Forward mode through the cross kernel: dKc (|rows| × n_y) for perturbations of x and/or y.
#[allow(clippy::too_many_arguments)]
pub(crate) fn cross_jvp(
    kf: KernelFn,
    x: &[f64],
    rows: &[usize],
    y: &[f64],
    n_y: usize,
    d: usize,
    kc: &[f64],
    dx: Option<&[f64]>,
    dy: Option<&[f64]>,
) -> Vec<f64> {
    let mut out = vec![0.0; rows.len() * n_y];
    for (r, &j) in rows.iter().enumerate() {
        let xj = &x[j * d..(j + 1) * d];
        for l in 0..n_y {
            let yl = &y[l * d..(l + 1) * d];
            let mut v = 0.0;
            for c in 0..d {
                let dxc = dx.map_or(0.0, |t| t[j * d + c]);
                let dyc = dy.map_or(0.0, |t| t[l * d + c]);
                v += match kf {
                    KernelFn::Rbf(_) => (xj[c] - yl[c]) * (dxc - dyc),
                    KernelFn::Linear => dxc * yl[c] + xj[c] * dyc,
                };
            }
            out[r * n_y + l] = match kf {
                KernelFn::Rbf(gamma) => -2.0 * gamma * kc[r * n_y + l] * v,
                KernelFn::Linear => v,
            };
        }
    }
    out
}
