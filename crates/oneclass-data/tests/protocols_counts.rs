//! Protocol builders: counts equal the papers', semi-supervised draws are disjoint, and the
//! same seed gives byte-identical files while different seeds give different draws.

use std::path::PathBuf;

use oneclass_data::alteration::Alteration;
use oneclass_data::images::named::{load_images, load_table, DatasetName, Split};
use oneclass_data::images::ImageSet;
use oneclass_data::mnist_c::Corruption;
use oneclass_data::protocols::alteration::{self, AlterationParams};
use oneclass_data::protocols::deep_sad::{self, solve_counts, DeepSadParams, SemiSupervisedCounts};
use oneclass_data::protocols::ogae_mnist_c::{self, OgaeParams};
use oneclass_data::protocols::one_vs_rest::{self, OneVsRestParams};
use oneclass_data::protocols::tabular::{self, TabularParams, TabularSplit};
use oneclass_data::protocols::{Features, ProtocolOutput, SizeSpec, SplitSet};

fn shared_data() -> PathBuf {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    assert!(p.join("mnist").exists(), "test data missing: {} (the shared data folder is required)", p.display());
    p
}

fn mnist() -> (ImageSet, ImageSet) {
    let dir = shared_data();
    (load_images(&DatasetName::Mnist, &dir, Split::Train).unwrap(), load_images(&DatasetName::Mnist, &dir, Split::Test).unwrap())
}

fn count(split: &SplitSet, pred: impl Fn(usize) -> bool) -> usize {
    (0..split.y.len()).filter(|&i| pred(i)).count()
}

fn extra<'a>(split: &'a SplitSet, name: &str) -> &'a [i64] {
    &split.extra.iter().find(|(n, _)| n == name).unwrap().1
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oneclass-protocols-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn ogae_mnist_c_counts_match_seed_001() {
    let (train, test) = mnist();
    for (anomaly, val_n, test_n, val_anom, test_anom) in [(8u16, 5952, 35_946, 974, 5851), (4, 5976, 35_919, 982, 5842)] {
        let out = ogae_mnist_c::build(&train, &test, &OgaeParams::new(3, anomaly, 0), &|_| {}).unwrap();
        let (tr, es) = (out.split("train").unwrap(), out.split("early_stop").unwrap());
        assert_eq!(tr.y.len() + es.y.len(), 18_393);
        assert_eq!(es.y.len(), 613 * 3, "10 % of the 6131 source images, all 3 corruptions");
        assert_eq!(tr.y.len(), 5518 * 3);
        assert!(tr.y.iter().chain(&es.y).all(|&y| y == 0));
        assert!(tr.class.iter().chain(&es.class).all(|&c| c == 3));
        let mut sources: Vec<i64> = extra(tr, "source").iter().chain(extra(es, "source")).copied().collect();
        sources.sort_unstable();
        sources.dedup();
        assert_eq!(sources.len(), 6131, "every digit-3 training image is used, early stopping disjoint");
        for c in [Corruption::Identity, Corruption::MotionBlur, Corruption::Translate] {
            assert_eq!(count(tr, |i| extra(tr, "corruption")[i] == c as i64), 5518);
        }
        let val = out.split("val").unwrap();
        assert_eq!(val.y.len(), val_n);
        assert_eq!(count(val, |i| val.y[i] == 1), val_anom * 3);
        assert_eq!(count(val, |i| val.class[i] == 3), 1010 * 3);
        let te = out.split("test").unwrap();
        assert_eq!(te.y.len(), test_n);
        assert_eq!(count(te, |i| te.y[i] == 1), test_anom * 3);
        assert_eq!(count(te, |i| te.class[i] == 3), 6131 * 3);
        for c in [Corruption::Stripe, Corruption::CannyEdges, Corruption::Brightness] {
            assert_eq!(count(te, |i| extra(te, "corruption")[i] == c as i64), test_n / 3);
        }
        let Features::Images { shape, pixels } = &te.x else { panic!() };
        assert_eq!(shape, &[test_n, 1, 28, 28]);
        // First test block is stripe of the first 3-or-anomaly training image, by formula.
        let first = extra(te, "source")[0] as usize;
        for (k, (&v, &got)) in train.image(first).iter().zip(pixels.iter()).enumerate() {
            let expected = if (7..=20).contains(&(k % 28)) { v } else { 255 - v };
            assert_eq!(got, expected);
        }
        let manifest = out.manifest();
        assert_eq!(manifest["splits"]["test"]["n"], test_n);
        assert_eq!(manifest["splits"]["test"]["per_corruption"]["stripe"], test_n / 3);
    }
}

#[test]
fn deep_sad_counts_are_solved_from_the_ratios() {
    // Normal class 0 of MNIST (5923 images), γ_l = 0.05, γ_p = 0.1: T = 5923/(0.9·0.95);
    // pollution ⌊5923·0.1/0.9⌋ = 658, labeled anomalies ⌊0.05·T⌋ = 346.
    assert_eq!(
        solve_counts(5923, 0.0, 0.05, 0.1).unwrap(),
        SemiSupervisedCounts { known_normal: 0, unlabeled_normal: 5923, unlabeled_anomaly: 658, known_anomaly: 346 }
    );
    // Exact ratios stay exact: 900 normals, 10 % pollution → 100; 10 % labeled of 1000 + 111.1.
    let c = solve_counts(900, 0.0, 0.1, 0.1).unwrap();
    assert_eq!((c.unlabeled_anomaly, c.known_anomaly), (100, 111));
    // With labeled normals and no pollution: T = 1000 / 0.9 = 1111.1, kn = 0.2 T = 222.2,
    // un = 1000 − kn = 777.8, ko = 0.1 T = 111.1.
    let c = solve_counts(1000, 0.2, 0.1, 0.0).unwrap();
    assert_eq!(c, SemiSupervisedCounts { known_normal: 222, unlabeled_normal: 777, unlabeled_anomaly: 0, known_anomaly: 111 });
    assert!(solve_counts(10, 0.0, 1.0, 0.0).is_err());

    let (train, test) = mnist();
    let p = DeepSadParams { normal_class: 0, ratio_known_normal: 0.0, ratio_known_anomaly: 0.05, ratio_pollution: 0.1, n_known_classes: 1, seed: 3 };
    let out = deep_sad::build("mnist", &train, &test, &p).unwrap();
    let tr = out.split("train").unwrap();
    let t = tr.semi_target.as_ref().unwrap();
    assert_eq!(tr.y.len(), 5923 + 658 + 346);
    assert_eq!(count(tr, |i| t[i] == -1), 346);
    assert_eq!(count(tr, |i| t[i] == 0 && tr.y[i] == 1), 658);
    assert_eq!(count(tr, |i| t[i] == 0 && tr.y[i] == 0), 5923);
    assert_eq!(count(tr, |i| t[i] == 1), 0);
    // Labeled anomalies all come from the one known class; no image is drawn twice.
    let known: Vec<i64> = (0..t.len()).filter(|&i| t[i] == -1).map(|i| tr.class[i]).collect();
    assert!(known.iter().all(|&c| c == known[0] && c != 0));
    let mut sources = extra(tr, "source").to_vec();
    sources.sort_unstable();
    sources.dedup();
    assert_eq!(sources.len(), tr.y.len());
    assert_eq!(out.parameters["known_classes"][0], known[0]);
    assert_eq!(out.split("test").unwrap().y.len(), 10_000);
    // Pollution comes from all nine anomaly classes.
    let polluting: std::collections::BTreeSet<i64> = (0..t.len()).filter(|&i| t[i] == 0 && tr.y[i] == 1).map(|i| tr.class[i]).collect();
    assert_eq!(polluting.len(), 9);
}

#[test]
fn one_vs_rest_carves_validation_from_the_training_split() {
    let (train, test) = mnist();
    let p = OneVsRestParams { normal_class: 3, validation: SizeSpec::Count(10_000), seed: 1 };
    let out = one_vs_rest::build("mnist", &train, &test, &p).unwrap();
    let val = out.split("val").unwrap();
    assert_eq!(val.y.len(), 10_000);
    // Stratified: 10,000 · 6131 / 60,000 = 1021.8 → 1021 or 1022 threes.
    let val_threes = count(val, |i| val.class[i] == 3);
    assert!(val_threes == 1021 || val_threes == 1022, "{val_threes}");
    let tr = out.split("train").unwrap();
    assert_eq!(tr.y.len(), 6131 - val_threes);
    assert!(tr.class.iter().all(|&c| c == 3) && tr.y.iter().all(|&y| y == 0));
    let te = out.split("test").unwrap();
    assert_eq!(te.y.len(), 10_000);
    assert_eq!(count(te, |i| te.y[i] == 0), 1010);
    let mut both: Vec<i64> = extra(tr, "source").iter().chain(extra(val, "source")).copied().collect();
    let n = both.len();
    both.sort_unstable();
    both.dedup();
    assert_eq!(both.len(), n, "train and validation share no image");
}

#[test]
fn tabular_splits_follow_the_seeds() {
    let arr = load_table(&DatasetName::parse("odds/arrhythmia").unwrap(), &shared_data()).unwrap();
    // Deep SAD: test ⌈0.4·452⌉ = 181, stratified (66 anomalies → 26 + 155 normals).
    let p = TabularParams { split: TabularSplit::DeepSad, ratio_known_normal: 0.0, ratio_known_anomaly: 0.0, ratio_pollution: 0.0, seed: 0 };
    let out = tabular::build("odds/arrhythmia", &arr, &p).unwrap();
    let te = out.split("test").unwrap();
    assert_eq!((te.y.len(), count(te, |i| te.y[i] == 1)), (181, 26));
    let tr = out.split("train").unwrap();
    assert_eq!(tr.y.len(), 386 - 155);
    assert!(tr.y.iter().all(|&y| y == 0));
    let Features::Table(x) = &tr.x else { panic!() };
    assert_eq!(x.ncols(), 274);
    assert_eq!(x.row(0), arr.x.row(extra(tr, "source")[0] as usize));
    // With pollution 10 %: ⌊231·0.1/0.9⌋ = 25 anomalies join the unlabeled set.
    let polluted = tabular::build("odds/arrhythmia", &arr, &TabularParams { ratio_pollution: 0.1, ..p.clone() }).unwrap();
    let tr = polluted.split("train").unwrap();
    assert_eq!(count(tr, |i| tr.y[i] == 1), 25);

    // Toll: test ⌈0.2·452⌉ = 91 (13 anomalies), val round(0.3·452) = 136 (20 anomalies), train =
    // the 386 − 78 − 116 = 192 remaining normals.
    let p = TabularParams { split: TabularSplit::Toll, ..p };
    let out = tabular::build("odds/arrhythmia", &arr, &p).unwrap();
    let (tr, val, te) = (out.split("train").unwrap(), out.split("val").unwrap(), out.split("test").unwrap());
    assert_eq!((te.y.len(), count(te, |i| te.y[i] == 1)), (91, 13));
    assert_eq!((val.y.len(), count(val, |i| val.y[i] == 1)), (136, 20));
    assert_eq!((tr.y.len(), count(tr, |i| tr.y[i] == 1)), (192, 0));
}

fn tiny_images(n: usize, classes: u16, side: usize, c: usize) -> ImageSet {
    ImageSet {
        n,
        c,
        h: side,
        w: side,
        pixels: (0..n * c * side * side).map(|i| (i * 31 % 251) as u8).collect(),
        labels: (0..n).map(|i| (i % classes as usize) as u16).collect(),
        class_names: (0..classes).map(|k| k.to_string()).collect(),
    }
}

#[test]
fn alteration_pairs_every_natural_image_with_its_counterpart() {
    let train = tiny_images(50, 5, 8, 3);
    let test = tiny_images(20, 5, 8, 3);
    for alteration in [Alteration::BlockPermutation(2), Alteration::BlockPermutation(8), Alteration::Strokes(1), Alteration::Strokes(5)] {
        let p = AlterationParams { alteration, validation: SizeSpec::Fraction(0.2), seed: 4 };
        let out = alteration::build("tiny", &train, &test, &p).unwrap();
        let (tr, val, te) = (out.split("train").unwrap(), out.split("val").unwrap(), out.split("test").unwrap());
        assert_eq!((tr.y.len(), val.y.len(), te.y.len()), (40, 20, 40));
        for s in [val, te] {
            let half = s.y.len() / 2;
            assert_eq!(count(s, |i| s.y[i] == 1), half);
            let Features::Images { pixels, .. } = &s.x else { panic!() };
            for k in 0..half {
                let (nat, alt) = (&pixels[k * 192..(k + 1) * 192], &pixels[(half + k) * 192..(half + k + 1) * 192]);
                assert_ne!(nat, alt, "{alteration:?}: counterpart {k} is unchanged");
                if let Alteration::BlockPermutation(_) = alteration {
                    let (mut a, mut b) = (nat.to_vec(), alt.to_vec());
                    a.sort_unstable();
                    b.sort_unstable();
                    assert_eq!(a, b, "block permutation keeps the pixel multiset");
                }
            }
        }
    }
    assert!(Alteration::BlockPermutation(3).check(32, 32).is_err());
    assert_eq!(Alteration::parse("strokes-9").unwrap(), Alteration::Strokes(9));
}

fn written(out: &ProtocolOutput, name: &str) -> Vec<(String, Vec<u8>)> {
    let dir = scratch(name);
    out.write(&dir).unwrap();
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    std::fs::remove_dir_all(&dir).unwrap();
    files
}

#[test]
fn same_seed_gives_byte_identical_files() {
    let (train, test) = mnist();
    // A small MNIST slice keeps the corruption work short.
    let train = train.subset(&(0..900).collect::<Vec<_>>());
    let test = test.subset(&(0..300).collect::<Vec<_>>());
    let build = |seed| ogae_mnist_c::build(&train, &test, &OgaeParams::new(3, 8, seed), &|_| {}).unwrap();
    let a = written(&build(5), "a");
    let b = written(&build(5), "b");
    let c = written(&build(6), "c");
    let names: Vec<&str> = a.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["early_stop.npz", "manifest.json", "test.npz", "train.npz", "val.npz"]);
    assert_eq!(a, b);
    let file = |set: &[(String, Vec<u8>)], n: &str| set.iter().find(|(m, _)| m == n).unwrap().1.clone();
    assert_ne!(file(&a, "train.npz"), file(&c, "train.npz"), "random corruptions and the early-stop draw depend on the seed");
    // Deterministic corruptions of the same images do not.
    assert_eq!(file(&a, "val.npz"), file(&c, "val.npz"));

    let sad = |seed| {
        let p = DeepSadParams { normal_class: 1, ratio_known_normal: 0.05, ratio_known_anomaly: 0.05, ratio_pollution: 0.1, n_known_classes: 2, seed };
        deep_sad::build("mnist-slice", &train, &test, &p).unwrap()
    };
    assert_eq!(written(&sad(9), "d"), written(&sad(9), "e"));
    assert_ne!(file(&written(&sad(9), "f"), "train.npz"), file(&written(&sad(10), "g"), "train.npz"));
}
