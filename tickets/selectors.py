"""Reads of tickets, always through what the viewer may see."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import Http404

from core import charts
from core.errors import InvalidInput
from core.inputs import parse_id, ticket_number_in
from desk.priorities import Priority
from tenants.context import current_tenant
from tenants.kept import kept
from tenants.models import Membership
from tickets.models import (
    Attachment,
    Comment,
    Macro,
    Ticket,
    TicketCC,
    TicketEvent,
    TicketFormField,
    TicketLink,
)


def copied_on(user_id) -> QuerySet:
    """The ids of the tickets ``user_id`` is copied on (a subquery; tickets.collaboration)."""
    return TicketCC.objects.filter(user=user_id).values("ticket_id")


# At most this many tickets a customer is copied on are named in their list's query; past it
# the list asks the CC table in a subquery.
COPIED_NAMED_MAX = 200


def own_or_copied(user_id) -> Q:
    """The tickets ``user_id`` asked for or is copied on, for a list of them.

    The ids of the few tickets they are copied on are read first (one query on an index), so
    the planner reads the requester's own tickets by ``ticket_requester_updated``, in the
    list's order: with the CC subquery inside the OR it scanned every open ticket of the
    tenant instead (106-160 ms for a customer of a 200,000-ticket tenant, against 9-11 ms)."""
    copied = list(copied_on(user_id)[: COPIED_NAMED_MAX + 1].values_list("ticket_id", flat=True))
    if not copied:
        return Q(requester=user_id)
    if len(copied) > COPIED_NAMED_MAX:
        return Q(requester=user_id) | Q(pk__in=copied_on(user_id))
    return Q(requester=user_id) | Q(pk__in=copied)


def visible_tickets(membership: Membership, *, mine: Q | None = None) -> QuerySet[Ticket]:
    """Staff see every ticket of the tenant; a customer sees their own, those they are copied
    on (CC), and their organization's when the tenant shares tickets within organizations.
    The one rule for the portal and the API alike (``mine``: ``own_or_copied`` of the member,
    when the caller has it)."""
    tickets = Ticket.objects.all()
    if membership.is_staff_role:
        return tickets
    condition = (
        mine
        if mine is not None
        else Q(requester=membership.user_id) | Q(pk__in=copied_on(membership.user_id))
    )
    if current_tenant().share_tickets_in_organization and membership.organization_id:
        condition |= Q(organization=membership.organization_id)
    return tickets.filter(condition)


def subject_or_number(text: str) -> Q:
    """Tickets whose subject contains ``text``, or whose number it is (``#42`` or ``42``)."""
    number = ticket_number_in(text)
    return Q(subject__icontains=text) | (Q(number=number) if number is not None else Q(pk__in=[]))


# The portal's "My tickets" tabs: (label, condition), in the order shown.
REQUESTER_STATUS_FILTERS = {
    "unsolved": ("Open requests", Q(status__in=Ticket.UNSOLVED)),
    "solved": ("Solved", Q(status=Ticket.Status.SOLVED)),
    "closed": ("Closed", Q(status=Ticket.Status.CLOSED)),
    "all": ("All", Q()),
}


def requester_tickets(
    membership: Membership, *, status: str, organization_wide: bool, query: str
) -> QuerySet[Ticket]:
    """A customer's list: their own tickets and those they are copied on (or, with
    ``organization_wide``, all they may see) in one status tab, matching "#number or text",
    most recently updated first."""
    mine = own_or_copied(membership.user_id)
    # Their own and copied tickets are visible to them whatever their role.
    tickets = visible_tickets(membership, mine=mine) if organization_wide else Ticket.objects
    tickets = tickets.filter(REQUESTER_STATUS_FILTERS[status][1])
    if not organization_wide:
        tickets = tickets.filter(mine)
    if query:
        tickets = tickets.filter(subject_or_number(query))
    return tickets.select_related("requester").order_by("-updated_at", "-number")


def member_with_verified_email(email: str):
    """The member of this helpdesk who has verified ``email``, or None (a ticket for anyone
    else waits to be claimed when they make an account)."""
    membership = (
        Membership.objects.filter(
            user__emailaddress__email__iexact=email, user__emailaddress__verified=True
        )
        .select_related("user")
        .first()
    )
    return membership.user if membership else None


def form_questions() -> list[TicketFormField]:
    """The tenant's submission questions, in form order."""
    return list(TicketFormField.objects.all())


def timeline(ticket: Ticket) -> list[TicketEvent]:
    """Every event of a ticket, oldest first, with who made it."""
    return list(ticket.events.select_related("actor").order_by("created_at", "id"))


def follow_ups(ticket: Ticket) -> list[Ticket]:
    return list(ticket.follow_ups.order_by("number"))


def other_tickets_of_requester(ticket: Ticket, *, limit: int = 10) -> list[Ticket]:
    """The requester's other tickets, newest first (for the agent's side column)."""
    if not ticket.requester_id:
        return []
    return list(
        Ticket.objects.filter(requester=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .order_by("-number")[:limit]
    )


def linked_tickets(ticket: Ticket) -> list[Ticket]:
    """The tickets linked to ``ticket`` (either end of the link), by number: one query,
    however many (the pair is stored once, as (low, high): index ticketlink_pair serves the
    low end and ticketlink_high the other)."""
    links = (
        TicketLink.objects.filter(Q(low=ticket) | Q(high=ticket))
        .select_related("low", "high")
        .order_by("id")
    )
    return sorted((link.other(ticket) for link in links), key=lambda other: other.number)


def merged_into_for_viewer(ticket: Ticket, membership: Membership) -> dict | None:
    """Where a merged ticket went, as its page shows it: the number, and whether this viewer
    may open that ticket (a customer only sees a link to a ticket they may see)."""
    if ticket.merged_into_id is None:
        return None
    target = ticket.merged_into
    visible = (
        membership.is_staff_role
        or visible_tickets(membership).filter(pk=ticket.merged_into_id).exists()
    )
    return {"number": target.number, "visible": visible}


def ticket_by_number(value) -> Ticket | None:
    """A ticket of this tenant by a number typed by a person ("#12", "12"), else None."""
    number = ticket_number_in(value) if isinstance(value, str) else parse_id(value)
    return Ticket.objects.filter(number=number).first() if number is not None else None


def other_ticket(number: int) -> Ticket:
    """The ticket ``number`` of this tenant that an action names besides its own (merge into,
    link to), or InvalidInput: the one rule for the agent pages and the API."""
    ticket = ticket_by_number(number)
    if ticket is None:
        raise InvalidInput(f"There is no ticket #{number} here.")
    return ticket


def replies_since(ticket: Ticket, since, *, excluding_author) -> list[Comment]:
    """What others added to the ticket after ``since`` (the agent page's live activity)."""
    return list(
        ticket.comments.filter(created_at__gt=since)
        .exclude(author=excluding_author)
        .select_related("author")
        .order_by("created_at")
    )


@kept("macros", Macro)
def macros() -> list[Macro]:
    """The tenant's macros in their order (kept per tenant: every agent ticket page)."""
    return list(Macro.objects.all())


def macro(macro_id) -> Macro | None:
    """One macro of this tenant by id (any string accepted), or None."""
    pk = parse_id(macro_id)
    return Macro.objects.filter(pk=pk).first() if pk is not None else None


def ticket_for_viewer(membership: Membership | None, number: int, *, lock=False) -> Ticket:
    """The ticket, or 404 alike for "no such number" and "not yours" (ids leak nothing).

    The rare follow-up and merge targets are not joined: two more copies of the ticket table
    made PostgreSQL plan this query for 4 ms (under row-level security each join adds its
    policy), on every ticket page, to fill two links most tickets do not have. Their
    descriptors load them when the ids are set, and give None without a query when not.
    """
    if membership is None:
        raise Http404
    tickets = visible_tickets(membership).select_related(
        "requester", "assignee", "organization", "team"
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


@kept("form-labels", TicketFormField)
def form_labels() -> list[tuple[str, str]]:
    """(key, label) of each question of the ticket form, in the form's order."""
    return list(TicketFormField.objects.values_list("key", "label"))


def form_answers_display(ticket: Ticket) -> list[tuple[str, str]]:
    """(label, text) for each answered question, in the form's order; lists joined."""

    labels = dict(form_labels())
    order = {key: index for index, key in enumerate(labels)}
    rows = []
    for key, value in sorted(ticket.form_answers.items(), key=lambda kv: order.get(kv[0], 999)):
        if value in (None, "", []):
            continue
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        rows.append((labels.get(key, key.replace("_", " ").capitalize()), text))
    return rows


OVERVIEW_DAYS = 14  # the overview's trend: tickets created and solved per day
OVERVIEW_ASSIGNEES = 10  # bars in the "unsolved per assignee" chart (the table has them all)


def _per_day(tickets: QuerySet[Ticket], field: str, since: datetime, zone) -> dict:
    """{local date: tickets whose ``field`` falls on it}, counted by the database."""
    return dict(
        tickets.filter(**{f"{field}__gte": since})
        .annotate(day=TruncDate(field, tzinfo=zone))
        .values_list("day")
        .annotate(n=Count("id"))
        .order_by()
    )


def overview_cached(now) -> dict:
    """``overview(now)``, kept for ``settings.OVERVIEW_CACHE_SECONDS`` per tenant (and its time
    zone): managers reload it all day, and a minute-old backlog answers the same questions.
    ``as_of`` says when the figures were made."""
    tenant = current_tenant()
    seconds = settings.OVERVIEW_CACHE_SECONDS
    key = f"tickets:overview:{tenant.pk}:{tenant.time_zone}"
    figures = cache.get(key) if seconds else None
    # Made within the last ``seconds`` by this clock (not only the cache server's expiry).
    if figures is None or not timedelta(0) <= now - figures["as_of"] < timedelta(seconds=seconds):
        figures = {**overview(now), "as_of": now}
        if seconds:
            cache.set(key, figures, seconds)
    return figures


def overview(now) -> dict:
    """The manager overview's figures and charts: a fixed handful of aggregate queries,
    whatever the volume (tests/agent/test_overview.py counts them).

    "Solved" per day counts tickets by ``solved_at``, so a ticket reopened since no longer counts.
    """

    tenant = current_tenant()
    zone = ZoneInfo(tenant.time_zone)
    unsolved = Ticket.objects.filter(status__in=Ticket.UNSOLVED)
    # One pass over the index ticket_backlog (never the table: every column counted is in it,
    # tenant_id included) gives the backlog by status and priority, how much of it is overdue,
    # and the load per assignee.
    groups = list(
        unsolved.values("status", "priority", "assignee_id")
        .annotate(n=Count("tenant"), late=Count("tenant", filter=Q(next_update_due_at__lt=now)))
        .order_by()
    )
    backlog: dict[tuple[str, str], int] = {}
    load: dict[int | None, int] = {}
    for row in groups:
        key = (row["status"], row["priority"])
        backlog[key] = backlog.get(key, 0) + row["n"]
        load[row["assignee_id"]] = load.get(row["assignee_id"], 0) + row["n"]
    statuses = list(Ticket.UNSOLVED)
    counts = {p: [backlog.get((s, p), 0) for s in statuses] for p in Priority.values}
    rows = [
        {"label": Priority(p).label, "key": p, "counts": c, "total": sum(c)}
        for p, c in counts.items()
    ]
    people = {
        user.pk: user
        for user in get_user_model().objects.filter(pk__in=[pk for pk in load if pk is not None])
    }
    per_agent = sorted(
        (
            {
                "assignee__email": people[pk].email if pk in people else "",
                "assignee__name": people[pk].name if pk in people else "",
                "n": n,
            }
            for pk, n in load.items()
        ),
        key=lambda row: (-row["n"], row["assignee__email"]),
    )
    today = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    since = today - timedelta(days=OVERVIEW_DAYS - 1)
    created = _per_day(Ticket.objects.all(), "created_at", since, zone)
    solved = _per_day(Ticket.objects.all(), "solved_at", since, zone)
    days = [(since + timedelta(days=i)).date() for i in range(OVERVIEW_DAYS)]
    overdue = unsolved.filter(next_update_due_at__lt=now)
    return {
        "statuses": [Ticket.Status(s).label for s in statuses],
        "backlog_rows": rows,
        "backlog_total": sum(backlog.values()),
        "per_agent": per_agent,
        "overdue_count": sum(row["late"] for row in groups),
        "overdue": list(overdue.select_related("assignee").order_by("next_update_due_at")[:10]),
        "oldest": _oldest_unsolved(5),
        "new_today": created.get(days[-1], 0),
        "solved_today": solved.get(days[-1], 0),
        "daily": [(day, created.get(day, 0), solved.get(day, 0)) for day in days],
        "trend_chart": _trend_chart(days, created, solved),
        "backlog_chart": charts.bars(
            id="overview-backlog",
            title="Unsolved tickets by priority",
            category="Priority",
            axis_label="Unsolved tickets",
            data=[charts.Datum(r["label"], r["total"], tone=r["key"]) for r in rows],
            empty_text="Nothing unsolved: the backlog is empty.",
        ),
        "assignee_chart": charts.bars(
            id="overview-assignees",
            title="Unsolved tickets per assignee",
            category="Assignee",
            axis_label="Unsolved tickets",
            data=[
                charts.Datum(
                    row["assignee__name"] or row["assignee__email"] or "Unassigned", row["n"]
                )
                for row in per_agent[:OVERVIEW_ASSIGNEES]
            ],
            empty_text="Nothing unsolved.",
        ),
    }


def _oldest_unsolved(count: int) -> list[Ticket]:
    """The ``count`` oldest unsolved tickets: the oldest of each unsolved status (index
    ticket_status_created, whatever the number of closed tickets before them), merged."""
    candidates = []
    for status in Ticket.UNSOLVED:
        candidates += Ticket.objects.filter(status=status).order_by("created_at", "id")[:count]
    oldest = sorted(candidates, key=lambda t: (t.created_at, t.pk))[:count]
    assignees = {
        user.pk: user
        for user in get_user_model().objects.filter(
            pk__in=[t.assignee_id for t in oldest if t.assignee_id]
        )
    }
    for ticket in oldest:
        ticket.assignee = assignees.get(ticket.assignee_id)
    return oldest


def _trend_chart(days, created: dict, solved: dict) -> charts.Chart:
    labels = [f"{day:%b} {day.day}" for day in days]
    return charts.lines(
        id="overview-trend",
        title=f"Tickets created and solved, last {len(days)} days",
        labels=labels,
        details=[f"{day:%a}, {day:%b} {day.day}" for day in days],
        series=[
            charts.Series(
                "Created",
                [charts.Datum(lb, created.get(d, 0)) for lb, d in zip(labels, days, strict=True)],
            ),
            charts.Series(
                "Solved",
                [charts.Datum(lb, solved.get(d, 0)) for lb, d in zip(labels, days, strict=True)],
                tone="2",
            ),
        ],
        y_label="Tickets per day",
        x_label="Day",
        empty_text=f"No tickets were created or solved in the last {len(days)} days.",
    )
