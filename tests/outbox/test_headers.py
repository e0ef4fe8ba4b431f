"""The headers every email carries, template by template, through the flows that send them:
the ticket's thread (In-Reply-To, References), Auto-Submitted on what no person wrote
(RFC 3834), and the survey's one-click unsubscribe (RFC 8058) wired to the survey opt-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from chat import services as chat_services
from escalations import services as escalation_services
from outbox.models import OutboxEmail
from outbox.services import _message
from surveys.models import SurveyOptOut
from tenants.context import tenant_context
from tickets import collaboration, merging
from tickets.automations import run_automations
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

# Written by a person (an agent's reply, or the reply that solved the ticket): no Auto-Submitted,
# so a customer's vacation responder may answer it as it would any person's mail.
PERSONAL = {"agent_reply", "ticket_solved:agent", "customer_reply_copy"}


def _all_emails(world) -> list[OutboxEmail]:
    with tenant_context(world.tenant):
        return list(OutboxEmail.objects.order_by("pk"))


def _headers(world, email: OutboxEmail) -> dict[str, str]:
    with tenant_context(world.tenant):
        message = _message(email).message()
    return {key: str(value) for key, value in message.items()}


def _send_every_template(world):
    """Every email template, each through the flow that sends it in real use."""
    agent, customer = world.users["agent"], world.users["customer"]
    start = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday afternoon in Chicago
    with time_machine.travel(start, tick=False):
        ticket = world.submit(subject="Restore fails")  # ticket_received
        world.reply(ticket, "agent", "Please send the logs.")  # agent_reply
        with tenant_context(world.tenant):
            collaboration.ticket_cc_add(
                ticket=ticket,
                email="copied@example.net",
                actor=agent,
                membership=world.memberships["agent"],
            )
            collaboration.ticket_follow(ticket=ticket, user=world.users["manager"])
        # customer_reply_copy (to the CC) and staff_ticket_update (to the follower)
        world.reply(ticket, "customer", "Here they are.")
        # staff_mentioned (staff_ticket_assigned: the escalation's reassignment below)
        world.reply(ticket, "manager", f"@{agent.email.split('@')[0]} have a look", public=False)
        world.reply(ticket, "agent", "Waiting for you", submit_as="pending")
        request = world.submit(subject="Escalate me")
        with tenant_context(world.tenant):
            escalation = escalation_services.escalation_request(  # received + new_manager
                ticket=request,
                actor=customer,
                membership=world.memberships["customer"],
                reason="Urgent",
                requested_priority="urgent",
            )
            escalation_services.escalation_reassign(  # decision + reassigned_agent
                request=escalation,
                actor=world.users["manager"],
                membership=world.memberships["manager"],
                agent=world.users["admin"],
                note="Yours now",
            )
        duplicate = world.submit(subject="Restore fails again")
        with tenant_context(world.tenant):
            merging.ticket_merge(source=duplicate, target=request, actor=agent)  # ticket_merged
        solved_by_agent = world.submit(subject="Quick one")
        world.reply(solved_by_agent, "agent", "Done: restart it.", submit_as="solved")
    # Pending 3 days: the reminder; 4 days: solved automatically; 2 more: closed (and the
    # survey, then a reply to the closed ticket opens a follow-up). The survey goes out an hour
    # after the closing, so the closing has its own email (ticket_closed).
    world.tenant.survey_delay = timedelta(hours=1)
    world.tenant.save(update_fields=["survey_delay"])
    for days in (3, 4, 7):
        with time_machine.travel(start + timedelta(days=days, minutes=5), tick=False):
            run_automations(tenants=[world.tenant])
    with time_machine.travel(start + timedelta(days=7, minutes=10), tick=False):
        assert world.refresh(ticket).status == Ticket.Status.CLOSED
        world.reply(ticket, "customer", "It broke again")  # follow_up_created
    with tenant_context(world.tenant):
        chat = chat_services.Chat.objects.create(
            token="headers-chat-token-0001",
            visitor_key="k" * 32,
            name="Casey",
            email=customer.email,
            status="ended",
        )
        chat_services.transcript_request(chat=chat)  # chat_transcript


def _kind(email: OutboxEmail) -> str:
    if email.template == "ticket_solved":
        return "ticket_solved:agent" if email.context.get("comment_id") else "ticket_solved:auto"
    return email.template


def test_every_template_carries_its_thread_and_auto_submitted_headers(world_a):
    _send_every_template(world_a)
    emails = _all_emails(world_a)
    templates = {email.template for email in emails}
    every_template = {
        path.name
        for path in (Path(settings.BASE_DIR) / "templates" / "emails").iterdir()
        if path.is_dir()
    }
    assert templates == every_template, f"not sent by this test: {every_template - templates}"
    kinds = {_kind(email) for email in emails}
    assert {"ticket_solved:agent", "ticket_solved:auto"} <= kinds
    for email in emails:
        headers = _headers(world_a, email)
        name = _kind(email)
        assert (
            headers["Message-ID"]
            == f"<outbox-{world_a.tenant.pk}-{email.pk}@{settings.BASE_DOMAIN}>"
        )
        if email.ticket_id:
            thread = f"<ticket-{world_a.tenant.pk}-{email.ticket_id}@{settings.BASE_DOMAIN}>"
            assert headers["In-Reply-To"] == thread, name
            assert headers["References"] == thread, name
        else:
            assert "In-Reply-To" not in headers, name
        if name in PERSONAL:
            assert "Auto-Submitted" not in headers, name
        else:
            assert headers["Auto-Submitted"] == "auto-generated", name
        if email.template == "survey_invitation":
            assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            assert headers["List-Unsubscribe"].startswith("<http")
            assert headers["List-Unsubscribe"].endswith("/unsubscribe/>")
        else:
            assert "List-Unsubscribe" not in headers, name
    # One ticket's emails share one thread id: a mail client shows them together.
    ticket_threads = {
        _headers(world_a, e)["References"] for e in emails if e.ticket_id == emails[0].ticket_id
    }
    assert len(ticket_threads) == 1


def _survey_unsubscribe_url(world) -> tuple[str, str]:
    _send_every_template(world)
    survey = next(e for e in _all_emails(world) if e.template == "survey_invitation")
    url = _headers(world, survey)["List-Unsubscribe"].strip("<>")
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    return path, survey.recipient


def _opted_out(world, email: str) -> bool:
    with tenant_context(world.tenant):
        return SurveyOptOut.objects.filter(email__iexact=email).exists()


def test_one_click_unsubscribe_is_a_post_a_get_changes_nothing(world_a):
    path, recipient = _survey_unsubscribe_url(world_a)
    # The mail client's one-click POST: no cookie, no CSRF token (RFC 8058).
    robot = Client(HTTP_HOST=world_a.host, enforce_csrf_checks=True)
    looked = robot.get(path)
    assert looked.status_code == 200 and "Stop satisfaction surveys?" in looked.content.decode()
    assert not _opted_out(world_a, recipient)
    posted = robot.post(path, {"List-Unsubscribe": "One-Click"})
    assert posted.status_code == 200 and _opted_out(world_a, recipient)
    assert robot.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200  # again: fine


def test_unsubscribe_works_after_the_survey_closed_and_refuses_other_links(world_a):
    path, recipient = _survey_unsubscribe_url(world_a)
    later = datetime.now(tz=UTC) + timedelta(days=400)
    robot = Client(HTTP_HOST=world_a.host, enforce_csrf_checks=True)
    with time_machine.travel(later):
        assert robot.post(path).status_code == 200
    assert _opted_out(world_a, recipient)
    token = path.split("/")[2]
    tampered = path.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert robot.post(tampered).status_code == 400
    assert robot.post("/survey/not-a-token/unsubscribe/").status_code == 400


def test_another_helpdesks_unsubscribe_link_does_nothing_here(world_a, world_b):
    path, recipient = _survey_unsubscribe_url(world_b)
    robot = Client(HTTP_HOST=world_a.host, enforce_csrf_checks=True)
    refused = robot.post(path)
    assert refused.status_code == 400
    assert "belongs to another helpdesk" in refused.content.decode()
    assert not _opted_out(world_a, recipient) and not _opted_out(world_b, recipient)
