"""The agent workspace: the queue, bulk actions, macros and the manager overview."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tenants.access import staff_required
from tickets import queue, services
from tickets.lifecycle import InvalidTransition
from tickets.priorities import Priority


def _filter_query(request) -> str:
    """The request's filters without the cursor, to build page and refresh links."""
    params = request.GET.copy()
    params.pop("after", None)
    params.pop("page", None)
    return params.urlencode()


@staff_required
def queue_view(request):
    form = queue.QueueFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    tickets = queue.filtered(data, request.user)
    page = queue.page(tickets, request.GET.get("after"))
    context = {
        "form": form,
        "page": page,
        "filters": _filter_query(request),
        "agents": queue.agents(),
        "priorities": Priority.choices,
        "bulk_statuses": services.BULK_STATUSES,
    }
    # htmx asks for the table alone (filter changes, the periodic refresh).
    template = (
        "agent/_queue_table.html" if request.headers.get("HX-Request") else "agent/queue.html"
    )
    return render(
        request, template, context, status=200 if form.is_valid() or not request.GET else 400
    )


@staff_required
@require_POST
def bulk_update(request):
    numbers = [int(n) for n in request.POST.getlist("ticket") if n.isdigit()]
    back = request.POST.get("next") or "/agent/"
    if not back.startswith("/agent/"):
        back = "/agent/"
    if not numbers:
        messages.error(request, "Select at least one ticket.")
        return redirect(back)
    field, _, value = request.POST.get("action", "").partition(":")
    try:
        result = services.tickets_bulk_update(
            actor=request.user, numbers=numbers, field=field, value=value
        )
    except InvalidTransition as error:
        messages.error(request, str(error))
        return redirect(back)
    summary = f"{len(result['updated'])} updated"
    if result["unchanged"]:
        summary += f", {len(result['unchanged'])} already so"
    messages.success(request, summary + ".")
    for number, reason in result["refused"]:
        messages.error(request, f"#{number}: {reason}")
    return redirect(back)
