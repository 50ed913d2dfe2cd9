//! Statistical comparisons: paired bootstrap of detectors on one test set, and rank tests
//! (Kruskal-Wallis, Dunn) for metrics collected per subject.

mod bootstrap;
mod rank_tests;

pub use bootstrap::{paired_bootstrap, BootstrapComparison, Metric};
pub use rank_tests::{dunn_bonferroni, kruskal_wallis, KruskalWallis};
