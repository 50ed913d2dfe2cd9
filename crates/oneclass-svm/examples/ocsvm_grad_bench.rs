//! Prints the `ocsvm-grad` benchmark table and, last, its JSON line.
//! Run with `cargo run --release -p oneclass-svm --example ocsvm_grad_bench`.

use oneclass_svm::diff::bench::{run_grad_bench, GradBenchConfig};

fn main() {
    match run_grad_bench(&GradBenchConfig::default()) {
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
