from django.conf import settings
from django.db import models

from tenants.models import TenantOwned


class SurveyEvent(models.TextChoices):
    """What surveys write on a ticket's timeline (registered in tickets/events.py)."""

    SENT = "survey_sent", "Satisfaction survey sent"
    SKIPPED = "survey_skipped", "Satisfaction survey not sent"
    ANSWERED = "survey_answered", "Satisfaction rating"


class SurveyInvitation(TenantOwned):
    """The one satisfaction survey of a closed ticket, and its answer once given.

    The rating is attributed to the agent assigned when the ticket closed. The requester may
    change the answer until the link expires.
    """

    class Rating(models.TextChoices):
        GOOD = "good", "Good, I'm satisfied"
        BAD = "bad", "Bad, I'm unsatisfied"

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="survey")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient = models.EmailField()
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    rating = models.CharField(max_length=8, choices=Rating.choices, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwned.Meta):
        constraints = [
            # One survey per ticket, however many closing runs overlap: the one-to-one field's
            # unique ticket_id (a second unique index over (tenant, ticket) only cost inserts).
            models.CheckConstraint(
                condition=models.Q(rating__in=["", "good", "bad"]), name="survey_rating_valid"
            ),
        ]
        indexes = [
            # CSAT reports by period.
            models.Index(fields=["tenant", "sent_at"], name="survey_sent"),
        ]

    def __str__(self):
        return f"Survey for ticket {self.ticket_id}"


class SurveyOptOut(TenantOwned):
    """An address that asked this tenant not to send it satisfaction surveys."""

    email = models.EmailField()

    class Meta(TenantOwned.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "email"], name="survey_optout_email"),
        ]

    def __str__(self):
        return self.email
