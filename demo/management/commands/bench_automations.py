"""Benchmark: one automation run over N due tickets in a throwaway tenant; prints tickets/s.

    manage.py bench_automations --tickets 100000 [--status solved|pending] [--workers N]
                                [--batch-size N] [--queue-tasks] [--keep]

Each ticket goes through the real path: claimed with SKIP LOCKED in batches, moved by the
lifecycle with its event, its emails rendered and written to the outbox, and (closing) its
survey invitation. The run is ``--workers`` passes at once, each in a process of its own, as
the beat task starts AUTOMATION_WORKERS passes for the worker processes (default 2). Queueing
the send tasks after commit is left out unless --queue-tasks (it measures the broker, not us).

Measured on the 2-core development machine (PostgreSQL 15), 100,000 tickets, 2 worker
processes: closing (100,000 surveys, each email also the closing's news) 16.4-23.8 s on a
machine running Python at half the usual speed, 18.5-23.4 s (median 20.8) on another with
the cycle collector paused per batch (with a closed email beside each survey,
200,000 emails: 18.3-23.5 s on the usual machine); solving 8.3 s, 12,047 tickets/second.
Ticket by ticket it was 45-180 tickets/second. The README has the figures and their spread.
"""

import multiprocessing
import time
from contextlib import nullcontext
from datetime import timedelta
from unittest import mock

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, models
from django.utils import timezone

from demo.bulk import create_due_tickets
from outbox.models import OutboxEmail
from tenants import audit
from tenants.context import cross_tenant, tenant_context
from tenants.models import Membership, Tenant
from tenants.registry import tenant_owned_models
from tenants.services import tenant_create
from tickets.automations import BATCH_SIZE, Report, run_automations


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=100_000)
        parser.add_argument("--status", choices=["solved", "pending"], default="solved")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.AUTOMATION_WORKERS,
            help="Passes at once, each in a process (default: AUTOMATION_WORKERS).",
        )
        parser.add_argument("--queue-tasks", action="store_true")
        parser.add_argument("--keep", action="store_true", help="Keep the benchmark tenant.")

    def handle(self, *args, **options):
        if options["tickets"] < 1:
            raise CommandError("--tickets must be at least 1.")
        automation_pass(
            options["tickets"],
            options["status"],
            out=self.stdout,
            batch_size=options["batch_size"],
            workers=options["workers"],
            queue_tasks=options["queue_tasks"],
            keep=options["keep"],
        )


def automation_pass(
    count: int,
    status: str,
    *,
    out,
    batch_size: int = BATCH_SIZE,
    workers: int = 1,
    queue_tasks=False,
    keep=False,
) -> dict:
    """Make a throwaway tenant with ``count`` due tickets, run one pass, print and return the
    figures (and drop the tenant unless ``keep``)."""
    slug = f"bench{int(time.time())}"
    tenant = tenant_create(slug=slug, name="Automation benchmark")
    delay = tenant.solved_close_delay if status == "solved" else tenant.pending_solve_delay
    since = timezone.now() - delay - timedelta(minutes=5)
    started = time.perf_counter()
    create_due_tickets(tenant, count, status=status, since=since)
    if connection.vendor == "postgresql":
        # What autovacuum does after an insert this size (a tenth of the table or more): the
        # planner learns the tenant's backlog. Without it (autovacuum off, or not yet run)
        # the tenant looks empty, the batch UPDATE scans the tenant's whole partial index
        # for its 2,000 ids, and each batch reads past the rows the ones before it closed.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE tickets_ticket")
    out.write(f"database: {connection.vendor}")
    out.write(f"created {count} due {status} tickets in {time.perf_counter() - started:.1f}s")
    started = time.perf_counter()
    if workers > 1:
        connections.close_all()  # each process opens its own; none may share the parent's
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            reports = pool.starmap(_worker_pass, [(tenant, batch_size, queue_tasks)] * workers)
    else:
        reports = [_one_pass(tenant, batch_size, queue_tasks)]
    elapsed = time.perf_counter() - started
    report = Report()
    for part in reports:
        for outcome in ("solved", "closed", "failed"):
            getattr(report, outcome).extend(getattr(part, outcome))
    moved = len(report.closed) + len(report.solved)
    with tenant_context(tenant):
        emails = OutboxEmail.objects.count()
    out.write(
        f"one pass: {len(report.solved)} solved, {len(report.closed)} closed, "
        f"{emails} emails written, {len(report.failed)} failed in {elapsed:.1f}s"
    )
    processes = f"{workers} worker process{'es' if workers != 1 else ''}"
    out.write(f"throughput: {moved / elapsed:,.0f} tickets/second ({processes})")
    if not keep:
        vacuum(drop_tenant(tenant), out)
    return {
        "tickets": count,
        "status": status,
        "moved": moved,
        "failed": len(report.failed),
        "emails": emails,
        "seconds": elapsed,
        "tickets_per_second": moved / elapsed,
    }


def _one_pass(tenant: Tenant, batch_size: int, queue_tasks: bool) -> Report:
    # A plain function, not a Mock: a Mock records every call, and costs as much as the work.
    queue = nullcontext() if queue_tasks else mock.patch("outbox.services._queue_send", _skip)
    with queue:
        return run_automations(
            tenants=[tenant], time_budget=timedelta(hours=2), batch_size=batch_size
        )


def _worker_pass(tenant: Tenant, batch_size: int, queue_tasks: bool) -> Report:
    try:
        return _one_pass(tenant, batch_size, queue_tasks)
    finally:
        connection.close()  # the worker process's own


def _skip(*args) -> None:
    """Stands in for queueing a send task."""


def drop_tenant(tenant: Tenant, *, people: bool = False) -> list[str]:
    """Delete a benchmark tenant and every row it owns, in one transaction (``people``: and the
    accounts that belonged to it alone). Returns the tables that lost ``VACUUM_ROWS`` rows or
    more (``vacuum`` them).

    Straight DELETEs (events are immutable to the application, and the ORM's cascade would
    load every ticket into memory). The tables come from the app registry, so a table added
    later (survey invitations were once missed here) is cleaned up without being named.
    """
    with cross_tenant(), audit.purge():
        users = list(Membership.all_tenants.filter(tenant=tenant).values_list("user_id", flat=True))
        emptied = []
        for model in _delete_order(tenant_owned_models()):
            queryset = model.all_tenants.filter(tenant=tenant)
            if queryset._raw_delete(queryset.db) >= VACUUM_ROWS:
                emptied.append(model._meta.db_table)
        # Nothing references the tenant any more; the ORM delete also covers any table
        # that points at it without being tenant-owned.
        tenant.delete()
        if people:
            alone = get_user_model().objects.filter(pk__in=users, memberships__isnull=True)
            EmailAddress.objects.filter(user__in=alone)._raw_delete(connection.alias)
            alone._raw_delete(connection.alias)
    return emptied


# A table that lost this many rows is vacuumed after the run (see ``vacuum``).
VACUUM_ROWS = 10_000


def vacuum(tables: list[str], out=None) -> None:
    """VACUUM (ANALYZE) tables that a dropped benchmark tenant emptied, as autovacuum would
    later. Until it runs, the indexes keep the dead rows' entries: after a pass over 100,000
    tickets (200,000 rows written, then deleted) the bench's "My tickets, all" read them and
    took 19 ms instead of 7. PostgreSQL only, and never inside a transaction (a test's)."""
    if not tables or connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")
    if out is not None:
        out.write(f"vacuumed {len(tables)} tables in {time.perf_counter() - started:.1f}s")


def _delete_order(candidates: list[type[models.Model]]) -> list[type[models.Model]]:
    """``candidates`` ordered so that a model comes before every model it has a foreign key to.

    Django's foreign keys are deferred on PostgreSQL and SQLite, so within one transaction the
    order only has to be right by COMMIT; deleting referencing rows first keeps every statement
    valid on its own too. A cycle (none today) falls back to registry order for its members.
    """
    remaining = list(candidates)
    ordered: list[type[models.Model]] = []
    while remaining:
        # A model is ready once no other remaining model still has a foreign key to it.
        ready = [
            model
            for model in remaining
            if not any(
                other is not model
                and any(
                    isinstance(field, models.ForeignKey) and field.related_model is model
                    for field in other._meta.concrete_fields
                )
                for other in remaining
            )
        ]
        if not ready:
            ready = remaining[:1]
        ordered.extend(ready)
        remaining = [model for model in remaining if model not in ready]
    return ordered
