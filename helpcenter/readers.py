"""Who is reading the help center, as the votes and the deflection notes name them.

- **Voters.** A signed-in member votes as their account (the same person on two browsers counts
  once). Everyone else, including a person signed in here without having joined, votes as their
  browser: a random key in a signed cookie, so a forged or edited cookie is simply not a voter.
- **Visitors.** The ticket form's suggestions are noted against a random key kept in the
  session (``contributions.VISITOR_SESSION_KEY``), which the ticket-submitted receiver reads.
"""

from __future__ import annotations

import re
import secrets

from django.conf import settings

from helpcenter import services
from helpcenter.contributions import VISITOR_SESSION_KEY

VOTER_COOKIE = "help_voter"
VOTER_SALT = "helpcenter.voter"
# Two years: long enough that a reader who comes back still sees (and can change) their answer.
VOTER_MAX_AGE = 2 * 365 * 24 * 60 * 60
_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_key() -> str:
    return secrets.token_urlsafe(24)


def voter_key(request) -> str:
    """The browser's voting key from its signed cookie; "" when absent, forged or malformed."""
    key = request.get_signed_cookie(VOTER_COOKIE, default="", salt=VOTER_SALT)
    return key if isinstance(key, str) and _KEY.fullmatch(key) else ""


def voting_user(request):
    """The account a vote counts for: a member of this helpdesk, else None (a browser vote)."""
    return request.user if getattr(request, "membership", None) is not None else None


def voter(request) -> str:
    """The reader as ``services.voter_of`` names them ("" for a browser that has not voted)."""
    return services.voter_of(user=voting_user(request), voter_key=voter_key(request))


def remember_voter(response, key: str) -> None:
    response.set_signed_cookie(
        VOTER_COOKIE,
        key,
        salt=VOTER_SALT,
        max_age=VOTER_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def visitor_key(request) -> str:
    """This browser's help-center identity in its session, made on first use."""
    key = request.session.get(VISITOR_SESSION_KEY)
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        key = new_key()
        request.session[VISITOR_SESSION_KEY] = key
    return key


def is_staff(request) -> bool:
    membership = getattr(request, "membership", None)
    return bool(membership is not None and membership.is_staff_role)
