#!/usr/bin/env bash
# Re-creates the upgrade fixtures of tests/test_upgrade_from_old_main.py: a database made by an
# OLD main (migrate + the default demo data of its seed_demo), once on SQLite and once on
# PostgreSQL, so the test can check that the current code's `migrate` keeps every row.
#
#   tests/upgrade/main-<commit>.sqlite3.gz   the SQLite file (VACUUMed), gzipped
#   tests/upgrade/main-<commit>.pg.sql.gz    pg_dump --no-owner --no-privileges (plain SQL), gzipped
#
# Usage: tests/upgrade/make_fixtures.sh [commit]        (default: 9f93f43)
#
# What it does, all outside the checkout except the two files it writes:
#   1. `git worktree add --detach` of the commit into a temporary folder;
#   2. a throwaway virtualenv with that commit's own [project] dependencies (it may need other
#      packages than today's main: 9f93f43 renders Markdown with `Markdown`, not `pyromark`),
#      pinned to the versions in the project's .venv where both have a package, so the fixture
#      differs from today's schema by our own migrations only;
#   3. the old code's `manage.py migrate` and `seed_demo --quiet-logins` (its default demo data,
#      no --tickets), plus three TenantHoliday rows (see HOLIDAYS below), against a fresh SQLite
#      file, then against a fresh PostgreSQL database;
#   4. removes the worktree (`git worktree remove`, `git worktree prune`), the virtualenv and the
#      PostgreSQL database.
#
# PostgreSQL: the database is made as in CI/production. The old commit's bin/pg-setup creates the
# application's non-superuser role (HELPDESK_DB_ROLE, default "helpdesk"; idempotent, as CI does)
# and the database $FIXTURE_DB owned by it; the old code migrates and seeds as that role, so
# row-level security applies to it exactly as in production. The dump is taken as the admin role
# with --no-owner --no-privileges, so it restores into a fresh database as any role that owns it
# (the CI role included: the test restores it with psql as the suite's own database user).
#
# Environment:
#   PYTHON       interpreter for the throwaway virtualenv (default: python3, as bin/_venv.sh)
#   PG_SERVER    host:port of PostgreSQL, trust auth assumed (default: 127.0.0.1:5432)
#   PG_ADMIN     a superuser on it (default: postgres)
#   FIXTURE_DB   the temporary database (default: helpdesk_upgrade_fixture; dropped at the end)
set -euo pipefail

COMMIT=${1:-9f93f43}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/tests/upgrade"
PYTHON=${PYTHON:-python3}
PG_SERVER=${PG_SERVER:-127.0.0.1:5432}
PG_ADMIN=${PG_ADMIN:-postgres}
FIXTURE_DB=${FIXTURE_DB:-helpdesk_upgrade_fixture}
APP_ROLE=${HELPDESK_DB_ROLE:-helpdesk}
ADMIN_URL="postgres://$PG_ADMIN@$PG_SERVER/postgres"

SHORT=$(git -C "$ROOT" rev-parse --short=7 "$COMMIT^{commit}")
SQLITE_OUT="$OUT/main-$SHORT.sqlite3.gz"
PG_OUT="$OUT/main-$SHORT.pg.sql.gz"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/helpdesk-upgrade-fixture.XXXXXX")
TREE="$WORK/tree"

drop_fixture_db() {
  psql "$ADMIN_URL" -X -q -v ON_ERROR_STOP=1 \
    -c "DROP DATABASE IF EXISTS \"$FIXTURE_DB\" WITH (FORCE)" >/dev/null
}

cleanup() {
  local status=$?
  if [ -d "$TREE" ]; then
    git -C "$ROOT" worktree remove --force "$TREE" || true
  fi
  git -C "$ROOT" worktree prune
  drop_fixture_db || true
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT

echo "--- worktree of $SHORT in $TREE"
git -C "$ROOT" worktree add --quiet --detach "$TREE" "$SHORT"

echo "--- virtualenv with $SHORT's dependencies ($($PYTHON --version))"
"$PYTHON" -m venv "$WORK/venv"
VENV_PY="$WORK/venv/bin/python"
"$VENV_PY" - "$TREE/pyproject.toml" >"$WORK/requirements.txt" <<'PY'
import sys
import tomllib

with open(sys.argv[1], "rb") as f:
    print("\n".join(tomllib.load(f)["project"]["dependencies"]))
PY
: >"$WORK/constraints.txt"
if [ -x "$ROOT/.venv/bin/python" ]; then
  "$ROOT/.venv/bin/python" -m pip freeze --exclude-editable 2>/dev/null \
    | grep -v -i '^helpdesk' >"$WORK/constraints.txt" || true
fi
"$VENV_PY" -m pip install --quiet -r "$WORK/requirements.txt" -c "$WORK/constraints.txt"
echo "old dependencies: $(tr '\n' ' ' <"$WORK/requirements.txt")"

# The old code's processes get a clean environment: nothing from this shell (a REDIS_URL, a
# CELERY_BROKER_URL, DEBUG=0...) leaks into the fixture. Celery tasks queued by seed_demo land in
# the filesystem broker under $WORK/var and are thrown away, as after `bin/demo`'s seeding step.
old_manage() {
  local database_url=$1
  shift
  (cd "$TREE" && env -i PATH="$PATH" HOME="$WORK" LANG=C.UTF-8 \
    DATABASE_URL="$database_url" VAR_DIR="$WORK/var" MEDIA_ROOT="$WORK/media" \
    "$VENV_PY" manage.py "$@")
}

# The default demo data has no TenantHoliday row (its public holidays come from the country's
# calendar), so the old code adds the tenant's own closing days that the settings page would:
# a table the upgrade moves between apps is then checked with rows in it.
HOLIDAYS='
from datetime import date
from tenants.context import tenant_context
from tenants.models import Tenant, TenantHoliday
DAYS = {
    "demo": [(date(2026, 12, 24), "Christmas Eve"), (date(2026, 12, 31), "New Year'"'"'s Eve")],
    "globex": [(date(2026, 12, 24), "Heiligabend")],
}
for slug, days in DAYS.items():
    with tenant_context(Tenant.objects.get(slug=slug)):
        for day, name in days:
            TenantHoliday.objects.get_or_create(date=day, defaults={"name": name})
'

seed() {
  old_manage "$1" migrate --noinput -v 0
  old_manage "$1" seed_demo --quiet-logins
  old_manage "$1" shell -c "$HOLIDAYS"
}

echo "--- SQLite: migrate + seed_demo + holidays"
seed "sqlite:///$WORK/old.sqlite3"
# VACUUM INTO: one self-contained file (no -wal/-shm beside it), without free pages.
"$VENV_PY" - "$WORK/old.sqlite3" "$WORK/fixture.sqlite3" <<'PY'
import sqlite3
import sys

connection = sqlite3.connect(sys.argv[1])
connection.execute("VACUUM INTO ?", [sys.argv[2]])
connection.close()
PY
gzip -9 -n -c "$WORK/fixture.sqlite3" >"$SQLITE_OUT"

echo "--- PostgreSQL: $FIXTURE_DB owned by the application role $APP_ROLE"
drop_fixture_db
HELPDESK_DB_ROLE="$APP_ROLE" HELPDESK_DB_NAME="$FIXTURE_DB" "$TREE/bin/pg-setup" "$ADMIN_URL"
APP_URL="postgres://$APP_ROLE@$PG_SERVER/$FIXTURE_DB"
seed "$APP_URL"
# pg_dump since the August 2025 minor releases wraps the script in \restrict ... \unrestrict
# (a guard against a hostile server); psql before those releases stops at them. The fixture is
# ours, so the two lines go: any psql restores it.
pg_dump "postgres://$PG_ADMIN@$PG_SERVER/$FIXTURE_DB" --no-owner --no-privileges \
  | grep -v -E '^\\(un)?restrict ' | gzip -9 -n >"$PG_OUT"

echo "--- fixtures"
"$VENV_PY" - "$WORK/fixture.sqlite3" <<'PY'
import sqlite3
import sys

connection = sqlite3.connect(sys.argv[1])
tables = [
    row[0]
    for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
]
rows = sum(connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)
print(f"SQLite: {len(tables)} tables, {rows} rows")
PY
psql "postgres://$PG_ADMIN@$PG_SERVER/$FIXTURE_DB" -X -q -At -v ON_ERROR_STOP=1 <<'SQL'
CREATE FUNCTION pg_temp.rows(name text) RETURNS bigint LANGUAGE plpgsql AS
  $$ DECLARE n bigint; BEGIN EXECUTE format('SELECT count(*) FROM %I', name) INTO n; RETURN n; END $$;
SELECT format('PostgreSQL: %s tables, %s rows', count(*), sum(pg_temp.rows(tablename)))
  FROM pg_tables WHERE schemaname = 'public';
SQL
ls -l "$SQLITE_OUT" "$PG_OUT"
