from django.conf import settings
from django.db import models

from desk.priorities import Priority
from tenants.models import TenantOwned


class EscalationEvent(models.TextChoices):
    """What escalations write on a ticket's timeline (registered in tickets/events.py)."""

    REQUESTED = "escalation_requested", "Escalation requested"
    DECIDED = "escalation_action", "Escalation decision"


class EscalationRequest(TenantOwned):
    """A customer's (or an agent's, on their behalf) request that a manager looks at a ticket.

    The policy's manager reviews the request, evaluates it and determines an action (a direct
    conversation, a reassignment, a new priority): that first decision ends the wait, so the
    request leaves the review queue and its badge and is "in progress" while the action is
    carried out. Resolving or declining settles it::

        open --conversation / reassign / priority--> in_progress (further decisions keep it there)
        open, in_progress --resolve--> resolved
        open, in_progress --decline--> declined
    """

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a manager"
        IN_PROGRESS = "in_progress", "In progress with a manager"
        RESOLVED = "resolved", "Resolved"
        DECLINED = "declined", "Declined"

    # Not settled yet: at most one per ticket, and managers can still decide on it.
    ACTIVE_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

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
            # One unsettled request per ticket; a new one may follow once it is resolved or
            # declined.
            models.UniqueConstraint(
                fields=["tenant", "ticket"],
                condition=models.Q(status__in=["open", "in_progress"]),
                name="escalation_one_active_per_ticket",
            ),
        ]
        indexes = [
            # The managers' review queue (and its badge): waiting requests, oldest first.
            models.Index(
                fields=["tenant", "created_at"],
                name="escalation_open_queue",
                condition=models.Q(status="open"),
            ),
            # The queue's second list: requests a manager is handling, oldest first.
            models.Index(
                fields=["tenant", "created_at"],
                name="escalation_in_progress",
                condition=models.Q(status="in_progress"),
            ),
        ]

    def __str__(self):
        return f"Escalation of ticket {self.ticket_id}"

    @property
    def is_waiting(self) -> bool:
        """No manager has decided anything yet: in the review queue, its review due."""
        return self.status == self.Status.OPEN

    @property
    def is_active(self) -> bool:
        """Not settled: managers can still decide on it, and it blocks a new request."""
        return self.status in self.ACTIVE_STATUSES


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
