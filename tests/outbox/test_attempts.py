"""Every send attempt is counted, including the ones a killed worker never finished."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from outbox.models import OutboxEmail
from outbox.services import (
    MAX_ATTEMPTS,
    SEND_LEASE,
    _claim,
    email_deliver,
    outbox_sweep,
)
from tenants.context import tenant_context

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def row(world_a, clock):
    ticket = world_a.submit(subject="Counted")
    with tenant_context(world_a.tenant):
        return OutboxEmail.objects.get(ticket=ticket)


def reload(world, row):
    with tenant_context(world.tenant):
        row.refresh_from_db()
    return row


def kill_a_worker_mid_send(world, row):
    """A worker claims the row, then dies before recording anything."""
    with tenant_context(world.tenant):
        assert _claim(row.pk) is not None


def test_a_send_cut_short_by_a_killed_worker_counts_as_an_attempt(world_a, clock, row):
    kill_a_worker_mid_send(world_a, row)
    clock.move_to(T0 + SEND_LEASE + timedelta(seconds=1))
    outbox_sweep(send=lambda tenant, email_id: None)  # takes the row back, queues nothing
    assert reload(world_a, row).status == OutboxEmail.Status.PENDING
    assert email_deliver(tenant=world_a.tenant, email_id=row.pk) == "sent"
    row = reload(world_a, row)
    assert row.status == OutboxEmail.Status.SENT
    assert row.attempts == 2


def test_a_clean_send_is_one_attempt(world_a, clock, row):
    assert email_deliver(tenant=world_a.tenant, email_id=row.pk) == "sent"
    assert reload(world_a, row).attempts == 1


def test_a_row_that_keeps_killing_its_workers_ends_failed(world_a, clock, row):
    for _ in range(MAX_ATTEMPTS):
        assert reload(world_a, row).status == OutboxEmail.Status.PENDING
        kill_a_worker_mid_send(world_a, row)
        clock.shift(SEND_LEASE + timedelta(seconds=1))
        outbox_sweep(send=lambda tenant, email_id: None)
    row = reload(world_a, row)
    assert row.status == OutboxEmail.Status.FAILED
    assert row.attempts == MAX_ATTEMPTS
    assert row.next_attempt_at is None and row.locked_until is None
    assert "stopped" in row.last_error
    clock.shift(timedelta(days=1))
    assert email_deliver(tenant=world_a.tenant, email_id=row.pk) == "skipped"
    assert not [m for m in mail.outbox if m.subject == row.subject]


def test_a_suppressed_row_was_never_attempted(world_a, clock, row):
    customer = world_a.users["customer"]
    customer.email_bounced_at = T0
    customer.save(update_fields=["email_bounced_at"])
    assert email_deliver(tenant=world_a.tenant, email_id=row.pk) == "suppressed"
    row = reload(world_a, row)
    assert row.status == OutboxEmail.Status.SUPPRESSED
    assert row.attempts == 0
