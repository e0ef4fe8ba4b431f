from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render

from tenants.access import staff_required
from tenants.context import current_tenant
from tenants.models import BusinessHours, Membership, Organization
from tenants.policy import policy_for
from tenants.selectors import priority_levels, staff_members


def portal_home(request):
    """The customer portal's front page: how to get support here, from the tenant's settings."""
    levels = priority_levels()
    return render(
        request,
        "portal/home.html",
        {"hours": BusinessHours.objects.all(), "priority_levels": levels},
    )


def support_policy(request):
    """The tenant's public support policy, rendered from the settings the product runs on."""

    return render(request, "portal/support_policy.html", {"policy": policy_for(current_tenant())})


@staff_required
def people(request):
    """The team and the customer organizations."""
    team = staff_members().order_by("role", "user__email")
    organizations = Organization.objects.annotate(
        customer_count=Count("members", filter=Q(members__role=Membership.Role.CUSTOMER))
    ).order_by("name")
    customer_count = Membership.objects.filter(role=Membership.Role.CUSTOMER).count()
    return render(
        request,
        "agent/people.html",
        {"team": team, "organizations": organizations, "customer_count": customer_count},
    )


@staff_required
def organization_detail(request, pk: int):
    # Scoped manager: another tenant's organization is a 404, exactly like a missing one.
    organization = get_object_or_404(Organization.objects, pk=pk)
    members = organization.members.select_related("user").order_by("user__email")
    return render(
        request, "agent/organization.html", {"organization": organization, "members": members}
    )
