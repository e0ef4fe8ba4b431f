"""The ticket resources of /api/v1/: the queue's filters and keyset pages, creation through the
tenant's ticket form, changes through the lifecycle guarded by If-Match, the conversation with
files, and the timeline. Each runs on the services the pages use."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from desk.priorities import Priority
from tenants.context import tenant_context
from tests.api.helpers import api
from tickets.models import Ticket, TicketEvent, TicketFormField

pytestmark = pytest.mark.django_db


def _all_pages(caller, url, params):
    numbers, pages, response = [], 0, caller.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        numbers += [t["number"] for t in body["results"]]
        pages += 1
        if not body["next"]:
            return numbers, pages, body
        response = caller.get(body["next"])


def test_staff_list_is_the_queue_with_its_filters_and_keyset_pages(world_a, settings):
    for index in range(7):
        world_a.submit(subject=f"High {index}", priority=Priority.HIGH)
    world_a.submit(subject="Low one", priority=Priority.LOW)
    agent = api(world_a, "agent")
    numbers, pages, last = _all_pages(agent, "/api/v1/tickets/", {"priority": "high", "limit": 3})
    assert pages == 3 and len(numbers) == len(set(numbers)) == 7
    assert last["count"] == 7 and last["count_capped"] is False
    everything = agent.get("/api/v1/tickets/").json()
    # The queue's order: most severe first.
    assert everything["results"][0]["priority"] == "high"
    assert everything["results"][-1]["priority"] == "low"
    assert agent.get("/api/v1/tickets/", {"q": "Low one"}).json()["count"] == 1
    assert agent.get("/api/v1/tickets/", {"limit": "１"}).status_code == 400
    assert agent.get("/api/v1/tickets/", {"limit": "201"}).status_code == 400
    bad = agent.get("/api/v1/tickets/", {"status": "bogus", "cursor": "x"})
    assert bad.status_code == 400 and "status" in bad.json()["fields"]
    damaged = agent.get("/api/v1/tickets/", {"cursor": "not-ours"})
    assert damaged.status_code == 400 and damaged.json()["fields"]["cursor"]


def test_the_list_costs_the_same_queries_for_3_tickets_and_30(world_a):
    agent = api(world_a, "agent")

    def queries():
        return agent.listing_cost("/api/v1/tickets/", {"status": "new"})[0]

    for index in range(2):
        world_a.submit(subject=f"few {index}")
    queries()  # the token's first use of the day records it; later calls do not
    few = queries()
    for index in range(27):
        world_a.submit(subject=f"many {index}", role="manager")
    assert queries() == few


def test_customers_list_what_my_tickets_shows_them(world_a, world_b):
    mine = world_a.submit(subject="Customer's own")
    world_a.submit(subject="Someone else's", role=None, email="stranger@example.net")
    customer = api(world_a, "customer")
    body = customer.get("/api/v1/tickets/", {"status": "all"}).json()
    subjects = {t["subject"] for t in body["results"]}
    assert mine.subject in subjects and "Someone else's" not in subjects
    assert world_b.ticket.subject not in subjects
    # The agents' due time is not on the portal, so not in the customer's answer either.
    assert {t["next_update_due_at"] for t in body["results"]} == {None}
    staff_view = api(world_a, "agent").get("/api/v1/tickets/", {"status": "new"}).json()
    assert any(t["next_update_due_at"] for t in staff_view["results"])
    # Staff filters mean nothing to a customer's list; an unknown tab is refused.
    assert customer.get("/api/v1/tickets/", {"status": "new"}).status_code == 400


def test_a_ticket_is_created_through_the_tenants_form_with_its_checks(world_a):
    with tenant_context(world_a.tenant):
        TicketFormField.objects.create(
            key="devices",
            label="Computer IDs",
            field_type=TicketFormField.FieldType.GUID_LIST,
            required=True,
            position=10,
        )
        TicketFormField.objects.create(
            key="logs",
            label="Logs",
            field_type=TicketFormField.FieldType.FILES,
            file_kind=TicketFormField.FileKind.LOGS,
            position=60,
        )
    customer = api(world_a, "customer")
    missing = customer.post("/api/v1/tickets/", {"subject": "S", "description": "D"})
    assert missing.status_code == 400
    assert "answers.devices" in missing.json()["fields"]
    bad = customer.post(
        "/api/v1/tickets/",
        {"subject": "S", "description": "D", "answers": {"devices": ["not-a-guid"]}},
    )
    assert bad.status_code == 400 and "GUID" in bad.json()["fields"]["answers.devices"][0]
    files_in_json = customer.post(
        "/api/v1/tickets/",
        {"subject": "S", "description": "D", "answers": {"devices": "1234567890", "logs": "x"}},
    )
    assert files_in_json.status_code == 400 and "answers.logs" in files_in_json.json()["fields"]
    made = customer.post(
        "/api/v1/tickets/",
        {
            "subject": "Restore fails",
            "description": "Since Tuesday.",
            "priority": "urgent",
            "answers": {"devices": ["1234567890", "0987654321"]},
        },
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert made["Location"] == f"/api/v1/tickets/{body['number']}/" and made["ETag"]
    assert body["priority"] == "urgent" and body["channel"] == "api"
    assert body["form_answers"]["devices"] == ["1234567890", "0987654321"]
    assert body["requester_email"] == world_a.users["customer"].email
    with_file = customer.multipart(
        "/api/v1/tickets/",
        {
            "subject": "With a log",
            "description": "Attached.",
            "answers.devices": "1234567890",
            "answers.logs": SimpleUploadedFile("backup.log", b"error 42\n"),
        },
    )
    assert with_file.status_code == 201, with_file.content
    attachment = with_file.json()["comments"][0]["attachments"][0]
    download = customer.get(attachment["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"error 42\n"
    assert download["Content-Disposition"].startswith("attachment")


def test_staff_submit_for_a_customer_and_customers_only_for_themselves(world_a):
    customer_email = world_a.users["customer"].email
    made = api(world_a, "agent").post(
        "/api/v1/tickets/",
        {"subject": "Phoned in", "description": "By phone.", "requester_email": customer_email},
    )
    assert made.status_code == 201, made.content
    with tenant_context(world_a.tenant):
        ticket = Ticket.objects.get(number=made.json()["number"])
    assert ticket.requester == world_a.users["customer"]
    refused = api(world_a, "customer").post(
        "/api/v1/tickets/",
        {"subject": "x", "description": "y", "requester_email": "other@example.net"},
    )
    assert refused.status_code == 403


def test_changes_need_the_current_etag_and_run_through_the_lifecycle(world_a):
    agent, manager = api(world_a, "agent"), api(world_a, "manager")
    url = f"/api/v1/tickets/{world_a.ticket.number}/"
    read = agent.get(url)
    tag = read["ETag"]
    unguarded = agent.patch(url, {"priority": "high"})
    assert unguarded.status_code == 428 and unguarded.json()["code"] == "if_match_required"
    # The manager changes the ticket first; the agent's change from the old read is refused.
    first = manager.patch(url, {"priority": "urgent"}, HTTP_IF_MATCH=manager.get(url)["ETag"])
    assert first.status_code == 200 and first["ETag"] != tag
    stale = agent.patch(url, {"priority": "low"}, HTTP_IF_MATCH=tag)
    assert stale.status_code == 412 and stale.json()["code"] == "stale_version"
    assert world_a.refresh(world_a.ticket).priority == Priority.URGENT
    fresh = agent.get(url)["ETag"]
    changed = agent.patch(
        url,
        {"status": "pending", "assignee": world_a.users["agent"].pk},
        HTTP_IF_MATCH=fresh,
    )
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert body["status"] == "pending" and body["assignee"]["id"] == world_a.users["agent"].pk
    with tenant_context(world_a.tenant):
        kinds = list(
            TicketEvent.objects.filter(ticket=world_a.ticket).values_list("kind", flat=True)
        )
    assert {"priority_changed", "assignee_changed", "status_changed"} <= set(kinds)
    # Closed is the automation's alone: the same refusal code as on the page.
    closing = agent.patch(url, {"status": "closed"}, HTTP_IF_MATCH=changed["ETag"])
    assert closing.status_code == 409 and closing.json()["code"] == "invalid_transition"
    customer_id = world_a.users["customer"].pk
    not_agent = agent.patch(url, {"assignee": customer_id}, HTTP_IF_MATCH=changed["ETag"])
    assert not_agent.status_code == 400
    nothing = agent.patch(url, {}, HTTP_IF_MATCH=changed["ETag"])
    assert nothing.status_code == 400
    # All or nothing: a refused status leaves the priority sent with it unapplied.
    both = agent.patch(url, {"priority": "low", "status": "closed"}, HTTP_IF_MATCH=changed["ETag"])
    assert both.status_code == 409
    assert world_a.refresh(world_a.ticket).priority == Priority.URGENT
    customer = api(world_a, "customer")
    assert customer.patch(url, {"priority": "low"}, HTTP_IF_MATCH="*").status_code == 403


def test_the_conversation_keeps_notes_and_their_files_from_customers(world_a):
    number = world_a.ticket.number
    agent, customer = api(world_a, "agent"), api(world_a, "customer")
    comments = f"/api/v1/tickets/{number}/comments/"
    note = agent.multipart(
        comments,
        {
            "body": "Internal: log attached",
            "public": "false",
            "files": SimpleUploadedFile("trace.log", b"trace\n"),
        },
    )
    assert note.status_code == 201, note.content
    note_file = note.json()["comments"][-1]["attachments"][0]["url"]
    assert agent.get(note_file).status_code == 200
    assert customer.get(note_file).status_code == 404
    seen = customer.get(comments).json()
    assert all(c["is_public"] for c in seen)
    assert world_a.marker not in str([c["body"] for c in seen if "internal" in c["body"]])
    assert len(agent.get(comments).json()) == len(seen) + 2  # the fixture's note and this one
    refused = customer.post(comments, {"body": "secret?", "public": False})
    assert refused.status_code == 403 and refused.json()["code"] == "not_allowed"
    reply = agent.post(comments, {"body": "Please try again.", "submit_as": "pending"})
    assert reply.status_code == 201 and reply.json()["status"] == "pending"
    program = agent.multipart(
        comments, {"body": "x", "files": SimpleUploadedFile("a.html", b"<b>a page</b>")}
    )
    assert program.status_code == 400 and "files" in program.json()["fields"]


def test_the_timeline_is_for_staff(world_a):
    url = f"/api/v1/tickets/{world_a.ticket.number}/events/"
    events = api(world_a, "agent").get(url).json()
    assert [e["kind"] for e in events][:1] == ["created"]
    assert api(world_a, "customer").get(url).status_code == 403
