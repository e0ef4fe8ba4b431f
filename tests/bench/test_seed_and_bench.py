"""The volume seed and the page benchmark at a small scale, so neither can rot: CI runs both
on every change (20,000 tickets in 20 tenants) and the benchmark's own checks hold there."""

import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F

from bench import seed
from demo.management.commands import bench_automations
from tenants.context import cross_tenant, tenant_context
from tenants.models import Tenant
from tickets.models import Attachment, Comment, Ticket, TicketEvent, TicketSearch

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TICKETS, TENANTS = 20_000, 20


def test_spread_is_zipf_like_with_one_big_tenant():
    counts = seed.spread(1_000_000, 1000)
    assert sum(counts) == 1_000_000 and len(counts) == 1000
    assert counts[0] == 200_000
    assert counts[1] > counts[10] > counts[100] > counts[999] >= 1
    with pytest.raises(ValueError, match="at least one ticket"):
        seed.spread(10, 20)


def test_seed_then_bench_at_small_scale(tmp_path, settings, monkeypatch):
    out = StringIO()
    call_command("seed_bench", tenants=TENANTS, tickets=TICKETS, stdout=out, stderr=StringIO())
    assert f"seeded {TICKETS:,} tickets in {TENANTS} tenants" in out.getvalue()
    with cross_tenant():
        tenants = Tenant.objects.filter(slug__startswith="bench-")
        assert tenants.count() == TENANTS
        assert Ticket.all_tenants.filter(tenant__in=tenants).count() == TICKETS
        comments = Comment.all_tenants.filter(tenant__in=tenants).count()
        assert 1.5 * TICKETS < comments < 2.5 * TICKETS  # about two per ticket
        assert TicketEvent.all_tenants.filter(tenant__in=tenants).count() > TICKETS
        # One file on every tenth ticket of each tenant.
        tenth = Ticket.all_tenants.filter(tenant__in=tenants).annotate(m=F("number") % 10)
        assert Attachment.all_tenants.filter(tenant__in=tenants).count() == (
            tenth.filter(m=0).count()
        )
        # The search triggers saw every subject and message the seed inserted.
        assert TicketSearch.objects.filter(tenant__in=tenants).count() == TICKETS + comments
    big = Tenant.objects.get(slug=seed.BIG_SLUG)
    with tenant_context(big):
        # Consistent with the lifecycle (the database's constraints hold it too) and numbered
        # without gaps, the counter at the last number.
        numbers = list(Ticket.objects.order_by("number").values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT last_number FROM tickets_ticketcounter WHERE tenant_id = %s", [big.pk]
            )
            assert cursor.fetchone()[0] == len(numbers)
        assert not Ticket.objects.filter(status="new", assignee__isnull=False).exists()
        assert Ticket.objects.filter(status="open", next_update_due_at__isnull=True).count() == 0

    with pytest.raises(CommandError, match="exist already"):
        call_command("seed_bench", tenants=2, tickets=10, stdout=StringIO(), stderr=StringIO())

    report_path = tmp_path / "bench.json"
    out = StringIO()
    # The throwaway tenant's tables are vacuumed once it is dropped (at this size too).
    monkeypatch.setattr(bench_automations, "VACUUM_ROWS", 1)
    call_command("bench", rounds=2, json=str(report_path), automation=500, stdout=out)
    report = json.loads(report_path.read_text())
    names = [case["name"] for case in report["cases"]]
    for expected in (
        "queue default, page 1",
        "search 'VPN'",
        "My tickets",
        "overview",
        "API ticket list",
        "submit a ticket with a file",
        "ticket page (agent)",
    ):
        assert any(name.startswith(expected) for name in names), expected
    assert any(", after " in name for name in names)  # a deep keyset page was measured
    for case in report["cases"]:
        assert case["p50"] > 0 and case["sql"] > 0 and case["plans"], case["name"]
    assert report["automation"]["moved"] == 500 and report["automation"]["failed"] == 0
    assert "p95 ms" in out.getvalue()
    assert re.search(r"vacuumed \d+ tables", out.getvalue())

    # The load mix against a real server (a few people, a few seconds): it runs, every page
    # answers, nothing fails.
    load_path = tmp_path / "load.json"
    call_command(
        "bench_load",
        users=6,
        spawn_rate=6,
        seconds=8,
        workers=1,
        people=20,
        json=str(load_path),
        stdout=StringIO(),
    )
    load = json.loads(load_path.read_text())
    steady = load["all (steady state)"]
    assert steady["requests"] > 0 and steady["errors"] == 0
    customer_pages = {"My tickets", "My tickets, solved", "a ticket (customer)", "portal home"}
    agent_pages = {"queue", "queue, a built-in view", "a ticket (agent)", "search"}
    assert set(load) & customer_pages and set(load) & agent_pages

    call_command("seed_bench", drop=True, stdout=StringIO(), stderr=StringIO())
    with cross_tenant():
        assert not Tenant.objects.filter(slug__startswith="bench").exists()
        assert not Ticket.all_tenants.filter(tenant__slug__startswith="bench").exists()


def test_the_waste_check_can_fail():
    """A plan that filters 32,000 rows out to return 51 (the queue's old COALESCE key) is
    flagged; one that reads what it returns, or counts what it reads, is not."""
    from bench import plans

    deep_page = {
        "Node Type": "Limit",
        "Actual Rows": 51,
        "Plans": [
            {
                "Node Type": "Index Scan",
                "Actual Rows": 51,
                "Actual Loops": 1,
                "Rows Removed by Filter": 32_244,
            }
        ],
    }
    count = {
        "Node Type": "Aggregate",
        "Actual Rows": 1,
        "Plans": [{"Node Type": "Index Only Scan", "Actual Rows": 10_001, "Actual Loops": 1}],
    }
    wasteful = plans.Plan("", "", plans._returned(deep_page), plans._discarded(deep_page), 1.0)
    counting = plans.Plan("", "", plans._returned(count), plans._discarded(count), 1.0)
    assert wasteful.wasteful and (wasteful.returned, wasteful.discarded) == (51, 32_244)
    assert not counting.wasteful and counting.returned == 10_001
