"""The managers' chat report page (figures from ``chat.reports``)."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from chat import reports
from core.range_forms import days_form
from tenants.access import manager_required


@manager_required
@require_safe
def report(request):
    form = days_form(reports.PERIODS, reports.DEFAULT_DAYS, request.GET)
    if not form.is_valid():
        return render(request, "chat/report.html", {"form": form}, status=400)
    figures = reports.chat_report(form.cleaned_data["days"], timezone.now())
    return render(request, "chat/report.html", {"form": form, "report": figures})
