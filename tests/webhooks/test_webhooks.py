"""Webhooks against a real HTTP receiver on loopback: the admin registers an endpoint on the
settings page, ticket events become signed deliveries, a 500 is retried after its pause with the
same delivery id, a delivered one is never sent again, an admin can send one again (a new id),
and an endpoint that keeps failing is switched off."""

from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import InvalidInput
from tenants.context import tenant_context
from tenants.models import AuditEntry
from tests.conftest import login_client
from tickets.automations import run_automations
from tickets.models import TicketEvent
from webhooks import services
from webhooks.models import Delivery, Endpoint

# Deliveries are queued when the event's transaction commits: these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


class Receiver:
    """An HTTP server on 127.0.0.1 that answers with the scripted codes (then 200) and keeps
    every request it got: headers and raw body."""

    def __init__(self, codes=()):
        self.codes = list(codes)
        self.requests: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                code = receiver.codes.pop(0) if receiver.codes else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"ok" if code < 300 else b"broken")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(codes=()):
        made.append(Receiver(codes))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


def _register(world, url, events=("replied", "status_changed")):
    """Through the admin's settings page; returns the endpoint and the secret shown once."""
    admin = login_client(world.users["admin"], world.tenant)
    response = admin.post(
        "/agent/settings/webhooks/", {"url": url, "events": list(events)}, follow=True
    )
    assert response.status_code == 200, response.content[:2000]
    secret = re.search(rb'data-testid="webhook-secret">([^<]+)<', response.content)
    assert secret, "the new endpoint's page shows its secret"
    again = admin.get(response.redirect_chain[-1][0])
    assert secret.group(1) not in again.content  # shown once
    with tenant_context(world.tenant):
        endpoint = Endpoint.objects.get(url=url)
    return endpoint, secret.group(1).decode()


def _send_all(world, queued):
    """Run the tasks queued so far, as a worker would (what they queue waits for the next)."""
    waiting = list(queued)
    queued.clear()
    results = []
    for tenant_id, pk in waiting:
        assert tenant_id == world.tenant.pk
        results.append(services.deliver(tenant=world.tenant, delivery_pk=pk))
    return results


def test_a_delivery_is_signed_retried_after_a_500_and_never_sent_twice(
    world_a, receiver, queued_webhooks
):
    hook = receiver(codes=[500])
    endpoint, secret = _register(world_a, hook.url)
    world_a.reply(world_a.ticket, "agent", "We are looking into it.")  # replied + status
    assert _send_all(world_a, queued_webhooks) == ["retry", "delivered"]
    with tenant_context(world_a.tenant):
        first = Delivery.objects.filter(endpoint=endpoint).order_by("id").first()
        assert (first.status, first.attempts, first.response_code) == ("pending", 1, 500)
        assert first.next_attempt_at > timezone.now()
    # The retry was queued for after its pause; before that the row is not due.
    assert queued_webhooks == [(world_a.tenant.pk, first.pk)]
    assert services.deliver(tenant=world_a.tenant, delivery_pk=first.pk) == "skipped"
    queued_webhooks.clear()
    with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=False):
        assert services.deliver(tenant=world_a.tenant, delivery_pk=first.pk) == "delivered"
        # Delivered: another task for it, or the sweep, sends nothing.
        assert services.deliver(tenant=world_a.tenant, delivery_pk=first.pk) == "skipped"
        assert services.deliver_due_now() == 0
        for headers, body in hook.requests:
            assert services.verify(
                secret,
                headers["Helpdesk-Webhook-Timestamp"],
                body,
                headers["Helpdesk-Webhook-Signature"],
            )
            assert not services.verify(
                "whsec_wrong",
                headers["Helpdesk-Webhook-Timestamp"],
                body,
                headers["Helpdesk-Webhook-Signature"],
            )
    ids = [headers["Helpdesk-Webhook-Id"] for headers, _ in hook.requests]
    # Three requests: the 500 and its retry (one id), and the other event (its own id).
    assert len(ids) == 3 and len(set(ids)) == 2 and ids.count(str(first.delivery_id)) == 2
    with tenant_context(world_a.tenant):
        rows = list(Delivery.objects.filter(endpoint=endpoint))
    assert {row.status for row in rows} == {"delivered"}
    assert {row.event for row in rows} == {"replied", "status_changed"}
    accepted = [h["Helpdesk-Webhook-Id"] for h, _ in hook.requests[1:]]
    assert len(accepted) == len(set(accepted)), "a delivered id was sent again"


def test_only_chosen_events_of_this_tenant_are_sent(world_a, world_b, receiver, queued_webhooks):
    hook = receiver()
    _endpoint, _secret = _register(world_a, hook.url, events=["noted"])
    world_a.reply(world_a.ticket, "agent", "Public reply: not asked for")
    world_b.reply(world_b.ticket, "agent", "Other tenant's note", public=False)
    assert queued_webhooks == []
    world_a.reply(world_a.ticket, "agent", "Internal", public=False)
    assert _send_all(world_a, queued_webhooks) == ["delivered"]
    ((headers, body),) = hook.requests
    assert headers["Helpdesk-Webhook-Event"] == "noted"
    assert f'"number":{world_a.ticket.number}'.encode() in body
    assert world_b.marker.encode() not in body


def test_an_admin_sends_a_delivery_again_as_a_new_one(world_a, receiver, queued_webhooks):
    hook = receiver()
    endpoint, _secret = _register(world_a, hook.url, events=["noted"])
    world_a.reply(world_a.ticket, "agent", "Internal", public=False)
    _send_all(world_a, queued_webhooks)
    with tenant_context(world_a.tenant):
        delivered = Delivery.objects.get(endpoint=endpoint)
    admin = login_client(world_a.users["admin"], world_a.tenant)
    url = f"/agent/settings/webhooks/{endpoint.pk}/deliveries/{delivered.pk}/resend/"
    assert admin.post(url).status_code == 302
    assert _send_all(world_a, queued_webhooks) == ["delivered"]
    first, second = (h["Helpdesk-Webhook-Id"] for h, _ in hook.requests)
    assert first != second
    with tenant_context(world_a.tenant):
        again = Delivery.objects.get(resent_from=delivered)
    assert str(again.delivery_id) == second
    page = admin.get(f"/agent/settings/webhooks/{endpoint.pk}/")
    assert b"HTTP 200" in page.content and b"sent again" in page.content
    agent = login_client(world_a.users["agent"], world_a.tenant)
    assert agent.post(url).status_code == 403
    assert agent.get("/agent/settings/webhooks/").status_code == 403


def test_an_endpoint_that_keeps_failing_is_switched_off(
    world_a, receiver, queued_webhooks, monkeypatch
):
    monkeypatch.setattr(services, "DISABLE_AFTER", 3)
    hook = receiver(codes=[500] * 10)
    endpoint, _secret = _register(world_a, hook.url, events=["noted"])
    world_a.reply(world_a.ticket, "agent", "One", public=False)
    world_a.reply(world_a.ticket, "agent", "Two", public=False)
    _send_all(world_a, queued_webhooks)
    queued_webhooks.clear()
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        services.deliver_due_now()
    with tenant_context(world_a.tenant):
        endpoint.refresh_from_db()
        assert not endpoint.is_active and "3 failed attempts" in endpoint.disabled_reason
        assert AuditEntry.objects.filter(action="webhook_disabled").count() == 1
    requests_so_far = len(hook.requests)
    assert requests_so_far == 3
    world_a.reply(world_a.ticket, "agent", "Three", public=False)
    with time_machine.travel(timezone.now() + timedelta(hours=3), tick=False):
        services.deliver_due_now()
    assert len(hook.requests) == requests_so_far  # nothing sent while off
    page = login_client(world_a.users["admin"], world_a.tenant).get(
        f"/agent/settings/webhooks/{endpoint.pk}/"
    )
    assert b"This endpoint is off" in page.content


def test_a_delivery_is_given_up_after_its_attempts(world_a, receiver, queued_webhooks):
    hook = receiver(codes=[503] * 20)
    endpoint, _secret = _register(world_a, hook.url, events=["noted"])
    world_a.reply(world_a.ticket, "agent", "Note", public=False)
    moment = timezone.now()
    for _ in range(services.MAX_ATTEMPTS):
        moment += timedelta(hours=3)
        with time_machine.travel(moment, tick=False):
            services.deliver_due_now()
    with tenant_context(world_a.tenant):
        delivery = Delivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts) == ("failed", services.MAX_ATTEMPTS)
    assert len(hook.requests) == services.MAX_ATTEMPTS


def test_endpoint_addresses_must_be_public_https(world_a, settings):
    settings.WEBHOOKS_ALLOW_LOCAL = False
    with tenant_context(world_a.tenant):
        for url in (
            "http://hooks.example.com/x",
            "https://127.0.0.1/x",
            "https://10.1.2.3/x",
            "https://[::1]/x",
            "https://169.254.169.254/latest",
            "https://user:pw@hooks.example.com/x",
            "ftp://hooks.example.com/x",
        ):
            with pytest.raises(InvalidInput):
                services.check_url(url)
        assert services.check_url("https://93.184.215.14/hook")
        with pytest.raises(InvalidInput):
            services.known_events(["not_an_event"])
    admin = login_client(world_a.users["admin"], world_a.tenant)
    refused = admin.post(
        "/agent/settings/webhooks/", {"url": "https://127.0.0.1/x", "events": ["replied"]}
    )
    assert refused.status_code == 400 and b"private network" in refused.content
    with tenant_context(world_a.tenant):
        assert not Endpoint.objects.exists()


def test_the_secret_is_stored_encrypted_and_can_be_replaced(world_a, receiver):
    endpoint, secret = _register(world_a, receiver().url)
    assert secret not in endpoint.secret_encrypted
    admin = login_client(world_a.users["admin"], world_a.tenant)
    page = admin.post(f"/agent/settings/webhooks/{endpoint.pk}/", {"action": "rotate"}, follow=True)
    new = re.search(rb'data-testid="webhook-secret">([^<]+)<', page.content).group(1).decode()
    assert new != secret
    with tenant_context(world_a.tenant):
        endpoint.refresh_from_db()
        assert services.secret_of(endpoint) == new


def test_a_batch_of_events_gets_its_deliveries_in_one_insert(world_a, queued_webhooks):
    with tenant_context(world_a.tenant):
        endpoint, _secret = services.endpoint_create(
            url="http://127.0.0.1:9/hook", events=["status_changed", "survey_sent"]
        )
    tickets = [world_a.submit(subject=f"Hook {n}") for n in range(3)]
    for ticket in tickets:
        world_a.reply(ticket, "agent", "Fixed", submit_as="solved")
    queued_webhooks.clear()
    later = timezone.now() + timedelta(days=3)
    with time_machine.travel(later, tick=False), CaptureQueriesContext(connection) as queries:
        assert len(run_automations(tenants=[world_a.tenant]).closed) == 3  # one batch
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "webhooks_delivery"')]
    assert len(inserts) == 2  # the closing events, then the surveys' events
    with tenant_context(world_a.tenant):
        deliveries = list(Delivery.objects.filter(pk__in=[pk for _t, pk in queued_webhooks]))
        sent = Counter()
        for delivery in deliveries:
            event = TicketEvent.objects.get(pk=delivery.ticket_event)
            # The body the one-event path would have written for it.
            assert delivery.payload == services.payload_for(event)
            assert (delivery.event, delivery.endpoint_id) == (event.kind, endpoint.pk)
            sent[event.kind, event.ticket_id] += 1
    assert sent == {(kind, t.pk): 1 for t in tickets for kind in ("status_changed", "survey_sent")}
