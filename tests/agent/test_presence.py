from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import time_machine


def test_agents_see_each_other_and_replies_since_they_opened_the_page(world_a, as_member):
    number = world_a.ticket.number
    alex = as_member(world_a.users["agent"], world_a.tenant)
    morgan = as_member(world_a.users["manager"], world_a.tenant)
    opened = datetime.now(tz=UTC)
    first = alex.get(f"/agent/tickets/{number}/").content.decode()
    assert "also viewing" not in first
    morgan.get(f"/agent/tickets/{number}/")
    activity = alex.get(f"/agent/tickets/{number}/activity/?since={quote(opened.isoformat())}")
    assert "manager alpha is also viewing this ticket." in activity.content.decode()
    with time_machine.travel(opened + timedelta(seconds=5)):
        world_a.reply(world_a.ticket, "manager", "I'll take this one", submit_as="open")
    page = alex.get(f"/agent/tickets/{number}/activity/?since={quote(opened.isoformat())}")
    assert "Since you opened this page: manager alpha replied." in page.content.decode()
    # Replies by the viewer themselves, or before the page was opened, raise no alert.
    later = quote((opened + timedelta(minutes=1)).isoformat())
    assert (
        "Since you opened"
        not in alex.get(f"/agent/tickets/{number}/activity/?since={later}").content.decode()
    )
    # A viewer who stopped reporting is gone after the window.
    with time_machine.travel(datetime.now(tz=UTC) + timedelta(minutes=2)):
        quiet = alex.get(f"/agent/tickets/{number}/activity/?since={later}").content.decode()
    assert "also viewing" not in quiet


def test_activity_with_a_bad_since_is_not_an_error(world_a, as_member):
    alex = as_member(world_a.users["agent"], world_a.tenant)
    assert (
        alex.get(f"/agent/tickets/{world_a.ticket.number}/activity/?since=yesterday").status_code
        == 200
    )
