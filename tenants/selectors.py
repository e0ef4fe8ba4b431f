"""Reads about the current tenant's people, so "who is staff here" is answered in one place."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet

from core.inputs import parse_id
from tenants.context import cross_tenant, current_tenant
from tenants.kept import kept
from tenants.models import AuditEntry, Membership, Organization


def staff_members() -> QuerySet[Membership]:
    """Agents, managers and admins of the current tenant, with their users, by email."""
    return (
        Membership.objects.filter(role__in=Membership.STAFF_ROLES)
        .select_related("user")
        .order_by("user__email")
    )


@kept("staff", Membership)
def staff_roster() -> list[Membership]:
    """``staff_members()`` as a list, kept per tenant (``tenants.kept``): the assignee menus
    and the mention list of every agent page. Made again when a membership changes, and when a
    member's name, address or active flag does (``tenants.apps``)."""
    return list(staff_members())


# What the kept staff list shows of each member's user: saving other fields (the sign-in stamp,
# the password) drops nothing.
ROSTER_USER_FIELDS = frozenset({"name", "email", "is_active"})


def tenants_of_member(user, update_fields) -> list[int]:
    """The tenants whose kept lists show ``user`` (registered in ``TenantsConfig.ready``)."""
    if update_fields is not None and not ROSTER_USER_FIELDS & set(update_fields):
        return []
    with cross_tenant():
        rows = Membership.all_tenants.filter(user_id=user.pk)
        return list(rows.values_list("tenant_id", flat=True))


def staff_user(user_id):
    """The staff member's user for an id (int or digit string), or None for anyone else."""
    user_id = parse_id(user_id)
    if user_id is None:
        return None
    membership = staff_members().filter(user_id=user_id).first()
    return membership.user if membership else None


def is_staff_user(user) -> bool:
    return user is not None and staff_members().filter(user=user).exists()


def members(*, role: str = "") -> QuerySet[Membership]:
    """Everyone of the current tenant (one role, or all) with their user and organization, by
    email; the id breaks ties so pages of the list never overlap."""
    found = Membership.objects.select_related("user", "organization")
    if role:
        found = found.filter(role=role)
    return found.order_by("user__email", "pk")


def organizations_with_customer_counts() -> QuerySet[Organization]:
    """The customer organizations by name, each with ``customer_count``."""
    return Organization.objects.annotate(
        customer_count=Count("members", filter=Q(members__role=Membership.Role.CUSTOMER))
    ).order_by("name", "pk")


def customer_count() -> int:
    return Membership.objects.filter(role=Membership.Role.CUSTOMER).count()


def audit_entries(
    *, action: str = "", who: str = "", start: date | None = None, end: date | None = None
) -> QuerySet[AuditEntry]:
    """The audit log, newest first: one action, actors whose email contains ``who``, and the
    days from ``start`` to ``end`` (both included) in the tenant's time zone."""
    entries = AuditEntry.objects.select_related("actor").order_by("-created_at", "-pk")
    if action:
        entries = entries.filter(action=action)
    if who.strip():
        entries = entries.filter(actor_email__icontains=who.strip())
    zone = zoneinfo.ZoneInfo(current_tenant().time_zone)
    if start is not None:
        entries = entries.filter(created_at__gte=datetime.combine(start, time.min, tzinfo=zone))
    if end is not None:
        after = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
        entries = entries.filter(created_at__lt=after)
    return entries
