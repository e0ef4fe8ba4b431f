"""Mailbox passwords at rest (core.secrets, under a key for this purpose only)."""

from __future__ import annotations

from core.secrets import SecretBox

_box = SecretBox(b"helpdesk.inbox.mailbox-password")
encrypt = _box.encrypt
decrypt = _box.decrypt
