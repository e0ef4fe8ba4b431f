"""Tags: what a tag name may be, and the reads every page with tags makes.

A name is cleaned once, here, for every way in (the ticket page, bulk actions, settings, the
API, the queue's ``tag=`` filter): Unicode compatibility forms folded (NFKC: a full-width
"ＶＩＰ" is "VIP"), runs of white space made one space, the ends trimmed. Its ``key`` is that
name case-folded, and two names with one key are one tag. Control and formatting characters
that could hide text (NUL, bidirectional overrides) are refused, not stripped: the agent sees
why, and nothing they typed is silently changed into another tag.

The writes are ``tickets.tagging``'s.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, QuerySet

from core.errors import InvalidInput
from tenants.context import current_tenant
from tenants.kept import kept
from tickets.models import Tag, Ticket, TicketTag

MAX_LENGTH = Tag.MAX_LENGTH
# Bounds that keep every request's work small whatever is sent.
MAX_PER_REQUEST = 10  # names added at once (the ticket page, bulk, the API)
MAX_PER_TICKET = 50  # tags one ticket may carry
MAX_FILTER = 5  # tags in one queue filter
SUGGESTIONS = 200  # the autocomplete list's length
# Before cleaning: more than this is refused unread (a 1 MB "name").
_RAW_LIMIT = 4 * MAX_LENGTH

# Bidirectional embeddings, overrides and isolates: they reorder what is displayed around them.
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
# Of the "format" characters, those emoji sequences need (joiners and variation selectors).
_JOINERS = {"\u200c", "\u200d"}


def clean_name(raw: object) -> str:
    """The tag name as stored and shown, or ``InvalidInput`` saying what is wrong with it."""
    if not isinstance(raw, str):
        raise InvalidInput("A tag name is text.")
    if len(raw) > _RAW_LIMIT:
        raise InvalidInput(f"A tag name has at most {MAX_LENGTH} characters.")
    for char in raw:
        if char in "\t\n\r":
            continue
        category = unicodedata.category(char)
        if char in _BIDI or (category[0] == "C" and char not in _JOINERS):
            raise InvalidInput(
                "A tag name cannot contain control or invisible formatting characters."
            )
    name = " ".join(unicodedata.normalize("NFKC", raw).split())
    if not name:
        raise InvalidInput("Type a tag name.")
    if len(name) > MAX_LENGTH:
        raise InvalidInput(f"A tag name has at most {MAX_LENGTH} characters.")
    return name


def key_of(name: str) -> str:
    """The key of an already cleaned name: the same for names that differ only in case."""
    return unicodedata.normalize("NFKC", name.casefold())


def clean_names(raw: Iterable[object], *, limit: int = MAX_PER_REQUEST) -> list[str]:
    """Several names (a comma-separated text counts as several), duplicates dropped in order;
    ``InvalidInput`` for any bad one or too many."""
    names: list[str] = []
    seen: set[str] = set()
    pieces: list[object] = []
    for item in raw:
        pieces.extend(item.split(",") if isinstance(item, str) else [item])
        if len(pieces) > limit * 4:
            break
    for piece in pieces:
        if isinstance(piece, str) and not piece.strip() and len(pieces) > 1:
            continue  # "vip, " or "a,,b": the empty piece between commas
        name = clean_name(piece)
        key = key_of(name)
        if key not in seen:
            seen.add(key)
            names.append(name)
    if not names:
        raise InvalidInput("Type a tag name.")
    if len(names) > limit:
        raise InvalidInput(f"Add at most {limit} tags at once.")
    return names


def find(name: str) -> Tag | None:
    """The current tenant's tag of that (already cleaned) name, whatever its case."""
    return Tag.objects.filter(key=key_of(name)).first()


def for_ticket(ticket: Ticket) -> list[Tag]:
    """The ticket's tags, by name (one query)."""
    return list(Tag.objects.filter(links__ticket=ticket).order_by("key"))


def for_tickets(tickets: Iterable[Ticket]) -> dict[int, list[Tag]]:
    """Each ticket's tags (ticket id -> tags by name), one query for all of them."""
    ids = [ticket.pk for ticket in tickets]
    found: dict[int, list[Tag]] = defaultdict(list)
    if not ids:
        return found
    links = (
        TicketTag.objects.filter(ticket_id__in=ids)
        .select_related("tag")
        .order_by("tag__key")
        .only("ticket_id", "tag__name", "tag__key")
    )
    for link in links:
        found[link.ticket_id].append(link.tag)
    return found


def suggestions(prefix: str = "") -> list[str]:
    """Names for the tag input's list: the tenant's tags by name, at most ``SUGGESTIONS``.
    ``prefix`` narrows them by the start of the key (a range on the key's index)."""
    if not prefix:
        return _first_names()
    try:
        key = key_of(clean_name(prefix))
    except InvalidInput:
        return []
    # key >= prefix and key < prefix + the highest character: a leakproof range.
    tags = Tag.objects.filter(key__gte=key, key__lt=key + "\U0010ffff")
    return list(tags.order_by("key").values_list("name", flat=True)[:SUGGESTIONS])


@kept("tag-names", Tag)
def _first_names() -> list[str]:
    """The first ``SUGGESTIONS`` names by key: the queue and every agent ticket page offer
    them, so they are kept per tenant."""
    return list(Tag.objects.order_by("key").values_list("name", flat=True)[:SUGGESTIONS])


def with_counts() -> QuerySet[Tag]:
    """Every tag of the tenant by name, with how many tickets carry it (settings page, API)."""
    return Tag.objects.annotate(ticket_count=Count("links")).order_by("key")


# The tag report's periods (days, today included), chosen from this list only.
REPORT_PERIODS = {7: "Last 7 days", 30: "Last 30 days", 90: "Last 90 days", 365: "Last year"}
REPORT_DEFAULT_DAYS = 30


@dataclass(frozen=True)
class TagCount:
    name: str
    tickets: int


@dataclass(frozen=True)
class TagReport:
    days: int
    since: datetime
    until: datetime
    created: int  # tickets created in the period, tagged or not
    rows: list[TagCount]

    @property
    def period_text(self) -> str:
        first, last = self.since.date(), (self.until - timedelta(days=1)).date()
        return f"{first:%b} {first.day}, {first.year} – {last:%b} {last.day}, {last.year}"


def report(days: int, now: datetime) -> TagReport:
    """Tickets created in the last ``days`` days of the tenant's calendar (local midnights,
    today included), counted per tag they carry now, most used first. Two queries: the count
    of created tickets (ticket_created's range) and the counts per tag."""
    if days not in REPORT_PERIODS:
        raise InvalidInput("Choose one of the periods in the list.")
    zone = ZoneInfo(current_tenant().time_zone)
    today = now.astimezone(zone).date()
    since = datetime.combine(today - timedelta(days=days - 1), time(0), tzinfo=zone)
    until = datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone)
    created = Ticket.objects.filter(created_at__gte=since, created_at__lt=until).count()
    rows = (
        TicketTag.objects.filter(ticket__created_at__gte=since, ticket__created_at__lt=until)
        .values("tag__name", "tag__key")
        .annotate(tickets=Count("ticket_id"))
        .order_by("-tickets", "tag__key")
    )
    counts = [TagCount(row["tag__name"], row["tickets"]) for row in rows]
    return TagReport(days, since, until, created, counts)


def panel(ticket: Ticket, membership=None, *, error: str = "", typed: str = "") -> dict:
    """What the ticket page's tags panel shows (templates/agent/_ticket_tags.html): two
    queries, whatever the number of tags."""
    return {
        "tags": for_ticket(ticket),
        "suggestions": [] if ticket.is_closed else suggestions(),
        "closed": ticket.is_closed,
        "error": error,
        "typed": typed,
    }
