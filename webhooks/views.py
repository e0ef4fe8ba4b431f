"""Settings → Webhooks: the admin's endpoints, their secrets and their latest deliveries."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from tenants.access import admin_required
from webhooks import selectors, services
from webhooks.forms import EndpointEditForm, EndpointForm
from webhooks.models import Delivery, Endpoint

SECRET_SESSION_KEY = "webhooks_new_secret"  # noqa: S105 (a session key's name)


def _show_secret_once(request, endpoint: Endpoint, secret: str) -> None:
    request.session[SECRET_SESSION_KEY] = {"endpoint": endpoint.pk, "secret": secret}


@admin_required
@require_http_methods(["GET", "POST"])
def webhooks(request):
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.endpoint_create(
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
                actor=request.user,
            )
        except DomainError as error:
            form.add_error("url", str(error))
        else:
            _show_secret_once(request, endpoint, secret)
            messages.success(request, "Endpoint added. Copy its signing secret now.")
            return redirect("agent:settings_webhook", pk=endpoint.pk)
    return render(
        request,
        "settings/webhooks.html",
        {"section": "webhooks", "form": form, "endpoints": selectors.endpoints()},
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def webhook(request, pk: int):
    endpoint = get_object_or_404(Endpoint.objects, pk=pk)
    action = request.POST.get("action", "save")
    if request.method == "POST" and action == "remove":
        services.endpoint_delete(endpoint=endpoint)
        messages.success(request, f"{endpoint.url} removed.")
        return redirect("agent:settings_webhooks")
    if request.method == "POST" and action == "rotate":
        _show_secret_once(request, endpoint, services.endpoint_rotate_secret(endpoint=endpoint))
        messages.success(request, "New signing secret made: the old one no longer signs.")
        return redirect("agent:settings_webhook", pk=endpoint.pk)
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events,
        "active": endpoint.is_active,
    }
    form = EndpointEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(
                endpoint=endpoint,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
                active=form.cleaned_data["active"],
            )
        except DomainError as error:
            form.add_error("url", str(error))
        else:
            messages.success(request, "Endpoint saved.")
            return redirect("agent:settings_webhook", pk=endpoint.pk)
    shown = request.session.pop(SECRET_SESSION_KEY, None)
    secret = shown["secret"] if shown and shown.get("endpoint") == endpoint.pk else None
    return render(
        request,
        "settings/webhook.html",
        {
            "section": "webhooks",
            "endpoint": endpoint,
            "form": form,
            "secret": secret,
            "deliveries": selectors.latest_deliveries(endpoint),
        },
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@require_POST
def delivery_resend(request, pk: int, delivery: int):
    original = get_object_or_404(Delivery.objects, pk=delivery, endpoint_id=pk)
    try:
        services.delivery_resend(delivery=original)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Sent again, as a new delivery.")
    return redirect("agent:settings_webhook", pk=pk)
