"""The API's authentication by personal token (``Authorization: Bearer hd_…``), and what a
token's scope allows. Session authentication (with CSRF) stays for the browser.

A token works on the host of the helpdesk it was made on (the lookup runs under that tenant,
ORM filter and row-level security alike), for a person who is still a member there, until it
is revoked or expires; a read token may not change anything. Staff of a helpdesk that requires
a second factor need one before their tokens work, as before its pages open."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, permissions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.throttling import SimpleRateThrottle

from accounts import tokens
from accounts.models import ApiToken
from accounts.second_factor import missing_second_factor
from tenants import audit
from tenants.models import Membership


class TokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send the token as: Authorization: Bearer hd_…")
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("That is not a token of this helpdesk.") from None
        token = tokens.token_for(raw) if getattr(request, "tenant", None) else None
        if token is None:
            raise exceptions.AuthenticationFailed("That is not a token of this helpdesk.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This token was revoked.")
        if not token.is_usable(timezone.now()):
            raise exceptions.AuthenticationFailed("This token has expired.")
        user = token.user
        membership = Membership.objects.select_related("organization").filter(user=user).first()
        if membership is None or not user.is_active:
            raise exceptions.AuthenticationFailed("The token's owner is no longer a member here.")
        if missing_second_factor(request.tenant, membership, user):
            raise exceptions.PermissionDenied(
                f"{request.tenant.name} requires a second factor for its staff: set one up "
                "before using API tokens."
            )
        # Views read the membership from the request, as for a signed-in session.
        request._request.membership = membership
        # The audit log names the token's owner (the middleware saw no one signed in).
        audit.identify(user)
        tokens.token_used(token)
        return user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class TokenScope(permissions.BasePermission):
    """A read token reads; only a read-and-write token (or a session) changes anything."""

    message = "This token may only read: make a read-and-write token to change things."

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        token = request.auth
        return not isinstance(token, ApiToken) or token.scope == ApiToken.Scope.WRITE


class IsMember(permissions.BasePermission):
    """A member of this helpdesk (a token's owner, or the person signed in here)."""

    def has_permission(self, request, view):
        if self.allows(getattr(request, "membership", None)):
            return True
        if getattr(request, "membership", None) is not None:
            self.message = "Your role in this helpdesk does not allow this."
        else:
            # A signed-in person who has not joined this helpdesk is told so, not to sign in.
            self.message = (
                "Join this helpdesk first (on its portal)."
                if request.user.is_authenticated
                else "Sign in to this helpdesk first."
            )
        return False

    def allows(self, membership: Membership | None) -> bool:
        return membership is not None


class IsStaff(IsMember):
    """Agents, managers and admins."""

    def allows(self, membership):
        return membership is not None and membership.is_staff_role


class IsManager(IsMember):
    def allows(self, membership):
        return membership is not None and membership.is_manager_or_admin


class IsAdmin(IsMember):
    def allows(self, membership):
        return membership is not None and membership.role == Membership.Role.ADMIN


MEMBER = [permissions.IsAuthenticated, TokenScope, IsMember]
STAFF = [permissions.IsAuthenticated, TokenScope, IsStaff]
MANAGERS = [permissions.IsAuthenticated, TokenScope, IsManager]
ADMINS = [permissions.IsAuthenticated, TokenScope, IsAdmin]


class ApiRateThrottle(SimpleRateThrottle):
    """``API_RATE_LIMIT`` requests per token (each token its own budget), per signed-in person
    using the browser's session, or per client address without either. Over it: 429 with
    ``Retry-After``, the seconds until the next request is accepted."""

    scope = "api"

    def get_rate(self):
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            who = f"token:{request.auth.pk}"
        elif request.user.is_authenticated:
            who = f"user:{request.user.pk}"
        else:
            who = f"address:{self.get_ident(request)}"
        return f"throttle:api:{who}"


class TokenScheme(OpenApiAuthenticationExtension):
    """How the schema describes token authentication."""

    target_class = TokenAuthentication
    name = "token"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (hd_...), made under API tokens.",
        }
