//! Regularised Deep SVDD (seed 003) and Toll (seed 002) on real MNIST rows (digit 1 = normal,
//! digit 0 = anomaly), with tiny budgets; thresholds are stated per test.

use std::path::PathBuf;
use std::sync::OnceLock;

use oneclass_data::images::named::{load_images, DatasetName, Split};
use oneclass_deep::{DeepModel, DeviceKind, FitData, Hyper, Method, Regularizer, Samples, Selection, TrainOptions};

struct Mnist {
    /// 300 training images of digit 1.
    train_ones: Samples,
    /// Validation: 100 further training images of digit 1, then 100 of digit 0.
    val: Samples,
    val_labels: Vec<u8>,
    /// 200 test images of digit 1, then 200 of digit 0.
    test: Samples,
    test_labels: Vec<u8>,
}

fn concat(a: &Samples, b: &Samples) -> Samples {
    let mut values = a.values.clone();
    values.extend(&b.values);
    Samples::new(values, a.n + b.n, a.sample_shape.clone()).expect("samples")
}

fn mnist() -> &'static Mnist {
    static DATA: OnceLock<Mnist> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
        assert!(dir.join("mnist").is_dir(), "MNIST not found under {} (CI has /work/shared/data)", dir.display());
        let train = load_images(&DatasetName::Mnist, &dir, Split::Train).expect("MNIST train");
        let test = load_images(&DatasetName::Mnist, &dir, Split::Test).expect("MNIST test");
        let take = |set: &oneclass_data::ImageSet, class: u16, skip: usize, k: usize| {
            let idx: Vec<usize> = set.indices_of_class(class).into_iter().skip(skip).take(k).collect();
            Samples::from_images(set.subset(&idx).to_f32().view()).expect("samples")
        };
        let labels = |n: usize| -> Vec<u8> { (0..2 * n).map(|i| (i >= n) as u8).collect() };
        Mnist {
            train_ones: take(&train, 1, 0, 300),
            val: concat(&take(&train, 1, 300, 100), &take(&train, 0, 0, 100)),
            val_labels: labels(100),
            test: concat(&take(&test, 1, 0, 200), &take(&test, 0, 0, 200)),
            test_labels: labels(200),
        }
    })
}

fn hyper(method: Method, sets: &[(&str, &str)]) -> Hyper {
    let mut h = Hyper::defaults(method);
    for (k, v) in sets {
        h.set(method, k, v).expect("valid setting");
    }
    h
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oneclass-regdsvdd-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Bias-enabled Deep SVDD accepts each regulariser in the one-class and soft-boundary modes
/// and Deep SAD accepts them with labeled anomalies; the noise head is gone from the saved
/// model (removed at test time), and the scores separate 1 from 0 after 3 epochs without
/// pre-training (AUROC > 0.8; measured 0.90 with noise, 0.99 with variance).
#[test]
fn regularised_variants_train_and_drop_the_noise_head() {
    let d = mnist();
    let base = [("bias", "true"), ("pretrain", "false"), ("epochs", "3"), ("milestones", ""), ("lr", "1e-3"), ("batch_size", "50"), ("noise_k", "16")];
    for (method, objective, reg) in [
        (Method::DeepSvdd, "one-class", "noise"),
        (Method::DeepSvdd, "soft-boundary", "variance"),
        (Method::DeepSad, "", "noise"),
        (Method::DeepSad, "", "variance"),
    ] {
        let mut sets = base.to_vec();
        sets.push(("regularizer", reg));
        if !objective.is_empty() {
            sets.extend([("objective", objective), ("warm_up_epochs", "1")]);
        }
        let h = hyper(method, &sets);
        assert_eq!(h.regularizer, if reg == "noise" { Regularizer::Noise } else { Regularizer::Variance });
        let (train, labels) = if method == Method::DeepSad {
            // 280 unlabeled ones and 20 labeled zeros (from the validation part).
            let mut labels = vec![0i8; 300];
            let zeros = d.val.values[100 * 784..120 * 784].to_vec();
            let mut values = d.train_ones.values[..280 * 784].to_vec();
            values.extend(zeros);
            labels[280..].iter_mut().for_each(|y| *y = -1);
            (Samples::new(values, 300, vec![1, 28, 28]).unwrap(), Some(labels))
        } else {
            (d.train_ones.clone(), None)
        };
        let mut model = DeepModel::fit(method, &h, FitData { train: &train, labels: labels.as_deref(), val: None }, 5, DeviceKind::Cpu, &TrainOptions::default()).unwrap();
        assert!(!model.meta.has_head, "{method:?}/{reg}: the noise head must be removed");
        assert!(model.meta.history.iter().all(|r| r.train_loss.is_finite() && r.latent_spread > 0.0));
        let scores = model.score(&d.test).unwrap();
        let auc = oneclass_metrics::auroc(&scores, &d.test_labels).unwrap();
        eprintln!("{method:?} {objective} {reg}: AUROC {auc:.4}");
        assert!(auc > 0.8, "{method:?} {objective} {reg}: AUROC {auc}");
        let path = tmp(&format!("reg-{}-{reg}.json", method.name()));
        model.save(&path).unwrap();
        let again = DeepModel::load(&path, DeviceKind::Cpu).unwrap();
        assert_eq!(again.meta.hyper.regularizer, h.regularizer);
        let s2 = again.score(&d.test).unwrap();
        assert!(scores.iter().zip(&s2).all(|(a, b)| a.to_bits() == b.to_bits()));
    }
}

fn small_toll(select: &str) -> Hyper {
    // ogae-mnist (bias, affine BN) keeps the test fast on a CPU; β = 1 because the pixels are
    // in [0, 1] (the paper's β = 1000 goes with z-scored pixels and a much wider network).
    hyper(
        Method::Toll,
        &[("net", "ogae-mnist"), ("iterations", "60"), ("checkpoint_every", "20"), ("batch_size", "50"), ("lr", "1e-3"), ("beta", "1"), ("select", select)],
    )
}

/// A 60-iteration Toll run separates digit 0 from digit 1 (AUROC > 0.9; measured 0.9998),
/// keeps 3 checkpoints' history, records `select=last`, and reloads to bit-identical scores.
#[test]
fn toll_separates_digits_and_reloads_bit_exactly() {
    let d = mnist();
    let h = small_toll("last");
    let mut model = DeepModel::fit(Method::Toll, &h, FitData { train: &d.train_ones, labels: None, val: None }, 3, DeviceKind::Cpu, &TrainOptions::default()).unwrap();
    let iters: Vec<usize> = model.meta.history.iter().map(|r| r.epoch).collect();
    assert_eq!(iters, vec![20, 40, 60]);
    assert!(model.meta.history[2].train_loss < model.meta.history[0].train_loss);
    let sel = model.meta.selection.clone().expect("selection recorded");
    assert_eq!((sel.rule, sel.iteration, sel.value, sel.checkpoints, sel.every), (Selection::Last, 60, None, 3, 20));
    let scores = model.score(&d.test).unwrap();
    let auc = oneclass_metrics::auroc(&scores, &d.test_labels).unwrap();
    eprintln!("Toll AUROC {auc:.4}");
    assert!(auc > 0.9, "Toll AUROC {auc}");
    let path = tmp("toll.json");
    model.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"rule\": \"last\""), "selection rule in the model file");
    let again = DeepModel::load(&path, DeviceKind::Cpu).unwrap();
    assert_eq!(again.meta.selection, model.meta.selection);
    let s2 = again.score(&d.test).unwrap();
    assert!(scores.iter().zip(&s2).all(|(a, b)| a.to_bits() == b.to_bits()));
}

/// `val-loss` keeps the checkpoint with the lowest validation loss: its recorded value is the
/// minimum of the history's validation losses and the kept model's mean validation score
/// (relative 1e-9). `val-auroc` records the AUROC of the kept model on the labelled split.
#[test]
fn toll_selection_rules_are_applied_and_recorded() {
    let d = mnist();
    let fit = |select: &str, labels: Option<&[u8]>| {
        DeepModel::fit_with_val_labels(Method::Toll, &small_toll(select), FitData { train: &d.train_ones, labels: None, val: Some(&d.val) }, labels, 4, DeviceKind::Cpu, &TrainOptions::default())
    };
    let m = fit("val-loss", None).unwrap();
    let sel = m.meta.selection.clone().unwrap();
    assert_eq!(sel.rule, Selection::ValLoss);
    let losses: Vec<(usize, f64)> = m.meta.history.iter().map(|r| (r.epoch, r.val_loss.unwrap())).collect();
    let (best_it, best) = losses.iter().fold((0, f64::INFINITY), |a, &(i, v)| if v < a.1 { (i, v) } else { a });
    assert_eq!(sel.iteration, best_it);
    assert_eq!(sel.value, Some(best));
    let mean = m.score(&d.val).unwrap().iter().sum::<f64>() / d.val.n as f64;
    assert!((mean - best).abs() <= 1e-9 * best, "{mean} vs {best}");

    let m = fit("val-auroc", Some(&d.val_labels)).unwrap();
    let sel = m.meta.selection.clone().unwrap();
    assert_eq!(sel.rule, Selection::ValAuroc);
    assert_eq!(sel.iteration % 20, 0);
    let auc = oneclass_metrics::auroc(&m.score(&d.val).unwrap(), &d.val_labels).unwrap();
    assert!((sel.value.unwrap() - auc).abs() < 1e-12, "{:?} vs {auc}", sel.value);

    // Selection rules that need data refuse to run without it.
    assert!(fit("val-auroc", None).is_err());
    let no_val = DeepModel::fit(Method::Toll, &small_toll("val-loss"), FitData { train: &d.train_ones, labels: None, val: None }, 4, DeviceKind::Cpu, &TrainOptions::default());
    assert!(no_val.is_err());
}

/// A Toll fit interrupted at a candidate continues from its checkpoint to the same model as an
/// uninterrupted fit (bit for bit: history but its timings, kept candidate, scores); a fit asking for more
/// iterations than a checkpoint holds extends it exactly; a checkpoint of other settings is
/// refused; a finished fit removes its checkpoint.
#[test]
fn toll_resumes_and_extends_from_its_checkpoint_exactly() {
    let d = mnist();
    let data = FitData { train: &d.train_ones, labels: None, val: Some(&d.val) };
    let with_iterations = |n: &str| {
        let mut h = small_toll("val-loss");
        h.set(Method::Toll, "iterations", n).unwrap();
        h
    };
    let fit = |h: &Hyper, opts: &TrainOptions| DeepModel::fit(Method::Toll, h, data, 5, DeviceKind::Cpu, opts);
    let straight = fit(&with_iterations("100"), &TrainOptions::default()).unwrap();
    let want = straight.score(&d.test).unwrap();
    let same = |m: &DeepModel, what: &str| {
        let untimed = |m: &DeepModel| m.meta.history.iter().map(|r| oneclass_deep::EpochRecord { seconds: 0.0, ..r.clone() }).collect::<Vec<_>>();
        assert_eq!(untimed(m), untimed(&straight), "{what}: history");
        assert_eq!(m.meta.selection, straight.meta.selection, "{what}: kept candidate");
        let got = m.score(&d.test).unwrap();
        assert!(got.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()), "{what}: scores differ");
    };

    let prefix = tmp("toll-resume");
    let ckpt = PathBuf::from(format!("{}.toll.ckpt", prefix.display()));
    let stop_at = |k: usize| TrainOptions { checkpoint: Some(prefix.clone()), resume: true, progress: false, stop_after_epochs: Some(k) };
    let resume = TrainOptions { checkpoint: Some(prefix.clone()), resume: true, progress: false, stop_after_epochs: None };
    match fit(&with_iterations("100"), &stop_at(40)) {
        Err(oneclass_deep::DeepError::Interrupted { epoch: 40, .. }) => {}
        other => panic!("expected an interruption at iteration 40, got {:?}", other.map(|m| m.meta.selection)),
    }
    // The checkpoint's metadata (after 16 magic bytes and its 8-byte length) holds the timed
    // history of iterations 20 and 40: a resumed fit takes it over instead of training again.
    let bytes = std::fs::read(&ckpt).unwrap();
    let len = u64::from_le_bytes(bytes[16..24].try_into().unwrap()) as usize;
    let meta: serde_json::Value = serde_json::from_slice(&bytes[24..24 + len]).unwrap();
    let saved_seconds: Vec<f64> = meta["history"].as_array().unwrap().iter().map(|r| r["seconds"].as_f64().unwrap()).collect();
    assert_eq!((meta["iterations_done"].as_u64(), saved_seconds.len()), (Some(40), 2));
    let resumed = fit(&with_iterations("100"), &resume).unwrap();
    same(&resumed, "interrupted at 40, resumed");
    assert_eq!(resumed.meta.history[..2].iter().map(|r| r.seconds).collect::<Vec<_>>(), saved_seconds, "iterations 1-40 were trained again");
    assert!(!ckpt.exists(), "a finished fit removes its checkpoint");

    // A 60-iteration fit stopped at 40, then asked for 100: the 100-iteration fit.
    assert!(fit(&with_iterations("60"), &stop_at(40)).is_err());
    same(&fit(&with_iterations("100"), &resume).unwrap(), "extended from 60");

    assert!(fit(&with_iterations("100"), &stop_at(20)).is_err());
    for (key, value) in [("lr", "2e-3"), ("weight_decay", "1e-3")] {
        let mut other = with_iterations("100");
        other.set(Method::Toll, key, value).unwrap();
        let e = fit(&other, &resume).err().expect("other settings refused").to_string();
        assert!(e.contains("toll-resume.toll.ckpt") && e.contains("other settings"), "{key}: {e}");
    }
    // Settings only other methods read do not tie the checkpoint.
    let mut unread = with_iterations("100");
    unread.noise_k += 1;
    unread.coupled.ocsvm_batches += 1;
    unread.epochs += 1;
    same(&fit(&unread, &resume).unwrap(), "resumed under settings Toll does not read");
    assert!(!ckpt.exists());
}

/// Toll's Adam takes `weight_decay` (seed 002 uses none, the default): a decayed fit differs.
#[test]
fn toll_applies_weight_decay() {
    let d = mnist();
    let fit = |h: &Hyper| DeepModel::fit(Method::Toll, h, FitData { train: &d.train_ones, labels: None, val: None }, 3, DeviceKind::Cpu, &TrainOptions::default()).unwrap();
    let plain = small_toll("last");
    let mut decayed = plain.clone();
    decayed.set(Method::Toll, "weight_decay", "0.1").unwrap();
    let (a, b) = (fit(&plain).score(&d.test).unwrap(), fit(&decayed).score(&d.test).unwrap());
    let rel = a.iter().zip(&b).map(|(x, y)| (x - y).abs() / x.abs().max(1e-12)).fold(0.0f64, f64::max);
    assert!(rel > 1e-3, "weight decay 0.1 changed no score by more than {rel}");
}

/// Mean per-feature (unbiased) variance of the model's codes of `x`.
fn mean_code_variance(model: &DeepModel, x: &Samples) -> f64 {
    let codes = model.codes(x);
    let p = codes.len() / x.n;
    (0..p)
        .map(|q| {
            let col: Vec<f64> = codes.iter().skip(q).step_by(p).copied().collect();
            let m = col.iter().sum::<f64>() / col.len() as f64;
            col.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (col.len() - 1) as f64
        })
        .sum::<f64>()
        / p as f64
}

/// The collapse demonstration (seed 003, section IV-A): a bias-enabled, unregularised Deep SVDD
/// at lr 1e-2 (no pre-training, Adam, weight decay 5e-4; 300 rows, 20 epochs) shrinks its codes
/// towards the centre — the guard's within-batch latent spread falls more than 5× (measured
/// 7.8×: 0.147 → 0.0187; BatchNorm keeps the last layer's inputs at unit variance and Adam's
/// step size leaves a noise floor ∝ lr on its weights, so this LeNet never reaches the guard's
/// 1/1000 flag; `mnist-lenet-nobn-relu` does, see `tests/collapse_mnist.rs`) — while the variance hinge with a fixed threshold
/// d_0 = 0.1 and a fixed weight 100 (> p = 32, so that its per-feature pull c/p beats the SVDD
/// term's ≈ 1) keeps the spread more than 8× higher (measured 16×) and the codes' mean variance
/// above 0.05 and 100× the unregularised one (measured 0.126 vs 3.5e-4).
#[test]
fn variance_regulariser_prevents_the_collapse_of_a_bias_network() {
    let d = mnist();
    let run = |reg: &str| {
        let h = hyper(
            Method::DeepSvdd,
            &[("bias", "true"), ("pretrain", "false"), ("lr", "1e-2"), ("epochs", "20"), ("milestones", ""), ("batch_size", "50"), ("weight_decay", "5e-4"), ("regularizer", reg), ("reg_weight", "100"), ("var_every", "1000")],
        );
        DeepModel::fit(Method::DeepSvdd, &h, FitData { train: &d.train_ones, labels: None, val: None }, 7, DeviceKind::Cpu, &TrainOptions::default()).unwrap()
    };
    let plain = run("none");
    let reg = run("variance");
    let spread = |m: &DeepModel| (m.meta.history[0].latent_spread, m.meta.history.last().unwrap().latent_spread);
    let ((p0, p1), (r0, r1)) = (spread(&plain), spread(&reg));
    let (vp, vr) = (mean_code_variance(&plain, &d.train_ones), mean_code_variance(&reg, &d.train_ones));
    eprintln!("unregularised: spread {p0:.3e} → {p1:.3e}, code variance {vp:.3e}; variance-regularised: spread {r0:.3e} → {r1:.3e}, code variance {vr:.3e}");
    assert!(p1 < p0 / 5.0, "unregularised spread {p0} → {p1}");
    assert!(r1 > 8.0 * p1, "regularised spread {r1} vs unregularised {p1}");
    assert!(vr >= 0.05 && vr > 100.0 * vp, "code variance {vr} (regularised) vs {vp}");
}

/// Toll's default image network is seed 002's appendix B.1 auto-encoder with the preset's z:
/// a short fit on MNIST trains it (the training loss falls), records it in the model file, and
/// reloads to bit-identical scores. With `net=toll-cifar`'s fixed 64-value code a VAE is
/// refused by name. (A handful of iterations of 4 images: the network costs ≈ 64 ms per image.)
#[test]
fn toll_trains_the_papers_mnist_network_by_default() {
    let d = mnist();
    let h = hyper(Method::Toll, &[("preset", "mnist"), ("iterations", "6"), ("checkpoint_every", "2"), ("batch_size", "4"), ("lr", "1e-3")]);
    assert_eq!(h.net, "auto");
    let train = d.train_ones.subset(&(0..40).collect::<Vec<_>>());
    let mut model = DeepModel::fit(Method::Toll, &h, FitData { train: &train, labels: None, val: None }, 1, DeviceKind::Cpu, &TrainOptions::default()).unwrap();
    let oneclass_deep::NetConfig::Layered(net) = &model.meta.net else { panic!("the appendix B.1 network, got {:?}", model.meta.net) };
    assert_eq!((net.encoder.len(), net.decoder.len(), net.rep_dim, net.dense_code, net.output_sigmoid), (5, 5, 128, true, false));
    let losses: Vec<f64> = model.meta.history.iter().map(|r| r.train_loss).collect();
    assert_eq!(losses.len(), 3);
    assert!(losses[2] < losses[0], "training loss should fall: {losses:?}");
    let few = d.test.subset(&[0, 1, 2, 3, 200, 201, 202, 203]);
    let scores = model.score(&few).unwrap();
    let path = tmp("toll-b1.json");
    model.save(&path).unwrap();
    let again = DeepModel::load(&path, DeviceKind::Cpu).unwrap();
    let s2 = again.score(&few).unwrap();
    assert!(scores.iter().zip(&s2).all(|(a, b)| a.to_bits() == b.to_bits()));

    let vae = hyper(Method::Vae, &[("net", "toll-cifar")]);
    let e = oneclass_deep::resolve_net(Method::Vae, &vae, &[3, 32, 32]).unwrap_err().to_string();
    assert!(e.contains("toll-cifar") && e.contains("fixed"), "{e}");
}
