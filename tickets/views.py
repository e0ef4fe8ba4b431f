"""Ticket pages: the customer portal (submit, my tickets, ticket) and the agent's ticket page.

Views are thin: they validate input with forms, call one service, and turn the lifecycle's
domain errors (``core.errors.DomainError``) into a message on the page.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError, InvalidInput, messages_of
from tenants.access import member_required, staff_required
from tenants.context import current_tenant
from tenants.priorities import Priority
from tenants.selectors import priority_levels, staff_members, staff_user
from tickets import attachments as files
from tickets import panels, presence, selectors, services
from tickets.forms import AgentReplyForm, ReplyForm, TicketSubmissionForm
from tickets.lifecycle import AGENT_SUBMIT_AS, allowed_targets
from tickets.models import Macro, Ticket, TicketFormField

SUBMITTED_SESSION_KEY = "helpdesk_submitted_ticket"

STATUS_FILTERS = {
    "unsolved": ("Open requests", Q(status__in=Ticket.UNSOLVED)),
    "solved": ("Solved", Q(status=Ticket.Status.SOLVED)),
    "closed": ("Closed", Q(status=Ticket.Status.CLOSED)),
    "all": ("All", Q()),
}


@require_http_methods(["GET", "POST"])
def ticket_new(request):
    """Submit a ticket, signed in or with just an email address."""
    membership = request.membership
    definitions = list(TicketFormField.objects.all())
    signed_in = membership is not None
    key = files.staging_key_from(request.POST.get("staging_key", "")) if request.POST else ""
    staged = [a for a in files.staged(key) if request.POST.get(f"keep_{a.pk}") == "1"]
    form = TicketSubmissionForm(
        request.POST or None,
        request.FILES or None,
        definitions=definitions,
        signed_in=signed_in,
        staged_field_keys={a.field_key for a in staged},
    )
    if request.method == "POST":
        if form.is_valid():
            email = request.user.email if signed_in else form.cleaned_data["email"]
            try:
                ticket = services.ticket_submit(
                    requester_email=email,
                    requester=request.user if signed_in else None,
                    subject=form.cleaned_data["subject"],
                    description=form.cleaned_data["description"],
                    priority=form.cleaned_data["priority"],
                    answers=form.answers(),
                    uploads=form.uploads(),
                    staged=staged,
                )
            except (ValidationError, DomainError) as error:
                form.add_error(None, messages_of(error))
            else:
                request.session[SUBMITTED_SESSION_KEY] = {
                    "number": ticket.number,
                    "email": ticket.requester_email,
                }
                return redirect("portal:ticket_submitted")
        # Keep the files that passed their checks so nothing has to be chosen again.
        key = key or files.new_staging_key()
        for field_key, upload, content_type in form.uploads():
            staged.append(
                files.stage(upload=upload, field_key=field_key, content_type=content_type, key=key)
            )
        form.data = form.data.copy()
        form.data["staging_key"] = key
    return render(
        request,
        "portal/ticket_new.html",
        {"form": form, "priority_levels": priority_levels(), "staged": staged},
        status=400 if request.method == "POST" else 200,
    )


def ticket_submitted(request):
    submitted = request.session.get(SUBMITTED_SESSION_KEY)
    if not submitted:
        return redirect("portal:ticket_new")
    return render(request, "portal/ticket_submitted.html", {"submitted": submitted})


@member_required
def my_tickets(request):
    membership = request.membership
    status = request.GET.get("status", "unsolved")
    if status not in STATUS_FILTERS:
        status = "unsolved"
    shared = current_tenant().share_tickets_in_organization and membership.organization_id
    scope = request.GET.get("scope", "mine")
    tickets = selectors.visible_tickets(membership).filter(STATUS_FILTERS[status][1])
    if scope != "organization" or not shared:
        scope = "mine"
        tickets = tickets.filter(requester=request.user)
    query = request.GET.get("q", "").strip()[:200]
    if query:
        tickets = tickets.filter(selectors.subject_or_number(query))
    tickets = tickets.select_related("requester").order_by("-updated_at", "-number")
    page = Paginator(tickets, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/my_tickets.html",
        {
            "page": page,
            "status": status,
            "status_filters": {key: label for key, (label, _q) in STATUS_FILTERS.items()},
            "scope": scope,
            "shared": shared,
            "query": query,
        },
    )


@member_required
@require_http_methods(["GET", "POST"])
def ticket_detail(request, number: int):
    membership = request.membership
    ticket = selectors.ticket_for_viewer(membership, number)
    if membership.is_staff_role:
        return redirect("agent:ticket", number=ticket.number)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            landed = services.ticket_reply(
                ticket=ticket,
                author=request.user,
                membership=membership,
                body=form.cleaned_data["body"],
                uploads=form.uploads(),
            )
        except (DomainError, ValidationError) as error:
            form.add_error(None, messages_of(error))
        else:
            if landed.pk != ticket.pk:
                messages.success(
                    request,
                    f"Ticket #{ticket.number} was closed, so your message started follow-up "
                    f"ticket #{landed.number}.",
                )
            else:
                messages.success(request, "Your reply was added.")
            return redirect("portal:ticket", number=landed.number)
    return render(
        request,
        "portal/ticket_detail.html",
        {
            "ticket": ticket,
            "comments": selectors.conversation(ticket, membership),
            "form": form,
            "follow_ups": list(ticket.follow_ups.order_by("number")),
            "panels": panels.for_page(panels.PORTAL, ticket, membership),
        },
        status=400 if request.method == "POST" else 200,
    )


@member_required
def attachment_download(request, number: int, pk: int):
    attachment = selectors.attachment_for_viewer(request.membership, number, pk)
    # Always a download, with the type we sniffed: never rendered inline by the browser.
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


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
    requester_tickets = []
    if ticket.requester_id:
        requester_tickets = list(
            Ticket.objects.filter(requester=ticket.requester_id)
            .exclude(pk=ticket.pk)
            .order_by("-number")[:10]
        )
    return render(
        request,
        "agent/ticket.html",
        {
            "ticket": ticket,
            "comments": selectors.conversation(ticket, membership),
            "events": list(ticket.events.select_related("actor").order_by("created_at", "id")),
            "form": form,
            "agents": agents,
            "priorities": Priority.choices,
            "status_targets": allowed_targets(ticket, "agent"),
            "follow_ups": list(ticket.follow_ups.order_by("number")),
            "requester_tickets": requester_tickets,
            "priority_levels": priority_levels(),
            "current_app_version": current_tenant().current_app_version,
            "answers": selectors.form_answers_display(ticket),
            "macros": list(Macro.objects.all()),
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
    newer = list(
        ticket.comments.filter(created_at__gt=since)
        .exclude(author=request.user)
        .select_related("author")
        .order_by("created_at")
    )
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
