"""Generate reference values for the oneclass-metrics tests.

Run with the reference environment (scikit-learn, SciPy, scikit-posthocs):
    /work/pyref/bin/python scripts/make_metric_fixtures.py
Writes crates/oneclass-metrics/tests/fixtures/metrics_reference.json.
"""
import json
import pathlib

import numpy as np
import pandas as pd
import scikit_posthocs as sp
import scipy
import sklearn
from scipy import special, stats
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score, roc_curve

OUT = pathlib.Path(__file__).resolve().parents[1] / "crates/oneclass-metrics/tests/fixtures/metrics_reference.json"
rng = np.random.default_rng(20240611)


def pyod_f1(scores, labels, contamination):
    """PyOD convention: threshold at the (1 - q) percentile, anomaly when score > threshold."""
    threshold = np.percentile(scores, 100 * (1 - contamination))
    return float(threshold), float(f1_score(labels, (scores > threshold).astype(int), zero_division=0))


def metric_case(name, scores, labels):
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels, dtype=int)
    fpr, tpr, thresholds = roc_curve(labels, scores, drop_intermediate=False)
    assert np.isinf(thresholds[0])
    q_default = labels.mean()
    f1_cases = []
    for q in [q_default, 0.05, 0.1, 0.25, 0.5]:
        threshold, f1 = pyod_f1(scores, labels, q)
        f1_cases.append({"contamination": float(q), "threshold": threshold, "f1": f1})
    return {
        "name": name,
        "scores": scores.tolist(),
        "labels": labels.tolist(),
        "auroc": float(roc_auc_score(labels, scores)),
        "auroc30": float(roc_auc_score(labels, scores, max_fpr=0.3)),
        "partial_auroc": [
            {"max_fpr": m, "value": float(roc_auc_score(labels, scores, max_fpr=m))}
            for m in [0.01, 0.1, 0.25, 0.5, 0.9, 1.0]
        ],
        "aupr": float(average_precision_score(labels, scores)),
        "roc_fpr": fpr.tolist(),
        "roc_tpr": tpr.tolist(),
        "roc_thresholds_after_first": thresholds[1:].tolist(),
        "f1": f1_cases,
    }


def random_metric_case(n, anomaly_rate, separation, decimals):
    labels = (rng.random(n) < anomaly_rate).astype(int)
    labels[0], labels[1] = 0, 1  # both classes always present
    scores = rng.normal(size=n) + separation * labels
    if decimals is not None:
        scores = np.round(scores, decimals)
    return scores, labels


metric_cases = [
    metric_case("sklearn_doc_example", [0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]),
    metric_case("perfect_separation", [0.1, 0.2, 0.3, 0.9, 1.0], [0, 0, 0, 1, 1]),
    metric_case("inverted", [5.0, 4.0, 3.0, 2.0, 1.0, 0.0], [0, 0, 0, 1, 1, 1]),
    metric_case("all_scores_tied", [0.7] * 8, [0, 1, 0, 0, 1, 0, 0, 0]),
    metric_case("two_levels", [1, 1, 1, 0, 0, 0, 0, 1, 0], [1, 0, 1, 0, 1, 0, 0, 1, 0]),
    metric_case("negative_scores", [-3.5, -1.0, -1.0, -2.0, -0.5, -7.0, -1.0], [0, 1, 0, 0, 1, 0, 1]),
]
for i, (n, rate, sep, dec) in enumerate([
    (7, 0.4, 0.5, 1), (10, 0.3, 1.0, 1), (25, 0.2, 1.0, 1), (50, 0.1, 2.0, 1),
    (100, 0.5, 0.3, 1), (333, 0.05, 1.5, 1), (1000, 0.1, 1.0, 1), (2000, 0.02, 2.0, 1),
    (500, 0.2, 0.8, 0), (1200, 0.3, 0.5, None),
]):
    scores, labels = random_metric_case(n, rate, sep, dec)
    metric_cases.append(metric_case(f"random_{i}_n{n}", scores, labels))


def group_case(name, groups):
    groups = [np.asarray(g, dtype=float) for g in groups]
    h, p = stats.kruskal(*groups)
    frame = pd.DataFrame({
        "value": np.concatenate(groups),
        "group": np.concatenate([[k] * len(g) for k, g in enumerate(groups)]),
    })
    dunn = sp.posthoc_dunn(frame, val_col="value", group_col="group", p_adjust="bonferroni")
    return {
        "name": name,
        "groups": [g.tolist() for g in groups],
        "kruskal_h": float(h),
        "kruskal_p": float(p),
        "dunn_bonferroni": dunn.to_numpy().tolist(),
    }


group_cases = [
    group_case("small_no_ties", [[2.9, 3.0, 2.5, 2.6, 3.2], [3.8, 2.7, 4.0, 2.4], [2.8, 3.4, 3.7, 2.2, 2.0]]),
    group_case("heavy_ties", [[1, 1, 2, 2, 3], [2, 2, 3, 3, 3, 4], [1, 1, 1, 2]]),
    group_case("two_groups", [[0.81, 0.79, 0.85, 0.80], [0.70, 0.72, 0.69, 0.75, 0.70]]),
]
for i, (k, size, shift) in enumerate([(3, 20, 0.05), (4, 12, 0.02), (5, 30, 0.1), (3, 400, 0.5)]):
    groups = [np.round(rng.normal(0.7 + shift * j, 0.1, size=size + j), 2) for j in range(k)]
    group_cases.append(group_case(f"random_{i}_k{k}", groups))

chi2_cases = []
for df in [1, 2, 3, 4, 5, 7, 10, 30, 100]:
    for x in [1e-8, 0.01, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 100.0, 300.0, 1000.0]:
        chi2_cases.append({"df": df, "x": x, "sf": float(stats.chi2.sf(x, df))})
gamma_cases = []
for a in [0.5, 1.0, 1.5, 2.5, 3.7, 12.0, 50.0]:
    for x in [1e-6, 0.1, 0.5, 1.0, 3.0, 10.0, 49.0, 60.0, 200.0]:
        gamma_cases.append({"a": a, "x": x, "q": float(special.gammaincc(a, x)), "p": float(special.gammainc(a, x))})
normal_cases = [{"z": z, "sf": float(stats.norm.sf(z))}
                for z in [-8.0, -3.0, -1.0, -0.1, 0.0, 1e-9, 0.3, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0, 30.0, 37.0]]
erfc_cases = [{"x": x, "erfc": float(special.erfc(x))}
              for x in [-2.0, -0.5, 0.0, 1e-8, 0.2, 0.5, 0.9, 1.2, 2.0, 4.0, 10.0, 26.0]]

OUT.parent.mkdir(parents=True, exist_ok=True)
OUT.write_text(json.dumps({
    "generator": "scripts/make_metric_fixtures.py",
    "versions": {"scikit-learn": sklearn.__version__, "scipy": scipy.__version__,
                 "numpy": np.__version__, "scikit-posthocs": sp.__version__},
    "metric_cases": metric_cases,
    "group_cases": group_cases,
    "chi2_sf": chi2_cases,
    "gamma": gamma_cases,
    "normal_sf": normal_cases,
    "erfc": erfc_cases,
}))
print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
