"""The agent workspace's side of tickets.collaboration: CCs and following on the ticket page,
the notifications page (the top bar's bell leads there) and the email preferences.

Thin views: a form or a parameter, one service, a message, back to the page.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from tenants.access import staff_required
from tickets import collaboration, selectors
from tickets import collaboration_selectors as people
from tickets import collaboration_views as cc_views
from tickets.collaboration_forms import NotificationPreferencesForm


def _back(ticket) -> str:
    return reverse("agent:ticket", kwargs={"number": ticket.number}) + "#people"


@staff_required
@require_POST
def ticket_cc_add(request, number: int):
    ticket = selectors.ticket_for_viewer(request.membership, number)
    cc_views.add_cc(request, ticket, done="{email} is copied on the ticket.")
    return redirect(_back(ticket))


@staff_required
@require_POST
def ticket_cc_remove(request, number: int, pk: int):
    ticket = selectors.ticket_for_viewer(request.membership, number)
    cc_views.remove_cc(request, ticket, pk)
    return redirect(_back(ticket))


@staff_required
@require_POST
def ticket_follow(request, number: int):
    """Follow or stop following (``action``: follow or unfollow)."""
    ticket = selectors.ticket_for_viewer(request.membership, number)
    action = request.POST.get("action")
    try:
        if action == "follow":
            collaboration.ticket_follow(ticket=ticket, user=request.user)
            messages.success(request, "You follow this ticket: its updates reach you.")
        elif action == "unfollow":
            collaboration.ticket_unfollow(ticket=ticket, user=request.user)
            messages.success(request, "You no longer follow this ticket.")
        else:
            messages.error(request, "Choose to follow or to stop following.")
    except DomainError as error:
        messages.error(request, str(error))
    return redirect(_back(ticket))


@staff_required
def notifications(request):
    page, older = people.notifications(request.user, before=request.GET.get("before"))
    return render(
        request,
        "agent/notifications.html",
        {"notifications": page, "older": older, "first_page": "before" not in request.GET},
    )


@staff_required
def notification_open(request, pk: int):
    """Opening a notification marks it read and leads to its ticket."""
    notification = people.notification_for(request.user, pk)
    if notification is None:
        raise Http404
    collaboration.notification_open(notification=notification)
    return redirect("agent:ticket", number=notification.ticket.number)


@staff_required
@require_POST
def notifications_read_all(request):
    count = collaboration.notifications_mark_all_read(user=request.user)
    messages.success(request, f"{count} marked as read." if count else "Nothing was unread.")
    return redirect("agent:notifications")


@staff_required
@require_http_methods(["GET", "POST"])
def notification_settings(request):
    current = people.preferences(request.user)
    # Every switch off is an empty POST: bound all the same.
    form = NotificationPreferencesForm(
        request.POST if request.method == "POST" else None,
        initial={name: getattr(current, name) for name in current.SWITCHES},
    )
    if request.method == "POST" and form.is_valid():
        collaboration.preferences_save(user=request.user, values=form.cleaned_data)
        messages.success(request, "Notification settings saved.")
        return redirect("agent:notification_settings")
    return render(
        request,
        "agent/notification_settings.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )
