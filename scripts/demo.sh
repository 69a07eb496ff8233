#!/usr/bin/env bash
# Set up a virtual environment (if needed) and run the demo on the embedded defaults (SQLite, sample data).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
.venv/bin/madoguchi demo "$@"
