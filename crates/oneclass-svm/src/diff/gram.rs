//! Dense kernel matrices of the small problem and their derivatives with respect to the points.
//! Row-major f64 throughout. rbf entries come from ‖x‖² + ‖y‖² − 2⟨x, y⟩ on data centred at
//! the support half's mean (see `dense`), so the cancellation stays at rounding level of d·Var.
//! Reverse-mode products are written as small dense matrix products over the rows the gradient
//! actually touches; they use coordinate differences and are exact to rounding.

use super::dense;
use super::scratch::Scratch;
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
pub(crate) fn gram(kf: KernelFn, x: &[f64], n: usize, d: usize, jitter: f64) -> Scratch {
    // Every entry is written below.
    let mut k = Scratch::dirty(n * n);
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

/// The n × n rbf kernel matrix of the centred support half, `jitter` added to the diagonal.
pub(crate) fn rbf_gram_centred(centred: &dense::Centred, n: usize, d: usize, gamma: f64, jitter: f64) -> Scratch {
    // Every entry is written (lower triangle, diagonal, mirrored upper triangle).
    let mut k = Scratch::dirty(n * n);
    dense::rbf_gram_centred(centred, n, d, gamma, jitter, &mut k);
    k
}

/// Kernel values between the rows `rows` of `x` and every row of `y` (n_y × d): |rows| × n_y.
/// `mean`: the column means of `x` (rbf only; distances are evaluated on data centred there).
#[allow(clippy::too_many_arguments)]
pub(crate) fn cross(kf: KernelFn, x: &[f64], mean: &[f64], rows: &[usize], y: &[f64], n_y: usize, d: usize) -> Scratch {
    // Every entry is written below.
    let mut out = Scratch::dirty(rows.len() * n_y);
    match kf {
        KernelFn::Rbf(gamma) => dense::rbf_cross(x, mean, rows, &y[..n_y * d], d, gamma, &mut out),
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
/// gathered rows `r` (k × d); `own` (m × d) are the rows the gradient is for. Writes m × d
/// into `out`, which must hold zeros.
/// `row_sums`: the row sums of W (rbf only).
#[allow(clippy::too_many_arguments)]
fn weighted_differences(kf: KernelFn, w: &[f64], row_sums: &[f64], m: usize, k: usize, own: &[f64], r: &[f64], d: usize, out: &mut [f64]) {
    dense::matmul_acc(w, m, k, r, d, out);
    if let KernelFn::Rbf(gamma) = kf {
        dense::rbf_scale_rows(&row_sums[..m], own, d, -2.0 * gamma, out);
    }
}

/// Row sums of the m × k matrix `w`.
fn row_sums(w: &[f64], k: usize) -> Scratch {
    let mut sums = Scratch::with_capacity(w.len() / k.max(1));
    sums.extend(w.chunks_exact(k).map(|row| dense::lane_sum(row, |v| v)));
    sums
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn outer_weights_generic(us: &[f64], vs: &[f64], k: &[f64], n: usize, active: &[usize], rbf: bool, w: &mut [f64], sums: &mut [f64], k_row: &mut [f64]) {
    let m = active.len();
    let (us, vs, k_row) = (&us[..m], &vs[..m], &mut k_row[..m]);
    for (p, ((&a, wp), sum)) in active.iter().zip(w.chunks_exact_mut(m)).zip(sums.iter_mut()).enumerate() {
        let (ua, va) = (us[p], vs[p]);
        if rbf {
            let row = &k[a * n..(a + 1) * n];
            for (kv, &b) in k_row.iter_mut().zip(active) {
                *kv = row[b];
            }
            for (((wv, &ub), &vb), &kv) in wp.iter_mut().zip(us).zip(vs).zip(k_row.iter()) {
                *wv = (ua * vb + ub * va) * kv;
            }
            // Diagonal rbf terms vanish (x_a − x_a = 0).
            wp[p] = 0.0;
            *sum = dense::lane_sum(wp, |v| v);
        } else {
            for ((wv, &ub), &vb) in wp.iter_mut().zip(us).zip(vs) {
                *wv = ua * vb + ub * va;
            }
        }
    }
}

dense::dispatch! {
    /// W_pq = (u_p v_q + u_q v_p)·K_{a_p a_q} (rbf, zero diagonal, with row sums) or
    /// u_p v_q + u_q v_p (linear) over the indices `active`.
    fn outer_weights => outer_weights_generic / outer_weights_avx2(us: &[f64], vs: &[f64], k: &[f64], n: usize, active: &[usize], rbf: bool, w: &mut [f64], sums: &mut [f64], k_row: &mut [f64])
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn cross_weights_generic(row_weight: &[f64], col_weight: &[f64], kc: &[f64], rbf: bool, w: &mut [f64], wt: &mut [f64], sums: &mut [f64], col_sums: &mut [f64]) {
    let (m, n_y) = (row_weight.len(), col_weight.len());
    let want_t = !wt.is_empty();
    col_sums.iter_mut().for_each(|v| *v = 0.0);
    for (r, (&a, sum)) in row_weight.iter().zip(sums.iter_mut()).enumerate() {
        let wr = &mut w[r * n_y..(r + 1) * n_y];
        if rbf {
            for ((wv, &g), &k) in wr.iter_mut().zip(col_weight).zip(&kc[r * n_y..(r + 1) * n_y]) {
                *wv = a * g * k;
            }
            *sum = dense::lane_sum(wr, |v| v);
            for (cs, &wv) in col_sums[..n_y].iter_mut().zip(wr.iter()) {
                *cs += wv;
            }
        } else {
            for (wv, &g) in wr.iter_mut().zip(col_weight) {
                *wv = a * g;
            }
        }
        if want_t {
            for (wtl, &wv) in wt.chunks_exact_mut(m).zip(wr.iter()) {
                wtl[r] = wv;
            }
        }
    }
}

dense::dispatch! {
    /// W = diag(row_weight)·Kc·diag(col_weight) (rbf; with its row and column sums) or
    /// row_weight·col_weightᵀ (linear), and Wᵀ when `wt` is not empty.
    fn cross_weights => cross_weights_generic / cross_weights_avx2(row_weight: &[f64], col_weight: &[f64], kc: &[f64], rbf: bool, w: &mut [f64], wt: &mut [f64], sums: &mut [f64], col_sums: &mut [f64])
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
    let mut w = Scratch::dirty(m * m);
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
    let mut da = Scratch::zeroed(m * d);
    weighted_differences(kf, &w, &row_sums(&w, m), m, m, &xa, &xa, d, &mut da);
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
    let mut us = Scratch::with_capacity(m);
    us.extend(active.iter().map(|&a| u[a]));
    let mut vs = Scratch::with_capacity(m);
    vs.extend(active.iter().map(|&a| v[a]));
    let mut w = Scratch::dirty(m * m);
    let mut sums = Scratch::dirty(m);
    let mut k_row = Scratch::dirty(m);
    outer_weights(&us, &vs, k, n, active, matches!(kf, KernelFn::Rbf(_)), &mut w, &mut sums, &mut k_row);
    let xa = dense::gather_rows(x, active, d);
    let mut da = Scratch::zeroed(m * d);
    weighted_differences(kf, &w, &sums, m, m, &xa, &xa, d, &mut da);
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
    // W = Gc ⊙ Kc (rbf) or Gc (linear), its transpose and their row sums, in one pass.
    let mut w = Scratch::dirty(m * n_y);
    let mut wt = Scratch::dirty(if want_y { n_y * m } else { 0 });
    let mut sums = Scratch::dirty(m);
    let mut col_sums = Scratch::dirty(n_y);
    cross_weights(&row_weight[..m], &col_weight[..n_y], kc, matches!(kf, KernelFn::Rbf(_)), &mut w, &mut wt, &mut sums, &mut col_sums);
    let xs = dense::gather_rows(x, rows, d);
    let y = &y[..n_y * d];
    let mut dx = Vec::new();
    if want_x {
        dx = vec![0.0; n * d];
        let mut ds = Scratch::zeroed(m * d);
        weighted_differences(kf, &w, &sums, m, n_y, &xs, y, d, &mut ds);
        for (r, &j) in rows.iter().enumerate() {
            dx[j * d..(j + 1) * d].copy_from_slice(&ds[r * d..(r + 1) * d]);
        }
    }
    let mut dy = Vec::new();
    if want_y {
        dy = vec![0.0; n_y * d];
        weighted_differences(kf, &wt, &col_sums, n_y, m, y, &xs, d, &mut dy);
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
