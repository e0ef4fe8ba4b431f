"""How to make one row of each tenant table. A new tenant model must be taught here, or the RLS
test fails: that is deliberate, so no table escapes the check."""

from datetime import date, time

from desk.models import BusinessHours, PriorityLevel, TenantHoliday
from desk.priorities import Priority
from escalations.models import EscalationAction, EscalationRequest
from outbox.models import OutboxEmail
from surveys.models import SurveyInvitation, SurveyOptOut
from tenants.context import tenant_context
from tenants.models import Membership, Organization
from tests.tenant_models import tenant_owned_models
from tickets.models import (
    Attachment,
    Comment,
    Macro,
    SavedView,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketFormField,
)


def _business_hours(world):
    BusinessHours.objects.get_or_create(weekday=6, opens=time(10), closes=time(12))


def _priority_level(world):
    PriorityLevel.objects.get_or_create(priority=Priority.LOW, defaults={"summary": "low"})


def _survey(world):
    from django.utils import timezone

    SurveyInvitation.objects.get_or_create(
        ticket=world.ticket,
        defaults={
            "recipient": "c@example.com",
            "sent_at": timezone.now(),
            "expires_at": timezone.now(),
        },
    )


def _escalation(world):
    from escalations import services

    if EscalationRequest.objects.exists():
        return
    request = services.escalation_request(
        ticket=world.ticket,
        actor=world.users["customer"],
        membership=world.memberships["customer"],
        reason="Urgent",
        requested_priority="urgent",
    )
    services.escalation_resolve(
        request=request, actor=world.users["manager"], membership=world.memberships["manager"]
    )


def _macro(world):
    Macro.objects.get_or_create(name="Need logs", defaults={"body": "Send logs"})


def _holiday(world):
    TenantHoliday.objects.get_or_create(date=date(2026, 12, 24), defaults={"name": "Eve"})


def _form_field(world):
    TicketFormField.objects.get_or_create(
        key="os", defaults={"label": "OS", "field_type": TicketFormField.FieldType.SHORT_TEXT}
    )


MAKERS = {
    # World creates these through the services: an organization, a membership per role, a
    # ticket with a comment, an attachment and events; the counter exists from tenant_create.
    Organization: lambda world: None,
    Membership: lambda world: None,
    Ticket: lambda world: None,
    Comment: lambda world: None,
    Attachment: lambda world: None,
    TicketEvent: lambda world: None,
    TicketCounter: lambda world: None,
    TicketFormField: _form_field,
    OutboxEmail: lambda world: None,
    TenantHoliday: _holiday,
    Macro: _macro,
    EscalationRequest: _escalation,
    EscalationAction: lambda world: None,  # _escalation makes one
    SurveyInvitation: _survey,
    SurveyOptOut: lambda world: SurveyOptOut.objects.get_or_create(email="quiet@example.com"),
    SavedView: lambda world: SavedView.objects.get_or_create(
        name="Mine", query="priority=low"
    ),  # the world's ticket queued its "received" email
    BusinessHours: _business_hours,
    PriorityLevel: _priority_level,
}


def ensure_rows(world) -> None:
    missing = [m._meta.label for m in tenant_owned_models() if m not in MAKERS]
    assert not missing, f"teach tests/tenant_rows.py to make rows of: {missing}"
    with tenant_context(world.tenant):
        for make in MAKERS.values():
            make(world)
