"""Teams in the API: the staff list, a ticket's team in the ticket resource, changing it with
PATCH (If-Match, the lifecycle, the timeline) and the list's team filter."""

from tenants.context import tenant_context
from tenants.services import membership_set_away
from tests.api.helpers import api
from tickets import teams
from tickets.models import Ticket, TicketEvent


def _team(world, name="Tier 1"):
    with tenant_context(world.tenant):
        team = teams.team_create(name=name)
        teams.team_member_add(team=team, membership=world.memberships["agent"])
        membership_set_away(
            membership=world.memberships["agent"], away=True, actor=world.users["agent"]
        )
    return team


def test_staff_list_the_teams_with_their_members_customers_may_not(world_a, world_b):
    team = _team(world_a)
    _team(world_b, name="B only")
    response = api(world_a, "agent").get("/api/v1/teams/")
    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "id": team.pk,
                "name": "Tier 1",
                "is_default": False,
                "unsolved_count": 0,
                "members": [
                    {
                        "id": world_a.users["agent"].pk,
                        "name": world_a.users["agent"].display_name,
                        "away": True,
                    }
                ],
            }
        ],
        "next": None,
    }
    assert api(world_a, "customer").get("/api/v1/teams/").status_code == 403
    assert api(world_a, "agent").get("/api/v1/teams/", {"limit": "x"}).status_code == 400


def test_a_tickets_team_is_read_and_changed_by_staff_through_the_lifecycle(world_a, world_b):
    team = _team(world_a)
    b_team = _team(world_b, name="B only")
    agent = api(world_a, "agent")
    url = f"/api/v1/tickets/{world_a.ticket.number}/"
    read = agent.get(url)
    assert read.json()["team"] is None
    changed = agent.patch(url, {"team": team.pk}, HTTP_IF_MATCH=read["ETag"])
    assert changed.status_code == 200, changed.content
    assert changed.json()["team"] == {"id": team.pk, "name": "Tier 1"}
    assert changed["ETag"] != read["ETag"]
    # The old version is stale now.
    assert agent.patch(url, {"team": None}, HTTP_IF_MATCH=read["ETag"]).status_code == 412
    for bad in (b_team.pk, 0, "abc", 10**30, [1], {"id": 1}):
        refused = agent.patch(url, {"team": bad}, HTTP_IF_MATCH="*")
        assert refused.status_code == 400, (bad, refused.content)
        assert refused.json()["code"] == "invalid_input" and refused.json()["detail"]
    cleared = agent.patch(url, {"team": None}, HTTP_IF_MATCH="*")
    assert cleared.json()["team"] is None
    with tenant_context(world_a.tenant):
        events = list(
            Ticket.objects.get(pk=world_a.ticket.pk)
            .events.filter(kind=TicketEvent.Kind.TEAM_CHANGED)
            .order_by("pk")
            .values_list("before", "after")
        )
    assert events == [("", "Tier 1"), ("Tier 1", "")]
    # Customers read no team, and cannot change it.
    agent.patch(url, {"team": team.pk}, HTTP_IF_MATCH="*")
    customer = api(world_a, "customer")
    assert customer.get(url).json()["team"] is None
    assert customer.patch(url, {"team": None}, HTTP_IF_MATCH="*").status_code == 403


def test_the_ticket_list_filters_by_team(world_a):
    team = _team(world_a)
    other = world_a.submit(subject="Elsewhere")
    with tenant_context(world_a.tenant):
        teams.ticket_set_team(ticket=world_a.ticket, actor=None, team=team)
    agent = api(world_a, "agent")
    numbers = [
        t["number"] for t in agent.get("/api/v1/tickets/", {"team": team.pk}).json()["results"]
    ]
    assert numbers == [world_a.ticket.number]
    mine = agent.get("/api/v1/tickets/", {"team": "mine"}).json()["results"]
    assert [t["team"]["name"] for t in mine] == ["Tier 1"]
    none = agent.get("/api/v1/tickets/", {"team": "none"}).json()["results"]
    assert [t["number"] for t in none] == [other.number]
    assert agent.get("/api/v1/tickets/", {"team": "x\x00"}).status_code == 400
