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


def test_admins_connect_edit_and_remove_a_mailbox(world_a):
    from inbox import secrets
    from inbox.models import Mailbox

    with tenant_context(world_a.tenant):
        address = SupportAddress.objects.create(address="help@alpha-support.example")
    admin = login_client(world_a.users["admin"], world_a.tenant)
    url = f"/agent/settings/email/{address.pk}/mailbox/"
    form = {
        "host": "imap.example.com",
        "port": "993",
        "use_ssl": "on",
        "username": "help",
        "folder": "INBOX",
        "after_import": "flag",
        "move_to": "",
        "enabled": "on",
    }
    missing = admin.post(url, form)
    assert missing.status_code == 400 and "Enter the mailbox password." in missing.content.decode()
    for name, bad in [("host", "imap example.com"), ("host", "imäp.example"), ("port", "70000")]:
        assert admin.post(url, {**form, name: bad, "password": "s3cret"}).status_code == 400
    assert admin.post(url, {**form, "password": "s3cret"}).status_code == 302
    with tenant_context(world_a.tenant):
        box = Mailbox.objects.get()
    assert box.password_encrypted != "s3cret"
    assert secrets.decrypt(box.password_encrypted) == "s3cret"
    page = admin.get(url).content.decode()
    assert "s3cret" not in page and box.password_encrypted not in page
    # Saved again without a password: the stored one stays.
    assert admin.post(url, {**form, "folder": "Support"}).status_code == 302
    with tenant_context(world_a.tenant):
        box = Mailbox.objects.get()
    assert box.folder == "Support" and secrets.decrypt(box.password_encrypted) == "s3cret"
    with tenant_context(world_a.tenant):
        Mailbox.objects.update(failures=3, last_error="LoginError: b'AUTHENTICATIONFAILED'")
    listing = admin.get("/agent/settings/email/").content.decode()
    assert "failing" in listing
    assert "3 failed attempts" in admin.get(url).content.decode()
    assert admin.post(url, {"action": "remove"}).status_code == 302
    with tenant_context(world_a.tenant):
        assert not Mailbox.objects.exists()
    agent = login_client(world_a.users["agent"], world_a.tenant)
    assert agent.get(url).status_code == 403
