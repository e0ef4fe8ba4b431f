"""Demo only: let days pass for one ticket, then run the timed rules.

A newcomer solves a ticket and wants to see it close and the satisfaction survey go out, which
the policy does after two days. This moves the ticket's whole history back (``demo.clock``) by
the time its next timed rule waits for, or ``--days``, then runs one automation pass over the
tenant, exactly as Celery beat would.
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from demo.clock import shift_back
from demo.tenants import DEMO_TENANT
from outbox.models import OutboxEmail
from tenants.context import tenant_context
from tenants.models import Tenant
from tickets.automations import run_automations
from tickets.models import Ticket

Status = Ticket.Status
MAX_DAYS = 365


class Command(BaseCommand):
    help = (
        "Demo only (DEBUG on): move a pending or solved ticket's clock back, as if days had "
        "passed, then run the timed rules, so it is solved or closed (and surveyed) at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("number", type=int, help="The ticket's number (#12 is 12).")
        parser.add_argument(
            "--tenant", default=DEMO_TENANT["slug"], help="The tenant's slug (default: demo)."
        )
        parser.add_argument(
            "--days",
            type=float,
            help="How many days to move it (default: until its next timed rule is due).",
        )

    def handle(self, *args, number: int, tenant: str, days: float | None, **options):
        if not settings.DEBUG:
            raise CommandError(
                "demo_advance_clock rewrites a ticket's history: it runs only in the demo "
                "(DEBUG=1, as bin/demo sets it)."
            )
        if days is not None and not 0 < days <= MAX_DAYS:
            raise CommandError(f"--days must be more than 0 and at most {MAX_DAYS}.")
        desk = Tenant.objects.filter(slug=tenant).first()
        if desk is None:
            raise CommandError(f"No tenant {tenant!r} (run manage.py seed_demo).")
        started = timezone.now()
        with tenant_context(desk), transaction.atomic():
            ticket = Ticket.objects.select_for_update().filter(number=number).first()
            if ticket is None:
                raise CommandError(f"{desk.name} has no ticket #{number}.")
            delta = self._delta(desk, ticket, days)
            shift_back(ticket, delta)
        self.stdout.write(f"Moved #{number}'s clock back {_duration(delta)}.")

        report = run_automations(tenants=[desk])
        for outcome in ("solved", "closed", "reminded"):
            for _slug, done in getattr(report, outcome):
                self.stdout.write(f"  {outcome} #{done}")
        with tenant_context(desk):
            ticket.refresh_from_db()
            emails = list(
                OutboxEmail.objects.filter(ticket=ticket, created_at__gte=started).order_by("pk")
            )
        self.stdout.write(f"#{number} is now {ticket.get_status_display().lower()}.")
        for email in emails:
            self.stdout.write(f"  email queued: {email.subject} (to {email.recipient})")
        if emails:
            self.stdout.write(f"Read them at {desk.url(reverse('agent:demo_emails'))}")
        if ticket.status == Status.SOLVED:
            self.stdout.write(f"Run it again to close #{number} and send its survey.")

    @staticmethod
    def _delta(desk: Tenant, ticket: Ticket, days: float | None) -> timedelta:
        if days is not None:
            return timedelta(days=days)
        if ticket.status == Status.PENDING:
            due = ticket.pending_since + desk.pending_solve_delay
        elif ticket.status == Status.SOLVED:
            due = ticket.solved_at + desk.solved_close_delay
        else:
            due = None
        if due is not None:
            # A minute past due, so the pass a moment later certainly finds it.
            return max(due - timezone.now() + timedelta(minutes=1), timedelta(0))
        raise CommandError(
            f"#{ticket.number} is {ticket.get_status_display().lower()}: only pending and solved "
            "tickets wait for a timed rule. Solve it (or ask the customer, pending) first, or "
            "pass --days."
        )


def _duration(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 24 else f"{max(hours, 0):.1f} hours"
