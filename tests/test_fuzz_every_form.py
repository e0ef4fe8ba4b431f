"""Hostile input on every page, every form and every query parameter, in every role.

Nothing here is a hand-kept list of pages: the URL patterns come from the resolver (the walk the
isolation probe uses) and the forms from the HTML each page serves to each role. For every
(role, URL) it sends generated query parameters, and for every form it finds (plus a blind POST
to each URL no form posts to) it sends the form back with some fields replaced by hostile values:
NUL and other control characters, invalid UTF-8 in the raw body, 100 KB strings, digits of other
scripts, huge and negative numbers, right-to-left text, markup, crafted cursors and far dates.
Two rules must hold for every request:

- never a 5xx;
- a 4xx leaves the database exactly as it was (every tenant-owned row, every person).

Hypothesis draws the values with a fixed seed (``derandomize``) and a bounded number of examples
per target, so CI runs the same requests every time; ``FUZZ_EXAMPLES`` raises the count for a
longer local hunt.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import quote_from_bytes, urlsplit

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenants.context import cross_tenant, tenant_context
from tests.conftest import login_client, snapshot_tenant_rows
from tests.test_isolation_probe import (
    NON_OBJECT_URLS,
    OBJECT_URLS,
    prepare_api_token,
    prepare_bug,
    prepare_collaboration,
    prepare_help_center,
    prepare_inbox,
    prepare_tag,
    prepare_team,
    prepare_time,
    prepare_webhook,
    tenant_url_patterns,
)

ROLES = ["anonymous", "customer", "agent", "manager", "admin"]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))

# A value that is well-formed for its input type, so that replacing only some fields by hostile
# values gets past the other fields' checks and reaches the services.
PLAUSIBLE = {
    "email": "fuzz.person@example.com",
    "number": "2",
    "date": "2026-03-02",
    # A week ahead of today, at 10:30: a call time the escalation form accepts on any date.
    "datetime-local": (datetime.now(tz=UTC) + timedelta(days=7)).strftime("%Y-%m-%dT10:30"),
    "time": "10:30",
    "tel": "+1 555 0100",
    "url": "https://example.com/page",
    "password": "fuzz-Passw0rd-long-enough",
}

# Query parameters the pages read besides their GET forms' fields.
COMMON_QUERY = [
    *("after", "page", "q", "status", "scope", "next", "start", "end", "format", "id"),
    "bug",  # the agent's ticket page: a reply drafted from a fixed bug report
]


def _crafted_cursor(payload) -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


HOSTILE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x01\x02\x07\x1b[31m\x7f",
    "\r\nSet-Cookie: injected=1",
    "²",
    "¹²³",
    "١٢٣",  # Arabic-Indic digits
    "߁߂",  # NKo digits
    "-1",
    "0",
    "-9223372036854775809",
    "9223372036854775808",
    "9" * 400,
    "1e400",
    "NaN",
    "-inf",
    "\u202eevil\u202c",
    "مرحبا بالعالم",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "&quot;&amp;<>\"'" * 40,
    "{{ 7|add:7 }}{% now 'Y' %}",
    "'; DROP TABLE tickets_ticket; --",
    "../../../../etc/passwd",
    "//evil.example/",
    "javascript:alert(1)",
    "x" * 100_000,
    "[a](" * 4000,
    "- " * 2000 + "x",
    "> " * 5000 + "x",
    "9999-12-31",
    "0001-01-01",
    "9999-12-31T23:59:59-23:59",
    "2026-02-30",
    "10000-01-01",
    _crafted_cursor([1e308 * 10, "9999-12-31T23:00:00-23:59", "0001-01-01T00:00:00+23:59", -1]),
    _crafted_cursor([0, "9999-12-31T23:59:59-23:59", "2026-01-01T00:00:00+00:00", 1]),
    "not-a-cursor:signature",
    "true",
    "on",
    "null",
    "[]",
    '{"a": 1}',
    "\ufeff\u200b\u2028\u2029",
    "𝟘𝟙𝟚",  # mathematical digits
]

hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


@dataclass
class Form:
    action: str
    method: str
    multipart: bool
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> default values
    options: dict[str, list[str]] = field(default_factory=dict)  # name -> every offered value


class FormParser(HTMLParser):
    """The forms of a page with each field's default value, as a browser would submit them,
    and every value a select, radio or checkbox offers."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            action = attrs.get("action") or self.page_url
            self._form = Form(
                action=action,
                method=(attrs.get("method") or "get").lower(),
                multipart="multipart" in (attrs.get("enctype") or ""),
            )
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        if tag == "option" and self._select:
            self._option(attrs)
            return
        if not attrs.get("name"):
            return
        name = attrs["name"]
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            if kind in ("checkbox", "radio"):
                value = attrs.get("value", "on")
                self._form.options.setdefault(name, []).append(value)
                chosen = self._form.fields.setdefault(name, [])
                if "checked" in attrs or (kind == "radio" and not chosen):
                    if kind == "radio":
                        chosen.clear()
                    chosen.append(value)
                return
            if kind == "file":
                self._form.fields.setdefault(name, [])
                return
            value = attrs.get("value") or PLAUSIBLE.get(kind, "Fuzz value")
            self._form.fields.setdefault(name, []).append(value)
        elif tag == "textarea":
            self._textarea, self._text = name, ""
        elif tag == "select":
            self._select, self._select_first, self._select_chosen = name, None, False
            self._form.fields.setdefault(name, [])
            self._form.options.setdefault(name, [])
        elif tag == "button" and attrs.get("value") is not None:
            self._form.fields.setdefault(name, []).append(attrs["value"])
            self._form.options.setdefault(name, []).append(attrs["value"])

    def _option(self, attrs):
        value = attrs.get("value", "")
        self._form.options[self._select].append(value)
        if self._select_first is None and value:
            self._select_first = value
        if "selected" in attrs:
            self._form.fields[self._select].append(value)
            self._select_chosen = True

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.fields.setdefault(self._textarea, []).append(
                self._text.strip() or "A plausible message from the fuzz test."
            )
            self._textarea = None
        elif tag == "select" and self._select is not None and self._form is not None:
            if not self._select_chosen and self._select_first is not None:
                self._form.fields[self._select].append(self._select_first)
            self._select = None


def forms_of(html: str, page_url: str) -> list[Form]:
    parser = FormParser(page_url)
    parser.feed(html)
    return parser.forms


@dataclass(frozen=True)
class Field:
    name: str
    defaults: tuple[str, ...] = ()
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Target:
    role: str
    method: str  # "get" (query parameters) or "post" (a body)
    url: str
    fields: tuple[Field, ...]
    multipart: bool = False
    json: bool = False
    # The role sees the page (a 200 to a plain GET, or a form it was served): sweep each field.
    # Otherwise (a 403, a login redirect, a blind POST) every field at once is enough.
    reachable: bool = True
    # The same form (URL and fields) reached by an earlier role was swept field by field
    # already: this role sends every field at once and the generated examples only.
    swept_before: bool = False


def fuzz_world(world):
    """Objects for every URL parameter, in the fuzzed tenant itself."""
    from datetime import date

    from desk.models import TenantHoliday
    from escalations.services import escalation_request
    from surveys.models import SurveyInvitation
    from surveys.services import sign
    from tickets.automations import run_automations
    from tickets.models import Macro, SavedView, Ticket

    world.only_ticket = world.ticket
    # Escalated on a ticket of its own: while a request is unsettled its ticket's request page
    # offers no form, and the fuzz must still find that form on world.ticket.
    escalated = world.submit(subject="A ticket with an escalation request")
    closing = world.submit(subject="A ticket that will close")
    world.reply(closing, "agent", "Fixed", submit_as=Ticket.Status.SOLVED)
    with time_machine.travel(datetime.now(tz=UTC) + timedelta(days=3)):
        run_automations(tenants=[world.tenant])
    with tenant_context(world.tenant):
        world.only_attachment = world.attachment
        world.holiday = TenantHoliday.objects.create(date=date(2027, 1, 4), name="Fuzz holiday")
        world.escalation = escalation_request(
            ticket=escalated,
            actor=world.users["customer"],
            membership=world.memberships["customer"],
            reason="Please look at this",
            requested_priority="urgent",
        )
        world.saved_view = SavedView.objects.create(name="Urgent", query="priority=urgent")
        world.macro = Macro.objects.create(name="Logs", body="Please send the logs.")
        invitation = SurveyInvitation.objects.get(ticket=closing)
        world.survey_token = sign(invitation, "bad")
        world.survey_opt_out_token = sign(invitation, "opt-out")
    fuzz_chats(world)
    # The help center: a category, a section, a published article and a draft, at the slugs
    # and ids the isolation probe's URL table points at (``world.help_draft``).
    prepare_help_center(world)
    # A bug report filed from the fuzzed ticket (``world.bug``, as the probe's URL table reads).
    prepare_bug(world)
    prepare_inbox(world)
    prepare_api_token(world)
    prepare_webhook(world)
    prepare_tag(world)  # ``world.tag``, on the fuzzed ticket
    # A team with the agent in it and the fuzzed ticket in it (``world.team``).
    prepare_team(world)
    prepare_time(world)
    # A CC, a follower and a notification of the fuzzed ticket (``world.cc``,
    # ``world.notification``, as the probe's URL table reads).
    prepare_collaboration(world)


def fuzz_chats(world):
    """Live chat in the fuzzed tenant: chat is offered (open around the clock, an agent present
    for the whole run), one chat waits (the console offers "Take" on it) and one is in progress
    with the customer, holding a file. The anonymous role's browser session is that chat's
    visitor; the customer reaches it through their account."""
    from datetime import time as clock

    from django.core.files.uploadedfile import SimpleUploadedFile

    from chat import selectors as chat_selectors
    from chat import services as chat_services
    from chat.models import AgentAvailability
    from desk.models import BusinessHours

    world.tenant.holiday_country = ""
    world.tenant.save(update_fields=["holiday_country"])
    world.chat_visitor_key = "fuzz-visitor-" + "v" * 19  # 32 characters, as the views make
    with tenant_context(world.tenant):
        BusinessHours.objects.all().delete()
        for weekday in range(7):
            BusinessHours.objects.create(weekday=weekday, opens=clock(0), closes=clock(0))
        agent = world.users["agent"]
        chat_services.availability_set(user=agent, available=True)
        # Presence lapses 90 s after the workspace last reported; the run takes longer.
        AgentAvailability.objects.filter(user=agent).update(
            seen_at=datetime.now(tz=UTC) + timedelta(days=1)
        )
        world.chat = chat_services.chat_start(
            name="Casey Customer",
            email="casey@example.net",
            topic="Backup stops at 97%",
            customer=world.users["customer"],
            visitor_key=world.chat_visitor_key,
        )
        chat_services.chat_accept(chat=world.chat, agent=agent)
        customer = chat_selectors.Participant("customer", world.users["customer"].pk, "Casey")
        staff = chat_selectors.Participant("agent", agent.pk, agent.display_name)
        chat_services.message_post(chat=world.chat, who=customer, body="It fails at night.")
        chat_services.message_post(chat=world.chat, who=staff, body="Send the log, please.")
        upload = SimpleUploadedFile("backup.log", b"2026-03-02 02:00 snapshot timeout\n")
        world.chat_file_seq = chat_services.file_post(
            chat=world.chat, who=customer, upload=upload
        ).seq
        world.waiting_chat = chat_services.chat_start(
            name="Wes Waiting",
            email="wes@example.net",
            topic="Is chat the right place for licences?",
            visitor_key="fuzz-waiting-" + "w" * 19,
        )


# Chat URLs by name: each points at the fuzzed tenant's chats (see ``fuzz_chats``). "Take" is
# offered on the waiting chat; everything else acts on the chat in progress.
CHAT_URLS = {
    "chat:room": lambda w: {"token": w.chat.token},
    "chat:file_upload": lambda w: {"token": w.chat.token},
    "chat:file": lambda w: {"token": w.chat.token, "seq": w.chat_file_seq},
    "chat:leave": lambda w: {"token": w.chat.token},
    "chat:transcript": lambda w: {"token": w.chat.token},
    "agent:chat": lambda w: {"token": w.chat.token},
    "agent:chat_accept": lambda w: {"token": w.waiting_chat.token},
    "agent:chat_transfer": lambda w: {"token": w.chat.token},
    "agent:chat_end": lambda w: {"token": w.chat.token},
    "agent:chat_ticket": lambda w: {"token": w.chat.token},
    "agent:chat_attach": lambda w: {"token": w.chat.token},
}


def url_for(name: str, world) -> str:
    if name in CHAT_URLS:
        return reverse(name, kwargs=CHAT_URLS[name](world))
    if name in OBJECT_URLS:
        return reverse(name, kwargs=OBJECT_URLS[name](world))
    if name == "survey":
        return reverse(name, kwargs={"token": world.survey_token})
    if name == "survey_unsubscribe":
        return reverse(name, kwargs={"token": world.survey_opt_out_token})
    return reverse(name, kwargs=NON_OBJECT_URLS.get(name, {}))


def client_for(role: str, world) -> Client:
    if role == "anonymous":
        client = Client(HTTP_HOST=world.host)
        visitor_key = getattr(world, "chat_visitor_key", "")
        if visitor_key:
            # The browser that started the fuzzed chat (visitors need no account).
            from chat.ws import VISITOR_KEY

            session = client.session
            session[VISITOR_KEY] = visitor_key
            session.save()
        return client
    return login_client(world.users[role], world.tenant)


def _serves(url: str) -> bool:
    try:
        resolve(urlsplit(url).path)
    except Resolver404:
        return False
    return True


def _fields(form: Form) -> tuple[Field, ...]:
    return tuple(
        Field(name, tuple(values), tuple(form.options.get(name, ())))
        for name, values in sorted(form.fields.items())
    )


def discover(world, roles=ROLES) -> list[Target]:
    """Every (role, URL) as a query target, every form found as a body target, and a blind POST
    (with every field name seen on the roles' pages) to each URL that no form posts to."""
    urls = sorted({url_for(name, world) for name, _params in tenant_url_patterns()})
    targets: list[Target] = []
    seen_fields: dict[str, Field] = {}
    blind: list[tuple[str, str]] = []
    for role in roles:
        posted_to: set[str] = set()
        for url in urls:
            response = client_for(role, world).get(url)
            reachable = response.status_code == 200
            query = {name: Field(name) for name in COMMON_QUERY}
            own_query: dict[str, Field] = {}
            if reachable and "html" in response.get("Content-Type", ""):
                for form in forms_of(response.content.decode(), url):
                    action = urlsplit(form.action).path or url
                    if not _serves(action):
                        continue
                    fields = _fields(form)
                    if form.method == "get":
                        own_query.update({f.name: f for f in fields})
                        continue
                    seen_fields.update({f.name: f for f in fields})
                    posted_to.add(action)
                    targets.append(Target(role, "post", action, fields, form.multipart))
            query.update(own_query)
            targets.append(Target(role, "get", url, tuple(query.values()), reachable=reachable))
        blind += [(role, url) for url in urls if url not in posted_to]
    every_field = tuple(seen_fields[name] for name in sorted(seen_fields))
    for role, url in blind:
        if url.startswith("/api/"):
            # Every field at once, in each hostile form, plus the generated examples: the
            # schema-aware sweep of each API field is schemathesis's (tests/api), which knows
            # which fields each operation takes; here, field by field over every name any
            # operation takes was most of the fuzz's time.
            fields = api_request_fields(world)
            targets.append(Target(role, "post", url, fields, json=True, swept_before=True))
        else:
            targets.append(Target(role, "post", url, every_field, reachable=False))
    unique, swept, copies = [], set(), set()
    for target in sorted(targets, key=_last_if_it_ends_a_chat):
        if _copy_key(target) in copies:
            continue
        copies.add(_copy_key(target))
        key = (target.method, target.url, tuple(f.name for f in target.fields))
        if target.reachable and key in swept:
            target = replace(target, swept_before=True)
        elif target.reachable:
            swept.add(key)
        unique.append(target)
    return unique


# What each page fills in of its own in a form the header repeats on every page (sign out,
# availability, away): the CSRF token (masked anew on each page) and the page to come back to.
PER_PAGE_VALUES = frozenset({"csrfmiddlewaretoken", "next"})


def _copy_key(target: Target) -> tuple:
    """What tells one form from another but for ``PER_PAGE_VALUES`` (equal targets have
    equal keys, so this also drops exact duplicates): an admin's 74 copies of the sign-out
    form were 74 targets, each sent the every-field sweep and examples again (a quarter of a
    staff role's requests), where the first copy's own sweep already sends each hostile
    value to each of its fields, ``next`` included."""
    fields = tuple(
        (f.name, f.options, () if f.name in PER_PAGE_VALUES else f.defaults) for f in target.fields
    )
    return (
        target.role,
        target.method,
        target.url,
        target.json,
        target.multipart,
        target.reachable,
        fields,
    )


# Requests that end the fuzzed chat or take it from its agent: sent after every other request of
# the role (the sort is stable), so that the chat's other forms meet their services on a chat
# still in progress. Handing over first, then ending.
_CHAT_ENDINGS = ("/transfer/", "/end/", "/leave/")


def _last_if_it_ends_a_chat(target: Target) -> int:
    if target.method == "post" and target.url.startswith(("/chat/", "/agent/chats/")):
        for rank, ending in enumerate(_CHAT_ENDINGS, start=1):
            if target.url.endswith(ending):
                return rank
    return 0


def api_request_fields(world) -> tuple[Field, ...]:
    """Request-body properties named in the OpenAPI schema, plus the ticket fields."""
    schema = client_for("admin", world).get(reverse("api:schema") + "?format=json").json()
    components = schema.get("components", {}).get("schemas", {})
    names = {"body", "public", "submit_as", "status", "priority", "assignee", "subject"}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():
                body = media.get("schema", {})
                if "$ref" in body:  # a named object: its properties are in the components
                    body = components[body["$ref"].rsplit("/", 1)[-1]]
                names.update(body.get("properties", {}))
    return tuple(Field(name, ("A plausible value",)) for name in sorted(names))


def database_state(world) -> tuple:
    """Every row a request could change: the tenant's rows and every person."""
    User = get_user_model()
    # Every column but last_login, which each signed-in client's creation stamps.
    columns = [f.attname for f in User._meta.concrete_fields if f.name != "last_login"]
    with cross_tenant():
        people = sorted(User.objects.values_list(*columns), key=repr)
        addresses = sorted(EmailAddress.objects.values_list(), key=repr)
    return snapshot_tenant_rows(world.tenant), people, addresses


def writes_so_far() -> int:
    """Rows this connection has written so far (inserted, updated or deleted), attempts that
    rolled back included: a request that leaves it unchanged wrote nothing, and the database
    is as it was without comparing snapshots (a snapshot reads every row of the tenant, and
    took about as long as the request).

    PostgreSQL counts per transaction, and a savepoint that rolls back keeps its counts (the
    test runs in one transaction); SQLite counts per connection. On PostgreSQL the sessions
    table is left out, as ``database_state`` leaves it out: signing out (and the client
    signed in again after it) then needs no new snapshot. (The sign-out stayed the costliest
    target, 23-25 s of a staff role, until its copies on every page became one target:
    ``_copy_key``.)"""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)"
                " FROM pg_stat_xact_all_tables WHERE relname <> 'django_session'"
            )
            return int(cursor.fetchone()[0])
    connection.ensure_connection()
    return connection.connection.total_changes


def _raw_urlencoded(values: dict[str, list[str]], broken: set[str]) -> bytes:
    """A form body with invalid UTF-8 bytes spliced into the ``broken`` fields."""
    parts = []
    for name, items in values.items():
        for item in items or [""]:
            raw = item.encode("utf-8", "surrogatepass")
            if name in broken:
                raw = b"\xff\xfe" + raw[:50] + b"\xc3\x28\xa0\xa1"
            parts.append(quote_from_bytes(name.encode()) + "=" + quote_from_bytes(raw))
    return "&".join(parts).encode("ascii")


def send(target: Target, client, values: dict[str, list[str]], broken: set[str], mode: str):
    if target.method == "get":
        if mode == "raw":
            query = _raw_urlencoded(values, broken).decode("ascii")
            return client.get(f"{target.url}?{query}")
        return client.get(target.url, {k: v for k, v in values.items() if v})
    if target.json:
        body = {k: (v[0] if len(v) == 1 else v) for k, v in values.items()}
        if mode == "raw":
            return client.generic(
                "POST", target.url, b'{"body": "\xff\xfe broken', content_type="application/json"
            )
        return client.post(target.url, json.dumps(body), content_type="application/json")
    if mode == "raw":
        return client.generic(
            "POST",
            target.url,
            _raw_urlencoded(values, broken),
            content_type="application/x-www-form-urlencoded",
        )
    if target.multipart or mode == "multipart":
        return client.post(target.url, {k: v for k, v in values.items()})
    return client.post(
        target.url,
        _raw_urlencoded(values, set()),
        content_type="application/x-www-form-urlencoded",
    )


SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")

# What every field is swept with, each derived from the field's own default value so that a
# composite value ("assignee:5") keeps its shape around the hostile part ("assignee:⁵").
MUTATIONS = {
    "nul": lambda d: d + "\x00",
    "other-digits": lambda d: d.translate(SUPERSCRIPTS) if any(c.isdigit() for c in d) else "²",
    "huge-number": lambda d: "9" * 25,
    "negative": lambda d: "-1",
    "100KB": lambda d: (d or "x") * (100_000 // max(len(d), 1) + 1),
    "markup": lambda d: ('"&<>' * 50)[:200],
    "rtl-control": lambda d: "\u202e" + d + "\x07\x1b[0m\u202c",
    "far-date": lambda d: "9999-12-31",
    "cursor": lambda d: HOSTILE[HOSTILE.index("not-a-cursor:signature") - 2],
    "empty": lambda d: "",
}


# Field by field, the mutations that differ by field (a cursor or a negative number is tried in
# every field at once, and by the generated examples).
FIELD_MUTATIONS = [
    "nul",
    "other-digits",
    "huge-number",
    "100KB",
    "markup",
    "rtl-control",
    "far-date",
]


def _default(f: Field) -> str:
    return f.defaults[0] if f.defaults else (f.options[0] if f.options else "")


def sweep(target: Target):
    """The deterministic part: (label, values, broken fields, mode) for each request."""
    defaults = {f.name: list(f.defaults) for f in target.fields}
    names = [f.name for f in target.fields] or ["q"]
    by_name = {f.name: f for f in target.fields}
    mutations = MUTATIONS if target.reachable else {k: MUTATIONS[k] for k in ("nul", "100KB")}
    # Every field at once, except choices the page offered (kept as offered, so that a valid
    # choice such as the report's period lets the other fields reach the code behind it; each
    # choice field is swept on its own below).
    free = [n for n in names if not by_name.get(n, Field(n)).options] or names
    for label, mutate in mutations.items():
        values = {name: [mutate(_default(by_name.get(name, Field(name))))] for name in free}
        yield f"all fields {label}", {**defaults, **values}, set(), "urlencoded"
    yield "all fields invalid UTF-8", defaults, set(names), "raw"
    if not target.reachable or target.swept_before:
        return
    for f in target.fields:  # one field at a time, the others as the page filled them
        if target.method == "get" and f.name in COMMON_QUERY:
            continue  # covered by "all fields" above; the pages read them independently
        for label in FIELD_MUTATIONS:
            value = MUTATIONS[label](_default(f))
            yield f"{f.name} {label}", {**defaults, f.name: [value]}, set(), "urlencoded"
        for option in [o for o in f.options if any(c.isdigit() for c in o)][:3]:
            mutated = option.translate(SUPERSCRIPTS)
            yield f"{f.name}={mutated!r}", {**defaults, f.name: [mutated]}, set(), "urlencoded"


class Checker:
    """Sends requests for one world and records every 5xx and every 4xx that changed rows."""

    def __init__(self, world):
        self.world = world
        self.failures: list[str] = []
        self.requests = 0
        self._state = None  # the database as the last request left it, when known
        self._clients: dict[str, Client] = {}
        self.slowest = (0.0, "")  # seconds, request: printed, never asserted (CI machines vary)
        self.seconds_by_target: dict[str, float] = {}  # where the run's time goes, printed

    def _client(self, role: str) -> Client:
        """One client per role, signed in again only when a request signed it out (or, for the
        anonymous one, in): signing in for every request would cost more than the request."""
        client = self._clients.get(role)
        expected = None if role == "anonymous" else str(self.world.users[role].pk)
        if client is None or client.session.get("_auth_user_id") != expected:
            client = self._clients[role] = client_for(role, self.world)
        return client

    def request(self, target: Target, label: str, values, broken, mode) -> None:
        client = self._client(target.role)
        if self._state is None:
            self._state = database_state(self.world)
        before = self._state
        writes = writes_so_far()
        where = f"{target.role} {target.method.upper()} {target.url} [{label}, {mode}]"
        self.requests += 1
        started = time.perf_counter()
        try:
            response = send(target, client, values, broken, mode)
        except Exception as error:  # the test client re-raises a view's exception: a 500
            self.failures.append(f"{where}: {type(error).__name__}: {str(error)[:200]}")
            self._state = None
            return
        self.slowest = max(self.slowest, (time.perf_counter() - started, where))
        wrote = writes_so_far() != writes
        status = response.status_code
        if status >= 500:
            self.failures.append(f"{where}: {status}")
        if not wrote:
            return  # the database is as ``before``: the next request starts from it
        self._state = None  # written to: read again before the next request
        if 400 <= status < 500:
            after = database_state(self.world)
            if after != before:
                self.failures.append(f"{where}: {status} but the database changed")
            self._state = after

    def check(self, target: Target, *, hostile=hostile_text, examples: int = EXAMPLES) -> None:
        started = time.perf_counter()
        for label, values, broken, mode in sweep(target):
            self.request(target, label, values, broken, mode)
        if target.reachable and examples:
            self._explore(target, hostile, examples)
        key = f"{target.method.upper()} {target.url}"
        spent = time.perf_counter() - started
        self.seconds_by_target[key] = self.seconds_by_target.get(key, 0.0) + spent

    def costliest(self, count: int = 5) -> str:
        ranked = sorted(self.seconds_by_target.items(), key=lambda kv: -kv[1])[:count]
        return ", ".join(f"{where} {seconds:.0f} s" for where, seconds in ranked)

    def _explore(self, target: Target, hostile, examples: int) -> None:
        """The generated part: a few fields at a time, each an offered value, a mutation of
        its default or a generated hostile string, in a generated encoding."""
        fields = list(target.fields) or [Field("q")]
        defaults = {f.name: list(f.defaults) for f in target.fields}

        def value_for(f: Field):
            offered = list(f.options) + list(f.defaults)
            choices = [
                hostile,
                st.sampled_from(list(MUTATIONS)).map(lambda k, f=f: MUTATIONS[k](_default(f))),
            ]
            if offered:
                choices.append(st.sampled_from(offered))
            return st.one_of(*choices)

        @settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data(), mode=st.sampled_from(["urlencoded", "multipart", "raw"]))
        def one_request(data, mode):
            chosen = data.draw(
                st.lists(
                    st.sampled_from(fields), min_size=1, max_size=3, unique_by=lambda f: f.name
                )
            )
            values = {f.name: [data.draw(value_for(f))] for f in chosen}
            self.request(target, "generated", {**defaults, **values}, set(values), mode)

        one_request()


@pytest.fixture
def fuzzed_world(world_a):
    fuzz_world(world_a)
    return world_a


def test_discovery_reaches_every_url_and_finds_the_forms(fuzzed_world):
    targets = discover(fuzzed_world)
    urls = {url_for(name, fuzzed_world) for name, _ in tenant_url_patterns()}
    assert {t.url for t in targets if t.method == "get"} == urls
    assert {t.url for t in targets if t.method == "post"} >= urls
    posted = {(t.role, t.url) for t in targets if t.method == "post" and t.reachable}
    # Forms the walk must find on its own: the anonymous ticket form, replies, settings.
    assert ("anonymous", reverse("portal:ticket_new")) in posted
    assert ("agent", url_for("agent:ticket", fuzzed_world)) in posted
    assert ("admin", reverse("agent:settings_hours")) in posted
    assert ("admin", reverse("agent:settings_teams")) in posted
    assert ("admin", url_for("agent:settings_team", fuzzed_world)) in posted
    assert ("agent", reverse("agent:away")) in posted
    assert ("customer", url_for("portal:ticket_escalate", fuzzed_world)) in posted
    assert {t.role for t in targets} == set(ROLES)
    # The header's forms, on every page, are each one target per role: sign out (and the
    # sign-out form that returns to the sign-in page), availability, away.
    for role, url, count in [
        ("customer", reverse("account_logout"), 2),
        ("agent", reverse("account_logout"), 2),
        ("agent", reverse("agent:chat_availability"), 1),
        ("agent", reverse("agent:away"), 1),
    ]:
        copies = [t for t in targets if (t.role, t.method, t.url) == (role, "post", url)]
        assert len(copies) == count, (role, url, copies)
    # Live chat: the pre-chat form (visitors and customers), the customer's room, the agent's
    # console and chat page with its tools; the chat's file upload is a script's POST.
    for role in ("anonymous", "customer"):
        assert (role, reverse("chat:start")) in posted
        for name in ("chat:leave", "chat:transcript"):
            assert (role, url_for(name, fuzzed_world)) in posted, (role, name)
    for role in ("agent", "manager", "admin"):
        for name in (
            "agent:chat_availability",
            "agent:chat_accept",
            "agent:chat_transfer",
            "agent:chat_ticket",
            "agent:chat_attach",
            "chat:transcript",
        ):
            assert (role, url_for(name, fuzzed_world)) in posted, (role, name)
    assert ("agent", url_for("agent:chat_end", fuzzed_world)) in posted
    uploads = url_for("chat:file_upload", fuzzed_world)
    assert {t.role for t in targets if t.method == "post" and t.url == uploads} == set(ROLES)
    bulk = next(t for t in targets if t.role == "agent" and t.url == reverse("agent:bulk"))
    action = next(f for f in bulk.fields if f.name == "action")
    assert any(o.startswith("assignee:") for o in action.options)


def test_the_form_parser_submits_what_a_browser_would():
    html = """
    <form method="post" action="/x/" enctype="multipart/form-data">
      <input name="a" value="1"><input type="email" name="e"><textarea name="t">hi</textarea>
      <select name="s"><option value="">-</option><option value="b">B</option></select>
      <input type="checkbox" name="c" value="on"><input type="radio" name="r" value="1">
      <input type="radio" name="r" value="2" checked><input type="submit" name="go" value="Go">
    </form>"""
    (form,) = forms_of(html, "/page/")
    assert form.action == "/x/" and form.method == "post" and form.multipart
    assert form.fields == {
        "a": ["1"],
        "e": ["fuzz.person@example.com"],
        "t": ["hi"],
        "s": ["b"],
        "c": [],
        "r": ["2"],
    }
    assert form.options == {"s": ["", "b"], "c": ["on"], "r": ["1", "2"]}


def test_the_sweep_mutates_every_field_and_keeps_composite_values_shaped():
    target = Target(
        "agent",
        "post",
        "/agent/bulk/",
        (Field("ticket", ("3",)), Field("action", ("priority:high",), ("assignee:12",))),
    )
    sent = list(sweep(target))
    labels = [label for label, *_ in sent]
    for name in ("ticket", "action"):
        for mutation in FIELD_MUTATIONS:
            assert f"{name} {mutation}" in labels
    values = {label: v for label, v, _broken, _mode in sent}
    assert values["ticket other-digits"] == {"ticket": ["³"], "action": ["priority:high"]}
    assert values["action='assignee:¹²'"]["action"] == ["assignee:¹²"]
    assert values["ticket nul"]["ticket"] == ["3\x00"]
    assert any(mode == "raw" for *_rest, mode in sent)


MEGABYTES = "é" * (1024 * 1024)  # 2 MB of UTF-8: past every field's limit, under the body's
OVER_THE_BODY_LIMIT = "y" * (6 * 1024 * 1024)  # past DATA_UPLOAD_MAX_MEMORY_SIZE (5 MB)


def _png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def hostile_files():
    """(label, multipart values) for the chat's file upload: names and contents a browser or a
    script could send. Built afresh for each request (an upload is read once)."""
    from django.core.files.uploadedfile import SimpleUploadedFile as File

    png = _png()
    return [
        ("a text log", {"file": [File("backup.log", b"02:00 snapshot timeout\n")]}),
        ("a PNG", {"file": [File("screen.png", png, "image/png")]}),
        ("NUL in the name", {"file": [File("screen\x00.png", png, "image/png")]}),
        ("markup name", {"file": [File('<img src=x onerror=alert(1)>".png', png)]}),
        ("300-character name", {"file": [File("a" * 300 + ".log", b"log line\n")]}),
        ("right-to-left name", {"file": [File("\u202egol.exe", b"MZ\x90\x00\x03")]}),
        ("other digits in name and text", {"file": [File("١٢٣².log", "²³ ١٢٣ ߁".encode())]}),
        ("an executable", {"file": [File("setup.png", b"MZ\x90\x00" + b"\x00" * 64)]}),
        ("markup as a log", {"file": [File("page.log", b"<script>alert(1)</script>\n")]}),
        ("invalid UTF-8", {"file": [File("bytes.log", b"\xff\xfe\xc3\x28\xa0\xa1")]}),
        ("an empty file", {"file": [File("empty.log", b"")]}),
        ("megabytes of text", {"file": [File("huge.log", b"x" * (10 * 1024 * 1024 + 1))]}),
        ("two files", {"file": [File("a.log", b"a\n"), File("b.log", b"b\n")]}),
        ("text instead of a file", {"file": ["\x00" + "<b>" * 100]}),
        ("another field", {"upload": [File("c.log", b"c\n")]}),
        ("no file", {}),
    ]


def fuzz_chat_extras(checker: Checker, targets: list[Target], world) -> None:
    """What the sweep does not send: files to the chat's upload, and megabytes of text in each
    field of each chat form (and a body past the size limit). Sent while the chat is still in
    progress, so the files reach every check; the CSRF field is left alone, since with it
    alone changed some forms (ending the chat) would simply be submitted."""
    role = targets[0].role if targets else "anonymous"
    upload = Target(role, "post", url_for("chat:file_upload", world), (Field("file"),), True)
    for label, values in hostile_files():
        checker.request(upload, label, values, set(), "multipart")
    chat_forms = [
        t
        for t in targets
        if t.method == "post" and t.reachable and t.url.startswith(("/chat/", "/agent/chats/"))
    ]
    for target in chat_forms:
        defaults = {f.name: list(f.defaults) for f in target.fields}
        if not _last_if_it_ends_a_chat(target):
            for f in target.fields:
                if f.name != "csrfmiddlewaretoken":
                    values = {**defaults, f.name: [MEGABYTES]}
                    checker.request(target, f"{f.name} 2 MB", values, set(), "urlencoded")
        values = {**defaults, "body": [OVER_THE_BODY_LIMIT]}
        checker.request(target, "a 6 MB body", values, set(), "urlencoded")


@pytest.mark.parametrize("role", ROLES)
def test_hostile_input_never_gives_a_5xx_and_a_4xx_changes_nothing(
    fuzzed_world, role, record_property
):
    checker = Checker(fuzzed_world)
    # The role's own walk: its pages, its forms, and blind POSTs carrying the field names its
    # pages show (walking every role's pages for each role was a third of the fuzz's time).
    targets = discover(fuzzed_world, roles=[role])
    fuzz_chat_extras(checker, targets, fuzzed_world)
    for target in targets:
        checker.check(target)
    seconds, slowest = checker.slowest
    record_property(
        "figure",
        f"fuzz {role}: {len(targets)} targets, {checker.requests} requests;"
        f" slowest {seconds:.2f} s: {slowest}; costliest targets: {checker.costliest()}",
    )
    assert checker.requests > len(targets)
    assert not checker.failures, (
        f"{len(checker.failures)} failures in {checker.requests} requests:\n"
        + "\n".join(checker.failures[:40])
    )


def test_the_fuzz_catches_a_planted_500(fuzzed_world, monkeypatch):
    """The check can fail: a search that crashes on digits of other scripts is reported."""
    from tickets import selectors

    real = selectors.subject_or_number

    def crashes_on_other_digits(text):
        if any(ch.isdigit() and not ch.isascii() for ch in text):
            return real(str(int(text)))  # int("²") raises, as the old code did
        return real(text)

    monkeypatch.setattr(selectors, "subject_or_number", crashes_on_other_digits)
    checker = Checker(fuzzed_world)
    target = Target("customer", "get", reverse("portal:my_tickets"), (Field("q"),))
    checker.check(target, examples=0)
    assert any("ValueError" in failure for failure in checker.failures)


def test_the_fuzz_catches_a_4xx_that_changed_rows(fuzzed_world, settings):
    """The other rule can fail too: a view that writes a row and answers 400 is reported."""
    settings.ROOT_URLCONF = "tests.fuzz_planted_urls"
    checker = Checker(fuzzed_world)
    checker.check(Target("anonymous", "post", "/planted/", (Field("q"),), reachable=False))
    assert checker.failures and all("database changed" in f for f in checker.failures)


def test_the_write_counter_sees_every_attempted_write(world_a):
    """What lets the fuzz skip its snapshots: the counter moves on any written row, a write
    rolled back with its savepoint included, and stays put when nothing is written."""
    from django.db import transaction

    from tenants.models import Organization

    start = writes_so_far()
    with tenant_context(world_a.tenant):
        list(Organization.objects.all())
        Organization.objects.filter(name="no such organization").update(name="renamed")
    assert writes_so_far() == start
    try:
        with transaction.atomic(), tenant_context(world_a.tenant):
            Organization.objects.create(name="Rolled back Ltd")
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    with tenant_context(world_a.tenant):
        assert not Organization.objects.filter(name="Rolled back Ltd").exists()
    after_rollback = writes_so_far()
    assert after_rollback > start
    with tenant_context(world_a.tenant):
        Organization.objects.filter(pk=world_a.organization.pk).update(name="Renamed Ltd")
    assert writes_so_far() > after_rollback
