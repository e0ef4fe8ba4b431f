"""A person's own account on a tenant's host: their profile page, the small endpoint the
browser reports its time zone to (static/js/time-zone.js), and an admin lifting a member's
sign-in lockout."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services, tokens
from accounts.adapter import login_unlock
from accounts.forms import ApiTokenForm, ProfileForm
from accounts.middleware import remember_browser_zone
from accounts.models import ApiToken
from accounts.second_factor import missing_second_factor
from core.errors import DomainError
from core.time_zones import MAX_ZONE_CHARS, is_known_zone
from tenants import audit
from tenants.access import admin_required, member_required
from tenants.models import Membership


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    initial = {"name": user.name, "time_zone": user.time_zone or request.time_zone}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            services.user_profile_update(user=user, **form.cleaned_data)
            messages.success(request, f"Saved. Times are now shown in {user.time_zone}.")
            return redirect("profile")
        return render(request, "account/profile.html", {"form": form}, status=400)
    return render(request, "account/profile.html", {"form": form})


def _refuse(detail: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"code": "invalid_input", "detail": detail}, status=status)


@require_POST
def time_zone_report(request):
    """The browser's zone (``time_zone``, form-encoded), reported once per browser.

    Remembered in the ``tz`` cookie for everyone, and stored for a signed-in person who has not
    chosen a zone yet (a chosen one is never overwritten). Only an exact IANA name is taken:
    browsers report one, so anything else is a 400 that says what was wrong.
    """
    values = request.POST.getlist("time_zone")
    if len(values) != 1:
        return _refuse("Send exactly one time_zone field, e.g. time_zone=Europe/Paris.")
    zone = values[0]
    if len(zone) > MAX_ZONE_CHARS:
        return _refuse(f"A time zone name has at most {MAX_ZONE_CHARS} characters.")
    if not zone.isascii() or not zone.isprintable():
        return _refuse("A time zone name is plain ASCII, e.g. America/Chicago.")
    if not is_known_zone(zone):
        return _refuse(f"{zone!r} is not a time zone we know (IANA names, e.g. Europe/Paris).")
    stored = False
    if request.user.is_authenticated:
        stored = services.user_time_zone_prefill(user=request.user, time_zone=zone)
    response = JsonResponse({"time_zone": zone, "stored": stored})
    remember_browser_zone(response, zone)
    return response


@admin_required
@require_POST
def member_unlock(request, pk: int):
    """A tenant admin lifts the sign-in lockout of one of this helpdesk's members (every address
    of theirs, from every client address)."""
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk)
    for address in membership.user.emailaddress_set.values_list("email", flat=True):
        login_unlock(address)
    login_unlock(membership.user.email)
    audit.record(audit.Action.MEMBER_UNLOCKED, target=membership.user.email)
    messages.success(request, f"Sign-in unlocked for {membership.user.email}.")
    return redirect("agent:people")


def _second_factor_first(request):
    """Tokens are a way in: staff who must set up a second factor do that first."""
    membership = getattr(request, "membership", None)
    if missing_second_factor(getattr(request, "tenant", None), membership, request.user):
        return redirect("mfa_activate_totp")
    return None


@member_required
@reauthentication_required(allow_get=True)
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    """The person's API tokens for this helpdesk: make one (shown once), see when each was last
    used, revoke. Making one asks for the password again after five minutes."""
    if (early := _second_factor_first(request)) is not None:
        return early
    form = ApiTokenForm(request.POST or None)
    created = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                token, raw = tokens.token_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    scope=form.cleaned_data["scope"],
                    expires_in_days=form.expires_in_days(),
                )
            except DomainError as refusal:
                form.add_error(None, refusal.message)
                status = 400
            else:
                # Rendered, not redirected: the token is never stored, not even in the session.
                created = {"token": token, "raw": raw}
                form = ApiTokenForm()
        else:
            status = 400
    context = {
        "form": form,
        "created": created,
        "tokens": tokens.tokens_of(request.user),
        "now": timezone.now(),
    }
    response = render(request, "account/api_tokens.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@member_required
@require_POST
def api_token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    tokens.token_revoke(token=token)
    messages.success(request, f"Revoked “{token.name}”: it no longer works.")
    return redirect("api_tokens")
