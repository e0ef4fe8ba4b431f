from celery import shared_task
from django.conf import settings

from tenants.context import tenant_context
from tenants.models import Tenant
from tickets import automations
from tickets.services import staged_attachments_purge
from tickets.sla import recompute_all


@shared_task(acks_late=True)
def run_automations() -> int:
    """One automation run; overlapping or repeated runs are harmless (rows are claimed)."""
    return automations.run_automations(workers=settings.AUTOMATION_WORKERS).total


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
