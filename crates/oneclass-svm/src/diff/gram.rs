//! Dense kernel matrices of the small problem and their derivatives with respect to the points.
//! Row-major f64 throughout; squared distances are summed from coordinate differences (no
//! ‖x‖² + ‖y‖² − 2⟨x, y⟩ cancellation), which costs the same and keeps rbf entries exact.

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

    #[inline]
    fn eval(self, a: &[f64], b: &[f64]) -> f64 {
        match self {
            KernelFn::Rbf(gamma) => (-gamma * squared_distance(a, b)).exp(),
            KernelFn::Linear => dot(a, b),
        }
    }
}

#[inline]
pub(crate) fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    // Four accumulators so the loop vectorises and pipelines.
    let mut acc = [0.0f64; 4];
    let chunks = a.len() / 4;
    for c in 0..chunks {
        let i = 4 * c;
        for l in 0..4 {
            let t = a[i + l] - b[i + l];
            acc[l] += t * t;
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for i in 4 * chunks..a.len() {
        let t = a[i] - b[i];
        s += t * t;
    }
    s
}

/// out[k] += s · (a[k] − b[k])
#[inline]
fn add_scaled_difference(out: &mut [f64], s: f64, a: &[f64], b: &[f64]) {
    for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
        *o += s * (x - y);
    }
}

/// out[k] += s · a[k]
#[inline]
fn add_scaled(out: &mut [f64], s: f64, a: &[f64]) {
    for (o, x) in out.iter_mut().zip(a) {
        *o += s * x;
    }
}

/// The full symmetric n × n kernel matrix of the rows of `x` (n × d), `jitter` added to the diagonal.
pub(crate) fn gram(kf: KernelFn, x: &[f64], n: usize, d: usize, jitter: f64) -> Vec<f64> {
    let mut k = vec![0.0; n * n];
    for i in 0..n {
        let xi = &x[i * d..(i + 1) * d];
        k[i * n + i] = kf.eval(xi, xi) + jitter;
        for j in 0..i {
            let v = kf.eval(xi, &x[j * d..(j + 1) * d]);
            k[i * n + j] = v;
            k[j * n + i] = v;
        }
    }
    k
}

/// Kernel values between the rows `rows` of `x` and every row of `y` (n_y × d): |rows| × n_y.
pub(crate) fn cross(kf: KernelFn, x: &[f64], rows: &[usize], y: &[f64], n_y: usize, d: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(rows.len() * n_y);
    for &j in rows {
        let xj = &x[j * d..(j + 1) * d];
        out.extend((0..n_y).map(|l| kf.eval(xj, &y[l * d..(l + 1) * d])));
    }
    out
}

/// Reverse mode through K = k(xᵢ, xⱼ): from G = ∂ℓ/∂K (n × n, entries independent) to ∂ℓ/∂x.
/// rbf: ∂ℓ/∂x_a = −2γ Σ_b (G_ab + G_ba) K_ab (x_a − x_b); linear: Σ_b (G_ab + G_ba) x_b.
/// `k` may carry a diagonal jitter: diagonal rbf terms vanish and linear ones do not use K.
pub(crate) fn gram_vjp(kf: KernelFn, x: &[f64], n: usize, d: usize, k: &[f64], g: &[f64]) -> Vec<f64> {
    let mut dx = vec![0.0; n * d];
    match kf {
        KernelFn::Rbf(gamma) => {
            for a in 0..n {
                for b in 0..a {
                    let w = (g[a * n + b] + g[b * n + a]) * k[a * n + b];
                    if w == 0.0 {
                        continue;
                    }
                    let s = -2.0 * gamma * w;
                    let (xa, xb) = (&x[a * d..(a + 1) * d], &x[b * d..(b + 1) * d]);
                    add_scaled_difference(&mut dx[a * d..(a + 1) * d], s, xa, xb);
                    add_scaled_difference(&mut dx[b * d..(b + 1) * d], s, xb, xa);
                }
            }
        }
        KernelFn::Linear => {
            for a in 0..n {
                for b in 0..=a {
                    let w = g[a * n + b] + g[b * n + a];
                    if w == 0.0 {
                        continue;
                    }
                    add_scaled(&mut dx[a * d..(a + 1) * d], w, &x[b * d..(b + 1) * d]);
                    if b != a {
                        add_scaled(&mut dx[b * d..(b + 1) * d], w, &x[a * d..(a + 1) * d]);
                    }
                }
            }
        }
    }
    dx
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

/// Reverse mode through the cross kernel Kc[r, l] = k(x_{rows[r]}, y_l): from Gc = ∂ℓ/∂Kc to
/// (∂ℓ/∂x, n × d with only `rows` filled; ∂ℓ/∂y, n_y × d). Either side can be skipped.
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
    gc: &[f64],
    want_x: bool,
    want_y: bool,
) -> (Vec<f64>, Vec<f64>) {
    let mut dx = if want_x { vec![0.0; n * d] } else { Vec::new() };
    let mut dy = if want_y { vec![0.0; n_y * d] } else { Vec::new() };
    for (r, &j) in rows.iter().enumerate() {
        let xj = &x[j * d..(j + 1) * d];
        for l in 0..n_y {
            let gv = gc[r * n_y + l];
            if gv == 0.0 {
                continue;
            }
            let yl = &y[l * d..(l + 1) * d];
            match kf {
                KernelFn::Rbf(gamma) => {
                    let s = -2.0 * gamma * gv * kc[r * n_y + l];
                    if want_x {
                        add_scaled_difference(&mut dx[j * d..(j + 1) * d], s, xj, yl);
                    }
                    if want_y {
                        add_scaled_difference(&mut dy[l * d..(l + 1) * d], s, yl, xj);
                    }
                }
                KernelFn::Linear => {
                    if want_x {
                        add_scaled(&mut dx[j * d..(j + 1) * d], gv, yl);
                    }
                    if want_y {
                        add_scaled(&mut dy[l * d..(l + 1) * d], gv, xj);
                    }
                }
            }
        }
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
