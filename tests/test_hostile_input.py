"""The inputs that found 500s (and one lost ticket), each pinned by a test.

The fuzz test (tests/test_fuzz_every_form.py) finds the next such input by itself; these tests
keep each known one fixed, with the exact request that broke.
"""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client

from core.inputs import MAX_BODY_CHARS, local_path, parse_id, ticket_number_in
from outbox.models import OutboxEmail
from outbox.services import fit_subject
from tenants.context import tenant_context
from tests.conftest import login_client, snapshot_tenant_rows
from tickets import queue
from tickets.models import SavedView, Ticket

MARKUP_SUBJECT = ('"&<>' * 50)[:200]


# --- 2. Subjects and plain-text emails are not HTML -------------------------------------------


def test_a_subject_full_of_markup_characters_is_submitted_and_emailed_as_typed(world_a):
    client = Client(HTTP_HOST=world_a.host)
    response = client.post(
        "/tickets/new/",
        {
            "email": "upset@example.net",
            "subject": MARKUP_SUBJECT,
            "priority": "normal",
            "description": 'Backup says "failed" & <stops>',
        },
    )
    assert response.status_code == 302, "the ticket must not be lost"
    with tenant_context(world_a.tenant):
        ticket = Ticket.objects.get(subject=MARKUP_SUBJECT)
        (email,) = OutboxEmail.objects.filter(ticket=ticket, template="ticket_received")
    assert len(email.subject) <= OutboxEmail._meta.get_field("subject").max_length
    assert email.subject.startswith(f'[#{ticket.number}] We received your request: "&<>"&<>')
    assert f"Subject: {MARKUP_SUBJECT}" in email.body_text
    assert "&quot;" not in email.body_text and "&amp;" not in email.body_text
    # The HTML part is still escaped.
    assert "&quot;&amp;&lt;&gt;" in email.body_html and '"&<>' not in email.body_html


def test_a_subject_longer_than_the_outbox_column_is_cut_not_lost(world_a, settings):
    # A template that repeats the subject cannot overflow the column either.
    ticket = world_a.submit(subject=MARKUP_SUBJECT)
    with tenant_context(world_a.tenant):
        from outbox.services import email_enqueue, render_email

        subject, _text, _html = render_email("ticket_received", {"ticket": ticket})
        long_ticket = Ticket(number=7, subject=MARKUP_SUBJECT * 2)
        email_enqueue(
            template="ticket_received",
            recipient="x@example.net",
            key="long-subject",
            context={"ticket": long_ticket},
        )
        email = OutboxEmail.objects.get(idempotency_key="long-subject")
    assert len(subject) <= 300
    assert len(email.subject) == 300 and email.subject.endswith("…")


def test_agent_reply_email_text_keeps_quotes(world_a):
    ticket = world_a.submit(subject='Error "E42" & more')
    world_a.reply(ticket, "agent", 'Run "repair" & retry')
    with tenant_context(world_a.tenant):
        email = OutboxEmail.objects.get(ticket=ticket, template="agent_reply")
    assert 'Error "E42" & more' in email.subject
    assert 'Run "repair" & retry' in email.body_text


def test_fit_subject_cuts_at_a_word_within_the_limit():
    assert fit_subject("short") == "short"
    long = "word " * 100
    cut = fit_subject(long, 50)
    assert len(cut) <= 50 and cut.endswith("word…")
    assert fit_subject("x" * 400, 300) == "x" * 299 + "…"
    assert fit_subject("a\r\nb\tc") == "a b c"


# --- 3. NUL bytes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "method", "url", "data"),
    [
        ("anonymous", "post", "/tickets/new/", {"staging_key": "ab\x00cd", "subject": "x"}),
        ("customer", "get", "/tickets/", {"q": "\x00"}),
        ("agent", "post", "/agent/views/", {"name": "nul\x00", "query": "priority=urgent"}),
        ("agent", "get", "/agent/", {"q": "a\x00"}),
        ("customer", "post", "/api/v1/tickets/1/comments/", {"body\x00": "x"}),
    ],
    ids=["ticket-form", "my-tickets", "saved-view", "queue", "api-field-name"],
)
def test_nul_anywhere_is_a_400_that_changes_nothing(world_a, role, method, url, data):
    client = (
        Client(HTTP_HOST=world_a.host)
        if role == "anonymous"
        else login_client(world_a.users[role], world_a.tenant)
    )
    before = snapshot_tenant_rows(world_a.tenant)
    response = getattr(client, method)(url, data)
    assert response.status_code == 400
    assert snapshot_tenant_rows(world_a.tenant) == before
    if url.startswith("/api/"):
        assert response.json()["code"] == "invalid_input"
    else:
        assert "NUL character" in response.content.decode()


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("HTTP_COOKIE", "sessionid=abcdefgh\x00ijkl"),
        ("HTTP_HX_REQUEST", "\x00"),
        ("HTTP_X_Y", "a\x00"),
    ],
    ids=["session-cookie", "htmx", "any"],
)
def test_nul_in_a_header_or_cookie_is_a_400(world_a, header, value):
    response = Client(HTTP_HOST=world_a.host).get("/agent/", **{header: value})
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_a_nul_in_a_json_api_body_is_a_400(world_a):
    client = login_client(world_a.users["customer"], world_a.tenant)
    response = client.post(
        f"/api/v1/tickets/{world_a.ticket.number}/comments/",
        json.dumps({"body": "log\x00line"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "body" in response.json()["fields"]


# --- 4. Digits of other scripts ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["²", "١٢", "𝟙", "-1", "9" * 30, "0", " 1", "1 ", "+1", "1.0"])
def test_parse_id_accepts_only_ascii_digits_in_range(value):
    assert parse_id(value) is None


def test_parse_id_and_ticket_numbers():
    assert parse_id("42") == 42
    assert parse_id(str(2**63 - 1)) == 2**63 - 1
    assert parse_id(str(2**63)) is None
    assert ticket_number_in(" #17 ") == 17
    assert ticket_number_in("#²") is None


@pytest.mark.parametrize(
    ("role", "method", "url", "data"),
    [
        ("customer", "get", "/tickets/", {"q": "²"}),
        ("agent", "get", "/agent/", {"q": "²"}),
        ("agent", "get", "/agent/", {"assignee": "²"}),
        ("agent", "post", "/agent/bulk/", {"ticket": "²", "action": "priority:high"}),
        ("agent", "post", "/agent/bulk/", {"ticket": "1", "action": "assignee:²"}),
        ("agent", "post", "/agent/tickets/1/update/", {"field": "assignee", "value": "²"}),
    ],
    ids=["my-tickets", "queue-q", "queue-assignee", "bulk-ticket", "bulk-assignee", "update"],
)
def test_superscript_digits_never_crash_and_change_nothing(world_a, role, method, url, data):
    client = login_client(world_a.users[role], world_a.tenant)
    before = snapshot_tenant_rows(world_a.tenant)
    response = getattr(client, method)(url, data, follow=method == "post")
    assert response.status_code in (200, 400)
    assert snapshot_tenant_rows(world_a.tenant) == before
    if method == "post":
        assert any(m.level_tag == "error" for m in response.context["messages"])
    elif "assignee" in data:
        assert response.status_code == 400  # a form error, not a silent "anyone"


def test_a_search_for_a_ticket_number_still_finds_it(world_a):
    client = login_client(world_a.users["customer"], world_a.tenant)
    response = client.get("/tickets/", {"q": f"#{world_a.ticket.number}"})
    assert world_a.ticket.subject in response.content.decode()


# --- 5. Queue cursors --------------------------------------------------------------------------


def _unsigned(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        _unsigned([1e400, "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00", 1]),
        _unsigned([0, "9999-12-31T23:59:59-23:59", "2026-01-01T00:00:00+00:00", 1]),
        _unsigned([0, "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00", 1]),
        "garbage",
        "x" * 5000,
    ],
    ids=["overflow", "far-offset", "unsigned-but-plausible", "garbage", "long"],
)
def test_a_crafted_cursor_is_a_400_showing_the_first_page(world_a, cursor):
    client = login_client(world_a.users["agent"], world_a.tenant)
    response = client.get("/agent/", {"after": cursor})
    assert response.status_code == 400
    body = response.content.decode()
    assert "page link is damaged or out of date" in body
    assert world_a.ticket.subject in body  # the first page is shown


def test_issued_cursors_walk_every_page(world_a):
    for n in range(4):
        world_a.submit(subject=f"Walk {n}")
    with tenant_context(world_a.tenant):
        tickets = queue.filtered({}, world_a.users["agent"])
        seen, cursor = [], None
        while True:
            page = queue.page(tickets, cursor, size=2)
            seen += [t.pk for t in page.tickets]
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        assert seen == list(tickets.values_list("pk", flat=True))
        with pytest.raises(queue.InvalidCursor):
            queue.decode_cursor(cursor[:-2] + "xx")


# --- Redirect targets and saved views ----------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["//evil.example/", "https://evil.example/", "/agent/\r\nX: 1", "/portal/", "/agent\\"]
)
def test_local_path_refuses_anything_but_a_plain_local_path(value):
    assert local_path(value, prefix="/agent/", default="/agent/") == "/agent/"


def test_a_header_splitting_next_is_ignored(world_a):
    client = login_client(world_a.users["agent"], world_a.tenant)
    response = client.post(
        "/agent/bulk/",
        {"ticket": str(world_a.ticket.number), "action": "priority:high", "next": "/agent/\r\nX:1"},
    )
    assert response.status_code == 302 and response["Location"] == "/agent/"


def test_a_saved_view_keeps_only_valid_filters_re_encoded(world_a):
    client = login_client(world_a.users["agent"], world_a.tenant)
    response = client.post(
        "/agent/views/", {"name": "Mine urgent", "query": "priority=urgent&junk=\r\n&q=vpn"}
    )
    assert response.status_code == 302
    with tenant_context(world_a.tenant):
        view = SavedView.objects.get(name="Mine urgent")
    assert view.query == "priority=urgent&q=vpn"
    assert response["Location"] == "/agent/?priority=urgent&q=vpn"


def test_a_saved_view_with_invalid_filters_is_refused(world_a):
    client = login_client(world_a.users["agent"], world_a.tenant)
    before = snapshot_tenant_rows(world_a.tenant)
    response = client.post("/agent/views/", {"name": "Bad", "query": "assignee=²"}, follow=True)
    assert "filters are not valid" in response.content.decode()
    assert snapshot_tenant_rows(world_a.tenant) == before


# --- Length limits -----------------------------------------------------------------------------


def test_an_over_long_description_is_a_form_error_that_keeps_the_text(world_a):
    long = "The log says: " + "x" * MAX_BODY_CHARS
    client = Client(HTTP_HOST=world_a.host)
    before = snapshot_tenant_rows(world_a.tenant)
    response = client.post(
        "/tickets/new/",
        {"email": "a@example.net", "subject": "Long", "priority": "low", "description": long},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert f"at most {MAX_BODY_CHARS:,}".replace(",", "") in body.replace(",", "")
    assert long in body  # what was typed is still in the textarea
    assert snapshot_tenant_rows(world_a.tenant) == before


def test_a_body_at_the_limit_is_accepted(world_a):
    client = login_client(world_a.users["customer"], world_a.tenant)
    body = "y" * MAX_BODY_CHARS
    response = client.post(f"/tickets/{world_a.ticket.number}/", {"body": body})
    assert response.status_code == 302
    with tenant_context(world_a.tenant):
        assert world_a.ticket.comments.filter(body=body).exists()


@pytest.mark.parametrize(
    ("role", "url", "field"),
    [
        ("manager", "/agent/macros/", "body"),
        ("agent", "/api/v1/tickets/{n}/comments/", "body"),
    ],
)
def test_other_bodies_have_the_same_limit(world_a, role, url, field):
    client = login_client(world_a.users[role], world_a.tenant)
    before = snapshot_tenant_rows(world_a.tenant)
    url = url.format(n=world_a.ticket.number)
    data = {field: "z" * (MAX_BODY_CHARS + 1), "name": "Too long", "position": "1"}
    if url.startswith("/api/"):
        response = client.post(url, json.dumps(data), content_type="application/json")
        assert response.status_code == 400 and field in response.json()["fields"]
    else:
        response = client.post(url, data)
        assert response.status_code == 400
        assert response.context["form"].errors == {
            field: [f"Ensure this value has at most {MAX_BODY_CHARS} characters (it has 50001)."]
        }
    assert snapshot_tenant_rows(world_a.tenant) == before


def test_an_id_longer_than_any_database_id_is_a_404(world_a):
    client = login_client(world_a.users["agent"], world_a.tenant)
    assert client.get("/agent/tickets/" + "9" * 30 + "/").status_code == 404
    assert client.get("/api/v1/tickets/" + "9" * 30 + "/").status_code == 404
