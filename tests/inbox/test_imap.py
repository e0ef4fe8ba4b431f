"""IMAP polling against a real server (dovecot, started by the tests): mail delivered to the
mailbox becomes tickets exactly once across polls, a poll cut off midway, a rebuilt folder;
failures are recorded and retried later."""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from imapclient import IMAPClient

from inbox import imap, secrets, tasks
from inbox.models import InboundEmail, Mailbox, SupportAddress
from tenants.context import cross_tenant, tenant_context
from tests.inbox import dovecot
from tickets.models import Ticket

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not dovecot.available(), reason="dovecot is not installed (bin/test does)"),
]


@pytest.fixture
def server():
    # Not pytest's tmp_path: dovecot's own users (as root) must reach the folder, and
    # /tmp/pytest-of-<user> is private to its owner.
    root = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
    running = dovecot.start(root)
    yield running
    dovecot.stop(running)
    shutil.rmtree(root, ignore_errors=True)


def client(server) -> IMAPClient:
    connection = IMAPClient(server.host, port=server.port, ssl=False, timeout=10)
    connection.login(server.user, server.password)
    return connection


def deliver(server, *messages: bytes, folder="INBOX") -> None:
    connection = client(server)
    for message in messages:
        connection.append(folder, message)
    connection.logout()


def message(n: int, *, message_id: bool = True) -> bytes:
    header = f"Message-ID: <imap-test-{n}@example.net>\r\n" if message_id else ""
    return (
        f"From: casey@example.net\r\nTo: help@alpha-support.example\r\n"
        f"Subject: Mailbox message {n}\r\n{header}\r\nBody of message {n}.\r\n"
    ).encode()


@pytest.fixture
def mailbox(world_a, server):
    with tenant_context(world_a.tenant):
        address = SupportAddress.objects.create(address="help@alpha-support.example")
        box = Mailbox.objects.create(
            address=address,
            host=server.host,
            port=server.port,
            use_ssl=False,
            username=server.user,
            password_encrypted=secrets.encrypt(server.password),
        )
    return refreshed(box)


def subjects(world) -> list[str]:
    with tenant_context(world.tenant):
        return sorted(Ticket.objects.filter(channel="email").values_list("subject", flat=True))


def refreshed(box: Mailbox) -> Mailbox:
    with cross_tenant():
        return Mailbox.all_tenants.select_related("tenant", "address").get(pk=box.pk)


def flags(server, folder="INBOX") -> dict[int, set[bytes]]:
    connection = client(server)
    connection.select_folder(folder)
    found = {uid: set(data) for uid, data in connection.get_flags(connection.search()).items()}
    connection.logout()
    return found


def test_mail_becomes_tickets_exactly_once_across_polls(world_a, server, mailbox):
    deliver(server, message(1), message(2), message(3))
    assert imap.poll(mailbox) == 3
    assert imap.poll(refreshed(mailbox)) == 0  # nothing new: nothing twice
    deliver(server, message(4))
    assert imap.poll(refreshed(mailbox)) == 1
    assert subjects(world_a) == [f"Mailbox message {n}" for n in (1, 2, 3, 4)]
    box = refreshed(mailbox)
    assert box.last_uid == 4 and box.failures == 0 and box.last_success_at is not None
    with tenant_context(world_a.tenant):
        assert InboundEmail.objects.filter(via="imap", outcome="ticket").count() == 4
    # Flagged where they are (the default): read, and marked as imported.
    assert all({b"\\Seen", imap.IMPORTED_FLAG} <= f for f in flags(server).values())


def test_a_poll_cut_off_midway_loses_and_doubles_nothing(world_a, server, mailbox, monkeypatch):
    deliver(server, message(1), message(2, message_id=False), message(3))
    real_ingest = imap.ingest
    calls = []

    def crash_after_second(**kwargs):
        result = real_ingest(**kwargs)
        calls.append(result)
        if len(calls) == 2:
            raise KeyboardInterrupt("worker killed after importing, before recording the UID")
        return result

    monkeypatch.setattr(imap, "ingest", crash_after_second)
    with pytest.raises(KeyboardInterrupt):
        imap.poll(mailbox)
    assert refreshed(mailbox).last_uid == 1
    monkeypatch.setattr(imap, "ingest", real_ingest)
    assert imap.poll(refreshed(mailbox)) == 2  # message 2 again (recognised), then message 3
    assert subjects(world_a) == ["Mailbox message 1", "Mailbox message 2", "Mailbox message 3"]
    assert refreshed(mailbox).last_uid == 3


def test_a_rebuilt_folder_is_read_again_without_doubles(world_a, server, mailbox):
    deliver(server, message(1), message(2))
    imap.poll(mailbox)
    with tenant_context(world_a.tenant):
        Mailbox.objects.filter(pk=mailbox.pk).update(uid_validity=1, last_uid=99)
    assert imap.poll(refreshed(mailbox)) == 2  # read again from the start ...
    assert subjects(world_a) == ["Mailbox message 1", "Mailbox message 2"]  # ... once each


def test_imported_mail_can_be_moved_to_another_folder(world_a, server, mailbox):
    with tenant_context(world_a.tenant):
        Mailbox.objects.filter(pk=mailbox.pk).update(after_import="move", move_to="Done")
    deliver(server, message(1), message(2))
    assert imap.poll(refreshed(mailbox)) == 2
    assert flags(server) == {}
    assert len(flags(server, "Done")) == 2
    assert subjects(world_a) == ["Mailbox message 1", "Mailbox message 2"]


def test_failures_are_recorded_backed_off_and_shown(world_a, server, mailbox):
    with tenant_context(world_a.tenant):
        Mailbox.objects.filter(pk=mailbox.pk).update(
            password_encrypted=secrets.encrypt("wrong password")
        )
    deliver(server, message(1))
    assert imap.poll(refreshed(mailbox)) == 0
    box = refreshed(mailbox)
    assert box.failures == 1 and "LoginError" in box.last_error
    assert box.next_poll_at > timezone.now()
    # The scheduled task leaves it alone until its backoff has passed.
    assert tasks.poll_mailboxes() == {}
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert tasks.poll_mailboxes() == {mailbox.pk: 0}
    assert refreshed(mailbox).failures == 2
    # The right password: the next poll imports and clears the error.
    with tenant_context(world_a.tenant):
        Mailbox.objects.filter(pk=mailbox.pk).update(
            password_encrypted=secrets.encrypt(server.password), next_poll_at=None
        )
    assert tasks.poll_mailboxes() == {mailbox.pk: 1}
    box = refreshed(mailbox)
    assert (box.failures, box.last_error) == (0, "")


def test_an_unreachable_server_is_an_error_not_a_crash(world_a, mailbox):
    with tenant_context(world_a.tenant):
        Mailbox.objects.filter(pk=mailbox.pk).update(port=1)
    assert imap.poll(refreshed(mailbox)) == 0
    box = refreshed(mailbox)
    assert box.failures == 1 and "ConnectionRefusedError" in box.last_error


def test_the_password_is_stored_encrypted(mailbox, server):
    assert server.password not in mailbox.password_encrypted
    assert secrets.decrypt(mailbox.password_encrypted) == server.password
    assert secrets.decrypt("not a token") == ""
