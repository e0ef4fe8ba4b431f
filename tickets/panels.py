"""Panels that the apps built on tickets add to the ticket pages.

``tickets/`` sits below escalations, surveys and the feature apps to come, so it never imports
them. An app that shows something on a ticket page registers a ``Panel`` in its
``AppConfig.ready()``; each page renders the panels registered for it, slot by slot, in the
order they were registered. A panel's ``context`` returns what its template needs, or None
when it has nothing to show for this ticket.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

PORTAL = "portal"  # the customer's ticket page
AGENT = "agent"  # the agent's ticket page
MAIN = "main"  # under the conversation's header
SIDE = "side"  # the agent page's side column (the portal page has one column: MAIN)


@dataclass(frozen=True)
class Panel:
    name: str
    page: str
    slot: str
    template: str
    context: Callable[..., dict | None]  # (ticket, membership) -> what the template reads


_PANELS: list[Panel] = []


def register(panel: Panel) -> None:
    """Add a panel (once: registering the same name for the same page again replaces it)."""
    if panel.page not in (PORTAL, AGENT) or panel.slot not in (MAIN, SIDE):
        raise ValueError(f"Unknown page or slot for panel {panel.name!r}")
    _PANELS[:] = [p for p in _PANELS if (p.name, p.page) != (panel.name, panel.page)]
    _PANELS.append(panel)


def for_page(page: str, ticket, membership) -> dict[str, list[dict]]:
    """{slot: [{"name", "template", "data"}, ...]} for one ticket page."""
    slots: dict[str, list[dict]] = {MAIN: [], SIDE: []}
    # Panels of one app may share a context function (escalations: the main form and the side
    # summary): it runs once per page.
    made: dict = {}
    for panel in _PANELS:
        if panel.page != page:
            continue
        if panel.context not in made:
            made[panel.context] = panel.context(ticket, membership)
        data = made[panel.context]
        if data is not None:
            slots[panel.slot].append({"name": panel.name, "template": panel.template, "data": data})
    return slots
