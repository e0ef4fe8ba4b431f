"""Live chats between a customer and an agent, their messages, and agents' availability.

A chat is identified outside the database by a random ``token`` (never its primary key). Every
message carries a per-chat sequence number (``seq``): clients resume from the last one they
saw, and a resent message with the same ``client_id`` is stored once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tenants.models import TenantOwned

TOKEN_LENGTH = 22  # secrets.token_urlsafe(16)
BODY_MAX_CHARS = 4000
TOPIC_MAX_CHARS = 200
CLIENT_ID_MAX = 40


class Chat(TenantOwned):
    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting for an agent"
        ACTIVE = "active", "In progress"
        ENDED = "ended", "Ended"
        MISSED = "missed", "Missed"

    OPEN = (Status.WAITING, Status.ACTIVE)

    token = models.CharField(max_length=32)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The browser session that started the chat (visitors need no account).
    visitor_key = models.CharField(max_length=64)
    name = models.CharField(max_length=100)
    email = models.EmailField()
    topic = models.CharField(max_length=TOPIC_MAX_CHARS)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WAITING)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_seq = models.PositiveIntegerField(default=0)
    last_message_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=16, blank=True)  # customer | agent | system
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    transcript_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwned.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "token"], name="chat_tenant_token"),
        ]
        indexes = [
            # The waiting queue, oldest first; the sweep of waiting and idle chats.
            models.Index(fields=["tenant", "status", "created_at"], name="chat_status_created"),
            # An agent's open chats.
            models.Index(fields=["tenant", "agent", "status"], name="chat_agent_status"),
            # Reports over a period.
            models.Index(fields=["tenant", "created_at"], name="chat_created"),
        ]

    def __str__(self):
        return f"Chat {self.token} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def wait_seconds(self) -> float | None:
        end = self.accepted_at or (self.ended_at if self.status == self.Status.MISSED else None)
        return (end - self.created_at).total_seconds() if end else None

    @property
    def handle_seconds(self) -> float | None:
        if self.accepted_at and self.ended_at:
            return (self.ended_at - self.accepted_at).total_seconds()
        return None


class ChatMessage(TenantOwned):
    class Author(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        AGENT = "agent", "Agent"
        SYSTEM = "system", "System"

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    author_kind = models.CharField(max_length=16, choices=Author.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=100, blank=True)
    body = models.TextField(blank=True)
    # The sender's own id for the message: a resend after a dropped connection is stored once.
    client_id = models.CharField(max_length=CLIENT_ID_MAX, blank=True)
    attachment = models.ForeignKey(
        "tickets.Attachment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(TenantOwned.Meta):
        ordering = ["seq"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "chat", "seq"], name="chatmessage_seq"),
            models.UniqueConstraint(
                fields=["tenant", "chat", "client_id"],
                name="chatmessage_client_id",
                condition=~models.Q(client_id=""),
            ),
        ]

    def __str__(self):
        return f"#{self.seq} in chat {self.chat_id}"


class AgentAvailability(TenantOwned):
    """An agent's "available for chat" switch and when their workspace last reported in.

    An agent counts as available while the switch is on and a workspace page of theirs has been
    connected within ``chat.selectors.PRESENCE_WINDOW``: closing the browser takes them out of
    the count without anyone switching off.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    available = models.BooleanField(default=False)
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwned.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="agentavailability_user"),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "seen_at"],
                name="agentavailability_on",
                condition=models.Q(available=True),
            ),
        ]

    def __str__(self):
        return f"{self.user_id}: {'available' if self.available else 'away'}"
