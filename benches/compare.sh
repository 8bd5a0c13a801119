#!/usr/bin/env bash
# gradproof's derive+simplify times beside SymPy's and SymEngine's for the
# same RNN and MLP derivations (entry by entry, n = 3). Installs both from
# PyPI into a local virtual environment under target/.
# Usage: benches/compare.sh [seconds-per-case-limit]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/cas-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet sympy symengine
fi
echo "== gradproof (symbolic dimensions, results in lecture form)"
cargo bench --quiet --bench derive
echo
echo "== SymPy / SymEngine (entries, n = 3)"
"$venv/bin/python" benches/cas_compare.py "${1:-60}"
