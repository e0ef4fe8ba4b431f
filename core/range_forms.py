"""The date range every report asks for (From, To, Per), checked the same way everywhere:
each day within the calendar the reports cover, and the range itself bounded."""

from __future__ import annotations

from django import forms

from core import periods

DATE_INPUT = {
    "type": "date",
    "min": periods.FIRST_DAY.isoformat(),
    "max": periods.LAST_DAY.isoformat(),
}


class DayRangeForm(forms.Form):
    """``start`` and ``end`` days and a ``period`` (week unless chosen); subclasses set the
    period's choices and may check the range further in ``range_problem``."""

    start = forms.DateField(widget=forms.DateInput(attrs=DATE_INPUT), label="From")
    end = forms.DateField(widget=forms.DateInput(attrs=DATE_INPUT), label="To")

    def _clean_day(self, name: str):
        day = self.cleaned_data[name]
        problem = periods.window_problem(day)
        if problem:
            raise forms.ValidationError(problem)
        return day

    def clean_start(self):
        return self._clean_day("start")

    def clean_end(self):
        return self._clean_day("end")

    def clean_period(self):
        return self.cleaned_data["period"] or "week"

    def range_problem(self, start, end, period: str) -> str | None:
        return periods.range_problem(start, end)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end"):
            problem = self.range_problem(data["start"], data["end"], data.get("period") or "week")
            if problem:
                raise forms.ValidationError(problem)
        return data


def days_form(
    periods: dict[int, str], default: int, params, *, label: str = "Period"
) -> forms.Form:
    """A report's "Period" (a number of days from ``periods``), bound to the query ``params``
    with ``default`` when none is given. Chosen from the fixed list by its exact value:
    "３０", "30\\x00" or a huge number never reach a query."""

    class DaysForm(forms.Form):
        days = forms.TypedChoiceField(
            choices=list(periods.items()),
            coerce=int,
            label=label,
            error_messages={"invalid_choice": "Choose one of the periods in the list."},
        )

    data = params.copy()
    if not data.get("days"):
        data["days"] = str(default)
    return DaysForm(data)
