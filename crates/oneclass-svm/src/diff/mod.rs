//! Differentiable one-class SVM for small problems (n ≈ 16–512 points): exact minibatch solves
//! and gradients through the solution α*, ρ* — what OCSVM-guided autoencoders (seed 001,
//! section III-B, appendix S-B) need on every training minibatch.
//!
//! # Problem and scale
//! Schölkopf's dual on the n points of the support half: min ½ αᵀKα subject to
//! 0 ≤ αᵢ ≤ C = 1/(νn) and Σαᵢ = 1; decision f(z) = Σⱼ αⱼ k(zⱼ, z) − ρ. Everything here is in this
//! Schölkopf scale. The libsvm / scikit-learn scale multiplies α, ρ and f by νn
//! ([`SmallSolution::alpha_libsvm`], [`DecisionScale::Libsvm`]).
//!
//! # Solver ([`SmallOcsvm::solve`], [`SmallOcsvm::solve_batch`] on the rayon pool)
//! Dense kernel matrix (plus an optional diagonal jitter), SMO with second-order working-set
//! selection (WSS3) to a moderate gap, then an exact active-set finish: the index sets F (free),
//! B (at the bound C) and Z (zero) are read off the SMO iterate, the KKT system
//! `M [α_F; −ρ] = [−K_FB α_B; 1 − |B|C]` with `M = [K_FF 1; 1ᵀ 0]` is solved by LU with partial
//! pivoting, and the inequality conditions (Kα)_B ≤ ρ ≤ (Kα)_Z, 0 ≤ α_F ≤ C are checked to
//! `tol` (default 1e-9, relative to C for α and to max Kᵢᵢ for Kα). Offending indices are moved
//! (primal-dual active-set steps); if that does not settle, SMO continues to a 100× tighter gap.
//! Near-ties (an index whose classification would change under a perturbation of relative size
//! `tie_tol`) are reported in [`Degeneracy::ties`]; the gradient is then the one of the reported
//! active set.
//!
//! # Gradients
//! Holding the active set fixed, the KKT system is differentiated implicitly (see
//! `shared/docs/ocsvm.md`): reverse mode [`SmallSolution::vjp_solution`] returns ∂ℓ/∂K from
//! ∂ℓ/∂α, ∂ℓ/∂ρ with one extra solve with the stored LU factors; forward mode
//! [`SmallSolution::jvp_kernel`] is provided for testing. Kernel entries are treated as
//! independent (∂ℓ/∂Kᵢⱼ ≠ ∂ℓ/∂Kⱼᵢ in general); the chain rule through the rbf or linear kernel
//! ([`SmallSolution::vjp_kernel_inputs`]) adds both. γ is a constant of the differentiation
//! (γ = "scale" is computed from the support half and then held fixed: stop-gradient, as the
//! reference does). The jitter is a constant.
//!
//! # Standardisation (option `standardize`)
//! As in the reference code, each half is standardised with its own per-feature mean and
//! population standard deviation (ddof = 0) before the kernel. The gradient flows through the
//! mean and the standard deviation (plain automatic differentiation of (z − μ)/σ, which is what
//! the reference's autodiff does). A feature whose standard deviation is zero (up to 1e-12 of
//! its largest magnitude) is only centred, its σ treated as a constant 1, and counted in
//! [`Degeneracy::constant_features`].
//!
//! # Degenerate problems
//! Never NaN; each case is flagged in [`Degeneracy`] and counted by [`OcsvmLayer`]:
//! - no free support vector (νn integer, points well separated): ρ is not unique; it is the
//!   midpoint of its optimal interval [max_B Kα, min_Z Kα] (the lower end when Z is empty, e.g.
//!   ν = 1), α is locally constant, and no gradient flows through α or ρ for that problem;
//! - all points identical: α = 1/n for every point; when every entry is equal too, γ = "scale"
//!   is undefined (Var = 0) and falls back to 1/d; without jitter the KKT matrix is singular and
//!   no gradient flows through α, ρ;
//! - singular KKT matrix (duplicate free points without jitter, linear kernel of low rank),
//!   still singular after SMO was driven to a 1e-14 gap: that SMO solution is returned and no
//!   gradient flows through α, ρ;
//! - ties, as above.
//!
//! # The layer ([`OcsvmLayer`])
//! `forward(z_svm, z_l)` solves on the support half and returns f(z_L) plus a tape;
//! `tape.backward(∂ℓ/∂f, path)` returns (∂ℓ/∂z_svm, ∂ℓ/∂z_L) for the paths of seed 001 eq. (7):
//! [`GradientPath::Expander`] (through z_svm, α, ρ; z_L stopped), [`GradientPath::Compactor`]
//! (through z_L only), [`GradientPath::Both`], and [`GradientPath::ExpanderKernelOnly`]
//! (through z_svm with α, ρ stopped, the variant studied in appendix S-B).
//! [`DecisionScale`] chooses the scale of the returned f: Schölkopf, or libsvm (νn·f, what the
//! reference's loss uses). The tape also gives the forward-mode product ([`OcsvmTape::jvp`]).
//!
//! # Speed
//! rbf entries come from ‖x‖² + ‖y‖² − 2⟨x, y⟩ on centred data with an explicitly vectorised
//! exponential; the support half is centred once (its centring also gives the variance for
//! γ = "scale" and the centre of the cross kernel). The hot loops (kernel blocks, SMO passes,
//! small matrix products) run with AVX2 + FMA when the CPU has them (run-time detection,
//! portable code otherwise, same results). Temporaries and the kernel matrices come from
//! per-thread reusable buffers, so a training loop does not allocate them on every call. See
//! [`mod@bench`] (`oneclass bench ocsvm-grad`).

pub mod bench;
mod dense;
mod gram;
mod kkt;
mod layer;
mod scratch;
mod smo;
mod solution;
mod standardize;

pub use layer::{DecisionScale, DegeneracyCounts, GradientPath, LayerGradients, LayerInput, OcsvmLayer, OcsvmTape};
pub use solution::{Degeneracy, DecisionGradients, Jitter, SmallKernel, SmallOcsvm, SmallSolution};
pub use standardize::Standardization;

/// The largest support half accepted: the kernel matrix is dense (8·n² bytes) and the KKT
/// factorisation cubic in |F|. Larger problems belong to the large-scale solver.
pub const MAX_SMALL_N: usize = 4096;

/// Errors of the differentiable small-problem solver.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DiffError {
    #[error("{what}: expected {expected} values ({rows} rows × {cols} columns), got {got}")]
    Shape { what: &'static str, rows: usize, cols: usize, expected: usize, got: usize },
    #[error("{what}: need at least one row and one column, got {rows} × {cols}")]
    Empty { what: &'static str, rows: usize, cols: usize },
    #[error("{what}: entry at row {row}, column {col} is not finite ({value})")]
    NonFinite { what: &'static str, row: usize, col: usize, value: f64 },
    #[error("nu must be in (0, 1], got {0}")]
    InvalidNu(f64),
    #[error("gamma must be positive and finite, got {0}")]
    InvalidGamma(f64),
    #[error("jitter must be finite and >= 0 (and Jitter::OverGamma needs the rbf kernel), got {0}")]
    InvalidJitter(f64),
    #[error("tolerance {name} must be in (0, 1e-3], got {value}")]
    InvalidTolerance { name: &'static str, value: f64 },
    #[error("{what} has {got} columns, but the support half has {expected}")]
    DimensionMismatch { what: &'static str, expected: usize, got: usize },
    #[error("{what}: expected {expected} values, got {got}")]
    GradientLength { what: &'static str, expected: usize, got: usize },
    #[error("{what}: entry {index} is not finite ({value})")]
    NonFiniteGradient { what: &'static str, index: usize, value: f64 },
    #[error("could not start the benchmark's thread pool: {0}")]
    ThreadPool(String),
    #[error("support half has n = {n} points, above the small-problem limit {max}; use the large-scale solver")]
    TooLarge { n: usize, max: usize },
}

pub type DiffResult<T> = std::result::Result<T, DiffError>;

/// Checks that `data` holds `rows × cols` finite values.
pub(crate) fn check_matrix(what: &'static str, data: &[f64], rows: usize, cols: usize) -> DiffResult<()> {
    check_shape(what, data, rows, cols)?;
    if let Some(index) = dense::first_non_finite(data) {
        return Err(non_finite(what, data, cols, index));
    }
    Ok(())
}

/// [`check_matrix`] and a copy of `data`, in one pass over it.
pub(crate) fn checked_copy(what: &'static str, data: &[f64], rows: usize, cols: usize) -> DiffResult<Vec<f64>> {
    check_shape(what, data, rows, cols)?;
    dense::copy_if_finite(data).map_err(|index| non_finite(what, data, cols, index))
}

fn check_shape(what: &'static str, data: &[f64], rows: usize, cols: usize) -> DiffResult<()> {
    if rows == 0 || cols == 0 {
        return Err(DiffError::Empty { what, rows, cols });
    }
    let expected = rows.checked_mul(cols).ok_or(DiffError::Shape { what, rows, cols, expected: usize::MAX, got: data.len() })?;
    if data.len() != expected {
        return Err(DiffError::Shape { what, rows, cols, expected, got: data.len() });
    }
    Ok(())
}

fn non_finite(what: &'static str, data: &[f64], cols: usize, index: usize) -> DiffError {
    DiffError::NonFinite { what, row: index / cols, col: index % cols, value: data[index] }
}

/// Checks a gradient argument's length and finiteness.
pub(crate) fn check_gradient(what: &'static str, data: &[f64], expected: usize) -> DiffResult<()> {
    if data.len() != expected {
        return Err(DiffError::GradientLength { what, expected, got: data.len() });
    }
    if let Some(index) = data.iter().position(|v| !v.is_finite()) {
        return Err(DiffError::NonFiniteGradient { what, index, value: data[index] });
    }
    Ok(())
}
