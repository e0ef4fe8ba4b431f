from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext


def _ticket_page_queries(world, as_member, comments):
    ticket = world.submit(subject="Busy ticket")
    for i in range(comments):
        # Alternate customer replies, agent replies and agent notes, each with a file.
        upload = [("files", SimpleUploadedFile(f"{i}.log", b"line\n"), "text/plain")]
        if i % 2 == 0:
            world.reply(ticket, "customer", f"message {i}", uploads=upload)
        else:
            world.reply(ticket, "agent", f"message {i}", public=bool(i % 3), uploads=upload)
    client = as_member(world.users["agent"], world.tenant)
    client.get(f"/agent/tickets/{ticket.number}/")  # warm up
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/agent/tickets/{ticket.number}/")
    assert response.status_code == 200
    assert response.content.decode().count('class="comment') == comments + 1
    customer = as_member(world.users["customer"], world.tenant)
    customer.get(f"/tickets/{ticket.number}/")
    with CaptureQueriesContext(connection) as portal_queries:
        assert customer.get(f"/tickets/{ticket.number}/").status_code == 200
    return len(queries), len(portal_queries)


def test_ticket_pages_query_count_does_not_grow_with_comments(world_a, world_b, as_member):
    assert _ticket_page_queries(world_a, as_member, 2) == _ticket_page_queries(
        world_b, as_member, 20
    )


def test_the_ticket_page_title_is_text_and_the_shortcuts_dialog_is_there_once(world_a, as_member):
    import re

    client = as_member(world_a.users["agent"], world_a.tenant)
    page = client.get(f"/agent/tickets/{world_a.ticket.number}/").content.decode()
    (title,) = re.findall(r"<title>(.*?)</title>", page, re.DOTALL)
    assert title == f"#{world_a.ticket.number} {world_a.ticket.subject} · {world_a.tenant.name}"
    assert page.count("data-shortcuts>") == 1
    assert page.count("js/shortcuts.js") == 1


def _people_page_queries(world, as_member, count):
    """Both ticket pages' queries with ``count`` CCs and ``count`` followers (and as many
    notifications under the agent's bell)."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    from tenants.context import tenant_context
    from tenants.models import Membership
    from tickets import collaboration

    ticket = world.submit(subject="Crowded ticket")
    agent = world.users["agent"]
    with tenant_context(world.tenant):
        for i in range(count):
            collaboration.ticket_cc_add(
                ticket=ticket,
                email=f"copied{i}@example.net",
                actor=agent,
                membership=world.memberships["agent"],
            )
            email = f"follower{i}-{world.marker}@example.com"
            user = get_user_model().objects.create_user(email=email, password="x" * 20)
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            Membership.objects.create(user=user, role=Membership.Role.AGENT)
            collaboration.ticket_follow(ticket=ticket, user=user)
            world.reply(ticket, "manager", f"@{agent.email.split('@')[0]} look {i}", public=False)
    client = as_member(agent, world.tenant)
    client.get(f"/agent/tickets/{ticket.number}/")  # warm up
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert page.count('aria-label="Stop copying copied') == count
    assert page.count("<li>follower") == count
    customer = as_member(world.users["customer"], world.tenant)
    customer.get(f"/tickets/{ticket.number}/")
    with CaptureQueriesContext(connection) as portal_queries:
        portal = customer.get(f"/tickets/{ticket.number}/").content.decode()
    assert portal.count('aria-label="Stop copying copied') == count
    return len(queries), len(portal_queries)


def test_ticket_pages_query_count_does_not_grow_with_ccs_and_followers(world_a, world_b, as_member):
    assert _people_page_queries(world_a, as_member, 0) == _people_page_queries(
        world_b, as_member, 5
    )
