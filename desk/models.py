"""The desk's support settings: weekly business hours, holidays, and each priority's
definition with the SLA targets it commits to.

The tables kept their names from when these models lived in ``tenants`` (see
``desk/migrations/0001_initial.py``), so existing databases move without copying a row.
"""

from datetime import time

from django.db import models

from desk.priorities import Priority
from tenants.models import TenantOwned


def clock_label(value: time, *, closing: bool = False) -> str:
    """A time of day as HH:MM; a closing time of 00:00 means midnight, the end of the day."""
    return "24:00" if closing and value == time(0) else f"{value:%H:%M}"


class BusinessHours(TenantOwned):
    """One opening interval in the tenant's week, in the tenant's time zone (several per day)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta(TenantOwned.Meta):
        ordering = ["weekday", "opens"]
        constraints = [
            # closes = 00:00 means "until midnight", the end of that day.
            models.CheckConstraint(
                condition=models.Q(opens__lt=models.F("closes")) | models.Q(closes=time(0)),
                name="bh_opens_before_closes",
            ),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="bh_weekday_range"),
            # The weekly schedule is read whole, per tenant, in this order.
            models.UniqueConstraint(
                fields=["tenant", "weekday", "opens"], name="bh_tenant_weekday_opens"
            ),
        ]
        verbose_name_plural = "business hours"
        db_table = "tenants_businesshours"

    def __str__(self):
        return (
            f"{self.get_weekday_display()} {clock_label(self.opens)}–"
            f"{clock_label(self.closes, closing=True)}"
        )


class TenantHoliday(TenantOwned):
    """A date the tenant is closed besides its country's public holidays."""

    date = models.DateField()
    name = models.CharField(max_length=100)

    class Meta(TenantOwned.Meta):
        db_table = "tenants_tenantholiday"
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "date"], name="holiday_tenant_date"),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}"


class SlaUnit(models.TextChoices):
    BUSINESS_HOURS = "business_hours", "business hours"
    BUSINESS_DAYS = "business_days", "business days"


class PriorityLevel(TenantOwned):
    """How a tenant defines one priority, shown wherever a priority is chosen, and the SLA
    targets it commits to for it (in business time; a business day is one day's worth of
    business hours)."""

    priority = models.CharField(max_length=16, choices=Priority.choices)
    summary = models.CharField(max_length=300)
    examples = models.JSONField(default=list, blank=True)
    first_reply_amount = models.PositiveSmallIntegerField(default=1)
    first_reply_unit = models.CharField(
        max_length=16, choices=SlaUnit.choices, default=SlaUnit.BUSINESS_DAYS
    )
    next_update_amount = models.PositiveSmallIntegerField(default=1)
    next_update_unit = models.CharField(
        max_length=16, choices=SlaUnit.choices, default=SlaUnit.BUSINESS_DAYS
    )

    class Meta(TenantOwned.Meta):
        db_table = "tenants_prioritylevel"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "priority"], name="prioritylevel_tenant_priority"
            ),
            models.CheckConstraint(
                condition=models.Q(first_reply_amount__gt=0, next_update_amount__gt=0),
                name="prioritylevel_targets_positive",
            ),
        ]

    def __str__(self):
        return self.get_priority_display()

    def target_minutes(self, which: str, business_day_minutes: int) -> int:
        """``which`` is "first_reply" or "next_update"; the target in business minutes."""
        amount = getattr(self, f"{which}_amount")
        unit = getattr(self, f"{which}_unit")
        return amount * (business_day_minutes if unit == SlaUnit.BUSINESS_DAYS else 60)

    def describe(self, which: str) -> str:
        amount = getattr(self, f"{which}_amount")
        unit = SlaUnit(getattr(self, f"{which}_unit")).label
        return f"{amount} {unit[:-1] if amount == 1 else unit}"

    @property
    def describe_first_reply(self) -> str:
        return self.describe("first_reply")

    @property
    def describe_next_update(self) -> str:
        return self.describe("next_update")
