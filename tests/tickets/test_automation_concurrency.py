"""Two automation passes at once over thousands of due tickets, on PostgreSQL (SKIP LOCKED):
each ticket is changed once, with one event, one email and (closing) one survey."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from demo.bulk import create_due_tickets
from outbox.models import OutboxEmail
from surveys.models import SurveyEvent, SurveyInvitation
from tenants.context import tenant_context
from tenants.services import tenant_create
from tickets.automations import run_automations
from tickets.models import Ticket, TicketEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
COUNT = 3000
S = Ticket.Status
# What each due ticket must end with: its new status, and per template one email.
OUTCOMES = {
    S.SOLVED: (S.CLOSED, ["survey_invitation"]),  # the survey tells of the closing
    S.PENDING: (S.SOLVED, ["ticket_solved"]),
}


def _overlapping_passes(tenant) -> list:
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
    return reports


def _once_each(counter: Counter) -> bool:
    return len(counter) == COUNT and set(counter.values()) == {1}


@pytest.mark.parametrize("status", [S.SOLVED, S.PENDING])
def test_two_overlapping_passes_change_each_ticket_once(status):
    tenant = tenant_create(slug=f"overlap-{status}", name="Overlap")
    delay = tenant.solved_close_delay if status == S.SOLVED else tenant.pending_solve_delay
    create_due_tickets(
        tenant, COUNT, status=status, since=timezone.now() - delay - timedelta(days=1)
    )
    reports = _overlapping_passes(tenant)
    became, templates = OUTCOMES[status]
    outcome = "closed" if became == S.CLOSED else "solved"
    changed_by = [{number for _slug, number in getattr(report, outcome)} for report in reports]
    assert all(changed_by), "both passes should have taken part of the work"
    assert not changed_by[0] & changed_by[1], "a ticket was changed by both passes"
    assert len(changed_by[0] | changed_by[1]) == COUNT
    assert not any(report.failed for report in reports)
    with tenant_context(tenant):
        assert Ticket.objects.filter(status=became).count() == COUNT
        events = Counter(
            TicketEvent.objects.filter(
                kind=TicketEvent.Kind.STATUS_CHANGED, after=became
            ).values_list("ticket_id", flat=True)
        )
        emails = {
            template: Counter(
                OutboxEmail.objects.filter(template=template).values_list("ticket_id", flat=True)
            )
            for template in templates
        }
        invitations = Counter(SurveyInvitation.objects.values_list("ticket_id", flat=True))
        surveys_sent = Counter(
            TicketEvent.objects.filter(kind=SurveyEvent.SENT).values_list("ticket_id", flat=True)
        )
    assert _once_each(events)
    assert all(_once_each(counter) for counter in emails.values())
    if became == S.CLOSED:
        assert _once_each(invitations) and _once_each(surveys_sent)
    else:
        assert not invitations and not surveys_sent
