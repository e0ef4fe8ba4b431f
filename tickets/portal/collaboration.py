"""The portal's side of tickets.collaboration: the requester copies people on their ticket (and
takes them off); someone copied may take themselves off."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import DomainError
from tenants.access import member_required
from tickets import collaboration, selectors
from tickets.collaboration_forms import CCForm


def _back(ticket) -> str:
    return reverse("portal:ticket", kwargs={"number": ticket.number}) + "#copied"


@member_required
@require_POST
def ticket_cc_add(request, number: int):
    ticket = selectors.ticket_for_viewer(request.membership, number)
    form = CCForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["email"][0])
        return redirect(_back(ticket))
    try:
        cc = collaboration.ticket_cc_add(
            ticket=ticket,
            email=form.cleaned_data["email"],
            actor=request.user,
            membership=request.membership,
        )
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{cc.email} will get the replies to this ticket.")
    return redirect(_back(ticket))


@member_required
@require_POST
def ticket_cc_remove(request, number: int, pk: int):
    ticket = selectors.ticket_for_viewer(request.membership, number)
    try:
        collaboration.ticket_cc_remove(
            ticket=ticket, cc_id=pk, actor=request.user, membership=request.membership
        )
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "No longer copied.")
    # Someone who took themselves off may no longer see the ticket.
    if selectors.visible_tickets(request.membership).filter(pk=ticket.pk).exists():
        return redirect(_back(ticket))
    return redirect("portal:my_tickets")
