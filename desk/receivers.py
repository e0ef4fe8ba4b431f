"""The desk's answers to tenancy's signals."""

from django.dispatch import receiver

from desk.services import desk_defaults_create
from tenants.signals import tenant_created


@receiver(tenant_created, dispatch_uid="desk_defaults")
def open_desk(sender, tenant, **kwargs):
    """A new tenant opens with weekday hours and the default priority definitions."""
    desk_defaults_create()
