"""anymail tracking webhooks: delivery, bounce and complaint events update the outbox row.

The provider calls the platform host, which has no tenant. The row is found through the tenant
and outbox ids we put in the message's metadata (or, failing that, the provider's message id,
through the explicit cross-tenant path) and then updated inside its own tenant.
"""

from anymail.signals import tracking
from django.dispatch import receiver

from outbox.models import OutboxEmail
from outbox.services import address_bounced
from tenants.context import cross_tenant, tenant_context
from tenants.models import Tenant

STATUS_FOR_EVENT = {
    "delivered": OutboxEmail.Status.DELIVERED,
    "bounced": OutboxEmail.Status.BOUNCED,
    "rejected": OutboxEmail.Status.BOUNCED,
    "complained": OutboxEmail.Status.COMPLAINED,
}
FLAGS_ADDRESS = {"bounced", "rejected", "complained"}


def _locate(event) -> tuple[Tenant, int] | None:
    metadata = event.metadata or {}
    if str(metadata.get("tenant", "")).isdigit() and str(metadata.get("outbox", "")).isdigit():
        tenant = Tenant.objects.filter(pk=int(metadata["tenant"])).first()
        if tenant is not None:
            return tenant, int(metadata["outbox"])
    if not event.message_id:
        return None
    with cross_tenant():
        row = (
            OutboxEmail.all_tenants.filter(provider_message_id=event.message_id)
            .select_related("tenant")
            .first()
        )
    return (row.tenant, row.pk) if row else None


@receiver(tracking)
def record_tracking_event(sender, event, esp_name, **kwargs):
    status = STATUS_FOR_EVENT.get(event.event_type)
    if status is None:
        return
    found = _locate(event)
    if found is None:
        return
    tenant, email_id = found
    with tenant_context(tenant):
        email = OutboxEmail.objects.filter(pk=email_id).first()
        if email is None:
            return
        # A late "delivered" never overwrites a bounce or complaint already recorded.
        if not (status == OutboxEmail.Status.DELIVERED and email.status != OutboxEmail.Status.SENT):
            email.status = status
            if event.description or event.mta_response:
                email.last_error = (event.description or event.mta_response or "")[:2000]
            email.save(update_fields=["status", "last_error", "updated_at"])
    if event.event_type in FLAGS_ADDRESS:
        address_bounced(event.recipient or email.recipient)
