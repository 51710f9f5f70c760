#!/usr/bin/env bash
# The whole suite, as `make test` and CI run it: lint, types, the tests on SQLite (browser included),
# then the same tests on PostgreSQL with the Celery path on Redis. With CI=true nothing may be skipped
# for a missing server: the fixtures fail instead.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL=${FLOWDESK_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}

echo "== ruff"
$BIN/ruff check .
echo "== mypy"
$BIN/mypy
echo "== alembic: migrations match the models (SQLite)"
$BIN/python -m flowdesk.migrate_check "sqlite:///$(mktemp -d)/check.db"

echo "== tests on SQLite"
unset FLOWDESK_TEST_DATABASE_URL
$BIN/pytest -q -p no:cacheprovider

pg_reachable() { $BIN/python - "$PG_URL" <<'PY'
import sys, sqlalchemy
try:
    sqlalchemy.create_engine(sys.argv[1]).connect().close()
except Exception:
    sys.exit(1)
PY
}
if [ "${CI:-}" = "true" ] || pg_reachable; then
  echo "== alembic: migrations match the models (PostgreSQL)"
  $BIN/python -m flowdesk.migrate_check "$PG_URL"
  echo "== tests on PostgreSQL (+ Celery on Redis)"
  FLOWDESK_TEST_DATABASE_URL=$PG_URL $BIN/pytest -q -p no:cacheprovider -m "not browser"
else
  echo "== PostgreSQL not reachable at $PG_URL: skipped outside CI"
fi
