"""Benchmark: compute next-update due times for N tickets (a queue page needs a few hundred).

    manage.py bench_sla --tickets 10000

Uses a throwaway tenant with the demo schedule (Mon–Fri 08:00–17:00 America/Chicago, US
holidays) and default targets; tickets are spread over two years with every priority, so the
business-time arithmetic crosses weekends, holidays and DST changes.
"""

import random
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from desk.priorities import Priority
from tenants.context import cross_tenant, tenant_context
from tenants.services import tenant_create
from tickets.models import Ticket
from tickets.sla import SlaPolicy


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=10_000)

    def handle(self, *args, tickets: int, **options):
        if tickets < 1:
            raise CommandError("--tickets must be at least 1.")
        rng = random.Random(5)  # noqa: S311 (benchmark data)
        tenant = tenant_create(
            slug=f"slabench{int(time.time())}", name="SLA benchmark", holiday_country="US"
        )
        try:
            with tenant_context(tenant):
                started = time.perf_counter()
                policy = SlaPolicy()
                load = time.perf_counter() - started
                now = timezone.now()
                sample = []
                for _ in range(tickets):
                    created = now - timedelta(minutes=rng.randint(0, 60 * 24 * 730))
                    replied = rng.random() < 0.6
                    sample.append(
                        Ticket(
                            status=rng.choice([Ticket.Status.NEW, Ticket.Status.OPEN]),
                            priority=rng.choice(Priority.values),
                            created_at=created,
                            first_replied_at=created if replied else None,
                            sla_anchor_at=created + timedelta(minutes=rng.randint(0, 5000)),
                        )
                    )
                started = time.perf_counter()
                dues = [policy.due(ticket) for ticket in sample]
                cold = time.perf_counter() - started
                started = time.perf_counter()
                [policy.due(ticket) for ticket in sample]
                warm = time.perf_counter() - started
        finally:
            with cross_tenant():
                tenant.delete()
        assert all(due is not None for due in dues)  # noqa: S101 (a benchmark sanity check)
        self.stdout.write(f"schedule and targets loaded in {load * 1000:.1f} ms")
        self.stdout.write(
            f"{tickets} due times, cold cache: {cold:.3f} s "
            f"({cold / tickets * 1e6:.0f} µs per ticket)"
        )
        self.stdout.write(
            f"{tickets} due times, warm cache: {warm:.3f} s "
            f"({warm / tickets * 1e6:.0f} µs per ticket)"
        )
