"""Small per-tenant lists that many pages read, kept in the shared cache.

An agent's ticket page drew the teams, the staff, the priority levels, the macros, the form's
questions and the tag names from the database on every request: six queries for rows that
change a few times a month. A function decorated with ``kept(name, *models)`` is answered from
the cache per tenant instead, and the tenant's copy is dropped whenever a row of one of
``models`` is saved or deleted (at once, and again when the transaction commits, so a request
reading between the two cannot keep the old rows). Code that changes such rows without saving
instances (``QuerySet.update``) calls ``forget`` itself.

A copy lives at most ``TENANT_CACHE_SECONDS``: that bounds the one case signals cannot see, a
request that read the rows just before another committed a change and stored them just after.
With no tenant current (cross-tenant work) or the setting at 0, the function simply runs.
Values come back unpickled, a fresh copy per call: a caller may change what it gets.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from tenants.context import current_tenant_or_none, in_cross_tenant_context

T = TypeVar("T")

_MISSING = object()
_NAMES_BY_MODEL: dict[type[Model], set[str]] = {}
# Models whose rows belong to no tenant (the user), mapped to how to find the tenants whose
# copies they feed: ``tenants_of(instance, update_fields) -> tenant ids``.
TenantsOf = Callable[[Model, "frozenset[str] | None"], list[int]]
_TENANTS_OF: dict[type[Model], TenantsOf] = {}


def _key(tenant_id: int, name: str) -> str:
    return f"tenants:kept:{tenant_id}:{name}"


def kept(name: str, *models: type[Model]) -> Callable[[Callable[[], T]], Callable[[], T]]:
    """Keep the result of a function without arguments per tenant, made from ``models``."""

    def decorate(build: Callable[[], T]) -> Callable[[], T]:
        for model in models:
            _watch(model)
            _NAMES_BY_MODEL.setdefault(model, set()).add(name)

        @wraps(build)
        def read() -> T:
            seconds = settings.TENANT_CACHE_SECONDS
            tenant = current_tenant_or_none()
            if not seconds or tenant is None or in_cross_tenant_context():
                return build()
            key = _key(tenant.pk, name)
            value = cache.get(key, _MISSING)
            if value is _MISSING:
                value = build()
                cache.set(key, value, seconds)
            return value

        return read

    return decorate


def also_from(model: type[Model], tenants_of: TenantsOf) -> None:
    """Copies made with ``model``'s rows too, a model of no tenant: a change to one of its rows
    drops every copy of each tenant that ``tenants_of(instance, update_fields)`` names (given by
    the app that knows which tenants those are; none when the saved fields feed no copy)."""
    _TENANTS_OF[model] = tenants_of
    _watch(model)


def forget(tenant_id: int, *names: str) -> None:
    """Drop the tenant's copies of ``names`` (all of them when none are named)."""
    names = names or tuple({n for group in _NAMES_BY_MODEL.values() for n in group})
    keys = [_key(tenant_id, name) for name in names]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def forget_model(tenant_id: int, model: type[Model]) -> None:
    """Drop the tenant's copies made from ``model`` (after a ``QuerySet.update`` on it)."""
    names = _NAMES_BY_MODEL.get(model)
    if names:
        forget(tenant_id, *names)


_watched: set[type[Model]] = set()


def _watch(model: type[Model]) -> None:
    if model in _watched:
        return
    _watched.add(model)
    uid = f"tenants.kept.{model._meta.label}"
    post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}.saved")
    post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}.deleted")


def _changed(sender, instance, **kwargs) -> None:
    if kwargs.get("raw"):
        return  # fixtures loading: no copies to drop
    tenants_of = _TENANTS_OF.get(sender)
    if tenants_of is not None:
        for tenant_id in tenants_of(instance, kwargs.get("update_fields")):
            forget(tenant_id)
        return
    tenant_id = getattr(instance, "tenant_id", None)
    if tenant_id is not None:
        forget_model(tenant_id, sender)
