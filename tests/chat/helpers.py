"""Shared helpers of the chat tests: sessions for websockets, an open desk, a started chat."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from channels.db import database_sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from chat import services
from chat.models import AgentAvailability, Chat, ChatMessage
from chat.ws import VISITOR_KEY
from helpdesk.asgi import application
from tenants.context import tenant_context
from tenants.middleware import SESSION_TENANT_KEY

# A Wednesday at 10:00 in Chicago: inside the default business hours (Mon-Fri 08:00-17:00).
OPEN_HOURS = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("America/Chicago"))


def session_cookie(*, tenant=None, user=None, visitor_key: str = "") -> str:
    """A stored session like the HTTP login makes: signed in on ``tenant``'s host as ``user``,
    and/or holding a chat visitor key. Returns the session key (the cookie value)."""
    session = SessionStore()
    if user is not None:
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[SESSION_TENANT_KEY] = tenant.pk
    if visitor_key:
        session[VISITOR_KEY] = visitor_key
    session.create()
    return session.session_key


def communicator(path: str, *, host: str, session_key: str = "", origin: str | None = None):
    headers = [(b"host", host.encode())]
    if session_key:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode()))
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return WebsocketCommunicator(application, path, headers=headers)


def make_available(world, role: str = "agent") -> None:
    with tenant_context(world.tenant):
        services.availability_set(user=world.users[role], available=True)


def start_chat(
    world,
    *,
    visitor_key: str = "v" * 32,
    customer=None,
    topic="Backup stuck",
    name="Casey Customer",
    email="casey@example.net",
):
    with tenant_context(world.tenant):
        return services.chat_start(
            name=name,
            email=email,
            topic=topic,
            customer=customer,
            visitor_key=visitor_key,
        )


def accept(world, chat, role: str = "agent"):
    with tenant_context(world.tenant):
        return services.chat_accept(chat=chat, agent=world.users[role])


def availability_rows(world) -> list[AgentAvailability]:
    with tenant_context(world.tenant):
        return list(AgentAvailability.objects.all())


# --- Async helpers for consumer scenarios (run inside ``async_to_sync``) ---------------------

# Generous: on PostgreSQL every frame is a database round trip in a worker thread.
TIMEOUT = 5
# How long "nothing more arrives" is watched for: the layer delivers within milliseconds.
QUIET = 0.3


async def db(func, *args, **kwargs):
    """Run sync (ORM, service) code from a scenario, like the consumers do."""
    return await database_sync_to_async(func)(*args, **kwargs)


async def connected(path: str, *, host: str, session_key: str = "", origin: str | None = None):
    """A communicator whose handshake was accepted."""
    socket = communicator(path, host=host, session_key=session_key, origin=origin)
    accepted, _detail = await socket.connect(timeout=TIMEOUT)
    assert accepted, f"handshake refused for {path} on {host}"
    return socket


async def until_state(socket) -> list[dict]:
    """The frames a chat socket sends on connect: the backlog, then one ``state`` frame."""
    frames = []
    while True:
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        frames.append(frame)
        if frame["type"] == "state":
            return frames


async def frames_of(socket, count: int) -> list[dict]:
    return [await socket.receive_json_from(timeout=TIMEOUT) for _ in range(count)]


async def drain(socket, quiet: float = QUIET) -> list[dict]:
    """Every frame that arrives until the socket stays quiet for ``quiet`` seconds."""
    frames = []
    while not await socket.receive_nothing(timeout=quiet):
        output = await socket.receive_output(timeout=TIMEOUT)
        assert output["type"] == "websocket.send", output
        frames.append(json.loads(output["text"]))
    return frames


async def drain_all(*sockets, quiet: float = QUIET) -> list[list[dict]]:
    """``drain`` on every socket at once (one quiet period, not one per socket)."""
    return list(await asyncio.gather(*(drain(socket, quiet) for socket in sockets)))


async def close_code(socket) -> int:
    """The close code of a socket the server closes next (after any frames read before)."""
    output = await socket.receive_output(timeout=TIMEOUT)
    assert output["type"] == "websocket.close", output
    return output.get("code", 1000)


def chat_messages(world, chat) -> list[ChatMessage]:
    with tenant_context(world.tenant):
        return list(ChatMessage.objects.filter(chat=chat).order_by("seq"))


def refreshed(world, chat) -> Chat:
    with tenant_context(world.tenant):
        chat.refresh_from_db()
    return chat
