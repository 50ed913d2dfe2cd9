//! `oneclass fit <deep method>` and `oneclass score` on deep model files, end to end on real
//! MNIST rows (digit 1 normal, digit 0 anomalous) and the ODDS thyroid table.

use std::path::{Path, PathBuf};
use std::process::Command;

use oneclass_data::images::named::{load_images, DatasetName, Split};
use oneclass_data::{read_npy, write_npz, NpyArray};

fn data_dir() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    assert!(p.join("mnist").exists(), "missing {} (tests need ../shared beside the repository)", p.display());
    p
}

fn oneclass(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_oneclass")).args(args).output().unwrap()
}

fn ok(o: &std::process::Output) {
    assert!(o.status.success(), "stdout: {}\nstderr: {}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
}

/// `k` MNIST images of `class` from `split`, as N×1×28×28 f32 values in [0, 1].
fn digits(split: Split, class: u16, k: usize) -> Vec<f32> {
    let set = load_images(&DatasetName::Mnist, &data_dir(), split).unwrap();
    let idx: Vec<usize> = set.indices_of_class(class).into_iter().take(k).collect();
    set.subset(&idx).to_f32().into_raw_vec_and_offset().0
}

#[test]
fn deep_sad_from_npz_with_semi_target_then_score_and_reload() {
    let tmp = tempfile::tempdir().unwrap();
    let mut x = digits(Split::Train, 1, 300);
    x.extend(digits(Split::Train, 7, 50));
    let mut semi = vec![0.0f64; 300];
    semi.extend(vec![-1.0; 50]);
    let train = tmp.path().join("train.npz");
    let xa = NpyArray::from_f32(vec![350, 1, 28, 28], x).unwrap();
    let ya = NpyArray::from_f64(vec![350], semi).unwrap();
    write_npz(&train, &[("X", &xa), ("semi_target", &ya)]).unwrap();
    let mut t = digits(Split::Test, 1, 100);
    t.extend(digits(Split::Test, 0, 100));
    let test = tmp.path().join("test.npy");
    oneclass_data::write_npy(&test, &NpyArray::from_f32(vec![200, 1, 28, 28], t).unwrap()).unwrap();

    let model = tmp.path().join("sad.json");
    let sets = ["epochs=5", "pretrain_epochs=3", "milestones=", "pretrain_milestones=", "lr=1e-3", "pretrain_lr=1e-3", "batch_size=50"];
    let mut args = vec!["fit", "deep-sad", "--train", train.to_str().unwrap(), "--model", model.to_str().unwrap(), "--seed", "4", "--quiet"];
    for s in &sets {
        args.extend(["--set", s]);
    }
    ok(&oneclass(&args));
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(&model).unwrap()).unwrap();
    assert_eq!(meta["method"], "deep-sad");
    assert_eq!(meta["input_shape"], serde_json::json!([1, 28, 28]));
    assert!(Path::new(&format!("{}.safetensors", model.display())).is_file());
    assert!(!Path::new(&format!("{}.train.ckpt", model.display())).exists());

    let out_a = tmp.path().join("a.npy");
    let out_b = tmp.path().join("b.npy");
    ok(&oneclass(&["score", "--model", model.to_str().unwrap(), "--input", test.to_str().unwrap(), "--output", out_a.to_str().unwrap()]));
    ok(&oneclass(&["score", "--model", model.to_str().unwrap(), "--input", test.to_str().unwrap(), "--output", out_b.to_str().unwrap()]));
    let a = read_npy(&out_a).unwrap().to_f64();
    let b = read_npy(&out_b).unwrap().to_f64();
    assert_eq!(a.len(), 200);
    assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    let labels: Vec<u8> = (0..200).map(|i| u8::from(i >= 100)).collect();
    let auc = oneclass_metrics::auroc(&a, &labels).unwrap();
    assert!(auc > 0.8, "Deep SAD AUROC {auc}");

    // Same seed, same command → the same scores (bit for bit).
    let model2 = tmp.path().join("sad2.json");
    args[5] = model2.to_str().unwrap();
    ok(&oneclass(&args));
    let out_c = tmp.path().join("c.npy");
    ok(&oneclass(&["score", "--model", model2.to_str().unwrap(), "--input", test.to_str().unwrap(), "--output", out_c.to_str().unwrap()]));
    let c = read_npy(&out_c).unwrap().to_f64();
    assert!(a.iter().zip(&c).all(|(x, y)| x.to_bits() == y.to_bits()));

    // Scoring rows of the wrong size names the expected shape.
    let wrong = tmp.path().join("wrong.npy");
    oneclass_data::write_npy(&wrong, &NpyArray::from_f64(vec![3, 5], vec![0.5; 15]).unwrap()).unwrap();
    let o = oneclass(&["score", "--model", model.to_str().unwrap(), "--input", wrong.to_str().unwrap(), "--output", out_c.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("[1, 28, 28]"), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn mlp_deep_svdd_on_a_named_table() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("thyroid.json");
    let data = data_dir();
    let o = oneclass(&[
        "fit", "deep-svdd", "--train", "odds/thyroid", "--data-dir", data.to_str().unwrap(), "--normal-class", "0",
        "--set", "epochs=3", "--set", "pretrain_epochs=2", "--set", "lr=1e-3", "--set", "pretrain_lr=1e-3", "--set", "batch_size=128",
        "--model", model.to_str().unwrap(), "--quiet",
    ]);
    ok(&o);
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(&model).unwrap()).unwrap();
    assert_eq!(meta["net"]["kind"], "mlp");
    assert_eq!(meta["net"]["hidden"], serde_json::json!([32, 16]));
    assert_eq!(meta["preprocessing"]["table"]["kind"], "standard-min-max");
    assert_eq!(meta["history"].as_array().unwrap().len(), 5);
}

#[test]
fn bad_settings_are_refused_with_the_key_named() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("m.json");
    let data = data_dir();
    let o = oneclass(&["fit", "ae", "--train", "mnist", "--data-dir", data.to_str().unwrap(), "--set", "eta=1", "--model", model.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("eta") && err.contains("ae"), "{err}");
    let o = oneclass(&["fit", "deep-svdd", "--train", "mnist", "--data-dir", data.to_str().unwrap(), "--set", "objective=hard", "--model", model.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("objective"));
    assert!(!model.exists());
    let help = oneclass(&["fit", "deep-svdd", "--help"]);
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("pretrain_weight_decay") && text.contains("0.0005") && text.contains("[default: [50]]"), "{text}");
}

/// Image preprocessing (GCN-L1 + min-max, fitted on train) is saved in the model and applied
/// again by `oneclass score`: scoring raw pixels equals the model's own scores of transformed data.
#[test]
fn image_preprocessing_is_saved_and_applied_when_scoring() {
    let tmp = tempfile::tempdir().unwrap();
    let train = tmp.path().join("train.npy");
    oneclass_data::write_npy(&train, &NpyArray::from_f32(vec![200, 1, 28, 28], digits(Split::Train, 1, 200)).unwrap()).unwrap();
    let mut t = digits(Split::Test, 1, 60);
    t.extend(digits(Split::Test, 0, 60));
    let test = tmp.path().join("test.npy");
    oneclass_data::write_npy(&test, &NpyArray::from_f32(vec![120, 1, 28, 28], t.clone()).unwrap()).unwrap();
    let model = tmp.path().join("m.json");
    let mut args = vec!["fit", "deep-svdd", "--train", train.to_str().unwrap(), "--model", model.to_str().unwrap(), "--preprocess", "gcn-minmax", "--quiet"];
    for s in ["epochs=2", "pretrain_epochs=1", "milestones=", "pretrain_milestones=", "batch_size=50"] {
        args.extend(["--set", s]);
    }
    ok(&oneclass(&args));
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(&model).unwrap()).unwrap();
    let pre = &meta["preprocessing"]["image"];
    assert_eq!(pre["kind"], "gcn-l1-min-max", "{meta}");
    let scores = tmp.path().join("s.npy");
    ok(&oneclass(&["score", "--model", model.to_str().unwrap(), "--input", test.to_str().unwrap(), "--output", scores.to_str().unwrap()]));
    let got = read_npy(&scores).unwrap().to_f64();

    // The same transform applied here, then the library's scores.
    let fitted: oneclass_data::preprocess::ImagePreprocess = serde_json::from_value(pre.clone()).unwrap();
    let mut x = ndarray::Array4::from_shape_vec((120, 1, 28, 28), t).unwrap();
    fitted.apply(&mut x).unwrap();
    let m = oneclass_deep::DeepModel::load(&model, oneclass_deep::DeviceKind::Cpu).unwrap();
    let want = m.score(&oneclass_deep::Samples::new(x.into_iter().collect(), 120, vec![1, 28, 28]).unwrap()).unwrap();
    assert_eq!(got, want);
    // Fitting a table with an image transform is refused.
    let table = tmp.path().join("t.csv");
    std::fs::write(&table, "1,2\n3,4\n5,6\n").unwrap();
    let o = oneclass(&["fit", "deep-svdd", "--train", table.to_str().unwrap(), "--model", tmp.path().join("x.json").to_str().unwrap(), "--preprocess", "gcn-minmax", "--quiet"]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("images"));
}

/// `oneclass data protocol` writes images as uint8 pixels; `fit` and `score` must read them in
/// [0, 1] like float image files and named datasets. Before, they were read as 0–255, so a
/// model trained by a benchmark (on [0, 1]) scored such a file as one constant.
#[test]
fn eight_bit_image_files_read_like_float_images_in_fit_and_score() {
    let tmp = tempfile::tempdir().unwrap();
    let set = load_images(&DatasetName::Mnist, &data_dir(), Split::Train).unwrap();
    let mut idx: Vec<usize> = set.indices_of_class(1).into_iter().take(150).collect();
    idx.extend(set.indices_of_class(0).into_iter().take(50));
    let sub = set.subset(&idx);
    let (n, shape) = (idx.len(), vec![idx.len(), 1, 28, 28]);
    let bytes = tmp.path().join("u8.npz");
    write_npz(&bytes, &[("X", &NpyArray::from_u8(shape.clone(), sub.pixels.clone()).unwrap())]).unwrap();
    let floats = tmp.path().join("f32.npy");
    oneclass_data::write_npy(&floats, &NpyArray::from_f32(shape, sub.to_f32().into_raw_vec_and_offset().0).unwrap()).unwrap();

    let fit = |train: &Path, model: &Path| {
        let mut args = vec!["fit", "ae", "--train", train.to_str().unwrap(), "--model", model.to_str().unwrap(), "--seed", "1", "--quiet"];
        for s in ["epochs=1", "batch_size=50", "net=ogae-mnist"] {
            args.extend(["--set", s]);
        }
        ok(&oneclass(&args));
    };
    let score = |model: &Path, input: &Path, out: &str| -> Vec<f64> {
        let out = tmp.path().join(out);
        ok(&oneclass(&["score", "--model", model.to_str().unwrap(), "--input", input.to_str().unwrap(), "--output", out.to_str().unwrap()]));
        read_npy(&out).unwrap().to_f64()
    };
    let (from_bytes, from_floats) = (tmp.path().join("a.json"), tmp.path().join("b.json"));
    fit(&bytes, &from_bytes);
    fit(&floats, &from_floats);
    let reference = score(&from_floats, &floats, "ref.npy");
    assert_eq!(reference.len(), n);
    for (model, input, out) in [(&from_floats, &bytes, "1.npy"), (&from_bytes, &floats, "2.npy"), (&from_bytes, &bytes, "3.npy")] {
        let got = score(model, input, out);
        assert!(got.iter().zip(&reference).all(|(a, b)| (a - b).abs() <= 1e-6 * b.abs().max(1e-3)), "{out}: {:?} vs {:?}", &got[..3], &reference[..3]);
    }
    // Not a constant: the reconstruction error separates the 0s from the 1s it was trained among.
    let spread = reference.iter().cloned().fold(f64::NEG_INFINITY, f64::max) - reference.iter().cloned().fold(f64::INFINITY, f64::min);
    assert!(spread > 1e-3, "scores span only {spread}");
}

/// A NaN or Inf in a deep method's training file is refused with the file, the array, the row
/// and the column named, for image stacks and tables alike, and no model file is written.
#[test]
fn non_finite_training_values_are_refused_by_deep_fit() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("m.json");
    let mut images = digits(Split::Train, 1, 4);
    images[784 + 28 * 3 + 5] = f32::NAN; // image 1, row 3, column 5 → flattened column 89
    let npy = tmp.path().join("images.npy");
    oneclass_data::write_npy(&npy, &NpyArray::from_f32(vec![4, 1, 28, 28], images).unwrap()).unwrap();
    let mut table = vec![0.5f64; 6 * 3];
    table[2 * 3 + 1] = f64::INFINITY;
    let npz = tmp.path().join("table.npz");
    write_npz(&npz, &[("X", &NpyArray::from_f64(vec![6, 3], table).unwrap())]).unwrap();
    for (file, method, field, row, column) in [(&npy, "ae", "array", 1, 89), (&npz, "deep-svdd", "X", 2, 1)] {
        let o = oneclass(&["fit", method, "--train", file.to_str().unwrap(), "--model", model.to_str().unwrap(), "--set", "epochs=1", "--quiet"]);
        assert!(!o.status.success(), "{method} trained on non-finite values");
        let err = String::from_utf8_lossy(&o.stderr);
        let expected = format!("{field}: row {row}, column {column} (0-based)");
        assert!(err.contains(file.to_str().unwrap()) && err.contains(&expected) && err.contains("finite"), "{err}");
        assert!(!model.exists());
    }
}

/// `oneclass embed` writes the codes the model's own latent OCSVM sees: an exact OCSVM fitted
/// by `fit ocsvm` on the embedded training rows scores the embedded test rows as the AE model
/// with `score=ocsvm` does. Shallow models and other output formats are refused.
#[test]
fn embed_gives_the_codes_of_the_latent_ocsvm() {
    let tmp = tempfile::tempdir().unwrap();
    let path = |name: &str| tmp.path().join(name).to_str().unwrap().to_string();
    oneclass_data::write_npy(Path::new(&path("train.npy")), &NpyArray::from_f32(vec![200, 1, 28, 28], digits(Split::Train, 1, 200)).unwrap()).unwrap();
    let mut t = digits(Split::Test, 1, 40);
    t.extend(digits(Split::Test, 0, 40));
    oneclass_data::write_npy(Path::new(&path("test.npy")), &NpyArray::from_f32(vec![80, 1, 28, 28], t).unwrap()).unwrap();
    let mut fit = vec!["fit", "ae", "--quiet", "--seed", "2"];
    for s in ["epochs=1", "batch_size=50", "score=ocsvm", "ocsvm_nu=0.1"] {
        fit.extend(["--set", s]);
    }
    let (train, test, ae, codes_train, codes_test) = (path("train.npy"), path("test.npy"), path("ae.json"), path("z_train.npy"), path("z_test.npy"));
    fit.extend(["--train", &train, "--model", &ae]);
    ok(&oneclass(&fit));
    ok(&oneclass(&["embed", "--model", &ae, "--input", &train, "--output", &codes_train]));
    ok(&oneclass(&["embed", "--model", &ae, "--input", &test, "--output", &codes_test]));
    let z = read_npy(Path::new(&codes_test)).unwrap();
    assert_eq!(z.shape, vec![80, 32]);
    let (latent, ae_scores, latent_scores) = (path("latent.json"), path("ae_scores.npy"), path("latent_scores.npy"));
    ok(&oneclass(&["fit", "ocsvm", "--train", &codes_train, "--nu", "0.1", "--gamma", "scale", "--model", &latent]));
    ok(&oneclass(&["score", "--model", &latent, "--input", &codes_test, "--output", &latent_scores]));
    ok(&oneclass(&["score", "--model", &ae, "--input", &test, "--output", &ae_scores]));
    let (a, b) = (read_npy(Path::new(&ae_scores)).unwrap().to_f64(), read_npy(Path::new(&latent_scores)).unwrap().to_f64());
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "AE latent OCSVM {x} vs OCSVM on embedded codes {y}");
    }
    let o = oneclass(&["embed", "--model", &latent, "--input", &codes_test, "--output", &path("zz.npy")]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("deep model"), "{}", String::from_utf8_lossy(&o.stderr));
    let o = oneclass(&["embed", "--model", &ae, "--input", &test, "--output", &path("z.csv")]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains(".npy"), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!tmp.path().join("z.csv").exists());
}
