"""Tags in the agent workspace: on a ticket (agents), Settings → Tags (admins) and the tag
report (managers). Thin: forms and parsing here, every change in ``tickets.tagging``."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from core import exports
from core.errors import DomainError
from core.range_forms import days_form
from tenants import audit
from tenants.access import (
    admin_required,
    manager_required,
    recent_sign_in_to_export,
    staff_required,
)
from tickets import selectors, tagging, tags
from tickets.models import Tag

# Settings → Tags lists this many tags at most (by name), saying so when there are more.
SETTINGS_LIST = 500


@staff_required
@require_POST
def ticket_tags(request, number: int):
    """Add tags (``name``, commas for several) or remove one (``remove``). From htmx: the
    tags panel again (400 with the reason when refused); otherwise back to the ticket."""
    ticket = selectors.ticket_for_viewer(request.membership, number)
    removing = "remove" in request.POST
    typed = request.POST.get("remove" if removing else "name", "")
    error = ""
    try:
        if removing:
            done = tagging.ticket_tags_remove(
                ticket=ticket, actor=request.user, membership=request.membership, names=[typed]
            )
            note = f"Removed {', '.join(t.name for t in done)}." if done else "Nothing removed."
        else:
            done = tagging.ticket_tags_add(
                ticket=ticket, actor=request.user, membership=request.membership, names=[typed]
            )
            note = f"Tagged {', '.join(t.name for t in done)}." if done else "Already tagged."
    except DomainError as refusal:
        error = str(refusal)
    if request.headers.get("HX-Request"):
        ticket.refresh_from_db()
        # What was typed stays in the box when refused (nothing lost), bounded as the input.
        kept = typed[:600] if error and not removing and "\x00" not in typed else ""
        return render(
            request,
            "agent/_ticket_tags.html",
            {"ticket": ticket, "panel": tags.panel(ticket, error=error, typed=kept)},
            status=400 if error else 200,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, note)
    return redirect(reverse("agent:ticket", kwargs={"number": ticket.number}))


# --- Settings → Tags -----------------------------------------------------------------------


def _settings_page(request, *, status: int = 200):
    listed = list(tags.with_counts()[: SETTINGS_LIST + 1])
    return render(
        request,
        "settings/tags.html",
        {
            "section": "tags",
            "tag_rows": listed[:SETTINGS_LIST],
            "more": len(listed) > SETTINGS_LIST,
            "limit": SETTINGS_LIST,
            "names": [tag.name for tag in listed[:SETTINGS_LIST]],
        },
        status=status,
    )


@admin_required
@require_safe
def settings_tags(request):
    return _settings_page(request)


@admin_required
@require_POST
def settings_tag(request, pk: int):
    """One tag's rename (``name``), merge (``into``: another tag's name) or delete
    (``confirm`` ticked)."""
    tag = get_object_or_404(Tag.objects, pk=pk)
    action = request.POST.get("action", "")
    membership = request.membership
    try:
        if action == "rename":
            old = tag.name
            name = request.POST.get("name", "")
            renamed = tagging.tag_rename(tag=tag, name=name, membership=membership)
            messages.success(request, f"Renamed “{old}” to “{renamed.name}”.")
        elif action == "merge":
            target = tags.find(tags.clean_name(request.POST.get("into", "")))
            if target is None:
                raise DomainError("Choose an existing tag to merge into.")
            moved = tagging.tag_merge(source=tag, target=target, membership=membership)
            messages.success(
                request, f"Merged “{tag.name}” into “{target.name}” ({_tickets(moved)} gained it)."
            )
        elif action == "delete":
            if request.POST.get("confirm") != "on":
                raise DomainError("Tick the box to confirm deleting the tag from every ticket.")
            carried = tagging.tag_delete(tag=tag, membership=membership)
            messages.success(request, f"Deleted “{tag.name}” (removed from {_tickets(carried)}).")
        else:
            raise DomainError("Choose rename, merge or delete.")
    except DomainError as refusal:
        messages.error(request, f"“{tag.name}”: {refusal}")
        return _settings_page(request, status=refusal.status)
    return redirect("agent:settings_tags")


def _tickets(count: int) -> str:
    return f"{count} ticket{'' if count == 1 else 's'}"


# --- The tag report ------------------------------------------------------------------------


@manager_required
@recent_sign_in_to_export
@require_safe
def tag_report(request):
    form = days_form(tags.REPORT_PERIODS, tags.REPORT_DEFAULT_DAYS, request.GET)
    if not form.is_valid():
        return render(request, "agent/tag_report.html", {"form": form}, status=400)
    figures = tags.report(form.cleaned_data["days"], timezone.now())
    if request.GET.get("format") == "csv":
        audit.record(
            audit.Action.EXPORT,
            target="Tag report (CSV)",
            detail={"days": figures.days},
        )
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="tags.csv"'
        writer = csv.writer(response)
        writer.writerow(["tag", "tickets created in the period", "share of created"])
        for row in figures.rows:
            share = f"{row.tickets / figures.created:.1%}" if figures.created else ""
            writer.writerow([exports.cell(row.name), row.tickets, share])
        writer.writerow(["(all tickets created)", figures.created, ""])
        return response
    return render(request, "agent/tag_report.html", {"form": form, "report": figures})
