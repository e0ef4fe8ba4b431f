"""Escalation rules and decisions, through the services; review timing in business time."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from escalations import services
from escalations.models import EscalationAction, EscalationEvent, EscalationRequest
from outbox.models import OutboxEmail
from tenants.context import tenant_context
from tickets import lifecycle
from tickets.lifecycle import Actor
from tickets.models import Ticket

CHI = ZoneInfo("America/Chicago")


def ask(world, ticket=None, role="customer", **kwargs):
    with tenant_context(world.tenant):
        return services.escalation_request(
            ticket=ticket or world.ticket,
            actor=world.users[role],
            membership=world.memberships[role],
            reason=kwargs.pop("reason", "Our backups have been down for two days"),
            requested_priority=kwargs.pop("requested_priority", "urgent"),
            contact_phone=kwargs.pop("contact_phone", "+1 612 555 0100"),
            **kwargs,
        )


def emails(world, template):
    with tenant_context(world.tenant):
        return list(
            OutboxEmail.objects.filter(template=template).values_list("recipient", flat=True)
        )


def test_request_records_event_and_emails_customer_and_managers(world_a):
    request = ask(world_a, best_times="mornings", contact_time_zone="Europe/Paris")
    assert request.is_waiting and request.requested_by == world_a.users["customer"]
    with tenant_context(world_a.tenant):
        event = world_a.ticket.events.get(kind=EscalationEvent.REQUESTED)
    assert event.after == "urgent" and event.data["on_behalf"] is False
    assert emails(world_a, "escalation_received") == [world_a.ticket.requester_email]
    assert sorted(emails(world_a, "escalation_new_manager")) == sorted(
        [world_a.users["manager"].email, world_a.users["admin"].email]
    )


def test_a_second_open_request_is_refused_clearly(world_a):
    ask(world_a)
    with pytest.raises(services.EscalationError, match="already waiting for a manager"):
        ask(world_a)


def test_a_customer_cannot_escalate_someone_elses_ticket(world_a):
    other = world_a.submit(subject="Manager's own", role="manager")
    with pytest.raises(services.EscalationError, match="only escalate your own tickets"):
        ask(world_a, ticket=other)


def test_closed_tickets_cannot_be_escalated_but_solved_ones_can(world_a):
    world_a.reply(world_a.ticket, "agent", "Done", submit_as="solved")
    assert ask(world_a).is_waiting  # solved: allowed
    other = world_a.submit()
    world_a.reply(other, "agent", "Done", submit_as="solved")
    with tenant_context(world_a.tenant):
        locked = Ticket.objects.select_for_update().get(pk=other.pk)
        lifecycle.transition(locked, "closed", actor_kind=Actor.AUTOMATION)
    with pytest.raises(services.EscalationError, match="closed and cannot be escalated"):
        ask(world_a, ticket=other)


def test_agents_raise_requests_for_customers(world_a):
    request = ask(world_a, role="agent")
    assert request.raised_by_agent == world_a.users["agent"]
    assert request.requested_by == world_a.users["customer"]


def test_bad_input_is_refused(world_a):
    with pytest.raises(services.EscalationError, match="why"):
        ask(world_a, reason="  ")
    with pytest.raises(services.EscalationError, match="priority"):
        ask(world_a, requested_priority="critical")
    with pytest.raises(services.EscalationError, match="time zone"):
        ask(world_a, contact_time_zone="Mars/Base")


def decide(world, fn, role="manager", **kwargs):
    with tenant_context(world.tenant):
        request = EscalationRequest.objects.get(
            ticket=world.ticket, status__in=EscalationRequest.ACTIVE_STATUSES
        )
        return fn(
            request=request, actor=world.users[role], membership=world.memberships[role], **kwargs
        )


def test_an_agent_cannot_decide(world_a):
    ask(world_a)
    with pytest.raises(services.EscalationError, match="Only managers"):
        decide(world_a, services.escalation_resolve, role="agent")


def test_each_decision_writes_its_event_and_email(world_a):
    ask(world_a, contact_time_zone="Europe/Paris")
    at = datetime(2030, 3, 5, 15, 0, tzinfo=UTC)
    decide(world_a, services.escalation_schedule_conversation, at=at, channel="Phone call")
    decide(
        world_a, services.escalation_reassign, agent=world_a.users["admin"], note="Knows restores"
    )
    decide(world_a, services.escalation_change_priority, priority="urgent")
    decide(world_a, services.escalation_decline, reason="Already being handled at top priority.")
    with tenant_context(world_a.tenant):
        request = EscalationRequest.objects.get(ticket=world_a.ticket)
        kinds = list(request.actions.order_by("id").values_list("kind", flat=True))
        events = list(
            world_a.ticket.events.filter(kind="escalation_action").values_list("after", flat=True)
        )
        conversation = request.actions.get(kind="conversation").data
        ticket = Ticket.objects.get(pk=world_a.ticket.pk)
        note = ticket.comments.filter(is_public=False).order_by("-id").first()
        decisions = list(OutboxEmail.objects.filter(template="escalation_decision").order_by("id"))
    assert kinds == events == ["conversation", "reassign", "priority", "decline"]
    assert request.status == "declined" and request.first_action_at and request.resolved_at
    assert conversation["at_customer"] == "Tuesday, March 05, 16:00 CET"
    assert conversation["at_tenant"] == "Tuesday, March 05, 09:00 CST"
    assert ticket.assignee == world_a.users["admin"] and ticket.priority == "urgent"
    assert note.body == "Escalation handed to you: Knows restores"
    assert emails(world_a, "escalation_reassigned_agent") == [world_a.users["admin"].email]
    assert len(decisions) == 4
    assert "16:00 CET" in decisions[0].body_text and "by Phone call" in decisions[0].body_text
    assert "Already being handled" in decisions[3].body_html
    with (
        tenant_context(world_a.tenant),
        pytest.raises(services.EscalationError, match="already been resolved"),
    ):
        services.escalation_resolve(
            request=request,
            actor=world_a.users["manager"],
            membership=world_a.memberships["manager"],
        )
    assert ask(world_a).is_waiting  # a new request may follow a settled one


def test_past_conversation_time_and_non_agent_reassign_are_refused(world_a):
    ask(world_a)
    with pytest.raises(services.EscalationError, match="future"):
        decide(
            world_a,
            services.escalation_schedule_conversation,
            at=datetime(2020, 1, 1, tzinfo=UTC),
            channel="Phone",
        )
    with pytest.raises(services.EscalationError, match="agent of this helpdesk"):
        decide(world_a, services.escalation_reassign, agent=world_a.users["customer"], note="")
    with tenant_context(world_a.tenant):
        assert not EscalationAction.objects.exists()


def test_review_due_is_counted_in_business_time(world_a, as_member):
    friday_4pm = datetime(2026, 3, 6, 16, 0, tzinfo=CHI)
    with time_machine.travel(friday_4pm, tick=False):
        request = ask(world_a)
    # Four business hours from Friday 16:00: one hour Friday, three on Monday -> 11:00.
    assert request.review_due_at == datetime(2026, 3, 9, 11, 0, tzinfo=CHI)
    manager = as_member(world_a.users["manager"], world_a.tenant)
    with time_machine.travel(datetime(2026, 3, 9, 10, 59, tzinfo=CHI), tick=False):
        assert "Review overdue" not in manager.get("/agent/escalations/").content.decode()
    with time_machine.travel(datetime(2026, 3, 9, 11, 1, tzinfo=CHI), tick=False):
        assert "Review overdue" in manager.get("/agent/escalations/").content.decode()


def test_pages_show_the_state_and_guard_roles(world_a, as_member):
    customer = as_member(world_a.users["customer"], world_a.tenant)
    url = f"/tickets/{world_a.ticket.number}/escalate/"
    bad = customer.post(
        url, {"reason": "", "requested_priority": "urgent", "contact_phone": "call me"}
    )
    page = bad.content.decode()
    assert bad.status_code == 400 and "This field is required." in page and "call me" in page
    ok = customer.post(
        url,
        {
            "reason": "Down for days",
            "requested_priority": "urgent",
            "contact_phone": "+1 612 555 0100",
        },
    )
    assert ok.status_code == 302
    ticket_page = customer.get(f"/tickets/{world_a.ticket.number}/").content.decode()
    assert "Escalation: Waiting for a manager" in ticket_page
    assert "Request an escalation" not in ticket_page
    agent = as_member(world_a.users["agent"], world_a.tenant)
    assert agent.get("/agent/escalations/").status_code == 403
    manager = as_member(world_a.users["manager"], world_a.tenant)
    queue = manager.get("/agent/escalations/").content.decode()
    assert "Down for days" in queue and 'aria-label="1 waiting"' in queue
    report = manager.get("/agent/escalations/report/")
    assert report.status_code == 200 and "1 request waiting" in report.content.decode()


def test_the_call_time_typed_by_a_manager_is_the_tenants_wall_time(world_a, as_member):
    request = ask(world_a)
    manager = as_member(world_a.users["manager"], world_a.tenant)
    response = manager.post(
        f"/agent/escalations/{request.pk}/",
        {"kind": "conversation", "at": "2030-03-05T10:30", "channel": "Phone call"},
    )
    assert response.status_code == 302
    with tenant_context(world_a.tenant):
        action = EscalationAction.objects.get()
    assert action.data["at"] == "2030-03-05T10:30:00-06:00"  # 10:30 in Chicago, not UTC
    assert action.data["at_tenant"] == "Tuesday, March 05, 10:30 CST"
