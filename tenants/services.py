"""Every change to tenants, memberships and organizations goes through these functions."""

from django.db import transaction

from tenants.context import tenant_context
from tenants.models import Membership, Organization, Tenant
from tenants.signals import tenant_created


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


@transaction.atomic
def tenant_create(*, slug: str, name: str, **fields) -> Tenant:
    """A validated tenant. Each layer above sets up its part when ``tenant_created`` is sent
    (the desk its default hours and priorities, tickets its number counter)."""
    tenant = Tenant(slug=slug, name=name, **fields)
    tenant.full_clean()
    tenant.save()
    with tenant_context(tenant):
        tenant_created.send(sender=Tenant, tenant=tenant)
    return tenant
