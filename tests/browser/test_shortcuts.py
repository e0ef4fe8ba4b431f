"""Keyboard shortcuts in the queue, and their help overlay."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from tenants.context import tenant_context
from tenants.models import Membership
from tenants.services import tenant_create
from tickets.services import ticket_submit

PASSWORD = "a-long-browser-password-42"


def test_queue_keyboard_shortcuts(live_server, transactional_db, browser_page, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tenant = tenant_create(slug="keys", name="Keys Support")
    user = get_user_model().objects.create_user(email="k@keys.example", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    with tenant_context(tenant):
        Membership.objects.create(user=user, role="agent")
        for subject in ("First in line", "Second in line"):
            ticket_submit(
                requester_email="c@x.example",
                subject=subject,
                description="d",
                priority="urgent" if subject.startswith("First") else "high",
            )
    page = browser_page
    base = f"http://keys.localhost:{live_server.url.rsplit(':', 1)[1]}"
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("heading", name="All unsolved").wait_for()
    # The heading can be painted before the deferred shortcuts script has bound its listener;
    # a key pressed in between is lost (CI saw it once), so wait for the whole page.
    page.wait_for_load_state("load")
    page.keyboard.press("?")
    assert page.get_by_role("dialog", name="Keyboard shortcuts").is_visible()
    page.keyboard.press("Escape")
    assert not page.get_by_role("dialog", name="Keyboard shortcuts").is_visible()
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("x")
    assert page.get_by_label("Select ticket #2").is_checked()
    page.keyboard.press("k")
    page.keyboard.press("o")
    page.get_by_role("heading", name="#1 First in line").wait_for()
    page.wait_for_load_state("load")
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.name") == "body"
