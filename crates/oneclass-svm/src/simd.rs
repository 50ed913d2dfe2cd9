//! Hot loops of the solver: a kernel row against a block of rows, and a fast exp.
//!
//! The generic bodies are written so LLVM vectorises them; on x86-64 they are compiled a second
//! time with AVX2 + FMA and chosen at run time, so one binary runs everywhere.

use crate::kernel::Kernel;

/// exp(x) for x ≤ 0, relative error below 2e-16 on [−708, 0]; 0 below −708.
/// Branch-free (round-to-nearest by the 1.5·2⁵² trick, Taylor degree 12 on |r| ≤ ln2/2) so it vectorises.
#[inline(always)]
pub fn exp_nonpositive(x: f64) -> f64 {
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
    const SHIFTER: f64 = 6_755_399_441_055_744.0; // 1.5·2⁵²
    let xc = x.max(-708.0);
    let t = xc * LOG2E + SHIFTER;
    let k = t - SHIFTER;
    let r = (xc - k * LN2_HI) - k * LN2_LO;
    // e^r = Σ rⁱ/i!, Horner from the highest term.
    let mut p = 1.0 / 479_001_600.0; // 1/12!
    p = p * r + 1.0 / 39_916_800.0;
    p = p * r + 1.0 / 3_628_800.0;
    p = p * r + 1.0 / 362_880.0;
    p = p * r + 1.0 / 40_320.0;
    p = p * r + 1.0 / 5_040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    let ki = (t.to_bits() as i64).wrapping_sub(SHIFTER.to_bits() as i64);
    let scale = f64::from_bits(((ki + 1023) as u64) << 52);
    let y = p * scale;
    if x < -708.0 { 0.0 } else { y }
}

/// Dot products of `xi` with 4 rows at once: 8 independent FMA chains keep the units busy
/// (one row at a time is bound by FMA latency).
#[inline(always)]
fn dot4(xi: &[f64], r: [&[f64]; 4]) -> [f64; 4] {
    let d = xi.len();
    let mut acc = [[0.0f64; 4]; 8];
    let mut k = 0;
    while k + 8 <= d {
        for (row, rr) in r.iter().enumerate() {
            for l in 0..4 {
                acc[2 * row][l] += xi[k + l] * rr[k + l];
                acc[2 * row + 1][l] += xi[k + 4 + l] * rr[k + 4 + l];
            }
        }
        k += 8;
    }
    let mut out = [0.0; 4];
    for row in 0..4 {
        let a = &acc[2 * row];
        let b = &acc[2 * row + 1];
        let mut s = ((a[0] + b[0]) + (a[1] + b[1])) + ((a[2] + b[2]) + (a[3] + b[3]));
        for kk in k..d {
            s += xi[kk] * r[row][kk];
        }
        out[row] = s;
    }
    out
}

/// out[j] = k(x_i, rows[j]) for the `out.len()` rows stored row-major in `rows` (d columns),
/// with `row_sqnorms[j]` = ‖rows[j]‖² and `xi_sqnorm` = ‖x_i‖².
#[inline(always)]
fn kernel_row_generic<T: KernelValue>(kernel: &Kernel, xi: &[f64], xi_sqnorm: f64, rows: &[f64], row_sqnorms: &[f64], out: &mut [T]) {
    let d = xi.len();
    const BLOCK: usize = 64;
    let mut buf = [0.0f64; BLOCK];
    for (b, out_block) in out.chunks_mut(BLOCK).enumerate() {
        let start = b * BLOCK;
        let m = out_block.len();
        let row = |j: usize| &rows[(start + j) * d..(start + j + 1) * d];
        let mut j = 0;
        while j + 4 <= m {
            let v = dot4(xi, [row(j), row(j + 1), row(j + 2), row(j + 3)]);
            buf[j..j + 4].copy_from_slice(&v);
            j += 4;
        }
        for (jj, v) in buf[..m].iter_mut().enumerate().skip(j) {
            *v = crate::kernel::dot(xi, row(jj));
        }
        match *kernel {
            Kernel::Rbf { gamma } => {
                let sqs = &row_sqnorms[start..start + m];
                for (v, &s) in buf[..m].iter_mut().zip(sqs) {
                    let d2 = (xi_sqnorm + s - 2.0 * *v).max(0.0);
                    *v = exp_nonpositive(-gamma * d2);
                }
            }
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
    kernel_row_generic(kernel, xi, xi_sqnorm, rows, row_sqnorms, out)
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
    kernel_row_generic(kernel, xi, xi_sqnorm, rows, row_sqnorms, out)
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
        for kernel in [Kernel::Rbf { gamma: 0.05 }, Kernel::Linear, Kernel::Poly { gamma: 0.1, coef0: 1.0, degree: 2 }] {
            let mut out = vec![0.0f64; n];
            kernel_row(&kernel, &xi, crate::kernel::dot(&xi, &xi), &rows, &sq, &mut out);
            for j in 0..n {
                let want = kernel.eval(&xi, &rows[j * d..(j + 1) * d]);
                assert!((out[j] - want).abs() <= 1e-12 * want.abs().max(1.0), "{kernel:?} row {j}: {} vs {want}", out[j]);
            }
        }
    }
}
