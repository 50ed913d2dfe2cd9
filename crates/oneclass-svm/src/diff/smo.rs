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
        let n = self.n;
        let c = self.c;
        let k = self.k;
        loop {
            // i: the most violating variable that can grow.
            let mut gmax = f64::NEG_INFINITY;
            let mut i = usize::MAX;
            for t in 0..n {
                if self.alpha[t] < c && -self.grad[t] >= gmax {
                    gmax = -self.grad[t];
                    i = t;
                }
            }
            if i == usize::MAX {
                return true;
            }
            // j: the partner that can shrink with the largest second-order decrease.
            let kii = k[i * n + i];
            let row_i = &k[i * n..(i + 1) * n];
            let mut gmax2 = f64::NEG_INFINITY;
            let mut best = f64::INFINITY;
            let mut j = usize::MAX;
            for t in 0..n {
                if self.alpha[t] > 0.0 {
                    let g = self.grad[t];
                    gmax2 = gmax2.max(g);
                    let b = gmax + g;
                    if b > 0.0 {
                        let quad = kii + k[t * n + t] - 2.0 * row_i[t];
                        let quad = if quad > 0.0 { quad } else { TAU };
                        let obj = -(b * b) / quad;
                        if obj <= best {
                            best = obj;
                            j = t;
                        }
                    }
                }
            }
            if gmax + gmax2 < eps || j == usize::MAX {
                return true;
            }
            if self.iterations >= max_iter {
                return false;
            }
            self.iterations += 1;

            let quad = kii + k[j * n + j] - 2.0 * row_i[j];
            let quad = if quad > 0.0 { quad } else { TAU };
            let step = (self.grad[j] - self.grad[i]) / quad;
            let (old_i, old_j) = (self.alpha[i], self.alpha[j]);
            let room_i = c - old_i;
            // Clip to the box keeping α_i + α_j fixed; land exactly on the bound that binds.
            if step >= room_i && room_i <= old_j {
                self.alpha[i] = c;
                self.alpha[j] = (old_j - room_i).max(0.0);
            } else if step >= old_j {
                self.alpha[j] = 0.0;
                self.alpha[i] = (old_i + old_j).min(c);
            } else {
                self.alpha[i] = old_i + step;
                self.alpha[j] = old_j - step;
            }
            let di = self.alpha[i] - old_i;
            let dj = self.alpha[j] - old_j;
            let row_j = &k[j * n..(j + 1) * n];
            for ((g, ki), kj) in self.grad.iter_mut().zip(row_i).zip(row_j) {
                *g += di * ki + dj * kj;
            }
        }
    }
}
