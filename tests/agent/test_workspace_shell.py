"""The agent workspace shell and the everyday controls on its queue and ticket pages."""

import re
from datetime import UTC, datetime, timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.context import tenant_context
from tickets.models import SavedView, Ticket

S = Ticket.Status


def test_the_status_control_shows_the_status_the_ticket_has(world_a, as_member):
    """Defect 2: the select listed only the allowed targets, so an Open ticket showed
    "Pending" as if it were its status."""
    agent = as_member(world_a.users["agent"], world_a.tenant)
    world_a.reply(world_a.ticket, "agent", "Looking", submit_as=S.OPEN)
    page = agent.get(f"/agent/tickets/{world_a.ticket.number}/").content.decode()
    select = re.search(r'<select id="status-select".*?</select>', page, re.DOTALL).group(0)
    options = re.findall(r'<option value="(\w+)"( selected)?>', select)
    assert options[0] == ("open", " selected")
    assert [value for value, selected in options if selected] == ["open"]
    assert {"pending", "solved"} <= {value for value, _ in options}
    # Submitting the current status changes nothing and says so.
    response = agent.post(
        f"/agent/tickets/{world_a.ticket.number}/update/",
        {"field": "status", "value": "open"},
        follow=True,
    )
    assert "already Open" in response.content.decode()
    assert world_a.refresh(world_a.ticket).status == S.OPEN


def test_a_view_saved_after_live_filtering_keeps_those_filters(world_a, as_member):
    """Defect 3: the live (htmx) filter swapped the table only, and "Save view" kept the
    page's first query string. The swapped table now carries the form's filters with it."""
    for priority in ("urgent", "low", "low"):
        world_a.submit(priority=priority)
    agent = as_member(world_a.users["agent"], world_a.tenant)
    first = agent.get("/agent/").content.decode()
    assert re.search(r'id="save-view-query" value=""', first)
    partial = agent.get("/agent/?priority=low", HTTP_HX_REQUEST="true").content.decode()
    hidden = re.search(r'<input type="hidden" name="query" id="save-view-query"[^>]*>', partial)
    assert hidden and 'value="priority=low"' in hidden.group(0)
    assert 'hx-swap-oob="true"' in hidden.group(0)
    agent.post("/agent/views/", {"name": "Low ones", "query": "priority=low"})
    with tenant_context(world_a.tenant):
        view = SavedView.objects.get(name="Low ones")
    assert view.query == "priority=low"
    page = agent.get(f"/agent/?{view.query}").content.decode()
    assert "<h1>Low ones</h1>" in page
    assert page.count("data-queue-row") == 2


def test_replying_to_an_unassigned_ticket_assigns_it_unless_the_tenant_turned_it_off(
    world_a, world_b
):
    world_a.reply(world_a.ticket, "agent", "On it")
    assert world_a.refresh(world_a.ticket).assignee_id == world_a.users["agent"].pk
    # An internal note does not take the ticket; neither does a reply where it is turned off.
    world_b.reply(world_b.ticket, "agent", "note", public=False)
    assert world_b.refresh(world_b.ticket).assignee_id is None
    world_b.tenant.assign_on_reply = False
    world_b.tenant.save(update_fields=["assign_on_reply"])
    world_b.reply(world_b.ticket, "agent", "Public, but the setting is off")
    assert world_b.refresh(world_b.ticket).assignee_id is None


def test_customer_replied_cue_after_an_agent_answer(world_a, as_member):
    agent = as_member(world_a.users["agent"], world_a.tenant)
    cue = "Customer replied"
    assert cue not in agent.get("/agent/").content.decode()  # a new ticket is not a reply
    world_a.reply(world_a.ticket, "agent", "Can you send logs?", submit_as=S.PENDING)
    assert cue not in agent.get("/agent/?status=pending").content.decode()
    world_a.reply(world_a.ticket, "customer", "Here they are")
    assert cue in agent.get("/agent/").content.decode()
    world_a.reply(world_a.ticket, "agent", "Thanks, looking")
    assert cue not in agent.get("/agent/").content.decode()


def test_take_assigns_one_row_to_whoever_pressed_it(world_a, as_member):
    agent = as_member(world_a.users["agent"], world_a.tenant)
    page = agent.get("/agent/").content.decode()
    assert f'name="take" value="{world_a.ticket.number}"' in page
    response = agent.post(
        "/agent/bulk/", {"take": str(world_a.ticket.number), "next": "/agent/"}, follow=True
    )
    assert "1 updated." in response.content.decode()
    assert world_a.refresh(world_a.ticket).assignee_id == world_a.users["agent"].pk
    for hostile in ("", "x", "\u0661", "9" * 40):
        refused = agent.post("/agent/bulk/", {"take": hostile}, follow=True)
        assert refused.status_code == 200 and "Select" in refused.content.decode()


def test_the_shell_lists_views_with_counts_and_sections_by_role(world_a, as_member):
    agent = as_member(world_a.users["agent"], world_a.tenant)
    manager = as_member(world_a.users["manager"], world_a.tenant)
    admin = as_member(world_a.users["admin"], world_a.tenant)
    page = agent.get(f"/agent/tickets/{world_a.ticket.number}/").content.decode()
    nav = re.search(r'<aside class="sidebar".*?</aside>', page, re.DOTALL).group(0)
    for label in ("All unsolved", "My tickets", "Unassigned", "Overdue", "People"):
        assert f'<span class="label">{label}</span>' in nav
    assert "Escalations" not in nav and "Settings" not in nav
    manager_nav = manager.get("/agent/").content.decode()
    assert '<span class="label">Escalations</span>' in manager_nav
    assert '<span class="label">Settings</span>' not in manager_nav
    assert '<span class="label">Settings</span>' in admin.get("/agent/").content.decode()
    # The current view is marked.
    assert re.search(
        r'aria-current="page"><span class="label">Unassigned',
        agent.get("/agent/?assignee=unassigned").content.decode(),
    )


def test_the_queue_validates_its_filters_once_and_marks_the_view_it_shows(
    world_a, as_member, monkeypatch
):
    """The title and the side navigation read the filters the page validated; building the
    form again for each of them cost a twentieth of the queue page."""
    from tickets import queue

    built = []
    original = queue.QueueFilterForm.__init__

    def counting(self, *args, **kwargs):
        built.append(args[0] if args else kwargs.get("data"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(queue.QueueFilterForm, "__init__", counting)
    agent = as_member(world_a.users["agent"], world_a.tenant)

    def current(url):
        agent.get(url)  # the side navigation's own views are validated once per process
        built.clear()
        page = agent.get(url).content.decode()
        assert len(built) == 1, built
        marked = re.findall(r'aria-current="page"><span class="label">([^<]+)', page)
        title = re.search(r"<h1[^>]*>\s*([^<]+?)\s*<", page).group(1)
        return marked, title

    assert current("/agent/") == (["All unsolved"], "All unsolved")
    assert current("/agent/?assignee=unassigned") == (["Unassigned"], "Unassigned")
    # With an empty filter beside it: still that view.
    assert current("/agent/?team=&assignee=me&requester=") == (["My tickets"], "My tickets")
    assert current("/agent/?priority=urgent") == ([], "Filtered tickets")
    # Filters that are not valid are refused (the page lists every unsolved ticket under the
    # error), and no view is marked as the one shown.
    assert current("/agent/?assignee=nobody") == ([], "All unsolved")


def _page_queries(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_shell_query_count_does_not_grow_with_tickets_or_rows(world_a, world_b, as_member):
    for i in range(30):
        world_b.submit(subject=f"more {i}")
    counts = []
    for world in (world_a, world_b):
        client = as_member(world.users["agent"], world.tenant)
        counts.append(
            (
                _page_queries(client, "/agent/"),
                _page_queries(client, f"/agent/tickets/{world.ticket.number}/"),
                _page_queries(client, "/agent/people/"),
            )
        )
    assert counts[0] == counts[1]


def _numbers(page):
    return [int(n) for n in re.findall(r'name="ticket" value="(\d+)"', page)]


def test_sorting_by_age_pages_through_every_ticket_once(world_a, as_member, monkeypatch):
    from tickets import queue

    monkeypatch.setattr(queue, "PAGE_SIZE", 2)
    for i in range(4):
        world_a.submit(subject=f"age {i}")
    agent = as_member(world_a.users["agent"], world_a.tenant)
    for sort, expected in (("newest", [5, 4, 3, 2, 1]), ("oldest", [1, 2, 3, 4, 5])):
        seen, url = [], f"/agent/?sort={sort}"
        while url:
            response = agent.get(url)
            assert response.status_code == 200
            page = response.content.decode()
            seen += _numbers(page)
            found = re.search(r'href="\?([^"]*after=[^"]+)" rel="next"', page)
            url = "/agent/?" + found.group(1).replace("&amp;", "&") if found else None
        assert seen == expected, sort
    header = agent.get("/agent/?sort=newest").content.decode()
    assert 'aria-sort="descending"' in header


def test_a_cursor_of_another_order_or_a_bad_sort_is_a_clear_400(world_a, as_member):
    from tickets import queue

    agent = as_member(world_a.users["agent"], world_a.tenant)
    with tenant_context(world_a.tenant):
        cursor = queue.encode_cursor(world_a.ticket, "newest")
    response = agent.get(f"/agent/?sort=oldest&after={cursor}")
    assert response.status_code == 400
    assert "This page link is damaged or out of date." in response.content.decode()
    for hostile in ("sideways", "\u0661", "x" * 5000):
        assert agent.get("/agent/", {"sort": hostile}).status_code == 400


def test_an_escalated_ticket_is_marked_in_the_queue_until_settled(world_a, as_member):
    from escalations.services import escalation_decline, escalation_request

    agent = as_member(world_a.users["agent"], world_a.tenant)
    assert ">Escalated</span>" not in agent.get("/agent/").content.decode()
    with tenant_context(world_a.tenant):
        request = escalation_request(
            ticket=world_a.ticket,
            actor=world_a.users["customer"],
            membership=world_a.memberships["customer"],
            reason="Blocked",
            requested_priority="urgent",
        )
    assert ">Escalated</span>" in agent.get("/agent/").content.decode()
    with tenant_context(world_a.tenant):
        escalation_decline(
            request=request,
            actor=world_a.users["manager"],
            membership=world_a.memberships["manager"],
            reason="Handled in the ticket",
        )
    assert ">Escalated</span>" not in agent.get("/agent/").content.decode()


def test_a_refused_reply_says_so_above_the_form_and_keeps_the_text(world_a, as_member):
    """Defect 6: the error was at the bottom of a long page with focus left at the top. The
    summary now opens the reply box (the page scrolls and moves focus to it) and the typed
    text stays."""
    agent = as_member(world_a.users["agent"], world_a.tenant)
    typed = "Half-written answer " * 10
    response = agent.post(
        f"/agent/tickets/{world_a.ticket.number}/",
        {"public": "1", "body": typed, "submit_as": "closed"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    form = re.search(r'<section class="card reply-box" id="reply".*?</section>', page, re.DOTALL)
    summary = re.search(
        r'<div class="message message-error" role="alert" tabindex="-1"'
        r' data-error-summary data-error-code="[a-z_]+">',
        form.group(0),
    )
    assert summary and form.group(0).index("data-error-summary") < form.group(0).index("<textarea")
    assert "Your reply was not sent." in page and typed.strip() in page
    assert f'action="/agent/tickets/{world_a.ticket.number}/#reply"' in page


def test_side_counts_are_kept_per_person_for_the_setting(world_a, as_member, settings):
    """The side counts are kept NAV_COUNT_SECONDS per person (the queue always counts the view
    it shows); a view saved meanwhile is counted at once."""
    settings.NAV_COUNT_SECONDS = 30

    def side_count(page, label):
        match = re.search(
            rf'<span class="label">{label}</span><span class="side-count[^"]*"[^>]*>(\d+)', page
        )
        return int(match.group(1))

    start = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        agent = as_member(world_a.users["agent"], world_a.tenant)
        before = side_count(agent.get("/agent/people/").content.decode(), "All unsolved")
        world_a.submit(subject="One more")
        assert side_count(agent.get("/agent/people/").content.decode(), "All unsolved") == before
        # Another person's counts are their own (made now).
        manager = as_member(world_a.users["manager"], world_a.tenant)
        assert side_count(manager.get("/agent/people/").content.decode(), "All unsolved") == (
            before + 1
        )
        agent.post("/agent/views/", {"name": "Urgent ones", "query": "priority=urgent"})
        assert "Urgent ones" in agent.get("/agent/people/").content.decode()
        clock.move_to(start + timedelta(seconds=31))
        assert side_count(agent.get("/agent/people/").content.decode(), "All unsolved") == (
            before + 1
        )
