"""A manager's first decision ends the wait; the pages follow the request's state.

The policy's manager reviews a request and determines an action (a direct conversation, a
reassignment): once they have, the request is in progress, out of the review queue and its
badge, until it is resolved or declined. The review page shows the ticket's conversation; a
refused decision keeps what was typed; the request form is not offered while a request is
unsettled; the report reads durations in words.
"""

import html
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine

from escalations import contributions, services
from escalations.models import EscalationRequest
from tenants.context import tenant_context

T0 = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # a Tuesday, 09:00 in Chicago


def visible(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def request_(world_a, clock):
    with tenant_context(world_a.tenant):
        return services.escalation_request(
            ticket=world_a.ticket,
            actor=world_a.users["customer"],
            membership=world_a.memberships["customer"],
            reason="Payroll files missing after the restore",
            requested_priority="urgent",
        )


@pytest.fixture
def manager(world_a, as_member):
    return as_member(world_a.users["manager"], world_a.tenant)


def badge(world) -> int:
    """The managers' escalation badge, as the navigation asks for it."""
    fake = SimpleNamespace(membership=world.memberships["manager"])
    with tenant_context(world.tenant):
        return contributions.open_count_for(fake)


def status(world, request) -> str:
    with tenant_context(world.tenant):
        request.refresh_from_db()
    return request.status


def test_a_first_decision_moves_the_request_out_of_waiting_and_the_badge_drops(
    world_a, request_, manager, as_member, clock
):
    url = f"/agent/escalations/{request_.pk}/"
    assert badge(world_a) == 1
    assert "Review due" in visible(manager.get(url))

    clock.shift(timedelta(minutes=20))
    reassigned = manager.post(
        url, {"kind": "reassign", "agent": str(world_a.users["agent"].pk), "note": "Call her"}
    )
    assert reassigned.status_code == 302
    assert status(world_a, request_) == EscalationRequest.Status.IN_PROGRESS
    assert badge(world_a) == 0

    page = visible(manager.get(url))
    assert "In progress with a manager" in page
    assert "Review due" not in page and "Review overdue" not in page
    assert "Schedule the conversation" in page  # further decisions are still possible
    queue = visible(manager.get("/agent/escalations/"))
    waiting, _, in_progress = queue.partition("In progress with a manager")
    assert "No escalation request needs a first decision." in waiting
    assert world_a.ticket.subject in in_progress and "Reassigned to another agent" in in_progress
    customer = as_member(world_a.users["customer"], world_a.tenant)
    ticket_page = visible(customer.get(f"/tickets/{world_a.ticket.number}/"))
    assert "Escalation: In progress with a manager" in ticket_page

    call = manager.post(
        url, {"kind": "conversation", "at": "2026-03-05T10:30", "channel": "Phone call"}
    )
    assert call.status_code == 302
    assert status(world_a, request_) == EscalationRequest.Status.IN_PROGRESS
    assert badge(world_a) == 0

    assert manager.post(url, {"kind": "resolve", "note": "Restored"}).status_code == 302
    assert status(world_a, request_) == EscalationRequest.Status.RESOLVED
    assert "In progress with a manager" not in visible(manager.get("/agent/escalations/"))
    report = visible(manager.get("/agent/escalations/report/"))
    assert "0 requests waiting for a decision, 0 in progress with a manager" in report


def test_declining_a_waiting_request_settles_it_at_once(world_a, request_):
    with tenant_context(world_a.tenant):
        services.escalation_decline(
            request=request_,
            actor=world_a.users["manager"],
            membership=world_a.memberships["manager"],
            reason="Already at top priority",
        )
    assert status(world_a, request_) == EscalationRequest.Status.DECLINED
    assert badge(world_a) == 0


def test_the_review_page_shows_the_tickets_conversation_with_internal_notes(
    world_a, request_, manager
):
    world_a.reply(world_a.ticket, "agent", f"Public answer {world_a.marker}")
    page = visible(manager.get(f"/agent/escalations/{request_.pk}/"))
    assert f"Conversation on ticket #{world_a.ticket.number}" in page
    assert "It does not work." in page  # the customer's description
    assert f"Public answer {world_a.marker}" in page
    assert f"internal note {world_a.marker}" in page  # managers are staff


def test_a_past_call_time_is_refused_and_what_was_typed_is_kept(world_a, request_, manager):
    response = manager.post(
        f"/agent/escalations/{request_.pk}/",
        {
            "kind": "conversation",
            "at": "2026-03-02T10:30",
            "channel": "Video call",
            "note": "Bring the logs",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Choose a time in the future for the conversation." in page
    assert 'value="2026-03-02T10:30"' in page
    assert 'value="Video call"' in page and "Bring the logs</textarea>" in page
    assert status(world_a, request_) == EscalationRequest.Status.OPEN


def test_a_refused_reassignment_keeps_the_chosen_agent_and_note(world_a, request_, manager):
    response = manager.post(
        f"/agent/escalations/{request_.pk}/",
        {"kind": "reassign", "agent": str(world_a.users["manager"].pk), "note": "x" * 3000},
    )
    page = response.content.decode()
    assert response.status_code == 400
    chosen = re.search(rf'<option value="{world_a.users["manager"].pk}"[^>]*>', page).group(0)
    assert "selected" in chosen
    assert "x" * 3000 in page


def test_the_request_form_is_not_offered_while_a_request_is_unsettled(
    world_a, request_, manager, as_member
):
    number = world_a.ticket.number
    customer = as_member(world_a.users["customer"], world_a.tenant)
    agent = as_member(world_a.users["agent"], world_a.tenant)
    waiting = "already waiting for a manager"

    form_page = customer.get(f"/tickets/{number}/escalate/")
    assert form_page.status_code == 200
    assert waiting in visible(form_page) and "Send escalation request" not in visible(form_page)
    assert waiting in visible(customer.get(f"/tickets/{number}/"))
    agent_page = visible(agent.get(f"/agent/tickets/{number}/"))
    assert waiting in agent_page and "Escalate for the customer" not in agent_page
    assert "Send escalation request" not in visible(agent.get(f"/tickets/{number}/escalate/"))

    refused = customer.post(
        f"/tickets/{number}/escalate/", {"reason": "Still broken", "requested_priority": "high"}
    )
    assert refused.status_code == 409
    assert waiting in visible(refused) and "Still broken" in refused.content.decode()

    manager.post(f"/agent/escalations/{request_.pk}/", {"kind": "priority", "priority": "urgent"})
    handling = "A manager is already handling the escalation"
    assert handling in visible(customer.get(f"/tickets/{number}/"))
    assert handling in visible(customer.get(f"/tickets/{number}/escalate/"))

    manager.post(f"/agent/escalations/{request_.pk}/", {"kind": "resolve"})
    ticket_page = visible(customer.get(f"/tickets/{number}/"))
    assert "Request an escalation" in ticket_page and handling not in ticket_page
    assert "Send escalation request" in visible(customer.get(f"/tickets/{number}/escalate/"))


def test_the_report_reads_the_time_to_a_first_decision_in_words(world_a, request_, manager, clock):
    clock.shift(timedelta(minutes=2, seconds=43, microseconds=787703))
    with tenant_context(world_a.tenant):
        services.escalation_change_priority(
            request=request_,
            actor=world_a.users["manager"],
            membership=world_a.memberships["manager"],
            priority="urgent",
        )
    page = visible(manager.get("/agent/escalations/report/"))
    assert "2 minutes" in page
    assert "0:02:43" not in page


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(seconds=43), "under a minute"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=2, seconds=43.7), "2 minutes"),
        (timedelta(hours=3, minutes=5), "3 hours, 5 minutes"),
        (timedelta(days=1, hours=4, minutes=3), "1 day, 4 hours"),
        (timedelta(days=2, minutes=7), "2 days, 7 minutes"),
    ],
)
def test_elapsed_durations_read_in_their_two_largest_units(delta, words):
    from core.wording import elapsed_words

    assert elapsed_words(delta) == words


def test_the_migration_moves_open_requests_with_decisions_to_in_progress(world_a, request_):
    """Rows the old code left "open" after a decision; a waiting one and a settled one stay."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("escalations.migrations.0002_escalation_in_progress")
    untouched = world_a.submit(subject="Waiting, no decision yet")
    settled = world_a.submit(subject="Settled")
    with tenant_context(world_a.tenant):
        decide = {"actor": world_a.users["manager"], "membership": world_a.memberships["manager"]}
        services.escalation_change_priority(request=request_, priority="urgent", **decide)
        waiting = services.escalation_request(
            ticket=untouched,
            actor=world_a.users["customer"],
            membership=world_a.memberships["customer"],
            reason="Please look",
            requested_priority="high",
        )
        done = services.escalation_request(
            ticket=settled,
            actor=world_a.users["customer"],
            membership=world_a.memberships["customer"],
            reason="Please look",
            requested_priority="high",
        )
        services.escalation_resolve(request=done, **decide)
        # What the code before this change left behind: "open" whatever had been decided.
        EscalationRequest.objects.filter(pk=request_.pk).update(status="open")

    migration.in_progress_when_acted_on(apps, None)
    states = {r: status(world_a, r) for r in (request_, waiting, done)}
    assert states == {request_: "in_progress", waiting: "open", done: "resolved"}

    migration.open_again(apps, None)
    assert status(world_a, request_) == "open"
