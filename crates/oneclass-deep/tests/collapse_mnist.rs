//! Hypersphere collapse (seed 003, sections IV-A and VI) on real MNIST digit-1 rows: a
//! bias-enabled Deep SVDD on the LeNet without BatchNorm, with ReLU (`mnist-lenet-nobn-relu`),
//! no pre-training, Adam at a constant lr 7e-3, batch 50, weight decay 5e-4, 6 epochs.

use std::path::PathBuf;

use oneclass_data::images::named::{load_images, DatasetName, Split};
use oneclass_deep::{collapse_flagged, DeepModel, DeviceKind, FitData, Hyper, Method, Samples, TrainOptions};

fn take(set: &oneclass_data::ImageSet, class: u16, k: usize) -> Samples {
    let idx: Vec<usize> = set.indices_of_class(class).into_iter().take(k).collect();
    Samples::from_images(set.subset(&idx).to_f32().view()).expect("samples")
}

fn std_dev(v: &[f64]) -> f64 {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
}

/// Unregularised: the guard flags (measured: spread 1.0e-2 → 5.6e-6 by epoch 3, last/first
/// 5.5e-4 < 1e-3) and the test scores are near constant (std 1.1e-8 against 1.95 for the
/// regularised model; asserted < 1e-4 of it). Variance hinge with a fixed threshold d_0 = 0.1
/// and a fixed weight 100: not flagged, the spread ends above its first value (measured 23×).
#[test]
fn unregularised_bias_network_collapses_and_the_variance_hinge_prevents_it() {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    assert!(dir.join("mnist").is_dir(), "MNIST not found under {} (CI has /work/shared/data)", dir.display());
    let train = take(&load_images(&DatasetName::Mnist, &dir, Split::Train).expect("MNIST train"), 1, 1000);
    let test_set = load_images(&DatasetName::Mnist, &dir, Split::Test).expect("MNIST test");
    let (ones, zeros) = (take(&test_set, 1, 200), take(&test_set, 0, 200));
    let mut values = ones.values.clone();
    values.extend(&zeros.values);
    let test = Samples::new(values, 400, vec![1, 28, 28]).unwrap();
    let run = |reg: &str| {
        let mut h = Hyper::defaults(Method::DeepSvdd);
        let sets = [
            ("net", "mnist-lenet-nobn-relu"),
            ("bias", "true"),
            ("pretrain", "false"),
            ("lr", "7e-3"),
            ("epochs", "6"),
            ("milestones", ""),
            ("batch_size", "50"),
            ("weight_decay", "5e-4"),
            ("regularizer", reg),
            ("reg_weight", "100"),
            ("var_every", "1000"),
        ];
        for (k, v) in sets {
            h.set(Method::DeepSvdd, k, v).unwrap();
        }
        let m = DeepModel::fit(Method::DeepSvdd, &h, FitData { train: &train, labels: None, val: None }, 7, DeviceKind::Cpu, &TrainOptions::default()).unwrap();
        let spreads: Vec<f64> = m.meta.history.iter().map(|r| r.latent_spread).collect();
        let scores = m.score(&test).unwrap();
        (spreads, std_dev(&scores))
    };
    let (plain, plain_std) = run("none");
    let (reg, reg_std) = run("variance");
    eprintln!("unregularised: spreads {plain:?}, test score std {plain_std:.2e}; variance: spreads {reg:?}, test score std {reg_std:.2e}");
    assert!(plain.iter().any(|&s| collapse_flagged(plain[0], s)), "unregularised spreads {plain:?}");
    assert!(plain_std < 1e-4 * reg_std, "test score std {plain_std} (unregularised) vs {reg_std}");
    assert!(!reg.iter().any(|&s| collapse_flagged(reg[0], s)), "variance-regularised spreads {reg:?}");
    assert!(reg.last().unwrap() > &reg[0], "variance-regularised spreads {reg:?}");
}
