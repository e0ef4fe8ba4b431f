from allauth.account.signals import email_confirmed
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from tenants.middleware import SESSION_TENANT_KEY, session_scope


@receiver(user_logged_in)
def bind_session_to_host(sender, request, user, **kwargs):
    """A session authenticates only on the host it was created on (see TenantMiddleware)."""
    if request is None:
        return
    tenant = getattr(request, "tenant", None)
    request.session[SESSION_TENANT_KEY] = session_scope(tenant)
    if tenant is not None:
        from tenants.services import membership_ensure
        from tickets.services import tickets_claim_for_user

        request.membership = membership_ensure(user=user)
        # Tickets sent from this person's verified addresses before they had an account.
        tickets_claim_for_user(user=user)


@receiver(email_confirmed)
def claim_tickets_of_a_newly_verified_address(sender, request, email_address, **kwargs):
    if request is not None and getattr(request, "tenant", None) is not None:
        from tickets.services import tickets_claim_for_user

        tickets_claim_for_user(user=email_address.user)
