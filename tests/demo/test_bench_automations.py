"""The automation benchmark command cleans up after itself: no throwaway tenant stays behind."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from surveys.models import SurveyInvitation
from tenants.context import cross_tenant
from tenants.models import Tenant
from tests.tenant_models import tenant_owned_models

# Real commits: the clean-up's transactions must hold at COMMIT, where deferred foreign keys
# are checked (a test wrapped in one rolled-back transaction would never see the failure).
pytestmark = pytest.mark.django_db(transaction=True)


def bench_rows() -> dict[str, int]:
    with cross_tenant():
        benches = Tenant.objects.filter(slug__startswith="bench")
        rows = {"tenants.Tenant": benches.count()}
        for model in tenant_owned_models():
            rows[model._meta.label] = model.all_tenants.filter(tenant__in=benches).count()
    return rows


def rows_of_tenants_other_than(known: set[int]) -> dict[str, int]:
    """Rows of every table with a tenant_id none of ``known`` (found from the database's own
    catalogue, not from the list the command deletes by)."""
    found = {}
    with cross_tenant(), connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = {
                c.name for c in connection.introspection.get_table_description(cursor, table)
            }
            if "tenant_id" not in columns:
                continue
            placeholders = ", ".join(["%s"] * len(known)) or "NULL"
            cursor.execute(
                f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}"  # noqa: S608
                f" WHERE tenant_id NOT IN ({placeholders})",
                list(known),
            )
            count = cursor.fetchone()[0]
            if count:
                found[table] = count
    return found


def test_bench_closes_tickets_then_deletes_everything_it_created():
    with cross_tenant():
        before = set(Tenant.objects.values_list("pk", flat=True))
    out = StringIO()
    call_command("bench_automations", tickets=20, stdout=out)
    assert "one pass: 0 solved, 20 closed" in out.getvalue()
    with cross_tenant():
        assert set(Tenant.objects.values_list("pk", flat=True)) == before
    assert rows_of_tenants_other_than(before) == {}


def test_bench_passes_in_worker_processes_share_the_tickets():
    with cross_tenant():
        before = set(Tenant.objects.values_list("pk", flat=True))
    out = StringIO()
    call_command("bench_automations", tickets=30, workers=2, batch_size=5, stdout=out)
    assert "one pass: 0 solved, 30 closed, 30 emails written, 0 failed" in out.getvalue()
    assert "(2 worker processes)" in out.getvalue()
    assert rows_of_tenants_other_than(before) == {}


def test_bench_keep_leaves_its_tenant_with_the_surveys_of_closed_tickets():
    call_command("bench_automations", tickets=5, keep=True, stdout=StringIO())
    rows = bench_rows()
    assert rows["tenants.Tenant"] == 1
    assert rows[SurveyInvitation._meta.label] == 5  # what the clean-up used to miss
