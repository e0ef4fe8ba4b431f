"""What bug reports add to the pages of the layers below (ticket pages, timeline, navigation,
the reply box)."""

from __future__ import annotations

from bugs import selectors
from bugs.models import BugEvent, BugReport
from bugs.services import reply_text, unsupported_version
from core.inputs import parse_id
from tenants.navigation import kept_count, register_badge
from tickets import drafts, events, panels


def _agent_panel(ticket, membership) -> dict:
    return {
        "reports": selectors.reports_for_ticket(ticket),
        "unsupported": unsupported_version(ticket),
    }


def _portal_panel(ticket, membership) -> dict | None:
    view = selectors.customer_view(ticket)
    return {"view": view} if view is not None else None


def _fixed_reply(ticket, value) -> drafts.Draft | None:
    """``?bug=<report id>``: the "fixed in X, please update" reply, for a ticket linked to that
    report once it is fixed."""
    pk = parse_id(value)
    report = (
        BugReport.objects.filter(pk=pk, links__ticket=ticket, status=BugReport.Status.FIXED).first()
        if pk is not None
        else None
    )
    if report is None:
        return None
    # Solved: nothing is needed from the customer but the update; a reply reopens the ticket.
    return drafts.Draft(body=reply_text(report), submit_as="solved")


def _open_count(request) -> int:
    """The badge beside "Bug reports": reports not settled yet, for staff. Kept as long as the
    workspace's other side counts (NAV_COUNT_SECONDS), per helpdesk: every workspace page
    shows it, and a report changes state a few times a day."""
    membership = getattr(request, "membership", None)
    if membership is None or not membership.is_staff_role:
        return 0
    return kept_count("bugs", selectors.open_count)


def register() -> None:
    events.register(BugEvent.choices, owner="bugs")
    register_badge("bugs", _open_count)
    drafts.register("bug", _fixed_reply)
    panels.register(
        panels.Panel("bugs", panels.AGENT, panels.SIDE, "bugs/_panel_agent.html", _agent_panel)
    )
    panels.register(
        panels.Panel("bugs", panels.PORTAL, panels.MAIN, "bugs/_panel_portal.html", _portal_panel)
    )
