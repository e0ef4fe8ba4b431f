"""One error body for every API refusal: ``{"code": ..., "detail": ..., "fields": {...}}``.

``code`` is machine-readable (``invalid_input``, ``not_authenticated``, ``permission_denied``,
``not_found``, ``invalid_transition``, ``throttled``, ...), ``detail`` a sentence a person can
read, ``fields`` the problems of each field sent (empty unless the input was invalid). The
project's refusals (``core.errors.DomainError``) keep their own code and status, as the HTML
pages show them."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.errors import DomainError

INVALID_INPUT = "Some fields are not valid: see fields."


def _messages(detail) -> list[str]:
    """One field's problems as sentences. A list field's or a nested object's problems come
    keyed by position or name; they are said with it ("Item 2: ...", "name: ..."), so that
    every field maps to a plain list of strings, as the schema promises."""
    if isinstance(detail, dict):
        flat: list[str] = []
        for key, value in detail.items():
            where = f"Item {int(key) + 1}" if str(key).isdigit() else str(key)
            flat.extend(f"{where}: {message}" for message in _messages(value))
        return flat
    if isinstance(detail, list):
        return [message for item in detail for message in _messages(item)]
    return [str(detail)]


def body(code: str, detail: str, fields: dict | None = None) -> dict:
    return {"code": code, "detail": detail, "fields": fields or {}}


def handle_exception(exc, context):
    if isinstance(exc, DomainError):
        return Response(body(exc.code, exc.message), status=exc.status)
    response = exception_handler(exc, context)  # Http404 and PermissionDenied become DRF's
    if response is None:
        return None  # a bug: Django's 500 handling takes over
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            fields = {str(key): _messages(value) for key, value in detail.items()}
            non_field = fields.pop("non_field_errors", [])
            text = " ".join(non_field) if non_field else INVALID_INPUT
        else:
            fields, text = {}, " ".join(_messages(detail))
        response.data = body("invalid_input", text, fields)
        return response
    code = getattr(exc, "default_code", "error")
    codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
    if isinstance(codes, str):
        code = codes
    detail = response.data.get("detail") if isinstance(response.data, dict) else None
    response.data = body(code, str(detail or exc))
    return response


class ErrorSerializer(serializers.Serializer):
    """The error body, for the schema."""

    code = serializers.CharField(help_text="Machine-readable, e.g. invalid_transition.")
    detail = serializers.CharField(help_text="What went wrong, in a sentence.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="For invalid input: each field's problems. Empty otherwise.",
    )


def error_responses(*statuses: int) -> dict:
    """``responses=`` entries for an endpoint's refusals; 401 and 429 apply to every one."""
    descriptions = {
        400: "Invalid input",
        401: "No valid token or session",
        403: "Not allowed (role, token scope, second factor)",
        404: "No such object here",
        409: "Refused by the ticket lifecycle",
        412: "Changed by someone else since you read it",
        428: "If-Match missing: send the ETag you read",
        429: "Too many requests: see Retry-After",
    }
    return {
        code: OpenApiResponse(ErrorSerializer, description=descriptions[code])
        for code in sorted({*statuses, 401, 429})
    }
