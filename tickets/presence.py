"""Who else is looking at a ticket right now (advisory: kept in the cache, not the database).

Each open ticket page reports every few seconds; an entry older than ``WINDOW`` has left.
With Redis as the cache (REDIS_URL) every web process sees the same presence.
"""

from __future__ import annotations

import time

from django.core.cache import cache

WINDOW = 45  # seconds without a report before a viewer counts as gone


def _key(tenant_id: int, number: int) -> str:
    return f"presence:{tenant_id}:{number}"


def touch(tenant_id: int, number: int, user) -> list[str]:
    """Record that ``user`` is viewing; returns the names of the other current viewers."""
    now = time.time()
    viewers = {
        user_id: (name, seen)
        for user_id, (name, seen) in (cache.get(_key(tenant_id, number)) or {}).items()
        if now - seen < WINDOW
    }
    viewers[user.pk] = (user.display_name, now)
    cache.set(_key(tenant_id, number), viewers, timeout=WINDOW * 2)
    return sorted(name for user_id, (name, _seen) in viewers.items() if user_id != user.pk)
