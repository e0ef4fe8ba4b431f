"""The provider's inbound webhook (anymail, Mailgun's signed requests) routed by recipient, and
a mail loop with an auto-responder that answers everything."""

from __future__ import annotations

import hashlib
import hmac
import time
from base64 import b64encode

import pytest
from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from django.test import RequestFactory, override_settings

from inbox.models import InboundEmail, SupportAddress
from outbox.models import OutboxEmail
from outbox.services import _message
from tenants.context import tenant_context
from tests.inbox.test_ingest import compose, raw
from tickets.models import Ticket
from tickets.notifications import reply_address

pytestmark = pytest.mark.django_db

SIGNING_KEY = "mailgun-signing-key-for-tests"
SECRET = "anymail:webhook-secret"


def _signed(body_mime: str, recipient: str, *, key: str = SIGNING_KEY) -> dict:
    timestamp, token = str(int(time.time())), "t" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256)
    return {
        "body-mime": body_mime,
        "recipient": recipient,
        "sender": "casey@example.net",
        "timestamp": timestamp,
        "token": token,
        "signature": signature.hexdigest(),
    }


def _post(data: dict):
    auth = "Basic " + b64encode(SECRET.encode()).decode()
    request = RequestFactory().post("/anymail/mailgun/inbound/", data, HTTP_AUTHORIZATION=auth)
    with override_settings(
        ANYMAIL={"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}
    ):
        return MailgunInboundWebhookView.as_view()(request)


@pytest.fixture
def two_desks(world_a, world_b):
    with tenant_context(world_a.tenant):
        SupportAddress.objects.create(address="help@alpha-support.example")
    with tenant_context(world_b.tenant):
        SupportAddress.objects.create(address="help@beta-support.example")
    return world_a, world_b


def _received(world) -> list[InboundEmail]:
    with tenant_context(world.tenant):
        return list(InboundEmail.objects.select_related("ticket").order_by("pk"))


def test_a_signed_webhook_request_becomes_a_ticket_of_the_addressed_tenant(two_desks):
    world_a, world_b = two_desks
    response = _post(_signed(raw("plain.eml").decode(), "help@alpha-support.example"))
    assert response.status_code == 200
    [row] = _received(world_a)
    assert row.outcome == "ticket" and row.ticket.subject == "Backup stops at 40%"
    assert row.ticket.channel == Ticket.Channel.EMAIL
    assert _received(world_b) == []  # addressed to A: nothing in B
    # The same mail sent to B's address lands in B, and only there.
    to_b = (
        raw("multipart.eml")
        .decode()
        .replace("help@alpha-support.example", "help@beta-support.example")
    )
    assert _post(_signed(to_b, "help@beta-support.example")).status_code == 200
    [b_row] = _received(world_b)
    assert b_row.ticket.tenant_id == world_b.tenant.pk
    assert len(_received(world_a)) == 1


def test_a_badly_signed_or_unaddressed_request_imports_nothing(two_desks):
    world_a, _world_b = two_desks
    forged = _signed(raw("plain.eml").decode(), "help@alpha-support.example", key="wrong")
    # SuspiciousOperation: Django answers 400 (the view is called directly here).
    with pytest.raises(AnymailWebhookValidationFailure):
        _post(forged)
    nowhere = raw("plain.eml").decode().replace("help@alpha-support.example", "x@elsewhere.example")
    assert _post(_signed(nowhere, "x@elsewhere.example")).status_code == 200
    assert _received(world_a) == []


def test_a_reply_to_the_signed_reply_address_threads_by_the_address(two_desks):
    world_a, _world_b = two_desks
    with tenant_context(world_a.tenant):
        address = reply_address(world_a.ticket)
    mail = compose(
        sender=world_a.users["customer"].email, subject="Re: your ticket", body="Thanks!"
    )
    response = _post(_signed(mail.decode().replace("help@alpha-support.example", address), address))
    assert response.status_code == 200
    [row] = _received(world_a)
    assert row.outcome == "reply" and row.ticket.pk == world_a.ticket.pk


# --- Loops -----------------------------------------------------------------------------------


def _outgoing(world, recipient: str) -> list[OutboxEmail]:
    with tenant_context(world.tenant):
        return list(OutboxEmail.objects.filter(recipient=recipient).order_by("pk"))


@pytest.mark.parametrize("marks_itself", [True, False], ids=["rfc3834-responder", "unmarked"])
def test_an_auto_responder_that_answers_everything_stops_after_one_exchange(
    two_desks, marks_itself
):
    """A vacation responder answers every email it gets. Ours to it are Auto-Submitted (a
    well-behaved one would not answer at all); this one answers anyway, in the thread, either
    marking its answer (Auto-Submitted: auto-replied) or not. Either way the exchange stops."""
    world_a, _world_b = two_desks
    robot = "robot@example.org"
    first = compose(
        sender=robot, subject="Help", body="Please help.", Message_ID="<r-0@example.org>"
    )
    assert _post(_signed(first.decode(), "help@alpha-support.example")).status_code == 200
    answered: set[int] = set()
    sent_by_robot = 1
    for round_ in range(10):
        pending = [e for e in _outgoing(world_a, robot) if e.pk not in answered]
        if not pending:
            break
        for email in pending:
            answered.add(email.pk)
            with tenant_context(world_a.tenant):
                ours = _message(email).message()
            assert ours["Auto-Submitted"] == "auto-generated"
            headers = {
                "In_Reply_To": ours["Message-ID"],
                "References": ours["References"],
                "Message_ID": f"<r-{round_}-{email.pk}@example.org>",
            }
            if marks_itself:
                headers["Auto_Submitted"] = "auto-replied"
            reply = compose(
                sender=robot,
                subject=f"Out of office: {ours['Subject']}",
                body="I am away.",
                **headers,
            )
            _post(_signed(reply.decode(), "help@alpha-support.example"))
            sent_by_robot += 1
    assert len(_outgoing(world_a, robot)) == 1  # the one "we received your request"
    assert sent_by_robot == 2  # its first mail, and one answer to ours: then silence
    rows = _received(world_a)
    assert [r.outcome for r in rows] == ["ticket", "ignored" if marks_itself else "reply"]
    with tenant_context(world_a.tenant):
        assert Ticket.objects.filter(requester_email=robot).count() == 1
