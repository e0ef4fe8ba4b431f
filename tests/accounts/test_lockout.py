"""Failed sign-ins lock out the address they come from, never the account's owner elsewhere;
behind trusted proxies the client address is the one the last proxy saw, not one a client
writes itself."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.adapter import login_unlock
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ATTACKER, OWNER, PROXY = "203.0.113.9", "198.51.100.7", "10.0.0.2"
LOCKED = "Too many failed login attempts"


def sign_in(world, password: str, **meta):
    client = Client(HTTP_HOST=world.host)
    email = world.users["admin"].email
    return client.post("/accounts/login/", {"login": email, "password": password}, **meta)


def signed_in(response) -> bool:
    return response.status_code == 302


def test_an_attacker_locks_out_their_own_address_not_the_owner(world_a):
    tries = [sign_in(world_a, "wrong-guess", REMOTE_ADDR=ATTACKER) for _ in range(6)]
    assert all(r.status_code == 200 for r in tries)
    assert LOCKED in tries[-1].content.decode()
    # The attacker's address stays locked, even with the right password ...
    assert LOCKED in sign_in(world_a, PASSWORD, REMOTE_ADDR=ATTACKER).content.decode()
    # ... while the owner signs in from their own.
    assert signed_in(sign_in(world_a, PASSWORD, REMOTE_ADDR=OWNER))


def test_an_unlock_forgets_the_failures_from_every_address(world_a):
    for _ in range(6):
        sign_in(world_a, "wrong-guess", REMOTE_ADDR=ATTACKER)
    login_unlock(world_a.users["admin"].email.upper())
    assert signed_in(sign_in(world_a, PASSWORD, REMOTE_ADDR=ATTACKER))


def test_behind_one_trusted_proxy_each_client_is_counted_by_its_own_address(world_a, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    for n in range(6):
        # The attacker varies what it writes in front; the proxy appends what it saw.
        forwarded = f"192.0.2.{n}, {ATTACKER}"
        response = sign_in(
            world_a, "wrong-guess", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded
        )
    assert LOCKED in response.content.decode()
    owner = sign_in(world_a, PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=OWNER)
    assert signed_in(owner)


def test_without_a_trusted_proxy_a_forwarded_header_changes_nothing(world_a, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    for n in range(6):
        response = sign_in(
            world_a, "wrong-guess", REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"
        )
    assert LOCKED in response.content.decode()  # rotating the header did not help
    assert signed_in(sign_in(world_a, PASSWORD, REMOTE_ADDR=OWNER))


@pytest.mark.parametrize(("raw", "count"), [("", 0), ("false", 0), ("true", 1), ("2", 2)])
def test_behind_tls_proxy_says_how_many_proxies_to_trust(raw, count):
    import os
    import subprocess
    import sys

    env = {**os.environ, "BEHIND_TLS_PROXY": raw}
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','helpdesk.settings');"
        "django.setup(); from django.conf import settings as s;"
        "print(s.ALLAUTH_TRUSTED_PROXY_COUNT, bool(getattr(s, 'SECURE_PROXY_SSL_HEADER', None)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [str(count), str(count > 0)]


def test_an_admin_unlocks_a_member_from_the_people_page(world_a, world_b):
    from tests.conftest import login_client

    for _ in range(6):
        sign_in(world_a, "wrong-guess", REMOTE_ADDR=ATTACKER)
    admin_membership = world_a.memberships["admin"]
    agent = login_client(world_a.users["agent"], world_a.tenant)
    assert agent.post(f"/agent/people/{admin_membership.pk}/unlock/").status_code == 403
    admin = login_client(world_a.users["admin"], world_a.tenant)
    page = admin.get("/agent/people/").content.decode()
    assert f"/agent/people/{admin_membership.pk}/unlock/" in page
    # Another tenant's member is not found here.
    assert admin.post(f"/agent/people/{world_b.memberships['admin'].pk}/unlock/").status_code == 404
    assert admin.post(f"/agent/people/{admin_membership.pk}/unlock/").status_code == 302
    assert signed_in(sign_in(world_a, PASSWORD, REMOTE_ADDR=ATTACKER))


def test_api_answers_are_never_stored(world_a):
    from tests.conftest import login_client

    customer = login_client(world_a.users["customer"], world_a.tenant)
    for response in (
        customer.get("/api/v1/tickets/"),
        customer.get(f"/api/v1/tickets/{world_a.ticket.number}/"),
        Client(HTTP_HOST=world_a.host).get("/api/v1/tickets/"),  # refused: not stored either
    ):
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    page = customer.get("/tickets/")
    assert "no-store" not in page.get("Cache-Control", "")


def test_signup_for_an_existing_address_answers_alike_and_pays_the_same_hash(world_a, monkeypatch):
    import accounts.forms

    hashed = []
    real = accounts.forms.make_password
    monkeypatch.setattr(accounts.forms, "make_password", lambda raw: hashed.append(1) or real(raw))

    def signup(email):
        client = Client(HTTP_HOST=world_a.host)
        data = {
            "email": email,
            "password1": "Very-long-pass-123",
            "password2": "Very-long-pass-123",
        }
        return client.post("/accounts/signup/", data)

    existing = signup(world_a.users["customer"].email)
    new = signup("someone-new@example.org")
    assert (existing.status_code, existing["Location"]) == (new.status_code, new["Location"])
    assert existing.content == new.content
    assert hashed == [1]  # the existing address paid for a hash, as the new account did
