"""The page benchmark: server time and SQL per request in the biggest bench tenant.

    manage.py seed_bench --tenants 1000 --tickets 1000000      # once
    manage.py bench [--rounds 20] [--json var/bench.json] [--automation 100000] [--explain]

Each case (the agent queue's default and filtered views at page 1 and after 50,000 rows, text
and number search, a ticket page, My tickets, the overview and reports, the API list, a
submission with a file) is requested through Django's test client in this process, as the
application's database role: a warm-up round, then ``--rounds`` timed rounds. It prints p50,
p95 and p99 milliseconds and the SQL statements of one request, then EXPLAIN ANALYZE of each
case's slowest statements. A statement whose plan throws away far more rows than it returns
(see bench.plans) fails the command after the table is printed.

``--automation N`` also times one automation pass over N due tickets in a throwaway tenant.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench import pages, plans
from demo.management.commands.bench_automations import automation_pass
from helpdesk.warmup import settle


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--rounds", type=int, default=20)
        parser.add_argument("--json", default=str(Path(settings.VAR_DIR) / "bench.json"))
        parser.add_argument("--automation", type=int, default=0, metavar="N")
        parser.add_argument("--explain", action="store_true", help="Print every plan read.")
        parser.add_argument("--only", default="", help="Only cases whose name contains this.")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark reads PostgreSQL plans (set DATABASE_URL).")
        rounds = max(1, options["rounds"])
        world = pages.world(settings.BASE_DOMAIN)
        settle()  # as the web processes do at start-up (helpdesk/asgi.py)
        cases = [c for c in world.cases if options["only"].lower() in c.name.lower()]
        results, wasteful = [], []
        for case in cases:  # one request each first: the first case is not the warm-up
            self._call(world, case)
        for case in cases:
            result = self._measure(world, case, rounds)
            result["plans"] = self._plans(world, result.pop("queries"))
            wasteful += [(case.name, plan) for plan in result["plans"] if plan.wasteful]
            results.append(result)
        self._table(results)
        for name, result in ((r["name"], r) for r in results):
            for plan in result["plans"]:
                if options["explain"] or plan.wasteful:
                    self.stdout.write(
                        f"\n-- {name}: {plan.execution_ms:.1f} ms, "
                        f"{plan.returned} rows returned, "
                        f"{plan.discarded} read and thrown away"
                    )
                    self.stdout.write(plan.sql[:2000])
                    self.stdout.write(plan.text)
        report = {
            "rounds": rounds,
            "tenant": world.tenant.slug,
            "cases": [
                {k: v for k, v in r.items() if k != "plans"}
                | {
                    "plans": [
                        {
                            "sql": p.sql[:4000],
                            "ms": p.execution_ms,
                            "returned": p.returned,
                            "discarded": p.discarded,
                        }
                        for p in r["plans"]
                    ]
                }
                for r in results
            ],
        }
        if options["automation"]:
            report["automation"] = automation_pass(
                options["automation"],
                "solved",
                out=self.stdout,
                workers=settings.AUTOMATION_WORKERS,
            )
        path = Path(options["json"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2))
        self.stdout.write(f"\nwritten {path}")
        if wasteful:
            names = ", ".join(sorted({name for name, _ in wasteful}))
            raise CommandError(f"plans that read far more rows than they return: {names}")

    def _call(self, world, case: pages.Case):
        method = getattr(world.clients[case.role], case.method)
        data = case.data() if case.data else None
        response = method(case.path, data, secure=True, **case.headers)
        if response.status_code != case.expect:
            raise CommandError(
                f"{case.name}: {case.method.upper()} {case.path} answered "
                f"{response.status_code}, expected {case.expect}"
            )
        return response

    def _measure(self, world, case: pages.Case, rounds: int) -> dict:
        def call():
            return self._call(world, case)

        for _ in range(3):  # warm-up: caches, connections, templates
            call()
        timings = []
        for _ in range(rounds):
            started = time.perf_counter()
            call()
            timings.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as captured:
            call()
        return {
            "name": case.name,
            "p50": statistics.median(timings),
            "p95": percentile(timings, 0.95),
            "p99": percentile(timings, 0.99),
            "sql": len(captured.captured_queries),
            "sql_ms": sum(float(q["time"]) for q in captured.captured_queries) * 1000,
            "queries": captured.captured_queries,
        }

    def _plans(self, world, queries: list[dict], slowest: int = 3) -> list[plans.Plan]:
        reads = [q for q in queries if plans.is_read(q["sql"])]
        reads.sort(key=lambda q: float(q["time"]), reverse=True)
        return [plans.explain(q["sql"], world.tenant) for q in reads[:slowest]]

    def _table(self, results: list[dict]) -> None:
        self.stdout.write(
            f"{'case':<40} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'SQL':>5} {'SQL ms':>8}"
        )
        for r in results:
            self.stdout.write(
                f"{r['name'][:40]:<40} {r['p50']:>8.1f} {r['p95']:>8.1f} {r['p99']:>8.1f} "
                f"{r['sql']:>5} {r['sql_ms']:>8.1f}"
            )
