"""The help-center report: views, votes ("N out of M"), and the ticket form's suggestions:
followed by a ticket, deflected, or too recent to tell. Known rows in, exact figures out;
another tenant's rows never counted; the same few queries whatever the number of rows."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpcenter import report, services
from helpcenter.models import Category
from tenants.context import tenant_context

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 20, 15, 0, tzinfo=UTC)
URL = "/agent/help/report/"


def _publish(world, title, status="published"):
    with tenant_context(world.tenant):
        category = Category.objects.first() or services.category_save(values={"name": "Backups"})
        section = category.sections.first() or services.section_save(
            values={"category": category, "name": "Restoring"}
        )
        return services.article_save(
            values={"section": section, "title": title, "body": "restore", "status": status},
            author=None,
        )


def _votes(world, article, helpful, unhelpful):
    with tenant_context(world.tenant):
        for index in range(helpful + unhelpful):
            services.vote(article=article, helpful=index < helpful, voter_key=f"v{index}")


def _views(world, article, n):
    with tenant_context(world.tenant):
        for _ in range(n):
            services.view_recorded(article=article)


def _opened(world, article, *, ago, visitor, query="restore fails", ticket=False):
    """A suggestion opened ``ago`` before NOW; ``ticket``: the browser then submitted one."""
    with time_machine.travel(NOW - ago, tick=False), tenant_context(world.tenant):
        services.deflection_record(article=article, query=query, visitor_key=visitor)
    if ticket:
        with time_machine.travel(NOW - ago + timedelta(minutes=5), tick=False):
            submitted = world.submit(subject=f"Still broken {visitor}")
            with tenant_context(world.tenant):
                services.deflections_followed_by(ticket=submitted, visitor_key=visitor)


def _known_rows(world):
    guide = _publish(world, "Restore guide")
    faq = _publish(world, "Billing FAQ")
    _publish(world, "Unfinished draft", status="draft")
    _votes(world, guide, 3, 1)
    _votes(world, faq, 0, 2)
    _views(world, guide, 7)
    _views(world, faq, 2)
    # Guide: followed by a ticket (10 days ago), deflected twice, one too recent, one outside
    # the 30-day period.
    _opened(world, guide, ago=timedelta(days=10), visitor="a", ticket=True)
    _opened(world, guide, ago=timedelta(days=3), visitor="b")
    _opened(world, guide, ago=timedelta(hours=5), visitor="c")
    _opened(world, guide, ago=timedelta(minutes=30), visitor="d")
    _opened(world, guide, ago=timedelta(days=45), visitor="e")
    # FAQ: one followed by a ticket, with another query.
    _opened(world, faq, ago=timedelta(days=1), visitor="f", query="invoice wrong", ticket=True)
    return guide, faq


def _figures(row):
    return (row.views, row.helpful, row.votes, row.opened, row.followed, row.deflected, row.pending)


def test_the_figures_of_known_rows(world_a, world_b):
    _known_rows(world_a)
    # Bravo's rows, many of them, on articles with the same titles: never counted in Alpha.
    bravo_guide, _ = _known_rows(world_b)
    _votes(world_b, bravo_guide, 9, 0)
    with tenant_context(world_a.tenant):
        figures = report.help_report(30, NOW)
    rows = {row.article.title: row for row in figures.rows}
    assert list(rows) == ["Restore guide", "Billing FAQ"]  # by views; the idle draft left out
    assert _figures(rows["Restore guide"]) == (7, 3, 4, 4, 1, 2, 1)
    assert rows["Restore guide"].share == "3 out of 4"
    assert rows["Restore guide"].helpful_percent == "75%"
    assert rows["Restore guide"].deflection_percent == "67%"  # 2 of the 3 settled
    assert _figures(rows["Billing FAQ"]) == (2, 0, 2, 1, 1, 0, 0)
    assert rows["Billing FAQ"].share == "0 out of 2"
    assert _figures(figures.totals) == (9, 3, 6, 5, 2, 2, 1)
    assert figures.totals.share == "3 out of 6"
    assert figures.top_queries == [("invoice wrong", 1), ("restore fails", 1)]
    # A longer period takes in the suggestion of 45 days ago (deflected: nobody followed it).
    with tenant_context(world_a.tenant):
        longer = report.help_report(90, NOW)
    assert _figures(longer.totals) == (9, 3, 6, 6, 2, 3, 1)


def test_the_page_shows_the_figures(world_a, world_b, as_member):
    _known_rows(world_a)
    _known_rows(world_b)
    client = as_member(world_a.users["manager"], world_a.tenant)
    with time_machine.travel(NOW, tick=False):
        response = client.get(URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["report"].days == 30
    assert "3 out of 4" in page and "0 out of 2" in page and "3 out of 6" in page
    assert "+1 too recent" in page
    assert "“invoice wrong”" in page
    assert "Unfinished draft" not in page


def test_the_period_is_checked(world_a, as_member):
    client = as_member(world_a.users["manager"], world_a.tenant)
    for days in report.PERIODS:
        response = client.get(URL, {"days": str(days)})
        assert response.status_code == 200 and response.context["report"].days == days
    for bad in ["٣٠", "３０", "30.0", "31", "-30", "1" * 40, "30 ", "abc", "0x1e"]:
        response = client.get(URL, {"days": bad})
        assert response.status_code == 400, bad
        assert "Choose one of the periods in the list." in response.content.decode()


def test_only_managers_and_admins_read_the_report(world_a, as_member):
    for role, status in [("agent", 403), ("customer", 403), ("manager", 200), ("admin", 200)]:
        client = as_member(world_a.users[role], world_a.tenant)
        assert client.get(URL).status_code == status, role


def test_an_empty_help_center_says_so(world_a, as_member):
    client = as_member(world_a.users["manager"], world_a.tenant)
    page = client.get(URL).content.decode()
    assert "Nothing to report yet" in page


def test_a_bounded_number_of_queries_whatever_the_number_of_rows(
    world_a, as_member, django_assert_max_num_queries
):
    _publish(world_a, "First")
    client = as_member(world_a.users["manager"], world_a.tenant)
    client.get(URL)  # warm: the session and site caches
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    for index in range(15):
        article = _publish(world_a, f"Article {index}")
        _votes(world_a, article, index % 3, 1)
        _opened(world_a, article, ago=timedelta(days=index % 20, hours=3), visitor=f"x{index}")
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(len(few)):
        response = client.get(URL)
    assert response.context["report"].totals.opened == 15
    with tenant_context(world_a.tenant), CaptureQueriesContext(connection) as figures:
        report.help_report(30, NOW)
    # Articles, votes, suggestions, top searches: no query per article.
    assert len(figures) == 4
