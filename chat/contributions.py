"""What live chat adds to the pages of the layers below it (portal home and policy page, the
workspace navigation, the agent's ticket page)."""

from __future__ import annotations

from chat import selectors
from chat.models import Chat
from desk import policy
from tenants.navigation import kept_count, register_badge
from tickets import panels


def waiting_for(request) -> int:
    """The workspace badge beside "Chats": customers waiting for an agent (staff only)."""
    membership = getattr(request, "membership", None)
    if membership is None or not membership.is_staff_role:
        return 0
    # Kept per helpdesk, dropped whenever the waiting line changes (chat.services).
    return kept_count(selectors.WAITING_BADGE, selectors.waiting_count)


def _linked_chats(ticket, membership) -> dict | None:
    chats = list(Chat.objects.filter(ticket=ticket).select_related("agent").order_by("created_at"))
    return {"chats": chats} if chats else None


def register() -> None:
    # The portal home and the policy page: "Chat now", or when chat opens next.
    policy.contribute("chat", selectors.chat_offer)
    register_badge(selectors.WAITING_BADGE, waiting_for)
    panels.register(
        panels.Panel(
            "chat-transcripts", panels.AGENT, panels.SIDE, "chat/_ticket_panel.html", _linked_chats
        )
    )
