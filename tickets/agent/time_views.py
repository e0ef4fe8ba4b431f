"""Time tracking in the agent workspace: "Log time" and the timer on the ticket page, deleting
an entry, and the managers' time report (on screen and as CSV).

The ticket page's time card is a panel (``tickets.apps``); its forms post here. A refused or
invalid "Log time" shows its form again with what was typed, never loses it.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core import exports
from core.errors import DomainError, NotAllowed
from core.wording import time_spent
from tenants import audit
from tenants.access import manager_required, recent_sign_in_to_export, staff_required
from tenants.context import current_tenant
from tickets import selectors, timelog, timereport
from tickets.agent.time_forms import LogTimeForm, TimeReportForm, TimerForm


def _back(ticket) -> str:
    return reverse("agent:ticket", kwargs={"number": ticket.number}) + "#time"


@staff_required
@require_POST
def ticket_time_log(request, number: int):
    ticket = selectors.ticket_for_viewer(request.membership, number)
    form = LogTimeForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            entry = timelog.time_log(
                ticket=ticket,
                agent=request.user,
                membership=request.membership,
                minutes=form.cleaned_data["minutes"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            form.add_error(None, str(error))
            status = error.status
        else:
            messages.success(request, f"Logged {time_spent(entry.minutes)}.")
            return redirect(_back(ticket))
    return render(
        request, "agent/ticket_time_log.html", {"ticket": ticket, "form": form}, status=status
    )


@staff_required
@require_POST
def ticket_timer(request, number: int):
    ticket = selectors.ticket_for_viewer(request.membership, number)
    form = TimerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose to start or stop the timer.")
        return redirect(_back(ticket))
    who = {"ticket": ticket, "agent": request.user, "membership": request.membership}
    try:
        if form.cleaned_data["action"] == "start":
            timelog.timer_start(**who)
            messages.success(request, "Timer started.")
        else:
            stopped = timelog.timer_stop(**who, note=form.cleaned_data["note"])
            if stopped.entry is None:
                messages.error(
                    request,
                    f"Ticket #{ticket.number} closed while your timer ran "
                    f"({time_spent(stopped.minutes)}): nothing was logged on it.",
                )
            elif stopped.capped:
                messages.warning(
                    request,
                    f"Timer stopped. It ran longer than a working day, so "
                    f"{time_spent(stopped.minutes)} was logged: delete the entry and log the "
                    "real time if that is wrong.",
                )
            else:
                messages.success(request, f"Timer stopped: {time_spent(stopped.minutes)} logged.")
    except DomainError as error:
        messages.error(request, str(error))
    return redirect(_back(ticket))


@staff_required
@require_POST
def ticket_time_delete(request, number: int, pk: int):
    ticket = selectors.ticket_for_viewer(request.membership, number)
    entry = timelog.entry_of_ticket(ticket, pk)
    if entry is None:
        raise Http404
    try:
        timelog.time_entry_delete(entry=entry, actor=request.user, membership=request.membership)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from None
    except DomainError as error:
        messages.error(request, str(error))
        return redirect(_back(ticket))
    messages.success(request, f"Deleted the entry of {time_spent(entry.minutes)}.")
    return redirect(_back(ticket))


def _default_range() -> dict:
    today = timezone.now().astimezone(ZoneInfo(current_tenant().time_zone)).date()
    return {"start": today - timedelta(days=27), "end": today, "period": "week"}


@manager_required
@recent_sign_in_to_export
@require_GET
def time_report(request):
    form = TimeReportForm(request.GET or None, initial=_default_range())
    if request.GET and not form.is_valid():
        return render(request, "agent/time_report.html", {"form": form}, status=400)
    chosen = form.cleaned_data if request.GET else _default_range()
    report = timereport.time_report(chosen["start"], chosen["end"], chosen["period"])
    if request.GET.get("format") == "csv":
        audit.record(
            audit.Action.EXPORT,
            target="Time report (CSV)",
            detail={"start": str(chosen["start"]), "end": str(chosen["end"])},
        )
        return exports.csv_response(
            f"time-{chosen['start']:%Y%m%d}-{chosen['end']:%Y%m%d}.csv",
            timereport.CSV_HEADER,
            timereport.csv_rows(report),
        )
    return render(request, "agent/time_report.html", {"form": form, "chosen": chosen, **report})
