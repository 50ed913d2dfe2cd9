//! Small models trained for a few epochs on real MNIST rows (digit 1 = normal, digit 0 = anomaly).
//! Budgets are tiny so the suite stays fast; the AUROC thresholds are set well below what these
//! runs reach (stated per test) so that they are robust, yet far above chance (0.5).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use oneclass_data::images::named::{load_images, DatasetName, Split};
use oneclass_deep::{DeepError, DeepModel, DeviceKind, FitData, Hyper, Method, Samples, SemiLabel, TrainOptions};

struct Mnist {
    /// 500 training images of digit 1.
    train_ones: Samples,
    /// 100 training images of digit 7 (labeled anomalies for Deep SAD / the classifier).
    train_sevens: Samples,
    /// 200 test images of digit 1 followed by 200 of digit 0.
    test: Samples,
    test_labels: Vec<u8>,
}

fn mnist() -> &'static Mnist {
    static DATA: OnceLock<Mnist> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
        assert!(dir.join("mnist").is_dir(), "MNIST not found under {} (CI has /work/shared/data)", dir.display());
        let train = load_images(&DatasetName::Mnist, &dir, Split::Train).expect("MNIST train");
        let test = load_images(&DatasetName::Mnist, &dir, Split::Test).expect("MNIST test");
        let take = |set: &oneclass_data::ImageSet, class: u16, k: usize| {
            let idx: Vec<usize> = set.indices_of_class(class).into_iter().take(k).collect();
            Samples::from_images(set.subset(&idx).to_f32().view()).expect("samples")
        };
        let ones = take(&test, 1, 200);
        let zeros = take(&test, 0, 200);
        let mut values = ones.values.clone();
        values.extend(&zeros.values);
        let test_samples = Samples::new(values, 400, vec![1, 28, 28]).expect("test");
        let mut test_labels = vec![0u8; 200];
        test_labels.extend(vec![1u8; 200]);
        Mnist { train_ones: take(&train, 1, 500), train_sevens: take(&train, 7, 100), test: test_samples, test_labels }
    })
}

fn auroc(scores: &[f64]) -> f64 {
    oneclass_metrics::auroc(scores, &mnist().test_labels).expect("auroc")
}

fn hyper(method: Method, sets: &[(&str, &str)]) -> Hyper {
    let mut h = Hyper::defaults(method);
    for (k, v) in sets {
        h.set(method, k, v).expect("valid setting");
    }
    h
}

fn fit(method: Method, h: &Hyper, train: &Samples, labels: Option<&[SemiLabel]>, seed: u64, opts: &TrainOptions) -> oneclass_deep::Result<DeepModel> {
    DeepModel::fit(method, h, FitData { train, labels, val: None }, seed, DeviceKind::Cpu, opts)
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oneclass-deep-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn small_svdd() -> Hyper {
    hyper(
        Method::DeepSvdd,
        &[("epochs", "6"), ("pretrain_epochs", "4"), ("milestones", "4"), ("pretrain_milestones", ""), ("lr", "1e-3"), ("pretrain_lr", "1e-3"), ("batch_size", "50")],
    )
}

/// OgAE-style AE, 6 epochs: reconstruction loss falls and digit 0 reconstructs worse than 1.
#[test]
fn ae_loss_falls_and_separates_digits() {
    let d = mnist();
    let h = hyper(Method::Ae, &[("epochs", "6"), ("batch_size", "50")]);
    let model = fit(Method::Ae, &h, &d.train_ones, None, 1, &TrainOptions::default()).unwrap();
    let hist = &model.meta.history;
    assert_eq!(hist.len(), 6);
    assert!(hist[5].train_loss < 0.7 * hist[0].train_loss, "loss {} → {}", hist[0].train_loss, hist[5].train_loss);
    let auc = auroc(&model.score(&d.test).unwrap());
    assert!(auc > 0.9, "AE AUROC {auc}");
}

/// Early stopping: with a learning rate high enough that the validation loss stops improving,
/// training ends before the epoch budget and the returned weights are the best-validation ones
/// (their mean validation reconstruction error equals the smallest recorded validation loss).
#[test]
fn early_stopping_keeps_the_best_validation_weights() {
    let d = mnist();
    let val_idx: Vec<usize> = (0..200).collect();
    let val = d.test.subset(&val_idx);
    let h = hyper(Method::Ae, &[("epochs", "40"), ("batch_size", "50"), ("lr", "0.05"), ("patience", "2")]);
    let data = FitData { train: &d.train_ones, labels: None, val: Some(&val) };
    let model = DeepModel::fit(Method::Ae, &h, data, 3, DeviceKind::Cpu, &TrainOptions::default()).unwrap();
    let hist = &model.meta.history;
    assert!(hist.len() < 40, "no early stop in {} epochs", hist.len());
    let losses: Vec<f64> = hist.iter().map(|r| r.val_loss.expect("validation loss recorded")).collect();
    let best = losses.iter().cloned().fold(f64::INFINITY, f64::min);
    let last_two = &losses[losses.len() - 2..];
    assert!(last_two.iter().all(|&v| v >= best), "stopped although the last epochs improved: {losses:?}");
    let scores = model.score(&val).unwrap();
    let mean = scores.iter().sum::<f64>() / scores.len() as f64;
    assert!((mean - best).abs() <= 1e-5 * best, "kept weights give {mean}, best validation loss {best}");
}

/// The decoupled baseline: an exact OCSVM on the AE's training codes.
#[test]
fn ae_with_latent_ocsvm_scores() {
    let d = mnist();
    let h = hyper(Method::Ae, &[("epochs", "4"), ("batch_size", "50"), ("score", "ocsvm"), ("ocsvm_nu", "0.1")]);
    let model = fit(Method::Ae, &h, &d.train_ones, None, 2, &TrainOptions::default()).unwrap();
    let svm = model.meta.ocsvm.as_ref().expect("OCSVM fitted");
    assert_eq!(svm.n_features, 32);
    // ν bounds the fraction of training outliers (score > 0) from above (up to rounding).
    let train_scores = model.score(&d.train_ones).unwrap();
    let outside = train_scores.iter().filter(|&&s| s > 1e-9).count() as f64 / train_scores.len() as f64;
    assert!(outside <= 0.1 + 0.02, "fraction outside {outside}");
    // The model's score is the OCSVM's score of the codes, bit for bit.
    let scores = model.score(&d.test).unwrap();
    let codes = ndarray::Array2::from_shape_vec((400, 32), model.codes(&d.test)).unwrap();
    let direct = svm.score(codes.view()).unwrap();
    assert!(scores.iter().zip(direct.iter()).all(|(a, b)| a.to_bits() == b.to_bits()));
    // The decoupled baseline is weak (seed 001 reports 0.59 on 3 vs 8); 1 vs 0 reaches ≈ 0.69
    // after 4 epochs, so only "clearly better than chance" is asserted.
    let auc = auroc(&scores);
    assert!(auc > 0.6, "AE+OCSVM AUROC {auc}");
}

/// Deep SVDD with AE pre-training: the one-class loss falls, the centre has no coordinate
/// inside (−0.1, 0.1), scores separate the digits; save → load gives bit-identical scores.
#[test]
fn deep_svdd_trains_separates_and_reloads_bit_exactly() {
    let d = mnist();
    let h = small_svdd();
    let mut model = fit(Method::DeepSvdd, &h, &d.train_ones, None, 3, &TrainOptions::default()).unwrap();
    let main: Vec<_> = model.meta.history.iter().filter(|r| r.phase == "train").collect();
    let pre: Vec<_> = model.meta.history.iter().filter(|r| r.phase == "pretrain").collect();
    assert_eq!((pre.len(), main.len()), (4, 6));
    assert!(pre[3].train_loss < pre[0].train_loss);
    assert!(main[5].train_loss < main[0].train_loss, "svdd loss {} → {}", main[0].train_loss, main[5].train_loss);
    assert!(main.iter().all(|r| r.latent_spread > 0.0));
    let c = model.meta.center.clone().unwrap();
    assert_eq!(c.len(), 32);
    assert!(c.iter().all(|v| v.abs() >= 0.1 - 1e-7), "centre {c:?}");
    let scores = model.score(&d.test).unwrap();
    assert!(scores.iter().all(|s| *s >= 0.0));
    let auc = auroc(&scores);
    assert!(auc > 0.8, "Deep SVDD AUROC {auc}");

    let path = tmp("dsvdd.json");
    model.save(&path).unwrap();
    assert!(oneclass_deep::weights_path(&path).is_file());
    let loaded = DeepModel::load(&path, DeviceKind::Cpu).unwrap();
    let again = loaded.score(&d.test).unwrap();
    assert!(scores.iter().zip(&again).all(|(a, b)| a.to_bits() == b.to_bits()), "reloaded scores differ");
    assert_eq!(loaded.meta.history, model.meta.history);

    // A weights file that does not belong to the JSON is refused with the file named.
    std::fs::write(oneclass_deep::weights_path(&path), b"garbage").unwrap();
    match DeepModel::load(&path, DeviceKind::Cpu) {
        Err(DeepError::File { path: p, reason }) => assert!(reason.contains("hash") && p.to_string_lossy().ends_with(".safetensors"), "{reason}"),
        other => panic!("expected a file error, got {other:?}"),
    }
}

/// Same seed → same scores bit for bit; another seed → different scores.
#[test]
fn same_seed_same_scores() {
    let d = mnist();
    let h = hyper(Method::DeepSvdd, &[("epochs", "2"), ("pretrain_epochs", "1"), ("batch_size", "100"), ("lr", "1e-3")]);
    let a = fit(Method::DeepSvdd, &h, &d.train_ones, None, 7, &TrainOptions::default()).unwrap().score(&d.test).unwrap();
    let b = fit(Method::DeepSvdd, &h, &d.train_ones, None, 7, &TrainOptions::default()).unwrap().score(&d.test).unwrap();
    let c = fit(Method::DeepSvdd, &h, &d.train_ones, None, 8, &TrainOptions::default()).unwrap().score(&d.test).unwrap();
    assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    assert!(a.iter().zip(&c).any(|(x, y)| x != y));
}

/// An interrupted fit (stopped after pre-training epoch 2, then after main epoch 3) resumed
/// from its checkpoints ends with exactly the weights of an uninterrupted fit.
#[test]
fn resume_after_interruption_matches_uninterrupted_run() {
    let d = mnist();
    let h = hyper(
        Method::DeepSvdd,
        &[("epochs", "5"), ("pretrain_epochs", "3"), ("milestones", "2"), ("pretrain_milestones", "2"), ("batch_size", "100"), ("lr", "1e-3"), ("objective", "soft-boundary"), ("warm_up_epochs", "1")],
    );
    let full = fit(Method::DeepSvdd, &h, &d.train_ones, None, 11, &TrainOptions::default()).unwrap();

    let prefix = tmp("resume-model.json");
    let mut opts = TrainOptions { checkpoint: Some(prefix.clone()), resume: false, progress: false, stop_after_epochs: Some(2) };
    match fit(Method::DeepSvdd, &h, &d.train_ones, None, 11, &opts) {
        Err(DeepError::Interrupted { phase, epoch }) => assert_eq!((phase.as_str(), epoch), ("pretrain", 2)),
        other => panic!("expected an interruption, got {other:?}"),
    }
    // Resume: pre-training finishes (epoch 3 of 3), the main phase stops after 3 of 5 epochs.
    opts.resume = true;
    opts.stop_after_epochs = Some(3);
    match fit(Method::DeepSvdd, &h, &d.train_ones, None, 11, &opts) {
        Err(DeepError::Interrupted { phase, epoch }) => assert_eq!((phase.as_str(), epoch), ("train", 3)),
        other => panic!("expected an interruption, got {other:?}"),
    }
    opts.stop_after_epochs = None;
    let resumed = fit(Method::DeepSvdd, &h, &d.train_ones, None, 11, &opts).unwrap();
    assert!(!Path::new(&format!("{}.train.ckpt", prefix.display())).exists(), "checkpoints removed after success");

    assert_eq!(full.meta.center, resumed.meta.center);
    assert_eq!(full.meta.radius2.map(f64::to_bits), resumed.meta.radius2.map(f64::to_bits));
    assert!(full.meta.radius2.unwrap() > 0.0);
    let main_full: Vec<_> = full.meta.history.iter().filter(|r| r.phase == "train").map(|r| r.train_loss.to_bits()).collect();
    let main_res: Vec<_> = resumed.meta.history.iter().filter(|r| r.phase == "train").map(|r| r.train_loss.to_bits()).collect();
    assert_eq!(main_full, main_res);
    let cf = full.codes(&d.test);
    let cr = resumed.codes(&d.test);
    assert!(cf.iter().zip(&cr).all(|(a, b)| a.to_bits() == b.to_bits()), "resumed weights differ");
}

/// Deep SAD with 100 labeled anomalies (digit 7): loss falls, labeled anomalies end up far
/// from the centre, and the unseen anomaly class (0) is detected.
#[test]
fn deep_sad_uses_labeled_anomalies() {
    let d = mnist();
    let mut values = d.train_ones.values.clone();
    values.extend(&d.train_sevens.values);
    let train = Samples::new(values, 600, vec![1, 28, 28]).unwrap();
    let mut labels: Vec<SemiLabel> = vec![0; 500];
    labels.extend(vec![-1; 100]);
    let h = hyper(
        Method::DeepSad,
        &[("epochs", "6"), ("pretrain_epochs", "4"), ("milestones", ""), ("pretrain_milestones", ""), ("lr", "1e-3"), ("pretrain_lr", "1e-3"), ("batch_size", "50")],
    );
    let model = fit(Method::DeepSad, &h, &train, Some(&labels), 5, &TrainOptions::default()).unwrap();
    let main: Vec<_> = model.meta.history.iter().filter(|r| r.phase == "train").collect();
    assert!(main[5].train_loss < main[0].train_loss);
    let s_ones = model.score(&d.train_ones).unwrap();
    let s_sevens = model.score(&d.train_sevens).unwrap();
    let med = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    assert!(med(&s_sevens) > 5.0 * med(&s_ones), "sevens {} ones {}", med(&s_sevens), med(&s_ones));
    let auc = auroc(&model.score(&d.test).unwrap());
    assert!(auc > 0.8, "Deep SAD AUROC {auc}");

    // Labels must be −1/0/1 and match the row count.
    let bad = vec![0i8; 10];
    assert!(matches!(fit(Method::DeepSad, &h, &train, Some(&bad), 5, &TrainOptions::default()), Err(DeepError::Labels(_))));
}

/// VAE, Siamese AE and the supervised classifier train (loss falls) and score.
#[test]
fn vae_sae_classifier_train() {
    let d = mnist();
    for method in [Method::Vae, Method::Sae] {
        let h = hyper(method, &[("epochs", "4"), ("batch_size", "50")]);
        let model = fit(method, &h, &d.train_ones, None, 9, &TrainOptions::default()).unwrap();
        let hist = &model.meta.history;
        assert!(hist[3].train_loss < hist[0].train_loss, "{method:?} loss {} → {}", hist[0].train_loss, hist[3].train_loss);
        let auc = auroc(&model.score(&d.test).unwrap());
        assert!(auc > 0.8, "{method:?} AUROC {auc}");
    }
    let mut values = d.train_ones.values.clone();
    values.extend(&d.train_sevens.values);
    let train = Samples::new(values, 600, vec![1, 28, 28]).unwrap();
    let mut labels: Vec<SemiLabel> = vec![0; 500];
    labels.extend(vec![-1; 100]);
    let h = hyper(Method::Classifier, &[("epochs", "4"), ("batch_size", "50"), ("lr", "1e-3")]);
    let model = fit(Method::Classifier, &h, &train, Some(&labels), 9, &TrainOptions::default()).unwrap();
    assert!(model.meta.history[3].train_loss < model.meta.history[0].train_loss);
    let s7 = model.score(&d.train_sevens).unwrap();
    let s1 = model.score(&d.train_ones).unwrap();
    assert!(s7.iter().sum::<f64>() / 100.0 > s1.iter().sum::<f64>() / 500.0);
    // Without labeled anomalies the classifier has nothing to learn from.
    assert!(matches!(fit(Method::Classifier, &h, &d.train_ones, None, 9, &TrainOptions::default()), Err(DeepError::Labels(_))));
}

/// Shape errors name what was expected.
#[test]
fn scoring_wrong_shape_is_an_error() {
    let d = mnist();
    let h = hyper(Method::Ae, &[("epochs", "1"), ("batch_size", "100")]);
    let model = fit(Method::Ae, &h, &d.train_ones, None, 1, &TrainOptions::default()).unwrap();
    let wrong = Samples::new(vec![0.0; 3 * 10], 3, vec![10]).unwrap();
    match model.score(&wrong) {
        Err(DeepError::Shape { reason, .. }) => assert!(reason.contains("[1, 28, 28]"), "{reason}"),
        other => panic!("expected a shape error, got {other:?}"),
    }
}
