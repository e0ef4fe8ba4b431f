"""What tickets does when the layers below it announce a change."""

from __future__ import annotations

import logging

from allauth.account.signals import email_confirmed
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from desk.signals import current_version_changed, support_clock_changed
from tenants.context import tenant_context
from tenants.models import Membership, Tenant
from tenants.services import member_joined
from tenants.signals import tenant_created
from tickets import collaboration
from tickets.models import TicketCounter
from tickets.services import tickets_claim_for_user, tickets_reflag_versions
from tickets.signals import ticket_events_recorded, ticket_merged
from tickets.sla import recompute_all
from tickets.tasks import recompute_sla

log = logging.getLogger(__name__)


@receiver(tenant_created)
def create_ticket_counter(sender, *, tenant, **kwargs) -> None:
    """Ticket numbers start at 1: the counter row exists before the first submissions race."""
    TicketCounter.objects.create()


@receiver(support_clock_changed)
def recompute_due_times(sender, *, tenant_id: int, **kwargs) -> None:
    """Queue the recomputation; with the broker down, do it here rather than leave stale dues."""
    try:
        recompute_sla.delay(tenant_id)
    except Exception:
        log.warning("broker unavailable: recomputing tenant %s's due times inline", tenant_id)
        with tenant_context(Tenant.objects.get(pk=tenant_id)):
            recompute_all()


# Tickets sent from a person's verified addresses before they had an account become theirs
# once they are a member of the tenant: when they join, and again when they sign in or verify
# another address. A mere sign-in on a helpdesk they have not joined claims nothing there.


@receiver(member_joined)
def claim_tickets_on_joining(sender, *, membership, **kwargs):
    tickets_claim_for_user(user=membership.user)


@receiver(user_logged_in)
def claim_tickets_on_sign_in(sender, request, user, **kwargs):
    # request.membership is set by accounts' receiver, connected before this one.
    if request is not None and getattr(request, "membership", None) is not None:
        tickets_claim_for_user(user=user)


@receiver(email_confirmed)
def claim_tickets_of_a_newly_verified_address(sender, request, email_address, **kwargs):
    if request is None or getattr(request, "tenant", None) is None:
        return
    if Membership.objects.filter(user=email_address.user).exists():
        tickets_claim_for_user(user=email_address.user)


@receiver(current_version_changed)
def reflag_versions(sender, *, tenant_id: int, version: str, **kwargs) -> None:
    """Only the current version is supported: tickets from older ones carry the flag (in the
    settings change's transaction and tenant)."""
    tickets_reflag_versions(current=version)


@receiver(ticket_events_recorded, dispatch_uid="tickets.collaboration.notify")
def notify_followers_and_assignees(sender, *, events, **kwargs) -> None:
    """Followers and new assignees hear of each update, in the transaction that made it."""
    collaboration.events_notify(events)


@receiver(ticket_merged)
def copy_merged_requester(sender, *, source, target, actor, **kwargs) -> None:
    """The duplicate's requester becomes a CC of the ticket it was merged into."""
    collaboration.copy_merged_requester(source=source, target=target, actor=actor)
