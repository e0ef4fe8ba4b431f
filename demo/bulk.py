"""Bulk creation of consistent tickets, for the benchmark and volume tests (not for requests)."""

from __future__ import annotations

from datetime import datetime

from tenants.context import tenant_context
from tenants.models import Tenant
from tickets.models import Ticket
from tickets.services import ticket_numbers_reserve


def create_due_tickets(
    tenant: Tenant, count: int, *, status: str, since: datetime, batch: int = 5000
) -> None:
    """``count`` tickets in ``status`` (pending or solved) since ``since``, numbered in order."""
    if status not in (Ticket.Status.PENDING, Ticket.Status.SOLVED):
        raise ValueError("Only pending or solved tickets can be due.")
    with tenant_context(tenant):
        first = ticket_numbers_reserve(count)
    for start in range(0, count, batch):
        with tenant_context(tenant):
            Ticket.objects.bulk_create(
                Ticket(
                    tenant=tenant,
                    number=first + start + offset,
                    subject=f"Bulk ticket {first + start + offset}",
                    requester_email=f"requester{(start + offset) % 977}@example.com",
                    status=status,
                    priority_rank=2,  # normal
                    status_changed_at=since,
                    pending_since=since if status == Ticket.Status.PENDING else None,
                    solved_at=since if status == Ticket.Status.SOLVED else None,
                )
                for offset in range(min(batch, count - start))
            )
