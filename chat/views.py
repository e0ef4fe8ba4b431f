"""Live chat pages: the customer's start page and chat room, the agents' chat console.

Messages themselves travel over the websocket (``chat.consumers``); these views start chats,
carry files, and take the agents' decisions (take, hand over, end, make a ticket), each through
``chat.services``, which announces the change to everyone on the chat.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat import selectors, services
from chat.forms import AttachForm, ChatTicketForm, PreChatForm, TransferForm
from chat.models import Chat, ChatMessage
from chat.ws import VISITOR_KEY
from core.errors import DomainError, messages_of
from core.inputs import local_path
from tenants.access import staff_required
from tenants.selectors import staff_members
from tickets import attachments as files

VISITOR_KEY_LENGTH = 32


def visitor_key(request, *, create: bool = False) -> str:
    """This browser's chat identity (kept in its session; visitors need no account)."""
    key = request.session.get(VISITOR_KEY)
    if not isinstance(key, str) or len(key) != VISITOR_KEY_LENGTH:
        key = ""
    if not key and create:
        key = secrets.token_urlsafe(24)
        request.session[VISITOR_KEY] = key
    return key


def _chat_and_role(request, token: str) -> tuple[Chat, selectors.Participant]:
    """The chat and the viewer's part in it, or 404 alike for unknown and not-yours."""
    chat = selectors.chat_by_token(token)
    if chat is None:
        raise Http404("No such chat.")
    who = selectors.participant(
        chat,
        user=request.user,
        membership=request.membership,
        visitor_key=visitor_key(request),
    )
    if who is None:
        raise Http404("No such chat.")
    return chat, who


def _open_chat_of(request) -> Chat | None:
    key = visitor_key(request)
    if not key:
        return None
    return (
        Chat.objects.filter(visitor_key=key, status__in=Chat.OPEN).order_by("-created_at").first()
    )


# --- Customers -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def start(request):
    """Whether chat is open now; the pre-chat form when it is, the next opening when not."""
    offer = selectors.chat_offer()
    current = _open_chat_of(request)
    user = request.user if request.membership is not None else None
    initial = {"name": user.name, "email": user.email} if user is not None else {}
    form = PreChatForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                chat = services.chat_start(
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    topic=form.cleaned_data["topic"],
                    customer=user,
                    visitor_key=visitor_key(request, create=True),
                )
            except DomainError as error:
                form.add_error(None, error.message)
                status = error.status
            else:
                return redirect("chat:room", token=chat.token)
        else:
            status = 400
    return render(
        request,
        "chat/start.html",
        {"offer": offer, "form": form, "current": current},
        status=status,
    )


@require_GET
def room(request, token: str):
    chat, who = _chat_and_role(request, token)
    if who.is_agent:
        return redirect("agent:chat", token=chat.token)
    return render(request, "chat/room.html", _room_context(chat, who))


def _room_context(chat: Chat, who) -> dict:
    backlog = [
        {
            **services.message_payload(m, chat.token),
            "time_label": timezone.localtime(m.created_at).strftime("%H:%M"),
        }
        for m in selectors.transcript_lines(chat)
    ]
    return {
        "chat": chat,
        "who": who,
        "backlog": backlog,
        "last_id": backlog[-1]["id"] if backlog else 0,
        "queue_position": selectors.queue_position(chat),
    }


def _json_error(error: Exception, status: int | None = None) -> JsonResponse:
    code = getattr(error, "code", None) or "invalid_input"
    return JsonResponse(
        {"code": code, "detail": " ".join(messages_of(error))},
        status=status or getattr(error, "status", 400),
    )


@require_POST
def file_upload(request, token: str):
    """A file into the chat (multipart field ``file``); JSON answer for the page's script."""
    chat, who = _chat_and_role(request, token)
    uploads = request.FILES.getlist("file")
    if len(uploads) != 1:
        return JsonResponse({"code": "invalid_input", "detail": "Send one file."}, status=400)
    try:
        message = services.file_post(chat=chat, who=who, upload=uploads[0])
    except DomainError as error:
        return _json_error(error)
    except ValidationError as error:
        return _json_error(error, status=400)
    return JsonResponse({"message": services.message_payload(message, chat.token)}, status=201)


@require_GET
def file_download(request, token: str, seq: int):
    chat, _who = _chat_and_role(request, token)
    message = (
        ChatMessage.objects.filter(chat=chat, seq=seq, attachment__isnull=False)
        .select_related("attachment")
        .first()
    )
    if message is None:
        raise Http404("No such file.")
    return files.download_response(message.attachment)


@require_POST
def leave(request, token: str):
    chat, who = _chat_and_role(request, token)
    if who.is_agent:
        return redirect("agent:chat", token=chat.token)
    services.chat_end(chat=chat, who=who)
    return redirect("chat:room", token=chat.token)


@require_POST
def transcript(request, token: str):
    chat, who = _chat_and_role(request, token)
    services.transcript_request(chat=chat)
    messages.success(request, f"We are emailing the conversation to {chat.email}.")
    if who.is_agent:
        return redirect("agent:chat", token=chat.token)
    return redirect("chat:room", token=chat.token)


# --- Agents ----------------------------------------------------------------------------------


def _console_context(request, current: Chat | None = None) -> dict:
    return {
        "waiting": selectors.waiting_chats(),
        "mine": selectors.chats_of_agent(request.user),
        "recent": selectors.recent_chats(),
        "available": selectors.is_available(request.user),
        "offer": selectors.chat_offer(),
        "current": current,
    }


@staff_required
@require_GET
def console(request):
    return render(request, "chat/console.html", _console_context(request))


@staff_required
@require_GET
def agent_chat(request, token: str):
    chat, who = _chat_and_role(request, token)
    agents = [m.user for m in staff_members() if m.user_id != chat.agent_id]
    context = _console_context(request, chat)
    context.update(_room_context(chat, who))
    context.update(
        transfer_form=TransferForm(agents=agents),
        ticket_form=ChatTicketForm(initial={"subject": chat.topic[:200]}),
        attach_form=AttachForm(),
        can_manage=request.membership.is_manager_or_admin,
    )
    return render(request, "chat/agent_chat.html", context)


def _back(request, chat: Chat | None = None):
    if chat is not None:
        return redirect("agent:chat", token=chat.token)
    return redirect("agent:chats")


def _act(request, token: str, action, success: str | None = None):
    chat, who = _chat_and_role(request, token)
    try:
        result = action(chat, who)
    except DomainError as error:
        messages.error(request, error.message)
        return _back(request, chat)
    if success:
        messages.success(request, success.format(result=result))
    return _back(request, chat)


@staff_required
@require_POST
def availability(request):
    available = request.POST.get("available") == "1"
    services.availability_set(user=request.user, available=available)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"available": available})
    messages.success(
        request,
        "You are available for chats." if available else "You are away: no new chats for you.",
    )
    return redirect(
        local_path(request.POST.get("next", ""), prefix="/agent/", default="/agent/chats/")
    )


@staff_required
@require_POST
def accept(request, token: str):
    return _act(
        request, token, lambda chat, who: services.chat_accept(chat=chat, agent=request.user)
    )


@staff_required
@require_POST
def transfer(request, token: str):
    chat, _who = _chat_and_role(request, token)
    agents = [m.user for m in staff_members()]
    form = TransferForm(request.POST, agents=agents)
    if not form.is_valid():
        messages.error(request, "Choose the agent to hand the chat to.")
        return _back(request, chat)
    try:
        services.chat_transfer(
            chat=chat,
            actor=request.user,
            membership=request.membership,
            to_user_id=form.cleaned_data["agent"],
        )
    except DomainError as error:
        messages.error(request, error.message)
        return _back(request, chat)
    messages.success(request, "Chat handed over.")
    return redirect("agent:chats")


@staff_required
@require_POST
def end(request, token: str):
    return _act(
        request, token, lambda chat, who: services.chat_end(chat=chat, who=who), "Chat ended."
    )


@staff_required
@require_POST
def make_ticket(request, token: str):
    chat, _who = _chat_and_role(request, token)
    form = ChatTicketForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the ticket a subject and a priority.")
        return _back(request, chat)
    try:
        ticket = services.chat_to_ticket(
            chat=chat,
            actor=request.user,
            subject=form.cleaned_data["subject"],
            priority=form.cleaned_data["priority"],
        )
    except (DomainError, ValidationError) as error:
        messages.error(request, " ".join(messages_of(error)))
        return _back(request, chat)
    messages.success(request, f"Ticket #{ticket.number} created from the chat.")
    return _back(request, chat)


@staff_required
@require_POST
def attach(request, token: str):
    chat, _who = _chat_and_role(request, token)
    form = AttachForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("number", ["Enter a ticket number."])))
        return _back(request, chat)
    try:
        ticket = services.chat_attach_to_ticket(
            chat=chat,
            actor=request.user,
            membership=request.membership,
            number=form.cleaned_data["number"],
        )
    except (DomainError, ValidationError) as error:
        messages.error(request, " ".join(messages_of(error)))
        return _back(request, chat)
    messages.success(
        request, f"The transcript was added to ticket #{ticket.number} as an internal note."
    )
    return redirect(reverse("agent:ticket", kwargs={"number": ticket.number}))
