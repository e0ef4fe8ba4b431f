from celery import shared_task
from django.conf import settings

from tenants.context import tenant_context
from tenants.models import Tenant
from tickets import automations
from tickets.services import staged_attachments_purge
from tickets.sla import recompute_all


@shared_task
def run_automations() -> int:
    """Start AUTOMATION_WORKERS automation passes at once, each a task of its own: free worker
    processes take them, and the passes share the due tickets through SKIP LOCKED, so a
    backlog is worked off on that many cores. Returns how many were started."""
    for _ in range(settings.AUTOMATION_WORKERS):
        automation_pass.delay()
    return settings.AUTOMATION_WORKERS


@shared_task(acks_late=True)
def automation_pass() -> int:
    """One automation pass; overlapping or repeated passes are harmless (rows are claimed)."""
    return automations.run_automations().total


@shared_task
def purge_staged_attachments() -> int:
    """Remove files left by submission forms that were never completed."""
    return staged_attachments_purge()


@shared_task
def recompute_sla(tenant_id: int) -> int:
    """Recompute a tenant's due times after its hours, holidays or targets changed."""
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return 0
    with tenant_context(tenant):
        return recompute_all()
