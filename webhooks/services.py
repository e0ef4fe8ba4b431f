"""Webhook endpoints and their deliveries.

A ticket event (``tickets.signals.ticket_events_recorded``) becomes one delivery row per active
endpoint that asked for its kind, in the same transaction as the event (a batch of events, the
automation's, in one insert); the send is queued when that transaction commits. A worker
claims a row (a conditional UPDATE, so two workers or a task delivered twice send it once),
POSTs the JSON body signed with the endpoint's secret, and records the answer. A failure is
retried with growing pauses; after ``MAX_ATTEMPTS`` the delivery is given up, and after
``DISABLE_AFTER`` failed attempts in a row the endpoint is switched off until an admin
switches it on again.

Signature: ``Helpdesk-Webhook-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``
with ``Helpdesk-Webhook-Timestamp`` (Unix seconds) and ``Helpdesk-Webhook-Id`` (the delivery's
id, the same on every retry). Receivers check the HMAC and refuse old timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from celery import current_app as celery_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.errors import Conflict, InvalidInput
from core.secrets import SecretBox
from tenants import audit, bulk
from tenants.context import tenant_context
from tenants.models import Tenant
from tickets import events as event_kinds
from webhooks.models import Delivery, Endpoint

log = logging.getLogger(__name__)

BOX = SecretBox(b"webhooks.endpoint.secret")
MAX_ATTEMPTS = 8
DISABLE_AFTER = 15
SEND_LEASE = timedelta(minutes=2)
TIMEOUT_SECONDS = 10
KEPT_RESPONSE_CHARS = 1000
USER_AGENT = "Helpdesk-Webhooks/1"
SEND_TASK = "webhooks.tasks.deliver"


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... up to 2 hours between tries."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 7200))


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance=300) -> bool:
    """What a receiver does (and the tests do): the HMAC matches and the stamp is recent."""
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    if abs(time.time() - stamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, stamp, body), signature)


# ---- endpoints ----------------------------------------------------------------------------


def _private(host: str) -> bool:
    """True when the host is, or resolves to, an address inside this network (loopback,
    private, link-local, ...): webhooks must not reach the servers behind the helpdesk."""
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError, ValueError):
        return False  # unresolvable now: the send will fail and be retried
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            return True
    return False


def check_url(url: str) -> str:
    """An endpoint URL we may call: HTTPS on a public address (plain HTTP and local addresses
    only where WEBHOOKS_ALLOW_LOCAL is on: development and tests)."""
    parts = urlsplit(url)
    local_ok = settings.WEBHOOKS_ALLOW_LOCAL
    if parts.scheme != "https" and not (local_ok and parts.scheme == "http"):
        raise InvalidInput("Webhook URLs must start with https://.")
    if not parts.hostname or parts.username or parts.password:
        raise InvalidInput("Give a plain https:// address, without a user name or password.")
    if not local_ok and _private(parts.hostname):
        raise InvalidInput("That address is inside a private network; use a public one.")
    return url


def known_events(kinds) -> list[str]:
    chosen = sorted(set(kinds))
    unknown = [kind for kind in chosen if not event_kinds.is_registered(kind)]
    if unknown or not chosen:
        raise InvalidInput("Choose at least one of the listed ticket events.")
    return chosen


def endpoint_create(*, url: str, events, description: str = "", actor=None) -> tuple[Endpoint, str]:
    """A new endpoint and its signing secret (returned once, stored encrypted)."""
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = Endpoint.objects.create(
        url=check_url(url),
        events=known_events(events),
        description=description.strip(),
        secret_encrypted=BOX.encrypt(secret),
        created_by=actor,
    )
    audit.record(
        audit.Action.WEBHOOK_ADDED, target=endpoint.url, detail={"events": endpoint.events}
    )
    return endpoint, secret


def endpoint_update(*, endpoint: Endpoint, url: str, events, description: str, active: bool):
    changed = {}
    for field, value in (
        ("url", check_url(url)),
        ("events", known_events(events)),
        ("description", description.strip()),
        ("is_active", active),
    ):
        if getattr(endpoint, field) != value:
            changed[field] = value
            setattr(endpoint, field, value)
    if changed.get("is_active"):
        endpoint.failures_in_a_row = 0
        endpoint.disabled_reason = ""
    endpoint.save()
    if changed:
        audit.record(
            audit.Action.WEBHOOK_CHANGED,
            target=endpoint.url,
            detail={k: v for k, v in changed.items() if k != "description"},
        )
    return endpoint


def endpoint_rotate_secret(*, endpoint: Endpoint) -> str:
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint.secret_encrypted = BOX.encrypt(secret)
    endpoint.save(update_fields=["secret_encrypted", "updated_at"])
    audit.record(audit.Action.WEBHOOK_CHANGED, target=endpoint.url, detail={"secret": "replaced"})
    return secret


def endpoint_delete(*, endpoint: Endpoint) -> None:
    audit.record(audit.Action.WEBHOOK_CHANGED, target=endpoint.url, detail={"removed": True})
    endpoint.delete()


def secret_of(endpoint: Endpoint) -> str:
    return BOX.decrypt(endpoint.secret_encrypted)


# ---- deliveries ---------------------------------------------------------------------------


def payload_for(event) -> dict:
    ticket = event.ticket
    return {
        "event": event.kind,
        "occurred_at": event.created_at.isoformat(),
        "ticket": {
            "number": ticket.number,
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": ticket.priority,
            "requester_email": ticket.requester_email,
            "assignee": ticket.assignee_id,
            "updated_at": ticket.updated_at.isoformat() if ticket.updated_at else None,
        },
        "change": {
            "actor_kind": event.actor_kind,
            "before": event.before,
            "after": event.after,
            "data": event.data,
        },
    }


def deliveries_for_events(events) -> list[int]:
    """The events' delivery rows, one per (event, endpoint that wants its kind), in one
    insert; returns their ids. Sends are queued on commit."""
    active = Endpoint.objects.filter(is_active=True).only("pk", "events")
    endpoints = list(active)
    wanted = [
        (event, endpoint)
        for event in events
        for endpoint in endpoints
        if event.kind in endpoint.events
    ]
    if not wanted:
        return []
    payloads = {event.pk: payload_for(event) for event, _endpoint in wanted}
    made = bulk.insert(
        Delivery,
        same={"next_attempt_at": timezone.now()},
        each={
            "endpoint_id": [endpoint.pk for _event, endpoint in wanted],
            "event": [event.kind for event, _endpoint in wanted],
            "ticket_event": [event.pk for event, _endpoint in wanted],
            "payload": [payloads[event.pk] for event, _endpoint in wanted],
        },
        returning=True,
    )
    tenant_id = events[0].tenant_id
    transaction.on_commit(lambda: [_queue(tenant_id, pk) for pk in made])
    return made


def delivery_resend(*, delivery: Delivery) -> Delivery:
    """The same body again as a new delivery (a new id: the receiver took, or lost, the first);
    refused while the endpoint is off, as nothing is sent to it then."""
    if not delivery.endpoint.is_active:
        raise Conflict("Switch the endpoint on first: nothing is sent to it while off.")
    again = Delivery.objects.create(
        endpoint=delivery.endpoint,
        event=delivery.event,
        ticket_event=delivery.ticket_event,
        payload=delivery.payload,
        next_attempt_at=timezone.now(),
        resent_from=delivery,
    )
    tenant_id = delivery.tenant_id
    transaction.on_commit(lambda: _queue(tenant_id, again.pk))
    return again


def _queue(tenant_id: int, delivery_id: int, countdown: float | None = None) -> None:
    if celery_app.conf.task_always_eager:
        deliver(tenant=Tenant.objects.get(pk=tenant_id), delivery_pk=delivery_id)
        return
    try:
        celery_app.send_task(SEND_TASK, args=(tenant_id, delivery_id), countdown=countdown)
    except Exception:
        log.exception("could not queue webhook delivery %s", delivery_id)  # the sweep will


def _claim(delivery_pk: int) -> Delivery | None:
    now = timezone.now()
    rows = Delivery.objects.filter(pk=delivery_pk)
    claimed = rows.filter(
        status=Delivery.Status.PENDING, next_attempt_at__lte=now, endpoint__is_active=True
    ).update(
        status=Delivery.Status.SENDING,
        attempts=F("attempts") + 1,
        locked_until=now + SEND_LEASE,
        updated_at=now,
    )
    return rows.select_related("endpoint").get() if claimed else None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is an answer (3xx), never followed to another address


_opener = urllib.request.build_opener(_NoRedirects)


def _post(url: str, body: bytes, headers: dict) -> tuple[int | None, str, str]:
    """(status code, start of the response body, error) for one POST."""
    if not settings.WEBHOOKS_ALLOW_LOCAL and _private(urlsplit(url).hostname or ""):
        return None, "", "The address now resolves inside a private network: not called."
    # check_url allowed only http(s) (never file: or another scheme) when the URL was saved.
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, response.read(KEPT_RESPONSE_CHARS).decode(errors="replace"), ""
    except urllib.error.HTTPError as error:
        return error.code, error.read(KEPT_RESPONSE_CHARS).decode(errors="replace"), ""
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, "", f"{type(error).__name__}: {error}"[:500]


def deliver(*, tenant: Tenant, delivery_pk: int) -> str:
    """Send one delivery if it is due and not taken; returns what happened."""
    with tenant_context(tenant):
        delivery = _claim(delivery_pk)
        if delivery is None:
            return "skipped"
        secret = secret_of(delivery.endpoint)
    body = json.dumps(
        {"id": str(delivery.delivery_id), **delivery.payload}, separators=(",", ":")
    ).encode()
    stamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Helpdesk-Webhook-Id": str(delivery.delivery_id),
        "Helpdesk-Webhook-Timestamp": str(stamp),
        "Helpdesk-Webhook-Signature": sign(secret, stamp, body),
        "Helpdesk-Webhook-Event": delivery.event,
    }
    code, answer, error = _post(delivery.endpoint.url, body, headers)
    ok = code is not None and 200 <= code < 300
    with tenant_context(tenant), transaction.atomic():
        now = timezone.now()
        given_up = not ok and delivery.attempts >= MAX_ATTEMPTS
        Delivery.objects.filter(pk=delivery.pk).update(
            status=(
                Delivery.Status.DELIVERED
                if ok
                else Delivery.Status.FAILED
                if given_up
                else Delivery.Status.PENDING
            ),
            response_code=code,
            response_body=answer,
            last_error=error or ("" if ok else f"The endpoint answered {code}."),
            delivered_at=now if ok else None,
            next_attempt_at=None if ok or given_up else now + backoff(delivery.attempts),
            locked_until=None,
            updated_at=now,
        )
        endpoints = Endpoint.objects.filter(pk=delivery.endpoint_id)
        if ok:
            endpoints.update(failures_in_a_row=0, updated_at=now)
            return "delivered"
        endpoints.update(failures_in_a_row=F("failures_in_a_row") + 1, updated_at=now)
        endpoint = endpoints.get()
        if endpoint.is_active and endpoint.failures_in_a_row >= DISABLE_AFTER:
            reason = f"Switched off after {endpoint.failures_in_a_row} failed attempts in a row."
            endpoints.update(is_active=False, disabled_reason=reason, updated_at=now)
            audit.record(
                audit.Action.WEBHOOK_DISABLED, target=endpoint.url, detail={"reason": reason}
            )
    if given_up:
        return "failed"
    transaction.on_commit(
        lambda: _queue(tenant.pk, delivery.pk, countdown=backoff(delivery.attempts).total_seconds())
    )
    return "retry"


def sweep(*, send=None) -> int:
    """Queue due deliveries tenant by tenant; take back rows whose worker died mid-send."""
    now = timezone.now()
    queued = 0
    for tenant in Tenant.objects.filter(is_active=True).only("pk"):
        with tenant_context(tenant):
            expired = Delivery.objects.filter(status=Delivery.Status.SENDING, locked_until__lt=now)
            expired.filter(attempts__gte=MAX_ATTEMPTS).update(
                status=Delivery.Status.FAILED,
                locked_until=None,
                next_attempt_at=None,
                last_error="The worker sending it stopped (lease expired).",
                updated_at=now,
            )
            expired.update(
                status=Delivery.Status.PENDING,
                locked_until=None,
                next_attempt_at=now,
                updated_at=now,
            )
            due = list(
                Delivery.objects.filter(
                    status=Delivery.Status.PENDING,
                    next_attempt_at__lte=now,
                    endpoint__is_active=True,
                )
                .order_by("next_attempt_at")
                .values_list("pk", flat=True)[:1000]
            )
        for pk in due:
            (send or (lambda t, p: _queue(t.pk, p)))(tenant, pk)
            queued += 1
    return queued


def deliver_due_now() -> int:
    """Send every due delivery in this process (tests, development)."""
    return sweep(send=lambda tenant, pk: deliver(tenant=tenant, delivery_pk=pk))
