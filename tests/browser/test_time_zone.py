"""static/js/time-zone.js in a browser set to Tokyo: a visitor's zone lands in the cookie, is
kept when they sign in, and is reported once for a signed-in person who has none yet."""

import time

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from tenants.context import tenant_context
from tenants.models import Membership
from tenants.services import tenant_create

PASSWORD = "a-long-browser-password-42"


def _wait_for(predicate, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the browser's report")


def _tz_cookie(context) -> str | None:
    for cookie in context.cookies():
        if cookie["name"] == "tz":
            return cookie["value"].strip('"')
    return None


def test_the_browsers_zone_is_reported_and_kept(
    live_server, transactional_db, browser_page, settings
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tenant = tenant_create(slug="zones", name="Zones Support")
    User = get_user_model()
    user = User.objects.create_user(email="c@zones.example", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    with tenant_context(tenant):
        Membership.objects.create(user=user, role="customer")
    context = browser_page.context.browser.new_context(timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        base = f"http://zones.localhost:{live_server.url.rsplit(':', 1)[1]}"

        page.goto(f"{base}/")  # an anonymous visitor: the cookie only
        assert _wait_for(lambda: _tz_cookie(context)) == "Asia/Tokyo"

        page.goto(f"{base}/accounts/login/")
        page.locator("#id_login").fill(user.email)
        page.locator("#id_password").fill(PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        page.wait_for_url(f"{base}/")
        assert User.objects.get(pk=user.pk).time_zone == "Asia/Tokyo"  # kept at sign-in

        # Signed in without a zone and without the cookie: the next page reports it once.
        User.objects.filter(pk=user.pk).update(time_zone="")
        context.clear_cookies(name="tz")
        page.goto(f"{base}/accounts/profile/")
        assert _wait_for(lambda: User.objects.get(pk=user.pk).time_zone) == "Asia/Tokyo"
        page.goto(f"{base}/accounts/profile/")
        assert "JST" in page.locator("main").inner_text()
        assert page.locator("#id_time_zone").input_value() == "Asia/Tokyo"
    finally:
        context.close()
