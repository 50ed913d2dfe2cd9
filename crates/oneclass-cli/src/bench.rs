//! `oneclass bench ...`: speed benchmarks that print a table (never run as tests).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
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
    /// Deep SAD's ODDS benchmark (arrhythmia, cardio, satellite, satimage-2, shuttle, thyroid):
    /// shallow and deep methods, AUROC mean ± std over seeds; resumable (OUT/results.json).
    Odds(crate::bench_odds::OddsArgs),
    /// Seed 004 scenarios (i)–(iii) on MNIST one-vs-rest (tables 1–3): Deep SVDD, SS-DSVDD and
    /// the supervised classifier; resumable (OUT/results.json), restrict with --classes / --seeds.
    SadScenarios(crate::bench_sad::SadScenariosArgs),
    /// Seed 003 image-alteration anomalies (block permutation, strokes; tables II–IV): OC-SVM,
    /// IF, Deep SVDD with / without bias and regularisers; plus the collapse run (table V).
    Alteration(crate::bench_alteration::AlterationArgs),
    /// Seed 002 one-vs-rest images (tables 1–3, 7, 8): Toll, the β = 0 ablation, L1 / L∞ norms.
    TollImages(crate::bench_toll_images::TollImagesArgs),
    /// Seed 001 experiment 2 on generated brain phantoms: patch auto-encoders, localized and
    /// patient-specific OCSVM score maps, classification and localization tables (II–III);
    /// `--throughput`: patches/s, fits/s and peak memory on a full-size volume.
    Volumes(crate::bench_volumes::VolumesArgs),
    /// Training speed of the MNIST AE (ogae-mnist) and the CIFAR-10 LeNet (Deep SVDD and its
    /// pre-training AE): s/epoch, images/s, s/batch, against the quoted PyTorch CPU timings.
    TrainSpeed(crate::bench_speed::TrainSpeedArgs),
    /// Merges the finished units of one benchmark run split into parts (e.g. `--classes 0,1,2,3,4
    /// --out OUT-a` and `--classes 5,6,7,8,9 --out OUT-b`, run side by side) into OUT/results.json.
    /// Rerunning the benchmark's command on OUT with every class then trains nothing and writes
    /// the tables.
    Merge(MergeArgs),
}

#[derive(Args)]
pub struct MergeArgs {
    /// Folder to merge into; it must not hold a results.json yet.
    #[arg(long)]
    pub out: PathBuf,
    /// Output folders of the parts (each with its results.json), same benchmark and settings.
    #[arg(required = true, num_args = 1..)]
    pub parts: Vec<PathBuf>,
}

/// Merges `a.parts` into `a.out` with the unit type of the benchmark that wrote them.
fn merge(a: &MergeArgs) -> Result<()> {
    use crate::bench_common::merge_parts;
    #[derive(serde::Deserialize)]
    struct Header {
        benchmark: String,
    }
    let benchmark_of = |part: &PathBuf| -> Result<String> {
        let path = part.join("results.json");
        let text = std::fs::read_to_string(&path).with_context(|| format!("{}: cannot read", path.display()))?;
        let header: Header = serde_json::from_str(&text).with_context(|| format!("{}: expected a results file of `oneclass bench` with a field \"benchmark\"", path.display()))?;
        Ok(header.benchmark)
    };
    let first = a.parts[0].join("results.json");
    let benchmark = benchmark_of(&a.parts[0])?;
    for part in &a.parts[1..] {
        let other = benchmark_of(part)?;
        if other != benchmark {
            bail!("{}: field \"benchmark\" is {other:?}, but {} holds {benchmark:?}; not merging", part.join("results.json").display(), first.display());
        }
    }
    let units = match benchmark.as_str() {
        "mnist-ovr" => merge_parts::<crate::bench_mnist::ClassResult>(&a.out, "results.json", &a.parts)?,
        "toll-arrhythmia" => merge_parts::<crate::bench_toll::Run>(&a.out, "results.json", &a.parts)?,
        "toll-images" => merge_parts::<crate::bench_toll_images::TollUnit>(&a.out, "results.json", &a.parts)?,
        "odds" => merge_parts::<crate::bench_odds::OddsUnit>(&a.out, "results.json", &a.parts)?,
        "sad-scenarios" => merge_parts::<crate::bench_sad::SadUnit>(&a.out, "results.json", &a.parts)?,
        "alteration" => merge_parts::<crate::bench_alteration::AltUnit>(&a.out, "results.json", &a.parts)?,
        other => bail!("{}: field \"benchmark\" is {other:?}; only runs that can be split by --classes or --seeds merge (mnist-ovr, toll-arrhythmia, toll-images, odds, sad-scenarios, alteration)", first.display()),
    };
    println!(
        "merged {units} units of {} parts into {}; run the same `oneclass bench {benchmark}` command with every class and seed and --out {} to write its tables (it trains nothing already finished)",
        a.parts.len(),
        a.out.join("results.json").display(),
        a.out.display()
    );
    Ok(())
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
        BenchCommand::Odds(a) => crate::bench_odds::run(a),
        BenchCommand::SadScenarios(a) => crate::bench_sad::run(a),
        BenchCommand::Alteration(a) => crate::bench_alteration::run(a),
        BenchCommand::TollImages(a) => crate::bench_toll_images::run(a),
        BenchCommand::Volumes(a) => crate::bench_volumes::run(a),
        BenchCommand::TrainSpeed(a) => crate::bench_speed::run(a),
        BenchCommand::Merge(a) => merge(&a),
        BenchCommand::OcsvmGrad(a) => {
            let config = GradBenchConfig { seconds_per_size: a.seconds, seed: a.seed, ..GradBenchConfig::default() };
            let report = run_grad_bench(&config)?;
            print!("{}", report.table());
            println!("{}", report.json_line());
            Ok(())
        }
    }
}
