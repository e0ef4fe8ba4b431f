"""The REST API: visibility (internal notes never reach customers), replies and JSON errors."""

from tenants.context import tenant_context
from tickets import lifecycle
from tickets.lifecycle import Actor
from tickets.models import Ticket


def test_customer_api_never_shows_internal_notes_agents_see_them(world_a, as_member):
    number = world_a.ticket.number
    customer = as_member(world_a.users["customer"], world_a.tenant)
    data = customer.get(f"/api/v1/tickets/{number}/").json()
    bodies = [c["body"] for c in data["comments"]]
    assert bodies == ["It does not work."]
    assert all(c["is_public"] for c in data["comments"])
    assert (
        f"internal note {world_a.marker}"
        not in customer.get(f"/api/v1/tickets/{number}/").content.decode()
    )
    agent = as_member(world_a.users["agent"], world_a.tenant).get(f"/api/v1/tickets/{number}/")
    assert [c["is_public"] for c in agent.json()["comments"]] == [True, False]


def test_list_shows_only_visible_tickets_with_cursor_pages(world_a, as_member):
    mine = [world_a.submit(subject=f"mine {i}") for i in range(3)]
    world_a.submit(subject="not mine", role="manager")
    client = as_member(world_a.users["customer"], world_a.tenant)
    page = client.get("/api/v1/tickets/").json()
    numbers = [t["number"] for t in page["results"]]
    assert numbers == [t.number for t in reversed(mine)] + [world_a.ticket.number]
    assert page["next"] is None


def test_reply_through_the_api_follows_the_lifecycle(world_a, as_member):
    number = world_a.ticket.number
    agent = as_member(world_a.users["agent"], world_a.tenant)
    response = agent.post(
        f"/api/v1/tickets/{number}/comments/",
        {"body": "Please send logs", "submit_as": "pending"},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["status"] == "pending"
    customer = as_member(world_a.users["customer"], world_a.tenant)
    reopened = customer.post(
        f"/api/v1/tickets/{number}/comments/", {"body": "Attached"}, content_type="application/json"
    )
    assert reopened.json()["status"] == "open"
    note = customer.post(
        f"/api/v1/tickets/{number}/comments/",
        {"body": "secret", "public": False},
        content_type="application/json",
    )
    # Refusals carry their kind: a permission is 403, a status change the lifecycle refuses 409.
    assert note.status_code == 403
    assert note.json() == {
        "code": "not_allowed",
        "detail": "Only agents can write internal notes.",
        "fields": {},
    }


def test_a_refused_transition_is_a_409_with_its_code(world_a, as_member):
    from tickets import lifecycle
    from tickets.lifecycle import Actor
    from tickets.models import Ticket

    world_a.reply(world_a.ticket, "agent", "Done", submit_as="solved")
    with tenant_context(world_a.tenant):
        closed = Ticket.objects.select_for_update().get(pk=world_a.ticket.pk)
        lifecycle.transition(closed, "closed", actor_kind=Actor.AUTOMATION)
    agent = as_member(world_a.users["agent"], world_a.tenant)
    response = agent.post(
        f"/api/v1/tickets/{closed.number}/comments/",
        {"body": "One more thing"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert "is closed" in response.json()["detail"]


def test_api_errors_are_json(world_a, world_b, as_member):
    client = as_member(world_a.users["agent"], world_a.tenant)
    bad = client.post(
        f"/api/v1/tickets/{world_a.ticket.number}/comments/",
        {"body": "", "submit_as": "closed"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_input"
    assert set(bad.json()["fields"]) == {"body", "submit_as"}
    missing = client.get("/api/v1/tickets/999999/")
    assert missing.status_code == 404
    assert missing.json() == {"code": "not_found", "detail": "No such ticket.", "fields": {}}
    anonymous = client.__class__(HTTP_HOST=world_a.host).get("/api/v1/tickets/")
    # Unauthenticated is 401, naming the way in (a token, or the browser's session).
    assert anonymous.status_code == 401 and "detail" in anonymous.json()
    assert anonymous["WWW-Authenticate"] == 'Bearer realm="api"'


def test_agent_reply_on_closed_ticket_is_409_and_customer_reply_makes_a_follow_up(
    world_a, as_member
):
    world_a.reply(world_a.ticket, "agent", "Done", submit_as="solved")
    with tenant_context(world_a.tenant):
        locked = Ticket.objects.select_for_update().get(pk=world_a.ticket.pk)
        lifecycle.transition(locked, "closed", actor_kind=Actor.AUTOMATION)
    agent = as_member(world_a.users["agent"], world_a.tenant)
    url = f"/api/v1/tickets/{locked.number}/comments/"
    refused = agent.post(url, {"body": "hello"}, content_type="application/json")
    assert refused.status_code == 409 and "is closed" in refused.json()["detail"]
    customer = as_member(world_a.users["customer"], world_a.tenant)
    follow_up = customer.post(url, {"body": "Broken again"}, content_type="application/json")
    assert follow_up.status_code == 201
    assert follow_up.json()["follow_up_of"] == locked.number


def test_openapi_schema_is_published(world_a, as_member):
    client = as_member(world_a.users["agent"], world_a.tenant)
    schema = client.get("/api/v1/schema/?format=json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/tickets/{number}/comments/" in schema["paths"]
