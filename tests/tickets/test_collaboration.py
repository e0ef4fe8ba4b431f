"""CCs, followers, @mentions, in-app notifications and the email preferences
(tickets/collaboration.py): who is told of what, and that nobody else is."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from accounts import tokens
from core.errors import Conflict, DomainError, InvalidInput, NotAllowed
from inbox import ingest
from inbox.models import SupportAddress
from outbox.models import OutboxEmail
from tenants.context import tenant_context
from tenants.models import Membership
from tickets import collaboration, collaboration_selectors, mentions
from tickets.lifecycle import InvalidTransition
from tickets.models import Notification, Ticket, TicketCC, TicketEvent
from tickets.notifications import reply_address
from tickets.services import ticket_assign, ticket_set_priority, tickets_claim_for_user

pytestmark = pytest.mark.django_db

CC = "colleague@example.net"


def handle(user) -> str:
    return "@" + user.email.split("@")[0]


def add_cc(world, email=CC, *, ticket=None, role="agent"):
    with tenant_context(world.tenant):
        return collaboration.ticket_cc_add(
            ticket=ticket or world.ticket,
            email=email,
            actor=world.users[role],
            membership=world.memberships[role],
        )


def emails(world, **filters) -> list[OutboxEmail]:
    with tenant_context(world.tenant):
        return list(OutboxEmail.objects.filter(**filters).order_by("pk"))


def notifications(world, **filters) -> list[Notification]:
    with tenant_context(world.tenant):
        return list(Notification.objects.filter(**filters).order_by("pk"))


def member(world, email: str, role=Membership.Role.CUSTOMER):
    """A person with a verified ``email`` who belongs to ``world``'s helpdesk."""
    user = get_user_model().objects.create_user(email=email, password="x" * 20, name="")
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    with tenant_context(world.tenant):
        Membership.objects.create(user=user, role=role)
    return user


def follow(world, role, ticket=None):
    with tenant_context(world.tenant):
        collaboration.ticket_follow(ticket=ticket or world.ticket, user=world.users[role])


# --- CCs get public replies, never notes ---------------------------------------------------------


def test_a_cc_gets_every_public_reply_and_never_an_internal_note(world_a):
    add_cc(world_a)
    world_a.reply(world_a.ticket, "agent", "Please update to 4.2 and retry.")
    world_a.reply(world_a.ticket, "agent", "Secret: the customer is on a legacy plan", public=False)
    world_a.reply(world_a.ticket, "agent", "It is fixed now.", submit_as="solved")

    to_cc = emails(world_a, recipient=CC)
    assert [e.template for e in to_cc] == ["agent_reply", "ticket_solved"]
    reply, solved = to_cc
    for email in to_cc:
        assert "legacy plan" not in email.body_text and "legacy plan" not in email.body_html
        assert "you are copied (CC)" in email.body_text
        assert "you are copied (CC)" in email.body_html
        assert email.reply_to.startswith("reply+")  # a CC answers by email, like the requester
    assert "Please update to 4.2 and retry." in reply.body_text
    assert "Please update to 4.2 and retry." in reply.body_html
    assert "It is fixed now." in solved.body_text and "It is fixed now." in solved.body_html
    # The requester got the same replies, without the CC line, under keys of their own.
    to_requester = emails(world_a, recipient=world_a.ticket.requester_email)
    assert [e.template for e in to_requester] == ["ticket_received", "agent_reply", "ticket_solved"]
    assert all("copied (CC)" not in e.body_text for e in to_requester)
    # No email anywhere carries the note.
    assert not [e for e in emails(world_a) if "legacy plan" in e.body_text + e.body_html]


def test_a_customer_reply_reaches_the_ccs_but_not_its_author(world_a):
    add_cc(world_a)
    add_cc(world_a, "second@example.net")
    world_a.reply(world_a.ticket, "customer", "Still failing after the update.")
    copies = emails(world_a, template="customer_reply_copy")
    assert sorted(e.recipient for e in copies) == [CC, "second@example.net"]
    assert all("Still failing after the update." in e.body_text for e in copies)
    assert all("Still failing after the update." in e.body_html for e in copies)


def test_a_reply_with_nobody_copied_sends_the_customer_nothing_new(world_a):
    before = len(emails(world_a))
    world_a.reply(world_a.ticket, "customer", "One more detail.")
    assert len(emails(world_a)) == before


# --- A CC's reply lands on the ticket ------------------------------------------------------------


@pytest.mark.parametrize("named_max", [200, 0], ids=["ids-named", "subquery"])
def test_my_tickets_lists_copied_tickets_by_id_or_by_subquery(
    world_a, as_member, monkeypatch, named_max
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tickets import selectors

    monkeypatch.setattr(selectors, "COPIED_NAMED_MAX", named_max)
    colleague = member(world_a, CC)
    client = as_member(colleague, world_a.tenant)
    assert world_a.ticket.subject not in client.get("/tickets/").content.decode()
    add_cc(world_a)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/tickets/?status=all").content.decode()
    assert world_a.ticket.subject in page
    listing = [q["sql"] for q in queries.captured_queries if "ORDER BY" in q["sql"]]
    listing = [sql for sql in listing if '"tickets_ticket"."updated_at" DESC' in sql]
    assert listing, "the list's query"
    # Few copies: their ids are in the list's query; past the limit, the CC table is asked.
    assert ('"tickets_ticketcc"' in listing[0]) == (named_max == 0)


def test_a_cc_with_an_account_reads_and_answers_the_ticket_on_the_portal(world_a, as_member):
    colleague = member(world_a, CC)
    client = as_member(colleague, world_a.tenant)
    url = f"/tickets/{world_a.ticket.number}/"
    assert client.get(url).status_code == 404  # not copied yet: not theirs
    add_cc(world_a)
    page = client.get(url).content.decode()
    assert world_a.ticket.subject in page
    assert f"internal note {world_a.marker}" not in page  # customers never see notes
    assert world_a.ticket.subject in client.get("/tickets/").content.decode()  # My tickets
    response = client.post(url, {"body": "Same problem on my laptop."})
    assert response.status_code == 302
    with tenant_context(world_a.tenant):
        comment = world_a.ticket.comments.order_by("pk").last()
        assert (comment.body, comment.author, comment.is_public) == (
            "Same problem on my laptop.",
            colleague,
            True,
        )
    # The requester is told of it (the CC wrote it), and the CC is not sent their own words.
    copies = emails(world_a, template="customer_reply_copy")
    assert [e.recipient for e in copies] == [world_a.ticket.requester_email]
    # The same rule for the API: one selector decides.
    with tenant_context(world_a.tenant):
        _token, raw = tokens.token_create(
            user=colleague, name="t", scope="read", expires_in_days=None
        )
    api = client.get(
        f"/api/v1/tickets/{world_a.ticket.number}/", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert api.status_code == 200


def test_a_cc_without_an_account_is_linked_when_they_join(world_a):
    add_cc(world_a)
    colleague = member(world_a, CC)
    with tenant_context(world_a.tenant):
        tickets_claim_for_user(user=colleague)
        assert TicketCC.objects.get(email=CC).user == colleague


def test_a_ccs_email_reply_lands_on_the_ticket_as_a_public_reply(world_a):
    add_cc(world_a)
    with tenant_context(world_a.tenant):
        SupportAddress.objects.create(address="help@alpha-support.example")
        to = reply_address(world_a.ticket)
    message = EmailMessage()
    message["From"] = "Colleague <Colleague@Example.net>"
    message["To"] = to
    message["Subject"] = f"Re: [#{world_a.ticket.number}] {world_a.ticket.subject}"
    message["Message-ID"] = "<cc-reply-1@example.net>"
    message.set_content("It also fails on our second server.")
    row = ingest.ingest(tenant=world_a.tenant, raw=message.as_bytes(), address=None)
    assert row.outcome == "reply"
    with tenant_context(world_a.tenant):
        comment = world_a.ticket.comments.order_by("pk").last()
        assert comment.is_public and comment.author_email == CC
        assert comment.body == "It also fails on our second server."
        assert Ticket.objects.get(pk=world_a.ticket.pk).last_public_reply_by == "customer"


def test_an_address_not_copied_still_only_leaves_an_internal_note(world_a):
    with tenant_context(world_a.tenant):
        to = reply_address(world_a.ticket)
    message = EmailMessage()
    message["From"] = "stranger@example.net"
    message["To"] = to
    message["Subject"] = "Re: your ticket"
    message.set_content("Let me in.")
    row = ingest.ingest(tenant=world_a.tenant, raw=message.as_bytes(), address=None)
    assert row.outcome == "note"


# --- The same rules as a requester's address -----------------------------------------------------


@pytest.mark.parametrize(
    ("email", "error", "words"),
    [
        ("", InvalidInput, "Enter an email address"),
        ("not an address", InvalidInput, "valid email"),
        ("a\x00b@example.net", InvalidInput, "valid email"),
        ("x" * 250 + "@example.net", InvalidInput, "valid email"),
        ("reply+x@" + "inbound.localhost", InvalidInput, "own address"),
    ],
)
def test_a_cc_must_be_a_valid_outside_address(world_a, settings, email, error, words):
    settings.INBOUND_EMAIL_DOMAIN = "inbound.localhost"
    with pytest.raises(error, match=words):
        add_cc(world_a, email)


def test_a_long_address_is_kept_whole(world_a):
    email = "0@" + ".".join(["a" * 63] * 3) + "." + "b" * 59
    assert len(email) == 253
    assert add_cc(world_a, email).email == email
    with tenant_context(world_a.tenant):
        event = world_a.ticket.events.get(kind="cc_added")
    assert event.data == {"email": email} and event.after.endswith("…")


def test_the_requester_an_agent_and_a_bounced_address_cannot_be_copied(world_a):
    with pytest.raises(InvalidInput, match="is the requester"):
        add_cc(world_a, world_a.ticket.requester_email.upper())
    with pytest.raises(InvalidInput, match="agents follow tickets instead"):
        add_cc(world_a, world_a.users["manager"].email)
    bounced = member(world_a, "bounced@example.net")
    bounced.email_bounced_at = timezone.now()
    bounced.save()
    with pytest.raises(InvalidInput, match="bounced"):
        add_cc(world_a, "Bounced@Example.net")


def test_addresses_are_normalised_unique_and_capped(world_a):
    cc = add_cc(world_a, "  Colleague@EXAMPLE.net ")
    assert cc.email == CC and cc.user is None
    with pytest.raises(Conflict, match="already copied"):
        add_cc(world_a, CC.upper())
    for i in range(TicketCC.MAX_PER_TICKET - 1):
        add_cc(world_a, f"person{i}@example.net")
    with pytest.raises(InvalidInput, match="at most 20"):
        add_cc(world_a, "one-too-many@example.net")
    with tenant_context(world_a.tenant):
        events = world_a.ticket.events.filter(kind="cc_added").count()
    assert events == TicketCC.MAX_PER_TICKET


def test_only_staff_and_the_requester_change_ccs_and_closed_tickets_stay_as_they_are(world_a):
    other = member(world_a, "other-customer@example.net")
    with tenant_context(world_a.tenant), pytest.raises(NotAllowed):
        collaboration.ticket_cc_add(
            ticket=world_a.ticket,
            email=CC,
            actor=other,
            membership=Membership.objects.get(user=other),
        )
    cc = add_cc(world_a, role="customer")  # the requester may
    with tenant_context(world_a.tenant):
        Ticket.objects.filter(pk=world_a.ticket.pk).update(
            status="closed", solved_at=timezone.now(), closed_at=timezone.now()
        )
        with pytest.raises(InvalidTransition):
            collaboration.ticket_cc_remove(
                ticket=world_a.ticket,
                cc_id=cc.pk,
                actor=world_a.users["agent"],
                membership=world_a.memberships["agent"],
            )
    with pytest.raises(InvalidTransition):
        add_cc(world_a, "late@example.net")


def test_removing_a_cc_stops_the_emails_and_is_on_the_timeline(world_a):
    cc = add_cc(world_a)
    with tenant_context(world_a.tenant):
        collaboration.ticket_cc_remove(
            ticket=world_a.ticket,
            cc_id=cc.pk,
            actor=world_a.users["customer"],
            membership=world_a.memberships["customer"],
        )
        kinds = list(world_a.ticket.events.values_list("kind", flat=True))
        with pytest.raises(DomainError, match="not copied"):
            collaboration.ticket_cc_remove(
                ticket=world_a.ticket,
                cc_id=cc.pk,
                actor=world_a.users["agent"],
                membership=world_a.memberships["agent"],
            )
    assert "cc_added" in kinds and "cc_removed" in kinds
    world_a.reply(world_a.ticket, "agent", "Answer after removal")
    assert emails(world_a, recipient=CC) == []


# --- Followers -----------------------------------------------------------------------------------


def test_a_follower_hears_of_every_update_but_their_own(world_a):
    follow(world_a, "manager")
    world_a.reply(world_a.ticket, "customer", "Any news?")
    world_a.reply(world_a.ticket, "agent", "Looking into it", public=False)
    # A reply that also changes the status is one update, not two.
    world_a.reply(world_a.ticket, "agent", "Please send logs", submit_as="pending")
    world_a.reply(world_a.ticket, "manager", "My own note", public=False)
    with tenant_context(world_a.tenant):
        ticket_set_priority(ticket=world_a.ticket, actor=world_a.users["agent"], priority="high")
    texts = [n.text for n in notifications(world_a, recipient=world_a.users["manager"])]
    number = world_a.ticket.number
    assert texts == [
        f"customer alpha replied publicly on #{number} {world_a.ticket.subject}",
        f"agent alpha added an internal note on #{number} {world_a.ticket.subject}",
        f"agent alpha replied publicly on #{number} {world_a.ticket.subject}",
        f"agent alpha set the priority to High on #{number} {world_a.ticket.subject}",
    ]
    mails = emails(world_a, recipient=world_a.users["manager"].email)
    assert [e.template for e in mails] == ["staff_ticket_update"] * 4
    assert "Looking into it" in mails[1].body_text and "Looking into it" in mails[1].body_html
    assert "My own note" not in "".join(e.body_text + e.body_html for e in mails)
    # Staff emails never thread into the ticket (no thread, no reply address).
    assert all(e.ticket_id is None and e.reply_to == "" for e in mails)
    # Nobody else was told.
    assert {n.recipient_id for n in notifications(world_a)} == {world_a.users["manager"].pk}


def test_a_follower_who_leaves_the_team_hears_nothing_more(world_a):
    follow(world_a, "manager")
    with tenant_context(world_a.tenant):
        Membership.objects.filter(user=world_a.users["manager"]).update(role="customer")
    world_a.reply(world_a.ticket, "agent", "A note a customer must not get", public=False)
    assert notifications(world_a) == []


def test_unfollowing_stops_the_notifications(world_a):
    follow(world_a, "manager")
    with tenant_context(world_a.tenant):
        assert collaboration.ticket_unfollow(ticket=world_a.ticket, user=world_a.users["manager"])
    world_a.reply(world_a.ticket, "agent", "After unfollowing")
    assert notifications(world_a) == []


def test_customers_cannot_follow(world_a):
    with tenant_context(world_a.tenant), pytest.raises(NotAllowed):
        collaboration.ticket_follow(ticket=world_a.ticket, user=world_a.users["customer"])


def test_assignment_by_someone_else_notifies_the_assignee(world_a):
    with tenant_context(world_a.tenant):
        ticket_assign(
            ticket=world_a.ticket, actor=world_a.users["manager"], assignee=world_a.users["agent"]
        )
        ticket_assign(
            ticket=world_a.ticket, actor=world_a.users["admin"], assignee=world_a.users["admin"]
        )
    (told,) = notifications(world_a)
    assert (told.recipient, told.kind) == (world_a.users["agent"], "assigned")
    (mail,) = emails(world_a, template="staff_ticket_assigned")
    assert mail.recipient == world_a.users["agent"].email
    assert "manager alpha assigned you" in mail.body_text
    assert "manager alpha assigned you" in mail.body_html


# --- Mentions ------------------------------------------------------------------------------------


def test_a_mention_in_a_note_notifies_that_agent_and_nobody_else(world_a):
    agent = world_a.users["agent"]
    follow(world_a, "agent")  # told once, of the mention
    world_a.reply(
        world_a.ticket, "manager", f"{handle(agent)}, can you check the logs?", public=False
    )
    (told,) = notifications(world_a)
    assert (told.recipient, told.kind, told.actor) == (agent, "mention", world_a.users["manager"])
    assert told.text.startswith("manager alpha mentioned you on #")
    (mail,) = emails(world_a, template="staff_mentioned")
    assert mail.recipient == agent.email
    assert "can you check the logs?" in mail.body_text
    assert "can you check the logs?" in mail.body_html
    assert emails(world_a, template="staff_ticket_update") == []


def test_a_mention_in_a_public_reply_notifies_nobody(world_a):
    agent = world_a.users["agent"]
    world_a.reply(world_a.ticket, "manager", f"My colleague {handle(agent)} will call you.")
    assert notifications(world_a) == []


def test_mentions_name_only_staff_of_this_helpdesk(world_a, world_b):
    customer = world_a.users["customer"]
    other = world_b.users["agent"]
    body = f"{handle(customer)} {handle(other)} {other.email} @{other.email} @nobody"
    world_a.reply(world_a.ticket, "manager", body, public=False)
    assert notifications(world_a) == []
    assert notifications(world_b) == []
    assert emails(world_b, template="staff_mentioned") == []


def test_the_mention_syntax():
    assert mentions.handles_in("hi @Alice, and @bob.smith. mail x@carol or @dave@Example.com!") == [
        "alice",
        "bob.smith",
        "dave@example.com",
    ]
    users = [
        type("U", (), {"email": "alice@one.example"})(),
        type("U", (), {"email": "alice@two.example"})(),
        type("U", (), {"email": "bob@one.example"})(),
    ]
    # A local part two colleagues share is ambiguous: only the whole address names them.
    assert mentions.mentioned("@alice @bob", users) == [users[2]]
    assert mentions.mentioned("@alice@two.example", users) == [users[1]]
    assert mentions.handle_of(users[0], users) == "alice@one.example"
    assert mentions.handle_of(users[2], users) == "bob"
    assert len(mentions.handles_in(" ".join(f"@p{i}" for i in range(500)))) == 20


# --- Preferences ---------------------------------------------------------------------------------


def test_preferences_switch_the_emails_off_but_keep_the_bell(world_a, as_member):
    agent = world_a.users["agent"]
    client = as_member(agent, world_a.tenant)
    page = client.get("/agent/notifications/settings/")
    assert page.status_code == 200 and "checked" in page.content.decode()
    response = client.post("/agent/notifications/settings/", {})  # every switch off
    assert response.status_code == 302
    follow(world_a, "agent")
    world_a.reply(world_a.ticket, "manager", f"{handle(agent)} look", public=False)
    world_a.reply(world_a.ticket, "customer", "An update")
    with tenant_context(world_a.tenant):
        ticket_assign(ticket=world_a.ticket, actor=world_a.users["manager"], assignee=agent)
    assert len(notifications(world_a, recipient=agent)) == 3
    assert emails(world_a, recipient=agent.email) == []
    # Switched on again: the emails come back.
    client.post("/agent/notifications/settings/", {"email_on_follow": "on"})
    world_a.reply(world_a.ticket, "customer", "Another update")
    assert [e.template for e in emails(world_a, recipient=agent.email)] == ["staff_ticket_update"]


# --- Tenants -------------------------------------------------------------------------------------


def test_a_cc_address_never_reaches_another_helpdesks_people(world_a, world_b, as_member):
    # B's customer's address copied on A's ticket: the address gets A's emails (it is just an
    # address), but B's account is not linked and sees nothing of A.
    b_customer = world_b.users["customer"]
    cc = add_cc(world_a, b_customer.email)
    assert cc.user is None
    client = as_member(b_customer, world_b.tenant)
    assert client.get(f"/tickets/{world_a.ticket.number}/", HTTP_HOST=world_a.host).status_code in (
        302,
        403,
        404,
    )
    with tenant_context(world_b.tenant):
        assert not TicketCC.objects.exists()
    world_a.reply(world_a.ticket, "agent", "For A's people")
    assert emails(world_b, recipient=b_customer.email, template="agent_reply") == []


def test_a_reply_to_a_team_notification_is_never_added_to_a_ticket(world_a):
    agent = world_a.users["agent"]
    world_a.reply(world_a.ticket, "manager", f"{handle(agent)} over to you", public=False)
    (mail,) = emails(world_a, template="staff_mentioned")
    message = EmailMessage()
    message["From"] = agent.email
    message["To"] = "help@alpha-support.example"
    message["Subject"] = "Re: " + mail.subject
    message["In-Reply-To"] = f"<outbox-{world_a.tenant.pk}-{mail.pk}@{settings.BASE_DOMAIN}>"
    message.set_content("ok, on it")
    with tenant_context(world_a.tenant):
        comments = world_a.ticket.comments.count()
        tickets = Ticket.objects.count()
    row = ingest.ingest(tenant=world_a.tenant, raw=message.as_bytes(), address=None)
    assert (row.outcome, row.reason) == ("ignored", "an answer to a team notification")
    with tenant_context(world_a.tenant):
        assert world_a.ticket.comments.count() == comments
        assert Ticket.objects.count() == tickets


# --- Pages and API -------------------------------------------------------------------------------


@pytest.mark.parametrize("kept_seconds", [0, 30])
def test_the_bell_the_list_opening_and_mark_all_read(world_a, as_member, settings, kept_seconds):
    """With the bell's number kept (NAV_COUNT_SECONDS), writing or reading a notification
    still changes it at once."""
    settings.NAV_COUNT_SECONDS = kept_seconds
    agent = world_a.users["agent"]
    client = as_member(agent, world_a.tenant)
    assert "data-unread" not in client.get("/agent/").content.decode()
    for i in range(3):
        world_a.reply(world_a.ticket, "manager", f"{handle(agent)} number {i}", public=False)
    assert (
        'data-unread>3<span class="visually-hidden"> unread'
        in client.get("/agent/").content.decode()
    )
    page = client.get("/agent/notifications/").content.decode()
    assert page.count("mentioned you on") == 3
    first = notifications(world_a)[0]
    response = client.get(f"/agent/notifications/{first.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/agent/tickets/{world_a.ticket.number}/"
    assert notifications(world_a, pk=first.pk)[0].read_at is not None
    assert "data-unread>2<span" in client.get("/agent/").content.decode()
    # Someone else's notification: 404, and it stays unread.
    other = as_member(world_a.users["admin"], world_a.tenant)
    second = notifications(world_a)[1]
    assert other.get(f"/agent/notifications/{second.pk}/").status_code == 404
    assert notifications(world_a, pk=second.pk)[0].read_at is None
    client.post("/agent/notifications/read-all/")
    assert not notifications(world_a, read_at__isnull=True)
    assert "data-unread" not in client.get("/agent/").content.decode()


def test_the_notification_list_pages_by_a_bounded_cursor(world_a, as_member, monkeypatch):
    monkeypatch.setattr(collaboration_selectors, "NOTIFICATIONS_PAGE", 2)
    agent = world_a.users["agent"]
    for i in range(3):
        world_a.reply(world_a.ticket, "manager", f"{handle(agent)} page {i}", public=False)
    client = as_member(agent, world_a.tenant)
    first = client.get("/agent/notifications/").content.decode()
    assert first.count("mentioned you on") == 2 and "Older notifications" in first
    oldest = notifications(world_a)[0]
    second = client.get(f"/agent/notifications/?before={oldest.pk + 1}").content.decode()
    assert second.count("mentioned you on") == 1 and "Older notifications" not in second
    for bad in ("x", "٣", "9" * 40, "-1"):
        assert client.get("/agent/notifications/", {"before": bad}).status_code == 200
    assert client.get("/agent/notifications/", {"before": "x\x00"}).status_code == 400


def test_ccs_and_following_from_the_agent_page(world_a, as_member):
    client = as_member(world_a.users["agent"], world_a.tenant)
    number = world_a.ticket.number
    client.post(f"/agent/tickets/{number}/cc/", {"email": CC})
    client.post(f"/agent/tickets/{number}/follow/", {"action": "follow"})
    page = client.get(f"/agent/tickets/{number}/").content.decode()
    assert CC in page and "Stop following" in page and 'list="mention-handles"' in page
    bad = client.post(f"/agent/tickets/{number}/cc/", {"email": "nope@"}, follow=True)
    assert "Enter a valid email address." in bad.content.decode()
    cc = add_cc(world_a, "two@example.net")
    client.post(f"/agent/tickets/{number}/cc/{cc.pk}/remove/")
    with tenant_context(world_a.tenant):
        assert list(TicketCC.objects.values_list("email", flat=True)) == [CC]


def test_the_requester_copies_a_colleague_from_the_portal(world_a, as_member):
    client = as_member(world_a.users["customer"], world_a.tenant)
    number = world_a.ticket.number
    page = client.get(f"/tickets/{number}/").content.decode()
    assert "Copy a colleague" in page
    response = client.post(f"/tickets/{number}/cc/", {"email": CC}, follow=True)
    assert f"{CC} will get the replies to this ticket." in response.content.decode()
    refused = client.post(
        f"/tickets/{number}/cc/", {"email": world_a.users["agent"].email}, follow=True
    )
    assert "agents follow tickets instead" in refused.content.decode()


def test_the_api_lists_and_adds_ccs_and_lists_followers_and_notifications(world_a):

    with tenant_context(world_a.tenant):
        _t, raw = tokens.token_create(
            user=world_a.users["agent"], name="t", scope="write", expires_in_days=None
        )
    api = Client(HTTP_HOST=world_a.host, HTTP_AUTHORIZATION=f"Bearer {raw}")
    base = f"/api/v1/tickets/{world_a.ticket.number}"
    made = api.post(f"{base}/ccs/", {"email": CC}, content_type="application/json")
    assert made.status_code == 201 and made.json()["email"] == CC
    assert [c["email"] for c in api.get(f"{base}/ccs/").json()] == [CC]
    refused = api.post(f"{base}/ccs/", {"email": "bad"}, content_type="application/json")
    assert refused.status_code == 400 and set(refused.json()) == {"code", "detail", "fields"}
    follow(world_a, "manager")
    assert [f["user"]["id"] for f in api.get(f"{base}/followers/").json()] == [
        world_a.users["manager"].pk
    ]
    world_a.reply(world_a.ticket, "manager", f"{handle(world_a.users['agent'])} hi", public=False)
    listed = api.get("/api/v1/notifications/?unread=true").json()
    assert [n["kind"] for n in listed["results"]] == ["mention"] and listed["next"] is None
    assert api.get("/api/v1/notifications/?unread=maybe").status_code == 400
    gone = api.delete(f"{base}/ccs/{made.json()['id']}/")
    assert gone.status_code == 204
    assert api.delete(f"{base}/ccs/{made.json()['id']}/").status_code == 404


def test_events_of_collaboration_are_registered(world_a):
    add_cc(world_a)
    follow(world_a, "agent")
    with tenant_context(world_a.tenant):
        kinds = set(world_a.ticket.events.values_list("kind", flat=True))
    assert {"cc_added", "followed"} <= kinds
    assert TicketEvent(kind="cc_added").kind_label == "CC added"
