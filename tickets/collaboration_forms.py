"""Forms of tickets.collaboration: an address to copy on a ticket, and a person's email
switches. They only check shape; the rules live in the services."""

from __future__ import annotations

from django import forms

from tickets.models import NotificationPreference


class CCForm(forms.Form):
    email = forms.EmailField(
        label="Email address to copy",
        max_length=254,
        error_messages={
            "required": "Enter an email address to copy on the ticket.",
            "invalid": "Enter a valid email address.",
        },
    )


def _switch(name: str) -> forms.BooleanField:
    return forms.BooleanField(
        label=NotificationPreference._meta.get_field(name).verbose_name, required=False
    )


class NotificationPreferencesForm(forms.Form):
    email_on_mention = _switch("email_on_mention")
    email_on_follow = _switch("email_on_follow")
    email_on_assign = _switch("email_on_assign")
