"""Small per-tenant lists that many pages read, kept in each process's memory.

An agent's ticket page drew the teams, the staff, the priority levels, the macros, the form's
questions and the tag names from the database on every request: six queries for rows that
change a few times a month. A function decorated with ``kept(name, *models)`` is answered from
a copy kept in the process instead, valid while the tenant's version in the shared cache is
the one the copy was made under. Saving or deleting a row of one of ``models`` gives the
tenant a new version (at once, and again when the transaction commits, so a copy made from
the rows just before the commit is not kept under the new one). Code that changes such rows
without saving instances (``QuerySet.update``) calls ``forget`` itself.

- One read of the version per request (``request_scope``, opened by the tenant middleware),
  whatever the number of lists the page shows; outside a request, one read per call.
- The copy a version is checked against was made after that version was read: a change that
  commits while a copy is being made leaves the copy under an older version, made again on
  the next request.
- After a change, the rest of that request (its transaction may still roll back) reads the
  rows afresh and keeps nothing.
- A copy lives at most ``TENANT_CACHE_SECONDS`` even when its version stands: the bound for a
  cache that another process does not share (the local-memory cache of the embedded setup),
  and for work outside a request (a task) whose change rolls back after it read the lists.
- With no tenant current (cross-tenant work) or the setting at 0, the function simply runs.
- Callers get a shallow copy: they may add to the list, not change the items (shared rows).
"""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from tenants.context import current_tenant_or_none, in_cross_tenant_context

T = TypeVar("T")

_NAMES_BY_MODEL: dict[type[Model], set[str]] = {}
# Models whose rows belong to no tenant (the user), mapped to how to find the tenants whose
# copies they feed: ``tenants_of(instance, update_fields) -> tenant ids``.
TenantsOf = Callable[[Model, "frozenset[str] | None"], list[int]]
_TENANTS_OF: dict[type[Model], TenantsOf] = {}

# (tenant id, name) -> (version, monotonic deadline, value): this process's copies.
_copies: dict[tuple[int, str], tuple[str, float, object]] = {}
MAX_COPIES = 20_000  # past this the process starts over (a thousand tenants, twenty lists)
# The versions read in this request, by tenant; None: changed in this request, keep nothing.
_request_versions: ContextVar[dict[int, str | None] | None] = ContextVar(
    "kept_versions", default=None
)


def _version_key(tenant_id: int) -> str:
    return f"tenants:kept:{tenant_id}:version"


@contextmanager
def request_scope() -> Iterator[None]:
    """Read each tenant's version once for the block (a request)."""
    token = _request_versions.set({})
    try:
        yield
    finally:
        _request_versions.reset(token)


def _version(tenant_id: int) -> str | None:
    seen = _request_versions.get()
    if seen is not None and tenant_id in seen:
        return seen[tenant_id]
    key = _version_key(tenant_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex, None)
        version = cache.get(key)
    if seen is not None:
        seen[tenant_id] = version
    return version


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
            version = _version(tenant.pk)
            if version is None:  # changed in this request: read afresh, keep nothing
                return build()
            now = time.monotonic()
            held = _copies.get((tenant.pk, name))
            if held is not None and held[0] == version and held[1] > now:
                return copy.copy(held[2])
            value = build()
            if len(_copies) >= MAX_COPIES:
                _copies.clear()
            _copies[(tenant.pk, name)] = (version, now + seconds, value)
            return copy.copy(value)

        return read

    return decorate


def also_from(model: type[Model], tenants_of: TenantsOf) -> None:
    """Copies made with ``model``'s rows too, a model of no tenant: a change to one of its rows
    drops every copy of each tenant that ``tenants_of(instance, update_fields)`` names (given by
    the app that knows which tenants those are; none when the saved fields feed no copy)."""
    _TENANTS_OF[model] = tenants_of
    _watch(model)


def forget(tenant_id: int) -> None:
    """Give the tenant a new version: every process makes its copies again."""
    key = _version_key(tenant_id)
    cache.set(key, uuid.uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(key, uuid.uuid4().hex, None))
    seen = _request_versions.get()
    if seen is not None:
        seen[tenant_id] = None


def forget_model(tenant_id: int, model: type[Model]) -> None:
    """``forget`` the tenant when ``model`` feeds one of its lists (after a ``QuerySet.update``
    on it, which sends no signal)."""
    if model in _NAMES_BY_MODEL:
        forget(tenant_id)


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
