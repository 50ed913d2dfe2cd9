//! `oneclass bench ...`: speed benchmarks that print a table (never run as tests).

use anyhow::Result;
use clap::{Args, Subcommand};
use oneclass_svm::diff::bench::{run_grad_bench, GradBenchConfig};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Differentiable OCSVM: solve + full VJP per minibatch (n = 50, 128, 256; d = 32; ν = 0.1; γ = scale),
    /// and batched throughput on two threads. Last line: JSON for the n = 50 case.
    OcsvmGrad(GradArgs),
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
        BenchCommand::OcsvmGrad(a) => {
            let config = GradBenchConfig { seconds_per_size: a.seconds, seed: a.seed, ..GradBenchConfig::default() };
            let report = run_grad_bench(&config)?;
            print!("{}", report.table());
            println!("{}", report.json_line());
            Ok(())
        }
    }
}
