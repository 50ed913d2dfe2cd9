//! Times IsolationForest fit + score on a table (default: ADBench 16_http, 567,498 × 3).
//! Compare with `scripts/make_shallow_fixtures.py --bench` (scikit-learn) on the same machine:
//!
//!     cargo run -p oneclass-shallow --release --example bench_iforest [-- path/to/table.npz]

use oneclass_data::{read_table, TableOptions};
use oneclass_shallow::IsolationForest;
use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/data/adbench/16_http.npz")
        });
    let table = read_table(&path, &TableOptions::default())?;
    let x = table.x;
    println!(
        "{}: {} × {}, {} threads",
        path.display(),
        x.nrows(),
        x.ncols(),
        rayon::current_num_threads()
    );
    for seed in 0..3 {
        let start = Instant::now();
        let model = IsolationForest::params().seed(seed).fit(x.view())?;
        let fitted = Instant::now();
        let scores = model.score(x.view())?;
        let done = Instant::now();
        let auroc = match &table.y {
            Some(y) => format!(
                "{:.4}",
                oneclass_metrics::auroc(scores.as_slice().unwrap_or(&scores.to_vec()), y)?
            ),
            None => "n/a".into(),
        };
        println!(
            "seed {seed}: fit {:.3}s score {:.3}s total {:.3}s AUROC {auroc}",
            (fitted - start).as_secs_f64(),
            (done - fitted).as_secs_f64(),
            (done - start).as_secs_f64()
        );
    }
    Ok(())
}
