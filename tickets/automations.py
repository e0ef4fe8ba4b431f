"""The policy's timed rules, run by Celery beat every few minutes.

- pending for the tenant's delay (default 4 days) -> solved, with the solved email;
- solved for the tenant's delay (default 2 days) -> closed, with the closed email and the
  ``ticket_closed`` signal (surveys);
- pending and close to the automatic solve -> one reminder email per pending period.

Driven by ticket state, never by per-ticket delayed tasks. Tenant by tenant, each pass claims
due rows in batches with ``SELECT ... FOR UPDATE SKIP LOCKED`` (served by partial indexes) and
applies each change through the lifecycle in the batch's transaction, with its event and its
outbox rows. Two passes at once share the work without doubling it; a pass after downtime
catches up (and stamps each change at its due time); memory stays one batch deep.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tenants.context import tenant_context
from tenants.models import Tenant
from tickets import lifecycle, notifications
from tickets.lifecycle import Actor
from tickets.models import Ticket, TicketEvent
from tickets.signals import ticket_closed

Status = Ticket.Status
BATCH_SIZE = 500
log = logging.getLogger(__name__)


@dataclass
class Report:
    solved: list[tuple[str, int]] = field(default_factory=list)
    closed: list[tuple[str, int]] = field(default_factory=list)
    reminded: list[tuple[str, int]] = field(default_factory=list)
    breached: list[tuple[str, int]] = field(default_factory=list)
    failed: list[tuple[str, int, str]] = field(default_factory=list)
    budget_exhausted: bool = False

    @property
    def total(self) -> int:
        return len(self.solved) + len(self.closed) + len(self.reminded) + len(self.breached)


def _due_pending(tenant: Tenant, now: datetime):
    return Ticket.objects.filter(
        status=Status.PENDING, pending_since__lte=now - tenant.pending_solve_delay
    ).order_by("pending_since")


def _due_solved(tenant: Tenant, now: datetime):
    return Ticket.objects.filter(
        status=Status.SOLVED, solved_at__lte=now - tenant.solved_close_delay
    ).order_by("solved_at")


def _due_reminders(tenant: Tenant, now: datetime):
    remind_after = tenant.pending_solve_delay - tenant.pending_reminder_before
    return Ticket.objects.filter(
        status=Status.PENDING,
        pending_reminded_at__isnull=True,
        pending_since__lte=now - remind_after,
        pending_since__gt=now - tenant.pending_solve_delay,
    ).order_by("pending_since")


def _solve(tenant: Tenant, ticket: Ticket) -> None:
    due = ticket.pending_since + tenant.pending_solve_delay
    lifecycle.transition(
        ticket, Status.SOLVED, actor_kind=Actor.AUTOMATION, reason="pending_timeout", at=due
    )
    notifications.ticket_solved(ticket, automatic=True)


def _close(tenant: Tenant, ticket: Ticket) -> None:
    due = ticket.solved_at + tenant.solved_close_delay
    lifecycle.transition(
        ticket, Status.CLOSED, actor_kind=Actor.AUTOMATION, reason="solved_timeout", at=due
    )
    notifications.ticket_closed(ticket)
    ticket_closed.send(sender=Ticket, ticket=ticket)


def _remind(tenant: Tenant, ticket: Ticket) -> None:
    notifications.pending_reminder(ticket)
    ticket.pending_reminded_at = timezone.now()
    ticket.save(update_fields=["pending_reminded_at", "updated_at"])


def _due_breaches(tenant: Tenant, now: datetime):
    """Tickets whose update is overdue and whose breach for that due time is not recorded."""
    return (
        Ticket.objects.filter(next_update_due_at__lte=now, status__in=Ticket.UNSOLVED)
        .exclude(sla_breached_due_at=F("next_update_due_at"))
        .order_by("next_update_due_at")
    )


def _breach(tenant: Tenant, ticket: Ticket) -> None:
    lifecycle.record(
        ticket,
        TicketEvent.Kind.SLA_BREACHED,
        actor_kind=Actor.AUTOMATION,
        after=ticket.next_update_due_at.isoformat(),
        data={"priority": ticket.priority, "status": ticket.status},
    )
    ticket.sla_breached_due_at = ticket.next_update_due_at
    ticket.save(update_fields=["sla_breached_due_at", "updated_at"])


# In this order: a ticket solved by the first rule during a catch-up can close in the same pass.
RULES = [
    ("solved", _due_pending, _solve),
    ("closed", _due_solved, _close),
    ("reminded", _due_reminders, _remind),
    ("breached", _due_breaches, _breach),
]


def run_tenant(
    tenant: Tenant,
    report: Report,
    *,
    deadline: float,
    batch_size: int = BATCH_SIZE,
    dry_run: bool = False,
) -> None:
    for outcome, due, apply in RULES:
        done = getattr(report, outcome)
        failed_ids: set[int] = set()
        while True:
            if time.monotonic() > deadline:
                report.budget_exhausted = True
                return
            with tenant_context(tenant):
                now = timezone.now()
                if dry_run:
                    numbers = due(tenant, now).values_list("number", flat=True)
                    done.extend((tenant.slug, number) for number in numbers)
                    break
                # Rows another pass holds are skipped, not waited for; the filter is applied
                # again under the lock, so a ticket that changed meanwhile is not touched.
                batch = list(
                    due(tenant, now)
                    .exclude(pk__in=failed_ids)
                    .select_for_update(skip_locked=True, of=("self",))[:batch_size]
                )
                for ticket in batch:
                    try:
                        with transaction.atomic():
                            apply(tenant, ticket)
                    except Exception as error:
                        # One bad row must not stop the desk: record it, skip it this pass.
                        log.exception("automation %s failed on ticket %s", outcome, ticket.pk)
                        failed_ids.add(ticket.pk)
                        report.failed.append((tenant.slug, ticket.number, repr(error)))
                    else:
                        done.append((tenant.slug, ticket.number))
            if len(batch) < batch_size:
                break


def run_automations(
    *,
    tenants=None,
    time_budget: timedelta = timedelta(minutes=4),
    batch_size: int = BATCH_SIZE,
    dry_run: bool = False,
) -> Report:
    """One pass over every active tenant (or the given ones) within ``time_budget``."""
    report = Report()
    deadline = time.monotonic() + time_budget.total_seconds()
    if tenants is None:
        tenants = Tenant.objects.filter(is_active=True).order_by("pk")
    for tenant in tenants:
        run_tenant(tenant, report, deadline=deadline, batch_size=batch_size, dry_run=dry_run)
        if report.budget_exhausted:
            break
    return report
