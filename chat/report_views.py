"""The managers' chat report page (figures from ``chat.reports``)."""

from __future__ import annotations

from django import forms
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from chat import reports
from tenants.access import manager_required


class PeriodForm(forms.Form):
    # Chosen from a fixed list by its exact value: "３０", "30\x00" or a huge number never
    # reach a query.
    days = forms.TypedChoiceField(
        choices=list(reports.PERIODS.items()),
        coerce=int,
        label="Period",
        error_messages={"invalid_choice": "Choose one of the periods in the list."},
    )


@manager_required
@require_safe
def report(request):
    data = request.GET.copy()
    if not data.get("days"):
        data["days"] = str(reports.DEFAULT_DAYS)
    form = PeriodForm(data)
    if not form.is_valid():
        return render(request, "chat/report.html", {"form": form}, status=400)
    figures = reports.chat_report(form.cleaned_data["days"], timezone.now())
    return render(request, "chat/report.html", {"form": form, "report": figures})
