from django.db import models

from tenants.context import (
    CrossTenantNotAllowed,
    app_filter_enabled,
    current_tenant,
    in_cross_tenant_context,
)


class TenantQuerySet(models.QuerySet):
    pass


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    """Default manager of every tenant-owned model: rows of the current tenant only.

    Fails closed: with no tenant current it raises ``TenantNotSet`` rather than returning every
    tenant's rows. Inside an explicit ``cross_tenant()`` block it sees every tenant (that block
    is the way out; prefer ``all_tenants`` there so the intent shows at the call site).
    """

    def get_queryset(self):
        queryset = super().get_queryset()
        if not app_filter_enabled() or in_cross_tenant_context():
            return queryset
        # By id, not by instance: the same SQL, but an instance is checked and normalised
        # again each time the query is compiled (about 0.1 ms of CPU per query on a 2-core
        # machine, and every page sends ten or more of them).
        return queryset.filter(tenant_id=current_tenant().pk)


class AllTenantsManager(models.Manager.from_queryset(TenantQuerySet)):
    """``Model.all_tenants``: every tenant's rows, allowed only inside ``cross_tenant()``."""

    def get_queryset(self):
        if not in_cross_tenant_context():
            raise CrossTenantNotAllowed(
                f"{self.model.__name__}.all_tenants used outside tenants.context.cross_tenant()"
            )
        return super().get_queryset()
