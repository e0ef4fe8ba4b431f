"""Escalation pages: the customer's request form, the managers' review queue and decisions."""

import zoneinfo

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from desk.priorities import Priority
from escalations import selectors, services
from escalations.forms import DecisionForm, RequestForm
from tenants.access import manager_required, member_required
from tenants.context import current_tenant
from tenants.selectors import staff_members
from tickets.selectors import conversation, ticket_for_viewer


@member_required
@require_http_methods(["GET", "POST"])
def request_escalation(request, number: int):
    ticket = ticket_for_viewer(request.membership, number)
    # The contact zone starts as the reader's own; an agent raising it for the customer starts
    # from the customer's stored zone, if any.
    zone = request.time_zone
    if request.membership.is_staff_role:
        zone = getattr(ticket.requester, "time_zone", "")
    form = RequestForm(
        request.POST or None,
        initial={"requested_priority": ticket.priority, "contact_time_zone": zone},
    )
    staff = request.membership.is_staff_role
    ticket_url = reverse("agent:ticket" if staff else "portal:ticket", args=[ticket.number])
    blocker = selectors.request_blocker(ticket, active=selectors.active_request(ticket))
    if blocker and request.method == "GET":
        # Nothing to fill in: say why, and lead back to the ticket, where a reply adds details.
        context = {"blocker": blocker, "ticket": ticket, "ticket_url": ticket_url}
        return render(request, "escalations/request.html", context)
    status = 400
    if request.method == "POST" and form.is_valid():
        try:
            services.escalation_request(
                ticket=ticket,
                actor=request.user,
                membership=request.membership,
                **form.cleaned_data,
            )
        except DomainError as error:  # refused (e.g. a request made meanwhile): input kept
            form.add_error(None, str(error))
            status = error.status
        else:
            messages.success(request, "Your escalation request was sent to a support manager.")
            return redirect(ticket_url)
    return render(
        request,
        "escalations/request.html",
        {"form": form, "ticket": ticket, "ticket_url": ticket_url},
        status=status if request.method == "POST" else 200,
    )


@manager_required
def review_queue(request):
    """Waiting requests (the review queue proper), then those a manager is handling."""
    context = {
        "requests": selectors.open_requests(),
        "in_progress": selectors.requests_in_progress(),
        "now": timezone.now(),
    }
    return render(request, "escalations/queue.html", context)


@manager_required
@require_http_methods(["GET", "POST"])
def review(request, pk: int):
    escalation = selectors.request_for_review(pk)
    agents = staff_members()
    form = DecisionForm(request.POST or None, agents=agents)
    tenant_zone = zoneinfo.ZoneInfo(current_tenant().time_zone)
    with timezone.override(tenant_zone):  # the date and time typed are the tenant's wall time
        valid = request.method == "POST" and form.is_valid()
    if valid:
        data = form.cleaned_data
        try:
            services.escalation_decide(
                request=escalation, actor=request.user, membership=request.membership, **data
            )
        except DomainError as error:  # EscalationError, or the ticket lifecycle's refusal
            form.add_error(None, str(error))
        else:
            messages.success(request, "Decision recorded and sent to the customer.")
            return redirect("agent:escalation", pk=escalation.pk)
    closed_note = services.closed_ticket_note(escalation.ticket)
    return render(
        request,
        "escalations/review.html",
        {
            "escalation": escalation,
            "form": form,
            "agents": agents,
            "priorities": Priority.choices,
            "allowed": services.decisions_allowed(escalation.ticket),
            "closed_note": closed_note,
            "closed_reply": closed_note and services.closed_ticket_reply(escalation.ticket),
            "now": timezone.now(),
            "tenant_zone": current_tenant().time_zone,
            # The ticket's conversation, internal notes included (managers are staff).
            "comments": conversation(escalation.ticket, request.membership),
            # A refused decision keeps what was typed in its form (a past call time included).
            "typed": request.POST if request.method == "POST" else {},
        },
        status=400 if request.method == "POST" else 200,
    )


@manager_required
def report(request):
    return render(request, "escalations/report.html", selectors.monthly_report())
