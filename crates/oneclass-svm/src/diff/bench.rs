//! Benchmark of the OCSVM-guidance layer: solve + full VJP per minibatch (`oneclass bench
//! ocsvm-grad`). Timings are wall-clock medians over many repetitions, one thread, then the
//! batched throughput on a dedicated rayon pool.

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::Serialize;

use super::layer::{DecisionScale, GradientPath, OcsvmLayer};
use super::solution::SmallOcsvm;
use super::{DiffError, DiffResult};

/// The reference path's cost per minibatch (cvxpylayers: SCS + diffcp, forward + backward,
/// n = 50, d = 32, measured on this kind of machine; `shared/docs/ocsvm.md`).
pub const REFERENCE_CVXPYLAYERS_MS: f64 = 15.0;

#[derive(Clone, Debug, Serialize)]
pub struct GradBenchConfig {
    /// Support-half sizes n for the setting: rbf, γ = "scale", no standardisation, no
    /// jitter (the query half has n points too, as a minibatch of 2n split in halves).
    pub sizes: Vec<usize>,
    /// Sizes also timed with the seed-001 layer settings (per-half standardisation, jitter 1e-8).
    pub seed001_sizes: Vec<usize>,
    pub d: usize,
    pub nu: f64,
    /// Distinct random minibatches cycled through per size.
    pub distinct_problems: usize,
    /// Each size is repeated until both this many repetitions and `seconds_per_size` are reached...
    pub min_repetitions: usize,
    pub seconds_per_size: f64,
    /// ...but never more than this many repetitions.
    pub max_repetitions: usize,
    /// Batched throughput: problems per batch (plain setting, n = the first of `sizes`) and threads.
    pub batch_problems: usize,
    pub batch_threads: usize,
    pub seed: u64,
}

impl Default for GradBenchConfig {
    fn default() -> Self {
        GradBenchConfig {
            sizes: vec![50, 128, 256],
            seed001_sizes: vec![50, 128, 256],
            d: 32,
            nu: 0.1,
            distinct_problems: 64,
            min_repetitions: 200,
            seconds_per_size: 1.0,
            max_repetitions: 100_000,
            batch_problems: 4000,
            batch_threads: 2,
            seed: 20240601,
        }
    }
}

/// The two layer settings timed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BenchSetting {
    /// rbf, γ = "scale", ν, no standardisation, no jitter (the benchmark).
    Plain,
    /// Seed 001's settings: per-half standardisation, K + 1e-8·I.
    Seed001,
}

impl BenchSetting {
    fn svm(self, nu: f64) -> SmallOcsvm {
        match self {
            BenchSetting::Plain => SmallOcsvm::new(nu),
            BenchSetting::Seed001 => SmallOcsvm::seed001(nu),
        }
    }

    fn label(self) -> &'static str {
        match self {
            BenchSetting::Plain => "plain",
            BenchSetting::Seed001 => "seed-001",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct GradBenchRow {
    pub setting: BenchSetting,
    pub n: usize,
    pub d: usize,
    pub repetitions: usize,
    pub median_us: f64,
    pub p90_us: f64,
    pub min_us: f64,
    pub mean_free: f64,
    pub mean_support: f64,
    pub mean_smo_iterations: f64,
    /// Problems (of the distinct ones) with a degeneracy flag.
    pub degenerate: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct BatchThroughput {
    pub n: usize,
    pub problems: usize,
    pub threads: usize,
    pub problems_per_s: f64,
    pub single_thread_problems_per_s: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct GradBenchReport {
    pub config: GradBenchConfig,
    pub rows: Vec<GradBenchRow>,
    pub batch: BatchThroughput,
}

/// One minibatch: support half, query half, upstream gradient ∂ℓ/∂f.
struct Problem {
    z_svm: Vec<f64>,
    z_l: Vec<f64>,
    g_f: Vec<f64>,
}

/// 4-component Gaussian mixture in d dimensions: centres ~ N(0, 3²I), component stds
/// 1, 0.5, 1.5, 0.8 (the shape of the fixtures' data).
fn mixture_rows(rng: &mut ChaCha8Rng, centres: &[Vec<f64>], rows: usize) -> Vec<f64> {
    const STDS: [f64; 4] = [1.0, 0.5, 1.5, 0.8];
    let d = centres[0].len();
    let mut out = Vec::with_capacity(rows * d);
    for _ in 0..rows {
        let comp = rng.random_range(0..centres.len());
        for &centre in &centres[comp] {
            let e: f64 = StandardNormal.sample(rng);
            out.push(centre + STDS[comp] * e);
        }
    }
    out
}

fn problems(seed: u64, count: usize, n: usize, d: usize) -> Vec<Problem> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let centres: Vec<Vec<f64>> = (0..4).map(|_| (0..d).map(|_| { let e: f64 = StandardNormal.sample(&mut rng); 3.0 * e }).collect()).collect();
    (0..count)
        .map(|_| {
            let z_svm = mixture_rows(&mut rng, &centres, n);
            let z_l = mixture_rows(&mut rng, &centres, n);
            let g_f = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
            Problem { z_svm, z_l, g_f }
        })
        .collect()
}

/// Forward + full backward (both paths) of one minibatch; returns a checksum so the work
/// cannot be optimised away.
fn step(layer: &OcsvmLayer, p: &Problem, n: usize, d: usize) -> DiffResult<f64> {
    let (f, tape) = layer.forward(&p.z_svm, n, &p.z_l, n, d)?;
    let g = tape.backward(&p.g_f, GradientPath::Both)?;
    Ok(f[0] + g.z_svm[0] + g.z_l[0])
}

fn quantile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Runs the benchmark: layer forward (solve on z_svm, f(z_L)) + backward along both paths to
/// z_svm and z_L, libsvm-scale output, one thread; then the batched throughput (plain setting,
/// first size) on 1 thread and on `batch_threads`.
pub fn run_grad_bench(config: &GradBenchConfig) -> DiffResult<GradBenchReport> {
    let d = config.d;
    let mut rows = Vec::new();
    let mut sink = 0.0;
    // Largest problems first: a training loop runs one size for a long time, and timing a
    // large size after small ones measured glibc's heap adapting instead (it returned the
    // freed 512 KB kernel matrix of n = 256 to the OS and faulted it back in on every call,
    // 2.5x slower). Rows are listed by setting and size afterwards.
    let mut plan: Vec<(BenchSetting, usize)> =
        config.sizes.iter().map(|&n| (BenchSetting::Plain, n)).chain(config.seed001_sizes.iter().map(|&n| (BenchSetting::Seed001, n))).collect();
    plan.sort_by_key(|&(setting, n)| (std::cmp::Reverse(n), setting == BenchSetting::Seed001));
    for (setting, n) in plan {
        let layer = OcsvmLayer::new(setting.svm(config.nu), DecisionScale::Libsvm)?;
        // Same minibatches for both settings at a given n.
        let set = problems(config.seed.wrapping_add(n as u64), config.distinct_problems.max(1), n, d);
        let (mut free, mut support, mut iterations, mut degenerate) = (0usize, 0usize, 0usize, 0usize);
        for p in &set {
            let (_, tape) = layer.forward(&p.z_svm, n, &p.z_l, n, d)?;
            let sol = tape.solution();
            free += sol.free().len();
            support += sol.support().len();
            iterations += sol.smo_iterations();
            degenerate += usize::from(sol.degeneracy().any() || tape.query_constant_features() > 0);
        }
        // Warm-up pass over the set, then timed repetitions.
        for p in &set {
            sink += step(&layer, p, n, d)?;
        }
        let mut times = Vec::new();
        let started = Instant::now();
        while times.len() < config.max_repetitions && (times.len() < config.min_repetitions || started.elapsed().as_secs_f64() < config.seconds_per_size) {
            let p = &set[times.len() % set.len()];
            let t = Instant::now();
            sink += step(&layer, p, n, d)?;
            times.push(t.elapsed().as_secs_f64() * 1e6);
        }
        times.sort_by(f64::total_cmp);
        let count = set.len() as f64;
        rows.push(GradBenchRow {
            setting,
            n,
            d,
            repetitions: times.len(),
            median_us: quantile(&times, 0.5),
            p90_us: quantile(&times, 0.9),
            min_us: times[0],
            mean_free: free as f64 / count,
            mean_support: support as f64 / count,
            mean_smo_iterations: iterations as f64 / count,
            degenerate,
        });
    }

    rows.sort_by_key(|r| (r.setting == BenchSetting::Seed001, r.n));

    let n = config.sizes.first().copied().unwrap_or(50);
    let layer = OcsvmLayer::new(BenchSetting::Plain.svm(config.nu), DecisionScale::Libsvm)?;
    let set = problems(config.seed.wrapping_add(1000), config.distinct_problems.max(1), n, d);
    let batch: Vec<&Problem> = (0..config.batch_problems.max(1)).map(|i| &set[i % set.len()]).collect();
    let run_batch = |threads: usize| -> DiffResult<f64> {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().map_err(|e| DiffError::ThreadPool(e.to_string()))?;
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let t = Instant::now();
            let sums: DiffResult<Vec<f64>> = pool.install(|| batch.par_iter().map(|p| step(&layer, p, n, d)).collect());
            let elapsed = t.elapsed().as_secs_f64();
            std::hint::black_box(sums?);
            best = best.min(elapsed);
        }
        Ok(batch.len() as f64 / best)
    };
    let single = run_batch(1)?;
    let multi = run_batch(config.batch_threads.max(1))?;
    std::hint::black_box(sink);
    Ok(GradBenchReport {
        config: config.clone(),
        rows,
        batch: BatchThroughput { n, problems: batch.len(), threads: config.batch_threads.max(1), problems_per_s: multi, single_thread_problems_per_s: single },
    })
}

impl GradBenchReport {
    /// Human-readable table.
    pub fn table(&self) -> String {
        let c = &self.config;
        let mut s = String::new();
        s.push_str(&format!(
            "ocsvm-grad: exact solve + full VJP per minibatch (forward f(z_L), backward to z_svm and z_L), one thread\n\
             rbf, gamma = scale, nu = {}, d = {}, |z_L| = n; plain = no standardisation, no jitter; \
             seed-001 = per-half standardisation + 1e-8 jitter\n",
            c.nu, c.d
        ));
        s.push_str(&format!(
            "{:>9} {:>6} {:>10} {:>9} {:>9} {:>7} {:>7} {:>8} {:>9} {:>10}\n",
            "setting", "n", "median_us", "p90_us", "min_us", "reps", "mean_F", "mean_SV", "SMO_iter", "degenerate"
        ));
        for r in &self.rows {
            s.push_str(&format!(
                "{:>9} {:>6} {:>10.1} {:>9.1} {:>9.1} {:>7} {:>7.1} {:>8.1} {:>9.1} {:>7}/{}\n",
                r.setting.label(),
                r.n,
                r.median_us,
                r.p90_us,
                r.min_us,
                r.repetitions,
                r.mean_free,
                r.mean_support,
                r.mean_smo_iterations,
                r.degenerate,
                c.distinct_problems
            ));
        }
        let b = &self.batch;
        s.push_str(&format!(
            "batched (plain, n = {}): {:.0} problems/s on {} threads ({:.1} us/problem), {:.0} problems/s on 1 thread (x{:.2})\n",
            b.n,
            b.problems_per_s,
            b.threads,
            1e6 / b.problems_per_s,
            b.single_thread_problems_per_s,
            b.problems_per_s / b.single_thread_problems_per_s
        ));
        if let Some(r) = self.headline() {
            s.push_str(&format!(
                "reference path (cvxpylayers SCS + diffcp, forward + backward, n = 50, d = 32): {:.0} ms per batch = {:.0}x the plain n = {} median\n",
                REFERENCE_CVXPYLAYERS_MS,
                REFERENCE_CVXPYLAYERS_MS * 1e3 / r.median_us,
                r.n
            ));
        }
        s
    }

    /// The plain row with n = 50 (else the first row): the one the JSON line reports.
    fn headline(&self) -> Option<&GradBenchRow> {
        let plain = |r: &&GradBenchRow| r.setting == BenchSetting::Plain;
        self.rows.iter().filter(plain).find(|r| r.n == 50).or_else(|| self.rows.first())
    }

    /// `{"n":50,"d":32,"median_us":…,"p90_us":…}` for the plain n = 50 row (the first row if
    /// there is none; `null` without rows).
    pub fn json_line(&self) -> String {
        #[derive(Serialize)]
        struct Line {
            n: usize,
            d: usize,
            median_us: f64,
            p90_us: f64,
        }
        let line = self.headline().map(|r| Line { n: r.n, d: r.d, median_us: r.median_us, p90_us: r.p90_us });
        serde_json::to_string(&line).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_formats_table_and_json_line() {
        let config = GradBenchConfig {
            sizes: vec![12, 50],
            seed001_sizes: vec![12],
            d: 4,
            distinct_problems: 3,
            min_repetitions: 5,
            seconds_per_size: 0.0,
            batch_problems: 6,
            ..GradBenchConfig::default()
        };
        let report = run_grad_bench(&config).unwrap();
        assert_eq!(report.rows.len(), 3);
        assert!(report.rows.iter().all(|r| r.repetitions == 5 && r.min_us <= r.median_us && r.median_us <= r.p90_us));
        let line: serde_json::Value = serde_json::from_str(&report.json_line()).unwrap();
        assert_eq!(line["n"], 50);
        assert_eq!(line["d"], 4);
        assert_eq!(line["median_us"].as_f64(), Some(report.rows[1].median_us));
        assert!(report.json_line().starts_with("{\"n\":50,\"d\":4,\"median_us\":"));
        let table = report.table();
        assert!(table.contains("seed-001") && table.contains("batched") && table.contains("15 ms"));
    }
}
