"""Load: simulated customers and agents against a real server, measured by locust.

    manage.py seed_bench ...                  # once
    manage.py bench_load [--users 200] [--seconds 60] [--workers 2] [--server gunicorn|uvicorn]

Signs in ``--people`` customers and all agents of the biggest bench tenant beforehand (sessions
made directly: password hashing is the sign-in's cost, measured on its own, not the pages'),
starts the server on a free loopback port as production runs it (``DEBUG=0``, persistent
database connections), and runs locust headless (bench/locustfile.py): seven customers in ten,
1-3 s between pages. Statistics are reset once every user has started, so the figures are the
steady state. Prints requests per second, errors and p50/p95/p99 per page and overall, and
the CPU each side used; ``--json`` writes them.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from importlib import import_module
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings

from bench import seed
from tenants.context import tenant_context
from tenants.middleware import SESSION_TENANT_KEY, session_scope
from tenants.models import Membership, Tenant
from tickets.models import Ticket

LOCUSTFILE = Path(__file__).resolve().parents[2] / "locustfile.py"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _session(user, tenant) -> str:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[SESSION_TENANT_KEY] = session_scope(tenant)
    store.create()
    return store.session_key


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=200)
        parser.add_argument("--spawn-rate", type=float, default=20)
        parser.add_argument("--seconds", type=int, default=60, help="Steady state measured.")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--server", choices=["gunicorn", "uvicorn"], default="gunicorn")
        parser.add_argument("--people", type=int, default=2000, help="Customers signed in.")
        parser.add_argument("--json", default="")

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=seed.BIG_SLUG).first()
        if tenant is None:
            raise CommandError("Run seed_bench first.")
        # The server runs with DEBUG off, which refuses the development key: give it this
        # process's key if it is a real one, else one for this run; sessions are signed with it.
        self.key = settings.SECRET_KEY
        if not os.environ.get("SECRET_KEY"):
            self.key = secrets.token_urlsafe(50)
        with override_settings(SECRET_KEY=self.key):
            data = self._people(tenant, options["people"])
        handle, data_path = tempfile.mkstemp(prefix="bench_load_", suffix=".json")
        with os.fdopen(handle, "w") as out:
            json.dump(data, out)
        port = _free_port()
        # The static files as the server will look for them (DEBUG=0: the hashed names and
        # their manifest, whatever this process's own settings are).
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            env=self._env(),
            cwd=settings.BASE_DIR,
            check=True,
        )
        server = self._start(options["server"], options["workers"], port)
        try:
            self._wait(port, data["host"], server)
            started_cpu, started_machine = _cpu_of(server.pid), _machine_busy()
            result = self._locust(options, port, data_path)
            server_cpu = _cpu_of(server.pid) - started_cpu
            busy, total = (a - b for a, b in zip(_machine_busy(), started_machine, strict=True))
            result["machine_busy"] = busy / total if total else 0.0
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
            Path(data_path).unlink(missing_ok=True)
        self._report(result, server_cpu, options)

    def _people(self, tenant: Tenant, count: int) -> dict:
        with tenant_context(tenant):
            members = Membership.objects.select_related("user")
            agents = [m.user for m in members.filter(role=Membership.Role.AGENT)]
            customers = [
                m.user for m in members.filter(role=Membership.Role.CUSTOMER).order_by("pk")[:count]
            ]
            # Customer 1 is the heavy one (a tenth of the tickets): keep their share realistic.
            tickets: dict[int, list[int]] = {}
            for requester, number in (
                Ticket.objects.filter(requester__in=customers[1:])
                .order_by("-number")
                .values_list("requester_id", "number")
                .iterator()
            ):
                tickets.setdefault(requester, []).append(number)
            unsolved = list(
                Ticket.objects.filter(status__in=Ticket.UNSOLVED)
                .order_by("-number")
                .values_list("number", flat=True)[:2000]
            )
        return {
            "host": f"{tenant.slug}.{settings.BASE_DOMAIN}",
            "agents": [{"session": _session(u, tenant), "tickets": []} for u in agents],
            "customers": [
                {"session": _session(u, tenant), "tickets": tickets.get(u.pk, [])[:20]}
                for u in customers[1:]
            ],
            "unsolved": unsolved,
            "any_tickets": unsolved[:1],
        }

    def _env(self, kind: str = "gunicorn") -> dict:
        db = connection.settings_dict
        return {
            **os.environ,
            # The database this command reads (a test database, when a test runs it).
            "DATABASE_URL": (
                f"postgres://{quote(db['USER'])}:{quote(db['PASSWORD'] or '')}@"
                f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{quote(db['NAME'])}"
            ),
            "DEBUG": "0",
            # The sessions made here are signed with this process's key.
            "SECRET_KEY": self.key,
            # Sync workers keep one connection each; under ASGI views run on a pool of threads,
            # each with its own connection, so persistent ones would pile up past the server's
            # limit (Django's advice: CONN_MAX_AGE=0 under ASGI).
            "CONN_MAX_AGE": "60" if kind == "gunicorn" else "0",
            # Plain HTTP on loopback (production sits behind TLS).
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "LOG_LEVEL": "WARNING",
        }

    def _start(self, kind: str, workers: int, port: int) -> subprocess.Popen:
        env = self._env(kind)
        if kind == "gunicorn":
            command = [
                sys.executable,
                "-m",
                "gunicorn",
                "helpdesk.wsgi:application",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ]
        else:
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "helpdesk.asgi:application",
                "--workers",
                str(workers),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
                "--no-server-header",
            ]
        self.stdout.write(f"server: {' '.join(command[2:])}")
        return subprocess.Popen(  # noqa: S603 (our interpreter, our arguments)
            command,
            env=env,
            cwd=settings.BASE_DIR,
            start_new_session=True,
            stdin=subprocess.DEVNULL,
        )

    def _wait(self, port: int, host: str, server: subprocess.Popen) -> None:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": host})
        for _ in range(120):
            if server.poll() is not None:
                raise CommandError("The server stopped while starting.")
            try:
                with urllib.request.urlopen(request, timeout=2):  # noqa: S310 (loopback)
                    return
            except OSError:
                time.sleep(0.5)
        raise CommandError("The server did not answer within 60 s.")

    def _locust(self, options, port: int, data_path: str) -> dict:
        prefix = Path(tempfile.mkdtemp(prefix="bench_load_")) / "run"
        spawn_seconds = options["users"] / options["spawn_rate"]
        command = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--users",
            str(options["users"]),
            "--spawn-rate",
            str(options["spawn_rate"]),
            "--run-time",
            f"{int(spawn_seconds + options['seconds'])}s",
            "--host",
            f"http://127.0.0.1:{port}",
            "--reset-stats",
            "--only-summary",
            "--csv",
            str(prefix),
            "--loglevel",
            "WARNING",
            "--stop-timeout",
            "5",
        ]
        started, started_cpu = time.monotonic(), _children_cpu()
        locust = subprocess.run(  # noqa: S603 (our interpreter, our arguments)
            command,
            env={**os.environ, "BENCH_LOAD_DATA": data_path},
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.monotonic() - started
        stats = prefix.with_name("run_stats.csv")
        if not stats.exists():
            raise CommandError(f"locust wrote no figures:\n{locust.stderr[-2000:]}")
        with stats.open() as f:
            rows = list(csv.DictReader(f))
        # Locust's own CPU: collectstatic, run earlier as a child too, is not the load's.
        return {"rows": rows, "elapsed": elapsed, "client_cpu": _children_cpu() - started_cpu}

    def _report(self, result: dict, server_cpu: float, options) -> None:
        def num(row, key):
            return float(row.get(key) or 0)

        self.stdout.write(
            f"{'page':<28} {'requests':>9} {'errors':>7} {'req/s':>7} "
            f"{'p50':>6} {'p95':>6} {'p99':>6}   (ms)"
        )
        summary = {}
        for row in result["rows"]:
            name = row["Name"] if row["Type"] else "all (steady state)"
            self.stdout.write(
                f"{name[:28]:<28} {int(num(row, 'Request Count')):>9} "
                f"{int(num(row, 'Failure Count')):>7} {num(row, 'Requests/s'):>7.1f} "
                f"{num(row, '50%'):>6.0f} {num(row, '95%'):>6.0f} {num(row, '99%'):>6.0f}"
            )
            summary[name] = {
                "requests": int(num(row, "Request Count")),
                "errors": int(num(row, "Failure Count")),
                "rps": num(row, "Requests/s"),
                "p50": num(row, "50%"),
                "p95": num(row, "95%"),
                "p99": num(row, "99%"),
            }
        self.stdout.write(
            f"users {options['users']}, {options['seconds']} s steady state, "
            f"{options['server']} x{options['workers']}; CPU seconds: server "
            f"{server_cpu:.0f}, locust {result['client_cpu']:.0f}; the machine's "
            f"{os.cpu_count()} cores {result['machine_busy']:.0%} busy (PostgreSQL included)"
        )
        if options["json"]:
            Path(options["json"]).write_text(json.dumps(summary, indent=2))


def _cpu_of(pid: int) -> float:
    """CPU seconds used so far by the process group ``pid`` leads (server and its workers)."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pid:  # the process group (our Popen started a new session)
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of every core since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    return sum(values) - idle, sum(values)


def _children_cpu() -> float:
    usage = os.times()
    return usage.children_user + usage.children_system
