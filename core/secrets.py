"""Secrets at rest (mailbox passwords, authenticator keys): Fernet (AES with an HMAC) under a key
derived from SECRET_KEY for one purpose only; SECRET_KEY_FALLBACKS still decrypt after a key
rotation."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretBox:
    def __init__(self, purpose: bytes):
        self.purpose = purpose

    def _key(self, secret: str) -> bytes:
        digest = hashlib.sha256(self.purpose + b"\0" + secret.encode()).digest()
        return base64.urlsafe_b64encode(digest)

    def _fernet(self) -> MultiFernet:
        secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
        return MultiFernet([Fernet(self._key(secret)) for secret in secrets])

    def encrypt(self, text: str) -> str:
        return self._fernet().encrypt(text.encode()).decode()

    def decrypt(self, token: str) -> str:
        """The secret, or "" when it cannot be read (a key no longer configured)."""
        try:
            return self._fernet().decrypt(token.encode()).decode()
        except InvalidToken:
            return ""
