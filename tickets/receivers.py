"""What tickets does when the layers below it announce a change."""

from __future__ import annotations

import logging

from django.dispatch import receiver

from tenants.context import tenant_context
from tenants.models import Tenant
from tenants.signals import support_clock_changed
from tickets.sla import recompute_all
from tickets.tasks import recompute_sla

log = logging.getLogger(__name__)


@receiver(support_clock_changed)
def recompute_due_times(sender, *, tenant_id: int, **kwargs) -> None:
    """Queue the recomputation; with the broker down, do it here rather than leave stale dues."""
    try:
        recompute_sla.delay(tenant_id)
    except Exception:
        log.warning("broker unavailable: recomputing tenant %s's due times inline", tenant_id)
        with tenant_context(Tenant.objects.get(pk=tenant_id)):
            recompute_all()
