"""Every main page of each role, at desktop and phone widths, on the demo desk: it fits the
window (no sideways scrolling), it is saved as a screenshot, and axe-core finds no serious or
critical accessibility violation."""

import json

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

from demo.tenants import DEMO_PASSWORD as PASSWORD
from escalations.services import escalation_request
from tenants.context import tenant_context
from tenants.models import Membership, Tenant
from tests.browser.conftest import ARTIFACTS
from tickets.models import Ticket

WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}


# role -> (login, [(name, path)]); "{ticket}" is a ticket of that person's.
PAGES = {
    "customer": (
        "customer@demo.example.com",
        [
            ("portal-home", "/"),
            ("ticket-form", "/tickets/new/"),
            ("my-tickets", "/tickets/"),
            ("portal-ticket", "/tickets/{ticket}/"),
            ("support-policy", "/support-policy/"),
        ],
    ),
    "agent": (
        "agent@demo.example.com",
        [
            ("queue", "/agent/"),
            ("agent-ticket", "/agent/tickets/{ticket}/"),
            ("people", "/agent/people/"),
        ],
    ),
    "manager": (
        "manager@demo.example.com",
        [
            ("overview", "/agent/overview/"),
            ("csat-report", "/agent/reports/csat/"),
            ("escalations", "/agent/escalations/"),
            ("escalation", "/agent/escalations/{escalation}/"),
            ("escalation-report", "/agent/escalations/report/"),
            ("macros", "/agent/macros/"),
        ],
    ),
    "admin": (
        "admin@demo.example.com",
        [
            ("settings", "/agent/settings/"),
            ("settings-hours", "/agent/settings/hours/"),
            ("settings-holidays", "/agent/settings/holidays/"),
            ("settings-priorities", "/agent/settings/priorities/"),
        ],
    ),
}
SIGNED_OUT = [("sign-in", "/accounts/login/"), ("sign-up", "/accounts/signup/")]


@pytest.fixture
def demo_desk(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", verbosity=0)
    tenant = Tenant.objects.get(slug="demo")
    with tenant_context(tenant):
        membership = Membership.objects.select_related("user").get(
            user__email="customer@demo.example.com"
        )
        ticket = (
            Ticket.objects.filter(requester=membership.user, status__in=Ticket.UNSOLVED)
            .order_by("number")
            .first()
        )
        request = escalation_request(
            ticket=ticket,
            actor=membership.user,
            membership=membership,
            reason="Our whole office is blocked",
            requested_priority="urgent",
        )
    return {"ticket": ticket.number, "escalation": request.pk}


def _fits(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url}: {width}px wide in a {viewport}px window"


def _accessible(page, axe, name):
    results = axe.run(page)
    serious = [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(results.response["violations"]))
    assert not serious, f"{page.url}: {json.dumps(serious, indent=1)}"


def _visit(page, axe, base, pages, size, names):
    for name, path in pages:
        response = page.goto(base + path.format(**names))
        assert response.status == 200, f"{path}: {response.status}"
        _fits(page)
        page.screenshot(path=ARTIFACTS / f"page-{name}-{size}.png", full_page=True)
        _accessible(page, axe, f"{name}-{size}")


@pytest.mark.parametrize("size", list(WIDTHS))
@pytest.mark.parametrize("role", list(PAGES))
def test_every_main_page_fits_and_passes_axe(live_server, browser_page, demo_desk, role, size):
    page = browser_page
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[size], strict=True)))
    base = f"http://demo.localhost:{live_server.url.rsplit(':', 1)[1]}"
    axe = Axe()
    login, pages = PAGES[role]
    if role == "customer":
        _visit(page, axe, base, SIGNED_OUT, size, demo_desk)
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_login").fill(login)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()
    _visit(page, axe, base, pages, size, demo_desk)
