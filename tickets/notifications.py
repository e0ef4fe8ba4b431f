"""Which emails a ticket change sends, to whom, under which idempotency key.

Services and the automation call these inside their transaction; rows go to the outbox and
are sent after commit. Internal notes never reach this module. The addresses copied on a
ticket (``TicketCC``) get each public reply, as the requester does, under keys of their own.
Keys name the ticket, the kind and the transition (a ticket solved twice gets two solved
emails, a sweep run twice one). The automation's functions take a batch of tickets and queue
its emails in one go; a batch of one writes exactly the row the single-ticket function writes.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from core.wording import duration_words
from outbox.services import Email, email_enqueue, emails_enqueue
from tenants.context import current_tenant
from tickets.models import Comment, Ticket, TicketCC


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
    _send_each(template, [ticket], lambda _ticket: key, automated=automated, **context)


def _send_with_copies(
    ticket: Ticket,
    template: str,
    key: str,
    *,
    automated=True,
    to_requester=True,
    skip: str = "",
    skip_user: int | None = None,
    **context,
) -> None:
    """The ``template`` email about one public message to the requester and to every address
    copied on the ticket (``copied`` tells the template which), except ``skip`` (the message's
    own author). One insert for them all."""
    tenant = current_tenant()
    ticket_url = tenant.url(f"/tickets/{ticket.number}/")
    recipients = [(ticket.requester_email, key, False)] if to_requester else []
    recipients += [
        (cc.email, f"{key}:cc:{cc.pk}", True)
        for cc in TicketCC.objects.filter(ticket=ticket).order_by("pk")
        if skip_user is None or cc.user_id != skip_user
    ]
    emails_enqueue(
        template=template,
        automated=automated,
        shared={"new_ticket_url": tenant.url("/tickets/new/"), **context},
        emails=[
            Email(
                recipient=recipient,
                key=f"ticket:{ticket.pk}:{kind}",
                context={"ticket": ticket, "ticket_url": ticket_url, "copied": copied},
                ticket=ticket,
                reply_to=reply_address(ticket),
            )
            for recipient, kind, copied in recipients
            if recipient.lower() != skip.lower()
        ],
    )


def _send_each(
    template: str, tickets: list[Ticket], key, *, automated=True, each=None, **context
) -> None:
    """The ``template`` email to each ticket's requester, under ``ticket:<pk>:<key(ticket)>``.

    ``context`` is what the emails share; ``each(ticket)`` adds a ticket's own values."""
    tenant = current_tenant()
    site = tenant.url("")  # the links' common start, worked out once for the batch
    emails_enqueue(
        template=template,
        automated=automated,
        shared={"new_ticket_url": tenant.url("/tickets/new/"), **context},
        emails=[
            Email(
                recipient=ticket.requester_email,
                key=f"ticket:{ticket.pk}:{key(ticket)}",
                context={
                    "ticket": ticket,
                    "ticket_url": f"{site}/tickets/{ticket.number}/",
                    **(each(ticket) if each else {}),
                },
                ticket=ticket,
                reply_to=reply_address(ticket),
            )
            for ticket in tickets
        ],
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
        _send_with_copies(
            ticket, "agent_reply", f"reply:{comment.pk}", automated=False, comment=comment
        )


def customer_replied(ticket: Ticket, comment: Comment) -> None:
    """A public message from the customer's side: the requester (when someone copied wrote
    it) and the other CCs get it; its author does not (no email at all when nobody is copied
    and the requester wrote)."""
    author = comment.author_email or (comment.author.email if comment.author_id else "")
    by_requester = author.lower() == ticket.requester_email.lower() or (
        comment.author_id is not None and comment.author_id == ticket.requester_id
    )
    _send_with_copies(
        ticket,
        "customer_reply_copy",
        f"customer-reply:{comment.pk}",
        automated=False,
        to_requester=not by_requester,
        skip=author,
        skip_user=comment.author_id,
        comment=comment,
    )


def ticket_solved(
    ticket: Ticket, *, comment: Comment | None = None, automatic: bool = False
) -> None:
    if comment is None:
        tickets_solved([ticket], automatic=automatic)
        return
    # An agent's solving reply is a person's message: not Auto-Submitted. CCs get it too.
    _send_with_copies(
        ticket, "ticket_solved", _solved_key(ticket), automated=False, **_solved(comment)
    )


def tickets_solved(tickets: list[Ticket], *, automatic: bool = False) -> None:
    """The solved email of tickets solved without a reply (by the automation: ``automatic``)."""
    _send_each("ticket_solved", tickets, _solved_key, **_solved(None, automatic=automatic))


def _solved_key(ticket: Ticket) -> str:
    return f"solved:{ticket.solved_at.isoformat()}"


def _solved(comment: Comment | None, *, automatic: bool = False) -> dict:
    # The policy requires this email; it tells the customer how to reopen and when it closes.
    return {
        "comment": comment,
        "automatic": automatic,
        "closes_after": duration_words(current_tenant().solved_close_delay),
    }


def pending_reminders(tickets: list[Ticket]) -> None:
    tenant = current_tenant()
    _send_each(
        "pending_reminder",
        tickets,
        lambda ticket: f"pending-reminder:{ticket.pending_since.isoformat()}",
        each=lambda ticket: {"solves_at": ticket.pending_since + tenant.pending_solve_delay},
        tenant_time_zone=tenant.time_zone,
    )


def tickets_closed(tickets: list[Ticket]) -> None:
    _send_each("ticket_closed", tickets, lambda _ticket: "closed")


def ticket_merged(source: Ticket, target: Ticket) -> None:
    """Tell the duplicate's customer where their request went: once per merged ticket (the key
    names no time, and a ticket is merged at most once: it is closed by it, so a retried merge
    queues nothing new).

    A reply to this email threads into the target, where the conversation now lives (the
    source is closed: a reply there would only start a follow-up). Only the target's number
    is named: its subject may be another customer's words.
    """
    tenant = current_tenant()
    email_enqueue(
        template="ticket_merged",
        recipient=source.requester_email,
        key=f"ticket:{source.pk}:merged",
        context={
            "ticket": source,
            "target": target,
            "ticket_url": tenant.url(f"/tickets/{source.number}/"),
            "new_ticket_url": tenant.url("/tickets/new/"),
        },
        ticket=source,
        reply_to=reply_address(target),
    )
