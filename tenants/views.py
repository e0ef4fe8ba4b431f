from django.shortcuts import get_object_or_404, render

from tenants import selectors
from tenants.access import staff_required
from tenants.models import Organization
from tenants.selectors import staff_members


@staff_required
def people(request):
    """The team and the customer organizations."""
    team = staff_members().order_by("role", "user__email")
    organizations = selectors.organizations_with_customer_counts()
    customer_count = selectors.customer_count()
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
