"""The agent workspace: the queue (filters, keyset pages, saved views, bulk actions), one
ticket (reply, note, status, priority, assignee, macros, live activity), macros and the
managers' overview.

Views are thin: they validate input with forms, call one service, and turn domain errors
(``core.errors.DomainError``) into a message on the page.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError, InvalidInput, messages_of
from core.inputs import local_path, parse_ids
from desk.priorities import Priority
from desk.selectors import priority_levels
from tenants.access import manager_required, staff_required
from tenants.context import current_tenant
from tenants.selectors import staff_members, staff_user
from tickets import panels, presence, queue, selectors, services
from tickets.agent.forms import AgentReplyForm, MacroForm
from tickets.lifecycle import AGENT_SUBMIT_AS, allowed_targets
from tickets.models import Macro, SavedView
from tickets.selectors import overview as figures

# --- The queue ---------------------------------------------------------------------------------


def _filter_query(request) -> str:
    """The request's filters without the cursor, to build page and refresh links."""
    params = request.GET.copy()
    params.pop("after", None)
    params.pop("page", None)
    return params.urlencode()


@staff_required
def queue_view(request):
    form = queue.QueueFilterForm(request.GET or None)
    valid = form.is_valid() or not request.GET
    data = form.cleaned_data if form.is_valid() else {}
    tickets = queue.filtered(data, request.user)
    try:
        page = queue.page(tickets, request.GET.get("after"))
    except queue.InvalidCursor as error:
        # Show the first page with the reason, and say so with the status.
        form.add_error(None, str(error))
        valid = False
        page = queue.page(tickets, None)
    context = {
        "form": form,
        "page": page,
        "saved_views": queue.saved_views_with_counts(
            request.user, can_share=request.membership.is_manager_or_admin
        ),
        "filters": _filter_query(request),
        "agents": queue.agents(),
        "priorities": Priority.choices,
        "bulk_statuses": services.BULK_STATUSES,
    }
    # htmx asks for the table alone (filter changes, the periodic refresh).
    template = (
        "agent/_queue_table.html" if request.headers.get("HX-Request") else "agent/queue.html"
    )
    return render(request, template, context, status=200 if valid else 400)


@staff_required
@require_POST
def bulk_update(request):
    numbers = parse_ids(request.POST.getlist("ticket"))
    back = local_path(request.POST.get("next", ""), prefix="/agent/", default="/agent/")
    if not numbers:
        messages.error(
            request,
            "Select at least one ticket." if numbers == [] else "Select tickets from the list.",
        )
        return redirect(back)
    field, _, value = request.POST.get("action", "").partition(":")
    try:
        result = services.tickets_bulk_update(
            actor=request.user, numbers=numbers, field=field, value=value
        )
    except DomainError as error:
        messages.error(request, str(error))
        return redirect(back)
    summary = f"{len(result['updated'])} updated"
    if result["unchanged"]:
        summary += f", {len(result['unchanged'])} already so"
    messages.success(request, summary + ".")
    for number, reason in result["refused"]:
        messages.error(request, f"#{number}: {reason}")
    return redirect(back)


@manager_required
@require_http_methods(["GET", "POST"])
def macros(request, pk: int | None = None):
    """List, create and edit macros (managers and admins); agents apply them on tickets."""
    macro = get_object_or_404(Macro.objects, pk=pk) if pk else None
    form = MacroForm(request.POST or None, instance=macro)
    if request.method == "POST":
        if request.POST.get("delete") and macro is not None:
            services.macro_delete(macro=macro)
            messages.success(request, f"Deleted “{macro.name}”.")
            return redirect("agent:macros")
        if form.is_valid():
            services.macro_save(macro=macro, values=form.cleaned_data)
            messages.success(request, "Macro saved.")
            return redirect("agent:macros")
    return render(
        request,
        "agent/macros.html",
        {"form": form, "macro": macro, "macros": selectors.macros()},
        status=400 if request.method == "POST" else 200,
    )


@manager_required
def overview(request):
    return render(request, "agent/overview.html", figures(timezone.now()))


@staff_required
@require_POST
def saved_view_create(request):
    query = ""  # the redirect keeps the filters only once they are known to be valid
    try:
        query = queue.normalized_query(request.POST.get("query", ""))
        services.saved_view_create(
            owner=request.user,
            name=request.POST.get("name", ""),
            query=query,
            shared=request.POST.get("shared") == "on",
            membership=request.membership,
        )
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "View saved.")
    return redirect(f"/agent/?{query}" if query else "/agent/")


@staff_required
@require_POST
def saved_view_delete(request, pk: int):
    view = get_object_or_404(SavedView.objects, pk=pk)
    try:
        services.saved_view_delete(view=view, user=request.user, membership=request.membership)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Deleted “{view.name}”.")
    return redirect("agent:home")


# --- Agent workspace: one ticket --------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def agent_ticket(request, number: int):
    membership = request.membership
    ticket = selectors.ticket_for_viewer(membership, number)
    form = AgentReplyForm(
        request.POST or None,
        request.FILES or None,
        initial={"submit_as": ticket.status if ticket.status in AGENT_SUBMIT_AS else "open"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.ticket_reply(
                ticket=ticket,
                author=request.user,
                membership=membership,
                body=form.cleaned_data["body"],
                public=form.cleaned_data["public"],
                submit_as=form.cleaned_data["submit_as"] or None,
                uploads=form.uploads(),
            )
        except (DomainError, ValidationError) as error:
            form.add_error(None, messages_of(error))
        else:
            messages.success(request, "Saved.")
            return redirect("agent:ticket", number=ticket.number)
    agents = staff_members()
    return render(
        request,
        "agent/ticket.html",
        {
            "ticket": ticket,
            "comments": selectors.conversation(ticket, membership),
            "events": selectors.timeline(ticket),
            "form": form,
            "agents": agents,
            "priorities": Priority.choices,
            "status_targets": allowed_targets(ticket, "agent"),
            "follow_ups": selectors.follow_ups(ticket),
            "requester_tickets": selectors.other_tickets_of_requester(ticket),
            "priority_levels": priority_levels(),
            "current_app_version": current_tenant().current_app_version,
            "answers": selectors.form_answers_display(ticket),
            "macros": selectors.macros(),
            "panels": panels.for_page(panels.AGENT, ticket, membership),
            "opened_at": timezone.now().isoformat(),
            "viewers": presence.touch(current_tenant().pk, ticket.number, request.user),
        },
        status=400 if request.method == "POST" else 200,
    )


@staff_required
def agent_ticket_activity(request, number: int):
    """Polled by the ticket page: other viewers, and replies since the page was opened."""

    ticket = selectors.ticket_for_viewer(request.membership, number)
    try:
        since = datetime.fromisoformat(request.GET.get("since", ""))
    except ValueError:
        since = timezone.now()
    if timezone.is_naive(since):
        since = timezone.make_aware(since)
    viewers = presence.touch(current_tenant().pk, ticket.number, request.user)
    newer = selectors.replies_since(ticket, since, excluding_author=request.user)
    return render(
        request, "agent/_activity.html", {"ticket": ticket, "viewers": viewers, "newer": newer}
    )


@staff_required
@require_POST
def agent_ticket_macro(request, number: int, macro_id: int):
    ticket = selectors.ticket_for_viewer(request.membership, number)
    macro = get_object_or_404(Macro.objects, pk=macro_id)
    try:
        services.macro_apply(
            ticket=ticket, macro=macro, author=request.user, membership=request.membership
        )
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Applied “{macro.name}”.")
    return redirect("agent:ticket", number=ticket.number)


@staff_required
@require_POST
def agent_ticket_update(request, number: int):
    """Priority, assignee or status from the ticket page's controls."""
    ticket = selectors.ticket_for_viewer(request.membership, number)
    field = request.POST.get("field")
    value = request.POST.get("value", "")
    try:
        if field == "priority":
            services.ticket_set_priority(ticket=ticket, actor=request.user, priority=value)
        elif field == "status":
            services.ticket_set_status(ticket=ticket, actor=request.user, status=value)
        elif field == "assignee":
            assignee = staff_user(value) if value else None
            if value and assignee is None:
                raise InvalidInput("Choose an agent of this helpdesk.")
            services.ticket_assign(ticket=ticket, actor=request.user, assignee=assignee)
        else:
            raise InvalidInput("Choose priority, status or assignee to change.")
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Updated.")
    return redirect(reverse("agent:ticket", kwargs={"number": ticket.number}))
