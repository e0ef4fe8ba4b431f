"""The people around a ticket, and what they are told: CCs, followers, @mentions, and the
staff's in-app notifications with their email preferences.

- **CC**: an address copied on a ticket (at most ``TicketCC.MAX_PER_TICKET``), added and
  removed by staff or by the ticket's requester. It gets every public reply by email (never an
  internal note: ``tickets.notifications``) and may answer by email or, with an account in this
  helpdesk, on the portal (``tickets.selectors.visible_tickets``). The same rules as a
  requester's address apply: a valid address, normalised; never this helpdesk's own address,
  an agent's (agents follow instead), or one whose mail bounced.
- **Followers**: staff who follow a ticket get an in-app notification, and an email if they
  want one, for every update someone else makes (a reply, a note, a status, priority or
  assignee change), automation included.
- **Mentions** (``tickets.mentions``): ``@handle`` in an internal note notifies that colleague.
- **Assignment**: whoever a ticket is assigned to by someone else is notified.

Services here follow ``tickets.services``: keyword-only, atomic, each change on the timeline.
The fan-out (``events_notify``) runs inside the transaction that records the events, reads a
fixed number of queries per batch whatever its size, and writes its rows in one insert.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import Conflict, DomainError, InvalidInput, NotAllowed
from core.inputs import has_nul
from desk.priorities import Priority
from outbox.services import Email, emails_enqueue
from tenants import bulk
from tenants.context import current_tenant
from tenants.models import Membership
from tenants.navigation import forget_count
from tickets import lifecycle, mentions, selectors
from tickets.collaboration_selectors import UNREAD_BADGE
from tickets.lifecycle import InvalidTransition
from tickets.models import (
    Actor,
    CollaborationEvent,
    Comment,
    Notification,
    NotificationPreference,
    Ticket,
    TicketCC,
    TicketEvent,
    TicketFollower,
)

Kind = Notification.Kind
MAX_EMAIL_CHARS = 254
TEXT_CHARS = Notification._meta.get_field("text").max_length

# The emails to staff. They carry no ticket thread headers and no reply address: an agent's
# answer to one must never become a public reply to the customer (inbox ignores such answers).
STAFF_EMAIL_TEMPLATES = ("staff_mentioned", "staff_ticket_update", "staff_ticket_assigned")


# --- CCs -----------------------------------------------------------------------------------------


def normalized_email(value: str) -> str:
    """The address as stored (stripped, lower-case, like a requester's), or InvalidInput."""
    email = str(value or "").strip().lower()
    if not email:
        raise InvalidInput("Enter an email address to copy on the ticket.")
    if has_nul(email) or len(email) > MAX_EMAIL_CHARS:
        raise InvalidInput("Enter a valid email address.")
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput("Enter a valid email address.") from None
    return email


def _shown(email: str) -> str:
    """An address as the timeline's before/after column holds it (an address may be longer;
    the event's data keeps it whole)."""
    limit = TicketEvent._meta.get_field("after").max_length
    return email if len(email) <= limit else email[: limit - 1] + "…"


def _may_manage_ccs(ticket: Ticket, actor, membership: Membership | None) -> bool:
    if membership is None:
        return False
    return membership.is_staff_role or (actor is not None and ticket.requester_id == actor.pk)


def _members_with_address(email: str) -> list[Membership]:
    """This helpdesk's members whose account address, or a verified one, is ``email``."""
    return list(
        Membership.objects.filter(
            Q(user__email__iexact=email)
            | Q(user__emailaddress__email__iexact=email, user__emailaddress__verified=True)
        )
        .select_related("user")
        .distinct()[:5]
    )


def _refusal(ticket: Ticket, email: str, members: list[Membership]) -> str | None:
    """Why ``email`` cannot be copied on ``ticket`` (the requester's address rules), or None."""
    tenant = current_tenant()
    if email == ticket.requester_email.lower():
        return f"{email} is the requester: they get every reply already."
    if email == (tenant.support_email or "").lower() or email.endswith(
        "@" + settings.INBOUND_EMAIL_DOMAIN.lower()
    ):
        return f"{email} is this helpdesk's own address."
    if any(member.is_staff_role for member in members):
        return f"{email} belongs to an agent of this helpdesk: agents follow tickets instead."
    bounced = get_user_model().objects.filter(email__iexact=email, email_bounced_at__isnull=False)
    if bounced.exists():
        return f"Mail to {email} bounced, so it cannot be copied. Ask for another address."
    return None


@transaction.atomic
def ticket_cc_add(*, ticket: Ticket, email: str, actor, membership: Membership | None) -> TicketCC:
    """Copy ``email`` on the ticket; linked to its owner's account when they are a member."""
    if not _may_manage_ccs(ticket, actor, membership):
        raise NotAllowed("Only agents and the ticket's requester change who is copied.")
    email = normalized_email(email)
    # Locked: two additions at once must not both pass the cap.
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status == Ticket.Status.CLOSED:
        raise InvalidTransition(f"Ticket #{ticket.number} is closed; nobody can be added to it.")
    members = _members_with_address(email)
    reason = _refusal(ticket, email, members)
    if reason:
        raise InvalidInput(reason)
    existing = TicketCC.objects.filter(ticket=ticket)
    if existing.filter(email=email).exists():
        raise Conflict(f"{email} is already copied on this ticket.")
    if existing.count() >= TicketCC.MAX_PER_TICKET:
        raise InvalidInput(f"A ticket can have at most {TicketCC.MAX_PER_TICKET} CCs.")
    # Linked only to an account that has verified the address, as a requester's tickets are.
    owner = selectors.member_with_verified_email(email)
    cc = TicketCC.objects.create(ticket=ticket, email=email, user=owner, added_by=actor)
    lifecycle.record(
        ticket,
        CollaborationEvent.CC_ADDED,
        actor=actor,
        actor_kind=Actor.AGENT if membership.is_staff_role else Actor.CUSTOMER,
        after=_shown(email),
        data={"email": email},
    )
    ticket.save(update_fields=["updated_at"])
    return cc


def copy_merged_requester(*, source: Ticket, target: Ticket, actor) -> TicketCC | None:
    """A merge's one step for CCs: the duplicate's requester keeps hearing of the request,
    now as a CC of the ticket it continues in (none when they are its requester, are already
    copied, or may not be copied: a staff address, a bounced one, the cap reached)."""
    email = normalized_email(source.requester_email or "")
    if not email or email == normalized_email(target.requester_email or ""):
        return None
    membership = Membership.objects.filter(user=actor).first() if actor else None
    try:
        with transaction.atomic():
            return ticket_cc_add(ticket=target, email=email, actor=actor, membership=membership)
    except (InvalidInput, Conflict, NotAllowed, InvalidTransition):
        return None


@transaction.atomic
def ticket_cc_remove(*, ticket: Ticket, cc_id, actor, membership: Membership | None) -> None:
    """Stop copying one address (staff, the requester, or the CC themselves)."""
    cc = TicketCC.objects.filter(ticket=ticket, pk=cc_id).first() if cc_id else None
    if cc is None:
        raise DomainError(
            "That address is not copied on this ticket.", code="not_found", status=404
        )
    own = actor is not None and cc.user_id == actor.pk and membership is not None
    if not (own or _may_manage_ccs(ticket, actor, membership)):
        raise NotAllowed("Only agents and the ticket's requester change who is copied.")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status == Ticket.Status.CLOSED:
        raise InvalidTransition(f"Ticket #{ticket.number} is closed and does not change.")
    cc.delete()
    lifecycle.record(
        ticket,
        CollaborationEvent.CC_REMOVED,
        actor=actor,
        actor_kind=Actor.AGENT if membership.is_staff_role else Actor.CUSTOMER,
        before=_shown(cc.email),
        data={"email": cc.email},
    )
    ticket.save(update_fields=["updated_at"])


def ccs_claim_for_user(*, user, emails: list[str]) -> int:
    """CCs of the user's verified addresses, added before their account existed, become
    theirs (so they can open those tickets on the portal). In the caller's transaction."""
    return TicketCC.objects.filter(user__isnull=True, email__in=emails).update(
        user=user, updated_at=timezone.now()
    )


# --- Followers -----------------------------------------------------------------------------------


def _staff_only(user) -> None:
    if (
        user is None
        or not Membership.objects.filter(user=user, role__in=Membership.STAFF_ROLES).exists()
    ):
        raise NotAllowed("Only agents of this helpdesk follow tickets.")


@transaction.atomic
def ticket_follow(*, ticket: Ticket, user) -> bool:
    """``user`` (staff) follows the ticket; False when they already did."""
    _staff_only(user)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if TicketFollower.objects.filter(ticket=ticket, user=user).exists():
        return False
    TicketFollower.objects.create(ticket=ticket, user=user)
    lifecycle.record(ticket, CollaborationEvent.FOLLOWED, actor=user, after=_shown(user.email))
    return True


@transaction.atomic
def ticket_unfollow(*, ticket: Ticket, user) -> bool:
    """``user`` stops following the ticket; False when they did not follow it."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    removed, _ = TicketFollower.objects.filter(ticket=ticket, user=user).delete()
    if not removed:
        return False
    lifecycle.record(ticket, CollaborationEvent.UNFOLLOWED, actor=user, before=_shown(user.email))
    return True


# --- Reading notifications and choosing emails ---------------------------------------------------


def notification_open(*, notification: Notification) -> Notification:
    """Opening a notification marks it read (once: the first time is kept)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at, updated_at=notification.read_at
        )
        _forget_unread(notification.tenant_id, [notification.recipient_id])
    return notification


def _forget_unread(tenant_id: int, user_ids) -> None:
    """These people's bells count again (their kept unread number is out of date)."""
    forget_count(UNREAD_BADGE, tenant_id, person_ids=user_ids)


def notifications_mark_all_read(*, user) -> int:
    now = timezone.now()
    marked = Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=now, updated_at=now
    )
    _forget_unread(current_tenant().pk, [user.pk])
    return marked


def preferences_save(*, user, values: dict) -> NotificationPreference:
    """Set the person's email switches (any of ``NotificationPreference.SWITCHES``)."""
    unknown = set(values) - set(NotificationPreference.SWITCHES)
    if unknown:
        raise InvalidInput(f"Not a notification setting: {', '.join(sorted(unknown))}.")
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user, defaults={name: bool(value) for name, value in values.items()}
    )
    return preference


def _wanting_email(user_ids, switch: str) -> set[int]:
    """Of ``user_ids``, those whose ``switch`` is on (no preferences row: on)."""
    off = set(
        NotificationPreference.objects.filter(user_id__in=user_ids, **{switch: False}).values_list(
            "user_id", flat=True
        )
    )
    return {pk for pk in user_ids if pk not in off}


# --- Fan-out -------------------------------------------------------------------------------------


def _name(user, actor_kind: str = Actor.AGENT) -> str:
    if user is not None:
        return user.display_name
    return {Actor.CUSTOMER: "The customer", Actor.AUTOMATION: "The automation"}.get(
        actor_kind, "Someone"
    )


def _fit(text: str) -> str:
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 1] + "…"


def _notified_now(ticket: Ticket) -> set[int]:
    """Who was already told of this change of this ticket (in this request): a reply that also
    changes the status, or a note that mentions a follower, notifies each person once."""
    return ticket.__dict__.setdefault("_collaboration_notified", set())


def _write(rows: list[dict], template: str, switch: str, shared: dict | None = None) -> None:
    """Insert the in-app rows, then email those who want it (each row's ``email`` context)."""
    if not rows:
        return
    bulk.insert(
        Notification,
        each={
            "recipient_id": [row["recipient"].pk for row in rows],
            "ticket_id": [row["ticket"].pk for row in rows],
            "kind": [row["kind"] for row in rows],
            "actor_id": [row["actor_id"] for row in rows],
            "text": [row["text"] for row in rows],
        },
    )
    _forget_unread(current_tenant().pk, {row["recipient"].pk for row in rows})
    wanting = _wanting_email({row["recipient"].pk for row in rows}, switch)
    tenant = current_tenant()
    emails = [
        Email(
            recipient=row["recipient"].email,
            key=row["key"],
            context={
                "ticket": row["ticket"],
                "ticket_url": tenant.url(f"/agent/tickets/{row['ticket'].number}/"),
                "text": row["text"],
                "body": row.get("body", ""),
            },
        )
        for row in rows
        if row["recipient"].pk in wanting and not row["recipient"].email_bounced_at
    ]
    emails_enqueue(
        template=template,
        emails=emails,
        shared={"settings_url": tenant.url("/agent/notifications/settings/"), **(shared or {})},
    )


def mentions_notify(*, ticket: Ticket, comment: Comment, author) -> list:
    """Notify the colleagues an internal note mentions (never its author); returns them."""
    staff = [
        m.user
        for m in Membership.objects.filter(role__in=Membership.STAFF_ROLES)
        .select_related("user")
        .order_by("user__email")
    ]
    people = [u for u in mentions.mentioned(comment.body, staff) if author is None or u != author]
    text = _fit(f"{_name(author)} mentioned you on #{ticket.number} {ticket.subject}")
    _write(
        [
            {
                "recipient": user,
                "ticket": ticket,
                "kind": Kind.MENTION,
                "actor_id": author.pk if author else None,
                "text": text,
                "key": f"ticket:{ticket.pk}:mention:{comment.pk}:{user.pk}",
                "body": comment.body,
            }
            for user in people
        ],
        "staff_mentioned",
        "email_on_mention",
    )
    _notified_now(ticket).update(user.pk for user in people)
    return people


# What followers hear about: the ticket's own updates (not other apps' timeline entries).
FOLLOWED_KINDS = frozenset(
    {
        TicketEvent.Kind.REPLIED,
        TicketEvent.Kind.NOTED,
        TicketEvent.Kind.STATUS_CHANGED,
        TicketEvent.Kind.PRIORITY_CHANGED,
        TicketEvent.Kind.ASSIGNEE_CHANGED,
    }
)


def _label(choices, value: str) -> str:
    return choices(value).label if value in choices.values else value


def _update_text(event: TicketEvent, ticket: Ticket) -> str:
    who = _name(event.actor, event.actor_kind)
    status, priority = _label(Ticket.Status, event.after), _label(Priority, event.after)
    what = {
        TicketEvent.Kind.REPLIED: "replied publicly on",
        TicketEvent.Kind.NOTED: "added an internal note on",
        TicketEvent.Kind.STATUS_CHANGED: f"set the status to {status} on",
        TicketEvent.Kind.PRIORITY_CHANGED: f"set the priority to {priority} on",
        TicketEvent.Kind.ASSIGNEE_CHANGED: (
            f"assigned {event.after} to" if event.after else "unassigned"
        ),
    }[event.kind]
    return _fit(f"{who} {what} #{ticket.number} {ticket.subject}")


def events_notify(events: list[TicketEvent]) -> None:
    """Followers and new assignees of the tickets these events changed, told in-app and by
    email as they chose. Four reads and two inserts per batch, whatever its size."""
    relevant = [event for event in events if event.kind in FOLLOWED_KINDS]
    if not relevant:
        return
    ticket_ids = {event.ticket_id for event in relevant}
    following: dict[int, list[int]] = {}
    for ticket_id, user_id in TicketFollower.objects.filter(ticket_id__in=ticket_ids).values_list(
        "ticket_id", "user_id"
    ):
        following.setdefault(ticket_id, []).append(user_id)
    candidates = {pk for pks in following.values() for pk in pks}
    assigned = [e for e in relevant if e.kind == TicketEvent.Kind.ASSIGNEE_CHANGED]
    candidates |= {e.ticket.assignee_id for e in assigned if e.ticket.assignee_id}
    if not candidates:
        return
    # Only people who are staff here now: a follower who left the team hears nothing more.
    staff = {
        m.user_id: m.user
        for m in Membership.objects.filter(
            user_id__in=candidates, role__in=Membership.STAFF_ROLES
        ).select_related("user")
    }
    comment_ids = [e.data.get("comment") for e in relevant if isinstance(e.data, dict)]
    bodies = dict(
        Comment.objects.filter(
            pk__in=[pk for pk in comment_ids if isinstance(pk, int)]
        ).values_list("pk", "body")
    )
    updates, assignments = [], []
    for event in relevant:
        ticket = event.ticket
        told = _notified_now(ticket)
        if event.kind == TicketEvent.Kind.ASSIGNEE_CHANGED:
            assignee = staff.get(ticket.assignee_id)
            if assignee is not None and ticket.assignee_id != event.actor_id:
                assignments.append(
                    {
                        "recipient": assignee,
                        "ticket": ticket,
                        "kind": Kind.ASSIGNED,
                        "actor_id": event.actor_id,
                        "text": _fit(
                            f"{_name(event.actor, event.actor_kind)} assigned you "
                            f"#{ticket.number} {ticket.subject}"
                        ),
                        "key": f"ticket:{ticket.pk}:assigned:{event.pk}",
                    }
                )
                told.add(assignee.pk)
        text = None
        for user_id in following.get(event.ticket_id, []):
            if user_id == event.actor_id or user_id in told or user_id not in staff:
                continue
            text = text or _update_text(event, ticket)
            updates.append(
                {
                    "recipient": staff[user_id],
                    "ticket": ticket,
                    "kind": Kind.UPDATE,
                    "actor_id": event.actor_id,
                    "text": text,
                    "key": f"ticket:{ticket.pk}:followed:{event.pk}:{user_id}",
                    "body": bodies.get((event.data or {}).get("comment"), ""),
                }
            )
            told.add(user_id)
    _write(assignments, "staff_ticket_assigned", "email_on_assign")
    _write(updates, "staff_ticket_update", "email_on_follow")
