//! Preprocessing: Deep SAD's tabular scaling against scikit-learn, GCN (L1) + min-max and
//! mean/std by hand, and serialisation round trips.

use ndarray::{Array2, Array4};
use oneclass_data::preprocess::{gcn_l1, ImagePreprocess, TablePreprocess};

#[derive(serde::Deserialize)]
struct Fixture {
    train: Vec<Vec<f64>>,
    test: Vec<Vec<f64>>,
    train_scaled: Vec<Vec<f64>>,
    test_scaled: Vec<Vec<f64>>,
}

fn matrix(rows: &[Vec<f64>]) -> Array2<f64> {
    Array2::from_shape_fn((rows.len(), rows[0].len()), |(i, j)| rows[i][j])
}

#[test]
fn standard_then_minmax_matches_scikit_learn() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/preprocess_standard_minmax.json");
    let fx: Fixture = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let fitted = TablePreprocess::fit_standard_minmax(&matrix(&fx.train)).unwrap();
    for (input, expected) in [(&fx.train, &fx.train_scaled), (&fx.test, &fx.test_scaled)] {
        let mut x = matrix(input);
        fitted.apply(&mut x).unwrap();
        for (a, b) in x.iter().zip(matrix(expected).iter()) {
            assert!((a - b).abs() <= 1e-12, "{a} vs scikit-learn {b}");
        }
    }
    // Saved and loaded, it transforms the same way.
    let text = serde_json::to_string(&fitted).unwrap();
    let loaded: TablePreprocess = serde_json::from_str(&text).unwrap();
    assert_eq!(loaded, fitted);
    assert!(fitted.apply(&mut Array2::zeros((2, 3))).is_err());
}

/// z-scores (scikit-learn's StandardScaler: population std, 1 for a constant column), by hand.
#[test]
fn standard_scaling_by_hand() {
    let train = matrix(&[vec![1.0, 5.0], vec![3.0, 5.0], vec![5.0, 5.0], vec![7.0, 5.0]]);
    let fitted = TablePreprocess::fit_standard(&train).unwrap();
    // Column 0: mean 4, population variance (9 + 1 + 1 + 9) / 4 = 5.
    let mut x = matrix(&[vec![4.0 + 5f64.sqrt(), 6.0]]);
    fitted.apply(&mut x).unwrap();
    assert!((x[[0, 0]] - 1.0).abs() <= 1e-12 && (x[[0, 1]] - 1.0).abs() <= 1e-12, "{x:?}");
    assert!(TablePreprocess::fit_standard(&Array2::zeros((0, 2))).is_err());
    assert!(fitted.apply(&mut Array2::zeros((1, 3))).is_err());
}

#[test]
fn gcn_l1_by_hand() {
    // mean 2, centred [-2, -1, 0, 3], mean |.| = 1.5.
    let mut v = [0.0f32, 1.0, 2.0, 5.0];
    gcn_l1(&mut v);
    let expected = [-4.0 / 3.0, -2.0 / 3.0, 0.0, 2.0];
    for (a, b) in v.iter().zip(expected) {
        assert!((a - b).abs() < 1e-6);
    }
    let mut flat = [0.3f32; 5];
    gcn_l1(&mut flat);
    assert!(flat.iter().all(|&x| x == 0.0), "a constant image has no contrast");
}

#[test]
fn gcn_minmax_is_fitted_on_train_and_maps_it_to_unit_range() {
    let train = Array4::from_shape_fn((3, 1, 2, 2), |(n, _, r, c)| ((n + 1) * (r * 2 + c + 1) * (c + 1)) as f32 / 20.0);
    let fitted = ImagePreprocess::fit_gcn_l1_minmax(&train).unwrap();
    let mut x = train.clone();
    fitted.apply(&mut x).unwrap();
    let min = x.iter().cloned().fold(f32::INFINITY, f32::min);
    let max = x.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    assert!(min.abs() < 1e-6 && (max - 1.0).abs() < 1e-6, "{min} {max}");
    // GCN makes a scaled copy of an image identical to the image.
    let mut doubled = train.mapv(|v| v * 2.0 + 0.1);
    fitted.apply(&mut doubled).unwrap();
    for (a, b) in doubled.iter().zip(x.iter()) {
        assert!((a - b).abs() < 1e-5);
    }
}

#[test]
fn mean_std_per_channel() {
    // Channel 0 holds 0, 1, 2, 3 (mean 1.5, std sqrt(1.25)); channel 1 is constant 4 (std → 1).
    let train = Array4::from_shape_fn((1, 2, 2, 2), |(_, ch, r, c)| if ch == 0 { (r * 2 + c) as f32 } else { 4.0 });
    let fitted = ImagePreprocess::fit_mean_std(&train).unwrap();
    let ImagePreprocess::MeanStd { mean, std } = &fitted else { panic!() };
    assert_eq!(mean, &vec![1.5, 4.0]);
    assert!((std[0] - 1.25f64.sqrt()).abs() < 1e-12 && std[1] == 1.0);
    let mut x = train.clone();
    fitted.apply(&mut x).unwrap();
    assert!((x[[0, 0, 1, 1]] as f64 - 1.5 / 1.25f64.sqrt()).abs() < 1e-6);
    assert_eq!(x[[0, 1, 0, 0]], 0.0);
    let back: ImagePreprocess = serde_json::from_str(&serde_json::to_string(&fitted).unwrap()).unwrap();
    assert_eq!(back, fitted);
}
