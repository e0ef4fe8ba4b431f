"""Every change to tenants, memberships and organizations goes through these functions."""

from datetime import time

from django.db import transaction

from core.errors import InvalidInput
from tenants.context import current_tenant, tenant_context
from tenants.models import (
    BusinessHours,
    Membership,
    Organization,
    PriorityLevel,
    SlaUnit,
    Tenant,
    TenantHoliday,
)
from tenants.priorities import Priority
from tenants.signals import support_clock_changed, tenant_created


def organization_for_email(*, email: str) -> Organization | None:
    """The current tenant's organization that claims this address's domain, if any."""
    domain = email.rsplit("@", 1)[-1].lower()
    for organization in Organization.objects.only("id", "email_domains"):
        if domain in {d.lower() for d in organization.email_domains}:
            return organization
    return None


@transaction.atomic
def membership_ensure(*, user, role: str = Membership.Role.CUSTOMER) -> Membership:
    """The user's membership in the current tenant, created as ``role`` when they have none.

    Signing up or signing in on a tenant's portal makes a person that tenant's customer; an
    existing membership (say, an agent's) is never downgraded.
    """
    membership = Membership.objects.select_related("organization").filter(user=user).first()
    if membership is None:
        membership = Membership.objects.create(
            user=user, role=role, organization=organization_for_email(email=user.email)
        )
    return membership


# What the tenant admin's settings pages may change.
SETTINGS_FIELDS = frozenset(
    {
        "time_zone",
        "holiday_country",
        "current_app_version",
        "share_tickets_in_organization",
        "support_email",
        "surveys_enabled",
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


@transaction.atomic
def tenant_create(
    *,
    slug: str,
    name: str,
    time_zone: str = "America/Chicago",
    hours: list[tuple[int, time, time]] | None = None,
    priority_levels: dict[str, tuple[str, list[str]]] | None = None,
    **fields,
) -> Tenant:
    """A validated tenant with its weekly hours and priority definitions."""
    tenant = Tenant(slug=slug, name=name, time_zone=time_zone, **fields)
    tenant.full_clean()
    tenant.save()
    with tenant_context(tenant):
        for weekday, opens, closes in DEFAULT_HOURS if hours is None else hours:
            BusinessHours.objects.create(weekday=weekday, opens=opens, closes=closes)
        levels = priority_levels or {}
        for priority in Priority.values:
            summary, examples = levels.get(priority, (DEFAULT_SUMMARIES[priority], []))
            amount, unit = DEFAULT_TARGETS[priority]
            PriorityLevel.objects.create(
                priority=priority,
                summary=summary,
                examples=examples,
                first_reply_amount=amount,
                first_reply_unit=unit,
                next_update_amount=amount,
                next_update_unit=unit,
            )
        tenant_created.send(sender=Tenant, tenant=tenant)
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
    for name, value in settings.items():
        setattr(tenant, name, value)
    tenant.full_clean()
    tenant.save()
    if clock_changed:
        _sla_inputs_changed()
    return tenant


@transaction.atomic
def business_hours_replace(*, intervals: list[tuple[int, time, time]]) -> None:
    BusinessHours.objects.all().delete()
    for weekday, opens, closes in intervals:
        BusinessHours.objects.create(weekday=weekday, opens=opens, closes=closes)
    _sla_inputs_changed()


@transaction.atomic
def holiday_add(*, date, name: str):
    holiday = TenantHoliday.objects.create(date=date, name=name)
    _sla_inputs_changed()
    return holiday


@transaction.atomic
def holiday_remove(*, holiday) -> None:
    holiday.delete()
    _sla_inputs_changed()


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
