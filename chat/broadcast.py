"""Channel-layer groups of live chat, and sending to them once the change is committed.

Group names carry the tenant's id, so no two tenants ever share a group, and the chat's
primary key (never shown to anyone): a guessed token cannot name a group.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

# Set by ``collected()``: committed events wait there for the caller to send them itself.
_collector: ContextVar[list[tuple[str, dict]] | None] = ContextVar("chat_events", default=None)


def chat_group(tenant_id: int, chat_id: int) -> str:
    return f"chat.{tenant_id}.{chat_id}"


def agents_group(tenant_id: int) -> str:
    """Every connected staff workspace of one tenant: new chats, the waiting list."""
    return f"agents.{tenant_id}"


def agent_group(tenant_id: int, user_id: int) -> str:
    """One staff member's workspaces: chats handed to them, messages in their chats."""
    return f"agent.{tenant_id}.{user_id}"


def _send(group: str, event: dict) -> None:
    collector = _collector.get()
    if collector is not None:
        collector.append((group, event))
        return
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, event)


@contextmanager
def collected():
    """Keep the events committed inside the block in a list instead of sending them.

    For database work run in a thread on behalf of async code (the consumers): sending from
    the thread would park it until the event loop had published, for every message. The
    caller sends the list with ``send_all`` once the work has returned.
    """
    events: list[tuple[str, dict]] = []
    token = _collector.set(events)
    try:
        yield events
    finally:
        _collector.reset(token)


async def send_all(events: list[tuple[str, dict]]) -> None:
    layer = get_channel_layer()
    if layer is not None:
        for group, event in events:
            await layer.group_send(group, event)


def after_commit(group: str, event: dict) -> None:
    """Send ``event`` to ``group`` when the current transaction commits (never a rolled-back
    change): services call this, so HTTP views and consumers announce alike."""
    transaction.on_commit(lambda: _send(group, event))
