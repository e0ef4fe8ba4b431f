"""A helpdesk that requires a second factor of its staff (``Tenant.require_staff_second_factor``):
who must have one, and who is missing it.

The pages enforce it in ``SecondFactorRequiredMiddleware``, the chat sockets in ``chat.ws``, and
allauth's adapter refuses to remove the authenticator app of someone who must keep it."""

from __future__ import annotations

from allauth.mfa.models import Authenticator

from tenants.context import current_tenant_or_none
from tenants.models import Membership


def second_factor_required(user) -> bool:
    """Whether the current helpdesk requires ``user`` to use a second factor (a member of its
    staff, on a helpdesk that turned the setting on)."""
    tenant = current_tenant_or_none()
    if tenant is None or not tenant.require_staff_second_factor:
        return False
    return Membership.objects.filter(user=user, role__in=Membership.STAFF_ROLES).exists()


def has_second_factor(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def missing_second_factor(tenant, membership, user) -> bool:
    """A staff member of ``tenant`` who must have a second factor and has none yet. Free (no
    query) unless the helpdesk requires it and the member is staff."""
    if tenant is None or membership is None or not tenant.require_staff_second_factor:
        return False
    return membership.is_staff_role and not has_second_factor(user)
