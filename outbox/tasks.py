from celery import shared_task

from outbox import services
from tenants.models import Tenant


@shared_task(bind=True, acks_late=True, max_retries=None)
def send_email(self, tenant_id: int, email: int | str) -> str:
    """Send one outbox row. Safe to run twice: the row is claimed before sending.

    Retries are the row's own: a failed send is re-queued by ``sweep_outbox`` when its backoff
    has passed, so nothing depends on this task surviving in the broker.
    """
    tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
    if tenant is None:
        return "no tenant"
    return services.email_deliver(tenant=tenant, email_id=email)


@shared_task
def sweep_outbox() -> int:
    """Queue due and retry-ready rows (and rows whose worker died mid-send)."""
    return services.outbox_sweep()
