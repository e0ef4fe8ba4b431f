"""Bug report services: filing from a ticket, linking, unlinking, duplicates, status moves, the
notes a fix writes, and the supported-version rule."""

from __future__ import annotations

import pytest
from django.utils import timezone

from bugs import selectors, services
from bugs.models import BugHistory, BugLink, BugReport
from core.errors import Conflict, InvalidInput, NotAllowed
from desk.services import tenant_settings_update
from tenants.context import tenant_context
from tickets.models import Comment, Ticket, TicketEvent
from tickets.services import ticket_set_status

pytestmark = pytest.mark.django_db


def staff(world, role="agent"):
    return {"actor": world.users[role], "membership": world.memberships[role]}


def file(world, ticket, role="agent", **values):
    values.setdefault("title", "Restore stops at 40%")
    with tenant_context(world.tenant):
        return services.bug_file(ticket=ticket, values=values, **staff(world, role))


def link(world, report, ticket, role="agent", **kwargs):
    with tenant_context(world.tenant):
        return services.bug_link(report=report, ticket=ticket, **staff(world, role), **kwargs)


def set_status(world, report, status, role="manager", **kwargs):
    with tenant_context(world.tenant):
        return services.bug_set_status(report=report, status=status, **staff(world, role), **kwargs)


def events(world, ticket) -> list[tuple[str, str, str]]:
    with tenant_context(world.tenant):
        return list(
            TicketEvent.objects.filter(ticket=ticket, kind__startswith="bug_")
            .order_by("pk")
            .values_list("kind", "before", "after")
        )


def notes(world, ticket) -> list[str]:
    with tenant_context(world.tenant):
        return list(
            Comment.objects.filter(ticket=ticket, is_public=False)
            .order_by("pk")
            .values_list("body", flat=True)
        )


def close(ticket) -> None:
    """Closed, as the automation leaves it (inside the caller's tenant)."""
    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(status="closed", closed_at=now, solved_at=now)


def history(world, report) -> list[str]:
    with tenant_context(world.tenant):
        return list(BugHistory.objects.filter(report=report).values_list("text", flat=True))


def test_filing_numbers_reports_links_the_ticket_and_writes_both_histories(world_a):
    first = file(world_a, world_a.ticket, severity="critical", scope="many")
    other = world_a.submit(subject="Second", answers={"app_version": "11.4"})
    second = file(world_a, other, title="Login loops")
    assert (first.number, second.number) == (1, 2)
    assert (first.severity, first.scope, first.status) == ("critical", "many", "new")
    assert first.created_by == world_a.users["agent"]
    # The ticket's version becomes the first affected version when none is given.
    assert second.affected_versions == "11.4"
    assert events(world_a, world_a.ticket) == [("bug_filed", "", "Bug #1: Restore stops at 40%")]
    assert history(world_a, first) == [f"Filed from ticket #{world_a.ticket.number}"]
    with tenant_context(world_a.tenant):
        assert BugLink.objects.get(report=first).ticket == world_a.ticket


def test_only_staff_file_and_input_is_checked(world_a):
    with pytest.raises(NotAllowed):
        file(world_a, world_a.ticket, role="customer")
    for values, fragment in [
        ({"title": "  "}, "title is required"),
        ({"title": "x" * 201}, "at most 200"),
        ({"title": "a\x00b"}, "NUL"),
        ({"title": "t", "severity": "blocker"}, "critical, major or minor"),
        ({"title": "t", "affected_versions": "11.4, eleven"}, "not a version number"),
        ({"title": "t", "affected_versions": "١١.٤"}, "not a version number"),
        ({"title": "t", "tracker_url": "javascript:alert(1)"}, "web address"),
        ({"title": "t", "owner": world_a.users["customer"]}, "agent of this helpdesk"),
        ({"title": "t", "number": 7}, "Not a bug report field"),
    ]:
        with tenant_context(world_a.tenant), pytest.raises(InvalidInput) as refused:
            services.bug_file(ticket=world_a.ticket, values=values, **staff(world_a))
        assert fragment in str(refused.value)
    with tenant_context(world_a.tenant):
        assert not BugReport.objects.exists()


def test_versions_are_normalised(world_a):
    report = file(world_a, world_a.ticket, affected_versions=" 11.3 ;11.4.1, 11.3,,")
    assert report.affected_versions == "11.3, 11.4.1"


def test_link_unlink_and_the_timeline(world_a):
    report = file(world_a, world_a.ticket)
    other = world_a.submit(subject="Same problem", role="customer")
    linked = link(world_a, report, other, role="manager")
    assert linked.pk == report.pk
    with pytest.raises(Conflict):
        link(world_a, report, other)
    with tenant_context(world_a.tenant):
        assert selectors.with_counts(BugReport.objects).get(pk=report.pk).ticket_count == 2
        services.bug_unlink(report=report, ticket=other, **staff(world_a))
        with pytest.raises(Conflict):
            services.bug_unlink(report=report, ticket=other, **staff(world_a))
    assert [kind for kind, _b, _a in events(world_a, other)] == ["bug_linked", "bug_unlinked"]
    assert history(world_a, report)[1:] == [
        f"Ticket #{other.number} linked",
        f"Ticket #{other.number} unlinked",
    ]


def test_fixed_notes_exactly_the_linked_unsolved_tickets(world_a):
    report = file(world_a, world_a.ticket)
    pending = world_a.submit(subject="Pending one")
    solved = world_a.submit(subject="Solved one")
    closed = world_a.submit(subject="Closed one")
    unlinked = world_a.submit(subject="Not linked")
    for ticket in (pending, solved, closed):
        link(world_a, report, ticket)
    with tenant_context(world_a.tenant):
        agent = world_a.users["agent"]
        ticket_set_status(ticket=pending, actor=agent, status="pending")
        ticket_set_status(ticket=solved, actor=agent, status="solved")
        ticket_set_status(ticket=closed, actor=agent, status="solved")
        close(closed)
    before = {t.pk: notes(world_a, t) for t in (world_a.ticket, pending, solved, closed, unlinked)}

    with pytest.raises(InvalidInput):
        set_status(world_a, report, "fixed")  # which version?
    with pytest.raises(InvalidInput):
        set_status(world_a, report, "fixed", fixed_in="11.5 beta")
    fixed = set_status(world_a, report, "fixed", fixed_in="11.5")
    assert (fixed.status, fixed.fixed_in) == ("fixed", "11.5") and fixed.fixed_at is not None

    note = "Bug #1 “Restore stops at 40%” is fixed in version 11.5."
    for ticket in (world_a.ticket, pending):  # new/open and pending: unsolved
        added = notes(world_a, ticket)[len(before[ticket.pk]) :]
        assert len(added) == 1 and added[0].startswith(note)
    for ticket in (solved, closed, unlinked):
        assert notes(world_a, ticket) == before[ticket.pk]
    assert world_a.refresh(pending).status == "pending"  # a note changes no status
    assert ("bug_fixed", "", "Bug #1: Restore stops at 40%") in events(world_a, solved)
    assert events(world_a, unlinked) == []
    assert history(world_a, report)[-1] == "Status: New → Fixed in 11.5"
    # Saving the same fix again writes nothing more.
    set_status(world_a, report, "fixed", fixed_in="11.5")
    assert len(notes(world_a, pending)) == len(before[pending.pk]) + 1
    # A ticket linked after the fix gets the note at once.
    late = world_a.submit(subject="Late")
    link(world_a, report, late)
    assert notes(world_a, late)[-1].startswith(note)


def test_status_moves_are_recorded_and_checked(world_a):
    report = file(world_a, world_a.ticket)
    set_status(world_a, report, "confirmed")
    set_status(world_a, report, "in_progress", role="agent")
    set_status(world_a, report, "in_progress")  # no change: nothing written
    set_status(world_a, report, "wont_fix")
    assert history(world_a, report)[1:] == [
        "Status: New → Confirmed",
        "Status: Confirmed → In progress",
        "Status: In progress → Won't fix",
    ]
    assert events(world_a, world_a.ticket)[1:] == [
        ("bug_status", "Bug #1: New", "Bug #1: Confirmed"),
        ("bug_status", "Bug #1: Confirmed", "Bug #1: In progress"),
        ("bug_status", "Bug #1: In progress", "Bug #1: Won't fix"),
    ]
    with pytest.raises(InvalidInput):
        set_status(world_a, report, "closed")
    with pytest.raises(NotAllowed):
        set_status(world_a, report, "new", role="customer")


def test_a_duplicate_hands_its_tickets_to_the_original(world_a):
    original = file(world_a, world_a.ticket, title="Original")
    second_ticket = world_a.submit(subject="Dup ticket")
    duplicate = file(world_a, second_ticket, title="Dup")
    with pytest.raises(InvalidInput):
        set_status(world_a, duplicate, "duplicate")
    with pytest.raises(Conflict):
        set_status(world_a, duplicate, "duplicate", duplicate_of=duplicate)
    set_status(world_a, duplicate, "duplicate", duplicate_of=original)
    with tenant_context(world_a.tenant):
        duplicate.refresh_from_db()
        assert duplicate.duplicate_of == original
        assert not BugLink.objects.filter(report=duplicate).exists()
        assert set(
            BugLink.objects.filter(report=original).values_list("ticket__number", flat=True)
        ) == {world_a.ticket.number, second_ticket.number}
    # The original cannot now duplicate its own duplicate (a cycle).
    with pytest.raises(Conflict):
        set_status(world_a, original, "duplicate", duplicate_of=duplicate)
    # Linking a ticket to the duplicate links it to the original.
    third = world_a.submit(subject="Third")
    assert link(world_a, duplicate, third).pk == original.pk
    assert events(world_a, second_ticket)[-1] == ("bug_linked", "Bug #2: Dup", "Bug #1: Original")
    assert history(world_a, original)[1] == f"From duplicate #2: #{second_ticket.number}"


def test_comments_and_edits(world_a):
    report = file(world_a, world_a.ticket)
    with tenant_context(world_a.tenant):
        comment = services.bug_comment(report=report, body=" Repro on 11.4 ", **staff(world_a))
        with pytest.raises(InvalidInput):
            services.bug_comment(report=report, body="", **staff(world_a))
        services.bug_update(
            report=report,
            values={"severity": "minor", "owner": world_a.users["manager"], "title": "Restore"},
            **staff(world_a),
        )
        report.refresh_from_db()
    assert comment.body == "Repro on 11.4"
    assert (report.severity, report.owner, report.title) == (
        "minor",
        world_a.users["manager"],
        "Restore",
    )
    assert history(world_a, report)[-1] == "Changed severity, owner, title"


def test_the_list_orders_by_impact_and_filters(world_a):
    minor = file(world_a, world_a.ticket, title="Minor glitch", severity="minor")
    major = file(world_a, world_a.submit(subject="m"), title="Major crash", severity="major")
    busy = file(world_a, world_a.submit(subject="b"), title="Major slow", severity="major")
    link(world_a, busy, world_a.submit(subject="b2", role="manager"))  # a second customer
    lost = world_a.submit(subject="c")
    critical = file(world_a, lost, title="Critical loss", severity="critical")
    set_status(world_a, critical, "fixed", fixed_in="11.5")
    with tenant_context(world_a.tenant):
        everything = list(selectors.bug_list(selectors.ListFilters()))
        unresolved = list(selectors.bug_list(selectors.ListFilters(status="open")))
        by_version = list(selectors.bug_list(selectors.ListFilters(version="11.4")))
        found = list(selectors.bug_list(selectors.ListFilters(q="#2")))
        crash = list(selectors.bug_list(selectors.ListFilters(q="crash")))
    # Unresolved first; then severity; then customers affected.
    assert [r.pk for r in everything] == [busy.pk, major.pk, minor.pk, critical.pk]
    assert everything[0].customer_count == 2 and everything[0].ticket_count == 2
    assert [r.pk for r in unresolved] == [busy.pk, major.pk, minor.pk]
    assert by_version == []
    assert [r.pk for r in found] == [major.pk] and [r.pk for r in crash] == [major.pk]


def test_version_filter_matches_whole_versions(world_a):
    a = file(world_a, world_a.ticket, title="a", affected_versions="11.4")
    b = file(world_a, world_a.submit(subject="b"), title="b", affected_versions="11.40, 12")
    c = file(world_a, world_a.submit(subject="c"), title="c", affected_versions="10, 11.4, 12")
    with tenant_context(world_a.tenant):
        hits = {r.pk for r in selectors.bug_list(selectors.ListFilters(version="11.4"))}
        twelve = {r.pk for r in selectors.bug_list(selectors.ListFilters(version="12"))}
    assert hits == {a.pk, c.pk} and twelve == {b.pk, c.pk}


def test_supported_version_rule(world_a):
    with tenant_context(world_a.tenant):
        tenant_settings_update(tenant=world_a.tenant, settings={"current_app_version": "11.4"})
    old = world_a.submit(subject="Old app", answers={"app_version": "11.3"})
    current = world_a.submit(subject="Current app", answers={"app_version": "11.4"})
    assert old.app_version_outdated and not current.app_version_outdated

    # Filing against an unsupported version needs the agent to confirm.
    with pytest.raises(services.UnsupportedVersion) as refused:
        file(world_a, old)
    assert "11.3" in str(refused.value) and refused.value.code == "unsupported_version"
    report = file(world_a, current)
    with pytest.raises(services.UnsupportedVersion):
        link(world_a, report, old)
    link(world_a, report, old, confirm_version=True)
    set_status(world_a, report, "fixed", fixed_in="11.5")

    # The tenant ships the fix: 11.5 becomes current, and 11.4 tickets are flagged too.
    closed = world_a.submit(subject="Closed on 11.4", answers={"app_version": "11.4"})
    with tenant_context(world_a.tenant):
        close(closed)
        tenant_settings_update(tenant=world_a.tenant, settings={"current_app_version": "11.5"})
    assert world_a.refresh(current).app_version_outdated
    assert world_a.refresh(old).app_version_outdated
    assert not world_a.refresh(closed).app_version_outdated  # closed tickets never change
    newest = world_a.submit(subject="New app", answers={"app_version": "11.5"})
    assert not newest.app_version_outdated
    # Going back (a bad release withdrawn) lifts the flag from the tickets it no longer fits.
    with tenant_context(world_a.tenant):
        tenant_settings_update(tenant=world_a.tenant, settings={"current_app_version": "11.4"})
    assert not world_a.refresh(current).app_version_outdated
    assert world_a.refresh(old).app_version_outdated


def test_reports_stay_in_their_tenant(world_a, world_b):
    report = file(world_a, world_a.ticket)
    with tenant_context(world_b.tenant):
        assert not BugReport.objects.filter(pk=report.pk).exists()
        assert selectors.search("Restore") == []
        assert selectors.report_by_number(report.number) is None
        with pytest.raises(Exception):  # noqa: B017 (the ORM refuses another tenant's row)
            services.bug_link(report=report, ticket=world_b.ticket, **staff(world_b))
    with tenant_context(world_b.tenant):
        assert not BugLink.objects.exists()
