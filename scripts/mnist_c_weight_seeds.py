"""Summarises scripts/mnist_c_weight_seeds.sh: pooled and per-corruption AUROC per network, and the
mean ± std over weight seeds of each setting on each pair. Writes OUT/table.md, OUT/results.csv."""
import csv
import glob
import json
import os
import sys

import numpy as np
from sklearn.metrics import roc_auc_score

out = sys.argv[1]
splits = {p: {s: np.load(f"{out}/mc3{p}/{s}.npz") for s in ("val", "test")} for p in ("4", "8")}
names = json.load(open(f"{out}/mc34/manifest.json"))["value_names"]["corruption"]
rows = []
for f in sorted(glob.glob(f"{out}/scores/*-test.npy")):
    stem = os.path.basename(f)[: -len("-test.npy")]  # ogae-chosen-3v4-seed1-3v8
    setting, seed, pair = stem.rsplit("-", 2)
    p = pair[-1]
    test, val = np.load(f), np.load(f.replace("-test.npy", "-val.npy"))
    t, v = splits[p]["test"], splits[p]["val"]
    per = {names[c]: roc_auc_score(t["y"][t["corruption"] == c], test[t["corruption"] == c]) for c in np.unique(t["corruption"])}
    rows.append(dict(setting=setting, seed=int(seed[4:]), pair=f"3 vs {p}", val_auroc=roc_auc_score(v["y"], val), test_auroc=roc_auc_score(t["y"], test), **{f"test_{k}": x for k, x in per.items()}))
rows.sort(key=lambda r: (r["setting"], r["pair"], r["seed"]))
with open(f"{out}/results.csv", "w", newline="") as fh:
    w = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(rows)
corr = [k[5:] for k in rows[0] if k.startswith("test_") and k != "test_auroc"]
md = ["Seed 001 MNIST-C task: weight-seed spread (protocol seed 0; ogae-chosen-*: the OgAE-ocsvm settings chosen on validation; ae: AE recons; h-dsvdd: hard Deep SVDD). AUROC.", "",
      "| setting | pair | seed | validation | test | " + " | ".join(f"test {c}" for c in corr) + " |",
      "|---|---|---|---|---|" + "---|" * len(corr)]
for r in rows:
    md.append(f"| {r['setting']} | {r['pair']} | {r['seed']} | {r['val_auroc']:.3f} | {r['test_auroc']:.3f} | " + " | ".join(f"{r['test_' + c]:.3f}" for c in corr) + " |")
md += ["", "| setting | pair | seeds | test mean ± std | min | max | validation mean |", "|---|---|---|---|---|---|---|"]
for key in sorted({(r["setting"], r["pair"]) for r in rows}):
    sel = [r for r in rows if (r["setting"], r["pair"]) == key]
    a = np.array([r["test_auroc"] for r in sel])
    sd = a.std(ddof=1) if len(a) > 1 else 0.0
    md.append(f"| {key[0]} | {key[1]} | {','.join(str(r['seed']) for r in sel)} | {a.mean():.3f} ± {sd:.3f} | {a.min():.3f} | {a.max():.3f} | {np.mean([r['val_auroc'] for r in sel]):.3f} |")
open(f"{out}/table.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
