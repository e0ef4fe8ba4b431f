"""Counts shown beside the workspace's navigation links, filled in by the apps that own them.

``tenants/`` is the ground floor: it cannot ask escalations (or any app above it) how many
requests wait. Such an app registers a badge in its ``AppConfig.ready()``; the context
processor offers every badge lazily, so only pages that show one pay for its count.

Every workspace page shows the badges, so an app may keep a badge's number in the shared cache
(``kept_count``) for ``NAV_COUNT_SECONDS``, per helpdesk or per person, and drop it
(``forget_count``) whenever what it counts changes: the number stays exact, and a page costs a
cache read instead of a query.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from tenants.context import current_tenant

_BADGES: dict[str, Callable] = {}


def register_badge(name: str, count: Callable) -> None:
    """``count(request) -> int``: 0 hides the badge (and answers for people it is not for)."""
    _BADGES[name] = count


def badges() -> dict[str, Callable]:
    return dict(_BADGES)


def _count_key(name: str, tenant_id: int, person_id: int | None) -> str:
    return f"nav:{name}:{tenant_id}:{person_id if person_id is not None else '-'}"


def kept_count(name: str, count: Callable[[], int], *, person_id: int | None = None) -> int:
    """``count()`` for the current helpdesk (and ``person_id``'s own badge when given), kept
    ``NAV_COUNT_SECONDS`` in the shared cache; 0 seconds: counted every time."""
    seconds = settings.NAV_COUNT_SECONDS
    if not seconds:
        return count()
    key = _count_key(name, current_tenant().pk, person_id)
    value = cache.get(key)
    if value is None:
        value = count()
        cache.set(key, value, seconds)
    return value


def forget_count(name: str, tenant_id: int, *, person_ids=(None,)) -> None:
    """What ``name`` counts changed: drop the kept numbers at once and again when the change
    commits (a page that counted in between, before the commit, kept the old number)."""
    keys = [_count_key(name, tenant_id, person_id) for person_id in person_ids]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))
