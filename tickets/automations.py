"""The policy's timed rules, run by Celery beat every few minutes.

- pending for the tenant's delay (default 4 days) -> solved, with the solved email;
- solved for the tenant's delay (default 2 days) -> closed, with the ``tickets_closed`` signal
  (surveys) and the closed email (unless the survey, sent at once, already says so);
- pending and close to the automatic solve -> one reminder email per pending period;
- an agent's update overdue -> one SLA breach event per due time.

Driven by ticket state, never by per-ticket delayed tasks. Each pass claims due rows in
batches with ``SELECT ... FOR UPDATE SKIP LOCKED`` (served by partial indexes) and applies a
rule to the whole batch at once, in the batch's transaction: one UPDATE of the tickets (each
stamped at its own due time), one INSERT each of events and outbox emails, and one each for
what the signals' receivers add (survey invitations, webhook deliveries). Ticket by ticket,
a pass over 100,000 tickets took ten minutes; a batch at a time, seconds (see the README's
benchmarks). Two passes at once share the work without doubling it; a pass after downtime
catches up (and stamps each change at its due time); memory stays one batch deep.

One bad ticket never stops the pass: a batch whose statements fail is rolled back and done
again ticket by ticket, each in a savepoint of its own; the ticket that still fails is
reported and left for the next pass, the rest of its batch goes through. Tenants take turns,
one batch each per round, so a tenant with a backlog of thousands cannot starve the next
one's handful within the pass's time budget.

Because of that, the beat task starts ``AUTOMATION_WORKERS`` passes at once
(``tickets.tasks``), each a task any worker process takes, so a backlog is worked off on that
many cores; each pass is a whole one (rules in order, tenants in turn).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from time import monotonic

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from core.batching import collector_paused
from tenants.context import tenant_context
from tenants.models import Tenant
from tickets import lifecycle, notifications
from tickets.lifecycle import Actor
from tickets.models import Ticket, TicketEvent
from tickets.signals import tickets_closed

Status = Ticket.Status
# Large enough that a batch's fixed costs are spread thin (its ~30 statements, the email
# templates rendered once, the commit's checks; a pass over 100,000 closing tickets took 23.4 s
# in batches of 500, 21.6 s of 1,000, 20.2-21.2 s of 2,000), small enough that a batch holds
# its rows' locks for under a second (~0.8 s for 2,000 closing tickets on one core) and one
# tenant's turn stays short.
BATCH_SIZE = 2000
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


def _due_pending(tenant: Tenant, now: datetime) -> QuerySet:
    return Ticket.objects.filter(
        status=Status.PENDING, pending_since__lte=now - tenant.pending_solve_delay
    ).order_by("pending_since")


def _due_solved(tenant: Tenant, now: datetime) -> QuerySet:
    return Ticket.objects.filter(
        status=Status.SOLVED, solved_at__lte=now - tenant.solved_close_delay
    ).order_by("solved_at")


def _due_reminders(tenant: Tenant, now: datetime) -> QuerySet:
    remind_after = tenant.pending_solve_delay - tenant.pending_reminder_before
    return Ticket.objects.filter(
        status=Status.PENDING,
        pending_reminded_at__isnull=True,
        pending_since__lte=now - remind_after,
        pending_since__gt=now - tenant.pending_solve_delay,
    ).order_by("pending_since")


def _due_breaches(tenant: Tenant, now: datetime) -> QuerySet:
    """Tickets whose update is overdue and whose breach for that due time is not recorded."""
    return (
        Ticket.objects.filter(next_update_due_at__lte=now, status__in=Ticket.UNSOLVED)
        .exclude(sla_breached_due_at=F("next_update_due_at"))
        .order_by("next_update_due_at")
    )


def _solve(tenant: Tenant, tickets: list[Ticket]) -> None:
    lifecycle.transition_due(
        tickets,
        Status.SOLVED,
        since="pending_since",
        delay=tenant.pending_solve_delay,
        reason="pending_timeout",
    )
    notifications.tickets_solved(tickets, automatic=True)


def _close(tenant: Tenant, tickets: list[Ticket]) -> None:
    lifecycle.transition_due(
        tickets,
        Status.CLOSED,
        since="solved_at",
        delay=tenant.solved_close_delay,
        reason="solved_timeout",
    )
    told = {
        ticket.pk
        for _receiver, answer in tickets_closed.send(sender=Ticket, tickets=tickets)
        for ticket in answer or ()
    }
    notifications.tickets_closed([ticket for ticket in tickets if ticket.pk not in told])


def _remind(tenant: Tenant, tickets: list[Ticket]) -> None:
    notifications.pending_reminders(tickets)
    now = timezone.now()
    Ticket.objects.filter(pk__in=[ticket.pk for ticket in tickets]).update(
        pending_reminded_at=now, updated_at=now
    )
    for ticket in tickets:
        ticket.pending_reminded_at = ticket.updated_at = now


def _breach(tenant: Tenant, tickets: list[Ticket]) -> None:
    lifecycle.record_many(
        tickets,
        TicketEvent.Kind.SLA_BREACHED,
        actor_kind=Actor.AUTOMATION,
        after=[ticket.next_update_due_at.isoformat() for ticket in tickets],
        data=[{"priority": ticket.priority, "status": ticket.status} for ticket in tickets],
    )
    now = timezone.now()
    # The due time each row holds under the claim's lock: the one its event names.
    Ticket.objects.filter(pk__in=[ticket.pk for ticket in tickets]).update(
        sla_breached_due_at=F("next_update_due_at"), updated_at=now
    )
    for ticket in tickets:
        ticket.sla_breached_due_at, ticket.updated_at = ticket.next_update_due_at, now


@dataclass(frozen=True)
class Rule:
    outcome: str  # the Report list it adds to
    due: Callable[[Tenant, datetime], QuerySet]
    apply: Callable[[Tenant, list[Ticket]], None]  # to a batch of claimed tickets


# In this order: a ticket solved by the first rule during a catch-up can close in the same pass.
RULES = [
    Rule("solved", _due_pending, _solve),
    Rule("closed", _due_solved, _close),
    Rule("reminded", _due_reminders, _remind),
    Rule("breached", _due_breaches, _breach),
]


class _TenantTurns:
    """One tenant's part of a pass: the rule it is at, and the tickets that failed under it."""

    def __init__(self, tenant: Tenant):
        self.tenant = tenant
        self.rule = 0
        self.failed: set[int] = set()

    def next_batch(self, report: Report, batch_size: int) -> bool:
        """Claim and apply this tenant's next batch (rules with nothing due are passed over);
        False once every rule is done."""
        while self.rule < len(RULES):
            rule = RULES[self.rule]
            with tenant_context(self.tenant), collector_paused():
                now = timezone.now()
                # Rows another pass holds are skipped, not waited for; the filter is applied
                # again under the lock, so a ticket that changed meanwhile is not touched.
                batch = list(
                    rule.due(self.tenant, now)
                    .exclude(pk__in=self.failed)
                    .select_for_update(skip_locked=True, of=("self",))[:batch_size]
                )
                if batch:
                    self._apply(rule, batch, now, report)
            if len(batch) < batch_size:
                self.rule += 1
                self.failed = set()
            if batch:
                return self.rule < len(RULES)
        return False

    def _apply(self, rule: Rule, batch: list[Ticket], now: datetime, report: Report) -> None:
        slug = self.tenant.slug
        try:
            with transaction.atomic():
                rule.apply(self.tenant, batch)
        except Exception:
            log.exception(
                "automation %s failed on a batch of %s; retrying ticket by ticket",
                rule.outcome,
                len(batch),
            )
        else:
            getattr(report, rule.outcome).extend((slug, ticket.number) for ticket in batch)
            return
        for claimed in batch:
            try:
                with transaction.atomic():
                    # Read again: the failed attempt changed the claimed objects in memory
                    # (the database rolled back). The lock is still this transaction's.
                    ticket = rule.due(self.tenant, now).filter(pk=claimed.pk).first()
                    if ticket is None:
                        continue
                    rule.apply(self.tenant, [ticket])
            except Exception as error:
                # One bad row must not stop the desk: record it, skip it this pass.
                log.exception("automation %s failed on ticket %s", rule.outcome, claimed.pk)
                self.failed.add(claimed.pk)
                report.failed.append((slug, claimed.number, repr(error)))
            else:
                getattr(report, rule.outcome).append((slug, ticket.number))


def run_automations(
    *,
    tenants=None,
    time_budget: timedelta = timedelta(minutes=4),
    batch_size: int = BATCH_SIZE,
    dry_run: bool = False,
) -> Report:
    """One pass over every active tenant (or the given ones) within ``time_budget``.

    Round-robin: each round gives every tenant with work left one batch, until all are done
    or the budget is spent (the next pass continues where this one stopped).
    """
    report = Report()
    deadline = monotonic() + time_budget.total_seconds()
    if tenants is None:
        tenants = Tenant.objects.filter(is_active=True).order_by("pk")
    if dry_run:
        for tenant in tenants:
            with tenant_context(tenant):
                now = timezone.now()
                for rule in RULES:
                    numbers = rule.due(tenant, now).values_list("number", flat=True)
                    getattr(report, rule.outcome).extend((tenant.slug, n) for n in numbers)
        return report
    turns = [_TenantTurns(tenant) for tenant in tenants]
    while turns:
        for turn in list(turns):
            if monotonic() > deadline:
                report.budget_exhausted = True
                return report
            if not turn.next_batch(report, batch_size):
                turns.remove(turn)
    return report
