import pytest

from outbox.models import OutboxEmail
from tenants.context import tenant_context
from tickets.models import Macro, Ticket, TicketEvent


@pytest.fixture
def macro(world_a):
    with tenant_context(world_a.tenant):
        return Macro.objects.create(
            name="We need your logs",
            body="Please attach the **logs**.",
            submit_as="pending",
            priority="high",
        )


def test_a_macro_fills_the_reply_box_and_sends_nothing(world_a, macro, as_member):
    """Defect 5: one click used to post the reply at once. Now it fills text, status and
    priority into the reply form; the ticket and the outbox are untouched until Send."""
    client = as_member(world_a.users["agent"], world_a.tenant)
    number = world_a.ticket.number
    with tenant_context(world_a.tenant):
        events_before = world_a.ticket.events.count()
        emails_before = OutboxEmail.objects.count()
    response = client.get(f"/agent/tickets/{number}/?macro={macro.pk}")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Filled in from the macro <strong>We need your logs</strong>" in page
    form = response.context["form"]
    assert form["body"].value() == "Please attach the **logs**."
    assert (form["submit_as"].value(), form["priority"].value()) == ("pending", "high")
    assert '<option value="pending" selected>' in page and '<option value="high" selected>' in page
    ticket = world_a.refresh(world_a.ticket)
    assert (ticket.status, ticket.priority) == (Ticket.Status.NEW, "normal")
    with tenant_context(world_a.tenant):
        assert world_a.ticket.events.count() == events_before
        assert OutboxEmail.objects.count() == emails_before


def test_the_agent_edits_the_filled_reply_and_sends_it(world_a, macro, as_member):
    client = as_member(world_a.users["agent"], world_a.tenant)
    number = world_a.ticket.number
    response = client.post(
        f"/agent/tickets/{number}/",
        {
            "public": "1",
            "body": "Please attach the **logs** from last night.",
            "submit_as": "pending",
            "priority": "high",
        },
        follow=True,
    )
    assert "Sent." in response.content.decode()
    ticket = world_a.refresh(world_a.ticket)
    assert (ticket.status, ticket.priority) == (Ticket.Status.PENDING, "high")
    with tenant_context(world_a.tenant):
        reply = ticket.comments.order_by("-id").first()
        assert reply.is_public and reply.body == "Please attach the **logs** from last night."
        kinds = set(ticket.events.order_by("-id").values_list("kind", flat=True)[:4])
        assert {"replied", "status_changed", "priority_changed"} <= kinds
        assert OutboxEmail.objects.filter(ticket=ticket, template="agent_reply").exists()


def test_an_unknown_or_foreign_macro_fills_nothing(world_a, world_b, as_member):
    with tenant_context(world_b.tenant):
        foreign = Macro.objects.create(name="B only", body="secret b text")
    client = as_member(world_a.users["agent"], world_a.tenant)
    for value in (foreign.pk, "x", "\u0661", "9" * 30):
        response = client.get(f"/agent/tickets/{world_a.ticket.number}/?macro={value}")
        assert response.status_code == 200
        page = response.content.decode()
        assert "That macro no longer exists." in page and "secret b text" not in page
        assert response.context["form"]["body"].value() in (None, "")


def test_customers_cannot_apply_or_manage_macros(world_a, macro, as_member):
    customer = as_member(world_a.users["customer"], world_a.tenant)
    number = world_a.ticket.number
    assert customer.post(f"/agent/tickets/{number}/macros/{macro.pk}/").status_code == 403
    assert customer.get(f"/agent/tickets/{number}/?macro={macro.pk}").status_code == 403
    agent = as_member(world_a.users["agent"], world_a.tenant)
    assert agent.get("/agent/macros/").status_code == 403  # managing is for managers


def test_managers_create_edit_and_delete_macros_with_validation(world_a, macro, as_member):
    manager = as_member(world_a.users["manager"], world_a.tenant)
    created = manager.post(
        "/agent/macros/", {"name": "Update the app", "body": "Please update.", "position": 1}
    )
    assert created.status_code == 302
    duplicate = manager.post(
        "/agent/macros/", {"name": "we need your LOGS", "body": "x", "position": 0}
    )
    assert (
        duplicate.status_code == 400
        and "Another macro has this name." in duplicate.content.decode()
    )
    manager.post(f"/agent/macros/{macro.pk}/", {"delete": "1"})
    with tenant_context(world_a.tenant):
        assert list(Macro.objects.values_list("name", flat=True)) == ["Update the app"]


def test_a_closed_ticket_offers_no_reply_box_and_the_old_macro_link_changes_nothing(
    world_a, macro, as_member
):
    from tickets import lifecycle
    from tickets.lifecycle import Actor

    world_a.reply(world_a.ticket, "agent", "Done", submit_as="solved")
    with tenant_context(world_a.tenant):
        locked = Ticket.objects.select_for_update().get(pk=world_a.ticket.pk)
        lifecycle.transition(locked, "closed", actor_kind=Actor.AUTOMATION)
        events_before = TicketEvent.objects.filter(ticket=locked).count()
    client = as_member(world_a.users["agent"], world_a.tenant)
    # The old one-click endpoint now only leads to the filled form.
    response = client.post(f"/agent/tickets/{locked.number}/macros/{macro.pk}/")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/agent/tickets/{locked.number}/?macro={macro.pk}#reply")
    page = client.get(response["Location"]).content.decode()
    assert "Closed tickets do not change." in page and 'id="reply"' not in page
    ticket = world_a.refresh(locked)
    assert (ticket.status, ticket.priority) == ("closed", "normal")
    with tenant_context(world_a.tenant):
        assert TicketEvent.objects.filter(ticket=locked).count() == events_before


def test_a_reply_and_its_priority_go_together_or_not_at_all(world_a):
    from core.errors import InvalidInput, NotAllowed
    from tickets.services import ticket_reply

    with tenant_context(world_a.tenant):
        comments = world_a.ticket.comments.count()
        with pytest.raises(InvalidInput):
            ticket_reply(
                ticket=world_a.ticket,
                author=world_a.users["agent"],
                membership=world_a.memberships["agent"],
                body="With a bad priority",
                priority="sky-high",
            )
        with pytest.raises(NotAllowed):
            ticket_reply(
                ticket=world_a.ticket,
                author=world_a.users["customer"],
                membership=world_a.memberships["customer"],
                body="Customers do not set priorities",
                priority="urgent",
            )
        assert world_a.ticket.comments.count() == comments
    ticket = world_a.refresh(world_a.ticket)
    assert (ticket.status, ticket.priority) == (Ticket.Status.NEW, "normal")
