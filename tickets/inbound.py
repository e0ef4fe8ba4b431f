"""Email replies into tickets (anymail inbound webhooks), with the same rules as web replies.

The reply address carries the tenant, the ticket number and a signature, so a forged or
guessed address is dropped. The sender must be the ticket's requester (any verified address
of their account) or a staff member of the tenant; anyone else is ignored and logged.
"""

from __future__ import annotations

import logging
import re

from anymail.signals import inbound
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.dispatch import receiver

from core.errors import DomainError
from core.inputs import MAX_BODY_CHARS
from tenants.context import tenant_context
from tenants.models import Membership, Tenant
from tickets import services
from tickets.models import Ticket
from tickets.notifications import parse_reply_address

log = logging.getLogger(__name__)

QUOTE_MARKERS = [
    re.compile(r"^On .+ wrote:\s*$"),
    re.compile(r"^-{2,}\s*Original Message\s*-{2,}", re.IGNORECASE),
    re.compile(r"^From: .+"),
    re.compile(r"^>"),
]


def strip_quoted(text: str) -> str:
    """The new part of a reply: everything above the quoted earlier message."""
    kept = []
    for line in (text or "").splitlines():
        if any(marker.match(line.strip()) for marker in QUOTE_MARKERS):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def _target(message) -> tuple[Tenant, int] | None:
    for address in [*(message.to or []), *(message.cc or [])]:
        parsed = parse_reply_address(address.addr_spec)
        if parsed:
            tenant = Tenant.objects.filter(slug=parsed[0], is_active=True).first()
            if tenant is not None:
                return tenant, parsed[1]
    return None


def email_body(text: str) -> tuple[str, list]:
    """The reply's text as a comment body, and the uploads that keep what does not fit.

    An email cannot be sent back with a form error, so nothing is refused: NUL (which the
    database cannot store) becomes U+FFFD, and a body longer than any reply may be is cut at
    the limit with a note, the whole text attached as ``message.txt``.
    """
    text = text.replace("\x00", "\ufffd")
    if len(text) <= MAX_BODY_CHARS:
        return text, []
    note = "\n\n[This email was longer than a message can be; its whole text is in message.txt.]"
    whole = text.encode()[: settings.ATTACHMENT_MAX_FILE_BYTES]
    upload = SimpleUploadedFile("message.txt", whole, content_type="text/plain")
    return text[: MAX_BODY_CHARS - len(note)] + note, [("files", upload, "text/plain")]


def handle_reply(message) -> Ticket | None:
    """Apply one inbound email; returns the ticket the reply landed on, or None if dropped."""
    found = _target(message)
    sender = (message.from_email.addr_spec if message.from_email else "").lower()
    body, uploads = email_body(strip_quoted(message.text or ""))
    if found is None or not sender or not body:
        log.info("inbound email dropped (no valid reply address, sender or text)")
        return None
    tenant, number = found
    with tenant_context(tenant):
        ticket = Ticket.objects.filter(number=number).first()
        if ticket is None:
            return None
        user = (
            get_user_model()
            .objects.filter(emailaddress__email__iexact=sender, emailaddress__verified=True)
            .first()
        )
        membership = Membership.objects.filter(user=user).first() if user else None
        is_staff = membership is not None and membership.is_staff_role
        is_requester = sender == ticket.requester_email or (
            user is not None and ticket.requester_id == user.pk
        )
        if not (is_staff or is_requester):
            log.warning("inbound reply to #%s from a stranger %s ignored", number, sender)
            return None
        try:
            return services.ticket_reply(
                ticket=ticket,
                author=user,
                membership=membership,
                body=body,
                author_email=sender,
                via="email",
                uploads=uploads,
            )
        except (DomainError, ValidationError) as error:
            log.warning("inbound reply to #%s refused: %s", number, error)
            return None


@receiver(inbound)
def on_inbound(sender, event, esp_name, **kwargs):
    handle_reply(event.message)
