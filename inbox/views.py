"""Settings → Email: the support addresses and the latest emails received on them."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from inbox import services
from inbox.models import InboundEmail, SupportAddress
from tenants.access import admin_required

RECENT = 50


class AddressForm(forms.Form):
    address = forms.EmailField(label="Support address", max_length=254)
    accept_unknown_senders = forms.BooleanField(
        required=False,
        initial=True,
        label="Let people without an account open tickets by email",
    )


@admin_required
@require_http_methods(["GET", "POST"])
def email_settings(request):
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.address_add(**form.cleaned_data)
        except DomainError as error:
            form.add_error("address", str(error))
        else:
            messages.success(request, f"{form.cleaned_data['address']} added.")
            return redirect("agent:settings_email")
    return render(
        request,
        "settings/email.html",
        {
            "section": "email",
            "form": form,
            "addresses": SupportAddress.objects.all(),
            "recent": InboundEmail.objects.select_related("ticket").order_by("-created_at")[
                :RECENT
            ],
        },
        status=400 if request.method == "POST" else 200,
    )


@admin_required
@require_POST
def address_update(request, pk: int):
    address = get_object_or_404(SupportAddress.objects, pk=pk)
    if request.POST.get("action") == "remove":
        services.address_remove(address=address)
        messages.success(request, f"{address.address} removed.")
    else:
        accept = request.POST.get("accept_unknown_senders") == "on"
        services.address_update(address=address, accept_unknown_senders=accept)
        messages.success(request, f"{address.address} saved.")
    return redirect("agent:settings_email")
