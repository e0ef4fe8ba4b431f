"""Settings → Email: the support addresses and the latest emails received on them."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from inbox import services
from inbox.models import InboundEmail, Mailbox, SupportAddress
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
            "addresses": SupportAddress.objects.select_related("mailbox"),
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


class MailboxForm(forms.ModelForm):
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        max_length=500,
        help_text="Stored encrypted. Leave empty to keep the current one.",
    )

    class Meta:
        model = Mailbox
        fields = ["host", "port", "use_ssl", "username", "folder", "after_import", "move_to"]
        fields += ["enabled"]
        labels = {"host": "IMAP server", "move_to": "Folder to move imported mail to"}

    # The service's own checks, shown at their fields.
    def clean_host(self):
        try:
            return services.clean_host(self.cleaned_data["host"])
        except DomainError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_port(self):
        try:
            return services.clean_port(self.cleaned_data["port"])
        except DomainError as error:
            raise forms.ValidationError(str(error)) from None


@admin_required
@require_http_methods(["GET", "POST"])
def mailbox_settings(request, pk: int):
    address = get_object_or_404(SupportAddress.objects, pk=pk)
    mailbox = Mailbox.objects.filter(address=address).first()
    form = MailboxForm(request.POST or None, instance=mailbox)
    if mailbox is None:
        form.fields["password"].help_text = "Stored encrypted."
    if request.method == "POST" and request.POST.get("action") == "remove" and mailbox:
        services.mailbox_remove(mailbox=mailbox)
        messages.success(request, "Mailbox removed; nothing more is read from it.")
        return redirect("agent:settings_email")
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in services.MAILBOX_FIELDS}
        try:
            services.mailbox_save(
                address=address, values=values, password=form.cleaned_data["password"]
            )
        except DomainError as error:
            form.add_error("password", str(error))
        else:
            messages.success(request, "Mailbox saved; it is read within a minute.")
            return redirect("agent:settings_email")
    return render(
        request,
        "settings/mailbox.html",
        {"section": "email", "form": form, "address": address, "mailbox": mailbox},
        status=400 if request.method == "POST" else 200,
    )
