"""The agent queue: filters, the sort key, keyset pagination and a bounded count.

Default view: unsolved tickets, most severe first, then by when the next update is due
(nothing due last), then oldest. Pages continue from the last row's full sort key
(priority rank, due, created, id) rather than an OFFSET, so page 500 costs what page 1 costs;
the ``ticket_queue_order`` index matches that key. Counts stop at a cap ("1,000+") instead of
counting a million rows on every page.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from django import forms
from django.core import signing
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from core.errors import InvalidInput
from core.inputs import MAX_ID, parse_id, ticket_number_in
from desk.priorities import RANK, Priority
from tenants.kept import kept
from tenants.models import Organization
from tenants.selectors import staff_roster
from tickets import search, tags
from tickets.models import QUEUE_NEVER_DUE, SavedView, TeamMember, Ticket, TicketTag

PAGE_SIZE = 50
# The queue's count stops here, as its side navigation's does: past a thousand the number
# helps no one choose the next ticket, and counting to 10,000 on the 200,000-ticket tenant
# took 4.6 ms of the database per queue page against 0.46 ms to 1,000.
COUNT_CAP = 1_000
# A text search counts to here. Its matches are checked ticket by ticket (tickets.search), so
# the count's cost grows with the cap: for the load mix's words in the 200,000-ticket bench
# tenant, 7.5-31 ms to 501 and 1.2-6.7 ms to 101, against 6-12 ms for the page itself. Past a
# hundred matches an agent refines the words rather than read on.
SEARCH_COUNT_CAP = 100
STATUS_CHOICES = [(s.value, s.label) for s in Ticket.Status]
# The orders an index serves (ticket_queue_order; ticket_created both ways).
SORTS = {"priority": "Priority, then due", "newest": "Newest first", "oldest": "Oldest first"}


class TagNamesField(forms.Field):
    """``tag=a&tag=b``: tag names, cleaned as tags are (``tickets.tags``). Nothing is read
    from the database: a name no tag has simply matches no ticket."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = [v for v in (value or []) if not (isinstance(v, str) and not v.strip())]
        if not values:
            return []
        try:
            return tags.clean_names(values, limit=tags.MAX_FILTER)
        except InvalidInput as error:
            raise forms.ValidationError(str(error)) from None


class QueueFilterForm(forms.Form):
    status = forms.MultipleChoiceField(choices=STATUS_CHOICES, required=False)
    priority = forms.MultipleChoiceField(choices=Priority.choices, required=False)
    assignee = forms.CharField(required=False)  # "me", "unassigned", "" (anyone) or a user id
    team = forms.CharField(required=False)  # "mine", "none", "" (any) or a team id
    organization = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    requester = forms.CharField(required=False, max_length=254)
    overdue = forms.BooleanField(required=False)
    outdated = forms.BooleanField(required=False, label="Unsupported app version")
    q = forms.CharField(required=False, max_length=200, label="Search")
    # Tickets carrying every one of these tags ("has all": each tag narrows the list).
    tag = TagNamesField(required=False, label="Tags")
    sort = forms.ChoiceField(choices=[("", "Priority, then due"), *SORTS.items()], required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read only when the select is drawn: the workspace builds this form for every view
        # it counts, and validation needs no list of organizations.
        self.fields["organization"].widget = forms.Select(choices=organization_choices)

    def clean_assignee(self):
        value = self.cleaned_data["assignee"].strip()
        if value in ("", "me", "unassigned") or parse_id(value) is not None:
            return value
        raise forms.ValidationError("Choose me, unassigned, anyone or an agent.")

    def clean_team(self):
        # Checked without the database (saved views are validated once per process): an id
        # of no team of this tenant simply matches nothing.
        value = self.cleaned_data["team"].strip()
        if value in ("", "mine", "none") or parse_id(value) is not None:
            return value
        raise forms.ValidationError("Choose my teams, no team, any team or a team.")


def organization_choices() -> list[tuple]:
    return [("", "Any organization"), *_organizations()]


@kept("organization-choices", Organization)
def _organizations() -> list[tuple[int, str]]:
    return list(Organization.objects.order_by("name").values_list("pk", "name"))


def normalized_query(raw: str) -> str:
    """A saved view's query: only what the filter form accepts, re-encoded, so neither the
    stored view nor a redirect built from it carries raw client text."""
    filters = QueueFilterForm(QueryDict(raw[:1000]))
    if not filters.is_valid():
        raise InvalidInput("These filters are not valid; fix them before saving the view.")
    return filter_query(filters.cleaned_data)


def view_filters(query: str) -> dict | None:
    """A stored view's query as validated filter data (None when no longer valid).

    Validation reads nothing from the database, so the result depends on the text alone and
    is kept per process: the workspace counts every view on every page, and building the
    form each time cost more than the counts."""
    cleaned = _view_filters(query)
    return copy.deepcopy(cleaned) if cleaned is not None else None


@lru_cache(maxsize=2048)
def _view_filters(query: str) -> dict | None:
    form = QueueFilterForm(QueryDict(query))
    return form.cleaned_data if form.is_valid() else None


def current_query(params: QueryDict) -> str | None:
    """A request's queue filters, normalised as saved views store them (None if not valid)."""
    params = params.copy()
    params.pop("after", None)
    return query_of(QueueFilterForm(params))


def query_of(form: QueueFilterForm) -> str | None:
    """A filter form's filters, normalised as saved views store them: "" for a form given
    nothing (the default view), None when they are not valid."""
    if not form.is_bound:
        return ""
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


def agent_choices() -> list[tuple[int, str]]:
    """(user id, name) of the helpdesk's staff, for the assignee menus (from the kept staff
    list: the queue draws the menu twice on every page)."""
    return [(member.user_id, member.user.display_name) for member in staff_roster()]


def text_condition(text: str) -> Q:
    """``#42``: ticket 42 alone (the index on numbers answers it). Other text: tickets whose
    subject or messages hold its words (tickets.search), and ticket N when it is a number."""
    number = ticket_number_in(text)
    if text.startswith("#") and number is not None:
        return Q(number=number)
    condition = search.matching(text)
    return condition | Q(number=number) if number is not None else condition


def ticket_named(data: dict) -> int | None:
    """The number when the search is exactly ``#N`` of an existing ticket (the queue page
    then opens that ticket rather than listing it)."""
    text = (data.get("q") or "").strip()
    number = ticket_number_in(text) if text.startswith("#") else None
    if number is None or not Ticket.objects.filter(number=number).exists():
        return None
    return number


def filtered(data: dict, user) -> QuerySet[Ticket]:
    """Tickets matching validated filter ``data``, in queue order (the full sort key)."""
    tickets = Ticket.objects.all()
    statuses = data.get("status") or list(Ticket.UNSOLVED)
    tickets = tickets.filter(status__in=statuses)
    if data.get("priority"):
        # The rank, not the name: it leads the queue's index, so the filter is an index bound.
        tickets = tickets.filter(priority_rank__in=[RANK[p] for p in data["priority"]])
    assignee = data.get("assignee") or ""
    if assignee == "me":
        tickets = tickets.filter(assignee=user)
    elif assignee == "unassigned":
        tickets = tickets.filter(assignee__isnull=True)
    elif parse_id(assignee) is not None:
        tickets = tickets.filter(assignee_id=parse_id(assignee))
    team = data.get("team") or ""
    if team == "mine":
        mine = TeamMember.objects.filter(membership__user=user).values("team_id")
        tickets = tickets.filter(team_id__in=mine)
    elif team == "none":
        tickets = tickets.filter(team__isnull=True)
    elif parse_id(team) is not None:
        tickets = tickets.filter(team_id=parse_id(team))
    if data.get("organization"):
        tickets = tickets.filter(organization_id=data["organization"])
    if data.get("requester"):
        tickets = tickets.filter(requester_email__icontains=data["requester"].strip())
    if data.get("overdue"):
        tickets = tickets.filter(next_update_due_at__lt=timezone.now())
    if data.get("outdated"):
        tickets = tickets.filter(app_version_outdated=True)
    if data.get("q"):
        tickets = tickets.filter(text_condition(data["q"].strip()))
    for name in data.get("tag") or ():
        # One ``id IN (tickets with this tag)`` per tag: has all of them. Inside, the tag is
        # found by its key and its tickets by ``tag_id``, plain equalities that stay index
        # conditions under row-level security (tickettag_tag).
        tickets = tickets.filter(
            pk__in=TicketTag.objects.filter(tag__key=tags.key_of(name)).values("ticket_id")
        )
    match data.get("sort") or "priority":
        case "newest":
            return tickets.order_by("-created_at", "-id")
        case "oldest":
            return tickets.order_by("created_at", "id")
    return tickets.order_by("priority_rank", "queue_due", "created_at", "id")


CURSOR_SALT = "tickets.queue.cursor"


class InvalidCursor(ValueError):
    """A page link that we did not issue, or that was altered."""


def encode_cursor(ticket: Ticket, sort: str = "priority") -> str:
    """The last row's sort key, signed: a cursor is a value we issued, never one we parse from
    whatever a client typed (a crafted due time could overflow the database's range)."""
    if sort in ("newest", "oldest"):
        key = [sort, ticket.created_at.isoformat(), ticket.pk]
    else:
        due = ticket.next_update_due_at or QUEUE_NEVER_DUE  # what queue_due holds
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
    # Plain columns compared with leakproof operators: under row-level security the row
    # comparison is still an index condition, so the scan starts at the cursor (a COALESCE
    # here, once, made it a filter over every earlier row).
    return tickets.extra(
        where=[
            "(tickets_ticket.priority_rank, tickets_ticket.queue_due,"
            " tickets_ticket.created_at, tickets_ticket.id) > (%s, %s, %s, %s)"
        ],
        params=[rank, adapt(due), adapt(created), pk],
    )


@dataclass
class Page:
    tickets: list[Ticket]
    next_cursor: str | None
    count: int
    count_capped: bool


def count_cap(data: dict) -> int:
    """How far the queue counts for these filters."""
    return SEARCH_COUNT_CAP if data.get("q") else COUNT_CAP


def page(
    tickets: QuerySet[Ticket],
    cursor: str | None,
    *,
    size: int = PAGE_SIZE,
    sort: str = "",
    cap: int = COUNT_CAP,
) -> Page:
    """One page after ``cursor`` (the first without one); ``InvalidCursor`` for a bad one.
    The count stops at ``cap`` (``count_capped`` says there are more)."""
    sort = sort or "priority"
    key = decode_cursor(cursor, sort) if cursor else None
    window = after(tickets, key, sort) if key else tickets
    rows = list(window.select_related("assignee", "organization", "team")[: size + 1])
    next_cursor = encode_cursor(rows[size - 1], sort) if len(rows) > size else None
    count = tickets.order_by()[: cap + 1].count()
    return Page(
        tickets=rows[:size],
        next_cursor=next_cursor,
        count=min(count, cap),
        count_capped=count > cap,
    )


VIEW_COUNT_CAP = COUNT_CAP

# (key, label, filters): the views every agent has, in the order the workspace lists them.
BUILT_IN_VIEWS = (
    ("unsolved", "All unsolved", ""),
    ("mine", "My tickets", "assignee=me"),
    ("unassigned", "Unassigned", "assignee=unassigned"),
    ("overdue", "Overdue", "overdue=on"),
    ("my_teams", "My teams", "team=mine"),
)


def saved_views(user, *, can_share: bool) -> list[dict]:
    """The user's personal views and the team's shared ones, with whether they may delete it."""
    return [
        {"view": view, "can_delete": view.owner_id == user.pk or can_share}
        for view in _every_saved_view()
        if view.owner_id in (user.pk, None)
    ]


@kept("saved-views", SavedView)
def _every_saved_view() -> list[SavedView]:
    """Every view of the tenant, personal and shared, in their order: the side navigation of
    every workspace page lists a person's own and the shared ones (kept per tenant; a tenant
    has tens of views, not thousands)."""
    return list(SavedView.objects.all())


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
