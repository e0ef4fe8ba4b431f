"""Escalations through /api/v1/: a customer asks on their own ticket with the portal's form and
refusals; managers list, read and decide with the review page's form and services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from escalations import services
from escalations.models import EscalationAction, EscalationEvent, EscalationRequest
from escalations.selectors import request_blocker
from tenants.context import tenant_context
from tests.api.helpers import api
from tickets import lifecycle
from tickets.lifecycle import Actor
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def ask(world, ticket=None, role="customer", reason="Backups down for two days"):
    with tenant_context(world.tenant):
        return services.escalation_request(
            ticket=ticket or world.ticket,
            actor=world.users[role],
            membership=world.memberships[role],
            reason=reason,
            requested_priority="urgent",
        )


def close(world, ticket):
    world.reply(ticket, "agent", "Done", submit_as="solved")
    with tenant_context(world.tenant):
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        lifecycle.transition(locked, "closed", actor_kind=Actor.AUTOMATION)


def test_a_customer_escalates_their_ticket_with_the_portals_form_and_refusals(world_a):
    customer = api(world_a, "customer")
    url = f"/api/v1/tickets/{world_a.ticket.number}/escalation/"
    assert customer.get(url).json() == {"can_escalate": True, "blocker": None, "escalations": []}
    empty = customer.post(url, {"reason": "  ", "contact_phone": "call me"})
    assert empty.status_code == 400
    assert set(empty.json()["fields"]) == {"reason", "contact_phone"}
    nested = customer.post(url, {"reason": {"text": "why"}})
    assert nested.status_code == 400 and "reason" in nested.json()["fields"]
    made = customer.post(
        url,
        {"reason": "Restores fail", "contact_phone": "+1 612 555 0100", "best_times": "mornings"},
    )
    assert made.status_code == 201, made.content
    assert made["Location"] == url
    body = made.json()
    # The priority asked for defaults to the ticket's, as the page preselects it.
    assert body["requested_priority"] == world_a.ticket.priority
    assert body["status"] == "open" and body["raised_by_agent"] is False
    with tenant_context(world_a.tenant):
        request = EscalationRequest.objects.get(pk=body["id"])
        assert request.requested_by == world_a.users["customer"]
        assert world_a.ticket.events.filter(kind=EscalationEvent.REQUESTED).exists()
    # A second request while one waits: the service's refusal, its code and its words.
    again = customer.post(url, {"reason": "Still failing"})
    assert again.status_code == 409 and again.json()["code"] == "escalation_refused"
    assert again.json()["detail"] == request_blocker(world_a.ticket, active=request)
    state = customer.get(url).json()
    assert state["can_escalate"] is False and state["blocker"] == again.json()["detail"]
    assert [e["id"] for e in state["escalations"]] == [body["id"]]


def test_closed_tickets_and_other_peoples_tickets_are_refused_as_on_the_portal(world_a, world_b):
    customer = api(world_a, "customer")
    closed = world_a.submit(subject="Old one")
    close(world_a, closed)
    refused = customer.post(f"/api/v1/tickets/{closed.number}/escalation/", {"reason": "x"})
    assert refused.status_code == 409 and refused.json()["code"] == "escalation_refused"
    assert "closed and cannot be escalated" in refused.json()["detail"]
    # Someone else's ticket, and another helpdesk's: not found, nothing made.
    stranger = world_a.submit(subject="Not theirs", role=None, email="other@example.net")
    for number in (stranger.number, 999_999):
        url = f"/api/v1/tickets/{number}/escalation/"
        assert customer.post(url, {"reason": "x"}).status_code == 404
        assert customer.get(url).status_code == 404
    with tenant_context(world_a.tenant):
        assert not EscalationRequest.objects.exists()


def test_an_agent_escalates_for_the_customer(world_a):
    made = api(world_a, "agent").post(
        f"/api/v1/tickets/{world_a.ticket.number}/escalation/",
        {"reason": "Phoned in", "requested_priority": "urgent"},
    )
    assert made.status_code == 201, made.content
    assert made.json()["raised_by_agent"] is True
    with tenant_context(world_a.tenant):
        request = EscalationRequest.objects.get()
    assert request.requested_by == world_a.users["customer"]
    assert request.raised_by_agent == world_a.users["agent"]


def test_managers_list_the_queue_in_progress_and_all(world_a, world_b):
    first, second = ask(world_a), ask(world_a, ticket=world_a.submit(subject="Second"))
    ask(world_b)
    manager = api(world_a, "manager")
    decision = f"/api/v1/escalations/{second.pk}/decisions/"
    assert manager.post(decision, {"kind": "priority", "priority": "high"}).status_code == 201

    def ids(state):
        rows = manager.get("/api/v1/escalations/", {"state": state}).json()["results"]
        return [row["id"] for row in rows]

    assert ids("open") == [first.pk]
    assert ids("in_progress") == [second.pk]
    assert ids("all") == [second.pk, first.pk]  # newest first; B's request is not here
    default = manager.get("/api/v1/escalations/").json()
    assert [r["id"] for r in default["results"]] == [first.pk]
    row = default["results"][0]
    assert row["ticket"]["number"] == world_a.ticket.number
    assert row["requested_by"]["id"] == world_a.users["customer"].pk
    paged = manager.get("/api/v1/escalations/", {"state": "all", "limit": 1}).json()
    assert len(paged["results"]) == 1 and "offset=1" in paged["next"]
    assert [r["id"] for r in manager.get(paged["next"]).json()["results"]] == [first.pk]
    assert manager.get("/api/v1/escalations/", {"state": "closed"}).status_code == 400
    assert manager.get("/api/v1/escalations/", {"limit": "0"}).status_code == 400
    assert api(world_a, "agent").get("/api/v1/escalations/").status_code == 403
    assert api(world_a, "customer").get("/api/v1/escalations/").status_code == 403


def test_the_list_costs_the_same_queries_for_2_requests_and_12(world_a):
    manager = api(world_a, "manager")

    def queries():
        return manager.listing_cost("/api/v1/escalations/", {"state": "all"})

    for index in range(2):
        ask(world_a, ticket=world_a.submit(subject=f"few {index}"))
    queries()  # the token's first use of the day records it; later calls do not
    few, shown = queries()
    for index in range(10):
        ask(world_a, ticket=world_a.submit(subject=f"many {index}"), role="agent")
    assert queries() == (few, shown + 10)


def test_managers_decide_each_kind_through_its_service(world_a):
    request = ask(world_a)
    manager = api(world_a, "manager")
    url = f"/api/v1/escalations/{request.pk}/decisions/"
    agent = world_a.users["agent"]
    # Each kind's own fields, checked by the review page's form.
    missing = manager.post(url, {"kind": "reassign"})
    assert missing.status_code == 400 and "agent" in missing.json()["fields"]
    not_staff = manager.post(url, {"kind": "reassign", "agent": world_a.users["customer"].pk})
    assert not_staff.status_code == 400 and "agent" in not_staff.json()["fields"]
    assert manager.post(url, {"kind": "escalate"}).status_code == 400
    past = manager.post(
        url, {"kind": "conversation", "at": "2020-01-01T10:00:00Z", "channel": "phone"}
    )
    assert past.status_code == 400 and past.json()["code"] == "escalation_refused"
    at = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    call = manager.post(url, {"kind": "conversation", "at": at.isoformat(), "channel": "Zoom"})
    assert call.status_code == 201, call.content
    assert call["Location"] == f"/api/v1/escalations/{request.pk}/"
    assert call.json()["status"] == "in_progress"
    moved = manager.post(url, {"kind": "reassign", "agent": agent.pk, "note": "Yours now"})
    assert moved.status_code == 201, moved.content
    raised = manager.post(url, {"kind": "priority", "priority": "urgent"})
    assert raised.status_code == 201
    ticket = world_a.refresh(world_a.ticket)
    assert ticket.assignee == agent and ticket.priority == "urgent"
    no_reason = manager.post(url, {"kind": "decline"})
    assert no_reason.status_code == 400 and no_reason.json()["code"] == "escalation_refused"
    done = manager.post(url, {"kind": "resolve", "note": "Fixed on the call"})
    assert done.status_code == 201
    body = done.json()
    assert body["status"] == "resolved"
    assert [d["kind"] for d in body["decisions"]] == [
        "conversation",
        "reassign",
        "priority",
        "resolve",
    ]
    assert body["decisions"][1]["data"]["agent_id"] == agent.pk
    assert body["decisions"][0]["actor"]["id"] == world_a.users["manager"].pk
    # A settled request takes no more decisions: the service's 409.
    late = manager.post(url, {"kind": "priority", "priority": "low"})
    assert late.status_code == 409 and late.json()["code"] == "escalation_refused"
    with tenant_context(world_a.tenant):
        assert EscalationAction.objects.filter(request=request).count() == 4
    assert world_a.refresh(world_a.ticket).priority == "urgent"


def test_on_a_closed_ticket_only_resolve_and_decline_are_taken(world_a):
    world_a.reply(world_a.ticket, "agent", "Done", submit_as="solved")
    request = ask(world_a)
    with tenant_context(world_a.tenant):
        locked = Ticket.objects.select_for_update().get(pk=world_a.ticket.pk)
        lifecycle.transition(locked, "closed", actor_kind=Actor.AUTOMATION)
    manager = api(world_a, "manager")
    detail = manager.get(f"/api/v1/escalations/{request.pk}/").json()
    assert detail["allowed_decisions"] == ["decline", "resolve"]
    assert "closed on" in detail["closed_note"]
    url = f"/api/v1/escalations/{request.pk}/decisions/"
    refused = manager.post(url, {"kind": "priority", "priority": "urgent"})
    assert refused.status_code == 409 and "closed on" in refused.json()["detail"]
    assert manager.post(url, {"kind": "decline", "note": "Follow up instead"}).status_code == 201


def test_customers_read_decisions_as_the_email_tells_them(world_a, world_b):
    request = ask(world_a)
    manager = api(world_a, "manager")
    url = f"/api/v1/escalations/{request.pk}/decisions/"
    agent = world_a.users["agent"]
    assert manager.post(url, {"kind": "reassign", "agent": agent.pk}).status_code == 201
    customer = api(world_a, "customer")
    state = customer.get(f"/api/v1/tickets/{world_a.ticket.number}/escalation/").json()
    (decision,) = state["escalations"][0]["decisions"]
    assert decision["kind"] == "reassign"
    assert decision["details"] == {"agent": agent.display_name}
    assert "data" not in decision and "actor" not in decision
    # Managers' own views are not the customer's, and B's request is nobody's here.
    assert customer.get(f"/api/v1/escalations/{request.pk}/").status_code == 403
    other = ask(world_b)
    assert manager.get(f"/api/v1/escalations/{other.pk}/").status_code == 404
    decide_b = manager.post(f"/api/v1/escalations/{other.pk}/decisions/", {"kind": "resolve"})
    assert decide_b.status_code == 404
    with tenant_context(world_b.tenant):
        assert EscalationRequest.objects.get(pk=other.pk).is_waiting
