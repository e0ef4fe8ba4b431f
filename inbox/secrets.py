"""Mailbox passwords at rest: Fernet (AES with an HMAC) under a key derived from SECRET_KEY for
this purpose only; SECRET_KEY_FALLBACKS still decrypt after a key rotation."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

PURPOSE = b"helpdesk.inbox.mailbox-password"


def _key(secret: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(PURPOSE + b"\0" + secret.encode()).digest())


def _fernet() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(_key(secret)) for secret in secrets])


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    """The password, or "" when it cannot be read (a key no longer configured)."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""
