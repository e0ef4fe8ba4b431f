from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from tenants.middleware import SESSION_TENANT_KEY, session_scope
from tenants.services import membership_ensure


@receiver(user_logged_in)
def bind_session_to_host(sender, request, user, **kwargs):
    """A session authenticates only on the host it was created on (see TenantMiddleware).

    Connected before the tickets app's receivers (accounts comes first in INSTALLED_APPS), so
    the membership exists when tickets claims this person's earlier tickets.
    """
    if request is None:
        return
    tenant = getattr(request, "tenant", None)
    request.session[SESSION_TENANT_KEY] = session_scope(tenant)
    if tenant is not None:
        request.membership = membership_ensure(user=user)
