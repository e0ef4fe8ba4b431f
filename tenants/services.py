"""Every change to tenants, memberships and organizations goes through these functions."""

from datetime import time

from django.db import transaction

from tenants.context import tenant_context
from tenants.models import BusinessHours, Membership, Organization, PriorityLevel, Tenant
from tickets.models import TicketCounter


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


def membership_set_role(*, membership: Membership, role: str) -> Membership:
    if role not in Membership.Role.values:
        raise ValueError(f"Unknown role {role!r}.")
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    return membership


DEFAULT_HOURS = [(day, time(8, 0), time(17, 0)) for day in range(5)]


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
        for priority, (summary, examples) in (priority_levels or {}).items():
            PriorityLevel.objects.create(priority=priority, summary=summary, examples=examples)
        # Ticket numbers start at 1; the counter row exists before the first submission races.
        TicketCounter.objects.create()
    return tenant
