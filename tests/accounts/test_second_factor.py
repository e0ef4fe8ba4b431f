"""Second factor (allauth.mfa): a helpdesk can require it of its staff, who are sent to set it
up before anything else; signing in takes a code from the authenticator app (computed here with
pyotp, as a phone would) or a single-use recovery code; changes are audited; exports, password
and email changes ask for the password again after five minutes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client, TestCase

from tenants.context import tenant_context
from tenants.models import AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
ACTIVATE = "/accounts/2fa/totp/activate/"
AUTHENTICATE = "/accounts/2fa/authenticate/"


def require_second_factor(world, required=True):
    world.tenant.require_staff_second_factor = required
    world.tenant.save(update_fields=["require_staff_second_factor"])


def password_sign_in(world, role, **meta) -> tuple[Client, object]:
    client = Client(HTTP_HOST=world.host)
    email = world.users[role].email
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD}, **meta)
    return client, response


def confirm_password(client, asked) -> object:
    """The "confirm it's you" step a sensitive page sends to (``asked`` is its redirect)."""
    assert asked.status_code == 302
    assert asked["Location"].startswith("/accounts/reauthenticate/"), asked["Location"]
    return client.post(asked["Location"], {"password": PASSWORD})


def committed():
    """allauth sends its second-factor signals (so writes the audit rows) once the change
    commits; the test's transaction never does, so the callbacks run at the block's end."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def set_up_authenticator_app(world, role) -> tuple[Client, str]:
    """Through the pages, as the person would: sign in, open the set-up (confirming the password
    first, as for every change to how one signs in), type the app's code.
    Returns the signed-in client and the app's secret."""
    client, response = password_sign_in(world, role)
    assert response.status_code == 302
    confirmed = confirm_password(client, client.get(ACTIVATE))
    assert confirmed["Location"] == ACTIVATE
    page = client.get(ACTIVATE)
    assert page.status_code == 200
    secret = page.context["form"].secret
    with committed():
        done = client.post(ACTIVATE, {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302, done.content.decode()[:2000]
    return client, secret


def audit_actions(world) -> list[str]:
    with tenant_context(world.tenant):
        return list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))


# --- Enforcement --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["agent", "manager", "admin"])
def test_staff_without_a_second_factor_are_sent_to_set_it_up(world_a, role):
    require_second_factor(world_a)
    client, response = password_sign_in(world_a, role)
    assert response.status_code == 302
    for path in ("/agent/", f"/agent/tickets/{world_a.ticket.number}/", "/"):
        page = client.get(path)
        assert page.status_code == 302, path
        assert page["Location"] == ACTIVATE, path
    api = client.get("/api/v1/tickets/")
    assert api.status_code == 403
    assert api.json()["code"] == "second_factor_required"
    # The set-up page itself (after confirming the password), and signing out, stay open.
    confirm_password(client, client.get(ACTIVATE))
    setup = client.get(ACTIVATE)
    assert setup.status_code == 200
    assert "Alpha Support requires a second factor" in setup.content.decode()
    assert client.post("/accounts/logout/").status_code == 302


def test_once_set_up_the_workspace_opens(world_a):
    require_second_factor(world_a)
    with time_machine.travel(T0, tick=False):
        client, _ = set_up_authenticator_app(world_a, "agent")
        assert client.get("/agent/").status_code == 200
    assert "second_factor_added" in audit_actions(world_a)


def test_customers_and_helpdesks_that_do_not_require_it_are_left_alone(world_a):
    require_second_factor(world_a)
    client, _ = password_sign_in(world_a, "customer")
    assert client.get("/tickets/").status_code == 200
    require_second_factor(world_a, required=False)
    client, _ = password_sign_in(world_a, "agent")
    assert client.get("/agent/").status_code == 200


def test_the_chat_sockets_count_an_unfinished_staff_member_as_nobody(world_a):
    from chat.ws import Visitor

    require_second_factor(world_a)
    agent = world_a.users["agent"]
    with tenant_context(world_a.tenant):
        assert Visitor(world_a.tenant, agent, "").membership() is None
        Authenticator.objects.create(user=agent, type=Authenticator.Type.TOTP, data={})
        assert Visitor(world_a.tenant, agent, "").membership().role == "agent"


def test_enforced_staff_cannot_remove_their_authenticator_app(world_a):
    with time_machine.travel(T0, tick=False):
        client, _ = set_up_authenticator_app(world_a, "agent")
    require_second_factor(world_a)
    with time_machine.travel(T0 + timedelta(seconds=60), tick=False):
        response = client.post("/accounts/2fa/totp/deactivate/", {})
    agent = world_a.users["agent"]
    assert Authenticator.objects.filter(user=agent, type=Authenticator.Type.TOTP).exists()
    assert response.status_code in (200, 302)
    # Where it is not required, removing it works and is audited.
    require_second_factor(world_a, required=False)
    with time_machine.travel(T0 + timedelta(seconds=90), tick=False), committed():
        response = client.post("/accounts/2fa/totp/deactivate/", {})
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=agent, type=Authenticator.Type.TOTP).exists()
    assert "second_factor_removed" in audit_actions(world_a)


# --- Signing in with a code ---------------------------------------------------------------


def test_sign_in_takes_the_authenticator_apps_code(world_a):
    with time_machine.travel(T0, tick=False):
        _, secret = set_up_authenticator_app(world_a, "agent")
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        client, response = password_sign_in(world_a, "agent")
        assert response["Location"] == AUTHENTICATE
        # The password alone signs nobody in.
        assert client.get("/agent/").status_code == 302
        wrong = client.post(AUTHENTICATE, {"code": "000000"})
        assert wrong.status_code == 200
        assert "Incorrect code" in wrong.content.decode()
        right = client.post(AUTHENTICATE, {"code": pyotp.TOTP(secret).now()})
        assert right.status_code == 302
        assert right["Location"] == "/agent/"
        assert client.get("/agent/").status_code == 200
    actions = audit_actions(world_a)
    assert "second_factor_failed" in actions
    assert actions[-1] == "sign_in"


def test_a_recovery_code_works_once(world_a):
    with time_machine.travel(T0, tick=False):
        set_up_authenticator_app(world_a, "admin")
    admin = world_a.users["admin"]
    codes = Authenticator.objects.get(user=admin, type=Authenticator.Type.RECOVERY_CODES)
    code = codes.wrap().get_unused_codes()[0]
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        client, _ = password_sign_in(world_a, "admin")
        assert client.post(AUTHENTICATE, {"code": code}).status_code == 302
        assert client.get("/agent/").status_code == 200
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        again, _ = password_sign_in(world_a, "admin")
        refused = again.post(AUTHENTICATE, {"code": code})
        assert refused.status_code == 200
        assert again.get("/agent/").status_code == 302


def test_authenticator_keys_are_stored_encrypted(world_a):
    with time_machine.travel(T0, tick=False):
        _, secret = set_up_authenticator_app(world_a, "agent")
    stored = Authenticator.objects.get(user=world_a.users["agent"], type="totp").data["secret"]
    assert secret not in stored


# --- Re-authentication --------------------------------------------------------------------


def test_an_export_asks_for_the_password_again_after_five_minutes(world_a):
    with time_machine.travel(T0, tick=False):
        client, _ = password_sign_in(world_a, "admin")
        confirm_password(client, client.get("/agent/audit/?format=csv"))
        fresh = client.get("/agent/audit/?format=csv")
        assert fresh.status_code == 200
        assert fresh["Content-Type"].startswith("text/csv")
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        stale = client.get("/agent/audit/?format=csv")
        assert stale.status_code == 302
        assert stale["Location"].startswith("/accounts/reauthenticate/")
        assert client.get("/agent/audit/").status_code == 200  # reading the page is not an export
        again = confirm_password(client, stale)
        assert again["Location"] == "/agent/audit/?format=csv"
        assert client.get(again["Location"])["Content-Type"].startswith("text/csv")
        report = client.get(
            "/agent/reports/csat/?start=2026-10-01&end=2026-11-01&period=week&format=csv"
        )
        assert report["Content-Type"].startswith("text/csv")  # re-authenticated just now


def test_an_email_change_asks_for_the_password_again(world_a):
    with time_machine.travel(T0, tick=False):
        client, _ = password_sign_in(world_a, "customer")
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        added = {"action_add": "", "email": "new-address@example.net"}
        response = client.post("/accounts/email/", added)
        assert response["Location"].startswith("/accounts/reauthenticate/")
        assert not EmailAddress.objects.filter(email="new-address@example.net").exists()


def test_a_password_change_takes_the_current_password(world_a):
    new = "a-Much-longer-passphrase-41"
    form = {"oldpassword": "not-the-password", "password1": new, "password2": new}
    with time_machine.travel(T0, tick=False):
        client, _ = password_sign_in(world_a, "customer")
        refused = client.post("/accounts/password/change/", form)
    assert refused.status_code == 200
    world_a.users["customer"].refresh_from_db()
    assert world_a.users["customer"].check_password(PASSWORD)


# --- The owner's way around a lockout: a code by email ------------------------------------


def test_a_locked_out_owner_signs_in_with_an_emailed_code(world_a):
    owner = world_a.users["admin"].email
    attacker = Client(HTTP_HOST=world_a.host)
    for _ in range(6):
        locked = attacker.post("/accounts/login/", {"login": owner, "password": "guess"})
    assert "Too many failed login attempts" in locked.content.decode()
    client = Client(HTTP_HOST=world_a.host)  # the same address as the attacker's
    asked = client.post("/accounts/login/code/", {"email": owner})
    assert asked.status_code == 302
    message = mail.outbox[-1]
    assert message.to == [owner]
    code = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", message.body, re.MULTILINE).group(1)
    signed = client.post(asked["Location"], {"code": code})
    assert signed.status_code == 302
    assert client.get("/agent/").status_code == 200


def test_removing_the_app_or_new_recovery_codes_ask_for_the_password_again(world_a):
    with time_machine.travel(T0, tick=False):
        client, _ = set_up_authenticator_app(world_a, "agent")
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        for path in ("/accounts/2fa/totp/deactivate/", "/accounts/2fa/recovery-codes/generate/"):
            response = client.post(path, {})
            assert response.status_code == 302, path
            assert response["Location"].startswith("/accounts/reauthenticate/"), path
    agent = world_a.users["agent"]
    assert Authenticator.objects.filter(user=agent, type=Authenticator.Type.TOTP).exists()
