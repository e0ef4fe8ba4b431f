"""Personal API tokens: made, listed, revoked (audited), and looked up by the API's
authentication (accounts.api_auth)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone

from accounts.models import ApiToken
from core.errors import InvalidInput
from tenants import audit

PREFIX = "hd_"
MAX_TOKENS = 50  # per person and helpdesk: enough for every script, not a table to fill
MAX_NAME = 80
LAST_USE_PRECISION = timedelta(minutes=1)  # "last used" is written at most once a minute


def digest_of(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_create(
    *, user, name: str, scope: str, expires_in_days: int | None
) -> tuple[ApiToken, str]:
    """A new token for ``user`` in the current helpdesk: (the row, the token itself, which is
    never stored and must be shown to the person now)."""
    name = " ".join(str(name).split())
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise InvalidInput(f"Name the token (up to {MAX_NAME} letters, digits and spaces).")
    if scope not in ApiToken.Scope.values:
        raise InvalidInput("A token can read, or read and write.")
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_TOKENS:
        raise InvalidInput(f"You have {MAX_TOKENS} tokens: revoke one you no longer use first.")
    raw = PREFIX + secrets.token_urlsafe(32)
    expires_at = None
    if expires_in_days is not None:
        expires_at = timezone.now() + timedelta(days=expires_in_days)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[: len(PREFIX) + 6],
        digest=digest_of(raw),
        scope=scope,
        expires_at=expires_at,
    )
    audit.record(
        audit.Action.API_TOKEN_CREATED,
        actor=user,
        target=f"{user.email}: {token}",
        detail={"scope": scope, "expires_at": expires_at.isoformat() if expires_at else None},
    )
    return token, raw


def token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit.record(
            audit.Action.API_TOKEN_REVOKED, actor=token.user, target=f"{token.user.email}: {token}"
        )
    return token


def tokens_of(user):
    """``user``'s tokens in the current helpdesk, newest first (revoked and expired too)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def token_for(raw: str) -> ApiToken | None:
    """The current helpdesk's token ``raw`` is, usable or not (None when there is none)."""
    if not raw.startswith(PREFIX) or len(raw) > 100:
        return None
    return ApiToken.objects.select_related("user").filter(digest=digest_of(raw)).first()


def token_used(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
