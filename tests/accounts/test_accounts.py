import re

import pytest
from django.core import mail
from django.test import Client

from tenants.context import tenant_context
from tenants.models import Membership
from tests.conftest import PASSWORD


def _link(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def test_signup_verifies_email_on_the_same_host_and_makes_a_customer(world_a):
    client = Client()
    response = client.post(
        "/accounts/signup/",
        {"email": "new.person@example.net", "password1": PASSWORD, "password2": PASSWORD},
        HTTP_HOST=world_a.host,
    )
    assert response.status_code == 302
    # Not signed in until the address is verified (the policy: tickets need a real account).
    assert client.get("/agent/", HTTP_HOST=world_a.host).status_code == 302
    assert len(mail.outbox) == 1
    link = _link(mail.outbox[0])
    assert link.startswith(f"http://{world_a.host}/accounts/confirm-email/")
    path = link.split(world_a.host, 1)[1]
    client.get(path, HTTP_HOST=world_a.host)
    confirmed = client.post(path, HTTP_HOST=world_a.host)
    assert confirmed.status_code == 302
    home = client.get("/", HTTP_HOST=world_a.host)
    assert b"new.person@example.net" in home.content
    with tenant_context(world_a.tenant):
        membership = Membership.objects.get(user__email="new.person@example.net")
    assert membership.role == Membership.Role.CUSTOMER


def test_signup_joins_the_organization_that_claims_the_email_domain(world_a):
    client = Client(HTTP_HOST=world_a.host)
    email = f"someone@{world_a.tenant.slug}-org.example.com"
    client.post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    path = _link(mail.outbox[-1]).split(world_a.host, 1)[1]
    client.post(path)
    with tenant_context(world_a.tenant):
        membership = Membership.objects.get(user__email=email)
        assert membership.organization == world_a.organization


def test_signup_is_closed_on_the_platform_host(db):
    response = Client().get("/accounts/signup/", HTTP_HOST="localhost")
    assert response.status_code == 404  # the platform URLconf has no customer accounts


def test_signing_in_on_another_tenants_portal_makes_you_nothing_there(world_a, world_b):
    """Joining is explicit (tests/accounts/test_join.py): a sign-in alone is no membership."""
    agent = world_a.users["agent"]
    client = Client(HTTP_HOST=world_b.host)
    response = client.post("/accounts/login/", {"login": agent.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/join/"
    assert client.get("/agent/")["Location"] == "/join/?next=%2Fagent%2F"
    with tenant_context(world_b.tenant):
        assert not Membership.objects.filter(user=agent).exists()
    with tenant_context(world_a.tenant):
        assert Membership.objects.get(user=agent).role == Membership.Role.AGENT


def test_staff_land_in_the_workspace_after_signing_in(world_a):
    client = Client(HTTP_HOST=world_a.host)
    response = client.post(
        "/accounts/login/", {"login": world_a.users["manager"].email, "password": PASSWORD}
    )
    assert response["Location"] == "/agent/"


def test_password_reset_link_points_at_the_tenant_host(world_a):
    client = Client(HTTP_HOST=world_a.host)
    client.post("/accounts/password/reset/", {"email": world_a.users["customer"].email})
    assert len(mail.outbox) == 1
    assert _link(mail.outbox[0]).startswith(f"http://{world_a.host}/accounts/password/reset/key/")
    assert world_a.tenant.name in mail.outbox[0].from_email


def test_failed_logins_are_rate_limited(world_a):
    client = Client(HTTP_HOST=world_a.host)
    email = world_a.users["customer"].email
    limited = b"Too many failed login attempts"
    bodies = [
        client.post("/accounts/login/", {"login": email, "password": "wrong"}).content
        for _ in range(6)
    ]
    assert limited not in bodies[0]
    assert limited in bodies[-1]
    # Once limited, even the right password is refused for a while.
    right = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert right.status_code == 200 and limited in right.content


@pytest.mark.parametrize("email", ["CUSTOMER@EXAMPLE.NET", "customer@example.net"])
def test_email_is_case_insensitive_for_login(world_a, email):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(email="Customer@Example.net", password=PASSWORD)
    assert user.email == "customer@example.net"
    client = Client(HTTP_HOST=world_a.host)
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert response.status_code == 302
