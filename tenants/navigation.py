"""Counts shown beside the workspace's navigation links, filled in by the apps that own them.

``tenants/`` is the ground floor: it cannot ask escalations (or any app above it) how many
requests wait. Such an app registers a badge in its ``AppConfig.ready()``; the context
processor offers every badge lazily, so only pages that show one pay for its count.
"""

from __future__ import annotations

from collections.abc import Callable

_BADGES: dict[str, Callable] = {}


def register_badge(name: str, count: Callable) -> None:
    """``count(request) -> int``: 0 hides the badge (and answers for people it is not for)."""
    _BADGES[name] = count


def badges() -> dict[str, Callable]:
    return dict(_BADGES)
