"""The overview's charts: drawn with the right figures and names, escaped, and built from a fixed
number of queries whatever the volume."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.context import tenant_context
from tests.charts_data import CREATED, SOLVED, seed_charts

URL = "/agent/overview/"


def seed(world, scale=1):
    with tenant_context(world.tenant):
        return seed_charts(
            customer=world.users["customer"],
            customer_membership=world.memberships["customer"],
            agents=[
                (world.users["agent"], world.memberships["agent"]),
                (world.users["manager"], world.memberships["manager"]),
            ],
            scale=scale,
        )


def test_overview_draws_the_trend_backlog_and_assignees(world_a, as_member):
    seed(world_a)
    response = as_member(world_a.users["manager"], world_a.tenant).get(URL)
    page = response.content.decode()
    ctx = response.context
    created = [*CREATED[:-1], CREATED[-1] + 1]  # and the world's own ticket, made today
    assert [(c, s) for _, c, s in ctx["daily"]] == list(zip(created, SOLVED, strict=True))
    trend = ctx["trend_chart"]
    assert trend.title == "Tickets created and solved, last 14 days"
    assert [row[1] for row in trend.table_rows] == [
        [str(c), str(s)] for c, s in zip(created, SOLVED, strict=True)
    ]
    assert f"Created: {sum(created)} in all, highest 7" in trend.desc
    assert f"Solved: {sum(SOLVED)} in all" in trend.desc
    assert ctx["new_today"] == created[-1] and ctx["solved_today"] == SOLVED[-1]
    for chart_id, name in [
        ("overview-trend", "Tickets created and solved, last 14 days"),
        ("overview-backlog", "Unsolved tickets by priority"),
        ("overview-assignees", "Unsolved tickets per assignee"),
    ]:
        assert (
            f'role="img" aria-labelledby="{chart_id}-title" aria-describedby="{chart_id}-desc"'
            in page
        )
        assert f'<title id="{chart_id}-title">{name}</title>' in page
    # The backlog chart's bars carry each priority's total; the table the status breakdown.
    backlog = ctx["backlog_chart"]
    totals = {row["label"]: row["total"] for row in ctx["backlog_rows"]}
    assert backlog.table_rows == [(label, [str(n)]) for label, n in totals.items()]
    assert sum(totals.values()) == ctx["backlog_total"]
    assert 'class="bar' not in page  # no more bars inside table cells (cut off, defect 6)
    assert ctx["assignee_chart"].table_rows == [
        (row["assignee__name"] or row["assignee__email"] or "Unassigned", [str(row["n"])])
        for row in ctx["per_agent"]
    ]
    assert ctx["per_agent"][0]["n"] > ctx["per_agent"][-1]["n"]  # busiest first


def test_an_empty_desk_shows_sentences_not_empty_frames(world_a, as_member):
    page = as_member(world_a.users["manager"], world_a.tenant).get(URL).content.decode()
    # The world's own ticket was made just now: today has one created ticket, so the trend
    # draws; a desk with nothing in two weeks says so.
    assert 'aria-labelledby="overview-trend-title"' in page
    with tenant_context(world_a.tenant):
        from tickets.models import Ticket

        Ticket.objects.all().delete()
    page = as_member(world_a.users["manager"], world_a.tenant).get(URL).content.decode()
    assert "No tickets were created or solved in the last 14 days." in page
    assert "Nothing unsolved: the backlog is empty." in page
    assert 'role="img"' not in page.split("<main", 1)[1]


def test_hostile_names_are_escaped_in_the_charts(world_a, as_member):
    agent = world_a.users["agent"]
    agent.name = '<img src=x onerror="alert(1)">Eve & "Co"'
    agent.save()
    seed(world_a)
    page = as_member(world_a.users["manager"], world_a.tenant).get(URL).content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;Eve &amp; &quot;Co&quot;" in page


def _queries(client, url) -> int:
    client.get(url)  # warm: sessions, caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_overview_and_reports_cost_the_same_queries_for_five_times_the_data(world_a, as_member):
    client = as_member(world_a.users["manager"], world_a.tenant)
    urls = [
        URL,
        "/agent/reports/csat/",
        "/agent/reports/csat/?start=2025-01-01&end=2026-12-31&period=week",
        "/agent/escalations/report/",
    ]
    seed(world_a)
    small = {url: _queries(client, url) for url in urls}
    seed(world_a, scale=4)
    large = {url: _queries(client, url) for url in urls}
    assert large == small
