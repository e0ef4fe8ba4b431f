"""Every change to the desk's support settings goes through these functions: general settings,
weekly hours, holidays, priority definitions and SLA targets."""

from datetime import time

from django.db import transaction

from core.errors import InvalidInput
from desk.models import BusinessHours, PriorityLevel, SlaUnit, TenantHoliday
from desk.priorities import Priority
from desk.signals import current_version_changed, support_clock_changed
from tenants import audit, kept
from tenants.context import current_tenant, tenant_context
from tenants.models import Tenant
from tenants.services import tenant_create

# What the tenant admin's settings pages may change.
SETTINGS_FIELDS = frozenset(
    {
        "time_zone",
        "holiday_country",
        "current_app_version",
        "share_tickets_in_organization",
        "assign_on_reply",
        "support_email",
        "surveys_enabled",
        "require_staff_second_factor",
        "solved_close_delay",
        "pending_solve_delay",
        "pending_reminder_before",
        "survey_delay",
        "survey_link_lifetime",
        "survey_bad_reasons",
    }
)
SLA_TARGET_FIELDS = (
    "first_reply_amount",
    "first_reply_unit",
    "next_update_amount",
    "next_update_unit",
)

DEFAULT_HOURS = [(day, time(8, 0), time(17, 0)) for day in range(5)]

# SLA defaults per priority, (amount, unit) for both first reply and next update.
DEFAULT_TARGETS = {
    Priority.URGENT: (2, SlaUnit.BUSINESS_HOURS),
    Priority.HIGH: (4, SlaUnit.BUSINESS_HOURS),
    Priority.NORMAL: (1, SlaUnit.BUSINESS_DAYS),
    Priority.LOW: (1, SlaUnit.BUSINESS_DAYS),
}
DEFAULT_SUMMARIES = {
    Priority.URGENT: "Work has stopped: the service is lost entirely.",
    Priority.HIGH: "Service is badly degraded and there is no workaround.",
    Priority.NORMAL: "Something does not work as it should, but there is a workaround.",
    Priority.LOW: "A question, a documentation error or a suggestion.",
}


def desk_defaults_create() -> None:
    """The current (new) tenant's desk: weekday hours and the four priorities' defaults."""
    for weekday, opens, closes in DEFAULT_HOURS:
        BusinessHours.objects.create(weekday=weekday, opens=opens, closes=closes)
    for priority in Priority.values:
        amount, unit = DEFAULT_TARGETS[priority]
        PriorityLevel.objects.create(
            priority=priority,
            summary=DEFAULT_SUMMARIES[priority],
            first_reply_amount=amount,
            first_reply_unit=unit,
            next_update_amount=amount,
            next_update_unit=unit,
        )


@transaction.atomic
def desk_create(
    *,
    slug: str,
    name: str,
    hours: list[tuple[int, time, time]] | None = None,
    priority_levels: dict[str, tuple[str, list[str]]] | None = None,
    **fields,
) -> Tenant:
    """A tenant whose desk opens with these weekly hours and priority definitions (summary,
    examples) instead of the defaults."""
    tenant = tenant_create(slug=slug, name=name, **fields)
    with tenant_context(tenant):
        if hours is not None:
            BusinessHours.objects.all().delete()
            for weekday, opens, closes in hours:
                BusinessHours.objects.create(weekday=weekday, opens=opens, closes=closes)
        for priority, (summary, examples) in (priority_levels or {}).items():
            PriorityLevel.objects.filter(priority=priority).update(
                summary=summary, examples=examples
            )
        # Saved without signals (QuerySet.update): drop the kept copy of the levels.
        kept.forget_model(tenant.pk, PriorityLevel)
    return tenant


# --- Settings (tenant admin) ---------------------------------------------------------------


def _sla_inputs_changed() -> None:
    """Hours, holidays, time zone and targets feed every due time: say so after commit, and the
    tickets app (tickets/receivers.py) recomputes them."""
    tenant_id = current_tenant().pk
    transaction.on_commit(lambda: support_clock_changed.send(sender=Tenant, tenant_id=tenant_id))


@transaction.atomic
def tenant_settings_update(*, tenant: Tenant, settings: dict) -> Tenant:
    """Apply general settings (field name -> value); due times follow a new time zone or
    holiday country."""
    unknown = set(settings) - SETTINGS_FIELDS
    if unknown:
        raise InvalidInput(f"Not a tenant setting: {', '.join(sorted(unknown))}.")
    clock_changed = any(
        getattr(tenant, name) != settings[name]
        for name in ("time_zone", "holiday_country")
        if name in settings
    )
    version_changed = (
        "current_app_version" in settings
        and settings["current_app_version"] != tenant.current_app_version
    )
    changed = {
        name: {"from": str(getattr(tenant, name)), "to": str(value)}
        for name, value in settings.items()
        if getattr(tenant, name) != value
    }
    for name, value in settings.items():
        setattr(tenant, name, value)
    tenant.full_clean()
    tenant.save()
    if clock_changed:
        _sla_inputs_changed()
    if changed:
        audit.record(audit.Action.SETTINGS_CHANGED, target="General settings", detail=changed)
    if version_changed:
        # Same transaction: the flags move with the version, or neither does.
        current_version_changed.send(
            sender=Tenant, tenant_id=tenant.pk, version=tenant.current_app_version
        )
    return tenant


@transaction.atomic
def business_hours_replace(*, intervals: list[tuple[int, time, time]]) -> None:
    BusinessHours.objects.all().delete()
    for weekday, opens, closes in intervals:
        BusinessHours.objects.create(weekday=weekday, opens=opens, closes=closes)
    _sla_inputs_changed()
    audit.record(
        audit.Action.SETTINGS_CHANGED,
        target="Business hours",
        detail={"hours": [f"{d} {o:%H:%M}-{c:%H:%M}" for d, o, c in intervals]},
    )


@transaction.atomic
def holiday_add(*, date, name: str):
    holiday = TenantHoliday.objects.create(date=date, name=name)
    _sla_inputs_changed()
    audit.record(audit.Action.SETTINGS_CHANGED, target=f"Holiday added: {date} {name}")
    return holiday


@transaction.atomic
def holiday_remove(*, holiday) -> None:
    holiday.delete()
    _sla_inputs_changed()
    audit.record(
        audit.Action.SETTINGS_CHANGED, target=f"Holiday removed: {holiday.date} {holiday.name}"
    )


@transaction.atomic
def priority_levels_update(*, levels: dict[str, dict]) -> None:
    """Each priority's definition and SLA targets (priority -> field name -> value)."""
    allowed = {"summary", "examples", *SLA_TARGET_FIELDS}
    for priority, values in levels.items():
        unknown = set(values) - allowed
        if unknown:
            raise InvalidInput(f"Not a priority setting: {', '.join(sorted(unknown))}.")
        level = PriorityLevel.objects.get(priority=priority)
        for name, value in values.items():
            setattr(level, name, value)
        level.full_clean()
        level.save()
    _sla_inputs_changed()
    audit.record(
        audit.Action.SETTINGS_CHANGED,
        target="Priorities and SLA targets",
        detail={priority: sorted(values) for priority, values in levels.items()},
    )
