from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user,
    get_user_model,
    load_backend,
)
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.crypto import constant_time_compare

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
        if request.session.get(SESSION_TENANT_KEY) != tenant.pk:
            # Signed in on another host, or not at all: anonymous here (the session is left
            # alone, as get_user would leave a session that is not signed in).
            request.user, request.membership = AnonymousUser(), None
            return
        user, membership = _member_from_session(request)
        request.user = user
        request.membership = membership if user.is_authenticated else None


def _member_from_session(request) -> tuple:
    """(user, membership or None) of the session on the current tenant's host.

    Every request of a signed-in person needs both. Django's ``get_user`` reads the user, then
    a second query read the membership; here one query reads the membership with its user
    (one row at most: unique per tenant and user; no ORDER BY; by id), and only a person who
    is no member of this tenant costs a second one. Everything else is ``get_user``'s own
    procedure, step by step: the backend named in the session must be configured, the user
    must be allowed to authenticate (active), and the session's hash must match the user's
    password hash (a changed password ends other sessions; a hash made with a fallback secret
    is renewed; else the session is flushed). Backends other than the model backends'
    standard ``get_user`` take Django's own path.
    """
    session = request.session
    user_id = session.get(SESSION_KEY)
    backend_path = session.get(BACKEND_SESSION_KEY)
    if user_id is None or backend_path is None:
        return AnonymousUser(), None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser(), None
    backend = load_backend(backend_path)
    if not isinstance(backend, ModelBackend) or type(backend).get_user is not ModelBackend.get_user:
        user = get_user(request)
        if not user.is_authenticated:
            return user, None
        return user, next(iter(Membership.objects.filter(user_id=user.pk)[:1]), None)
    try:
        pk = get_user_model()._meta.pk.to_python(user_id)
    except ValidationError:
        return AnonymousUser(), None
    membership = next(iter(Membership.objects.filter(user_id=pk).select_related("user")[:1]), None)
    if membership is not None:
        user = membership.user
        user = user if backend.user_can_authenticate(user) else None
    else:
        user = backend.get_user(pk)
    if user is None:
        return AnonymousUser(), None
    session_hash = session.get(HASH_SESSION_KEY)
    expected = user.get_session_auth_hash()
    if not (session_hash and constant_time_compare(session_hash, expected)):
        if session_hash and any(
            constant_time_compare(session_hash, fallback)
            for fallback in user.get_session_auth_fallback_hash()
        ):
            session.cycle_key()
            session[HASH_SESSION_KEY] = expected
        else:
            session.flush()
            return AnonymousUser(), None
    return user, membership
