import re

from tenants.context import tenant_context
from tickets.models import SavedView


def side_count(page: str, name: str) -> str | None:
    """The count the workspace's left navigation shows beside a view's name."""
    found = re.search(
        rf'<span class="label">{re.escape(name)}(?: <span class="shared">[^<]*</span>)?</span>'
        r'<span class="side-count[^"]*"[^>]*>([^<]+)</span>',
        page,
    )
    return found.group(1) if found else None


def test_personal_and_shared_views_with_live_counts(world_a, as_member):
    for priority in ("urgent", "urgent", "low"):
        world_a.submit(priority=priority)
    agent = as_member(world_a.users["agent"], world_a.tenant)
    manager = as_member(world_a.users["manager"], world_a.tenant)
    agent.post("/agent/views/", {"name": "My urgent", "query": "priority=urgent"})
    refused = agent.post(
        "/agent/views/", {"name": "Team", "query": "priority=low", "shared": "on"}, follow=True
    )
    assert "Only managers share views with the team." in refused.content.decode()
    manager.post("/agent/views/", {"name": "Team low", "query": "priority=low", "shared": "on"})
    page = agent.get("/agent/").content.decode()
    assert side_count(page, "My urgent") == "2"
    assert side_count(page, "Team low") == "1"
    world_a.submit(priority="urgent")  # counts are live
    assert side_count(agent.get("/agent/").content.decode(), "My urgent") == "3"
    # Personal views stay personal.
    assert "My urgent" not in manager.get("/agent/").content.decode()
    with tenant_context(world_a.tenant):
        shared = SavedView.objects.get(name="Team low")
    assert (
        "only delete your own"
        in agent.post(f"/agent/views/{shared.pk}/delete/", follow=True).content.decode()
    )
    manager.post(f"/agent/views/{shared.pk}/delete/")
    with tenant_context(world_a.tenant):
        assert list(SavedView.objects.values_list("name", flat=True)) == ["My urgent"]


def test_a_nameless_view_is_refused(world_a, as_member):
    agent = as_member(world_a.users["agent"], world_a.tenant)
    response = agent.post("/agent/views/", {"name": "  ", "query": "priority=low"}, follow=True)
    assert "Give the view a name." in response.content.decode()
