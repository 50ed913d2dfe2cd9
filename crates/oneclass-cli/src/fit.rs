//! `oneclass fit <method>`.

use crate::io::{self, TableArgs};
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use oneclass_svm::{Gamma, KernelKind, OcsvmParams};
use std::path::PathBuf;

#[derive(Args)]
pub struct FitArgs {
    #[command(subcommand)]
    method: Method,
}

#[derive(Subcommand)]
enum Method {
    /// Exact ν-one-class SVM (libsvm-compatible; scores = −decision_function), optionally on PCA features.
    Ocsvm(OcsvmArgs),
    /// Isolation Forest (Liu et al. 2008; scikit-learn's definition; scores = 2^(−E[h]/c(ψ))).
    Iforest(crate::fit_shallow::IforestArgs),
    /// Gaussian kernel density; scores = −log density.
    Kde(crate::fit_shallow::KdeArgs),
    /// Auto-encoder; score = reconstruction error, or `--set score=ocsvm`: an exact OCSVM on the training codes.
    #[command(after_help = crate::fit_deep::method_help("ae"))]
    Ae(crate::fit_deep::DeepArgs),
    /// Deep SVDD (one-class or soft-boundary) with AE pre-training; score = ‖φ(x) − c‖² (soft: − R²).
    #[command(name = "deep-svdd", after_help = crate::fit_deep::method_help("deep-svdd"))]
    DeepSvdd(crate::fit_deep::DeepArgs),
    /// Deep SAD: Deep SVDD with labeled normals (+1) and anomalies (−1) from `semi_target` or --labels.
    #[command(name = "deep-sad", after_help = crate::fit_deep::method_help("deep-sad"))]
    DeepSad(crate::fit_deep::DeepArgs),
    /// Variational auto-encoder (MSE + β·KL); score = reconstruction error of the mean code.
    #[command(after_help = crate::fit_deep::method_help("vae"))]
    Vae(crate::fit_deep::DeepArgs),
    /// Siamese auto-encoder (½MSE₁ + ½MSE₂ + s·mean(z₁ − z₂)²); score = reconstruction error.
    #[command(after_help = crate::fit_deep::method_help("sae"))]
    Sae(crate::fit_deep::DeepArgs),
    /// Supervised binary classifier baseline (unlabeled = normal, labeled −1 = anomaly), BCE; score = logit.
    #[command(after_help = crate::fit_deep::method_help("classifier"))]
    Classifier(crate::fit_deep::DeepArgs),
    /// Toll (seed 002): auto-encoder trained on ‖x̂ − x‖₂ + β‖z‖; score = the same per sample. Iteration-based, checkpoint selection by `--set select=last|val-loss|val-auroc|val-f1` (val-auroc and val-f1 use --val-labels: labelled anomalies).
    #[command(after_help = crate::fit_deep::method_help("toll"))]
    Toll(crate::fit_deep::DeepArgs),
    /// OCSVM-guided auto-encoder (seed 001): MSE + λ·hinge of an exact, differentiated minibatch OCSVM; score = −decision of the final OCSVM on the training codes (`--set score=recon`: reconstruction error).
    #[command(after_help = crate::fit_deep::method_help("ogae"))]
    Ogae(crate::fit_deep::DeepArgs),
    /// DSPSVDD: AE pre-training, then MSE + γ·mean‖z − c‖² (bias-free); score = ‖z − c‖².
    #[command(after_help = crate::fit_deep::method_help("dspsvdd"))]
    Dspsvdd(crate::fit_deep::DeepArgs),
    /// DVAESVDD: VAE + α·mean‖μ − batch mean of μ‖²; score = ‖μ − c‖², c the training mean of μ.
    #[command(after_help = crate::fit_deep::method_help("dvaesvdd"))]
    Dvaesvdd(crate::fit_deep::DeepArgs),
}

#[derive(Args)]
pub struct OcsvmArgs {
    /// Training rows (.npy, .npz, .csv, .mat).
    #[arg(long)]
    pub train: PathBuf,
    /// Where to write the model (JSON).
    #[arg(long)]
    pub model: PathBuf,
    /// Upper bound on the fraction of training errors and lower bound on the fraction of support vectors, in (0, 1].
    #[arg(long, default_value_t = 0.5)]
    pub nu: f64,
    #[arg(long, default_value = "rbf")]
    pub kernel: KernelKind,
    /// "scale" = 1/(d·Var X), "auto" = 1/d, or a positive number.
    #[arg(long, default_value = "scale")]
    pub gamma: Gamma,
    #[arg(long, default_value_t = 3)]
    pub degree: u32,
    #[arg(long, default_value_t = 0.0)]
    pub coef0: f64,
    /// Stopping tolerance on the maximal KKT violation.
    #[arg(long, default_value_t = 1e-3)]
    pub tol: f64,
    /// Shrinking heuristic on or off.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub shrinking: bool,
    /// Kernel cache size in MB.
    #[arg(long, default_value_t = 200.0)]
    pub cache_size: f64,
    /// Start from a coarse solution on a 2,000-row subsample when n ≥ 8,000 (same optimum, far fewer
    /// SMO steps); false = libsvm's start, for step-by-step parity with scikit-learn.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub warm_start: bool,
    /// Iteration limit (default: none).
    #[arg(long)]
    pub max_iter: Option<usize>,
    /// Fit on PCA features: a number of components (e.g. 10) or a fraction of variance to keep (e.g. 0.95).
    #[arg(long)]
    pub pca: Option<f64>,
    /// Drop CSV rows with missing values instead of failing.
    #[arg(long)]
    pub drop_missing: bool,
    #[command(flatten)]
    pub table: TableArgs,
}

impl OcsvmArgs {
    pub fn params(&self) -> OcsvmParams {
        OcsvmParams::new()
            .nu(self.nu)
            .kernel(self.kernel)
            .gamma(self.gamma)
            .degree(self.degree)
            .coef0(self.coef0)
            .tol(self.tol)
            .shrinking(self.shrinking)
            .cache_size_mb(self.cache_size)
            .max_iter(self.max_iter)
            .warm_start(self.warm_start)
    }
}

pub fn run(args: FitArgs) -> Result<()> {
    match args.method {
        Method::Ocsvm(a) => fit_ocsvm(a),
        Method::Iforest(a) => crate::fit_shallow::fit_iforest(a),
        Method::Kde(a) => crate::fit_shallow::fit_kde(a),
        Method::Ae(a) => crate::fit_deep::run("ae", a),
        Method::DeepSvdd(a) => crate::fit_deep::run("deep-svdd", a),
        Method::DeepSad(a) => crate::fit_deep::run("deep-sad", a),
        Method::Vae(a) => crate::fit_deep::run("vae", a),
        Method::Sae(a) => crate::fit_deep::run("sae", a),
        Method::Classifier(a) => crate::fit_deep::run("classifier", a),
        Method::Toll(a) => crate::fit_deep::run("toll", a),
        Method::Ogae(a) => crate::fit_deep::run("ogae", a),
        Method::Dspsvdd(a) => crate::fit_deep::run("dspsvdd", a),
        Method::Dvaesvdd(a) => crate::fit_deep::run("dvaesvdd", a),
    }
}

fn fit_ocsvm(a: OcsvmArgs) -> Result<()> {
    let params = a.params();
    params.check()?;
    let x = io::read_matrix(&a.train, &a.table, a.drop_missing)?;
    let pca = a.pca.map(|k| crate::fit_shallow::fit_pca(&x, k)).transpose().with_context(|| format!("{}", a.train.display()))?;
    let x = match &pca {
        Some(p) => p.transform(x.view())?,
        None => x,
    };
    let pb = io::spinner(&format!("fitting OCSVM on {} × {}", x.nrows(), x.ncols()));
    let model = params.fit_with_progress(x.view(), &mut |it| pb.set_message(format!("fitting OCSVM on {} × {}: {it} iterations", x.nrows(), x.ncols())));
    pb.finish_and_clear();
    let model = model.with_context(|| format!("{}", a.train.display()))?;
    let d_in = pca.as_ref().map(|p| p.mean().len());
    let saved = match pca {
        Some(p) => io::AnyModel::PcaOcsvm(p, model),
        None => io::AnyModel::Ocsvm(model),
    };
    io::write_text(&a.model, &saved.to_json())?;
    let (io::AnyModel::Ocsvm(model) | io::AnyModel::PcaOcsvm(_, model)) = &saved else { unreachable!("just built") };
    if let Some(d) = d_in {
        println!("PCA: {d} features -> {} components", model.n_features);
    }
    let r = &model.report;
    if !r.converged {
        eprintln!("warning: stopped at --max-iter {} before reaching --tol {} (KKT gap {:.3e})", r.iterations, a.tol, r.gap);
    }
    let gamma = model.kernel.gamma().map_or("-".to_string(), |g| format!("{g:.6e}"));
    println!("n = {}, d = {}, gamma = {gamma}, support vectors = {} ({} at bound), rho = {:.10}, iterations = {}, seconds = {:.3}", r.n_samples, model.n_features, model.n_support(), r.n_bounded_sv, model.rho, r.iterations, r.seconds);
    if let Some(mb) = io::peak_rss_mb() {
        println!("peak memory = {mb:.1} MB");
    }
    println!("model written to {}", a.model.display());
    Ok(())
}
