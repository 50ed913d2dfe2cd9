#!/usr/bin/env bash
# Weight-seed spread of the two OgAE settings that `oneclass bench ogae-mnist-c` chose on
# validation (results/ogae-mnist-c-3v{4,8}/results.csv, "OgAE ocsvm" rows), on the same data
# (protocol seed 0): each setting is retrained with other weight seeds through `oneclass fit`
# and scored on both pairs. Seed 0 reproduces the benchmark's network bit for bit.
# Usage: scripts/ogae_weight_seeds.sh DATA_DIR OUT [SEEDS (default 0,1,2,3,4)]
# Writes OUT/table.md and OUT/results.csv; installs numpy + scikit-learn in .venv-bench for the
# per-corruption AUROCs. Finished networks and scores are kept, so a rerun continues.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=$1; OUT=$2; SEEDS=${3:-0,1,2,3,4}
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
SHARED="--set net=ogae-mnist --set lr=1e-3 --set epochs=20 --set batch_size=100 --set patience=3"
declare -A SETTING=(
  [chosen-3v4]="--set lambda=0.01 --set schedule=expand-then-both:5 --set nu=0.1 --set ocsvm_nu=0.1"
  [chosen-3v8]="--set lambda=1 --set schedule=both --set nu=0.1 --set ocsvm_nu=0.1"
)
for seed in ${SEEDS//,/ }; do
  for name in chosen-3v4 chosen-3v8; do
    m="$OUT/models/$name-seed$seed.json"
    # Both pairs share the training images (digit 3), so one network serves both.
    [ -f "$m" ] || "$B" fit ogae --train "$OUT/mc34/train.npz" --val "$OUT/mc34/early_stop.npz" $SHARED ${SETTING[$name]} --seed "$seed" --model "$m" --quiet
    for p in 4 8; do
      for split in val test; do
        s="$OUT/scores/$name-seed$seed-3v$p-$split.npy"
        [ -f "$s" ] || "$B" score --model "$m" --input "$OUT/mc3$p/$split.npz" --output "$s"
      done
    done
  done
done
.venv-bench/bin/python scripts/ogae_weight_seeds.py "$OUT"
