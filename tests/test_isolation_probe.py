"""The tenant isolation probe.

It walks every URL pattern of the tenant URLconf (resolver introspection, not a hand list) and,
signed in as tenant A's admin (the most privileged tenant role), asks for tenant B's objects:

- on A's host: 404 (not 403, so ids leak nothing) for every object URL;
- on B's host: a login redirect or 404, because A's member is a stranger there;
- no body ever contains B's data, and B's rows are unchanged after every unsafe method.

A URL with a parameter the probe does not know fails the test until it is taught below: either
how to point it at B's object (OBJECT_URLS) or why its parameters are not tenant objects
(NON_OBJECT_URLS). The probe also runs with the ORM tenant filter switched off (PostgreSQL), which
proves that row-level security alone keeps B's rows out.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tenants.context import without_app_tenant_filter
from tests.conftest import login_client, snapshot_tenant_rows

METHODS = ["get", "post", "put", "patch", "delete"]

# URL name -> kwargs that point the URL at one of tenant B's objects.
# Ticket numbers are per tenant, so B's #1 is A's #1 too: the probe aims at ``b.only_ticket``,
# whose number A does not have (see ``prepare``).
OBJECT_URLS = {
    "agent:organization": lambda b: {"pk": b.organization.pk},
    "agent:ticket": lambda b: {"number": b.only_ticket.number},
    "agent:ticket_update": lambda b: {"number": b.only_ticket.number},
    "portal:ticket": lambda b: {"number": b.only_ticket.number},
    "portal:attachment": lambda b: {"number": b.only_ticket.number, "pk": b.only_attachment.pk},
    "agent:settings_holiday_delete": lambda b: {"pk": b.holiday.pk},
    "agent:macro": lambda b: {"pk": b.macro.pk},
    "agent:ticket_macro": lambda b: {"number": b.only_ticket.number, "macro_id": b.macro.pk},
    "agent:view_delete": lambda b: {"pk": b.saved_view.pk},
    "agent:ticket_activity": lambda b: {"number": b.only_ticket.number},
    "agent:escalation": lambda b: {"pk": b.escalation.pk},
    "portal:ticket_escalate": lambda b: {"number": b.only_ticket.number},
    "api:ticket": lambda b: {"number": b.only_ticket.number},
    "api:ticket_replies": lambda b: {"number": b.only_ticket.number},
    "agent:demo_email": lambda b: {"pk": _email_of(b)},
}


def _email_of(world) -> int:
    """The outbox email of ``world``'s probed ticket (its confirmation): the demo mailbox."""
    from outbox.models import OutboxEmail
    from tenants.context import tenant_context

    with tenant_context(world.tenant):
        return OutboxEmail.objects.filter(ticket=world.only_ticket).values_list("pk", flat=True)[0]


# URL name -> kwargs for URLs whose parameters are not tenant objects (signed tokens and keys).
NON_OBJECT_URLS = {
    # Signed survey links; a real B link on A's host is tested in tests/surveys.
    "survey": {"token": "probe-not-a-signed-token"},
    "account_confirm_email": {"key": "probe-not-a-real-key"},
    "account_reset_password_from_key": {"uidb36": "zz", "key": "probe-not-a-real-key"},
}


def _params(pattern) -> tuple[str, ...]:
    converters = getattr(pattern.pattern, "converters", None)
    if converters:
        return tuple(converters)
    return tuple(pattern.pattern.regex.groupindex)


def walk(resolver, namespace: str | None = None, params: tuple[str, ...] = ()):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace) if n) or None
            yield from walk(entry, inner, params + _params(entry))
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield name, params + _params(entry)


def tenant_url_patterns() -> list[tuple[str | None, tuple[str, ...]]]:
    return list(walk(get_resolver(settings.ROOT_URLCONF)))


def test_the_probe_knows_how_to_reach_every_url():
    patterns = tenant_url_patterns()
    assert len(patterns) > 10, "the walk found suspiciously few URLs"
    unnamed = [params for name, params in patterns if name is None]
    assert not unnamed, "name every URL pattern so the probe can reverse it"
    untaught = [
        (name, params)
        for name, params in patterns
        if params and name not in OBJECT_URLS and name not in NON_OBJECT_URLS
    ]
    assert not untaught, f"teach the isolation probe these URLs: {untaught}"
    stale = set(OBJECT_URLS) | set(NON_OBJECT_URLS)
    stale -= {name for name, _ in patterns}
    assert not stale, f"the probe is taught URLs that no longer exist: {stale}"


def _request(client, method, url, host):
    return getattr(client, method)(url, HTTP_HOST=host, follow=False)


def _assert_no_markers(response, markers, context):
    body = response.content.decode(errors="replace")
    for marker in markers:
        assert marker not in body, f"{context}: B data {marker!r} leaked"


def prepare(world_a, world_b):
    """Give B a ticket (with a file and a note) whose number does not exist in A."""
    from datetime import date

    from desk.models import TenantHoliday
    from tenants.context import tenant_context
    from tickets.models import Macro, SavedView, Ticket

    with tenant_context(world_a.tenant):
        highest_in_a = max(Ticket.objects.values_list("number", flat=True))
    ticket = world_b.ticket
    while ticket.number <= highest_in_a:
        ticket = world_b.submit(
            subject=f"B-only ticket {world_b.marker}", log=f"log {world_b.marker}\n"
        )
    world_b.reply(ticket, "agent", f"internal note {world_b.marker}", public=False)
    world_b.only_ticket = ticket
    with tenant_context(world_b.tenant):
        world_b.only_attachment = ticket.attachments.get()
        world_b.holiday = TenantHoliday.objects.create(
            date=date(2027, 1, 4), name=f"B holiday {world_b.marker}"
        )
        from escalations.services import escalation_request

        world_b.escalation = escalation_request(
            ticket=ticket,
            actor=world_b.users["customer"],
            membership=world_b.memberships["customer"],
            reason=f"B escalation reason {world_b.marker}",
            requested_priority="urgent",
        )
        world_b.saved_view = SavedView.objects.create(
            name=f"B view {world_b.marker}", query="priority=urgent"
        )
        world_b.macro = Macro.objects.create(
            name=f"B macro {world_b.marker}", body=f"B macro body {world_b.marker}"
        )
        assert not Ticket.objects.filter(number=ticket.number, tenant=world_a.tenant).exists()


def run_probe(world_a, world_b):
    prepare(world_a, world_b)
    visitor = world_a.users["admin"]
    before = snapshot_tenant_rows(world_b.tenant)
    users_before = sorted(
        type(visitor).objects.filter(memberships__tenant=world_b.tenant).values_list(), key=repr
    )
    checked = 0
    for name, _params in tenant_url_patterns():
        is_object = name in OBJECT_URLS
        kwargs = OBJECT_URLS[name](world_b) if is_object else NON_OBJECT_URLS.get(name, {})
        url = reverse(name, kwargs=kwargs)
        statuses_on_a = set()
        for method in METHODS:
            # A fresh signed-in client per request: a probed logout must not end the probe early.
            on_a = _request(login_client(visitor, world_a.tenant), method, url, world_a.host)
            context = f"{method.upper()} {url} on A's host"
            assert on_a.status_code < 500, context
            _assert_no_markers(on_a, world_b.all_markers(), context)
            statuses_on_a.add(on_a.status_code)
            if is_object:
                # 405 answers before any lookup (same for every id), so it leaks nothing.
                assert on_a.status_code in {404, 405}, f"{context}: {on_a.status_code}, not 404"

            on_b = _request(login_client(visitor, world_a.tenant), method, url, world_b.host)
            context = f"{method.upper()} {url} on B's host as a stranger"
            assert on_b.status_code < 500, context
            _assert_no_markers(on_b, world_b.private_markers(), context)
            if is_object:
                login_redirect = on_b.status_code == 302 and on_b["Location"].startswith(
                    reverse("account_login")
                )
                # The API's "sign in first" is a 403 with a JSON body, not a redirect.
                api_refusal = name.startswith("api:") and on_b.status_code == 403
                assert login_redirect or api_refusal or on_b.status_code in (404, 405), (
                    f"{context}: {on_b.status_code}"
                )
            checked += 2
        if is_object:
            assert 404 in statuses_on_a, f"{url}: no method reached the object lookup"
    assert snapshot_tenant_rows(world_b.tenant) == before, "an unsafe request changed B's rows"
    users_after = sorted(
        type(visitor).objects.filter(memberships__tenant=world_b.tenant).values_list(), key=repr
    )
    assert users_after == users_before, "an unsafe request changed B's people"
    return checked


def test_isolation_probe(world_a, world_b):
    checked = run_probe(world_a, world_b)
    assert checked == len(tenant_url_patterns()) * len(METHODS) * 2


@pytest.mark.postgres
def test_isolation_probe_with_the_orm_filter_off_proves_rls_alone_holds(world_a, world_b):
    with without_app_tenant_filter():
        run_probe(world_a, world_b)


@pytest.mark.postgres
def test_with_the_orm_filter_off_rls_still_hides_b_from_a_page(world_a, world_b):
    """The probe's premise, shown directly: the filter is really off, and B stays hidden."""
    from tenants.context import tenant_context
    from tenants.models import Organization

    with without_app_tenant_filter(), tenant_context(world_a.tenant):
        # Without RLS this unfiltered query would return both tenants' organizations.
        names = set(Organization.objects.values_list("name", flat=True))
    assert names == {world_a.organization.name}
