"""Reads of tickets, always through what the viewer may see."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.http import Http404

from tenants.context import current_tenant
from tenants.models import Membership
from tickets.models import Attachment, Comment, Ticket


def visible_tickets(membership: Membership) -> QuerySet[Ticket]:
    """Staff see every ticket of the tenant; a customer sees their own, and their
    organization's when the tenant shares tickets within organizations."""
    tickets = Ticket.objects.all()
    if membership.is_staff_role:
        return tickets
    condition = Q(requester=membership.user_id)
    if current_tenant().share_tickets_in_organization and membership.organization_id:
        condition |= Q(organization=membership.organization_id)
    return tickets.filter(condition)


def ticket_for_viewer(membership: Membership | None, number: int, *, lock=False) -> Ticket:
    """The ticket, or 404 alike for "no such number" and "not yours" (ids leak nothing)."""
    if membership is None:
        raise Http404
    tickets = visible_tickets(membership).select_related(
        "requester", "assignee", "organization", "follow_up_of"
    )
    try:
        return tickets.get(number=number)
    except Ticket.DoesNotExist:
        raise Http404 from None


def conversation(ticket: Ticket, membership: Membership) -> list[Comment]:
    """The ticket's messages in order; customers never see internal notes or their files."""
    comments = ticket.comments.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
    )
    if not membership.is_staff_role:
        comments = comments.filter(is_public=True)
    return list(comments.order_by("created_at", "id"))


def attachment_for_viewer(membership: Membership | None, number: int, pk: int) -> Attachment:
    ticket = ticket_for_viewer(membership, number)
    attachments = Attachment.objects.filter(ticket=ticket, pk=pk).select_related("comment")
    if not membership.is_staff_role:
        attachments = attachments.filter(Q(comment__isnull=True) | Q(comment__is_public=True))
    attachment = attachments.first()
    if attachment is None:
        raise Http404
    return attachment


def priority_rank():
    """SQL expression ordering priorities most severe first."""
    from tickets.priorities import RANK

    return Case(
        *(When(priority=p, then=Value(rank)) for p, rank in RANK.items()),
        output_field=IntegerField(),
    )


def unsolved_tickets() -> QuerySet[Ticket]:
    """Unsolved tickets, most severe first, then oldest first."""
    return (
        Ticket.objects.filter(status__in=Ticket.UNSOLVED)
        .select_related("requester", "assignee")
        .order_by(priority_rank(), "created_at")
    )


def form_answers_display(ticket: Ticket) -> list[tuple[str, str]]:
    """(label, text) for each answered question, in the form's order; lists joined."""
    from tickets.models import TicketFormField

    labels = dict(TicketFormField.objects.values_list("key", "label"))
    order = {key: index for index, key in enumerate(labels)}
    rows = []
    for key, value in sorted(ticket.form_answers.items(), key=lambda kv: order.get(kv[0], 999)):
        if value in (None, "", []):
            continue
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        rows.append((labels.get(key, key.replace("_", " ").capitalize()), text))
    return rows
