"""Replies that apps built on tickets prepare for the agent, who reviews them before sending.

An app registers a query parameter and a function; the agent's ticket page, opened with that
parameter (``/agent/tickets/12/?bug=3``), starts its reply box from the function's answer, as
it does from a macro (bug reports: "fixed in version X, please update"). Nothing is sent until
the agent sends it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Draft:
    body: str
    submit_as: str = "open"  # open, pending or solved (tickets.lifecycle.AGENT_SUBMIT_AS)


# parameter -> (ticket, value) -> Draft, or None when the value names nothing usable here
_DRAFTS: dict[str, Callable[..., Draft | None]] = {}


def register(parameter: str, make: Callable[..., Draft | None]) -> None:
    _DRAFTS[parameter] = make


def for_request(ticket, query) -> Draft | None:
    """The first registered draft named in ``query`` (a QueryDict) for this ticket."""
    for parameter, make in _DRAFTS.items():
        if parameter in query:
            draft = make(ticket, query[parameter])
            if draft is not None:
                return draft
    return None
