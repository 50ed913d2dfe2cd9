//! `oneclass bench ...`: speed benchmarks that print a table (never run as tests).

use anyhow::Result;
use clap::{Args, Subcommand};
use oneclass_svm::diff::bench::{run_grad_bench, GradBenchConfig};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Differentiable OCSVM: solve + full VJP per minibatch (n = 50, 128, 256; d = 32; ν = 0.1; γ = scale),
    /// and batched throughput on two threads. Last line: JSON for the n = 50 case.
    OcsvmGrad(GradArgs),
    /// One-vs-rest MNIST with Deep SVDD or Deep SAD (seed 004 table 1): per-class AUROC, s/epoch,
    /// total time; resumable (finished classes are kept in OUT/results.json).
    MnistOvr(crate::bench_mnist::MnistOvrArgs),
    /// Toll on UCI Arrhythmia (seed 002 table 4): F1 with the top 15 % flagged, mean ± std over seeds.
    TollArrhythmia(crate::bench_toll::TollArrhythmiaArgs),
    /// Seed 001 table I / IV: the 12 models on the MNIST-C domain-shift task (train digit 3 under
    /// identity, motion_blur, translate; test 3 vs 8 or 3 vs 4 under stripe, canny_edges,
    /// brightness), chosen on validation, bootstrap-tested; plus the OgAE step overhead.
    OgaeMnistC(crate::bench_ogae::OgaeBenchArgs),
}

#[derive(Args)]
pub struct GradArgs {
    /// Seconds spent timing each size.
    #[arg(long, default_value_t = 1.0)]
    pub seconds: f64,
    #[arg(long, default_value_t = 20240601)]
    pub seed: u64,
}

pub fn run(cmd: BenchCommand) -> Result<()> {
    match cmd {
        BenchCommand::MnistOvr(a) => crate::bench_mnist::run(a),
        BenchCommand::TollArrhythmia(a) => crate::bench_toll::run(a),
        BenchCommand::OgaeMnistC(a) => crate::bench_ogae::run(a),
        BenchCommand::OcsvmGrad(a) => {
            let config = GradBenchConfig { seconds_per_size: a.seconds, seed: a.seed, ..GradBenchConfig::default() };
            let report = run_grad_bench(&config)?;
            print!("{}", report.table());
            println!("{}", report.json_line());
            Ok(())
        }
    }
}
