# Sourced by the comparison scripts: builds the CLI and makes .venv-bench (scikit-learn 1.9,
# numpy) on first use. Run from the repository root.
cargo build --release -q -p oneclass-cli
if [ ! -x .venv-bench/bin/python ]; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install -q "scikit-learn==1.9.*" numpy
fi
