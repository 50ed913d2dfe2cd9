//! Prints the `ocsvm-grad` benchmark table and, last, its JSON line.
//! Run with `cargo run --release -p oneclass-svm --example ocsvm_grad_bench [n ...]`
//! (default sizes 50, 128, 256).

use oneclass_svm::diff::bench::{run_grad_bench, GradBenchConfig};

fn main() {
    let mut config = GradBenchConfig::default();
    let sizes: Result<Vec<usize>, _> = std::env::args().skip(1).map(|a| a.parse::<usize>()).collect();
    match sizes {
        Ok(sizes) if !sizes.is_empty() => {
            config.seed001_sizes = sizes.clone();
            config.sizes = sizes;
        }
        Ok(_) => {}
        Err(e) => {
            eprintln!("usage: ocsvm_grad_bench [n ...] (support-half sizes): {e}");
            std::process::exit(2);
        }
    }
    match run_grad_bench(&config) {
        Ok(report) => {
            print!("{}", report.table());
            println!("{}", report.json_line());
        }
        Err(e) => {
            eprintln!("ocsvm-grad benchmark failed: {e}");
            std::process::exit(1);
        }
    }
}
