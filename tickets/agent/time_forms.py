"""Forms of time tracking: the "Time spent" field (on the reply form and on its own), and the
managers' report range."""

from __future__ import annotations

from django import forms

from core.errors import InvalidInput
from core.range_forms import DayRangeForm
from tickets import timelog, timereport
from tickets.models import TimeEntry


class TimeSpentField(forms.CharField):
    """Minutes ("45") or hours and minutes ("1:30"); ``None`` when left empty."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Time spent")
        kwargs.setdefault("help_text", "Optional: minutes (45) or hours and minutes (1:30).")
        super().__init__(max_length=10, strip=True, **kwargs)
        self.widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "off", "placeholder": "0:45", "size": "6"}
        )

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        try:
            return timelog.parse_minutes(text)
        except InvalidInput as error:
            raise forms.ValidationError(str(error), code="invalid") from None

    def run_validators(self, value):
        # The length validators apply to the typed text (checked in ``to_python``), not to the
        # minutes it becomes.
        return None

    def clean(self, value):
        if isinstance(value, str) and len(value) > self.max_length:
            raise forms.ValidationError(timelog.FORMAT_HINT, code="invalid")
        return super().clean(value)


class LogTimeForm(forms.Form):
    """ "Log time" on the ticket page: time spent without writing a message."""

    minutes = TimeSpentField(required=True, help_text="Minutes (45) or hours and minutes (1:30).")
    note = forms.CharField(
        label="What was it for? (optional)", max_length=TimeEntry.MAX_NOTE_CHARS, required=False
    )

    def clean_note(self):
        try:
            return timelog.clean_note(self.cleaned_data["note"])
        except InvalidInput as error:
            raise forms.ValidationError(str(error)) from None


class TimerForm(forms.Form):
    action = forms.ChoiceField(choices=[("start", "Start"), ("stop", "Stop")])
    note = forms.CharField(max_length=TimeEntry.MAX_NOTE_CHARS, required=False)

    def clean_note(self):
        try:
            return timelog.clean_note(self.cleaned_data["note"])
        except InvalidInput as error:
            raise forms.ValidationError(str(error)) from None


class TimeReportForm(DayRangeForm):
    period = forms.ChoiceField(
        label="Per",
        choices=[("day", "Day"), ("week", "Week"), ("month", "Month")],
        initial="week",
        required=False,
    )

    def range_problem(self, start, end, period: str) -> str | None:
        return timereport.range_problem(start, end, period)
