"""The CSAT report's charts and its narrower tables, against the known ratings of test_reports."""

from datetime import date

from surveys.reports import csat
from tenants.context import tenant_context
from tests.surveys.test_reports import ratings  # noqa: F401 (the fixture)

URL = "/agent/reports/csat/?start=2026-03-02&end=2026-03-22"


def test_trend_and_agent_charts_carry_the_figures(ratings):  # noqa: F811
    with tenant_context(ratings.tenant):
        data = csat(date(2026, 3, 2), date(2026, 3, 22))
    trend = data["trend_chart"]
    assert trend.title == "Satisfaction per week"
    assert trend.table_rows == [
        ("Week of Mar 02, 2026", ["50%"]),
        ("Week of Mar 09, 2026", ["no ratings"]),
        ("Week of Mar 16, 2026", ["100%"]),
    ]
    assert [t.text for t in trend.texts if t.weight == "600"] == ["50%", "100%"]
    assert [t.text for t in trend.texts if t.text in {"Mar 2", "Mar 9", "Mar 16"}] == [
        "Mar 2",
        "Mar 9",
        "Mar 16",
    ]
    assert "highest 100% (Week of Mar 16, 2026), lowest 50% (Week of Mar 02, 2026)" in trend.desc
    assert "1 with no data" in trend.desc
    agents = data["agent_chart"]
    assert agents.table_rows == [
        ("agent alpha", ["75% (3 of 4)"]),
        ("manager alpha", ["0% (0 of 1)"]),
    ]
    assert [r.width for r in agents.rects] == ["75%"]  # 0% draws no bar, its label says 0%
    with tenant_context(ratings.tenant):
        monthly = csat(date(2026, 3, 1), date(2026, 4, 30), "month")["trend_chart"]
    assert monthly.title == "Satisfaction per month"
    assert [row[0] for row in monthly.table_rows] == ["March 2026", "April 2026"]
    assert "Mar 2026" in [t.text for t in monthly.texts]


def test_report_page_shows_named_charts_and_tables_that_fit(ratings, as_member):  # noqa: F811
    page = as_member(ratings.users["manager"], ratings.tenant).get(URL).content.decode()
    for chart_id, name in [
        ("csat-trend", "Satisfaction per week"),
        ("csat-agents", "Satisfaction by agent"),
    ]:
        assert f'role="img" aria-labelledby="{chart_id}-title"' in page
        assert f'<title id="{chart_id}-title">{name}</title>' in page
    # Three columns (defect 6: the seventh, "Response rate", was cut off at the card's edge),
    # with every figure: satisfaction from good and bad, response rate from rated and sent.
    assert page.count('<th scope="col">Re&shy;sponse rate</th>') == 4
    assert '<strong>75%</strong><br><span class="muted">3 good, 1 bad</span>' in page
    assert '<strong>80%</strong><br><span class="muted">4 of 5 answered</span>' in page
    assert "<summary>Figures per week</summary>" in page


def test_a_period_without_ratings_says_so(world_a, as_member):
    page = (
        as_member(world_a.users["manager"], world_a.tenant)
        .get("/agent/reports/csat/?start=2026-01-01&end=2026-01-31&period=month")
        .content.decode()
    )
    assert "No ratings in this period yet." in page
    assert "No agent has a rating in this period yet." in page
    assert 'aria-labelledby="csat-trend-title"' not in page
