"""Two automation passes at once over 5,000 due tickets, on PostgreSQL (SKIP LOCKED)."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from demo.bulk import create_due_tickets
from outbox.models import OutboxEmail
from tenants.context import tenant_context
from tenants.services import tenant_create
from tickets.automations import run_automations
from tickets.models import Ticket, TicketEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
COUNT = 5000


def test_two_overlapping_passes_transition_each_ticket_once():
    tenant = tenant_create(slug="overlap", name="Overlap")
    create_due_tickets(
        tenant, COUNT, status=Ticket.Status.SOLVED, since=timezone.now() - timedelta(days=3)
    )
    reports, errors = [], []
    barrier = threading.Barrier(2)

    def one_pass():
        try:
            barrier.wait(timeout=30)
            reports.append(run_automations(tenants=[tenant], batch_size=250))
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not errors, errors
    closed_by = [{number for _slug, number in report.closed} for report in reports]
    assert all(closed_by), "both passes should have taken part of the work"
    assert not closed_by[0] & closed_by[1], "a ticket was closed by both passes"
    assert len(closed_by[0] | closed_by[1]) == COUNT
    with tenant_context(tenant):
        assert Ticket.objects.filter(status=Ticket.Status.CLOSED).count() == COUNT
        events = Counter(
            TicketEvent.objects.filter(
                kind=TicketEvent.Kind.STATUS_CHANGED, after=Ticket.Status.CLOSED
            ).values_list("ticket_id", flat=True)
        )
        emails = Counter(
            OutboxEmail.objects.filter(template="ticket_closed").values_list("ticket_id", flat=True)
        )
    assert len(events) == COUNT and set(events.values()) == {1}
    assert len(emails) == COUNT and set(emails.values()) == {1}
