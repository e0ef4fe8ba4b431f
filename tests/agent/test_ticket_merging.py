"""The agent's merge, split and link pages, and the merged ticket's pointer on both pages."""

from outbox.models import OutboxEmail
from tenants.context import tenant_context
from tickets.models import Ticket, TicketLink


def test_merge_asks_for_confirmation_with_both_tickets_then_merges(world_a, as_member):
    target = world_a.ticket
    source = world_a.submit(subject="Duplicate of the first", role="manager")
    agent = as_member(world_a.users["agent"], world_a.tenant)
    page = agent.get(f"/agent/tickets/{source.number}/")
    assert f'href="/agent/tickets/{source.number}/merge/"' in page.content.decode()

    review = agent.post(f"/agent/tickets/{source.number}/merge/", {"target": f"#{target.number}"})
    assert review.status_code == 200
    html = review.content.decode()
    for text in (source.subject, target.subject, source.requester_email, target.requester_email):
        assert text in html
    assert 'name="confirm" value="on"' in html
    world_a.refresh(source)
    assert source.status != "closed"  # nothing changes before the confirmation

    done = agent.post(
        f"/agent/tickets/{source.number}/merge/", {"target": target.number, "confirm": "on"}
    )
    assert done.status_code == 302 and done["Location"] == f"/agent/tickets/{target.number}/"
    assert world_a.refresh(source).merged_into_id == target.pk
    # A double submission changes nothing and sends nothing more.
    again = agent.post(
        f"/agent/tickets/{source.number}/merge/", {"target": target.number, "confirm": "on"}
    )
    assert again.status_code == 302
    with tenant_context(world_a.tenant):
        assert OutboxEmail.objects.filter(template="ticket_merged").count() == 1

    # Both pages of the source point at the target.
    source_page = agent.get(f"/agent/tickets/{source.number}/").content.decode()
    assert (
        f'This request was merged into <a href="/agent/tickets/{target.number}/">'
        f"#{target.number}</a>" in source_page
    )


def test_merge_refusals_are_form_errors_with_their_status(world_a, world_b, as_member):
    agent = as_member(world_a.users["agent"], world_a.tenant)
    url = f"/agent/tickets/{world_a.ticket.number}/merge/"
    for target, status, text in [
        ("", 400, "This field is required"),
        ("x\x00", 400, "NUL character"),  # refused before any view (core/middleware.py)
        ("١٢", 400, "Enter a ticket number"),
        ("9" * 400, 400, "Ensure this value has at most"),
        (str(world_a.ticket.number), 400, "into itself"),
        ("999999", 400, "There is no ticket #999999 here"),
    ]:
        response = agent.post(url, {"target": target, "confirm": "on"})
        assert response.status_code == status, target
        assert text in response.content.decode(), target
    world_a.refresh(world_a.ticket)
    assert world_a.ticket.status != "closed"
    # B's ticket numbers are A's too: a number always means this helpdesk's ticket.
    other = world_a.submit(subject="Another of A")
    assert agent.post(url, {"target": other.number}).status_code == 200


def test_customers_cannot_reach_the_merge_page(world_a, as_member):
    customer = as_member(world_a.users["customer"], world_a.tenant)
    response = customer.post(
        f"/agent/tickets/{world_a.ticket.number}/merge/", {"target": "2", "confirm": "on"}
    )
    assert response.status_code in (302, 403, 404)
    assert world_a.refresh(world_a.ticket).status != "closed"


def test_the_portal_shows_the_pointer_with_a_link_only_when_the_target_is_visible(
    world_a, as_member
):
    mine = world_a.submit(subject="My duplicate")
    my_other = world_a.submit(subject="My original")
    someone_else = world_a.submit(subject="Not mine", role="admin")  # shared org: off by default
    with tenant_context(world_a.tenant):
        from tickets import merging

        merging.ticket_merge(source=mine, target=my_other, actor=world_a.users["agent"])
        lone = world_a.submit(subject="Also a duplicate")
        merging.ticket_merge(source=lone, target=someone_else, actor=world_a.users["agent"])
    customer = as_member(world_a.users["customer"], world_a.tenant)
    page = customer.get(f"/tickets/{mine.number}/").content.decode()
    assert (
        f'This request was merged into <a href="/tickets/{my_other.number}/">#{my_other.number}'
        in page
    )
    # The merge copied the customer on the other ticket: they may read it, so it is a link;
    # once an agent takes them off it, the pointer stays and the link goes.
    page = customer.get(f"/tickets/{lone.number}/").content.decode()
    assert f'href="/tickets/{someone_else.number}/"' in page
    with tenant_context(world_a.tenant):
        from tickets import collaboration
        from tickets.models import TicketCC

        cc = TicketCC.objects.get(ticket=someone_else)
        collaboration.ticket_cc_remove(
            ticket=someone_else,
            cc_id=cc.pk,
            actor=world_a.users["agent"],
            membership=world_a.memberships["agent"],
        )
    page = customer.get(f"/tickets/{lone.number}/").content.decode()
    assert f"This request was merged into #{someone_else.number}." in page
    assert f'href="/tickets/{someone_else.number}/"' not in page
    assert "Not mine" not in page


def test_link_and_unlink_with_plain_forms_and_with_htmx(world_a, as_member):
    ticket, other = world_a.ticket, world_a.submit(subject="A related problem")
    agent = as_member(world_a.users["agent"], world_a.tenant)
    url = f"/agent/tickets/{ticket.number}/links/"
    response = agent.post(url, {"action": "link", "ticket": f"#{other.number}"})
    assert response.status_code == 302 and response["Location"].endswith("#links")
    # Both pages show the link, with its subject and status.
    for here, there in ((ticket, other), (other, ticket)):
        page = agent.get(f"/agent/tickets/{here.number}/").content.decode()
        assert (
            f'<a href="/agent/tickets/{there.number}/">#{there.number}</a> {there.subject}' in page
        )
    # htmx: the card comes back in place, refusals inside it.
    card = agent.post(url, {"action": "link", "ticket": ticket.number}, HTTP_HX_REQUEST="true")
    assert card.status_code == 200 and card["X-Refusal-Status"] == "400"
    assert "cannot be linked to itself" in card.content.decode()
    card = agent.post(url, {"action": "unlink", "ticket": other.number}, HTTP_HX_REQUEST="true")
    assert card.status_code == 200 and "X-Refusal-Status" not in card
    assert f"Link to #{other.number} removed." in card.content.decode()
    assert 'id="links"' in card.content.decode()
    with tenant_context(world_a.tenant):
        assert not TicketLink.objects.exists()
    response = agent.post(url, {"action": "unlink", "ticket": other.number}, follow=True)
    assert "are not linked" in response.content.decode()
    assert agent.post(url, {"action": "other", "ticket": "1"}).status_code == 302


def test_split_page_proposes_a_subject_and_makes_the_new_ticket(world_a, as_member):
    ticket = world_a.ticket
    world_a.reply(ticket, "customer", "## Second problem\nMy license expired too.")
    with tenant_context(world_a.tenant):
        comment = ticket.comments.get(body__startswith="## Second")
    agent = as_member(world_a.users["agent"], world_a.tenant)
    page = agent.get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert f"/agent/tickets/{ticket.number}/split/?comment={comment.pk}" in page
    form = agent.get(f"/agent/tickets/{ticket.number}/split/?comment={comment.pk}")
    assert form.status_code == 200
    assert 'value="Second problem"' in form.content.decode()
    response = agent.post(
        f"/agent/tickets/{ticket.number}/split/",
        {"comment": comment.pk, "subject": "License expired"},
    )
    with tenant_context(world_a.tenant):
        new = Ticket.objects.get(subject="License expired")
    assert response.status_code == 302 and response["Location"] == f"/agent/tickets/{new.number}/"
    # Refusals: a note, a message of no ticket here, hostile ids.
    with tenant_context(world_a.tenant):
        note = ticket.comments.get(is_public=False)
    refused = agent.get(f"/agent/tickets/{ticket.number}/split/?comment={note.pk}")
    assert refused.status_code == 409 and "Internal notes stay" in refused.content.decode()
    for value in ("", "²", "-1", "9" * 30, str(comment.pk)):
        response = agent.post(
            f"/agent/tickets/{ticket.number}/split/", {"comment": value, "subject": "x"}
        )
        assert response.status_code == 404, value
