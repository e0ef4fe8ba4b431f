"""Shared fixtures: two tenants (A and B) with people in every role, and host-bound clients."""

import os
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY as AUTHENTICATION_METHODS_USER_SESSION_KEY,
)
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.models import EmailAddress
from django.db import connection
from django.test import Client
from hypothesis.configuration import set_hypothesis_home_dir

from desk.priorities import Priority
from desk.services import desk_create
from tenants.context import cross_tenant, tenant_context
from tenants.middleware import SESSION_TENANT_KEY
from tenants.models import Membership, Organization

PASSWORD = "correct-horse-battery-staple"

# Hypothesis keeps caches (constants, Unicode tables) under its home: outside the checkout.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "helpdesk-hypothesis")


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    lines = [f"helpdesk database: {engine}"]
    if engine != "postgresql":
        lines.append(
            "PostgreSQL-only tests (marked 'postgres') are SKIPPED: DATABASE_URL is not PostgreSQL"
        )
    return lines


def pytest_addoption(parser):
    parser.addoption(
        "--timing",
        choices=("all", "skip", "only"),
        default="all",
        help="tests marked 'timing' (they compare response times): run them with the rest "
        "(all), leave them out (skip: bin/test's parallel run), or run only them (only).",
    )


def _select_timing(config, items):
    mode = config.getoption("--timing")
    if mode == "all":
        return
    keep = [item for item in items if ("timing" in item.keywords) == (mode == "only")]
    dropped = [item for item in items if item not in keep]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


# Rough seconds of the tests that run for minutes (measured in CI's log; only their order
# depends on these). Anything unlisted counts as a second.
LONG_TESTS = {
    "tests/api/test_schemathesis.py::": 385,
    "tests/test_fuzz_every_form.py::test_hostile_input_never_gives_a_5xx_and_a_4xx_changes_nothing[admin]": 260,  # noqa: E501
    "tests/test_fuzz_every_form.py::test_hostile_input_never_gives_a_5xx_and_a_4xx_changes_nothing[manager]": 185,  # noqa: E501
    "tests/test_fuzz_every_form.py::test_hostile_input_never_gives_a_5xx_and_a_4xx_changes_nothing[agent]": 155,  # noqa: E501
    "tests/test_fuzz_every_form.py::test_hostile_input_never_gives_a_5xx_and_a_4xx_changes_nothing[customer]": 90,  # noqa: E501
    "tests/test_fuzz_every_form.py::test_hostile_input_never_gives_a_5xx_and_a_4xx_changes_nothing[anonymous]": 75,  # noqa: E501
    "tests/test_demo_command.py::": 80,
    "tests/test_fuzz_every_form.py::test_discovery": 70,
    "tests/bench/test_seed_and_bench.py::test_seed_then_bench_at_small_scale": 60,
    "tests/test_isolation_probe.py::test_isolation_probe": 35,
    "tests/demo/test_demo_site_port.py::": 35,
    "tests/test_fuzz_every_form.py::": 30,
    "tests/test_upgrade_from_old_main.py::": 20,
    "tests/browser/": 15,
}


def _weight(item) -> int:
    if "smoke" in item.keywords:
        return 100
    return max(
        (seconds for prefix, seconds in LONG_TESTS.items() if item.nodeid.startswith(prefix)),
        default=1,
    )


def _balance_long_tests(config, items) -> None:
    """Order the collection so that xdist's worksteal scheduler starts the long tests first,
    spread evenly over the workers, and the short ones fill in around them.

    worksteal gives each worker a contiguous share of the collection (the first len/n to the
    first worker, and so on) and lets an idle worker take the tail of a busy one's share. Left
    in file order, the fuzz's five long runs sat in one share, and the run ended with one core
    busy and one idle for minutes. Here the long tests are dealt to the shares longest first,
    each to the share with the least so far, at the head of its share."""
    workers = getattr(config, "workerinput", {}).get("workercount", 0)
    if workers < 2 or len(items) < workers:
        return
    weights = {item.nodeid: _weight(item) for item in items}
    long = sorted((i for i in items if weights[i.nodeid] >= 15), key=lambda i: -weights[i.nodeid])
    short = [i for i in items if weights[i.nodeid] < 15]
    sizes, remaining = [], len(items)
    for index in range(workers):  # the shares worksteal hands out, in its own arithmetic
        sizes.append(remaining // (workers - index))
        remaining -= sizes[-1]
    shares = [[] for _ in range(workers)]
    loads = [0] * workers
    for item in long:
        open_shares = [k for k in range(workers) if len(shares[k]) < sizes[k]]
        k = min(open_shares, key=lambda k: loads[k])
        shares[k].append(item)
        loads[k] += weights[item.nodeid]
    for k in range(workers):
        take = sizes[k] - len(shares[k])
        shares[k] += short[:take]
        short = short[take:]
    items[:] = [item for share in shares for item in share]


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    _select_timing(config, items)
    _balance_long_tests(config, items)
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL to a PostgreSQL database)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    from django.conf import settings

    # Figures a test measured (``record_property("figure", "...")``), from every xdist worker:
    # printed in the run's summary, where CI's log keeps them.
    figures = [
        value
        for report in terminalreporter.getreports("passed") + terminalreporter.getreports("failed")
        if report.when == "call"
        for name, value in report.user_properties
        if name == "figure"
    ]
    if figures:
        terminalreporter.section("figures")
        for figure in figures:
            terminalreporter.write_line(str(figure))

    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        terminalreporter.write_line(
            "NOTE: ran on SQLite; PostgreSQL-only tests (RLS, concurrency) were skipped."
        )


@pytest.fixture(autouse=True, scope="session")
def _own_channel_layer_prefix():
    """Each test run talks on its own channel-layer prefix: two runs sharing one Redis (a
    developer's and CI's, or parallel runs) number their tenants alike, and would otherwise
    hear each other's chat groups."""
    from channels.layers import channel_layers
    from django.conf import settings

    config = settings.CHANNEL_LAYERS["default"].setdefault("CONFIG", {})
    if "prefix" in config:
        config["prefix"] = f"{config['prefix']}-test-{uuid.uuid4().hex[:8]}"
        channel_layers.backends.clear()
    yield


def _worker_redis_url(url: str) -> str:
    """Parallel test workers (pytest-xdist) each get a Redis database of their own for the
    cache: a test's ``cache.clear()`` flushes its database and must not wipe another worker's
    rate-limit counters mid-test. Databases 2-15 (0 and 1 are the app's cache and broker)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or not worker[2:].isdigit():
        return url
    index = 2 + int(worker[2:]) % 14
    base = url.rsplit("/", 1)[0] if url.rsplit("/", 1)[-1].isdigit() else url.rstrip("/")
    return f"{base}/{index}"


@pytest.fixture(autouse=True)
def _fast_hashing_and_clean_cache(settings):
    # Slow password hashing is a production property, not something every test should pay for;
    # so are the steady answer times of signup, sign-in and reset (test_enumeration has both).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ACCOUNT_STEADY_ANSWERS = {}
    # WhiteNoise would index every static file (admin's, DRF's, allauth's) each time a test
    # client starts a handler: a sixth of the fuzz's time. Looking a file up when asked serves
    # the same files.
    settings.WHITENOISE_AUTOREFRESH = True
    # Webhook tests post to receivers on loopback (tests/webhooks); nothing else is reached.
    settings.WEBHOOKS_ALLOW_LOCAL = True
    # Tests read the overview right after changing tickets (its cache: tests/agent/test_overview).
    settings.OVERVIEW_CACHE_SECONDS = 0
    settings.NAV_COUNT_SECONDS = 0  # the side counts too (tests/agent/test_workspace_shell.py)
    # A test's rows live in its own uncommitted transaction, which passes in other processes
    # (bench_automations --workers) could not see: one pass, on the test's connection.
    settings.AUTOMATION_WORKERS = 1
    cache_settings = settings.CACHES["default"]
    if cache_settings["BACKEND"].endswith("RedisCache"):
        location = _worker_redis_url(cache_settings["LOCATION"])
        if location != cache_settings["LOCATION"]:
            settings.CACHES = {"default": {**cache_settings, "LOCATION": location}}
    # allauth keeps its rate-limit counters in the cache: each test starts with none.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


class World:
    """One tenant's fixtures: the tenant, one person per role, an organization with a marker."""

    def __init__(self, slug: str, name: str):
        from django.contrib.auth import get_user_model

        User = get_user_model()
        marker = uuid.uuid4().hex[:10]
        self.marker = marker
        self.tenant = desk_create(
            slug=slug,
            name=name,
            priority_levels={Priority.URGENT: (f"{name} urgent definition {marker}", [])},
        )
        with tenant_context(self.tenant):
            self.organization = Organization.objects.create(
                name=f"{name} Org {marker}", email_domains=[f"{slug}-org.example.com"]
            )
            self.users = {}
            self.memberships = {}
            for role in Membership.Role.values:
                email = f"{role}-{marker}@{slug}-org.example.com"
                user = User.objects.create_user(
                    email=email, password=PASSWORD, name=f"{role} {slug}"
                )
                EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
                self.users[role] = user
                self.memberships[role] = Membership.objects.create(
                    user=user, role=role, organization=self.organization
                )
        self.ticket = self.submit(subject=f"{name} ticket {marker}", log=f"log {marker}\n")
        with tenant_context(self.tenant):
            self.attachment = self.ticket.attachments.get()
        self.note = self.reply(self.ticket, "agent", f"internal note {marker}", public=False)

    def submit(self, *, subject="Backup fails", role="customer", log=None, **kwargs):
        """A ticket through the real service (inside this tenant)."""
        from django.core.files.uploadedfile import SimpleUploadedFile

        from tickets.services import ticket_submit

        uploads = []
        if log is not None:
            uploads = [("logs", SimpleUploadedFile("app.log", log.encode()), "text/plain")]
        user = self.users[role] if role else None
        with tenant_context(self.tenant):
            return ticket_submit(
                requester_email=kwargs.pop("email", user.email if user else "anon@example.net"),
                requester=user,
                subject=subject,
                description=kwargs.pop("description", "It does not work."),
                uploads=uploads,
                **kwargs,
            )

    def reply(self, ticket, role, body="Thanks", **kwargs):
        """A reply or note through the real service; returns the ticket it landed on."""
        from tickets.services import ticket_reply

        with tenant_context(self.tenant):
            return ticket_reply(
                ticket=ticket,
                author=self.users[role],
                membership=self.memberships[role],
                body=body,
                **kwargs,
            )

    def refresh(self, ticket):
        with tenant_context(self.tenant):
            ticket.refresh_from_db()
        return ticket

    @property
    def host(self) -> str:
        return self.tenant.host

    def private_markers(self) -> list[str]:
        """Strings only this tenant's members may ever see."""
        return [
            self.organization.name,
            self.ticket.subject,
            f"log {self.marker}",
            f"internal note {self.marker}",
            f"B macro body {self.marker}",
            f"B token {self.marker}",
            f"hooks-{self.marker}.example.com",  # a webhook endpoint's address
            f"B view {self.marker}",
            f"B team {self.marker}",
            f"B escalation reason {self.marker}",
            *(u.email for u in self.users.values()),
        ]

    def all_markers(self) -> list[str]:
        """Everything of this tenant, public pages included: never shown on another host."""
        # Holidays are public on the tenant's own policy page, but never on another host.
        return [*self.private_markers(), self.tenant.name, self.marker, f"B holiday {self.marker}"]


@pytest.fixture(autouse=True)
def queued_sends(request, monkeypatch):
    """Outbox rows queue a Celery task on commit; tests record those instead of filling a
    broker. A test marked ``real_broker`` keeps the real queueing."""
    sent = []
    if "real_broker" not in request.keywords:
        monkeypatch.setattr(
            "outbox.services._queue_send", lambda tenant_id, email_id: sent.append(email_id)
        )
    return sent


@pytest.fixture(autouse=True)
def queued_webhooks(request, monkeypatch):
    """Webhook deliveries queue a Celery task on commit; tests record (tenant, delivery) pairs
    and send them with ``webhooks.services.deliver`` when they mean to."""
    queued = []
    if "real_broker" not in request.keywords:
        monkeypatch.setattr(
            "webhooks.services._queue",
            lambda tenant_id, delivery_id, countdown=None: queued.append((tenant_id, delivery_id)),
        )
    return queued


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world_a(db):
    return World("alpha", "Alpha Support")


@pytest.fixture
def world_b(db):
    return World("bravo", "Bravo Support")


def login_client(user, tenant, *, confirmed: bool = True) -> Client:
    """A client signed in as ``user`` with its session bound to ``tenant``'s host.

    ``confirmed``: as if the person had just confirmed their password, which exports and
    account changes ask for (tests/accounts/test_second_factor.py signs in for real)."""
    client = Client(HTTP_HOST=tenant.host if tenant else "localhost")
    client.force_login(user)
    session = client.session
    session[SESSION_TENANT_KEY] = tenant.pk if tenant else "platform"
    if confirmed:
        session[AUTHENTICATION_METHODS_SESSION_KEY] = [
            {"method": "password", "at": time.time(), "reauthenticated": True}
        ]
        session[AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
    return client


@pytest.fixture
def as_member():
    return login_client


# Columns any visitor of a tenant's public pages changes by reading them (a help article's
# view count): left out of before/after comparisons, which are about who may write what.
COUNTED_BY_ANY_VISITOR = {"helpcenter.Article": {"view_count"}}


def snapshot_tenant_rows(tenant) -> dict:
    """Every tenant-owned row of ``tenant``, for before/after comparisons (equal snapshots
    mean equal rows).

    On PostgreSQL each table is fingerprinted by the database in one query (its row count and
    an md5 of its rows as text, in order): the fuzz test compares a snapshot after every
    refused request, and fetching every row into Python cost as much as the request itself.
    """
    from django.db import connection

    from tests.tenant_models import tenant_owned_models

    tables = []
    for model in tenant_owned_models():
        skip = COUNTED_BY_ANY_VISITOR.get(model._meta.label, set())
        columns = [f for f in model._meta.concrete_fields if f.name not in skip]
        tables.append((model, columns))
    with cross_tenant():
        if connection.vendor == "postgresql":
            quote = connection.ops.quote_name
            parts, params = [], []
            for model, columns in tables:
                selected = ", ".join(quote(f.column) for f in columns)
                # Table and column names from the model registry, quoted: nothing typed by a user.
                parts.append(
                    "SELECT %s, count(*), md5(coalesce(string_agg(r::text, '|' ORDER BY "  # noqa: S608
                    f"r::text), '')) FROM (SELECT {selected} FROM {quote(model._meta.db_table)}"
                    " WHERE tenant_id = %s) r"
                )
                params += [model._meta.label, tenant.pk]
            with connection.cursor() as cursor:
                cursor.execute(" UNION ALL ".join(parts), params)
                return {label: (count, digest) for label, count, digest in cursor.fetchall()}
        snapshot = {}
        for model, columns in tables:
            names = [f.attname for f in columns]
            rows = model.all_tenants.filter(tenant=tenant).values_list(*names)
            snapshot[model._meta.label] = sorted(rows, key=repr)
    return snapshot
