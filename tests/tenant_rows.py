"""How to make one row of each tenant table. A new tenant model must be taught here, or the RLS
test fails: that is deliberate, so no table escapes the check."""

from datetime import date, time

from accounts import tokens
from accounts.models import ApiToken
from bugs.models import BugComment, BugHistory, BugLink, BugReport
from chat.models import AgentAvailability, Chat, ChatMessage
from desk.models import BusinessHours, PriorityLevel, TenantHoliday
from desk.priorities import Priority
from escalations.models import EscalationAction, EscalationRequest
from helpcenter.models import Article, ArticleVote, Category, Deflection, HelpCenter, Section
from inbox.models import InboundEmail, Mailbox, SupportAddress
from outbox.models import OutboxEmail
from surveys.models import SurveyInvitation, SurveyOptOut
from tenants import audit
from tenants.context import tenant_context
from tenants.models import AuditEntry, Membership, Organization
from tests.tenant_models import tenant_owned_models
from tickets import merging
from tickets.models import (
    Attachment,
    Comment,
    Macro,
    Notification,
    NotificationPreference,
    RunningTimer,
    SavedView,
    Tag,
    Team,
    TeamMember,
    Ticket,
    TicketCC,
    TicketCounter,
    TicketEvent,
    TicketFollower,
    TicketFormField,
    TicketLink,
    TicketTag,
    TimeEntry,
)
from webhooks import services as webhooks
from webhooks.models import Delivery, Endpoint


def _bug(world):
    from bugs import services

    if BugReport.objects.exists():
        return
    report = services.bug_file(
        ticket=world.ticket,
        actor=world.users["agent"],
        membership=world.memberships["agent"],
        values={"title": f"B bug title {world.marker}", "steps": f"B bug steps {world.marker}"},
    )
    services.bug_comment(
        report=report,
        actor=world.users["agent"],
        membership=world.memberships["agent"],
        body=f"B bug comment {world.marker}",
    )


def _inbox(world):
    from inbox import ingest, secrets

    if SupportAddress.objects.exists():
        return
    address = SupportAddress.objects.create(address=f"help-{world.marker}@example.com")
    message = (
        f"From: someone@example.org\r\nTo: {address.address}\r\nSubject: B email {world.marker}"
        f"\r\nMessage-ID: <b-{world.marker}@example.org>\r\n\r\nB email body {world.marker}\r\n"
    )
    ingest.ingest(tenant=world.tenant, raw=message.encode(), address=address)
    Mailbox.objects.create(
        address=address,
        host="imap.example.com",
        username=f"b-{world.marker}",
        password_encrypted=secrets.encrypt("not a real password"),
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


def _chat(world):
    import secrets

    if Chat.objects.exists():
        return
    chat = Chat.objects.create(
        token=secrets.token_urlsafe(16),
        visitor_key="v" * 32,
        name="Visitor",
        email="visitor@example.com",
        topic="Help",
        last_seq=1,
    )
    ChatMessage.objects.create(chat=chat, seq=1, author_kind="customer", body="Hello")
    AgentAvailability.objects.get_or_create(user=world.users["agent"])


def _help_center(world):
    from helpcenter import services
    from helpcenter.models import Deflection
    from helpcenter.selectors import help_center

    help_center()
    if Deflection.objects.exists():
        return
    category = services.category_save(values={"name": "Backups"})
    section = services.section_save(values={"category": category, "name": "Restoring"})
    article = services.article_save(
        values={
            "section": section,
            "title": "Restore",
            "body": "Restore it",
            "status": "published",
        },
        author=None,
    )
    services.vote(article=article, helpful=True, user=world.users["customer"])
    services.deflection_record(article=article, query="restore", visitor_key="k" * 32)


def _ticket_link(world):
    if TicketLink.objects.exists():
        return
    other = world.submit(subject=f"Related to the world's ticket {world.marker}")
    merging.ticket_link(ticket=world.ticket, other=other, actor=world.users["agent"])


def _tags(world):
    from tickets import tagging

    if not Tag.objects.exists():
        tagging.ticket_tags_add(
            ticket=world.ticket,
            actor=world.users["agent"],
            membership=world.memberships["agent"],
            names=[f"B tag {world.marker}"],
        )


def _team(world):
    from tickets import teams

    if Team.objects.exists():
        return
    team = teams.team_create(name=f"B team {world.marker}")
    teams.team_member_add(team=team, membership=world.memberships["agent"])
    teams.ticket_set_team(ticket=world.ticket, actor=world.users["agent"], team=team)


def _time(world):
    from tickets import timelog

    if TimeEntry.objects.exists():
        return
    staff = {"agent": world.users["agent"], "membership": world.memberships["agent"]}
    timelog.time_log(ticket=world.ticket, minutes=25, note=f"B time note {world.marker}", **staff)
    timelog.timer_start(ticket=world.ticket, **staff)


def _webhook(world):
    webhooks.endpoint_create(url="https://hooks.example.com/rows", events=["replied"])
    world.reply(world.ticket, "agent", "A reply the endpoint hears about")


def _collaboration(world):
    """A CC, a follower, a mention (a notification) and one person's email switches."""
    from tickets import collaboration

    if TicketCC.objects.exists():
        return
    agent, manager = world.users["agent"], world.users["manager"]
    collaboration.ticket_cc_add(
        ticket=world.ticket,
        email=f"copied-{world.marker}@example.net",
        actor=agent,
        membership=world.memberships["agent"],
    )
    collaboration.ticket_follow(ticket=world.ticket, user=agent)
    handle = agent.email.split("@")[0]
    world.reply(world.ticket, "manager", f"@{handle} have a look", public=False)
    collaboration.preferences_save(user=manager, values={"email_on_follow": False})


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
    TicketLink: _ticket_link,
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
    Chat: _chat,
    ChatMessage: lambda world: None,  # _chat makes one
    AgentAvailability: lambda world: None,  # _chat makes one
    HelpCenter: _help_center,
    Category: lambda world: None,  # _help_center makes these
    Section: lambda world: None,
    Article: lambda world: None,
    ArticleVote: lambda world: None,
    Deflection: lambda world: None,
    BugReport: _bug,
    BugLink: lambda world: None,  # _bug makes these
    BugComment: lambda world: None,
    BugHistory: lambda world: None,
    SupportAddress: _inbox,
    InboundEmail: lambda world: None,  # _inbox receives one
    Mailbox: lambda world: None,  # _inbox connects one
    AuditEntry: lambda world: audit.record(AuditEntry.Action.EXPORT, target="rows"),
    Endpoint: _webhook,
    Delivery: lambda world: None,  # _webhook's reply makes one
    Tag: _tags,
    TicketTag: lambda world: None,  # _tags puts one on the world's ticket
    Team: _team,
    TeamMember: lambda world: None,  # _team adds one
    TimeEntry: _time,
    RunningTimer: lambda world: None,  # _time starts one
    TicketCC: _collaboration,
    TicketFollower: lambda world: None,  # _collaboration makes these
    Notification: lambda world: None,
    NotificationPreference: lambda world: None,
    ApiToken: lambda world: tokens.token_create(
        user=world.users["agent"], name="rows", scope="read", expires_in_days=None
    ),
}


def ensure_rows(world) -> None:
    missing = [m._meta.label for m in tenant_owned_models() if m not in MAKERS]
    assert not missing, f"teach tests/tenant_rows.py to make rows of: {missing}"
    with tenant_context(world.tenant):
        for make in MAKERS.values():
            make(world)
