"""Uploaded files: type by content (never by name or browser header), size limits, staging.

Staging: when a submission form has errors, the files that passed their checks are kept as
staged attachments under a random key carried in the re-rendered form, so the customer does
not lose them; a successful submission attaches them, and a beat task removes abandoned ones.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from tickets.models import Attachment, TicketFormField

FileKind = TicketFormField.FileKind

SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class Sniffed:
    content_type: str


def _image_type(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _is_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut by the sniff window is still text.
        return error.start >= len(head) - 3 and len(head) == SNIFF_BYTES
    return True


def sniff(upload, kind: str) -> Sniffed:
    """The file's real type for ``kind``, or ValidationError saying what was expected (or
    that it is a web page or a program, whatever its content)."""
    sniffed = _sniff(upload, kind)
    _refuse_page_or_program(upload, sniffed.content_type)
    return sniffed


def _sniff(upload, kind: str) -> Sniffed:
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    name = upload.name
    if kind == FileKind.IMAGES:
        image = _image_type(head)
        if image is None:
            raise ValidationError(
                f"“{name}” is not a PNG, JPEG or WebP image (its content was checked, "
                "not its name)."
            )
        return Sniffed(image)
    if kind == FileKind.LOGS:
        if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            return Sniffed("application/zip")
        if head.startswith(b"\x1f\x8b"):
            return Sniffed("application/gzip")
        if _is_text(head):
            return Sniffed("text/plain")
        raise ValidationError(f"“{name}” is not a text log or a zip archive.")
    raise ValidationError(f"Files of kind {kind!r} are not accepted.")


# A file is downloaded under its own name: one a browser or the desktop would open as a page or
# run is refused even when its content is plain text (the text check alone lets a web page in).
_OPENED_AS_PAGE_OR_RUN = (
    *(".htm", ".html", ".xhtml", ".shtml", ".svg", ".svgz", ".mht", ".mhtml", ".hta"),
    *(".js", ".vbs", ".bat", ".cmd", ".ps1", ".exe", ".scr", ".msi", ".lnk", ".jar"),
)
_PAGE_STARTS = (b"<!doctype html", b"<html", b"<svg", b"<script", b"<?xml")


def _refuse_page_or_program(upload, content_type: str) -> None:
    name = safe_name(upload.name)
    page = name.lower().endswith(_OPENED_AS_PAGE_OR_RUN)
    if not page and content_type == "text/plain":
        upload.seek(0)
        head = upload.read(1024)
        upload.seek(0)
        page = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(_PAGE_STARTS)
    if page:
        raise ValidationError(
            f"“{name}” is a web page or a program, which is not accepted: send a screenshot "
            "(PNG, JPEG or WebP) or a text log instead."
        )


def sniff_any(upload) -> str:
    """A file that comes without a form field saying what it must be (a chat's, an email's):
    an image or a text log or archive, by content, and never a web page or a program."""
    try:
        content_type = _sniff(upload, FileKind.IMAGES).content_type
    except ValidationError:
        try:
            content_type = _sniff(upload, FileKind.LOGS).content_type
        except ValidationError:
            raise ValidationError(
                f"“{safe_name(upload.name)}” is not a PNG, JPEG or WebP image, a text log "
                "or a zip archive (its content was checked, not its name)."
            ) from None
    _refuse_page_or_program(upload, content_type)
    return content_type


def check_size(upload) -> None:
    limit = settings.ATTACHMENT_MAX_FILE_BYTES
    if upload.size > limit:
        raise ValidationError(
            f"“{upload.name}” is {filesizeformat(upload.size)}; "
            f"each file may be at most {filesizeformat(limit)}."
        )
    if upload.size == 0:
        raise ValidationError(f"“{upload.name}” is empty.")


def check_total(sizes: list[int]) -> None:
    limit = settings.ATTACHMENT_MAX_TICKET_BYTES
    if sum(sizes) > limit:
        raise ValidationError(
            f"The files add up to {filesizeformat(sum(sizes))}; "
            f"a ticket's attachments may total at most {filesizeformat(limit)}."
        )


STAGING_KEY_RE = re.compile(r"[A-Za-z0-9_-]{32}")


def new_staging_key() -> str:
    return secrets.token_urlsafe(24)  # 32 URL-safe characters, as STAGING_KEY_RE expects


def staging_key_from(raw: str) -> str:
    """The staging key a form sent back, or "" when it is not one we could have issued."""
    return raw if STAGING_KEY_RE.fullmatch(raw) else ""


def stage(*, upload, field_key: str, content_type: str, key: str) -> Attachment:
    attachment = Attachment(
        field_key=field_key,
        original_name=safe_name(upload.name),
        content_type=content_type,
        size=upload.size,
        staged_key=key,
    )
    attachment.file.save(upload.name, upload, save=False)
    attachment.save()
    return attachment


def staged(key: str) -> list[Attachment]:
    if not key:
        return []
    cutoff = timezone.now() - timedelta(hours=settings.ATTACHMENT_STAGING_HOURS)
    return list(
        Attachment.objects.filter(staged_key=key, ticket__isnull=True, created_at__gte=cutoff)
    )


def safe_name(name: str) -> str:
    """The upload's base name, without path parts or control characters, for display only."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>')
    return cleaned[:200] or "file"


def download_response(attachment: Attachment) -> FileResponse:
    """Always a download, with the type we sniffed: never rendered inline by the browser."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
