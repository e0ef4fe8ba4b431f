"""The kinds of entry a ticket's timeline can hold, each registered by the app that owns it.

``tickets`` registers its own (``TicketEvent.Kind``: created, replies, status, ...); a feature
app built on tickets registers its kinds in its ``AppConfig.ready()`` (surveys: sent, skipped,
answered; escalations: requested, decided). So ``tickets`` never lists, or migrates for, another
app's features, and an event of a kind nobody registered cannot be written.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_KIND_LENGTH = 32  # TicketEvent.kind's column

_LABELS: dict[str, str] = {}


def register(kinds: Iterable[tuple[str, str]], *, owner: str) -> None:
    """Add (value, label) kinds. A value another app already owns is a programming error."""
    for value, label in kinds:
        if not value or len(value) > MAX_KIND_LENGTH:
            raise ValueError(f"{owner}: event kind {value!r} must be 1-{MAX_KIND_LENGTH} chars.")
        known = _OWNERS.get(value)
        if known is not None and known != owner:
            raise ValueError(f"{owner}: event kind {value!r} already belongs to {known}.")
        _OWNERS[value] = owner
        _LABELS[value] = str(label)


_OWNERS: dict[str, str] = {}


def is_registered(value: str) -> bool:
    return value in _LABELS


def label(value: str) -> str:
    """What the timeline shows for a kind (the raw value for one no longer registered, say of
    an app since removed: old rows stay readable)."""
    return _LABELS.get(value, value.replace("_", " ").capitalize())


def choices() -> list[tuple[str, str]]:
    """Every registered (kind, label), for pickers such as the webhooks' event list."""
    return list(_LABELS.items())
