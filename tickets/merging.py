"""Merging, splitting and linking tickets: the services, one function per use case.

- **Merge** a duplicate (the source) into another ticket of the tenant (the target): the
  source's messages and their files move to the target with their original times, so the
  target's conversation stays in time order; the events stay where they happened, with
  "merged into #T" on the source and "merged from #S" on the target; the source is closed by
  the lifecycle (reason "merged") and points at the target; its customer is emailed once.
  ``signals.ticket_merged`` lets the CC feature add the source's requester to the target.
- **Split** one public message off into a new ticket of the same requester.
- **Link** two related tickets (no direction): shown on both, at most ``MAX_LINKS`` each.

Every refusal is a named ``DomainError`` (``MergeRefused``, ``SplitRefused``, ``LinkRefused``)
that the pages show as a form error and the API as its error body.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from core.errors import Conflict, DomainError, InvalidInput
from tickets import lifecycle, notifications, signals, sla
from tickets.models import Actor, Attachment, Comment, Ticket, TicketEvent, TicketLink
from tickets.services import ticket_numbers_reserve

Status = Ticket.Status
Kind = TicketEvent.Kind

MAX_LINKS = 50  # links per ticket: a page of related tickets, not a second queue
SUBJECT_MAX = Ticket._meta.get_field("subject").max_length


class MergeRefused(Conflict):
    """This merge would break a rule (a closed ticket, a chain of merges, itself)."""

    code = "merge_refused"


class SplitRefused(Conflict):
    code = "split_refused"


class LinkRefused(Conflict):
    code = "link_refused"


class NotFound(DomainError):
    """No such message (or ticket) here: the pages and the API answer 404."""

    code = "not_found"
    status = 404


def _lock_pair(first: Ticket, second: Ticket) -> tuple[Ticket, Ticket]:
    """Both tickets locked, always in id order: two merges or links of the same pair, in
    either direction, queue on the first lock instead of deadlocking on crossed ones.

    Read through the tenant's manager: a ticket of another tenant is simply not found."""
    if first.tenant_id != second.tenant_id:
        raise MergeRefused("Tickets of another helpdesk cannot be merged or linked.", status=400)
    rows = {
        ticket.pk: ticket
        for ticket in Ticket.objects.select_for_update()
        .filter(pk__in=[first.pk, second.pk])
        .order_by("pk")
    }
    if len(rows) != 2:
        raise NotFound("No such ticket here.")
    return rows[first.pk], rows[second.pk]


# --- Merge ---------------------------------------------------------------------------------


def merge_check(source: Ticket, target: Ticket) -> None:
    """Refuse (``MergeRefused``) a merge of ``source`` into ``target`` that breaks a rule. The
    service checks again under the locks; the page checks first, before its confirmation."""
    if source.pk == target.pk:
        raise MergeRefused(
            "A ticket cannot be merged into itself: choose another ticket's number.",
            status=400,
            code="invalid_input",
        )
    if source.tenant_id != target.tenant_id:
        raise MergeRefused("Tickets of another helpdesk cannot be merged.", status=400)
    if source.status == Status.CLOSED:
        raise MergeRefused(
            f"Ticket #{source.number} is closed, and a closed ticket stays as it is."
        )
    if target.merged_into_id is not None:
        raise MergeRefused(
            f"Ticket #{target.number} was itself merged into another ticket: merge into that "
            "one instead."
        )
    if target.status == Status.CLOSED:
        raise MergeRefused(
            f"Ticket #{target.number} is closed and cannot take more messages: choose an "
            "open ticket."
        )


@dataclass(frozen=True)
class Merged:
    target: Ticket
    messages: int  # moved by this merge (0 when it had been done before)
    files: int
    repeated: bool  # the same merge was done before: nothing changed


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, actor) -> Merged:
    """Merge the duplicate ``source`` into ``target`` (see the module's docstring).

    Retrying a merge that went through (a double click, an API retry) changes nothing and
    queues no second email: the answer says ``repeated``.
    """
    if source.pk == target.pk:
        merge_check(source, target)
    source, target = _lock_pair(source, target)
    if source.merged_into_id == target.pk:
        return Merged(target, 0, 0, repeated=True)
    merge_check(source, target)
    # Messages keep their times (an UPDATE of the ticket column alone), so the target's
    # conversation, read in time order, interleaves them with its own. The search entries of
    # the messages follow by trigger (migration 0017).
    messages = Comment.objects.filter(ticket=source).update(ticket=target)
    files = Attachment.objects.filter(ticket=source).update(ticket=target)
    lifecycle.record(
        source,
        Kind.MERGED_INTO,
        actor=actor,
        after=f"#{target.number}",
        data={"ticket": target.number, "messages": messages, "files": files},
    )
    lifecycle.record(
        target,
        Kind.MERGED_FROM,
        actor=actor,
        after=f"#{source.number}",
        data={
            "ticket": source.number,
            "subject": source.subject,
            "requester": source.requester_email,
            "messages": messages,
            "files": files,
        },
    )
    lifecycle.close_merged(source, into=target, actor=actor)
    target.save(update_fields=["updated_at"])
    # The source's requester becomes a CC of the target (tickets/receivers.py), in this
    # transaction.
    signals.ticket_merged.send(sender=Ticket, source=source, target=target, actor=actor)
    notifications.ticket_merged(source, target)
    return Merged(target, messages, files, repeated=False)


# --- Split ---------------------------------------------------------------------------------


def default_split_subject(comment: Comment, ticket: Ticket) -> str:
    """The message's first line of text, else the ticket's subject (what the form proposes)."""
    for line in comment.body.splitlines():
        text = line.strip().lstrip("#>*-+ ").strip()
        if text:
            return text[:SUBJECT_MAX]
    return ticket.subject[:SUBJECT_MAX]


def split_problem(ticket: Ticket, comment: Comment, *, message_count: int) -> str | None:
    if ticket.status == Status.CLOSED:
        return f"Ticket #{ticket.number} is closed, and a closed ticket stays as it is."
    if not comment.is_public:
        # A note is the team's own writing, invisible to the customer: as the first message
        # of a customer's ticket it would leave them a ticket with nothing they can read.
        return "Internal notes stay with their ticket: only a public message can be split off."
    if message_count <= 1:
        return "This is the ticket's only message: there is nothing to split it from."
    return None


@transaction.atomic
def comment_split(*, ticket: Ticket, comment_id: int, actor, subject: str) -> Ticket:
    """Move one public message (and its files) of ``ticket`` to a new ticket of the same
    requester, organization, priority and form answers; "split" events on both tickets.

    The new ticket starts as new, unassigned, with the agent's clock running from now. No
    email: the customer did not write anything new (the new ticket is in their list).
    """
    subject = " ".join(subject.split())
    if not subject:
        raise InvalidInput("Give the new ticket a subject.")
    if len(subject) > SUBJECT_MAX:
        raise InvalidInput(f"Keep the subject to {SUBJECT_MAX} characters.")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status == Status.CLOSED:
        raise SplitRefused(
            f"Ticket #{ticket.number} is closed, and a closed ticket stays as it is."
        )
    comment = Comment.objects.filter(ticket=ticket, pk=comment_id).first()
    if comment is None:
        raise NotFound(f"Ticket #{ticket.number} has no such message.")
    problem = split_problem(ticket, comment, message_count=ticket.comments.count())
    if problem:
        raise SplitRefused(problem)
    new = Ticket.objects.create(
        number=ticket_numbers_reserve(),
        subject=subject,
        requester_email=ticket.requester_email,
        requester=ticket.requester,
        organization=ticket.organization,
        priority=ticket.priority,
        channel=Ticket.Channel.AGENT,
        form_answers=ticket.form_answers,
        app_version=ticket.app_version,
        app_version_outdated=ticket.app_version_outdated,
    )
    Comment.objects.filter(pk=comment.pk).update(ticket=new)
    files = Attachment.objects.filter(comment=comment).update(ticket=new)
    sla.refresh(new, anchor=new.created_at)
    lifecycle.record(
        new,
        Kind.CREATED,
        actor=actor,
        actor_kind=Actor.AGENT,
        after=Status.NEW,
        data={"channel": Ticket.Channel.AGENT, "priority": new.priority},
    )
    lifecycle.record(
        new,
        Kind.SPLIT_FROM,
        actor=actor,
        after=f"#{ticket.number}",
        data={"ticket": ticket.number, "comment": comment.pk, "files": files},
    )
    lifecycle.record(
        ticket,
        Kind.SPLIT_INTO,
        actor=actor,
        after=f"#{new.number}",
        data={"ticket": new.number, "comment": comment.pk, "files": files},
    )
    ticket.save(update_fields=["updated_at"])
    return new


# --- Links ---------------------------------------------------------------------------------


def _pair(ticket: Ticket, other: Ticket) -> dict:
    low, high = sorted((ticket, other), key=lambda t: t.pk)
    return {"low": low, "high": high}


def _links_of(ticket: Ticket):
    return TicketLink.objects.filter(Q(low=ticket) | Q(high=ticket))


@transaction.atomic
def ticket_link(*, ticket: Ticket, other: Ticket, actor) -> tuple[TicketLink, bool]:
    """Link two tickets of this tenant; (the link, whether it is new). Linking a pair again
    changes nothing. Either may be closed: a link records that two tickets are related, it
    changes neither's status, messages or fields (only their timelines say it was made)."""
    if ticket.pk == other.pk:
        raise LinkRefused("A ticket cannot be linked to itself.", status=400, code="invalid_input")
    try:
        ticket, other = _lock_pair(ticket, other)
    except MergeRefused:
        raise LinkRefused("Tickets of another helpdesk cannot be linked.") from None
    existing = TicketLink.objects.filter(**_pair(ticket, other)).first()
    if existing is not None:
        return existing, False
    for end in (ticket, other):
        if _links_of(end).count() >= MAX_LINKS:
            raise LinkRefused(f"Ticket #{end.number} already has {MAX_LINKS} links: remove one.")
    link = TicketLink.objects.create(**_pair(ticket, other), created_by=actor)
    for here, there in ((ticket, other), (other, ticket)):
        lifecycle.record(
            here, Kind.LINKED, actor=actor, after=f"#{there.number}", data={"ticket": there.number}
        )
    return link, True


@transaction.atomic
def ticket_unlink(*, ticket: Ticket, other: Ticket, actor) -> None:
    """Remove the link between two tickets, with an event on each; NotFound if none."""
    if ticket.pk == other.pk:
        raise NotFound("A ticket is never linked to itself.")
    try:
        ticket, other = _lock_pair(ticket, other)
    except MergeRefused:
        raise NotFound("These tickets are not linked.") from None
    removed, _ = TicketLink.objects.filter(**_pair(ticket, other)).delete()
    if not removed:
        raise NotFound(f"#{ticket.number} and #{other.number} are not linked.")
    for here, there in ((ticket, other), (other, ticket)):
        lifecycle.record(
            here,
            Kind.UNLINKED,
            actor=actor,
            before=f"#{there.number}",
            data={"ticket": there.number},
        )
