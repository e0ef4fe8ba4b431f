"""Every change to live chat: starting, messages and files, taking, handing over, ending, turning
a chat into a ticket, the transcript email, agents' availability and the periodic sweep.

Consumers (websockets), HTML views and the Celery sweep call these. Each change is announced to
the chat's channel-layer group after it commits (``chat.broadcast``), so a rolled-back change
is never shown to anyone.
"""

from __future__ import annotations

import secrets
import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from chat import broadcast, selectors
from chat.models import BODY_MAX_CHARS, CLIENT_ID_MAX, AgentAvailability, Chat, ChatMessage
from chat.selectors import Participant
from core.errors import Conflict, InvalidInput, NotAllowed
from core.inputs import has_nul
from desk.priorities import Priority
from outbox.services import email_enqueue
from tenants.context import current_tenant, tenant_context
from tenants.models import Membership, Tenant
from tenants.navigation import forget_count
from tenants.selectors import staff_user
from tickets import attachments as files
from tickets.models import Attachment, Ticket
from tickets.services import ticket_reply, ticket_submit

Status = Chat.Status
Author = ChatMessage.Author


# --- What clients receive --------------------------------------------------------------------


def message_payload(message: ChatMessage, token: str) -> dict:
    """A message as every participant receives it (websocket frame and page data alike)."""
    attachment = message.attachment
    return {
        "type": "message",
        "id": message.seq,
        "author": message.author_kind,
        "name": message.author_name,
        "body": message.body,
        "at": message.created_at.isoformat(),
        "client_id": message.client_id or None,
        "file": (
            {
                "name": attachment.original_name,
                "size": attachment.size,
                "url": f"/chat/{token}/files/{message.seq}/",
            }
            if attachment is not None
            else None
        ),
    }


def _announce_message(chat: Chat, message: ChatMessage) -> None:
    _announce(chat.tenant_id, chat.pk, chat.token, chat.agent_id, chat.name, message)


def _announce(
    tenant_id: int, chat_id: int, token: str, agent_id: int | None, name: str, message: ChatMessage
) -> None:
    broadcast.after_commit(
        broadcast.chat_group(tenant_id, chat_id),
        {"type": "chat.message", "message": message_payload(message, token)},
    )
    if agent_id and message.author_kind == Author.CUSTOMER:
        # The agent's other workspace tabs: an unread mark, the title and a sound.
        broadcast.after_commit(
            broadcast.agent_group(tenant_id, agent_id),
            {
                "type": "agent.notice",
                "notice": {
                    "kind": "message",
                    "token": token,
                    "name": name,
                    "preview": message.body[:120] or "Sent a file",
                },
            },
        )


def _announce_state(chat: Chat) -> None:
    broadcast.after_commit(broadcast.chat_group(chat.tenant_id, chat.pk), {"type": "chat.state"})


def _announce_queue(tenant_id: int, *, new_chat: Chat | None = None) -> None:
    """The waiting line changed: every workspace refreshes its list; every waiting customer
    learns their new place."""
    forget_count(selectors.WAITING_BADGE, tenant_id)
    notice = {"kind": "queue"}
    if new_chat is not None:
        notice.update(kind="waiting", token=new_chat.token, name=new_chat.name)
        notice["preview"] = new_chat.topic[:120]
    broadcast.after_commit(
        broadcast.agents_group(tenant_id), {"type": "agent.notice", "notice": notice}
    )
    for chat_id in Chat.objects.filter(status=Status.WAITING).values_list("pk", flat=True)[
        : selectors.WAITING_LIST_LIMIT
    ]:
        broadcast.after_commit(broadcast.chat_group(tenant_id, chat_id), {"type": "chat.state"})


# --- Messages --------------------------------------------------------------------------------


def clean_body(body: object) -> str:
    if not isinstance(body, str):
        raise InvalidInput("A message is text.", code="bad_frame")
    if has_nul(body):
        raise InvalidInput("The message contains a NUL character.", code="bad_text")
    body = body.strip()
    if not body:
        raise InvalidInput("Write a message first.", code="empty")
    if len(body) > BODY_MAX_CHARS:
        raise InvalidInput(
            f"A chat message may be at most {BODY_MAX_CHARS} characters "
            f"(this one has {len(body)}); send a file or split it.",
            code="too_long",
        )
    return body


def clean_client_id(client_id: object) -> str:
    if client_id in (None, ""):
        return ""
    if (
        not isinstance(client_id, str)
        or len(client_id) > CLIENT_ID_MAX
        or not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in client_id)
    ):
        raise InvalidInput(
            f"client_id is at most {CLIENT_ID_MAX} ASCII letters, digits, '-' or '_'.",
            code="bad_frame",
        )
    return client_id


def _lock(chat: Chat) -> Chat:
    return Chat.objects.select_related("agent").select_for_update(of=("self",)).get(pk=chat.pk)


def _append(
    chat: Chat,
    kind: str,
    body: str = "",
    *,
    author_id: int | None = None,
    name: str = "",
    client_id: str = "",
    attachment: Attachment | None = None,
) -> ChatMessage:
    """Add a message to a chat held under ``_lock``: the next sequence number, then announce."""
    now = timezone.now()
    chat.last_seq += 1
    chat.last_message_at = now
    chat.save(update_fields=["last_seq", "last_message_at", "updated_at"])
    message = ChatMessage.objects.create(
        chat=chat,
        seq=chat.last_seq,
        author_kind=kind,
        author_id=author_id,
        author_name=name,
        body=body,
        client_id=client_id,
        attachment=attachment,
    )
    _announce_message(chat, message)
    return message


def _check_can_write(chat: Chat, who: Participant) -> None:
    if not chat.is_open:
        raise Conflict("This chat has ended; nothing more can be sent.", code="closed")
    if who.is_agent and chat.agent_id != who.user_id:
        if chat.status == Status.WAITING:
            raise NotAllowed("Take the chat before you write in it.", code="not_yours")
        raise NotAllowed("Only the agent handling this chat writes in it.", code="not_yours")


# The message path in plain SQL (it runs for every message of every chat; the ORM spent more
# CPU composing these statements than the database spent running them). The tables are
# models.Chat's and models.ChatMessage's; the tenant is named as RLS also checks.
_TAKE_SEQ = (
    "UPDATE chat_chat SET last_seq = last_seq + 1, last_message_at = %s, updated_at = %s"
    " WHERE tenant_id = %s AND id = %s AND status IN (%s, %s)"
)
_RETURNING = " RETURNING last_seq, agent_id, token"
_STORED = "SELECT id FROM chat_chatmessage WHERE tenant_id = %s AND chat_id = %s AND client_id = %s"
_INSERT = (
    "INSERT INTO chat_chatmessage (tenant_id, created_at, updated_at, chat_id, seq, author_kind,"
    " author_id, author_name, body, client_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " RETURNING id"
)


def _take_seq(cursor, tenant_id: int, chat_id: int, agent_id: int | None, now: datetime):
    """The chat's next sequence number, counted and row-locked at once, when the chat is open
    and (``agent_id`` given) that agent handles it: ``(seq, agent_id, token)``, else None."""
    params = [now, now, tenant_id, chat_id, Status.WAITING, Status.ACTIVE]
    if agent_id is None:
        cursor.execute(_TAKE_SEQ + _RETURNING, params)
    else:
        cursor.execute(_TAKE_SEQ + " AND agent_id = %s" + _RETURNING, [*params, agent_id])
    return cursor.fetchone()


def _stored(cursor, tenant_id: int, chat_id: int, client_id: str) -> ChatMessage | None:
    """The message this chat already holds under ``client_id``."""
    cursor.execute(_STORED, [tenant_id, chat_id, client_id])
    row = cursor.fetchone()
    return ChatMessage.objects.get(pk=row[0]) if row else None


def _give_back_seq(chat_id: int) -> None:
    """Undo ``_take_seq`` while its row lock is still held (no one else counted since)."""
    Chat.objects.filter(pk=chat_id).update(last_seq=F("last_seq") - 1)


def message_post(
    *, chat: Chat, who: Participant, body: object, client_id: object = ""
) -> tuple[ChatMessage, bool]:
    """Post a message; returns it and whether it is new. A ``client_id`` already stored in this
    chat returns that message again (a resend after a dropped connection), never a copy.

    The hot path of live chat (every message of every chat): the chat row is counted and locked
    by one UPDATE, the resend check runs under that lock (so two copies of one message arriving
    on two sockets at once are serialised), then one INSERT. ``chat`` may be a partial instance:
    only its primary key and ``name`` are read.
    """
    body = clean_body(body)
    client_id = clean_client_id(client_id)
    kind = Author.AGENT if who.is_agent else Author.CUSTOMER
    tenant_id = current_tenant().pk
    now = timezone.now()
    # The caller's transaction (every caller is in tenant_context): no savepoint of our own, and
    # nothing in this block raises a refusal, which would doom that transaction.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        taken = _take_seq(cursor, tenant_id, chat.pk, who.user_id if who.is_agent else None, now)
        if taken is not None:
            seq, agent_id, token = taken
            existing = client_id and _stored(cursor, tenant_id, chat.pk, client_id)
            if existing:
                _give_back_seq(chat.pk)
                return existing, False
            message = ChatMessage(
                tenant_id=tenant_id,
                created_at=now,
                updated_at=now,
                chat_id=chat.pk,
                seq=seq,
                author_kind=kind,
                author_id=who.user_id,
                author_name=who.name,
                body=body,
                client_id=client_id,
            )
            cursor.execute(
                _INSERT,
                [tenant_id, now, now, chat.pk, seq, kind, who.user_id, who.name, body, client_id],
            )
            message.pk = cursor.fetchone()[0]
            _announce(tenant_id, chat.pk, token, agent_id, chat.name, message)
            return message, True
        # Refused: a resend of a message stored before the chat ended still gets its message
        # back; otherwise the reason, from the chat as it is now (raised below, outside).
        existing = client_id and _stored(cursor, tenant_id, chat.pk, client_id)
    if existing:
        return existing, False
    current = Chat.objects.get(pk=chat.pk)
    _check_can_write(current, who)
    raise Conflict("The chat changed as you wrote; please send it again.", code="busy")


@transaction.atomic
def file_post(*, chat: Chat, who: Participant, upload) -> ChatMessage:
    """A file in the chat, checked by the ticket attachment rules (type by content, size per
    file, total per ticket: the chat may become one), and never a web page or a program."""
    chat = _lock(chat)
    _check_can_write(chat, who)
    files.check_size(upload)
    content_type = files.sniff_any(upload)
    so_far = (
        Attachment.objects.filter(
            pk__in=ChatMessage.objects.filter(chat=chat, attachment__isnull=False).values(
                "attachment_id"
            )
        ).aggregate(total=Sum("size"))["total"]
        or 0
    )
    files.check_total([so_far, upload.size])
    attachment = Attachment(
        field_key="chat",
        original_name=files.safe_name(upload.name),
        content_type=content_type,
        size=upload.size,
    )
    attachment.file.save(upload.name, upload, save=False)
    attachment.save()
    kind = Author.AGENT if who.is_agent else Author.CUSTOMER
    return _append(chat, kind, "", author_id=who.user_id, name=who.name, attachment=attachment)


# --- A chat's life ---------------------------------------------------------------------------


@transaction.atomic
def chat_start(
    *,
    name: str,
    email: str,
    topic: str,
    customer=None,
    visitor_key: str,
    now: datetime | None = None,
) -> Chat:
    """Open a chat in the waiting line, when chat is offered (hours and an available agent).
    The same browser with a chat still open gets that chat back, not a second one."""
    if not visitor_key:
        raise InvalidInput("Your browser session is missing; reload the page.")
    existing = (
        Chat.objects.filter(visitor_key=visitor_key, status__in=Chat.OPEN)
        .order_by("-created_at")
        .first()
    )
    if existing is not None:
        return existing
    offer = selectors.chat_offer(now)
    if not offer.available:
        raise Conflict(
            f"{offer.reason} Please submit a ticket; we answer those around the clock.",
            code="chat_closed",
        )
    topic = clean_body(topic)[: Chat._meta.get_field("topic").max_length]
    chat = Chat.objects.create(
        token=secrets.token_urlsafe(16),
        customer=customer,
        visitor_key=visitor_key,
        name=name.strip()[:100],
        email=email.strip().lower(),
        topic=topic,
    )
    chat = _lock(chat)
    _append(chat, Author.CUSTOMER, topic, author_id=getattr(customer, "pk", None), name=chat.name)
    _append(chat, Author.SYSTEM, "Thanks for waiting: the next free agent will join you here.")
    _announce_queue(chat.tenant_id, new_chat=chat)
    return chat


@transaction.atomic
def chat_accept(*, chat: Chat, agent) -> Chat:
    chat = _lock(chat)
    if chat.status == Status.ACTIVE:
        if chat.agent_id == agent.pk:
            return chat
        raise Conflict(f"{chat.agent.display_name} already took this chat.", code="taken")
    if chat.status != Status.WAITING:
        raise Conflict("This chat has ended.", code="closed")
    chat.status = Status.ACTIVE
    chat.agent = agent
    chat.accepted_at = timezone.now()
    chat.save(update_fields=["status", "agent", "accepted_at", "updated_at"])
    _append(chat, Author.SYSTEM, f"{agent.display_name} joined the chat.")
    _announce_state(chat)
    _announce_queue(chat.tenant_id)
    return chat


@transaction.atomic
def chat_transfer(*, chat: Chat, actor, membership: Membership, to_user_id) -> Chat:
    """Hand an active chat to another staff member (its agent, or a manager, may)."""
    chat = _lock(chat)
    if chat.status != Status.ACTIVE:
        raise Conflict("Only a chat in progress can be handed over.", code="closed")
    if chat.agent_id != actor.pk and not membership.is_manager_or_admin:
        raise NotAllowed("Only the chat's agent or a manager can hand it over.")
    target = staff_user(to_user_id)
    if target is None:
        raise InvalidInput("Choose an agent of this helpdesk.")
    if target.pk == chat.agent_id:
        raise InvalidInput(f"{target.display_name} is already handling this chat.")
    chat.agent = target
    chat.save(update_fields=["agent", "updated_at"])
    _append(chat, Author.SYSTEM, f"{actor.display_name} handed the chat to {target.display_name}.")
    _announce_state(chat)
    broadcast.after_commit(
        broadcast.agent_group(chat.tenant_id, target.pk),
        {
            "type": "agent.notice",
            "notice": {
                "kind": "assigned",
                "token": chat.token,
                "name": chat.name,
                "preview": f"{actor.display_name} handed you this chat",
            },
        },
    )
    return chat


@transaction.atomic
def chat_end(*, chat: Chat, who: Participant | None, reason: str = "") -> Chat:
    """End an open chat (ending one that waits makes it a missed chat). ``who`` None: the system."""
    chat = _lock(chat)
    if not chat.is_open:
        return chat
    if who is not None and who.is_agent and chat.agent_id not in (None, who.user_id):
        raise NotAllowed("Only the agent handling this chat can end it.")
    was_waiting = chat.status == Status.WAITING
    chat.status = Status.MISSED if was_waiting else Status.ENDED
    chat.ended_at = timezone.now()
    chat.ended_by = who.kind if who is not None else "system"
    chat.save(update_fields=["status", "ended_at", "ended_by", "updated_at"])
    if who is None:
        text = reason or "The chat was closed."
    elif who.is_agent:
        text = f"{who.name} ended the chat."
    else:
        text = f"{chat.name} left the chat."
    _append(chat, Author.SYSTEM, text)
    _announce_state(chat)
    if was_waiting:
        _announce_queue(chat.tenant_id)
    return chat


def transcript_text(chat: Chat) -> str:
    """The conversation as plain text: the first message of a ticket, the body of the email."""
    zone = _tenant_zone()
    started = timezone.localtime(chat.created_at, zone)
    lines = [
        f"Chat with {chat.name} <{chat.email}>, {started:%A %d %B %Y %H:%M} ({zone.key}).",
        f"Topic: {chat.topic}",
        "",
    ]
    for message in selectors.transcript_lines(chat):
        at = timezone.localtime(message.created_at, zone).strftime("%H:%M")
        who = message.author_name or message.get_author_kind_display()
        text = message.body
        if message.attachment is not None:
            text = f"[file: {message.attachment.original_name}]" + (f" {text}" if text else "")
        if message.author_kind == Author.SYSTEM:
            lines.append(f"[{at}] — {text}")
        else:
            lines.append(f"[{at}] {who}: {text}")
    return "\n".join(lines)


def _tenant_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(current_tenant().time_zone)


def _chat_files(chat: Chat) -> list[Attachment]:
    return list(
        Attachment.objects.filter(
            ticket__isnull=True,
            pk__in=ChatMessage.objects.filter(chat=chat, attachment__isnull=False).values(
                "attachment_id"
            ),
        )
    )


@transaction.atomic
def chat_to_ticket(*, chat: Chat, actor, subject: str, priority: str) -> Ticket:
    """A new ticket from the chat: the customer as requester, the transcript as its first
    message (with the chat's files), the chosen priority; the chat links to it."""
    chat = _lock(chat)
    if chat.ticket_id:
        raise Conflict(f"This chat is already on ticket #{chat.ticket.number}.", code="linked")
    if priority not in Priority.values:
        raise InvalidInput("Choose a priority.")
    subject = (subject or "").strip() or chat.topic
    if has_nul(subject):
        raise InvalidInput("The subject contains a NUL character.")
    ticket = ticket_submit(
        requester_email=chat.email,
        requester=chat.customer,
        subject=subject[: Ticket._meta.get_field("subject").max_length],
        description=transcript_text(chat),
        priority=priority,
        staged=_chat_files(chat),
        channel=Ticket.Channel.CHAT,
    )
    return _link(chat, ticket, actor, f"This conversation is now ticket #{ticket.number}.")


@transaction.atomic
def chat_attach_to_ticket(*, chat: Chat, actor, membership: Membership, number: int) -> Ticket:
    """Add the transcript (and files) to an existing ticket as an internal note."""
    chat = _lock(chat)
    if chat.ticket_id:
        raise Conflict(f"This chat is already on ticket #{chat.ticket.number}.", code="linked")
    ticket = Ticket.objects.filter(number=number).first()
    if ticket is None:
        raise InvalidInput(f"There is no ticket #{number}.")
    ticket_reply(
        ticket=ticket,
        author=actor,
        membership=membership,
        body=transcript_text(chat),
        public=False,
        staged=_chat_files(chat),
        via="chat",
    )
    return _link(chat, ticket, actor, f"This conversation was added to ticket #{ticket.number}.")


def _link(chat: Chat, ticket: Ticket, actor, text: str) -> Ticket:
    chat.ticket = ticket
    chat.save(update_fields=["ticket", "updated_at"])
    if chat.is_open:
        _append(chat, Author.SYSTEM, text)
    _announce_state(chat)
    return ticket


@transaction.atomic
def transcript_request(*, chat: Chat) -> None:
    """Email the conversation so far to the customer (once per request of the same content)."""
    chat = _lock(chat)
    chat.transcript_requested_at = timezone.now()
    chat.save(update_fields=["transcript_requested_at", "updated_at"])
    tenant = current_tenant()
    email_enqueue(
        template="chat_transcript",
        recipient=chat.email,
        key=f"chat:{chat.pk}:transcript:{chat.last_seq}",
        context={
            "chat": chat,
            "transcript": transcript_text(chat),
            "chat_url": tenant.url(f"/chat/{chat.token}/"),
            "new_ticket_url": tenant.url("/tickets/new/"),
        },
        ticket=chat.ticket,
    )


# --- Availability ----------------------------------------------------------------------------


def availability_set(*, user, available: bool) -> AgentAvailability:
    row, _created = AgentAvailability.objects.update_or_create(
        user=user, defaults={"available": bool(available), "seen_at": timezone.now()}
    )
    broadcast.after_commit(
        broadcast.agents_group(current_tenant().pk),
        {"type": "agent.notice", "notice": {"kind": "queue"}},
    )
    return row


SEEN_WRITE_EVERY = timedelta(seconds=20)


def availability_seen(*, user, now: datetime | None = None) -> None:
    """A workspace of ``user`` is connected: keep them counted (one write per 20 s at most)."""
    now = now or timezone.now()
    stale = Q(seen_at__lt=now - SEEN_WRITE_EVERY) | Q(seen_at__isnull=True)
    updated = AgentAvailability.objects.filter(stale, user=user).update(seen_at=now)
    if not updated:
        AgentAvailability.objects.get_or_create(user=user, defaults={"seen_at": now})


# --- The sweep -------------------------------------------------------------------------------


def _sweep_tenant(now: datetime) -> dict:
    missed = ended = 0
    wait_limit = timedelta(minutes=settings.CHAT_MISSED_AFTER_MINUTES)
    idle_limit = timedelta(minutes=settings.CHAT_IDLE_END_MINUTES)
    offer = selectors.chat_offer(now)
    waiting = Chat.objects.filter(status=Status.WAITING)
    if offer.available:
        waiting = waiting.filter(created_at__lt=now - wait_limit)
    for chat in waiting.order_by("created_at")[:200]:
        chat_end(
            chat=chat,
            who=None,
            reason="No agent could take the chat in time. Please submit a ticket and we will "
            "answer it by email.",
        )
        missed += 1
    idle = Chat.objects.filter(status=Status.ACTIVE, last_message_at__lt=now - idle_limit)
    for chat in idle.order_by("last_message_at")[:200]:
        chat_end(chat=chat, who=None, reason="The chat was closed after a long silence.")
        ended += 1
    return {"missed": missed, "ended": ended}


def chats_sweep(now: datetime | None = None) -> dict:
    """Every tenant: waiting chats nobody took in time (or left when hours closed or the last
    agent went away) become missed; silent chats in progress end. Safe to run twice at once:
    each chat is changed under its row lock and an ended chat is left as it is."""
    now = now or timezone.now()
    totals = {"missed": 0, "ended": 0}
    for tenant in Tenant.objects.filter(is_active=True).only("pk", "time_zone", "holiday_country"):
        with tenant_context(tenant):
            if not Chat.objects.filter(status__in=Chat.OPEN).exists():
                continue
            for key, value in _sweep_tenant(now).items():
                totals[key] += value
    return totals
