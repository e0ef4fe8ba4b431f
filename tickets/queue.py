"""The agent queue: filters, the sort key, keyset pagination and a bounded count.

Default view: unsolved tickets, most severe first, then by when the next update is due
(nothing due last), then oldest. Pages continue from the last row's full sort key
(priority rank, due, created, id) rather than an OFFSET, so page 500 costs what page 1 costs;
the ``ticket_queue_order`` index matches that key. Counts stop at a cap ("10,000+") instead of
counting a million rows on every page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django import forms
from django.core import signing
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.utils import timezone

from core.errors import InvalidInput
from core.inputs import MAX_ID, parse_id
from desk.priorities import Priority
from tenants.models import Membership, Organization
from tenants.selectors import staff_members
from tickets.models import QUEUE_NEVER_DUE, Comment, SavedView, Ticket
from tickets.selectors import subject_or_number

PAGE_SIZE = 50
COUNT_CAP = 10_000
STATUS_CHOICES = [(s.value, s.label) for s in Ticket.Status]
# The orders an index serves (ticket_queue_order; ticket_created both ways).
SORTS = {"priority": "Priority, then due", "newest": "Newest first", "oldest": "Oldest first"}


class QueueFilterForm(forms.Form):
    status = forms.MultipleChoiceField(choices=STATUS_CHOICES, required=False)
    priority = forms.MultipleChoiceField(choices=Priority.choices, required=False)
    assignee = forms.CharField(required=False)  # "me", "unassigned", "" (anyone) or a user id
    organization = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    requester = forms.CharField(required=False, max_length=254)
    overdue = forms.BooleanField(required=False)
    outdated = forms.BooleanField(required=False, label="Unsupported app version")
    q = forms.CharField(required=False, max_length=200, label="Search")
    sort = forms.ChoiceField(choices=[("", "Priority, then due"), *SORTS.items()], required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].widget = forms.Select(
            choices=[("", "Any organization")]
            + [(o.pk, o.name) for o in Organization.objects.order_by("name")]
        )

    def clean_assignee(self):
        value = self.cleaned_data["assignee"].strip()
        if value in ("", "me", "unassigned") or parse_id(value) is not None:
            return value
        raise forms.ValidationError("Choose me, unassigned, anyone or an agent.")


def normalized_query(raw: str) -> str:
    """A saved view's query: only what the filter form accepts, re-encoded, so neither the
    stored view nor a redirect built from it carries raw client text."""
    filters = QueueFilterForm(QueryDict(raw[:1000]))
    if not filters.is_valid():
        raise InvalidInput("These filters are not valid; fix them before saving the view.")
    return filter_query(filters.cleaned_data)


def current_query(params: QueryDict) -> str | None:
    """A request's queue filters, normalised as saved views store them (None if not valid)."""
    params = params.copy()
    params.pop("after", None)
    form = QueueFilterForm(params)
    return filter_query(form.cleaned_data) if form.is_valid() else None


def filter_query(data: dict) -> str:
    """Validated filter ``data`` as a query string, leaving out what is empty."""
    params = QueryDict(mutable=True)
    for name, value in data.items():
        if value in (None, "", [], False):
            continue
        if isinstance(value, list):
            params.setlist(name, [str(v) for v in value])
        else:
            params[name] = "on" if value is True else str(value)
    return params.urlencode()


def agents() -> list[Membership]:
    return list(staff_members())


def sort_key_expression():
    return Coalesce("next_update_due_at", Value(QUEUE_NEVER_DUE))


def filtered(data: dict, user) -> QuerySet[Ticket]:
    """Tickets matching validated filter ``data``, in queue order (the full sort key)."""
    tickets = Ticket.objects.all()
    statuses = data.get("status") or list(Ticket.UNSOLVED)
    tickets = tickets.filter(status__in=statuses)
    if data.get("priority"):
        tickets = tickets.filter(priority__in=data["priority"])
    assignee = data.get("assignee") or ""
    if assignee == "me":
        tickets = tickets.filter(assignee=user)
    elif assignee == "unassigned":
        tickets = tickets.filter(assignee__isnull=True)
    elif parse_id(assignee) is not None:
        tickets = tickets.filter(assignee_id=parse_id(assignee))
    if data.get("organization"):
        tickets = tickets.filter(organization_id=data["organization"])
    if data.get("requester"):
        tickets = tickets.filter(requester_email__icontains=data["requester"].strip())
    if data.get("overdue"):
        tickets = tickets.filter(next_update_due_at__lt=timezone.now())
    if data.get("outdated"):
        tickets = tickets.filter(app_version_outdated=True)
    if data.get("q"):
        text = data["q"].strip()
        in_comments = Comment.objects.filter(ticket=OuterRef("pk"), body__icontains=text)
        tickets = tickets.filter(subject_or_number(text) | Exists(in_comments))
    match data.get("sort") or "priority":
        case "newest":
            return tickets.order_by("-created_at", "-id")
        case "oldest":
            return tickets.order_by("created_at", "id")
    return tickets.alias(queue_due=sort_key_expression()).order_by(
        "priority_rank", "queue_due", "created_at", "id"
    )


CURSOR_SALT = "tickets.queue.cursor"


class InvalidCursor(ValueError):
    """A page link that we did not issue, or that was altered."""


def encode_cursor(ticket: Ticket, sort: str = "priority") -> str:
    """The last row's sort key, signed: a cursor is a value we issued, never one we parse from
    whatever a client typed (a crafted due time could overflow the database's range)."""
    if sort in ("newest", "oldest"):
        key = [sort, ticket.created_at.isoformat(), ticket.pk]
    else:
        due = ticket.next_update_due_at or QUEUE_NEVER_DUE
        key = [ticket.priority_rank, due.isoformat(), ticket.created_at.isoformat(), ticket.pk]
    return signing.dumps(key, salt=CURSOR_SALT, compress=False)


def decode_cursor(token: str, sort: str = "priority") -> tuple:
    """The sort key in a cursor we issued for this sort; ``InvalidCursor`` for anything else."""
    try:
        key = signing.loads(token[:500], salt=CURSOR_SALT)
        if sort in ("newest", "oldest"):
            issued_for, created, pk = key
            if issued_for != sort:
                raise ValueError("a cursor of another order")
            return (datetime.fromisoformat(created).astimezone(UTC), int(pk))
        rank, due, created, pk = key
        return (
            int(rank),
            datetime.fromisoformat(due).astimezone(UTC),
            datetime.fromisoformat(created).astimezone(UTC),
            int(pk),
        )
    except (signing.BadSignature, ValueError, TypeError, OverflowError) as error:
        raise InvalidCursor("This page link is damaged or out of date.") from error


def after(tickets: QuerySet[Ticket], key: tuple, sort: str = "priority") -> QuerySet[Ticket]:
    """Rows after ``key`` in this order, by one row-value comparison on the full sort key."""
    adapt = connection.ops.adapt_datetimefield_value  # as the backend stores datetimes
    if sort in ("newest", "oldest"):
        created, pk = key
        # The plain timestamp bound is leakproof, so under RLS the index scan starts there.
        if sort == "newest":
            bounded = tickets.filter(created_at__lte=created)
            where = "(tickets_ticket.created_at, tickets_ticket.id) < (%s, %s)"
        else:
            bounded = tickets.filter(created_at__gte=created)
            where = "(tickets_ticket.created_at, tickets_ticket.id) > (%s, %s)"
        return bounded.extra(where=[where], params=[adapt(created), pk])  # noqa: S610 (fixed SQL)
    rank, due, created, pk = key
    # Under row-level security PostgreSQL applies only leakproof operators before the policy,
    # and a row comparison is not one: alone it is a filter over every earlier row. The plain
    # integer bound is leakproof, so the index scan starts at the right priority.
    return tickets.filter(priority_rank__gte=rank).extra(
        where=[
            "(tickets_ticket.priority_rank, COALESCE(tickets_ticket.next_update_due_at, %s),"
            " tickets_ticket.created_at, tickets_ticket.id) > (%s, %s, %s, %s)"
        ],
        params=[adapt(QUEUE_NEVER_DUE), rank, adapt(due), adapt(created), pk],
    )


@dataclass
class Page:
    tickets: list[Ticket]
    next_cursor: str | None
    count: int
    count_capped: bool


def page(
    tickets: QuerySet[Ticket], cursor: str | None, *, size: int = PAGE_SIZE, sort: str = ""
) -> Page:
    """One page after ``cursor`` (the first without one); ``InvalidCursor`` for a bad one."""
    sort = sort or "priority"
    key = decode_cursor(cursor, sort) if cursor else None
    window = after(tickets, key, sort) if key else tickets
    rows = list(window.select_related("requester", "assignee", "organization")[: size + 1])
    next_cursor = encode_cursor(rows[size - 1], sort) if len(rows) > size else None
    count = tickets.order_by()[: COUNT_CAP + 1].count()
    return Page(
        tickets=rows[:size],
        next_cursor=next_cursor,
        count=min(count, COUNT_CAP),
        count_capped=count > COUNT_CAP,
    )


VIEW_COUNT_CAP = 1000

# (key, label, filters): the views every agent has, in the order the workspace lists them.
BUILT_IN_VIEWS = (
    ("unsolved", "All unsolved", ""),
    ("mine", "My tickets", "assignee=me"),
    ("unassigned", "Unassigned", "assignee=unassigned"),
    ("overdue", "Overdue", "overdue=on"),
)


def saved_views(user, *, can_share: bool) -> list[dict]:
    """The user's personal views and the team's shared ones, with whether they may delete it."""
    return [
        {"view": view, "can_delete": view.owner_id == user.pk or can_share}
        for view in SavedView.objects.filter(Q(owner=user) | Q(owner__isnull=True))
    ]


def saved_views_with_counts(user, *, can_share: bool) -> list[dict]:
    """The saved views, each with a live (capped) count.

    One bounded count per view: the cost follows the number of views, never the rows.
    """
    result = []
    for item in saved_views(user, can_share=can_share):
        form = QueueFilterForm(QueryDict(item["view"].query))
        if not form.is_valid():
            continue  # a view whose organization or agent is gone: shown no more
        result.append({**item, **bounded_count(filtered(form.cleaned_data, user))})
    return result


def view_title(query: str, views: list[dict]) -> str:
    """What the queue shows, named: a built-in or saved view's name for its exact filters."""
    for _key, label, filters in BUILT_IN_VIEWS:
        if query == filters:
            return label
    for item in views:
        if item["view"].query == query:
            return item["view"].name
    return "Search results" if "q=" in query else "Filtered tickets"


def bounded_count(tickets: QuerySet[Ticket], cap: int = VIEW_COUNT_CAP) -> dict:
    """``{"count": n, "capped": n > cap}``, counting at most ``cap + 1`` rows."""
    count = tickets.order_by()[: cap + 1].count()
    return {"count": min(count, cap), "capped": count > cap}
