//! Hypersphere collapse of a bias-enabled Deep SVDD at a high constant learning rate, with and
//! without the regularisers of seed 003 (noise injection, variance hinge). Trains on real MNIST
//! digit-1 rows (no AE pre-training, so that only the SVDD phase acts) and prints, per epoch,
//! the latent spread the trainer's collapse guard watches (mean per-dimension within-batch
//! standard deviation of the codes), the epoch the guard flags, the spread of the test scores
//! and the AUROC of digit 1 vs digit 0 on test rows. `oneclass bench alteration
//! --collapse-only` runs the same study on seed 003's alteration protocol.
//!
//! `cargo run --release -p oneclass-deep --example collapse -- [DATA_DIR] [LR] [EPOCHS] [N_TRAIN] [NET]`
//! (defaults: ../shared/data beside the repository, 7e-3, 15, 1000, mnist-lenet-nobn-relu).
//! With `NET` = `mnist-lenet` (BatchNorm, LeakyReLU) the spread stalls at Adam's noise floor
//! instead: BatchNorm keeps the last layer's inputs at unit variance.

use oneclass_data::images::named::{load_images, DatasetName, Split};
use oneclass_deep::{collapse_flagged, DeepModel, DeviceKind, FitData, Hyper, Method, Samples, TrainOptions};

fn take(set: &oneclass_data::ImageSet, class: u16, k: usize) -> Samples {
    let idx: Vec<usize> = set.indices_of_class(class).into_iter().take(k).collect();
    Samples::from_images(set.subset(&idx).to_f32().view()).expect("samples")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.to_string());
    let dir = arg(1, concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    let (lr, epochs, net) = (arg(2, "7e-3"), arg(3, "15"), arg(5, "mnist-lenet-nobn-relu"));
    let n_train: usize = arg(4, "1000").parse()?;
    let dir = std::path::Path::new(&dir);
    let train_set = load_images(&DatasetName::Mnist, dir, Split::Train)?;
    let test_set = load_images(&DatasetName::Mnist, dir, Split::Test)?;
    let train = take(&train_set, 1, n_train);
    let (ones, zeros) = (take(&test_set, 1, 500), take(&test_set, 0, 500));
    let mut values = ones.values.clone();
    values.extend(&zeros.values);
    let test = Samples::new(values, 1000, vec![1, 28, 28])?;
    let labels: Vec<u8> = (0..1000).map(|i| (i >= 500) as u8).collect();

    println!("bias-enabled Deep SVDD ({net}, one-class), constant lr {lr}, {epochs} epochs, {n_train} digit-1 rows, batch 50, weight decay 5e-4, no pre-training");
    // (regulariser, var_every, weight): `var_every` = 1000 keeps the variance threshold at d_0
    // (no annealing). A fixed weight must exceed the code size p (32) for the variance hinge to
    // hold: its gradient per feature variance is c/p. The adaptive weight scales the
    // regulariser with L_svdd, so it weakens as the codes shrink.
    let configs = [("none", "3", "adaptive"), ("variance", "1000", "100"), ("variance", "3", "adaptive"), ("noise", "3", "adaptive"), ("noise", "3", "100")];
    for (reg, var_every, weight) in configs {
        let mut h = Hyper::defaults(Method::DeepSvdd);
        let settings = [
            ("net", net.as_str()),
            ("bias", "true"),
            ("pretrain", "false"),
            ("lr", lr.as_str()),
            ("epochs", epochs.as_str()),
            ("milestones", ""),
            ("batch_size", "50"),
            ("regularizer", reg),
            ("var_every", var_every),
            ("reg_weight", weight),
            ("weight_decay", "5e-4"),
        ];
        for (k, v) in settings {
            h.set(Method::DeepSvdd, k, v)?;
        }
        let model = DeepModel::fit(Method::DeepSvdd, &h, FitData { train: &train, labels: None, val: None }, 7, DeviceKind::Cpu, &TrainOptions::default())?;
        let spreads: Vec<f64> = model.meta.history.iter().map(|r| r.latent_spread).collect();
        let flagged = spreads.iter().position(|&s| collapse_flagged(spreads[0], s));
        let scores = model.score(&test)?;
        let mean = scores.iter().sum::<f64>() / scores.len() as f64;
        let std = (scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / scores.len() as f64).sqrt();
        let auc = oneclass_metrics::auroc(&scores, &labels)?;
        let name = match reg {
            "none" => "none".to_string(),
            "variance" if var_every == "1000" => format!("variance (weight {weight}, fixed d_0)"),
            _ => format!("{reg} (weight {weight})"),
        };
        println!("{name}: spread per epoch [{}]", spreads.iter().map(|s| format!("{s:.1e}")).collect::<Vec<_>>().join(" "));
        println!(
            "{name}: guard {}, last/first spread {:.2e}, test scores mean {mean:.2e} std {std:.2e}, AUROC 1 vs 0 {auc:.3}",
            flagged.map_or("not flagged".to_string(), |e| format!("flagged at epoch {e}")),
            spreads.last().expect("epochs") / spreads[0]
        );
    }
    Ok(())
}
