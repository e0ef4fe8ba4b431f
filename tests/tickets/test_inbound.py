from anymail.inbound import AnymailInboundMessage

from outbox.models import OutboxEmail
from tenants.context import tenant_context
from tickets.inbound import handle_reply, strip_quoted
from tickets.models import Ticket
from tickets.notifications import reply_address

S = Ticket.Status


def reply_to_address(world, ticket):
    with tenant_context(world.tenant):
        return reply_address(ticket)


def inbound(world, ticket, sender, text, to=None):
    message = AnymailInboundMessage.construct(
        from_email=sender, to=to or reply_to_address(world, ticket), subject="Re", text=text
    )
    return handle_reply(message)


def test_requester_reply_by_email_reopens_a_solved_ticket(world_a):
    world_a.reply(world_a.ticket, "agent", "Fixed?", submit_as=S.SOLVED)
    text = "Not fixed, sorry.\n\nOn Mon, Support wrote:\n> Fixed?\n"
    landed = inbound(world_a, world_a.ticket, world_a.users["customer"].email, text)
    assert landed.pk == world_a.ticket.pk and landed.status == S.OPEN
    with tenant_context(world_a.tenant):
        assert landed.comments.order_by("-id").first().body == "Not fixed, sorry."
        assert landed.events.filter(kind="replied", data__via="email").exists()


def test_anonymous_requester_can_reply_by_email(world_a):
    ticket = world_a.submit(role=None, email="nobody@example.org")
    landed = inbound(world_a, ticket, "Nobody@Example.org", "More details here")
    assert landed.status == S.OPEN
    with tenant_context(world_a.tenant):
        comment = landed.comments.order_by("-id").first()
    assert comment.author is None and comment.author_email == "nobody@example.org"


def test_email_reply_to_a_closed_ticket_creates_the_follow_up(world_a):
    from tickets import lifecycle
    from tickets.lifecycle import Actor

    world_a.reply(world_a.ticket, "agent", "Done", submit_as=S.SOLVED)
    with tenant_context(world_a.tenant):
        closed = Ticket.objects.select_for_update().get(pk=world_a.ticket.pk)
        lifecycle.transition(closed, S.CLOSED, actor_kind=Actor.AUTOMATION)
    landed = inbound(world_a, closed, world_a.users["customer"].email, "Broken again")
    assert landed.follow_up_of_id == closed.pk
    with tenant_context(world_a.tenant):
        assert OutboxEmail.objects.filter(ticket=landed, template="follow_up_created").exists()


def test_strangers_and_forged_addresses_are_ignored(world_a, world_b):
    assert inbound(world_a, world_a.ticket, "mallory@example.com", "hi") is None
    forged = reply_to_address(world_a, world_a.ticket).replace(".1.", ".2.")
    assert inbound(world_a, world_a.ticket, world_a.users["customer"].email, "x", to=forged) is None
    # A member of B cannot reply into A's ticket even with A's real address.
    assert inbound(world_a, world_a.ticket, world_b.users["agent"].email, "x") is None
    with tenant_context(world_a.tenant):
        assert world_a.ticket.comments.count() == 2  # description + the world's note


def test_staff_reply_by_email_is_a_public_agent_reply(world_a):
    landed = inbound(world_a, world_a.ticket, world_a.users["agent"].email, "We are on it")
    assert landed.status == S.OPEN and landed.first_replied_at is not None


def test_quoted_text_is_stripped():
    assert strip_quoted("Thanks!\n-----Original Message-----\nold") == "Thanks!"
    assert strip_quoted("A\nB\n> quoted") == "A\nB"


def test_an_email_reply_with_nul_and_past_the_body_limit_loses_nothing(world_a):
    from core.inputs import MAX_BODY_CHARS

    text = "Log follows\x00\n" + "line of a very long pasted log\n" * 3000
    landed = inbound(world_a, world_a.ticket, world_a.users["customer"].email, text)
    assert landed.pk == world_a.ticket.pk
    with tenant_context(world_a.tenant):
        comment = landed.comments.order_by("-id").first()
        (attachment,) = comment.attachments.all()
        whole = attachment.file.read().decode()
    assert len(comment.body) == MAX_BODY_CHARS and "\x00" not in comment.body
    assert comment.body.startswith("Log follows\ufffd\n")
    assert comment.body.endswith("its whole text is in message.txt.]")
    assert attachment.original_name == "message.txt"
    assert whole == strip_quoted(text).replace("\x00", "\ufffd")
