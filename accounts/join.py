"""Joining a helpdesk: the explicit step for a person signed in on its host without a membership.

Signing in never makes anyone a member (an agent of one helpdesk who signs in on another's host
is nobody there). Pages that need a membership send such a person here (``tenants.access``);
they join as a customer with one button, or sign out. Joining also links the tickets they sent
earlier from their verified addresses (tickets answers ``member_joined``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from tenants.context import current_tenant
from tenants.services import membership_join

MAX_NEXT_CHARS = 2000


def _next_url(request) -> str:
    """Where to go after joining: a page of this site the person came from, else My tickets."""
    default = reverse("portal:my_tickets")
    url = request.POST.get("next") or request.GET.get("next") or ""
    if (
        not url.startswith("/")
        or len(url) > MAX_NEXT_CHARS
        or not url.isascii()
        or not url.isprintable()
        or not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})
    ):
        return default
    try:
        match = resolve(url.split("?", 1)[0])
    except Resolver404:
        return default
    return default if match.view_name == "portal:join" else url


@require_http_methods(["GET", "POST"])
def join(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    next_url = _next_url(request)
    if request.membership is not None:
        return redirect(next_url)  # nothing to join: already a member, in whatever role
    tenant = current_tenant()
    if request.method == "POST":
        membership_join(user=request.user)
        messages.success(request, f"You joined {tenant.name}'s helpdesk as a customer.")
        return redirect(next_url)
    return render(
        request,
        "portal/join.html",
        {
            "next": next_url,
            "for_team": next_url.startswith("/agent/"),
            "for_new_ticket": next_url == reverse("portal:ticket_new"),
        },
    )
