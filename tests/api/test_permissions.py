"""Who may call each API endpoint, generated from the URL conf: every route under /api/v1/ and
every method it answers is called as each kind of caller, with the answer this table expects.
A new endpoint (or a new method on one) without its row fails the suite until it is taught.

Callers: anonymous; a token of each role (customer, agent, manager, admin); a token of another
helpdesk; a revoked and an expired token."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts import tokens
from bugs.services import bug_file
from escalations.services import escalation_request
from helpcenter import services as help_services
from tenants.context import tenant_context
from tickets import timelog
from tickets.collaboration import ticket_cc_add
from tickets.merging import ticket_link

pytestmark = pytest.mark.django_db

ROLES = ["customer", "agent", "manager", "admin"]
REFUSED = ["anonymous", "other_tenant", "revoked", "expired"]
PUBLIC = {caller: 200 for caller in ROLES + REFUSED}
MEMBERS_ONLY = {**{role: 200 for role in ROLES}, **dict.fromkeys(REFUSED, 401)}
MEMBERS_MAKE = {**{role: 201 for role in ROLES}, **dict.fromkeys(REFUSED, 401)}
STAFF_ONLY = {**MEMBERS_ONLY, "customer": 403}
MANAGERS_ONLY = {**STAFF_ONLY, "agent": 403}
ADMINS_ONLY = {**MANAGERS_ONLY, "manager": 403}

# (route name, method) -> caller -> status. The probed ticket is the world's customer's own.
EXPECTED = {
    ("api:tickets", "get"): MEMBERS_ONLY,
    ("api:tickets", "post"): MEMBERS_MAKE,
    ("api:ticket", "get"): MEMBERS_ONLY,
    ("api:ticket", "patch"): STAFF_ONLY,
    ("api:ticket_comments", "get"): MEMBERS_ONLY,
    ("api:ticket_comments", "post"): MEMBERS_MAKE,
    ("api:ticket_events", "get"): STAFF_ONLY,
    # Time is internal: customers are refused even on their own ticket.
    ("api:ticket_time_entries", "get"): STAFF_ONLY,
    ("api:ticket_time_entries", "post"): {**MEMBERS_MAKE, "customer": 403},
    # The probed entry is the admin's: an agent may not delete another's (403), a manager may
    # (204), and then it is gone for the admin (404).
    ("api:ticket_time_entry", "delete"): {
        **STAFF_ONLY,
        "agent": 403,
        "manager": 204,
        "admin": 404,
    },
    ("api:time_report", "get"): MANAGERS_ONLY,
    ("api:ticket_attachment", "get"): MEMBERS_ONLY,
    ("api:ticket_escalation", "get"): MEMBERS_ONLY,
    # Merge, split and links are staff work. The callers take turns on one world: the first
    # agent merges (or splits); after it the duplicate is closed and merged (a repeat of the
    # same merge is a 200 that changes nothing), the message is gone from the ticket (404).
    ("api:ticket_merge", "post"): STAFF_ONLY,
    ("api:ticket_split", "post"): {**STAFF_ONLY, "agent": 201, "manager": 404, "admin": 404},
    ("api:ticket_links", "get"): STAFF_ONLY,
    ("api:ticket_links", "post"): {**STAFF_ONLY, "agent": 201},  # then linked already: 200
    ("api:ticket_link", "delete"): {**STAFF_ONLY, "agent": 204, "manager": 404, "admin": 404},
    # The customer's request is made; then one is waiting, so staff asking for the customer
    # (as they may on the ticket page) are refused by the service for that reason: 409.
    ("api:ticket_escalation", "post"): {
        **MEMBERS_MAKE,
        **dict.fromkeys(["agent", "manager", "admin"], 409),
    },
    # Tags are the staff's words about tickets: customers see none, as on the portal.
    ("api:ticket_tags", "get"): STAFF_ONLY,
    ("api:ticket_tags", "put"): STAFF_ONLY,
    ("api:ticket_tags", "post"): STAFF_ONLY,
    ("api:ticket_tags", "delete"): STAFF_ONLY,
    ("api:tags", "get"): STAFF_ONLY,
    ("api:escalations", "get"): MANAGERS_ONLY,
    ("api:escalation", "get"): MANAGERS_ONLY,
    # A priority decision keeps the request open to more: the admin's second one is taken too.
    ("api:escalation_decisions", "post"): {**MANAGERS_ONLY, "manager": 201, "admin": 201},
    # The portal shows customers no survey, so the API does not either.
    ("api:ticket_survey", "get"): STAFF_ONLY,
    ("api:survey_responses", "get"): MANAGERS_ONLY,
    ("api:bugs", "get"): STAFF_ONLY,
    ("api:bug", "get"): STAFF_ONLY,
    # What the customer's ticket page says of product bugs: the same to everyone who sees it.
    ("api:ticket_product_bug", "get"): MEMBERS_ONLY,
    # The help center is public on the portal: every member reads it.
    ("api:articles", "get"): MEMBERS_ONLY,
    ("api:article", "get"): MEMBERS_ONLY,
    ("api:members", "get"): STAFF_ONLY,
    ("api:organizations", "get"): STAFF_ONLY,
    ("api:teams", "get"): STAFF_ONLY,
    ("api:settings", "get"): ADMINS_ONLY,
    ("api:settings", "patch"): ADMINS_ONLY,
    # CCs: everyone who sees the ticket reads them; the customer (its requester) copies an
    # address first, so staff asking for the same one after are refused as a duplicate: 409.
    ("api:ticket_ccs", "get"): MEMBERS_ONLY,
    ("api:ticket_ccs", "post"): {
        **MEMBERS_MAKE,
        **dict.fromkeys(["agent", "manager", "admin"], 409),
    },
    # The requester takes the CC off first; after that it is gone for staff too: 404.
    ("api:ticket_cc", "delete"): {
        **MEMBERS_ONLY,
        "customer": 204,
        **dict.fromkeys(["agent", "manager", "admin"], 404),
    },
    ("api:ticket_followers", "get"): STAFF_ONLY,
    ("api:notifications", "get"): STAFF_ONLY,
    # The schema and its reference page describe the API; they hold no tenant's data.
    ("api:schema", "get"): PUBLIC,
    ("api:docs", "get"): PUBLIC,
}


def api_routes() -> list[str]:
    def walk(resolver, namespace=None):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and namespace == "api":
                yield f"api:{entry.name}"

    return list(walk(get_resolver()))


def answered_methods(name: str, url: str, world) -> set[str]:
    """The methods the route answers (OPTIONS lists them for DRF views; plain views: GET)."""
    client = Client(HTTP_HOST=world.host)
    response = client.options(url)
    allow = response.get("Allow", "GET")
    return {method.strip().lower() for method in allow.split(",")} - {"options", "head"}


def _escalation(world):
    """The world's ticket escalated by its customer: made once, through the service."""
    if not hasattr(world, "escalation"):
        with tenant_context(world.tenant):
            world.escalation = escalation_request(
                ticket=world.ticket,
                actor=world.users["customer"],
                membership=world.memberships["customer"],
                reason="From the permission table",
                requested_priority="high",
            )
    return world.escalation


def _bug(world):
    """A bug report filed from the world's ticket: made once, through the service."""
    if not hasattr(world, "bug"):
        with tenant_context(world.tenant):
            world.bug = bug_file(
                ticket=world.ticket,
                actor=world.users["agent"],
                membership=world.memberships["agent"],
                values={"title": "From the permission table"},
            )
    return world.bug


def _time_entry(world):
    """Ten minutes the world's admin logged on its ticket: made once, through the service."""
    if not hasattr(world, "time_entry"):
        with tenant_context(world.tenant):
            world.time_entry = timelog.time_log(
                ticket=world.ticket,
                agent=world.users["admin"],
                membership=world.memberships["admin"],
                minutes=10,
            )
    return world.time_entry


def _cc(world):
    """An address copied on the world's ticket: made once, through the service."""
    if not hasattr(world, "cc"):
        with tenant_context(world.tenant):
            world.cc = ticket_cc_add(
                ticket=world.ticket,
                email="table-copy@example.net",
                actor=world.users["agent"],
                membership=world.memberships["agent"],
            )
    return world.cc


def _article(world):
    """A published help-center article: made once, through the services."""
    if not hasattr(world, "article"):
        with tenant_context(world.tenant):
            category = help_services.category_save(values={"name": "Table", "slug": "table"})
            section = help_services.section_save(
                values={"category": category, "name": "Table", "slug": "table-section"}
            )
            world.article = help_services.article_save(
                values={"section": section, "title": "From the table", "status": "published"},
                author=world.users["manager"],
            )
    return world.article


def _duplicate(world):
    """A second ticket of the world's customer, with two messages: merged into the world's
    ticket (#1) or split."""
    if not hasattr(world, "duplicate"):
        world.duplicate = world.submit(subject="A duplicate from the table")
        world.reply(world.duplicate, "customer", "Second problem, from the table")
        with tenant_context(world.tenant):
            world.split_comment = world.duplicate.comments.get(body__startswith="Second")
    return world.duplicate


def _linked(world):
    """A ticket linked to the world's ticket, for the route that removes the link."""
    if not hasattr(world, "linked"):
        world.linked = world.submit(subject="Linked from the table")
        with tenant_context(world.tenant):
            ticket_link(ticket=world.ticket, other=world.linked, actor=world.users["agent"])
    return world.linked


# Each route's URL arguments, from the probed world (routes not listed take none).
URL_KWARGS = {
    "api:ticket": lambda w: {"number": w.ticket.number},
    "api:ticket_comments": lambda w: {"number": w.ticket.number},
    "api:ticket_events": lambda w: {"number": w.ticket.number},
    "api:ticket_time_entries": lambda w: {"number": w.ticket.number},
    "api:ticket_time_entry": lambda w: {"number": w.ticket.number, "pk": _time_entry(w).pk},
    "api:ticket_attachment": lambda w: {"number": w.ticket.number, "pk": w.attachment.pk},
    "api:ticket_escalation": lambda w: {"number": w.ticket.number},
    "api:ticket_survey": lambda w: {"number": w.ticket.number},
    "api:ticket_merge": lambda w: {"number": _duplicate(w).number},
    "api:ticket_split": lambda w: {"number": _duplicate(w).number},
    "api:ticket_links": lambda w: {"number": w.ticket.number},
    "api:ticket_link": lambda w: {"number": w.ticket.number, "other": _linked(w).number},
    "api:ticket_tags": lambda w: {"number": w.ticket.number},
    "api:escalation": lambda w: {"pk": _escalation(w).pk},
    "api:ticket_product_bug": lambda w: {"number": w.ticket.number},
    "api:bug": lambda w: {"pk": _bug(w).pk},
    "api:article": lambda w: {"slug": _article(w).slug},
    "api:escalation_decisions": lambda w: {"pk": _escalation(w).pk},
    "api:ticket_ccs": lambda w: {"number": w.ticket.number},
    "api:ticket_cc": lambda w: {"number": w.ticket.number, "pk": _cc(w).pk},
    "api:ticket_followers": lambda w: {"number": w.ticket.number},
}
# What each writing call sends: a valid request, so the answer is about who calls.
BODIES = {
    ("api:tickets", "post"): {"subject": "From the table", "description": "Made by the table"},
    ("api:ticket", "patch"): {"priority": "high"},
    ("api:ticket_comments", "post"): {"body": "From the permission table"},
    ("api:ticket_time_entries", "post"): {"minutes": "0:15", "note": "From the table"},
    ("api:ticket_escalation", "post"): {"reason": "From the permission table"},
    ("api:escalation_decisions", "post"): {"kind": "priority", "priority": "high"},
    ("api:settings", "patch"): {"assign_on_reply": False},
    ("api:ticket_merge", "post"): lambda w: {"target": w.ticket.number},
    ("api:ticket_split", "post"): lambda w: {"comment": w.split_comment.pk},
    ("api:ticket_links", "post"): lambda w: {"ticket": _duplicate(w).number},
    ("api:ticket_tags", "put"): {"tags": ["from-the-table"]},
    ("api:ticket_tags", "post"): {"tags": ["from-the-table"]},
    ("api:ticket_ccs", "post"): {"email": "copied-by-table@example.net"},
}


def url_for(name: str, world) -> str:
    return reverse(name, kwargs=URL_KWARGS.get(name, lambda w: {})(world))


def test_every_api_route_and_method_has_its_permission_row(world_a):
    taught = {route for route, _ in EXPECTED}
    routes = api_routes()
    assert set(routes) == taught, f"teach tests/api/test_permissions.py: {set(routes) ^ taught}"
    for name in routes:
        methods = answered_methods(name, url_for(name, world_a), world_a)
        untaught = {m for m in methods if (name, m) not in EXPECTED}
        assert not untaught, f"{name} answers {untaught}: add their rows to EXPECTED"


def _tokens(world, world_b) -> dict[str, str | None]:
    made = {"anonymous": None}
    with tenant_context(world.tenant):
        for role in ROLES:
            made[role] = tokens.token_create(
                user=world.users[role], name=role, scope="write", expires_in_days=None
            )[1]
        revoked, made["revoked"] = tokens.token_create(
            user=world.users["agent"], name="revoked", scope="write", expires_in_days=None
        )
        tokens.token_revoke(token=revoked)
        made["expired"] = tokens.token_create(
            user=world.users["agent"], name="expired", scope="write", expires_in_days=1
        )[1]
    with tenant_context(world_b.tenant):
        made["other_tenant"] = tokens.token_create(
            user=world_b.users["admin"], name="b", scope="write", expires_in_days=None
        )[1]
    return made


@pytest.mark.parametrize(("route", "method"), list(EXPECTED))
def test_each_caller_gets_the_expected_answer(world_a, world_b, route, method):
    made = _tokens(world_a, world_b)
    url = url_for(route, world_a)
    body = BODIES.get((route, method), {})
    body = json.dumps(body(world_a) if callable(body) else body)
    answers = {}
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        for caller, raw in made.items():
            client = Client(HTTP_HOST=world_a.host)
            headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"} if raw else {}
            if method in ("post", "patch", "put"):
                headers["HTTP_IF_MATCH"] = "*"
                send = getattr(client, method)
                response = send(url, body, content_type="application/json", **headers)
            else:
                response = getattr(client, method)(url, **headers)
            answers[caller] = response.status_code
            if response.status_code >= 400 and route.startswith("api:") and route != "api:docs":
                assert set(response.json()) == {"code", "detail", "fields"}, (caller, route)
    # The expired token expired on the way (a day's expiry, two days on): refused like the rest.
    assert answers == EXPECTED[(route, method)]
