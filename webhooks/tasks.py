from celery import shared_task

from tenants.models import Tenant
from webhooks import services


@shared_task(acks_late=True)
def deliver(tenant_id: int, delivery_pk: int) -> str:
    """Send one delivery; safe to run twice (the row is claimed first). Retries are the row's
    own: a failure queues the next try after its pause, and the sweep catches what was lost."""
    tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
    if tenant is None:
        return "no tenant"
    return services.deliver(tenant=tenant, delivery_pk=delivery_pk)


@shared_task
def sweep_webhooks() -> int:
    return services.sweep()
