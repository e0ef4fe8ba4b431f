"""Queue emails in the caller's transaction; send them exactly once with retries.

``email_enqueue`` renders the template and writes the row; after commit a task is queued to
send it. ``emails_enqueue`` does the same for a batch of emails of one template (the
automation's), rendering the template once for the batch (``outbox.stencil``) and writing the
rows in one statement. ``email_deliver`` claims one row with a conditional update (so a
redelivered task finds nothing to do), sends it through Django's email API and records the
outcome; a failure schedules the next attempt with exponential backoff. ``outbox_sweep``
re-queues rows whose task was lost and takes back rows from workers that died mid-send.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from celery import current_app as celery_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from outbox.models import OutboxEmail
from outbox.stencil import Stencil
from tenants import bulk
from tenants.context import current_tenant, tenant_context
from tenants.models import Tenant

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
SEND_LEASE = timedelta(minutes=10)
SUBJECT_MAX_CHARS = OutboxEmail._meta.get_field("subject").max_length


def backoff(attempts: int, *, cap_minutes: int = 120) -> timedelta:
    """1, 2, 4, 8 ... minutes after each failure, capped (at two hours unless told)."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), cap_minutes))


def address_bounced(address: str) -> None:
    """Mail to ``address`` bounced (or was refused, or complained of): its accounts are
    flagged, and nothing more is sent to it (``email_deliver`` suppresses it)."""
    get_user_model().objects.filter(email__iexact=address, email_bounced_at__isnull=True).update(
        email_bounced_at=timezone.now()
    )


def _render_plain(name: str, context: dict) -> str:
    """A text template rendered without HTML escaping: a subject or a plain-text part is not
    HTML, so ``"`` must stay ``"`` (autoescape would turn it into ``&quot;``)."""
    return get_template(name).template.render(Context(context, autoescape=False))


def fit_subject(subject: str, limit: int = SUBJECT_MAX_CHARS) -> str:
    """One line, at most ``limit`` characters, cut at a word boundary with an ellipsis."""
    subject = " ".join(subject.split())
    if len(subject) <= limit:
        return subject
    cut = subject[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def render_email(template: str, context: dict) -> tuple[str, str, str]:
    """(subject, text, html) from templates/emails/<template>/{subject.txt,body.txt,body.html}.

    Only the HTML part is escaped; the subject always fits the outbox column, however long or
    markup-laden the ticket subject that went into it. Times are in the tenant's zone: an email
    reads the same whether a customer's request (with their own zone active) or a worker
    queued it.
    """
    with _email_zone(context):
        return _finish(*_render_parts(template, context))


# Which of _render_parts' parts are HTML (escaped): the subject and the text part are not.
_PARTS_ESCAPED = [False, False, True]


def _email_zone(context: dict):
    tenant = context.get("tenant")
    return timezone.override(ZoneInfo(tenant.time_zone) if tenant is not None else None)


def _render_parts(template: str, context: dict) -> tuple[str, str, str]:
    return (
        _render_plain(f"emails/{template}/subject.txt", context),
        _render_plain(f"emails/{template}/body.txt", context),
        render_to_string(f"emails/{template}/body.html", context),
    )


def _finish(subject: str, text: str, html: str) -> tuple[str, str, str]:
    return fit_subject(subject), text.strip() + "\n", html


def render_emails(template: str, shared: dict, each: list[dict]) -> list[tuple[str, str, str]]:
    """``render_email`` for many emails of one template: ``shared`` is the context they have
    in common, ``each`` the values of each email (the same keys in every one)."""
    return list(zip(*_render_columns(template, shared, each), strict=True))


def _render_columns(
    template: str, shared: dict, each: list[dict]
) -> tuple[Sequence[str], Sequence[str], Sequence[str]]:
    """The subjects, texts and HTML parts of a batch, as columns for ``bulk.insert``.

    The template is rendered once with blanks for ``each``'s keys and filled in per email
    (``outbox.stencil``). The first email is also rendered in full and compared; if the two
    differ, or the template does more with a per-email value than print it, every email is
    rendered in full: slower, never different.
    """
    if len(each) >= 2:
        with _email_zone(shared):
            stencil = Stencil.make(
                lambda context: _render_parts(template, context),
                shared,
                each[0].keys(),
                escaped=_PARTS_ESCAPED,
            )
            columns = stencil.fill(each) if stencil is not None else None
        if columns is not None:
            subjects, texts, htmls = columns
            if _finish(subjects[0], texts[0], htmls[0]) == render_email(
                template, {**shared, **each[0]}
            ):
                return [fit_subject(subject) for subject in subjects], _finish_texts(texts), htmls
            log.warning("email %s: filled-in stencil differs from a full render", template)
    rendered = [render_email(template, {**shared, **values}) for values in each]
    return tuple(list(column) for column in zip(*rendered, strict=True)) or ([], [], [])


def _finish_texts(texts: bulk.Joined) -> Sequence[str]:
    """``_finish``'s strip of the text parts, on the column: where the text begins and ends
    with fixed text, only that is stripped; otherwise each text is stripped in Python."""
    pieces = list(texts.pieces)
    if pieces and all(isinstance(end, str) and end.strip() for end in (pieces[0], pieces[-1])):
        if len(pieces) == 1:
            return bulk.Joined([pieces[0].strip() + "\n"], texts.values, len(texts))
        pieces[0], pieces[-1] = pieces[0].lstrip(), pieces[-1].rstrip() + "\n"
        return bulk.Joined(pieces, texts.values, len(texts))
    return [text.strip() + "\n" for text in texts]


def _is_suppressed(recipient: str) -> bool:
    return (
        get_user_model()
        .objects.filter(email__iexact=recipient, email_bounced_at__isnull=False)
        .exists()
    )


@dataclass(frozen=True, slots=True)
class Email:
    """One email of a batch (``emails_enqueue``): to whom, under which idempotency key, with
    its own context values (``context``: the ticket, its links) and its own headers."""

    recipient: str
    key: str
    context: dict = field(default_factory=dict)
    ticket: Any = None
    reply_to: str = ""
    send_at: datetime | None = None
    headers: dict[str, str] | None = None


def email_enqueue(
    *,
    template: str,
    recipient: str,
    key: str,
    context: dict,
    ticket=None,
    reply_to: str = "",
    send_at=None,
    automated: bool = True,
    headers: dict[str, str] | None = None,
) -> None:
    """Write one email to the outbox (once per ``key``) in the current transaction.

    ``automated`` (the default) marks it ``Auto-Submitted: auto-generated`` (RFC 3834), so
    vacation responders and other robots stay quiet; only a message a person wrote (an agent's
    reply) passes False. ``headers`` adds others (a survey's one-click unsubscribe).

    ``INSERT ... ON CONFLICT DO NOTHING`` on (tenant, key): a key queued before, by an earlier
    or a concurrent run, is left as it is, without a savepoint or an error. After commit a task
    is queued to send it; a lost task is made good by the sweep.
    """
    emails_enqueue(
        template=template,
        shared=context,
        automated=automated,
        emails=[Email(recipient, key, {}, ticket, reply_to, send_at, headers)],
    )


def emails_enqueue(
    *, template: str, emails: list[Email], shared: dict | None = None, automated: bool = True
) -> None:
    """``email_enqueue`` for a batch of emails of one template, in one INSERT.

    ``shared`` is the context every email has (the tenant is added); each email adds its own
    (``Email.context``). Each row is exactly what ``email_enqueue`` would write for that email
    with the two contexts merged; each key is queued once, and each send is queued after
    commit.
    """
    if not emails:
        return
    tenant = current_tenant()
    shared = {**(shared or {}), "tenant": tenant}
    subjects, texts, htmls = _render_columns(template, shared, [e.context for e in emails])
    kept = _jsonable(shared)
    now = timezone.now()
    extra = {"Auto-Submitted": "auto-generated"} if automated else {}
    bulk.insert(
        OutboxEmail,
        same={"template": template},
        each={
            "idempotency_key": [email.key for email in emails],
            "recipient": [email.recipient for email in emails],
            "reply_to": [email.reply_to for email in emails],
            "subject": subjects,
            "body_text": texts,
            "body_html": htmls,
            "context": bulk.JsonObjects.of(
                [{**kept, **_jsonable(email.context)} for email in emails]
            ),
            "ticket_id": [email.ticket.pk if email.ticket else None for email in emails],
            "headers": bulk.JsonObjects.of(
                [{**(email.headers or {}), **extra} for email in emails]
            ),
            "next_attempt_at": [email.send_at or now for email in emails],
        },
        ignore_conflicts=True,
    )
    tenant_id = tenant.pk
    keys = [email.key for email in emails]
    transaction.on_commit(lambda: _queue_sends(tenant_id, keys))


def _queue_sends(tenant_id: int, keys: list[str]) -> None:
    for key in keys:
        _queue_send(tenant_id, key)


def _jsonable(context: dict) -> dict:
    """What the row keeps of the context: plain values and the ids of model instances."""
    kept = {}
    for key, value in context.items():
        if isinstance(value, str | int | float | bool) or value is None:
            kept[key] = value
        elif hasattr(value, "pk"):
            kept[f"{key}_id"] = value.pk
    return kept


# outbox.tasks imports this module: the task is queued by name, never imported here.
SEND_TASK = "outbox.tasks.send_email"


def _queue_send(tenant_id: int, email: int | str) -> None:
    """Queue the send task for a row (by id, or by idempotency key right after enqueueing)."""
    if celery_app.conf.task_always_eager:
        # Debugging mode runs tasks inline; send_task by name would still go to a broker.
        email_deliver(tenant=Tenant.objects.get(pk=tenant_id), email_id=email)
        return
    try:
        celery_app.send_task(SEND_TASK, args=(tenant_id, email))
    except Exception:
        # The broker is down: the row stays pending and the sweep queues it later.
        log.exception("could not queue outbox email %s", email)


def _claim(email: int | str) -> OutboxEmail | None:
    """Take the row for this worker if it is pending and due: a conditional UPDATE, so of two
    workers (or a task the broker delivered twice) exactly one gets it.

    The claim counts the attempt, in the same UPDATE: a worker killed mid-send never gets to
    record its outcome, yet the email may have gone out, so the attempt is counted before it
    starts. ``attempts`` of the returned row includes this one."""
    now = timezone.now()
    rows = OutboxEmail.objects.filter(
        **({"pk": email} if isinstance(email, int) else {"idempotency_key": email})
    )
    claimed = rows.filter(status=OutboxEmail.Status.PENDING, next_attempt_at__lte=now).update(
        status=OutboxEmail.Status.SENDING,
        attempts=F("attempts") + 1,
        locked_until=now + SEND_LEASE,
        updated_at=now,
    )
    return rows.get() if claimed else None


def message_id(tenant_id: int, email_id: int) -> str:
    """One stable id per row: a receiving server sees a resend as the same message, and a reply
    that quotes it (In-Reply-To, References) leads back to the row and its ticket."""
    return f"<outbox-{tenant_id}-{email_id}@{settings.BASE_DOMAIN}>"


def thread_id(tenant_id: int, ticket_id: int) -> str:
    """The id every email about one ticket refers to: mail clients show them as one thread,
    and replies to any of them carry it back (tickets.mail matches it)."""
    return f"<ticket-{tenant_id}-{ticket_id}@{settings.BASE_DOMAIN}>"


def _message(email: OutboxEmail) -> EmailMultiAlternatives:
    tenant = current_tenant()
    sender = tenant.support_email or settings.DEFAULT_FROM_EMAIL
    headers = {
        "Message-ID": message_id(tenant.pk, email.pk),
        "X-Helpdesk-Template": email.template,
    }
    if email.ticket_id:
        thread = thread_id(tenant.pk, email.ticket_id)
        headers["In-Reply-To"] = thread
        headers["References"] = thread
    headers.update(email.headers or {})
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=f"{tenant.name} <{sender}>",
        to=[email.recipient],
        reply_to=[email.reply_to] if email.reply_to else None,
        headers=headers,
    )
    message.attach_alternative(email.body_html, "text/html")
    # anymail passes this to the provider and hands it back on tracking events.
    message.metadata = {"tenant": str(tenant.pk), "outbox": str(email.pk)}
    return message


def email_deliver(*, tenant: Tenant, email_id: int | str) -> str:
    """Send one row (by id or key) if it is due and not taken; returns what happened."""
    with tenant_context(tenant):
        email = _claim(email_id)
        if email is not None and _is_suppressed(email.recipient):
            # The address bounced or complained since: record it, do not send. Nothing was
            # handed to the backend, so the attempt the claim counted is given back.
            OutboxEmail.objects.filter(pk=email.pk).update(
                status=OutboxEmail.Status.SUPPRESSED,
                attempts=F("attempts") - 1,
                locked_until=None,
                updated_at=timezone.now(),
            )
            return "suppressed"
    if email is None:
        return "skipped"
    with tenant_context(tenant):
        message = _message(email)
    try:
        message.send()
    except Exception as error:
        with tenant_context(tenant):
            attempts = email.attempts  # counted by the claim
            failed = attempts >= MAX_ATTEMPTS
            OutboxEmail.objects.filter(pk=email.pk).update(
                status=OutboxEmail.Status.FAILED if failed else OutboxEmail.Status.PENDING,
                last_error=f"{type(error).__name__}: {error}"[:2000],
                next_attempt_at=None if failed else timezone.now() + backoff(attempts),
                locked_until=None,
                updated_at=timezone.now(),
            )
        log.warning("outbox email %s failed (attempt %s): %s", email.pk, attempts, error)
        return "failed" if failed else "retry"
    status = getattr(message, "anymail_status", None)
    with tenant_context(tenant):
        OutboxEmail.objects.filter(pk=email.pk).update(
            status=OutboxEmail.Status.SENT,
            sent_at=timezone.now(),
            locked_until=None,
            provider_message_id=(getattr(status, "message_id", None) or "")[:200],
            last_error="",
            updated_at=timezone.now(),
        )
    return "sent"


def outbox_sweep(*, send=None) -> int:
    """Queue every due row, tenant by tenant; take back rows whose worker died mid-send.

    ``send`` defaults to queueing a Celery task; tests and the dev command pass a direct call.
    """
    now = timezone.now()
    queued = 0
    for tenant in Tenant.objects.filter(is_active=True).only("pk", "name", "support_email"):
        with tenant_context(tenant):
            _take_back_expired(now)
            due = list(
                OutboxEmail.objects.filter(
                    status=OutboxEmail.Status.PENDING, next_attempt_at__lte=now
                )
                .order_by("next_attempt_at")
                .values_list("pk", flat=True)[:5000]
            )
        for email_id in due:
            if send is None:
                _queue_send(tenant.pk, email_id)
            else:
                send(tenant, email_id)
            queued += 1
    return queued


def _take_back_expired(now) -> None:
    """Rows whose worker died after claiming them (the lease expired): send again, or give up.

    The dead worker's attempt was counted by its claim. A row that has used up its attempts
    this way (say, a message that crashes every worker) fails here instead of looping forever.
    """
    expired = OutboxEmail.objects.filter(status=OutboxEmail.Status.SENDING, locked_until__lt=now)
    error = "The worker sending it stopped before recording the outcome (lease expired)."
    expired.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=OutboxEmail.Status.FAILED,
        locked_until=None,
        next_attempt_at=None,
        last_error=error,
        updated_at=now,
    )
    expired.update(
        status=OutboxEmail.Status.PENDING,
        locked_until=None,
        next_attempt_at=now,
        last_error=error,
        updated_at=now,
    )


def deliver_due_now() -> int:
    """Send every due row in this process (tests, `manage.py send_outbox`)."""
    return outbox_sweep(
        send=lambda tenant, email_id: email_deliver(tenant=tenant, email_id=email_id)
    )
