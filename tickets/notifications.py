"""Which emails a ticket change sends, to whom, under which idempotency key.

Services and the automation call these inside their transaction; rows go to the outbox and
are sent after commit. Internal notes never reach this module. Keys name the ticket, the kind
and the transition (a ticket solved twice gets two solved emails, a sweep run twice one).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from core.wording import duration_words
from outbox.services import email_enqueue
from tenants.context import current_tenant
from tickets.models import Comment, Ticket


def reply_address(ticket: Ticket) -> str:
    """reply+<tenant>.<number>.<signature>@INBOUND_EMAIL_DOMAIN: threads a reply to the ticket."""
    token = f"{current_tenant().slug}.{ticket.number}"
    signature = salted_hmac("ticket-reply", token).hexdigest()[:16]
    return f"reply+{token}.{signature}@{settings.INBOUND_EMAIL_DOMAIN}"


def parse_reply_address(address: str) -> tuple[str, int] | None:
    """(tenant slug, ticket number) from a reply address, or None when forged or malformed."""
    local = address.split("@", 1)[0]
    if not local.startswith("reply+"):
        return None
    parts = local.removeprefix("reply+").rsplit(".", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    slug, number, signature = parts
    expected = salted_hmac("ticket-reply", f"{slug}.{number}").hexdigest()[:16]
    if not constant_time_compare(signature, expected):
        return None
    return slug, int(number)


def _send(ticket: Ticket, template: str, key: str, *, automated=True, **context) -> None:
    tenant = current_tenant()
    email_enqueue(
        automated=automated,
        template=template,
        recipient=ticket.requester_email,
        key=f"ticket:{ticket.pk}:{key}",
        context={
            "ticket": ticket,
            "ticket_url": tenant.url(f"/tickets/{ticket.number}/"),
            "new_ticket_url": tenant.url("/tickets/new/"),
            **context,
        },
        ticket=ticket,
        reply_to=reply_address(ticket),
    )


def ticket_received(ticket: Ticket) -> None:
    if ticket.follow_up_of_id:
        _send(ticket, "follow_up_created", "follow-up", previous=ticket.follow_up_of)
    else:
        _send(ticket, "ticket_received", "received")


def agent_replied(ticket: Ticket, comment: Comment) -> None:
    """A public agent reply; a reply that solves the ticket sends the solved email instead."""
    if ticket.status == Ticket.Status.SOLVED:
        ticket_solved(ticket, comment=comment)
    else:
        # A person wrote it: not Auto-Submitted, so a customer's vacation notice may answer.
        _send(ticket, "agent_reply", f"reply:{comment.pk}", automated=False, comment=comment)


def ticket_solved(
    ticket: Ticket, *, comment: Comment | None = None, automatic: bool = False
) -> None:
    # The policy requires this email; it tells the customer how to reopen and when it closes.
    _send(
        ticket,
        "ticket_solved",
        f"solved:{ticket.solved_at.isoformat()}",
        automated=comment is None,  # an agent's solving reply is a person's message
        comment=comment,
        automatic=automatic,
        closes_after=duration_words(current_tenant().solved_close_delay),
    )


def pending_reminder(ticket: Ticket) -> None:
    tenant = current_tenant()
    solves_at = ticket.pending_since + tenant.pending_solve_delay
    _send(
        ticket,
        "pending_reminder",
        f"pending-reminder:{ticket.pending_since.isoformat()}",
        solves_at=solves_at,
        tenant_time_zone=tenant.time_zone,
    )


def ticket_closed(ticket: Ticket) -> None:
    _send(ticket, "ticket_closed", "closed")
