//! The GPU path (`--device gpu`, burn's wgpu backend) against the CPU (flex) on real MNIST rows.
//! Compiled only with `--features wgpu`; run it where a Vulkan device exists:
//! `cargo test --release -p oneclass-deep --features wgpu --test gpu_wgpu` (a CPU Vulkan driver
//! such as Mesa's lavapipe also works: it checks the GPU code, not GPU speed).
//! Floating-point reductions run in another order on the GPU, so the two devices agree to a
//! tolerance, not bit for bit: training losses to 1e-3 relative after a few epochs, scores of one
//! model file to 1e-4 relative.
#![cfg(feature = "wgpu")]

use std::path::PathBuf;

use oneclass_data::images::named::{load_images, DatasetName, Split};
use oneclass_deep::{DeepModel, DeviceKind, FitData, Hyper, Method, Samples, TrainOptions};

fn digits(class: u16, k: usize, split: Split) -> Samples {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    let set = load_images(&DatasetName::Mnist, &dir, split).expect("MNIST under ../shared/data");
    let idx: Vec<usize> = set.indices_of_class(class).into_iter().take(k).collect();
    Samples::from_images(set.subset(&idx).to_f32().view()).expect("samples")
}

fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1e-12)
}

fn fit(method: Method, sets: &[(&str, &str)], device: DeviceKind) -> DeepModel {
    let mut h = Hyper::defaults(method);
    for (k, v) in sets {
        h.set(method, k, v).unwrap();
    }
    let train = digits(1, 300, Split::Train);
    DeepModel::fit(method, &h, FitData { train: &train, labels: None, val: None }, 7, device, &TrainOptions::default()).unwrap()
}

fn compare_devices(method: Method, sets: &[(&str, &str)]) {
    let cpu = fit(method, sets, DeviceKind::Cpu);
    let mut gpu = fit(method, sets, DeviceKind::Gpu);
    assert_eq!(cpu.meta.history.len(), gpu.meta.history.len());
    for (c, g) in cpu.meta.history.iter().zip(&gpu.meta.history) {
        assert!(relative(c.train_loss, g.train_loss) < 1e-3, "{}: epoch loss cpu {} gpu {}", method.name(), c.train_loss, g.train_loss);
    }
    // One model file scored on both devices.
    let path = std::env::temp_dir().join(format!("oneclass-gpu-test-{}-{}", std::process::id(), method.name()));
    gpu.save(&path).unwrap();
    let test = digits(0, 100, Split::Test);
    let on_cpu = DeepModel::load(&path, DeviceKind::Cpu).unwrap().score(&test).unwrap();
    let on_gpu = DeepModel::load(&path, DeviceKind::Gpu).unwrap().score(&test).unwrap();
    for (a, b) in on_cpu.iter().zip(&on_gpu) {
        assert!(relative(*a, *b) < 1e-4, "{}: score cpu {a} gpu {b}", method.name());
    }
}

#[test]
fn conv_autoencoder_trains_and_scores_alike_on_both_devices() {
    compare_devices(Method::Ae, &[("net", "ogae-mnist"), ("epochs", "2"), ("batch_size", "50")]);
}

#[test]
fn deep_svdd_lenet_trains_and_scores_alike_on_both_devices() {
    compare_devices(Method::DeepSvdd, &[("net", "mnist-lenet"), ("epochs", "2"), ("pretrain_epochs", "1"), ("milestones", ""), ("pretrain_milestones", ""), ("batch_size", "50")]);
}
