"""Cues that apps built on tickets add to the queue's rows (an open escalation, say).

Like ``panels``, a registry the higher app fills in its ``AppConfig.ready()``: ``tickets``
never imports it. A cue's ``fetch(ticket_ids)`` answers for a whole page at once (one query),
so the queue's query count does not grow with its rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Cue:
    name: str
    label: str  # shown on the row
    css_class: str  # a badge style of the design system
    fetch: Callable[[list[int]], Iterable[int]]  # ticket ids -> the ids the cue applies to
    title: str = ""  # the longer explanation (tooltip and accessible name)


_CUES: dict[str, Cue] = {}


def register(cue: Cue) -> None:
    _CUES[cue.name] = cue


def for_tickets(tickets) -> dict[int, list[Cue]]:
    """Each ticket's cues (ticket id -> cues in registration order), one query per cue."""
    ids = [ticket.pk for ticket in tickets]
    found: dict[int, list[Cue]] = {pk: [] for pk in ids}
    if not ids:
        return found
    for cue in _CUES.values():
        for pk in set(cue.fetch(ids)):
            if pk in found:
                found[pk].append(cue)
    return found
