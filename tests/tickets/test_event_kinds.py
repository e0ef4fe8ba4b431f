"""Timeline event kinds are registered by the apps that own them (tickets/events.py)."""

import pytest

from escalations.models import EscalationEvent
from surveys.models import SurveyEvent
from tenants.context import tenant_context
from tickets import events, lifecycle
from tickets.models import Actor, TicketEvent


def test_tickets_lists_only_its_own_kinds_and_the_feature_apps_register_theirs():
    own = set(TicketEvent.Kind.values)
    assert not any(value.startswith(("survey_", "escalation_")) for value in own)
    for value, label in [*SurveyEvent.choices, *EscalationEvent.choices]:
        assert events.is_registered(value)
        assert events.label(value) == label
    assert events.label(TicketEvent.Kind.SLA_BREACHED) == "Update overdue (SLA breached)"


def test_a_kind_owned_by_one_app_cannot_be_taken_by_another():
    with pytest.raises(ValueError, match="already belongs to surveys"):
        events.register([(SurveyEvent.SENT, "Sent")], owner="chat")
    assert events.label(SurveyEvent.SENT) == "Satisfaction survey sent"


@pytest.mark.parametrize("value", ["", "x" * (events.MAX_KIND_LENGTH + 1)])
def test_a_kind_that_does_not_fit_the_column_is_refused(value):
    with pytest.raises(ValueError, match="must be 1-32"):
        events.register([(value, "Too long")], owner="chat")
    assert not events.is_registered(value)


def test_an_unregistered_kind_is_never_written(world_a):
    with tenant_context(world_a.tenant):
        before = world_a.ticket.events.count()
        with pytest.raises(ValueError, match="Unregistered ticket event kind 'chat_started'"):
            lifecycle.record(world_a.ticket, "chat_started", actor_kind=Actor.AUTOMATION)
        assert world_a.ticket.events.count() == before


def test_rows_of_a_kind_no_longer_registered_stay_readable():
    assert events.label("chat_transcript_added") == "Chat transcript added"


def test_the_timeline_stores_the_role_the_lifecycle_checks(world_a):
    """One vocabulary: a customer's and an agent's change read back as those roles."""
    with tenant_context(world_a.tenant):
        agent_event = lifecycle.record(
            world_a.ticket, TicketEvent.Kind.NOTED, actor=world_a.users["agent"]
        )
        customer_event = lifecycle.record(
            world_a.ticket,
            TicketEvent.Kind.REPLIED,
            actor=world_a.users["customer"],
            actor_kind=Actor.CUSTOMER,
        )
        assert [agent_event.actor_kind, customer_event.actor_kind] == ["agent", "customer"]
        assert customer_event.get_actor_kind_display() == "Customer"
