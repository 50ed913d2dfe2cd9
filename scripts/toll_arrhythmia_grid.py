#!/usr/bin/env python3
"""Seed 002's hyper-parameter choice for Toll on Arrhythmia, redone on our validation splits.

Seed 002 (section 4.1) picks the learning rate and beta "based on the validation set
performance" and prints its choice (appendix B.3: beta 10, lr 1e-3). This script trains every
(lr, beta) of a grid with `oneclass bench toll-arrhythmia --select val-auroc` on the same seeds
(one split per seed), one folder per grid point (each resumable), then writes OUT/grid.md: the
mean validation AUROC and F1 of each point, and its test numbers beside them. The chosen point
is the one with the highest mean validation AUROC (the reference's checkpoint rule, applied
to the grid); the test columns play no part in the choice.

usage: scripts/toll_arrhythmia_grid.py --bin target/release/oneclass --data-dir ../shared/data \
           --out OUT [--seeds 0,...,9] [--lrs 1e-4,1e-3,1e-2] [--betas 1,10,100] [--jobs 2]
"""
import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor


def point_dir(out, lr, beta):
    return os.path.join(out, f"lr{lr}-beta{beta}")


def train(args, lr, beta):
    folder = point_dir(args.out, lr, beta)
    cmd = [args.bin, "bench", "toll-arrhythmia", "--seeds", args.seeds, "--select", "val-auroc",
           "--set", f"lr={lr}", "--set", f"beta={beta}", "--data-dir", args.data_dir, "--out", folder]
    with open(folder + ".log", "w") as log:
        rc = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT)
    if rc != 0:
        sys.exit(f"{' '.join(cmd)} failed (rc {rc}); see {folder}.log")


def summary(args, lr, beta):
    path = os.path.join(point_dir(args.out, lr, beta), "report.json")
    with open(path) as f:
        s = json.load(f)["summary"]["val-auroc"]
    if s["seeds"] != len(args.seeds.split(",")):
        sys.exit(f"{path}: {s['seeds']} seeds, expected {args.seeds}")
    return s


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", required=True)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seeds", default=",".join(str(s) for s in range(10)))
    p.add_argument("--lrs", default="1e-4,1e-3,1e-2")
    p.add_argument("--betas", default="1,10,100")
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args()
    if not (os.path.isfile(args.bin) and os.access(args.bin, os.X_OK)):
        p.error(f"--bin {args.bin}: not an executable file (build it: cargo build --release -p oneclass-cli)")
    if args.jobs < 1:
        p.error(f"--jobs {args.jobs}: expected a positive number of parallel trainings")
    os.makedirs(args.out, exist_ok=True)
    grid = [(lr, beta) for lr in args.lrs.split(",") for beta in args.betas.split(",")]
    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(lambda point: train(args, *point), grid))
    rows = [(lr, beta, summary(args, lr, beta)) for lr, beta in grid]
    chosen = max(rows, key=lambda r: r[2]["val_auroc_mean"])
    lines = [
        "# Toll on Arrhythmia: (lr, beta) chosen on validation",
        "",
        f"`scripts/toll_arrhythmia_grid.py --seeds {args.seeds} --lrs {args.lrs} --betas {args.betas}`;"
        " checkpoint rule val-auroc; chosen = highest mean validation AUROC (bold). Mean over seeds, %.",
        "",
        "| lr | beta | val AUROC | val F1 | test F1 (top 15 %) | test AUROC |",
        "|---|---|---|---|---|---|",
    ]
    for lr, beta, s in rows:
        mark = "**" if (lr, beta) == chosen[:2] else ""
        lines.append(
            f"| {mark}{lr}{mark} | {mark}{beta}{mark} | {100 * s['val_auroc_mean']:.1f} | {100 * s['val_f1_mean']:.1f} "
            f"| {100 * s['f1_mean']:.1f} ± {100 * s['f1_std']:.1f} | {100 * s['auroc_mean']:.1f} ± {100 * s['auroc_std']:.1f} |"
        )
    text = "\n".join(lines) + "\n"
    tmp = os.path.join(args.out, "grid.md.tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, os.path.join(args.out, "grid.md"))
    print(text)


if __name__ == "__main__":
    main()
