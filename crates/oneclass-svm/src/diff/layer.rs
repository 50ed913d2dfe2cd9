//! The one-call layer of OCSVM-guided training: solve on z_svm, evaluate f(z_L), backpropagate.

use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::scratch::Scratch;
use super::solution::{query_backward, Query, SmallOcsvm, SmallSolution};
use super::{check_gradient, DiffResult};

/// Which paths carry gradient (seed 001, eq. 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GradientPath {
    /// β₁ term: through z_svm, both directly (kernel) and via α*, ρ*; z_L is stopped.
    Expander,
    /// Through z_svm via the kernel only, α* and ρ* stopped (appendix S-B variant).
    ExpanderKernelOnly,
    /// β₂ term: through z_L only; α*, ρ* and z_svm stopped.
    Compactor,
    /// Everything: expander + compactor.
    Both,
}

impl GradientPath {
    fn kernel_support_half(self) -> bool {
        self != GradientPath::Compactor
    }
    fn query_half(self) -> bool {
        matches!(self, GradientPath::Compactor | GradientPath::Both)
    }
    fn through_solution(self) -> bool {
        matches!(self, GradientPath::Expander | GradientPath::Both)
    }
}

impl std::str::FromStr for GradientPath {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "expander" => Ok(GradientPath::Expander),
            "expander-kernel-only" => Ok(GradientPath::ExpanderKernelOnly),
            "compactor" => Ok(GradientPath::Compactor),
            "both" => Ok(GradientPath::Both),
            other => Err(format!("gradient path must be expander, expander-kernel-only, compactor or both, got {other:?}")),
        }
    }
}

/// Scale of the decision values the layer returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionScale {
    /// f = Σ αⱼ k(zⱼ, z) − ρ with Σα = 1 (the paper's equations).
    Schoelkopf,
    /// νn·f, n the size of the support half (libsvm / scikit-learn, and the reference code's
    /// g = (αK − ρ)·ν·N/2).
    Libsvm,
}

/// Counts of degenerate problems seen by a layer (see [`super::Degeneracy`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DegeneracyCounts {
    pub problems: u64,
    /// Problems with any flag below set.
    pub degenerate: u64,
    pub no_free_support_vector: u64,
    pub identical_points: u64,
    pub zero_variance: u64,
    /// Problems where either half had a constant feature.
    pub constant_features: u64,
    pub singular_kkt: u64,
    pub inexact: u64,
    pub with_ties: u64,
}

#[derive(Default)]
struct Counters {
    problems: AtomicU64,
    degenerate: AtomicU64,
    no_free_support_vector: AtomicU64,
    identical_points: AtomicU64,
    zero_variance: AtomicU64,
    constant_features: AtomicU64,
    singular_kkt: AtomicU64,
    inexact: AtomicU64,
    with_ties: AtomicU64,
}

/// Solve-and-evaluate layer. Thread-safe: `forward` may run on many threads; degenerate
/// problems are counted across calls.
pub struct OcsvmLayer {
    svm: SmallOcsvm,
    scale: DecisionScale,
    counters: Counters,
}

/// One problem for [`OcsvmLayer::forward_batch`]: support half n_svm × d, query half n_l × d.
#[derive(Clone, Copy, Debug)]
pub struct LayerInput<'a> {
    pub z_svm: &'a [f64],
    pub n_svm: usize,
    pub z_l: &'a [f64],
    pub n_l: usize,
    pub d: usize,
}

/// What the backward pass needs from a forward pass.
#[derive(Clone, Debug)]
pub struct OcsvmTape {
    solution: SmallSolution,
    query: Query,
    factor: f64,
}

/// Gradients of the loss with respect to the raw halves (zeros on stopped paths).
#[derive(Clone, Debug, PartialEq)]
pub struct LayerGradients {
    /// ∂ℓ/∂z_svm, n_svm × d.
    pub z_svm: Vec<f64>,
    /// ∂ℓ/∂z_L, n_L × d.
    pub z_l: Vec<f64>,
}

impl OcsvmLayer {
    pub fn new(svm: SmallOcsvm, scale: DecisionScale) -> DiffResult<OcsvmLayer> {
        svm.validate()?;
        Ok(OcsvmLayer { svm, scale, counters: Counters::default() })
    }

    pub fn svm(&self) -> &SmallOcsvm {
        &self.svm
    }

    pub fn scale(&self) -> DecisionScale {
        self.scale
    }

    /// Solves on `z_svm` (n_svm × d) and returns f(z_L) for the n_L × d rows `z_l`, in the
    /// layer's [`DecisionScale`], with the tape for the backward pass.
    pub fn forward(&self, z_svm: &[f64], n_svm: usize, z_l: &[f64], n_l: usize, d: usize) -> DiffResult<(Vec<f64>, OcsvmTape)> {
        let solution = self.svm.solve(z_svm, n_svm, d)?;
        let query = solution.query(z_l, n_l)?;
        let factor = match self.scale {
            DecisionScale::Schoelkopf => 1.0,
            DecisionScale::Libsvm => self.svm.nu * n_svm as f64,
        };
        let mut f = solution.query_decision(&query);
        f.iter_mut().for_each(|v| *v *= factor);
        let tape = OcsvmTape { solution, query, factor };
        self.record(&tape);
        Ok((f, tape))
    }

    /// [`Self::forward`] on many independent problems, on the rayon pool.
    pub fn forward_batch(&self, problems: &[LayerInput<'_>]) -> Vec<DiffResult<(Vec<f64>, OcsvmTape)>> {
        problems.par_iter().map(|p| self.forward(p.z_svm, p.n_svm, p.z_l, p.n_l, p.d)).collect()
    }

    /// Degenerate problems seen so far.
    pub fn degeneracy_counts(&self) -> DegeneracyCounts {
        let c = &self.counters;
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        DegeneracyCounts {
            problems: load(&c.problems),
            degenerate: load(&c.degenerate),
            no_free_support_vector: load(&c.no_free_support_vector),
            identical_points: load(&c.identical_points),
            zero_variance: load(&c.zero_variance),
            constant_features: load(&c.constant_features),
            singular_kkt: load(&c.singular_kkt),
            inexact: load(&c.inexact),
            with_ties: load(&c.with_ties),
        }
    }

    fn record(&self, tape: &OcsvmTape) {
        let c = &self.counters;
        let deg = tape.solution.degeneracy();
        let query_constant = tape.query_constant_features() > 0;
        let bump = |a: &AtomicU64, yes: bool| {
            if yes {
                a.fetch_add(1, Ordering::Relaxed);
            }
        };
        bump(&c.problems, true);
        bump(&c.degenerate, deg.any() || query_constant);
        bump(&c.no_free_support_vector, deg.no_free_support_vector);
        bump(&c.identical_points, deg.identical_points);
        bump(&c.zero_variance, deg.zero_variance);
        bump(&c.constant_features, deg.constant_features > 0 || query_constant);
        bump(&c.singular_kkt, deg.singular_kkt);
        bump(&c.inexact, deg.inexact);
        bump(&c.with_ties, !deg.ties.is_empty());
    }
}

impl OcsvmTape {
    /// The solution of the support half.
    pub fn solution(&self) -> &SmallSolution {
        &self.solution
    }

    /// The factor applied to Schölkopf-scale decision values (1 or νn).
    pub fn scale_factor(&self) -> f64 {
        self.factor
    }

    /// Constant features of the query half (standardisation only).
    pub fn query_constant_features(&self) -> usize {
        self.query.standardization.as_ref().map_or(0, |s| s.constant_features())
    }

    /// Kernel inputs of the query half (standardised when asked).
    pub fn query_inputs(&self) -> &[f64] {
        &self.query.inputs
    }

    /// Reverse mode: from ∂ℓ/∂f (length n_L, in the layer's scale) to the gradients with
    /// respect to the raw halves along `path`.
    pub fn backward(&self, g_f: &[f64], path: GradientPath) -> DiffResult<LayerGradients> {
        let s = &self.solution;
        let q = &self.query;
        check_gradient("dl/df", g_f, q.n)?;
        let mut g = Scratch::with_capacity(g_f.len());
        g.extend(g_f.iter().map(|v| v * self.factor));
        let (mut dx, dy) = s.query_vjp_inputs(q, &g, path.kernel_support_half(), path.query_half());
        if path.through_solution() {
            let g_alpha = s.query_vjp_alpha_free(q, &g);
            let g_rho = -g.iter().sum::<f64>();
            s.solution_vjp_inputs_add(&g_alpha, g_rho, &mut dx);
        }
        let z_svm = if path.kernel_support_half() { s.support_half_backward(dx) } else { vec![0.0; s.n() * s.d()] };
        let z_l = if path.query_half() { query_backward(q, dy) } else { vec![0.0; q.n * s.d()] };
        Ok(LayerGradients { z_svm, z_l })
    }

    /// Forward mode along `path` (for testing): df (layer scale) for perturbations of the raw
    /// halves; a stopped half's perturbation is ignored, as the stop-gradient prescribes.
    pub fn jvp(&self, dz_svm: &[f64], dz_l: &[f64], path: GradientPath) -> DiffResult<Vec<f64>> {
        let s = &self.solution;
        check_gradient("dz_svm", dz_svm, s.n() * s.d())?;
        check_gradient("dz_l", dz_l, self.query.n * s.d())?;
        let dx = path.kernel_support_half().then_some(dz_svm);
        let dy = path.query_half().then_some(dz_l);
        let mut df = s.query_jvp(&self.query, dx, dy, path.through_solution());
        df.iter_mut().for_each(|v| *v *= self.factor);
        Ok(df)
    }
}
