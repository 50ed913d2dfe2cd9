//! Dense hot loops of the small-problem path: rbf kernel blocks and small matrix products.
//!
//! Bodies are generic and written so LLVM vectorises them; on x86-64 each entry point is
//! compiled a second time with AVX2 + FMA and chosen at run time.

use super::scratch::Scratch;
use crate::simd::exp_nonpositive;

#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx2() -> bool {
    use std::sync::OnceLock;
    static DETECTED: OnceLock<bool> = OnceLock::new();
    *DETECTED.get_or_init(|| is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
}

/// Defines `$name` calling `$generic`, through an AVX2 + FMA compiled copy when the CPU has it.
macro_rules! dispatch {
    ($(#[$doc:meta])* fn $name:ident => $generic:ident / $avx:ident ( $($arg:ident : $ty:ty),* $(,)? ) $(-> $ret:ty)?) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $avx($($arg: $ty),*) $(-> $ret)? {
            $generic($($arg),*)
        }
        $(#[$doc])*
        #[allow(clippy::too_many_arguments)]
        pub(crate) fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            if $crate::diff::dense::has_avx2() {
                // SAFETY: the CPU supports AVX2 and FMA (checked at run time).
                return unsafe { $avx($($arg),*) };
            }
            $generic($($arg),*)
        }
    };
}
pub(crate) use dispatch;

/// Output block of the distance loops: 16 f64 = four AVX2 registers of accumulators.
const LANES: usize = 16;

/// The innermost blocks, portable or with AVX2 + FMA intrinsics. Callers are generic over the
/// block set and are compiled once per set (the AVX2 one inside a `target_feature` function).
trait Blocks {
    /// s0[j] = ⟨x0, y_j⟩, s1[j] = ⟨x1, y_j⟩ for j < count, y transposed (rows of m_pad ≥
    /// count rounded up to a multiple of LANES). Whole blocks of LANES are computed: entries
    /// from count up to that multiple are written too (padding or unused columns), because a last
    /// partial block in narrower pieces would cost as much per piece as a whole block (each
    /// piece is one chain of d dependent multiply-adds).
    fn dots2(x0: &[f64], x1: &[f64], yt: &[f64], m_pad: usize, count: usize, s0: &mut [f64], s1: &mut [f64]);
    /// out[j] = exp(−γ·max(0, x_sq + y_sq[j] − 2·dots[j])).
    fn rbf_from_dots(x_sq: f64, y_sq: &[f64], dots: &[f64], gamma: f64, out: &mut [f64]);
    /// out_r[c] += Σ_kk w_r[kk]·r[kk, c] for the two rows r = 0, 1 and c < `full` (a multiple of
    /// LANES); r is k × d row-major.
    fn rows2(w0: &[f64], w1: &[f64], r: &[f64], d: usize, full: usize, out0: &mut [f64], out1: &mut [f64]);
}

struct Portable;

impl Blocks for Portable {
    #[inline(always)]
    fn dots2(x0: &[f64], x1: &[f64], yt: &[f64], m_pad: usize, count: usize, s0: &mut [f64], s1: &mut [f64]) {
        let mut j0 = 0;
        while j0 < count {
            let mut a0 = [0.0f64; LANES];
            let mut a1 = [0.0f64; LANES];
            for (c, (&v0, &v1)) in x0.iter().zip(x1).enumerate() {
                let col = &yt[c * m_pad + j0..c * m_pad + j0 + LANES];
                for t in 0..LANES {
                    a0[t] += v0 * col[t];
                    a1[t] += v1 * col[t];
                }
            }
            s0[j0..j0 + LANES].copy_from_slice(&a0);
            s1[j0..j0 + LANES].copy_from_slice(&a1);
            j0 += LANES;
        }
    }

    #[inline(always)]
    fn rbf_from_dots(x_sq: f64, y_sq: &[f64], dots: &[f64], gamma: f64, out: &mut [f64]) {
        for ((o, &ys), &dt) in out.iter_mut().zip(y_sq).zip(dots) {
            let d2 = (x_sq + ys - 2.0 * dt).max(0.0);
            *o = exp_nonpositive(-gamma * d2);
        }
    }

    #[inline(always)]
    fn rows2(w0: &[f64], w1: &[f64], r: &[f64], d: usize, full: usize, out0: &mut [f64], out1: &mut [f64]) {
        let mut c0 = 0;
        while c0 < full {
            let mut a0 = [0.0f64; LANES];
            let mut a1 = [0.0f64; LANES];
            for (kk, (&u0, &u1)) in w0.iter().zip(w1).enumerate() {
                let rr = &r[kk * d + c0..kk * d + c0 + LANES];
                for t in 0..LANES {
                    a0[t] += u0 * rr[t];
                    a1[t] += u1 * rr[t];
                }
            }
            for t in 0..LANES {
                out0[c0 + t] += a0[t];
                out1[c0 + t] += a1[t];
            }
            c0 += LANES;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    //! The blocks with explicit AVX2 + FMA intrinsics (LLVM does not form FMAs from a·b + c
    //! and does not vectorise `f64::mul_add` in these loops). Only inlined into functions
    //! compiled with `target_feature(enable = "avx2,fma")`, called after run-time detection.
    use std::arch::x86_64::*;

    use super::{Blocks, LANES};

    pub(super) struct Avx2Fma;

    use crate::simd::exp4_avx2 as exp4;

    impl Blocks for Avx2Fma {
        #[inline(always)]
        fn dots2(x0: &[f64], x1: &[f64], yt: &[f64], m_pad: usize, count: usize, s0: &mut [f64], s1: &mut [f64]) {
            // One bounds check up front instead of one per column: the last block read is
            // yt[(d − 1)·m_pad + end − LANES .. (d − 1)·m_pad + end], end = count rounded up
            // to a whole block.
            let d = x0.len().min(x1.len());
            let end = count.div_ceil(LANES) * LANES;
            assert!(end <= m_pad && s0.len() >= end && s1.len() >= end);
            assert!(d == 0 || (d - 1) * m_pad + end <= yt.len());
            let (xp0, xp1, ytp) = (x0.as_ptr(), x1.as_ptr(), yt.as_ptr());
            let mut j0 = 0;
            while j0 < end {
                // SAFETY: AVX2 + FMA are available (this code is only reached from functions
                // compiled for them after run-time detection); the asserts above bound every
                // read (c < d, j0 + LANES ≤ end ≤ m_pad) and write (j0 + LANES ≤ end).
                unsafe {
                    let mut a = [_mm256_setzero_pd(); 8];
                    let mut col = ytp.add(j0);
                    for c in 0..d {
                        let (b0, b1) = (_mm256_set1_pd(*xp0.add(c)), _mm256_set1_pd(*xp1.add(c)));
                        for q in 0..4 {
                            let v = _mm256_loadu_pd(col.add(4 * q));
                            a[q] = _mm256_fmadd_pd(b0, v, a[q]);
                            a[4 + q] = _mm256_fmadd_pd(b1, v, a[4 + q]);
                        }
                        col = col.add(m_pad);
                    }
                    let (o0, o1) = (s0.as_mut_ptr().add(j0), s1.as_mut_ptr().add(j0));
                    for q in 0..4 {
                        _mm256_storeu_pd(o0.add(4 * q), a[q]);
                        _mm256_storeu_pd(o1.add(4 * q), a[4 + q]);
                    }
                }
                j0 += LANES;
            }
        }

        #[inline(always)]
        fn rbf_from_dots(x_sq: f64, y_sq: &[f64], dots: &[f64], gamma: f64, out: &mut [f64]) {
            let len = out.len().min(y_sq.len()).min(dots.len());
            let full = len / 4 * 4;
            // SAFETY: as in dots2; indices below `full` ≤ the three lengths.
            unsafe {
                let xs = _mm256_set1_pd(x_sq);
                let minus_gamma = _mm256_set1_pd(-gamma);
                let two = _mm256_set1_pd(2.0);
                let zero = _mm256_setzero_pd();
                let mut j = 0;
                while j < full {
                    let ys = _mm256_loadu_pd(y_sq.as_ptr().add(j));
                    let dt = _mm256_loadu_pd(dots.as_ptr().add(j));
                    let d2 = _mm256_max_pd(_mm256_fnmadd_pd(two, dt, _mm256_add_pd(xs, ys)), zero);
                    _mm256_storeu_pd(out.as_mut_ptr().add(j), exp4(_mm256_mul_pd(minus_gamma, d2)));
                    j += 4;
                }
            }
            if full < len {
                // The last 1–3 entries through one padded vector instead of scalar exps.
                let mut arg = [0.0f64; 4];
                for (t, a) in arg.iter_mut().enumerate().take(len - full) {
                    *a = -gamma * (x_sq + y_sq[full + t] - 2.0 * dots[full + t]).max(0.0);
                }
                let mut res = [0.0f64; 4];
                // SAFETY: as above; `arg` and `res` hold four values each.
                unsafe { _mm256_storeu_pd(res.as_mut_ptr(), exp4(_mm256_loadu_pd(arg.as_ptr()))) };
                out[full..len].copy_from_slice(&res[..len - full]);
            }
        }

        #[inline(always)]
        fn rows2(w0: &[f64], w1: &[f64], r: &[f64], d: usize, full: usize, out0: &mut [f64], out1: &mut [f64]) {
            let k = w0.len().min(w1.len());
            assert!(full / LANES * LANES == full && full <= d && out0.len() >= full && out1.len() >= full);
            assert!(k == 0 || (k - 1) * d + full <= r.len());
            let (wp0, wp1, rp) = (w0.as_ptr(), w1.as_ptr(), r.as_ptr());
            let mut c0 = 0;
            while c0 < full {
                // SAFETY: as in dots2; reads r[kk·d + c0 .. kk·d + c0 + LANES] with kk < k and
                // c0 + LANES ≤ full ≤ d, writes out[c0 .. c0 + LANES] with c0 + LANES ≤ full.
                unsafe {
                    let mut a = [_mm256_setzero_pd(); 8];
                    let mut rr = rp.add(c0);
                    for kk in 0..k {
                        let (b0, b1) = (_mm256_set1_pd(*wp0.add(kk)), _mm256_set1_pd(*wp1.add(kk)));
                        for q in 0..4 {
                            let v = _mm256_loadu_pd(rr.add(4 * q));
                            a[q] = _mm256_fmadd_pd(b0, v, a[q]);
                            a[4 + q] = _mm256_fmadd_pd(b1, v, a[4 + q]);
                        }
                        rr = rr.add(d);
                    }
                    let (o0, o1) = (out0.as_mut_ptr().add(c0), out1.as_mut_ptr().add(c0));
                    for q in 0..4 {
                        _mm256_storeu_pd(o0.add(4 * q), _mm256_add_pd(_mm256_loadu_pd(o0.add(4 * q)), a[q]));
                        _mm256_storeu_pd(o1.add(4 * q), _mm256_add_pd(_mm256_loadu_pd(o1.add(4 * q)), a[4 + q]));
                    }
                }
                c0 += LANES;
            }
        }
    }
}

/// Defines `$name` running `$with::<Portable>`, or `$with::<Avx2Fma>` compiled with AVX2 + FMA
/// when the CPU has them.
macro_rules! dispatch_blocks {
    ($(#[$doc:meta])* fn $name:ident => $with:ident / $avx:ident ( $($arg:ident : $ty:ty),* $(,)? )) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $avx($($arg: $ty),*) {
            $with::<avx2::Avx2Fma>($($arg),*)
        }
        $(#[$doc])*
        pub(crate) fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            if has_avx2() {
                // SAFETY: the CPU supports AVX2 and FMA (checked at run time).
                return unsafe { $avx($($arg),*) };
            }
            $with::<Portable>($($arg),*)
        }
    };
}

/// Rows of `x` (m × d) minus `mean`, and their squared norms. Distances are computed as
/// ‖x‖² + ‖y‖² − 2⟨x, y⟩ on data centred at the support half's mean, which bounds the
/// cancellation error of a squared distance by a few ulps of d·Var (≈ 1e-15 relative in K).
#[inline(always)]
fn centre(x: &[f64], d: usize, mean: &[f64]) -> (Scratch, Scratch) {
    let mut out = Scratch::dirty(x.len());
    for (o, row) in out.chunks_exact_mut(d).zip(x.chunks_exact(d)) {
        for ((ov, v), m) in o.iter_mut().zip(row).zip(mean) {
            *ov = v - m;
        }
    }
    let mut sq = Scratch::with_capacity(x.len() / d);
    sq.extend(out.chunks_exact(d).map(|row| lane_sum(row, |v| v * v)));
    (out, sq)
}

/// [`centre`] plus a transposed copy: the columns of the centred m × d matrix as d rows of
/// length m_pad (m rounded up to a multiple of LANES, plus one cache line; zero padded), so
/// dot products with many points vectorise across points. Returns (row-major centred,
/// transposed, m_pad, ‖row‖²). The extra line keeps the row stride off powers of two: the
/// blocks read one value from each of the d rows, and at a stride of 2 KB (n = 256) those d
/// lines would all fall into two sets of the L1 cache.
#[inline(always)]
fn centre_transposed(x: &[f64], d: usize, mean: &[f64]) -> (Scratch, Scratch, usize, Scratch) {
    let m = x.len() / d;
    let m_pad = m.div_ceil(LANES) * LANES + 8;
    let (centred, sq) = centre(x, d, mean);
    let mut t = Scratch::dirty(d * m_pad);
    // Only the padding needs zeros; everything else is written below.
    for col in t.chunks_exact_mut(m_pad) {
        col[m..].iter_mut().for_each(|v| *v = 0.0);
    }
    // Four rows at a time: each column gets a contiguous run of four values.
    let quads = centred.chunks_exact(4 * d);
    let done = m - quads.remainder().len() / d;
    for (q, rows) in quads.enumerate() {
        let (r0, rest) = rows.split_at(d);
        let (r1, rest) = rest.split_at(d);
        let (r2, r3) = rest.split_at(d);
        for ((((col, &v0), &v1), &v2), &v3) in t.chunks_exact_mut(m_pad).zip(r0).zip(r1).zip(r2).zip(r3) {
            col[4 * q..4 * q + 4].copy_from_slice(&[v0, v1, v2, v3]);
        }
    }
    for (j, row) in centred.chunks_exact(d).enumerate().skip(done) {
        for (col, &v) in t.chunks_exact_mut(m_pad).zip(row) {
            col[j] = v;
        }
    }
    (centred, t, m_pad, sq)
}

#[inline(always)]
fn column_mean(x: &[f64], d: usize) -> Scratch {
    let mut mean = Scratch::zeroed(d);
    let n = x.len() / d;
    for row in x.chunks_exact(d) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v;
        }
    }
    let inv = 1.0 / n.max(1) as f64;
    mean.iter_mut().for_each(|m| *m *= inv);
    mean
}

/// The support half centred at its column means, with what the rbf blocks need: the centred
/// rows, their transposed copy (d rows of length m_pad) and squared norms.
pub(crate) struct Centred {
    pub(crate) mean: Scratch,
    rows: Scratch,
    transposed: Scratch,
    m_pad: usize,
    sq: Scratch,
}

impl Centred {
    /// Population variance over all n·d entries, from the centring:
    /// Σᵢⱼ (xᵢⱼ − μ̄)² = Σᵢ ‖xᵢ − μ‖² + n Σⱼ (μⱼ − μ̄)², μ̄ the mean of the column means.
    /// Also returns an upper bound of max |xᵢⱼ|² (twice Σᵢⱼ xᵢⱼ², which covers rounding).
    pub(crate) fn variance_of_entries(&self) -> (f64, f64) {
        let d = self.mean.len();
        let n = self.sq.len();
        let within: f64 = lane_sum(&self.sq, |v| v);
        let grand = lane_sum(&self.mean, |v| v) / d as f64;
        let between: f64 = lane_sum(&self.mean, |m| (m - grand) * (m - grand));
        let squares = lane_sum(&self.mean, |m| m * m);
        let entries = (n * d) as f64;
        ((within + n as f64 * between) / entries, 2.0 * (within + n as f64 * squares))
    }
}

#[inline(always)]
fn centred_generic(x: &[f64], d: usize) -> Centred {
    let mean = column_mean(x, d);
    let (rows, transposed, m_pad, sq) = centre_transposed(x, d, &mean);
    Centred { mean, rows, transposed, m_pad, sq }
}

dispatch! {
    /// Centres the rows of `x` (m × d) at their column means.
    fn centred => centred_generic / centred_avx2(x: &[f64], d: usize) -> Centred
}

#[inline(always)]
fn rbf_gram_with<B: Blocks>(x: &[f64], n: usize, d: usize, gamma: f64, jitter: f64, k: &mut [f64]) {
    rbf_gram_centred_with::<B>(&centred_generic(x, d), n, d, gamma, jitter, k)
}

#[inline(always)]
fn rbf_gram_centred_with<B: Blocks>(c: &Centred, n: usize, d: usize, gamma: f64, jitter: f64, k: &mut [f64]) {
    let (xc, xt, m_pad, sq) = (&c.rows, &c.transposed, c.m_pad, &c.sq);
    let mut s0 = Scratch::dirty(m_pad);
    let mut s1 = Scratch::dirty(m_pad);
    // Lower triangle, two rows at a time (row i needs j < i), then mirrored.
    let mut i = 0;
    while i < n {
        let pair = i + 1 < n;
        let i1 = if pair { i + 1 } else { i };
        let count = i1.div_ceil(4) * 4;
        B::dots2(&xc[i * d..(i + 1) * d], &xc[i1 * d..(i1 + 1) * d], xt, m_pad, count, &mut s0, &mut s1);
        B::rbf_from_dots(sq[i], &sq[..i], &s0[..i], gamma, &mut k[i * n..i * n + i]);
        if pair {
            B::rbf_from_dots(sq[i1], &sq[..i1], &s1[..i1], gamma, &mut k[i1 * n..i1 * n + i1]);
        }
        i += 2;
    }
    // Upper triangle from the lower one in 16 × 16 tiles, so both the strided side and the
    // contiguous side of the copy stay in cache for large n.
    const TILE: usize = 16;
    let k = &mut k[..n * n];
    for j in 0..n {
        k[j * n + j] = 1.0 + jitter;
    }
    for jb in (0..n).step_by(TILE) {
        for ib in (jb..n).step_by(TILE) {
            for j in jb..(jb + TILE).min(n) {
                let lo = ib.max(j + 1);
                let hi = (ib + TILE).min(n);
                if lo >= hi {
                    continue;
                }
                // Row j, columns lo..hi, from column j of rows lo..hi.
                let (head, tail) = k.split_at_mut(lo * n);
                let dst = &mut head[j * n + lo..j * n + hi];
                for (v, row) in dst.iter_mut().zip(tail.chunks_exact(n)) {
                    *v = row[j];
                }
            }
        }
    }
}

dispatch_blocks! {
    /// The n × n rbf kernel matrix with `jitter` on the diagonal, into `k`.
    fn rbf_gram => rbf_gram_with / rbf_gram_avx2(x: &[f64], n: usize, d: usize, gamma: f64, jitter: f64, k: &mut [f64])
}

dispatch_blocks! {
    /// [`rbf_gram`] of data already centred ([`centred`]).
    fn rbf_gram_centred => rbf_gram_centred_with / rbf_gram_centred_avx2(c: &Centred, n: usize, d: usize, gamma: f64, jitter: f64, k: &mut [f64])
}

/// `mean`: the column means of all of `x` (the support half), at which both sides are centred.
#[inline(always)]
fn rbf_cross_with<B: Blocks>(x: &[f64], mean: &[f64], rows: &[usize], y: &[f64], d: usize, gamma: f64, out: &mut [f64]) {
    let n_y = y.len() / d;
    let (_, yt, m_pad, y_sq) = centre_transposed(y, d, mean);
    let (xs, x_sq) = centre(&gather_rows(x, rows, d), d, mean);
    let mut s0 = Scratch::dirty(m_pad);
    let mut s1 = Scratch::dirty(m_pad);
    let m = rows.len();
    let mut r = 0;
    while r < m {
        let r1 = if r + 1 < m { r + 1 } else { r };
        B::dots2(&xs[r * d..(r + 1) * d], &xs[r1 * d..(r1 + 1) * d], &yt, m_pad, n_y.div_ceil(4) * 4, &mut s0, &mut s1);
        B::rbf_from_dots(x_sq[r], &y_sq, &s0[..n_y], gamma, &mut out[r * n_y..(r + 1) * n_y]);
        if r1 != r {
            B::rbf_from_dots(x_sq[r1], &y_sq, &s1[..n_y], gamma, &mut out[r1 * n_y..(r1 + 1) * n_y]);
        }
        r += 2;
    }
}

dispatch_blocks! {
    /// out[r, l] = exp(−γ‖x[rows[r]] − y[l]‖²), |rows| × n_y; `mean` = column means of `x`.
    fn rbf_cross => rbf_cross_with / rbf_cross_avx2(x: &[f64], mean: &[f64], rows: &[usize], y: &[f64], d: usize, gamma: f64, out: &mut [f64])
}

/// out (m × d) += W (m × k) · R (k × d), all row-major. Two output rows and 16 columns are
/// accumulated in registers at a time.
#[inline(always)]
fn matmul_acc_with<B: Blocks>(w: &[f64], m: usize, k: usize, r: &[f64], d: usize, out: &mut [f64]) {
    let full = d / LANES * LANES;
    let mut i = 0;
    while i + 2 <= m {
        let (w0, w1) = (&w[i * k..(i + 1) * k], &w[(i + 1) * k..(i + 2) * k]);
        let (o0, o1) = out[i * d..(i + 2) * d].split_at_mut(d);
        B::rows2(w0, w1, r, d, full, o0, o1);
        for c in full..d {
            let (mut s0, mut s1) = (0.0, 0.0);
            for kk in 0..k {
                s0 += w0[kk] * r[kk * d + c];
                s1 += w1[kk] * r[kk * d + c];
            }
            o0[c] += s0;
            o1[c] += s1;
        }
        i += 2;
    }
    if i < m {
        let wi = &w[i * k..(i + 1) * k];
        for kk in 0..k {
            let u = wi[kk];
            for (o, v) in out[i * d..(i + 1) * d].iter_mut().zip(&r[kk * d..(kk + 1) * d]) {
                *o += u * v;
            }
        }
    }
}

dispatch_blocks! {
    /// out (m × d) += W (m × k) · R (k × d), row-major.
    fn matmul_acc => matmul_acc_with / matmul_acc_avx2(w: &[f64], m: usize, k: usize, r: &[f64], d: usize, out: &mut [f64])
}

#[inline(always)]
fn rbf_scale_rows_generic(row_sums: &[f64], own: &[f64], d: usize, s: f64, out: &mut [f64]) {
    for ((&row_sum, or), xr) in row_sums.iter().zip(out.chunks_exact_mut(d)).zip(own.chunks_exact(d)) {
        for (o, &xv) in or.iter_mut().zip(xr) {
            *o = s * (row_sum * xv - *o);
        }
    }
}

dispatch! {
    /// out_a = s·(row_sums_a · own_a − out_a) per row a (own and out m × d): the rbf chain rule
    /// Σ_b W_ab (x_a − r_b) once out holds W·R and row_sums the row sums of W.
    fn rbf_scale_rows => rbf_scale_rows_generic / rbf_scale_rows_avx2(row_sums: &[f64], own: &[f64], d: usize, s: f64, out: &mut [f64])
}

#[cfg(test)]
fn portable_rbf_gram(x: &[f64], n: usize, d: usize, gamma: f64, jitter: f64, k: &mut [f64]) {
    rbf_gram_with::<Portable>(x, n, d, gamma, jitter, k)
}

#[cfg(test)]
fn portable_matmul_acc(w: &[f64], m: usize, k: usize, r: &[f64], d: usize, out: &mut [f64]) {
    matmul_acc_with::<Portable>(w, m, k, r, d, out)
}

/// max |v| over `data` (0 for empty), in eight lanes so it vectorises.
pub(crate) fn max_abs(data: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let mut chunks = data.chunks_exact(8);
    for ch in &mut chunks {
        for l in 0..8 {
            let a = ch[l].abs();
            acc[l] = if a > acc[l] { a } else { acc[l] };
        }
    }
    let mut m = acc.iter().fold(0.0f64, |x, &y| x.max(y));
    for v in chunks.remainder() {
        m = m.max(v.abs());
    }
    m
}

/// Index of the first non-finite entry. The common all-finite case is one vectorised pass.
pub(crate) fn first_non_finite(data: &[f64]) -> Option<usize> {
    if !any_non_finite(data) {
        return None;
    }
    data.iter().position(|v| !v.is_finite())
}

#[inline(always)]
fn any_non_finite_generic(data: &[f64]) -> bool {
    // ±∞ and NaN are exactly the values with every exponent bit set. An integer OR-reduction
    // vectorises freely (a floating-point sum would be one long dependency chain).
    const EXPONENT: u64 = 0x7ff0_0000_0000_0000;
    let mut flags = 0u64;
    for v in data {
        flags |= u64::from(v.to_bits() & EXPONENT == EXPONENT);
    }
    flags != 0
}

dispatch! {
    /// Whether some entry is ±∞ or NaN.
    fn any_non_finite => any_non_finite_generic / any_non_finite_avx2(data: &[f64]) -> bool
}

#[inline(always)]
fn copy_flagging_non_finite_generic(data: &[f64], out: &mut Vec<f64>) -> bool {
    const EXPONENT: u64 = 0x7ff0_0000_0000_0000;
    let mut flags = 0u64;
    out.extend(data.iter().map(|&v| {
        flags |= u64::from(v.to_bits() & EXPONENT == EXPONENT);
        v
    }));
    flags != 0
}

dispatch! {
    /// Appends `data` to `out` in the same pass as [`any_non_finite`], which it returns.
    fn copy_flagging_non_finite => copy_flagging_non_finite_generic / copy_flagging_non_finite_avx2(data: &[f64], out: &mut Vec<f64>) -> bool
}

/// A copy of `data`, or the index of its first non-finite entry.
pub(crate) fn copy_if_finite(data: &[f64]) -> Result<Vec<f64>, usize> {
    let mut out = Vec::with_capacity(data.len());
    if copy_flagging_non_finite(data, &mut out) {
        return Err(data.iter().position(|v| !v.is_finite()).unwrap_or(0));
    }
    Ok(out)
}

/// Σ f(v) over `data` in eight lanes.
#[inline(always)]
pub(crate) fn lane_sum<F: Fn(f64) -> f64>(data: &[f64], f: F) -> f64 {
    let mut acc = [0.0f64; 8];
    let mut chunks = data.chunks_exact(8);
    for ch in &mut chunks {
        for l in 0..8 {
            acc[l] += f(ch[l]);
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for &v in chunks.remainder() {
        s += f(v);
    }
    s
}

/// Copies the rows `idx` of the row-major matrix `x` (d columns) into a contiguous block.
pub(crate) fn gather_rows(x: &[f64], idx: &[usize], d: usize) -> Scratch {
    let mut out = Scratch::with_capacity(idx.len() * d);
    for &i in idx {
        out.extend_from_slice(&x[i * d..(i + 1) * d]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matmul_matches_naive() {
        for (m, k, d) in [(1, 1, 1), (3, 5, 17), (4, 2, 32), (5, 7, 40)] {
            let w: Vec<f64> = (0..m * k).map(|i| (i as f64 * 0.37).sin()).collect();
            let r: Vec<f64> = (0..k * d).map(|i| (i as f64 * 0.11).cos()).collect();
            let mut out = vec![1.0; m * d];
            matmul_acc(&w, m, k, &r, d, &mut out);
            let mut portable = vec![1.0; m * d];
            portable_matmul_acc(&w, m, k, &r, d, &mut portable);
            for i in 0..m {
                for c in 0..d {
                    let want = 1.0 + (0..k).map(|t| w[i * k + t] * r[t * d + c]).sum::<f64>();
                    assert!((out[i * d + c] - want).abs() < 1e-13, "({m},{k},{d}) [{i},{c}]");
                    assert!((portable[i * d + c] - want).abs() < 1e-13, "portable ({m},{k},{d}) [{i},{c}]");
                }
            }
        }
    }

    #[test]
    fn kernel_exponentials_match_std_exp() {
        // One-dimensional points at distance √t from the origin: K = exp(−t·γ) with γ = 1,
        // t over the whole range the fast exponential covers (the vector and scalar tails).
        let ys: Vec<f64> = (0..2003).map(|i| (i as f64 * 0.3534).sqrt()).collect();
        let mut out = vec![0.0; ys.len()];
        rbf_cross(&[0.0], &[0.0], &[0], &ys, 1, 1.0, &mut out);
        let mut worst = 0.0f64;
        for (o, y) in out.iter().zip(&ys) {
            let want = (-(y * y)).exp();
            worst = worst.max((o - want).abs() / want);
        }
        assert!(worst < 4e-16, "worst relative error {worst:e}");
        rbf_cross(&[0.0], &[0.0], &[0], &[30.0, 27.0], 1, 1.0, &mut out[..2]);
        assert_eq!(&out[..2], &[0.0, 0.0]);
    }

    #[test]
    fn centred_variance_matches_kernel_variance() {
        for (n, d) in [(1usize, 1usize), (7, 1), (4, 2), (25, 4), (1603, 1), (50, 32)] {
            let v: Vec<f64> = (0..n * d).map(|i| (i as f64 * 0.731).sin() * 3.0 + 5.0 + (i % d) as f64).collect();
            let (a, bound) = centred(&v, d).variance_of_entries();
            let b = crate::kernel::variance_of_entries(&v);
            assert!((a - b).abs() <= 1e-13 * b.max(1e-300), "{n}x{d}: {a} vs {b}");
            let max_sq = v.iter().fold(0.0f64, |m, x| m.max(x * x));
            assert!(bound >= max_sq, "{n}x{d}: bound {bound} < {max_sq}");
        }
        let (a, _) = centred(&[2.5; 9], 3).variance_of_entries();
        assert_eq!(a, 0.0);
    }

    #[test]
    fn rbf_blocks_match_direct_evaluation() {
        // n and |rows| odd and not multiples of 4, d not a multiple of 4: every tail path.
        let (n, d, gamma) = (23, 7, 0.3);
        let x: Vec<f64> = (0..n * d).map(|i| ((i * 37) % 19) as f64 / 7.0 - 1.0 + 100.0).collect();
        let mut k = vec![0.0; n * n];
        rbf_gram(&x, n, d, gamma, 0.5, &mut k);
        let mut kp = vec![0.0; n * n];
        portable_rbf_gram(&x, n, d, gamma, 0.5, &mut kp);
        let rows = [3usize, 0, 10, 22, 5];
        let mut c = vec![0.0; rows.len() * n];
        rbf_cross(&x, &column_mean(&x, d), &rows, &x, d, gamma, &mut c);
        for i in 0..n {
            for j in 0..n {
                let d2: f64 = (0..d).map(|t| (x[i * d + t] - x[j * d + t]).powi(2)).sum();
                let want = (-gamma * d2).exp() + if i == j { 0.5 } else { 0.0 };
                assert!((k[i * n + j] - want).abs() < 1e-14, "K[{i},{j}]");
                assert!((kp[i * n + j] - want).abs() < 1e-14, "portable K[{i},{j}]");
            }
        }
        for (r, &i) in rows.iter().enumerate() {
            for j in 0..n {
                let want = if i == j { 1.0 } else { k[i * n + j] };
                assert!((c[r * n + j] - want).abs() < 1e-14);
            }
        }
    }
}
