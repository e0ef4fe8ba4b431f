"""Reading untrusted input without surprises.

Browsers and clients send whatever they like: NUL bytes (which PostgreSQL refuses to store),
digits from other scripts (``"²".isdigit()`` is true, ``int("²")`` raises), numbers past any
column's range, megabytes of text. The helpers here answer "not valid" instead of raising, so a
caller turns bad input into a form error or a 400 and never into a 500.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# The longest Markdown body (description, reply, note, macro) we accept. Long enough for a
# pasted log excerpt; whole logs belong in attachments. The renderer is linear in this length
# (``manage.py bench_rendering`` measures it at exactly this size).
MAX_BODY_CHARS = 50_000

# The largest value of a PostgreSQL bigint: ids and ticket numbers never exceed it.
MAX_ID = 2**63 - 1

_ASCII_ID = re.compile(r"[0-9]{1,19}")


def parse_id(value: object) -> int | None:
    """A positive database id or ticket number from a string of ASCII digits, else None.

    Accepts exactly ``[0-9]+`` (no sign, no spaces, no other scripts' digits) within the
    bigint range, so the result is always safe to put in a query.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value <= MAX_ID else None
    if not isinstance(value, str) or not _ASCII_ID.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def parse_ids(values: Iterable[object]) -> list[int] | None:
    """Every value as an id, or None if any of them is not one."""
    ids = [parse_id(value) for value in values]
    return None if any(i is None for i in ids) else ids  # type: ignore[return-value]


def ticket_number_in(text: str) -> int | None:
    """``#42`` or ``42`` typed into a search box -> 42; anything else -> None."""
    return parse_id(text.strip().removeprefix("#"))


def has_nul(value: str) -> bool:
    return "\x00" in value


def local_path(value: str, *, prefix: str, default: str) -> str:
    """A "come back here" path from a form: a same-site path under ``prefix``, else ``default``.

    Refuses other hosts (``//evil``), schemes and anything with control characters or
    backslashes, which could split a ``Location`` header or be read as another host.
    """
    if (
        not value.startswith(prefix)
        or value.startswith("//")
        or len(value) > 2000
        or any(ch in value for ch in "\\\r\n\t\x00")
        or not value.isprintable()
    ):
        return default
    return value
