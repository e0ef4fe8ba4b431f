"""Shared helpers of the chat tests: sessions for websockets, an open desk, a started chat."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from chat import services
from chat.models import AgentAvailability
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


def start_chat(world, *, visitor_key: str = "v" * 32, customer=None, topic="Backup stuck"):
    with tenant_context(world.tenant):
        return services.chat_start(
            name="Casey Customer",
            email="casey@example.net",
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
