"""Past chats of the demo desk: a fortnight of conversations, a few missed, so the chat console's
"Recent" list and the chat report have something to show on the first start."""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

from django.utils import timezone

from chat.models import Chat, ChatMessage
from tenants.models import Membership

CONVERSATIONS = [
    (
        "Backup stopped at 43%",
        [
            ("customer", "My backup has been stuck at 43% since this morning."),
            ("agent", "Sorry about that. Which version of the app is on that computer?"),
            ("customer", "It says 11.4.1."),
            (
                "agent",
                "Thanks. Please restart the backup service from Settings, then tell me "
                "if it moves.",
            ),
            ("customer", "It is moving again, thank you!"),
        ],
    ),
    (
        "How do I add a second computer?",
        [
            ("customer", "How do I add my laptop to the same subscription?"),
            (
                "agent",
                "Install the app on the laptop and sign in with the same account: it "
                "joins your devices.",
            ),
            ("customer", "Done, I can see it. Thanks."),
        ],
    ),
    (
        "Restore is very slow",
        [
            ("customer", "Restoring 200 GB is taking forever, is that normal?"),
            (
                "agent",
                "Large restores run at your connection's speed. Can you restore the "
                "urgent folders first?",
            ),
            ("customer", "OK, I will pick the project folders."),
        ],
    ),
]


def seed_past_chats(now=None, *, count: int = 14, seed: int = 7) -> int:
    """Chats over the last two weeks inside business hours (call in the demo tenant's context)."""
    if Chat.objects.exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 (demo data, not secrets)
    now = now or timezone.now()
    agents = [
        m.user
        for m in Membership.objects.filter(role__in=Membership.STAFF_ROLES).select_related("user")
    ]
    if not agents:
        return 0
    made = 0
    for index in range(count):
        day = now - timedelta(days=1 + index % 14)
        # 14:00-22:00 UTC: 08:00-16:00 in Chicago during standard time.
        started = day.replace(hour=14 + rng.randrange(8), minute=rng.randrange(60), second=0)
        topic, lines = CONVERSATIONS[index % len(CONVERSATIONS)]
        missed = index % 5 == 4
        agent = rng.choice(agents)
        chat = Chat.objects.create(
            token=secrets.token_urlsafe(16),
            visitor_key=secrets.token_urlsafe(24),
            name=f"Demo visitor {index + 1}",
            email=f"visitor{index + 1}@example.com",
            topic=topic,
        )
        wait = timedelta(seconds=20 + rng.randrange(240))
        seq = 0
        at = started
        messages = [
            ChatMessage(
                tenant=chat.tenant,
                chat=chat,
                seq=1,
                author_kind="customer",
                body=topic,
                author_name=chat.name,
            )
        ]
        seq = 1
        if missed:
            ended = started + timedelta(minutes=10)
            messages.append(
                ChatMessage(
                    tenant=chat.tenant,
                    chat=chat,
                    seq=2,
                    author_kind="system",
                    body="No agent could take the chat in time.",
                )
            )
            seq = 2
            Chat.objects.filter(pk=chat.pk).update(
                status=Chat.Status.MISSED, ended_at=ended, ended_by="system"
            )
        else:
            at = started + wait
            for kind, body in lines:
                seq += 1
                at += timedelta(seconds=30 + rng.randrange(120))
                messages.append(
                    ChatMessage(
                        tenant=chat.tenant,
                        chat=chat,
                        seq=seq,
                        author_kind=kind,
                        author=agent if kind == "agent" else None,
                        author_name=agent.display_name if kind == "agent" else chat.name,
                        body=body,
                    )
                )
            Chat.objects.filter(pk=chat.pk).update(
                status=Chat.Status.ENDED,
                agent=agent,
                accepted_at=started + wait,
                ended_at=at + timedelta(seconds=30),
                ended_by="agent",
            )
        ChatMessage.objects.bulk_create(messages)
        Chat.objects.filter(pk=chat.pk).update(created_at=started, last_seq=seq, last_message_at=at)
        # Each message at its own moment (auto_now_add stamped them all "now").
        stamp = started
        for message in messages:
            ChatMessage.objects.filter(chat=chat, seq=message.seq).update(created_at=stamp)
            stamp += timedelta(seconds=40)
        made += 1
    return made
