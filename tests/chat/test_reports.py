"""The managers' chat report: figures from chats placed at known times, hours of the tenant's
day, who may read it, tenants kept apart, hostile parameters, and a bounded number of queries."""

from __future__ import annotations

import random
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat.models import Chat
from chat.reports import PERIODS, WAIT, chat_report, duration_text, percentiles
from tenants.context import tenant_context
from tenants.models import Tenant

URL = "/agent/chats/report/"
# Tuesday, Jan 20, 2026, 12:00 in Chicago (CST, UTC-6): the reports are read "now".
NOW = datetime(2026, 1, 20, 18, 0, tzinfo=UTC)
NBSP = "\N{NO-BREAK SPACE}"
S = timedelta(seconds=1)
M = timedelta(minutes=1)


def make_chat(world, created, *, wait=None, handle=None, missed_after=None, agent="agent"):
    """A chat started at ``created``, taken ``wait`` later (by ``agent``) and ended ``handle``
    after that; or, with ``missed_after``, given up before anyone took it."""
    accepted = created + wait if wait is not None else None
    ended = None
    if accepted is not None and handle is not None:
        ended, status = accepted + handle, Chat.Status.ENDED
    elif accepted is not None:
        status = Chat.Status.ACTIVE
    elif missed_after is not None:
        ended, status = created + missed_after, Chat.Status.MISSED
    else:
        status = Chat.Status.WAITING
    with tenant_context(world.tenant):
        chat = Chat.objects.create(
            token=secrets.token_urlsafe(16),
            visitor_key=secrets.token_urlsafe(24),
            name="Casey Customer",
            email="casey@example.net",
            topic="Backup stuck",
        )
        # created_at is set on insert (auto_now_add): placed afterwards, like the rest.
        Chat.objects.filter(pk=chat.pk).update(
            created_at=created,
            accepted_at=accepted,
            ended_at=ended,
            status=status,
            agent=world.users[agent] if accepted is not None else None,
        )
    return chat


def report_of(world, days=7, now=NOW):
    with tenant_context(world.tenant):
        return chat_report(days, now)


def utc(day, hour, minute=0):
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def chats(world_a, world_b):
    """Five chats of A's in the last 7 days, one before them, and B's own."""
    # Monday Jan 19: 14:30 and 14:45 UTC are 08:30 and 08:45 in Chicago.
    make_chat(world_a, utc(19, 14, 30), wait=30 * S, handle=10 * M)
    make_chat(world_a, utc(19, 14, 45), wait=90 * S, handle=20 * M, agent="manager")
    make_chat(world_a, utc(19, 15, 10), missed_after=5 * M)  # 09:10, nobody took it
    make_chat(world_a, utc(20, 16, 0), wait=60 * S)  # 10:00 today, still in progress
    make_chat(world_a, utc(20, 16, 30))  # 10:30 today, still waiting
    make_chat(world_a, utc(10, 15, 0), wait=5 * S, handle=M)  # Jan 10: before the 7 days
    for _ in range(3):  # B's chats: never in A's figures
        make_chat(world_b, utc(19, 14, 30), missed_after=M)
    return world_a


# --- Figures --------------------------------------------------------------------------------


def test_totals_percentiles_and_rates(chats):
    report = report_of(chats)
    t = report.totals
    assert (t.offered, t.answered, t.missed, t.waiting, t.active) == (5, 3, 1, 1, 1)
    assert t.missed_rate == "20%"
    # Waits of the answered chats: 30, 60, 90 s. The 90th percentile lies at rank 0.9 * 2 =
    # 1.8: 60 s + 0.8 * (90 - 60) s (percentile_cont's linear interpolation).
    assert t.wait_median == 60 * S
    assert t.wait_p90 == 84 * S
    # Handle time of the answered chats that ended: 10 and 20 minutes.
    assert t.handle_median == 15 * M and t.handled == 2
    assert (t.wait_median_text, t.wait_p90_text, t.handle_median_text) == (
        f"1{NBSP}min",
        f"1{NBSP}min 24{NBSP}s",
        f"15{NBSP}min",
    )
    assert report.period_text == "Jan 14, 2026 – Jan 20, 2026"


def test_per_agent_rows(chats):
    rows = {row.name: row for row in report_of(chats).agents}
    assert list(rows) == ["agent alpha", "manager alpha"]  # most answered first
    assert (rows["agent alpha"].answered, rows["agent alpha"].handled) == (2, 1)
    assert rows["agent alpha"].handle_median == 10 * M
    assert (rows["manager alpha"].answered, rows["manager alpha"].handle_median) == (1, 20 * M)


def test_hours_of_day_in_the_tenants_zone(chats):
    report = report_of(chats)
    assert [row.hour for row in report.hours] == list(range(24))
    busy = {row.hour: row for row in report.hours if row.offered}
    assert list(busy) == [8, 9, 10]  # Chicago hours; in UTC these were 14, 15 and 16
    assert (busy[8].offered, busy[8].answered, busy[8].missed) == (2, 2, 0)
    assert busy[8].wait_median == 60 * S and busy[8].handle_median == 15 * M
    assert (busy[9].offered, busy[9].missed, busy[9].missed_rate) == (1, 1, "100%")
    assert busy[9].wait_median is None and busy[9].wait_median_text == "—"
    assert (busy[10].offered, busy[10].answered, busy[10].wait_median) == (2, 1, 60 * S)
    assert busy[10].handle_median is None  # in progress: no handle time yet
    assert report.hours[8].label == "08:00–08:59"
    chart = report.hours_chart
    assert chart.id == "chat-hours" and not chart.empty
    assert [s.name for s in chart.legend] == ["Offered", "Missed"]
    assert chart.table_rows[8] == ("08:00–08:59", ["2", "0"])
    assert chart.table_rows[9] == ("09:00–09:59", ["1", "1"])
    assert "Offered: 5 in all" in chart.desc and "Missed: 1 in all" in chart.desc


def test_an_hour_is_the_local_hour_summer_time_and_other_zones_included(world_a):
    # 14:30 UTC: 08:30 in Chicago in winter (CST), 09:30 in summer (CDT).
    make_chat(world_a, datetime(2026, 1, 19, 14, 30, tzinfo=UTC), wait=S)
    make_chat(world_a, datetime(2026, 7, 14, 14, 30, tzinfo=UTC), wait=S)
    winter = report_of(world_a, 7, NOW)
    summer = report_of(world_a, 7, datetime(2026, 7, 15, 17, 0, tzinfo=UTC))
    assert [r.hour for r in winter.hours if r.offered] == [8]
    assert [r.hour for r in summer.hours if r.offered] == [9]
    # The same chats for a desk in India (UTC+05:30): 20:00.
    Tenant.objects.filter(pk=world_a.tenant.pk).update(time_zone="Asia/Kolkata")
    world_a.tenant.refresh_from_db()
    kolkata = report_of(world_a, 7, NOW)
    assert [r.hour for r in kolkata.hours if r.offered] == [20]
    assert kolkata.hours_chart.texts[-1].text == "Hour of day (Asia/Kolkata)"


def test_the_period_runs_from_local_midnight(world_a):
    # The 7 days to Tuesday Jan 20 start on Wednesday Jan 14, 00:00 in Chicago: 06:00 UTC.
    make_chat(world_a, utc(14, 6, 0), missed_after=M)
    make_chat(world_a, utc(14, 5, 59), missed_after=M)
    report = report_of(world_a, 7)
    assert report.totals.offered == 1
    assert [r.hour for r in report.hours if r.offered] == [0]
    assert report_of(world_a, 30).totals.offered == 2
    with pytest.raises(ValueError):
        report_of(world_a, 8)


def test_percentiles_match_percentile_cont_with_ties_and_groups(world_a):
    rng = random.Random(7)
    waits = [rng.choice([5, 5, 12, 30, 30, 31, 47, 90, 240, 600]) for _ in range(37)]
    hours = [rng.choice([8, 9, 15]) for _ in waits]
    for wait, hour in zip(waits, hours, strict=True):
        make_chat(world_a, utc(19, hour + 6, 7), wait=wait * S, handle=M)
    report = report_of(world_a)

    def cont(values, p):  # percentile_cont, by the book
        values = sorted(values)
        rank = p / 100 * (len(values) - 1)
        low = int(rank)
        high = min(low + 1, len(values) - 1)
        return values[low] + (values[high] - values[low]) * (rank - low)

    assert report.totals.wait_median.total_seconds() == pytest.approx(cont(waits, 50))
    assert report.totals.wait_p90.total_seconds() == pytest.approx(cont(waits, 90), abs=1e-6)
    for hour in (8, 9, 15):
        mine = [w for w, h in zip(waits, hours, strict=True) if h == hour]
        assert report.hours[hour].wait_median.total_seconds() == pytest.approx(cont(mine, 50))
        assert report.hours[hour].offered == len(mine)


@pytest.mark.postgres
def test_percentiles_equal_postgresqls_percentile_cont(world_a):
    rng = random.Random(11)
    for _ in range(23):
        make_chat(world_a, utc(19, 15), wait=rng.randint(1, 900) * S, handle=rng.randint(1, 99) * M)
    with tenant_context(world_a.tenant):
        mine = percentiles(
            Chat.objects.filter(accepted_at__isnull=False),
            WAIT,
            (50, 90),
            {"all": None},
        )["all"][None]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY accepted_at - created_at),"
                " percentile_cont(0.9) WITHIN GROUP (ORDER BY accepted_at - created_at)"
                " FROM chat_chat WHERE tenant_id = %s AND accepted_at IS NOT NULL",
                [world_a.tenant.pk],
            )
            median, p90 = cursor.fetchone()
    assert (mine[50], mine[90]) == (median, p90)


def test_a_period_without_chats_is_an_empty_state(world_a):
    with tenant_context(world_a.tenant), CaptureQueriesContext(connection) as queries:
        report = chat_report(30, NOW)
    assert report.empty and report.hours == [] and report.hours_chart is None
    assert len(queries) == 1  # the totals say there is nothing more to ask


def test_duration_text():
    def text(delta):  # a number and its unit are kept together by a no-break space
        return duration_text(delta).replace(NBSP, "_")

    assert [text(d) for d in (None, 0 * S, 45 * S, 60 * S, 125 * S)] == [
        "—",
        "0_s",
        "45_s",
        "1_min",
        "2_min 5_s",
    ]
    # From ten minutes on, to the minute: seconds would only crowd the figure.
    assert text(timedelta(minutes=9, seconds=59)) == "9_min 59_s"
    assert text(timedelta(minutes=14, seconds=37)) == "15_min"
    assert text(timedelta(minutes=59, seconds=40)) == "1_h"
    assert text(timedelta(hours=1, minutes=4, seconds=20)) == "1_h 4_min"
    assert text(timedelta(hours=3)) == "3_h"
    assert text(timedelta(days=2, minutes=1)) == "48_h 1_min"


# --- The page -------------------------------------------------------------------------------


def get(client, query=""):
    with time_machine.travel(NOW, tick=False):
        return client.get(URL + query)


def test_the_page_shows_the_figures_chart_and_tables(chats, as_member):
    response = get(as_member(chats.users["manager"], chats.tenant), "?days=7")
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["report"].totals.offered == 5
    assert '<span class="stat-number">5</span> chats offered' in page
    assert "1 waiting now, 1 in progress" in page
    assert '<span class="stat-number">1</span> missed<br><span class="muted">20% of offered' in page
    assert f'<span class="stat-number">1{NBSP}min</span> median wait' in page
    assert f"90th percentile 1{NBSP}min 24{NBSP}s" in page
    assert f'<span class="stat-number">15{NBSP}min</span> median handle time' in page
    assert 'role="img" aria-labelledby="chat-hours-title"' in page
    assert '<title id="chat-hours-title">Chats by hour of day, last 7 days</title>' in page
    assert "Hours of the day are in America/Chicago." in page
    assert '<th scope="row">08:00</th>' in page and "2&nbsp;missed" not in page
    assert "1&nbsp;missed" in page  # the 09:00 hour
    assert '<option value="7" selected>Last 7 days</option>' in page
    # The navigation marks the page; the chats console's link does not claim it.
    assert 'href="/agent/chats/report/" aria-current="page"' in page
    assert 'href="/agent/chats/" aria-current="page"' not in page


def test_the_default_period_is_30_days(chats, as_member):
    client = as_member(chats.users["admin"], chats.tenant)
    for query in ("", "?days=", "?other=1"):
        response = get(client, query)
        assert response.status_code == 200
        assert response.context["report"].days == 30
        assert response.context["report"].totals.offered == 6  # Jan 10 is in the 30 days


def test_an_empty_period_says_so_without_zeros(world_a, as_member):
    response = get(as_member(world_a.users["manager"], world_a.tenant))
    page = response.content.decode()
    assert response.status_code == 200
    assert "No chats in the last 30 days" in page
    assert "stat-number" not in page and "chat-hours-title" not in page


@pytest.mark.parametrize("role", ["agent", "customer"])
def test_only_managers_and_admins_may_read_it(chats, as_member, role):
    response = get(as_member(chats.users[role], chats.tenant))
    assert response.status_code == 403
    assert b"chats offered" not in response.content


def test_signed_out_and_strangers_are_sent_away(chats, world_b, client, as_member):
    client.defaults["HTTP_HOST"] = chats.tenant.host
    assert get(client).status_code == 302
    stranger = get(as_member(world_b.users["manager"], chats.tenant))
    assert stranger.status_code == 302 and "/join/" in stranger["Location"]


def test_managers_do_not_see_other_tenants_chats(chats, world_b, as_member):
    mine = get(as_member(world_b.users["manager"], world_b.tenant), "?days=7")
    assert mine.context["report"].totals.offered == 3
    assert mine.context["report"].agents == []
    assert b"agent alpha" not in mine.content and b"manager alpha" not in mine.content
    theirs = get(as_member(chats.users["manager"], chats.tenant), "?days=7")
    assert theirs.context["report"].totals.offered == 5


@pytest.mark.parametrize(
    "value",
    [
        "0",
        "8",
        "-7",
        "7.0",
        " 7",
        "1e1",
        "３０",  # fullwidth digits
        "٣٠",  # Arabic-Indic digits
        "9" * 10_000,
        "😀",
        "\udcff",
    ],
)
def test_hostile_periods_are_a_form_error(chats, as_member, value):
    response = get(
        as_member(chats.users["manager"], chats.tenant),
        "?days=" + quote(value, errors="surrogatepass"),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose one of the periods in the list." in page
    assert "stat-number" not in page


def test_raw_bytes_and_repeated_parameters(chats, as_member):
    client = as_member(chats.users["manager"], chats.tenant)
    assert get(client, "?days=%FF%FE").status_code == 400
    # NUL is refused before any view (core.middleware), with its own 400 page.
    for nul in ("?days=30%00", "?days=%00", "?%00=7"):
        response = get(client, nul)
        assert response.status_code == 400 and b"NUL" in response.content
    repeated = get(client, "?days=30&days=7")  # the last one counts, as everywhere
    assert repeated.status_code == 200 and repeated.context["report"].days == 7
    with time_machine.travel(NOW, tick=False):
        assert client.post(URL, {"days": "7"}).status_code == 405


def test_every_period_in_the_list_answers(chats, as_member):
    client = as_member(chats.users["manager"], chats.tenant)
    for days in PERIODS:
        assert get(client, f"?days={days}").status_code == 200


# --- Queries --------------------------------------------------------------------------------


def test_a_bounded_number_of_queries_whatever_the_number_of_chats(
    chats, as_member, django_assert_max_num_queries
):
    client = as_member(chats.users["manager"], chats.tenant)
    get(client, "?days=90")  # warm: the session and site caches
    with CaptureQueriesContext(connection) as few:
        assert get(client, "?days=90").status_code == 200
    roles = ["agent", "manager", "admin"]
    for i in range(60):  # many more chats, in every hour, for three agents
        start = NOW - timedelta(days=i % 80, hours=i % 24, minutes=i)
        if i % 4:
            make_chat(chats, start, wait=i * S, handle=i * M, agent=roles[i % 3])
        else:
            make_chat(chats, start, missed_after=i * S)
    with django_assert_max_num_queries(len(few)):
        response = get(client, "?days=90")
    assert response.context["report"].totals.offered == 66
    with tenant_context(chats.tenant), CaptureQueriesContext(connection) as figures:
        chat_report(90, NOW)
    # Totals, hours, the two percentile queries, agents: no query per chat, hour or agent.
    assert len(figures) == 5
