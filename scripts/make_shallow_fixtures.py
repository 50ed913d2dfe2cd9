#!/usr/bin/env python3
"""Reference values for crates/oneclass-shallow (Isolation Forest, Gaussian KDE, PCA).

Run with the reference environment (scikit-learn 1.9.1):

    /work/pyref/bin/python scripts/make_shallow_fixtures.py            # writes the fixtures
    /work/pyref/bin/python scripts/make_shallow_fixtures.py --bench    # times IsolationForest on 16_http

Real datasets are read from ../shared/data (relative to the repository root); the Rust tests read
the same files, so the fixtures store only expected values, plus the small synthetic matrices.
Every float is written with Python's shortest round-trip repr, so Rust parses it exactly.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import scipy.io
import sklearn
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.ensemble._iforest import _average_path_length
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.neighbors import KernelDensity
from scipy.special import logsumexp

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "crates" / "oneclass-shallow" / "tests" / "fixtures"

# Relative paths under shared/data; the Rust tests open the same files.
IFOREST_SETS = ["odds/cardio.mat", "odds/thyroid.mat", "adbench/14_glass.npz", "adbench/42_WBC.npz"]
IFOREST_SEEDS = list(range(10))


def load(rel):
    path = DATA / rel
    if path.suffix == ".mat":
        m = scipy.io.loadmat(path)
        return np.asarray(m["X"], dtype=np.float64), np.asarray(m["y"]).ravel().astype(int)
    m = np.load(path)
    return np.asarray(m["X"], dtype=np.float64), np.asarray(m["y"]).ravel().astype(int)


def floats(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def matrix(a):
    a = np.asarray(a, dtype=np.float64)
    return {"rows": int(a.shape[0]), "cols": int(a.shape[1]), "data": floats(a)}


def iforest_fixture():
    sizes = [1, 2, 3, 4, 5, 10, 64, 100, 255, 256, 257, 1000, 123456]
    c = _average_path_length(np.array(sizes, dtype=np.float64))
    sets = []
    for rel in IFOREST_SETS:
        x, y = load(rel)
        aurocs = []
        for seed in IFOREST_SEEDS:
            forest = IsolationForest(random_state=seed).fit(x)
            aurocs.append(roc_auc_score(y, -forest.score_samples(x)))
        sets.append({
            "path": rel,
            "rows": int(x.shape[0]),
            "cols": int(x.shape[1]),
            "seeds": IFOREST_SEEDS,
            "auroc": aurocs,
            "auroc_mean": float(np.mean(aurocs)),
            "auroc_std": float(np.std(aurocs)),
        })
    return {
        "protocol": "IsolationForest(random_state=seed) defaults, fit on all rows, AUROC of -score_samples on the same rows",
        "average_path_length": {"n": sizes, "c": floats(c)},
        "datasets": sets,
    }


def dense_log_density(train, query, h):
    """KernelDensity's definition summed over every training point (no tree, no bounds)."""
    n, d = train.shape
    sq = ((query[:, None, :] - train[None, :, :]) ** 2).sum(axis=-1)
    return logsumexp(-0.5 * sq / (h * h), axis=1) - np.log(n) - 0.5 * d * np.log(2 * np.pi) - d * np.log(h)


# scikit-learn's tree-based score_samples (even with atol = rtol = 0) is wrong for a few points,
# by up to 90 % of the log-density: the log-space bound bookkeeping loses precision (scikit-learn
# issues #25799, #27186). Those points are listed so the tests compare them with the dense sum.
SKLEARN_AGREES = 1e-9


def deviating(sklearn_values, dense_values):
    rel = np.abs(sklearn_values - dense_values) / np.maximum(1.0, np.abs(dense_values))
    return [int(i) for i in np.flatnonzero(rel > SKLEARN_AGREES)]


def kde_case(train, query, bandwidth):
    kde = KernelDensity(kernel="gaussian", bandwidth=bandwidth).fit(train)
    sklearn_values = kde.score_samples(query)
    dense = dense_log_density(train, query, kde.bandwidth_)
    return {
        "bandwidth": bandwidth,
        "bandwidth_": float(kde.bandwidth_),
        "score_samples": floats(sklearn_values),
        "dense_log_density": floats(dense),
        "sklearn_deviates": deviating(sklearn_values, dense),
    }


def kde_fixture():
    rng = np.random.default_rng(20240611)
    # Two clusters with different spreads, plus a few far-away queries (deep tails of the density).
    train = np.vstack([rng.normal(0.0, 1.0, size=(90, 3)), rng.normal([4.0, -2.0, 1.0], 0.5, size=(60, 3))])
    query = np.vstack([rng.normal(1.0, 2.0, size=(36, 3)), [[30.0, 30.0, 30.0], [-15.0, 8.0, 2.0], [0.0, 0.0, 60.0], [4.0, -2.0, 1.0]]])
    synthetic = {"train": matrix(train), "query": matrix(query), "cases": []}
    for bandwidth in [0.5, 2.0, "scott", "silverman"]:
        synthetic["cases"].append(kde_case(train, query, bandwidth))

    glass_x, _ = load("adbench/14_glass.npz")
    glass = {"path": "adbench/14_glass.npz", "cases": []}
    for bandwidth in [0.3, "scott", "silverman"]:
        glass["cases"].append(kde_case(glass_x, glass_x, bandwidth))

    # Cross-validated bandwidth exactly as the crate's default grid, with unshuffled folds
    # (KFold(5) without shuffling assigns contiguous blocks, which the crate reproduces).
    grid = np.logspace(-2, 1, 20) * train.std(axis=0).mean()
    search = GridSearchCV(KernelDensity(kernel="gaussian"), {"bandwidth": grid}, cv=KFold(5)).fit(train)
    sklearn_scores = search.cv_results_["mean_test_score"]
    dense_scores = np.array([
        np.mean([dense_log_density(train[fit], train[held_out], h).sum() for fit, held_out in KFold(5).split(train)])
        for h in grid
    ])
    cv = {
        "n_folds": 5,
        "grid": floats(grid),
        "mean_test_score": floats(sklearn_scores),
        "dense_mean_test_score": floats(dense_scores),
        "sklearn_deviates": deviating(sklearn_scores, dense_scores),
        "best_bandwidth": float(search.best_params_["bandwidth"]),
        "dense_best_bandwidth": float(grid[np.argmax(dense_scores)]),
    }
    return {"synthetic": synthetic, "glass": glass, "cv": cv}


def pca_case(x, n_components, whiten, transform_rows):
    pca = PCA(n_components=n_components, whiten=whiten).fit(x)
    return {
        "n_components": n_components,
        "whiten": whiten,
        "solver": pca._fit_svd_solver,
        "n_components_": int(pca.n_components_),
        "mean": floats(pca.mean_),
        "components": matrix(pca.components_),
        "explained_variance": floats(pca.explained_variance_),
        "explained_variance_ratio": floats(pca.explained_variance_ratio_),
        "transform_rows": transform_rows,
        "transform": matrix(pca.transform(x[:transform_rows])),
    }


def pca_fixture():
    rng = np.random.default_rng(7)
    # Fewer than 10 rows per column, so scikit-learn takes the full-SVD path (not covariance_eigh).
    latent = rng.normal(size=(30, 4)) * [5.0, 3.0, 2.0, 1.0]
    wide = latent @ rng.normal(size=(4, 12)) + 0.1 * rng.normal(size=(30, 12)) + rng.normal(size=12)
    cardio, _ = load("odds/cardio.mat")
    glass, _ = load("adbench/14_glass.npz")
    return {
        "synthetic_wide": {"x": matrix(wide), "cases": [pca_case(wide, 10, False, 30), pca_case(wide, 0.95, True, 30)]},
        "datasets": [
            {"path": "odds/cardio.mat", "cases": [pca_case(cardio, None, False, 40), pca_case(cardio, 0.9, True, 40)]},
            {"path": "adbench/14_glass.npz", "cases": [pca_case(glass, 5, False, 40), pca_case(glass, 0.999, True, 40)]},
        ],
    }


def write(name, obj):
    obj = {"generator": "scripts/make_shallow_fixtures.py", "sklearn": sklearn.__version__, **obj}
    path = OUT / name
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj, indent=None) + "\n")
    tmp.replace(path)
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size} bytes)")


def bench():
    """Fit+score time of scikit-learn's IsolationForest on ADBench 16_http (defaults, seed 0)."""
    x, y = load("adbench/16_http.npz")
    for n_jobs in [None, -1]:
        start = time.perf_counter()
        forest = IsolationForest(random_state=0, n_jobs=n_jobs).fit(x)
        fitted = time.perf_counter()
        scores = -forest.score_samples(x)
        done = time.perf_counter()
        print(f"sklearn IsolationForest n_jobs={n_jobs}: {x.shape[0]}x{x.shape[1]} fit {fitted - start:.3f}s "
              f"score {done - fitted:.3f}s total {done - start:.3f}s AUROC {roc_auc_score(y, scores):.4f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", action="store_true", help="time scikit-learn on 16_http instead of writing fixtures")
    args = parser.parse_args()
    if args.bench:
        bench()
        return
    OUT.mkdir(parents=True, exist_ok=True)
    write("iforest.json", iforest_fixture())
    write("kde.json", kde_fixture())
    write("pca.json", pca_fixture())


if __name__ == "__main__":
    main()
