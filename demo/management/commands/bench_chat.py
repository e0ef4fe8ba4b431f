"""Benchmark: live chat under load. N chats in progress, each with its customer's and its
agent's websocket open, both sides writing at a steady rate; prints how long a message takes
to reach the other side, how long the sender waits for its own echo, throughput and errors.

    manage.py bench_chat [--chats 200] [--seconds 30] [--rate 0.5] [--workers 1]
                         [--chats-per-agent 10] [--workspaces] [--url http://127.0.0.1:8000]
                         [--drain 5] [--keep]

A throwaway tenant (open around the clock) gets N/10 agents and N chats, started and taken
through chat.services, and a stored session for every customer browser and every agent. By
default the command then starts ``uvicorn helpdesk.asgi:application`` as the Procfile does, on
a free loopback port with this environment plus CONN_MAX_AGE=60 (each worker thread keeps its
database connection; an exported CONN_MAX_AGE wins); ``--url`` uses a server already running
on the same database and channel layer instead, ``--in-process`` one in a thread of this
process (the tests: their database may live in memory). All sockets live in one asyncio loop
here. Besides messages, each socket pings as the pages do (every 25 s); ``--workspaces`` also
opens each agent's workspace socket (/ws/agent/), which hears of every customer message.

Delivery latency: a message frame received by the other side minus the moment it was sent;
ack latency: the sender's own copy. Errors: failed connects, error frames, closes nobody
asked for, messages never delivered or echoed and pings never answered (after --drain
seconds), duplicate, out-of-order or skipped ids, tracebacks in the server's log. CPU use while
sending is shown per process (Linux), other programs' included: they skew the figures. The
bench tenant, its users and their sessions are deleted unless --keep.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import resource
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import time as clock
from importlib import import_module
from pathlib import Path
from unittest import mock
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
)
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from chat import services as chat_services
from chat.ws import VISITOR_KEY
from demo.management.commands.bench_automations import _delete_order
from desk.services import desk_create
from tenants import audit
from tenants.context import cross_tenant, tenant_context
from tenants.middleware import SESSION_TENANT_KEY
from tenants.models import Membership, Tenant
from tenants.registry import tenant_owned_models

ASGI_APP = "helpdesk.asgi:application"
CONNECT_CONCURRENCY = 50  # handshakes in flight at once (a page load storm, not a SYN flood)
STARTUP_TIMEOUT = 60
READY_TIMEOUT = 30  # handshake until the chat's state frame
PING_SECONDS = {"customer": 25, "agent": 25, "workspace": 30}  # chat.js, chat-agent.js
BODY = "Still stuck on the restore: the progress bar stops at {n}% and the log says nothing."


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--chats", type=int, default=200, help="Chats in progress (N).")
        parser.add_argument("--seconds", type=float, default=30, help="How long both sides send.")
        parser.add_argument(
            "--rate",
            type=float,
            default=0.5,
            help="Messages per second per chat per side (the consumer allows 4 frames/s).",
        )
        parser.add_argument("--chats-per-agent", type=int, default=10)
        parser.add_argument(
            "--drain", type=float, default=5, help="Seconds to wait for late messages."
        )
        parser.add_argument(
            "--url",
            default="",
            help="A server already running (http://host:port); default: start one.",
        )
        parser.add_argument(
            "--workers", type=int, default=1, help="uvicorn workers of the server started here."
        )
        parser.add_argument(
            "--in-process",
            action="store_true",
            help="Serve from a thread of this process instead (tests: an in-memory database).",
        )
        parser.add_argument(
            "--workspaces",
            action="store_true",
            help="Also open each agent's workspace socket (/ws/agent/), as agent pages do.",
        )
        parser.add_argument("--keep", action="store_true", help="Keep the benchmark tenant.")

    def handle(self, *args, **options):
        chats, rate, seconds = options["chats"], options["rate"], options["seconds"]
        if chats < 1 or rate <= 0 or seconds <= 0 or options["chats_per_agent"] < 1:
            raise CommandError("--chats, --rate, --seconds and --chats-per-agent must be positive.")
        layer = settings.CHANNEL_LAYERS["default"]["BACKEND"]
        if options["workers"] > 1 and layer.endswith("InMemoryChannelLayer"):
            raise CommandError(
                "The in-memory channel layer works within one process: use --workers 1, or set "
                "REDIS_URL so every worker shares the Redis layer."
            )
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database lacks migrations: run manage.py migrate first.")
        _raise_open_files_limit(4 * chats + 100)
        started = time.perf_counter()
        fixture = _Fixture.create(chats, options["chats_per_agent"])
        self.stdout.write(
            f"set up {chats} chats with {len(fixture.agents)} agents in tenant "
            f"{fixture.tenant.slug} in {time.perf_counter() - started:.1f}s"
        )
        try:
            server = _Server.for_options(options, fixture.tenant)
            try:
                server.start()
                load = _Load(
                    fixture,
                    server,
                    rate=rate,
                    seconds=seconds,
                    drain=options["drain"],
                    workspaces=options["workspaces"],
                )
                asyncio.run(load.run())
            finally:
                server.stop()
            self._report(fixture, server, load, options)
        finally:
            if not options["keep"]:
                fixture.drop()

    # --- the summary ----------------------------------------------------------------------

    def _report(self, fixture: _Fixture, server: _Server, load: _Load, options) -> None:
        out = self.stdout.write
        db = settings.DATABASES["default"]
        where = f" on {db.get('HOST')}:{db.get('PORT') or 5432}" if db.get("HOST") else ""
        layer = settings.CHANNEL_LAYERS["default"]
        hosts = layer.get("CONFIG", {}).get("hosts") or []
        out("")
        out(f"server:        {server.describe()}")
        if settings.DEBUG:
            out("               DEBUG is on (every query is logged); production runs DEBUG=0")
        out(f"database:      {connection.vendor} ({Path(str(db['NAME'])).name}{where})")
        out(
            f"channel layer: {layer['BACKEND'].rsplit('.', 1)[-1]}"
            + (f" ({', '.join(_redact(h) for h in hosts)})" if hosts else "")
            + (" (this process's settings)" if options["url"] else "")
        )
        sockets = len(load.all_sides)
        out(
            f"chats:         {len(fixture.chats)} in progress, {len(fixture.agents)} agents, "
            f"{load.connected} of {sockets} sockets open in {load.connect_seconds:.1f}s "
            f"(handshake to first state frame p50 {_pct(load.connect_ms, 50):.0f} ms, "
            f"p95 {_pct(load.connect_ms, 95):.0f} ms)"
        )
        out(
            f"load:          {options['rate']:g} messages/s per chat per side for "
            f"{options['seconds']:g}s ({load.offered:,.0f} messages/s offered)"
        )
        out(
            f"messages:      {len(load.sent)} sent, {len(load.delivered)} delivered, "
            f"{len(load.acked)} acknowledged; pings (as the pages send them): "
            f"{load.pings} sent, {load.pongs} answered"
            + (f"; {load.notices} workspace notices" if load.workspaces else "")
        )
        out(
            f"throughput:    {load.throughput:,.1f} messages/s delivered "
            f"({load.frame_rate:,.0f} frames/s in and out of the server)"
        )
        out(
            "delivery (ms): "
            + "  ".join(f"p{p} {_pct(load.delivery_ms, p):.1f}" for p in (50, 95, 99))
            + f"  max {max(load.delivery_ms, default=0):.1f}"
        )
        out(
            "ack (ms):      "
            + "  ".join(f"p{p} {_pct(load.ack_ms, p):.1f}" for p in (50, 95, 99))
            + f"  max {max(load.ack_ms, default=0):.1f}"
        )
        if load.cpu:
            out("cpu:           " + load.cpu)
        out(
            f"client loop:   lag p99 {_pct(load.lag_ms, 99):.1f} ms, "
            f"max {max(load.lag_ms, default=0):.1f} ms (above a few ms, the client skews figures)"
        )
        errors = load.errors + server.log_errors()
        total = sum(errors.values())
        if total:
            kinds = ", ".join(f"{kind}: {count}" for kind, count in errors.most_common())
            out(f"errors:        {total} ({kinds})")
        else:
            out("errors:        none")
        if server.log_tail:
            out("server log (last lines):\n" + server.log_tail)
        if options["keep"]:
            out(f"kept tenant {fixture.tenant.slug} (host {fixture.tenant.host})")


# --- The data: a tenant, agents, chats in progress, sessions ---------------------------------


class _Fixture:
    def __init__(self, tenant: Tenant, agents: list, chats: list[tuple[str, str, str]]):
        self.tenant = tenant
        self.agents = agents
        self.chats = chats  # (token, customer session key, agent session key)
        self.session_keys: list[str] = []
        self.agent_sessions: list[str] = []

    @classmethod
    def create(cls, count: int, per_agent: int) -> _Fixture:
        slug = f"benchchat{int(time.time())}"
        tenant = desk_create(
            slug=slug,
            name="Chat benchmark",
            # Open every day until midnight (closes 00:00), no public holidays: chat is offered.
            hours=[(day, clock(0), clock(0)) for day in range(7)],
            holiday_country="",
        )
        fixture = cls(tenant, [], [])
        try:
            fixture._populate(count, per_agent)
        except BaseException:
            fixture.drop()  # what was made so far
            raise
        return fixture

    def _populate(self, count: int, per_agent: int) -> None:
        store = import_module(settings.SESSION_ENGINE).SessionStore
        user_model = get_user_model()
        slug = self.tenant.slug
        # Nobody listens yet: announcing every start and take to the channel layer is moot.
        with mock.patch("chat.broadcast._send"):
            with tenant_context(self.tenant):
                for index in range(math.ceil(count / per_agent)):
                    agent = user_model.objects.create_user(
                        email=f"agent{index}@{slug}.example.com", name=f"Agent {index}"
                    )
                    self.agents.append(agent)
                    Membership.objects.create(user=agent, role=Membership.Role.AGENT)
                    chat_services.availability_set(user=agent, available=True)
                    self.agent_sessions.append(_session(store, tenant=self.tenant, user=agent))
                    self.session_keys.append(self.agent_sessions[-1])
            for index in range(count):
                visitor_key = secrets.token_urlsafe(24)
                agent = index % len(self.agents)
                with tenant_context(self.tenant):
                    chat = chat_services.chat_start(
                        name=f"Customer {index}",
                        email=f"customer{index}@{slug}.example.net",
                        topic=f"Restore stuck ({index})",
                        visitor_key=visitor_key,
                    )
                    chat_services.chat_accept(chat=chat, agent=self.agents[agent])
                customer = _session(store, visitor_key=visitor_key)
                self.session_keys.append(customer)
                self.chats.append((chat.token, customer, self.agent_sessions[agent]))

    def drop(self) -> None:
        """The tenant's rows (straight DELETEs, as bench_automations does), then its users and
        the sessions made for them."""
        store = import_module(settings.SESSION_ENGINE).SessionStore
        for key in self.session_keys:
            store(session_key=key).delete()
        with cross_tenant(), audit.purge():
            for model in _delete_order(tenant_owned_models()):
                queryset = model.all_tenants.filter(tenant=self.tenant)
                queryset._raw_delete(queryset.db)
            self.tenant.delete()
            # Nothing of theirs is left but the accounts (no other tenant knows them). A row that
            # still pointed at one would fail the commit, not go unnoticed.
            users = get_user_model().objects.filter(pk__in=[agent.pk for agent in self.agents])
            users._raw_delete(users.db)


def _session(store, *, tenant=None, user=None, visitor_key: str = "") -> str:
    """A stored session as the login (agents) or the chat start page (customers) makes it."""
    session = store()
    if user is not None:
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[SESSION_TENANT_KEY] = tenant.pk
    if visitor_key:
        session[VISITOR_KEY] = visitor_key
    session.create()
    return session.session_key


# --- The server ----------------------------------------------------------------------------


class _Server:
    """The ASGI server under test: started here (subprocess, or a thread), or given by --url."""

    def __init__(self, *, mode: str, host: str, port: int, tenant: Tenant, secure=False):
        self.mode = mode  # "url" (running elsewhere), "process" or "thread" (started here)
        self.host, self.port, self.tenant, self.secure = host, port, tenant, secure
        self.workers = 1
        self.process: subprocess.Popen | None = None
        self.thread: threading.Thread | None = None
        self.uvicorn = None
        self.command: list[str] = []
        self.env_note = ""
        self.log_path: Path | None = None
        self.log_tail = ""
        self._log_errors = Counter()

    @classmethod
    def for_options(cls, options, tenant: Tenant) -> _Server:
        if options["url"]:
            parsed = urlparse(options["url"])
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise CommandError("--url is http://host:port of a running server.")
            secure = parsed.scheme == "https"
            port = parsed.port or (443 if secure else 80)
            return cls(mode="url", host=parsed.hostname, port=port, tenant=tenant, secure=secure)
        mode = "thread" if options["in_process"] else "process"
        server = cls(mode=mode, host="127.0.0.1", port=_free_port(), tenant=tenant)
        server.workers = options["workers"]
        return server

    def start(self) -> None:
        if self.mode == "thread":
            self._start_thread()
        elif self.mode == "process":
            self._start_process()
        self._wait_healthy()

    def _start_process(self) -> None:
        self.command = [
            sys.executable,
            "-m",
            "uvicorn",
            ASGI_APP,
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            # As the Procfile; warnings only, so the log holds what went wrong.
            "--ws-max-size",
            "65536",
            "--ws-per-message-deflate",
            "false",
            "--no-server-header",
            "--log-level",
            "warning",
        ]
        env = dict(os.environ)
        env.setdefault("CONN_MAX_AGE", "60")
        self.env_note = f"CONN_MAX_AGE={env['CONN_MAX_AGE']}"
        handle, name = tempfile.mkstemp(prefix="bench_chat_server_", suffix=".log")
        self.log_path = Path(name)
        with os.fdopen(handle, "w") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                self.command,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stopped as a whole below
                cwd=settings.BASE_DIR,
            )

    def _start_thread(self) -> None:
        import uvicorn  # noqa: PLC0415 (only this mode serves in-process)

        config = uvicorn.Config(
            ASGI_APP,
            host=self.host,
            port=self.port,
            ws_max_size=65536,
            ws_per_message_deflate=False,
            server_header=False,
            log_level="warning",
            lifespan="off",
        )
        self.uvicorn = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.uvicorn.run, name="bench-server", daemon=True)
        self.thread.start()

    def _wait_healthy(self) -> None:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
        scheme = "https" if self.secure else "http"
        request = urllib.request.Request(  # noqa: S310 (our own server)
            f"{scheme}://{self.host}:{self.port}/healthz",
            headers={"Host": f"{self.tenant.host}:{self.port}"},
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise CommandError(f"The server exited at start-up:\n{self._read_tail(40)}")
            try:
                with opener.open(request, timeout=2) as response:
                    if response.status == 200:
                        return
            except urllib.error.HTTPError as error:
                if error.code < 500:
                    return  # it answers (DEBUG off: /healthz redirects to https)
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.2)
        raise CommandError(
            f"No answer from {request.full_url} within {STARTUP_TIMEOUT}s.\n{self._read_tail(40)}"
        )

    def stop(self) -> None:
        if self.uvicorn is not None:
            self.uvicorn.should_exit = True
            self.thread.join(timeout=15)
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # uvicorn stops its workers, then itself
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # the group started above
                self.process.wait()
        self._scan_log()

    def _scan_log(self) -> None:
        if self.log_path is None or not self.log_path.exists():
            return
        text = self.log_path.read_text(errors="replace")
        for line in text.splitlines():
            if line.startswith("Traceback"):
                self._log_errors["server traceback"] += 1
            elif line.startswith(("ERROR", "CRITICAL")):
                self._log_errors["server log error"] += 1
        if self._log_errors:
            self.log_tail = self._read_tail(30) + f"\n(whole log: {self.log_path})"
        else:
            self.log_path.unlink()

    def _read_tail(self, lines: int) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def log_errors(self) -> Counter:
        return self._log_errors

    def describe(self) -> str:
        if self.mode == "url":
            return (
                f"{'https' if self.secure else 'http'}://{self.host}:{self.port} (given by --url)"
            )
        if self.mode == "thread":
            return f"uvicorn {ASGI_APP} in a thread of this process, port {self.port}"
        shown = ["python" if self.command[0] == sys.executable else self.command[0]]
        return f"{self.env_note} " + shlex.join(shown + self.command[1:])

    def pids(self) -> set[int]:
        """The server's process and its workers: started here, or (--url) listening on a
        loopback port of this machine. Empty when it runs in this process or elsewhere."""
        if self.process is not None:
            return _descendants(self.process.pid)
        if self.mode == "url" and self.host in ("127.0.0.1", "localhost"):
            listener = _listening_pid(self.port)
            return _descendants(listener) if listener else set()
        return set()

    def websocket_uri(self, path: str) -> str:
        scheme = "wss" if self.secure else "ws"
        return f"{scheme}://{self.tenant.host}:{self.port}{path}"

    @property
    def origin(self) -> str:
        return f"{'https' if self.secure else 'http'}://{self.tenant.host}:{self.port}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- The load: 2N sockets in one loop -------------------------------------------------------


class _Side:
    """One browser socket: a chat's customer or agent, or (role "workspace") an agent's
    workspace page."""

    def __init__(self, chat: int, role: str, path: str, session_key: str):
        self.chat, self.role, self.path, self.session_key = chat, role, path, session_key
        self.ws = None
        self.receiver: asyncio.Task | None = None
        self.ready: asyncio.Event | None = None
        self.closing = False
        self.last_id = 0
        self.seen: set[int] = set()


class _Load:
    def __init__(self, fixture: _Fixture, server: _Server, *, rate, seconds, drain, workspaces):
        self.fixture, self.server = fixture, server
        self.rate, self.seconds, self.drain = rate, seconds, drain
        self.sides: list[tuple[_Side, _Side]] = [
            (
                _Side(i, "customer", f"/ws/chat/{token}/", customer),
                _Side(i, "agent", f"/ws/chat/{token}/", agent),
            )
            for i, (token, customer, agent) in enumerate(fixture.chats)
        ]
        self.workspaces = [
            _Side(-1, "workspace", "/ws/agent/", key)
            for key in (fixture.agent_sessions if workspaces else [])
        ]
        self.all_sides = [side for pair in self.sides for side in pair] + self.workspaces
        self.pings = self.pongs = self.notices = 0
        self.sent: dict[str, tuple[float, str]] = {}  # client_id -> (send time, sender's role)
        self.delivered: dict[str, float] = {}
        self.acked: dict[str, float] = {}
        self.delivery_ms: list[float] = []
        self.ack_ms: list[float] = []
        self.connect_ms: list[float] = []
        self.lag_ms: list[float] = []
        self.errors: Counter = Counter()
        self.connected = 0
        self.connect_seconds = 0.0
        self.offered = 0.0
        self.throughput = 0.0
        self.frame_rate = 0.0
        self.cpu = ""

    async def run(self) -> None:
        started = time.perf_counter()
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        await asyncio.gather(*(self._open(side, gate) for side in self.all_sides))
        self.connect_seconds = time.perf_counter() - started
        pairs = [(c, a) for c, a in self.sides if c.ws is not None and a.ws is not None]
        self.offered = 2 * len(pairs) * self.rate
        stop_lag = asyncio.Event()
        lag = asyncio.create_task(self._watch_lag(stop_lag))
        cpu_before = _cpu_sample(self.server.pids())
        start = time.perf_counter() + 0.2
        end = start + self.seconds
        rng = random.Random(7)  # noqa: S311 (spreading the sends, not secrecy)
        await asyncio.gather(
            *(self._send(side, start, end, rng.random()) for pair in pairs for side in pair),
            *(
                self._ping(side, start, end, rng.random())
                for side in self.all_sides
                if side.ws is not None
            ),
        )
        self.cpu = _cpu_report(
            cpu_before, _cpu_sample(self.server.pids()), with_server=self.server.mode == "thread"
        )
        deadline = time.perf_counter() + self.drain
        while time.perf_counter() < deadline and self._outstanding():
            await asyncio.sleep(0.05)
        if self.delivered:
            window = max(max(self.delivered.values()) - start, 1e-9)
            self.throughput = len(self.delivered) / window
            frames = len(self.sent) + len(self.delivered) + len(self.acked)
            self.frame_rate = (frames + self.pings + self.pongs + self.notices) / window
        stop_lag.set()
        await lag
        missing = sum(1 for cid in self.sent if cid not in self.delivered)
        unacked = sum(1 for cid in self.sent if cid not in self.acked)
        if missing:
            self.errors["never delivered"] += missing
        if unacked:
            self.errors["never acknowledged"] += unacked
        if self.pongs < self.pings:
            self.errors["ping never answered"] += self.pings - self.pongs
        await asyncio.gather(*(self._close(side) for side in self.all_sides))

    def _outstanding(self) -> bool:
        return (
            len(self.delivered) < len(self.sent)
            or len(self.acked) < len(self.sent)
            or self.pongs < self.pings
        )

    async def _open(self, side: _Side, gate: asyncio.Semaphore) -> None:
        side.ready = asyncio.Event()
        async with gate:
            began = time.perf_counter()
            try:
                side.ws = await connect(
                    self.server.websocket_uri(side.path),
                    host=self.server.host,  # the TCP destination; the URI gives the Host header
                    port=self.server.port,
                    origin=self.server.origin,
                    additional_headers={
                        "Cookie": f"{settings.SESSION_COOKIE_NAME}={side.session_key}"
                    },
                    proxy=None,
                    open_timeout=READY_TIMEOUT,
                    ping_interval=None,  # the server pings; browsers do not
                )
            except Exception as error:  # refused handshake, timeout, reset: all count
                self.errors[f"connect failed ({type(error).__name__})"] += 1
                return
            side.receiver = asyncio.create_task(self._receive(side))
            try:
                await asyncio.wait_for(side.ready.wait(), READY_TIMEOUT)
            except TimeoutError:
                self.errors["no state frame after connecting"] += 1
                return
            self.connect_ms.append((time.perf_counter() - began) * 1000)
            self.connected += 1

    async def _receive(self, side: _Side) -> None:
        try:
            async for raw in side.ws:
                now = time.perf_counter()
                try:
                    frame = json.loads(raw)
                    kind = frame["type"]
                except (ValueError, KeyError, TypeError):
                    self.errors["unreadable frame"] += 1
                    continue
                if kind == "message":
                    self._on_message(side, frame, now)
                elif kind in ("state", "hello"):  # a chat's first state; a workspace's hello
                    side.ready.set()
                elif kind == "pong":
                    self.pongs += 1
                elif kind == "notice":
                    self.notices += 1
                elif kind == "error":
                    self.errors[f"error frame {frame.get('code')}"] += 1
        except ConnectionClosed as closed:
            if not side.closing:
                code = closed.rcvd.code if closed.rcvd else "no close frame"
                self.errors[f"closed by the server ({code})"] += 1
            return
        if not side.closing:
            self.errors["closed by the server (1000)"] += 1

    def _on_message(self, side: _Side, frame: dict, now: float) -> None:
        message_id = frame.get("id")
        if not isinstance(message_id, int):
            self.errors["message without an id"] += 1
            return
        if message_id in side.seen:
            self.errors["duplicate"] += 1
            return
        if message_id < side.last_id:
            self.errors["out of order"] += 1
        elif message_id > side.last_id + 1:
            self.errors["skipped ids"] += message_id - side.last_id - 1
        side.seen.add(message_id)
        side.last_id = max(side.last_id, message_id)
        client_id = frame.get("client_id")
        sent = self.sent.get(client_id) if client_id else None
        if sent is None:
            return  # the chat's opening messages, sent before the benchmark
        at, role = sent
        if role == side.role:
            self.acked[client_id] = now
            self.ack_ms.append((now - at) * 1000)
        else:
            self.delivered[client_id] = now
            self.delivery_ms.append((now - at) * 1000)

    async def _send(self, side: _Side, start: float, end: float, phase: float) -> None:
        interval = 1 / self.rate
        at = start + phase * interval
        count = 0
        while at < end:
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            count += 1
            client_id = f"{side.role[0]}{side.chat}-{count}"
            frame = {"type": "message", "body": BODY.format(n=count), "client_id": client_id}
            self.sent[client_id] = (time.perf_counter(), side.role)
            try:
                await side.ws.send(json.dumps(frame))
            except ConnectionClosed:
                del self.sent[client_id]
                self.errors["send on a closed socket"] += 1
                return
            at += interval  # a fixed schedule: a slow server does not slow the senders down

    async def _ping(self, side: _Side, start: float, end: float, phase: float) -> None:
        """Pings as chat.js and chat-agent.js send them: each re-checks access on the server."""
        every = PING_SECONDS[side.role]
        at = start + phase * every
        while at < end:
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                await side.ws.send('{"type":"ping"}')
            except ConnectionClosed:
                return  # counted by the receiver
            self.pings += 1
            at += every

    async def _close(self, side: _Side) -> None:
        if side.ws is None:
            return
        side.closing = True
        try:
            await side.ws.close()
        except Exception:  # closing a broken socket: already counted where it broke
            self.errors["close failed"] += 1
        if side.receiver is not None:
            await side.receiver

    async def _watch_lag(self, stop: asyncio.Event) -> None:
        """How late this loop wakes up: above a few ms the client, not the server, adds delay."""
        while not stop.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            self.lag_ms.append((time.perf_counter() - before - 0.01) * 1000)


# --- Figures -------------------------------------------------------------------------------


def _pct(values: list[float], percent: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def _redact(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.hostname}:{parsed.port}" if parsed.hostname else url


def _raise_open_files_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


# CPU use during the sending window, from /proc (Linux; elsewhere the line is left out).

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _processes() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command name, CPU seconds used so far), for every readable process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        found[int(entry.name)] = (
            int(fields[1]),
            name,
            (int(fields[11]) + int(fields[12])) / _TICKS,
        )
    return found


def _descendants(root: int) -> set[int]:
    if not Path("/proc/self/stat").exists():
        return set()
    table = _processes()
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, (parent, _name, _cpu) in table.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return tree


def _listening_pid(port: int) -> int | None:
    """The process (the oldest, for a server whose workers share the socket) that listens on
    ``port`` of this machine, from /proc; None when it is not visible from here."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    owners = []
    for entry in Path("/proc").iterdir() if inodes else ():
        if not entry.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (entry / "fd").iterdir()):
                owners.append(int(entry.name))
        except OSError:
            continue
    return min(owners) if owners else None


def _cpu_sample(server_pids: set[int]) -> dict | None:
    """CPU seconds used so far, per process, of each group watched (Linux only)."""
    if not Path("/proc/stat").exists():
        return None
    table = _processes()
    database = str(settings.DATABASES["default"]["NAME"])

    def serves_our_database(pid: int) -> bool:
        # A backend's title: "postgres: 15/main: <user> <database> <client> <state>".
        try:
            title = (Path("/proc") / str(pid) / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return False
        return f" {database} " in title.replace("\0", " ")

    own = os.times()
    with open("/proc/stat") as stat:
        ticks = [int(v) for v in stat.readline().split()[1:]]
    groups = {
        "server": {p: table[p][2] for p in server_pids if p in table},
        "redis": {p: cpu for p, (_pp, name, cpu) in table.items() if name == "redis-server"},
    }
    if connection.vendor == "postgresql":
        groups["postgres"] = {
            p: cpu
            for p, (_pp, name, cpu) in table.items()
            if name == "postgres" and serves_our_database(p)
        }
    if "Redis" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]:
        del groups["redis"]
    return {
        "at": time.perf_counter(),
        **groups,
        "client": {0: own.user + own.system},
        "busy": (sum(ticks) - ticks[3] - ticks[4]) / _TICKS,  # all but idle and iowait
    }


def _cpu_report(before: dict | None, after: dict | None, *, with_server: bool) -> str:
    if before is None or after is None:
        return ""
    wall = after["at"] - before["at"]
    parts, ours = [], 0.0
    for key, label in (
        ("server", "server"),
        ("postgres", "postgres (this database's backends)"),
        ("redis", "redis (all of it)"),
        ("client", "this process (client and server)" if with_server else "this process (client)"),
    ):
        if key not in after or (key == "server" and not after[key]):
            continue
        # Per process: one that started during the window counts from zero.
        used = sum(cpu - before[key].get(pid, 0.0) for pid, cpu in after[key].items())
        ours += max(used, 0.0)
        parts.append(f"{label} {max(used, 0.0) / wall * 100:.0f}%")
    # Everything else on the machine (other programs skew the figures: they are shown).
    parts.append(
        f"other processes {max(after['busy'] - before['busy'] - ours, 0.0) / wall * 100:.0f}%"
    )
    cores = os.cpu_count() or 1
    return ", ".join(parts) + f" of one core while sending ({cores} cores)"
