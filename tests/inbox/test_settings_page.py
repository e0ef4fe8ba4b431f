"""Settings → Email: tenant admins manage the support addresses and see what came in."""

from __future__ import annotations

import pytest

from inbox.models import SupportAddress
from tenants.context import tenant_context
from tests.conftest import login_client
from tests.inbox.test_ingest import raw, receive

pytestmark = pytest.mark.django_db


def addresses(world) -> list[tuple[str, bool]]:
    with tenant_context(world.tenant):
        return list(SupportAddress.objects.values_list("address", "accept_unknown_senders"))


def test_admins_add_toggle_and_remove_addresses(world_a):
    admin = login_client(world_a.users["admin"], world_a.tenant)
    assert admin.get("/agent/settings/email/").status_code == 200
    added = admin.post("/agent/settings/email/", {"address": "Help@Alpha.example"})
    assert added.status_code == 302
    assert addresses(world_a) == [("help@alpha.example", False)]
    with tenant_context(world_a.tenant):
        pk = SupportAddress.objects.get().pk
    admin.post(f"/agent/settings/email/{pk}/", {"accept_unknown_senders": "on"})
    assert addresses(world_a) == [("help@alpha.example", True)]
    admin.post(f"/agent/settings/email/{pk}/", {"action": "remove"})
    assert addresses(world_a) == []
    for bad in ("", "not-an-address", "a\x00b@example.com", "x" * 300 + "@example.com"):
        response = admin.post("/agent/settings/email/", {"address": bad})
        assert response.status_code == 400
    assert addresses(world_a) == []


def test_an_address_of_another_tenant_is_refused_without_saying_whose(world_a, world_b):
    with tenant_context(world_b.tenant):
        SupportAddress.objects.create(address="shared@example.com")
    admin = login_client(world_a.users["admin"], world_a.tenant)
    response = admin.post("/agent/settings/email/", {"address": "shared@example.com"})
    html = response.content.decode()
    assert response.status_code == 400 and "already in use" in html
    assert world_b.tenant.name not in html and addresses(world_a) == []


def test_only_admins_see_the_page_and_the_received_list(world_a):
    with tenant_context(world_a.tenant):
        world_a.address = SupportAddress.objects.create(address="help@alpha-support.example")
    row = receive(world_a, raw("plain.eml"))
    for role in ("customer", "agent", "manager"):
        client = login_client(world_a.users[role], world_a.tenant)
        assert client.get("/agent/settings/email/").status_code == 403
    page = login_client(world_a.users["admin"], world_a.tenant).get("/agent/settings/email/")
    html = page.content.decode()
    assert "casey@example.net" in html and f"New ticket #{row.ticket.number}" in html
