"""Which tenant a host serves: read on every request, so kept a short while in the cache.

Every request starts by looking its tenant up by slug; at a hundred requests a second that
one query is a tenth of the SQL the pages send. The row is kept in the shared cache for
``TENANT_CACHE_SECONDS`` and dropped from it when the tenant is saved or deleted (at once and
again when the transaction commits, so a request between the two cannot keep the old row).
Only tenants that exist are kept: a stream of made-up hosts cannot fill the cache.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tenants.models import Tenant


def _key(slug: str) -> str:
    return f"tenants:by-slug:{slug}"


def tenant_for_slug(slug: str) -> Tenant | None:
    """The active tenant served as ``slug``, or None."""
    seconds = settings.TENANT_CACHE_SECONDS
    if seconds:
        kept = cache.get(_key(slug))
        if isinstance(kept, Tenant):
            return kept
    tenant = Tenant.objects.filter(slug=slug, is_active=True).first()
    if tenant is not None and seconds:
        cache.set(_key(slug), tenant, seconds)
    return tenant


def forget(slug: str) -> None:
    cache.delete(_key(slug))
    transaction.on_commit(lambda: cache.delete(_key(slug)))


@receiver(post_save, sender=Tenant, dispatch_uid="tenants.hosts.saved")
@receiver(post_delete, sender=Tenant, dispatch_uid="tenants.hosts.deleted")
def _changed(sender, instance: Tenant, **kwargs) -> None:
    forget(instance.slug)
