#!/usr/bin/env bash
# Run every benchmark in bench/ in turn; each prints its figures and ratios to a baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
for b in bench/*.py; do
  [ "$(basename "$b")" = "__init__.py" ] && continue
  echo "== $b"
  .venv/bin/python "$b"
done
