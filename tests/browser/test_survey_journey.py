"""The customer follows the emailed survey link, rates Bad with a comment; the manager sees it."""

import re
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from outbox.models import OutboxEmail
from tenants.context import tenant_context
from tenants.models import Membership
from tenants.services import tenant_create
from tests.browser.conftest import ARTIFACTS
from tickets import lifecycle
from tickets.lifecycle import Actor
from tickets.models import Ticket
from tickets.services import ticket_reply, ticket_submit

PASSWORD = "a-long-browser-password-42"


def test_customer_rates_bad_and_the_manager_reads_it(
    live_server, transactional_db, browser_page, settings
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tenant = tenant_create(
        slug="csat", name="CSAT Support", survey_bad_reasons=["It took too long", "Not solved"]
    )
    User = get_user_model()
    manager = User.objects.create_user(email="m@csat.example", password=PASSWORD, name="Mona")
    EmailAddress.objects.create(user=manager, email=manager.email, verified=True, primary=True)
    with tenant_context(tenant):
        membership = Membership.objects.create(user=manager, role="manager")
        ticket = ticket_submit(
            requester_email="dee@client.example",
            subject="Slow restore",
            description="Restore crawls",
        )
        ticket_reply(
            ticket=ticket,
            author=manager,
            membership=membership,
            body="Fixed",
            submit_as=Ticket.Status.SOLVED,
        )
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        lifecycle.transition(
            locked,
            Ticket.Status.CLOSED,
            actor_kind=Actor.AUTOMATION,
            at=timezone.now() - timedelta(minutes=1),
        )
        from surveys.services import survey_invite

        survey_invite(ticket=locked)
        email = OutboxEmail.objects.get(ticket=ticket, template="survey_invitation")
    port = live_server.url.rsplit(":", 1)[1]
    bad_url = re.findall(r"http://\S+/survey/\S+/", email.body_text)[1]
    assert bad_url.startswith("http://csat.localhost:")
    page = browser_page
    page.goto(bad_url.replace(":8000/", f":{port}/"))
    assert page.get_by_label("Bad, I'm unsatisfied").is_checked()
    page.get_by_label("What went wrong? (optional)").select_option("It took too long")
    page.get_by_label("Anything you would like to add? (optional)").fill("Two days for a reply.")
    page.get_by_role("button", name="Send my rating").click()
    page.get_by_role("heading", name="Thank you for your feedback").wait_for()

    manager_page = page.context.browser.new_context().new_page()
    manager_page.goto(f"http://csat.localhost:{port}/accounts/login/")
    manager_page.locator("#id_login").fill(manager.email)
    manager_page.locator("#id_password").fill(PASSWORD)
    manager_page.get_by_role("button", name="Sign In").click()
    manager_page.goto(f"http://csat.localhost:{port}/agent/reports/csat/")
    manager_page.get_by_text("“Two days for a reply.”").wait_for()
    assert manager_page.get_by_text("It took too long").first.is_visible()
    assert "0% satisfied (0 of 1 rated)" in manager_page.locator(".stats").inner_text().replace(
        "\n", " "
    )
    manager_page.screenshot(path=str(ARTIFACTS / "csat-report.png"), full_page=True)
    manager_page.context.close()
