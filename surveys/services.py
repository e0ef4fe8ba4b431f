"""Satisfaction surveys: invite when a ticket closes, answer through a signed link, opt out.

Links carry a signature over (tenant, invitation, rating); opening one only pre-selects the
rating (mail scanners open every link), the answer is recorded by the form's POST.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.utils import timezone

from outbox.services import email_enqueue
from surveys.models import SurveyEvent, SurveyInvitation, SurveyOptOut
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


def sign(invitation: SurveyInvitation, purpose: str) -> str:
    return signing.dumps(
        {"t": invitation.tenant_id, "i": invitation.pk, "p": purpose}, salt=SALT, compress=True
    )


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


def _skip(ticket: Ticket, reason: str) -> None:
    lifecycle.record(
        ticket,
        SurveyEvent.SKIPPED,
        actor_kind=Actor.AUTOMATION,
        data={"reason": reason},
    )


def survey_invite(*, ticket: Ticket) -> SurveyInvitation | None:
    """Create the ticket's survey and queue its email (in the closing transaction), or record
    on the timeline why none is sent."""

    tenant = current_tenant()
    if not tenant.surveys_enabled:
        return None
    recipient = ticket.requester_email
    if SurveyOptOut.objects.filter(email__iexact=recipient).exists():
        _skip(ticket, "opted_out")
        return None
    bounced = get_user_model().objects.filter(
        email__iexact=recipient, email_bounced_at__isnull=False
    )
    if bounced.exists():
        _skip(ticket, "address_bounced")
        return None
    if SurveyInvitation.objects.filter(ticket=ticket).exists():
        return None  # an overlapping run got here first
    send_at = timezone.now() + tenant.survey_delay
    invitation = SurveyInvitation.objects.create(
        ticket=ticket,
        agent=ticket.assignee,
        recipient=recipient,
        sent_at=send_at,
        expires_at=send_at + tenant.survey_link_lifetime,
    )
    opt_out = sign(invitation, "opt-out")
    links = {
        "good_url": tenant.url(f"/survey/{sign(invitation, 'good')}/"),
        "bad_url": tenant.url(f"/survey/{sign(invitation, 'bad')}/"),
        "opt_out_url": tenant.url(f"/survey/{opt_out}/"),
    }
    email_enqueue(
        template="survey_invitation",
        recipient=recipient,
        key=f"ticket:{ticket.pk}:survey",
        context={
            "ticket": ticket,
            "ticket_url": tenant.url(f"/tickets/{ticket.number}/"),
            "expires_at": invitation.expires_at,
            **links,
        },
        ticket=ticket,
        send_at=send_at,
        # RFC 8058: one-click unsubscribe (a POST from the mail client) is the survey opt-out.
        headers={
            "List-Unsubscribe": f"<{tenant.url(f'/survey/{opt_out}/unsubscribe/')}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    lifecycle.record(
        ticket,
        SurveyEvent.SENT,
        actor_kind=Actor.AUTOMATION,
        data={"send_at": send_at.isoformat()},
    )
    return invitation


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
