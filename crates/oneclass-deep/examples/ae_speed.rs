//! Training speed of the seed-001 MNIST auto-encoder (`ogae-mnist`): 18,000 MNIST training
//! images, batch 100, Adam 1e-3, on the chosen device. Prints seconds per epoch.
//!
//! `cargo run --release -p oneclass-deep --example ae_speed -- [DATA_DIR] [EPOCHS] [cpu|gpu]`
//! (DATA_DIR defaults to ../shared/data beside the repository; EPOCHS to 2). The backend uses
//! every core; `RAYON_NUM_THREADS=1` times one. `oneclass bench train-speed` prints this row
//! together with the CIFAR-10 LeNet and the PyTorch comparison.

use oneclass_data::images::named::{load_images, DatasetName, Split};
use oneclass_deep::{DeepModel, DeviceKind, FitData, Hyper, Method, Samples, TrainOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).cloned().unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data").to_string());
    let epochs = args.get(2).cloned().unwrap_or_else(|| "2".into());
    let device = DeviceKind::parse(args.get(3).map(String::as_str).unwrap_or("cpu"))?;
    let set = load_images(&DatasetName::Mnist, std::path::Path::new(&dir), Split::Train)?;
    let idx: Vec<usize> = (0..18_000).collect();
    let train = Samples::from_images(set.subset(&idx).to_f32().view())?;
    let mut h = Hyper::defaults(Method::Ae);
    for (k, v) in [("net", "ogae-mnist"), ("batch_size", "100"), ("lr", "1e-3"), ("epochs", epochs.as_str())] {
        h.set(Method::Ae, k, v)?;
    }
    let opts = TrainOptions { progress: true, ..TrainOptions::default() };
    let model = DeepModel::fit(Method::Ae, &h, FitData { train: &train, labels: None, val: None }, 0, device, &opts)?;
    for r in &model.meta.history {
        println!("epoch {}: loss {:.6}, {:.2} s, {:.0} images/s", r.epoch, r.train_loss, r.seconds, train.n as f64 / r.seconds);
    }
    let mean = model.meta.history.iter().map(|r| r.seconds).sum::<f64>() / model.meta.history.len() as f64;
    println!("ogae-mnist AE, 18000 images, batch 100: {mean:.2} s/epoch ({device:?})");
    Ok(())
}
