from django.db import models

from tenants.models import TenantOwned


class OutboxEmail(TenantOwned):
    """One outgoing email, written in the same transaction as the change that causes it.

    A Celery task sends it through Django's email API; the row records every attempt. The
    idempotency key (ticket + kind + transition) is unique per tenant, so a repeated sweep or a
    retried request cannot queue the same email twice, and the claim on ``status`` means a
    redelivered task cannot send a row twice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to send"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Marked as spam"
        FAILED = "failed", "Failed"
        SUPPRESSED = "suppressed", "Not sent (address bounced before)"

    template = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=200)
    recipient = models.EmailField()
    reply_to = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField()
    context = models.JSONField(default=dict, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # While SENDING: a worker holds the row until then; past it the sweep may take it back.
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    # Extra headers the sender asked for (Auto-Submitted, List-Unsubscribe ...); the thread
    # headers of a ticket's email are derived from ``ticket`` when it is sent.
    headers = models.JSONField(default=dict, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwned.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"], name="outbox_tenant_idempotency_key"
            ),
        ]
        indexes = [
            # The sweep: rows still to send, by when they are due.
            models.Index(
                fields=["tenant", "next_attempt_at"],
                name="outbox_due",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
            # Tracking webhooks find rows by the provider's id. Only rows that have one: every
            # row is written with none, and an index of that one empty key slowed the
            # automation's batch inserts (two passes inserting into the same leaf page).
            models.Index(
                fields=["provider_message_id"],
                name="outbox_provider_id",
                condition=~models.Q(provider_message_id=""),
            ),
            # A ticket's emails: the foreign key's own index (a ticket id names one tenant's
            # ticket, so a (tenant, ticket) index found nothing more, and cost every insert).
        ]

    def __str__(self):
        return f"{self.template} to {self.recipient} ({self.status})"
