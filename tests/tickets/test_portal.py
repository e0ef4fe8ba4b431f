"""The customer portal: my tickets, the ticket page, replies, follow-ups, files, claiming."""

import re

from django.core import mail
from django.test import Client

from tenants.context import tenant_context
from tenants.models import Membership
from tests.conftest import PASSWORD
from tickets.models import Ticket

S = Ticket.Status


def test_my_tickets_needs_an_account(world_a):
    response = Client(HTTP_HOST=world_a.host).get("/tickets/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_my_tickets_lists_only_my_tickets_with_status_filters(world_a, as_member):
    mine_open = world_a.ticket
    mine_solved = world_a.submit(subject="Solved one")
    world_a.reply(mine_solved, "agent", "Fixed", submit_as=S.SOLVED)
    theirs = world_a.submit(subject="Someone else's", role="manager")
    client = as_member(world_a.users["customer"], world_a.tenant)
    default = client.get("/tickets/").content.decode()
    assert mine_open.subject in default and "Solved one" not in default
    assert theirs.subject not in default
    solved = client.get("/tickets/?status=solved").content.decode()
    assert "Solved one" in solved and mine_open.subject not in solved
    everything = client.get("/tickets/?status=all").content.decode()
    assert mine_open.subject in everything and "Solved one" in everything
    assert theirs.subject not in everything
    by_number = client.get(f"/tickets/?status=all&q=%23{mine_solved.number}").content.decode()
    assert "Solved one" in by_number and mine_open.subject not in by_number


def test_organization_sharing_is_a_tenant_setting(world_a, as_member):
    from django.contrib.auth import get_user_model

    with tenant_context(world_a.tenant):
        colleague = get_user_model().objects.create_user(email="colleague@example.net")
        Membership.objects.create(user=colleague, organization=world_a.organization)
    colleague_ticket = world_a.submit(
        subject="Colleague's backup",
        role=None,
        email=colleague.email,
        organization=world_a.organization,
    )
    with tenant_context(world_a.tenant):
        Ticket.objects.filter(pk=colleague_ticket.pk).update(requester=colleague)
    client = as_member(world_a.users["customer"], world_a.tenant)
    url = f"/tickets/{colleague_ticket.number}/"
    assert client.get(url).status_code == 404
    assert "Colleague" not in client.get("/tickets/?scope=organization").content.decode()
    world_a.tenant.share_tickets_in_organization = True
    world_a.tenant.save()
    assert client.get(url).status_code == 200
    shared = client.get("/tickets/?scope=organization&status=all").content.decode()
    assert "Colleague&#x27;s backup" in shared


def test_ticket_page_shows_the_public_conversation_but_never_internal_notes(world_a, as_member):
    world_a.reply(world_a.ticket, "agent", "Public answer", submit_as=S.PENDING)
    customer = as_member(world_a.users["customer"], world_a.tenant)
    page = customer.get(f"/tickets/{world_a.ticket.number}/").content.decode()
    assert "Public answer" in page and "It does not work." in page
    assert f"internal note {world_a.marker}" not in page
    assert "Pending" in page and "waiting for information from you" in page
    agent_page = as_member(world_a.users["agent"], world_a.tenant).get(
        f"/agent/tickets/{world_a.ticket.number}/"
    )
    assert f"internal note {world_a.marker}" in agent_page.content.decode()


def test_customer_reply_reopens_a_solved_ticket(world_a, as_member):
    world_a.reply(world_a.ticket, "agent", "Try this", submit_as=S.SOLVED)
    client = as_member(world_a.users["customer"], world_a.tenant)
    response = client.post(f"/tickets/{world_a.ticket.number}/", {"body": "Did not help"})
    assert response.status_code == 302
    assert world_a.refresh(world_a.ticket).status == S.OPEN


def test_empty_reply_is_a_form_error(world_a, as_member):
    client = as_member(world_a.users["customer"], world_a.tenant)
    response = client.post(f"/tickets/{world_a.ticket.number}/", {"body": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_reply_on_a_closed_ticket_takes_the_customer_to_the_follow_up(world_a, as_member):
    from tickets import lifecycle
    from tickets.lifecycle import Actor

    world_a.reply(world_a.ticket, "agent", "Done", submit_as=S.SOLVED)
    with tenant_context(world_a.tenant):
        ticket = Ticket.objects.select_for_update().get(pk=world_a.ticket.pk)
        lifecycle.transition(ticket, S.CLOSED, actor_kind=Actor.AUTOMATION)
    client = as_member(world_a.users["customer"], world_a.tenant)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Open a follow-up ticket" in page
    response = client.post(f"/tickets/{ticket.number}/", {"body": "It is back"}, follow=True)
    follow_up_number = ticket.number + 1
    assert response.redirect_chain[-1][0] == f"/tickets/{follow_up_number}/"
    page = response.content.decode()
    assert f"started follow-up ticket #{follow_up_number}" in page
    assert "Follow-up to ticket" in page and "It is back" in page
    assert world_a.refresh(ticket).status == S.CLOSED


def test_attachments_download_only_as_files_and_only_for_people_who_may_see_them(
    world_a, as_member
):
    url = f"/tickets/{world_a.ticket.number}/attachments/{world_a.attachment.pk}/"
    owner = as_member(world_a.users["customer"], world_a.tenant)
    response = owner.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="app.log"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "text/plain"
    assert b"".join(response.streaming_content) == f"log {world_a.marker}\n".encode()
    assert as_member(world_a.users["agent"], world_a.tenant).get(url).status_code == 200
    assert Client(HTTP_HOST=world_a.host).get(url).status_code == 302  # sign in first
    other = as_member(world_a.users["manager"], world_a.tenant)  # staff may; now a stranger:
    with tenant_context(world_a.tenant):
        Membership.objects.filter(user=world_a.users["manager"]).update(role="customer")
    assert other.get(url).status_code == 404


def test_attachments_on_internal_notes_are_hidden_from_customers(world_a, as_member):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("internal.log", b"secret diagnostics\n")
    world_a.reply(
        world_a.ticket, "agent", "see log", public=False, uploads=[("files", upload, "text/plain")]
    )
    with tenant_context(world_a.tenant):
        hidden = world_a.ticket.attachments.get(original_name="internal.log")
    url = f"/tickets/{world_a.ticket.number}/attachments/{hidden.pk}/"
    assert as_member(world_a.users["customer"], world_a.tenant).get(url).status_code == 404
    assert as_member(world_a.users["agent"], world_a.tenant).get(url).status_code == 200


def test_tickets_submitted_before_signing_up_appear_after_verifying_the_email(world_a):
    anonymous = world_a.submit(subject="Before my account", role=None, email="late@example.net")
    client = Client(HTTP_HOST=world_a.host)
    client.post(
        "/accounts/signup/",
        {"email": "late@example.net", "password1": PASSWORD, "password2": PASSWORD},
    )
    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    client.post(link.split(world_a.host, 1)[1])
    page = client.get("/tickets/").content.decode()
    assert "Before my account" in page
    assert client.get(f"/tickets/{anonymous.number}/").status_code == 200
    with tenant_context(world_a.tenant):
        anonymous.refresh_from_db()
        assert anonymous.requester.email == "late@example.net"
        assert anonymous.events.filter(kind="requester_linked").count() == 1


def test_unverified_address_claims_nothing(world_a):
    from django.contrib.auth import get_user_model

    from tickets.services import tickets_claim_for_user

    world_a.submit(subject="Not yours", role=None, email="victim@example.net")
    squatter = get_user_model().objects.create_user(email="victim@example.net")
    with tenant_context(world_a.tenant):
        assert tickets_claim_for_user(user=squatter) == 0
        assert not Ticket.objects.filter(requester=squatter).exists()


def test_agent_sees_the_unsupported_version_flag(world_a, as_member):
    world_a.tenant.current_app_version = "11.4.1"
    world_a.tenant.save()
    old = world_a.submit(subject="Old app", answers={"app_version": "11.2.0"})
    current = world_a.submit(subject="New app", answers={"app_version": "11.4.1"})
    agent = as_member(world_a.users["agent"], world_a.tenant)
    assert "Unsupported app version" in agent.get(f"/agent/tickets/{old.number}/").content.decode()
    assert (
        "Unsupported app version"
        not in agent.get(f"/agent/tickets/{current.number}/").content.decode()
    )
    assert "Old version" in agent.get("/agent/").content.decode()


def test_agent_controls_change_priority_assignee_and_status(world_a, as_member):
    agent = as_member(world_a.users["agent"], world_a.tenant)
    url = f"/agent/tickets/{world_a.ticket.number}/update/"
    agent.post(url, {"field": "priority", "value": "high"})
    agent.post(url, {"field": "assignee", "value": str(world_a.users["manager"].pk)})
    agent.post(url, {"field": "status", "value": "pending"})
    ticket = world_a.refresh(world_a.ticket)
    assert (ticket.priority, ticket.assignee_id, ticket.status) == (
        "high",
        world_a.users["manager"].pk,
        "pending",
    )
    refused = agent.post(url, {"field": "status", "value": "closed"}, follow=True)
    assert "closed only by the automation" in refused.content.decode()
    bad = agent.post(
        url, {"field": "assignee", "value": str(world_a.users["customer"].pk)}, follow=True
    )
    assert "Choose an agent of this helpdesk." in bad.content.decode()
    assert world_a.refresh(world_a.ticket).status == "pending"


def test_a_reply_can_carry_files_and_rejects_disguised_ones(world_a, as_member):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = as_member(world_a.users["customer"], world_a.tenant)
    url = f"/tickets/{world_a.ticket.number}/"
    fake = SimpleUploadedFile("shot.png", b"<html></html>")
    refused = client.post(url, {"body": "see screenshot", "screenshots": [fake]})
    assert (
        refused.status_code == 400
        and "is not a PNG, JPEG or WebP image" in refused.content.decode()
    )
    log = SimpleUploadedFile("reply.log", b"restore aborted\n")
    assert client.post(url, {"body": "see log", "files": [log]}).status_code == 302
    with tenant_context(world_a.tenant):
        attachment = world_a.ticket.attachments.get(original_name="reply.log")
        assert attachment.comment.body == "see log" and attachment.content_type == "text/plain"


def test_the_customer_sees_the_answers_they_gave_on_their_ticket(world_a, as_member):
    ticket = world_a.submit(
        subject="Answers shown", answers={"app_version": "11.4.1", "os": "<b>Windows</b> 11"}
    )
    page = (
        as_member(world_a.users["customer"], world_a.tenant)
        .get(f"/tickets/{ticket.number}/")
        .content.decode()
    )
    assert "What you told us" in page
    assert "11.4.1" in page
    assert "&lt;b&gt;Windows&lt;/b&gt; 11" in page and "<b>Windows</b>" not in page
