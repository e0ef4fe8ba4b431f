"""No account enumeration: signing up, signing in and asking for a password reset answer with
the same page, in the same time, whether or not the address has an account.

Measured, not timed once: each flow runs several times for an existing and a new address,
interleaved (so a slow moment of the machine hits both alike), with production's password
hasher; the medians must be within 10% of each other."""

from __future__ import annotations

import re
import statistics
import time

import pytest
from django.core.cache import cache
from django.test import Client

import helpdesk.settings as configured
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.timing]

TRIES = 5
PRODUCTION_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
# What differs between any two answers of the same page: the CSRF token, the CSP nonce.
_PER_RESPONSE = re.compile(r'(value="|nonce="|"X-CSRFToken": ")[A-Za-z0-9+/=_-]{16,}"')


def normalised(response, address: str) -> str:
    """The page, with what differs per response blanked and the address typed (which the page
    may echo: "sent to <address>") replaced."""
    html = _PER_RESPONSE.sub(r'\1…"', response.content.decode())
    return html.replace(address, "<address>")


def measure(world, flow, existing: str, fresh_address) -> dict:
    """Interleaved runs of ``flow(client, address)`` for an existing address and a new one:
    their median times, and the final pages (redirects followed) they answered with."""
    times: dict[str, list[float]] = {"existing": [], "new": []}
    pages: dict[str, set[str]] = {"existing": set(), "new": set()}
    for n in range(TRIES + 1):
        for kind in ("existing", "new") if n % 2 else ("new", "existing"):
            address = existing if kind == "existing" else fresh_address(n)
            # Each probe as an attacker's first for that address: no rate-limit state left.
            cache.clear()
            client = Client(HTTP_HOST=world.host, REMOTE_ADDR=f"198.51.100.{n}")
            started = time.perf_counter()
            response = flow(client, address)
            elapsed = time.perf_counter() - started
            if n:  # the first round warms caches (templates, the common-password list)
                times[kind].append(elapsed)
            pages[kind].add(normalised(response, address))
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    print(f"{flow.__name__}: medians {medians}")
    return {"medians": medians, "pages": pages}


def assert_indistinguishable(result):
    pages = result["pages"]
    assert len(pages["existing"]) == 1, "the same request answered differently"
    assert pages["existing"] == pages["new"], "the page tells an existing address from a new one"
    slow, fast = max(result["medians"].values()), min(result["medians"].values())
    assert slow <= fast * 1.10, f"medians more than 10% apart: {result['medians']}"


@pytest.fixture
def production_hashing(settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    # Production's steady answer times (the rest of the suite turns them off).
    settings.ACCOUNT_STEADY_ANSWERS = configured.ACCOUNT_STEADY_ANSWERS


def signup(client, address):
    form = {"email": address, "password1": "Long-enough-passphrase-7", "password2": ""}
    form["password2"] = form["password1"]
    return client.post("/accounts/signup/", form, follow=True)


def login(client, address):
    return client.post("/accounts/login/", {"login": address, "password": "wrong-guess"})


def password_reset(client, address):
    return client.post("/accounts/password/reset/", {"email": address}, follow=True)


def sign_in_code(client, address):
    return client.post("/accounts/login/code/", {"email": address}, follow=True)


@pytest.mark.parametrize("flow", [signup, login, password_reset, sign_in_code])
def test_the_answer_does_not_tell_whether_an_address_has_an_account(
    world_a, production_hashing, flow
):
    existing = world_a.users["customer"].email
    # A user with a real (production-hashed) password, as any existing account has.
    user = world_a.users["customer"]
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    result = measure(world_a, flow, existing, lambda n: f"new-{flow.__name__}-{n}@example.net")
    assert_indistinguishable(result)


def test_a_successful_sign_in_is_not_held_back_a_failed_one_is(world_a, settings, monkeypatch):
    """The floors are waits: a failed sign-in waits out its floor, a successful one never."""
    settings.ACCOUNT_STEADY_ANSWERS = configured.ACCOUNT_STEADY_ANSWERS
    waits = []
    monkeypatch.setattr("accounts.middleware.time.sleep", waits.append)
    email = world_a.users["customer"].email
    client = Client(HTTP_HOST=world_a.host)
    assert client.post("/accounts/login/", {"login": email, "password": "wrong"}).status_code == 200
    assert len(waits) == 1 and 0 < waits[0] <= configured.ACCOUNT_STEADY_ANSWERS["account_login"]
    assert (
        client.post("/accounts/login/", {"login": email, "password": PASSWORD}).status_code == 302
    )
    assert len(waits) == 1
