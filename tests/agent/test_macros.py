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


def test_applying_a_macro_replies_and_sets_status_and_priority_in_one_click(
    world_a, macro, as_member
):
    client = as_member(world_a.users["agent"], world_a.tenant)
    number = world_a.ticket.number
    response = client.post(f"/agent/tickets/{number}/macros/{macro.pk}/", follow=True)
    assert "Applied “We need your logs”." in response.content.decode()
    ticket = world_a.refresh(world_a.ticket)
    assert (ticket.status, ticket.priority) == (Ticket.Status.PENDING, "high")
    with tenant_context(world_a.tenant):
        reply = ticket.comments.order_by("-id").first()
        assert reply.is_public and reply.body == "Please attach the **logs**."
        kinds = list(ticket.events.order_by("id").values_list("kind", flat=True))[-3:]
        assert kinds == ["priority_changed", "replied", "status_changed"]
        assert OutboxEmail.objects.filter(ticket=ticket, template="agent_reply").exists()


def test_customers_cannot_apply_or_manage_macros(world_a, macro, as_member):
    customer = as_member(world_a.users["customer"], world_a.tenant)
    number = world_a.ticket.number
    assert customer.post(f"/agent/tickets/{number}/macros/{macro.pk}/").status_code == 403
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


def test_a_macro_on_a_closed_ticket_is_refused_without_changes(world_a, macro, as_member):
    from tickets import lifecycle
    from tickets.lifecycle import Actor

    world_a.reply(world_a.ticket, "agent", "Done", submit_as="solved")
    with tenant_context(world_a.tenant):
        locked = Ticket.objects.select_for_update().get(pk=world_a.ticket.pk)
        lifecycle.transition(locked, "closed", actor_kind=Actor.AUTOMATION)
        events_before = TicketEvent.objects.filter(ticket=locked).count()
    client = as_member(world_a.users["agent"], world_a.tenant)
    response = client.post(f"/agent/tickets/{locked.number}/macros/{macro.pk}/", follow=True)
    assert "is closed" in response.content.decode()
    ticket = world_a.refresh(locked)
    assert (ticket.status, ticket.priority) == ("closed", "normal")
    with tenant_context(world_a.tenant):
        assert TicketEvent.objects.filter(ticket=locked).count() == events_before
