"""Which models belong to a tenant, found from the app registry (never listed by hand)."""

from __future__ import annotations

from django.apps import apps
from django.db import models

from tenants.models import Tenant


def tenant_owned_models() -> list[type[models.Model]]:
    """Every model with a ``tenant`` foreign key to Tenant."""
    found = []
    for model in apps.get_models():
        field = next((f for f in model._meta.concrete_fields if f.name == "tenant"), None)
        if isinstance(field, models.ForeignKey) and field.related_model is Tenant:
            found.append(model)
    return found
