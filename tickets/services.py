"""Every change to tickets: submission, replies, follow-ups, assignment, priority, claiming.

HTML views, the API, email intake and Celery tasks all call these; status changes themselves
are delegated to ``tickets.lifecycle``.
"""

from __future__ import annotations

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import DomainError, InvalidInput, NotAllowed
from desk.priorities import Priority
from desk.versions import is_outdated
from tenants.context import current_tenant, tenant_context
from tenants.models import Membership, Tenant
from tenants.selectors import is_staff_user, staff_user
from tenants.services import organization_for_email
from tickets import attachments as files
from tickets import collaboration, lifecycle, notifications, queue, sla, teams, timelog
from tickets.lifecycle import Actor, InvalidTransition
from tickets.models import (
    Attachment,
    Comment,
    Macro,
    SavedView,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketFormField,
)
from tickets.rendering import render

Status = Ticket.Status


def ticket_numbers_reserve(count: int = 1) -> int:
    """The first of ``count`` consecutive ticket numbers of the current tenant, taken under a
    row lock held until commit (so concurrent submissions never share or skip a number)."""
    counter = TicketCounter.objects.select_for_update().filter().first()
    if counter is None:
        try:
            with transaction.atomic():
                TicketCounter.objects.create()
        except IntegrityError:
            pass  # another submission created it first
        counter = TicketCounter.objects.select_for_update().get()
    first = counter.last_number + 1
    counter.last_number += count
    counter.save(update_fields=["last_number", "updated_at"])
    return first


def _comment(ticket: Ticket, author, author_email: str, *, public: bool, body: str) -> Comment:
    """A message on the ticket, its Markdown rendered to safe HTML once, here."""
    return Comment.objects.create(
        ticket=ticket,
        author=author,
        author_email=author_email,
        is_public=public,
        body=body,
        body_html=render(body),
    )


def _attach(ticket: Ticket, comment: Comment | None, uploads, staged: list[Attachment]) -> None:
    sizes = [a.size for a in ticket.attachments.all()]
    sizes += [upload.size for _key, upload, _type in uploads] + [a.size for a in staged]
    files.check_total(sizes)
    for key, upload, content_type in uploads:
        attachment = Attachment(
            ticket=ticket,
            comment=comment,
            field_key=key,
            original_name=files.safe_name(upload.name),
            content_type=content_type,
            size=upload.size,
        )
        attachment.file.save(upload.name, upload, save=False)
        attachment.save()
    for attachment in staged:
        attachment.ticket = ticket
        attachment.comment = comment
        attachment.staged_key = ""
        attachment.save(update_fields=["ticket", "comment", "staged_key", "updated_at"])


@transaction.atomic
def ticket_submit(
    *,
    requester_email: str,
    requester=None,
    subject: str,
    description: str,
    priority: str = Priority.NORMAL,
    answers: dict | None = None,
    uploads=(),
    staged: list[Attachment] | None = None,
    channel: str = Ticket.Channel.WEB,
    follow_up_of: Ticket | None = None,
    organization=None,
) -> Ticket:
    """A new ticket with its description as the first public message, files and timeline."""
    tenant = current_tenant()
    if priority not in Priority.values:
        raise InvalidInput(f"Unknown priority {priority!r}.")
    requester_email = requester_email.strip().lower()
    answers = dict(answers or {})
    if organization is None:
        membership = (
            Membership.objects.filter(user=requester).select_related("organization").first()
            if requester is not None
            else None
        )
        organization = (
            membership.organization
            if membership and membership.organization_id
            else organization_for_email(email=requester_email)
        )
    app_version = str(answers.get(TicketFormField.APP_VERSION_KEY) or "")
    ticket = Ticket.objects.create(
        number=ticket_numbers_reserve(),
        subject=subject.strip(),
        requester_email=requester_email,
        requester=requester,
        organization=organization,
        priority=priority,
        channel=channel,
        form_answers=answers,
        app_version=app_version,
        app_version_outdated=is_outdated(app_version, tenant.current_app_version),
        follow_up_of=follow_up_of,
    )
    comment = _comment(ticket, requester, requester_email, public=True, body=description)
    _attach(ticket, comment, uploads, staged or [])
    sla.refresh(ticket, anchor=ticket.created_at)
    data = {"channel": channel, "priority": priority}
    if follow_up_of is not None:
        data["follow_up_of"] = follow_up_of.number
    lifecycle.record(
        ticket,
        TicketEvent.Kind.CREATED,
        actor=requester,
        actor_kind=Actor.CUSTOMER,
        after=Status.NEW,
        data=data,
    )
    # The default team, and an assignee when the tenant assigns automatically (every channel
    # comes through here: portal, email, chat, API, follow-ups).
    teams.assign_new_ticket(ticket)
    notifications.ticket_received(ticket)
    return ticket


def _lock(ticket: Ticket) -> Ticket:
    # Two replies (or a reply and the automation) must not interleave on one ticket.
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    author,
    membership: Membership | None,
    body: str,
    public: bool = True,
    submit_as: str | None = None,
    uploads=(),
    staged: list[Attachment] | None = None,
    author_email: str = "",
    via: str = "web",
    priority: str | None = None,
    minutes: int | None = None,
) -> Ticket:
    """Add a reply or note. Returns the ticket the reply landed on (a follow-up for closed ones).

    Customer: public only; new/pending/solved go back to open; closed makes a follow-up.
    Agent: a public reply is submitted as open/pending/solved (default open); a note changes
    the status only when ``submit_as`` is given. Nothing changes on a closed ticket.
    A requester without an account replies by email: ``author=None`` with ``author_email``.
    An agent may set the priority with the reply (a macro's, say): both happen, or neither.
    ``staged`` are files already stored without a ticket (a chat's) that move onto the reply.
    ``minutes``: an agent's time spent, logged with the message (``tickets.timelog``).
    """
    if not body.strip():
        raise InvalidInput("Write a message first.")
    ticket = _lock(ticket)
    staff = membership is not None and membership.is_staff_role
    if minutes is not None:
        if not staff:
            raise NotAllowed("Only agents track time on tickets.")
        timelog.check_minutes(minutes)
    if not staff:
        if not public:
            raise NotAllowed("Only agents can write internal notes.")
        if ticket.status == Status.CLOSED:
            return follow_up_create(closed=ticket, author=author, body=body, uploads=uploads)
    elif ticket.status == Status.CLOSED:
        raise InvalidTransition(
            f"Ticket #{ticket.number} is closed; the customer's next reply opens a follow-up."
        )
    if staff and submit_as is None and public:
        submit_as = Status.OPEN
    if staff and submit_as is not None and submit_as not in lifecycle.AGENT_SUBMIT_AS:
        raise InvalidInput(f"A reply cannot be submitted as {submit_as}.")
    if priority and not staff:
        raise NotAllowed("Only agents set a ticket's priority.")
    comment = _comment(
        ticket, author, author.email if author else author_email, public=public, body=body
    )
    _attach(ticket, comment, uploads, staged or [])
    if staff and not public:
        # Before the event: a mentioned follower is told once, of the mention.
        collaboration.mentions_notify(ticket=ticket, comment=comment, author=author)
    actor_kind = Actor.AGENT if staff else Actor.CUSTOMER
    data = {"comment": comment.pk}
    if via != "web":
        data["via"] = via
    lifecycle.record(
        ticket,
        TicketEvent.Kind.REPLIED if public else TicketEvent.Kind.NOTED,
        actor=author,
        actor_kind=actor_kind,
        data=data,
    )
    if minutes is not None:
        timelog.time_with_message(ticket=ticket, comment=comment, agent=author, minutes=minutes)
    replied = ["last_public_reply_by"] if public else []
    if public:
        ticket.last_public_reply_by = actor_kind
    if staff and public and ticket.first_replied_at is None:
        ticket.first_replied_at = comment.created_at
        replied.append("first_replied_at")
    if (
        staff
        and public
        and author is not None
        and not ticket.assignee_id
        and current_tenant().assign_on_reply
    ):
        # Whoever answers an unassigned ticket takes it (a tenant setting, on by default).
        lifecycle.assign(ticket, author, actor=author, actor_kind=actor_kind)
    if replied:
        ticket.save(update_fields=[*replied, "updated_at"])
    target = submit_as if staff else Status.OPEN
    changed = False
    if target is not None:
        changed = lifecycle.transition(ticket, target, actor_kind=actor_kind, actor=author)
    else:
        ticket.save(update_fields=["updated_at"])
    if staff and public:
        # A public update restarts the agent's clock (or ends it, for pending/solved).
        sla.refresh(ticket, anchor=comment.created_at)
        notifications.agent_replied(ticket, comment)
    elif public:
        # The requester and the CCs see each other's messages (never internal notes).
        notifications.customer_replied(ticket, comment)
    elif staff and changed and ticket.status == Status.SOLVED:
        notifications.ticket_solved(ticket)
    if priority:
        lifecycle.set_priority(ticket, priority, actor=author)
    return ticket


@transaction.atomic
def ticket_email_note(*, ticket: Ticket, sender: str, body: str, uploads=()) -> Ticket:
    """An email about the ticket from an address that is neither its requester's nor staff's:
    kept as an internal note for an agent to read and, if genuine, answer. Never public, never
    emailed, the status unchanged (a forged From cannot speak for the customer)."""
    if not body.strip():
        raise InvalidInput("Write a message first.")
    ticket = _lock(ticket)
    if ticket.status == Status.CLOSED:
        raise InvalidTransition(f"Ticket #{ticket.number} is closed.")
    comment = _comment(ticket, None, sender, public=False, body=body)
    _attach(ticket, comment, uploads, [])
    lifecycle.record(
        ticket,
        TicketEvent.Kind.NOTED,
        actor_kind=Actor.AUTOMATION,
        data={"comment": comment.pk, "via": "email", "from": sender},
    )
    ticket.save(update_fields=["updated_at"])
    return ticket


VERSION_REFLAG_BATCH = 2000


def tickets_reflag_versions(*, current: str) -> int:
    """After the tenant's current app version moved: every ticket not yet closed is flagged
    exactly when its version is older than ``current`` (closed tickets never change). Returns
    how many flags changed."""
    changed: dict[bool, list[int]] = {True: [], False: []}
    rows = (
        Ticket.objects.exclude(status=Status.CLOSED)
        .exclude(app_version="")
        .values_list("pk", "app_version", "app_version_outdated")
    )
    for pk, version, flagged in rows.iterator(chunk_size=VERSION_REFLAG_BATCH):
        outdated = is_outdated(version, current)
        if outdated != flagged:
            changed[outdated].append(pk)
    for outdated, pks in changed.items():
        for start in range(0, len(pks), VERSION_REFLAG_BATCH):
            Ticket.objects.filter(pk__in=pks[start : start + VERSION_REFLAG_BATCH]).update(
                app_version_outdated=outdated
            )
    return len(changed[True]) + len(changed[False])


def follow_up_create(*, closed: Ticket, author, body: str, uploads=()) -> Ticket:
    """A new ticket for a reply to a closed one: same requester, organization and answers;
    fresh priority, no assignee, no old messages. The closed ticket is left exactly as it was."""
    if closed.status != Status.CLOSED:
        raise InvalidTransition("Only closed tickets get follow-ups.")
    return ticket_submit(
        requester_email=closed.requester_email,
        requester=closed.requester or author,
        subject=closed.subject,
        description=body,
        answers=closed.form_answers,
        uploads=uploads,
        channel=Ticket.Channel.FOLLOW_UP,
        follow_up_of=closed,
        organization=closed.organization,
    )


@transaction.atomic
def ticket_set_status(*, ticket: Ticket, actor, status: str) -> Ticket:
    """An agent changing status without a reply (workspace controls, bulk actions)."""
    ticket = _lock(ticket)
    _agent_transition(ticket, status, actor=actor)
    return ticket


def _agent_transition(ticket: Ticket, status: str, *, actor) -> bool:
    """An agent's status change with its consequence: solving emails the customer, as the
    policy requires (a reply that solves sends that email itself, with the reply in it)."""
    changed = lifecycle.transition(ticket, status, actor_kind=Actor.AGENT, actor=actor)
    if changed and ticket.status == Status.SOLVED:
        notifications.ticket_solved(ticket)
    return changed


@transaction.atomic
def ticket_assign(*, ticket: Ticket, actor, assignee) -> Ticket:
    if assignee is not None and not is_staff_user(assignee):
        raise InvalidInput("Tickets can only be assigned to agents of this helpdesk.")
    ticket = _lock(ticket)
    lifecycle.assign(ticket, assignee, actor=actor)
    return ticket


@transaction.atomic
def ticket_set_priority(*, ticket: Ticket, actor, priority: str) -> Ticket:
    ticket = _lock(ticket)
    lifecycle.set_priority(ticket, priority, actor=actor)
    return ticket


@transaction.atomic
def tickets_claim_for_user(*, user) -> int:
    """Link tickets submitted from the user's verified addresses before the account existed."""

    emails = [
        email.lower()
        for email in EmailAddress.objects.filter(user=user, verified=True).values_list(
            "email", flat=True
        )
    ]
    if not emails:
        return 0
    claimed = list(
        Ticket.objects.select_for_update().filter(
            requester__isnull=True, requester_email__in=emails
        )
    )
    for ticket in claimed:
        ticket.requester = user
        ticket.save(update_fields=["requester", "updated_at"])
        lifecycle.record(
            ticket,
            TicketEvent.Kind.REQUESTER_LINKED,
            actor=user,
            actor_kind=Actor.CUSTOMER,
            after=user.email,
        )
    Comment.objects.filter(author__isnull=True, author_email__in=emails).update(author=user)
    collaboration.ccs_claim_for_user(user=user, emails=emails)
    return len(claimed)


def staged_attachments_purge() -> int:
    """Delete staged uploads older than the staging window, tenant by tenant (files too)."""

    cutoff = timezone.now() - timedelta(hours=settings.ATTACHMENT_STAGING_HOURS)
    removed = 0
    for tenant in Tenant.objects.filter(is_active=True).only("pk"):
        with tenant_context(tenant):
            stale = Attachment.objects.filter(ticket__isnull=True, created_at__lt=cutoff).exclude(
                staged_key=""
            )
            for attachment in stale:
                attachment.file.delete(save=False)
                attachment.delete()
                removed += 1
    return removed


BULK_STATUSES = (Status.OPEN, Status.PENDING, Status.SOLVED)


def tickets_bulk_update(*, actor, numbers: list[int], field: str, value: str) -> dict:
    """Apply one change to many tickets, each through the lifecycle in its own transaction.

    Returns {"updated": [numbers], "unchanged": [...], "refused": [(number, reason)]}; one
    ticket's refusal (a closed ticket, say) does not undo the others.
    """
    result = {"updated": [], "unchanged": [], "refused": []}
    if field == "status" and value not in BULK_STATUSES:
        raise InvalidInput("Bulk status changes are limited to open, pending and solved.")
    assignee = team = None
    if field == "assignee" and value:
        assignee = staff_user(value)
        if assignee is None:
            raise InvalidInput("Choose an agent of this helpdesk.")
    if field == "team" and value:
        team = teams.team_for_id(value)
        if team is None:
            raise InvalidInput("Choose a team of this helpdesk.")
    for ticket in Ticket.objects.filter(number__in=numbers).order_by("number"):
        try:
            with transaction.atomic():
                locked = _lock(ticket)
                if field == "status":
                    changed = _agent_transition(locked, value, actor=actor)
                elif field == "priority":
                    changed = lifecycle.set_priority(locked, value, actor=actor)
                elif field == "assignee":
                    changed = lifecycle.assign(locked, assignee, actor=actor)
                elif field == "team":
                    changed = lifecycle.set_team(locked, team, actor=actor)
                else:
                    raise InvalidInput("Choose what to change.")
        except DomainError as error:
            result["refused"].append((ticket.number, str(error)))
        else:
            result["updated" if changed else "unchanged"].append(ticket.number)
    return result


@transaction.atomic
def macro_apply(*, ticket: Ticket, macro, author, membership: Membership) -> Ticket:
    """Reply with the macro's text and apply its status and priority, as one change."""
    if not membership.is_staff_role:
        raise NotAllowed("Only agents can apply macros.")
    if macro.priority:
        ticket = _lock(ticket)
        lifecycle.set_priority(ticket, macro.priority, actor=author)
    return ticket_reply(
        ticket=ticket,
        author=author,
        membership=membership,
        body=macro.body,
        submit_as=macro.submit_as or Status.OPEN,
    )


MACRO_FIELDS = frozenset({"name", "body", "submit_as", "priority", "position"})


def macro_save(*, macro: Macro | None = None, values: dict) -> Macro:
    """Create a macro, or change ``macro``, from plain values (field name -> value)."""
    unknown = set(values) - MACRO_FIELDS
    if unknown:
        raise InvalidInput(f"Not a macro field: {', '.join(sorted(unknown))}.")
    macro = macro or Macro()
    for name, value in values.items():
        setattr(macro, name, value)
    macro.full_clean(exclude=["tenant"])  # stamped by the save, from the current tenant
    macro.save()
    return macro


def macro_delete(*, macro) -> None:
    macro.delete()


def saved_view_create(*, owner, name: str, query: str, shared: bool, membership: Membership):
    """Save the current queue filters; only managers and admins share views with the team."""

    name = name.strip()
    if not name:
        raise InvalidInput("Give the view a name.")
    if shared and not membership.is_manager_or_admin:
        raise NotAllowed("Only managers share views with the team.")
    return SavedView.objects.create(
        name=name[:80], query=queue.normalized_query(query), owner=None if shared else owner
    )


def saved_view_delete(*, view, user, membership: Membership) -> None:
    if view.owner_id != user.pk and not (view.owner_id is None and membership.is_manager_or_admin):
        raise NotAllowed("You can only delete your own views.")
    view.delete()
