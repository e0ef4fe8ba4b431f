from tenants.context import tenant_context
from tickets.models import SavedView


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
    assert 'My urgent</a> <span class="count">2</span>' in page
    assert 'Team low</a> <span class="count">1</span>' in page
    world_a.submit(priority="urgent")  # counts are live
    assert 'My urgent</a> <span class="count">3</span>' in agent.get("/agent/").content.decode()
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
