"""One email into the helpdesk: parsed, checked for noise, threaded, and turned into a ticket, a
reply or an internal note, with its files, in the tenant's transaction.

Both ways in end here: the provider's inbound webhook (``inbox.receivers``) and IMAP polling
hand over the raw message and the tenant its support address belongs to.

What is never turned into anything (recorded with the reason, nothing sent back):
auto-replies and bulk mail (``Auto-Submitted``, ``Precedence``, ``X-Autoreply``...), bounces
from mailer-daemons (their failed recipient is flagged as bounced, as the provider's bounce
events do), our own outgoing mail coming back, a message already imported (same Message-ID),
and more than ``SENDER_LIMIT`` emails an hour from one address.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta

from anymail.inbound import AnymailInboundMessage
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import DomainError
from core.inputs import MAX_BODY_CHARS, ticket_number_in
from inbox.models import InboundEmail, SupportAddress
from outbox.models import OutboxEmail
from outbox.services import address_bounced
from tenants.context import current_tenant, tenant_context
from tenants.models import Membership, Tenant
from tickets import attachments as files
from tickets import services
from tickets.collaboration import STAFF_EMAIL_TEMPLATES
from tickets.models import Ticket, TicketCC
from tickets.notifications import parse_reply_address

log = logging.getLogger(__name__)

Outcome = InboundEmail.Outcome

SENDER_LIMIT = 20  # emails an hour from one address; beyond it they are recorded and dropped
SUBJECT_MAX = 200

_OUR_ID = re.compile(r"^<(outbox|ticket)-(\d+)-(\d+)@(.+)>$")
_DAEMONS = ("mailer-daemon@", "postmaster@", "mail-daemon@")


# --- Reading the message ---------------------------------------------------------------------


@dataclass
class Email:
    raw: bytes
    message_id: str
    references: list[str]
    sender: str
    sender_name: str
    recipients: list[str]
    subject: str
    text: str
    headers: dict[str, str]
    parts: list[tuple[str, bytes, bool]] = field(default_factory=list)  # name, data, inline
    message: AnymailInboundMessage | None = None


def _ids(value: str) -> list[str]:
    return re.findall(r"<[^<>\s]{1,250}>", value or "")


def _header(message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a malformed header: as if absent
        return ""
    return str(value or "").strip()


def html_to_text(markup: str) -> str:
    """Readable text from an HTML-only email: block ends become line breaks, tags go."""
    markup = re.sub(r"(?is)<(script|style|head)\b.*?</\1\s*>", " ", markup)
    markup = re.sub(r"(?i)<br\s*/?>", "\n", markup)
    markup = re.sub(r"(?i)</(p|div|li|tr|h[1-6]|blockquote)\s*>", "\n", markup)
    markup = re.sub(r"(?i)<li\b[^>]*>", "- ", markup)
    text = html.unescape(re.sub(r"<[^>]+>", "", markup))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _text_of(message: AnymailInboundMessage) -> str:
    text = message.text
    if not (text or "").strip() and message.html:
        text = html_to_text(message.html)
    return (text or "").replace("\r\n", "\n").replace("\x00", "\ufffd")


def recipients_of(message) -> list[str]:
    """Every address the message was for: To, Cc and the delivery headers a mail server adds
    (a copy to a support address may name it only there)."""
    recipients = [a.addr_spec.lower() for a in [*(message.to or []), *(message.cc or [])]]
    for name in ("Delivered-To", "X-Original-To", "Envelope-To"):
        value = _header(message, name).strip("<>").lower()
        if value:
            recipients.append(value)
    return recipients


def parse(raw: bytes) -> Email:
    message = AnymailInboundMessage.parse_raw_mime_bytes(raw)
    sender = message.from_email
    recipients = recipients_of(message)
    parts = []
    for attachment in [*message.attachments, *message.inlines]:
        if attachment.get_content_maintype() == "multipart":
            continue
        data = attachment.get_content_bytes() or b""
        name = attachment.get_filename() or f"part.{attachment.get_content_subtype() or 'bin'}"
        parts.append((name, data, attachment.is_inline()))
    headers = {
        name: _header(message, name)
        for name in (
            "Auto-Submitted",
            "Precedence",
            "X-Autoreply",
            "X-Autorespond",
            "X-Auto-Response-Suppress",
            "List-Id",
            "X-Helpdesk-Template",
            "Content-Type",
        )
    }
    in_reply_to = _ids(_header(message, "In-Reply-To"))
    older = [ref for ref in _ids(_header(message, "References")) if ref not in in_reply_to]
    references = in_reply_to + older
    return Email(
        raw=raw,
        message_id=(_ids(_header(message, "Message-ID")) or [""])[0][:255],
        references=references,
        sender=(sender.addr_spec if sender else "").lower()[:254],
        sender_name=(sender.display_name if sender else "")[:100],
        recipients=recipients,
        subject=" ".join(_header(message, "Subject").split())[:SUBJECT_MAX],
        text=_text_of(message),
        headers=headers,
        parts=parts,
        message=message,
    )


# --- Noise -----------------------------------------------------------------------------------


def noise(email: Email) -> str | None:
    """Why this email must not open or change a ticket (None when it may)."""
    headers = email.headers
    if email.message_id and _our_message(email.message_id):
        return "our own outgoing email"
    if headers["X-Helpdesk-Template"]:
        return "our own outgoing email"
    if email.sender.startswith(_DAEMONS) or "multipart/report" in headers["Content-Type"].lower():
        return "bounce"
    auto = headers["Auto-Submitted"].lower()
    if auto and auto != "no":
        return f"auto-submitted ({auto[:40]})"
    if headers["Precedence"].lower() in ("bulk", "junk", "list", "auto_reply"):
        return f"bulk mail (Precedence: {headers['Precedence'][:20]})"
    if headers["X-Autoreply"] or headers["X-Autorespond"]:
        return "auto-reply"
    if "oof" in headers["X-Auto-Response-Suppress"].lower() and email.subject.lower().startswith(
        ("automatic reply", "auto:", "out of office")
    ):
        return "auto-reply"
    if not email.sender or "@" not in email.sender:
        return "no sender address"
    return None


def _our_message(message_id: str) -> bool:
    match = _OUR_ID.match(message_id)
    return bool(match and match.group(4) == settings.BASE_DOMAIN and match.group(1) == "outbox")


def bounced_recipient(email: Email) -> str | None:
    """The address a delivery report says failed (its Final- or Original-Recipient)."""
    match = re.search(
        rb"(?im)^(?:final|original)-recipient:\s*rfc822;\s*<?([^\s<>;]+@[^\s<>;]+)>?", email.raw
    )
    return match.group(1).decode("ascii", "replace").lower() if match else None


# --- Threading -------------------------------------------------------------------------------


def thread(email: Email, tenant: Tenant) -> Ticket | None:
    """The ticket this email answers (call inside the tenant): our thread or outgoing Message-ID
    in its In-Reply-To/References, an email of ours it answers, a signed reply address, or the
    ticket number in its subject from the ticket's own requester."""
    for ref in email.references:
        match = _OUR_ID.match(ref)
        if match and match.group(4) == settings.BASE_DOMAIN and int(match.group(2)) == tenant.pk:
            kind, pk = match.group(1), int(match.group(3))
            ticket_id = (
                pk
                if kind == "ticket"
                else OutboxEmail.objects.filter(pk=pk).values_list("ticket_id", flat=True).first()
            )
            ticket = Ticket.objects.filter(pk=ticket_id).first() if ticket_id else None
            if ticket is not None:
                return ticket
        received = InboundEmail.objects.filter(message_id=ref, ticket__isnull=False).first()
        if received is not None:
            return received.ticket
    for address in email.recipients:
        parsed = parse_reply_address(address)
        if parsed and parsed[0] == tenant.slug:
            ticket = Ticket.objects.filter(number=parsed[1]).first()
            if ticket is not None:
                return ticket
    number = _subject_number(email.subject)
    if number is not None:
        # From its requester, or from an address copied on it.
        ticket = (
            Ticket.objects.filter(number=number)
            .filter(
                Q(requester_email=email.sender)
                | Q(pk__in=TicketCC.objects.filter(email=email.sender).values("ticket_id"))
            )
            .first()
        )
        if ticket is not None:
            return ticket
    return None


def answers_team_notification(email: Email, tenant: Tenant) -> bool:
    """The email answers one of our notifications to staff (a mention, a followed ticket's
    update): those never thread into a ticket, where an answer would reach the customer."""
    ids = []
    for ref in email.references:
        match = _OUR_ID.match(ref)
        if (
            match
            and match.group(1) == "outbox"
            and match.group(4) == settings.BASE_DOMAIN
            and int(match.group(2)) == tenant.pk
        ):
            ids.append(int(match.group(3)))
    return bool(ids) and (
        OutboxEmail.objects.filter(pk__in=ids, template__in=STAFF_EMAIL_TEMPLATES).exists()
    )


def _subject_number(subject: str) -> int | None:
    match = re.search(r"(?:\[#|#|ticket\s+#?)(\d{1,9})\b", subject, re.IGNORECASE)
    return ticket_number_in(f"#{match.group(1)}") if match else None


# --- Trimming --------------------------------------------------------------------------------

_QUOTE_STARTS = [
    re.compile(r"^On .{4,300} wrote:\s*$"),
    re.compile(r"^Le .{4,300} a écrit\s*:\s*$"),
    re.compile(r"^Am .{4,300} schrieb .{1,200}:\s*$"),
    re.compile(r"^-{2,}\s*Original Message\s*-{2,}", re.IGNORECASE),
    re.compile(r"^_{10,}\s*$"),
    re.compile(r"^From: .+"),
    re.compile(r"^>"),
]
_SIGNATURE_STARTS = [
    re.compile(r"^-- ?$"),
    re.compile(r"^Sent from my \w+", re.IGNORECASE),
    re.compile(r"^Get Outlook for \w+", re.IGNORECASE),
]
_FORWARD = re.compile(r"^(fwd?|fw|tr|wg)\s*:", re.IGNORECASE)


def trim(text: str, subject: str = "") -> str:
    """The new part of an email: above the quoted history and the signature. A forwarded email
    is kept whole (what was forwarded is the point of it), only its signature goes."""
    forwarded = bool(_FORWARD.match(subject))
    starts = _SIGNATURE_STARTS if forwarded else [*_QUOTE_STARTS, *_SIGNATURE_STARTS]
    kept = []
    for line in text.splitlines():
        if any(pattern.match(line.strip()) for pattern in starts):
            if forwarded and line.strip().startswith(">"):
                kept.append(line)
                continue
            break
        kept.append(line)
    trimmed = "\n".join(kept).strip()
    return trimmed or text.strip()


# --- Files -----------------------------------------------------------------------------------


def _uploads(email: Email) -> tuple[list, list[str]]:
    """(uploads for the ticket services, notes on files that were not accepted), each file
    through the attachment rules; the whole original as ``message.eml`` when it fits."""
    uploads, notes, sizes = [], [], []
    for name, data, inline in email.parts:
        upload = SimpleUploadedFile(files.safe_name(name), data)
        try:
            files.check_size(upload)
            content_type = files.sniff_any(upload)
            files.check_total([*sizes, upload.size])
        except ValidationError as error:
            notes.append(" ".join(error.messages))
            continue
        sizes.append(upload.size)
        uploads.append(("inline" if inline else "files", upload, content_type))
    original = SimpleUploadedFile("message.eml", email.raw)
    try:
        files.check_size(original)
        files.check_total([*sizes, original.size])
    except ValidationError:
        notes.append("The original email was too large to keep as message.eml.")
    else:
        uploads.append(("email", original, "message/rfc822"))
    return uploads, notes


def _body(email: Email, notes: list[str], *, original_kept: bool) -> str:
    body = trim(email.text, email.subject) or "(The email had no text.)"
    if notes:
        body += "\n\n" + "\n".join(f"[Not attached: {note}]" for note in notes)
    if len(body) > MAX_BODY_CHARS:
        rest = "all of it is in message.eml" if original_kept else "the rest was cut"
        note = f"\n\n[This email was longer than a message can be; {rest}.]"
        body = body[: MAX_BODY_CHARS - len(note)] + note
    return body


# --- Ingesting -------------------------------------------------------------------------------


def _record(email: Email, outcome: str, reason: str = "", ticket=None, via="webhook"):
    return InboundEmail.objects.create(
        message_id=email.message_id,
        sender=email.sender,
        subject=email.subject,
        outcome=outcome,
        reason=reason[:200],
        ticket=ticket,
        via=via,
    )


def _flag_bounce(email: Email) -> None:
    """Flag the failed address, only when the report is about an email we sent it (its
    Message-ID is one of this tenant's outbox rows, to that very address): anyone can write a
    "delivery failed" email naming someone else."""
    failed = bounced_recipient(email)
    if not failed:
        return
    ours = re.findall(rb"<outbox-(\d+)-(\d+)@([^<>\s]+)>", email.raw)
    tenant_id = current_tenant().pk
    sent = [
        int(pk)
        for tenant, pk, domain in ours
        if int(tenant) == tenant_id and domain.decode("ascii", "replace") == settings.BASE_DOMAIN
    ]
    if OutboxEmail.objects.filter(pk__in=sent, recipient__iexact=failed).exists():
        address_bounced(failed)


def _sender_identity(sender: str):
    user = (
        get_user_model()
        .objects.filter(emailaddress__email__iexact=sender, emailaddress__verified=True)
        .first()
    )
    membership = Membership.objects.filter(user=user).first() if user else None
    return user, membership


def ingest(
    *,
    tenant: Tenant,
    raw: bytes,
    address: SupportAddress | None,
    via="webhook",
    fallback_id: str = "",
):
    """Import one email for ``tenant``; returns its InboundEmail row (None when this message
    was imported before). ``fallback_id`` stands in for a missing Message-ID (an IMAP poller
    passes its mailbox, UIDVALIDITY and UID) so such a message is still imported once."""
    email = parse(raw)
    email.message_id = email.message_id or fallback_id[:255]
    with tenant_context(tenant):
        if email.message_id and InboundEmail.objects.filter(message_id=email.message_id).exists():
            return None
        try:
            with transaction.atomic():
                return _ingest(tenant, email, address, via)
        except IntegrityError:  # the same message imported concurrently
            return None


def _ingest(tenant: Tenant, email: Email, address, via: str) -> InboundEmail:
    reason = noise(email)
    if reason == "bounce":
        _flag_bounce(email)
    if reason:
        return _record(email, Outcome.IGNORED, reason, via=via)
    hour_ago = timezone.now() - timedelta(hours=1)
    if (
        InboundEmail.objects.filter(sender=email.sender, created_at__gte=hour_ago).count()
        >= SENDER_LIMIT
    ):
        return _record(email, Outcome.IGNORED, "too many emails from this sender", via=via)
    if answers_team_notification(email, tenant):
        return _record(email, Outcome.IGNORED, "an answer to a team notification", via=via)
    user, membership = _sender_identity(email.sender)
    ticket = thread(email, tenant)
    uploads, notes = _uploads(email)
    body = _body(email, notes, original_kept=any(key == "email" for key, *_ in uploads))
    try:
        if ticket is not None:
            return _answer(email, ticket, user, membership, body, uploads, via)
        if membership is None and address is not None and not address.accept_unknown_senders:
            return _record(email, Outcome.IGNORED, "unknown sender", via=via)
        created = services.ticket_submit(
            requester_email=email.sender,
            requester=user if membership is not None else None,
            subject=email.subject or f"Email from {email.sender}",
            description=body,
            channel=Ticket.Channel.EMAIL,
            uploads=uploads,
        )
    except (DomainError, ValidationError) as error:
        return _record(email, Outcome.IGNORED, f"refused: {error}", ticket=ticket, via=via)
    return _record(email, Outcome.TICKET, ticket=created, via=via)


def _answer(email, ticket, user, membership, body, uploads, via) -> InboundEmail:
    staff = membership is not None and membership.is_staff_role
    requester = email.sender == ticket.requester_email or (
        user is not None and ticket.requester_id == user.pk
    )
    # Someone copied on the ticket answers as the requester does: a public customer reply.
    copied = not requester and TicketCC.objects.filter(ticket=ticket, email=email.sender).exists()
    if staff or requester or copied:
        landed = services.ticket_reply(
            ticket=ticket,
            author=user,
            membership=membership,
            body=body,
            author_email=email.sender,
            via="email",
            uploads=uploads,
        )
        return _record(email, Outcome.REPLY, ticket=landed, via=via)
    # Someone else writes about the ticket (a colleague, or a forged From): an agent decides.
    note = f"Email from {email.sender}, who is not this ticket's requester:\n\n{body}"
    services.ticket_email_note(ticket=ticket, sender=email.sender, body=note, uploads=uploads)
    return _record(email, Outcome.NOTE, "sender is not the requester", ticket=ticket, via=via)


def route(recipients: list[str]) -> SupportAddress | None:
    """The support address (of any tenant) among the recipients."""
    from tenants.context import cross_tenant  # noqa: PLC0415 (routing spans tenants)

    wanted = [r.lower() for r in recipients if r]
    if not wanted:
        return None
    with cross_tenant():
        return (
            SupportAddress.all_tenants.select_related("tenant")
            .filter(address__in=wanted, tenant__is_active=True)
            .first()
        )
