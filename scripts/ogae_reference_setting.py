#!/usr/bin/env python3
"""OgAE on seed 001's MNIST-C task with the released reference code's experiment-1 defaults.

The reference (models_xp1, README) gives lambda = 1e-2, nu = 0.03, a fixed rbf gamma = 1e-2
on unstandardised codes, an expander-only phase then expander + compactor (switch at epoch 10
of 20), and scores with the mean decision of M = 10 minibatch OCSVMs. This script trains that
setting with several weight seeds through the `oneclass` CLI and scores each network three
ways: the final OCSVM on the whole training set (`score=ocsvm`, gamma 1e-2 on raw codes as
well), the mean of 10 minibatch OCSVMs (`score=ocsvm-batches`) and the reconstruction error.

For each (pair, seed, score) it reports the pooled AUROC / AUPR / AUROC30 of `oneclass eval`,
the AUROC within each test corruption, and, as a diagnostic only, the pooled AUROC after the
scores are standardised within each corruption ("aligned"): that uses the test corruption
labels, so it is no detector, but it shows how much of the pooled AUROC the offsets between
the corruption blocks cost.

Usage: scripts/ogae_reference_setting.py --oneclass target/release/oneclass --data-dir ../shared/data
       --out OUT [--seeds 0,1,2]. Writes OUT/table.md and OUT/summary.json; trained networks are kept in
       OUT/models and reused.
Needs numpy (scripts/ogae_reference_setting.sh installs it into .venv-bench).
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

SETTING = ["net=ogae-mnist", "epochs=20", "lambda=0.01", "nu=0.03", "gamma=0.01", "standardize=false",
           "schedule=expand-then-both:10", "ocsvm_gamma=0.01", "ocsvm_nu=0.03", "ocsvm_batches=10"]
SCORES = ["ocsvm", "ocsvm-batches", "recon"]
CORRUPTIONS = {8: "brightness", 10: "stripe", 15: "canny_edges"}
PAIRS = [(3, 4), (3, 8)]


def run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{done.stderr}")
    return done.stdout


def evaluate(oc, scores_path, labels_path):
    return json.loads(run([oc, "eval", "--scores", scores_path, "--labels", labels_path, "--groups", "corruption"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--oneclass", required=True)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seeds", default="0,1,2")
    a = ap.parse_args()
    out = Path(a.out)
    seeds = [int(s) for s in a.seeds.split(",")]
    (out / "models").mkdir(parents=True, exist_ok=True)
    (out / "scores").mkdir(exist_ok=True)
    for normal, anomaly in PAIRS:
        proto = out / f"protocol-{normal}v{anomaly}"
        if not (proto / "test.npz").exists():
            run([a.oneclass, "data", "protocol", "ogae-mnist-c", "--pair", f"{normal},{anomaly}", "--seed", "0",
                 "--data-dir", a.data_dir, "--out", str(proto)])
    # Both pairs train on the same images (the 3s under the training corruptions).
    train, early = out / "protocol-3v4" / "train.npz", out / "protocol-3v4" / "early_stop.npz"
    rows = []
    for seed in seeds:
        model = out / "models" / f"ref-s{seed}.json"
        if not model.exists():
            cmd = [a.oneclass, "fit", "ogae", "--train", str(train), "--val", str(early), "--seed", str(seed),
                   "--quiet", "--model", str(model)]
            for s in SETTING:
                cmd += ["--set", s]
            print(f"training weight seed {seed} …", file=sys.stderr, flush=True)
            run(cmd)
        meta = json.loads(model.read_text())
        for score in SCORES:
            meta["hyper"]["score"] = score
            variant = out / "models" / f"ref-s{seed}-{score}.json"
            variant.write_text(json.dumps(meta))
            for normal, anomaly in PAIRS:
                proto = out / f"protocol-{normal}v{anomaly}"
                for split in ["val", "test"]:
                    s_path = out / "scores" / f"{normal}v{anomaly}-s{seed}-{score}-{split}.npy"
                    run([a.oneclass, "score", "--model", str(variant), "--input", str(proto / f"{split}.npz"), "--output", str(s_path)])
                    e = evaluate(a.oneclass, str(s_path), str(proto / f"{split}.npz"))
                    s = np.load(s_path)
                    g = np.load(proto / f"{split}.npz")["corruption"]
                    aligned = s.copy()
                    for c in np.unique(g):
                        m = g == c
                        aligned[m] = (s[m] - s[m].mean()) / max(s[m].std(), 1e-300)
                    a_path = out / "scores" / f"{normal}v{anomaly}-s{seed}-{score}-{split}-aligned.npy"
                    np.save(a_path, aligned)
                    e_aligned = evaluate(a.oneclass, str(a_path), str(proto / f"{split}.npz"))
                    rows.append({"pair": f"{normal} vs {anomaly}", "seed": seed, "score": score, "split": split,
                                 "auroc": e["auroc"], "aupr": e["aupr"], "auroc30": e["auroc30"],
                                 "auroc_by_corruption": {CORRUPTIONS[int(k)]: v for k, v in e["auroc_by_group"].items()},
                                 "aligned_auroc": e_aligned["auroc"]})
    (out / "summary.json").write_text(json.dumps({"setting": SETTING, "seeds": seeds, "rows": rows}, indent=1))
    md = ["| pair | score | split | AUROC | AUPR | AUROC30 | stripe | canny_edges | brightness | aligned AUROC (diagnostic) |",
          "|---|---|---|---|---|---|---|---|---|---|"]
    pm = lambda v: f"{np.mean(v):.3f} ± {np.std(v, ddof=1) if len(v) > 1 else 0.0:.3f}"
    for normal, anomaly in PAIRS:
        for score in SCORES:
            for split in ["val", "test"]:
                r = [x for x in rows if x["pair"] == f"{normal} vs {anomaly}" and x["score"] == score and x["split"] == split]
                cells = [pm([x[k] for x in r]) for k in ["auroc", "aupr", "auroc30"]]
                cells += [pm([x["auroc_by_corruption"][c] for x in r]) for c in ["stripe", "canny_edges", "brightness"]]
                cells.append(pm([x["aligned_auroc"] for x in r]))
                md.append(f"| {normal} vs {anomaly} | {score} | {split} | " + " | ".join(cells) + " |")
    per_seed = ["", "Test AUROC per weight seed:", "", "| pair | score | " + " | ".join(f"seed {s}" for s in seeds) + " |",
                "|---|---|" + "---|" * len(seeds)]
    for normal, anomaly in PAIRS:
        for score in SCORES:
            vals = [next(x["auroc"] for x in rows if x["pair"] == f"{normal} vs {anomaly}" and x["score"] == score
                         and x["split"] == "test" and x["seed"] == s) for s in seeds]
            per_seed.append(f"| {normal} vs {anomaly} | {score} | " + " | ".join(f"{v:.3f}" for v in vals) + " |")
    header = [f"OgAE, reference experiment-1 setting ({' '.join(SETTING)}), weight seeds {a.seeds}; mean ± std over seeds.", ""]
    (out / "table.md").write_text("\n".join(header + md + per_seed) + "\n")
    print("\n".join(header + md + per_seed))


if __name__ == "__main__":
    main()
