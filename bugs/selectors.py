"""Reading bug reports: the agents' list (filters, counts, impact order), one report with its
tickets, a ticket's reports, the search used to link one, and what a customer may know."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.http import Http404

from bugs.models import BugLink, BugReport
from core.inputs import parse_id, ticket_number_in
from desk.versions import VERSION_RE
from tickets.models import Comment, Ticket

Status = BugReport.Status
SEARCH_LIMIT = 20

_SEVERITY_ORDER = Case(
    *(When(severity=value, then=Value(rank)) for value, rank in BugReport.SEVERITY_RANK.items()),
    default=Value(9),
    output_field=IntegerField(),
)
_OPEN_FIRST = Case(
    When(status__in=BugReport.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
)


def with_counts(reports: QuerySet[BugReport]) -> QuerySet[BugReport]:
    """Each report with ``ticket_count`` (linked tickets) and ``customer_count`` (their distinct
    requesters, by email: customers without an account count too)."""
    return reports.annotate(
        ticket_count=Count("links", distinct=True),
        customer_count=Count("links__ticket__requester_email", distinct=True),
    )


@dataclass(frozen=True)
class ListFilters:
    status: str = ""  # a status, "open" (new, confirmed, in progress) or "" for all
    severity: str = ""
    version: str = ""  # reports whose affected versions list this one
    q: str = ""  # words of the title, or #number


def bug_list(filters: ListFilters) -> QuerySet[BugReport]:
    """Reports by impact: unresolved first, then severity, affected customers, linked tickets,
    newest."""
    reports = with_counts(BugReport.objects.select_related("owner"))
    if filters.status == "open":
        reports = reports.filter(status__in=BugReport.OPEN)
    elif filters.status in Status.values:
        reports = reports.filter(status=filters.status)
    if filters.severity in BugReport.Severity.values:
        reports = reports.filter(severity=filters.severity)
    if filters.version and VERSION_RE.match(filters.version):
        # "11.4" must not match "11.40": compare whole entries of the ", "-separated list.
        listed = f", {filters.version},"
        reports = reports.filter(
            Q(affected_versions=filters.version)
            | Q(affected_versions__startswith=f"{filters.version},")
            | Q(affected_versions__endswith=f", {filters.version}")
            | Q(affected_versions__contains=listed)
        )
    if filters.q:
        reports = reports.filter(_matching(filters.q))
    return reports.order_by(
        _OPEN_FIRST.asc(),
        _SEVERITY_ORDER.asc(),
        "-customer_count",
        "-ticket_count",
        "-created_at",
        "-pk",
    )


def _matching(text: str) -> Q:
    number = ticket_number_in(text)
    condition = Q(title__icontains=text.strip()[:200])
    if number is not None:
        condition |= Q(number=number)
    return condition


def search(text: str) -> list[BugReport]:
    """Reports to link a ticket to: by number ("12", "#12") or words of the title; open ones
    first. Duplicates are left out (linking follows them to the original anyway)."""
    text = text.strip()
    if not text:
        return []
    reports = with_counts(BugReport.objects.exclude(status=Status.DUPLICATE)).filter(
        _matching(text)
    )
    return list(reports.order_by(_OPEN_FIRST.asc(), "-created_at", "-pk")[:SEARCH_LIMIT])


def report_for_staff(pk: object) -> BugReport:
    pk = parse_id(pk)
    reports = BugReport.objects.select_related("owner", "created_by", "duplicate_of")
    report = reports.filter(pk=pk).first() if pk is not None else None
    if report is None:
        raise Http404
    return report


def report_by_number(number: object) -> BugReport | None:
    number = parse_id(number)
    return BugReport.objects.filter(number=number).first() if number is not None else None


def linked_tickets(report: BugReport) -> list[BugLink]:
    """The report's tickets with their requester, whether each customer has been told of the
    fix (a public reply after it) and whether the ticket is still unsolved."""
    links = BugLink.objects.filter(report=report).select_related(
        "ticket", "ticket__requester", "ticket__organization", "linked_by"
    )
    if report.fixed_at is not None:
        told = Comment.objects.filter(
            ticket=OuterRef("ticket"), is_public=True, created_at__gte=report.fixed_at
        ).exclude(author_email=OuterRef("ticket__requester_email"))
        links = links.annotate(told=Exists(told))
    return list(links.order_by("ticket__number"))


def customers_to_tell(report: BugReport, links: list[BugLink]) -> list[BugLink]:
    """Of ``linked_tickets(report)``: once the report is fixed, the tickets with no public reply
    since the fix (their customers have not been told yet)."""
    if report.fixed_at is None:
        return []
    return [link for link in links if not link.told]


def reports_for_ticket(ticket: Ticket) -> list[BugReport]:
    return list(
        BugReport.objects.filter(links__ticket=ticket)
        .select_related("owner")
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class CustomerView:
    """All a customer may know: that the problem was filed as a product bug, and the version
    that fixes it once there is one. Never the report's fields, comments, owner or link."""

    filed: bool
    fixed_in: str | None


def customer_view(ticket: Ticket) -> CustomerView | None:
    statuses = list(
        BugReport.objects.filter(links__ticket=ticket).values_list("status", "fixed_in")
    )
    if not statuses:
        return None
    fixed = sorted(
        (version for status, version in statuses if status == Status.FIXED and version),
        key=lambda v: tuple(int(p) for p in v.split(".")),
    )
    return CustomerView(filed=True, fixed_in=fixed[-1] if fixed else None)


def duplicate_choices(report: BugReport) -> list[BugReport]:
    """Reports this one may be marked a duplicate of: any other that is not itself a duplicate."""
    return list(
        BugReport.objects.exclude(pk=report.pk)
        .exclude(status=Status.DUPLICATE)
        .order_by("-number")[:200]
    )


def open_count() -> int:
    return BugReport.objects.filter(status__in=BugReport.OPEN).count()
