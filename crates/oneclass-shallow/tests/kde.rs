//! Gaussian KDE against scikit-learn 1.9.1 (fixture from scripts/make_shallow_fixtures.py).

mod support;

use ndarray::{array, Array2};
use oneclass_shallow::{kfold_indices, Bandwidth, BandwidthSearch, KernelDensity, ShallowError};
use serde_json::Value;
use support::{assert_close, dataset, fixture, floats, matrix};

fn bandwidth_of(case: &Value) -> Bandwidth {
    match &case["bandwidth"] {
        Value::String(s) if s == "scott" => Bandwidth::Scott,
        Value::String(s) if s == "silverman" => Bandwidth::Silverman,
        v => Bandwidth::Value(v.as_f64().expect("numeric bandwidth")),
    }
}

fn check_cases(train: &Array2<f64>, query: &Array2<f64>, cases: &Value, what: &str) {
    for case in cases.as_array().unwrap() {
        let bandwidth = bandwidth_of(case);
        let model = KernelDensity::params()
            .bandwidth(bandwidth.clone())
            .fit(train.view())
            .unwrap();
        let expected_h = case["bandwidth_"].as_f64().unwrap();
        assert!(
            (model.bandwidth() - expected_h).abs() <= 1e-15 * expected_h,
            "{what} {bandwidth:?}: h {} vs {expected_h}",
            model.bandwidth()
        );
        let log_density = model.log_density(query.view()).unwrap();
        let got = log_density.as_slice().unwrap();
        // Every point against the dense float64 sum of the same definition (numpy + scipy).
        assert_close(
            got,
            &floats(&case["dense_log_density"]),
            1e-12,
            &format!("{what} {bandwidth:?} dense log-density"),
        );
        // scikit-learn's tree gets a few points wrong (issues #25799, #27186; listed by the
        // generator); all others must agree with score_samples.
        let deviates: Vec<usize> = case["sklearn_deviates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert!(
            deviates.len() * 10 <= got.len(),
            "{what} {bandwidth:?}: scikit-learn deviates on too many points: {deviates:?}"
        );
        let sklearn = floats(&case["score_samples"]);
        let keep = |v: &[f64]| {
            v.iter()
                .enumerate()
                .filter(|(i, _)| !deviates.contains(i))
                .map(|(_, x)| *x)
                .collect::<Vec<_>>()
        };
        assert_close(
            &keep(got),
            &keep(&sklearn),
            1e-9,
            &format!("{what} {bandwidth:?} score_samples"),
        );
        let score = model.score(query.view()).unwrap();
        assert!(
            score.iter().zip(&log_density).all(|(s, l)| *s == -l),
            "score is −log density"
        );
    }
}

#[test]
fn synthetic_matches_sklearn_score_samples() {
    let f = fixture("kde.json");
    let s = &f["synthetic"];
    check_cases(
        &matrix(&s["train"]),
        &matrix(&s["query"]),
        &s["cases"],
        "synthetic",
    );
}

#[test]
fn glass_matches_sklearn_score_samples() {
    let f = fixture("kde.json");
    let g = &f["glass"];
    let (x, _) = dataset(g["path"].as_str().unwrap());
    check_cases(&x, &x, &g["cases"], "glass");
}

/// With unshuffled folds the search sees exactly GridSearchCV(KernelDensity, cv=KFold(5))'s
/// splits, so the per-bandwidth mean held-out log-likelihoods and the choice must agree (with
/// the dense sum everywhere; with GridSearchCV except where its tree-based KDE is wrong).
#[test]
fn cross_validated_bandwidth_matches_grid_search() {
    let f = fixture("kde.json");
    let train = matrix(&f["synthetic"]["train"]);
    let cv = &f["cv"];
    let search = BandwidthSearch {
        shuffle: false,
        n_folds: cv["n_folds"].as_u64().unwrap() as usize,
        ..Default::default()
    };
    let model = KernelDensity::params()
        .bandwidth(Bandwidth::Cv(search))
        .fit(train.view())
        .unwrap();
    let report = model.cv_report().unwrap();
    assert_close(
        &report.bandwidths,
        &floats(&cv["grid"]),
        1e-12,
        "default grid",
    );
    let got = &report.mean_held_out_log_likelihood;
    assert_close(
        got,
        &floats(&cv["dense_mean_test_score"]),
        1e-12,
        "dense mean_test_score",
    );
    let deviates: Vec<usize> = cv["sklearn_deviates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    let sklearn = floats(&cv["mean_test_score"]);
    for i in (0..got.len()).filter(|i| !deviates.contains(i)) {
        assert!(
            (got[i] - sklearn[i]).abs() <= 1e-9 * sklearn[i].abs().max(1.0),
            "mean_test_score[{i}]: {} vs GridSearchCV {}",
            got[i],
            sklearn[i]
        );
    }
    let best = cv["best_bandwidth"].as_f64().unwrap();
    assert!(
        (model.bandwidth() - best).abs() <= 1e-12 * best,
        "chosen {} vs GridSearchCV {best}",
        model.bandwidth()
    );
}

#[test]
fn shuffled_cv_is_seeded() {
    let f = fixture("kde.json");
    let train = matrix(&f["synthetic"]["train"]);
    let fit = |seed| {
        let search = BandwidthSearch {
            seed,
            n_grid: 6,
            ..Default::default()
        };
        KernelDensity::params()
            .bandwidth(Bandwidth::Cv(search))
            .fit(train.view())
            .unwrap()
            .cv_report()
            .unwrap()
            .clone()
    };
    assert_eq!(fit(1), fit(1));
    assert_ne!(
        fit(1).mean_held_out_log_likelihood,
        fit(2).mean_held_out_log_likelihood
    );
}

#[test]
fn kfold_matches_sklearn_layout() {
    // KFold(3) on 8 rows: sizes 3, 3, 2 in order.
    assert_eq!(
        kfold_indices(8, 3, None),
        vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7]]
    );
    let shuffled = kfold_indices(8, 3, Some(4));
    let mut all: Vec<usize> = shuffled.concat();
    all.sort();
    assert_eq!(all, (0..8).collect::<Vec<_>>());
    assert_eq!(
        shuffled.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![3, 3, 2]
    );
}

#[test]
fn far_point_scores_higher_and_json_round_trip_is_exact() {
    let f = fixture("kde.json");
    let train = matrix(&f["synthetic"]["train"]);
    let model = KernelDensity::params()
        .bandwidth(Bandwidth::Silverman)
        .fit(train.view())
        .unwrap();
    let q = array![[0.0, 0.0, 0.0], [200.0, -200.0, 0.0]];
    let s = model.score(q.view()).unwrap();
    // Far from every training point the log-sum-exp must stay finite (no underflow to −∞).
    assert!(s[1].is_finite() && s[1] > s[0] + 1000.0, "{s}");
    // Squared distances that overflow give density 0 (score +∞), never NaN.
    let overflow = model.score(array![[1e200, 0.0, 0.0]].view()).unwrap();
    assert_eq!(overflow[0], f64::INFINITY);
    let back = KernelDensity::from_json(&model.to_json()).unwrap();
    let query = matrix(&f["synthetic"]["query"]);
    assert_eq!(
        model.score(query.view()).unwrap(),
        back.score(query.view()).unwrap()
    );
    assert_eq!(back.bandwidth().to_bits(), model.bandwidth().to_bits());
}

#[test]
fn bad_input_is_named() {
    let x = Array2::from_shape_fn((10, 2), |(i, j)| (i * 3 + j) as f64);
    let err = KernelDensity::params()
        .bandwidth(Bandwidth::Value(-1.0))
        .fit(x.view())
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid parameter bandwidth = -1"),
        "{err}"
    );
    let err = KernelDensity::params()
        .bandwidth(Bandwidth::Cv(BandwidthSearch {
            n_folds: 1,
            ..Default::default()
        }))
        .check()
        .unwrap_err();
    assert!(
        matches!(
            err,
            ShallowError::InvalidParameter {
                name: "n_folds",
                ..
            }
        ),
        "{err}"
    );
    let err = KernelDensity::params()
        .bandwidth(Bandwidth::Cv(BandwidthSearch {
            n_folds: 20,
            ..Default::default()
        }))
        .fit(x.view())
        .unwrap_err();
    assert!(
        matches!(
            err,
            ShallowError::EmptyData {
                rows: 10,
                min_rows: 20,
                ..
            }
        ),
        "{err}"
    );
    let constant = Array2::from_elem((10, 2), 1.0);
    let err = KernelDensity::params()
        .bandwidth(Bandwidth::Cv(BandwidthSearch::default()))
        .fit(constant.view())
        .unwrap_err();
    assert!(matches!(err, ShallowError::ZeroVariance { .. }), "{err}");
    let model = KernelDensity::params().fit(x.view()).unwrap();
    assert!(matches!(
        model.score(Array2::zeros((1, 5)).view()).unwrap_err(),
        ShallowError::DimensionMismatch {
            expected: 2,
            found: 5,
            ..
        }
    ));
    let mut bad = x.clone();
    bad[[7, 1]] = f64::NEG_INFINITY;
    let err = KernelDensity::params().fit(bad.view()).unwrap_err();
    assert_eq!(err.to_string(), "training data: non-finite value -inf at row 7, column 1 (0-based): expected finite numbers");
    let mut text: Value = serde_json::from_str(&model.to_json()).unwrap();
    text["n_features"] = serde_json::json!(3);
    assert!(KernelDensity::from_json(&text.to_string()).is_err());
}
