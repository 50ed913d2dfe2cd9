//! The small-problem solver, its solution and the derivatives of the solution.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::gram::{self, KernelFn};
use super::kkt::{finish, ActiveSet, FinishFailure, KktFactor};
use super::scratch::Scratch;
use super::smo::Smo;
use super::standardize::Standardization;
use super::{check_gradient, check_matrix, checked_copy, DiffError, DiffResult, MAX_SMALL_N};
use super::dense;
use crate::kernel::{dot, resolve_gamma, Gamma, Kernel};

/// First SMO gap (relative to max Kᵢᵢ) before the active-set finish is tried.
const FIRST_GAP: f64 = 1e-3;
/// Each failed finish tightens the SMO gap by this factor...
const GAP_SHRINK: f64 = 1e-2;
/// ...down to this relative gap.
const LAST_GAP: f64 = 1e-14;
/// Primal-dual active-set steps allowed per finish attempt.
const FINISH_STEPS: usize = 4;

/// Kernel of the small problem.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum SmallKernel {
    /// exp(−γ‖x − y‖²); γ = "scale" is computed from the (standardised) support half.
    Rbf { gamma: Gamma },
    /// ⟨x, y⟩
    Linear,
}

/// Diagonal jitter added to the support half's kernel matrix K (not to the cross kernel).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Jitter {
    /// K + j·I (seed 001 appendix S-B: j = 1e-8).
    Absolute(f64),
    /// K + (j/γ)·I, as the released reference code does (rbf only).
    OverGamma(f64),
}

/// Options of the differentiable small-problem solver. Schölkopf scale throughout.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SmallOcsvm {
    /// ν in (0, 1]: C = 1/(νn).
    pub nu: f64,
    pub kernel: SmallKernel,
    pub jitter: Jitter,
    /// Standardise each half with its own per-feature mean and std before the kernel.
    pub standardize: bool,
    /// KKT tolerance: α relative to C, Kα relative to max Kᵢᵢ (default 1e-9).
    pub tol: f64,
    /// Relative distance to a classification change below which an index is reported as a tie
    /// (default 1e-7).
    pub tie_tol: f64,
    /// Cap on SMO iterations per problem.
    pub max_iter: usize,
}

impl SmallOcsvm {
    /// rbf with γ = "scale", no jitter, no standardisation, tol 1e-9.
    pub fn new(nu: f64) -> SmallOcsvm {
        SmallOcsvm {
            nu,
            kernel: SmallKernel::Rbf { gamma: Gamma::Scale },
            jitter: Jitter::Absolute(0.0),
            standardize: false,
            tol: 1e-9,
            tie_tol: 1e-7,
            max_iter: 1_000_000,
        }
    }

    /// The configuration of seed 001 (appendix S-B): rbf, γ = "scale", per-half
    /// standardisation, K + 1e-8·I.
    pub fn seed001(nu: f64) -> SmallOcsvm {
        SmallOcsvm { standardize: true, jitter: Jitter::Absolute(1e-8), ..SmallOcsvm::new(nu) }
    }

    pub fn with_kernel(self, kernel: SmallKernel) -> SmallOcsvm {
        SmallOcsvm { kernel, ..self }
    }

    pub fn with_jitter(self, jitter: Jitter) -> SmallOcsvm {
        SmallOcsvm { jitter, ..self }
    }

    pub fn with_standardize(self, standardize: bool) -> SmallOcsvm {
        SmallOcsvm { standardize, ..self }
    }

    pub fn validate(&self) -> DiffResult<()> {
        if !(self.nu > 0.0 && self.nu <= 1.0) {
            return Err(DiffError::InvalidNu(self.nu));
        }
        if let SmallKernel::Rbf { gamma: Gamma::Value(g) } = self.kernel {
            if !(g > 0.0 && g.is_finite()) {
                return Err(DiffError::InvalidGamma(g));
            }
        }
        match (self.jitter, self.kernel) {
            (Jitter::Absolute(j), _) | (Jitter::OverGamma(j), SmallKernel::Rbf { .. }) if j >= 0.0 && j.is_finite() => {}
            (Jitter::Absolute(j), _) | (Jitter::OverGamma(j), _) => return Err(DiffError::InvalidJitter(j)),
        }
        for (name, value) in [("tol", self.tol), ("tie_tol", self.tie_tol)] {
            if !(value > 0.0 && value <= 1e-3) {
                return Err(DiffError::InvalidTolerance { name, value });
            }
        }
        if self.max_iter == 0 {
            return Err(DiffError::InvalidTolerance { name: "max_iter", value: 0.0 });
        }
        Ok(())
    }

    /// Solves the problem on the n × d row-major support half `z_svm`.
    pub fn solve(&self, z_svm: &[f64], n: usize, d: usize) -> DiffResult<SmallSolution> {
        self.validate()?;
        // Without standardisation the kernel inputs are a copy, checked while copying.
        let copied = if self.standardize {
            check_matrix("z_svm", z_svm, n, d)?;
            None
        } else {
            Some(checked_copy("z_svm", z_svm, n, d)?)
        };
        if n > MAX_SMALL_N {
            return Err(DiffError::TooLarge { n, max: MAX_SMALL_N });
        }
        let mut degeneracy = Degeneracy::default();
        let (inputs, standardization) = match copied {
            Some(x) => (x, None),
            None => {
                let (x, s) = Standardization::fit_transform(z_svm, n, d);
                degeneracy.constant_features = s.constant_features();
                (x, Some(s))
            }
        };
        // rbf: centre once; the centring gives the variance for γ = "scale", the kernel matrix
        // and (its mean, kept) the cross kernel of the query half.
        let centred = matches!(self.kernel, SmallKernel::Rbf { .. }).then(|| dense::centred(&inputs, d));
        let kernel = match self.kernel {
            SmallKernel::Linear => KernelFn::Linear,
            SmallKernel::Rbf { gamma } => {
                let (variance, max_abs_sq_bound) = centred.as_ref().map_or((0.0, 0.0), |c| c.variance_of_entries());
                // A variance at rounding level of the entries' magnitude is zero (all entries
                // equal up to the last bits of the mean); it would otherwise give γ ≈ 1e30.
                // The exact max |x| is only needed when the bound cannot rule that out.
                let rounding_level = |max_abs_sq: f64| variance <= 1e-24 * max_abs_sq;
                let zero = rounding_level(max_abs_sq_bound) && rounding_level(dense::max_abs(&inputs).powi(2));
                let variance = if zero { 0.0 } else { variance };
                let gamma = match resolve_gamma(gamma, d, variance) {
                    Some(g) => g,
                    None => {
                        // γ = "scale" on data with zero variance: every rbf entry is 1 anyway.
                        degeneracy.zero_variance = true;
                        1.0 / d as f64
                    }
                };
                KernelFn::Rbf(gamma)
            }
        };
        let jitter = match (self.jitter, kernel) {
            (Jitter::Absolute(j), _) => j,
            (Jitter::OverGamma(j), KernelFn::Rbf(g)) => j / g,
            (Jitter::OverGamma(j), KernelFn::Linear) => return Err(DiffError::InvalidJitter(j)),
        };
        let k = match (kernel, &centred) {
            (KernelFn::Rbf(gamma), Some(c)) => gram::rbf_gram_centred(c, n, d, gamma, jitter),
            _ => gram::gram(kernel, &inputs, n, d, jitter),
        };
        let mean = centred.map_or_else(Vec::new, |c| c.mean.to_vec());
        let c = 1.0 / (self.nu * n as f64);
        let scale = (0..n).map(|i| k[i * n + i]).fold(0.0f64, f64::max).max(f64::MIN_POSITIVE);
        degeneracy.identical_points = inputs.chunks_exact(d).all(|row| row == &inputs[..d]);

        // All points identical: every feasible α is optimal without jitter; take the symmetric one.
        let start = if degeneracy.identical_points { Scratch::filled(n, 1.0 / n as f64) } else { Smo::greedy_start(n, c) };
        let mut smo = Smo::new(&k, n, c, start);
        let mut gap = FIRST_GAP;
        let outcome = loop {
            let converged = degeneracy.identical_points || smo.run(gap * scale, self.max_iter);
            match finish(&k, n, c, &smo.alpha, self.tol, scale, FINISH_STEPS) {
                Ok(done) => break Ok(done),
                Err(failure) => {
                    // A singular KKT matrix may come from a free set read off too early:
                    // tighten SMO as for an unsettled active set before giving up.
                    let singular = matches!(failure, FinishFailure::Singular);
                    if !converged || degeneracy.identical_points || gap <= LAST_GAP {
                        break Err(singular);
                    }
                    gap = (gap * GAP_SHRINK).max(LAST_GAP);
                    smo.refresh_gradient();
                }
            }
        };
        let smo_iterations = smo.iterations;
        let (alpha, rho, grad, sets, factor, active_set_steps) = match outcome {
            Ok(done) => (done.alpha, done.rho, done.grad, done.sets, done.factor, done.steps),
            Err(singular) => {
                // No exact finish: return the SMO iterate driven to the tightest gap.
                if !degeneracy.identical_points {
                    smo.refresh_gradient();
                    smo.run(LAST_GAP * scale, self.max_iter);
                    smo.refresh_gradient();
                }
                if singular {
                    degeneracy.singular_kkt = true;
                } else {
                    degeneracy.inexact = true;
                }
                let alpha = smo.alpha.to_vec();
                let grad = smo.grad.to_vec();
                let sets = ActiveSet::classify(&alpha, c, 0.0);
                let rho = rho_from_gradient(&grad, &sets);
                (alpha, rho, grad, sets, None, 0)
            }
        };
        degeneracy.no_free_support_vector = sets.free.is_empty();
        degeneracy.ties = find_ties(&alpha, &grad, rho, &sets, c, scale, self.tie_tol);
        let kkt_violation = kkt_violation(&alpha, &grad, rho, c, scale);
        let support: Vec<usize> = (0..n).filter(|&i| alpha[i] != 0.0).collect();
        Ok(SmallSolution {
            n,
            d,
            nu: self.nu,
            c,
            kernel,
            jitter,
            standardization,
            inputs,
            mean,
            k,
            alpha,
            rho,
            grad,
            free: sets.free,
            bound: sets.bound,
            zero: sets.zero,
            support,
            factor,
            degeneracy,
            kkt_violation,
            smo_iterations,
            active_set_steps,
        })
    }

    /// Solves many independent problems (each `(z_svm, n, d)`) on the rayon pool.
    pub fn solve_batch(&self, problems: &[(&[f64], usize, usize)]) -> Vec<DiffResult<SmallSolution>> {
        problems.par_iter().map(|&(z, n, d)| self.solve(z, n, d)).collect()
    }
}

/// ρ when the KKT equalities could not be solved: mean G over free indices, else the midpoint
/// of [max_B G, min_Z G] (its lower end when Z is empty).
fn rho_from_gradient(grad: &[f64], sets: &ActiveSet) -> f64 {
    if !sets.free.is_empty() {
        return sets.free.iter().map(|&i| grad[i]).sum::<f64>() / sets.free.len() as f64;
    }
    let lower = sets.bound.iter().map(|&i| grad[i]).fold(f64::NEG_INFINITY, f64::max);
    let upper = sets.zero.iter().map(|&i| grad[i]).fold(f64::INFINITY, f64::min);
    match (lower.is_finite(), upper.is_finite()) {
        (true, true) => 0.5 * (lower + upper),
        (true, false) => lower,
        (false, true) => upper,
        (false, false) => 0.0,
    }
}

/// Indices whose classification would change under a relative perturbation of `tie_tol`.
fn find_ties(alpha: &[f64], grad: &[f64], rho: f64, sets: &ActiveSet, c: f64, scale: f64, tie_tol: f64) -> Vec<usize> {
    let mut ties: Vec<usize> = sets
        .free
        .iter()
        .copied()
        .filter(|&i| alpha[i] <= tie_tol * c || alpha[i] >= (1.0 - tie_tol) * c)
        .chain(sets.bound.iter().chain(&sets.zero).copied().filter(|&i| (grad[i] - rho).abs() <= tie_tol * scale))
        .collect();
    ties.sort_unstable();
    ties
}

/// Largest violation of the KKT conditions, relative (α to C, Kα to `scale`, Σα to 1).
fn kkt_violation(alpha: &[f64], grad: &[f64], rho: f64, c: f64, scale: f64) -> f64 {
    let mut worst = (alpha.iter().sum::<f64>() - 1.0).abs();
    for (&a, &g) in alpha.iter().zip(grad) {
        worst = worst.max((-a / c).max(0.0)).max((a / c - 1.0).max(0.0));
        if a < c {
            worst = worst.max((rho - g) / scale);
        }
        if a > 0.0 {
            worst = worst.max((g - rho) / scale);
        }
    }
    worst
}

/// Special cases met while solving. Every flagged case still has finite α, ρ and gradients.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Degeneracy {
    /// No free support vector: ρ is not unique (midpoint of its interval) and no gradient flows
    /// through α or ρ.
    pub no_free_support_vector: bool,
    /// All kernel inputs are the same point (α = 1/n is returned).
    pub identical_points: bool,
    /// γ = "scale" met zero variance and fell back to 1/d.
    pub zero_variance: bool,
    /// Features of the support half with zero standard deviation (standardisation only).
    pub constant_features: usize,
    /// The KKT matrix of the free set is singular: SMO solution, no gradient through α, ρ.
    pub singular_kkt: bool,
    /// The active-set finish did not settle: SMO solution (gap 1e-14), no gradient through α, ρ.
    pub inexact: bool,
    /// Near-ties: indices within `tie_tol` of changing set; the gradient is that of the
    /// reported active set.
    pub ties: Vec<usize>,
}

impl Degeneracy {
    /// Whether anything special happened.
    pub fn any(&self) -> bool {
        self.no_free_support_vector
            || self.identical_points
            || self.zero_variance
            || self.constant_features > 0
            || self.singular_kkt
            || self.inexact
            || !self.ties.is_empty()
    }

    /// Whether gradients flow through α and ρ (implicit differentiation is defined).
    pub fn differentiable(&self) -> bool {
        !(self.no_free_support_vector || self.singular_kkt || self.inexact)
    }
}

/// Partial derivatives of Σ_l g_l f(z_l) with α and ρ held as variables: ∂/∂α, ∂/∂ρ, and the
/// direct kernel paths to both halves (raw, before standardisation).
#[derive(Clone, Debug, PartialEq)]
pub struct DecisionGradients {
    /// ∂ℓ/∂α (length n; entries for non-support indices included).
    pub alpha: Vec<f64>,
    /// ∂ℓ/∂ρ
    pub rho: f64,
    /// ∂ℓ/∂z_svm through K(z_svm, z_L) only (α, ρ held fixed), n × d.
    pub z_svm: Vec<f64>,
    /// ∂ℓ/∂z_L, n_L × d.
    pub z_l: Vec<f64>,
}

/// A solved small problem, with what its derivatives need.
#[derive(Clone, Debug)]
pub struct SmallSolution {
    n: usize,
    d: usize,
    nu: f64,
    c: f64,
    kernel: KernelFn,
    jitter: f64,
    standardization: Option<Standardization>,
    inputs: Vec<f64>,
    /// Column means of `inputs` (rbf): the centre of the distance evaluations.
    mean: Vec<f64>,
    /// Kernel matrix, reused from the thread's scratch buffers (it is the largest buffer).
    k: Scratch,
    alpha: Vec<f64>,
    rho: f64,
    grad: Vec<f64>,
    free: Vec<usize>,
    bound: Vec<usize>,
    zero: Vec<usize>,
    support: Vec<usize>,
    factor: Option<KktFactor>,
    degeneracy: Degeneracy,
    kkt_violation: f64,
    smo_iterations: usize,
    active_set_steps: usize,
}

/// Kernel inputs of a query half (standardised with its own statistics when asked) and the
/// cross kernel K(z_svm[support], z_L).
#[derive(Clone, Debug)]
pub(crate) struct Query {
    pub(crate) inputs: Vec<f64>,
    pub(crate) n: usize,
    pub(crate) standardization: Option<Standardization>,
    /// |support| × n.
    pub(crate) cross: Scratch,
}

impl SmallSolution {
    pub fn n(&self) -> usize {
        self.n
    }
    pub fn d(&self) -> usize {
        self.d
    }
    pub fn nu(&self) -> f64 {
        self.nu
    }
    /// Upper bound C = 1/(νn).
    pub fn c(&self) -> f64 {
        self.c
    }
    /// α, Schölkopf scale (Σα = 1, 0 ≤ α ≤ C).
    pub fn alpha(&self) -> &[f64] {
        &self.alpha
    }
    pub fn rho(&self) -> f64 {
        self.rho
    }
    /// α in the libsvm scale (νn·α: 0 ≤ a ≤ 1, Σa = νn).
    pub fn alpha_libsvm(&self) -> Vec<f64> {
        let s = self.nu * self.n as f64;
        self.alpha.iter().map(|a| a * s).collect()
    }
    /// ρ in the libsvm scale (νn·ρ, scikit-learn's `offset_`).
    pub fn rho_libsvm(&self) -> f64 {
        self.nu * self.n as f64 * self.rho
    }
    /// The kernel with its resolved γ.
    pub fn kernel(&self) -> Kernel {
        self.kernel.as_kernel()
    }
    /// γ used (None for the linear kernel).
    pub fn gamma(&self) -> Option<f64> {
        self.kernel.as_kernel().gamma()
    }
    /// The diagonal jitter added to K.
    pub fn jitter(&self) -> f64 {
        self.jitter
    }
    /// Free indices F (0 < α < C), sorted.
    pub fn free(&self) -> &[usize] {
        &self.free
    }
    /// Indices at the upper bound B (α = C), sorted.
    pub fn bound(&self) -> &[usize] {
        &self.bound
    }
    /// Indices with α = 0 (Z), sorted.
    pub fn zero(&self) -> &[usize] {
        &self.zero
    }
    /// Support vectors F ∪ B, sorted.
    pub fn support(&self) -> &[usize] {
        &self.support
    }
    /// The n × n kernel matrix the problem was solved with (jitter included), row-major.
    pub fn kernel_matrix(&self) -> &[f64] {
        &self.k
    }
    /// Kα.
    pub fn kernel_alpha(&self) -> &[f64] {
        &self.grad
    }
    /// Kernel inputs: the support half, standardised when asked.
    pub fn inputs(&self) -> &[f64] {
        &self.inputs
    }
    pub fn standardization(&self) -> Option<&Standardization> {
        self.standardization.as_ref()
    }
    pub fn degeneracy(&self) -> &Degeneracy {
        &self.degeneracy
    }
    /// Largest relative KKT violation of the returned (α, ρ).
    pub fn kkt_violation(&self) -> f64 {
        self.kkt_violation
    }
    pub fn smo_iterations(&self) -> usize {
        self.smo_iterations
    }
    /// Primal-dual active-set steps of the successful finish.
    pub fn active_set_steps(&self) -> usize {
        self.active_set_steps
    }

    fn gradient_factor(&self) -> Option<&KktFactor> {
        if self.degeneracy.differentiable() {
            self.factor.as_ref()
        } else {
            None
        }
    }

    /// Forward mode: (dα, dρ) for a perturbation dK of the kernel matrix (n × n, entries
    /// independent), the active set held fixed. Zero when the problem is not differentiable.
    pub fn jvp_kernel(&self, dk: &[f64]) -> DiffResult<(Vec<f64>, f64)> {
        check_gradient("dK", dk, self.n * self.n)?;
        let n = self.n;
        let mut dalpha = vec![0.0; n];
        let Some(factor) = self.gradient_factor() else {
            return Ok((dalpha, 0.0));
        };
        let f = self.free.len();
        let mut rhs = Scratch::zeroed(f + 1);
        for (r, &i) in self.free.iter().enumerate() {
            rhs[r] = -self.support.iter().map(|&j| dk[i * n + j] * self.alpha[j]).sum::<f64>();
        }
        let x = factor.solve(&rhs);
        for (r, &i) in self.free.iter().enumerate() {
            dalpha[i] = x[r];
        }
        Ok((dalpha, -x[f]))
    }

    /// Reverse mode: ∂ℓ/∂K (n × n, row-major, unsymmetrised: entries independent) from
    /// ∂ℓ/∂α (length n) and ∂ℓ/∂ρ. Solves M [y; t] = [ḡ_α,F; −ḡ_ρ]; ∂ℓ/∂K_ij = −y_i α_j for
    /// i ∈ F, 0 elsewhere. Zero when the problem is not differentiable.
    pub fn vjp_solution(&self, g_alpha: &[f64], g_rho: f64) -> DiffResult<Vec<f64>> {
        check_gradient("dl/dalpha", g_alpha, self.n)?;
        check_gradient("dl/drho", &[g_rho], 1)?;
        let n = self.n;
        let mut dk = vec![0.0; n * n];
        let Some(factor) = self.gradient_factor() else {
            return Ok(dk);
        };
        let f = self.free.len();
        let mut rhs: Vec<f64> = self.free.iter().map(|&i| g_alpha[i]).collect();
        rhs.push(-g_rho);
        let y = factor.solve(&rhs);
        for (r, &i) in self.free.iter().enumerate() {
            for &j in &self.support {
                dk[i * n + j] = -y[r] * self.alpha[j];
            }
        }
        debug_assert_eq!(y.len(), f + 1);
        Ok(dk)
    }

    /// Reverse mode through the kernel (γ held fixed) and the standardisation: ∂ℓ/∂z_svm
    /// (n × d) from ∂ℓ/∂K (n × n, entries independent).
    pub fn vjp_kernel_inputs(&self, dk: &[f64]) -> DiffResult<Vec<f64>> {
        check_gradient("dl/dK", dk, self.n * self.n)?;
        let dx = gram::gram_vjp(self.kernel, &self.inputs, self.n, self.d, &self.k, dk);
        Ok(self.support_half_backward(dx))
    }

    /// Forward mode through the standardisation, the kernel and the solution: (dα, dρ) for a
    /// perturbation dz of the raw support half.
    pub fn jvp_inputs(&self, dz: &[f64]) -> DiffResult<(Vec<f64>, f64)> {
        check_gradient("dz_svm", dz, self.n * self.d)?;
        let dx = self.support_half_jvp(dz);
        let dk = gram::gram_jvp(self.kernel, &self.inputs, self.n, self.d, &self.k, &dx);
        self.jvp_kernel(&dk)
    }

    /// Decision values f(z_l) = Σⱼ αⱼ k(zⱼ, z_l) − ρ (Schölkopf scale) of the n_l × d rows
    /// `z_l`. With standardisation on, `z_l` is standardised with its own statistics, as the
    /// reference code does for the loss half.
    pub fn decision(&self, z_l: &[f64], n_l: usize) -> DiffResult<Vec<f64>> {
        let q = self.query(z_l, n_l)?;
        Ok(self.query_decision(&q))
    }

    /// Reverse mode of ℓ = Σ_l g_l f(z_l) with α and ρ as variables (see [`DecisionGradients`]).
    /// The full gradient to z_svm is `z_svm + vjp_kernel_inputs(vjp_solution(alpha, rho))`.
    pub fn decision_vjp(&self, z_l: &[f64], n_l: usize, g_f: &[f64]) -> DiffResult<DecisionGradients> {
        check_gradient("dl/df", g_f, n_l)?;
        let q = self.query(z_l, n_l)?;
        let (g_alpha, g_rho) = self.query_vjp_alpha_rho(&q, g_f);
        let (dx, dy) = self.query_vjp_inputs(&q, g_f, true, true);
        Ok(DecisionGradients { alpha: g_alpha, rho: g_rho, z_svm: self.support_half_backward(dx), z_l: query_backward(&q, dy) })
    }

    pub(crate) fn query(&self, z_l: &[f64], n_l: usize) -> DiffResult<Query> {
        if n_l > 0 && !z_l.is_empty() && z_l.len().is_multiple_of(n_l) && z_l.len() / n_l != self.d {
            return Err(DiffError::DimensionMismatch { what: "z_l", expected: self.d, got: z_l.len() / n_l });
        }
        let (inputs, standardization) = if self.standardization.is_some() {
            check_matrix("z_l", z_l, n_l, self.d)?;
            let (y, s) = Standardization::fit_transform(z_l, n_l, self.d);
            (y, Some(s))
        } else {
            (checked_copy("z_l", z_l, n_l, self.d)?, None)
        };
        let cross = gram::cross(self.kernel, &self.inputs, &self.mean, &self.support, &inputs, n_l, self.d);
        Ok(Query { inputs, n: n_l, standardization, cross })
    }

    pub(crate) fn query_decision(&self, q: &Query) -> Vec<f64> {
        let mut f = vec![-self.rho; q.n];
        for (r, &j) in self.support.iter().enumerate() {
            let a = self.alpha[j];
            for (fv, kv) in f.iter_mut().zip(&q.cross[r * q.n..(r + 1) * q.n]) {
                *fv += a * kv;
            }
        }
        f
    }

    /// (∂ℓ/∂α over all n, ∂ℓ/∂ρ) of ℓ = Σ g_l f_l. Non-support entries are computed too (they
    /// are what a caller holding α fixed would see); the cross kernel is only stored for the
    /// support, so those use direct evaluations.
    pub(crate) fn query_vjp_alpha_rho(&self, q: &Query, g: &[f64]) -> (Vec<f64>, f64) {
        let d = self.d;
        let mut g_alpha = vec![0.0; self.n];
        let mut r = 0;
        for (j, ga) in g_alpha.iter_mut().enumerate() {
            if r < self.support.len() && self.support[r] == j {
                *ga = dot(&q.cross[r * q.n..(r + 1) * q.n], g);
                r += 1;
            } else {
                let row = gram::cross(self.kernel, &self.inputs, &self.mean, &[j], &q.inputs, q.n, d);
                *ga = dot(&row, g);
            }
        }
        (g_alpha, -g.iter().sum::<f64>())
    }

    /// ∂ℓ/∂α restricted to the free set, which is all the implicit VJP uses.
    pub(crate) fn query_vjp_alpha_free(&self, q: &Query, g: &[f64]) -> Scratch {
        let mut g_alpha = Scratch::zeroed(self.n);
        for (r, &j) in self.support.iter().enumerate() {
            g_alpha[j] = dot(&q.cross[r * q.n..(r + 1) * q.n], g);
        }
        g_alpha
    }

    /// Direct kernel path of ℓ = Σ g_l f_l (α, ρ fixed): (∂ℓ/∂x̃ support half, ∂ℓ/∂ỹ query half),
    /// both in kernel-input (standardised) coordinates; empty when not wanted.
    pub(crate) fn query_vjp_inputs(&self, q: &Query, g: &[f64], want_x: bool, want_y: bool) -> (Vec<f64>, Vec<f64>) {
        let mut a = Scratch::with_capacity(self.support.len());
        a.extend(self.support.iter().map(|&j| self.alpha[j]));
        gram::cross_vjp(self.kernel, &self.inputs, self.n, &self.support, &q.inputs, q.n, self.d, &q.cross, &a, g, want_x, want_y)
    }

    /// Adds ∂ℓ/∂x̃ (kernel inputs of the support half, n × d) from ∂ℓ/∂α, ∂ℓ/∂ρ through the
    /// solution into `dx`; false (nothing added) when no gradient flows through α, ρ.
    pub(crate) fn solution_vjp_inputs_add(&self, g_alpha: &[f64], g_rho: f64, dx: &mut [f64]) -> bool {
        let Some(factor) = self.gradient_factor() else {
            return false;
        };
        // ∂ℓ/∂K = −y αᵀ on the rows F: rank one, living on F × support (F ⊂ support).
        let mut rhs = Scratch::with_capacity(self.free.len() + 1);
        rhs.extend(self.free.iter().map(|&i| g_alpha[i]));
        rhs.push(-g_rho);
        let y = factor.solve(&rhs);
        let mut u = Scratch::zeroed(self.n);
        for (r, &i) in self.free.iter().enumerate() {
            u[i] = -y[r];
        }
        gram::gram_vjp_outer_add(self.kernel, &self.inputs, self.n, self.d, &self.k, &u, &self.alpha, &self.support, dx);
        true
    }

    /// Forward mode of the decision values on a query: df for perturbations of the raw halves;
    /// `through_solution` adds the dα, dρ terms.
    pub(crate) fn query_jvp(&self, q: &Query, dz_svm: Option<&[f64]>, dz_l: Option<&[f64]>, through_solution: bool) -> Vec<f64> {
        let dx = dz_svm.map(|dz| self.support_half_jvp(dz));
        let dy = dz_l.map(|dz| match &q.standardization {
            Some(s) => s.jvp(&q.inputs, dz, q.n),
            None => dz.to_vec(),
        });
        let dkc = gram::cross_jvp(self.kernel, &self.inputs, &self.support, &q.inputs, q.n, self.d, &q.cross, dx.as_deref(), dy.as_deref());
        let mut df = vec![0.0; q.n];
        for (r, &j) in self.support.iter().enumerate() {
            let a = self.alpha[j];
            for (v, dkv) in df.iter_mut().zip(&dkc[r * q.n..(r + 1) * q.n]) {
                *v += a * dkv;
            }
        }
        if let (true, Some(dx)) = (through_solution, dx.as_ref()) {
            let dk = gram::gram_jvp(self.kernel, &self.inputs, self.n, self.d, &self.k, dx);
            if let Ok((dalpha, drho)) = self.jvp_kernel(&dk) {
                for (r, &j) in self.support.iter().enumerate() {
                    if dalpha[j] != 0.0 {
                        for (v, kv) in df.iter_mut().zip(&q.cross[r * q.n..(r + 1) * q.n]) {
                            *v += dalpha[j] * kv;
                        }
                    }
                }
                df.iter_mut().for_each(|v| *v -= drho);
            }
        }
        df
    }

    /// From kernel-input coordinates back to the raw support half.
    pub(crate) fn support_half_backward(&self, dx: Vec<f64>) -> Vec<f64> {
        match &self.standardization {
            Some(s) => s.backward(&self.inputs, &dx, self.n),
            None => dx,
        }
    }

    fn support_half_jvp(&self, dz: &[f64]) -> Vec<f64> {
        match &self.standardization {
            Some(s) => s.jvp(&self.inputs, dz, self.n),
            None => dz.to_vec(),
        }
    }
}

/// From kernel-input coordinates back to the raw query half.
pub(crate) fn query_backward(q: &Query, dy: Vec<f64>) -> Vec<f64> {
    match &q.standardization {
        Some(s) => s.backward(&q.inputs, &dy, q.n),
        None => dy,
    }
}
