"""Writing the tenant's audit log, from any layer above: ``audit.record(action, ...)``.

Who and from where come from the request being served (``AuditContextMiddleware`` keeps the
signed-in person, the client address as the sign-in limits see it, and the browser); work
outside a request (a worker, a command) records no address.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from tenants.context import current_tenant_or_none, in_cross_tenant_context
from tenants.models import AuditEntry, Membership

Action = AuditEntry.Action


@dataclass(frozen=True)
class Origin:
    user: object | None
    ip: str | None
    user_agent: str


_origin: ContextVar[Origin | None] = ContextVar("audit_origin", default=None)


def client_ip(request) -> str | None:
    """The client address as allauth's limits see it (X-Forwarded-For only behind the number
    of proxies BEHIND_TLS_PROXY trusts)."""
    from allauth.account.adapter import get_adapter  # noqa: PLC0415 (the configured adapter)

    try:
        return get_adapter().get_client_ip(request)
    except Exception:  # no usable address: recorded as unknown
        return None


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        origin = Origin(
            user=user if user is not None and user.is_authenticated else None,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        )
        token = _origin.set(origin)
        try:
            return self.get_response(request)
        finally:
            _origin.reset(token)


def identify(user) -> None:
    """The person acting in this request, once an authentication the middleware could not see
    (an API token, checked by the view) has named them: their changes are recorded as theirs,
    not as nobody's. The middleware's reset at the end of the request undoes this too."""
    origin = _origin.get()
    if origin is not None:
        _origin.set(Origin(user=user, ip=origin.ip, user_agent=origin.user_agent))


def record(
    action: str,
    *,
    target: str = "",
    detail: dict | None = None,
    actor=None,
    actor_email: str = "",
    tenant=None,
) -> AuditEntry | None:
    """Append one line to the current tenant's log (nothing outside a tenant)."""
    tenant = tenant or current_tenant_or_none()
    if tenant is None:
        return None
    origin = _origin.get()
    if actor is None and origin is not None:
        actor = origin.user
    email = actor_email or (getattr(actor, "email", "") if actor is not None else "")
    return AuditEntry.objects.create(
        tenant=tenant,
        actor=actor,
        actor_email=email[:254],
        action=action,
        target=target[:300],
        detail=detail or {},
        ip=origin.ip if origin else None,
        user_agent=origin.user_agent if origin else "",
    )


@contextmanager
def purge():
    """Allow deleting audit rows inside the block's transaction (removing a whole tenant)."""
    from django.db import connection, transaction  # noqa: PLC0415

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('app.audit_purge', 'on', true)")
        yield


# --- Memberships: joined, role changed, removed (whichever page or service changed them) ---


def _membership_text(membership) -> str:
    return f"{membership.user.email} ({membership.get_role_display()})"


@receiver(pre_save, sender=Membership)
def _remember_role(sender, instance, **kwargs):
    instance._role_before = None
    if instance.pk is None:
        return
    if current_tenant_or_none() is not None:
        rows = Membership.objects.filter(pk=instance.pk)
    elif in_cross_tenant_context():
        rows = Membership.all_tenants.filter(pk=instance.pk)
    else:
        return
    instance._role_before = rows.values_list("role", flat=True).first()


@receiver(post_save, sender=Membership)
def _membership_saved(sender, instance, created, **kwargs):
    before = getattr(instance, "_role_before", None)
    if created:
        record(Action.MEMBER_JOINED, target=_membership_text(instance), tenant=instance.tenant)
    elif before is not None and before != instance.role:
        record(
            Action.ROLE_CHANGED,
            target=instance.user.email,
            detail={"from": before, "to": instance.role},
            tenant=instance.tenant,
        )


@receiver(post_delete, sender=Membership)
def _membership_deleted(sender, instance, **kwargs):
    record(Action.MEMBER_REMOVED, target=_membership_text(instance), tenant=instance.tenant)
