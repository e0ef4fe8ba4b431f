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
