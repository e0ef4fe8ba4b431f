"""Internal bug reports: what support files when a customer's problem is a defect in the
product, linked to every ticket it affects.

Customers never see a report. Their ticket page says only that the problem was filed as a
product bug and, once it is fixed, in which version (``bugs.selectors.customer_view``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tenants.models import TenantOwned


class BugEvent(models.TextChoices):
    """What bug reports write on a ticket's timeline (registered in tickets/events.py)."""

    FILED = "bug_filed", "Filed as a product bug"
    LINKED = "bug_linked", "Linked to a product bug"
    UNLINKED = "bug_unlinked", "Unlinked from a product bug"
    FIXED = "bug_fixed", "Product bug fixed"
    STATUS = "bug_status", "Product bug status"


class BugReport(TenantOwned):
    class Severity(models.TextChoices):
        CRITICAL = "critical", "Critical"
        MAJOR = "major", "Major"
        MINOR = "minor", "Minor"

    class Scope(models.TextChoices):
        ONE = "one", "One customer"
        SOME = "some", "Some customers"
        MANY = "many", "Many customers"
        ALL = "all", "Every customer"

    class Status(models.TextChoices):
        NEW = "new", "New"
        CONFIRMED = "confirmed", "Confirmed"
        IN_PROGRESS = "in_progress", "In progress"
        FIXED = "fixed", "Fixed"
        WONT_FIX = "wont_fix", "Won't fix"
        DUPLICATE = "duplicate", "Duplicate"

    # Still being worked on: the list shows these first, and new tickets may be linked.
    OPEN = (Status.NEW, Status.CONFIRMED, Status.IN_PROGRESS)
    SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.MAJOR: 1, Severity.MINOR: 2}

    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    steps = models.TextField("Steps to reproduce", blank=True)
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.MAJOR)
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.ONE)
    # Dotted version numbers, comma-separated ("11.3, 11.4.1"): desk.versions.VERSION_RE each.
    affected_versions = models.CharField(max_length=200, blank=True)
    fixed_in = models.CharField("Fixed in version", max_length=40, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    tracker_url = models.URLField("External tracker link", max_length=500, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fixed_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwned.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="bugreport_number"),
            models.CheckConstraint(
                condition=~models.Q(status="fixed") | ~models.Q(fixed_in=""),
                name="bugreport_fixed_has_version",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="duplicate") | models.Q(duplicate_of__isnull=False),
                name="bugreport_duplicate_has_original",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "status", "severity"], name="bug_status")]

    def __str__(self):
        return f"Bug #{self.number}: {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class BugLink(TenantOwned):
    """One ticket affected by one report."""

    report = models.ForeignKey(BugReport, on_delete=models.CASCADE, related_name="links")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(TenantOwned.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "report", "ticket"], name="buglink_once")
        ]
        indexes = [models.Index(fields=["tenant", "ticket"], name="buglink_ticket")]


class BugComment(TenantOwned):
    """An internal comment on a report (staff only, never shown to customers)."""

    report = models.ForeignKey(BugReport, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()

    class Meta(TenantOwned.Meta):
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["tenant", "report", "created_at"], name="bugcomment_report")
        ]


class BugHistory(TenantOwned):
    """The report's own history: filed, changed, linked, unlinked, status moves."""

    report = models.ForeignKey(BugReport, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=32)
    text = models.CharField(max_length=300)

    class Meta(TenantOwned.Meta):
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["tenant", "report", "created_at"], name="bughistory_report")
        ]
