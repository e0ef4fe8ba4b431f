"""A second factor in a real browser: the admin requires it of the staff in Settings; an agent
who signs in is sent to set it up (confirming the password first), scans nothing but types
the code an authenticator app would show (pyotp, from the secret on the page), keeps the
recovery codes, reaches the queue; next time the sign-in asks for the app's code.

Every page must fit its window and raise no Content-Security-Policy violation (the browser
fixture's watch); screenshots go to /tmp/helpdesk-browser/mfa-<page>-<width>.png.
"""

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from desk.services import desk_create
from tenants.context import tenant_context
from tenants.models import AuditEntry, Membership
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_escalation_journey import PASSWORD, sign_in

pytestmark = pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous")

WIDTHS = {"1440": (1440, 900), "390": (390, 844)}


@pytest.fixture
def secure_desk(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tenant = desk_create(slug="securedesk", name="Northwind Support")
    User = get_user_model()
    people = {}
    with tenant_context(tenant):
        for key, role in (("ada", "admin"), ("ravi", "agent")):
            user = User.objects.create_user(
                email=f"{key}@securedesk.example", password=PASSWORD, name=key.title()
            )
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
            Membership.objects.create(user=user, role=role)
            people[key] = user
    return tenant, people


def _shoot(page, name):
    for width, (w, h) in WIDTHS.items():
        page.set_viewport_size({"width": w, "height": h})
        page.wait_for_timeout(400)  # let the side navigation finish folding away (a transition)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= w, f"{name}: {scroll}px wide in a {w}px window"
        page.screenshot(path=ARTIFACTS / f"mfa-{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})


def _sign_in(page, base, email):
    sign_in(page, base, email)
    page.wait_for_load_state()


def _sign_out(page):
    page.locator("details.user-menu summary").first.click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def test_required_second_factor_from_setting_to_sign_in(asgi_server, browser_page, secure_desk):
    tenant, people = secure_desk
    page = browser_page
    base = asgi_server.base("securedesk")

    # The admin turns the requirement on.
    _sign_in(page, base, people["ada"].email)
    page.goto(f"{base}/agent/settings/")
    page.get_by_label("Agents, managers and admins sign in with a second factor").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    _shoot(page, "settings")
    _sign_out(page)

    # The agent signs in and is sent to the set-up, after confirming the password.
    with time_machine.travel(datetime.now(UTC), tick=True) as clock:
        _sign_in(page, base, people["ravi"].email)
        expect(page).to_have_url(
            f"{base}/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
        )
        expect(page.get_by_text("Northwind Support requires a second factor")).to_be_visible()
        _shoot(page, "confirm-password")
        page.locator("#id_password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
        expect(page).to_have_url(f"{base}/accounts/2fa/totp/activate/")
        secret = page.locator("#authenticator_secret").input_value()
        expect(page.locator("img[src^='data:image/svg']")).to_be_visible()
        _shoot(page, "activate")
        page.locator("#id_code").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Activate").click()
        expect(page).to_have_url(f"{base}/accounts/2fa/recovery-codes/")
        codes = page.locator("#recovery_codes").input_value().split()
        assert len(codes) == 10
        _shoot(page, "recovery-codes")
        page.goto(f"{base}/agent/")
        expect(page.get_by_role("heading", name="All unsolved")).to_be_visible()

        # A token for a script, from the account menu; shown once.
        page.locator("details.user-menu summary").first.click()
        page.get_by_role("link", name="API tokens").click()
        page.get_by_label("Name").fill("Nightly export")
        page.get_by_label("Read and write").check()
        page.get_by_role("button", name="Create token").click()
        expect(page.get_by_role("heading", name="Copy your new token now")).to_be_visible()
        raw = page.locator("#new-token").input_value()
        assert raw.startswith("hd_")
        _shoot(page, "api-token")
        _sign_out(page)

        # Next sign-in: the password, then the app's code (a new one, 30 seconds on).
        clock.shift(timedelta(seconds=31))
        _sign_in(page, base, people["ravi"].email)
        expect(page).to_have_url(f"{base}/accounts/2fa/authenticate/")
        _shoot(page, "authenticate")
        page.locator("#id_code").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Sign In").click()
        expect(page).to_have_url(f"{base}/agent/")

    with tenant_context(tenant):
        actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"settings_changed", "second_factor_added", "sign_in", "api_token_created"} <= actions
