"""The person's own profile (the name others see and the zone pages show times in), and the
signup form allauth uses."""

from __future__ import annotations

from allauth.account import forms as allauth_forms
from django import forms
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.utils.crypto import get_random_string

from core.time_zones import TimeZoneField


class ProfileForm(forms.Form):
    name = forms.CharField(
        max_length=150,
        required=False,
        label="Your name",
        help_text="Shown to the support team and on your replies.",
    )
    time_zone = TimeZoneField(
        label="Your time zone",
        help_text=(
            "Every date and time on these pages is shown in it. Start typing a city or "
            "region (Chicago, Paris, Tokyo) and pick it."
        ),
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        # Bidirectional overrides and control characters would garble the name where it is
        # shown (and could disguise it); letters, digits, punctuation and spaces are enough.
        if not name.isprintable():
            raise ValidationError("Use letters, digits, spaces and punctuation only.")
        return name


class SignupForm(allauth_forms.SignupForm):
    """allauth's signup, answering in the same time whether or not the address has an account.

    For an address that has one, allauth creates nothing (it emails "you already have an
    account" instead) and so skips the password hashing a new account costs: the faster answer
    told anyone which addresses have accounts. A throwaway password is hashed instead."""

    def try_save(self, request):
        if self.account_already_exists:
            make_password(get_random_string(32))
        return super().try_save(request)


class ApiTokenForm(forms.Form):
    EXPIRY_CHOICES = [
        ("30", "In 30 days"),
        ("90", "In 90 days"),
        ("365", "In a year"),
        ("", "Never"),
    ]

    name = forms.CharField(
        max_length=80,
        label="Name",
        help_text="What the token is for, so you know which to revoke: “Nightly export script”.",
    )
    scope = forms.ChoiceField(
        choices=[("read", "Read only"), ("write", "Read and write")],
        initial="read",
        widget=forms.RadioSelect,
        label="Access",
    )
    expires = forms.ChoiceField(
        choices=EXPIRY_CHOICES, initial="90", required=False, label="Expires"
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name.isprintable():
            raise ValidationError("Use letters, digits, spaces and punctuation only.")
        return name

    def expires_in_days(self) -> int | None:
        value = self.cleaned_data.get("expires")
        return int(value) if value else None
