"""Benchmark data: N tickets across T tenants (one holding a fifth), generated in PostgreSQL.

    manage.py seed_bench --tenants 1000 --tickets 1000000     # the issue's scale, minutes
    manage.py seed_bench --tenants 20 --tickets 20000          # CI's scale, seconds
    manage.py seed_bench --drop                                # remove every bench tenant

Prints a progress bar, the rate and the logins the benchmark uses (all with one password).
"""

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench import seed
from demo.management.commands.bench_automations import drop_tenant
from tenants.models import Tenant


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--tenants", type=int, default=1000)
        parser.add_argument("--tickets", type=int, default=1_000_000)
        parser.add_argument("--drop", action="store_true", help="Delete the bench tenants.")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_bench generates rows inside PostgreSQL (set DATABASE_URL).")
        if options["drop"]:
            self._drop()
            return
        tenants, tickets = options["tenants"], options["tickets"]
        if tenants < 1 or tickets < tenants:
            raise CommandError("Need --tenants >= 1 and at least one ticket per tenant.")
        started = time.perf_counter()
        try:
            plans = seed.seed(tickets, tenants, progress=self._progress)
        except ValueError as error:
            raise CommandError(str(error)) from error
        elapsed = time.perf_counter() - started
        sys.stderr.write("\n")
        big = plans[0]
        self.stdout.write(
            f"seeded {tickets:,} tickets in {tenants:,} tenants in {elapsed:.1f}s "
            f"({tickets / elapsed:,.0f} tickets/s); biggest: {big.slug} with {big.tickets:,}"
        )
        self.stdout.write(
            f"logins (password {seed.PASSWORD}): agent1@{big.domain}, manager1@{big.domain}, "
            f"admin1@{big.domain}, customer1@{big.domain} (the heavy customer)"
        )

    def _drop(self) -> None:
        tenants = list(Tenant.objects.filter(slug__startswith="bench-"))
        for index, tenant in enumerate(tenants, 1):
            drop_tenant(tenant, people=True)
            self._progress(index, len(tenants))
        sys.stderr.write("\n")
        self.stdout.write(f"dropped {len(tenants)} bench tenants")

    def _progress(self, done: int, total: int) -> None:
        width = 40
        filled = int(width * done / total) if total else width
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}")
        sys.stderr.flush()
