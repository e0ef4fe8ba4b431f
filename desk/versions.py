"""The supported-version rule: only the tenant's current app version is supported.

A version is 1 to 4 dot-separated numbers of ASCII digits ("11.4.1"); a ticket from an older
version than the tenant's current one is flagged for the agent.
"""

from __future__ import annotations

import re

VERSION_RE = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,9}){0,3}$")


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")) if VERSION_RE.match(version) else ()


def is_outdated(version: str, current: str) -> bool:
    """True when ``version`` is older than the tenant's ``current`` one (both dotted numbers)."""
    mine, theirs = version_tuple(version), version_tuple(current)
    if not mine or not theirs:
        return False
    width = max(len(mine), len(theirs))
    return mine + (0,) * (width - len(mine)) < theirs + (0,) * (width - len(theirs))
