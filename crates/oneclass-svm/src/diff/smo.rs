//! Dense SMO for the small problem, Schölkopf scale (0 ≤ α ≤ C, Σα = 1), with the second-order
//! working-set selection of Fan, Chen & Lin (2005) as described in `shared/docs/ocsvm.md`.
//! No shrinking and no cache: K is dense and n is small.

use super::scratch::Scratch;

/// Replacement for a non-positive curvature K_ii + K_jj − 2K_ij.
const TAU: f64 = 1e-12;

pub(crate) struct Smo<'a> {
    k: &'a [f64],
    n: usize,
    c: f64,
    pub(crate) alpha: Scratch,
    /// G = Kα, updated incrementally.
    pub(crate) grad: Scratch,
    pub(crate) iterations: usize,
}

impl<'a> Smo<'a> {
    /// Starts from `alpha` (feasible), computing G = Kα.
    pub(crate) fn new(k: &'a [f64], n: usize, c: f64, alpha: Scratch) -> Self {
        let mut smo = Smo { k, n, c, grad: Scratch::zeroed(n), alpha, iterations: 0 };
        smo.refresh_gradient();
        smo
    }

    /// libsvm's start in data order: the first ⌊νn⌋ at C, the next one takes the remainder.
    pub(crate) fn greedy_start(n: usize, c: f64) -> Scratch {
        let mut alpha = Scratch::zeroed(n);
        let mut remaining = 1.0f64;
        for a in alpha.iter_mut() {
            // A remainder this small is rounding of m·C = 1, not a variable to optimise.
            if remaining <= 1e-12 * c {
                break;
            }
            *a = c.min(remaining);
            remaining -= *a;
        }
        alpha
    }

    /// Recomputes G = Kα from the nonzero α (removes drift of the incremental updates).
    pub(crate) fn refresh_gradient(&mut self) {
        let n = self.n;
        self.grad.iter_mut().for_each(|g| *g = 0.0);
        for j in 0..n {
            let a = self.alpha[j];
            if a != 0.0 {
                let row = &self.k[j * n..(j + 1) * n];
                for (g, kv) in self.grad.iter_mut().zip(row) {
                    *g += a * kv;
                }
            }
        }
    }

    /// Iterates until the maximal violating pair gap max_{α<C} −G + max_{α>0} G is below `eps`
    /// (or no pair can improve the objective). Returns false if `max_iter` was reached first.
    pub(crate) fn run(&mut self, eps: f64, max_iter: usize) -> bool {
        smo_run(self.k, self.n, self.c, &mut self.alpha, &mut self.grad, &mut self.iterations, eps, max_iter)
    }
}

/// max over `v` (finite or −∞ entries), four lanes so it vectorises.
#[inline(always)]
fn max_of(v: &[f64]) -> f64 {
    let mut acc = [f64::NEG_INFINITY; 4];
    let mut chunks = v.chunks_exact(4);
    for ch in &mut chunks {
        for l in 0..4 {
            acc[l] = if ch[l] > acc[l] { ch[l] } else { acc[l] };
        }
    }
    let mut m = acc[0].max(acc[1]).max(acc[2].max(acc[3]));
    for &x in chunks.remainder() {
        m = m.max(x);
    }
    m
}

/// First index holding `m` (0 if none), testing four entries per branch.
#[inline(always)]
fn first_index_of(v: &[f64], m: f64) -> usize {
    let mut chunks = v.chunks_exact(4);
    for (ci, ch) in (&mut chunks).enumerate() {
        if (ch[0] == m) | (ch[1] == m) | (ch[2] == m) | (ch[3] == m) {
            return 4 * ci + ch.iter().position(|&x| x == m).unwrap_or(0);
        }
    }
    let base = v.len() - chunks.remainder().len();
    base + chunks.remainder().iter().position(|&x| x == m).unwrap_or(0)
}

/// The per-iteration passes over all n entries, portable or with AVX2 intrinsics. Both
/// evaluate the same expressions in the same order (no fused multiply-adds), so the iterates
/// agree bit for bit.
trait Passes {
    /// If `step` = (K_i, K_j, di, dj): G += di·K_i + dj·K_j. Then up = −G where α < C (else
    /// −∞), down = G where α > 0 (else −∞); returns (max up, its first index, max down).
    fn candidates(step: Option<(&[f64], &[f64], f64, f64)>, alpha: &[f64], grad: &mut [f64], c: f64, up: &mut [f64], down: &mut [f64]) -> (f64, usize, f64);
    /// gain_t = b²/quad with b = gmax + down_t, quad = K_ii + K_tt − 2K_it (TAU if not
    /// positive), −∞ unless b > 0; returns (max gain, its first index).
    fn gains(gmax: f64, down: &[f64], diag: &[f64], row_i: &[f64], kii: f64, gain: &mut [f64]) -> (f64, usize);
}

#[inline(always)]
fn candidate_pair(a: f64, g: f64, c: f64) -> (f64, f64) {
    (if a < c { -g } else { f64::NEG_INFINITY }, if a > 0.0 { g } else { f64::NEG_INFINITY })
}

#[inline(always)]
fn gain_of(gmax: f64, dn: f64, kii: f64, kt: f64, kit: f64) -> f64 {
    // dn = −∞ (not shrinkable) gives b = −∞ and no gain.
    let b = gmax + dn;
    let quad = kii + kt - 2.0 * kit;
    let quad = if quad > 0.0 { quad } else { TAU };
    if b > 0.0 {
        b * b / quad
    } else {
        f64::NEG_INFINITY
    }
}

struct Portable;

impl Passes for Portable {
    #[inline(always)]
    fn candidates(step: Option<(&[f64], &[f64], f64, f64)>, alpha: &[f64], grad: &mut [f64], c: f64, up: &mut [f64], down: &mut [f64]) -> (f64, usize, f64) {
        if let Some((row_i, row_j, di, dj)) = step {
            for ((g, ki), kj) in grad.iter_mut().zip(row_i).zip(row_j) {
                *g += di * ki + dj * kj;
            }
        }
        for (((u, dn), &a), &g) in up.iter_mut().zip(down.iter_mut()).zip(alpha.iter()).zip(grad.iter()) {
            (*u, *dn) = candidate_pair(a, g, c);
        }
        let gmax = max_of(up);
        (gmax, first_index_of(up, gmax), max_of(down))
    }

    #[inline(always)]
    fn gains(gmax: f64, down: &[f64], diag: &[f64], row_i: &[f64], kii: f64, gain: &mut [f64]) -> (f64, usize) {
        for (((gn, &dn), &kt), &kit) in gain.iter_mut().zip(down).zip(diag).zip(row_i) {
            *gn = gain_of(gmax, dn, kii, kt, kit);
        }
        let best = max_of(gain);
        (best, first_index_of(gain, best))
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    //! [`Passes`] with AVX2 intrinsics: one pass for the gradient update, the candidates and
    //! their maxima, one for the gains and their maximum (the compiler does not vectorise
    //! the fused loops by itself). Only inlined into functions compiled with AVX2 + FMA.
    use std::arch::x86_64::*;

    use super::{candidate_pair, first_index_of, gain_of, Passes, TAU};

    pub(super) struct Avx2;

    #[inline(always)]
    fn hmax(v: __m256d) -> f64 {
        let mut lanes = [0.0f64; 4];
        // SAFETY: AVX is available (callers are compiled with it after run-time detection).
        unsafe { _mm256_storeu_pd(lanes.as_mut_ptr(), v) };
        lanes[0].max(lanes[1]).max(lanes[2].max(lanes[3]))
    }

    impl Passes for Avx2 {
        #[inline(always)]
        fn candidates(step: Option<(&[f64], &[f64], f64, f64)>, alpha: &[f64], grad: &mut [f64], c: f64, up: &mut [f64], down: &mut [f64]) -> (f64, usize, f64) {
            let n = grad.len();
            assert!(alpha.len() >= n && up.len() >= n && down.len() >= n);
            if let Some((row_i, row_j, _, _)) = step {
                assert!(row_i.len() >= n && row_j.len() >= n);
            }
            let full = n / 4 * 4;
            let (mut max_up, mut max_down);
            // SAFETY: AVX2 is available (see the module note); every access is below
            // `full` ≤ n, within all slices by the asserts above.
            unsafe {
                let minus_inf = _mm256_set1_pd(f64::NEG_INFINITY);
                let (cv, zero, sign) = (_mm256_set1_pd(c), _mm256_setzero_pd(), _mm256_set1_pd(-0.0));
                let (mut mu, mut md) = (minus_inf, minus_inf);
                let mut t = 0;
                while t < full {
                    let mut g = _mm256_loadu_pd(grad.as_ptr().add(t));
                    if let Some((row_i, row_j, di, dj)) = step {
                        let ki = _mm256_mul_pd(_mm256_set1_pd(di), _mm256_loadu_pd(row_i.as_ptr().add(t)));
                        let kj = _mm256_mul_pd(_mm256_set1_pd(dj), _mm256_loadu_pd(row_j.as_ptr().add(t)));
                        g = _mm256_add_pd(g, _mm256_add_pd(ki, kj));
                        _mm256_storeu_pd(grad.as_mut_ptr().add(t), g);
                    }
                    let a = _mm256_loadu_pd(alpha.as_ptr().add(t));
                    let u = _mm256_blendv_pd(minus_inf, _mm256_xor_pd(g, sign), _mm256_cmp_pd::<_CMP_LT_OQ>(a, cv));
                    let d = _mm256_blendv_pd(minus_inf, g, _mm256_cmp_pd::<_CMP_GT_OQ>(a, zero));
                    _mm256_storeu_pd(up.as_mut_ptr().add(t), u);
                    _mm256_storeu_pd(down.as_mut_ptr().add(t), d);
                    mu = _mm256_max_pd(u, mu);
                    md = _mm256_max_pd(d, md);
                    t += 4;
                }
                max_up = hmax(mu);
                max_down = hmax(md);
            }
            for t in full..n {
                if let Some((row_i, row_j, di, dj)) = step {
                    grad[t] += di * row_i[t] + dj * row_j[t];
                }
                let (u, d) = candidate_pair(alpha[t], grad[t], c);
                up[t] = u;
                down[t] = d;
                max_up = max_up.max(u);
                max_down = max_down.max(d);
            }
            (max_up, first_index_of(up, max_up), max_down)
        }

        #[inline(always)]
        fn gains(gmax: f64, down: &[f64], diag: &[f64], row_i: &[f64], kii: f64, gain: &mut [f64]) -> (f64, usize) {
            let n = gain.len();
            assert!(down.len() >= n && diag.len() >= n && row_i.len() >= n);
            let full = n / 4 * 4;
            let mut best;
            // SAFETY: as in `candidates`.
            unsafe {
                let minus_inf = _mm256_set1_pd(f64::NEG_INFINITY);
                let (gm, ki, two, tau, zero) = (_mm256_set1_pd(gmax), _mm256_set1_pd(kii), _mm256_set1_pd(2.0), _mm256_set1_pd(TAU), _mm256_setzero_pd());
                let mut mx = minus_inf;
                let mut t = 0;
                while t < full {
                    let b = _mm256_add_pd(gm, _mm256_loadu_pd(down.as_ptr().add(t)));
                    let quad = _mm256_sub_pd(_mm256_add_pd(ki, _mm256_loadu_pd(diag.as_ptr().add(t))), _mm256_mul_pd(two, _mm256_loadu_pd(row_i.as_ptr().add(t))));
                    let quad = _mm256_blendv_pd(tau, quad, _mm256_cmp_pd::<_CMP_GT_OQ>(quad, zero));
                    let g = _mm256_div_pd(_mm256_mul_pd(b, b), quad);
                    let g = _mm256_blendv_pd(minus_inf, g, _mm256_cmp_pd::<_CMP_GT_OQ>(b, zero));
                    _mm256_storeu_pd(gain.as_mut_ptr().add(t), g);
                    mx = _mm256_max_pd(g, mx);
                    t += 4;
                }
                best = hmax(mx);
            }
            for t in full..n {
                let g = gain_of(gmax, down[t], kii, diag[t], row_i[t]);
                gain[t] = g;
                best = best.max(g);
            }
            (best, first_index_of(gain, best))
        }
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn smo_run_with<P: Passes>(k: &[f64], n: usize, c: f64, alpha: &mut [f64], grad: &mut [f64], iterations: &mut usize, eps: f64, max_iter: usize) -> bool {
    let mut diag = Scratch::with_capacity(n);
    diag.extend((0..n).map(|t| k[t * n + t]));
    // Working-set selection: the candidate values and their extremes in one vectorised pass
    // (fused with the previous step's gradient update), then the first position of the
    // extreme (membership tests would be unpredictable branches).
    let mut up = Scratch::dirty(n);
    let mut down = Scratch::dirty(n);
    let mut gain = Scratch::dirty(n);
    let (alpha, grad) = (&mut alpha[..n], &mut grad[..n]);
    let (mut gmax, mut i, mut gmax2) = P::candidates(None, alpha, grad, c, &mut up, &mut down);
    loop {
        // i: the most violating variable that can grow.
        if gmax == f64::NEG_INFINITY {
            return true;
        }
        // j: the partner that can shrink with the largest second-order decrease b²/quad.
        let kii = diag[i];
        let row_i = &k[i * n..(i + 1) * n];
        let (best, j) = P::gains(gmax, &down, &diag, row_i, kii, &mut gain);
        if gmax + gmax2 < eps || best == f64::NEG_INFINITY {
            return true;
        }
        if *iterations >= max_iter {
            return false;
        }
        *iterations += 1;

        let quad = kii + k[j * n + j] - 2.0 * row_i[j];
        let quad = if quad > 0.0 { quad } else { TAU };
        let step = (grad[j] - grad[i]) / quad;
        let (old_i, old_j) = (alpha[i], alpha[j]);
        let room_i = c - old_i;
        // Clip to the box keeping α_i + α_j fixed; land exactly on the bound that binds.
        if step >= room_i && room_i <= old_j {
            alpha[i] = c;
            alpha[j] = (old_j - room_i).max(0.0);
        } else if step >= old_j {
            alpha[j] = 0.0;
            alpha[i] = (old_i + old_j).min(c);
        } else {
            alpha[i] = old_i + step;
            alpha[j] = old_j - step;
        }
        let di = alpha[i] - old_i;
        let dj = alpha[j] - old_j;
        let row_j = &k[j * n..(j + 1) * n];
        (gmax, i, gmax2) = P::candidates(Some((row_i, row_j, di, dj)), alpha, grad, c, &mut up, &mut down);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn smo_run_avx2(k: &[f64], n: usize, c: f64, alpha: &mut [f64], grad: &mut [f64], iterations: &mut usize, eps: f64, max_iter: usize) -> bool {
    smo_run_with::<avx2::Avx2>(k, n, c, alpha, grad, iterations, eps, max_iter)
}

/// SMO iterations until the gap is below `eps`; false if `max_iter` came first.
#[allow(clippy::too_many_arguments)]
fn smo_run(k: &[f64], n: usize, c: f64, alpha: &mut [f64], grad: &mut [f64], iterations: &mut usize, eps: f64, max_iter: usize) -> bool {
    #[cfg(target_arch = "x86_64")]
    if super::dense::has_avx2() {
        // SAFETY: the CPU supports AVX2 and FMA (checked at run time).
        return unsafe { smo_run_avx2(k, n, c, alpha, grad, iterations, eps, max_iter) };
    }
    smo_run_with::<Portable>(k, n, c, alpha, grad, iterations, eps, max_iter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avx2_passes_match_portable_bit_for_bit() {
        #[cfg(target_arch = "x86_64")]
        if super::super::dense::has_avx2() {
            let n = 23;
            let c = 0.1;
            let alpha: Vec<f64> = (0..n).map(|t| [0.0, c, 0.05, 0.0, 0.02][t % 5]).collect();
            let grad0: Vec<f64> = (0..n).map(|t| (t as f64 * 0.37).sin()).collect();
            let row_i: Vec<f64> = (0..n).map(|t| (t as f64 * 0.11).cos()).collect();
            let row_j: Vec<f64> = (0..n).map(|t| (t as f64 * 0.23).cos()).collect();
            let diag = vec![1.0; n];
            let run = |avx: bool| {
                let (mut grad, mut up, mut down, mut gain) = (grad0.clone(), vec![0.0; n], vec![0.0; n], vec![0.0; n]);
                let step = Some((&row_i[..], &row_j[..], 0.013, -0.013));
                // SAFETY: AVX2 + FMA detected above.
                let (m, best) = unsafe { passes_avx2(avx, step, &alpha, &mut grad, c, &mut up, &mut down, &diag, &row_i, &mut gain) };
                (grad, up, down, gain, m, best)
            };
            assert_eq!(run(true), run(false));
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    unsafe fn passes_avx2(
        avx: bool,
        step: Option<(&[f64], &[f64], f64, f64)>,
        alpha: &[f64],
        grad: &mut [f64],
        c: f64,
        up: &mut [f64],
        down: &mut [f64],
        diag: &[f64],
        row_i: &[f64],
        gain: &mut [f64],
    ) -> ((f64, usize, f64), (f64, usize)) {
        if avx {
            let m = avx2::Avx2::candidates(step, alpha, grad, c, up, down);
            (m, avx2::Avx2::gains(m.0, down, diag, row_i, 1.0, gain))
        } else {
            let m = Portable::candidates(step, alpha, grad, c, up, down);
            (m, Portable::gains(m.0, down, diag, row_i, 1.0, gain))
        }
    }
}
