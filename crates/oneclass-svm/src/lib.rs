//! Exact one-class SVM: kernels, an SMO solver with a bounded kernel cache, model files,
//! and (in `diff`) a differentiable small-problem solver.

mod cache;
pub mod diff;
pub mod error;
pub mod kernel;
pub mod model;
pub mod params;
mod simd;
pub mod smo;

pub use error::SvmError;
pub use kernel::{Gamma, Kernel};
pub use model::{FitReport, OcsvmModel};
pub use params::{KernelKind, OcsvmParams};
