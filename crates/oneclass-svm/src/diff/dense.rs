//! Dense hot loops of the small-problem path: rbf kernel blocks and small matrix products.
//!
//! Bodies are generic and written so LLVM vectorises them; on x86-64 each entry point is
//! compiled a second time with AVX2 + FMA and chosen at run time.

use crate::simd::exp_nonpositive;

#[cfg(target_arch = "x86_64")]
pub(crate) fn has_avx2() -> bool {
    use std::sync::OnceLock;
    static DETECTED: OnceLock<bool> = OnceLock::new();
    *DETECTED.get_or_init(|| is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
}

/// Defines `$name` calling `$generic`, through an AVX2 + FMA compiled copy when the CPU has it.
/// With `fused`, `$generic` takes `<const FMA: bool>` (see [`madd`]): true in the AVX2 copy.
macro_rules! dispatch {
    (fused $(#[$doc:meta])* fn $name:ident => $generic:ident / $avx:ident ( $($arg:ident : $ty:ty),* $(,)? ) $(-> $ret:ty)?) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $avx($($arg: $ty),*) $(-> $ret)? {
            $generic::<true>($($arg),*)
        }
        $(#[$doc])*
        pub(crate) fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            if $crate::diff::dense::has_avx2() {
                // SAFETY: the CPU supports AVX2 and FMA (checked at run time).
                return unsafe { $avx($($arg),*) };
            }
            $generic::<false>($($arg),*)
        }
    };
    ($(#[$doc:meta])* fn $name:ident => $generic:ident / $avx:ident ( $($arg:ident : $ty:ty),* $(,)? ) $(-> $ret:ty)?) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $avx($($arg: $ty),*) $(-> $ret)? {
            $generic($($arg),*)
        }
        $(#[$doc])*
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

/// a·b + c, fused when `FMA` (only instantiated so inside AVX2 + FMA code, where it is one
/// instruction; elsewhere `mul_add` would be a slow library call).
#[inline(always)]
pub(crate) fn madd<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// Output block of the distance loops: 16 f64 = four AVX2 registers of accumulators.
const LANES: usize = 16;

/// The columns of the row-major m × d matrix `x` as d rows of length m_pad (m rounded up to a
/// multiple of LANES, zero padded), so distances to many points vectorise across points.
pub(crate) fn transpose_padded(x: &[f64], m: usize, d: usize) -> (Vec<f64>, usize) {
    let m_pad = m.div_ceil(LANES) * LANES;
    let mut t = vec![0.0; d * m_pad];
    for (j, row) in x.chunks_exact(d).take(m).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            t[c * m_pad + j] = v;
        }
    }
    (t, m_pad)
}

/// out[j] = exp(−γ‖xi − y_j‖²) for j < out.len(), y given transposed (`yt`, rows of m_pad);
/// `scratch` holds m_pad values.
#[inline(always)]
fn rbf_row<const FMA: bool>(xi: &[f64], yt: &[f64], m_pad: usize, gamma: f64, out: &mut [f64], scratch: &mut [f64]) {
    let d = xi.len();
    let count = out.len().div_ceil(LANES) * LANES;
    let mut j0 = 0;
    while j0 < count {
        // Even and odd coordinates in separate accumulators: twice the independent chains.
        let mut even = [0.0f64; LANES];
        let mut odd = [0.0f64; LANES];
        let mut c = 0;
        while c + 2 <= d {
            let (v0, v1) = (xi[c], xi[c + 1]);
            let col0 = &yt[c * m_pad + j0..c * m_pad + j0 + LANES];
            let col1 = &yt[(c + 1) * m_pad + j0..(c + 1) * m_pad + j0 + LANES];
            for t in 0..LANES {
                let e0 = v0 - col0[t];
                let e1 = v1 - col1[t];
                even[t] = madd::<FMA>(e0, e0, even[t]);
                odd[t] = madd::<FMA>(e1, e1, odd[t]);
            }
            c += 2;
        }
        if c < d {
            let col = &yt[c * m_pad + j0..c * m_pad + j0 + LANES];
            for t in 0..LANES {
                let e = xi[c] - col[t];
                even[t] = madd::<FMA>(e, e, even[t]);
            }
        }
        for t in 0..LANES {
            scratch[j0 + t] = even[t] + odd[t];
        }
        j0 += LANES;
    }
    for (o, &d2) in out.iter_mut().zip(&scratch[..count]) {
        *o = exp_nonpositive(-gamma * d2);
    }
}

#[inline(always)]
fn rbf_gram_generic<const FMA: bool>(x: &[f64], n: usize, d: usize, gamma: f64, jitter: f64, k: &mut [f64]) {
    let (xt, m_pad) = transpose_padded(x, n, d);
    let mut scratch = vec![0.0; m_pad];
    for i in 0..n {
        // Lower triangle of row i (j < i), then mirrored.
        let (head, tail) = k.split_at_mut(i * n);
        let row_i = &mut tail[..n];
        rbf_row::<FMA>(&x[i * d..(i + 1) * d], &xt, m_pad, gamma, &mut row_i[..i], &mut scratch);
        row_i[i] = 1.0 + jitter;
        for j in 0..i {
            head[j * n + i] = row_i[j];
        }
    }
}

dispatch! { fused
    /// The n × n rbf kernel matrix with `jitter` on the diagonal, into `k`.
    fn rbf_gram => rbf_gram_generic / rbf_gram_avx2(x: &[f64], n: usize, d: usize, gamma: f64, jitter: f64, k: &mut [f64])
}

#[inline(always)]
fn rbf_cross_generic<const FMA: bool>(x: &[f64], rows: &[usize], y: &[f64], d: usize, gamma: f64, out: &mut [f64]) {
    let n_y = y.len() / d;
    let (yt, m_pad) = transpose_padded(y, n_y, d);
    let mut scratch = vec![0.0; m_pad];
    for (r, &j) in rows.iter().enumerate() {
        rbf_row::<FMA>(&x[j * d..(j + 1) * d], &yt, m_pad, gamma, &mut out[r * n_y..(r + 1) * n_y], &mut scratch);
    }
}

dispatch! { fused
    /// out[r, l] = exp(−γ‖x[rows[r]] − y[l]‖²), |rows| × n_y.
    fn rbf_cross => rbf_cross_generic / rbf_cross_avx2(x: &[f64], rows: &[usize], y: &[f64], d: usize, gamma: f64, out: &mut [f64])
}

/// out (m × d) += W (m × k) · R (k × d), all row-major. Two output rows and 16 columns are
/// accumulated in registers at a time.
#[inline(always)]
fn matmul_acc_generic<const FMA: bool>(w: &[f64], m: usize, k: usize, r: &[f64], d: usize, out: &mut [f64]) {
    const WIDTH: usize = 16;
    let full = d / WIDTH * WIDTH;
    let mut i = 0;
    while i + 2 <= m {
        let (w0, w1) = (&w[i * k..(i + 1) * k], &w[(i + 1) * k..(i + 2) * k]);
        let mut c0 = 0;
        while c0 < full {
            let mut a0 = [0.0f64; WIDTH];
            let mut a1 = [0.0f64; WIDTH];
            for kk in 0..k {
                let rr = &r[kk * d + c0..kk * d + c0 + WIDTH];
                let (u0, u1) = (w0[kk], w1[kk]);
                for t in 0..WIDTH {
                    a0[t] = madd::<FMA>(u0, rr[t], a0[t]);
                    a1[t] = madd::<FMA>(u1, rr[t], a1[t]);
                }
            }
            for t in 0..WIDTH {
                out[i * d + c0 + t] += a0[t];
                out[(i + 1) * d + c0 + t] += a1[t];
            }
            c0 += WIDTH;
        }
        for c in full..d {
            let (mut s0, mut s1) = (0.0, 0.0);
            for kk in 0..k {
                s0 += w0[kk] * r[kk * d + c];
                s1 += w1[kk] * r[kk * d + c];
            }
            out[i * d + c] += s0;
            out[(i + 1) * d + c] += s1;
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

dispatch! { fused
    /// out (m × d) += W (m × k) · R (k × d), row-major.
    fn matmul_acc => matmul_acc_generic / matmul_acc_avx2(w: &[f64], m: usize, k: usize, r: &[f64], d: usize, out: &mut [f64])
}

/// Σ f(v) over `data` in eight lanes.
#[inline(always)]
fn lane_sum<F: Fn(f64) -> f64>(data: &[f64], f: F) -> f64 {
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

#[inline(always)]
fn variance_of_entries_generic(data: &[f64]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let n = data.len() as f64;
    let mean = lane_sum(data, |v| v) / n;
    lane_sum(data, |v| (v - mean) * (v - mean)) / n
}

dispatch! {
    /// Population variance over all entries (as `kernel::variance_of_entries`, two passes),
    /// summed in eight lanes so it vectorises; agrees to rounding.
    fn variance_of_entries => variance_of_entries_generic / variance_of_entries_avx2(data: &[f64]) -> f64
}

/// Copies the rows `idx` of the row-major matrix `x` (d columns) into a contiguous block.
pub(crate) fn gather_rows(x: &[f64], idx: &[usize], d: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(idx.len() * d);
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
            for i in 0..m {
                for c in 0..d {
                    let want = 1.0 + (0..k).map(|t| w[i * k + t] * r[t * d + c]).sum::<f64>();
                    assert!((out[i * d + c] - want).abs() < 1e-13, "({m},{k},{d}) [{i},{c}]");
                }
            }
        }
    }

    #[test]
    fn lane_variance_matches_kernel_variance() {
        for len in [1usize, 7, 8, 100, 1603] {
            let v: Vec<f64> = (0..len).map(|i| (i as f64 * 0.731).sin() * 3.0 + 5.0).collect();
            let a = variance_of_entries(&v);
            let b = crate::kernel::variance_of_entries(&v);
            assert!((a - b).abs() <= 1e-13 * b.max(1e-300), "{len}: {a} vs {b}");
        }
        assert_eq!(variance_of_entries(&[]), 0.0);
        assert_eq!(variance_of_entries(&[2.5; 9]), 0.0);
    }

    #[test]
    fn rbf_blocks_match_direct_evaluation() {
        let (n, d, gamma) = (11, 7, 0.3);
        let x: Vec<f64> = (0..n * d).map(|i| ((i * 37) % 19) as f64 / 7.0 - 1.0).collect();
        let mut k = vec![0.0; n * n];
        rbf_gram(&x, n, d, gamma, 0.5, &mut k);
        let rows = [3usize, 0, 10];
        let mut c = vec![0.0; rows.len() * n];
        rbf_cross(&x, &rows, &x, d, gamma, &mut c);
        for i in 0..n {
            for j in 0..n {
                let d2: f64 = (0..d).map(|t| (x[i * d + t] - x[j * d + t]).powi(2)).sum();
                let want = (-gamma * d2).exp() + if i == j { 0.5 } else { 0.0 };
                assert!((k[i * n + j] - want).abs() < 1e-15, "K[{i},{j}]");
            }
        }
        for (r, &i) in rows.iter().enumerate() {
            for j in 0..n {
                let want = if i == j { 1.0 } else { k[i * n + j] };
                assert!((c[r * n + j] - want).abs() < 1e-15);
            }
        }
    }
}
