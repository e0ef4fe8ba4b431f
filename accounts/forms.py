"""The person's own profile: the name others see and the zone pages show times in."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

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
