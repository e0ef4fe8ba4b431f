"""Manager decisions on a request whose ticket closed, and decision input that must never 500.

A closed ticket never changes again (the lifecycle refuses it), so on its escalation request a
manager may only resolve or decline; every other decision is refused with a message that
offers the follow-up (the customer replies to the closed ticket).
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from escalations import services
from escalations.models import EscalationAction, EscalationEvent, EscalationRequest
from outbox.models import OutboxEmail
from tenants.context import tenant_context
from tests.conftest import snapshot_tenant_rows
from tickets.automations import run_automations
from tickets.models import Ticket

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday, 09:00 in Chicago
CLOSED_AT = T0 + timedelta(days=2)  # the demo policy: solved tickets close after two days


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def closed_request(world_a, clock):
    """A solved ticket escalated by its customer, then closed by the automation."""
    ticket = world_a.submit(subject="Restore keeps failing")
    world_a.reply(ticket, "agent", "Here is the fix", submit_as=Ticket.Status.SOLVED)
    with tenant_context(world_a.tenant):
        request = services.escalation_request(
            ticket=ticket,
            actor=world_a.users["customer"],
            membership=world_a.memberships["customer"],
            reason="The fix did not work",
            requested_priority="urgent",
            contact_time_zone="Europe/Paris",
        )
    clock.move_to(CLOSED_AT + timedelta(minutes=5))
    report = run_automations(tenants=[world_a.tenant])
    assert report.closed == [(world_a.tenant.slug, ticket.number)]
    assert world_a.refresh(ticket).status == Ticket.Status.CLOSED
    return request


@pytest.fixture
def manager(world_a, as_member):
    return as_member(world_a.users["manager"], world_a.tenant)


def url(request) -> str:
    return f"/agent/escalations/{request.pk}/"


def page_of(response) -> str:
    return response.content.decode()


REFUSED_ON_CLOSED = [
    pytest.param({"kind": "reassign", "note": "Knows restores"}, id="reassign"),
    pytest.param({"kind": "priority", "priority": "high"}, id="priority"),
    pytest.param(
        {"kind": "conversation", "at": "2026-03-10T10:30", "channel": "Phone call"},
        id="conversation",
    ),
]


@pytest.mark.parametrize("post", REFUSED_ON_CLOSED)
def test_on_a_closed_ticket_changing_decisions_are_refused_clearly_and_change_nothing(
    world_a, closed_request, manager, post
):
    if post["kind"] == "reassign":
        post = {**post, "agent": world_a.users["admin"].pk}
    before = snapshot_tenant_rows(world_a.tenant)
    response = manager.post(url(closed_request), post)
    assert response.status_code == 400
    page = page_of(response)
    assert f"Ticket #{closed_request.ticket.number} closed on" in page
    assert "reply to the ticket to open a follow-up" in page
    assert snapshot_tenant_rows(world_a.tenant) == before


def test_the_services_refuse_the_same_decisions_on_a_closed_ticket(world_a, closed_request):
    common = {
        "request": closed_request,
        "actor": world_a.users["manager"],
        "membership": world_a.memberships["manager"],
    }
    with tenant_context(world_a.tenant):
        with pytest.raises(services.EscalationError, match="closed on"):
            services.escalation_reassign(**common, agent=world_a.users["admin"], note="")
        with pytest.raises(services.EscalationError, match="closed on"):
            services.escalation_change_priority(**common, priority="high")
        with pytest.raises(services.EscalationError, match="closed on"):
            services.escalation_schedule_conversation(
                **common, at=CLOSED_AT + timedelta(days=3), channel="Phone"
            )
        ticket = Ticket.objects.get(pk=closed_request.ticket_id)
        assert ticket.assignee == world_a.users["agent"] and ticket.priority == "normal"
        assert not EscalationAction.objects.exists()


@pytest.mark.parametrize(
    ("kind", "status"),
    [("resolve", "resolved"), ("decline", "declined")],
    ids=["resolve", "decline"],
)
def test_on_a_closed_ticket_the_manager_can_still_resolve_or_decline(
    world_a, closed_request, manager, kind, status
):
    response = manager.post(url(closed_request), {"kind": kind, "note": "Handled in a follow-up"})
    assert response.status_code == 302
    with tenant_context(world_a.tenant):
        request = EscalationRequest.objects.get(pk=closed_request.pk)
        action = request.actions.get()
        event = request.ticket.events.get(kind=EscalationEvent.DECIDED)
        decision = OutboxEmail.objects.get(template="escalation_decision")
        ticket = Ticket.objects.get(pk=request.ticket_id)
    assert request.status == status and request.resolved_at == CLOSED_AT + timedelta(minutes=5)
    assert action.kind == kind and event.after == kind
    assert decision.recipient == ticket.requester_email
    assert "Handled in a follow-up" in decision.body_text
    assert "Handled in a follow-up" in decision.body_html
    assert ticket.status == Ticket.Status.CLOSED  # the closed ticket itself did not change
    if kind == "decline":  # the email does not promise work on a ticket that is closed
        for part in (decision.body_text, decision.body_html):
            assert "we keep working on it" not in part and "open a follow-up ticket" in part


def test_the_review_page_of_a_closed_ticket_offers_only_resolve_and_decline(
    world_a, closed_request, manager
):
    page = page_of(manager.get(url(closed_request)))
    assert "This ticket closed on Mar 4, 2026" in page
    assert "reply to the ticket to open a follow-up" in page
    assert 'value="resolve"' in page and 'value="decline"' in page
    for hidden in ("Reassign the ticket", "Set priority", "Schedule the conversation"):
        assert hidden not in page
    # The suggested note to the customer offers the follow-up.
    assert "If you still need help, reply to it and a follow-up ticket will be opened" in page
    queue = page_of(manager.get("/agent/escalations/"))
    assert "Ticket closed: resolve or decline" in queue


def test_the_review_page_of_an_open_ticket_still_offers_every_decision(world_a, manager):
    with tenant_context(world_a.tenant):
        request = services.escalation_request(
            ticket=world_a.ticket,
            actor=world_a.users["customer"],
            membership=world_a.memberships["customer"],
            reason="Down",
            requested_priority="urgent",
        )
    page = page_of(manager.get(url(request)))
    assert "This ticket closed on" not in page
    for shown in ("Reassign the ticket", "Set priority", "Schedule the conversation", "Resolve"):
        assert shown in page


@pytest.fixture
def open_request(world_a):
    with tenant_context(world_a.tenant):
        return services.escalation_request(
            ticket=world_a.ticket,
            actor=world_a.users["customer"],
            membership=world_a.memberships["customer"],
            reason="Down for days",
            requested_priority="urgent",
            contact_time_zone="Pacific/Kiritimati",
        )


# A NUL byte is refused by the request boundary (core middleware) or, without it, by the form.
NUL = ("NUL character", "Null characters", "not one of")

BAD_DECISIONS = [
    pytest.param({"kind": "priority", "priority": ""}, "Choose a priority", id="empty-priority"),
    pytest.param({"kind": "priority"}, "Choose a priority", id="missing-priority"),
    pytest.param({"kind": "priority", "priority": "critical"}, "not one of", id="unknown-priority"),
    pytest.param({"kind": "reassign", "agent": ""}, "Choose an agent", id="empty-agent"),
    pytest.param({"kind": "reassign", "agent": "abc"}, "not one of", id="word-agent"),
    pytest.param({"kind": "reassign", "agent": "²"}, "not one of", id="superscript-agent"),
    pytest.param({"kind": "reassign", "agent": "١"}, "not one of", id="arabic-digit-agent"),
    pytest.param({"kind": "reassign", "agent": "9" * 40}, "not one of", id="huge-agent"),
    pytest.param({"kind": "reassign", "agent": "1\x00"}, NUL, id="nul-agent"),
    pytest.param({"kind": "reassign", "agent": "-1"}, "not one of", id="negative-agent"),
    pytest.param({"kind": "decline", "note": ""}, "reason for declining", id="decline-no-reason"),
    pytest.param({"kind": "resolve", "note": "ok\x00"}, NUL, id="nul-note"),
    pytest.param({"kind": "conversation", "channel": "Phone"}, "date and time", id="no-time"),
    pytest.param(
        {"kind": "conversation", "at": "2026-02-30T10:00", "channel": "Phone"},
        "valid date",
        id="impossible-date",
    ),
    pytest.param(
        {"kind": "conversation", "at": "9999-12-31T23:59", "channel": "Phone"},
        "within the next five years",
        id="far-future-time",
    ),
    pytest.param(
        {"kind": "conversation", "at": "2099-01-01T10:00", "channel": "\x00"},
        NUL,
        id="nul-channel",
    ),
    pytest.param({"kind": "escalate-to-ceo"}, "not one of", id="unknown-kind"),
    pytest.param({"kind": ""}, "required", id="no-kind"),
]


@pytest.mark.parametrize(("post", "message"), BAD_DECISIONS)
def test_bad_decision_input_is_a_form_error_and_changes_nothing(
    world_a, open_request, manager, post, message
):
    before = snapshot_tenant_rows(world_a.tenant)
    response = manager.post(url(open_request), post)
    assert response.status_code == 400
    messages = message if isinstance(message, tuple) else (message,)
    assert any(m in page_of(response) for m in messages)
    assert snapshot_tenant_rows(world_a.tenant) == before


def test_agents_of_another_tenant_and_customers_are_not_choices(
    world_a, world_b, open_request, manager
):
    before = snapshot_tenant_rows(world_a.tenant)
    for user in (world_b.users["agent"], world_a.users["customer"]):
        response = manager.post(url(open_request), {"kind": "reassign", "agent": user.pk})
        assert response.status_code == 400 and "not one of" in page_of(response)
    assert snapshot_tenant_rows(world_a.tenant) == before


def test_a_valid_priority_decision_still_works(world_a, open_request, manager):
    response = manager.post(url(open_request), {"kind": "priority", "priority": "high"})
    assert response.status_code == 302
    assert world_a.refresh(world_a.ticket).priority == "high"
