#!/usr/bin/env bash
# Weight-seed spread on seed 001's MNIST-C task (`oneclass bench ogae-mnist-c`, protocol seed 0):
# the two OgAE settings the benchmark chose on validation (results/ogae-mnist-c-3v{4,8}/
# results.csv, "OgAE ocsvm" rows) and two baselines that have no grid (AE recons, h-DSVDD), each
# retrained with other weight seeds through `oneclass fit` with the benchmark's shared settings
# and scored on both pairs. Seed 0 reproduces the benchmark's networks bit for bit.
# Usage: scripts/mnist_c_weight_seeds.sh DATA_DIR OUT [SEEDS (default 0,1,2,3,4)] [SETTINGS]
# (SETTINGS: comma-separated names below, default all). Writes OUT/table.md and OUT/results.csv;
# installs numpy + scikit-learn in .venv-bench for the per-corruption AUROCs. Finished networks
# and scores are kept, so a rerun continues.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=$1; OUT=$2; SEEDS=${3:-0,1,2,3,4}; NAMES=${4:-ogae-chosen-3v4,ogae-chosen-3v8,ae,h-dsvdd}
cargo build --release -q -p oneclass-cli
B="${CARGO_TARGET_DIR:-target}/release/oneclass"
if [ ! -x .venv-bench/bin/python ]; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install -q "scikit-learn==1.9.*" numpy
fi
mkdir -p "$OUT/models" "$OUT/scores"
for p in 4 8; do
  [ -f "$OUT/mc3$p/test.npz" ] || "$B" data protocol ogae-mnist-c --pair 3,$p --dataset mnist --seed 0 --data-dir "$DATA" --out "$OUT/mc3$p"
done
# The benchmark's shared training procedure (bench_ogae.rs, `shared_settings`).
SHARED="--set net=ogae-mnist --set lr=1e-3 --set epochs=20 --set milestones= --set batch_size=100 --set patience=3"
PRETRAIN="--set pretrain_lr=1e-3 --set pretrain_epochs=20 --set pretrain_milestones="
declare -A SETTING=(
  [ogae-chosen-3v4]="ogae --set lambda=0.01 --set schedule=expand-then-both:5 --set nu=0.1 --set ocsvm_nu=0.1"
  [ogae-chosen-3v8]="ogae --set lambda=1 --set schedule=both --set nu=0.1 --set ocsvm_nu=0.1"
  [ae]="ae"
  [h-dsvdd]="deep-svdd --set objective=one-class --set bias=false $PRETRAIN"
)
for seed in ${SEEDS//,/ }; do
  for name in ${NAMES//,/ }; do
    [ -n "${SETTING[$name]:-}" ] || { echo "unknown setting $name" >&2; exit 1; }
    m="$OUT/models/$name-seed$seed.json"
    read -r method sets <<< "${SETTING[$name]}"
    # Both pairs share the training images (digit 3), so one network serves both.
    [ -f "$m" ] || "$B" fit "$method" --train "$OUT/mc34/train.npz" --val "$OUT/mc34/early_stop.npz" $SHARED $sets --seed "$seed" --model "$m" --quiet
    for p in 4 8; do
      for split in val test; do
        s="$OUT/scores/$name-seed$seed-3v$p-$split.npy"
        [ -f "$s" ] || "$B" score --model "$m" --input "$OUT/mc3$p/$split.npz" --output "$s"
      done
    done
  done
done
.venv-bench/bin/python scripts/mnist_c_weight_seeds.py "$OUT"
