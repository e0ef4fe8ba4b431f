import hashlib

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.urls import reverse

from accounts.second_factor import second_factor_required
from core.secrets import SecretBox
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

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """The "key" of the login_failed limit: the account *and* the client address (the
        latter from X-Forwarded-For only behind trusted proxies), so an attacker's failures
        lock out the attacker's address, never the owner signing in from theirs."""
        login = _login_of(credentials)
        address = self.get_client_ip(request)
        return f"{login}|{address}|{login_generation(login)}"

    def _delete_login_attempts_cached_email(self, request, **credentials) -> None:
        # A completed password reset forgets the failures from every address.
        login_unlock(_login_of(credentials))

    def get_from_email(self):
        tenant = current_tenant_or_none()
        from_email = super().get_from_email()
        if tenant is not None:
            return f"{tenant.name} <{tenant.support_email or from_email}>"
        return from_email


_SECOND_FACTOR_KEYS = SecretBox(b"helpdesk.accounts.second-factor")


class MFAAdapter(DefaultMFAAdapter):
    def get_totp_issuer(self) -> str:
        # What the authenticator app lists the code under: the helpdesk's name, not a host.
        tenant = current_tenant_or_none()
        return tenant.name if tenant is not None else "Helpdesk"

    def encrypt(self, text: str) -> str:
        # Authenticator keys and recovery-code seeds are stored encrypted, not in the clear.
        return _SECOND_FACTOR_KEYS.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return _SECOND_FACTOR_KEYS.decrypt(encrypted_text)

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Staff of a helpdesk that requires a second factor keep their authenticator app
        (they may replace recovery codes, never go without a factor)."""
        if authenticator.type != Authenticator.Type.TOTP:
            return True
        return not second_factor_required(authenticator.user)


# Failed sign-ins are counted per account and client address together; an admin's unlock (or a
# password reset) moves the account to a new generation, which starts every count afresh.
_GENERATION = "accounts:login-generation:{}"


def _login_of(credentials: dict) -> str:
    return str(credentials.get("email", credentials.get("username", ""))).strip().lower()


def login_generation(login: str) -> int:
    return cache.get(_GENERATION.format(_digest(login)), 0)


def login_unlock(login: str) -> None:
    """Forget every failed sign-in counted against ``login``, from every address."""
    key = _GENERATION.format(_digest(login.strip().lower()))
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=None)


def _digest(login: str) -> str:
    return hashlib.sha256(login.encode()).hexdigest()
