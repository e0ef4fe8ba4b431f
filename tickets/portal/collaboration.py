"""The portal's side of tickets.collaboration: the requester copies people on their ticket (and
takes them off); someone copied may take themselves off."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from tenants.access import member_required
from tickets import collaboration_views as cc_views
from tickets import selectors


def _back(ticket) -> str:
    return reverse("portal:ticket", kwargs={"number": ticket.number}) + "#copied"


@member_required
@require_POST
def ticket_cc_add(request, number: int):
    ticket = selectors.ticket_for_viewer(request.membership, number)
    cc_views.add_cc(request, ticket, done="{email} will get the replies to this ticket.")
    return redirect(_back(ticket))


@member_required
@require_POST
def ticket_cc_remove(request, number: int, pk: int):
    ticket = selectors.ticket_for_viewer(request.membership, number)
    cc_views.remove_cc(request, ticket, pk)
    # Someone who took themselves off may no longer see the ticket.
    if selectors.visible_tickets(request.membership).filter(pk=ticket.pk).exists():
        return redirect(_back(ticket))
    return redirect("portal:my_tickets")
