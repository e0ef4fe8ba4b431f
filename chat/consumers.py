"""Websocket consumers of live chat.

``ChatConsumer`` (``/ws/chat/<token>/?after=<id>``): one chat, for its customer and for staff.

Client frames (JSON objects):
  ``{"type": "message", "body": "...", "client_id": "..."}``, ``{"type": "typing"}``,
  ``{"type": "ping"}``.
Server frames:
  ``message`` (``id`` is the chat's sequence number), ``state`` (status, agent, place in the
  line, linked ticket), ``typing``, ``pong``, and ``error`` (``code`` and ``message``).

On connect the consumer joins the chat's group first and then sends every message after
``after``; afterwards it never sends an id at or below the last one sent, and fills any gap
from the database, so a reconnecting client gets each message exactly once and in order.

Every frame re-checks, in the tenant's transaction, that the person may still use the chat
(membership, role, the browser's visitor key): a removed agent is cut off at their next frame.
Bad frames get an ``error`` frame; nothing a client sends can crash the consumer.

``AgentConsumer`` (``/ws/agent/``): a staff workspace. It keeps the agent counted as available
(pings) and receives notices: a new chat waits, the line changed, a chat was handed to them, a
customer wrote in one of their chats.
"""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from uvicorn.protocols.utils import ClientDisconnected

from chat import broadcast, selectors, services
from chat.models import Chat
from chat.ws import Visitor, db, in_tenant, visitor_of
from core.errors import DomainError
from core.inputs import parse_id

log = logging.getLogger(__name__)

# A body is at most 4,000 characters; a client that escapes non-ASCII in JSON (\uXXXX, twice
# for an emoji) needs up to 12 per character. The server's own limit is 64 KiB (Procfile).
FRAME_MAX_CHARS = 60_000
RATE_WINDOW_SECONDS = 10
RATE_MAX_FRAMES = 40  # typing frames included; a person types far slower

# Close codes (4000-4999 are the application's): the client stops reconnecting on these.
CLOSE_NOT_FOUND = 4404
CLOSE_FORBIDDEN = 4403


class _Frames(AsyncWebsocketConsumer):
    """JSON frames with the checks every consumer needs: size, shape, rate."""

    async def dispatch(self, message):
        # Channels' own dispatch first tidies database connections with a hop to its one shared
        # sync thread, for every event: a chat message costs three (the frame, and the group
        # event to each side), queued behind every other socket's. Under load that thread, not
        # the database, set the pace (bench_chat). Every database call here goes through
        # chat.ws.db, which tidies its connection itself, so the hop is left out.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def send_json(self, content: dict) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":")))

    async def send_error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})

    def _rate_ok(self) -> bool:
        now = time.monotonic()
        stamps = [t for t in getattr(self, "_stamps", []) if now - t < RATE_WINDOW_SECONDS]
        stamps.append(now)
        self._stamps = stamps
        return len(stamps) <= RATE_MAX_FRAMES

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None:
            await self.send_error("bad_frame", "Frames are JSON text.")
            return
        if len(text_data) > FRAME_MAX_CHARS:
            await self.send_error("too_long", "That frame is too large.")
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            await self.send_error("bad_frame", "Frames are JSON objects.")
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self.send_error("bad_frame", 'A frame is an object with a "type".')
            return
        if not self._rate_ok():
            await self.send_error("slow_down", "Too many frames; wait a few seconds.")
            return
        try:
            await self.on_frame(frame)
        except DomainError as error:
            await self.send_error(error.code, error.message)
        except ClientDisconnected:
            return  # the client left while we answered (uvicorn's send raises): nobody to tell
        except Exception:  # a bug must cost one frame, never the connection
            log.exception("chat frame failed")
            await self.send_error("server_error", "That did not work; please try again.")

    async def on_frame(self, frame: dict) -> None:
        raise NotImplementedError


class ChatConsumer(_Frames):
    visitor: Visitor
    chat_id: int | None = None
    group: str | None = None
    last_sent = 0
    _identity: Chat | None = None

    async def connect(self):
        await self.accept()
        self.visitor = await visitor_of(self.scope)
        token = self.scope["url_route"]["kwargs"]["token"]
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        after = parse_id((query.get("after") or ["0"])[0])
        opened = await db(self._open)(token)
        if opened is None:
            # Unknown token, another tenant's chat, or not this person's: one answer for all.
            await self.send_error("not_found", "There is no such chat here.")
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.chat_id, self.token, self.role, last_seq = opened
        self.group = broadcast.chat_group(self.visitor.tenant.pk, self.chat_id)
        # Join first, then read the backlog: a message sent in between arrives both ways and
        # the id check below drops the second copy. Nothing falls between the two.
        await self.channel_layer.group_add(self.group, self.channel_name)
        # An ``after`` past the chat's last message (a client's stale or made-up id) would
        # silence this socket: resume from the end instead.
        self.last_sent = min(after or 0, last_seq)
        await self._send_backlog()
        await self._send_state()

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    # --- database work, each call in the tenant's transaction --------------------------------

    def _access(self, token: str | None = None) -> tuple[Chat, selectors.Participant] | None:
        membership = self.visitor.membership()
        chat = (
            selectors.chat_by_token(token)
            if token is not None
            else Chat.objects.select_related("agent", "ticket").filter(pk=self.chat_id).first()
        )
        if chat is None:
            return None
        who = selectors.participant(
            chat,
            user=self.visitor.user,
            membership=membership,
            visitor_key=self.visitor.visitor_key,
        )
        return (chat, who) if who is not None else None

    def _open(self, token: str):
        def work():
            access = self._access(token)
            if access is None:
                return None
            chat, who = access
            return chat.pk, chat.token, who.kind, chat.last_seq

        return in_tenant(self.visitor, work)

    def _backlog(self, after: int) -> list[dict]:
        def work():
            chat = Chat.objects.get(pk=self.chat_id)
            return [
                services.message_payload(m, chat.token)
                for m in selectors.messages_after(chat, after)
            ]

        return in_tenant(self.visitor, work)

    def _state(self) -> dict | None:
        def work():
            access = self._access()
            if access is None:
                return None
            chat, who = access
            ticket = None
            if chat.ticket_id:
                ticket = {
                    "number": chat.ticket.number,
                    "url": (
                        f"/agent/tickets/{chat.ticket.number}/"
                        if who.is_agent
                        else f"/tickets/{chat.ticket.number}/"
                    ),
                }
            return {
                "type": "state",
                "status": chat.status,
                "status_label": chat.get_status_display(),
                "agent": chat.agent.display_name if chat.agent_id else None,
                "yours": bool(who.is_agent and chat.agent_id == who.user_id),
                "queue_position": selectors.queue_position(chat),
                "ticket": ticket,
            }

        return in_tenant(self.visitor, work)

    def _post(self, body, client_id):
        def work():
            # The membership is read afresh, as for every frame; the chat's fields that decide
            # who is on it (visitor key, customer, name) never change, so they are read once per
            # socket and message_post's row lock is the one read of the chat per message.
            if self._identity is None:
                self._identity = (
                    Chat.objects.only("visitor_key", "customer_id", "name")
                    .filter(pk=self.chat_id)
                    .first()
                )
            if self._identity is None:
                return None
            who = selectors.participant(
                self._identity,
                user=self.visitor.user,
                membership=self.visitor.membership(),
                visitor_key=self.visitor.visitor_key,
            )
            if who is None:
                return None
            try:
                message, _new = services.message_post(
                    chat=self._identity, who=who, body=body, client_id=client_id
                )
            except Chat.DoesNotExist:  # gone since this socket opened
                return None
            return services.message_payload(message, self.token)

        return in_tenant(self.visitor, work)

    def _allowed(self) -> bool:
        return in_tenant(self.visitor, lambda: self._access() is not None)

    def _typing_name(self):
        def work():
            access = self._access()
            if access is None:
                return None
            chat, who = access
            if not chat.is_open or (who.is_agent and chat.agent_id != who.user_id):
                return ""
            return who.name

        return in_tenant(self.visitor, work)

    # --- sending ------------------------------------------------------------------------------

    async def _send_backlog(self) -> None:
        while True:
            batch = await db(self._backlog)(self.last_sent)
            for payload in batch:
                if payload["id"] > self.last_sent:
                    await self.send_json(payload)
                    self.last_sent = payload["id"]
            if len(batch) < selectors.BACKLOG_LIMIT:
                return

    async def _send_state(self) -> None:
        state = await db(self._state)()
        if state is None:
            await self._cut_off()
            return
        await self.send_json(state)

    async def _cut_off(self) -> None:
        await self.send_error("not_allowed", "You no longer have access to this chat.")
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None
        await self.close(code=CLOSE_FORBIDDEN)

    # --- client frames ------------------------------------------------------------------------

    async def on_frame(self, frame: dict) -> None:
        if self.chat_id is None:
            await self.send_error("not_found", "There is no such chat here.")
            return
        kind = frame["type"]
        if kind == "message":
            payload = await db(self._post)(frame.get("body"), frame.get("client_id"))
            if payload is None:
                await self._cut_off()
                return
            # Our own message comes back through the group like everyone's; sending it here
            # too (the id check keeps one copy) acknowledges it without waiting for the layer.
            # Unless an earlier message has not reached us yet: it is on its way through the
            # group, ahead of ours, so both come that way, in order, without a database read.
            if payload["id"] == self.last_sent + 1:
                await self._deliver(payload)
        elif kind == "typing":
            name = await db(self._typing_name)()
            if name is None:
                await self._cut_off()
            elif name:
                await self.channel_layer.group_send(
                    self.group,
                    {
                        "type": "chat.typing",
                        "sender": self.channel_name,
                        "role": self.role,
                        "name": name,
                    },
                )
        elif kind == "ping":
            # Pings are the one frame an idle page sends: they re-check access like the others.
            if not await db(self._allowed)():
                await self._cut_off()
                return
            await self.send_json({"type": "pong"})
        else:
            await self.send_error("bad_frame", f"Unknown frame type {kind[:40]!r}.")

    async def _deliver(self, payload: dict) -> None:
        message_id = payload["id"]
        if message_id <= self.last_sent:
            return
        if message_id > self.last_sent + 1:
            await self._send_backlog()  # fills the gap (and usually sends this one too)
        if message_id > self.last_sent:
            await self.send_json(payload)
            self.last_sent = message_id

    # --- group events -------------------------------------------------------------------------

    async def chat_message(self, event):
        await self._deliver(event["message"])

    async def chat_state(self, event):
        await self._send_state()

    async def chat_typing(self, event):
        if event["sender"] != self.channel_name and event["role"] != self.role:
            await self.send_json({"type": "typing", "author": event["role"], "name": event["name"]})


class AgentConsumer(_Frames):
    visitor: Visitor
    groups_joined: tuple[str, ...] = ()

    async def connect(self):
        await self.accept()
        self.visitor = await visitor_of(self.scope)
        hello = await db(self._hello)()
        if hello is None:
            await self.send_error(
                "not_allowed", "The chat workspace is for this helpdesk's agents."
            )
            await self.close(code=CLOSE_FORBIDDEN)
            return
        tenant_id = self.visitor.tenant.pk
        self.groups_joined = (
            broadcast.agents_group(tenant_id),
            broadcast.agent_group(tenant_id, self.visitor.user.pk),
        )
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json(hello)

    async def disconnect(self, code):
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    def _is_staff(self) -> bool:
        membership = self.visitor.membership()
        return membership is not None and membership.is_staff_role

    def _hello(self) -> dict | None:
        def work():
            if not self._is_staff():
                return None
            services.availability_seen(user=self.visitor.user)
            return {
                "type": "hello",
                "available": selectors.is_available(self.visitor.user),
                "waiting": selectors.waiting_count(),
            }

        return in_tenant(self.visitor, work)

    def _seen(self) -> bool:
        def work():
            if not self._is_staff():
                return False
            services.availability_seen(user=self.visitor.user)
            return True

        return in_tenant(self.visitor, work)

    def _waiting(self) -> int | None:
        def work():
            return selectors.waiting_count() if self._is_staff() else None

        return in_tenant(self.visitor, work)

    async def on_frame(self, frame: dict) -> None:
        if not self.groups_joined:
            return
        if frame["type"] == "ping":
            if not await db(self._seen)():
                await self.send_error("not_allowed", "You are no longer an agent here.")
                await self.close(code=CLOSE_FORBIDDEN)
                return
            await self.send_json({"type": "pong"})
        else:
            await self.send_error("bad_frame", "This socket only takes pings.")

    def _still_staff(self) -> bool:
        return in_tenant(self.visitor, self._is_staff)

    async def agent_notice(self, event):
        notice = event["notice"]
        # Each notice re-checks the role first (a removed agent reads no names or previews). A
        # customer's message leaves the waiting line as it was: that notice carries no count,
        # which spares a query for every message of every chat; the others carry it.
        if notice["kind"] == "message":
            if not await db(self._still_staff)():
                await self.close(code=CLOSE_FORBIDDEN)
                return
            await self.send_json({"type": "notice", **notice})
            return
        waiting = await db(self._waiting)()
        if waiting is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.send_json({"type": "notice", **notice, "waiting": waiting})
