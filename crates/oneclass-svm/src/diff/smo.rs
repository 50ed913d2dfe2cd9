//! Dense SMO for the small problem, Schölkopf scale (0 ≤ α ≤ C, Σα = 1), with the second-order
//! working-set selection of Fan, Chen & Lin (2005) as described in `shared/docs/ocsvm.md`.
//! No shrinking and no cache: K is dense and n is small.

/// Replacement for a non-positive curvature K_ii + K_jj − 2K_ij.
const TAU: f64 = 1e-12;

pub(crate) struct Smo<'a> {
    k: &'a [f64],
    n: usize,
    c: f64,
    pub(crate) alpha: Vec<f64>,
    /// G = Kα, updated incrementally.
    pub(crate) grad: Vec<f64>,
    pub(crate) iterations: usize,
}

impl<'a> Smo<'a> {
    /// Starts from `alpha` (feasible), computing G = Kα.
    pub(crate) fn new(k: &'a [f64], n: usize, c: f64, alpha: Vec<f64>) -> Self {
        let mut smo = Smo { k, n, c, grad: vec![0.0; n], alpha, iterations: 0 };
        smo.refresh_gradient();
        smo
    }

    /// libsvm's start in data order: the first ⌊νn⌋ at C, the next one takes the remainder.
    pub(crate) fn greedy_start(n: usize, c: f64) -> Vec<f64> {
        let mut alpha = vec![0.0; n];
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

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn smo_run_generic(k: &[f64], n: usize, c: f64, alpha: &mut [f64], grad: &mut [f64], iterations: &mut usize, eps: f64, max_iter: usize) -> bool {
    let diag: Vec<f64> = (0..n).map(|t| k[t * n + t]).collect();
    // Working-set selection in two vectorised passes per side: candidate values, then their
    // extreme and its first position (the membership tests would be unpredictable branches).
    let mut up = vec![0.0; n];
    let mut down = vec![0.0; n];
    let mut gain = vec![0.0; n];
    loop {
        // i: the most violating variable that can grow.
        for ((u, &a), &g) in up.iter_mut().zip(alpha.iter()).zip(grad.iter()) {
            *u = if a < c { -g } else { f64::NEG_INFINITY };
        }
        let gmax = max_of(&up);
        if gmax == f64::NEG_INFINITY {
            return true;
        }
        let i = first_index_of(&up, gmax);
        // j: the partner that can shrink with the largest second-order decrease b²/quad.
        let kii = diag[i];
        let row_i = &k[i * n..(i + 1) * n];
        for ((dn, &a), &g) in down.iter_mut().zip(alpha.iter()).zip(grad.iter()) {
            *dn = if a > 0.0 { g } else { f64::NEG_INFINITY };
        }
        for (((gn, &dn), &kt), &kit) in gain.iter_mut().zip(down.iter()).zip(diag.iter()).zip(row_i) {
            // dn = −∞ (not shrinkable) gives b = −∞ and no gain.
            let b = gmax + dn;
            let quad = kii + kt - 2.0 * kit;
            let quad = if quad > 0.0 { quad } else { TAU };
            *gn = if b > 0.0 { b * b / quad } else { f64::NEG_INFINITY };
        }
        let gmax2 = max_of(&down);
        let best = max_of(&gain);
        if gmax + gmax2 < eps || best == f64::NEG_INFINITY {
            return true;
        }
        let j = first_index_of(&gain, best);
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
        for ((g, ki), kj) in grad.iter_mut().zip(row_i).zip(row_j) {
            *g += di * ki + dj * kj;
        }
    }
}

super::dense::dispatch! {
    fn smo_run => smo_run_generic / smo_run_avx2(k: &[f64], n: usize, c: f64, alpha: &mut [f64], grad: &mut [f64], iterations: &mut usize, eps: f64, max_iter: usize) -> bool
}
