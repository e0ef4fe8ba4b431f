"""Every time on a page in the reader's own zone.

The zone for a request, first that applies:

1. the signed-in person's ``time_zone`` (chosen in their profile, or reported by their browser
   on a first visit);
2. the ``tz`` cookie: the zone this browser reported (static/js/time-zone.js), for visitors
   without an account and for people who have not stored one yet;
3. the tenant's zone, the one its support policy is written in;
4. UTC (``settings.TIME_ZONE``), on the platform host.

Only exact, known zone names count at every step: a forged cookie is ignored, never an error.
Django converts every aware datetime a template renders into the active zone, so pages need no
per-template filter. Times the policy fixes in the tenant's zone (business hours, the next
opening, scheduled calls) say so with ``|timezone:tenant.time_zone``, and emails render in the
tenant's zone whoever's request queued them (outbox.services.render_email). The JSON API keeps
UTC: a response must not depend on a cookie.
"""

from __future__ import annotations

import time
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone

from accounts.second_factor import missing_second_factor
from core import api_errors
from core.time_zones import is_known_zone

COOKIE = "tz"
COOKIE_MAX_AGE = timedelta(days=365)


def reader_time_zone(request) -> tuple[str, str]:
    """(zone name, where it came from: "profile", "browser", "tenant" or "default")."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and is_known_zone(user.time_zone):
        return user.time_zone, "profile"
    cookie = request.COOKIES.get(COOKIE)
    if is_known_zone(cookie):
        return cookie, "browser"
    tenant = getattr(request, "tenant", None)
    if tenant is not None and is_known_zone(tenant.time_zone):
        return tenant.time_zone, "tenant"
    return settings.TIME_ZONE, "default"


def remember_browser_zone(response, zone: str) -> None:
    """The cookie step 2 reads. Not HttpOnly: the script compares it with the browser's zone
    to report a change only once."""
    response.set_cookie(
        COOKIE,
        zone,
        max_age=COOKIE_MAX_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


class ReaderTimeZoneMiddleware:
    """Activates the reader's zone for the request. After TenantMiddleware: it needs the
    request's tenant and the user as bound to this host."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.time_zone, request.time_zone_source = reader_time_zone(request)
        if request.path.startswith("/api/"):
            return self.get_response(request)
        timezone.activate(zoneinfo.ZoneInfo(request.time_zone))
        try:
            return self.get_response(request)
        finally:
            # Threads serve many requests: the next one must not inherit this reader's zone.
            timezone.deactivate()


class SecondFactorRequiredMiddleware:
    """Staff of a helpdesk that requires a second factor, signed in without one yet, reach only
    the account pages (where they set it up, or sign out): every other page sends them to the
    set-up, and the API answers 403. After TenantMiddleware (the membership) and allauth's."""

    OPEN_PREFIXES = ("/accounts/", "/static/", "/healthz", "/favicon.ico")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership = getattr(request, "membership", None)
        tenant = getattr(request, "tenant", None)
        if request.path.startswith(self.OPEN_PREFIXES) or not missing_second_factor(
            tenant, membership, request.user
        ):
            return self.get_response(request)
        detail = (
            f"{tenant.name} requires a second factor for its staff: set up an authenticator "
            "app before you continue."
        )
        if request.path.startswith("/api/"):
            return JsonResponse(api_errors.body("second_factor_required", detail), status=403)
        messages.info(request, detail)
        return HttpResponseRedirect(reverse("mfa_activate_totp"))


class SteadyAnswerMiddleware:
    """Signing up, a failed sign-in, asking for a password reset or for a sign-in code answer
    no sooner than their floor in ``ACCOUNT_STEADY_ANSWERS``, whether or not the address has
    an account.

    Both answers of each already do the same expensive work (a password hash: the signup form
    hashes a throwaway for a known address, allauth's backend for an unknown one; one email
    each way), but a new account's rows, a database lookup or a template still made a
    difference of a few to a hundred milliseconds under load. Each floor is above what the
    slower answer takes, so both arrive at it. A successful sign-in is not held back."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.floors = None

    def __call__(self, request):
        if self.floors is None:
            self.floors = {
                reverse(name): seconds for name, seconds in settings.ACCOUNT_STEADY_ANSWERS.items()
            }
        floor = self.floors.get(request.path) if request.method == "POST" else None
        if not floor:
            return self.get_response(request)
        started = time.monotonic()
        response = self.get_response(request)
        signed_in = request.path == self.login_path and response.status_code in (301, 302, 303)
        remaining = floor - (time.monotonic() - started)
        if remaining > 0 and not signed_in:
            time.sleep(remaining)
        return response

    @property
    def login_path(self) -> str:
        return reverse("account_login")
