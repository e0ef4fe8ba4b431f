"""The escalation report's chart: requests in each of the last twelve months, gaps as zeros."""

from collections import Counter
from zoneinfo import ZoneInfo

from django.utils import timezone

from escalations.models import EscalationRequest
from tenants.context import tenant_context
from tests.agent.test_overview_charts import seed

URL = "/agent/escalations/report/"


def test_requests_per_month_for_the_last_twelve_months(world_a, as_member):
    seed(world_a)
    zone = ZoneInfo(world_a.tenant.time_zone)
    with tenant_context(world_a.tenant):
        made = Counter(
            f"{r.created_at.astimezone(zone):%B %Y}" for r in EscalationRequest.objects.all()
        )
    response = as_member(world_a.users["manager"], world_a.tenant).get(URL)
    chart = response.context["months_chart"]
    assert chart.title == "Escalation requests, last 12 months"
    assert len(chart.table_rows) == 12
    this_month = f"{timezone.now().astimezone(zone):%B %Y}"
    assert chart.table_rows[-1][0] == this_month
    assert {name: int(cells[0]) for name, cells in chart.table_rows if cells != ["0"]} == made
    assert sum(made.values()) == 9 and "Requests: 9 in all" in chart.desc
    page = response.content.decode()
    assert 'role="img" aria-labelledby="escalations-months-title"' in page
    assert (
        '<title id="escalations-months-title">Escalation requests, last 12 months</title>' in page
    )


def test_no_requests_is_a_sentence(world_a, as_member):
    page = as_member(world_a.users["manager"], world_a.tenant).get(URL).content.decode()
    assert "No escalation requests in the last 12 months." in page
