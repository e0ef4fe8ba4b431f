import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.test import Client

from tests.conftest import PASSWORD, login_client


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


# --- Who the session is: the member and their user in one query (tenants.middleware) ----------


def _whoami(client, host):
    """200 for a signed-in staff member; a redirect to sign-in when the session is nobody."""
    return client.get("/agent/", HTTP_HOST=host)


def test_a_member_and_their_user_are_read_in_one_query(world_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login_client(world_a.users["agent"], world_a.tenant)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/agent/notifications/", HTTP_HOST=world_a.host).status_code == 200
    reads = [q["sql"] for q in queries if '"accounts_user"' in q["sql"].split(" WHERE ")[0]]
    who = [sql for sql in reads if '"tenants_membership"' in sql.split(" WHERE ")[0]]
    assert len(who) == 1, reads
    assert not [sql for sql in reads if sql.startswith('SELECT "accounts_user"')], reads


def test_a_changed_password_ends_the_other_sessions(world_a):
    person = world_a.users["agent"]
    client = login_client(person, world_a.tenant)
    assert _whoami(client, world_a.host).status_code == 200
    person.set_password("a-new-password-for-this-test-2026")
    person.save()
    response = _whoami(client, world_a.host)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert SESSION_KEY not in client.session  # flushed, as Django's get_user does


def test_a_deactivated_member_is_nobody(world_a):
    person = world_a.users["agent"]
    client = login_client(person, world_a.tenant)
    person.is_active = False
    person.save()
    response = _whoami(client, world_a.host)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_session_under_a_retired_secret_is_renewed_not_ended(world_a, settings):
    person = world_a.users["agent"]
    old_secret = settings.SECRET_KEY
    client = login_client(person, world_a.tenant)
    old_key = client.session.session_key
    settings.SECRET_KEY = "a-new-secret-key-for-this-test-0123456789abcdefghijklmnop"
    settings.SECRET_KEY_FALLBACKS = [old_secret]
    assert _whoami(client, world_a.host).status_code == 200
    session = client.session
    assert session.session_key != old_key  # cycled, as Django's get_user does
    assert session[HASH_SESSION_KEY] == person.get_session_auth_hash()
    settings.SECRET_KEY_FALLBACKS = []
    assert _whoami(client, world_a.host).status_code == 200  # renewed under the new secret


def test_a_session_naming_an_unconfigured_backend_or_a_missing_user_is_nobody(world_a):
    person = world_a.users["agent"]
    for key, value in [(BACKEND_SESSION_KEY, "somewhere.else.Backend"), (SESSION_KEY, "987654321")]:
        client = login_client(person, world_a.tenant)
        session = client.session
        session[key] = value
        session.save()
        response = _whoami(client, world_a.host)
        assert response.status_code == 302, key


def test_a_signed_in_person_who_is_no_member_has_no_membership(world_a, world_b):
    from tenants.context import tenant_context
    from tenants.models import Membership

    stranger = world_b.users["agent"]
    client = login_client(stranger, world_a.tenant)
    with tenant_context(world_a.tenant):
        assert not Membership.objects.filter(user=stranger).exists()
    response = client.get("/", HTTP_HOST=world_a.host)
    assert response.status_code == 200
    assert response.wsgi_request.user == stranger
    assert response.wsgi_request.membership is None
    assert _whoami(client, world_a.host).status_code in (302, 403)
