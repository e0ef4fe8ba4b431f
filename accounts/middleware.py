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

import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

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
