"""Changes a person makes to their own account: their name and the time zone pages use."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone

from core.errors import InvalidInput
from core.time_zones import is_known_zone


def user_time_zone_prefill(*, user, time_zone: str) -> bool:
    """Store the zone the browser reported, only while the person has not chosen one.

    A conditional UPDATE: two tabs reporting at once, or a report arriving after the person
    chose a zone in their profile, never overwrite a choice. True when it was stored.
    """
    if not is_known_zone(time_zone):
        raise InvalidInput(f"{time_zone[:64]!r} is not a time zone we know.")
    stored = (
        get_user_model()
        .objects.filter(pk=user.pk, time_zone="")
        .update(time_zone=time_zone, updated_at=timezone.now())
    )
    if stored:
        user.time_zone = time_zone
    return bool(stored)


def user_profile_update(*, user, name: str, time_zone: str) -> None:
    """The person's own choice: their display name and the zone every page shows times in."""
    if not is_known_zone(time_zone):
        raise InvalidInput(f"{time_zone[:64]!r} is not a time zone we know.")
    user.name = name.strip()
    user.time_zone = time_zone
    user.save(update_fields=["name", "time_zone", "updated_at"])
