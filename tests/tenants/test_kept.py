"""Per-tenant lists kept in each process (tenants/kept.py): read once, per tenant, and made
again as soon as one of their rows changes, by any path the product changes them."""

from datetime import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import selectors as chat_selectors
from desk import selectors as desk_selectors
from desk.business_time import schedule_for
from desk.models import BusinessHours, PriorityLevel, TenantHoliday
from desk.priorities import Priority
from tenants import kept
from tenants.context import cross_tenant, tenant_context
from tenants.models import Membership, Organization
from tenants.selectors import staff_roster
from tickets import queue, selectors, tags, teams
from tickets.models import Macro, Tag, Team, TicketFormField


def queries(read):
    with CaptureQueriesContext(connection) as captured:
        value = read()
    selects = [q for q in captured.captured_queries if q["sql"].lstrip().startswith("SELECT")]
    return value, len(selects)


READS = [
    desk_selectors.priority_levels,
    desk_selectors.business_hours,
    desk_selectors.holiday_dates,
    teams.team_choices,
    selectors.macros,
    selectors.form_labels,
    tags.suggestions,
    queue.organization_choices,
    queue.agent_choices,
    staff_roster,
    queue._every_saved_view,
    chat_selectors._switches,
]


@pytest.mark.parametrize("read", READS, ids=lambda read: read.__name__)
def test_each_list_is_read_once_then_kept(world_a, read):
    cache.clear()  # making the world (a ticket's SLA) read some already
    with tenant_context(world_a.tenant):
        first, sent = queries(read)
        assert sent >= 1
        again, sent_again = queries(read)
    assert sent_again == 0
    assert again == first


def test_each_tenant_keeps_its_own(world_a, world_b):
    for world in (world_a, world_b):
        with tenant_context(world.tenant):
            Team.objects.create(name=f"Team of {world.tenant.slug}")
            Macro.objects.create(name=f"Macro of {world.tenant.slug}", body="Hello")
    for world, other in ((world_a, world_b), (world_b, world_a)):
        for _ in range(2):  # the second read comes from the cache
            with tenant_context(world.tenant):
                names = [name for _pk, name in teams.team_choices()]
                macros = [m.name for m in selectors.macros()]
                organizations = [name for _pk, name in queue.organization_choices()]
                levels = [level.summary for level in desk_selectors.priority_levels()]
                staff = [m.user.email for m in staff_roster()]
            assert names == [f"Team of {world.tenant.slug}"]
            assert macros == [f"Macro of {world.tenant.slug}"]
            assert world.organization.name in organizations
            assert other.organization.name not in organizations
            assert any(world.marker in summary for summary in levels)
            assert not any(other.marker in summary for summary in levels)
            assert world.users["agent"].email in staff
            assert other.users["agent"].email not in staff


def test_saving_or_deleting_a_row_drops_the_copy(world_a):
    with tenant_context(world_a.tenant):
        team = Team.objects.create(name="Tier 1")
        assert [n for _pk, n in teams.team_choices()] == ["Tier 1"]
        team.name = "Tier 2"
        team.save()
        assert [n for _pk, n in teams.team_choices()] == ["Tier 2"]
        team.delete()
        assert teams.team_choices() == []

        assert tags.suggestions() == []
        Tag.objects.create(name="VPN", key=tags.key_of("VPN"))
        assert tags.suggestions() == ["VPN"]

        TicketFormField.objects.all().delete()
        assert selectors.form_labels() == []
        TicketFormField.objects.create(key="version", label="Version", field_type="short_text")
        assert selectors.form_labels() == [("version", "Version")]

        BusinessHours.objects.all().delete()
        assert desk_selectors.business_hours() == []
        BusinessHours.objects.create(weekday=0, opens=time(8), closes=time(12))
        assert [(h.weekday, h.opens) for h in desk_selectors.business_hours()] == [(0, time(8))]

        assert schedule_for(world_a.tenant).extra_holidays == frozenset()
        holiday = TenantHoliday.objects.create(date="2026-12-24", name="Christmas Eve")
        assert [str(d) for d in schedule_for(world_a.tenant).extra_holidays] == ["2026-12-24"]
        holiday.delete()
        assert schedule_for(world_a.tenant).extra_holidays == frozenset()

        level = PriorityLevel.objects.get(priority=Priority.LOW)
        level.summary = "Whenever"
        level.save()
        assert "Whenever" in [lv.summary for lv in desk_selectors.priority_levels()]

        Organization.objects.create(name="Newcomer Ltd")
        assert "Newcomer Ltd" in [n for _pk, n in queue.organization_choices()]


def test_saved_views_are_each_persons_own_and_the_shared_ones(world_a):
    from tickets.models import SavedView

    agent, manager = world_a.users["agent"], world_a.users["manager"]
    with tenant_context(world_a.tenant):
        assert queue.saved_views(agent, can_share=False) == []
        SavedView.objects.create(name="Mine", owner=agent, query="priority=urgent")
        SavedView.objects.create(name="Theirs", owner=manager, query="priority=high")
        shared = SavedView.objects.create(name="Shared", owner=None, query="priority=low")
        listed = queue.saved_views(agent, can_share=False)
        assert [(i["view"].name, i["can_delete"]) for i in listed] == [
            ("Mine", True),
            ("Shared", False),
        ]
        shared.delete()
        assert [i["view"].name for i in queue.saved_views(manager, can_share=True)] == ["Theirs"]


def test_a_change_of_role_or_of_a_members_name_reaches_the_staff_list(world_a, world_b):
    customer = world_a.users["customer"]
    agent = world_a.users["agent"]
    with tenant_context(world_a.tenant):
        assert customer.pk not in [pk for pk, _name in queue.agent_choices()]
        membership = world_a.memberships["customer"]
        membership.role = Membership.Role.AGENT
        membership.save()
        assert customer.pk in [pk for pk, _name in queue.agent_choices()]
    # The user row belongs to no tenant: renaming drops the lists of the tenants it is staff in.
    with tenant_context(world_b.tenant):
        Membership.objects.create(user=agent, role=Membership.Role.AGENT)
        assert "Ada Renamed" not in [name for _pk, name in queue.agent_choices()]
    agent.name = "Ada Renamed"
    agent.save(update_fields=["name"])
    for world in (world_a, world_b):
        with tenant_context(world.tenant):
            assert "Ada Renamed" in [name for _pk, name in queue.agent_choices()]


def test_a_sign_in_stamp_drops_nothing(world_a):
    agent = world_a.users["agent"]
    with tenant_context(world_a.tenant):
        staff_roster()
    with CaptureQueriesContext(connection) as captured:
        agent.save(update_fields=["last_login"])
    assert not any("tenants_membership" in q["sql"] for q in captured.captured_queries)
    with tenant_context(world_a.tenant):
        _roster, sent = queries(staff_roster)
    assert sent == 0


def test_updates_without_signals_drop_the_copy_too(world_a):
    """The default team is moved with ``QuerySet.update``, which sends no signal. (The other
    such update, of a new tenant's priority levels in ``desk_create``, runs before any copy of
    that tenant can exist: its creates renew the version again at commit.)"""
    from tickets.teams import assignment_settings_update

    with tenant_context(world_a.tenant):
        first = Team.objects.create(name="First")
        second = Team.objects.create(name="Second")
        assignment_settings_update(mode="off", default_team=first)
        teams.team_choices()
        assert queries(teams.team_choices)[1] == 0
        assignment_settings_update(mode="off", default_team=second)
        assert queries(teams.team_choices)[1] == 1


def test_no_tenant_or_no_seconds_reads_the_database(world_a, settings):
    with cross_tenant():
        _macros, sent = queries(selectors.macros)
        _macros, sent_again = queries(selectors.macros)
    assert sent >= 1 and sent_again >= 1  # across tenants nothing is kept
    settings.TENANT_CACHE_SECONDS = 0
    with tenant_context(world_a.tenant):
        queries(teams.team_choices)
        _choices, sent = queries(teams.team_choices)
    assert sent == 1


def test_a_kept_copy_is_the_callers_to_change(world_a):
    with tenant_context(world_a.tenant):
        choices = queue.organization_choices()
        choices.append((0, "Changed by the caller"))
        assert (0, "Changed by the caller") not in queue.organization_choices()


def test_a_request_reads_the_version_once_whatever_the_lists(world_a, monkeypatch):
    with tenant_context(world_a.tenant):
        for read in READS:
            read()  # made once
        calls = []

        class Counting:
            def get(self, key, *args):
                calls.append(key)
                return cache.get(key, *args)

            def __getattr__(self, name):
                return getattr(cache, name)

        monkeypatch.setattr(kept, "cache", Counting())
        with kept.request_scope(), CaptureQueriesContext(connection) as captured:
            for read in READS:
                read()
                read()
    assert captured.captured_queries == []
    assert calls == [kept._version_key(world_a.tenant.pk)]


def test_after_a_change_the_request_reads_afresh_and_keeps_nothing(world_a):
    """Its transaction could still roll back: what it read must not outlive it."""
    with tenant_context(world_a.tenant), kept.request_scope():
        teams.team_choices()
        Team.objects.create(name="Tier 1")
        for _ in range(2):
            choices, sent = queries(teams.team_choices)
            assert [name for _pk, name in choices] == ["Tier 1"]
            assert sent == 1
    with tenant_context(world_a.tenant), kept.request_scope():
        assert queries(teams.team_choices)[1] == 1  # made again, under the committed version
        assert queries(teams.team_choices)[1] == 0


def test_another_process_change_reaches_this_one(world_a):
    """Another process's change is seen as a new version in the shared cache."""
    with tenant_context(world_a.tenant):
        teams.team_choices()
        assert queries(teams.team_choices)[1] == 0
        cache.set(kept._version_key(world_a.tenant.pk), "set by another process", None)
        assert queries(teams.team_choices)[1] == 1
        cache.clear()  # the shared cache lost everything: a new version, copies made again
        assert queries(teams.team_choices)[1] == 1
        assert queries(teams.team_choices)[1] == 0


def test_a_copy_lives_at_most_the_cache_seconds(world_a, settings, monkeypatch):
    settings.TENANT_CACHE_SECONDS = 60
    clock = [1000.0]
    monkeypatch.setattr(kept.time, "monotonic", lambda: clock[0])
    with tenant_context(world_a.tenant):
        teams.team_choices()
        clock[0] += 59
        assert queries(teams.team_choices)[1] == 0
        clock[0] += 2
        assert queries(teams.team_choices)[1] == 1
