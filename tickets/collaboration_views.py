"""What the agent's and the portal's CC buttons share: read the form, call the service, say
how it went (each page then sends the person back where it belongs)."""

from __future__ import annotations

from django.contrib import messages

from core.errors import DomainError
from tickets import collaboration
from tickets.collaboration_forms import CCForm


def add_cc(request, ticket, *, done: str) -> None:
    """Copy the posted address on ``ticket``; ``done`` is the success message ("{email}" is
    the address as stored)."""
    form = CCForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["email"][0])
        return
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
        messages.success(request, done.format(email=cc.email))


def remove_cc(request, ticket, pk: int) -> None:
    try:
        collaboration.ticket_cc_remove(
            ticket=ticket, cc_id=pk, actor=request.user, membership=request.membership
        )
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "No longer copied.")
