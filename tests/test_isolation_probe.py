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

import json

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
    "agent:member_unlock": lambda b: {"pk": b.memberships["agent"].pk},
    "agent:ticket": lambda b: {"number": b.only_ticket.number},
    "agent:ticket_update": lambda b: {"number": b.only_ticket.number},
    "portal:ticket": lambda b: {"number": b.only_ticket.number},
    "portal:attachment": lambda b: {"number": b.only_ticket.number, "pk": b.only_attachment.pk},
    "agent:settings_holiday_delete": lambda b: {"pk": b.holiday.pk},
    "agent:macro": lambda b: {"pk": b.macro.pk},
    "agent:ticket_macro": lambda b: {"number": b.only_ticket.number, "macro_id": b.macro.pk},
    "agent:view_delete": lambda b: {"pk": b.saved_view.pk},
    "agent:ticket_activity": lambda b: {"number": b.only_ticket.number},
    # Merge, split and links: B's ticket as the source (the other ticket is named in the body).
    "agent:ticket_merge": lambda b: {"number": b.only_ticket.number},
    "agent:ticket_links": lambda b: {"number": b.only_ticket.number},
    "agent:ticket_split": lambda b: {"number": b.only_ticket.number},
    "api:ticket_merge": lambda b: {"number": b.only_ticket.number},
    "api:ticket_split": lambda b: {"number": b.only_ticket.number},
    "api:ticket_links": lambda b: {"number": b.only_ticket.number},
    "api:ticket_link": lambda b: {"number": b.only_ticket.number, "other": b.ticket.number},
    "agent:escalation": lambda b: {"pk": b.escalation.pk},
    "portal:ticket_escalate": lambda b: {"number": b.only_ticket.number},
    "api:ticket": lambda b: {"number": b.only_ticket.number},
    "api:ticket_comments": lambda b: {"number": b.only_ticket.number},
    "api:ticket_events": lambda b: {"number": b.only_ticket.number},
    "api:ticket_attachment": lambda b: {"number": b.only_ticket.number, "pk": b.only_attachment.pk},
    "api:ticket_escalation": lambda b: {"number": b.only_ticket.number},
    "api:ticket_survey": lambda b: {"number": b.only_ticket.number},
    "api:escalation": lambda b: {"pk": b.escalation.pk},
    "api:ticket_product_bug": lambda b: {"number": b.only_ticket.number},
    "api:bug": lambda b: {"pk": b.bug.pk},
    # B's draft by its slug: staff of A would read a draft of A's own by this address.
    "api:article": lambda b: {"slug": b.help_draft.slug},
    "api:escalation_decisions": lambda b: {"pk": b.escalation.pk},
    "agent:demo_email": lambda b: {"pk": _email_of(b)},
    # Live chat: B's chat by its token (the file URL by the seq of B's file message).
    "chat:room": lambda b: {"token": b.chat.token},
    "chat:file_upload": lambda b: {"token": b.chat.token},
    "chat:file": lambda b: {"token": b.chat.token, "seq": b.chat_file_seq},
    "chat:leave": lambda b: {"token": b.chat.token},
    "chat:transcript": lambda b: {"token": b.chat.token},
    "agent:chat": lambda b: {"token": b.chat.token},
    "agent:chat_accept": lambda b: {"token": b.chat.token},
    "agent:chat_transfer": lambda b: {"token": b.chat.token},
    "agent:chat_end": lambda b: {"token": b.chat.token},
    "agent:chat_ticket": lambda b: {"token": b.chat.token},
    "agent:chat_attach": lambda b: {"token": b.chat.token},
    # The help center's staff pages: B's draft article, category and section by id.
    "agent:help_article": lambda b: {"pk": b.help_draft.pk},
    "agent:help_article_delete": lambda b: {"pk": b.help_draft.pk},
    "agent:help_category": lambda b: {"pk": b.help_draft.section.category_id},
    "agent:help_section": lambda b: {"pk": b.help_draft.section_id},
    # Bug reports: B's report by id, and filing from B's ticket.
    "agent:bug": lambda b: {"pk": b.bug.pk},
    "agent:bug_unlink": lambda b: {"pk": b.bug.pk},
    "agent:ticket_bug": lambda b: {"number": b.only_ticket.number},
    # Time tracking: logging, the timer and deleting one of B's entries on B's ticket.
    "agent:ticket_time": lambda b: {"number": b.only_ticket.number},
    "agent:ticket_timer": lambda b: {"number": b.only_ticket.number},
    "agent:ticket_time_delete": lambda b: {"number": b.only_ticket.number, "pk": b.time_entry.pk},
    "api:ticket_time_entries": lambda b: {"number": b.only_ticket.number},
    "api:ticket_time_entry": lambda b: {"number": b.only_ticket.number, "pk": b.time_entry.pk},
    # API tokens: B's agent's token by id.
    "api_token_revoke": lambda b: {"pk": b.api_token.pk},
    # Webhooks: B's endpoint by id, and one of its deliveries.
    "agent:settings_webhook": lambda b: {"pk": b.webhook.pk},
    "agent:settings_webhook_resend": lambda b: {
        "pk": b.webhook.pk,
        "delivery": b.webhook_delivery.pk,
    },
    # Tags: B's ticket's tags, and one of B's tags by id (Settings → Tags).
    "agent:ticket_tags": lambda b: {"number": b.only_ticket.number},
    "agent:settings_tag": lambda b: {"pk": b.tag.pk},
    "api:ticket_tags": lambda b: {"number": b.only_ticket.number},
    # Teams: B's team by id, and B's agent's membership (marked away by an admin).
    "agent:settings_team": lambda b: {"pk": b.team.pk},
    "agent:settings_member_away": lambda b: {"pk": b.memberships["agent"].pk},
    # CCs, followers and notifications: B's ticket, B's CC by id, B's agent's notification.
    "agent:ticket_cc": lambda b: {"number": b.only_ticket.number},
    "agent:ticket_cc_remove": lambda b: {"number": b.only_ticket.number, "pk": b.cc.pk},
    "agent:ticket_follow": lambda b: {"number": b.only_ticket.number},
    "agent:notification": lambda b: {"pk": b.notification.pk},
    "portal:ticket_cc": lambda b: {"number": b.only_ticket.number},
    "portal:ticket_cc_remove": lambda b: {"number": b.only_ticket.number, "pk": b.cc.pk},
    "api:ticket_ccs": lambda b: {"number": b.only_ticket.number},
    "api:ticket_cc": lambda b: {"number": b.only_ticket.number, "pk": b.cc.pk},
    "api:ticket_followers": lambda b: {"number": b.only_ticket.number},
    # Email: B's support address by id.
    "agent:settings_email_address": lambda b: {"pk": b.support_address.pk},
    "agent:settings_email_mailbox": lambda b: {"pk": b.support_address.pk},
}


def _email_of(world) -> int:
    """The outbox email of ``world``'s probed ticket (its confirmation): the demo mailbox."""
    from outbox.models import OutboxEmail
    from tenants.context import tenant_context

    with tenant_context(world.tenant):
        return OutboxEmail.objects.filter(ticket=world.only_ticket).values_list("pk", flat=True)[0]


# URL name -> kwargs for URLs whose parameters are not tenant objects (signed tokens and keys).
NON_OBJECT_URLS = {
    # Public help-center pages by slug, aimed at B's own (``prepare_help_center``): public on
    # B's host (200 there, to anyone), a 404 without B's words on A's host.
    "help:article": {"slug": "probe-b-article"},
    "help:vote": {"slug": "probe-b-article"},
    "help:category": {"category_slug": "probe-b-category"},
    "help:section": {"category_slug": "probe-b-category", "section_slug": "probe-b-section"},
    # Signed survey links; a real B link on A's host is tested in tests/surveys.
    "survey": {"token": "probe-not-a-signed-token"},
    "survey_unsubscribe": {"token": "probe-not-a-signed-token"},
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


def chat_markers(world) -> list[str]:
    """What only the people on ``world``'s chat may see (set up by ``prepare``)."""
    marker = world.marker
    return [
        f"B chat topic {marker}",
        f"B chat customer {marker}",
        f"b-chat-{marker}@example.net",
        f"B chat message {marker}",
        f"B chat file {marker}",
        f"b-chat-{marker}.log",
    ]


def _prepare_chat(world_b):
    """A chat of B's, taken by B's agent, with a message and a file (made while B is open)."""
    import time_machine
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chat import services
    from chat.selectors import Participant
    from tenants.context import tenant_context
    from tests.chat.helpers import OPEN_HOURS

    marker = world_b.marker
    with time_machine.travel(OPEN_HOURS, tick=True), tenant_context(world_b.tenant):
        agent = world_b.users["agent"]
        services.availability_set(user=agent, available=True)
        chat = services.chat_start(
            name=f"B chat customer {marker}",
            email=f"b-chat-{marker}@example.net",
            topic=f"B chat topic {marker}",
            visitor_key="b" * 32,
        )
        services.chat_accept(chat=chat, agent=agent)
        customer = Participant("customer", None, chat.name)
        services.message_post(chat=chat, who=customer, body=f"B chat message {marker}")
        upload = SimpleUploadedFile(f"b-chat-{marker}.log", f"B chat file {marker}\n".encode())
        file_message = services.file_post(chat=chat, who=customer, upload=upload)
    world_b.chat = chat
    world_b.chat_file_seq = file_message.seq


def help_markers(world) -> list[str]:
    """B's help-center words: the published article's are public on B's host only; the
    draft's are never shown to anyone outside B's staff."""
    return [f"B help article {world.marker}", f"B help draft {world.marker}"]


def prepare_help_center(world_b):
    from helpcenter import services
    from tenants.context import tenant_context

    marker = world_b.marker
    with tenant_context(world_b.tenant):
        category = services.category_save(values={"name": "Probe", "slug": "probe-b-category"})
        section = services.section_save(
            values={"category": category, "name": "Probe", "slug": "probe-b-section"}
        )
        for slug, title, status in [
            ("probe-b-article", f"B help article {marker}", "published"),
            ("probe-b-draft", f"B help draft {marker}", "draft"),
        ]:
            article = services.article_save(
                values={
                    "section": section,
                    "slug": slug,
                    "title": title,
                    "body": f"{title} body",
                    "status": status,
                },
                author=world_b.users["manager"],
            )
    world_b.help_draft = article


def bug_markers(world) -> list[str]:
    """B's bug report: internal to B's staff (the probe's stranger is never one)."""
    marker = world.marker
    return [
        f"B bug title {marker}",
        f"B bug summary {marker}",
        f"B bug steps {marker}",
        f"B bug comment {marker}",
        f"https://tracker.example.com/b-{marker}",
        f"b-help-{marker}@example.com",
    ]


def prepare_bug(world_b):
    from bugs import services
    from tenants.context import tenant_context

    marker = world_b.marker
    staff = {"actor": world_b.users["agent"], "membership": world_b.memberships["agent"]}
    with tenant_context(world_b.tenant):
        report = services.bug_file(
            ticket=world_b.only_ticket,
            values={
                "title": f"B bug title {marker}",
                "summary": f"B bug summary {marker}",
                "steps": f"B bug steps {marker}",
                "tracker_url": f"https://tracker.example.com/b-{marker}",
            },
            **staff,
        )
        services.bug_comment(report=report, body=f"B bug comment {marker}", **staff)
    world_b.bug = report


def prepare_inbox(world_b):
    from inbox.models import SupportAddress
    from tenants.context import tenant_context

    with tenant_context(world_b.tenant):
        world_b.support_address = SupportAddress.objects.create(
            address=f"b-help-{world_b.marker}@example.com"
        )


def prepare_api_token(world_b):
    from accounts import tokens
    from tenants.context import tenant_context

    with tenant_context(world_b.tenant):
        world_b.api_token, world_b.api_token_raw = tokens.token_create(
            user=world_b.users["agent"],
            name=f"B token {world_b.marker}",
            scope="write",
            expires_in_days=None,
        )


def prepare_webhook(world_b):
    """An endpoint of B's (its address carries B's marker) with one delivery."""
    from tenants.context import tenant_context
    from webhooks import services
    from webhooks.models import Delivery

    with tenant_context(world_b.tenant):
        world_b.webhook, _secret = services.endpoint_create(
            url=f"https://hooks-{world_b.marker}.example.com/hook", events=["noted"]
        )
    world_b.reply(world_b.ticket, "agent", "A note for the webhook", public=False)
    with tenant_context(world_b.tenant):
        world_b.webhook_delivery = Delivery.objects.get(endpoint=world_b.webhook)


def tag_markers(world) -> list[str]:
    """B's tag: internal to B's staff."""
    return [f"B tag {world.marker}"]


def prepare_tag(world_b):
    """A tag of B's on its probed ticket (``world_b.tag``), put there by B's agent."""
    from tenants.context import tenant_context
    from tickets import tagging

    with tenant_context(world_b.tenant):
        (world_b.tag,) = tagging.ticket_tags_add(
            ticket=world_b.only_ticket,
            actor=world_b.users["agent"],
            membership=world_b.memberships["agent"],
            names=[f"B tag {world_b.marker}"],
        )


def time_markers(world) -> list[str]:
    """B's time entry: internal to B's staff."""
    return [f"B time note {world.marker}"]


def prepare_time(world_b):
    """Time logged on B's probed ticket, and B's agent's timer running on it."""
    from tenants.context import tenant_context
    from tickets import timelog

    staff = {"agent": world_b.users["agent"], "membership": world_b.memberships["agent"]}
    with tenant_context(world_b.tenant):
        world_b.time_entry = timelog.time_log(
            ticket=world_b.only_ticket, minutes=25, note=f"B time note {world_b.marker}", **staff
        )
        timelog.timer_start(ticket=world_b.only_ticket, **staff)


def prepare_collaboration(world_b):
    """On B's probed ticket: an address copied (it carries B's marker), B's agent following,
    and a mention of B's agent by B's manager (B's agent's notification)."""
    from tenants.context import tenant_context
    from tickets import collaboration
    from tickets.models import Notification

    agent = world_b.users["agent"]
    with tenant_context(world_b.tenant):
        world_b.cc = collaboration.ticket_cc_add(
            ticket=world_b.only_ticket,
            email=f"b-copied-{world_b.marker}@example.net",
            actor=agent,
            membership=world_b.memberships["agent"],
        )
        collaboration.ticket_follow(ticket=world_b.only_ticket, user=agent)
    handle = agent.email.split("@")[0]
    world_b.reply(world_b.only_ticket, "manager", f"@{handle} please check", public=False)
    with tenant_context(world_b.tenant):
        world_b.notification = Notification.objects.filter(recipient=agent).latest("pk")


def collaboration_markers(world) -> list[str]:
    """Who is copied on B's ticket: never shown outside B."""
    return [f"b-copied-{world.marker}@example.net"]


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
        # A real link of B's: the unlink URLs aim at it (and must leave it in place).
        from tickets.merging import ticket_link

        ticket_link(ticket=ticket, other=world_b.ticket, actor=world_b.users["agent"])
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
    _prepare_chat(world_b)
    prepare_help_center(world_b)
    prepare_bug(world_b)
    prepare_inbox(world_b)
    prepare_api_token(world_b)
    prepare_webhook(world_b)
    prepare_tag(world_b)
    prepare_team(world_b)
    prepare_time(world_b)
    prepare_collaboration(world_b)


def prepare_team(world_b):
    """B's team with B's agent in it, and B's probed ticket in that team."""
    from tenants.context import tenant_context
    from tickets import teams

    with tenant_context(world_b.tenant):
        world_b.team = teams.team_create(name=f"B team {world_b.marker}")
        teams.team_member_add(team=world_b.team, membership=world_b.memberships["agent"])
        teams.ticket_set_team(
            ticket=world_b.only_ticket, actor=world_b.users["agent"], team=world_b.team
        )


def run_probe(world_a, world_b):
    prepare(world_a, world_b)
    visitor = world_a.users["admin"]
    before = snapshot_tenant_rows(world_b.tenant)
    users_before = sorted(
        type(visitor).objects.filter(memberships__tenant=world_b.tenant).values_list(), key=repr
    )
    checked = 0
    markers_on_a = [
        *world_b.all_markers(),
        *chat_markers(world_b),
        *help_markers(world_b),
        *bug_markers(world_b),
        *tag_markers(world_b),
        *time_markers(world_b),
        *collaboration_markers(world_b),
    ]
    markers_on_b = [
        *world_b.private_markers(),
        *chat_markers(world_b),
        help_markers(world_b)[1],
        *bug_markers(world_b),
        *tag_markers(world_b),
        *time_markers(world_b),
        *collaboration_markers(world_b),
    ]
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
            _assert_no_markers(on_a, markers_on_a, context)
            statuses_on_a.add(on_a.status_code)
            if is_object:
                # 405 answers before any lookup (same for every id), so it leaks nothing.
                assert on_a.status_code in {404, 405}, f"{context}: {on_a.status_code}, not 404"

            on_b = _request(login_client(visitor, world_a.tenant), method, url, world_b.host)
            context = f"{method.upper()} {url} on B's host as a stranger"
            assert on_b.status_code < 500, context
            _assert_no_markers(on_b, markers_on_b, context)
            if is_object:
                login_redirect = on_b.status_code == 302 and on_b["Location"].startswith(
                    reverse("account_login")
                )
                # The API's "sign in first" is a 401 with a JSON body, not a redirect.
                api_refusal = name.startswith("api:") and on_b.status_code == 401
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


# --- Websockets ------------------------------------------------------------------------------


def websocket_path(route, values: dict[str, str]) -> str:
    """The path of a websocket route with its parameters filled from ``values`` (a parameter
    the probe has no value for fails: teach it below)."""
    import re

    raw = str(route.pattern)
    raw = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m.group(1)], raw)
    raw = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], raw)
    path = raw.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    assert route.pattern.match(path), f"{path} does not match {route.pattern}"
    return "/" + path


async def _probe_socket(path: str, host: str, session_key: str) -> tuple[list[str], object]:
    """Connect, read, try every kind of frame; returns what came back and the socket if the
    server kept it open."""
    from tests.chat.helpers import TIMEOUT, communicator

    socket = communicator(path, host=host, session_key=session_key)
    accepted, code = await socket.connect(timeout=TIMEOUT)
    if not accepted:
        return [f"refused {code}"], None
    seen: list[str] = []

    async def read() -> bool:
        """Everything until quiet; False once the server closed the socket."""
        while not await socket.receive_nothing(timeout=0.2):
            output = await socket.receive_output(timeout=TIMEOUT)
            if output["type"] == "websocket.close":
                seen.append(f"closed {output.get('code')}")
                return False
            seen.append(output.get("text") or repr(output.get("bytes")))
        return True

    if not await read():
        return seen, None
    for frame in (
        {"type": "ping"},
        {"type": "typing"},
        {"type": "message", "body": "probe", "client_id": "probe-1"},
    ):
        await socket.send_json_to(frame)
        if not await read():
            return seen, None
    return seen, socket


@pytest.mark.django_db(transaction=True)
def test_websocket_probe_never_shows_b_s_chat(world_a, world_b):
    """Every websocket route, with A's admin, agent and customer, on A's host and on B's host,
    aimed at B's chat: no frame carries B's chat, and B's live activity reaches none of them."""
    import time_machine
    from asgiref.sync import async_to_sync

    from chat import services
    from chat.routing import websocket_urlpatterns
    from chat.selectors import Participant
    from tenants.context import tenant_context
    from tests.chat.helpers import OPEN_HOURS, db, drain_all, session_cookie

    prepare(world_a, world_b)
    b_chat = world_b.chat
    values = {"token": b_chat.token}
    paths = [websocket_path(route, values) for route in websocket_urlpatterns]
    assert len(paths) == len(websocket_urlpatterns) >= 2
    sessions = {
        role: session_cookie(tenant=world_a.tenant, user=world_a.users[role])
        for role in ("admin", "agent", "customer")
    }
    markers = [*chat_markers(world_b), *world_b.private_markers()]

    def b_activity():
        """B's chat and B's agents get news while A's sockets listen."""
        with time_machine.travel(OPEN_HOURS, tick=True), tenant_context(world_b.tenant):
            agent = world_b.users["agent"]
            services.availability_set(user=agent, available=True)
            services.message_post(
                chat=b_chat,
                who=Participant("agent", agent.pk, agent.display_name),
                body=f"B chat message {world_b.marker} (live)",
            )
            services.message_post(
                chat=b_chat,
                who=Participant("customer", None, b_chat.name),
                body=f"B chat message {world_b.marker} (customer)",
            )
            services.chat_start(
                name=f"B chat customer {world_b.marker}",
                email=f"b-chat-{world_b.marker}@example.net",
                topic=f"B chat topic {world_b.marker} (new)",
                visitor_key="c" * 32,
            )

    async def scenario():
        seen, still_open = {}, []
        for path in paths:
            for role, session_key in sessions.items():
                for host_name, host in (("A", world_a.host), ("B", world_b.host)):
                    key = f"{path} as A's {role} on {host_name}'s host"
                    seen[key], socket = await _probe_socket(path, host, session_key)
                    if socket is not None:
                        still_open.append((key, socket))
        await db(b_activity)
        drained = await drain_all(*(socket for _key, socket in still_open))
        for (key, socket), frames in zip(still_open, drained, strict=True):
            seen[key] += [json.dumps(frame) for frame in frames]
            await socket.disconnect()
        return seen, [key for key, _ in still_open]

    seen, still_open = async_to_sync(scenario)()
    assert len(seen) == len(paths) * len(sessions) * 2
    for key, frames in seen.items():
        for frame in frames:
            for marker in markers:
                assert marker not in frame, f"{key}: B's {marker!r} in {frame}"
    chat_path = f"/ws/chat/{b_chat.token}/"
    for key, frames in seen.items():
        if key.startswith(chat_path):
            # Found nowhere: the same answer as for a token that does not exist.
            assert json.loads(frames[0])["code"] == "not_found", (key, frames)
            assert frames[-1] == "closed 4404", (key, frames)
    # Only A's own staff on A's own host keep a workspace socket (their own tenant's news).
    assert sorted(still_open) == [
        "/ws/agent/ as A's admin on A's host",
        "/ws/agent/ as A's agent on A's host",
    ]
    # The probe's B activity really happened (so the silence above means something).
    with tenant_context(world_b.tenant):
        assert b_chat.messages.filter(body__contains="(live)").exists()
