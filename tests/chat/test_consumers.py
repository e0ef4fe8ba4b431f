"""The chat websockets end to end (Channels' WebsocketCommunicator over the real ASGI stack:
tenant host and Origin check, session cookie, routing, consumer, channel layer, database).

Each test is a sync function that runs one async scenario with ``async_to_sync``; the desk is
open (a Wednesday at 10:00 in Chicago, time moving) unless a test says otherwise.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import time_machine
from asgiref.sync import async_to_sync

from chat import consumers, services
from chat.models import AgentAvailability, ChatMessage
from chat.selectors import Participant
from tenants.context import tenant_context
from tenants.models import Membership
from tests.chat.helpers import (
    OPEN_HOURS,
    TIMEOUT,
    accept,
    chat_messages,
    close_code,
    communicator,
    connected,
    db,
    drain,
    drain_all,
    frames_of,
    make_available,
    refreshed,
    session_cookie,
    start_chat,
    until_state,
)

pytestmark = [pytest.mark.django_db(transaction=True)]

CUSTOMER_KEY = "v" * 32
OTHER_KEY = "w" * 32


@pytest.fixture
def desk_open():
    with time_machine.travel(OPEN_HOURS, tick=True) as traveller:
        yield traveller


@pytest.fixture
def live(world_a, desk_open):
    """Tenant A with an available agent and one chat the agent took."""
    make_available(world_a)
    chat = start_chat(world_a, visitor_key=CUSTOMER_KEY)
    accept(world_a, chat)
    return SimpleNamespace(
        world=world_a,
        chat=chat,
        path=f"/ws/chat/{chat.token}/",
        host=world_a.host,
        customer_key=session_cookie(visitor_key=CUSTOMER_KEY),
        agent_key=staff_session(world_a, "agent"),
    )


def staff_session(world, role: str) -> str:
    return session_cookie(tenant=world.tenant, user=world.users[role])


def bodies(frames: list[dict]) -> list[str]:
    return [f["body"] for f in frames if f["type"] == "message"]


def ids(frames: list[dict]) -> list[int]:
    return [f["id"] for f in frames if f["type"] == "message"]


# --- 1. Delivery: in order, to the chat's participants only ----------------------------------


def test_messages_reach_both_sides_in_send_order_and_nobody_else(live):
    world, chat = live.world, live.chat
    other = start_chat(world, visitor_key=OTHER_KEY, name="Otto Other", topic="Printer jam")
    accept(world, other, role="manager")
    other_key = session_cookie(visitor_key=OTHER_KEY)
    first_new_id = refreshed(world, chat).last_seq + 1

    async def scenario():
        customer = await connected(live.path, host=live.host, session_key=live.customer_key)
        agent = await connected(live.path, host=live.host, session_key=live.agent_key)
        other_path = f"/ws/chat/{other.token}/"
        other_customer = await connected(other_path, host=live.host, session_key=other_key)
        agent_on_other = await connected(other_path, host=live.host, session_key=live.agent_key)
        for socket in (customer, agent, other_customer, agent_on_other):
            await until_state(socket)
        # Both sides type fast, without waiting for anything in between.
        for i in range(5):
            await customer.send_json_to(
                {"type": "message", "body": f"customer says {i}", "client_id": f"c-{i}"}
            )
        for i in range(3):
            await agent.send_json_to(
                {"type": "message", "body": f"agent says {i}", "client_id": f"a-{i}"}
            )
        at_customer = await frames_of(customer, 8)
        at_agent = await frames_of(agent, 8)
        extra = dict(
            zip(
                ["customer", "agent", "other customer", "agent on the other chat"],
                await drain_all(customer, agent, other_customer, agent_on_other),
                strict=True,
            )
        )
        for socket in (customer, agent, other_customer, agent_on_other):
            await socket.disconnect()
        return at_customer, at_agent, extra

    at_customer, at_agent, extra = async_to_sync(scenario)()
    stored = [m.body for m in chat_messages(world, chat) if m.seq >= first_new_id]
    assert sorted(stored) == sorted(
        [f"customer says {i}" for i in range(5)] + [f"agent says {i}" for i in range(3)]
    )
    # Everyone sees the stored order, ids one after another, each side's messages in send order.
    for frames in (at_customer, at_agent):
        assert [f["type"] for f in frames] == ["message"] * 8
        assert ids(frames) == list(range(first_new_id, first_new_id + 8))
        assert bodies(frames) == stored
    assert [b for b in stored if b.startswith("customer")] == [
        f"customer says {i}" for i in range(5)
    ]
    assert [b for b in stored if b.startswith("agent")] == [f"agent says {i}" for i in range(3)]
    by_body = {f["body"]: f for f in at_agent}
    assert by_body["customer says 0"]["author"] == "customer"
    assert by_body["customer says 0"]["client_id"] == "c-0"
    assert by_body["agent says 2"]["author"] == "agent"
    assert by_body["agent says 2"]["name"] == world.users["agent"].display_name
    assert extra == {
        "customer": [],
        "agent": [],
        "other customer": [],
        "agent on the other chat": [],
    }


def test_typing_reaches_the_other_side_only(live):
    world = live.world
    other = start_chat(world, visitor_key=OTHER_KEY, name="Otto Other")
    other_key = session_cookie(visitor_key=OTHER_KEY)
    manager_key = staff_session(world, "manager")

    async def scenario():
        customer = await connected(live.path, host=live.host, session_key=live.customer_key)
        agent = await connected(live.path, host=live.host, session_key=live.agent_key)
        # A manager reading along: staff, but not the chat's agent.
        manager = await connected(live.path, host=live.host, session_key=manager_key)
        other_customer = await connected(
            f"/ws/chat/{other.token}/", host=live.host, session_key=other_key
        )
        sockets = (customer, agent, manager, other_customer)
        for socket in sockets:
            await until_state(socket)
        seen = {}
        await customer.send_json_to({"type": "typing"})
        seen["customer typed, agent got"] = await agent.receive_json_from(timeout=TIMEOUT)
        seen["customer typed, manager got"] = await manager.receive_json_from(timeout=TIMEOUT)
        seen["customer typed, rest"] = await drain_all(customer, other_customer)
        await agent.send_json_to({"type": "typing"})
        seen["agent typed, customer got"] = await customer.receive_json_from(timeout=TIMEOUT)
        seen["agent typed, rest"] = await drain_all(agent, manager, other_customer)
        # The manager does not write in this chat, so their typing is not shown to anyone.
        await manager.send_json_to({"type": "typing"})
        seen["manager typed"] = await drain_all(*sockets)
        for socket in sockets:
            await socket.disconnect()
        return seen

    seen = async_to_sync(scenario)()
    customer_typing = {"type": "typing", "author": "customer", "name": "Casey Customer"}
    assert seen["customer typed, agent got"] == customer_typing
    assert seen["customer typed, manager got"] == customer_typing
    assert seen["customer typed, rest"] == [[], []]
    assert seen["agent typed, customer got"] == {
        "type": "typing",
        "author": "agent",
        "name": world.users["agent"].display_name,
    }
    assert seen["agent typed, rest"] == [[], [], []]
    assert seen["manager typed"] == [[], [], [], []]


# --- 2. Nobody else gets in ------------------------------------------------------------------


def _not_found(frame: dict) -> bool:
    return frame.get("type") == "error" and frame.get("code") == "not_found"


async def _refused_with_not_found(path, *, host, session_key=""):
    socket = communicator(path, host=host, session_key=session_key)
    accepted, _ = await socket.connect(timeout=TIMEOUT)
    assert accepted  # the answer comes as a frame, so the page can say why
    frame = await socket.receive_json_from(timeout=TIMEOUT)
    code = await close_code(socket)
    return frame, code


# (description, tenant of the session, role or None, visitor key, host's tenant, chat's tenant)
STRANGERS = [
    ("B's admin on A's host", "b", "admin", "", "a", "a"),
    ("B's agent on A's host", "b", "agent", "", "a", "a"),
    ("B's admin on B's host with A's token", "b", "admin", "", "b", "a"),
    ("A's admin on B's host with B's token", "a", "admin", "", "b", "b"),
    ("A's agent on B's host with B's token", "a", "agent", "", "b", "b"),
    ("A's customer on B's host with B's token", "a", "customer", "", "b", "b"),
    ("A's admin on A's host with B's token", "a", "admin", "", "a", "b"),
    ("anonymous without the visitor key", None, None, "", "a", "a"),
    ("anonymous with another visitor key", None, None, "x" * 32, "a", "a"),
    ("A's customer who is not this chat's", "a", "customer", "", "a", "a"),
    ("B's chat's visitor on A's host", None, None, "b" * 32, "a", "a"),
]


@pytest.mark.parametrize(
    ("session_of", "role", "key", "host_of", "chat_of"),
    [case[1:] for case in STRANGERS],
    ids=[case[0] for case in STRANGERS],
)
def test_a_guessed_token_gets_not_found_and_4404(
    world_a, world_b, desk_open, session_of, role, key, host_of, chat_of
):
    worlds = {"a": world_a, "b": world_b}
    for world in worlds.values():
        make_available(world)
    chats = {
        "a": start_chat(world_a, visitor_key="a" * 32, topic=f"A topic {world_a.marker}"),
        "b": start_chat(
            world_b,
            visitor_key="b" * 32,
            topic=f"B topic {world_b.marker}",
            name=f"B person {world_b.marker}",
        ),
    }
    accept(world_b, chats["b"])
    if session_of is None:
        session_key = session_cookie(visitor_key=key) if key else ""
    else:
        world = worlds[session_of]
        session_key = session_cookie(tenant=world.tenant, user=world.users[role], visitor_key=key)
    chat = chats[chat_of]
    path = f"/ws/chat/{chat.token}/?after=0"

    frame, code = async_to_sync(_refused_with_not_found)(
        path, host=worlds[host_of].host, session_key=session_key
    )
    assert _not_found(frame), frame
    assert code == consumers.CLOSE_NOT_FOUND
    text = json.dumps(frame)
    assert chat.topic not in text and chat.name not in text and chat.token not in text


def test_a_session_counts_only_on_the_host_it_was_signed_in_on(world_a, world_b, desk_open):
    """Someone on staff at both A and B, signed in on A's host only, is a stranger on B's host:
    neither B's chat nor B's workspace socket lets them in; signed in on B's host, both do."""
    person = world_a.users["agent"]
    with tenant_context(world_b.tenant):
        Membership.objects.create(user=person, role=Membership.Role.AGENT)
    make_available(world_b)
    chat = start_chat(world_b, visitor_key="b" * 32, topic=f"B topic {world_b.marker}")
    signed_on_a = session_cookie(tenant=world_a.tenant, user=person)
    signed_on_b = session_cookie(tenant=world_b.tenant, user=person)
    path = f"/ws/chat/{chat.token}/"

    async def scenario():
        results = {}
        for name, key in (("signed on A", signed_on_a), ("signed on B", signed_on_b)):
            socket = await connected(path, host=world_b.host, session_key=key)
            first = await socket.receive_json_from(timeout=TIMEOUT)
            results[f"chat, {name}"] = first
            workspace = await connected("/ws/agent/", host=world_b.host, session_key=key)
            results[f"workspace, {name}"] = await workspace.receive_json_from(timeout=TIMEOUT)
            for each in (socket, workspace):
                await each.disconnect()
        return results

    results = async_to_sync(scenario)()
    assert _not_found(results["chat, signed on A"])
    assert results["workspace, signed on A"]["code"] == "not_allowed"
    assert results["chat, signed on B"]["body"] == f"B topic {world_b.marker}"
    assert results["workspace, signed on B"]["type"] == "hello"


def test_the_right_session_gets_in_the_same_way(world_a, desk_open):
    """The control for the strangers above: the same path with the chat's own session works."""
    make_available(world_a)
    chat = start_chat(world_a, visitor_key="a" * 32, topic="Restore hangs")
    session_key = session_cookie(visitor_key="a" * 32)

    async def scenario():
        socket = await connected(
            f"/ws/chat/{chat.token}/?after=0", host=world_a.host, session_key=session_key
        )
        frames = await until_state(socket)
        await socket.disconnect()
        return frames

    frames = async_to_sync(scenario)()
    assert bodies(frames)[0] == "Restore hangs"
    assert frames[-1]["status"] == "waiting" and frames[-1]["queue_position"] == 1


REFUSED_HANDSHAKES = [
    ("unknown tenant host", "nosuch.localhost", None),
    ("platform host", "localhost", None),
    ("nested host", "x.alpha.localhost", None),
    ("foreign Origin", "alpha.localhost", "https://evil.example"),
    ("another tenant's Origin", "alpha.localhost", "http://bravo.localhost"),
    ("opaque Origin", "alpha.localhost", "null"),
]


@pytest.mark.parametrize("route", ["chat", "agent"])
def test_wrong_hosts_and_foreign_origins_are_refused_at_the_handshake(
    world_a, world_b, desk_open, route
):
    assert world_a.host == "alpha.localhost" and world_b.host == "bravo.localhost"
    make_available(world_a)
    chat = start_chat(world_a, visitor_key=CUSTOMER_KEY)
    # Sessions that get in on the right host (the control at the end shows it).
    if route == "chat":
        path, session_key = f"/ws/chat/{chat.token}/", session_cookie(visitor_key=CUSTOMER_KEY)
    else:
        path, session_key = "/ws/agent/", staff_session(world_a, "agent")

    async def scenario():
        results = {}
        for what, host, origin in REFUSED_HANDSHAKES:
            socket = communicator(path, host=host, session_key=session_key, origin=origin)
            results[what] = await socket.connect(timeout=TIMEOUT)
        control = communicator(
            path, host=world_a.host, session_key=session_key, origin="http://alpha.localhost:8000"
        )
        control_result = await control.connect(timeout=TIMEOUT)
        first = await control.receive_json_from(timeout=TIMEOUT)
        await control.disconnect()
        return results, control_result, first

    results, control_result, first = async_to_sync(scenario)()
    accepted = [what for what, (ok, _code) in results.items() if ok]
    assert not accepted, f"handshakes accepted: {accepted}"
    assert len(results) == len(REFUSED_HANDSHAKES)
    assert control_result[0] is True and first["type"] in {"message", "hello"}


AGENT_STRANGERS = [
    ("A's customer", "a", "customer", "a"),
    ("anonymous", None, None, "a"),
    ("B's admin on A's host", "b", "admin", "a"),
    ("B's agent on A's host", "b", "agent", "a"),
    ("A's agent on B's host", "a", "agent", "b"),
    ("A's admin on B's host", "a", "admin", "b"),
]


@pytest.mark.parametrize(
    ("session_of", "role", "host_of"),
    [case[1:] for case in AGENT_STRANGERS],
    ids=[case[0] for case in AGENT_STRANGERS],
)
def test_the_agent_workspace_socket_refuses_customers_and_strangers(
    world_a, world_b, desk_open, session_of, role, host_of
):
    worlds = {"a": world_a, "b": world_b}
    session_key = (
        staff_session(worlds[session_of], role)
        if session_of
        else session_cookie(visitor_key=CUSTOMER_KEY)
    )

    async def scenario():
        socket = await connected("/ws/agent/", host=worlds[host_of].host, session_key=session_key)
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        return frame, await close_code(socket)

    frame, code = async_to_sync(scenario)()
    assert frame["type"] == "error" and frame["code"] == "not_allowed"
    assert code == consumers.CLOSE_FORBIDDEN
    # Trying did not put anyone on the list of agents (nor count them as present).
    for world in worlds.values():
        with tenant_context(world.tenant):
            assert not AgentAvailability.objects.exists()


def test_the_agent_workspace_gets_its_own_tenant_s_notices_only(world_a, world_b, desk_open):
    make_available(world_a)
    make_available(world_b)
    agent_key = staff_session(world_a, "agent")
    b_agent_key = staff_session(world_b, "agent")

    async def scenario():
        workspace = await connected("/ws/agent/", host=world_a.host, session_key=agent_key)
        hello = await workspace.receive_json_from(timeout=TIMEOUT)
        b_workspace = await connected("/ws/agent/", host=world_b.host, session_key=b_agent_key)
        b_hello = await b_workspace.receive_json_from(timeout=TIMEOUT)
        await db(start_chat, world_b, visitor_key="b" * 32, topic=f"B secret {world_b.marker}")
        b_notice = await b_workspace.receive_json_from(timeout=TIMEOUT)
        leaked = await drain(workspace)
        await db(start_chat, world_a, visitor_key="a" * 32, topic="Need help with restore")
        notice = await workspace.receive_json_from(timeout=TIMEOUT)
        await workspace.send_json_to({"type": "message", "body": "hi"})
        wrong_frame = await workspace.receive_json_from(timeout=TIMEOUT)
        await workspace.send_json_to({"type": "ping"})
        pong = await workspace.receive_json_from(timeout=TIMEOUT)
        for socket in (workspace, b_workspace):
            await socket.disconnect()
        return hello, b_hello, b_notice, leaked, notice, wrong_frame, pong

    hello, b_hello, b_notice, leaked, notice, wrong_frame, pong = async_to_sync(scenario)()
    assert hello == {"type": "hello", "available": True, "waiting": 0}
    assert b_hello["waiting"] == 0
    assert b_notice["kind"] == "waiting" and b_notice["waiting"] == 1
    assert leaked == []
    assert notice["kind"] == "waiting" and notice["name"] == "Casey Customer"
    assert notice["preview"] == "Need help with restore" and notice["waiting"] == 1
    assert wrong_frame["type"] == "error" and wrong_frame["code"] == "bad_frame"
    assert pong == {"type": "pong"}


def test_a_workspace_hears_of_messages_in_its_chats_until_the_agent_is_removed(live):
    world = live.world

    def remove_agent():
        with tenant_context(world.tenant):
            Membership.objects.filter(user=world.users["agent"]).delete()

    async def scenario():
        workspace = await connected("/ws/agent/", host=live.host, session_key=live.agent_key)
        await workspace.receive_json_from(timeout=TIMEOUT)  # hello
        customer = await connected(live.path, host=live.host, session_key=live.customer_key)
        await until_state(customer)
        await customer.send_json_to({"type": "message", "body": "the restore failed again"})
        notice = await workspace.receive_json_from(timeout=TIMEOUT)
        await db(remove_agent)
        await customer.send_json_to({"type": "message", "body": f"secret {world.marker}"})
        code = await close_code(workspace)
        await customer.disconnect()
        return notice, code

    notice, code = async_to_sync(scenario)()
    assert notice["type"] == "notice" and notice["kind"] == "message"
    assert notice["token"] == live.chat.token and notice["preview"] == "the restore failed again"
    assert "waiting" not in notice  # the line did not change; the page keeps its count
    assert code == consumers.CLOSE_FORBIDDEN  # closed before the second preview was sent


# --- 3. Reconnecting -------------------------------------------------------------------------


def _agent_writes(world, chat, body: str):
    with tenant_context(world.tenant):
        agent = world.users["agent"]
        who = Participant("agent", agent.pk, agent.display_name)
        return services.message_post(chat=chat, who=who, body=body)[0]


def test_a_reconnect_gets_exactly_the_missed_messages_in_order(live):
    world, chat = live.world, live.chat

    async def scenario():
        customer = await connected(live.path, host=live.host, session_key=live.customer_key)
        first = await until_state(customer)
        for i in range(2):
            await db(_agent_writes, world, chat, f"before the drop {i}")
        seen = await frames_of(customer, 2)
        last_id = seen[-1]["id"]
        await customer.disconnect()
        for i in range(3):
            await db(_agent_writes, world, chat, f"while away {i}")
        again = await connected(
            f"{live.path}?after={last_id}", host=live.host, session_key=live.customer_key
        )
        resumed = await until_state(again)
        await db(_agent_writes, world, chat, "after the return")
        live_frame = await again.receive_json_from(timeout=TIMEOUT)
        rest = await drain(again)
        await again.disconnect()
        return first, seen, last_id, resumed, live_frame, rest

    first, seen, last_id, resumed, live_frame, rest = async_to_sync(scenario)()
    assert bodies(first) == [m.body for m in chat_messages(world, chat)][:3]
    assert bodies(seen) == ["before the drop 0", "before the drop 1"]
    assert bodies(resumed) == ["while away 0", "while away 1", "while away 2"]
    assert ids(resumed) == [last_id + 1, last_id + 2, last_id + 3]
    assert resumed[-1]["type"] == "state" and len(resumed) == 4
    assert live_frame["body"] == "after the return" and live_frame["id"] == last_id + 4
    assert rest == []


def test_a_message_resent_after_a_reconnect_is_stored_once_and_shown_once(live):
    world, chat = live.world, live.chat

    async def scenario():
        customer = await connected(live.path, host=live.host, session_key=live.customer_key)
        agent = await connected(live.path, host=live.host, session_key=live.agent_key)
        backlog = await until_state(customer)
        await until_state(agent)
        last_id = ids(backlog)[-1]
        # Sent, stored, but the connection drops before the customer reads the answer.
        await customer.send_json_to(
            {"type": "message", "body": "are you there?", "client_id": "k1"}
        )
        at_agent = [await agent.receive_json_from(timeout=TIMEOUT)]
        await customer.disconnect()
        await agent.send_json_to({"type": "message", "body": "yes, here", "client_id": "x1"})
        at_agent.append(await agent.receive_json_from(timeout=TIMEOUT))
        # The page resumes from the last id it showed and sends its pending message again.
        again = await connected(
            f"{live.path}?after={last_id}", host=live.host, session_key=live.customer_key
        )
        resumed = await until_state(again)
        await again.send_json_to({"type": "message", "body": "are you there?", "client_id": "k1"})
        await again.send_json_to({"type": "ping"})
        after_resend = [await again.receive_json_from(timeout=TIMEOUT)]
        more_at_customer, more_at_agent = await drain_all(again, agent)
        after_resend += more_at_customer
        at_agent += more_at_agent
        # A resend whose answer did arrive (same socket) is not shown a second time either.
        await again.send_json_to({"type": "message", "body": "are you there?", "client_id": "k1"})
        await again.send_json_to({"type": "message", "body": "thanks", "client_id": "k2"})
        final = await again.receive_json_from(timeout=TIMEOUT)
        at_agent.append(await agent.receive_json_from(timeout=TIMEOUT))
        more_at_agent, final_rest = await drain_all(agent, again)
        at_agent += more_at_agent
        await again.disconnect()
        await agent.disconnect()
        return last_id, at_agent, resumed, after_resend, final, final_rest

    last_id, at_agent, resumed, after_resend, final, final_rest = async_to_sync(scenario)()
    stored = chat_messages(world, chat)
    assert [m.body for m in stored if m.client_id == "k1"] == ["are you there?"]
    assert [m.body for m in stored if m.seq > last_id] == ["are you there?", "yes, here", "thanks"]
    # The backlog brought the stored message back (with its client_id, so the page can settle
    # its pending copy); the resend added nothing.
    assert [(f["body"], f["client_id"]) for f in resumed if f["type"] == "message"] == [
        ("are you there?", "k1"),
        ("yes, here", "x1"),
    ]
    assert after_resend == [{"type": "pong"}]
    assert final["body"] == "thanks" and final["id"] == last_id + 3
    assert final_rest == []
    assert bodies(at_agent) == ["are you there?", "yes, here", "thanks"]
    assert ids(at_agent) == [last_id + 1, last_id + 2, last_id + 3]


def test_a_resume_point_beyond_the_last_message_sends_no_backlog(live):
    async def scenario():
        socket = await connected(
            f"{live.path}?after=not-a-number", host=live.host, session_key=live.customer_key
        )
        everything = await until_state(socket)
        await socket.disconnect()
        resumed = await connected(
            f"{live.path}?after={ids(everything)[-1]}",
            host=live.host,
            session_key=live.customer_key,
        )
        nothing_new = await until_state(resumed)
        await resumed.disconnect()
        return everything, nothing_new

    everything, nothing_new = async_to_sync(scenario)()
    # A bad ``after`` reads as "from the start"; the chat's three messages, then the state.
    assert ids(everything) == [1, 2, 3]
    assert [f["type"] for f in nothing_new] == ["state"]


def test_a_resume_point_past_the_end_does_not_silence_the_socket(live):
    """A made-up ``after`` far past the last message resumes from the end: the socket's own
    next message (id 4) is still acknowledged, not dropped as already seen."""

    async def scenario():
        socket = await connected(
            f"{live.path}?after=999999", host=live.host, session_key=live.customer_key
        )
        first = await until_state(socket)
        await socket.send_json_to({"type": "message", "body": "still here?", "client_id": "p1"})
        echo = await socket.receive_json_from(timeout=TIMEOUT)
        await socket.disconnect()
        return first, echo

    first, echo = async_to_sync(scenario)()
    assert [f["type"] for f in first] == ["state"]
    assert (echo["type"], echo["id"], echo["client_id"]) == ("message", 4, "p1")


def test_an_unknown_websocket_path_is_refused_at_the_handshake(world_a):
    async def scenario():
        socket = communicator("/ws/nothing-here/", host=world_a.host)
        return await socket.connect(timeout=TIMEOUT)

    accepted, _code = async_to_sync(scenario)()
    assert accepted is False


# --- 4. Bad input ----------------------------------------------------------------------------


BAD_FRAMES = [
    ("empty body", {"type": "message", "body": ""}, "empty", "Write a message"),
    ("blank body", {"type": "message", "body": " \n\t "}, "empty", "Write a message"),
    ("4001 characters", {"type": "message", "body": "x" * 4001}, "too_long", "at most 4000"),
    (
        "frame over 60,000 characters",
        {"type": "message", "body": "y" * 61_000},
        "too_long",
        "frame",
    ),
    ("NUL in the body", {"type": "message", "body": "a\x00b"}, "bad_text", "NUL"),
    ("body not text", {"type": "message", "body": ["x"]}, "bad_frame", "text"),
    ("not JSON", "hello there", "bad_frame", "JSON"),
    ("JSON array", "[1, 2]", "bad_frame", "object"),
    ("JSON string", '"message"', "bad_frame", "object"),
    ("no type", {"body": "hi"}, "bad_frame", "type"),
    ("type not text", {"type": 7}, "bad_frame", "type"),
    ("unknown type", {"type": "shout"}, "bad_frame", "shout"),
    ("binary frame", b'{"type": "ping"}', "bad_frame", "JSON text"),
    (
        "client_id with a space",
        {"type": "message", "body": "hi", "client_id": "a b"},
        "bad_frame",
        "client_id",
    ),
    (
        "client_id too long",
        {"type": "message", "body": "hi", "client_id": "k" * 41},
        "bad_frame",
        "client_id",
    ),
    ("client_id a number", {"type": "message", "body": "hi", "client_id": 7}, "bad_frame", "id"),
]


@pytest.mark.parametrize(
    ("frame", "code", "says"),
    [case[1:] for case in BAD_FRAMES],
    ids=[case[0] for case in BAD_FRAMES],
)
def test_a_bad_frame_gets_an_error_and_the_socket_keeps_working(live, frame, code, says):
    world, chat = live.world, live.chat
    before = len(chat_messages(world, chat))

    async def scenario():
        customer = await connected(live.path, host=live.host, session_key=live.customer_key)
        agent = await connected(live.path, host=live.host, session_key=live.agent_key)
        await until_state(customer)
        await until_state(agent)
        if isinstance(frame, bytes):
            await customer.send_to(bytes_data=frame)
        elif isinstance(frame, str):
            await customer.send_to(text_data=frame)
        else:
            await customer.send_json_to(frame)
        error = await customer.receive_json_from(timeout=TIMEOUT)
        agent_saw = await drain(agent)
        await customer.send_json_to({"type": "message", "body": "still here", "client_id": "ok"})
        echo = await customer.receive_json_from(timeout=TIMEOUT)
        delivered = await agent.receive_json_from(timeout=TIMEOUT)
        await customer.disconnect()
        await agent.disconnect()
        return error, agent_saw, echo, delivered

    error, agent_saw, echo, delivered = async_to_sync(scenario)()
    assert error["type"] == "error" and error["code"] == code, error
    assert says in error["message"]
    assert agent_saw == []
    assert echo["body"] == "still here" and delivered["body"] == "still here"
    assert len(chat_messages(world, chat)) == before + 1


def test_a_4000_character_message_is_accepted(live):
    async def scenario():
        customer = await connected(live.path, host=live.host, session_key=live.customer_key)
        await until_state(customer)
        await customer.send_json_to({"type": "message", "body": "z" * 4000})
        frame = await customer.receive_json_from(timeout=TIMEOUT)
        await customer.disconnect()
        return frame

    frame = async_to_sync(scenario)()
    assert frame["type"] == "message" and frame["body"] == "z" * 4000


def test_too_many_frames_are_slowed_down_then_accepted_again(live, monkeypatch):
    # The rate window runs on the monotonic clock: a fake one moves it without waiting.
    clock = {"now": 1000.0}
    monkeypatch.setattr(consumers, "time", SimpleNamespace(monotonic=lambda: clock["now"]))

    async def scenario():
        customer = await connected(live.path, host=live.host, session_key=live.customer_key)
        await until_state(customer)
        for _ in range(consumers.RATE_MAX_FRAMES):
            await customer.send_json_to({"type": "ping"})
        pongs = await frames_of(customer, consumers.RATE_MAX_FRAMES)
        await customer.send_json_to({"type": "message", "body": "one too many"})
        refused = await customer.receive_json_from(timeout=TIMEOUT)
        clock["now"] += consumers.RATE_WINDOW_SECONDS + 1
        await customer.send_json_to({"type": "message", "body": "after a pause"})
        accepted = await customer.receive_json_from(timeout=TIMEOUT)
        await customer.disconnect()
        return pongs, refused, accepted

    pongs, refused, accepted = async_to_sync(scenario)()
    assert pongs == [{"type": "pong"}] * consumers.RATE_MAX_FRAMES
    assert refused["type"] == "error" and refused["code"] == "slow_down"
    assert accepted["type"] == "message" and accepted["body"] == "after a pause"
    bodies_stored = [m.body for m in chat_messages(live.world, live.chat)]
    assert "one too many" not in bodies_stored and "after a pause" in bodies_stored


def test_writing_into_an_ended_chat_is_refused(live):
    world, chat = live.world, live.chat

    def end_it():
        with tenant_context(world.tenant):
            services.chat_end(chat=chat, who=Participant("customer", None, chat.name))

    async def scenario():
        customer = await connected(live.path, host=live.host, session_key=live.customer_key)
        await until_state(customer)
        await db(end_it)
        ended = await frames_of(customer, 2)  # "… left the chat." and the new state
        await customer.send_json_to({"type": "message", "body": "one more thing"})
        refused = await customer.receive_json_from(timeout=TIMEOUT)
        await customer.send_json_to({"type": "typing"})
        await customer.send_json_to({"type": "ping"})
        still = await drain(customer)
        await customer.disconnect()
        return ended, refused, still

    ended, refused, still = async_to_sync(scenario)()
    assert ended[0]["author"] == "system" and ended[1]["status"] == "ended"
    assert refused["type"] == "error" and refused["code"] == "closed"
    assert still == [{"type": "pong"}]  # typing in an ended chat is simply not shown
    assert "one more thing" not in [m.body for m in chat_messages(world, chat)]


def test_staff_who_is_not_the_chat_s_agent_cannot_write(live):
    world, chat = live.world, live.chat
    manager_key = staff_session(world, "manager")

    async def scenario():
        manager = await connected(live.path, host=live.host, session_key=manager_key)
        customer = await connected(live.path, host=live.host, session_key=live.customer_key)
        await until_state(manager)
        await until_state(customer)
        await manager.send_json_to({"type": "message", "body": "let me butt in"})
        refused = await manager.receive_json_from(timeout=TIMEOUT)
        customer_saw = await drain(customer)
        agent = await connected(live.path, host=live.host, session_key=live.agent_key)
        await until_state(agent)
        await agent.send_json_to({"type": "message", "body": "the agent answers"})
        manager_reads = await manager.receive_json_from(timeout=TIMEOUT)
        for socket in (manager, customer, agent):
            await socket.disconnect()
        return refused, customer_saw, manager_reads

    refused, customer_saw, manager_reads = async_to_sync(scenario)()
    assert refused["type"] == "error" and refused["code"] == "not_yours"
    assert customer_saw == []
    assert manager_reads["body"] == "the agent answers"
    assert "let me butt in" not in [m.body for m in chat_messages(world, chat)]


def test_staff_must_take_a_waiting_chat_before_writing(world_a, desk_open):
    make_available(world_a)
    chat = start_chat(world_a, visitor_key=CUSTOMER_KEY)
    agent_key = staff_session(world_a, "agent")

    async def scenario():
        agent = await connected(f"/ws/chat/{chat.token}/", host=world_a.host, session_key=agent_key)
        state = (await until_state(agent))[-1]
        await agent.send_json_to({"type": "message", "body": "hello?"})
        refused = await agent.receive_json_from(timeout=TIMEOUT)
        await agent.disconnect()
        return state, refused

    state, refused = async_to_sync(scenario)()
    assert state["status"] == "waiting" and state["yours"] is False
    assert refused["code"] == "not_yours" and "Take the chat" in refused["message"]


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "message", "body": "are you still there?"},
        {"type": "typing"},
        {"type": "ping"},
    ],
    ids=["message", "typing", "ping"],
)
def test_an_agent_removed_mid_chat_is_cut_off_at_the_next_frame(live, frame):
    world = live.world

    def remove_agent():
        with tenant_context(world.tenant):
            Membership.objects.filter(user=world.users["agent"]).delete()

    async def scenario():
        agent = await connected(live.path, host=live.host, session_key=live.agent_key)
        customer = await connected(live.path, host=live.host, session_key=live.customer_key)
        await until_state(agent)
        await until_state(customer)
        await agent.send_json_to({"type": "ping"})
        before = await agent.receive_json_from(timeout=TIMEOUT)
        await db(remove_agent)
        await agent.send_json_to(frame)
        refused = await agent.receive_json_from(timeout=TIMEOUT)
        code = await close_code(agent)
        customer_saw = await drain(customer)
        await customer.disconnect()
        return before, refused, code, customer_saw

    before, refused, code, customer_saw = async_to_sync(scenario)()
    assert before == {"type": "pong"}
    assert refused["type"] == "error" and refused["code"] == "not_allowed"
    assert code == consumers.CLOSE_FORBIDDEN
    assert customer_saw == []
    with tenant_context(world.tenant):
        assert not ChatMessage.objects.filter(body="are you still there?").exists()
