//! Hot loops of the solver: a kernel row against a block of rows, and a fast exp.
//!
//! The generic bodies are written so LLVM vectorises them; on x86-64 they are compiled a second
//! time with AVX2 + FMA and chosen at run time, so one binary runs everywhere.

use crate::kernel::Kernel;

/// exp(x) for x ≤ 0, relative error below 4e-16 on [−708, 0]; 0 below −708.
/// Branch-free (round-to-nearest by the 1.5·2⁵² trick, Taylor degree 12 on |r| ≤ ln2/2) and
/// written lane by lane over 4 values so the compiler emits vector code.
#[inline(always)]
pub fn exp_nonpositive4(x: [f64; 4]) -> [f64; 4] {
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
    const SHIFTER: f64 = 6_755_399_441_055_744.0; // 1.5·2⁵²
    const C: [f64; 13] = [
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ];
    let mut xc = [0.0; 4];
    let mut t = [0.0; 4];
    let mut r = [0.0; 4];
    let mut p = [C[0]; 4];
    let mut out = [0.0; 4];
    for l in 0..4 {
        xc[l] = if x[l] > -708.0 { x[l] } else { -708.0 };
        t[l] = xc[l] * LOG2E + SHIFTER;
        let k = t[l] - SHIFTER;
        r[l] = (xc[l] - k * LN2_HI) - k * LN2_LO;
    }
    for c in &C[1..] {
        for l in 0..4 {
            p[l] = p[l] * r[l] + c;
        }
    }
    for l in 0..4 {
        let ki = (t[l].to_bits() as i64).wrapping_sub(SHIFTER.to_bits() as i64);
        let scale = f64::from_bits(((ki + 1023) as u64) << 52);
        out[l] = if x[l] < -708.0 { 0.0 } else { p[l] * scale };
    }
    out
}

/// Scalar form of [`exp_nonpositive4`].
#[inline(always)]
pub fn exp_nonpositive(x: f64) -> f64 {
    exp_nonpositive4([x; 4])[0]
}

/// Dot products of `xi` with 4 rows at once: four independent vector accumulators keep the
/// floating-point units busy (one row at a time is bound by the add latency). Exact-length
/// chunks let the compiler drop bounds checks and vectorise.
#[inline(always)]
fn dot4(xi: &[f64], r: [&[f64]; 4]) -> [f64; 4] {
    let mut acc = [[0.0f64; 4]; 4];
    let chunks = xi
        .chunks_exact(4)
        .zip(r[0].chunks_exact(4))
        .zip(r[1].chunks_exact(4))
        .zip(r[2].chunks_exact(4))
        .zip(r[3].chunks_exact(4));
    for ((((x, c0), c1), c2), c3) in chunks {
        for l in 0..4 {
            acc[0][l] += x[l] * c0[l];
            acc[1][l] += x[l] * c1[l];
            acc[2][l] += x[l] * c2[l];
            acc[3][l] += x[l] * c3[l];
        }
    }
    let tail = xi.len() - xi.len() % 4;
    let mut out = [0.0; 4];
    for (row, o) in out.iter_mut().enumerate() {
        let a = &acc[row];
        *o = (a[0] + a[1]) + (a[2] + a[3]) + xi[tail..].iter().zip(&r[row][tail..]).map(|(p, q)| p * q).sum::<f64>();
    }
    out
}

/// v[j] ← exp(−γ·max(‖x_i‖² + sq[j] − 2v[j], 0)): dot products to rbf values, portable version.
#[inline(always)]
fn rbf_portable(gamma: f64, xi_sqnorm: f64, sq: &[f64], v: &mut [f64]) {
    for (v, &s) in v.iter_mut().zip(sq) {
        let d2 = xi_sqnorm + s - 2.0 * *v;
        *v = -gamma * if d2 > 0.0 { d2 } else { 0.0 };
    }
    let mut chunks = v.chunks_exact_mut(4);
    for c in &mut chunks {
        let e = exp_nonpositive4([c[0], c[1], c[2], c[3]]);
        c.copy_from_slice(&e);
    }
    for v in chunks.into_remainder() {
        *v = exp_nonpositive(*v);
    }
}

/// exp(x) for x ≤ 0 on four lanes with AVX2 + FMA: the algorithm of `exp_nonpositive4`
/// (k = round(x/ln2), r = x − k·ln2 in two parts, Taylor degree 12, 2^k from the exponent bits);
/// 0 below −708. Shared by the solver's kernel rows and the differentiable solver.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(crate) unsafe fn exp4_avx2(x: std::arch::x86_64::__m256d) -> std::arch::x86_64::__m256d {
    use std::arch::x86_64::*;
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
    const SHIFTER: f64 = 6_755_399_441_055_744.0;
    const C: [f64; 13] = [
        1.0 / 479_001_600.0, 1.0 / 39_916_800.0, 1.0 / 3_628_800.0, 1.0 / 362_880.0, 1.0 / 40_320.0,
        1.0 / 5_040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0,
    ];
    let lowest = _mm256_set1_pd(-708.0);
    let xc = _mm256_max_pd(x, lowest);
    let shifter = _mm256_set1_pd(SHIFTER);
    let t = _mm256_fmadd_pd(xc, _mm256_set1_pd(LOG2E), shifter);
    let k = _mm256_sub_pd(t, shifter);
    let r = _mm256_fnmadd_pd(k, _mm256_set1_pd(LN2_HI), xc);
    let r = _mm256_fnmadd_pd(k, _mm256_set1_pd(LN2_LO), r);
    let mut p = _mm256_set1_pd(C[0]);
    for &c in &C[1..] {
        p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(c));
    }
    let ki = _mm256_sub_epi64(_mm256_castpd_si256(t), _mm256_castpd_si256(shifter));
    let scale = _mm256_castsi256_pd(_mm256_slli_epi64::<52>(_mm256_add_epi64(ki, _mm256_set1_epi64x(1023))));
    let y = _mm256_mul_pd(p, scale);
    let underflow = _mm256_cmp_pd::<_CMP_LT_OQ>(x, lowest);
    _mm256_andnot_pd(underflow, y)
}

/// The same with AVX2 + FMA intrinsics (same algorithm as `exp_nonpositive4`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn rbf_avx2(gamma: f64, xi_sqnorm: f64, sq: &[f64], v: &mut [f64]) {
    use std::arch::x86_64::*;
    let n4 = v.len() - v.len() % 4;
    let mut j = 0;
    while j < n4 {
        // SAFETY: j + 4 ≤ n4 ≤ v.len() = sq.len().
        unsafe {
            let dot = _mm256_loadu_pd(v.as_ptr().add(j));
            let s = _mm256_loadu_pd(sq.as_ptr().add(j));
            let d2 = _mm256_fnmadd_pd(_mm256_set1_pd(2.0), dot, _mm256_add_pd(_mm256_set1_pd(xi_sqnorm), s));
            let d2 = _mm256_max_pd(d2, _mm256_setzero_pd());
            let x = _mm256_mul_pd(_mm256_set1_pd(-gamma), d2);
            _mm256_storeu_pd(v.as_mut_ptr().add(j), exp4_avx2(x));
        }
        j += 4;
    }
    rbf_portable(gamma, xi_sqnorm, &sq[n4..], &mut v[n4..]);
}

/// out[j] = ⟨xi, rows[j]⟩, portable version.
#[inline(always)]
fn dots_portable(xi: &[f64], rows: &[f64], out: &mut [f64]) {
    let d = xi.len();
    let row = |j: usize| &rows[j * d..(j + 1) * d];
    let m = out.len();
    let mut j = 0;
    while j + 4 <= m {
        let v = dot4(xi, [row(j), row(j + 1), row(j + 2), row(j + 3)]);
        out[j..j + 4].copy_from_slice(&v);
        j += 4;
    }
    for (jj, v) in out.iter_mut().enumerate().skip(j) {
        *v = crate::kernel::dot(xi, row(jj));
    }
}

/// out[j] = ⟨xi, rows[j]⟩ with AVX2 + FMA: four rows at a time, two accumulators each, so
/// eight independent FMA chains hide the FMA latency.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dots_avx2(xi: &[f64], rows: &[f64], out: &mut [f64]) {
    use std::arch::x86_64::*;
    let d = xi.len();
    let m = out.len();
    assert!(rows.len() >= m * d);
    let d8 = d - d % 8;
    let d4 = d - d % 4;
    let xp = xi.as_ptr();
    let mut j = 0;
    while j + 4 <= m {
        // SAFETY: rows j..j+4 lie inside `rows` (asserted above); k + 8 ≤ d8 ≤ d and k + 4 ≤ d4 ≤ d.
        unsafe {
            let r = [rows.as_ptr().add(j * d), rows.as_ptr().add((j + 1) * d), rows.as_ptr().add((j + 2) * d), rows.as_ptr().add((j + 3) * d)];
            let mut a = [_mm256_setzero_pd(); 4];
            let mut b = [_mm256_setzero_pd(); 4];
            let mut k = 0;
            while k < d8 {
                let x0 = _mm256_loadu_pd(xp.add(k));
                let x1 = _mm256_loadu_pd(xp.add(k + 4));
                for q in 0..4 {
                    a[q] = _mm256_fmadd_pd(x0, _mm256_loadu_pd(r[q].add(k)), a[q]);
                    b[q] = _mm256_fmadd_pd(x1, _mm256_loadu_pd(r[q].add(k + 4)), b[q]);
                }
                k += 8;
            }
            if k < d4 {
                let x0 = _mm256_loadu_pd(xp.add(k));
                for q in 0..4 {
                    a[q] = _mm256_fmadd_pd(x0, _mm256_loadu_pd(r[q].add(k)), a[q]);
                }
                k += 4;
            }
            for q in 0..4 {
                a[q] = _mm256_add_pd(a[q], b[q]);
            }
            // Horizontal sums of the four accumulators into one vector [s0, s1, s2, s3].
            let h01 = _mm256_hadd_pd(a[0], a[1]);
            let h23 = _mm256_hadd_pd(a[2], a[3]);
            let lo = _mm256_permute2f128_pd(h01, h23, 0x20);
            let hi = _mm256_permute2f128_pd(h01, h23, 0x31);
            let mut sums = [0.0f64; 4];
            _mm256_storeu_pd(sums.as_mut_ptr(), _mm256_add_pd(lo, hi));
            for (q, s) in sums.iter_mut().enumerate() {
                for kk in k..d {
                    *s += *xp.add(kk) * *r[q].add(kk);
                }
            }
            out[j..j + 4].copy_from_slice(&sums);
        }
        j += 4;
    }
    for (jj, v) in out.iter_mut().enumerate().skip(j) {
        *v = crate::kernel::dot(xi, &rows[jj * d..(jj + 1) * d]);
    }
}

/// out[j] = k(x_i, rows[j]) for the `out.len()` rows stored row-major in `rows` (d columns),
/// with `row_sqnorms[j]` = ‖rows[j]‖² and `xi_sqnorm` = ‖x_i‖².
#[inline(always)]
fn kernel_row_generic<T: KernelValue>(
    kernel: &Kernel,
    xi: &[f64],
    xi_sqnorm: f64,
    rows: &[f64],
    row_sqnorms: &[f64],
    out: &mut [T],
    dots: impl Fn(&[f64], &[f64], &mut [f64]),
    rbf: impl Fn(f64, f64, &[f64], &mut [f64]),
) {
    let d = xi.len();
    const BLOCK: usize = 64;
    let mut buf = [0.0f64; BLOCK];
    for (b, out_block) in out.chunks_mut(BLOCK).enumerate() {
        let start = b * BLOCK;
        let m = out_block.len();
        dots(xi, &rows[start * d..(start + m) * d], &mut buf[..m]);
        match *kernel {
            Kernel::Rbf { gamma } => rbf(gamma, xi_sqnorm, &row_sqnorms[start..start + m], &mut buf[..m]),
            Kernel::Linear => {}
            _ => {
                for v in buf[..m].iter_mut() {
                    *v = kernel.from_dot(*v, 0.0, 0.0);
                }
            }
        }
        for (o, v) in out_block.iter_mut().zip(&buf[..m]) {
            *o = T::from_f64(*v);
        }
    }
}

/// Storage precision of kernel values: f32 in the cache at ordinary tolerances (as libsvm),
/// f64 where the tolerance asks for more than f32 can carry, and for predictions.
pub trait KernelValue: Copy + Default + Send + Sync + 'static {
    fn from_f64(v: f64) -> Self;
    fn to_f64(self) -> f64;
}
impl KernelValue for f32 {
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
}
impl KernelValue for f64 {
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn kernel_row_avx2<T: KernelValue>(kernel: &Kernel, xi: &[f64], xi_sqnorm: f64, rows: &[f64], row_sqnorms: &[f64], out: &mut [T]) {
    // SAFETY: this function only runs where AVX2 and FMA were detected.
    kernel_row_generic(kernel, xi, xi_sqnorm, rows, row_sqnorms, out, |x, r, o| unsafe { dots_avx2(x, r, o) }, |g, s, q, v| unsafe { rbf_avx2(g, s, q, v) })
}

#[cfg(target_arch = "x86_64")]
fn has_avx2() -> bool {
    use std::sync::OnceLock;
    static DETECTED: OnceLock<bool> = OnceLock::new();
    *DETECTED.get_or_init(|| is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
}

/// Kernel values between one point and a block of rows (see `kernel_row_generic`).
pub fn kernel_row<T: KernelValue>(kernel: &Kernel, xi: &[f64], xi_sqnorm: f64, rows: &[f64], row_sqnorms: &[f64], out: &mut [T]) {
    debug_assert_eq!(rows.len(), out.len() * xi.len());
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2 and FMA (checked at run time above).
        return unsafe { kernel_row_avx2(kernel, xi, xi_sqnorm, rows, row_sqnorms, out) };
    }
    kernel_row_generic(kernel, xi, xi_sqnorm, rows, row_sqnorms, out, dots_portable, rbf_portable)
}

/// Turn dot products ⟨x_i, x_j⟩ (in `v`) into kernel values k(x_i, x_j), given ‖x_i‖² and ‖x_j‖².
pub fn dots_to_kernel(kernel: &Kernel, xi_sqnorm: f64, sqs: &[f64], v: &mut [f64]) {
    match *kernel {
        Kernel::Rbf { gamma } => {
            #[cfg(target_arch = "x86_64")]
            if has_avx2() {
                // SAFETY: run-time checked CPU features.
                return unsafe { rbf_avx2(gamma, xi_sqnorm, sqs, v) };
            }
            rbf_portable(gamma, xi_sqnorm, sqs, v)
        }
        Kernel::Linear => {}
        _ => v.iter_mut().for_each(|x| *x = kernel.from_dot(*x, 0.0, 0.0)),
    }
}

/// Σ_k w[k]·col[k] accumulated into acc: acc[k] += a·col_a[k] + b·col_b[k] (the SMO gradient update).
#[inline(always)]
fn axpy2_generic<T: KernelValue>(acc: &mut [f64], a: f64, col_a: &[T], b: f64, col_b: &[T]) {
    for ((g, &qa), &qb) in acc.iter_mut().zip(col_a).zip(col_b) {
        *g += a * qa.to_f64() + b * qb.to_f64();
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn axpy2_avx2<T: KernelValue>(acc: &mut [f64], a: f64, col_a: &[T], b: f64, col_b: &[T]) {
    axpy2_generic(acc, a, col_a, b, col_b)
}

pub fn axpy2<T: KernelValue>(acc: &mut [f64], a: f64, col_a: &[T], b: f64, col_b: &[T]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: run-time checked CPU features.
        return unsafe { axpy2_avx2(acc, a, col_a, b, col_b) };
    }
    axpy2_generic(acc, a, col_a, b, col_b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_exp_matches_std_to_two_ulp_scale() {
        let mut worst = 0.0f64;
        let mut x = -708.0;
        while x <= 0.0 {
            let rel = (exp_nonpositive(x) - x.exp()).abs() / x.exp();
            worst = worst.max(rel);
            x += 0.0137;
        }
        assert!(worst < 4e-16, "worst relative error {worst}");
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert_eq!(exp_nonpositive(-800.0), 0.0);
    }

    #[test]
    fn kernel_row_matches_scalar_kernel() {
        let d = 13;
        let n = 150;
        let rows: Vec<f64> = (0..n * d).map(|i| ((i * 7919) % 101) as f64 / 17.0 - 3.0).collect();
        let xi: Vec<f64> = (0..d).map(|i| i as f64 * 0.3 - 1.0).collect();
        let sq: Vec<f64> = rows.chunks(d).map(|r| crate::kernel::dot(r, r)).collect();
        // γ = 5 drives some exponents below −708 (underflow to 0) and spans the whole range.
        for kernel in [Kernel::Rbf { gamma: 0.05 }, Kernel::Rbf { gamma: 5.0 }, Kernel::Linear, Kernel::Poly { gamma: 0.1, coef0: 1.0, degree: 2 }] {
            let mut out = vec![0.0f64; n];
            kernel_row(&kernel, &xi, crate::kernel::dot(&xi, &xi), &rows, &sq, &mut out);
            for j in 0..n {
                let want = kernel.eval(&xi, &rows[j * d..(j + 1) * d]);
                assert!((out[j] - want).abs() <= 1e-12 * want.abs().max(1e-300), "{kernel:?} row {j}: {} vs {want}", out[j]);
            }
        }
    }
}
