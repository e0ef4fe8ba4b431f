"""Reads about the current tenant's people, so "who is staff here" is answered in one place."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from core.inputs import parse_id
from tenants.models import Membership, Organization


def staff_members() -> QuerySet[Membership]:
    """Agents, managers and admins of the current tenant, with their users, by email."""
    return (
        Membership.objects.filter(role__in=Membership.STAFF_ROLES)
        .select_related("user")
        .order_by("user__email")
    )


def staff_user(user_id):
    """The staff member's user for an id (int or digit string), or None for anyone else."""
    user_id = parse_id(user_id)
    if user_id is None:
        return None
    membership = staff_members().filter(user_id=user_id).first()
    return membership.user if membership else None


def is_staff_user(user) -> bool:
    return user is not None and staff_members().filter(user=user).exists()


def organizations_with_customer_counts() -> QuerySet[Organization]:
    """The customer organizations by name, each with ``customer_count``."""
    return Organization.objects.annotate(
        customer_count=Count("members", filter=Q(members__role=Membership.Role.CUSTOMER))
    ).order_by("name")


def customer_count() -> int:
    return Membership.objects.filter(role=Membership.Role.CUSTOMER).count()
