//! Isolation Forest against scikit-learn 1.9.1 (fixture from scripts/make_shallow_fixtures.py).

mod support;

use ndarray::{array, Array2};
use oneclass_shallow::{
    average_path_length, IsolationForest, IsolationForestParams, MaxFeatures, MaxSamples,
    ShallowError,
};
use support::{dataset, fixture, floats};

#[test]
fn average_path_length_matches_sklearn() {
    let f = fixture("iforest.json");
    let sizes: Vec<usize> = f["average_path_length"]["n"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    let expected = floats(&f["average_path_length"]["c"]);
    for (&n, &c) in sizes.iter().zip(&expected) {
        let got = average_path_length(n);
        assert!(
            (got - c).abs() <= 1e-12 * c.abs().max(1.0),
            "c({n}) = {got}, scikit-learn {c}"
        );
    }
    assert_eq!(average_path_length(1), 0.0);
    assert_eq!(average_path_length(2), 1.0);
}

/// Mean AUROC over 10 seeds within ±0.03 of scikit-learn's mean over its 10 seeds (the forests'
/// random streams differ, so only the distribution of results can match).
#[test]
fn auroc_matches_sklearn_on_benchmark_tables() {
    let f = fixture("iforest.json");
    for set in f["datasets"].as_array().unwrap() {
        let path = set["path"].as_str().unwrap();
        let (x, y) = dataset(path);
        assert_eq!(
            x.dim(),
            (
                set["rows"].as_u64().unwrap() as usize,
                set["cols"].as_u64().unwrap() as usize
            ),
            "{path} shape"
        );
        let seeds = 10u64;
        let mean: f64 = (0..seeds)
            .map(|seed| {
                let model = IsolationForest::params().seed(seed).fit(x.view()).unwrap();
                let scores = model.score(x.view()).unwrap();
                oneclass_metrics::auroc(scores.as_slice().unwrap(), &y).unwrap()
            })
            .sum::<f64>()
            / seeds as f64;
        let reference = set["auroc_mean"].as_f64().unwrap();
        eprintln!(
            "{path}: AUROC {mean:.4} (scikit-learn {reference:.4} ± {:.4})",
            set["auroc_std"].as_f64().unwrap()
        );
        assert!(
            (mean - reference).abs() <= 0.03,
            "{path}: mean AUROC {mean} vs scikit-learn {reference}"
        );
    }
}

fn blob(n: usize, seed: u64) -> Array2<f64> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    Array2::from_shape_fn((n, 4), |_| rng.random::<f64>() * 2.0 - 1.0)
}

#[test]
fn seed_controls_the_forest() {
    let x = blob(500, 1);
    let a = IsolationForest::params()
        .seed(3)
        .fit(x.view())
        .unwrap()
        .score(x.view())
        .unwrap();
    let b = IsolationForest::params()
        .seed(3)
        .fit(x.view())
        .unwrap()
        .score(x.view())
        .unwrap();
    let c = IsolationForest::params()
        .seed(4)
        .fit(x.view())
        .unwrap()
        .score(x.view())
        .unwrap();
    assert_eq!(
        a.as_slice().unwrap(),
        b.as_slice().unwrap(),
        "same seed must give identical scores"
    );
    assert_ne!(
        a.as_slice().unwrap(),
        c.as_slice().unwrap(),
        "different seeds must give different forests"
    );
}

#[test]
fn scores_do_not_depend_on_thread_count() {
    let x = blob(3000, 2);
    let fit_score = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            IsolationForest::params()
                .seed(9)
                .fit(x.view())
                .unwrap()
                .score(x.view())
                .unwrap()
        })
    };
    assert_eq!(fit_score(1), fit_score(3));
}

#[test]
fn far_point_scores_higher_than_centre() {
    let x = blob(1000, 5);
    let model = IsolationForest::params().seed(0).fit(x.view()).unwrap();
    let queries = array![[0.0, 0.0, 0.0, 0.0], [8.0, -8.0, 8.0, 8.0]];
    let s = model.score(queries.view()).unwrap();
    assert!(s[1] > s[0] + 0.1, "far point {} vs centre {}", s[1], s[0]);
    // A point beyond the data's range stays with the most extreme rows at every split, which
    // are few, so it is isolated early (score well above 0.5); the centre is not (below 0.5).
    assert!(s[0] < 0.5 && s[1] > 0.6, "scores {s}");
    let all = model.score(x.view()).unwrap();
    assert!(all.iter().all(|&v| v > 0.0 && v <= 1.0));
}

#[test]
fn json_round_trip_is_bit_identical() {
    let x = blob(400, 7);
    let model = IsolationForest::params()
        .n_estimators(25)
        .max_samples(MaxSamples::Fraction(0.5))
        .max_features(MaxFeatures::Count(2))
        .bootstrap(true)
        .seed(11)
        .fit(x.view())
        .unwrap();
    let text = model.to_json();
    let back = IsolationForest::from_json(&text).unwrap();
    assert_eq!(
        model.score(x.view()).unwrap(),
        back.score(x.view()).unwrap()
    );
    assert_eq!(back.subsample_size(), 200);
    assert_eq!(back.n_trees(), 25);
    // A tree whose child points backwards would loop forever; it must be rejected on reading.
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["trees"][0]["left"][0] = serde_json::json!(0u32);
    value["trees"][0]["left"][1] = serde_json::json!(1u32);
    let err = IsolationForest::from_json(&value.to_string()).unwrap_err();
    assert!(err.to_string().contains("tree 0: node 1"), "{err}");
}

#[test]
fn subsample_sizes_follow_sklearn() {
    let x = blob(1000, 3);
    let size = |m: MaxSamples| {
        IsolationForest::params()
            .n_estimators(2)
            .max_samples(m)
            .fit(x.view())
            .unwrap()
            .subsample_size()
    };
    assert_eq!(size(MaxSamples::Auto), 256);
    assert_eq!(size(MaxSamples::Count(5000)), 1000);
    assert_eq!(size(MaxSamples::Count(100)), 100);
    assert_eq!(size(MaxSamples::Fraction(0.3337)), 333);
    let small = blob(40, 3);
    assert_eq!(
        IsolationForest::params()
            .fit(small.view())
            .unwrap()
            .subsample_size(),
        40
    );
}

#[test]
fn single_row_scores_one_like_sklearn() {
    let x = array![[1.0, 2.0]];
    let model = IsolationForest::params().fit(x.view()).unwrap();
    assert_eq!(
        model
            .score(array![[1.0, 2.0], [50.0, -3.0]].view())
            .unwrap()
            .to_vec(),
        vec![1.0, 1.0]
    );
}

#[test]
fn constant_data_gives_single_leaf_trees() {
    // Nothing can be split, so every point gets path c(ψ) and score 2^-1.
    let x = Array2::from_elem((50, 3), 4.0);
    let model = IsolationForest::params().fit(x.view()).unwrap();
    let s = model
        .score(array![[4.0, 4.0, 4.0], [100.0, 0.0, 4.0]].view())
        .unwrap();
    assert!(s.iter().all(|&v| (v - 0.5).abs() < 1e-15), "{s}");
}

#[test]
fn bad_input_is_named() {
    let x = blob(20, 1);
    let err = IsolationForestParams::new()
        .n_estimators(0)
        .fit(x.view())
        .unwrap_err();
    assert!(
        matches!(
            err,
            ShallowError::InvalidParameter {
                name: "n_estimators",
                ..
            }
        ),
        "{err}"
    );
    let err = IsolationForest::params()
        .max_samples(MaxSamples::Fraction(1.5))
        .check()
        .unwrap_err();
    assert!(err.to_string().contains("max_samples = 1.5"), "{err}");
    let err = IsolationForest::params()
        .max_samples(MaxSamples::Fraction(0.01))
        .fit(x.view())
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("at least one of the 20 training rows"),
        "{err}"
    );
    let err = IsolationForest::params()
        .max_features(MaxFeatures::Count(9))
        .fit(x.view())
        .unwrap_err();
    assert!(err.to_string().contains("at most the 4 columns"), "{err}");
    let mut bad = x.clone();
    bad[[3, 2]] = f64::NAN;
    let err = IsolationForest::params().fit(bad.view()).unwrap_err();
    assert!(
        matches!(err, ShallowError::NonFinite { row: 3, col: 2, .. }),
        "{err}"
    );
    let empty = Array2::<f64>::zeros((0, 4));
    assert!(matches!(
        IsolationForest::params().fit(empty.view()).unwrap_err(),
        ShallowError::EmptyData { .. }
    ));
    let model = IsolationForest::params().fit(x.view()).unwrap();
    let err = model.score(Array2::zeros((2, 3)).view()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "data to score has 3 columns but the model was fitted on 4"
    );
    let mut bad_query = Array2::zeros((2, 4));
    bad_query[[1, 0]] = f64::INFINITY;
    assert!(matches!(
        model.score(bad_query.view()).unwrap_err(),
        ShallowError::NonFinite { row: 1, col: 0, .. }
    ));
}

#[test]
fn non_contiguous_input_is_read_correctly() {
    let x = blob(300, 8);
    let xt = x.t().to_owned();
    let model = IsolationForest::params().seed(1).fit(x.view()).unwrap();
    assert_eq!(model.score(x.view()).unwrap(), model.score(xt.t()).unwrap());
    let refit = IsolationForest::params().seed(1).fit(xt.t()).unwrap();
    assert_eq!(
        model.score(x.view()).unwrap(),
        refit.score(x.view()).unwrap()
    );
}
