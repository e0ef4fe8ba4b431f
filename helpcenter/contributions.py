"""What the help center adds to the layers below it: votes on the support-policy page (desk),
the note of which ticket-form suggestions a submitted ticket followed (tickets), and the agent
ticket page's "Help articles" panel (tickets.panels)."""

from __future__ import annotations

from django.urls import reverse

from desk import policy
from helpcenter import selectors, services
from tickets import panels
from tickets.models import Ticket
from tickets.signals import ticket_submitted_on_portal

# The browser's help-center identity in its session (suggestions opened from the ticket form).
VISITOR_SESSION_KEY = "_help_visitor"


def _policy_article() -> dict:
    article = selectors.policy_article()
    return {"article": article, "tally": selectors.tally(article)}


def _ticket_submitted(sender, ticket, request, **kwargs) -> None:
    key = request.session.get(VISITOR_SESSION_KEY)
    if isinstance(key, str) and key:
        services.deflections_followed_by(ticket=ticket, visitor_key=key)


def _ticket_panel(ticket, membership) -> dict | None:
    """The agent ticket page's "Help articles" search; a closed ticket takes no reply."""
    if ticket.status == Ticket.Status.CLOSED:
        return None
    return {"search_url": reverse("agent:help_search")}


def register() -> None:
    # The policy page is an article of the help center: "N out of M found this helpful".
    policy.contribute("help_article", _policy_article)
    ticket_submitted_on_portal.connect(_ticket_submitted, dispatch_uid="helpcenter-deflections")
    # Agents find a published article and insert a link to it in their reply.
    panels.register(
        panels.Panel(
            "help-articles",
            panels.AGENT,
            panels.SIDE,
            "helpcenter/_ticket_panel.html",
            _ticket_panel,
        )
    )
