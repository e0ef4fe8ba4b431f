"""Tenant admin settings: validated forms for what the policy page and automation run on."""

from __future__ import annotations

import itertools
from datetime import time, timedelta

import holidays as calendars
from django import forms
from django.core.exceptions import ValidationError

from core.time_zones import TimeZoneField
from desk.models import BusinessHours, PriorityLevel, SlaUnit, TenantHoliday
from desk.versions import VERSION_RE
from tenants.models import Tenant


class GeneralSettingsForm(forms.ModelForm):
    time_zone = TimeZoneField(
        label="Time zone",
        help_text=(
            "The zone business hours, holidays and the support policy are in. Start typing a "
            "city or region (Chicago, Paris, Tokyo) and pick it."
        ),
    )
    solved_close_days = forms.IntegerField(
        min_value=1, max_value=90, label="Close solved tickets after (days)"
    )
    pending_solve_days = forms.IntegerField(
        min_value=1, max_value=90, label="Solve pending tickets after (days)"
    )
    reminder_hours = forms.IntegerField(
        min_value=1, max_value=24 * 89, label="Remind the customer this many hours before"
    )
    survey_delay_hours = forms.IntegerField(
        min_value=0,
        max_value=24 * 30,
        label="Send the satisfaction survey this many hours after closing",
        help_text=(
            "At 0 the survey goes out when the ticket closes, in the same email that tells "
            "the customer it is closed. Above 0 the closed email goes out at once and the "
            "survey follows on its own."
        ),
    )
    survey_link_days = forms.IntegerField(
        min_value=1, max_value=365, label="Survey links work for (days)"
    )
    survey_reasons = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Reasons offered with a bad rating (one per line)",
    )

    class Meta:
        model = Tenant
        fields = [
            "time_zone",
            "holiday_country",
            "current_app_version",
            "share_tickets_in_organization",
            "assign_on_reply",
            "support_email",
            "surveys_enabled",
            "require_staff_second_factor",
        ]
        labels = {
            "require_staff_second_factor": (
                "Agents, managers and admins sign in with a second factor"
            ),
            "share_tickets_in_organization": "Customers see their organization's tickets",
            "assign_on_reply": "An agent who answers an unassigned ticket takes it",
        }
        help_texts = {
            "require_staff_second_factor": (
                "A six-digit code from an authenticator app after the password. Staff "
                "without one are asked to set it up before they reach the workspace."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tenant = self.instance
        self.fields["solved_close_days"].initial = tenant.solved_close_delay.days
        self.fields["pending_solve_days"].initial = tenant.pending_solve_delay.days
        self.fields["reminder_hours"].initial = int(
            tenant.pending_reminder_before.total_seconds() // 3600
        )
        self.fields["survey_delay_hours"].initial = int(tenant.survey_delay.total_seconds() // 3600)
        self.fields["survey_link_days"].initial = tenant.survey_link_lifetime.days
        self.fields["survey_reasons"].initial = "\n".join(tenant.survey_bad_reasons)

    def clean_holiday_country(self):
        code = self.cleaned_data["holiday_country"].strip().upper()
        if code and code not in calendars.list_supported_countries():
            raise ValidationError(f"{code} is not a supported country code (e.g. US, DE, GB).")
        return code

    def clean_current_app_version(self):
        version = self.cleaned_data["current_app_version"].strip()
        if version and not VERSION_RE.match(version):
            raise ValidationError("Use a version number such as 11.4.1.")
        return version

    def clean(self):
        data = super().clean()
        pending, hours = data.get("pending_solve_days"), data.get("reminder_hours")
        if pending and hours and hours >= pending * 24:
            self.add_error("reminder_hours", "The reminder must come before the automatic solve.")
        return data

    def settings(self) -> dict:
        """The validated values as the tenant stores them (plain data for the service)."""
        data = self.cleaned_data
        return {
            **{name: data[name] for name in self.Meta.fields},
            "solved_close_delay": timedelta(days=data["solved_close_days"]),
            "pending_solve_delay": timedelta(days=data["pending_solve_days"]),
            "pending_reminder_before": timedelta(hours=data["reminder_hours"]),
            "survey_delay": timedelta(hours=data["survey_delay_hours"]),
            "survey_link_lifetime": timedelta(days=data["survey_link_days"]),
            "survey_bad_reasons": [
                line.strip()[:200] for line in data["survey_reasons"].splitlines() if line.strip()
            ],
        }


class HoursForm(forms.Form):
    # A blank first choice: a spare row's select must not default to Monday, or the formset would
    # take an untouched spare row for a filled one and demand its times.
    weekday = forms.TypedChoiceField(
        choices=[("", "—"), *BusinessHours.Weekday.choices], coerce=int, label="Day"
    )
    opens = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    closes = forms.TimeField(
        widget=forms.TimeInput(attrs={"type": "time"}), help_text="00:00 means midnight."
    )

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens"), data.get("closes")
        if opens is not None and closes is not None and not (opens < closes or closes == time(0)):
            raise ValidationError("An interval must close after it opens.")
        return data


class BaseHoursFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        by_day: dict[int, list[tuple[int, int]]] = {}
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue  # an empty extra row, or one marked for removal
            data = form.cleaned_data
            start = data["opens"].hour * 60 + data["opens"].minute
            end = (
                24 * 60
                if data["closes"] == time(0)
                else data["closes"].hour * 60 + data["closes"].minute
            )
            by_day.setdefault(data["weekday"], []).append((start, end))
        names = dict(BusinessHours.Weekday.choices)
        for day, spans in by_day.items():
            spans.sort()
            for (_s1, e1), (s2, _e2) in itertools.pairwise(spans):
                if s2 < e1:
                    raise ValidationError(f"Intervals on {names[day]} overlap.")


# A week holds at most a few intervals a day. Django would otherwise build up to 2,000 forms
# for a posted TOTAL_FORMS of any size (6 s of one worker, measured by the fuzz test).
MAX_INTERVALS = 7 * 6
HoursFormSet = forms.formset_factory(
    HoursForm,
    formset=BaseHoursFormSet,
    extra=2,
    can_delete=True,
    max_num=MAX_INTERVALS,
    absolute_max=MAX_INTERVALS,
    validate_max=True,
)


class HolidayForm(forms.ModelForm):
    class Meta:
        model = TenantHoliday
        fields = ["date", "name"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}

    def clean_date(self):
        day = self.cleaned_data["date"]
        if TenantHoliday.objects.filter(date=day).exists():
            raise ValidationError("That date is already a holiday.")
        return day


class PriorityLevelForm(forms.ModelForm):
    examples_text = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Examples (one per line)",
    )

    class Meta:
        model = PriorityLevel
        fields = [
            "summary",
            "first_reply_amount",
            "first_reply_unit",
            "next_update_amount",
            "next_update_unit",
        ]
        widgets = {"summary": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["examples_text"].initial = "\n".join(self.instance.examples)
        for name in ("first_reply_amount", "next_update_amount"):
            self.fields[name].min_value = 1
            self.fields[name].widget.attrs["min"] = 1
        for name in ("first_reply_unit", "next_update_unit"):
            self.fields[name].choices = SlaUnit.choices

    def clean(self):
        data = super().clean()
        for name in ("first_reply_amount", "next_update_amount"):
            if data.get(name) is not None and data[name] < 1:
                self.add_error(name, "Targets must be at least 1.")
        return data

    def targets(self) -> dict:
        """The validated definition and targets (plain data for the service)."""
        data = self.cleaned_data
        return {
            **{name: data[name] for name in self.Meta.fields},
            "examples": [
                line.strip() for line in data["examples_text"].splitlines() if line.strip()
            ],
        }
