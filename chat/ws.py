"""The websocket side of tenancy: the same host rule as HTTP, and the same-origin rule.

``TenantHostMiddleware`` resolves the tenant from the Host header exactly as
``tenants.middleware.TenantMiddleware`` does (``<slug>.<BASE_DOMAIN>``, active tenants only) and
puts it in the scope; any other host is refused at the handshake. A browser's Origin must name
the same host, so a page of another site (or another tenant) cannot open a socket with the
visitor's cookies. Who the user is comes from the session, and counts only when the session
was signed in on this very host (``SESSION_TENANT_KEY``), as for HTTP.
"""

from __future__ import annotations

from urllib.parse import urlparse

from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser
from django.db import close_old_connections, connection

from accounts.second_factor import missing_second_factor
from chat import broadcast
from tenants.context import tenant_context
from tenants.hosts import tenant_for_slug
from tenants.middleware import SESSION_TENANT_KEY, tenant_slug_from_host
from tenants.models import Membership, Tenant

# The session key under which a browser's chat identity is kept (visitors need no account).
VISITOR_KEY = "_chat_visitor"


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


def host_of(scope) -> str:
    return _header(scope, b"host").rsplit(":", 1)[0].lower()


def same_origin(scope) -> bool:
    origin = _header(scope, b"origin")
    if not origin:
        return True  # not a browser: no ambient cookies of another site can ride along
    try:
        parsed = urlparse(origin)
    except ValueError:
        return False
    return (parsed.hostname or "").lower() == host_of(scope)


def db(func):
    """``func`` in a thread, its connection closed after it unless CONN_MAX_AGE keeps it, and
    the chat events it committed sent from the event loop afterwards.

    PostgreSQL: any worker thread, so chats do not queue behind one another's database calls.
    SQLite (the embedded default) has one writer anyway: one thread for all calls avoids
    "database is locked" between connections. The connection is tidied inside the call itself:
    the call runs in a copy of the caller's context, where DatabaseSyncToAsync's own tidying
    (outside that copy) does not see the connection it opened. Events are sent in the order
    they were committed, before the caller goes on (its own echo of a message comes after).
    """

    def run(*args):
        with broadcast.collected() as events:
            try:
                return func(*args), events
            finally:
                close_old_connections()

    in_thread = database_sync_to_async(run, thread_sensitive=connection.vendor == "sqlite")

    async def call(*args):
        result, events = await in_thread(*args)
        if events:
            await broadcast.send_all(events)
        return result

    return call


def _tenant_for(slug: str) -> Tenant | None:
    return tenant_for_slug(slug)


class TenantHostMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        host = host_of(scope)
        slug = tenant_slug_from_host(host) if host != settings.BASE_DOMAIN else None
        tenant = await db(_tenant_for)(slug) if slug and same_origin(scope) else None
        if tenant is None:
            return await WebsocketDenier()(scope, receive, send)
        return await self.inner({**scope, "tenant": tenant}, receive, send)


class Visitor:
    """Who is on the other end of a socket: the user (anonymous unless signed in on this host),
    their membership here (looked up afresh for every frame) and the browser's visitor key."""

    def __init__(self, tenant: Tenant, user, visitor_key: str):
        self.tenant = tenant
        self.user = user
        self.visitor_key = visitor_key

    def membership(self) -> Membership | None:
        """The user's membership now (call inside the tenant's context). Staff who must use a
        second factor and have none yet count as nobody, as on the pages."""
        if not self.user.is_authenticated:
            return None
        membership = Membership.objects.filter(user=self.user).first()
        if missing_second_factor(self.tenant, membership, self.user):
            return None
        return membership


class _SessionOnly:
    """What ``django.contrib.auth.get_user`` reads from a request: its session."""

    def __init__(self, session):
        self.session = session


def _who(session, tenant: Tenant) -> tuple[object, object]:
    """The user (anonymous unless the session was signed in on this tenant's host) and the
    browser's chat visitor key, from the websocket's session."""
    signed_here = session.get(SESSION_TENANT_KEY) == tenant.pk
    user = get_user(_SessionOnly(session)) if signed_here else AnonymousUser()
    return user, session.get(VISITOR_KEY)


async def visitor_of(scope) -> Visitor:
    tenant = scope["tenant"]
    session = scope.get("session")
    if session is None:
        return Visitor(tenant, AnonymousUser(), "")
    user, visitor_key = await db(_who)(session, tenant)
    return Visitor(tenant, user, visitor_key if isinstance(visitor_key, str) else "")


def in_tenant(visitor: Visitor, work, *args):
    """Run ``work(*args)`` in the visitor's tenant (transaction, ORM filter, RLS)."""
    with tenant_context(visitor.tenant):
        return work(*args)
