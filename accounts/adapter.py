from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

from tenants.context import current_tenant_or_none


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Customers sign up on their support organisation's portal; the platform host has none.
        return getattr(request, "tenant", None) is not None

    def get_login_redirect_url(self, request):
        membership = getattr(request, "membership", None)
        if membership is not None and membership.is_staff_role:
            return reverse("agent:home")
        if membership is None and getattr(request, "tenant", None) is not None:
            # Signed in on a helpdesk they are not a member of: joining is their next step.
            return reverse("portal:join")
        return super().get_login_redirect_url(request)

    def get_from_email(self):
        tenant = current_tenant_or_none()
        from_email = super().get_from_email()
        if tenant is not None:
            return f"{tenant.name} <{tenant.support_email or from_email}>"
        return from_email
