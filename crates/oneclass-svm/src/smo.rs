//! SMO for the ν-one-class SVM dual in libsvm's scale:
//!   min ½ aᵀKa  s.t.  0 ≤ a ≤ 1,  Σa = νn,
//! with second-order working-set selection (WSS3, Fan, Chen & Lin 2005), shrinking, gradient
//! reconstruction and a bounded f32 column cache. The steps follow libsvm's `Solver` for y ≡ +1,
//! restated for one class (see `shared/docs/ocsvm.md`).

use crate::cache::ColumnCache;
use crate::kernel::{dot, Kernel};
use crate::simd::{self, KernelValue};
use rayon::prelude::*;

const TAU: f64 = 1e-12;
const UPPER: f64 = 1.0; // C in libsvm's scale

/// Below this many kernel evaluations × features a column is computed on one thread.
const PARALLEL_WORK: usize = 1 << 16;

#[derive(Clone, Debug)]
pub struct SmoOptions {
    pub tol: f64,
    pub shrinking: bool,
    pub cache_bytes: usize,
    pub max_iter: Option<usize>,
    /// Start from a coarse solution on a subsample instead of libsvm's data-order start
    /// (large n only; the optimum is the same, it is reached in far fewer steps).
    pub warm_start: bool,
}

#[derive(Clone, Debug)]
pub struct SmoSolution {
    /// Coefficients in the input order, 0 ≤ a ≤ 1, Σa = νn.
    pub alpha: Vec<f64>,
    /// ρ in libsvm's scale.
    pub rho: f64,
    /// ½ aᵀKa.
    pub objective: f64,
    pub iterations: usize,
    /// false when `max_iter` stopped the solver first.
    pub converged: bool,
    /// Maximal KKT violation m(a) − M(a) at the end (below `tol` when converged).
    pub gap: f64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Bound {
    Lower,
    Upper,
    Free,
}

fn bound_of(a: f64) -> Bound {
    if a >= UPPER {
        Bound::Upper
    } else if a <= 0.0 {
        Bound::Lower
    } else {
        Bound::Free
    }
}

struct Solver<T: KernelValue> {
    kernel: Kernel,
    d: usize,
    n: usize,
    x: Vec<f64>,   // rows in the solver's current order
    sq: Vec<f64>,  // ‖x_k‖²
    qd: Vec<f64>,  // K_kk
    order: Vec<usize>, // original index of each position
    alpha: Vec<f64>,
    bound: Vec<Bound>,
    g: Vec<f64>,
    g_bar: Vec<f64>, // Σ_{a_i = C} C·K_i, to rebuild gradients of shrunk variables
    active: usize,
    unshrink: bool,
    cache: ColumnCache<T>,
    tol: f64,
}

/// Fill `out[k] = K(x_i, x_{start+k})` on both cores when the block is large.
fn fill_column<T: KernelValue>(kernel: &Kernel, x: &[f64], sq: &[f64], d: usize, i: usize, start: usize, out: &mut [T]) {
    let xi = &x[i * d..(i + 1) * d];
    let len = out.len();
    let rows = &x[start * d..(start + len) * d];
    let sqs = &sq[start..start + len];
    if len * d < PARALLEL_WORK {
        simd::kernel_row(kernel, xi, sq[i], rows, sqs, out);
        return;
    }
    let chunk = len.div_ceil(rayon::current_num_threads() * 4).max(512);
    out.par_chunks_mut(chunk).enumerate().for_each(|(c, o)| {
        let s = c * chunk;
        simd::kernel_row(kernel, xi, sq[i], &rows[s * d..(s + o.len()) * d], &sqs[s..s + o.len()], o);
    });
}

impl<T: KernelValue> Solver<T> {
    fn column(&mut self, i: usize, len: usize, keep: Option<usize>) {
        let (kernel, x, sq, d) = (&self.kernel, &self.x, &self.sq, self.d);
        self.cache.ensure(i, len, keep, |col, start, out| fill_column(kernel, x, sq, d, col, start, out));
    }

    fn swap_index(&mut self, i: usize, j: usize) {
        self.cache.swap_index(i, j);
        let d = self.d;
        for c in 0..d {
            self.x.swap(i * d + c, j * d + c);
        }
        self.sq.swap(i, j);
        self.qd.swap(i, j);
        self.order.swap(i, j);
        self.alpha.swap(i, j);
        self.bound.swap(i, j);
        self.g.swap(i, j);
        self.g_bar.swap(i, j);
    }

    /// WSS3 on the active set; None when optimal to `tol`.
    fn select_working_set(&mut self) -> Option<(usize, usize)> {
        let active = self.active;
        let mut gmax = f64::NEG_INFINITY;
        let mut i = usize::MAX;
        for t in 0..active {
            if self.bound[t] != Bound::Upper && -self.g[t] >= gmax {
                gmax = -self.g[t];
                i = t;
            }
        }
        if i == usize::MAX {
            return None;
        }
        self.column(i, active, None);
        let qi = self.cache.column(i);
        let qd_i = self.qd[i];
        let mut gmax2 = f64::NEG_INFINITY;
        let mut j = usize::MAX;
        let mut best = f64::INFINITY;
        for t in 0..active {
            if self.bound[t] == Bound::Lower {
                continue;
            }
            let gt = self.g[t];
            if gt >= gmax2 {
                gmax2 = gt;
            }
            let b = gmax + gt;
            if b > 0.0 {
                let quad = qd_i + self.qd[t] - 2.0 * qi[t].to_f64();
                let obj = -(b * b) / if quad > 0.0 { quad } else { TAU };
                if obj <= best {
                    best = obj;
                    j = t;
                }
            }
        }
        if gmax + gmax2 < self.tol || j == usize::MAX {
            None
        } else {
            Some((i, j))
        }
    }

    fn max_violations(&self) -> (f64, f64) {
        let mut up = f64::NEG_INFINITY; // max −G over a < C
        let mut low = f64::NEG_INFINITY; // max G over a > 0
        for t in 0..self.active {
            if self.bound[t] != Bound::Upper {
                up = up.max(-self.g[t]);
            }
            if self.bound[t] != Bound::Lower {
                low = low.max(self.g[t]);
            }
        }
        (up, low)
    }

    fn update_pair(&mut self, i: usize, j: usize) {
        let active = self.active;
        self.column(i, active, None);
        self.column(j, active, Some(i));
        let qij = self.cache.column(i)[j].to_f64();
        let mut quad = self.qd[i] + self.qd[j] - 2.0 * qij;
        if quad <= 0.0 {
            quad = TAU;
        }
        let (old_i, old_j) = (self.alpha[i], self.alpha[j]);
        let delta = (self.g[i] - self.g[j]) / quad;
        let sum = old_i + old_j;
        let (mut ai, mut aj) = (old_i - delta, old_j + delta);
        if sum > UPPER {
            if ai > UPPER {
                ai = UPPER;
                aj = sum - UPPER;
            }
        } else if aj < 0.0 {
            aj = 0.0;
            ai = sum;
        }
        if sum > UPPER {
            if aj > UPPER {
                aj = UPPER;
                ai = sum - UPPER;
            }
        } else if ai < 0.0 {
            ai = 0.0;
            aj = sum;
        }
        self.alpha[i] = ai;
        self.alpha[j] = aj;
        let (di, dj) = (ai - old_i, aj - old_j);
        {
            let (qi, qj) = (self.cache.column(i), self.cache.column(j));
            let g = &mut self.g[..active];
            if active * 2 < PARALLEL_WORK {
                simd::axpy2(g, di, &qi[..active], dj, &qj[..active]);
            } else {
                let chunk = active.div_ceil(rayon::current_num_threads()).max(4096);
                g.par_chunks_mut(chunk).enumerate().for_each(|(c, gc)| {
                    let s = c * chunk;
                    simd::axpy2(gc, di, &qi[s..s + gc.len()], dj, &qj[s..s + gc.len()]);
                });
            }
        }
        for (k, old) in [(i, old_i), (j, old_j)] {
            let was_upper = bound_of(old) == Bound::Upper;
            self.bound[k] = bound_of(self.alpha[k]);
            let is_upper = self.bound[k] == Bound::Upper;
            if was_upper != is_upper {
                let n = self.n;
                let other = if k == i { j } else { i };
                self.column(k, n, Some(other));
                let sign = if is_upper { UPPER } else { -UPPER };
                for (gb, &q) in self.g_bar.iter_mut().zip(self.cache.column(k)) {
                    *gb += sign * q.to_f64();
                }
            }
        }
    }

    /// Recompute G on the inactive (shrunk) positions from Ḡ and the free variables.
    fn reconstruct_gradient(&mut self) {
        let (n, active) = (self.n, self.active);
        if active == n {
            return;
        }
        for k in active..n {
            self.g[k] = self.g_bar[k];
        }
        let free: Vec<usize> = (0..active).filter(|&t| self.bound[t] == Bound::Free).collect();
        // Whichever loop touches fewer kernel entries, as libsvm does.
        if free.len() * n > 2 * active * (n - active) {
            for k in active..n {
                self.column(k, active, None);
                let q = self.cache.column(k);
                let s: f64 = free.iter().map(|&t| self.alpha[t] * q[t].to_f64()).sum();
                self.g[k] += s;
            }
        } else {
            for &t in &free {
                self.column(t, n, None);
                let q = self.cache.column(t);
                let a = self.alpha[t];
                for k in active..n {
                    self.g[k] += a * q[k].to_f64();
                }
            }
        }
    }

    fn be_shrunk(&self, t: usize, up: f64, low: f64) -> bool {
        match self.bound[t] {
            Bound::Upper => -self.g[t] > up,
            Bound::Lower => self.g[t] > low,
            Bound::Free => false,
        }
    }

    fn shrink(&mut self) {
        let (up, low) = self.max_violations();
        if !self.unshrink && up + low <= 10.0 * self.tol {
            self.unshrink = true;
            self.reconstruct_gradient();
            self.active = self.n;
        }
        let mut t = 0;
        while t < self.active {
            if self.be_shrunk(t, up, low) {
                self.active -= 1;
                while self.active > t {
                    if !self.be_shrunk(self.active, up, low) {
                        self.swap_index(t, self.active);
                        break;
                    }
                    self.active -= 1;
                }
            }
            t += 1;
        }
    }

    fn rho(&self) -> f64 {
        let (mut lb, mut ub) = (f64::NEG_INFINITY, f64::INFINITY);
        let (mut free, mut sum_free) = (0usize, 0.0);
        for t in 0..self.active {
            match self.bound[t] {
                Bound::Upper => lb = lb.max(self.g[t]),
                Bound::Lower => ub = ub.min(self.g[t]),
                Bound::Free => {
                    free += 1;
                    sum_free += self.g[t];
                }
            }
        }
        if free > 0 {
            sum_free / free as f64
        } else if lb.is_finite() && ub.is_finite() {
            (lb + ub) / 2.0
        } else if lb.is_finite() {
            // ν = 1: every coefficient at its bound, any ρ ≥ max G is optimal; take the smallest.
            lb
        } else {
            ub
        }
    }
}

/// Initial point as libsvm, in the solver's order: a_0..a_{m−1} = 1, a_m = νn − m (m = ⌊νn⌋), the rest 0, with
/// G = Ka and Ḡ computed as blocked kernel–matrix products (dot products by GEMM) on both cores.
fn initial_gradient(kernel: &Kernel, x: &[f64], sq: &[f64], d: usize, alpha: &[f64]) -> (Vec<f64>, Vec<f64>) {
    use ndarray::{linalg::general_mat_mul, Array2, ArrayView2};
    let n = alpha.len();
    let nonzero: Vec<usize> = (0..n).filter(|&i| alpha[i] > 0.0).collect();
    // The nonzero coefficients come first (data order), so their rows are a prefix of x.
    debug_assert!(nonzero.iter().enumerate().all(|(k, &i)| k == i));
    let m = nonzero.len();
    let all = ArrayView2::from_shape((n, d), x).expect("n × d");
    let support = all.slice(ndarray::s![..m, ..]);
    let mut g = vec![0.0; n];
    let mut g_bar = vec![0.0; n];
    const ROWS: usize = 256;
    const COLS: usize = 1024;
    g.par_chunks_mut(ROWS).zip(g_bar.par_chunks_mut(ROWS)).enumerate().for_each(|(b, (gb, gbarb))| {
        let start = b * ROWS;
        let rows = all.slice(ndarray::s![start..start + gb.len(), ..]);
        let mut dots = Array2::<f64>::zeros((gb.len(), COLS.min(m)));
        for c0 in (0..m).step_by(COLS) {
            let c1 = (c0 + COLS).min(m);
            let mut block = dots.slice_mut(ndarray::s![.., ..c1 - c0]);
            general_mat_mul(1.0, &rows, &support.slice(ndarray::s![c0..c1, ..]).t(), 0.0, &mut block);
            for (r, mut row) in block.outer_iter_mut().enumerate() {
                let values = row.as_slice_mut().expect("rows of a standard-layout block are contiguous");
                simd::dots_to_kernel(kernel, sq[start + r], &sq[c0..c1], values);
                let (mut acc, mut acc_bar) = (0.0, 0.0);
                for (c, &k) in values.iter().enumerate() {
                    let i = c0 + c;
                    acc += alpha[i] * k;
                    if alpha[i] >= UPPER {
                        acc_bar += UPPER * k;
                    }
                }
                gb[r] += acc;
                gbarb[r] += acc_bar;
            }
        }
    });
    (g, g_bar)
}

/// Solve the one-class dual for the rows of `x` (n × d, row-major). `progress(iterations)` is
/// called every few thousand iterations.
///
/// Kernel columns are cached in f32 (as libsvm) when `tol` ≥ 1e−5; below that the gradient
/// must be carried more precisely than f32 columns allow, and they are cached in f64.
/// Without `max_iter` the solver stops, unconverged, after libsvm's cap of max(10⁷, 100·n).
pub fn solve(x: &[f64], n: usize, d: usize, kernel: Kernel, nu: f64, opts: &SmoOptions, progress: &mut dyn FnMut(usize)) -> SmoSolution {
    if opts.tol >= F32_CACHE_MIN_TOL {
        solve_with::<f32>(x, n, d, kernel, nu, opts, progress)
    } else {
        solve_with::<f64>(x, n, d, kernel, nu, opts, progress)
    }
}

/// The smallest tolerance for which kernel columns are cached as f32.
pub const F32_CACHE_MIN_TOL: f64 = 1e-5;

/// Below this size the start is libsvm's (data order); above, a warm start pays for itself.
const WARM_START_MIN: usize = 8000;
const WARM_START_SUBSAMPLE: usize = 2000;

/// Order in which points receive the initial coefficients a = 1 (then the fractional one).
/// libsvm takes the data order. With `warm_start`, for large n, the most outlying points come
/// first according to a coarse solve on an evenly spaced subsample: bounded support vectors are
/// outliers, so the start is close to the optimum and SMO needs ~10× fewer steps.
fn initial_order(x: &[f64], n: usize, d: usize, kernel: Kernel, nu: f64, warm_start: bool) -> Vec<usize> {
    if !warm_start || n < WARM_START_MIN {
        return (0..n).collect();
    }
    let s = WARM_START_SUBSAMPLE;
    let mut sub = Vec::with_capacity(s * d);
    for k in 0..s {
        let i = k * n / s;
        sub.extend_from_slice(&x[i * d..(i + 1) * d]);
    }
    let opts = SmoOptions { tol: 1e-2, shrinking: true, cache_bytes: 64 << 20, max_iter: None, warm_start: false };
    let coarse = solve_with::<f32>(&sub, s, d, kernel, nu, &opts, &mut |_| {});
    let support: Vec<usize> = (0..s).filter(|&k| coarse.alpha[k] > 0.0).collect();
    let mut sv = Vec::with_capacity(support.len() * d);
    for &k in &support {
        sv.extend_from_slice(&sub[k * d..(k + 1) * d]);
    }
    let sv_sq: Vec<f64> = sv.chunks(d).map(|r| dot(r, r)).collect();
    let coef: Vec<f64> = support.iter().map(|&k| coarse.alpha[k]).collect();
    let mut f = vec![0.0; n];
    const ROWS: usize = 256;
    f.par_chunks_mut(ROWS).enumerate().for_each_init(
        || vec![0.0f64; coef.len()],
        |k, (c, block)| {
            for (r, out) in block.iter_mut().enumerate() {
                let z = &x[(c * ROWS + r) * d..(c * ROWS + r + 1) * d];
                simd::kernel_row(&kernel, z, dot(z, z), &sv, &sv_sq, k);
                *out = dot(k, &coef);
            }
        },
    );
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| f[a].total_cmp(&f[b]).then(a.cmp(&b)));
    order
}

fn solve_with<T: KernelValue>(x_in: &[f64], n: usize, d: usize, kernel: Kernel, nu: f64, opts: &SmoOptions, progress: &mut dyn FnMut(usize)) -> SmoSolution {
    let order = initial_order(x_in, n, d, kernel, nu, opts.warm_start);
    let mut x = Vec::with_capacity(n * d);
    for &i in &order {
        x.extend_from_slice(&x_in[i * d..(i + 1) * d]);
    }
    assert!(n >= 1 && x.len() == n * d, "caller validates shapes");
    let sq: Vec<f64> = x.chunks(d.max(1)).map(|r| dot(r, r)).take(n).collect();
    let qd: Vec<f64> = (0..n).map(|i| kernel.from_dot(sq[i], sq[i], sq[i])).collect();
    let total = nu * n as f64;
    let m = (total.floor() as usize).min(n);
    let mut alpha = vec![0.0; n];
    for a in alpha.iter_mut().take(m) {
        *a = 1.0;
    }
    if m < n {
        alpha[m] = total - m as f64;
    }
    let (g, g_bar) = initial_gradient(&kernel, &x, &sq, d, &alpha);
    let bound = alpha.iter().map(|&a| bound_of(a)).collect();
    let mut s = Solver::<T> {
        kernel,
        d,
        n,
        x,
        sq,
        qd,
        order,
        alpha,
        bound,
        g,
        g_bar,
        active: n,
        unshrink: false,
        cache: ColumnCache::new(n, opts.cache_bytes),
        tol: opts.tol,
    };
    let max_iter = opts.max_iter.unwrap_or_else(|| n.saturating_mul(100).max(10_000_000));
    let mut iterations = 0;
    let mut counter = n.min(1000) + 1;
    let mut converged = false;
    while iterations < max_iter {
        counter -= 1;
        if counter == 0 {
            counter = n.min(1000);
            if opts.shrinking {
                s.shrink();
            }
        }
        let pair = match s.select_working_set() {
            Some(p) => p,
            None => {
                // Optimal on the active set: rebuild the full gradient and check everything.
                s.reconstruct_gradient();
                s.active = n;
                match s.select_working_set() {
                    Some(p) => {
                        counter = 1;
                        p
                    }
                    None => {
                        converged = true;
                        break;
                    }
                }
            }
        };
        iterations += 1;
        if iterations % 4096 == 0 {
            progress(iterations);
        }
        s.update_pair(pair.0, pair.1);
    }
    if s.active < n {
        s.reconstruct_gradient();
        s.active = n;
    }
    let rho = s.rho();
    let (up, low) = s.max_violations();
    let objective = 0.5 * s.alpha.iter().zip(&s.g).map(|(a, g)| a * g).sum::<f64>();
    let mut alpha = vec![0.0; n];
    for (pos, &orig) in s.order.iter().enumerate() {
        alpha[orig] = s.alpha[pos];
    }
    SmoSolution { alpha, rho, objective, iterations, converged, gap: (up + low).max(0.0) }
}
