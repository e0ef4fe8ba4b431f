"""The CSAT report's date range: only dates in a sane window, and no input that can 500."""

from datetime import UTC, date, datetime, timedelta

import pytest

from surveys.models import SurveyInvitation
from surveys.reports import csat
from tenants.context import tenant_context

URL = "/agent/reports/csat/"


@pytest.fixture
def manager(world_a, as_member):
    return as_member(world_a.users["manager"], world_a.tenant)


# A NUL byte is refused by the request boundary (core middleware) or, without it, by the form.
NUL = ("NUL character", "Enter a valid date")

BAD_RANGES = [
    pytest.param(
        "start=9998-12-31&end=9999-12-31", "between Jan 1, 2000 and Dec 31, 2100", id="y9999"
    ),
    pytest.param(
        "start=2100-12-31&end=9999-12-31", "between Jan 1, 2000 and Dec 31, 2100", id="end"
    ),
    pytest.param(
        "start=0001-01-01&end=0001-01-07", "between Jan 1, 2000 and Dec 31, 2100", id="y1"
    ),
    pytest.param(
        "start=1999-12-31&end=2000-01-06", "between Jan 1, 2000 and Dec 31, 2100", id="y1999"
    ),
    pytest.param("start=²&end=2026-03-01", "Enter a valid date", id="superscript"),
    pytest.param("start=%00&end=2026-03-01", NUL, id="nul"),
    pytest.param("start=2026-01-01%00&end=2026-03-01", NUL, id="date-then-nul"),
    pytest.param(f"start={'9' * 100_000}&end=2026-03-01", "Enter a valid date", id="huge"),
    pytest.param("start=2026-02-30&end=2026-03-01", "Enter a valid date", id="feb-30"),
    pytest.param("start=&end=", "This field is required", id="empty"),
]


@pytest.mark.parametrize(("query", "message"), BAD_RANGES)
@pytest.mark.parametrize(
    "period", ["", "&period=week", "&period=month"], ids=["-", "week", "month"]
)
@pytest.mark.parametrize("export", ["", "&format=csv"], ids=["page", "csv"])
def test_bad_dates_are_a_form_error_never_a_500(manager, query, message, period, export):
    response = manager.get(f"{URL}?{query}{period}{export}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    messages = message if isinstance(message, tuple) else (message,)
    assert any(m in response.content.decode() for m in messages)


def test_an_unknown_period_is_a_form_error_and_no_period_means_weeks(manager):
    response = manager.get(f"{URL}?start=2026-01-01&end=2026-03-01&period=year")
    assert response.status_code == 400 and "not one of" in response.content.decode()
    page = manager.get(f"{URL}?start=2026-03-02&end=2026-03-15").content.decode()
    assert "Week of Mar 02, 2026" in page and "Week of Mar 09, 2026" in page


@pytest.mark.parametrize("period", ["week", "month"])
@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2100-12-25", "2100-12-31"),
        ("2099-01-01", "2100-12-31"),
        ("2000-01-01", "2000-01-01"),
        ("2000-01-01", "2001-12-31"),
    ],
)
def test_every_accepted_range_renders_up_to_the_edges_of_the_window(manager, start, end, period):
    query = f"start={start}&end={end}&period={period}"
    page = manager.get(f"{URL}?{query}")
    assert page.status_code == 200
    export = manager.get(f"{URL}?{query}&format=csv")
    assert export.status_code == 200 and export["Content-Type"] == "text/csv"
    assert export.content.decode().splitlines()[-1].startswith("total,All,0,0,0")


def test_the_last_week_and_month_of_the_window_are_counted(world_a):
    with tenant_context(world_a.tenant):
        ticket = world_a.submit(subject="Rated at the end of the century")
        sent = datetime(2100, 12, 30, 18, tzinfo=UTC)
        SurveyInvitation.objects.create(
            ticket=ticket,
            agent=world_a.users["agent"],
            recipient="c@example.com",
            sent_at=sent,
            expires_at=sent + timedelta(days=14),
            rating="good",
            answered_at=sent,
        )
        weeks = csat(date(2100, 12, 25), date(2100, 12, 31), "week")["by_period"]
        months = csat(date(2100, 12, 25), date(2100, 12, 31), "month")["by_period"]
    assert [(r.label, r.sent, r.good) for r in weeks] == [
        ("Week of Dec 20, 2100", 0, 0),
        ("Week of Dec 27, 2100", 1, 1),
    ]
    assert [(r.label, r.sent, r.good) for r in months] == [("December 2100", 1, 1)]


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(9998, 12, 31), date(9999, 12, 31)), (date.min, date(2000, 1, 1))],
)
def test_the_report_refuses_dates_outside_the_window_instead_of_overflowing(world_a, start, end):
    with tenant_context(world_a.tenant), pytest.raises(ValueError, match="between"):
        csat(start, end)
