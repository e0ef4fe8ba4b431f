"""The pages and API calls the benchmark times, in the biggest bench tenant, as its people."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.test import Client

from accounts import tokens
from bench import seed
from tenants.context import tenant_context
from tenants.models import Tenant
from tickets import queue
from tickets.models import Ticket, TicketFormField

DEEP_ROWS = 50_000


@dataclass
class Case:
    name: str
    role: str  # whose client makes the request
    path: str
    method: str = "get"
    data: Callable[[], dict] | None = None
    headers: dict = field(default_factory=dict)
    expect: int = 200


@dataclass
class World:
    tenant: Tenant
    host: str
    clients: dict[str, Client]
    cases: list[Case]
    depth: dict[str, int]


def _deep_cursor(filters: str, user) -> tuple[str | None, int]:
    """The page link after ``DEEP_ROWS`` rows of the queue with ``filters`` (or as deep as the
    view goes), and that depth."""
    form = queue.QueueFilterForm(QueryDict(filters))
    if not form.is_valid():
        raise ValueError(f"bench filters not valid: {filters}: {form.errors}")
    tickets = queue.filtered(form.cleaned_data, user)
    total = tickets.order_by()[: DEEP_ROWS + queue.PAGE_SIZE + 1].count()
    depth = max(0, min(DEEP_ROWS, total - queue.PAGE_SIZE - 1))
    if depth == 0:
        return None, 0
    row = tickets[depth - 1 : depth].get()
    return queue.encode_cursor(row, form.cleaned_data.get("sort") or "priority"), depth


def world(host_domain: str) -> World:
    tenant = Tenant.objects.get(slug=seed.BIG_SLUG)
    domain = f"{seed.BIG_SLUG}.bench.example.com"
    users = {
        role: get_user_model().objects.get(email=f"{role}1@{domain}")
        for role in ("agent", "manager", "customer")
    }
    host = f"{tenant.slug}.{host_domain}"
    clients = {}
    for role, user in users.items():
        # Signed in through the sign-in page, as a person would be (the session is then bound
        # to this helpdesk).
        client = Client(HTTP_HOST=host)
        response = client.post(
            "/accounts/login/", {"login": user.email, "password": seed.PASSWORD}, secure=True
        )
        if response.status_code != 302:
            raise ValueError(f"{user.email} could not sign in: {response.status_code}")
        clients[role] = client
    with tenant_context(tenant):
        raw_token = tokens.token_create(
            user=users["agent"], name="bench", scope="read", expires_in_days=1
        )[1]
        TicketFormField.objects.get_or_create(
            key="logs",
            defaults={
                "label": "Logs",
                "field_type": TicketFormField.FieldType.FILES,
                "file_kind": TicketFormField.FileKind.LOGS,
            },
        )
        unsolved = Ticket.objects.filter(status="open").order_by("-number").first()
        number_searched = Ticket.objects.order_by("number")[Ticket.objects.count() // 2].number
        depth = {}
        cursors = {}
        for name, filters in QUEUE_VIEWS.items():
            cursors[name], depth[name] = _deep_cursor(filters, users["agent"])
    cases = []
    for name, filters in QUEUE_VIEWS.items():
        base = "/agent/?" + filters
        cases.append(Case(f"queue {name}, page 1", "agent", base))
        if cursors[name]:
            cases.append(
                Case(
                    f"queue {name}, after {depth[name]:,}", "agent", f"{base}&after={cursors[name]}"
                )
            )
    cases += [
        Case("search 'VPN'", "agent", "/agent/?q=VPN"),
        Case("search, no match", "agent", "/agent/?q=zyxwvut"),
        # "#N" opens the ticket: the answer is the redirect to it.
        Case(
            f"search '#{number_searched}'",
            "agent",
            f"/agent/?q=%23{number_searched}",
            expect=302,
        ),
        Case("ticket page (agent)", "agent", f"/agent/tickets/{unsolved.number}/"),
        Case("My tickets (heavy customer)", "customer", "/tickets/"),
        Case("My tickets, all", "customer", "/tickets/?status=all"),
        Case("overview", "manager", "/agent/overview/"),
        Case("report: CSAT", "manager", "/agent/reports/csat/"),
        Case("report: escalations", "manager", "/agent/escalations/report/"),
        Case(
            "API ticket list",
            "api",
            "/api/v1/tickets/",
            headers={"HTTP_AUTHORIZATION": f"Bearer {raw_token}"},
        ),
        Case(
            "submit a ticket with a file",
            "customer",
            "/tickets/new/",
            method="post",
            data=lambda: {
                "subject": "Backup stops at 90%",
                "priority": "normal",
                "description": "The backup stops at ninety percent. Log attached.",
                "q_logs": SimpleUploadedFile("backup.log", seed.SAMPLE, "text/plain"),
            },
            expect=302,
        ),
    ]
    clients["api"] = Client(HTTP_HOST=host)
    return World(tenant=tenant, host=host, clients=clients, cases=cases, depth=depth)


# The queue views timed at page 1 and deep: the default and four filtered views.
QUEUE_VIEWS = {
    "default": "",
    "Low priority": "priority=low",
    "unassigned": "assignee=unassigned",
    "assigned to me": "assignee=me",
    "pending, newest first": "status=pending&sort=newest",
}
