"""CSAT figures against a fixture with known counts, including empty periods and no ratings."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from surveys.models import SurveyInvitation
from surveys.reports import Row, csat
from tenants.context import tenant_context


@pytest.fixture
def ratings(world_a):
    """Week of Mar 2: agent 2 good + 1 bad + 1 unanswered; manager 1 bad.
    Week of Mar 9: nothing. Week of Mar 16: agent 1 good (urgent)."""
    w = world_a
    rows = [
        ("agent", "good", datetime(2026, 3, 2, 18, tzinfo=UTC), "normal"),
        ("agent", "good", datetime(2026, 3, 3, 18, tzinfo=UTC), "normal"),
        ("agent", "bad", datetime(2026, 3, 4, 18, tzinfo=UTC), "high"),
        ("agent", "", datetime(2026, 3, 5, 18, tzinfo=UTC), "high"),
        ("manager", "bad", datetime(2026, 3, 6, 18, tzinfo=UTC), "normal"),
        ("agent", "good", datetime(2026, 3, 17, 18, tzinfo=UTC), "urgent"),
    ]
    with tenant_context(w.tenant):
        for i, (who, rating, sent, priority) in enumerate(rows):
            ticket = w.submit(subject=f"rated {i}", priority=priority)
            SurveyInvitation.objects.create(
                ticket=ticket,
                agent=w.users[who],
                recipient="c@example.com",
                sent_at=sent,
                expires_at=sent + timedelta(days=14),
                rating=rating,
                comment="Too slow" if rating == "bad" else "",
                answered_at=sent if rating else None,
            )
    return w


def test_figures_by_dimension_and_week(ratings):
    with tenant_context(ratings.tenant):
        data = csat(date(2026, 3, 2), date(2026, 3, 22))
    total = data["total"]
    assert (total.sent, total.good, total.bad) == (6, 3, 2)
    assert total.score == pytest.approx(3 / 5) and total.response_rate == pytest.approx(5 / 6)
    by_agent = {r.label: (r.sent, r.good, r.bad) for r in data["by_agent"]}
    assert by_agent == {"agent alpha": (5, 3, 1), "manager alpha": (1, 0, 1)}
    by_priority = {r.label: (r.sent, r.good, r.bad) for r in data["by_priority"]}
    assert by_priority == {"High": (2, 0, 1), "Normal": (3, 2, 1), "Urgent": (1, 1, 0)}
    weeks = [(r.label, r.sent, r.score) for r in data["by_period"]]
    assert weeks == [
        ("Week of Mar 02, 2026", 5, pytest.approx(2 / 4)),
        ("Week of Mar 09, 2026", 0, None),  # an empty week: no division by zero
        ("Week of Mar 16, 2026", 1, 1.0),
    ]
    assert [s.comment for s in data["latest"]] == ["Too slow", "Too slow"]


def test_no_ratings_at_all_shows_dashes(world_a, as_member):
    with tenant_context(world_a.tenant):
        data = csat(date(2026, 1, 1), date(2026, 1, 31), "month")
    assert data["total"].score is None and data["total"].response_rate is None
    assert Row("x", 3, 0, 0).score is None and Row("x", 3, 0, 0).response_rate == 0
    page = as_member(world_a.users["manager"], world_a.tenant).get(
        "/agent/reports/csat/?start=2026-01-01&end=2026-01-31&period=month"
    )
    assert page.status_code == 200 and "—" in page.content.decode()


def test_report_page_csv_and_validation(ratings, as_member):
    manager = as_member(ratings.users["manager"], ratings.tenant)
    query = "start=2026-03-02&end=2026-03-22&period=week"
    page = manager.get(f"/agent/reports/csat/?{query}").content.decode()
    assert "60%" in page and "83%" in page  # satisfaction 3/5, response rate 5/6
    rows = list(
        csv.reader(
            io.StringIO(manager.get(f"/agent/reports/csat/?{query}&format=csv").content.decode())
        )
    )
    assert rows[0] == ["dimension", "group", "sent", "good", "bad", "satisfaction", "response rate"]
    assert ["total", "All", "6", "3", "2", "60.0%", "83.3%"] in rows
    assert ["period", "Week of Mar 09, 2026", "0", "0", "0", "", ""] in rows
    backwards = manager.get("/agent/reports/csat/?start=2026-03-22&end=2026-03-02&period=week")
    assert (
        backwards.status_code == 400 and "start date must be before" in backwards.content.decode()
    )
    agent = as_member(ratings.users["agent"], ratings.tenant)
    assert agent.get("/agent/reports/csat/").status_code == 403
