"""Teams and automatic assignment (tickets/teams.py): who gets a new ticket, who never does,
and the timeline of every team and assignee change."""

from collections import Counter

import pytest
from django.contrib.auth import get_user_model

from core.errors import InvalidInput
from tenants.context import tenant_context
from tenants.models import AssignmentMode, AuditEntry, Membership
from tenants.services import membership_set_away
from tickets import lifecycle, services, teams
from tickets.lifecycle import InvalidTransition
from tickets.models import Actor, TeamMember, Ticket, TicketEvent

STAFF = ("agent", "manager", "admin")
RR = AssignmentMode.ROUND_ROBIN
LEAST = AssignmentMode.LEAST_OPEN


def _agent(world, name):
    user = get_user_model().objects.create_user(
        email=f"{name}-{world.marker}@example.com", password="x" * 12, name=name
    )
    with tenant_context(world.tenant):
        membership = Membership.objects.create(user=user, role=Membership.Role.AGENT)
    return membership


def _team(world, *, mode=RR, members=STAFF, name="Support"):
    with tenant_context(world.tenant):
        team = teams.team_create(name=name)
        for role in members:
            membership = world.memberships[role] if isinstance(role, str) else role
            teams.team_member_add(team=team, membership=membership)
        teams.assignment_settings_update(mode=mode, default_team=team)
    world.tenant.refresh_from_db()
    return team


def _submit(world, count, **kwargs):
    with tenant_context(world.tenant):
        return [
            services.ticket_submit(
                requester_email="someone@example.net",
                subject=f"new {i}",
                description="Please help",
                **kwargs,
            )
            for i in range(count)
        ]


def _assignees(world, tickets) -> list:
    with tenant_context(world.tenant):
        return [Ticket.objects.get(pk=t.pk).assignee_id for t in tickets]


@pytest.mark.parametrize(("count", "roles"), [(10, STAFF), (7, ("agent", "admin")), (9, STAFF)])
def test_round_robin_spreads_n_tickets_evenly_over_k_available_members(world_a, count, roles):
    team = _team(world_a, members=roles)
    got = Counter(_assignees(world_a, _submit(world_a, count)))
    expected = {world_a.users[role].pk for role in roles}
    assert set(got) == expected
    assert max(got.values()) - min(got.values()) <= 1
    assert all(count // len(roles) <= n <= count // len(roles) + 1 for n in got.values())
    with tenant_context(world_a.tenant):
        assert Ticket.objects.filter(team=team, number__gt=world_a.ticket.number).count() == count


def test_round_robin_takes_members_in_turn_in_the_order_they_joined(world_a):
    _team(world_a, members=("manager", "agent", "admin"))
    order = [world_a.users[r].pk for r in ("manager", "agent", "admin")]
    assert _assignees(world_a, _submit(world_a, 7)) == (order * 3)[:7]


def test_least_open_balances_by_unsolved_counts_ties_going_round(world_a):
    users = world_a.users
    with tenant_context(world_a.tenant):
        earlier = _submit(world_a, 5)
        # The agent holds three unsolved tickets and the manager one; a solved one not counted.
        roles = ["agent", "agent", "agent", "manager", "admin"]
        for ticket, role in zip(earlier, roles, strict=True):
            services.ticket_assign(ticket=ticket, actor=users["admin"], assignee=users[role])
        services.ticket_set_status(ticket=earlier[4], actor=users["admin"], status="solved")
    _team(world_a, mode=LEAST)
    new = _submit(world_a, 5)
    names = {users[r].pk: r for r in STAFF}
    # admin 0 -> 1; tie manager/admin at 1 goes to the next in turn (manager); ...
    assert [names[pk] for pk in _assignees(world_a, new)] == [
        "admin",
        "manager",
        "admin",
        "manager",
        "admin",
    ]
    with tenant_context(world_a.tenant):
        open_counts = Counter(
            Ticket.objects.filter(status__in=Ticket.UNSOLVED, assignee__isnull=False).values_list(
                "assignee_id", flat=True
            )
        )
    assert sorted(open_counts.values()) == [3, 3, 3]


def test_an_away_member_is_skipped_and_gets_tickets_again_when_back(world_a):
    _team(world_a)
    users, memberships = world_a.users, world_a.memberships
    with tenant_context(world_a.tenant):
        membership_set_away(membership=memberships["manager"], away=True, actor=users["manager"])
    during = Counter(_assignees(world_a, _submit(world_a, 6)))
    assert users["manager"].pk not in during
    assert during == {users["agent"].pk: 3, users["admin"].pk: 3}
    with tenant_context(world_a.tenant):
        membership_set_away(membership=memberships["manager"], away=False, actor=users["manager"])
    after = Counter(_assignees(world_a, _submit(world_a, 6)))
    assert after == {users[r].pk: 2 for r in STAFF}


def test_members_no_longer_staff_removed_or_inactive_never_get_tickets(world_a):
    demoted, removed, inactive = (_agent(world_a, n) for n in ("demoted", "removed", "inactive"))
    team = _team(world_a, members=("agent", demoted, removed, inactive))
    with tenant_context(world_a.tenant):
        demoted.role = Membership.Role.CUSTOMER
        demoted.save()
        removed_user = removed.user
        removed.delete()
        assert not TeamMember.objects.filter(team=team, membership_id=removed.pk).exists()
        inactive.user.is_active = False
        inactive.user.save()
    got = set(_assignees(world_a, _submit(world_a, 6)))
    assert got == {world_a.users["agent"].pk}
    assert {demoted.user_id, removed_user.pk, inactive.user_id}.isdisjoint(got)


def test_customers_and_other_tenants_people_cannot_join_a_team(world_a, world_b):
    with tenant_context(world_a.tenant):
        team = teams.team_create(name="Tier 1")
        with pytest.raises(InvalidInput, match="Only agents"):
            teams.team_member_add(team=team, membership=world_a.memberships["customer"])
        with pytest.raises(InvalidInput, match="Only agents"):
            teams.team_member_add(team=team, membership=None)
        assert not TeamMember.objects.exists()
    with tenant_context(world_b.tenant):
        # Another tenant's team is not found from here at all.
        assert teams.team_for_id(team.pk) is None


def test_with_nobody_available_the_ticket_waits_in_the_team_and_the_timeline_says_why(world_a):
    team = _team(world_a, members=("agent",))
    with tenant_context(world_a.tenant):
        membership_set_away(
            membership=world_a.memberships["agent"], away=True, actor=world_a.users["admin"]
        )
    (ticket,) = _submit(world_a, 1)
    with tenant_context(world_a.tenant):
        ticket.refresh_from_db()
        assert ticket.team_id == team.pk and ticket.assignee_id is None
        skipped = ticket.events.get(kind=TicketEvent.Kind.ASSIGNMENT_SKIPPED)
        assert "every member of Support is away" in skipped.after
        assert skipped.actor_kind == Actor.AUTOMATION
        # The admin's change of someone else's away state is audited.
        assert AuditEntry.objects.filter(target__contains="marked away").exists()
        empty = teams.team_create(name="Empty")
        teams.assignment_settings_update(mode=RR, default_team=empty)
    world_a.tenant.refresh_from_db()
    (ticket,) = _submit(world_a, 1)
    with tenant_context(world_a.tenant):
        skipped = ticket.events.get(kind=TicketEvent.Kind.ASSIGNMENT_SKIPPED)
        assert skipped.after == "Empty has no members"


def test_with_assignment_off_new_tickets_join_the_default_team_unassigned(world_a):
    team = _team(world_a, mode=AssignmentMode.OFF)
    (ticket,) = _submit(world_a, 1)
    with tenant_context(world_a.tenant):
        ticket.refresh_from_db()
        assert (ticket.team_id, ticket.assignee_id) == (team.pk, None)
        kinds = list(ticket.events.order_by("pk").values_list("kind", flat=True))
        assert kinds == [TicketEvent.Kind.CREATED, TicketEvent.Kind.TEAM_CHANGED]


def test_every_channel_is_assigned_through_submission(world_a):
    _team(world_a, members=("agent",))
    for channel in (Ticket.Channel.EMAIL, Ticket.Channel.API, Ticket.Channel.CHAT):
        (ticket,) = _submit(world_a, 1, channel=channel)
        assert _assignees(world_a, [ticket]) == [world_a.users["agent"].pk]


def test_automatic_assignment_and_team_changes_are_on_the_timeline_with_before_and_after(
    world_a,
):
    team = _team(world_a, members=("agent",))
    (ticket,) = _submit(world_a, 1)
    users = world_a.users
    with tenant_context(world_a.tenant):
        other = teams.team_create(name="Billing")
        teams.ticket_set_team(ticket=ticket, actor=users["manager"], team=other)
        services.ticket_assign(ticket=ticket, actor=users["manager"], assignee=users["admin"])
        teams.ticket_set_team(ticket=ticket, actor=users["manager"], team=None)
        events = list(
            ticket.events.exclude(kind=TicketEvent.Kind.CREATED)
            .order_by("pk")
            .values_list("kind", "actor_kind", "before", "after", "data")
        )
    agent, admin = users["agent"].email, users["admin"].email
    rule = {"rule": "round_robin", "team": team.pk}
    assert events == [
        ("team_changed", "automation", "", "Support", {"from": None, "to": team.pk, **_dft()}),
        ("assignee_changed", "automation", "", agent, rule),
        ("team_changed", "agent", "Support", "Billing", {"from": team.pk, "to": other.pk}),
        ("assignee_changed", "agent", agent, admin, {}),
        ("team_changed", "agent", "Billing", "", {"from": other.pk, "to": None}),
    ]


def _dft():
    return {"reason": "default team"}


def test_a_closed_ticket_keeps_its_team(world_a):
    team = _team(world_a, mode=AssignmentMode.OFF)
    ticket = world_a.ticket
    with tenant_context(world_a.tenant):
        Ticket.objects.filter(pk=ticket.pk).update(
            status="closed", solved_at=ticket.created_at, closed_at=ticket.created_at
        )
        with pytest.raises(InvalidTransition, match="closed"):
            teams.ticket_set_team(ticket=ticket, actor=world_a.users["agent"], team=team)
        assert Ticket.objects.get(pk=ticket.pk).team_id is None


def test_bulk_move_to_a_team_writes_one_event_per_ticket(world_a):
    with tenant_context(world_a.tenant):
        team = teams.team_create(name="Tier 2")
    made = _submit(world_a, 3)
    with tenant_context(world_a.tenant):
        result = services.tickets_bulk_update(
            actor=world_a.users["agent"],
            numbers=[t.number for t in made],
            field="team",
            value=str(team.pk),
        )
        assert sorted(result["updated"]) == sorted(t.number for t in made)
        assert Ticket.objects.filter(team=team).count() == 3
        assert TicketEvent.objects.filter(kind="team_changed").count() == 3
        with pytest.raises(InvalidInput, match="Choose a team"):
            services.tickets_bulk_update(
                actor=world_a.users["agent"], numbers=[1], field="team", value="9999999"
            )


def test_team_names_are_unique_whatever_their_case_and_bounded(world_a):
    with tenant_context(world_a.tenant):
        teams.team_create(name="  Tier   One ")
        assert list(teams.teams().values_list("name", flat=True)) == ["Tier One"]
        for bad, message in [
            ("tier one", "already a team"),
            ("", "Give the team a name"),
            ("x" * 81, "80 characters"),
            ("a\x00b", "NUL"),
        ]:
            with pytest.raises(InvalidInput, match=message):
                teams.team_create(name=bad)
        billing = teams.team_create(name="Billing")
        with pytest.raises(InvalidInput, match="already a team"):
            teams.team_rename(team=billing, name="TIER ONE")
        teams.team_rename(team=billing, name="Invoices")
        assert AuditEntry.objects.filter(target="Team renamed: Invoices").exists()


def test_a_team_with_unsolved_tickets_cannot_be_deleted_and_solved_ones_keep_the_history(
    world_a,
):
    team = _team(world_a, mode=AssignmentMode.OFF)
    (ticket,) = _submit(world_a, 1)
    with tenant_context(world_a.tenant):
        with pytest.raises(InvalidInput, match="1 unsolved ticket"):
            teams.team_delete(team=team)
        services.ticket_set_status(ticket=ticket, actor=world_a.users["agent"], status="solved")
        teams.team_delete(team=team)
        ticket.refresh_from_db()
        assert ticket.team_id is None
        last = ticket.events.filter(kind="team_changed").order_by("-pk").first()
        assert (last.before, last.after, last.data["reason"]) == ("Support", "", "team deleted")
        assert AuditEntry.objects.filter(target="Team deleted: Support").exists()


def test_turning_assignment_on_needs_a_default_team_and_is_audited(world_a):
    with tenant_context(world_a.tenant):
        with pytest.raises(InvalidInput, match="Choose the team"):
            teams.assignment_settings_update(mode=RR, default_team=None)
        with pytest.raises(InvalidInput, match="Choose off"):
            teams.assignment_settings_update(mode="sometimes", default_team=None)
        team = teams.team_create(name="Front line")
        teams.assignment_settings_update(mode=LEAST, default_team=team)
        entry = AuditEntry.objects.get(target="Ticket assignment")
        assert entry.detail == {
            "default_team": {"from": "", "to": "Front line"},
            "assignment_mode": {"from": "off", "to": "least_open"},
        }
        other = teams.team_create(name="Back line")
        teams.assignment_settings_update(mode=LEAST, default_team=other)
        assert list(teams.teams().filter(is_default=True)) == [other]


def test_only_staff_can_be_marked_away(world_a):
    with tenant_context(world_a.tenant), pytest.raises(InvalidInput, match="Only agents"):
        membership_set_away(
            membership=world_a.memberships["customer"], away=True, actor=world_a.users["admin"]
        )


def test_lifecycle_assign_keeps_why_in_the_event(world_a):
    with tenant_context(world_a.tenant):
        lifecycle.assign(
            world_a.ticket,
            world_a.users["agent"],
            actor=None,
            actor_kind=Actor.AUTOMATION,
            data={"rule": "round_robin"},
        )
        event = world_a.ticket.events.get(kind="assignee_changed")
        assert event.data == {"rule": "round_robin"}
