"""Personal API tokens: made on the person's page (shown once, stored as a digest, audited),
used as ``Authorization: Bearer``, limited to their helpdesk, their owner's role and their
scope, and refused once revoked, expired, or their owner has left."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts import tokens
from accounts.models import ApiToken
from tenants.context import tenant_context
from tenants.models import AuditEntry, Membership
from tests.conftest import login_client

pytestmark = pytest.mark.django_db


def make_token(world, role="agent", scope="write", days=None):
    with tenant_context(world.tenant):
        return tokens.token_create(
            user=world.users[role], name=f"{role} script", scope=scope, expires_in_days=days
        )


def api(world, raw, method="get", path="/api/v1/tickets/", **kwargs):
    client = Client(HTTP_HOST=world.host, enforce_csrf_checks=True)
    return getattr(client, method)(path, HTTP_AUTHORIZATION=f"Bearer {raw}", **kwargs)


def test_a_token_is_made_on_the_page_shown_once_and_stored_as_a_digest(world_a):
    client = login_client(world_a.users["customer"], world_a.tenant)
    page = client.post(
        "/accounts/api-tokens/", {"name": "Nightly export", "scope": "read", "expires": "30"}
    )
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    (raw,) = re.findall(r'value="(hd_[A-Za-z0-9_-]+)"', page.content.decode())
    with tenant_context(world_a.tenant):
        token = ApiToken.objects.get()
        audited = AuditEntry.objects.filter(action="api_token_created").get()
    assert raw not in (token.digest, token.prefix) and token.digest == tokens.digest_of(raw)
    assert token.scope == "read"
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert "Nightly export" in audited.target
    # Listed afterwards by name and prefix only.
    listed = client.get("/accounts/api-tokens/").content.decode()
    assert "Nightly export" in listed and token.prefix in listed and raw not in listed


def test_the_page_refuses_bad_input_with_nothing_made(world_a):
    client = login_client(world_a.users["customer"], world_a.tenant)
    for bad in (
        {"name": "", "scope": "read", "expires": "30"},
        {"name": "x" * 81, "scope": "read", "expires": "30"},
        {"name": "ok", "scope": "admin", "expires": "30"},
        {"name": "ok", "scope": "read", "expires": "-1"},
        {"name": "bell\x07", "scope": "read", "expires": ""},
    ):
        assert client.post("/accounts/api-tokens/", bad).status_code == 400, bad
    with tenant_context(world_a.tenant):
        assert not ApiToken.objects.exists()


def test_making_a_token_asks_for_the_password_again(world_a):
    client = login_client(world_a.users["customer"], world_a.tenant, confirmed=False)
    asked = client.post("/accounts/api-tokens/", {"name": "x", "scope": "read", "expires": ""})
    assert asked.status_code == 302
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    assert client.get("/accounts/api-tokens/").status_code == 200  # the list is not sensitive


def test_a_token_reads_as_its_owner_without_csrf_and_records_its_last_use(world_a):
    _, raw = make_token(world_a, role="customer", scope="read")
    response = api(world_a, raw)
    assert response.status_code == 200
    numbers = {row["number"] for row in response.json()["results"]}
    assert numbers == {world_a.ticket.number}  # the customer's own ticket, as on the portal
    with tenant_context(world_a.tenant):
        assert ApiToken.objects.get().last_used_at is not None


def test_a_read_token_cannot_write_and_a_write_token_can(world_a):
    _, read = make_token(world_a, scope="read")
    _, write = make_token(world_a, scope="write")
    path = f"/api/v1/tickets/{world_a.ticket.number}/comments/"
    body = {"body": "From a script", "public": True}
    refused = api(world_a, read, "post", path, data=body, content_type="application/json")
    assert refused.status_code == 403
    assert "may only read" in refused.json()["detail"]
    done = api(world_a, write, "post", path, data=body, content_type="application/json")
    assert done.status_code == 201, done.content


def test_revoked_expired_foreign_and_orphaned_tokens_are_refused(world_a, world_b):
    _, raw = make_token(world_a, days=30)
    assert api(world_a, raw).status_code == 200
    # Another helpdesk's host does not know it.
    assert api(world_b, raw).status_code == 401
    # Expired.
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        expired = api(world_a, raw)
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    # Its owner left the helpdesk.
    with tenant_context(world_a.tenant):
        Membership.objects.filter(user=world_a.users["agent"]).delete()
    assert api(world_a, raw).status_code == 401
    # Revoked.
    _, other = make_token(world_a, role="manager")
    with tenant_context(world_a.tenant):
        tokens.token_revoke(token=ApiToken.objects.get(user=world_a.users["manager"]))
    revoked = api(world_a, other)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer a b",
        "Bearer hd_" + "x" * 200_000,
        "Bearer hd_nope",
        "Bearer \u00e9t\u00e9",
    ],
)
def test_malformed_tokens_are_a_401_with_a_reason(world_a, header):
    client = Client(HTTP_HOST=world_a.host)
    response = client.get("/api/v1/tickets/", HTTP_AUTHORIZATION=header.encode().decode("latin-1"))
    assert response.status_code == 401
    assert response.json()["detail"]


def test_only_the_owner_revokes_and_revoking_is_audited(world_a):
    token, raw = make_token(world_a, role="agent")
    stranger = login_client(world_a.users["admin"], world_a.tenant)
    assert stranger.post(f"/accounts/api-tokens/{token.pk}/revoke/").status_code == 404
    owner = login_client(world_a.users["agent"], world_a.tenant)
    assert owner.post(f"/accounts/api-tokens/{token.pk}/revoke/").status_code == 302
    assert api(world_a, raw).status_code == 401
    with tenant_context(world_a.tenant):
        assert AuditEntry.objects.filter(action="api_token_revoked").count() == 1


def test_staff_who_must_have_a_second_factor_need_it_for_tokens_too(world_a):
    _, raw = make_token(world_a, role="agent")
    world_a.tenant.require_staff_second_factor = True
    world_a.tenant.save(update_fields=["require_staff_second_factor"])
    assert api(world_a, raw).status_code == 403
    page = login_client(world_a.users["agent"], world_a.tenant).get("/accounts/api-tokens/")
    assert page.status_code == 302 and page["Location"] == "/accounts/2fa/totp/activate/"
