from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from tenants import kept
from tenants.context import cross_tenant, tenant_context
from tenants.hosts import tenant_for_slug
from tenants.models import Membership, Tenant

# The session remembers which host it was created on; it authenticates nowhere else.
SESSION_TENANT_KEY = "_helpdesk_tenant"
PLATFORM = "platform"


def session_scope(tenant: Tenant | None) -> str | int:
    return tenant.pk if tenant is not None else PLATFORM


def tenant_slug_from_host(host: str) -> str | None:
    """``acme.example.com`` -> ``acme`` when BASE_DOMAIN is ``example.com``; else None."""
    suffix = "." + settings.BASE_DOMAIN
    if not host.endswith(suffix):
        return None
    slug = host[: -len(suffix)]
    return slug if slug and "." not in slug else None


class TenantMiddleware:
    """Resolves the tenant from the host and runs the rest of the request inside it.

    - ``<slug>.<BASE_DOMAIN>``: that tenant, or 404 when unknown or inactive (never a fallback).
    - ``<BASE_DOMAIN>``: the platform host, which serves only the platform URLconf (admin).
    The request runs in one transaction with the tenant set for the ORM and for PostgreSQL
    row-level security. A signed-in user whose session was not created on this host is
    anonymous here. One who signed in here without being a member stays signed in with no
    membership (``request.membership`` is None): no page that needs one lets them in, and
    ``tenants.access`` leads them to the explicit "Join" step instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        host = request.get_host().rsplit(":", 1)[0].lower()
        if host == settings.BASE_DOMAIN:
            return self._platform(request)
        slug = tenant_slug_from_host(host)
        tenant = tenant_for_slug(slug) if slug else None
        if tenant is None:
            raise Http404("No helpdesk is served on this host.")
        request.tenant = tenant
        with tenant_context(tenant), kept.request_scope():
            self._bind_user(request, tenant)
            return self.get_response(request)

    def _platform(self, request):
        request.tenant = None
        request.membership = None
        request.urlconf = settings.PLATFORM_URLCONF
        user = get_user(request)
        if user.is_authenticated and request.session.get(SESSION_TENANT_KEY) != PLATFORM:
            user = AnonymousUser()
        request.user = user
        if user.is_active and user.is_staff:
            # Platform operators manage every tenant from the admin: the explicit cross-tenant path.
            with cross_tenant():
                return self.get_response(request)
        return self.get_response(request)

    @staticmethod
    def _bind_user(request, tenant):
        user = get_user(request)
        membership = None
        if user.is_authenticated:
            if request.session.get(SESSION_TENANT_KEY) == tenant.pk:
                # Sent on every request, so kept cheap: one row at most (unique per tenant and
                # user), so no ORDER BY; by id, not by instance; and no organization joined
                # (pages read only its id; the API and a new ticket load it when they need it).
                membership = next(iter(Membership.objects.filter(user_id=user.pk)[:1]), None)
            else:
                user = AnonymousUser()
        request.user = user
        request.membership = membership
