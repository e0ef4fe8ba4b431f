"""A person signed in on a host where they have no membership: signed in, but nobody there."""

from django.test import Client, RequestFactory

from tenants.middleware import SESSION_TENANT_KEY, TenantMiddleware
from tests.conftest import login_client


def bound(user, tenant, session_tenant):
    """What TenantMiddleware makes of a request by ``user`` whose session was made on
    ``session_tenant``'s host."""
    client = login_client(user, session_tenant)
    request = RequestFactory().get("/", HTTP_HOST=tenant.host)
    request.session = client.session
    seen = {}

    def view(request):
        seen["user"], seen["membership"] = request.user, request.membership
        return None

    TenantMiddleware(view)(request)
    return seen["user"], seen["membership"]


def test_signed_in_here_without_a_membership_is_signed_in_with_none(world_a, world_b):
    user, membership = bound(world_a.users["agent"], world_b.tenant, world_b.tenant)
    assert user == world_a.users["agent"] and user.is_authenticated
    assert membership is None


def test_a_session_made_on_another_host_is_anonymous_here_even_for_a_member(world_a, world_b):
    user, membership = bound(world_a.users["agent"], world_a.tenant, world_b.tenant)
    assert not user.is_authenticated and membership is None


def test_a_member_is_bound_with_their_membership(world_a):
    user, membership = bound(world_a.users["manager"], world_a.tenant, world_a.tenant)
    assert user == world_a.users["manager"] and membership == world_a.memberships["manager"]


def test_a_non_member_sees_no_private_page_and_no_other_tenants_data(world_a, world_b):
    client = login_client(world_a.users["admin"], world_b.tenant)
    for path in [
        "/agent/",
        "/agent/people/",
        "/agent/settings/",
        f"/tickets/{world_b.ticket.number}/",
    ]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/join/?next="), path
    api = client.get("/api/v1/tickets/")
    assert api.status_code == 403
    for marker in world_b.private_markers():
        assert marker not in client.get("/").content.decode()
    assert client.session[SESSION_TENANT_KEY] == world_b.tenant.pk


def test_a_role_that_does_not_allow_a_page_is_still_403_for_members(world_b):
    customer = login_client(world_b.users["customer"], world_b.tenant)
    assert customer.get("/agent/").status_code == 403
    assert Client(HTTP_HOST=world_b.host).get("/agent/")["Location"].startswith("/accounts/login/")


def test_the_api_tells_a_signed_in_non_member_to_join_not_to_sign_in(world_a, world_b):

    outsider = login_client(world_b.users["customer"], world_a.tenant)
    response = outsider.get("/api/v1/tickets/")
    assert response.status_code == 403
    assert response.json()["detail"] == "Join this helpdesk first (on its portal)."
    anonymous = Client(HTTP_HOST=world_a.tenant.host).get("/api/v1/tickets/")
    assert anonymous.status_code in (401, 403)
    assert "Join" not in anonymous.content.decode()
