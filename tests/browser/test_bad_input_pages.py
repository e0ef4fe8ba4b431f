"""What a person sees after sending something we refuse: a readable message in the page's own
layout, at desktop and phone widths, never a bare error page or a sideways-scrolling one."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from escalations.services import escalation_request
from tenants.context import tenant_context
from tenants.models import Membership
from tenants.services import tenant_create
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_escalation_journey import PASSWORD, sign_in
from tickets.automations import run_automations
from tickets.models import Ticket
from tickets.services import ticket_reply, ticket_submit

WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}


@pytest.fixture
def desk(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tenant = tenant_create(slug="bad", name="Bad Input Support")
    people = {}
    with tenant_context(tenant):
        for role in ("customer", "manager"):
            user = get_user_model().objects.create_user(
                email=f"{role}@bad.example", password=PASSWORD, name=role.title()
            )
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
            people[role] = (user, Membership.objects.create(user=user, role=role))
        customer, customer_membership = people["customer"]
        manager, manager_membership = people["manager"]
        ticket = ticket_submit(
            requester_email=customer.email,
            requester=customer,
            subject="Restore keeps failing",
            description="Third day now",
        )
        ticket_reply(
            ticket=ticket,
            author=manager,
            membership=manager_membership,
            body="Fixed in 11.4",
            submit_as=Ticket.Status.SOLVED,
        )
        request = escalation_request(
            ticket=ticket,
            actor=customer,
            membership=customer_membership,
            reason="It broke again",
            requested_priority="urgent",
        )
    with time_machine.travel(datetime.now(tz=UTC) + timedelta(days=3)):
        run_automations(tenants=[tenant])
    return {"tenant": tenant, "people": people, "request": request}


def _no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url}: {width}px wide in a {viewport}px window"


@pytest.mark.parametrize("size", list(WIDTHS))
def test_refusals_read_as_messages_in_the_page(live_server, browser_page, desk, size):
    page = browser_page
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[size], strict=True)))
    base = f"http://bad.localhost:{live_server.url.rsplit(':', 1)[1]}"
    sign_in(page, base, "manager@bad.example")

    response = page.goto(f"{base}/agent/?after=not-a-cursor")
    assert response.status == 400
    assert page.get_by_role("alert").inner_text().strip().startswith("This page link is damaged")
    _no_sideways_scroll(page)
    page.screenshot(path=ARTIFACTS / f"bad-input-queue-cursor-{size}.png", full_page=True)

    response = page.goto(f"{base}/tickets/?q=%00")
    assert response.status == 400
    assert "NUL character" in page.get_by_role("alert").inner_text()
    _no_sideways_scroll(page)
    page.screenshot(path=ARTIFACTS / f"bad-input-nul-{size}.png", full_page=True)

    response = page.goto(f"{base}/agent/reports/csat/?start=9998-12-31&end=9999-12-31")
    assert response.status == 400
    assert page.get_by_text(
        "Choose a date between Jan 1, 2000 and Dec 31, 2100."
    ).first.is_visible()
    _no_sideways_scroll(page)
    page.screenshot(path=ARTIFACTS / f"bad-input-csat-dates-{size}.png", full_page=True)

    page.goto(f"{base}/agent/escalations/{desk['request'].pk}/")
    assert page.get_by_text("This ticket closed on").is_visible()
    assert page.get_by_role("button", name="Resolve").count() >= 1
    assert page.get_by_text("Reassign the ticket").count() == 0
    _no_sideways_scroll(page)
    page.screenshot(path=ARTIFACTS / f"escalation-closed-ticket-{size}.png", full_page=True)
