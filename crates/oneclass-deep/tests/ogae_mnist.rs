//! OgAE, DSPSVDD and DVAESVDD trained for a few steps on real MNIST rows (digit 3) with the
//! seed-001 network: finite losses, the OCSVM term logged, the final OCSVM stored, and
//! save → load → score bit-identical. A batch size that leaves a short last batch is used.

use std::path::PathBuf;

use oneclass_data::images::named::{load_images, DatasetName, Split};
use oneclass_deep::{AeScore, DeepModel, DeviceKind, FitData, Hyper, Method, Samples, TrainOptions};

fn threes(k: usize) -> Samples {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    assert!(dir.join("mnist").is_dir(), "MNIST not found under {} (CI has /work/shared/data)", dir.display());
    let train = load_images(&DatasetName::Mnist, &dir, Split::Train).expect("MNIST train");
    let idx: Vec<usize> = train.indices_of_class(3).into_iter().take(k).collect();
    Samples::from_images(train.subset(&idx).to_f32().view()).expect("samples")
}

fn fit_and_reload(method: Method, sets: &[(&str, &str)], train: &Samples) -> (DeepModel, Vec<f64>) {
    let mut h = Hyper::defaults(method);
    for (k, v) in sets {
        h.set(method, k, v).expect("valid setting");
    }
    let mut model = DeepModel::fit(method, &h, FitData { train, labels: None, val: None }, 11, DeviceKind::Cpu, &TrainOptions::default()).expect("fit");
    assert!(model.meta.history.iter().all(|r| r.train_loss.is_finite()), "{:?}", model.meta.history);
    let scores = model.score(train).expect("score");
    assert!(scores.iter().all(|s| s.is_finite()));
    let dir = std::env::temp_dir().join(format!("oneclass-ogae-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.json", method.name()));
    model.save(&path).expect("save");
    let loaded = DeepModel::load(&path, DeviceKind::Cpu).expect("load");
    let again = loaded.score(train).expect("score after load");
    assert_eq!(scores.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), again.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), "{}: reloaded scores differ", method.name());
    (loaded, scores)
}

#[test]
fn ogae_trains_logs_and_reloads_bit_identically() {
    let train = threes(230);
    // 230 rows in batches of 64: the last batch has 38 rows.
    let (model, _) = fit_and_reload(Method::Ogae, &[("epochs", "2"), ("batch_size", "64"), ("schedule", "expand-then-both:1"), ("nu", "0.1")], &train);
    let info = model.meta.ogae.as_ref().expect("OgAE log stored");
    assert_eq!(info.epochs.len(), 2);
    for log in &info.epochs {
        assert_eq!(log.batches, 4);
        assert!(log.ocsvm_term.is_finite() && log.ocsvm_term >= 0.0 && log.recon.is_finite());
        assert!(log.support_vectors >= 1.0 && log.free_support_vectors <= log.support_vectors && log.pairwise_mse > 0.0, "{log:?}");
    }
    assert_eq!((info.epochs[0].beta1, info.epochs[0].beta2), (1.0, 0.0));
    assert_eq!((info.epochs[1].beta1, info.epochs[1].beta2), (1.0, 1.0));
    let m = model.meta.ocsvm.as_ref().expect("final OCSVM stored");
    assert_eq!(m.n_features, 32);
    assert!(info.scaler.is_some());
    assert_eq!(model.meta.hyper.score, AeScore::Ocsvm);
}

/// `score=ocsvm-batches`: M minibatch OCSVMs of z_svm's size stored with the model, scores
/// finite and identical after reloading, and not those of the final OCSVM.
#[test]
fn ogae_batch_ocsvm_score_is_stored_and_reloads() {
    let train = threes(230);
    let sets = [("epochs", "1"), ("batch_size", "64"), ("nu", "0.1"), ("score", "ocsvm-batches"), ("ocsvm_batches", "4")];
    let (mut model, scores) = fit_and_reload(Method::Ogae, &sets, &train);
    let batches = &model.meta.ogae.as_ref().expect("OgAE info").batch_ocsvms;
    assert_eq!(batches.len(), 4);
    for b in batches {
        assert!(!b.coef.is_empty() && b.support.len() == b.coef.len() * 32 && b.coef.len() <= 32, "{} support vectors of a 32-row half", b.coef.len());
        assert!(b.gamma.is_some_and(|g| g > 0.0) && b.standardization.is_some());
    }
    model.meta.hyper.score = AeScore::Ocsvm;
    assert_ne!(model.score(&train).unwrap(), scores);
}

#[test]
fn dspsvdd_and_dvaesvdd_train_and_reload() {
    let train = threes(150);
    let (d, _) = fit_and_reload(Method::Dspsvdd, &[("epochs", "1"), ("pretrain_epochs", "1"), ("batch_size", "64")], &train);
    assert_eq!(d.meta.center.as_ref().map(Vec::len), Some(32));
    assert_eq!(d.meta.history.len(), 2, "pre-training and fine-tuning epochs");
    let (v, _) = fit_and_reload(Method::Dvaesvdd, &[("epochs", "1"), ("batch_size", "64")], &train);
    assert_eq!((v.meta.vae_latent, v.meta.center.as_ref().map(Vec::len)), (Some(32), Some(32)));
}

/// Early stopping on OgAE monitors the validation reconstruction alone (the recorded validation
/// loss equals the kept weights' mean reconstruction score, with λ large enough that the hinge
/// would show) and never keeps weights from before the schedule switch (the restart itself is
/// tested in `train::tests`).
#[test]
fn ogae_early_stopping_restarts_at_the_schedule_switch() {
    let all = threes(400);
    let (train, val) = (all.subset(&(0..300).collect::<Vec<_>>()), all.subset(&(300..400).collect::<Vec<_>>()));
    let mut h = Hyper::defaults(Method::Ogae);
    for (k, v) in [("epochs", "7"), ("batch_size", "50"), ("schedule", "expand-then-both:3"), ("lambda", "1000"), ("patience", "2"), ("score", "recon")] {
        h.set(Method::Ogae, k, v).unwrap();
    }
    let model = DeepModel::fit(Method::Ogae, &h, FitData { train: &train, labels: None, val: Some(&val) }, 5, DeviceKind::Cpu, &TrainOptions::default()).unwrap();
    let losses: Vec<f64> = model.meta.history.iter().map(|r| r.val_loss.expect("validation loss recorded")).collect();
    assert!(losses.len() > 3, "stopped before the switch: {losses:?}");
    let best_after = losses[3..].iter().cloned().fold(f64::INFINITY, f64::min);
    let best_before = losses[..3].iter().cloned().fold(f64::INFINITY, f64::min);
    let scores = model.score(&val).unwrap();
    let mean = scores.iter().sum::<f64>() / scores.len() as f64;
    assert!((mean - best_after).abs() <= 1e-5 * best_after, "kept weights give {mean}; best after the switch {best_after}, before {best_before}: {losses:?}");
}
