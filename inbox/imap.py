"""Polling a tenant's own mailbox over IMAP (imapclient), on a schedule (``inbox.tasks``).

Each new message (UID above ``last_uid``, for the folder's current UIDVALIDITY) is fetched,
ingested in its own transaction, recorded as done, and then moved to ``move_to`` or flagged
as read, in that order. A poll cut off anywhere leaves nothing half done: a message imported
but not yet recorded is fetched again next time and recognised by its Message-ID (or, without
one, by its mailbox, UIDVALIDITY and UID), so it is imported once; a message recorded but not
yet moved stays where it is, already imported. A new UIDVALIDITY (the folder was rebuilt)
starts the folder over, with the same protection against doubles.

Connection and login failures are counted and shown on Settings -> Email; the next attempt
waits 1, 2, 4 ... up to 60 minutes.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl

from django.conf import settings
from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from inbox import secrets
from inbox.ingest import ingest
from inbox.models import Mailbox
from outbox.services import backoff
from tenants.context import tenant_context

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30
PER_POLL = 200  # messages per poll at most; the rest wait for the next one
IMPORTED_FLAG = b"$HelpdeskImported"
FAILURES = (IMAPClientError, OSError, socket.timeout, ssl.SSLError)


def connect(mailbox: Mailbox) -> IMAPClient:
    client = IMAPClient(
        mailbox.host, port=mailbox.port, ssl=mailbox.use_ssl, timeout=TIMEOUT_SECONDS
    )
    client.login(mailbox.username, secrets.decrypt(mailbox.password_encrypted))
    return client


def _save(mailbox: Mailbox, **fields) -> None:
    with tenant_context(mailbox.tenant):
        Mailbox.objects.filter(pk=mailbox.pk).update(**fields, updated_at=timezone.now())
    for name, value in fields.items():
        setattr(mailbox, name, value)


def _after_import(client: IMAPClient, mailbox: Mailbox, uid: int, can_move: bool) -> None:
    if mailbox.after_import == Mailbox.AfterImport.MOVE and mailbox.move_to:
        if not client.folder_exists(mailbox.move_to):
            client.create_folder(mailbox.move_to)
        if can_move:
            client.move([uid], mailbox.move_to)
        else:
            client.copy([uid], mailbox.move_to)
            client.delete_messages([uid])
            if b"UIDPLUS" in client.capabilities():
                client.uid_expunge([uid])
            else:
                client.expunge()
    else:
        client.add_flags([uid], [b"\\Seen", IMPORTED_FLAG])


def poll(mailbox: Mailbox, *, connector=connect) -> int:
    """Import what is new in the mailbox; returns how many messages were handled. Failures
    are recorded on the mailbox (never raised)."""
    now = timezone.now()
    _save(mailbox, last_polled_at=now)
    handled = 0
    try:
        client = connector(mailbox)
        try:
            selected = client.select_folder(mailbox.folder)
            validity = int(selected.get(b"UIDVALIDITY", 0))
            if validity != mailbox.uid_validity:
                _save(mailbox, uid_validity=validity, last_uid=0)
            can_move = b"MOVE" in client.capabilities()
            uids = sorted(u for u in client.search(["UID", f"{mailbox.last_uid + 1}:*"]))
            for uid in [u for u in uids if u > mailbox.last_uid][:PER_POLL]:
                fetched = client.fetch([uid], [b"RFC822"]).get(uid, {})
                raw = fetched.get(b"RFC822")
                if raw is not None:
                    key = f"<imap-{mailbox.pk}-{validity}-{uid}@{settings.BASE_DOMAIN}>"
                    ingest(
                        tenant=mailbox.tenant,
                        raw=raw,
                        address=mailbox.address,
                        via="imap",
                        fallback_id=key,
                    )
                _save(mailbox, last_uid=uid)
                _after_import(client, mailbox, uid, can_move)
                handled += 1
        finally:
            with contextlib.suppress(*FAILURES):
                client.logout()
    except FAILURES as error:
        failures = mailbox.failures + 1
        message = f"{type(error).__name__}: {error}"[:500]
        _save(
            mailbox,
            failures=failures,
            last_error=message,
            next_poll_at=timezone.now() + backoff(failures, cap_minutes=60),
        )
        log.warning("mailbox %s: poll failed (%s in a row): %s", mailbox.pk, failures, message)
        return handled
    _save(mailbox, failures=0, last_error="", last_success_at=timezone.now(), next_poll_at=None)
    return handled
