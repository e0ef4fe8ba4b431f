from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.wording import time_spent
from tenants.context import tenant_context
from tickets import merging, tagging, timelog


def _ticket_page_queries(world, as_member, comments, time_entries=0, tags=0, links=0):
    ticket = world.submit(subject="Busy ticket")
    with tenant_context(world.tenant):
        for i in range(links):
            # Both ends of the pair: some linked from here, some from the other ticket.
            other = world.submit(subject=f"Related {i}")
            here, there = (ticket, other) if i % 2 else (other, ticket)
            merging.ticket_link(ticket=here, other=there, actor=world.users["agent"])
    if tags:
        with tenant_context(world.tenant):
            tagging.ticket_tags_add(
                ticket=ticket,
                actor=world.users["agent"],
                membership=world.memberships["agent"],
                names=[f"tag {k}" for k in range(tags)],
            )
    for i in range(comments):
        # Alternate customer replies, agent replies and agent notes, each with a file.
        upload = [("files", SimpleUploadedFile(f"{i}.log", b"line\n"), "text/plain")]
        if i % 2 == 0:
            world.reply(ticket, "customer", f"message {i}", uploads=upload)
        else:
            world.reply(ticket, "agent", f"message {i}", public=bool(i % 3), uploads=upload)
    with tenant_context(world.tenant):
        for i in range(time_entries):
            # By different people, with and without a message: the card names each.
            role = ("agent", "manager", "admin")[i % 3]
            staff = {"agent": world.users[role], "membership": world.memberships[role]}
            if i % 2:
                world.reply(ticket, role, f"worked {i}", public=False, minutes=5 + i)
            else:
                timelog.time_log(ticket=ticket, minutes=5 + i, note=f"call {i}", **staff)
        if time_entries:
            timelog.timer_start(
                ticket=ticket, agent=world.users["agent"], membership=world.memberships["agent"]
            )
    comments += time_entries // 2
    client = as_member(world.users["agent"], world.tenant)
    client.get(f"/agent/tickets/{ticket.number}/")  # warm up
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/agent/tickets/{ticket.number}/")
    assert response.status_code == 200
    assert response.content.decode().count('class="comment') == comments + 1
    assert response.content.decode().count('value="unlink"') == links
    total = sum(5 + i for i in range(time_entries))
    assert f"data-time-total>{time_spent(total)}<" in response.content.decode()
    assert response.content.decode().count('aria-label="Remove tag ') == tags
    customer = as_member(world.users["customer"], world.tenant)
    customer.get(f"/tickets/{ticket.number}/")
    with CaptureQueriesContext(connection) as portal_queries:
        assert customer.get(f"/tickets/{ticket.number}/").status_code == 200
    return len(queries), len(portal_queries)


def test_ticket_pages_query_count_does_not_grow_with_comments(world_a, world_b, as_member):
    assert _ticket_page_queries(world_a, as_member, 2) == _ticket_page_queries(
        world_b, as_member, 20
    )


def test_ticket_pages_query_count_does_not_grow_with_links(world_a, world_b, as_member):
    assert _ticket_page_queries(world_a, as_member, 2, links=0) == _ticket_page_queries(
        world_b, as_member, 2, links=5
    )


def test_ticket_pages_query_count_does_not_grow_with_time_entries(world_a, world_b, as_member):
    """No time logged (and no timer) against five entries by three people and a running timer:
    the time card reads its entries, total and count in one query, and the viewer's timer in
    another, either way."""
    assert _ticket_page_queries(world_a, as_member, 2, time_entries=0) == _ticket_page_queries(
        world_b, as_member, 2, time_entries=5
    )


def test_ticket_pages_query_count_is_the_same_with_no_tags_or_five(world_a, world_b, as_member):
    assert _ticket_page_queries(world_a, as_member, 2) == _ticket_page_queries(
        world_b, as_member, 2, tags=5
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


def _everything_queries(world, as_member, n):
    """Both ticket pages' and the queue's queries with everything issue 21 shows at once: on
    one ticket ``n`` tags, CCs, followers, links and time entries, in a team; ``n`` more tagged
    tickets in the team for the queue."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    from tenants.models import Membership
    from tickets import collaboration, merging, teams

    agent, membership = world.users["agent"], world.memberships["agent"]
    ticket = world.submit(subject="Everything at once")
    others = [world.submit(subject=f"Related {i}") for i in range(n)]
    with tenant_context(world.tenant):
        team = teams.team_create(name="Billing")
        teams.team_member_add(team=team, membership=membership)
        for each in [ticket, *others]:
            teams.ticket_set_team(ticket=each, actor=agent, team=team)
            if n:
                tagging.ticket_tags_add(
                    ticket=each,
                    actor=agent,
                    membership=membership,
                    names=[f"tag {k}" for k in range(n)],
                )
        for i, other in enumerate(others):
            merging.ticket_link(ticket=ticket, other=other, actor=agent)
            timelog.time_log(ticket=ticket, agent=agent, membership=membership, minutes=5 + i)
            collaboration.ticket_cc_add(
                ticket=ticket, email=f"copied{i}@example.net", actor=agent, membership=membership
            )
            email = f"follower{i}-{world.marker}@example.com"
            user = get_user_model().objects.create_user(email=email, password="x" * 20)
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            Membership.objects.create(user=user, role=Membership.Role.AGENT)
            collaboration.ticket_follow(ticket=ticket, user=user)
    counts = []
    client = as_member(agent, world.tenant)
    customer = as_member(world.users["customer"], world.tenant)
    for who, url in (
        (client, f"/agent/tickets/{ticket.number}/"),
        (customer, f"/tickets/{ticket.number}/"),
        (client, "/agent/"),
        (client, f"/agent/?team={team.pk}&tag=tag+0" if n else f"/agent/?team={team.pk}"),
    ):
        who.get(url)  # warm up
        with CaptureQueriesContext(connection) as queries:
            response = who.get(url)
        assert response.status_code == 200, url
        counts.append(len(queries))
    page = client.get(f"/agent/tickets/{ticket.number}/").content.decode()
    assert page.count('aria-label="Remove tag ') == n
    assert page.count('value="unlink"') == n
    assert page.count('aria-label="Stop copying copied') == n
    return counts


def test_query_counts_stay_the_same_with_tags_ccs_followers_links_time_and_teams(
    world_a, world_b, as_member
):
    assert _everything_queries(world_a, as_member, 0) == _everything_queries(world_b, as_member, 5)
