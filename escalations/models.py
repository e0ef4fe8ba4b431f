from django.conf import settings
from django.db import models

from desk.priorities import Priority
from tenants.models import TenantOwned


class EscalationEvent(models.TextChoices):
    """What escalations write on a ticket's timeline (registered in tickets/events.py)."""

    REQUESTED = "escalation_requested", "Escalation requested"
    DECIDED = "escalation_action", "Escalation decision"


class EscalationRequest(TenantOwned):
    """A customer's (or an agent's, on their behalf) request that a manager looks at a ticket."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a manager"
        RESOLVED = "resolved", "Resolved"
        DECLINED = "declined", "Declined"

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="escalations"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_by_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Set when an agent raised it for the customer (phone, chat).",
    )
    reason = models.TextField()
    requested_priority = models.CharField(max_length=16, choices=Priority.choices)
    contact_phone = models.CharField(max_length=40, blank=True)
    best_times = models.CharField(max_length=200, blank=True)
    contact_time_zone = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    review_due_at = models.DateTimeField()
    first_action_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwned.Meta):
        constraints = [
            # One open request per ticket; a new one may follow once it is resolved.
            models.UniqueConstraint(
                fields=["tenant", "ticket"],
                condition=models.Q(status="open"),
                name="escalation_one_open_per_ticket",
            ),
        ]
        indexes = [
            # The managers' review queue: open requests, oldest first.
            models.Index(
                fields=["tenant", "created_at"],
                name="escalation_open_queue",
                condition=models.Q(status="open"),
            ),
        ]

    def __str__(self):
        return f"Escalation of ticket {self.ticket_id}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class EscalationAction(TenantOwned):
    """One manager decision on a request; several may be taken before it is resolved."""

    class Kind(models.TextChoices):
        CONVERSATION = "conversation", "Direct conversation scheduled"
        REASSIGN = "reassign", "Reassigned to another agent"
        PRIORITY = "priority", "Priority changed"
        DECLINE = "decline", "Declined"
        RESOLVE = "resolve", "Resolved"

    request = models.ForeignKey(EscalationRequest, on_delete=models.CASCADE, related_name="actions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    data = models.JSONField(default=dict, blank=True)

    class Meta(TenantOwned.Meta):
        indexes = [
            models.Index(fields=["tenant", "request", "created_at"], name="escalation_action_time")
        ]

    def __str__(self):
        return self.get_kind_display()
