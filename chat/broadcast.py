"""Channel-layer groups of live chat, and sending to them once the change is committed.

Group names carry the tenant's id, so no two tenants ever share a group, and the chat's
primary key (never shown to anyone): a guessed token cannot name a group.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def chat_group(tenant_id: int, chat_id: int) -> str:
    return f"chat.{tenant_id}.{chat_id}"


def agents_group(tenant_id: int) -> str:
    """Every connected staff workspace of one tenant: new chats, the waiting list."""
    return f"agents.{tenant_id}"


def agent_group(tenant_id: int, user_id: int) -> str:
    """One staff member's workspaces: chats handed to them, messages in their chats."""
    return f"agent.{tenant_id}.{user_id}"


def _send(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, event)


def after_commit(group: str, event: dict) -> None:
    """Send ``event`` to ``group`` when the current transaction commits (never a rolled-back
    change): services call this, so HTTP views and consumers announce alike."""
    transaction.on_commit(lambda: _send(group, event))
