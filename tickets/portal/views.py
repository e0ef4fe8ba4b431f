"""The customer portal's ticket pages: submit a ticket, my tickets, one ticket, its files.

Views are thin: they validate input with forms, call one service, and turn the lifecycle's
domain errors (``core.errors.DomainError``) into a message on the page.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core.errors import DomainError, messages_of
from core.paging import page_of
from desk.selectors import priority_levels
from tenants.access import member_required, redirect_to_join
from tenants.context import current_tenant
from tickets import attachments as files
from tickets import panels, selectors, services, signals
from tickets.forms import ReplyForm
from tickets.portal.forms import TicketSubmissionForm

SUBMITTED_SESSION_KEY = "helpdesk_submitted_ticket"
MY_TICKETS_PAGE = 25  # tickets per page of "My tickets"


@require_http_methods(["GET", "POST"])
def ticket_new(request):
    """Submit a ticket, signed in or with just an email address."""
    membership = request.membership
    if membership is None and request.user.is_authenticated and request.method == "GET":
        # Signed in here without having joined: joining comes first (or signing out to submit
        # as a guest). A form already filled in is still taken, as a guest's, losing nothing.
        return redirect_to_join(request)
    definitions = selectors.form_questions()
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
                signals.ticket_submitted_on_portal.send(
                    sender=ticket.__class__, ticket=ticket, request=request
                )
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
    if status not in selectors.REQUESTER_STATUS_FILTERS:
        status = "unsolved"
    shared = current_tenant().share_tickets_in_organization and membership.organization_id
    scope = request.GET.get("scope", "mine")
    if scope != "organization" or not shared:
        scope = "mine"
    query = request.GET.get("q", "").strip()[:200]
    tickets = selectors.requester_tickets(
        membership, status=status, organization_wide=scope == "organization", query=query
    )
    page = page_of(tickets, MY_TICKETS_PAGE, request.GET.get("page"))
    return render(
        request,
        "portal/my_tickets.html",
        {
            "page": page,
            "status": status,
            "status_filters": {
                key: label for key, (label, _q) in selectors.REQUESTER_STATUS_FILTERS.items()
            },
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
            "follow_ups": selectors.follow_ups(ticket),
            "merged_into": selectors.merged_into_for_viewer(ticket, membership),
            "answers": selectors.form_answers_display(ticket),
            "panels": panels.for_page(panels.PORTAL, ticket, membership),
        },
        status=400 if request.method == "POST" else 200,
    )


@member_required
def attachment_download(request, number: int, pk: int):
    attachment = selectors.attachment_for_viewer(request.membership, number, pk)
    return files.download_response(attachment)
