"""The overview's and the reports' charts in Chromium, at desktop and phone widths: drawn, named
for assistive technology, inside their cards (no bar or column cut off at a card's edge, defect
6 of issue 13) and no sideways scrolling. Screenshots land in ARTIFACTS."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from desk.services import desk_create
from tenants.context import tenant_context
from tenants.models import Membership
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_escalation_journey import PASSWORD, sign_in
from tests.charts_data import seed_charts

WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}

# Every element of a card that sticks out of it (its right edge past the card's padding box),
# and every scrollable table whose content is wider than its box (a column cut off from view).
CUT_OFF = """() => {
  const out = [];
  for (const card of document.querySelectorAll('.card')) {
    const edge = card.getBoundingClientRect().right;
    for (const el of card.querySelectorAll('svg, rect, text, table, th, td, .bar')) {
      const r = el.getBoundingClientRect();
      if (r.width && r.right > edge + 0.5 && el.closest('details:not([open])') === null) {
        const text = (el.textContent || '').trim().slice(0, 30);
        out.push(`${el.tagName} ${text} ends at ${r.right} > ${edge}`);
      }
    }
  }
  for (const wrap of document.querySelectorAll('.table-wrap')) {
    if (wrap.closest('details:not([open])') === null && wrap.scrollWidth > wrap.clientWidth + 1) {
      const head = wrap.querySelector('th').textContent;
      out.push(`table ${head} scrolls: ${wrap.scrollWidth} > ${wrap.clientWidth}`);
    }
  }
  return out;
}"""


@pytest.fixture
def charted_desk(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tenant = desk_create(slug="charts", name="Charts Support")
    User = get_user_model()
    people = {}
    with tenant_context(tenant):
        for role, name in [
            ("customer", "Cara Customer"),
            ("manager", "Mia Manager"),
            ("agent", "Ravi Agent"),
            ("agent2", "Maximiliana Okonkwo-Vanderbilt"),
        ]:
            user = User.objects.create_user(
                email=f"{role}@charts.example", password=PASSWORD, name=name
            )
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
            people[role] = (user, Membership.objects.create(user=user, role=role.rstrip("2")))
        seed_charts(
            customer=people["customer"][0],
            customer_membership=people["customer"][1],
            agents=[people["agent"], people["agent2"], people["manager"]],
        )
    return tenant


def _misfits(page) -> list[str]:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    wide = [f"{width}px wide in a {viewport}px window"] if width > viewport else []
    return [f"{page.url}: {problem}" for problem in wide + page.evaluate(CUT_OFF)]


@pytest.mark.parametrize("size", list(WIDTHS))
def test_charts_read_at_a_glance_at_every_width(live_server, browser_page, charted_desk, size):
    page = browser_page
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[size], strict=True)))
    base = f"http://charts.localhost:{live_server.url.rsplit(':', 1)[1]}"
    sign_in(page, base, "manager@charts.example")

    page.goto(f"{base}/agent/overview/")
    trend = page.get_by_role("img", name="Tickets created and solved, last 14 days")
    assert trend.is_visible()
    assert "Created: 42 in all" in page.locator("#overview-trend-desc").text_content()
    assert page.get_by_role("img", name="Unsolved tickets by priority").is_visible()
    assert page.get_by_role("img", name="Unsolved tickets per assignee").is_visible()
    page.screenshot(path=ARTIFACTS / f"charts-overview-{size}.png", full_page=True)
    misfits = _misfits(page)

    page.goto(f"{base}/agent/reports/csat/")
    assert page.get_by_role("img", name="Satisfaction per week").is_visible()
    assert page.get_by_role("img", name="Satisfaction by agent").is_visible()
    page.screenshot(path=ARTIFACTS / f"charts-csat-{size}.png", full_page=True)
    misfits += _misfits(page)
    page.get_by_text("Figures per week").click()  # the exact figures, behind a disclosure
    misfits += _misfits(page)

    page.goto(f"{base}/agent/escalations/report/")
    assert page.get_by_role("img", name="Escalation requests, last 12 months").is_visible()
    page.screenshot(path=ARTIFACTS / f"charts-escalations-{size}.png", full_page=True)
    # Only the chart's card here: the month table below it is the escalation pages' own.
    chart, card = (
        page.locator(selector).bounding_box()
        for selector in ("#escalations-months svg", "section:has(#escalations-months)")
    )
    assert chart["x"] + chart["width"] <= card["x"] + card["width"]
    assert misfits == []
