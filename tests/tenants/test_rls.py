"""Row-level security is the second wall: raw SQL, with no ORM filter, still sees one tenant."""

import pytest
from django.db import IntegrityError, connection, transaction

from tenants.context import tenant_context
from tenants.registry import rls_exempt_models
from tenants.rls import POLICY_NAME
from tests.tenant_models import tenant_owned_models

pytestmark = pytest.mark.postgres


def _set(tenant_id: str, cross: str = "") -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('app.tenant_id', %s, true),"
            " set_config('app.cross_tenant', %s, true)",
            [tenant_id, cross],
        )


def _count(table: str, tenant_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}" WHERE tenant_id = %s', [tenant_id])  # noqa: S608
        return cursor.fetchone()[0]


def test_only_the_reviewed_tables_go_without_a_policy():
    """A tenant table without RLS is a reviewed exception, each with its reason (the search
    vectors of articles and of tickets, each read through one tenant-filtering module)."""
    exempt = {model._meta.label: model.RLS_EXEMPT for model in rls_exempt_models()}
    assert set(exempt) == {"helpcenter.ArticleSearch", "tickets.TicketSearch"}
    assert all(len(reason) > 40 for reason in exempt.values())


def test_the_application_role_is_subject_to_rls(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        superuser, bypass = cursor.fetchone()
    assert (superuser, bypass) == (False, False), "superusers and BYPASSRLS roles skip RLS"


@pytest.mark.parametrize("model", tenant_owned_models(), ids=lambda m: m._meta.label)
def test_every_tenant_table_has_a_forced_policy(db, model):
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s", [table]
        )
        assert cursor.fetchone() == (True, True), f"{table}: add EnableTenantRLS to its migration"
        cursor.execute(
            "SELECT count(*) FROM pg_policies WHERE tablename = %s AND policyname = %s",
            [table, POLICY_NAME],
        )
        assert cursor.fetchone()[0] == 1


@pytest.fixture
def rows_everywhere(world_a, world_b):
    """At least one row of each tenant in every tenant table, so the checks below have teeth."""
    from tests.tenant_rows import ensure_rows

    ensure_rows(world_a)
    ensure_rows(world_b)
    return world_a, world_b


@pytest.mark.parametrize("model", tenant_owned_models(), ids=lambda m: m._meta.label)
def test_raw_sql_sees_nothing_of_b_with_the_setting_unset_or_set_to_a(rows_everywhere, model):
    world_a, world_b = rows_everywhere
    table = model._meta.db_table
    with transaction.atomic():
        _set(str(world_b.tenant.pk))
        assert _count(table, world_b.tenant.pk) > 0, "fixture must hold B rows for this check"
        _set("")
        assert _count(table, world_b.tenant.pk) == 0
        assert _count(table, world_a.tenant.pk) == 0
        _set(str(world_a.tenant.pk))
        assert _count(table, world_b.tenant.pk) == 0
        assert _count(table, world_a.tenant.pk) > 0
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT DISTINCT tenant_id FROM "{table}"')  # noqa: S608
            assert {row[0] for row in cursor.fetchall()} == {world_a.tenant.pk}


def test_setting_is_local_to_the_transaction(world_a):
    with tenant_context(world_a.tenant), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.tenant_id', true)")
        assert cursor.fetchone()[0] == str(world_a.tenant.pk)
    # The test's own transaction is still open here; the savepoint restored the outer value.
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(current_setting('app.tenant_id', true), '')")
        assert cursor.fetchone()[0] == ""


def test_writes_into_another_tenant_are_refused_by_the_policy(world_a, world_b):
    with transaction.atomic(), connection.cursor() as cursor:
        _set(str(world_a.tenant.pk))
        with pytest.raises(Exception, match="row-level security"), transaction.atomic():
            cursor.execute(
                "INSERT INTO tenants_organization (tenant_id, name, email_domains, notes,"
                " created_at, updated_at) VALUES (%s, 'smuggled', '[]', '', now(), now())",
                [world_b.tenant.pk],
            )
        # And rows of B cannot be updated from A: the UPDATE matches nothing.
        cursor.execute(
            "UPDATE tenants_organization SET name = 'hijacked' WHERE tenant_id = %s",
            [world_b.tenant.pk],
        )
        assert cursor.rowcount == 0


def test_integrity_still_applies_within_a_tenant(world_a):
    from tenants.models import Organization

    with pytest.raises(IntegrityError), tenant_context(world_a.tenant):
        Organization.objects.create(name=world_a.organization.name.upper())


def test_cross_tenant_block_is_the_one_path_that_sees_every_tenant(world_a, world_b):
    from tenants.context import cross_tenant
    from tenants.models import Organization

    with cross_tenant(), connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tenant_id FROM tenants_organization")
        assert {row[0] for row in cursor.fetchall()} == {world_a.tenant.pk, world_b.tenant.pk}
        assert Organization.all_tenants.count() == 2
    # Leaving the block switches the database setting off again.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tenants_organization")
        assert cursor.fetchone()[0] == 0
