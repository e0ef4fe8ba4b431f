"""Joining a helpdesk is an explicit, visible step; signing in never makes anyone a member.

Signing up on a tenant's host makes you its customer (you asked for an account there). Signing
in on a host where you are not a member signs you in as nobody there: pages that need a
membership lead to /join/, where one button makes you a customer and links your earlier guest
tickets.
"""

import html
import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.test import Client

from tenants.context import tenant_context
from tenants.models import Membership
from tests.conftest import PASSWORD, login_client
from tickets.models import Ticket


def visible(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def sign_in(client, email, **extra):
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD, **extra})
    assert response.status_code == 302, response.content.decode()[:1000]
    return response


def memberships_of(user, world) -> list[str]:
    with tenant_context(world.tenant):
        return list(Membership.objects.filter(user=user).values_list("role", flat=True))


@pytest.fixture
def stranger(world_a, world_b):
    """A's agent, signed in on B's host, where they are no one."""
    client = Client(HTTP_HOST=world_b.host)
    response = sign_in(client, world_a.users["agent"].email)
    client.landing = response["Location"]
    return client


def test_signing_in_on_another_tenants_host_makes_no_membership(world_a, world_b, stranger):
    agent = world_a.users["agent"]
    assert memberships_of(agent, world_b) == []
    assert memberships_of(agent, world_a) == ["agent"]
    assert stranger.landing == "/join/"  # the next step is shown at once
    page = visible(stranger.get("/join/"))
    assert f"You are signed in as {agent.email}" in page
    assert "not a member of Bravo Support's helpdesk" in page
    assert "Join as a customer" in page and "Sign out" in page


@pytest.mark.parametrize("path", ["/tickets/", "/agent/", "/agent/escalations/"])
def test_pages_that_need_a_membership_lead_to_the_join_step(world_b, stranger, path):
    response = stranger.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/join/?next={path.replace('/', '%2F')}"
    assert "Join as a customer" in visible(stranger.get(response["Location"]))


def test_a_ticket_page_leads_to_the_join_step_not_a_sign_in_loop(world_b, stranger):
    url = f"/tickets/{world_b.ticket.number}/"
    response = stranger.get(url)
    assert response["Location"].startswith("/join/?next=")
    # The sign-in page does not send a signed-in person round again either.
    again = stranger.get(f"/accounts/login/?next={url}")
    assert again.status_code == 302 and again["Location"] == url


def test_team_pages_say_that_agents_are_added_by_an_admin(stranger):
    page = visible(stranger.get("/join/?next=/agent/"))
    assert "an admin of this helpdesk adds agents" in page


def test_joining_makes_a_customer_and_links_earlier_guest_tickets(world_a, world_b, stranger):
    agent = world_a.users["agent"]
    guest_ticket = world_b.submit(subject="Sent as a guest", role=None, email=agent.email)
    assert world_b.refresh(guest_ticket).requester is None

    response = stranger.post("/join/", {"next": "/tickets/"})

    assert response.status_code == 302 and response["Location"] == "/tickets/"
    assert memberships_of(agent, world_b) == ["customer"]
    assert memberships_of(agent, world_a) == ["agent"]  # the other helpdesk is untouched
    assert world_b.refresh(guest_ticket).requester == agent
    my_tickets = visible(stranger.get("/tickets/"))
    assert "Sent as a guest" in my_tickets and "You joined Bravo Support's helpdesk" in my_tickets


def test_joining_twice_or_as_a_member_changes_nothing(world_a, world_b, stranger, as_member):
    assert stranger.post("/join/").status_code == 302
    assert stranger.post("/join/").status_code == 302
    assert memberships_of(world_a.users["agent"], world_b) == ["customer"]
    manager = as_member(world_b.users["manager"], world_b.tenant)
    response = manager.post("/join/", {"next": "/agent/"})
    assert response.status_code == 302 and response["Location"] == "/agent/"
    assert memberships_of(world_b.users["manager"], world_b) == ["manager"]  # never downgraded


def test_an_anonymous_visitor_is_sent_to_sign_in_and_joins_nothing(world_b):
    with tenant_context(world_b.tenant):
        before = Membership.objects.count()
    response = Client(HTTP_HOST=world_b.host).post("/join/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    with tenant_context(world_b.tenant):
        assert Membership.objects.count() == before


def test_a_session_from_another_host_cannot_join(world_a, world_b):
    """A's session sent to B's host is anonymous there: it cannot make A's agent B's customer."""
    client = login_client(world_a.users["agent"], world_a.tenant)
    response = client.post("/join/", HTTP_HOST=world_b.host)
    assert response["Location"].startswith("/accounts/login/")
    assert memberships_of(world_a.users["agent"], world_b) == []


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/tickets/",
        "/\\evil.example",
        "/join/?next=/join/",
        "/tickets/\r\nSet-Cookie: x=1",
        "/no/such/page/",
        "/tickets/" + "x" * 5000,
        "javascript:alert(1)",
    ],
)
def test_after_joining_only_a_page_of_this_site_is_next(world_b, stranger, target):
    response = stranger.post("/join/", {"next": target})
    assert response.status_code == 302 and response["Location"] == "/tickets/"


def test_a_non_member_is_offered_to_join_before_submitting_and_may_submit_as_a_guest(
    world_a, world_b, stranger
):
    offered = stranger.get("/tickets/new/")
    assert offered["Location"] == "/join/?next=%2Ftickets%2Fnew%2F"
    assert "submit the ticket as a guest" in visible(stranger.get(offered["Location"]))
    # A form filled in before (as a guest) is still taken, as a guest's, and joins no one.
    agent = world_a.users["agent"]
    sent = stranger.post(
        "/tickets/new/",
        {
            "email": agent.email,
            "subject": "Filled in before signing in",
            "priority": "normal",
            "description": "Details",
        },
    )
    assert sent.status_code == 302, sent.content.decode()[:2000]
    with tenant_context(world_b.tenant):
        ticket = Ticket.objects.get(subject="Filled in before signing in")
    assert ticket.requester is None and memberships_of(agent, world_b) == []
    # Joining and coming back: the form is for a member now, and the ticket is theirs.
    joined = stranger.post("/join/", {"next": "/tickets/new/"})
    assert joined["Location"] == "/tickets/new/"
    assert stranger.get("/tickets/new/").status_code == 200
    assert world_b.refresh(ticket).requester == agent


def test_signing_in_with_a_next_page_comes_back_through_the_join_step(world_a, world_b):
    client = Client(HTTP_HOST=world_b.host)
    url = f"/tickets/{world_b.ticket.number}/"
    landed = sign_in(client, world_a.users["customer"].email, next=url)["Location"]
    assert landed == url
    assert client.get(landed)["Location"] == f"/join/?next={url.replace('/', '%2F')}"


def test_a_member_signing_in_claims_tickets_sent_from_a_verified_address(world_a):
    """Unchanged for members: sign-in still links guest tickets of their verified addresses."""
    customer = world_a.users["customer"]
    guest = world_a.submit(subject="Sent before signing in", role=None, email=customer.email)
    sign_in(Client(HTTP_HOST=world_a.host), customer.email)
    assert world_a.refresh(guest).requester == customer


def test_signing_in_where_not_a_member_claims_nothing_there(world_a, world_b):
    agent = world_a.users["agent"]
    guest = world_b.submit(subject="Guest ticket on B", role=None, email=agent.email)
    sign_in(Client(HTTP_HOST=world_b.host), agent.email)
    assert world_b.refresh(guest).requester is None


def test_signing_up_on_a_host_joins_it_and_nowhere_else(world_a, world_b):
    from django.core import mail

    client = Client(HTTP_HOST=world_b.host)
    email = "fresh.person@example.net"
    client.post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    user = get_user_model().objects.get(email=email)
    assert memberships_of(user, world_b) == ["customer"]
    assert memberships_of(user, world_a) == []
    assert len(mail.outbox) == 1
    assert not EmailAddress.objects.get(user=user).verified


def test_hostile_input_to_the_join_step_never_5xx_and_a_4xx_changes_nothing(world_a, world_b):
    """The fuzz test's checker, aimed at the one page only a signed-in non-member sees."""
    from tests.test_fuzz_every_form import Checker, Target, _fields, forms_of

    world_b.users["stranger"] = world_a.users["agent"]
    client = login_client(world_a.users["agent"], world_b.tenant)
    page = client.get("/join/?next=/tickets/")
    (join_form,) = [f for f in forms_of(page.content.decode(), "/join/") if "next" in f.fields]
    checker = Checker(world_b)
    checker.check(Target("stranger", "post", "/join/", _fields(join_form)))
    checker.check(Target("stranger", "get", "/join/", _fields(join_form)))
    assert not checker.failures, "\n".join(checker.failures)
