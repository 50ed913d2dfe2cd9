//! `oneclass`: train, score, evaluate and benchmark one-class anomaly detectors.

mod bench;
mod bench_alteration;
mod bench_common;
mod bench_mnist;
mod bench_odds;
mod bench_sad;
mod bench_speed;
mod bench_ogae;
mod bench_toll;
mod bench_toll_images;
mod bench_volumes;
mod cmd_data;
mod demo;
mod eval;
mod fit;
mod fit_deep;
mod fit_shallow;
mod io;
mod score;

use clap::{Parser, Subcommand};

// Many small, short-lived buffers (the minibatch OCSVM solves thousands of tiny problems per
// epoch): mimalloc keeps them off the system allocator's slow paths.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "oneclass", version, about = "Deep and shallow one-class anomaly detection: fit, score, evaluate, reproduce.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fit a detector on training data and write a model file.
    Fit(fit::FitArgs),
    /// Score rows with a model file: one anomaly score per row (higher = more anomalous).
    Score(score::ScoreArgs),
    /// The codes of a deep model's encoder, one row per input row (.npy).
    Embed(score::EmbedArgs),
    /// Evaluate anomaly scores against 0/1 labels (1 = anomaly); prints JSON.
    Eval(eval::EvalArgs),
    /// Fit, score and evaluate a one-class SVM on a built-in real dataset (ODDS thyroid).
    Demo(demo::DemoArgs),
    /// Build datasets: MNIST-C corruptions and the papers' protocols.
    #[command(subcommand)]
    Data(cmd_data::DataCommand),
    /// Benchmarks.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Fit(a) => fit::run(a),
        Command::Score(a) => score::run(a),
        Command::Embed(a) => score::embed(a),
        Command::Eval(a) => eval::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Data(c) => cmd_data::run(c),
        Command::Bench(c) => bench::run(c),
    };
    if let Err(e) = result {
        eprintln!("oneclass: error: {}", error_text(&e));
        std::process::exit(1);
    }
}

/// The error and its causes joined by ": ", skipping a cause whose text the message already
/// holds (the data and engine errors print their source themselves, so `{:#}` would repeat it).
fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::error_text;

    #[test]
    fn causes_already_in_the_message_are_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory (os error 2)");
        let data = oneclass_data::DataError::io(std::path::Path::new("d/m.ckpt"), "create a temporary file next to it", io);
        let e = anyhow::Error::new(data).context("fitting ae");
        assert_eq!(error_text(&e), "fitting ae: d/m.ckpt: cannot create a temporary file next to it: No such file or directory (os error 2)");
        let plain = anyhow::anyhow!("inner").context("outer");
        assert_eq!(error_text(&plain), "outer: inner");
    }
}
