"""The email provider's inbound webhook (django-anymail's ``inbound`` signal), routed by
recipient: a signed reply address (``reply+<tenant>.<number>.<signature>@...``) names its
tenant and ticket; a support address names its tenant. Anything else is dropped and logged."""

from __future__ import annotations

import logging

from anymail.signals import inbound
from django.dispatch import receiver

from inbox.ingest import ingest, recipients_of, route
from tenants.models import Tenant
from tickets.notifications import parse_reply_address

log = logging.getLogger(__name__)


def deliver(message, envelope_recipient: str = "") -> object:
    """Route one inbound message to its tenant and import it (or drop it)."""
    recipients = recipients_of(message)
    if envelope_recipient:
        recipients.insert(0, envelope_recipient.lower())
    for address in recipients:
        parsed = parse_reply_address(address)
        if parsed:
            tenant = Tenant.objects.filter(slug=parsed[0], is_active=True).first()
            if tenant is not None:
                return ingest(tenant=tenant, raw=message.as_bytes(), address=None)
    support = route(recipients)
    if support is None:
        log.info("inbound email for none of our addresses dropped")
        return None
    return ingest(tenant=support.tenant, raw=message.as_bytes(), address=support)


@receiver(inbound)
def on_inbound(sender, event, esp_name, **kwargs):
    deliver(event.message, getattr(event.message, "envelope_recipient", None) or "")
