//! The equality-constrained KKT system of a fixed active set and the active-set finish that
//! turns an approximate SMO iterate into the exact solution.
//!
//! With F (free), B (α = C) and Z (α = 0): M [α_F; −ρ] = [−K_FB α_B; 1 − |B|C],
//! M = [K_FF 1; 1ᵀ 0] is symmetric indefinite (see [`KktFactor`] for how it is solved).

use super::scratch::Scratch;
use crate::kernel::dot;

/// LU factors (partial pivoting) of the bordered matrix M of a free set. (A Cholesky factor of
/// K_FF with the Schur complement 1ᵀK_FF⁻¹1 would halve the work, but loses digits when K_FF
/// is ill-conditioned along 1 — near-duplicate free points with a small jitter — where LU of M
/// does not.)
#[derive(Clone, Debug)]
pub(crate) struct KktFactor {
    /// Order of M: |F| + 1.
    m: usize,
    /// Row stride of `lu` (see [`lu_stride`]).
    stride: usize,
    /// Row-major L (unit, below the diagonal) and U (on and above), rows `stride` apart.
    lu: Vec<f64>,
    /// Row permutation: row r of the factored matrix is row piv[r] of M.
    piv: Vec<usize>,
}

impl KktFactor {
    /// Factors M for the free indices `free` of the n × n kernel matrix `k`.
    /// Returns None when M is numerically singular.
    pub(crate) fn new(k: &[f64], n: usize, free: &[usize]) -> Option<KktFactor> {
        let f = free.len();
        let m = f + 1;
        let stride = lu_stride(m);
        let mut a = vec![0.0; m * stride];
        for (r, &i) in free.iter().enumerate() {
            let row = &k[i * n..(i + 1) * n];
            for (c, &j) in free.iter().enumerate() {
                a[r * stride + c] = row[j];
            }
            a[r * stride + f] = 1.0;
            a[f * stride + r] = 1.0;
        }
        let mut piv: Vec<usize> = (0..m).collect();
        if !lu_in_place(&mut a, m, stride, &mut piv) {
            return None;
        }
        Some(KktFactor { m, stride, lu: a, piv })
    }

    /// Solves M x = b (length |F| + 1), returning x.
    pub(crate) fn solve(&self, b: &[f64]) -> Scratch {
        let (m, s) = (self.m, self.stride);
        let lu = &self.lu;
        let mut x = Scratch::with_capacity(m);
        x.extend(self.piv.iter().map(|&p| b[p]));
        // Row-oriented substitutions; `dot` splits each row sum over four accumulators.
        for r in 1..m {
            x[r] -= dot(&lu[r * s..r * s + r], &x[..r]);
        }
        for r in (0..m).rev() {
            let v = x[r] - dot(&lu[r * s + r + 1..r * s + m], &x[r + 1..]);
            x[r] = v / lu[r * s + r];
        }
        x
    }
}

/// Row stride of the factored matrix: m plus zero padding, so the trailing update of a row can
/// run in whole groups of four from any column without a scalar remainder (padding stays zero:
/// zero minus a multiple of zero).
fn lu_stride(m: usize) -> usize {
    (m + 3).div_ceil(4) * 4
}

/// LU with partial pivoting of the m × m matrix `a` (row-major, rows `stride` apart, zero
/// padded), in place; false when a pivot is negligible (below 4·ε·m·max|a|): M is then
/// treated as singular.
#[inline(always)]
fn lu_in_place_generic(a: &mut [f64], m: usize, stride: usize, piv: &mut [usize]) -> bool {
    assert!(stride >= m + 3 && a.len() >= m * stride);
    // Eight-lane maximum: a sequential `f64::max` fold is one long dependency chain.
    let max_abs = super::dense::max_abs(a);
    let threshold = 4.0 * f64::EPSILON * m as f64 * max_abs;
    for col in 0..m {
        // Largest |a[r][col]|, r ≥ col (NaN never wins), in four independent lanes; then the
        // first row holding it.
        let mut lanes = [-1.0f64; 4];
        for (t, r) in (col..m).enumerate() {
            let v = a[r * stride + col].abs();
            let l = t % 4;
            lanes[l] = if v > lanes[l] { v } else { lanes[l] };
        }
        let pv = lanes[0].max(lanes[1]).max(lanes[2].max(lanes[3]));
        // Also catches NaN pivots.
        if pv.partial_cmp(&threshold) != Some(std::cmp::Ordering::Greater) {
            return false;
        }
        let p = (col..m).find(|&r| a[r * stride + col].abs() == pv).unwrap_or(col);
        if p != col {
            for c in 0..stride {
                a.swap(col * stride + c, p * stride + c);
            }
            piv.swap(col, p);
        }
        let groups = (m - col - 1).div_ceil(4);
        let (top, bottom) = a.split_at_mut((col + 1) * stride);
        let pivot_row = &top[col * stride..(col + 1) * stride];
        let inv_pivot = 1.0 / pivot_row[col];
        let src = &pivot_row[col + 1..col + 1 + 4 * groups];
        for row in bottom[..(m - col - 1) * stride].chunks_exact_mut(stride) {
            let factor = row[col] * inv_pivot;
            row[col] = factor;
            if factor != 0.0 {
                let dst = &mut row[col + 1..col + 1 + 4 * groups];
                for (x4, u4) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
                    // Load all four before storing, so no aliasing question blocks vectorising.
                    let (mut x, u) = ([x4[0], x4[1], x4[2], x4[3]], [u4[0], u4[1], u4[2], u4[3]]);
                    for l in 0..4 {
                        x[l] -= factor * u[l];
                    }
                    x4.copy_from_slice(&x);
                }
            }
        }
    }
    true
}

super::dense::dispatch! {
    fn lu_in_place => lu_in_place_generic / lu_in_place_avx2(a: &mut [f64], m: usize, stride: usize, piv: &mut [usize]) -> bool
}

/// Index sets of a solution, each sorted.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ActiveSet {
    pub(crate) free: Vec<usize>,
    pub(crate) bound: Vec<usize>,
    pub(crate) zero: Vec<usize>,
}

impl ActiveSet {
    /// Reads the sets off α: within `snap`·C of a bound counts as at the bound.
    pub(crate) fn classify(alpha: &[f64], c: f64, snap: f64) -> ActiveSet {
        let mut s = ActiveSet::default();
        for (i, &a) in alpha.iter().enumerate() {
            if a <= snap * c {
                s.zero.push(i);
            } else if a >= (1.0 - snap) * c {
                s.bound.push(i);
            } else {
                s.free.push(i);
            }
        }
        s
    }
}

/// The exact solution for a verified active set.
pub(crate) struct Finished {
    pub(crate) alpha: Vec<f64>,
    pub(crate) rho: f64,
    /// G = Kα.
    pub(crate) grad: Vec<f64>,
    pub(crate) sets: ActiveSet,
    /// Factors of M; None when F is empty.
    pub(crate) factor: Option<KktFactor>,
    pub(crate) steps: usize,
}

pub(crate) enum FinishFailure {
    /// M is singular for the free set read off the iterate.
    Singular,
    /// The active-set steps did not settle: SMO must get closer first.
    NotSettled,
}

fn kernel_times_alpha(k: &[f64], n: usize, alpha: &[f64]) -> Vec<f64> {
    let mut g = vec![0.0; n];
    for (j, &a) in alpha.iter().enumerate() {
        if a != 0.0 {
            for (gv, kv) in g.iter_mut().zip(&k[j * n..(j + 1) * n]) {
                *gv += a * kv;
            }
        }
    }
    g
}

/// Exact finish from an approximate iterate: solve the KKT equalities for the active set read
/// off `start`, check the inequalities to `tol` (α relative to C, Kα relative to `scale`), and
/// move offending indices (primal-dual active-set steps), at most `max_steps` times.
pub(crate) fn finish(k: &[f64], n: usize, c: f64, start: &[f64], tol: f64, scale: f64, max_steps: usize) -> Result<Finished, FinishFailure> {
    let mut sets = ActiveSet::classify(start, c, tol);
    let g_tol = tol * scale;
    for steps in 0..=max_steps {
        let mut alpha = vec![0.0; n];
        for &i in &sets.bound {
            alpha[i] = c;
        }
        let (rho, factor) = if sets.free.is_empty() {
            // No free variable: α is fixed by the sets and feasible only if |B|·C = 1.
            if (1.0 - sets.bound.len() as f64 * c).abs() > tol {
                return Err(FinishFailure::NotSettled);
            }
            let grad = kernel_times_alpha(k, n, &alpha);
            let lower = sets.bound.iter().map(|&i| grad[i]).fold(f64::NEG_INFINITY, f64::max);
            let upper = sets.zero.iter().map(|&i| grad[i]).fold(f64::INFINITY, f64::min);
            let rho = if upper.is_finite() { 0.5 * (lower + upper) } else { lower };
            (rho, None)
        } else {
            let factor = KktFactor::new(k, n, &sets.free).ok_or(FinishFailure::Singular)?;
            let f = sets.free.len();
            let mut rhs = Scratch::dirty(f + 1);
            for (r, &i) in sets.free.iter().enumerate() {
                rhs[r] = -c * sets.bound.iter().map(|&j| k[i * n + j]).sum::<f64>();
            }
            rhs[f] = 1.0 - sets.bound.len() as f64 * c;
            let x = factor.solve(&rhs);
            for (r, &i) in sets.free.iter().enumerate() {
                alpha[i] = x[r];
            }
            (-x[f], Some(factor))
        };
        let grad = kernel_times_alpha(k, n, &alpha);

        let mut next = ActiveSet::default();
        let mut moved = false;
        for &i in &sets.free {
            if alpha[i] < -tol * c {
                next.zero.push(i);
                moved = true;
            } else if alpha[i] > (1.0 + tol) * c {
                next.bound.push(i);
                moved = true;
            } else {
                next.free.push(i);
            }
        }
        for &i in &sets.zero {
            if grad[i] < rho - g_tol {
                next.free.push(i);
                moved = true;
            } else {
                next.zero.push(i);
            }
        }
        for &i in &sets.bound {
            if grad[i] > rho + g_tol {
                next.free.push(i);
                moved = true;
            } else {
                next.bound.push(i);
            }
        }
        if !moved {
            // Verified to tol: remove the rounding-level excursions outside the box.
            for &i in &sets.free {
                alpha[i] = alpha[i].clamp(0.0, c);
            }
            return Ok(Finished { alpha, rho, grad, sets, factor, steps });
        }
        if steps == max_steps {
            break;
        }
        next.free.sort_unstable();
        next.bound.sort_unstable();
        next.zero.sort_unstable();
        sets = next;
    }
    Err(FinishFailure::NotSettled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bordered_solve_matches_hand_computation() {
        // K_FF = [[2, 1], [1, 3]]: M = [[2,1,1],[1,3,1],[1,1,0]], b = (1, 2, 3).
        let k = [2.0, 1.0, 1.0, 3.0];
        let f = KktFactor::new(&k, 2, &[0, 1]).unwrap();
        let x = f.solve(&[1.0, 2.0, 3.0]);
        // Check M x = b directly.
        let m = [[2.0, 1.0, 1.0], [1.0, 3.0, 1.0], [1.0, 1.0, 0.0]];
        for (r, row) in m.iter().enumerate() {
            let v: f64 = row.iter().zip(x.iter()).map(|(a, b)| a * b).sum();
            assert!((v - [1.0, 2.0, 3.0][r]).abs() < 1e-14);
        }
        // An indefinite K_FF still gives a regular M.
        let k = [1.0, 2.0, 2.0, 1.0];
        let f = KktFactor::new(&k, 2, &[0, 1]).unwrap();
        let x = f.solve(&[1.0, 2.0, 3.0]);
        let m = [[1.0, 2.0, 1.0], [2.0, 1.0, 1.0], [1.0, 1.0, 0.0]];
        for (r, row) in m.iter().enumerate() {
            let v: f64 = row.iter().zip(x.iter()).map(|(a, b)| a * b).sum();
            assert!((v - [1.0, 2.0, 3.0][r]).abs() < 1e-14);
        }
        // A rank-one K_FF with two free points gives a singular M.
        assert!(KktFactor::new(&[1.0, 1.0, 1.0, 1.0], 2, &[0, 1]).is_none());
    }
}
