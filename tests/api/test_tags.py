"""Tags through /api/v1/: a ticket's tags (read, replace, add, remove), the tenant's tags with
their counts, and the tickets list's ``tag`` filter. Staff only."""

from __future__ import annotations

import pytest

from tenants.context import tenant_context
from tests.api.helpers import api
from tickets.models import TagEvent

pytestmark = pytest.mark.django_db


def test_staff_read_replace_add_and_remove_a_tickets_tags(world_a):
    agent = api(world_a, "agent")
    url = f"/api/v1/tickets/{world_a.ticket.number}/tags/"
    assert agent.get(url).json() == {"tags": []}
    put = agent.send("put", url, {"tags": ["Billing", "vip"]})
    assert put.status_code == 200
    assert [t["name"] for t in put.json()["tags"]] == ["Billing", "vip"]
    added = agent.post(url, {"tags": ["outage", "BILLING"]})
    assert [t["name"] for t in added.json()["tags"]] == ["Billing", "outage", "vip"]
    removed = agent.client.delete(f"{url}?tag=VIP", **agent._headers({}))
    assert [t["name"] for t in removed.json()["tags"]] == ["Billing", "outage"]
    cleared = agent.client.delete(url, **agent._headers({}))
    assert cleared.json() == {"tags": []}
    with tenant_context(world_a.tenant):
        kinds = list(world_a.ticket.events.filter(kind__startswith="tag_").values_list("kind"))
    assert kinds.count((TagEvent.ADDED,)) == 3 and kinds.count((TagEvent.REMOVED,)) == 3


@pytest.mark.parametrize(
    "body",
    [
        {"tags": ["a\u0000b"]},
        {"tags": ["x" * 300]},
        {"tags": ["   "]},
        {"tags": "not a list"},
        {"tags": [{"name": "x"}]},
        {"tags": ["t"] * 51},
    ],
)
def test_bad_tag_names_are_a_400_in_the_api_error_body(world_a, body):
    agent = api(world_a, "agent")
    url = f"/api/v1/tickets/{world_a.ticket.number}/tags/"
    agent.send("put", url, {"tags": ["kept"]})
    for method in ("put", "post"):
        response = agent.send(method, url, body)
        assert response.status_code == 400, response.content
        assert set(response.json()) == {"code", "detail", "fields"}
        # Every field's problems are a list of sentences, as the schema says (schemathesis
        # once met a list field's problems keyed by position).
        fields = response.json()["fields"]
        assert all(
            isinstance(problems, list) and all(isinstance(p, str) for p in problems)
            for problems in fields.values()
        ), fields
    assert [t["name"] for t in agent.get(url).json()["tags"]] == ["kept"]


def test_a_list_fields_problems_say_which_item(world_a):
    agent = api(world_a, "agent")
    url = f"/api/v1/tickets/{world_a.ticket.number}/tags/"
    response = agent.send("post", url, {"tags": ["ok", "", "t" * 201]})
    assert response.status_code == 400
    problems = response.json()["fields"]["tags"]
    assert problems[0].startswith("Item 2: ") and problems[1].startswith("Item 3: "), problems


def test_customers_see_no_tags_and_other_tenants_tickets_are_404(world_a, world_b):
    url = f"/api/v1/tickets/{world_a.ticket.number}/tags/"
    assert api(world_a, "customer").get(url).status_code == 403
    assert api(world_a, "customer").get("/api/v1/tags/").status_code == 403
    only_b = world_b.ticket
    while only_b.number <= world_a.ticket.number:
        only_b = world_b.submit(subject="B only")
    response = api(world_a, "agent").get(f"/api/v1/tickets/{only_b.number}/tags/")
    assert response.status_code == 404


def test_the_tag_list_and_the_tickets_filter(world_a, world_b):
    agent = api(world_a, "agent")
    other = world_a.submit(subject="Other")
    agent.send("put", f"/api/v1/tickets/{world_a.ticket.number}/tags/", {"tags": ["a", "b"]})
    agent.send("put", f"/api/v1/tickets/{other.number}/tags/", {"tags": ["a"]})
    api(world_b, "agent").send(
        "put", f"/api/v1/tickets/{world_b.ticket.number}/tags/", {"tags": ["b-only"]}
    )
    listed = agent.get("/api/v1/tags/").json()
    assert [(t["name"], t["ticket_count"]) for t in listed["results"]] == [("a", 2), ("b", 1)]
    assert listed["next"] is None
    numbers = [t["number"] for t in agent.get("/api/v1/tickets/", {"tag": "A"}).json()["results"]]
    assert sorted(numbers) == sorted([world_a.ticket.number, other.number])
    both = agent.get("/api/v1/tickets/", {"tag": ["a", "b"]}).json()["results"]
    assert [t["number"] for t in both] == [world_a.ticket.number]
    assert agent.get("/api/v1/tickets/", {"tag": "b-only"}).json()["results"] == []
    bad = agent.get("/api/v1/tickets/", {"tag": "\u202e"})
    assert bad.status_code == 400 and "tag" in bad.json()["fields"]
