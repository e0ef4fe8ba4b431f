import pytest
from django.test import Client

from tests.conftest import PASSWORD


@pytest.mark.parametrize("host", ["nosuch.localhost", "alpha.other.localhost", "example.com"])
def test_unknown_host_is_404_or_rejected(world_a, host):
    response = Client().get("/", HTTP_HOST=host)
    # Foreign domains fail ALLOWED_HOSTS (400); unknown subdomains of ours are 404. Never 200.
    assert response.status_code in (400, 404)
    assert world_a.tenant.name.encode() not in response.content


def test_inactive_tenant_is_404(world_a):
    world_a.tenant.is_active = False
    world_a.tenant.save()
    assert Client().get("/", HTTP_HOST=world_a.host).status_code == 404


def test_the_host_lookup_is_kept_and_forgotten_when_the_tenant_changes(world_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def tenant_queries():
        with CaptureQueriesContext(connection) as captured:
            assert Client().get("/", HTTP_HOST=world_a.host).status_code == 200
        return sum('FROM "tenants_tenant"' in q["sql"] for q in captured.captured_queries)

    assert tenant_queries() == 1
    assert tenant_queries() == 0  # kept
    world_a.tenant.name = "Renamed Support"
    world_a.tenant.save()
    response = Client().get("/", HTTP_HOST=world_a.host)
    assert b"Renamed Support" in response.content
    world_a.tenant.is_active = False
    world_a.tenant.save()
    assert Client().get("/", HTTP_HOST=world_a.host).status_code == 404


def test_unknown_hosts_are_not_kept(world_a):
    from django.core.cache import cache

    for n in range(3):
        assert Client().get("/", HTTP_HOST=f"nosuch{n}.localhost").status_code == 404
    assert [cache.get(f"tenants:by-slug:nosuch{n}") for n in range(3)] == [None] * 3


def test_tenant_host_shows_its_own_portal(world_a):
    response = Client().get("/", HTTP_HOST=world_a.host)
    assert response.status_code == 200
    assert world_a.tenant.name.encode() in response.content


def test_platform_host_serves_admin_and_tenant_hosts_do_not(world_a):
    assert Client().get("/admin/", HTTP_HOST="localhost").status_code == 302
    assert Client().get("/admin/", HTTP_HOST=world_a.host).status_code == 404
    assert Client().get("/agent/", HTTP_HOST="localhost").status_code == 404


def _sign_in(client, host, email):
    response = client.post(
        "/accounts/login/", {"login": email, "password": PASSWORD}, HTTP_HOST=host
    )
    assert response.status_code == 302, response.content[:500]
    return response


def test_signing_in_on_a_does_not_authenticate_on_b(world_a, world_b):
    client = Client()  # one cookie jar for both hosts: stricter than a browser
    _sign_in(client, world_a.host, world_a.users["agent"].email)
    assert client.get("/agent/", HTTP_HOST=world_a.host).status_code == 200
    on_b = client.get("/agent/", HTTP_HOST=world_b.host)
    assert on_b.status_code == 302 and on_b["Location"].startswith("/accounts/login/")
    assert (
        world_a.users["agent"].email.encode() not in client.get("/", HTTP_HOST=world_b.host).content
    )


def test_a_session_is_bound_to_its_host_even_for_a_member_of_both(world_a, world_b):
    from tenants.context import tenant_context
    from tenants.models import Membership

    person = world_a.users["agent"]
    with tenant_context(world_b.tenant):
        Membership.objects.create(user=person, role=Membership.Role.AGENT)
    client = Client()
    _sign_in(client, world_a.host, person.email)
    # The browser would not send A's host-only cookie to B; even if it did, B ignores it.
    response = client.get("/agent/", HTTP_HOST=world_b.host)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_session_cookie_is_host_only(world_a):
    client = Client()
    response = _sign_in(client, world_a.host, world_a.users["customer"].email)
    cookie = response.cookies["sessionid"]
    assert cookie["domain"] == ""  # no Domain attribute: the browser keeps it to this host


def test_anonymous_visitor_is_sent_to_sign_in_for_the_agent_workspace(world_a):
    response = Client().get("/agent/", HTTP_HOST=world_a.host)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/agent/"


def test_customer_gets_403_on_agent_workspace(world_a, as_member):
    client = as_member(world_a.users["customer"], world_a.tenant)
    assert client.get("/agent/").status_code == 403
    org = world_a.organization.pk
    assert client.get(f"/agent/organizations/{org}/").status_code == 403


@pytest.mark.parametrize("role", ["agent", "manager", "admin"])
def test_staff_roles_enter_the_agent_workspace(world_a, as_member, role):
    client = as_member(world_a.users[role], world_a.tenant)
    response = client.get("/agent/")
    assert response.status_code == 200
    assert world_a.organization.name.encode() in response.content


def test_agent_of_a_is_a_stranger_on_b(world_a, world_b, as_member):
    client = as_member(world_a.users["agent"], world_a.tenant)
    response = client.get("/agent/", HTTP_HOST=world_b.host)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    home = client.get("/", HTTP_HOST=world_b.host)
    assert b"Sign in" in home.content and world_a.users["agent"].email.encode() not in home.content


def test_staff_navigation_shows_the_workspace_and_customer_navigation_does_not(world_a, as_member):
    staff = as_member(world_a.users["agent"], world_a.tenant).get("/")
    customer = as_member(world_a.users["customer"], world_a.tenant).get("/")
    assert b"Agent workspace" in staff.content
    assert b"Agent workspace" not in customer.content
