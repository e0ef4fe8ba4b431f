"""Time tracking: agents log the minutes they spend on a ticket, with a reply or note, on their
own, or with a start/stop timer; managers read the totals (``tickets.timereport``).

Rules (each a sentence the tests state):
- Only staff log, read or delete time; customers never see it (not on the portal, not in the
  API's customer answers).
- One entry holds 1 to ``TimeEntry.MAX_MINUTES`` minutes (a whole day). Typed times are whole
  minutes ("45") or hours and minutes ("1:30"), ASCII digits only.
- A closed ticket never changes (see ``tickets.lifecycle``): no time is logged on it, no timer
  starts on it and its entries are not deleted. Time spent after it closed belongs on the
  follow-up ticket.
- A timer is one per agent and ticket. Stopping it logs the elapsed minutes rounded up (15
  minutes and 1 second log 16), and at most ``TIMER_CAP_MINUTES``: a timer left running
  overnight or over a weekend logs a working day, not the night, and the agent is told so (they
  can delete the entry and log what they really spent). A timer that ran across midnight counts
  whole, on the day it was stopped. A timer still running when its ticket closed is discarded
  on stop, and the agent is told how long it ran.
- An agent deletes their own entries; managers and admins delete anyone's.
- Every change is on the ticket's timeline (logged, deleted, timer started).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count, F, Sum, Window
from django.utils import timezone

from core.errors import Conflict, InvalidInput, NotAllowed
from core.wording import time_spent
from tenants.models import Membership
from tickets import lifecycle
from tickets.models import Actor, Comment, RunningTimer, Ticket, TimeEntry

# A stopped timer logs at most this: a working day.
TIMER_CAP_MINUTES = 8 * 60
# The agent ticket page lists this many of the latest entries (the total counts them all).
SHOWN_ENTRIES = 50
# "45" (minutes) or "1:30" (hours:minutes); ASCII digits only, so "١٥" or "²" are refused.
_MINUTES = re.compile(r"[0-9]{1,4}")
_HOURS_MINUTES = re.compile(r"([0-9]{1,2}):([0-5][0-9])")

FORMAT_HINT = "Enter the time as minutes (45) or hours and minutes (1:30)."


class TicketClosed(Conflict):
    """Time is not logged on, or taken off, a closed ticket (409)."""

    code = "ticket_closed"


def parse_minutes(text: str) -> int:
    """Minutes from what an agent typed, or ``InvalidInput`` with a message to show them."""
    text = text.strip()
    if _MINUTES.fullmatch(text):
        minutes = int(text)
    elif match := _HOURS_MINUTES.fullmatch(text):
        minutes = int(match[1]) * 60 + int(match[2])
    else:
        raise InvalidInput(FORMAT_HINT)
    check_minutes(minutes)
    return minutes


def check_minutes(minutes: int) -> None:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
        raise InvalidInput("Log at least one minute.")
    if minutes > TimeEntry.MAX_MINUTES:
        raise InvalidInput(
            f"One entry holds at most {TimeEntry.MAX_MINUTES // 60} hours; "
            "log longer work as several entries."
        )


def clean_note(note: str) -> str:
    note = note.strip()
    if "\x00" in note:
        raise InvalidInput("The note contains a character that cannot be stored.")
    if len(note) > TimeEntry.MAX_NOTE_CHARS:
        raise InvalidInput(f"Keep the note to {TimeEntry.MAX_NOTE_CHARS} characters.")
    return note


def _require_staff(membership: Membership | None) -> None:
    if membership is None or not membership.is_staff_role:
        raise NotAllowed("Only agents track time on tickets.")


def _lock_open(ticket: Ticket) -> Ticket:
    # Serializes time changes with replies and the closing automation on this ticket: an entry
    # is never added to a ticket that closed a moment ago.
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status == Ticket.Status.CLOSED:
        raise TicketClosed(
            f"Ticket #{ticket.number} is closed: its time can no longer change. "
            "Log further work on its follow-up ticket."
        )
    return ticket


def _add(
    ticket: Ticket,
    agent,
    *,
    minutes: int,
    note: str = "",
    comment: Comment | None = None,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    data: dict | None = None,
) -> TimeEntry:
    entry = TimeEntry.objects.create(
        ticket=ticket,
        agent=agent,
        minutes=minutes,
        note=note,
        comment=comment,
        started_at=started_at,
        ended_at=ended_at,
    )
    event_data = {"entry": entry.pk, "minutes": minutes, **(data or {})}
    if comment is not None:
        event_data["comment"] = comment.pk
    lifecycle.record(
        ticket,
        TimeEntry.Event.LOGGED,
        actor=agent,
        actor_kind=Actor.AGENT,
        after=time_spent(minutes),
        data=event_data,
    )
    return entry


def time_with_message(*, ticket: Ticket, comment: Comment, agent, minutes: int) -> TimeEntry:
    """Time logged with a reply or note, inside the reply's own transaction (the caller holds
    the ticket's lock and has checked the author is staff and the ticket is not closed)."""
    check_minutes(minutes)
    return _add(ticket, agent, minutes=minutes, comment=comment)


@transaction.atomic
def time_log(
    *, ticket: Ticket, agent, membership: Membership | None, minutes: int, note: str = ""
) -> TimeEntry:
    """Time spent without a message ("Log time" on the ticket page, the API)."""
    _require_staff(membership)
    check_minutes(minutes)
    note = clean_note(note)
    ticket = _lock_open(ticket)
    return _add(ticket, agent, minutes=minutes, note=note)


@transaction.atomic
def timer_start(*, ticket: Ticket, agent, membership: Membership | None) -> RunningTimer:
    _require_staff(membership)
    ticket = _lock_open(ticket)
    # The ticket's lock orders two starts by the same agent: the second sees the first's row.
    running = RunningTimer.objects.filter(ticket=ticket, agent=agent).first()
    if running is not None:
        raise Conflict(f"Your timer on #{ticket.number} is already running.", code="timer_running")
    timer = RunningTimer.objects.create(ticket=ticket, agent=agent, started_at=timezone.now())
    lifecycle.record(ticket, TimeEntry.Event.TIMER_STARTED, actor=agent, actor_kind=Actor.AGENT)
    return timer


@dataclass(frozen=True)
class Stopped:
    """What stopping a timer did: the entry it logged (None when the ticket had closed
    meanwhile and the timer was discarded), the minutes it ran, whether they were capped."""

    entry: TimeEntry | None
    minutes: int
    capped: bool


@transaction.atomic
def timer_stop(*, ticket: Ticket, agent, membership: Membership | None, note: str = "") -> Stopped:
    _require_staff(membership)
    note = clean_note(note)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    timer = RunningTimer.objects.select_for_update().filter(ticket=ticket, agent=agent).first()
    if timer is None:
        raise Conflict(f"No timer of yours is running on #{ticket.number}.", code="no_timer")
    now = max(timezone.now(), timer.started_at)
    ran = max(1, math.ceil((now - timer.started_at).total_seconds() / 60))
    timer.delete()
    if ticket.status == Ticket.Status.CLOSED:
        return Stopped(entry=None, minutes=ran, capped=False)
    minutes = min(ran, TIMER_CAP_MINUTES)
    entry = _add(
        ticket,
        agent,
        minutes=minutes,
        note=note,
        started_at=timer.started_at,
        ended_at=now,
        data={"timer": True, **({"capped_from": ran} if ran > minutes else {})},
    )
    return Stopped(entry=entry, minutes=minutes, capped=ran > minutes)


def can_delete(entry: TimeEntry, user, membership: Membership | None) -> bool:
    if membership is None or not membership.is_staff_role:
        return False
    return entry.agent_id == user.pk or membership.is_manager_or_admin


@transaction.atomic
def time_entry_delete(*, entry: TimeEntry, actor, membership: Membership | None) -> None:
    _require_staff(membership)
    if not can_delete(entry, actor, membership):
        raise NotAllowed("You can delete only your own time entries.")
    ticket = _lock_open(entry.ticket)
    entry = TimeEntry.objects.select_for_update().filter(pk=entry.pk).first()
    if entry is None:
        return  # deleted by someone else a moment ago: the outcome asked for
    lifecycle.record(
        ticket,
        TimeEntry.Event.DELETED,
        actor=actor,
        actor_kind=Actor.AGENT,
        before=time_spent(entry.minutes),
        data={"entry": entry.pk, "minutes": entry.minutes, "agent": entry.agent_id},
    )
    entry.delete()


# --- Reads --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketTime:
    entries: list[TimeEntry]  # the latest SHOWN_ENTRIES, newest first
    total_minutes: int
    count: int
    timer: RunningTimer | None  # the viewer's own running timer here


def entries_of(ticket: Ticket):
    """The ticket's entries, newest first, with their agent and whether their message was a
    public reply (``comment_public``; None for time logged without one)."""
    return (
        TimeEntry.objects.filter(ticket=ticket)
        .select_related("agent")
        .annotate(comment_public=F("comment__is_public"))
        .order_by("-created_at", "-id")
    )


def ticket_time(ticket: Ticket, user) -> TicketTime:
    """The agent ticket page's time card: two queries however many entries there are (the
    latest entries with the total and count over all of them, in one statement; the viewer's
    running timer)."""
    rows = list(
        entries_of(ticket).annotate(
            total_minutes=Window(Sum("minutes")), entry_count=Window(Count("id"))
        )[:SHOWN_ENTRIES]
    )
    timer = RunningTimer.objects.filter(ticket=ticket, agent=user).first()
    return TicketTime(
        entries=rows,
        total_minutes=rows[0].total_minutes if rows else 0,
        count=rows[0].entry_count if rows else 0,
        timer=timer,
    )


def entry_of_ticket(ticket: Ticket, pk: int) -> TimeEntry | None:
    return TimeEntry.objects.filter(ticket=ticket, pk=pk).select_related("ticket").first()


def panel(ticket: Ticket, membership: Membership) -> dict:
    """The agent ticket page's time card (registered as a panel in ``tickets.apps``)."""
    return {
        "time": ticket_time(ticket, membership.user_id),
        "user_id": membership.user_id,
        "deletes_any": membership.is_manager_or_admin,
        "open": ticket.status != Ticket.Status.CLOSED,
    }
