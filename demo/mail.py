"""The demo's email backend: nothing leaves the machine, one log line per email.

``bin/demo`` sets ``EMAIL_BACKEND=demo.mail.EmailBackend``. Every email is already a row in the
outbox, which a tenant admin reads at ``/agent/demo/emails/``; the console gets one line with
the recipient, the subject and the page of that email instead of the raw MIME message.
"""

import logging

from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse

from tenants.models import Tenant

log = logging.getLogger("demo.mail")


def _page(message) -> str:
    """The email's page in the demo, from the ids ``outbox.services`` puts in the metadata."""
    metadata = getattr(message, "metadata", None) or {}
    tenant_id, email_id = str(metadata.get("tenant", "")), str(metadata.get("outbox", ""))
    if not (tenant_id.isdigit() and email_id.isdigit()):
        return ""
    tenant = Tenant.objects.filter(pk=int(tenant_id)).first()
    if tenant is None:
        return ""
    return tenant.url(reverse("agent:demo_email", kwargs={"pk": int(email_id)}))


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            page = _page(message)
            log.info(
                "Email to %s: %s%s",
                ", ".join(message.to),
                message.subject,
                f" (read it at {page})" if page else "",
            )
        return len(email_messages)
