"""When chat is offered: the tenant's hours (its zone, daylight saving, public and own holidays)
and an agent who switched on and whose workspace reported lately. Read through
``selectors.chat_offer`` and through the portal pages that show "Chat now"."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from asgiref.sync import async_to_sync
from django.test import Client

from chat import selectors, services
from chat.models import AgentAvailability, Chat
from core.errors import Conflict
from desk.models import TenantHoliday
from tenants.context import tenant_context
from tests.chat.helpers import (
    OPEN_HOURS,
    TIMEOUT,
    connected,
    db,
    make_available,
    session_cookie,
    start_chat,
)

CHICAGO = ZoneInfo("America/Chicago")
UTC = ZoneInfo("UTC")

CHAT_NOW_LINK = 'href="/chat/" data-chat-now>Chat now</a>'
CHAT_NOW_OFF = '<button type="button" class="button" disabled>Chat now</button>'


def chicago(*args) -> datetime:
    return datetime(*args, tzinfo=CHICAGO)


def offer_at(world, moment: datetime, *, agent: bool = True) -> selectors.ChatOffer:
    """The offer at ``moment``, with the agent switched on (and reporting) just then."""
    with time_machine.travel(moment, tick=False):
        if agent:
            make_available(world)
        with tenant_context(world.tenant):
            return selectors.chat_offer()


def pages_at(world, moment: datetime) -> dict[str, str]:
    with time_machine.travel(moment, tick=False):
        client = Client(HTTP_HOST=world.host)
        pages = {path: client.get(path) for path in ("/", "/chat/")}
    for path, response in pages.items():
        assert response.status_code == 200, path
    return {path: response.content.decode() for path, response in pages.items()}


# --- Hours -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "next_opening"),
    [
        # Saturday morning: Monday 08:00.
        (chicago(2026, 11, 28, 10, 0), chicago(2026, 11, 30, 8, 0)),
        # Thanksgiving (a Thursday, US public holiday): Friday 08:00.
        (chicago(2026, 11, 26, 10, 0), chicago(2026, 11, 27, 8, 0)),
        # Friday after closing: Monday 08:00.
        (chicago(2026, 11, 20, 18, 0), chicago(2026, 11, 23, 8, 0)),
        # Before opening on a weekday: the same day at 08:00.
        (chicago(2026, 11, 24, 7, 59), chicago(2026, 11, 24, 8, 0)),
        # Closing time itself is closed.
        (chicago(2026, 11, 24, 17, 0), chicago(2026, 11, 25, 8, 0)),
    ],
    ids=["saturday", "thanksgiving", "friday-evening", "before-opening", "at-closing"],
)
def test_chat_is_closed_outside_hours_and_says_when_it_opens(world_a, moment, next_opening):
    offer = offer_at(world_a, moment)
    assert offer.in_hours is False and offer.available is False
    assert offer.agents_available == 0  # nobody counts while closed, switched on or not
    assert offer.reason == "Chat is closed now."
    assert offer.next_opening == next_opening
    pages = pages_at(world_a, moment)
    shown = f'Chat opens <time datetime="{next_opening.isoformat()}">'
    for path, page in pages.items():
        assert CHAT_NOW_OFF in page and CHAT_NOW_LINK not in page, path
        assert "Chat is closed now." in page, path
        assert shown in page, path
        assert f"{next_opening:%A, %B} {next_opening.day}, 08:00 C" in page, path


def test_friday_evening_points_to_monday_morning_in_words(world_a):
    page = pages_at(world_a, chicago(2026, 11, 20, 18, 0))["/chat/"]
    assert "Chat opens" in page and "Monday, November 23, 08:00 CST" in page
    assert 'name="topic"' not in page  # no pre-chat form while closed


def test_chat_is_open_inside_hours_on_a_weekday(world_a):
    moment = chicago(2026, 11, 25, 10, 0)
    offer = offer_at(world_a, moment)
    assert offer.in_hours and offer.agents_available == 1 and offer.available
    assert offer.reason == "" and offer.next_opening is None
    assert offer.closes_at == chicago(2026, 11, 25, 17, 0)
    pages = pages_at(world_a, moment)
    assert CHAT_NOW_LINK in pages["/"] and CHAT_NOW_OFF not in pages["/"]
    # The chat page itself shows the pre-chat form instead of a link to itself.
    assert 'name="topic"' in pages["/chat/"] and "Start chat" in pages["/chat/"]
    assert CHAT_NOW_OFF not in pages["/chat/"]


def test_a_tenant_holiday_closes_chat(world_a, world_b):
    moment = chicago(2026, 11, 25, 10, 0)
    with tenant_context(world_a.tenant):
        TenantHoliday.objects.create(date=date(2026, 11, 25), name="Team day")
    offer = offer_at(world_a, moment)
    assert offer.in_hours is False and not offer.available
    # Thursday is Thanksgiving, so chat opens again on Friday.
    assert offer.next_opening == chicago(2026, 11, 27, 8, 0)
    assert all(CHAT_NOW_OFF in page for page in pages_at(world_a, moment).values())
    # Another tenant's holiday changes nothing here.
    assert offer_at(world_b, moment).available


@pytest.mark.parametrize(
    ("instant", "open_"),
    [
        # Monday after the spring-forward night (2026-03-08): Chicago is UTC-5 now.
        (datetime(2026, 3, 9, 13, 30, tzinfo=UTC), True),  # 08:30 CDT
        (datetime(2026, 3, 9, 12, 30, tzinfo=UTC), False),  # 07:30 CDT
        (datetime(2026, 3, 9, 21, 59, tzinfo=UTC), True),  # 16:59 CDT
        (datetime(2026, 3, 9, 22, 30, tzinfo=UTC), False),  # 17:30 CDT
        # The Friday before: still UTC-6.
        (datetime(2026, 3, 6, 14, 30, tzinfo=UTC), True),  # 08:30 CST
        (datetime(2026, 3, 6, 13, 30, tzinfo=UTC), False),  # 07:30 CST
    ],
    ids=["mon-0830-cdt", "mon-0730-cdt", "mon-1659-cdt", "mon-1730-cdt", "fri-0830", "fri-0730"],
)
def test_hours_follow_the_daylight_saving_change(world_a, instant, open_):
    offer = offer_at(world_a, instant)
    assert offer.in_hours is open_ and offer.available is open_
    if not open_ and instant.hour < 14:
        # Before opening: 08:00 local, in that day's offset.
        local_day = instant.astimezone(CHICAGO).date()
        assert offer.next_opening == datetime(
            local_day.year, local_day.month, local_day.day, 8, 0, tzinfo=CHICAGO
        )


def test_opening_on_the_dst_monday_is_13_utc(world_a):
    offer = offer_at(world_a, datetime(2026, 3, 9, 12, 30, tzinfo=UTC))
    assert offer.next_opening == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)


# --- Agents ----------------------------------------------------------------------------------


def test_open_hours_without_an_available_agent_is_busy_or_away(world_a):
    offer = offer_at(world_a, OPEN_HOURS, agent=False)
    assert offer.in_hours and offer.agents_available == 0 and not offer.available
    assert offer.reason == "Every agent is busy or away right now."
    for path, page in pages_at(world_a, OPEN_HOURS).items():
        assert "busy or away" in page, path
        assert CHAT_NOW_OFF in page and CHAT_NOW_LINK not in page, path
        assert "Try again in a few minutes." in page, path


def test_an_agent_who_switched_off_is_not_counted(world_a):
    with time_machine.travel(OPEN_HOURS, tick=False):
        make_available(world_a)
        with tenant_context(world_a.tenant):
            services.availability_set(user=world_a.users["agent"], available=False)
            assert selectors.available_agents_count() == 0
            assert not selectors.chat_offer().available


def test_an_agent_whose_workspace_stopped_reporting_is_not_counted(world_a):
    with time_machine.travel(OPEN_HOURS, tick=False) as traveller:
        make_available(world_a)
        traveller.shift(selectors.PRESENCE_WINDOW - timedelta(seconds=1))
        with tenant_context(world_a.tenant):
            assert selectors.available_agents_count() == 1
            assert selectors.chat_offer().available
        traveller.shift(timedelta(seconds=2))
        with tenant_context(world_a.tenant):
            assert selectors.available_agents_count() == 0
            offer = selectors.chat_offer()
            # Still switched on: the workspace switch shows it, the offer does not count it.
            assert selectors.is_available(world_a.users["agent"])
    assert not offer.available and offer.reason == "Every agent is busy or away right now."


def test_an_agent_of_another_tenant_does_not_count_here(world_a, world_b):
    with time_machine.travel(OPEN_HOURS, tick=False):
        make_available(world_b)
        with tenant_context(world_a.tenant):
            assert selectors.available_agents_count() == 0
        with tenant_context(world_b.tenant):
            assert selectors.available_agents_count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_agent_workspace_socket_keeps_the_agent_counted(world_a):
    agent = world_a.users["agent"]

    def seen_at():
        with tenant_context(world_a.tenant):
            return AgentAvailability.objects.get(user=agent).seen_at

    def counted():
        with tenant_context(world_a.tenant):
            return selectors.available_agents_count()

    with time_machine.travel(OPEN_HOURS, tick=False) as traveller:
        make_available(world_a)
        session_key = session_cookie(tenant=world_a.tenant, user=agent)
        traveller.shift(selectors.PRESENCE_WINDOW + timedelta(seconds=30))
        assert counted() == 0  # the switch is on, but nothing reported for two minutes
        log = {}

        async def scenario():
            workspace = await connected("/ws/agent/", host=world_a.host, session_key=session_key)
            log["hello"] = await workspace.receive_json_from(timeout=TIMEOUT)
            log["after connect"] = (await db(seen_at), await db(counted))
            traveller.shift(timedelta(seconds=60))
            await workspace.send_json_to({"type": "ping"})
            log["pong"] = await workspace.receive_json_from(timeout=TIMEOUT)
            log["after ping"] = await db(seen_at)
            # Pings come every 25 s; a write every 20 s at most is enough.
            traveller.shift(timedelta(seconds=10))
            await workspace.send_json_to({"type": "ping"})
            await workspace.receive_json_from(timeout=TIMEOUT)
            log["after a quick ping"] = await db(seen_at)
            await workspace.disconnect()

        connected_at = OPEN_HOURS + selectors.PRESENCE_WINDOW + timedelta(seconds=30)
        async_to_sync(scenario)()
        assert log["hello"] == {"type": "hello", "available": True, "waiting": 0}
        assert log["after connect"] == (connected_at, 1)
        assert log["pong"] == {"type": "pong"}
        assert log["after ping"] == connected_at + timedelta(seconds=60)
        assert log["after a quick ping"] == connected_at + timedelta(seconds=60)
        # The workspace closed: out of the count once the window after its last report passes.
        traveller.shift(selectors.PRESENCE_WINDOW - timedelta(seconds=10))
        assert counted() == 1
        traveller.shift(timedelta(seconds=1))
        assert counted() == 0


def test_a_workspace_report_counts_an_agent_whose_row_has_no_time_yet(world_a):
    """A switched-on row without ``seen_at`` (made by an admin or an import) is refreshed by
    the workspace's report like any other."""
    agent = world_a.users["agent"]
    with time_machine.travel(OPEN_HOURS, tick=False), tenant_context(world_a.tenant):
        AgentAvailability.objects.create(user=agent, available=True, seen_at=None)
        assert selectors.available_agents_count() == 0
        services.availability_seen(user=agent)
        assert AgentAvailability.objects.get(user=agent).seen_at == OPEN_HOURS
        assert selectors.available_agents_count() == 1


# --- Starting a chat -------------------------------------------------------------------------


def test_chat_start_is_refused_when_chat_is_not_offered(world_a):
    # Open, but no agent reports.
    with time_machine.travel(OPEN_HOURS, tick=False), pytest.raises(Conflict) as busy:
        start_chat(world_a)
    assert busy.value.code == "chat_closed" and "busy or away" in busy.value.message
    with time_machine.travel(chicago(2026, 11, 28, 10, 0), tick=False):  # Saturday
        make_available(world_a)
        with pytest.raises(Conflict) as refused:
            start_chat(world_a)
    assert refused.value.code == "chat_closed"
    assert "Chat is closed now." in refused.value.message
    with tenant_context(world_a.tenant):
        assert not Chat.objects.exists()


def test_the_start_page_refuses_a_chat_when_closed_and_starts_one_when_open(world_a):
    form = {"name": "Casey", "email": "casey@example.net", "topic": "Restore hangs"}
    with time_machine.travel(chicago(2026, 11, 28, 10, 0), tick=False):
        make_available(world_a)
        refused = Client(HTTP_HOST=world_a.host).post("/chat/", form)
    assert refused.status_code == 409
    assert "Chat is closed now." in refused.content.decode()
    with tenant_context(world_a.tenant):
        assert not Chat.objects.exists()
    with time_machine.travel(OPEN_HOURS, tick=False):
        make_available(world_a)
        started = Client(HTTP_HOST=world_a.host).post("/chat/", form)
    with tenant_context(world_a.tenant):
        chat = Chat.objects.get()
    assert started.status_code == 302 and started["Location"] == f"/chat/{chat.token}/"
    assert chat.topic == "Restore hangs" and chat.status == Chat.Status.WAITING


def test_back_to_back_hours_close_when_the_last_interval_ends(world_a):
    """Hours that run 00:00-24:00 Monday to Wednesday: on Monday chat is open until Thursday
    00:00, not until Monday midnight."""
    from datetime import time

    from desk.models import BusinessHours

    with tenant_context(world_a.tenant):
        BusinessHours.objects.all().delete()
        for weekday in (0, 1, 2):
            BusinessHours.objects.create(weekday=weekday, opens=time(0), closes=time(0))
    monday_noon = datetime(2026, 11, 23, 12, 0, tzinfo=CHICAGO)
    with time_machine.travel(monday_noon, tick=False):
        make_available(world_a)
        with tenant_context(world_a.tenant):
            offer = selectors.chat_offer()
    assert offer.available
    assert offer.closes_at == datetime(2026, 11, 26, 0, 0, tzinfo=CHICAGO)
