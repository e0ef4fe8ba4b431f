"""Tags in the agent workspace: the ticket page's panel, the queue's rows, filter, saved views
and bulk actions, Settings → Tags and the tag report."""

import csv
import io

import pytest

from tenants.context import tenant_context
from tenants.models import AuditEntry
from tickets import queue, tagging, tags
from tickets.models import SavedView, Tag, TagEvent

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def tag(world, ticket, *names):
    with tenant_context(world.tenant):
        tagging.ticket_tags_add(
            ticket=ticket,
            actor=world.users["agent"],
            membership=world.memberships["agent"],
            names=list(names),
        )


def names_on(world, ticket):
    with tenant_context(world.tenant):
        return [t.name for t in tags.for_ticket(ticket)]


# --- The ticket page ---------------------------------------------------------------------------


def test_the_ticket_page_shows_tags_with_remove_buttons_and_an_autocomplete(world_a, as_member):
    w = world_a
    tag(w, w.ticket, "billing", "<b>vip</b>")
    page = as_member(w.users["agent"], w.tenant).get(f"/agent/tickets/{w.ticket.number}/")
    body = page.content.decode()
    assert 'aria-label="Remove tag billing"' in body
    assert "&lt;b&gt;vip&lt;/b&gt;" in body and "<b>vip</b>" not in body
    assert '<datalist id="ticket-tag-suggestions">' in body
    assert '<option value="billing">' in body


def test_adding_from_the_page_with_htmx_answers_the_panel(world_a, as_member):
    w = world_a
    client = as_member(w.users["agent"], w.tenant)
    url = f"/agent/tickets/{w.ticket.number}/tags/"
    response = client.post(url, {"name": "Outage, backup"}, **HTMX)
    assert response.status_code == 200
    assert 'id="ticket-tags"' in response.content.decode()
    assert 'aria-label="Remove tag Outage"' in response.content.decode()
    assert names_on(w, w.ticket) == ["backup", "Outage"]
    response = client.post(url, {"remove": "outage"}, **HTMX)
    assert response.status_code == 200
    assert names_on(w, w.ticket) == ["backup"]
    with tenant_context(w.tenant):
        assert w.ticket.events.filter(kind=TagEvent.REMOVED, before="Outage").exists()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("a\x00b", "Check what you sent"),  # refused at the door (core.middleware)
        ("x" * 1_000_000, "at most 50 characters"),
        ("   ", "Type a tag name"),
    ],
)
def test_a_refused_name_answers_400_with_the_reason_and_changes_nothing(
    world_a, as_member, raw, reason
):
    w = world_a
    tag(w, w.ticket, "kept")
    client = as_member(w.users["agent"], w.tenant)
    url = f"/agent/tickets/{w.ticket.number}/tags/"
    response = client.post(url, {"name": raw}, **HTMX)
    assert response.status_code == 400
    assert reason in response.content.decode()
    plain = client.post(url, {"name": raw}, follow=True)
    assert reason in plain.content.decode()
    assert names_on(w, w.ticket) == ["kept"]


def test_customers_cannot_tag(world_a, as_member):
    w = world_a
    response = as_member(w.users["customer"], w.tenant).post(
        f"/agent/tickets/{w.ticket.number}/tags/", {"name": "mine"}
    )
    assert response.status_code == 403
    assert names_on(w, w.ticket) == []


# --- The queue -------------------------------------------------------------------------------


@pytest.fixture
def tagged(world_a):
    w = world_a
    made = {name: w.submit(subject=f"{name} subject") for name in ("both", "billing", "none")}
    tag(w, made["both"], "Billing", "VIP")
    tag(w, made["billing"], "billing")
    return w, made


def _numbers_in(response) -> set[int]:
    import re

    return {int(n) for n in re.findall(r'name="ticket" value="(\d+)"', response.content.decode())}


def test_the_queue_filter_returns_exactly_the_tagged_tickets(tagged, as_member):
    w, made = tagged
    client = as_member(w.users["agent"], w.tenant)
    billing = client.get("/agent/", {"tag": "BILLING"})
    assert billing.status_code == 200
    assert _numbers_in(billing) == {made["both"].number, made["billing"].number}
    both = client.get("/agent/", {"tag": ["billing", "vip"]})  # has all
    assert _numbers_in(both) == {made["both"].number}
    assert _numbers_in(client.get("/agent/", {"tag": "nobody-has-this"})) == set()
    # The rows show their tags.
    assert '<span class="tag">VIP</span>' in billing.content.decode()


@pytest.mark.parametrize("raw", ["a\x00", "x" * 1_000_000, "\u202eevil", "1,2,3,4,5,6"])
def test_a_hostile_tag_filter_is_a_400_with_a_reason(tagged, as_member, raw):
    w, _ = tagged
    response = as_member(w.users["agent"], w.tenant).get("/agent/", {"tag": raw})
    assert response.status_code == 400
    assert "message-error" in response.content.decode()


def test_a_saved_view_filters_by_tag(tagged, as_member):
    w, made = tagged
    client = as_member(w.users["agent"], w.tenant)
    response = client.post("/agent/views/", {"name": "Billing", "query": "tag=Billing&tag="})
    assert response.status_code == 302
    with tenant_context(w.tenant):
        view = SavedView.objects.get(name="Billing")
    assert view.query == "tag=Billing"
    shown = client.get(f"/agent/?{view.query}")
    assert _numbers_in(shown) == {made["both"].number, made["billing"].number}
    assert "<h1>Billing</h1>" in shown.content.decode()
    # The side navigation counts it.
    with tenant_context(w.tenant):
        assert queue.view_filters(view.query) == {**queue.view_filters(""), "tag": ["Billing"]}


def test_bulk_tagging_from_the_queue(tagged, as_member):
    w, made = tagged
    client = as_member(w.users["agent"], w.tenant)
    numbers = [t.number for t in made.values()]
    response = client.post(
        "/agent/bulk/",
        {"ticket": numbers, "action": "tag_add:", "tag": "sweep", "next": "/agent/"},
        follow=True,
    )
    assert "3 updated." in response.content.decode()
    assert all("sweep" in names_on(w, t) for t in made.values())
    response = client.post(
        "/agent/bulk/",
        {"ticket": numbers[:2], "action": "tag_remove:", "tag": "BILLING", "next": "/agent/"},
        follow=True,
    )
    assert "2 updated." in response.content.decode()
    assert names_on(w, made["both"]) == ["sweep", "VIP"]
    refused = client.post(
        "/agent/bulk/", {"ticket": numbers, "action": "tag_add:", "tag": "\u202eevil"}, follow=True
    )
    assert "control or invisible" in refused.content.decode()
    empty = client.post(
        "/agent/bulk/", {"ticket": numbers, "action": "tag_add:", "tag": " "}, follow=True
    )
    assert "Type a tag name" in empty.content.decode()
    with tenant_context(w.tenant):
        assert Tag.objects.count() == 3  # billing, VIP, sweep: nothing made by the refusals


# --- Settings → Tags -------------------------------------------------------------------------


def test_only_admins_manage_tags(tagged, as_member):
    w, _ = tagged
    with tenant_context(w.tenant):
        billing = tags.find("billing")
    for role in ("agent", "manager"):
        client = as_member(w.users[role], w.tenant)
        assert client.get("/agent/settings/tags/").status_code == 403
        for body in (
            {"action": "rename", "name": "x"},
            {"action": "delete", "confirm": "on"},
            {"action": "merge", "into": "vip"},
        ):
            assert client.post(f"/agent/settings/tags/{billing.pk}/", body).status_code == 403
    with tenant_context(w.tenant):
        assert Tag.objects.filter(pk=billing.pk, name="Billing").exists()
        assert not AuditEntry.objects.filter(action="settings_changed").exists()


def test_the_settings_page_lists_tags_with_counts_and_renames_merges_deletes(tagged, as_member):
    w, made = tagged
    client = as_member(w.users["admin"], w.tenant)
    page = client.get("/agent/settings/tags/")
    body = page.content.decode()
    assert page.status_code == 200 and ">Tags</a>" in body
    assert "Billing" in body and "VIP" in body
    with tenant_context(w.tenant):
        billing, vip = tags.find("billing"), tags.find("vip")
    url = f"/agent/settings/tags/{billing.pk}/"
    assert client.post(url, {"action": "rename", "name": "Invoices"}).status_code == 302
    assert names_on(w, made["billing"]) == ["Invoices"]
    # Deleting needs the box ticked.
    refused = client.post(f"/agent/settings/tags/{vip.pk}/", {"action": "delete"})
    assert refused.status_code == 400 and "Tick the box" in refused.content.decode()
    assert client.post(url, {"action": "merge", "into": "vip"}).status_code == 302
    assert names_on(w, made["billing"]) == ["VIP"] and names_on(w, made["both"]) == ["VIP"]
    missing = client.post(f"/agent/settings/tags/{vip.pk}/", {"action": "merge", "into": "no"})
    assert missing.status_code == 400
    deleted = client.post(f"/agent/settings/tags/{vip.pk}/", {"action": "delete", "confirm": "on"})
    assert deleted.status_code == 302
    assert names_on(w, made["both"]) == []
    with tenant_context(w.tenant):
        lines = list(
            AuditEntry.objects.filter(action="settings_changed")
            .order_by("pk")
            .values_list("target", "actor")
        )
    admin = w.users["admin"].pk
    assert lines == [
        ("Tag renamed: Billing → Invoices", admin),
        ("Tag merged: Invoices → VIP", admin),
        ("Tag deleted: VIP", admin),
    ]


def test_another_tenants_tag_is_a_404_on_the_settings_page(world_a, world_b, as_member):
    tag(world_b, world_b.ticket, "theirs")
    with tenant_context(world_b.tenant):
        theirs = tags.find("theirs")
    client = as_member(world_a.users["admin"], world_a.tenant)
    response = client.post(
        f"/agent/settings/tags/{theirs.pk}/", {"action": "delete", "confirm": "on"}
    )
    assert response.status_code == 404
    assert names_on(world_b, world_b.ticket) == ["theirs"]


# --- The report ------------------------------------------------------------------------------


def test_the_tag_report_for_managers_with_csv(tagged, as_member):
    w, _ = tagged
    assert as_member(w.users["agent"], w.tenant).get("/agent/reports/tags/").status_code == 403
    client = as_member(w.users["manager"], w.tenant)
    page = client.get("/agent/reports/tags/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Tickets per tag" in body and "Billing" in body
    assert client.get("/agent/reports/tags/", {"days": "３０"}).status_code == 400
    exported = client.get("/agent/reports/tags/", {"days": "7", "format": "csv"})
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows[0][0] == "tag"
    assert rows[1][:2] == ["Billing", "2"] and rows[2][:2] == ["VIP", "1"]
    with tenant_context(w.tenant):
        assert AuditEntry.objects.filter(action="export", target="Tag report (CSV)").exists()
