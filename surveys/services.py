"""Satisfaction surveys: invite when a ticket closes, answer through a signed link, opt out.

The invitation email is also the closing news: it says the ticket is closed and, as the
closed email does, that a reply opens a follow-up (it carries the ticket's reply address).
When the tenant sends surveys at once (no ``survey_delay``), the requester gets it in place
of the separate closed email, not beside it: one email, not two in the same second.

Links carry a signature over (tenant, invitation, rating); opening one only pre-selects the
rating (mail scanners open every link), the answer is recorded by the form's POST. The
automation closes tickets a batch at a time, and the batch's invitations are made together:
one query for who may be asked, one insert each for invitations, emails and events.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.encoding import force_bytes

from outbox.services import Email, emails_enqueue
from surveys.models import SurveyEvent, SurveyInvitation, SurveyOptOut
from tenants import bulk
from tenants.context import current_tenant
from tickets import lifecycle
from tickets.lifecycle import Actor
from tickets.models import Ticket
from tickets.notifications import reply_address

SALT = "helpdesk.survey"
# What a survey link is for: a rating to pre-select, or stopping surveys.
PURPOSES = frozenset({"good", "bad", "opt-out"})


class SurveyLinkError(Exception):
    """A survey link that is tampered with, of another helpdesk, or expired."""

    def __init__(self, message: str, *, expired: bool = False):
        super().__init__(message)
        self.expired = expired


def sign(invitation: SurveyInvitation, purpose: str, *, signer=None) -> str:
    """``signing.dumps`` of the link's data; a batch passes one ``signer()`` for all its links
    (the same tokens, without building a signer, and reading its settings, per link).

    Not compressed: the data is a few numbers, which zlib never shortens (so the links are
    what they were when compression was asked for, only made without trying it)."""
    return (signer or _signer()).sign_link(invitation.tenant_id, invitation.pk, purpose)


class _BatchSigner(signing.TimestampSigner):
    """A ``TimestampSigner`` whose HMAC key and time stamp are made once, not once per link: a
    batch of closed tickets signs three links per survey. The same signatures as Django's
    (``salted_hmac`` of the salt + "signer" and the secret), checked by ``signing.loads``."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        derived = hashlib.sha256(force_bytes(self.salt + "signer") + force_bytes(self.key))
        self._mac = hmac.new(derived.digest(), digestmod=hashlib.sha256)
        # A batch's links are made in the same moment: stamped with the second it began.
        self._timestamp = super().timestamp()

    def timestamp(self) -> str:
        return self._timestamp

    def sign_link(self, tenant_id: int, invitation_id: int, purpose: str) -> str:
        """``sign_object({"t": tenant_id, "i": invitation_id, "p": purpose})``, with the data
        written as the JSON serializer writes it (two integers and a purpose word need no
        encoder; the three links of each survey made this way cost half as much)."""
        if type(tenant_id) is not int or type(invitation_id) is not int or purpose not in PURPOSES:
            return self.sign_object({"t": tenant_id, "i": invitation_id, "p": purpose})
        data = f'{{"t":{tenant_id},"i":{invitation_id},"p":"{purpose}"}}'
        # What self.sign(b64 of data) makes, written out: the value, its time stamp, the MAC.
        value = f"{signing.b64_encode(data.encode()).decode()}{self.sep}{self._timestamp}"
        mac = self._mac.copy()
        mac.update(value.encode())
        return f"{value}{self.sep}{signing.b64_encode(mac.digest()).decode()}"

    def signature(self, value, key=None):
        if key is not None and key != self.key:
            return super().signature(value, key)
        mac = self._mac.copy()
        mac.update(force_bytes(value))
        return signing.b64_encode(mac.digest()).decode()


def _signer() -> signing.TimestampSigner:
    return _BatchSigner(salt=SALT)


def invitation_for_token(token: str) -> tuple[SurveyInvitation, str]:
    """(invitation, purpose) of a link shown on the current tenant's host, or SurveyLinkError."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise SurveyLinkError(
            "This survey link is not valid. Please use the link from your email."
        ) from None
    if data.get("t") != current_tenant().pk:
        raise SurveyLinkError("This survey link belongs to another helpdesk.")
    invitation = SurveyInvitation.objects.select_related("ticket").filter(pk=data.get("i")).first()
    if invitation is None:
        raise SurveyLinkError("This survey no longer exists.")
    # Stopping surveys works for good (an unsubscribe link must never expire); answers close.
    if invitation.expires_at <= timezone.now() and data.get("p") != "opt-out":
        raise SurveyLinkError("This survey has closed. Thank you all the same!", expired=True)
    return invitation, data.get("p", "")


def survey_invite(*, ticket: Ticket) -> SurveyInvitation | None:
    """Create the ticket's survey and queue its email (in the closing transaction), or record
    on the timeline why none is sent."""
    invitations = survey_invite_many(tickets=[ticket])
    return invitations[0] if invitations else None


def announces_closing(tenant) -> bool:
    """Whether the tenant's survey emails go out with the closing (no ``survey_delay``), each
    standing for its ticket's closed email."""
    return tenant.survey_delay <= timedelta(0)


def survey_invite_many(*, tickets: list[Ticket]) -> list[SurveyInvitation]:
    """``survey_invite`` for a batch of tickets just closed; returns the invitations made.

    The rules, per ticket: nothing while the tenant has surveys off; an address that opted out
    or bounced gets no survey, and the timeline says why; a ticket that has one already (an
    overlapping run got there first) gets nothing more.
    """
    tenant = current_tenant()
    if not tenant.surveys_enabled or not tickets:
        return []
    # Who may be asked, for the whole batch in three queries, each served by an index
    # whatever the planner believes of the tenant: a new tenant's statistics say it has no
    # rows, and one query with a subquery per ticket then read every invitation of the
    # tenant once per ticket (20 s for 20,000 tickets).
    opted_out = _addresses_among(SurveyOptOut.objects.all(), "email", tickets)
    bounced = _addresses_among(
        get_user_model().objects.filter(email_bounced_at__isnull=False), "email", tickets
    )
    invited = set(
        SurveyInvitation.objects.filter(ticket__in=[ticket.pk for ticket in tickets]).values_list(
            "ticket_id", flat=True
        )
    )
    skipped: dict[str, list[Ticket]] = {"opted_out": [], "address_bounced": []}
    chosen = []
    for ticket in tickets:
        if ticket.requester_email in opted_out:
            skipped["opted_out"].append(ticket)
        elif ticket.requester_email in bounced:
            skipped["address_bounced"].append(ticket)
        elif ticket.pk not in invited:
            chosen.append(ticket)
    for reason, which in skipped.items():
        lifecycle.record_many(
            which, SurveyEvent.SKIPPED, actor_kind=Actor.AUTOMATION, data={"reason": reason}
        )
    if not chosen:
        return []
    send_at = timezone.now() + tenant.survey_delay
    expires_at = send_at + tenant.survey_link_lifetime
    invitations = bulk.insert_objects(
        SurveyInvitation,
        same={"sent_at": send_at, "expires_at": expires_at},
        each={
            "ticket_id": [ticket.pk for ticket in chosen],
            "agent_id": [ticket.assignee_id for ticket in chosen],
            "recipient": [ticket.requester_email for ticket in chosen],
        },
    )
    ticket_field = SurveyInvitation._meta.get_field("ticket")
    for invitation, ticket in zip(invitations, chosen, strict=True):
        ticket_field.set_cached_value(invitation, ticket)
    signer = _signer()
    site = tenant.url("")
    emails_enqueue(
        template="survey_invitation",
        shared={"expires_at": expires_at},
        emails=[_invitation_email(site, invite, send_at, signer) for invite in invitations],
    )
    lifecycle.record_many(
        chosen,
        SurveyEvent.SENT,
        actor_kind=Actor.AUTOMATION,
        data={"send_at": send_at.isoformat()},
    )
    return invitations


def _addresses_among(rows, field: str, tickets: list[Ticket]) -> set[str]:
    """The requester addresses of ``tickets`` that some row of ``rows`` holds in ``field``,
    compared without regard to case as the database lowers them (as accounts are told apart:
    one account per lowered address).

    An ASCII address is lowered here, exactly as the database lowers it, and all of them are
    matched in one query; any other address is asked about on its own (rare)."""
    addresses = {ticket.requester_email for ticket in tickets if ticket.requester_email}
    lowered = rows.annotate(_address=Lower(field))
    plain = {address.lower() for address in addresses if address.isascii()}
    found = (
        set(lowered.filter(_address__in=plain).values_list("_address", flat=True))
        if plain
        else set()
    )
    matched = {address for address in addresses if address.isascii() and address.lower() in found}
    for address in addresses - {address for address in addresses if address.isascii()}:
        if lowered.filter(_address=Lower(Value(address))).exists():
            matched.add(address)
    return matched


def _invitation_email(site: str, invitation: SurveyInvitation, send_at, signer) -> Email:
    """The survey email of ``invitation``; ``site`` is the tenant's ``url("")``, the start
    of every link."""
    ticket = invitation.ticket
    opt_out = sign(invitation, "opt-out", signer=signer)
    return Email(
        recipient=invitation.recipient,
        key=f"ticket:{ticket.pk}:survey",
        # A reply threads into the ticket, as a reply to the closed email does (a follow-up).
        reply_to=reply_address(ticket),
        context={
            "ticket": ticket,
            "ticket_url": f"{site}/tickets/{ticket.number}/",
            "good_url": f"{site}/survey/{sign(invitation, 'good', signer=signer)}/",
            "bad_url": f"{site}/survey/{sign(invitation, 'bad', signer=signer)}/",
            "opt_out_url": f"{site}/survey/{opt_out}/",
        },
        ticket=ticket,
        send_at=send_at,
        # RFC 8058: one-click unsubscribe (a POST from the mail client) is the survey opt-out.
        headers={
            "List-Unsubscribe": f"<{site}/survey/{opt_out}/unsubscribe/>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


@transaction.atomic
def survey_answer(
    *, invitation: SurveyInvitation, rating: str, reason: str = "", comment: str = ""
):
    """Record (or change) the answer; its rating goes on the ticket's timeline."""
    if rating not in SurveyInvitation.Rating.values:
        raise ValueError("Choose good or bad.")
    invitation = SurveyInvitation.objects.select_for_update().get(pk=invitation.pk)
    before = invitation.rating
    invitation.rating = rating
    invitation.reason = reason if rating == SurveyInvitation.Rating.BAD else ""
    invitation.comment = comment.strip()
    invitation.answered_at = timezone.now()
    invitation.save(update_fields=["rating", "reason", "comment", "answered_at", "updated_at"])
    lifecycle.record(
        invitation.ticket,
        SurveyEvent.ANSWERED,
        actor_kind=Actor.CUSTOMER,
        before=before,
        after=rating,
        data={"reason": invitation.reason, "comment": invitation.comment},
    )
    return invitation


def survey_opt_out(*, email: str) -> None:
    SurveyOptOut.objects.get_or_create(email=email.lower())
