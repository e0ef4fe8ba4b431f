"""Reads of live chat: is chat offered now, the waiting line, a person's access to a chat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from chat.models import AgentAvailability, Chat, ChatMessage
from desk.business_time import NoBusinessHours, schedule_for
from tenants.context import current_tenant
from tenants.kept import kept

# A switched-on agent counts as available while a workspace page of theirs reported within this.
PRESENCE_WINDOW = timedelta(seconds=90)
# Bounds on what one page or frame reads.
BACKLOG_LIMIT = 500
WAITING_LIST_LIMIT = 50


@dataclass(frozen=True)
class ChatOffer:
    """Whether a customer can start a chat now, and if not, why and until when."""

    in_hours: bool
    agents_available: int
    next_opening: datetime | None
    closes_at: datetime | None
    has_hours: bool
    start_url: str

    @property
    def available(self) -> bool:
        return self.in_hours and self.agents_available > 0

    @property
    def reason(self) -> str:
        if not self.has_hours:
            return "Chat is not offered at the moment."
        if not self.in_hours:
            return "Chat is closed now."
        if not self.agents_available:
            return "Every agent is busy or away right now."
        return ""


def available_agents_count(now: datetime | None = None) -> int:
    now = now or timezone.now()
    return AgentAvailability.objects.filter(
        available=True, seen_at__gte=now - PRESENCE_WINDOW
    ).count()


def _closing_after(schedule, now: datetime) -> datetime | None:
    """When chat really closes: across intervals that meet (24:00 then 00:00 the next day),
    not at the end of today's interval. A week of back-to-back hours is "open until" then."""
    closes = schedule.next_closing(now)
    for _day in range(7):
        if closes is None or not schedule.is_open(closes):
            return closes
        closes = schedule.next_closing(closes)
    return closes


def chat_offer(now: datetime | None = None) -> ChatOffer:
    now = now or timezone.now()
    schedule = schedule_for(current_tenant())
    try:
        in_hours = schedule.is_open(now)
        next_opening = None if in_hours else schedule.next_opening(now)
        closes_at = _closing_after(schedule, now) if in_hours else None
        has_hours = True
    except NoBusinessHours:
        in_hours, next_opening, closes_at, has_hours = False, None, None, False
    return ChatOffer(
        in_hours=in_hours,
        agents_available=available_agents_count(now) if in_hours else 0,
        next_opening=next_opening,
        closes_at=closes_at,
        has_hours=has_hours,
        start_url=reverse("chat:start"),
    )


def chat_by_token(token: str) -> Chat | None:
    if not token or len(token) > 32:
        return None
    return Chat.objects.select_related("agent", "ticket").filter(token=token).first()


@dataclass(frozen=True)
class Participant:
    """Who is on a chat, in which role: the customer (by their browser session or account) or a
    staff member of the tenant (any of them may read; only the chat's agent writes)."""

    kind: str  # "customer" | "agent"
    user_id: int | None
    name: str

    @property
    def is_agent(self) -> bool:
        return self.kind == "agent"


def participant(chat: Chat, *, user, membership, visitor_key: str) -> Participant | None:
    """The role ``user`` (with ``membership`` in this tenant, or None) and the browser session's
    ``visitor_key`` give on ``chat``, or None: they may not see it."""
    if membership is not None and membership.is_staff_role:
        return Participant("agent", user.pk, user.display_name)
    if visitor_key and constant_time_compare(chat.visitor_key, visitor_key):
        return Participant("customer", getattr(user, "pk", None), chat.name)
    if membership is not None and chat.customer_id is not None and chat.customer_id == user.pk:
        return Participant("customer", user.pk, chat.name)
    return None


def messages_after(chat: Chat, after: int, limit: int = BACKLOG_LIMIT) -> list[ChatMessage]:
    return list(
        ChatMessage.objects.filter(chat=chat, seq__gt=after)
        .select_related("attachment")
        .order_by("seq")[:limit]
    )


def queue_position(chat: Chat) -> int | None:
    """1 for the chat that waits longest; None when the chat does not wait."""
    if chat.status != Chat.Status.WAITING:
        return None
    ahead = Chat.objects.filter(status=Chat.Status.WAITING, created_at__lt=chat.created_at).count()
    return ahead + 1


def waiting_chats(limit: int = WAITING_LIST_LIMIT) -> list[Chat]:
    return list(Chat.objects.filter(status=Chat.Status.WAITING).order_by("created_at")[:limit])


# The workspace's "Chats" badge: customers waiting (chat.contributions keeps the number).
WAITING_BADGE = "chats"


def waiting_count() -> int:
    return Chat.objects.filter(status=Chat.Status.WAITING).count()


def chats_of_agent(user) -> list[Chat]:
    return list(
        Chat.objects.filter(agent=user, status=Chat.Status.ACTIVE).order_by("accepted_at")[:50]
    )


def recent_chats(limit: int = 20) -> list[Chat]:
    return list(
        Chat.objects.filter(status__in=[Chat.Status.ENDED, Chat.Status.MISSED])
        .select_related("agent", "ticket")
        .order_by("-created_at")[:limit]
    )


def is_available(user) -> bool:
    """The agent's "available for chat" switch (every workspace page shows it)."""
    return _switches().get(user.pk, False)


@kept("chat-availability", AgentAvailability)
def _switches() -> dict[int, bool]:
    """Each agent's switch, kept per tenant: it changes when an agent flips it (a save, which
    makes the copy again); the heartbeat's ``seen_at`` is not part of it."""
    return dict(AgentAvailability.objects.values_list("user_id", "available"))


def transcript_lines(chat: Chat) -> list[ChatMessage]:
    return list(ChatMessage.objects.filter(chat=chat).select_related("attachment").order_by("seq"))
