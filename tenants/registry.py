"""Which models belong to a tenant, found from the app registry (never listed by hand)."""

from __future__ import annotations

from django.apps import apps
from django.db import models

from tenants.models import Tenant


def _has_tenant_key(model) -> bool:
    field = next((f for f in model._meta.concrete_fields if f.name == "tenant"), None)
    return isinstance(field, models.ForeignKey) and field.related_model is Tenant


def tenant_owned_models() -> list[type[models.Model]]:
    """Every model with a ``tenant`` foreign key to Tenant, except the declared exemptions."""
    return [
        model
        for model in apps.get_models()
        if _has_tenant_key(model) and not getattr(model, "RLS_EXEMPT", "")
    ]


def rls_exempt_models() -> list[type[models.Model]]:
    """Tenant-keyed models without a row-level security policy, each saying why in its
    ``RLS_EXEMPT`` attribute (tests/tenants/test_rls.py lists them by name: adding one is a
    reviewed change)."""
    return [
        model
        for model in apps.get_models()
        if _has_tenant_key(model) and getattr(model, "RLS_EXEMPT", "")
    ]
