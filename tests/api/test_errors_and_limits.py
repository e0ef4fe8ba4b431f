"""Every API refusal has one body, {"code", "detail", "fields"}; a token has its own request
budget (429 with Retry-After beyond it); a refused transition carries the same code on the
page as through the API."""

import html
import json
import re

import pytest
from django.test import Client

from accounts import tokens
from tenants.context import tenant_context
from tests.conftest import login_client
from tickets import lifecycle
from tickets.lifecycle import Actor
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def token_of(world, role="agent", scope="write"):
    with tenant_context(world.tenant):
        return tokens.token_create(
            user=world.users[role], name="t", scope=scope, expires_in_days=None
        )[1]


def assert_error_body(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}
    assert body["code"] == code and body["detail"]
    return body


def test_every_kind_of_refusal_has_the_same_body(world_a):
    anonymous = Client(HTTP_HOST=world_a.host)
    assert_error_body(anonymous.get("/api/v1/tickets/"), 401, "not_authenticated")
    bad_token = anonymous.get("/api/v1/tickets/", HTTP_AUTHORIZATION="Bearer hd_nope")
    assert_error_body(bad_token, 401, "authentication_failed")
    raw = token_of(world_a, scope="read")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    number = world_a.ticket.number
    replies = f"/api/v1/tickets/{number}/comments/"
    assert_error_body(anonymous.post(replies, {"body": "x"}, **auth), 403, "permission_denied")
    assert_error_body(anonymous.get("/api/v1/tickets/999999/", **auth), 404, "not_found")
    writer = {"HTTP_AUTHORIZATION": f"Bearer {token_of(world_a)}"}
    deleted = anonymous.delete(f"/api/v1/tickets/{number}/", **writer)
    assert_error_body(deleted, 405, "method_not_allowed")
    unsupported = anonymous.post(replies, "body", content_type="text/csv", **writer)
    assert_error_body(unsupported, 415, "unsupported_media_type")
    malformed = anonymous.post(replies, "{not json", content_type="application/json", **writer)
    assert_error_body(malformed, 400, "parse_error")
    invalid = anonymous.post(
        replies,
        json.dumps({"body": "", "submit_as": "nope"}),
        content_type="application/json",
        **writer,
    )
    body = assert_error_body(invalid, 400, "invalid_input")
    assert set(body["fields"]) == {"body", "submit_as"}


def test_a_token_over_its_budget_is_told_when_to_come_back(world_a, settings):
    settings.API_RATE_LIMIT = "3/min"
    first, second = token_of(world_a), token_of(world_a, role="manager")
    client = Client(HTTP_HOST=world_a.host)
    for _ in range(3):
        assert (
            client.get("/api/v1/tickets/", HTTP_AUTHORIZATION=f"Bearer {first}").status_code == 200
        )
    over = client.get("/api/v1/tickets/", HTTP_AUTHORIZATION=f"Bearer {first}")
    assert_error_body(over, 429, "throttled")
    assert 0 < int(over["Retry-After"]) <= 60
    # Another token (another person's script) has a budget of its own.
    assert client.get("/api/v1/tickets/", HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 200


def test_a_refused_transition_has_the_same_code_on_the_page_and_through_the_api(world_a):
    world_a.reply(world_a.ticket, "agent", "Done", submit_as="solved")
    with tenant_context(world_a.tenant):
        closed = Ticket.objects.select_for_update().get(pk=world_a.ticket.pk)
        lifecycle.transition(closed, "closed", actor_kind=Actor.AUTOMATION)
    page = login_client(world_a.users["agent"], world_a.tenant).post(
        f"/agent/tickets/{closed.number}/",
        {"body": "One more thing", "public": "1", "submit_as": "open"},
    )
    api = Client(HTTP_HOST=world_a.host).post(
        f"/api/v1/tickets/{closed.number}/comments/",
        json.dumps({"body": "One more thing"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token_of(world_a)}",
    )
    api_body = assert_error_body(api, 409, "invalid_transition")
    assert page.status_code == 409
    (page_code,) = re.findall(r'data-error-code="([a-z_]+)"', page.content.decode())
    assert page_code == api_body["code"]
    shown = html.unescape(page.content.decode())
    assert api_body["detail"] in shown
    assert "One more thing" in shown  # what the agent typed is kept


def test_addresses_outside_the_views_answer_with_the_same_body(world_a):
    """Django answers before any API view for an address no route matches, or a body it cannot
    parse; under /api/ those answers are the API's JSON too (schemathesis found the HTML)."""
    caller = Client(HTTP_HOST=world_a.host)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_of(world_a)}"}
    assert_error_body(caller.get("/api/v1/tickets/null,null/", **auth), 404, "not_found")
    assert_error_body(caller.get("/api/v1/no-such-thing/"), 404, "not_found")
    broken = caller.post(
        f"/api/v1/tickets/{world_a.ticket.number}/comments/",
        b"--x\r\nnot a part",
        content_type="multipart/form-data",  # no boundary
        **auth,
    )
    assert broken.status_code == 400 and set(broken.json()) == {"code", "detail", "fields"}
    nul = caller.get("/api/v1/tickets/", {"q": "a\x00b"}, **auth)
    body = assert_error_body(nul, 400, "invalid_input")
    assert list(body["fields"]) == ["q"] and body["fields"]["q"]
    header = caller.get("/api/v1/tickets/", HTTP_IF_MATCH="a\x00b", **auth)
    assert_error_body(header, 400, "invalid_input")
    # Pages keep their own 404 page.
    page = caller.get("/agent/no-such-page/")
    assert page.status_code == 404 and b"<html" in page.content
