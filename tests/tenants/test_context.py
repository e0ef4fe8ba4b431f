import pytest
from django.core.exceptions import ValidationError
from django.db import models

from tenants.context import (
    CrossTenantNotAllowed,
    TenantNotSet,
    cross_tenant,
    tenant_context,
)
from tenants.managers import TenantManager
from tenants.models import Membership, Organization, TenantOwned
from tests.tenant_models import tenant_owned_models
from tickets.models import Comment, Ticket


def test_every_tenant_table_uses_the_tenant_owned_base():
    models = tenant_owned_models()
    assert models, "the registry walk found no tenant tables"
    offenders = [m._meta.label for m in models if not issubclass(m, TenantOwned)]
    assert offenders == [], f"tenant tables without the scoped manager: {offenders}"
    plain_base = [m._meta.label for m in models if not isinstance(m._base_manager, TenantManager)]
    assert plain_base == [], f"extend TenantOwned.Meta so the base manager is scoped: {plain_base}"


def test_following_a_foreign_key_outside_a_tenant_fails_closed(world_a):
    with tenant_context(world_a.tenant):
        membership = Membership.objects.get(pk=world_a.memberships["customer"].pk)
    with pytest.raises(TenantNotSet):
        _ = membership.organization
    with tenant_context(world_a.tenant):
        assert membership.organization == world_a.organization


def test_every_tenant_table_has_an_index_or_unique_constraint_leading_with_tenant():
    for model in tenant_owned_models():
        leading = []
        for item in [*model._meta.indexes, *model._meta.constraints]:
            fields = list(getattr(item, "fields", ()) or ())
            expressions = [getattr(e, "name", None) for e in getattr(item, "expressions", ())]
            first = fields[0] if fields else (expressions[0] if expressions else None)
            leading.append(first)
        assert "tenant" in leading, f"{model._meta.label} has no index leading with tenant"


def test_scoped_manager_fails_closed_without_a_tenant(world_a):
    with pytest.raises(TenantNotSet):
        list(Organization.objects.all())


def test_scoped_manager_returns_only_the_current_tenants_rows(world_a, world_b):
    with tenant_context(world_a.tenant):
        names = set(Organization.objects.values_list("name", flat=True))
    assert names == {world_a.organization.name}


def test_the_scoped_managers_condition_is_the_sql_filter_would_write(world_a):
    """The tenant condition is built without filter()'s lookup machinery: it must stay the
    very clause filter(tenant_id=...) writes, for every tenant table and composed queries."""
    tenant_id = world_a.tenant.pk

    def by_filter(model):
        return models.QuerySet(model).filter(tenant_id=tenant_id)

    with tenant_context(world_a.tenant):
        for model in tenant_owned_models():
            assert str(model.objects.all().query) == str(by_filter(model).query), model
        composed = [
            (
                Ticket.objects.filter(status="open")
                .exclude(tag_links__tag__key="vpn")
                .order_by("-id"),
                by_filter(Ticket)
                .filter(status="open")
                .exclude(tag_links__tag__key="vpn")
                .order_by("-id"),
            ),
            (
                Ticket.objects.filter(number=1) | Ticket.objects.filter(number=2),
                by_filter(Ticket).filter(number=1) | by_filter(Ticket).filter(number=2),
            ),
            (
                Ticket.objects.select_related("requester").filter(
                    pk__in=Comment.objects.filter(is_public=True).values("ticket_id")
                ),
                by_filter(Ticket)
                .select_related("requester")
                .filter(pk__in=by_filter(Comment).filter(is_public=True).values("ticket_id")),
            ),
        ]
        for ours, theirs in composed:
            assert str(ours.query) == str(theirs.query)
        assert Ticket.objects.filter(number=1).count() == by_filter(Ticket).filter(number=1).count()
        organization = world_a.organization
        assert str(organization.members.all().query) == str(
            by_filter(Membership).filter(organization=organization).query
        )


def test_all_tenants_manager_needs_the_explicit_cross_tenant_block(world_a, world_b):
    with pytest.raises(CrossTenantNotAllowed):
        list(Organization.all_tenants.all())
    with tenant_context(world_a.tenant), pytest.raises(CrossTenantNotAllowed):
        list(Organization.all_tenants.all())
    with cross_tenant():
        names = set(Organization.all_tenants.values_list("name", flat=True))
    assert names == {world_a.organization.name, world_b.organization.name}


def test_save_stamps_the_current_tenant(world_a):
    with tenant_context(world_a.tenant):
        organization = Organization.objects.create(name="Stamped")
    assert organization.tenant_id == world_a.tenant.pk


def test_save_refuses_a_row_of_another_tenant(world_a, world_b):
    with tenant_context(world_a.tenant), pytest.raises(ValidationError):
        Organization(tenant=world_b.tenant, name="Smuggled").save()
    with cross_tenant():
        assert not Organization.all_tenants.filter(name="Smuggled").exists()


def test_save_without_any_context_is_refused(world_a):
    with pytest.raises(ValidationError):
        Organization(tenant=world_a.tenant, name="Contextless").save()


def test_nested_contexts_restore_the_outer_tenant(world_a, world_b):
    with tenant_context(world_a.tenant):
        with tenant_context(world_b.tenant):
            assert set(Organization.objects.values_list("name", flat=True)) == {
                world_b.organization.name
            }
        assert set(Organization.objects.values_list("name", flat=True)) == {
            world_a.organization.name
        }


def test_a_nested_scope_of_the_same_tenant_leaves_the_database_settings_alone(world_a, world_b):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    names = {world_a.organization.name}
    with tenant_context(world_a.tenant):
        with CaptureQueriesContext(connection) as inner, tenant_context(world_a.tenant):
            assert set(Organization.objects.values_list("name", flat=True)) == names
        # Back to A under B: that one must set the settings, and put B's back after.
        with tenant_context(world_b.tenant):
            with CaptureQueriesContext(connection) as crossed, tenant_context(world_a.tenant):
                assert set(Organization.objects.values_list("name", flat=True)) == names
            assert set(Organization.objects.values_list("name", flat=True)) == {
                world_b.organization.name
            }
    settings_sql = [q["sql"] for q in inner.captured_queries if "_config" in q["sql"]]
    assert settings_sql == []
    if connection.vendor == "postgresql":
        assert sum("set_config" in q["sql"] for q in crossed.captured_queries) == 2
