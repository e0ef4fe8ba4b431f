"""How an internal note mentions a colleague: ``@`` and their handle.

A staff member's handle is the part of their email address before the ``@``
(``@alice`` for alice@example.com), case-insensitive. When two staff members of the helpdesk
share that part (alice@one.example and alice@two.example), neither short handle is taken
(it would be a guess): write the whole address after the ``@`` (``@alice@two.example``), which
always works. The note form lists every colleague's handle.

A mention starts a word: the ``@`` inside an address (bob@alice) or right after a letter is
not one. Only staff of the current helpdesk can be mentioned; anything else after an ``@`` is
plain text. Only internal notes notify: a public reply goes to the customer, and a colleague
named there is not called by it (documented on the note form).
"""

from __future__ import annotations

import re

# "@" at the start or after a character that cannot end an address; then a handle, or a
# whole address. Bounded lengths: the body may be 50,000 characters of anything.
_MENTION = re.compile(
    r"(?<![\w@.+-])@([A-Za-z0-9._+-]{1,64}(?:@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8})?)"
)
MAX_MENTIONS = 20  # distinct handles read from one note; more is not a mention, it is a list


def handles_in(text: str) -> list[str]:
    """The distinct handles mentioned in ``text``, lower-cased, in order of appearance."""
    found: list[str] = []
    for match in _MENTION.finditer(text):
        handle = match.group(1).rstrip(".").lower()  # "@alice." ends a sentence
        if handle and handle not in found:
            found.append(handle)
            if len(found) == MAX_MENTIONS:
                break
    return found


def handle_map(users) -> dict[str, object]:
    """{handle: user} for the staff ``users``: each full address, and each local part that
    only one of them has."""
    by_handle: dict[str, object] = {}
    local_counts: dict[str, int] = {}
    for user in users:
        email = user.email.lower()
        by_handle[email] = user
        local = email.split("@", 1)[0]
        local_counts[local] = local_counts.get(local, 0) + 1
    for user in users:
        local = user.email.lower().split("@", 1)[0]
        if local_counts[local] == 1:
            by_handle[local] = user
    return by_handle


def handle_of(user, users) -> str:
    """What to type after ``@`` to mention ``user`` among ``users`` (the note form's list)."""
    local = user.email.lower().split("@", 1)[0]
    clashes = sum(1 for other in users if other.email.lower().split("@", 1)[0] == local)
    return local if clashes == 1 else user.email.lower()


def mentioned(text: str, users) -> list:
    """The staff ``users`` that ``text`` mentions, each once, in order of first mention."""
    by_handle = handle_map(users)
    people: list = []
    for handle in handles_in(text):
        user = by_handle.get(handle)
        if user is not None and user not in people:
            people.append(user)
    return people
