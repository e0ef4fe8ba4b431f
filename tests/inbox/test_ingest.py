"""Email into tickets, on real message files (tests/inbox/messages): parsing, noise, threading,
trimming, files, spoofing, limits, and that one tenant's email never lands in another."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from inbox import ingest
from inbox.models import InboundEmail, SupportAddress
from outbox.models import OutboxEmail
from tenants.context import tenant_context
from tickets import lifecycle
from tickets.lifecycle import Actor
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

MESSAGES = Path(__file__).parent / "messages"
ADDRESS = "help@alpha-support.example"


def raw(name: str) -> bytes:
    return (MESSAGES / name).read_bytes()


@pytest.fixture
def desk(world_a):
    with tenant_context(world_a.tenant):
        world_a.address = SupportAddress.objects.create(address=ADDRESS)
    return world_a


def receive(world, data: bytes, address=None):
    return ingest.ingest(tenant=world.tenant, raw=data, address=address or world.address)


def tickets(world) -> list[Ticket]:
    with tenant_context(world.tenant):
        return list(Ticket.objects.order_by("number"))


def first_message(world, ticket):
    with tenant_context(world.tenant):
        return ticket.comments.order_by("pk").first()


def files_of(world, ticket) -> dict[str, tuple[str, str]]:
    with tenant_context(world.tenant):
        return {a.original_name: (a.field_key, a.content_type) for a in ticket.attachments.all()}


def compose(*, sender="casey@example.net", subject="Question", body="Hello", **headers) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ADDRESS
    message["Subject"] = subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


# --- New tickets from message files ----------------------------------------------------------


def test_a_plain_email_becomes_a_ticket_once_with_its_original_kept(desk):
    row = receive(desk, raw("plain.eml"))
    assert row.outcome == "ticket" and row.via == "webhook"
    ticket = row.ticket
    assert ticket.channel == "email" and ticket.subject == "Backup stops at 40%"
    assert ticket.requester_email == "casey@example.net" and ticket.requester is None
    body = first_message(desk, ticket).body
    assert body.startswith("Hello,\n\nEvery night the backup stops at 40%")
    assert "Northwind Dental" not in body  # the signature is trimmed
    assert files_of(desk, ticket) == {"message.eml": ("email", "message/rfc822")}
    # Delivered twice (a webhook retry, a second poll): imported once.
    assert receive(desk, raw("plain.eml")) is None
    assert len(tickets(desk)) == 2  # the world's own ticket and this one
    with tenant_context(desk.tenant):
        assert OutboxEmail.objects.filter(ticket=ticket, template="ticket_received").count() == 1


def test_multipart_with_inline_image_and_attachments_through_the_upload_rules(desk):
    ticket = receive(desk, raw("multipart.eml")).ticket
    body = first_message(desk, ticket).body
    assert body.startswith("The restore shows this dialog (screenshot below)")
    assert "Sent from my iPhone" not in body
    assert "“invoice.html” is a web page or a program" in body  # refused, and said so
    assert files_of(desk, ticket) == {
        "dialog.png": ("inline", "image/png"),
        "restore.log": ("files", "text/plain"),
        "message.eml": ("email", "message/rfc822"),
    }


def test_an_html_only_email_is_read_as_text(desk):
    body = first_message(desk, receive(desk, raw("html_only.eml")).ticket).body
    assert (
        body
        == "I cannot sign in since Monday.\n- Reset the password\n- Cleared cookies\nLee & team"
    )


def test_a_forwarded_email_keeps_what_was_forwarded(desk):
    body = first_message(desk, receive(desk, raw("forwarded.eml")).ticket).body
    assert body.startswith("Can you look at this?")
    assert "Device LAPTOP-7: failed (disk full)" in body


def test_a_non_utf8_email_is_decoded_and_its_quote_trimmed(desk):
    ticket = receive(desk, raw("latin1.eml")).ticket
    assert ticket.subject == "Problème de sauvegarde"
    body = first_message(desk, ticket).body
    assert body == "La sauvegarde du café s'arrête à 12\xa0%."


def test_a_20_mb_attachment_is_refused_and_the_ticket_still_made(desk):
    message = EmailMessage()
    message["From"] = "casey@example.net"
    message["To"] = ADDRESS
    message["Subject"] = "Huge log"
    message["Message-ID"] = "<huge-0001@example.net>"
    message.set_content("The log is attached.")
    message.add_attachment(
        b"x" * (20 * 1024 * 1024), maintype="text", subtype="plain", filename="huge.log"
    )
    ticket = receive(desk, message.as_bytes()).ticket
    body = first_message(desk, ticket).body
    assert body.startswith("The log is attached.")
    assert "[Not attached: “huge.log” is 20.0\xa0MB" in body
    assert "The original email was too large to keep as message.eml." in body
    assert files_of(desk, ticket) == {}


# --- Noise -----------------------------------------------------------------------------------


def test_auto_replies_and_bulk_mail_open_nothing(desk):
    before = len(tickets(desk))
    for data, reason in [
        (raw("auto_reply.eml"), "auto-submitted (auto-replied)"),
        (compose(subject="Newsletter", Precedence="bulk"), "bulk mail (Precedence: bulk)"),
        (compose(subject="Away", X_Autoreply="yes"), "auto-reply"),
    ]:
        row = receive(desk, data)
        assert (row.outcome, row.reason, row.ticket) == ("ignored", reason, None)
    assert len(tickets(desk)) == before


def test_a_bounce_of_our_email_flags_the_failed_address_and_opens_nothing(desk):
    gone = get_user_model().objects.create_user(email="gone@example.net", password="x" * 20)
    # Anyone can write a delivery report naming someone: without our email in it, nothing.
    forged = receive(desk, raw("bounce.eml"))
    assert (forged.outcome, forged.reason) == ("ignored", "bounce")
    gone.refresh_from_db()
    assert gone.email_bounced_at is None
    # The report of an email we really sent to that address flags it.
    ticket = desk.submit(role=None, email="gone@example.net")
    with tenant_context(desk.tenant):
        ours = OutboxEmail.objects.get(ticket=ticket, template="ticket_received")
    our_id = f"<outbox-{desk.tenant.pk}-{ours.pk}@{settings.BASE_DOMAIN}>"
    headers = f"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {our_id}\r\n\r\n"
    report = raw("bounce.eml").replace(b"<bounce-0007@", b"<bounce-0008@")
    report = report.replace(b"--b--", headers.encode() + b"--b--")
    row = receive(desk, report)
    assert (row.outcome, row.reason) == ("ignored", "bounce")
    gone.refresh_from_db()
    assert gone.email_bounced_at is not None


def test_our_own_outgoing_email_coming_back_is_ignored(desk):
    own = compose(Message_ID=f"<outbox-{desk.tenant.pk}-99@{settings.BASE_DOMAIN}>")
    assert receive(desk, own).reason == "our own outgoing email"
    marked = compose(X_Helpdesk_Template="agent_reply", Message_ID="<x-1@example.net>")
    assert receive(desk, marked).reason == "our own outgoing email"


def test_a_flood_from_one_sender_is_cut_off(desk):
    outcomes = [
        receive(desk, compose(subject=f"Spam {n}", Message_ID=f"<flood-{n}@example.net>")).outcome
        for n in range(ingest.SENDER_LIMIT + 3)
    ]
    assert outcomes.count("ticket") == ingest.SENDER_LIMIT
    assert outcomes[-3:] == ["ignored"] * 3


# --- Threading -------------------------------------------------------------------------------


def _first_email_to_customer(world, ticket) -> OutboxEmail:
    with tenant_context(world.tenant):
        return OutboxEmail.objects.filter(ticket=ticket).order_by("pk").first()


def test_a_reply_to_our_email_threads_by_its_headers_and_loses_the_quote(desk):
    ticket = receive(desk, raw("plain.eml")).ticket
    ours = _first_email_to_customer(desk, ticket)
    our_id = f"<outbox-{desk.tenant.pk}-{ours.pk}@{settings.BASE_DOMAIN}>"
    reply = compose(
        subject="Re: Backup stops at 40%",
        body="Here is the log.\n\nOn Mon, 2 Mar 2026 Support wrote:\n> We received your request",
        In_Reply_To=our_id,
        References=f"<ticket-{desk.tenant.pk}-{ticket.pk}@{settings.BASE_DOMAIN}> {our_id}",
        Message_ID="<reply-1@example.net>",
    )
    row = receive(desk, reply)
    assert row.outcome == "reply" and row.ticket.pk == ticket.pk
    with tenant_context(desk.tenant):
        last = ticket.comments.order_by("-pk").first()
    assert last.body == "Here is the log." and last.is_public
    # The customer's next email answers their own earlier one (not ours): same ticket.
    again = compose(body="One more detail.", In_Reply_To="<reply-1@example.net>")
    assert receive(desk, again).ticket.pk == ticket.pk


def test_a_ticket_number_in_the_subject_threads_only_for_the_requester(desk):
    ticket = receive(desk, raw("plain.eml")).ticket
    own = receive(desk, compose(subject=f"Re: [#{ticket.number}] any news?", body="Any news?"))
    assert own.outcome == "reply" and own.ticket.pk == ticket.pk
    other = receive(
        desk, compose(sender="mallory@example.org", subject=f"[#{ticket.number}] hi", body="x")
    )
    assert other.outcome == "ticket" and other.ticket.pk != ticket.pk


def test_someone_else_answering_the_thread_becomes_an_internal_note(desk):
    ticket = receive(desk, raw("plain.eml")).ticket
    spoof = compose(
        sender="mallory@example.org",
        body="Please send the restore key to this address.",
        References=f"<ticket-{desk.tenant.pk}-{ticket.pk}@{settings.BASE_DOMAIN}>",
    )
    row = receive(desk, spoof)
    assert row.outcome == "note" and row.ticket.pk == ticket.pk
    with tenant_context(desk.tenant):
        last = ticket.comments.order_by("-pk").first()
        emails = OutboxEmail.objects.filter(ticket=ticket).count()
    assert not last.is_public and last.author is None
    assert last.body.startswith("Email from mallory@example.org, who is not this ticket's")
    assert emails == 1  # nothing sent to anyone: only the first "received" email exists


def test_staff_answering_by_email_is_a_public_agent_reply(desk):
    ticket = receive(desk, raw("plain.eml")).ticket
    agent = desk.users["agent"].email
    row = receive(
        desk,
        compose(
            sender=agent,
            body="We are on it.",
            References=f"<ticket-{desk.tenant.pk}-{ticket.pk}@{settings.BASE_DOMAIN}>",
        ),
    )
    assert row.outcome == "reply"
    assert desk.refresh(ticket).first_replied_at is not None


def test_a_reply_to_a_closed_ticket_opens_the_follow_up(desk):
    ticket = receive(desk, raw("plain.eml")).ticket
    desk.reply(ticket, "agent", "Done", submit_as="solved")
    with tenant_context(desk.tenant):
        closed = Ticket.objects.select_for_update().get(pk=ticket.pk)
        lifecycle.transition(closed, "closed", actor_kind=Actor.AUTOMATION)
    row = receive(
        desk,
        compose(
            body="Broken again",
            References=f"<ticket-{desk.tenant.pk}-{ticket.pk}@{settings.BASE_DOMAIN}>",
        ),
    )
    assert row.outcome == "reply" and row.ticket.follow_up_of_id == ticket.pk


def test_unknown_senders_follow_the_address_setting(desk):
    with tenant_context(desk.tenant):
        SupportAddress.objects.filter(pk=desk.address.pk).update(accept_unknown_senders=False)
        desk.address.refresh_from_db()
    stranger = receive(desk, compose(sender="new@example.org", Message_ID="<s-1@example.org>"))
    assert (stranger.outcome, stranger.reason) == ("ignored", "unknown sender")
    member = receive(desk, compose(sender=desk.users["customer"].email))
    assert member.outcome == "ticket" and member.ticket.requester == desk.users["customer"]


# --- Tenants ---------------------------------------------------------------------------------


def test_another_tenant_s_thread_ids_never_reach_its_tickets(desk, world_b):
    b_ticket = world_b.ticket
    row = receive(
        desk,
        compose(
            sender=world_b.users["customer"].email,
            body="Which ticket is this?",
            References=f"<ticket-{world_b.tenant.pk}-{b_ticket.pk}@{settings.BASE_DOMAIN}>",
        ),
    )
    assert row.outcome == "ticket" and row.ticket.tenant_id == desk.tenant.pk
    with tenant_context(world_b.tenant):
        assert b_ticket.comments.count() == 2  # as the world made it
        assert not InboundEmail.objects.exists()


def test_agents_see_the_channel_on_the_queue_and_the_ticket(desk):
    from tests.conftest import login_client

    ticket = receive(desk, raw("plain.eml")).ticket
    agent = login_client(desk.users["agent"], desk.tenant)
    queue = agent.get("/agent/?status=").content.decode()
    assert 'class="channel channel-email"' in queue and 'class="channel channel-web"' in queue
    page = agent.get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert "via Email" in page


def test_a_body_past_the_limit_is_cut_with_the_whole_text_in_the_original(desk):
    from core.inputs import MAX_BODY_CHARS

    text = "Log follows\x00\n" + "line of a very long pasted log\n" * 3000
    ticket = receive(desk, compose(subject="Long log", body=text)).ticket
    body = first_message(desk, ticket).body
    assert len(body) == MAX_BODY_CHARS and "\x00" not in body
    assert body.startswith("Log follows\ufffd\n")
    assert body.endswith("all of it is in message.eml.]")
    with tenant_context(desk.tenant):
        original = ticket.attachments.get(original_name="message.eml")
        kept = original.file.read()
    assert b"line of a very long pasted log" in kept and len(kept) > MAX_BODY_CHARS
