"""Email as a way in: the tenant's support addresses, and every email received on them.

Mail to a support address becomes a ticket, or a reply on the ticket it answers
(``inbox.ingest``). Each received email is recorded once (by its Message-ID), with what was
done with it, so a message delivered twice is imported once and a reply to an email we
received threads onto the same ticket.
"""

from __future__ import annotations

from django.db import models

from tenants.models import TenantOwned


class SupportAddress(TenantOwned):
    # One tenant per address, platform-wide: inbound mail is routed by it.
    address = models.EmailField(unique=True)
    # When off, mail from people who are not members of the helpdesk is recorded and dropped.
    accept_unknown_senders = models.BooleanField(
        default=True,
        help_text="Let people without an account open tickets by email (their address is "
        "unverified until they sign up).",
    )

    class Meta(TenantOwned.Meta):
        ordering = ["address"]
        indexes = [models.Index(fields=["tenant", "address"], name="supportaddress_tenant")]

    def __str__(self):
        return self.address


class InboundEmail(TenantOwned):
    class Outcome(models.TextChoices):
        TICKET = "ticket", "New ticket"
        REPLY = "reply", "Reply on a ticket"
        NOTE = "note", "Held as an internal note (sender is not the requester)"
        IGNORED = "ignored", "Ignored"

    message_id = models.CharField(max_length=255, blank=True)
    sender = models.EmailField(blank=True)
    subject = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.CharField(max_length=200, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    via = models.CharField(max_length=16, default="webhook")  # webhook or imap

    class Meta(TenantOwned.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "message_id"],
                condition=~models.Q(message_id=""),
                name="inboundemail_once",
            )
        ]
        indexes = [
            # The per-sender rate limit, and the settings page's latest emails.
            models.Index(fields=["tenant", "sender", "created_at"], name="inbound_sender_time"),
            models.Index(fields=["tenant", "created_at"], name="inbound_time"),
        ]


class Mailbox(TenantOwned):
    """A mailbox the tenant already has, polled over IMAP; its mail is ingested as if sent to
    ``address``. The password is stored encrypted (``inbox.secrets``). ``last_uid`` (valid for
    ``uid_validity``) is the last message imported, so nothing is imported twice or skipped."""

    class AfterImport(models.TextChoices):
        MOVE = "move", "Move it to another folder"
        FLAG = "flag", "Mark it as read (and flag it) where it is"

    address = models.OneToOneField(SupportAddress, on_delete=models.CASCADE, related_name="mailbox")
    host = models.CharField(max_length=253)
    port = models.PositiveIntegerField(default=993)
    use_ssl = models.BooleanField("Use TLS", default=True)
    username = models.CharField(max_length=254)
    password_encrypted = models.TextField()
    folder = models.CharField(max_length=200, default="INBOX")
    after_import = models.CharField(
        max_length=8, choices=AfterImport.choices, default=AfterImport.FLAG
    )
    move_to = models.CharField(max_length=200, default="Helpdesk/Imported", blank=True)
    enabled = models.BooleanField(default=True)
    uid_validity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    failures = models.PositiveIntegerField(default=0)
    next_poll_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwned.Meta):
        indexes = [models.Index(fields=["tenant", "address"], name="mailbox_tenant")]

    def __str__(self):
        return f"{self.username}@{self.host}/{self.folder}"
