#!/usr/bin/env bash
# OCSVM speed and memory against scikit-learn 1.9, side by side in one run. Installs scikit-learn
# into a local venv (.venv-bench) on first use. Usage: scripts/bench_ocsvm.sh [--sizes 2000,20000 ...]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench_venv.sh
.venv-bench/bin/python scripts/bench_ocsvm.py --oneclass "${CARGO_TARGET_DIR:-target}/release/oneclass" "$@"
