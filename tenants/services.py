"""Every change to tenants, memberships and organizations goes through these functions."""

from django.db import IntegrityError, transaction
from django.dispatch import Signal

from core.errors import InvalidInput
from tenants import audit
from tenants.context import tenant_context
from tenants.models import Membership, Organization, Tenant
from tenants.signals import tenant_created

# ``member_joined(membership)``: a person has just joined the current tenant as a customer
# (``membership_join``), inside its transaction. Apps above answer without being imported here:
# tickets links the tickets sent earlier from the person's verified addresses.
member_joined = Signal()


def organization_for_email(*, email: str) -> Organization | None:
    """The current tenant's organization that claims this address's domain, if any."""
    domain = email.rsplit("@", 1)[-1].lower()
    for organization in Organization.objects.only("id", "email_domains"):
        if domain in {d.lower() for d in organization.email_domains}:
            return organization
    return None


@transaction.atomic
def membership_join(*, user) -> Membership:
    """Make the person a customer of the current tenant: the one way a customer joins.

    Joining is explicit: signing up on the tenant's host (the person asked for an account
    there), or the "Join" step a signed-in non-member takes on its portal. Signing in never
    joins: an agent of one helpdesk who signs in on another's host is no customer there until
    they say so. An existing membership (say, an agent's) is returned unchanged, never
    downgraded; ``member_joined`` is sent only for a new one.
    """
    membership = Membership.objects.select_related("organization").filter(user=user).first()
    if membership is not None:
        return membership
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                user=user,
                role=Membership.Role.CUSTOMER,
                organization=organization_for_email(email=user.email),
            )
    except IntegrityError:  # the same person joined from another tab at the same moment
        return Membership.objects.select_related("organization").get(user=user)
    member_joined.send(sender=Membership, membership=membership)
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


@transaction.atomic
def membership_set_away(*, membership: Membership, away: bool, actor) -> Membership:
    """Mark a staff member away (or back). Automatic assignment skips people who are away;
    chat's "available for chat" switch is separate. A change made by someone else (an admin)
    is written to the audit log."""
    if not membership.is_staff_role:
        raise InvalidInput("Only agents, managers and admins can be marked away.")
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if membership.is_away == bool(away):
        return membership
    membership.is_away = bool(away)
    membership.save(update_fields=["is_away", "updated_at"])
    if actor is not None and actor.pk != membership.user_id:
        audit.record(
            audit.Action.SETTINGS_CHANGED,
            target=f"{membership.user.email} marked {'away' if away else 'back'}",
            detail={"is_away": {"from": not away, "to": bool(away)}},
        )
    return membership
