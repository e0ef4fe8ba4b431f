"""SLA due times: when the next agent update is owed, in the tenant's business time.

Targets come from the tenant's priority levels (first reply before the first public agent
reply, next update after it). Pending, solved and closed tickets owe nothing.
"""

from __future__ import annotations

from django.db.models.functions import Coalesce
from django.utils import timezone

from desk.business_time import NoBusinessHours, Schedule, schedule_for
from desk.models import PriorityLevel
from tenants.context import current_tenant
from tickets.models import Ticket

OWES_UPDATE = (Ticket.Status.NEW, Ticket.Status.OPEN)


class SlaPolicy:
    """The current tenant's schedule and targets, loaded once and reused for many tickets."""

    def __init__(self, tenant=None, schedule: Schedule | None = None, levels=None):
        self.tenant = tenant or current_tenant()
        self.schedule = schedule or schedule_for(self.tenant)
        levels = levels if levels is not None else PriorityLevel.objects.all()
        self.levels = {level.priority: level for level in levels}
        try:
            self.day_minutes = self.schedule.business_day_minutes()
        except NoBusinessHours:
            self.day_minutes = None

    def due(self, ticket: Ticket):
        """When the next agent update is due, or None when nothing is owed (or no hours)."""
        if ticket.status not in OWES_UPDATE or self.day_minutes is None:
            return None
        level = self.levels.get(ticket.priority)
        if level is None:
            return None
        which = "first_reply" if ticket.first_replied_at is None else "next_update"
        anchor = ticket.sla_anchor_at or ticket.created_at
        return self.schedule.add(anchor, level.target_minutes(which, self.day_minutes))


def refresh(ticket: Ticket, *, policy: SlaPolicy | None = None, anchor=None) -> None:
    """Recompute and store ``next_update_due_at`` (call inside the change's transaction)."""
    if anchor is not None:
        ticket.sla_anchor_at = anchor
    elif ticket.sla_anchor_at is None:
        ticket.sla_anchor_at = ticket.created_at or timezone.now()
    ticket.next_update_due_at = (policy or SlaPolicy()).due(ticket)
    ticket.save(update_fields=["sla_anchor_at", "next_update_due_at", "updated_at"])


def settled(status: str) -> dict:
    """What ``refresh`` (with no new anchor) leaves on tickets moving to ``status``, a status
    that owes no update, as UPDATE expressions for a whole batch: the anchor kept (set to the
    creation time where there was none, as ``refresh`` does) and nothing due."""
    if status in OWES_UPDATE:
        raise ValueError(f"{status} owes an update: its due time needs the policy, per ticket.")
    return {
        "sla_anchor_at": Coalesce("sla_anchor_at", "created_at"),
        "next_update_due_at": None,
    }


def settle(ticket: Ticket) -> None:
    """``settled``'s change on a ticket in memory (the batch's objects, after its UPDATE)."""
    ticket.sla_anchor_at = ticket.sla_anchor_at or ticket.created_at
    ticket.next_update_due_at = None


def recompute_all(*, batch: int = 2000) -> int:
    """Recompute the due time of every ticket that owes an update (after a settings change)."""
    policy = SlaPolicy()
    changed = 0
    last_pk = 0
    while True:
        tickets = list(
            Ticket.objects.filter(status__in=OWES_UPDATE, pk__gt=last_pk)
            .only(
                "pk",
                "status",
                "priority",
                "created_at",
                "first_replied_at",
                "sla_anchor_at",
                "next_update_due_at",
            )
            .order_by("pk")[:batch]
        )
        if not tickets:
            return changed
        for ticket in tickets:
            due = policy.due(ticket)
            if due != ticket.next_update_due_at:
                ticket.next_update_due_at = due
                changed += 1
        Ticket.objects.bulk_update(tickets, ["next_update_due_at"])
        last_pk = tickets[-1].pk
