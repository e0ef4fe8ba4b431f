"""Upgrading a database made by an older main keeps every row.

The fixtures in tests/upgrade/ are main at 9f93f43 after ``migrate`` and ``seed_demo`` (its
default demo data), once on SQLite and once on PostgreSQL; ``tests/upgrade/make_fixtures.sh``
re-creates them. Each test restores one into a fresh database of its own, counts the rows of
every table the database's catalogue lists, runs today's ``manage.py migrate`` in a subprocess,
and checks that:

- every table that was there still has as many rows, for each tenant too (``RENAMED_TABLES``
  maps a table renamed on purpose); only the tables ``migrate`` itself writes to may grow;
- no migration is left to apply;
- today's models, wherever they live now, read the demo tenant's business hours, holidays,
  priority levels, tickets and events back through the ORM: the very rows the tables hold;
- on PostgreSQL, every tenant table still has its forced row-level security policy, unchanged;
- the one value migrations rewrite, the timeline's actor ("user" became the role the person
  acts in: "agent" for staff of the event's tenant, "customer" otherwise), is rewritten for
  every row and nothing else.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from django.conf import settings
from psycopg2 import sql

from tenants.registry import rls_exempt_models
from tenants.rls import POLICY_NAME

ROOT = Path(__file__).resolve().parent.parent
OLD_MAIN = "9f93f43"
SQLITE_FIXTURE = ROOT / "tests" / "upgrade" / f"main-{OLD_MAIN}.sqlite3.gz"
POSTGRES_FIXTURE = ROOT / "tests" / "upgrade" / f"main-{OLD_MAIN}.pg.sql.gz"
TIMEOUT = 300  # seconds, for each subprocess

# A table renamed on purpose since the fixture was made: {old name: new name}.
RENAMED_TABLES: dict[str, str] = {}
# The bookkeeping tables migrate writes to: a new migration, a new model's content type and its
# permissions add rows. They may grow; like every other table, they never lose a row.
MIGRATE_WRITES = {"django_migrations", "django_content_type", "auth_permission"}

# What the ORM must read back, per model: the labels to try, newest home first.
ORM_MODELS = {
    "business hours": ("desk.BusinessHours", "tenants.BusinessHours"),
    "holidays": ("desk.TenantHoliday", "tenants.TenantHoliday"),
    "priority levels": ("desk.PriorityLevel", "tenants.PriorityLevel"),
    "tickets": ("tickets.Ticket",),
    "ticket events": ("tickets.TicketEvent",),
}
ORM_MARKER = "UPGRADE-ORM-READ "
# Runs in `manage.py shell -c`: today's code, inside the demo tenant, as the application does.
ORM_READ = f"""
import json
from django.apps import apps
from django.db import models
from tenants.context import tenant_context

def resolve(labels):
    for label in labels:
        try:
            return apps.get_model(label)
        except LookupError:
            pass
    raise LookupError(f"none of {{labels}} is a model")

Tenant = apps.get_model("tenants.Tenant")
demo = Tenant.objects.get(slug="demo")
read = {{}}
with tenant_context(demo):
    for what, labels in {ORM_MODELS!r}.items():
        model = resolve(labels)
        objects = list(model.objects.all())  # every field of every row, not just a count
        read[what] = {{
            "label": model._meta.label,
            "table": model._meta.db_table,
            "pks": sorted(obj.pk for obj in objects),
        }}
tenant_tables = sorted(
    model._meta.db_table
    for model in apps.get_models()
    for f in model._meta.concrete_fields
    if f.name == "tenant" and isinstance(f, models.ForeignKey) and f.related_model is Tenant
)
found = {{"demo": demo.pk, "read": read, "tenant_tables": tenant_tables}}
print({ORM_MARKER!r} + json.dumps(found))
"""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Snapshot:
    rows: dict[str, int] = field(default_factory=dict)
    # Tables with a tenant_id column: {table: {tenant id: rows}}.
    by_tenant: dict[str, dict[int, int]] = field(default_factory=dict)
    # PostgreSQL: {table: (RLS enabled, forced, policy USING, policy WITH CHECK)}.
    rls: dict[str, tuple] = field(default_factory=dict)


class SqliteDatabase:
    vendor = "sqlite"

    def __init__(self, path: Path):
        self.path = path
        self.url = f"sqlite:///{path}"

    @contextmanager
    def cursor(self):
        connection = sqlite3.connect(self.path)
        try:
            yield connection.cursor()
        finally:
            connection.close()

    def tables(self, cursor) -> list[str]:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        return [row[0] for row in cursor.fetchall()]

    def tenant_tables(self, cursor) -> list[str]:
        found = []
        for table in self.tables(cursor):
            cursor.execute(f"PRAGMA table_info({_quote(table)})")
            if any(row[1] == "tenant_id" for row in cursor.fetchall()):
                found.append(table)
        return found

    def rls(self, cursor) -> dict[str, tuple]:
        return {}


class PostgresDatabase:
    vendor = "postgresql"

    def __init__(self, params: dict):
        self.params = params
        auth = quote(params["user"], safe="")
        if params.get("password"):
            auth += ":" + quote(params["password"], safe="")
        self.url = f"postgres://{auth}@{params['host']}:{params['port']}/{params['dbname']}"

    @contextmanager
    def cursor(self):
        connection = psycopg2.connect(**self.params)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                # The application's role owns the tables and FORCE binds owners too: without
                # this every tenant table would count 0 (a superuser skips the policy anyway).
                cursor.execute("SELECT set_config('app.cross_tenant', 'on', false)")
                yield cursor
        finally:
            connection.close()

    def tables(self, cursor) -> list[str]:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
        )
        return [row[0] for row in cursor.fetchall()]

    def tenant_tables(self, cursor) -> list[str]:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND column_name = 'tenant_id'"
        )
        return [row[0] for row in cursor.fetchall()]

    def rls(self, cursor) -> dict[str, tuple]:
        cursor.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, p.qual, p.with_check"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " LEFT JOIN pg_policies p ON p.schemaname = n.nspname AND p.tablename = c.relname"
            "  AND p.policyname = %s"
            " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
            "  AND (c.relrowsecurity OR c.relforcerowsecurity OR p.policyname IS NOT NULL)",
            [POLICY_NAME],
        )
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def snapshot(database) -> Snapshot:
    found = Snapshot()
    with database.cursor() as cursor:
        for table in database.tables(cursor):
            cursor.execute(f"SELECT count(*) FROM {_quote(table)}")  # noqa: S608
            found.rows[table] = cursor.fetchone()[0]
        for table in database.tenant_tables(cursor):
            cursor.execute(
                f"SELECT tenant_id, count(*) FROM {_quote(table)} GROUP BY tenant_id"  # noqa: S608
            )
            found.by_tenant[table] = dict(cursor.fetchall())
        found.rls = database.rls(cursor)
    return found


def pks_of(database, table: str, tenant_id: int) -> list[int]:
    with database.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {_quote(table)} WHERE tenant_id = {int(tenant_id)} ORDER BY id"  # noqa: S608
        )
        return [row[0] for row in cursor.fetchall()]


def manage(database, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Today's ``manage.py`` against ``database``, with the suite's environment otherwise."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "EMAIL_URL", "DATABASE_URL"}
    }
    env.update(
        DATABASE_URL=database.url,
        VAR_DIR=str(tmp_path / "var"),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def _ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, f"{result.args}:\n{result.stdout[-4000:]}{result.stderr[-4000:]}"
    return result.stdout


def _forced_policy(state: tuple | None) -> bool:
    """RLS enabled, forced (it binds the owning role too) and the tenant policy present."""
    return state is not None and state[0] is True and state[1] is True and state[2] is not None


# The timeline's actors, with whether the person is staff of the event's tenant.
ACTORS_SQL = """
SELECT e.actor_kind, EXISTS (
    SELECT 1 FROM tenants_membership m
    WHERE m.tenant_id = e.tenant_id AND m.user_id = e.actor_id
      AND m.role IN ('agent', 'manager', 'admin')
), count(*)
FROM tickets_ticketevent e GROUP BY 1, 2
"""


def actors(database) -> dict[tuple[str, bool], int]:
    with database.cursor() as cursor:
        cursor.execute(ACTORS_SQL)
        return {(kind, bool(staff)): n for kind, staff, n in cursor.fetchall()}


def check_upgrade(database, tmp_path: Path) -> None:
    before = snapshot(database)
    actors_before = actors(database)
    assert sum(before.rows.values()) > 0, "the fixture holds no rows: nothing would be checked"

    _ok(manage(database, tmp_path, "migrate", "--noinput"))
    after = snapshot(database)
    actors_after = actors(database)

    # 1. Every row is still there, and still with its tenant.
    lost = []
    for old, rows in sorted(before.rows.items()):
        table = RENAMED_TABLES.get(old, old)
        now = after.rows.get(table)
        if now is None:
            lost.append(f"{old}: the table is gone ({rows} rows)")
        elif now != rows and not (table in MIGRATE_WRITES and now > rows):
            lost.append(f"{old}: {rows} rows before migrate, {now} after")
        elif before.by_tenant.get(old, {}) != after.by_tenant.get(table, {}):
            lost.append(
                f"{old}: rows per tenant {before.by_tenant.get(old)}"
                f" before migrate, {after.by_tenant.get(table)} after"
            )
    assert not lost, "migrate lost rows:\n" + "\n".join(lost)

    # 2. Nothing is left to apply.
    plan = _ok(manage(database, tmp_path, "migrate", "--plan", "--check"))
    assert "No planned migration operations." in plan, plan
    shown = _ok(manage(database, tmp_path, "showmigrations", "--plan"))
    assert "[X]" in shown, shown
    assert "[ ]" not in shown, shown

    # 3. Today's models read the demo tenant's rows, the very rows of the tables.
    output = _ok(manage(database, tmp_path, "shell", "-c", ORM_READ))
    line = next((x for x in output.splitlines() if x.startswith(ORM_MARKER)), None)
    assert line is not None, output
    orm = json.loads(line.removeprefix(ORM_MARKER))
    renamed_back = {new: old for old, new in RENAMED_TABLES.items()}
    for what, found in orm["read"].items():
        table = found["table"]
        rows_before = before.by_tenant.get(renamed_back.get(table, table), {}).get(orm["demo"], 0)
        assert found["pks"], f"{what} ({found['label']}): the demo tenant has none to check"
        assert len(found["pks"]) == rows_before, (
            f"{what} ({found['label']}): the ORM reads {len(found['pks'])} of the demo tenant's"
            f" rows, {table} had {rows_before} before migrate"
        )
        assert found["pks"] == pks_of(database, table, orm["demo"]), what

    # 4. The actor vocabulary: "user" rows became the person's role, the rest are unchanged.
    assert actors_before.get(("user", True)) and actors_before.get(("user", False))
    expected = {key: n for key, n in actors_before.items() if key[0] != "user"}
    for staff, role in ((True, "agent"), (False, "customer")):
        if actors_before.get(("user", staff)):
            expected[(role, staff)] = (
                expected.get((role, staff), 0) + actors_before[("user", staff)]
            )
    assert actors_after == expected, (actors_before, actors_after)

    # 5. PostgreSQL: row-level security still binds every tenant table, owner included.
    if database.vendor == "postgresql":
        must = {RENAMED_TABLES.get(t, t) for t in before.rls}
        must |= set(after.by_tenant) | set(orm["tenant_tables"])
        # The reviewed exemptions (tests/tenants/test_rls.py): search vectors, no policy.
        must -= {model._meta.db_table for model in rls_exempt_models()}
        assert before.rls, "the fixture has no row-level security to keep"
        unprotected = {
            table: after.rls.get(table)
            for table in sorted(must)
            if not _forced_policy(after.rls.get(table))
        }
        assert not unprotected, f"tables without a forced {POLICY_NAME} policy: {unprotected}"
        changed = {
            old: (policy, after.rls.get(RENAMED_TABLES.get(old, old)))
            for old, policy in before.rls.items()
            if after.rls.get(RENAMED_TABLES.get(old, old)) != policy
        }
        assert not changed, f"row-level security changed by migrate: {changed}"


def test_migrate_from_old_main_keeps_every_row_on_sqlite(tmp_path):
    path = tmp_path / f"upgrade-{uuid.uuid4().hex}.sqlite3"
    path.write_bytes(gzip.decompress(SQLITE_FIXTURE.read_bytes()))
    check_upgrade(SqliteDatabase(path), tmp_path)


@pytest.fixture
def fresh_postgres_database():
    """An empty database of this test's own, made and dropped as the suite's database user."""
    configured = settings.DATABASES["default"]
    params = {
        "user": configured["USER"],
        "password": configured.get("PASSWORD") or "",
        "host": configured.get("HOST") or "127.0.0.1",
        "port": str(configured.get("PORT") or 5432),
    }
    name = f"helpdesk_upgrade_{uuid.uuid4().hex[:16]}"
    admin = psycopg2.connect(dbname="postgres", **params)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        yield {"dbname": name, **params}
    finally:
        with admin.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        admin.close()


@pytest.mark.postgres
def test_migrate_from_old_main_keeps_every_row_on_postgres(fresh_postgres_database, tmp_path):
    psql = shutil.which("psql")
    assert psql, "psql (PostgreSQL's client) is needed to restore the fixture"
    params = fresh_postgres_database
    restored = subprocess.run(
        [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-d", params["dbname"]],
        input=gzip.decompress(POSTGRES_FIXTURE.read_bytes()),
        env={
            **os.environ,
            "PGHOST": params["host"],
            "PGPORT": params["port"],
            "PGUSER": params["user"],
            "PGPASSWORD": params["password"],
        },
        capture_output=True,
        timeout=TIMEOUT,
    )
    assert restored.returncode == 0, restored.stderr.decode()[-4000:]
    check_upgrade(PostgresDatabase(params), tmp_path)
