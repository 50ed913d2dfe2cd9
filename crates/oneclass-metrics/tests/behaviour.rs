//! Input validation and properties of the bootstrap that need no external reference.

use oneclass_metrics::stats::{dunn_bonferroni, kruskal_wallis, paired_bootstrap, Metric};
use oneclass_metrics::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[test]
fn single_class_is_a_clear_error_for_every_metric() {
    let scores = [0.1, 0.5, 0.3];
    for labels in [[0u8, 0, 0], [1, 1, 1]] {
        let positives = labels.iter().map(|&l| l as usize).sum::<usize>();
        let expected = |e: MetricsError| matches!(e, MetricsError::SingleClass { n: 3, positives: p } if p == positives);
        assert!(expected(auroc(&scores, &labels).unwrap_err()));
        assert!(expected(auroc30(&scores, &labels).unwrap_err()));
        assert!(expected(average_precision(&scores, &labels).unwrap_err()));
        assert!(expected(roc_curve(&scores, &labels).unwrap_err()));
        assert!(expected(
            f1_at_contamination(&scores, &labels, 0.1).unwrap_err()
        ));
        assert!(expected(evaluate(&scores, &labels, None).unwrap_err()));
    }
    let message = auroc(&scores, &[0, 0, 0]).unwrap_err().to_string();
    assert!(message.contains("only one class"), "{message}");
}

#[test]
fn malformed_input_names_the_problem() {
    assert!(matches!(
        auroc(&[0.1, 0.2], &[0, 1, 1]),
        Err(MetricsError::LengthMismatch {
            scores: 2,
            labels: 3
        })
    ));
    assert!(matches!(auroc(&[], &[]), Err(MetricsError::Empty)));
    assert!(matches!(
        average_precision(&[0.1, 0.2, 0.3], &[0, 2, 1]),
        Err(MetricsError::BadLabel { index: 1, value: 2 })
    ));
    assert!(matches!(
        evaluate(&[0.1, f64::NAN, 0.3], &[0, 1, 1], None),
        Err(MetricsError::NonFinite { index: 1, .. })
    ));
    assert!(matches!(
        auroc(&[0.1, 0.2, f64::INFINITY], &[0, 1, 1]),
        Err(MetricsError::NonFinite { index: 2, .. })
    ));
    let ok = ([0.1, 0.2, 0.3], [0u8, 1, 1]);
    for bad in [0.0, 1.0, -0.1, f64::NAN] {
        assert!(matches!(
            f1_at_contamination(&ok.0, &ok.1, bad),
            Err(MetricsError::InvalidParameter(_))
        ));
    }
    for bad in [0.0, 1.5, f64::NAN] {
        assert!(matches!(
            partial_auroc(&ok.0, &ok.1, bad),
            Err(MetricsError::InvalidParameter(_))
        ));
    }
}

#[test]
fn rank_tests_reject_degenerate_groups() {
    let a = [1.0, 2.0];
    assert!(matches!(
        kruskal_wallis(&[&a]),
        Err(MetricsError::InvalidParameter(_))
    ));
    assert!(matches!(
        kruskal_wallis(&[&a, &[]]),
        Err(MetricsError::EmptyGroup { group: 1 })
    ));
    assert!(matches!(
        dunn_bonferroni(&[&a, &[3.0, f64::NAN]]),
        Err(MetricsError::NonFiniteInGroup {
            group: 1,
            index: 1,
            ..
        })
    ));
    assert!(matches!(
        kruskal_wallis(&[&[2.0, 2.0], &[2.0]]),
        Err(MetricsError::AllValuesIdentical)
    ));
    assert!(matches!(
        dunn_bonferroni(&[&[2.0, 2.0], &[2.0]]),
        Err(MetricsError::AllValuesIdentical)
    ));
}

/// Labels with ~20% anomalies and three detectors: a weak one, a strong one, and a second,
/// independent strong one of the same quality whose scores are rounded (many ties).
fn three_detectors(n: usize, seed: u64) -> (Vec<u8>, Vec<Vec<f64>>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let labels: Vec<u8> = (0..n)
        .map(|_| u8::from(rng.random::<f64>() < 0.2))
        .collect();
    let noise =
        |rng: &mut ChaCha8Rng| rng.random::<f64>() + rng.random::<f64>() + rng.random::<f64>();
    let strong: Vec<f64> = labels
        .iter()
        .map(|&l| noise(&mut rng) + 2.0 * f64::from(l))
        .collect();
    let weak: Vec<f64> = labels
        .iter()
        .map(|&l| noise(&mut rng) + 0.2 * f64::from(l))
        .collect();
    let tied: Vec<f64> = labels
        .iter()
        .map(|&l| ((noise(&mut rng) + 2.0 * f64::from(l)) * 5.0).round())
        .collect();
    (labels, vec![weak, strong, tied])
}

#[test]
fn bootstrap_is_reproducible_and_seed_dependent() {
    let (labels, models) = three_detectors(300, 1);
    let models: Vec<&[f64]> = models.iter().map(Vec::as_slice).collect();
    let run = |seed| paired_bootstrap(&models, &labels, Metric::Auroc, 200, seed).unwrap();
    let (first, again, other) = (run(7), run(7), run(8));
    assert_eq!(first.p_values, again.p_values);
    assert_eq!(first.ci95, again.ci95);
    assert_ne!(first.ci95, other.ci95);
    assert_eq!(first.metric_full, other.metric_full);
}

#[test]
fn bootstrap_gives_near_zero_p_to_a_clearly_worse_model() {
    let (labels, models) = three_detectors(400, 2);
    let models: Vec<&[f64]> = models.iter().map(Vec::as_slice).collect();
    for metric in [Metric::Auroc, Metric::Auroc30, Metric::Aupr] {
        let result = paired_bootstrap(&models, &labels, metric, 500, 3).unwrap();
        assert_eq!(result.resamples, 500);
        for (m, &value) in result.metric_full.iter().enumerate() {
            let full = match metric {
                Metric::Auroc => auroc(models[m], &labels),
                Metric::Auroc30 => auroc30(models[m], &labels),
                Metric::Aupr => average_precision(models[m], &labels),
            };
            assert_eq!(value, full.unwrap(), "{metric:?} model {m}");
        }
        let best = result.best;
        assert!(
            best == 1 || best == 2,
            "{metric:?}: a strong detector must be best, got {best}"
        );
        assert_eq!(
            (result.p_values[best], result.p_bonferroni[best]),
            (1.0, 1.0)
        );
        assert!(
            result.p_values[0] < 0.01,
            "{metric:?}: weak model p = {}",
            result.p_values[0]
        );
        assert_eq!(result.p_bonferroni[0], (2.0 * result.p_values[0]).min(1.0));
        // The other strong detector is just as good, so it must not look clearly worse.
        let other = 3 - best;
        assert!(
            result.p_values[other] > 0.01,
            "{metric:?}: equal model p = {}",
            result.p_values[other]
        );
        assert_eq!(
            result.p_bonferroni[other],
            (2.0 * result.p_values[other]).min(1.0)
        );
        for (m, &(low, high)) in result.ci95.iter().enumerate() {
            assert!(low <= result.metric_full[m] + 0.05 && result.metric_full[m] - 0.05 <= high);
            assert!(low < high, "{metric:?} model {m}: interval ({low}, {high})");
        }
    }
}

#[test]
fn bootstrap_validates_its_input() {
    let labels = [0u8, 1, 0, 1];
    let good = [0.1, 0.9, 0.2, 0.8];
    let short = [0.1, 0.9];
    let err = paired_bootstrap(&[&good, &short], &labels, Metric::Auroc, 10, 0).unwrap_err();
    assert!(
        matches!(err, MetricsError::InModel { model: 1, .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("score vector 1: length mismatch"),
        "{err}"
    );
    assert!(paired_bootstrap(&[], &labels, Metric::Auroc, 10, 0).is_err());
    assert!(paired_bootstrap(&[&good], &labels, Metric::Auroc, 0, 0).is_err());
    // Two samples: half of all resamples hold one class only and must be redrawn.
    let tiny =
        paired_bootstrap(&[&[0.2, 0.7], &[0.7, 0.2]], &[0, 1], Metric::Auroc, 50, 0).unwrap();
    assert_eq!(tiny.metric_full, vec![1.0, 0.0]);
    assert_eq!(tiny.p_values, vec![1.0, 0.0]);
}

/// Per-group AUROC by hand: group 7 has pairs (0.35 > 0.1, 0.35 < 0.4, 0.8 > both) = 3/4;
/// group 2's only anomaly is below both normals = 0; pooled it is another number (5/12
/// here), which is why the groups are reported apart. Bad groups name the problem.
#[test]
fn auroc_within_groups_by_hand() {
    let scores = [0.1, 5.0, 0.4, 6.0, 0.35, 7.0, 0.8];
    let labels = [0, 1, 0, 0, 1, 0, 1];
    let groups = [7, 2, 7, 2, 7, 2, 7];
    let got = auroc_within_groups(&scores, &labels, &groups).unwrap();
    assert_eq!(got, vec![(2, 0.0), (7, 0.75)]);
    assert!((auroc(&scores, &labels).unwrap() - 5.0 / 12.0).abs() < 1e-12);
    let err = auroc_within_groups(&scores, &labels, &groups[..6]).unwrap_err().to_string();
    assert!(err.contains("6 group ids for 7 scores"), "{err}");
    let err = auroc_within_groups(&scores, &labels, &[7, 2, 7, 2, 7, 3, 7]).unwrap_err().to_string();
    assert!(err.contains("group 3") && err.contains("only one class"), "{err}");
}
