"""URL converters for ids that always fit the database.

Django's ``int`` converter takes any run of digits; ``/tickets/99999999999999999999/`` then
overflows SQLite's integer (a 500) and means nothing on PostgreSQL. ``id`` takes 1 to 18 ASCII
digits, so anything longer is simply not a URL we serve (404).
"""

from django.urls import register_converter


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


class TokenConverter:
    """Random public ids (a chat's): URL-safe base64 characters, at most 32 of them."""

    regex = "[A-Za-z0-9_-]{1,32}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class BoundedSlugConverter:
    """Slugs of help-center addresses: ASCII letters, digits, ``-`` and ``_``, at most 120 (the
    longest slug column). Anything else, markup or a megabyte, is not a URL we serve (404)."""

    regex = "[-a-zA-Z0-9_]{1,120}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


def register() -> None:
    register_converter(IdConverter, "id")
    register_converter(TokenConverter, "token")
    register_converter(BoundedSlugConverter, "bounded_slug")


register()
