"""How values read in pages and emails, each rule written once."""

from __future__ import annotations

from datetime import timedelta


def duration_words(delta: timedelta) -> str:
    """48 hours -> "2 days", 24 hours -> "1 day", 36 hours -> "36 hours", 1 hour -> "1 hour"."""
    hours = delta.total_seconds() / 3600
    if hours % 24 == 0:
        days = int(hours // 24)
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{hours:g} hour{'s' if hours != 1 else ''}"


def elapsed_words(delta: timedelta) -> str:
    """A measured duration as people say it, to the minute and in its two largest units:
    "under a minute", "2 minutes", "3 hours, 5 minutes", "1 day, 4 hours". (Settings such as
    "2 days" read through ``duration_words``, which keeps every unit exact.)"""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    units = [(n, unit) for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")) if n]
    return ", ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in units[:2])


def time_spent(minutes: int) -> str:
    """Logged work as agents read it: 45 -> "45 min", 90 -> "1 h 30 min", 120 -> "2 h"."""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"
