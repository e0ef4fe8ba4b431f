"""Satisfaction surveys: invite when a ticket closes, answer through a signed link, opt out.

Links carry a signature over (tenant, invitation, rating); opening one only pre-selects the
rating (mail scanners open every link), the answer is recorded by the form's POST. The
automation closes tickets a batch at a time, and the batch's invitations are made together:
one query for who may be asked, one insert each for invitations, emails and events.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from outbox.services import Email, emails_enqueue
from surveys.models import SurveyEvent, SurveyInvitation, SurveyOptOut
from tenants import bulk
from tenants.context import current_tenant
from tickets import lifecycle
from tickets.lifecycle import Actor
from tickets.models import Ticket

SALT = "helpdesk.survey"


class SurveyLinkError(Exception):
    """A survey link that is tampered with, of another helpdesk, or expired."""

    def __init__(self, message: str, *, expired: bool = False):
        super().__init__(message)
        self.expired = expired


def sign(invitation: SurveyInvitation, purpose: str, *, signer=None) -> str:
    """``signing.dumps`` of the link's data; a batch passes one ``signer()`` for all its links
    (the same tokens, without building a signer, and reading its settings, per link)."""
    return (signer or _signer()).sign_object(
        {"t": invitation.tenant_id, "i": invitation.pk, "p": purpose}, compress=True
    )


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


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


def survey_invite_many(*, tickets: list[Ticket]) -> list[SurveyInvitation]:
    """``survey_invite`` for a batch of tickets just closed; returns the invitations made.

    The rules, per ticket: nothing while the tenant has surveys off; an address that opted out
    or bounced gets no survey, and the timeline says why; a ticket that has one already (an
    overlapping run got there first) gets nothing more.
    """
    tenant = current_tenant()
    if not tenant.surveys_enabled or not tickets:
        return []
    # The same matches as one ticket at a time (email__iexact against the requester's
    # address), asked for the whole batch in one query.
    bounced = get_user_model().objects.filter(
        email__iexact=OuterRef("requester_email"), email_bounced_at__isnull=False
    )
    flags = {
        pk: (opted_out, address_bounced, invited)
        for pk, opted_out, address_bounced, invited in Ticket.objects.filter(
            pk__in=[ticket.pk for ticket in tickets]
        )
        .annotate(
            opted_out=Exists(
                SurveyOptOut.objects.filter(email__iexact=OuterRef("requester_email"))
            ),
            address_bounced=Exists(bounced),
            invited=Exists(SurveyInvitation.objects.filter(ticket=OuterRef("pk"))),
        )
        .values_list("pk", "opted_out", "address_bounced", "invited")
    }
    skipped: dict[str, list[Ticket]] = {"opted_out": [], "address_bounced": []}
    chosen = []
    for ticket in tickets:
        opted_out, address_bounced, invited = flags[ticket.pk]
        if opted_out:
            skipped["opted_out"].append(ticket)
        elif address_bounced:
            skipped["address_bounced"].append(ticket)
        elif not invited:
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
    emails_enqueue(
        template="survey_invitation",
        shared={"expires_at": expires_at},
        emails=[_invitation_email(tenant, invite, send_at, signer) for invite in invitations],
    )
    lifecycle.record_many(
        chosen,
        SurveyEvent.SENT,
        actor_kind=Actor.AUTOMATION,
        data={"send_at": send_at.isoformat()},
    )
    return invitations


def _invitation_email(tenant, invitation: SurveyInvitation, send_at, signer) -> Email:
    ticket = invitation.ticket
    opt_out = sign(invitation, "opt-out", signer=signer)
    return Email(
        recipient=invitation.recipient,
        key=f"ticket:{ticket.pk}:survey",
        context={
            "ticket": ticket,
            "ticket_url": tenant.url(f"/tickets/{ticket.number}/"),
            "good_url": tenant.url(f"/survey/{sign(invitation, 'good', signer=signer)}/"),
            "bad_url": tenant.url(f"/survey/{sign(invitation, 'bad', signer=signer)}/"),
            "opt_out_url": tenant.url(f"/survey/{opt_out}/"),
        },
        ticket=ticket,
        send_at=send_at,
        # RFC 8058: one-click unsubscribe (a POST from the mail client) is the survey opt-out.
        headers={
            "List-Unsubscribe": f"<{tenant.url(f'/survey/{opt_out}/unsubscribe/')}>",
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
