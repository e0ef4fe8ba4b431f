from allauth.account.signals import user_signed_up
from allauth.mfa import signals as mfa_signals
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from accounts.middleware import COOKIE as TIME_ZONE_COOKIE
from accounts.services import user_time_zone_prefill
from core.time_zones import is_known_zone
from tenants import audit
from tenants.context import tenant_context
from tenants.middleware import SESSION_TENANT_KEY, session_scope
from tenants.models import Membership
from tenants.services import membership_join


@receiver(user_logged_in)
def bind_session_to_host(sender, request, user, **kwargs):
    """A session authenticates only on the host it was created on (see TenantMiddleware).

    Signing in makes no membership: on a host where the person is not a member they are
    signed in as no one's customer, and the portal offers them to join (accounts.join).
    Connected before the tickets app's receivers (accounts comes first in INSTALLED_APPS), so
    ``request.membership`` is set when tickets decides whether to claim earlier tickets.
    """
    if request is None:
        return
    tenant = getattr(request, "tenant", None)
    request.session[SESSION_TENANT_KEY] = session_scope(tenant)
    if tenant is not None:
        request.membership = (
            Membership.objects.select_related("organization").filter(user=user).first()
        )


@receiver(user_signed_up)
def join_the_helpdesk_signed_up_on(sender, request, user, **kwargs):
    """Creating an account on a helpdesk's portal is asking to be its customer: join it."""
    if request is not None and getattr(request, "tenant", None) is not None:
        membership_join(user=user)


@receiver(user_logged_in)
def keep_the_browsers_time_zone(sender, request, user, **kwargs):
    """Someone who browsed before signing in already told us their zone (the ``tz`` cookie):
    keep it for them if they have none yet, so their first signed-in page is in it too."""
    zone = request.COOKIES.get(TIME_ZONE_COOKIE) if request is not None else None
    if not user.time_zone and is_known_zone(zone):
        user_time_zone_prefill(user=user, time_zone=zone)


@receiver(user_logged_in)
def audit_sign_in(sender, request, user, **kwargs):
    if request is not None and getattr(request, "tenant", None) is not None:
        audit.record(audit.Action.SIGN_IN, actor=user, tenant=request.tenant)


@receiver(user_login_failed)
def audit_sign_in_failure(sender, credentials, request=None, **kwargs):
    """A wrong password (or unknown address) on this helpdesk's host: the address typed is
    kept, never the password (Django strips it from ``credentials``)."""
    if request is None or getattr(request, "tenant", None) is None:
        return
    typed = str(credentials.get("email") or credentials.get("username") or "")
    audit.record(audit.Action.SIGN_IN_FAILED, actor_email=typed, tenant=request.tenant)


# --- Second factor: added, removed, recovery codes replaced, a wrong code (audit log) ---


def _second_factor_name(authenticator) -> str:
    return str(authenticator.get_type_display())


def _audit_second_factor(action, request, user, authenticator, **detail) -> None:
    """allauth sends some of these after the request's transaction commits: the row is written
    in a tenant context of its own (a savepoint when the request's is still open)."""
    if request is None or getattr(request, "tenant", None) is None:
        return
    with tenant_context(request.tenant):
        audit.record(
            action,
            actor=user,
            target=f"{user.email}: {_second_factor_name(authenticator)}",
            detail=detail or None,
            tenant=request.tenant,
        )


@receiver(mfa_signals.authenticator_added)
def audit_second_factor_added(sender, request, user, authenticator, **kwargs):
    _audit_second_factor(audit.Action.SECOND_FACTOR_ADDED, request, user, authenticator)


@receiver(mfa_signals.authenticator_removed)
def audit_second_factor_removed(sender, request, user, authenticator, **kwargs):
    _audit_second_factor(audit.Action.SECOND_FACTOR_REMOVED, request, user, authenticator)


@receiver(mfa_signals.authenticator_reset)
def audit_recovery_codes_reset(sender, request, user, authenticator, **kwargs):
    _audit_second_factor(audit.Action.RECOVERY_CODES_RESET, request, user, authenticator)


@receiver(mfa_signals.authentication_failed)
def audit_second_factor_failed(sender, request, user, authenticator, **kwargs):
    """A wrong code after a right password (or at re-authentication): the password was
    guessed or stolen, or the phone's clock is off; either way the admins should see it."""
    reauthentication = bool(kwargs.get("reauthentication"))
    _audit_second_factor(
        audit.Action.SECOND_FACTOR_FAILED,
        request,
        user,
        authenticator,
        reauthentication=reauthentication,
    )
