//! Compares every metric and test with reference values computed by scikit-learn 1.9,
//! SciPy and scikit-posthocs (scripts/make_metric_fixtures.py -> tests/fixtures).

use oneclass_metrics::stats::{dunn_bonferroni, kruskal_wallis};
use oneclass_metrics::{special, *};
use serde::Deserialize;

/// Metrics must equal scikit-learn's to this absolute tolerance.
const METRIC_TOL: f64 = 1e-9;
/// Statistical p-values: relative tolerance (references below 1e-300 are skipped).
const P_VALUE_REL_TOL: f64 = 1e-9;
/// Special functions: relative tolerance against SciPy.
const SPECIAL_REL_TOL: f64 = 1e-12;

#[derive(Deserialize)]
struct Reference {
    metric_cases: Vec<MetricCase>,
    group_cases: Vec<GroupCase>,
    chi2_sf: Vec<Chi2Case>,
    gamma: Vec<GammaCase>,
    normal_sf: Vec<NormalCase>,
    erfc: Vec<ErfcCase>,
}

#[derive(Deserialize)]
struct MetricCase {
    name: String,
    scores: Vec<f64>,
    labels: Vec<u8>,
    auroc: f64,
    auroc30: f64,
    partial_auroc: Vec<PartialCase>,
    aupr: f64,
    roc_fpr: Vec<f64>,
    roc_tpr: Vec<f64>,
    roc_thresholds_after_first: Vec<f64>,
    f1: Vec<F1Case>,
}

#[derive(Deserialize)]
struct PartialCase {
    max_fpr: f64,
    value: f64,
}

#[derive(Deserialize)]
struct F1Case {
    contamination: f64,
    f1: f64,
}

#[derive(Deserialize)]
struct GroupCase {
    name: String,
    groups: Vec<Vec<f64>>,
    kruskal_h: f64,
    kruskal_p: f64,
    dunn_bonferroni: Vec<Vec<f64>>,
}

#[derive(Deserialize)]
struct Chi2Case {
    df: f64,
    x: f64,
    sf: f64,
}

#[derive(Deserialize)]
struct GammaCase {
    a: f64,
    x: f64,
    p: f64,
    q: f64,
}

#[derive(Deserialize)]
struct NormalCase {
    z: f64,
    sf: f64,
}

#[derive(Deserialize)]
struct ErfcCase {
    x: f64,
    erfc: f64,
}

fn reference() -> Reference {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/metrics_reference.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("cannot read {path} (run scripts/make_metric_fixtures.py): {e}")
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("cannot parse {path}: {e}"))
}

fn assert_close(actual: f64, expected: f64, tol: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tol,
        "{what}: got {actual}, expected {expected}"
    );
}

fn assert_relative(actual: f64, expected: f64, rel_tol: f64, what: &str) {
    if expected < 1e-300 {
        return;
    }
    let error = ((actual - expected) / expected).abs();
    assert!(
        error <= rel_tol,
        "{what}: got {actual:e}, expected {expected:e} (rel. error {error:e})"
    );
}

#[test]
fn fixture_covers_ties_and_sizes() {
    let cases = reference().metric_cases;
    assert!(cases.len() >= 15);
    assert!(cases.iter().any(|c| c.scores.len() >= 2000));
    let distinct_scores = |c: &MetricCase| c.roc_thresholds_after_first.len();
    let tied = cases
        .iter()
        .filter(|c| distinct_scores(c) < c.scores.len())
        .count();
    let heavily_tied = cases
        .iter()
        .filter(|c| distinct_scores(c) * 2 < c.scores.len())
        .count();
    assert!(
        tied >= 10 && heavily_tied >= 6,
        "fixture should contain (heavily) tied score vectors"
    );
}

#[test]
fn auroc_partial_auroc_and_aupr_match_sklearn() {
    for case in reference().metric_cases {
        let (s, l, name) = (&case.scores, &case.labels, &case.name);
        assert_close(
            auroc(s, l).unwrap(),
            case.auroc,
            METRIC_TOL,
            &format!("{name} auroc"),
        );
        assert_close(
            auroc30(s, l).unwrap(),
            case.auroc30,
            METRIC_TOL,
            &format!("{name} auroc30"),
        );
        assert_close(
            average_precision(s, l).unwrap(),
            case.aupr,
            METRIC_TOL,
            &format!("{name} aupr"),
        );
        for partial in &case.partial_auroc {
            let value = partial_auroc(s, l, partial.max_fpr).unwrap();
            assert_close(
                value,
                partial.value,
                METRIC_TOL,
                &format!("{name} pauc({})", partial.max_fpr),
            );
        }
    }
}

#[test]
fn roc_curve_matches_sklearn_without_dropping_points() {
    for case in reference().metric_cases {
        let curve = roc_curve(&case.scores, &case.labels).unwrap();
        assert_eq!(
            curve.fpr.len(),
            case.roc_fpr.len(),
            "{}: number of ROC points",
            case.name
        );
        assert_eq!(curve.thresholds[0], f64::INFINITY);
        assert_eq!(
            &curve.thresholds[1..],
            &case.roc_thresholds_after_first[..],
            "{}",
            case.name
        );
        for k in 0..curve.fpr.len() {
            assert_close(
                curve.fpr[k],
                case.roc_fpr[k],
                METRIC_TOL,
                &format!("{} fpr[{k}]", case.name),
            );
            assert_close(
                curve.tpr[k],
                case.roc_tpr[k],
                METRIC_TOL,
                &format!("{} tpr[{k}]", case.name),
            );
        }
    }
}

#[test]
fn f1_at_contamination_matches_pyod_convention() {
    for case in reference().metric_cases {
        for f1 in &case.f1 {
            let value = f1_at_contamination(&case.scores, &case.labels, f1.contamination).unwrap();
            assert_close(
                value,
                f1.f1,
                METRIC_TOL,
                &format!("{} f1(q={})", case.name, f1.contamination),
            );
        }
    }
}

#[test]
fn evaluate_bundles_the_metrics_with_default_contamination() {
    for case in reference().metric_cases {
        let evaluation = evaluate(&case.scores, &case.labels, None).unwrap();
        let n_anomalies = case.labels.iter().filter(|&&l| l == 1).count();
        assert_eq!(
            (evaluation.n, evaluation.n_anomalies),
            (case.labels.len(), n_anomalies)
        );
        // The fixture's first F1 entry uses the true anomaly fraction.
        assert_close(
            evaluation.contamination,
            case.f1[0].contamination,
            1e-15,
            &case.name,
        );
        assert_close(evaluation.f1, case.f1[0].f1, METRIC_TOL, &case.name);
        assert_close(evaluation.auroc, case.auroc, METRIC_TOL, &case.name);
        assert_close(evaluation.auroc30, case.auroc30, METRIC_TOL, &case.name);
        assert_close(evaluation.aupr, case.aupr, METRIC_TOL, &case.name);
    }
}

#[test]
fn kruskal_wallis_matches_scipy() {
    for case in reference().group_cases {
        let groups: Vec<&[f64]> = case.groups.iter().map(Vec::as_slice).collect();
        let result = kruskal_wallis(&groups).unwrap();
        assert_eq!(result.df, groups.len() - 1);
        assert_relative(result.h, case.kruskal_h, 1e-12, &format!("{} H", case.name));
        assert_relative(
            result.p_value,
            case.kruskal_p,
            P_VALUE_REL_TOL,
            &format!("{} p", case.name),
        );
    }
}

#[test]
fn dunn_bonferroni_matches_scikit_posthocs() {
    for case in reference().group_cases {
        let groups: Vec<&[f64]> = case.groups.iter().map(Vec::as_slice).collect();
        let matrix = dunn_bonferroni(&groups).unwrap();
        assert_eq!(matrix.len(), case.dunn_bonferroni.len());
        for (i, row) in case.dunn_bonferroni.iter().enumerate() {
            for (j, &expected) in row.iter().enumerate() {
                let what = format!("{} dunn[{i}][{j}]", case.name);
                assert_relative(matrix[i][j], expected, P_VALUE_REL_TOL, &what);
            }
        }
    }
}

#[test]
fn special_functions_match_scipy() {
    let reference = reference();
    for c in &reference.chi2_sf {
        let what = format!("chi2.sf({}, {})", c.x, c.df);
        assert_relative(special::chi2_sf(c.x, c.df), c.sf, SPECIAL_REL_TOL, &what);
    }
    for c in &reference.gamma {
        let what = format!("gammainc({}, {})", c.a, c.x);
        assert_relative(
            special::regularized_gamma_p(c.a, c.x),
            c.p,
            SPECIAL_REL_TOL,
            &what,
        );
        assert_relative(
            special::regularized_gamma_q(c.a, c.x),
            c.q,
            SPECIAL_REL_TOL,
            &format!("{what}c"),
        );
    }
    for c in &reference.normal_sf {
        let what = format!("norm.sf({})", c.z);
        assert_relative(special::normal_sf(c.z), c.sf, SPECIAL_REL_TOL, &what);
    }
    for c in &reference.erfc {
        assert_relative(
            special::erfc(c.x),
            c.erfc,
            SPECIAL_REL_TOL,
            &format!("erfc({})", c.x),
        );
    }
}
