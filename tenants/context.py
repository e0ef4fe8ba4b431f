"""The current tenant, for the ORM and for PostgreSQL row-level security.

Two walls keep tenants apart:

1. ``TenantManager`` (every tenant-owned model's ``objects``) filters by the tenant made current
   here, and raises ``TenantNotSet`` when there is none: a query outside a tenant fails closed.
2. On PostgreSQL, each tenant table has a row-level security policy keyed on the per-transaction
   setting ``app.tenant_id``. ``tenant_context`` sets it with ``set_config(..., true)`` inside its
   own transaction, so a pooled connection never carries it into the next request.

Work that must span tenants (platform admin, automation sweeps) uses ``cross_tenant()`` and the
``all_tenants`` manager; both names are meant to be grepped for in review.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.db import connection, transaction

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tenants.models import Tenant

TENANT_SETTING = "app.tenant_id"
CROSS_TENANT_SETTING = "app.cross_tenant"

_current_tenant: ContextVar[Tenant | None] = ContextVar("current_tenant", default=None)
_cross_tenant: ContextVar[bool] = ContextVar("cross_tenant", default=False)
# Only tests turn this off, to prove that row-level security alone keeps tenants apart.
_app_filter_enabled: ContextVar[bool] = ContextVar("app_tenant_filter", default=True)


class TenantNotSet(RuntimeError):
    """A tenant-owned table was queried with no tenant current and no cross-tenant context."""


class CrossTenantNotAllowed(RuntimeError):
    """``all_tenants`` was used outside ``cross_tenant()``."""


def current_tenant() -> Tenant:
    tenant = _current_tenant.get()
    if tenant is None:
        raise TenantNotSet(
            "No tenant is current. Wrap the work in tenants.context.tenant_context(tenant), "
            "or, for deliberate cross-tenant system work, tenants.context.cross_tenant()."
        )
    return tenant


def current_tenant_or_none() -> Tenant | None:
    return _current_tenant.get()


def in_cross_tenant_context() -> bool:
    return _cross_tenant.get()


def app_filter_enabled() -> bool:
    return _app_filter_enabled.get()


def _read_db_settings() -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting(%s, true), current_setting(%s, true)",
            [TENANT_SETTING, CROSS_TENANT_SETTING],
        )
        tenant_id, cross = cursor.fetchone()
    return tenant_id or "", cross or ""


def _write_db_settings(tenant_id: str, cross: str) -> None:
    # is_local=true: the values end with the transaction, so they cannot leak into the next
    # request served by the same pooled connection.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config(%s, %s, true), set_config(%s, %s, true)",
            [TENANT_SETTING, tenant_id, CROSS_TENANT_SETTING, cross],
        )


@contextmanager
def _scope(tenant: Tenant | None, cross: bool) -> Iterator[None]:
    postgres = connection.vendor == "postgresql"
    nested = connection.in_atomic_block
    outer = _current_tenant.get()
    # Inside a scope of the same tenant, in this connection's transaction, the database already
    # holds these values: neither read nor written again (pages nest scopes, e.g. schedules).
    same = (
        nested
        and not cross
        and not _cross_tenant.get()
        and outer is not None
        and tenant is not None
        and outer.pk == tenant.pk
    )
    with transaction.atomic():
        previous = _read_db_settings() if postgres and nested and not same else None
        if postgres and not same:
            _write_db_settings(str(tenant.pk) if tenant else "", "on" if cross else "")
        tenant_token = _current_tenant.set(tenant)
        cross_token = _cross_tenant.set(cross)
        try:
            yield
        finally:
            _current_tenant.reset(tenant_token)
            _cross_tenant.reset(cross_token)
        # Reached only when the block succeeded (on error the rollback undoes set_config). A
        # nested scope is a savepoint, whose release would keep the inner values: restore them.
        if previous is not None:
            _write_db_settings(*previous)


@contextmanager
def tenant_context(tenant: Tenant) -> Iterator[Tenant]:
    """Run the block in a transaction with ``tenant`` current for the ORM and for RLS."""
    with _scope(tenant, cross=False):
        yield tenant


@contextmanager
def cross_tenant() -> Iterator[None]:
    """The explicit way out for system work that spans tenants (platform admin, sweeps).

    Inside it, ``Model.all_tenants`` may be used and RLS lets every tenant's rows through.
    Keep such blocks small and tested; per-tenant work should use ``tenant_context``.
    """
    with _scope(None, cross=True):
        yield


@contextmanager
def without_app_tenant_filter() -> Iterator[None]:
    """Tests only: switch off the ORM filter so that RLS is the only wall left standing."""
    token = _app_filter_enabled.set(False)
    try:
        yield
    finally:
        _app_filter_enabled.reset(token)
