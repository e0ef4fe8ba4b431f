"""Webhooks: HTTPS endpoints a tenant's admins register for chosen ticket events, and one
delivery row per (endpoint, event), written in the transaction that records the event."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from tenants.models import TenantOwned
from tickets import events as event_kinds


class Endpoint(TenantOwned):
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # The ticket event kinds it receives (tickets.events registry values).
    events = models.JSONField(default=list)
    # The signing secret, encrypted (core.secrets.SecretBox); shown to admins once.
    secret_encrypted = models.TextField()
    is_active = models.BooleanField(default=True)
    # Failed attempts in a row (any delivery); a success resets it, too many disables.
    failures_in_a_row = models.PositiveIntegerField(default=0)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(TenantOwned.Meta):
        indexes = [models.Index(fields=["tenant", "is_active"], name="webhook_endpoint_active")]

    def __str__(self):
        return self.url


class Delivery(TenantOwned):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    # What the receiver sees as Helpdesk-Webhook-Id: the same on every retry of this delivery,
    # so a receiver can drop a repeat; a re-send by an admin is a new delivery with a new id.
    delivery_id = models.UUIDField(default=uuid.uuid4, editable=False)
    event = models.CharField(max_length=32)
    ticket_event = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    resent_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(TenantOwned.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "delivery_id"], name="webhook_delivery_id"),
            # One delivery per endpoint and ticket event, whoever records it twice.
            models.UniqueConstraint(
                fields=["tenant", "endpoint", "ticket_event"],
                name="webhook_delivery_once",
                condition=models.Q(resent_from__isnull=True, ticket_event__isnull=False),
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "next_attempt_at"],
                name="webhook_delivery_due",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
            models.Index(
                fields=["tenant", "endpoint", "-created_at"], name="webhook_delivery_list"
            ),
        ]

    @property
    def event_label(self) -> str:
        return event_kinds.label(self.event)

    def __str__(self):
        return f"{self.event} to {self.endpoint_id} ({self.status})"
