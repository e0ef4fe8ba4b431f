from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from anymail.signals import AnymailTrackingEvent, tracking
from django.core import mail

from outbox.models import OutboxEmail
from outbox.services import MAX_ATTEMPTS, deliver_due_now, email_deliver, outbox_sweep
from tenants.context import tenant_context
from tests.outbox import flaky_backend
from tickets.models import Ticket
from tickets.notifications import parse_reply_address

S = Ticket.Status


def rows(world, **filters):
    with tenant_context(world.tenant):
        return list(OutboxEmail.objects.filter(**filters).order_by("id"))


def test_received_email_has_text_and_html_parts_number_branding_and_reply_to(world_a):
    ticket = world_a.submit(subject="Printer on fire")
    assert deliver_due_now() >= 1
    (message,) = [m for m in mail.outbox if "Printer on fire" in m.subject]
    assert message.subject == f"[#{ticket.number}] We received your request: Printer on fire"
    assert message.from_email.startswith("Alpha Support <")
    assert message.to == [world_a.users["customer"].email]
    assert f"gave it the number #{ticket.number}" in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html" and f"<strong>#{ticket.number}</strong>" in html
    assert "Alpha Support" in html
    (reply_to,) = message.reply_to
    assert parse_reply_address(reply_to) == (world_a.tenant.slug, ticket.number)
    forged = reply_to.replace(f".{ticket.number}.", f".{ticket.number + 1}.")
    assert parse_reply_address(forged) is None
    assert message.extra_headers["Message-ID"].startswith(f"<outbox-{world_a.tenant.pk}-")


def test_agent_reply_is_emailed_and_internal_notes_never_are(world_a):
    ticket = world_a.submit()
    world_a.reply(ticket, "agent", "Secret diagnosis", public=False)
    world_a.reply(ticket, "agent", "Please **update** the app", submit_as=S.PENDING)
    deliver_due_now()
    bodies = [m.body + m.alternatives[0][0] for m in mail.outbox]
    assert not any("Secret diagnosis" in body for body in bodies)
    assert not any(f"internal note {world_a.marker}" in body for body in bodies)
    (reply,) = [m for m in mail.outbox if "We need your input" in m.subject]
    assert "Please **update** the app" in reply.body
    assert "<strong>update</strong>" in reply.alternatives[0][0]


def test_solved_email_says_how_to_reopen(world_a):
    ticket = world_a.submit()
    world_a.reply(ticket, "agent", "Reinstall fixed it", submit_as=S.SOLVED)
    deliver_due_now()
    (solved,) = [m for m in mail.outbox if m.subject.startswith(f"[#{ticket.number}] Solved")]
    assert "Reinstall fixed it" in solved.body
    assert "within 2 days and the ticket opens again" in solved.body
    assert "did not hear back" not in solved.body
    assert not [m for m in mail.outbox if "New reply" in m.subject]  # one email, not two


def test_the_same_key_is_queued_once(world_a):
    from outbox.services import email_enqueue

    with tenant_context(world_a.tenant):
        for subject_hint in ("first", "second"):
            email_enqueue(
                template="ticket_closed",
                recipient=f"{subject_hint}@example.com",
                key="k1",
                context={"ticket": world_a.ticket, "ticket_url": "u"},
            )
    (row,) = rows(world_a, idempotency_key="k1")
    assert row.recipient == "first@example.com"  # the second call left the first row alone


def test_a_row_is_sent_once_however_often_its_task_runs(world_a):
    (row,) = rows(world_a, ticket=world_a.ticket, template="ticket_received")
    outcomes = [email_deliver(tenant=world_a.tenant, email_id=row.pk) for _ in range(3)]
    assert outcomes == ["sent", "skipped", "skipped"]
    assert deliver_due_now() == 0
    assert len(mail.outbox) == 1


def test_backend_down_for_a_while_loses_nothing_and_sends_each_once(world_a, settings):
    settings.EMAIL_BACKEND = "tests.outbox.flaky_backend.FlakyBackend"
    start = (datetime.now(tz=UTC) + timedelta(days=1)).replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        tickets = [world_a.submit(subject=f"Outage {i}") for i in range(5)]
        expected = {row.pk for row in rows(world_a, status=OutboxEmail.Status.PENDING)}
        assert len(expected) == 6  # the world's own ticket + five
        flaky_backend.DOWN["value"] = True
        try:
            for minute in range(0, 40, 3):  # the sweep keeps trying through the outage
                clock.move_to(start + timedelta(minutes=minute))
                deliver_due_now()
            assert mail.outbox == []
            pending = rows(world_a, pk__in=expected)
            assert all(r.status == OutboxEmail.Status.PENDING for r in pending)
            assert all(r.attempts >= 3 and "provider unavailable" in r.last_error for r in pending)
        finally:
            flaky_backend.DOWN["value"] = False
        clock.move_to(start + timedelta(hours=3))
        deliver_due_now()
        deliver_due_now()
        clock.move_to(start + timedelta(hours=6))
        deliver_due_now()
    sent = rows(world_a, pk__in=expected)
    assert all(r.status == OutboxEmail.Status.SENT for r in sent)
    assert sorted(m.subject for m in mail.outbox) == sorted(r.subject for r in sent)
    assert len(mail.outbox) == 6
    assert {t.subject for t in tickets} <= {m.subject.split(": ", 1)[1] for m in mail.outbox}


def test_retries_back_off_exponentially_and_give_up_after_the_limit(world_a, settings):
    settings.EMAIL_BACKEND = "tests.outbox.flaky_backend.FlakyBackend"
    (row,) = rows(world_a, ticket=world_a.ticket)
    flaky_backend.DOWN["value"] = True
    try:
        later = datetime.now(tz=UTC) + timedelta(days=1)
        with time_machine.travel(later, tick=False) as clock:
            gaps = []
            for _ in range(MAX_ATTEMPTS):
                assert email_deliver(tenant=world_a.tenant, email_id=row.pk) in ("retry", "failed")
                (row,) = rows(world_a, pk=row.pk)
                if row.next_attempt_at:
                    gaps.append(row.next_attempt_at - datetime.now(tz=UTC))
                    clock.move_to(row.next_attempt_at)
    finally:
        flaky_backend.DOWN["value"] = False
    assert [g.total_seconds() / 60 for g in gaps] == [1, 2, 4, 8, 16, 32, 64]
    assert row.status == OutboxEmail.Status.FAILED and row.attempts == MAX_ATTEMPTS


def test_a_worker_that_died_mid_send_gives_the_row_back_after_its_lease(world_a):
    (row,) = rows(world_a, ticket=world_a.ticket)
    with tenant_context(world_a.tenant):
        OutboxEmail.objects.filter(pk=row.pk).update(
            status=OutboxEmail.Status.SENDING,
            locked_until=datetime.now(tz=UTC) + timedelta(minutes=10),
        )
    assert deliver_due_now() == 0  # still leased
    with time_machine.travel(datetime.now(tz=UTC) + timedelta(minutes=11)):
        assert deliver_due_now() == 1
    assert rows(world_a, pk=row.pk)[0].status == OutboxEmail.Status.SENT


def _track(event_type, row, recipient):
    event = AnymailTrackingEvent(
        event_type=event_type,
        message_id="provider-123",
        recipient=recipient,
        metadata={"tenant": str(row.tenant_id), "outbox": str(row.pk)},
        description="mailbox does not exist" if event_type == "bounced" else None,
    )
    tracking.send(sender=SimpleNamespace, event=event, esp_name="TestESP")


def test_delivery_and_bounce_events_update_the_row_and_flag_the_address(world_a):
    customer = world_a.users["customer"]
    (row,) = rows(world_a, ticket=world_a.ticket)
    deliver_due_now()
    _track("delivered", row, customer.email)
    assert rows(world_a, pk=row.pk)[0].status == OutboxEmail.Status.DELIVERED
    _track("bounced", row, customer.email)
    bounced = rows(world_a, pk=row.pk)[0]
    assert bounced.status == OutboxEmail.Status.BOUNCED
    assert "mailbox does not exist" in bounced.last_error
    customer.refresh_from_db()
    assert customer.email_bounced_at is not None
    # Later mail to that address is recorded but not sent.
    mail.outbox.clear()
    ticket = world_a.submit(subject="After the bounce")
    deliver_due_now()
    (later,) = rows(world_a, ticket=ticket)
    assert later.status == OutboxEmail.Status.SUPPRESSED
    assert mail.outbox == []


def test_tracking_event_found_by_provider_id_when_metadata_is_missing(world_a):
    (row,) = rows(world_a, ticket=world_a.ticket)
    with tenant_context(world_a.tenant):
        OutboxEmail.objects.filter(pk=row.pk).update(
            status=OutboxEmail.Status.SENT, provider_message_id="esp-abc"
        )
    event = AnymailTrackingEvent(event_type="complained", message_id="esp-abc", recipient="x@y.z")
    tracking.send(sender=SimpleNamespace, event=event, esp_name="TestESP")
    assert rows(world_a, pk=row.pk)[0].status == OutboxEmail.Status.COMPLAINED


@pytest.mark.parametrize("event_type", ["opened", "clicked", "queued"])
def test_other_tracking_events_change_nothing(world_a, event_type):
    (row,) = rows(world_a, ticket=world_a.ticket)
    _track(event_type, row, "x@example.com")
    assert rows(world_a, pk=row.pk)[0].status == OutboxEmail.Status.PENDING


@pytest.mark.real_broker
def test_sweep_queues_due_rows_through_celery(world_a, monkeypatch):
    from outbox import services

    queued = []
    monkeypatch.setattr(
        services.celery_app, "send_task", lambda name, args: queued.append((name, args))
    )
    assert outbox_sweep() == 1
    (row,) = rows(world_a, ticket=world_a.ticket)
    assert ("outbox.tasks.send_email", (world_a.tenant.pk, row.pk)) in queued
    # The name is the task's real name, as the worker registers it.
    from outbox.tasks import send_email

    assert send_email.name == services.SEND_TASK
