#!/usr/bin/env bash
# OgAE with the reference code's experiment-1 defaults, several weight seeds, three scoring rules,
# both MNIST-C pairs (scripts/ogae_reference_setting.py). Installs numpy into .venv-bench on first use.
# Usage: scripts/ogae_reference_setting.sh --data-dir ../shared/data --out OUT [--seeds 0,1,2]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench_venv.sh
.venv-bench/bin/python scripts/ogae_reference_setting.py --oneclass "${CARGO_TARGET_DIR:-target}/release/oneclass" "$@"
