"""Reads for tickets.collaboration: a ticket's CCs and followers, a person's notifications and
email preferences. Each is one query, whatever the number of rows shown."""

from __future__ import annotations

from django.db.models import QuerySet

from core.inputs import parse_id
from tenants.navigation import kept_count
from tickets import mentions
from tickets.models import Notification, NotificationPreference, Ticket, TicketCC, TicketFollower

NOTIFICATIONS_PAGE = 30
UNREAD_SHOWN = 99  # the bell says 99 for 99 or more


def ccs(ticket: Ticket) -> list[TicketCC]:
    """Who is copied on the ticket, in the order they were added."""
    return list(TicketCC.objects.filter(ticket=ticket).order_by("pk"))


def followers(ticket: Ticket) -> list[TicketFollower]:
    """The staff following the ticket, with their users, in the order they followed."""
    return list(TicketFollower.objects.filter(ticket=ticket).select_related("user").order_by("pk"))


def agent_panel(ticket: Ticket, membership) -> dict:
    """The agent page's "People" card: CCs, followers, and whether the viewer follows."""
    following = followers(ticket)
    return {
        "ticket": ticket,
        "ccs": ccs(ticket),
        "followers": following,
        "following": any(f.user_id == membership.user_id for f in following),
        "max_ccs": TicketCC.MAX_PER_TICKET,
    }


def portal_panel(ticket: Ticket, membership) -> dict:
    """The portal page's CC card: who is copied, and whether this customer may change it."""
    copied = ccs(ticket)
    return {
        "ticket": ticket,
        "ccs": copied,
        "can_manage": ticket.requester_id == membership.user_id,
        "own_cc": next((cc for cc in copied if cc.user_id == membership.user_id), None),
        "max_ccs": TicketCC.MAX_PER_TICKET,
    }


def mention_handles(members) -> list[tuple[str, str]]:
    """(handle, name) of each staff member, for the note form's completion list."""
    users = [member.user for member in members]
    return [(mentions.handle_of(user, users), user.display_name) for user in users]


def notifications(user, *, before=None) -> tuple[list[Notification], int | None]:
    """One page of the person's notifications, newest first, and the cursor of the next
    (None at the end). ``before`` is a notification id from the previous page (any string is
    accepted: a bad one starts from the newest)."""
    rows = Notification.objects.filter(recipient=user).select_related("ticket", "actor")
    cursor = parse_id(before) if before is not None else None
    if cursor is not None:
        rows = rows.filter(pk__lt=cursor)
    page = list(rows.order_by("-pk")[: NOTIFICATIONS_PAGE + 1])
    more = len(page) > NOTIFICATIONS_PAGE
    page = page[:NOTIFICATIONS_PAGE]
    return page, (page[-1].pk if more else None)


def notification_for(user, pk) -> Notification | None:
    """One of the person's own notifications by id, or None (alike for missing and others')."""
    pk = parse_id(pk)
    if pk is None:
        return None
    return Notification.objects.filter(recipient=user, pk=pk).select_related("ticket").first()


# The bell's badge (tickets.apps registers it; tickets.collaboration drops its kept number).
UNREAD_BADGE = "notifications"


def unread_count(user) -> int:
    """The bell's number: unread notifications, counted up to ``UNREAD_SHOWN``."""
    return (
        Notification.objects.filter(recipient=user, read_at__isnull=True)
        .order_by()[:UNREAD_SHOWN]
        .count()
    )


def unread_badge(request) -> int:
    """The workspace bell (a navigation badge): staff only, 0 hides it."""
    membership = getattr(request, "membership", None)
    if membership is None or not membership.is_staff_role:
        return 0
    # Kept per person, dropped when one of their notifications is written or read.
    user = request.user
    return kept_count(UNREAD_BADGE, lambda: unread_count(user), person_id=user.pk)


def notification_rows(user, *, unread: bool = False) -> QuerySet[Notification]:
    """The person's notifications (or only the unread ones), newest first, with tickets."""
    rows = Notification.objects.filter(recipient=user)
    if unread:
        rows = rows.filter(read_at__isnull=True)
    return rows.select_related("ticket").order_by("-pk")


def preferences(user) -> NotificationPreference:
    """The person's email switches (all on when they never chose)."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(
        user=user
    )
