from datetime import UTC, datetime, timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets.models import Ticket


def test_overview_figures_for_managers_only(world_a, as_member):
    start = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Monday 09:00 Chicago
    with time_machine.travel(start, tick=False) as clock:
        urgent = world_a.submit(subject="Urgent thing", priority="urgent")
        clock.move_to(start + timedelta(minutes=1))
        world_a.submit(subject="Normal thing")
        clock.move_to(start + timedelta(minutes=2))
        pending = world_a.submit(subject="Waiting thing", priority="high")
        world_a.reply(pending, "agent", "Need logs", submit_as=Ticket.Status.PENDING)
        clock.move_to(start + timedelta(hours=3))  # urgent's first reply (2h) is now late
        assert (
            as_member(world_a.users["agent"], world_a.tenant).get("/agent/overview/").status_code
            == 403
        )
        client = as_member(world_a.users["manager"], world_a.tenant)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/agent/overview/")
        page = response.content.decode()
    assert response.status_code == 200
    # A fixed number of queries: the figures, plus the workspace navigation's bounded counts.
    assert len(queries) < 30
    ctx = response.context
    assert ctx["backlog_total"] == 4  # three here + the world's own ticket (real "now")
    urgent_row = next(row for row in ctx["backlog_rows"] if row["key"] == "urgent")
    assert urgent_row["counts"] == [1, 0, 0] and urgent_row["total"] == 1
    high_row = next(row for row in ctx["backlog_rows"] if row["key"] == "high")
    assert high_row["counts"] == [0, 0, 1]
    assert ctx["overdue_count"] == 1 and ctx["overdue"][0].pk == urgent.pk
    assert ctx["new_today"] == 3
    assert [t.subject for t in ctx["oldest"]][:3] == [
        "Urgent thing",
        "Normal thing",
        "Waiting thing",
    ]
    assert "Unassigned" in page and "Urgent thing" in page


def test_the_overview_is_kept_a_minute_per_tenant(world_a, world_b, as_member, settings):
    settings.OVERVIEW_CACHE_SECONDS = 60
    start = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        client = as_member(world_a.users["manager"], world_a.tenant)
        first = client.get("/agent/overview/").context["backlog_total"]
        world_a.submit(subject="One more")
        # Within the minute: the same figures, and the page says when they were made.
        again = client.get("/agent/overview/")
        assert again.context["backlog_total"] == first
        assert "Figures as of" in again.content.decode()
        # Another tenant never gets these figures.
        other = as_member(world_b.users["manager"], world_b.tenant).get("/agent/overview/")
        assert other.context["backlog_total"] == 1  # bravo's own world ticket
        clock.move_to(start + timedelta(seconds=61))
        assert client.get("/agent/overview/").context["backlog_total"] == first + 1
