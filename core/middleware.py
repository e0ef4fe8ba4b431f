"""One boundary for input no view can store: NUL characters anywhere in the request.

PostgreSQL text cannot hold U+0000, and a query parameter that carries one makes the database
raise mid-request. Django's form ``CharField`` already refuses it, but query strings, hand-read
POST fields (hidden keys, cursors, bulk selections) and file names reach views unchecked. This
middleware answers such a request with a 400 before any view runs: JSON under ``/api/``, a page
that says what was wrong and that nothing was saved elsewhere. Nothing is stripped silently.
"""

from __future__ import annotations

from django.http import HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from core import api_errors
from core.inputs import has_nul

MESSAGE = (
    "The request contained a NUL character (U+0000), which cannot be stored. Nothing was saved: "
    "go back, remove the character (it often comes from copying binary data) and try again."
)


def _fields_with_nul(request) -> list[str]:
    bad = []
    try:
        request.POST  # noqa: B018 (parse the body here, where a failure can be answered)
    except MultiPartParserError:
        return []  # the view's own parse refuses it (400: DRF's parse_error, Django's 400 page)
    for source in (request.GET, request.POST):
        for key, values in source.lists():
            if has_nul(key) or any(has_nul(v) for v in values):
                bad.append(key.replace("\x00", "\\0"))
    for key, files in request.FILES.lists():
        if has_nul(key) or any(has_nul(f.name or "") for f in files):
            bad.append(key.replace("\x00", "\\0"))
    return bad


class RejectUnstorableInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        bad = _fields_with_nul(request)
        if not bad:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            fields = {name: ["Contains a NUL character (U+0000)."] for name in bad}
            return JsonResponse(api_errors.body("invalid_input", MESSAGE, fields), status=400)
        return render(request, "400_input.html", {"message": MESSAGE, "fields": bad}, status=400)


class RejectUnstorableHeadersMiddleware:
    """The same rule for headers and cookies, first in the chain: a session cookie carrying a
    NUL would otherwise reach the session table's query (a 500 on PostgreSQL) before any view.
    Browsers never send one, so a plain 400 is enough."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        bad = sorted(
            key.removeprefix("HTTP_").replace("_", "-").title()
            for key, value in request.META.items()
            if key.startswith("HTTP_") and isinstance(value, str) and has_nul(value)
        )
        if bad and request.path.startswith("/api/"):
            message = f"These headers contained a NUL character (U+0000): {', '.join(bad)}."
            return JsonResponse(api_errors.body("invalid_input", message), status=400)
        if bad:
            return HttpResponseBadRequest(
                f"The {', '.join(bad)} header{'s' if len(bad) > 1 else ''} contained a NUL "
                "character (U+0000), which cannot be stored.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class ApiNoStoreMiddleware:
    """API answers are never stored by a browser or a shared cache: they carry a person's
    tickets (``Cache-Control: no-store, private``), whatever the view set."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/"):
            patch_cache_control(response, no_store=True, private=True)
            response.headers.pop("Expires", None)
        return response
