"""A customer submits the demo form with files, signs up, finds the ticket and replies."""

import re

import pytest
from django.core import mail
from PIL import Image

from demo.tenants import DEMO_TENANT
from demo.tickets import DEMO_FORM
from desk.services import desk_create
from tenants.context import tenant_context
from tests.browser.conftest import ARTIFACTS
from tickets.models import Ticket, TicketFormField

PASSWORD = "a-long-browser-password-42"


@pytest.fixture
def demo_tenant(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    spec = {**DEMO_TENANT, "slug": "journey"}
    tenant = desk_create(**spec)
    with tenant_context(tenant):
        for field in DEMO_FORM:
            TicketFormField.objects.create(**field)
    return tenant


def test_customer_submits_signs_up_finds_the_ticket_and_replies(
    live_server, demo_tenant, browser_page, tmp_path
):
    page = browser_page
    port = live_server.url.rsplit(":", 1)[1]
    base = f"http://journey.localhost:{port}"
    log = tmp_path / "crashplan.log"
    log.write_text("2026-11-26 10:01:02 ERROR restore aborted: destination unavailable\n")
    shot = tmp_path / "error.png"
    Image.new("RGB", (40, 20), "white").save(shot)

    page.goto(f"{base}/tickets/new/")
    page.get_by_label("Your email address").fill("dana@example.org")
    page.get_by_label("Subject").fill("Restore of the finance share fails")
    page.get_by_label("Urgent").check()
    page.get_by_label("Product").select_option("CrashPlan for Small Business")
    page.get_by_label("Operating system and version").fill("Windows Server 2022")
    page.get_by_label("CrashPlan app version").fill("11.4.1")
    page.get_by_label("Computer ID (GUID) of each affected device").fill("886753090281838913")
    page.get_by_label("Email address or username of each affected user account").fill(
        "dana@example.org\nfinance-admin"
    )
    page.get_by_label("Describe the question or problem in detail").fill(
        "Every restore of \\\\files\\finance stops at 40% with *destination unavailable*."
    )
    page.get_by_label("Logs from the CrashPlan app").set_input_files(str(log))
    page.get_by_label("Screenshots of the relevant settings or error messages").set_input_files(
        str(shot)
    )
    page.get_by_label("CrashPlan cloud").check()
    page.screenshot(path=str(ARTIFACTS / "1-form.png"), full_page=True)
    page.get_by_role("button", name="Submit ticket").click()

    page.get_by_role("heading", name="Ticket #1 received").wait_for()
    page.screenshot(path=str(ARTIFACTS / "2-received.png"))
    with tenant_context(demo_tenant):
        ticket = Ticket.objects.get(number=1)
        assert sorted(ticket.attachments.values_list("content_type", flat=True)) == [
            "image/png",
            "text/plain",
        ]

    page.get_by_role("link", name="create an account").click()
    page.locator("#id_email").fill("dana@example.org")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    page.get_by_text("Verify Your Email Address").first.wait_for()

    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    assert link.startswith(base)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()

    page.goto(f"{base}/tickets/")
    page.get_by_role("link", name="Restore of the finance share fails").click()
    page.get_by_text("destination unavailable").first.wait_for()
    assert page.get_by_text("New", exact=True).first.is_visible()
    page.get_by_label("Your reply").fill("Here is one more detail: it started after Tuesday.")
    page.get_by_role("button", name="Send reply").click()
    page.get_by_text("Your reply was added.").wait_for()
    page.get_by_text("it started after Tuesday").wait_for()
    assert page.locator(".ticket-meta .status").inner_text() == "Open"
    page.screenshot(path=str(ARTIFACTS / "3-replied.png"), full_page=True)
    with tenant_context(demo_tenant):
        ticket.refresh_from_db()
        assert ticket.status == Ticket.Status.OPEN
        assert ticket.requester.email == "dana@example.org"
