"""Reading the API's input the way the pages read theirs: bounded pages of a list, and a page's
own Django form fed from a JSON body (so its rules and messages are the page's, not a copy).

Pages are ``limit`` (1 to ``MAX_PAGE``, default ``DEFAULT_PAGE``) rows from ``offset``, with the
next page's link. An offset, not a keyset: these lists keep their selectors' orders (a bug
list by impact, organizations by name), which no single column can resume from; the one large
table, tickets, has its own keyset pages (``tickets.queue``).
"""

from __future__ import annotations

import re

from django import forms
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

MAX_PAGE = 200
DEFAULT_PAGE = 50
_COUNT = re.compile(r"[0-9]{1,9}")

PAGE_PARAMETERS = [
    OpenApiParameter("limit", int, description=f"Rows per page, 1 to {MAX_PAGE} (default 50)."),
    OpenApiParameter("offset", int, description="Rows to skip: from the previous page's next."),
]


def _count(params, name: str, *, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not _COUNT.fullmatch(raw) or not low <= int(raw) <= high:
        raise serializers.ValidationError({name: [f"Choose a whole number from {low} to {high}."]})
    return int(raw)


def limit(params) -> int:
    """The page size asked for (``limit``), within 1 and ``MAX_PAGE``; 400 otherwise."""
    return _count(params, "limit", default=DEFAULT_PAGE, low=1, high=MAX_PAGE)


def page(request, rows) -> tuple[list, str | None]:
    """One page of ``rows`` (a queryset in its final order) and the next page's URL (None at
    the end): one query, a row more than asked tells whether there is more."""
    params = request.query_params
    size = limit(params)
    offset = _count(params, "offset", default=0, low=0, high=10**9 - 1)
    found = list(rows[offset : offset + size + 1])
    following = None
    if len(found) > size:
        query = params.copy()
        query["offset"] = str(offset + size)
        following = f"{request.path}?{query.urlencode()}"
    return found[:size], following


def page_serializer(item: type[serializers.Serializer], name: str) -> type:
    """The schema of a page of ``item`` rows, named ``name`` (a component of its own)."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "__doc__": f"A page of {item.__name__.removesuffix('Serializer')} rows.",
            "__module__": item.__module__,
            "results": item(many=True),
            "next": serializers.CharField(
                allow_null=True, help_text="The next page's URL (same filters), or null at the end."
            ),
        },
    )


def form_data(raw, names) -> dict:
    """The named fields of a JSON object (or form-encoded body) as a Django form's data.

    A form turns anything into text (``str({...})`` is a fine note to a ``CharField``), so an
    object or list sent where the form expects one value is refused here, at its field."""
    if not isinstance(raw, dict) and not hasattr(raw, "getlist"):
        raise serializers.ValidationError("Send an object.")
    data, problems = {}, {}
    for name in names:
        value = raw.get(name)
        if value is None:
            continue
        if isinstance(value, dict | list):
            problems[name] = ["Send one value, not an object or a list."]
        else:
            data[name] = value
    if problems:
        raise serializers.ValidationError(problems)
    return data


def form_errors(form: forms.BaseForm, *, rename=None) -> serializers.ValidationError:
    """A form's problems as the API's 400: ``fields`` by the form's field names, or by
    ``rename(name)`` where the API calls a field otherwise."""
    fields = {}
    for name, errors in form.errors.items():
        key = "non_field_errors" if name == "__all__" else rename(name) if rename else name
        fields[key] = list(errors)
    return serializers.ValidationError(fields)
